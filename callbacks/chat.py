"""Chat panel callbacks: render result tables and finished turns. Streaming itself runs in
assets/chat.js, which fills the two stores below with dash_clientside.set_props."""

from __future__ import annotations

from dash import Input, Output, callback

from layouts import chat, ids


@callback(Output(ids.CHAT_LIVE_GRID, "children"), Input(ids.CHAT_LIVE_RESULT, "data"))
def render_live_grid(table):
    grid = chat.result_grid(table, key="live")
    return [] if grid is None else [grid]


@callback(Output(ids.CHAT_TRANSCRIPT, "children"), Input(ids.CHAT_HISTORY, "data"))
def render_transcript(turns):
    return chat.transcript(turns)
