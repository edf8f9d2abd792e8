"""The feed's state for ``scripts/stack.sh status``: its latest heartbeat row (FEED_HEARTBEATS)."""

from __future__ import annotations

from datetime import datetime, timezone

from data.etl.live.sqlfile import sql


def heartbeats(settings) -> list[dict]:
    """Every feed's latest heartbeat, newest first; [] when the table is not there yet."""
    from data.connections import connect_warehouse

    conn = connect_warehouse(settings, login_timeout=3, network_timeout=5)
    try:
        cur = conn.cursor()
        try:
            cur.execute(sql("load", "heartbeat_read"))
        except Exception:  # V003 not applied yet: no feed has ever run
            return []
        cols = [d[0].lower() for d in cur.description]
        return sorted((dict(zip(cols, r)) for r in cur.fetchall()), key=lambda b: b["beat_at"], reverse=True)
    finally:
        conn.close()


def describe(beat: dict, *, now: datetime | None = None, stale_s: float = 30.0) -> str:
    """One status line: the feed's rate, lag and age of its heartbeat."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    age = (now - beat["beat_at"]).total_seconds()
    state = beat["status"] if beat["status"] == "stopped" or age <= stale_s else "silent"
    return (f"feed       {beat['feed']:<16} {state:<8} {beat['rows_per_s']:,.0f} rows/s, lag {beat['lag_s']:.1f} s, "
            f"beat {age:.0f} s ago, {beat['meters']:,} meters x{beat['speed']:g}, "
            f"{beat['active_outages']} outages active, {beat['spilled_batches']} batches on disk")
