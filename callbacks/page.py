"""Page-level behaviour in the browser: which view pane shows, the URL, the chat drawer."""

from __future__ import annotations

import importlib.util

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback

from layouts import ids
from layouts.root import VIEWS

clientside_callback(
    ClientsideFunction(namespace="flux", function_name="showPane"),
    *[Output(ids.view_pane(v), "hidden") for v in VIEWS],
    Input(ids.VIEW_TABS, "active_tab"),
)

clientside_callback(
    ClientsideFunction(namespace="flux", function_name="writeUrl"),
    Output(ids.URL_SYNC, "data"),
    Input(ids.MAP_VIEW, "data"),
    Input(ids.VIEW_TABS, "active_tab"),
    Input(ids.DETAILS_SELECTION, "data"),
    prevent_initial_call=True,
)

if importlib.util.find_spec("layouts.chat") is not None:

    @callback(
        Output(ids.CHAT_OFFCANVAS, "is_open"),
        Input(ids.CHAT_OPEN, "n_clicks"),
        State(ids.CHAT_OFFCANVAS, "is_open"),
        prevent_initial_call=True,
    )
    def toggle_chat(_n, is_open):
        return not is_open
