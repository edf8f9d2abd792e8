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
