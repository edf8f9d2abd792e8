"""The live console's pure parts: status thresholds, grid events between snapshots, toast and
timeline shaping, the indicator. No service; FakeRepository stands in for the facade."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from data.read import live
from data.read.live import Thresholds, grid_events, live_status, snapshot, state_for

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=timezone.utc)
T = Thresholds(amber_s=30, red_s=120, pipeline_amber_s=90, pipeline_red_s=300)


def _ago(s: float) -> datetime:
    return NOW - timedelta(seconds=s)


def _signals(feed_age=5.0, pending_age=None, sync_ages=(1.0, 2.0), status="running"):
    return {
        "feed": {"beat_at": _ago(feed_age), "rows_per_s": 120.5, "lag_s": 1.2, "status": status},
        "pipeline": {"silver_watermark": _ago(10), "pending_rows": 0 if pending_age is None else 50,
                     "oldest_pending": None if pending_age is None else _ago(pending_age)},
        "sync": [{"table_name": f"t{i}", "watermark": _ago(60), "applied_at": _ago(a), "rows_applied": 0}
                 for i, a in enumerate(sync_ages)],
        "errors": {},
    }


@pytest.mark.parametrize("age,state", [(0, "ok"), (30, "ok"), (30.1, "amber"), (120, "amber"), (120.1, "red"), (None, "red")])
def test_live001_state_for_thresholds(age, state):
    assert state_for(age, 30, 120) == state


def test_live002_all_fresh_is_ok():
    status = live_status(_signals(), NOW, T)
    assert status["state"] == "ok"
    assert status["feed"] == {"state": "ok", "age_s": 5.0, "rows_per_s": 120.5, "lag_s": 1.2, "status": "running",
                              "beat_at": _ago(5), "reason": None}
    assert status["pipeline"]["state"] == "ok" and status["pipeline"]["lag_s"] == 0.0
    # the stalest table decides the sync's age; the watermark's age is shown, not judged
    assert status["sync"]["age_s"] == 2.0 and status["sync"]["stalest_table"] == "t1"
    assert status["sync"]["watermark_age_s"] == 60.0 and status["sync"]["state"] == "ok"
    assert live.delay_s(status) == 0.0


def test_live003_old_heartbeat_turns_amber_then_red():
    amber = live_status(_signals(feed_age=45), NOW, T)
    assert amber["state"] == "amber" and amber["feed"]["state"] == "amber"
    assert amber["feed"]["reason"] == "last heartbeat 45 s ago"
    assert live.delay_s(amber) == 45.0
    red = live_status(_signals(feed_age=600), NOW, T)
    assert red["state"] == "red" and red["feed"]["state"] == "red"


def test_live004_pipeline_lag_has_its_own_thresholds():
    assert live_status(_signals(pending_age=60), NOW, T)["pipeline"]["state"] == "ok"
    s = live_status(_signals(pending_age=100), NOW, T)
    assert s["pipeline"]["state"] == "amber" and s["pipeline"]["pending_rows"] == 50
    assert s["state"] == "amber" and live.delay_s(s) == 100.0
    assert live_status(_signals(pending_age=301), NOW, T)["state"] == "red"


def test_live005_stalest_sync_table_decides():
    s = live_status(_signals(sync_ages=(1.0, 200.0)), NOW, T)
    assert s["sync"]["state"] == "red" and s["sync"]["stalest_table"] == "t1"
    assert s["sync"]["reason"] == "t1 last synced 200 s ago"


def test_live006_feed_status_overrides_a_fresh_heartbeat():
    assert live_status(_signals(status="degraded"), NOW, T)["feed"]["state"] == "amber"
    assert live_status(_signals(status="stopped"), NOW, T)["feed"]["state"] == "red"


def test_live007_missing_signals_are_red_with_their_reason():
    s = live_status({"feed": None, "pipeline": None, "sync": None,
                     "errors": {"feed": "the warehouse did not answer", "sync": "breaker_open"}}, NOW, T)
    assert s["state"] == "red"
    assert s["feed"]["reason"] == "the warehouse did not answer"
    assert s["pipeline"]["reason"] == "the pipeline has not run"
    assert s["sync"]["reason"] == "breaker_open"
    assert live.delay_s(s) == 0.0  # nothing measurable: the indicator says Stalled, not a number


def test_live008_thresholds_come_from_settings(monkeypatch):
    from settings import Settings

    monkeypatch.setenv("FLUX_LIVE_AMBER_S", "5")
    monkeypatch.setenv("FLUX_LIVE_RED_S", "10")
    t = Thresholds.from_settings(Settings())
    assert (t.amber_s, t.red_s) == (5, 10)
    assert live_status(_signals(feed_age=7), NOW, t)["state"] == "amber"
    monkeypatch.setenv("FLUX_LIVE_RED_S", "4")
    with pytest.raises(ValueError):
        Settings()


# -- grid events, toasts, timeline ------------------------------------------------------------------
def _outage(oid, circuit="SUB-001-C01", customers=120, cause="equipment"):
    return {"outage_id": oid, "circuit_id": circuit, "affected_customers_count": customers, "cause": cause,
            "substation_id": "SUB-001"}


def _crew(cid, status, lon=-95.3):
    return {"crew_id": cid, "crew_name": f"Crew {cid[-1]}", "status": status, "work_order_id": "WO-1",
            "longitude": lon, "latitude": 29.7}


def test_live009_first_tick_has_no_events():
    assert grid_events(None, snapshot([_outage("OUT-1")], []), "07:00:00") == []


def test_live010_started_restored_dispatched_arrived():
    before = snapshot([_outage("OUT-1")], [_crew("CREW-1", "available"), _crew("CREW-2", "dispatched")])
    after = snapshot([_outage("OUT-2", customers=1500, cause="vegetation")],
                     [_crew("CREW-1", "dispatched"), _crew("CREW-2", "on_site")])
    events = grid_events(before, after, "07:00:02")
    assert [(e["type"], e["id"]) for e in events] == [
        ("outage_started", "OUT-2"), ("outage_restored", "OUT-1"),
        ("crew_dispatched", "CREW-1"), ("crew_arrived", "CREW-2"),
    ]
    assert live.event_text(events[0]) == "OUT-2 on SUB-001-C01: 1,500 customers, vegetation"
    assert live.event_text(events[2]) == "Crew 1 (WO-1)"
    # a crew that stays on site is not a new event; a crew that only moved changes the map
    again = snapshot([_outage("OUT-2", customers=1500, cause="vegetation")],
                     [_crew("CREW-1", "dispatched", lon=-95.2), _crew("CREW-2", "on_site")])
    assert grid_events(after, again, "07:00:04") == []
    assert live.changed(after, again) and not live.changed(again, again)
    # ... the map, not the tables: those change with an outage or a crew's status
    assert not live.panels_changed(after, again) and live.panels_changed(before, after)


def test_live011_timeline_keeps_the_newest_first():
    shown = [{"id": "old-2"}, {"id": "old-1"}]
    out = live.timeline([{"id": "new-1"}, {"id": "new-2"}], shown, keep=3)
    assert [e["id"] for e in out] == ["new-2", "new-1", "old-2"]


def test_live012_toasts_only_for_outages():
    from layouts.live import create_toasts

    events = grid_events(snapshot([_outage("OUT-1")], [_crew("CREW-1", "available")]),
                         snapshot([_outage("OUT-2")], [_crew("CREW-1", "dispatched")]), "07:00:02")
    toasts = create_toasts(events)
    assert [t.header for t in toasts] == ["New outage OUT-2", "Outage restored OUT-1"]
    assert [t.icon for t in toasts] == ["danger", "success"]
    assert "SUB-001-C01" in str(toasts[0].children) and "120" in str(toasts[0].children)


def test_live013_indicator_text_and_colour():
    from layouts.live import indicator

    assert indicator(live_status(_signals(), NOW, T))[:2] == ("Live", "success")
    assert indicator(live_status(_signals(feed_age=45), NOW, T))[:2] == ("Delayed 45 s", "warning")
    assert indicator(live_status(_signals(feed_age=600), NOW, T))[:2] == ("Stalled", "danger")
    # the tooltip names every signal
    assert "feed" in indicator(live_status(_signals(), NOW, T))[2]


def test_live014_timeline_rows_select_their_object():
    from layouts.live import create_timeline_rows

    events = [{"at": "07:00:02", "type": "outage_started", "kind": "outage", "id": "OUT-2", "circuit_id": "C1",
               "customers": 5, "cause": "animal"},
              {"at": "07:00:02", "type": "crew_arrived", "kind": "crew", "id": "CREW-1", "name": "Crew 1",
               "work_order_id": None, "position": [-95.3, 29.7]}]
    rows = create_timeline_rows(events)
    # an outage row is a button carrying its selection; a crew row carries where to fly
    assert {k: rows[0].id[k] for k in ("type", "kind", "id")} == {"type": "live-timeline-row", "kind": "outage", "id": "OUT-2"}
    assert {k: rows[1].id[k] for k in ("type", "kind", "id")} == {"type": "live-timeline-row", "kind": "crew", "id": "CREW-1"}
    assert rows[0].id["n"] != rows[1].id["n"]  # one object may have several events: ids stay unique


class FakeRepository:
    """An in-memory fake of the facade's live reads (unit tier only)."""

    def __init__(self, outages, crews, signals):
        self.outages, self.crews_rows, self.signals = outages, crews, signals

    def live_signals(self):
        from data.read.models import Provenance, ReadResult

        return ReadResult(self.signals, Provenance("postgres", 1.0, NOW, None))

    def active_outages(self):
        from data.read.models import Provenance, ReadResult

        return ReadResult(self.outages, Provenance("postgres", 1.0, NOW, None))

    def crews(self):
        from data.read.models import Provenance, ReadResult

        return ReadResult(self.crews_rows, Provenance("postgres", 1.0, NOW, None))


