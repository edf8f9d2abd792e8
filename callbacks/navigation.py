"""Where the operator is looking and what is selected: the URL on load, a map click, a table
row click (which also moves the map), and closing the details panel."""

from __future__ import annotations

import math
import re

from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.url_state import parse_url_state
from layouts import ids
from layouts.map_deck import FEEDER_LAYER_IDS

ROW_ZOOM = 14.0
_LAYER_ID = re.compile(r"id: '([^']+)'")


def selection_from_click(info: dict | None) -> dict | None:
    """A deck.gl picking info (dash-deck clickInfo) -> {"kind", "id"}, or None off the objects."""
    # the browser's data: anything may arrive; show_details validates the id itself
    if not isinstance(info, dict) or not isinstance(info.get("object"), dict):
        return None
    obj = info["object"]
    match = _LAYER_ID.search(str(info.get("layer") or ""))
    layer = match.group(1) if match else None
    if layer == "substations" or (layer is None and "substation_name" in obj):
        return {"kind": "substation", "id": obj.get("substation_id")}
    if layer == "outages" or (layer is None and "outage_id" in obj):
        return {"kind": "outage", "id": obj.get("outage_id")}
    if layer in FEEDER_LAYER_IDS or (layer is None and ("path" in obj or "source" in obj)):
        return {"kind": "feeder", "id": feeder_segment_id(obj)}
    if layer == "work_orders" or (layer is None and "work_order_id" in obj):
        return selection_for_work_order(obj)
    if obj.get("substation_id"):
        return {"kind": "substation", "id": obj["substation_id"]}
    return None


def feeder_segment_id(obj: dict) -> str:
    """The segment a clicked feeder path stands for. At overview zoom a path is a whole circuit
    (its id is the circuit id): use the circuit's head segment, <circuit>-S0001 in the grid's
    naming (docs/architecture.md), so the trace covers the whole circuit."""
    if isinstance(obj.get("id"), str) and obj.get("id") == obj.get("circuit_id"):
        return f"{obj['circuit_id']}-S0001"
    return obj.get("id")


def selection_for_work_order(row: dict) -> dict | None:
    """A work order opens its outage when it restores one, else its substation."""
    if row.get("outage_id"):
        return {"kind": "outage", "id": row["outage_id"]}
    if row.get("substation_id"):
        return {"kind": "substation", "id": row["substation_id"]}
    return None


def target_for_row(row: dict, counter: int) -> dict | None:
    try:
        longitude, latitude = float(row["longitude"]), float(row["latitude"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(longitude) and math.isfinite(latitude)):
        return None
    # deck.gl moves only when initialViewState changes: a sub-metre nudge on every other click
    # lets a second click on the same row re-centre a map the operator has since panned.
    nudge = 1e-7 * (counter % 2)
    return {"longitude": longitude + nudge, "latitude": latitude, "zoom": ROW_ZOOM}


def _row(grid_rows: list[dict] | None, cell: dict | None, key: str) -> dict | None:
    if not isinstance(cell, dict) or not isinstance(grid_rows, list):
        return None
    row_id = cell.get("rowId")
    return next((r for r in grid_rows if isinstance(r, dict) and r.get(key) == row_id), None)


def _timeline_selection(trigger: dict, events: list[dict] | None, counter: int):
    """A timeline row: an outage is selected in the details panel; either kind flies the map to
    where the event happened. The row's position comes from the events store, by its index."""
    n = trigger.get("n")
    event = events[n] if isinstance(events, list) and isinstance(n, int) and 0 <= n < len(events) else None
    if not isinstance(event, dict) or event.get("id") != trigger.get("id"):
        raise PreventUpdate
    selection = {"kind": "outage", "id": event["id"]} if event.get("kind") == "outage" else no_update
    position = event.get("position") or [None, None]
    target = target_for_row({"longitude": position[0], "latitude": position[1]}, counter)
    if target is None:
        return no_update, no_update, selection, "operations"
    return {**target, "n": counter}, target, selection, "operations"


@callback(
    Output(ids.MAP_TARGET, "data"),
    Output(ids.MAP_VIEW, "data"),
    Output(ids.DETAILS_SELECTION, "data"),
    Output(ids.VIEW_TABS, "active_tab"),
    Input(ids.URL, "search"),
    Input(ids.OUTAGE_GRID, "cellClicked"),
    Input(ids.WORK_ORDER_GRID, "cellClicked"),
    Input(ids.MAP_DECK, "clickInfo"),
    Input(ids.DETAILS_CLOSE, "n_clicks"),
    Input({"type": ids.LIVE_TIMELINE_ROW, "kind": ALL, "id": ALL, "n": ALL}, "n_clicks"),
    State(ids.OUTAGE_GRID, "rowData"),
    State(ids.WORK_ORDER_GRID, "rowData"),
    State(ids.MAP_TARGET, "data"),
    State(ids.LIVE_TIMELINE_EVENTS, "data"),
)
def navigate(search, outage_cell, work_order_cell, click_info, _close, _event_clicks, outage_rows, work_order_rows,
             old_target, events):
    trigger = ctx.triggered_id
    counter = (old_target or {}).get("n", 0) + 1
    if trigger == ids.DETAILS_CLOSE:
        return no_update, no_update, None, no_update
    if isinstance(trigger, dict) and trigger.get("type") == ids.LIVE_TIMELINE_ROW:
        # rows re-drawn by a tick arrive with n_clicks 0: only a real click selects
        if not any(t.get("value") for t in ctx.triggered):
            raise PreventUpdate
        return _timeline_selection(trigger, events, counter)
    if trigger == ids.MAP_DECK:
        selection = selection_from_click(click_info)
        if selection is None:
            raise PreventUpdate
        return no_update, no_update, selection, no_update
    if trigger in (ids.OUTAGE_GRID, ids.WORK_ORDER_GRID):
        if trigger == ids.OUTAGE_GRID:
            row = _row(outage_rows, outage_cell, "outage_id")
            selection = {"kind": "outage", "id": row["outage_id"]} if row else None
        else:
            row = _row(work_order_rows, work_order_cell, "work_order_id")
            selection = selection_for_work_order(row) if row else None
        if row is None:
            raise PreventUpdate
        target = target_for_row(row, counter)
        if target is None:
            return no_update, no_update, selection, "operations"
        return {**target, "n": counter}, target, selection, "operations"
    # page load: the URL reproduces the view, map position and selection of a shared link
    state = parse_url_state(search)
    target = state["target"]
    return (
        {**target, "n": counter} if target else no_update,
        target if target else no_update,
        state["selection"] if state["selection"] else no_update,
        state["view"] or no_update,
    )
