"""Storm playback in the reliability view: the storm list, the storm's timeline, play/pause and
speed stepping the slider, and each frame's map and curve cursor (read through the facade: one
cached warehouse read per storm, frames cut from it)."""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.exceptions import PreventUpdate

from app.validation import IDENT
from callbacks.common import repository
from callbacks.url_state import parse_playback_state
from data.read import reliability
from data.read.models import AnalyticsUnavailable, StoreUnavailable
from layouts import ids
from layouts.figures import empty_figure
from layouts.playback import SPEEDS, curve_figure, frame_label, map_figure, storm_label

UNAVAILABLE = "Playback unavailable: the warehouse did not answer"


@callback(
    Output(ids.PLAYBACK_STORM, "options"),
    Output(ids.PLAYBACK_STORM, "value"),
    Input(ids.VIEW_TABS, "active_tab"),
    State(ids.URL, "search"),
    State(ids.PLAYBACK_STORM, "options"),
)
def load_storms(active_tab, search, options):
    if active_tab != "reliability" or options:
        raise PreventUpdate
    try:
        storms = repository().playback_storms().data
    except AnalyticsUnavailable:
        raise PreventUpdate
    if not storms:
        raise PreventUpdate
    wanted = parse_playback_state(search)["storm"]
    ids_ = [s["storm_id"] for s in storms]
    return [{"label": storm_label(s), "value": s["storm_id"]} for s in storms], wanted if wanted in ids_ else ids_[0]


@callback(
    Output(ids.PLAYBACK_TIMELINE, "data"),
    Output(ids.PLAYBACK_SLIDER, "max"),
    Output(ids.PLAYBACK_SLIDER, "value"),
    Input(ids.PLAYBACK_STORM, "value"),
    State(ids.URL, "search"),
)
def load_timeline(storm_id, search):
    if not isinstance(storm_id, str) or not IDENT.fullmatch(storm_id):
        raise PreventUpdate
    try:
        events = repository().playback_events(storm_id=storm_id).data
    except AnalyticsUnavailable:
        return None, 0, 0
    if events is None:
        raise PreventUpdate
    timeline = reliability.playback_timeline(events)
    link = parse_playback_state(search)
    frame = link["frame"] if link["storm"] == storm_id and link["frame"] is not None else 0
    return timeline, timeline["frames"] - 1, min(frame, timeline["frames"] - 1)


@callback(
    Output(ids.PLAYBACK_TICK, "disabled"),
    Output(ids.PLAYBACK_PLAY, "children"),
    Output(ids.PLAYBACK_SLIDER, "value", allow_duplicate=True),
    Input(ids.PLAYBACK_PLAY, "n_clicks"),
    Input(ids.PLAYBACK_TICK, "n_intervals"),
    State(ids.PLAYBACK_TICK, "disabled"),
    State(ids.PLAYBACK_SLIDER, "value"),
    State(ids.PLAYBACK_SLIDER, "max"),
    State(ids.PLAYBACK_SPEED, "value"),
    prevent_initial_call=True,
)
def play(_clicks, _ticks, paused, frame, last, speed):
    frame, last = int(frame or 0), int(last or 0)
    if ctx.triggered_id == ids.PLAYBACK_PLAY:
        if paused and frame >= last:  # play from the start again
            return False, "Pause", 0
        return (not paused), ("Pause" if paused else "Play"), no_update
    if paused:
        raise PreventUpdate
    step = speed if speed in SPEEDS else SPEEDS[0]
    nxt = min(frame + step, last)
    if nxt >= last:
        return True, "Play", last
    return no_update, no_update, nxt


@callback(
    Output(ids.PLAYBACK_MAP, "figure"),
    Output(ids.PLAYBACK_CURVE, "figure"),
    Output(ids.PLAYBACK_LABEL, "children"),
    Input(ids.PLAYBACK_SLIDER, "value"),
    Input(ids.PLAYBACK_TIMELINE, "data"),
    State(ids.PLAYBACK_STORM, "value"),
)
def show_frame(frame, timeline, storm_id):
    if not timeline or not isinstance(storm_id, str) or not IDENT.fullmatch(storm_id):
        raise PreventUpdate
    frame = int(frame or 0) if isinstance(frame, (int, float)) else 0
    repo = repository()
    try:
        events = repo.playback_events(storm_id=storm_id).data
    except AnalyticsUnavailable:
        empty = empty_figure(UNAVAILABLE, height=380)
        return empty, empty, UNAVAILABLE
    if events is None:
        raise PreventUpdate
    try:
        substations = repo.substations().data  # the map's backdrop; the frame shows without it
    except StoreUnavailable:
        substations = []
    shown = reliability.playback_frame(events, frame)
    return map_figure(shown, substations), curve_figure(timeline, shown["frame"]), frame_label(shown)


clientside_callback(
    ClientsideFunction(namespace="flux_playback", function_name="writeUrl"),
    Output(ids.PLAYBACK_URL_SYNC, "data"),
    Input(ids.PLAYBACK_SLIDER, "value"),
    State(ids.PLAYBACK_STORM, "value"),
    prevent_initial_call=True,
)
