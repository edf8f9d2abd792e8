"""Storm playback math (data/reliability/playback.py) on a hand-made set of interruptions."""

from __future__ import annotations

from data.reliability import playback as p

H = 3600
EVENTS = [
    {"id": "a", "start": 0, "end": 2 * H, "customers": 100},
    {"id": "b", "start": H, "end": 3 * H, "customers": 50},
    {"id": "c", "start": H, "end": H + 600, "customers": 7},
]


def test_play001_customers_out_and_restoration_rate_at_each_moment():
    c = p.Curve(EVENTS)
    assert c.customers_out(-1) == 0
    assert c.customers_out(0) == 100
    assert c.customers_out(H) == 157 and c.outages_out(H) == 3
    assert c.customers_out(H + 600) == 150  # c restored at its end
    assert c.customers_out(2 * H) == 50 and c.customers_out(3 * H) == 0
    assert c.restored_per_hour(2 * H) == 107  # c (at 1:10) and a (at 2:00) in (1:00, 2:00]
    assert c.restored_per_hour(3 * H) == 50


def test_play002_active_at_matches_the_curve():
    for t in range(-H, 4 * H, 300):
        active = p.active_at(EVENTS, t)
        assert sum(e["customers"] for e in active) == p.Curve(EVENTS).customers_out(t)
    assert [e["id"] for e in p.active_at(EVENTS, H)] == ["a", "b", "c"]


def test_play003_timeline_frames_cover_the_window():
    tl = p.timeline(600, 3 * H)  # floored to 0:00, frames every 15 minutes to 3:00
    assert (tl.start, tl.step_s, tl.frames) == (0, 900, 13)
    assert tl.at(0) == 0 and tl.at(12) == 3 * H and tl.at(99) == 3 * H and tl.at(-5) == 0
    long = p.timeline(0, 30 * 24 * H, max_frames=480)  # 30 days: a longer step
    assert long.frames <= 480 and long.step_s % 900 == 0 and long.at(long.frames - 1) >= 30 * 24 * H


def test_play004_crews_at_work_from_the_dispatch_delay_to_the_restoration_capped_by_the_roster():
    # a: crew from 0:30 to 2:00; b: from 1:30 to 3:00; c is restored after 10 minutes: no crew
    c = p.Crews(EVENTS, roster=5, dispatch_delay_minutes=30)
    assert [c.needed(t) for t in (0, 1799, 1800, H, H + 1800, 2 * H, 3 * H)] == [0, 0, 1, 1, 2, 1, 0]
    assert c.at_work(H + 1800) == 2
    one = p.Crews(EVENTS, roster=1, dispatch_delay_minutes=30)
    assert one.needed(H + 1800) == 2 and one.at_work(H + 1800) == 1  # one waits for the only crew
    assert p.Crews(EVENTS, roster=0).at_work(H + 1800) == 0
    # no delay: every interruption holds a crew for its whole length
    assert p.Crews(EVENTS, roster=9, dispatch_delay_minutes=0).at_work(H) == 3
