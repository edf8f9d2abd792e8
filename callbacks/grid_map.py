"""The grid map: rebuild the (small) deck description when the view, the layer toggles, the
selection's trace or the refresh tick change. Layers load their rows by URL in the browser, so
this callback reads nothing; the feeder URL only changes with level of detail and viewport."""

from __future__ import annotations

from dash import Input, Output, State, callback, ctx, no_update

from callbacks.common import settings
from layouts import ids
from layouts.map_deck import MapView, create_deck, level_of_detail


@callback(
    Output(ids.MAP_DECK, "data"),
    Output(ids.MAP_LOD, "children"),
    Input(ids.MAP_VIEW, "data"),
    Input(ids.MAP_TARGET, "data"),
    Input(ids.MAP_LAYER_TOGGLES, "value"),
    Input(ids.MAP_TRACE, "data"),
    Input(ids.REFRESH, "n_intervals"),
    Input(ids.LIVE_MAP_CHANGE, "data"),
    State(ids.MAP_DECK, "data"),
)
def update_deck(view, target, visible, trace, n_intervals, change, shown_deck):
    if ctx.triggered_id is None and not target:
        # page load without a link target: the layout's deck is already this one
        return no_update, no_update
    map_view = MapView.from_dict(view)
    deck = create_deck(
        view=map_view,
        target=target,
        visible=visible or [],
        # a grid change (LIVE_MAP_CHANGE: an outage, a crew moved) re-fetches the live layers
        refresh_token=f"{n_intervals or 0}-{change}" if change else (n_intervals or 0),
        basemap_style=settings().basemap_style,
        trace=trace,
    )
    if deck == shown_deck:
        # Inputs that settle on load (an empty trace, the home view) rebuild the same deck: a
        # replaced spec would make deck.gl rebuild every layer and redraw for nothing.
        return no_update, no_update
    lod = level_of_detail(map_view.zoom)
    return deck, f"{lod} · zoom {map_view.zoom:.1f}"