def test_live015_tick_shapes_indicator_toasts_timeline_and_change():
    from callbacks.live import live_tick_outputs

    repo = FakeRepository([_outage("OUT-1")], [_crew("CREW-1", "available")], _signals())
    first = live_tick_outputs(repo, T, NOW, prev=None, shown=None, change=0, keep=10)
    assert first["indicator"][:2] == ("Live", "success")
    # the first tick reports nothing: the page was drawn from these rows
    assert first["toasts"] == [] and first["timeline"] == [] and first["change"] is None
    repo.outages = [_outage("OUT-1"), _outage("OUT-9", customers=42, cause="animal")]
    second = live_tick_outputs(repo, T, NOW, prev=first["snapshot"], shown=first["timeline"], change=0, keep=10)
    assert [t.header for t in second["toasts"]] == ["New outage OUT-9"]
    assert [e["id"] for e in second["timeline"]] == ["OUT-9"] and second["change"] == 1
    assert second["map_change"] == 1
    third = live_tick_outputs(repo, T, NOW, prev=second["snapshot"], shown=second["timeline"], change=1, keep=10,
                              map_change=1)
    assert third["change"] is None and third["map_change"] is None and third["toasts"] == []  # nothing moved
    repo.crews_rows = [_crew("CREW-1", "available", lon=-95.1)]  # a crew drove on: the map alone
    fourth = live_tick_outputs(repo, T, NOW, prev=third["snapshot"], shown=third["timeline"], change=1, keep=10,
                               map_change=1)
    assert fourth["change"] is None and fourth["map_change"] == 2
