"""The details panel for the selected substation, feeder or outage, refreshed with the page."""

from __future__ import annotations

from dash import Input, Output, State, callback, no_update

from app.validation import ValidationError, ident_value
from callbacks.common import provenance_dict, repository
from data.read.models import ReadTimedOut, StoreUnavailable
from layouts import ids
from layouts.details import KIND_LABELS, create_details, create_details_placeholder, trace_paths
from layouts.status import create_error_alert

# The facade calls a feeder a segment.
FACADE_KIND = {"substation": "substation", "feeder": "segment", "outage": "outage"}


def parse_selection(selection) -> tuple[str, str] | None:
    """The selection store as (kind, id), checked as the API checks its parameters: the store is
    the browser's, and anything may be posted to it. None: nothing selected."""
    if not selection:
        return None
    kind = selection.get("kind") if isinstance(selection, dict) else None
    if not isinstance(kind, str) or kind not in FACADE_KIND:
        raise ValidationError("expected a substation, feeder or outage")
    return kind, ident_value(selection.get("id"))


@callback(
    Output(ids.DETAILS_BODY, "children"),
    Output(ids.DETAILS_TITLE, "children"),
    Output(ids.MAP_TRACE, "data"),
    Input(ids.DETAILS_SELECTION, "data"),
    Input(ids.REFRESH, "n_intervals"),
    Input(ids.LIVE_CHANGE, "data"),
    State(ids.MAP_TRACE, "data"),
)
def show_details(selection, _n, _change, shown_trace):
    try:
        parsed = parse_selection(selection)
    except ValidationError as exc:
        return create_error_alert(f"That selection cannot be shown: {exc}."), "Details", None if shown_trace else no_update
    if parsed is None:
        # no trace to clear: leave the map's input alone so the map keeps its deck
        return create_details_placeholder(), "Details", None if shown_trace else no_update
    kind, item_id = parsed
    repo = repository()
    try:
        result = repo.details(kind=FACADE_KIND[kind], id=item_id)
        trace = repo.network_trace(segment_id=item_id).data if kind == "feeder" and result.data else None
    except ReadTimedOut:
        return create_error_alert("Details unavailable: the query took too long; it will retry on the next refresh."), KIND_LABELS[kind], None
    except StoreUnavailable:
        return create_error_alert("Details unavailable: neither Postgres nor Snowflake answered."), KIND_LABELS[kind], None
    body = create_details(kind, result.data, provenance_dict(result), trace)
    paths = trace_paths(trace)
    # an unchanged trace is not re-sent: the map would rebuild its deck for nothing
    return body, f"{KIND_LABELS[kind]} {item_id}", no_update if paths == shown_trace else paths
