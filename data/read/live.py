"""The live console's pure parts: the live status from its three signals, and grid events from
two snapshots of the operational cache. No I/O: the repository reads, this shapes.

Signals (each ok | amber | red by thresholds in settings):
- feed: age of the live feed's heartbeat (warehouse FEED_HEARTBEATS), with its rate and lag;
- pipeline: how long the oldest bronze row not yet in silver has waited;
- sync: age of the incremental sync's last committed cycle on its stalest table
  (Postgres flux.sync_watermarks.applied_at; the watermark's own age is shown, not judged: a
  quiet grid changes nothing and its watermark rightly stands still).
A signal that could not be read is red: the console cannot say it is live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

STATES = ("ok", "amber", "red")
SIGNALS = ("feed", "pipeline", "sync")
# Crew statuses that are timeline events when a crew enters them.
CREW_EVENTS = {"dispatched": "crew_dispatched", "on_site": "crew_arrived"}
EVENT_LABELS = {
    "outage_started": "Outage started",
    "outage_restored": "Outage restored",
    "crew_dispatched": "Crew dispatched",
    "crew_arrived": "Crew arrived",
}


@dataclass(frozen=True)
class Thresholds:
    amber_s: float = 30.0
    red_s: float = 120.0
    pipeline_amber_s: float = 90.0
    pipeline_red_s: float = 300.0

    @classmethod
    def from_settings(cls, settings) -> "Thresholds":
        return cls(settings.live_amber_s, settings.live_red_s, settings.live_pipeline_amber_s, settings.live_pipeline_red_s)


def state_for(seconds: float | None, amber_s: float, red_s: float) -> str:
    """ok up to ``amber_s``, amber up to ``red_s``, red past it or when unknown (None)."""
    if seconds is None:
        return "red"
    if seconds > red_s:
        return "red"
    if seconds > amber_s:
        return "amber"
    return "ok"


def worst(states: Iterable[str]) -> str:
    return max(states, key=STATES.index, default="red")


def _age(at: datetime | None, now: datetime) -> float | None:
    return None if at is None else round(max(0.0, (now - at).total_seconds()), 1)


def feed_signal(row: dict | None, now: datetime, t: Thresholds, error: str | None = None) -> dict[str, Any]:
    if row is None:
        return {"state": "red", "age_s": None, "rows_per_s": None, "lag_s": None, "status": None,
                "beat_at": None, "reason": error or "no heartbeat from the live feed"}
    age = _age(row.get("beat_at"), now)
    state = state_for(age, t.amber_s, t.red_s)
    status = row.get("status")
    reason = None
    if status == "stopped":
        state, reason = "red", "the feed stopped"
    elif status == "degraded":
        # the feed runs but cannot reach the warehouse: its rows wait on disk
        state, reason = worst((state, "amber")), "the feed is spilling to disk (warehouse unreachable)"
    elif state != "ok":
        reason = f"last heartbeat {age:.0f} s ago"
    return {"state": state, "age_s": age, "rows_per_s": row.get("rows_per_s"), "lag_s": row.get("lag_s"),
            "status": status, "beat_at": row.get("beat_at"), "reason": reason}


def pipeline_signal(row: dict | None, now: datetime, t: Thresholds, error: str | None = None) -> dict[str, Any]:
    if row is None:
        return {"state": "red", "lag_s": None, "pending_rows": None, "watermark": None,
                "reason": error or "the pipeline has not run"}
    oldest = row.get("oldest_pending")
    lag = 0.0 if oldest is None else _age(oldest, now)
    state = state_for(lag, t.pipeline_amber_s, t.pipeline_red_s)
    return {"state": state, "lag_s": lag, "pending_rows": int(row.get("pending_rows") or 0),
            "watermark": row.get("silver_watermark"),
            "reason": None if state == "ok" else f"oldest bronze row waiting {lag:.0f} s"}


def sync_signal(rows: list[dict] | None, now: datetime, t: Thresholds, error: str | None = None) -> dict[str, Any]:
    if not rows:
        return {"state": "red", "age_s": None, "watermark_age_s": None, "applied_at": None, "watermark": None,
                "stalest_table": None, "reason": error or "the incremental sync has not run"}
    stalest = min(rows, key=lambda r: r["applied_at"])
    age = _age(stalest["applied_at"], now)
    state = state_for(age, t.amber_s, t.red_s)
    newest_mark = max(r["watermark"] for r in rows)
    return {"state": state, "age_s": age, "watermark_age_s": _age(newest_mark, now), "applied_at": stalest["applied_at"],
            "watermark": newest_mark, "stalest_table": stalest["table_name"],
            "reason": None if state == "ok" else f"{stalest['table_name']} last synced {age:.0f} s ago"}


def live_status(signals: dict[str, Any], now: datetime, t: Thresholds) -> dict[str, Any]:
    """The /api/live/status body from the repository's raw signals
    (``{"feed": row|None, "pipeline": row|None, "sync": rows|None, "errors": {signal: why}}``)."""
    errors = signals.get("errors") or {}
    out = {
        "feed": feed_signal(signals.get("feed"), now, t, errors.get("feed")),
        "pipeline": pipeline_signal(signals.get("pipeline"), now, t, errors.get("pipeline")),
        "sync": sync_signal(signals.get("sync"), now, t, errors.get("sync")),
    }
    state = worst(out[s]["state"] for s in SIGNALS)
    return {"state": state, "checked_at": now, **out,
            "thresholds": {"amber_s": t.amber_s, "red_s": t.red_s,
                           "pipeline_amber_s": t.pipeline_amber_s, "pipeline_red_s": t.pipeline_red_s}}


def delay_s(status: dict[str, Any]) -> float:
    """The worst delay among the signals that are not ok (the "Delayed N s" of the indicator)."""
    delays = []
    for name in SIGNALS:
        sig = status[name]
        if sig["state"] != "ok":
            value = sig.get("lag_s") if name == "pipeline" else sig.get("age_s")
            if value is not None:
                delays.append(value)
    return max(delays, default=0.0)


# -- grid events from two snapshots ------------------------------------------------------------------
def snapshot(outages: Iterable[dict], crews: Iterable[dict]) -> dict[str, Any]:
    """What the console remembers between two ticks (JSON-safe; kept in the browser's store)."""
    return {
        "outages": {
            o["outage_id"]: {"circuit_id": o.get("circuit_id"), "customers": o.get("affected_customers_count"),
                             "cause": o.get("cause"), "substation_id": o.get("substation_id"),
                             "at": [o.get("longitude"), o.get("latitude")]}
            for o in outages
        },
        "crews": {
            c["crew_id"]: {"status": c.get("status"), "name": c.get("crew_name"), "work_order_id": c.get("work_order_id"),
                           "at": [c.get("longitude"), c.get("latitude")]}
            for c in crews
        },
    }


def grid_events(before: dict | None, after: dict, at: str) -> list[dict[str, Any]]:
    """Events between two snapshots, outages first: started (new id), restored (gone), crews
    that entered dispatched or on_site. ``before`` None (first tick): no events; the page shows
    what is active, it did not see it start."""
    if before is None:
        return []
    events: list[dict[str, Any]] = []
    old_o, new_o = before.get("outages") or {}, after["outages"]
    for oid in sorted(set(new_o) - set(old_o)):
        o = new_o[oid]
        events.append({"at": at, "type": "outage_started", "kind": "outage", "id": oid, "circuit_id": o["circuit_id"],
                       "customers": o["customers"], "cause": o["cause"], "position": o.get("at")})
    for oid in sorted(set(old_o) - set(new_o)):
        o = old_o[oid]
        events.append({"at": at, "type": "outage_restored", "kind": "outage", "id": oid, "circuit_id": o["circuit_id"],
                       "customers": o["customers"], "cause": o["cause"], "position": o.get("at")})
    old_c = before.get("crews") or {}
    for cid, c in sorted(after["crews"].items()):
        kind = CREW_EVENTS.get(c["status"])
        if kind and (old_c.get(cid) or {}).get("status") != c["status"]:
            events.append({"at": at, "type": kind, "kind": "crew", "id": cid, "name": c["name"],
                           "work_order_id": c["work_order_id"], "position": c["at"]})
    return events


def changed(before: dict | None, after: dict) -> bool:
    """Did anything the map shows move (an outage, a crew's status or position)?"""
    return before is None or before != after


def _without_positions(snap: dict) -> dict:
    return {"outages": snap.get("outages"),
            "crews": {cid: {k: v for k, v in c.items() if k != "at"} for cid, c in (snap.get("crews") or {}).items()}}


def panels_changed(before: dict | None, after: dict) -> bool:
    """Did anything the tables, KPIs or details show change? A crew driving to its job moves the
    map only: with the feed on, some crew moves at nearly every tick."""
    return before is None or _without_positions(before) != _without_positions(after)


def event_text(event: dict[str, Any]) -> str:
    """One line for a toast or a timeline row."""
    if event["kind"] == "outage":
        customers = event.get("customers")
        who = "?" if customers is None else f"{customers:,}"
        return f"{event['id']} on {event.get('circuit_id') or '?'}: {who} customers, {event.get('cause') or 'cause unknown'}"
    wo = event.get("work_order_id")
    return f"{event.get('name') or event['id']}" + (f" ({wo})" if wo else "")


def timeline(new_events: list[dict], shown: list[dict] | None, keep: int) -> list[dict]:
    """The newest ``keep`` events, newest first."""
    return (list(reversed(new_events)) + list(shown or []))[:keep]
