"""The live console: every FLUX_LIVE_POLL_S one light callback reads the live status and the
(shared-cache) outages and crews, sets the header indicator, diffs the grid against the last
tick for toasts and the timeline, and bumps LIVE_CHANGE only when something moved. The heavy
panels (tables, map layers, KPIs, details) take LIVE_CHANGE as an input beside the slow page
interval, so a quiet grid costs each console one small request per tick and no redraw."""

from __future__ import annotations

from datetime import datetime

from dash import Input, Output, State, callback, no_update

from callbacks.common import now, repository, settings
from data.read import live
from data.read.models import ReadTimedOut, StoreUnavailable
from layouts import ids
from layouts.live import create_timeline_rows, create_toasts, indicator


def live_tick_outputs(repo, thresholds: live.Thresholds, at: datetime, *, prev, shown, change, keep: int,
                      map_change: int = 0) -> dict:
    """What one tick shows: ``change`` (tables, KPIs, details) and ``map_change`` (the map's live
    layers) are the new counters, or None when nothing of theirs moved (and on the first tick:
    the page was just drawn from the same rows)."""
    status = live.live_status(repo.live_signals().data, at, thresholds)
    out = {"indicator": indicator(status), "toasts": [], "timeline": shown or [], "snapshot": prev, "change": None,
           "map_change": None}
    try:
        snap = live.snapshot(repo.active_outages().data, repo.crews().data)
    except (ReadTimedOut, StoreUnavailable):
        return out  # the tables say why; keep the last snapshot so nothing is reported twice
    events = live.grid_events(prev, snap, f"{at:%H:%M:%S}")
    out["snapshot"] = snap
    if events:
        out["timeline"] = live.timeline(events, shown, keep)
        out["toasts"] = create_toasts(events)
    if prev is not None and live.panels_changed(prev, snap):
        out["change"] = (change or 0) + 1
    if prev is not None and live.changed(prev, snap):
        out["map_change"] = (map_change or 0) + 1
    return out


@callback(
    Output(ids.LIVE_INDICATOR, "children"),
    Output(ids.LIVE_INDICATOR, "color"),
    Output(ids.LIVE_INDICATOR, "title"),
    Output(ids.LIVE_SNAPSHOT, "data"),
    Output(ids.LIVE_CHANGE, "data"),
    Output(ids.LIVE_MAP_CHANGE, "data"),
    Output(ids.LIVE_TOASTS, "children"),
    Output(ids.LIVE_TIMELINE_EVENTS, "data"),
    Output(ids.LIVE_TIMELINE, "children"),
    Input(ids.LIVE_TICK, "n_intervals"),
    State(ids.LIVE_SNAPSHOT, "data"),
    State(ids.LIVE_TIMELINE_EVENTS, "data"),
    State(ids.LIVE_CHANGE, "data"),
    State(ids.LIVE_MAP_CHANGE, "data"),
)
def live_tick(_n, prev, shown, change, map_change):
    cfg = settings()
    out = live_tick_outputs(repository(), live.Thresholds.from_settings(cfg), now(), prev=prev, shown=shown,
                            change=change, keep=cfg.live_timeline_rows, map_change=map_change)
    text, color, title = out["indicator"]
    timeline_changed = out["timeline"] is not shown and out["timeline"] != shown
    return (
        text, color, title,
        out["snapshot"] if out["snapshot"] != prev else no_update,
        out["change"] if out["change"] is not None else no_update,
        out["map_change"] if out["map_change"] is not None else no_update,
        out["toasts"] or no_update,
        out["timeline"] if timeline_changed else no_update,
        create_timeline_rows(out["timeline"]) if timeline_changed else no_update,
    )
