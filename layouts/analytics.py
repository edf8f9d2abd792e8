"""The analytics view: warehouse figures. Loaded when the tab opens, not on every refresh."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.figures import empty_figure


def _graph(graph_id: str) -> dcc.Loading:
    return dcc.Loading(dcc.Graph(id=graph_id, figure=empty_figure("Open this tab to load", height=300), config={"displaylogo": False}), type="dot")


def create_analytics_panel() -> html.Div:
    return html.Div(
        [
            html.Div(id=ids.ANALYTICS_ALERT),
            html.Div("", id=ids.ANALYTICS_META, className="flux-kpi-meta mb-1"),
            dbc.Row([dbc.Col(_graph(ids.ANALYTICS_AMI), md=6), dbc.Col(_graph(ids.ANALYTICS_HEATMAP), md=6)], className="g-2"),
            dbc.Row([dbc.Col(_graph(ids.ANALYTICS_TOP), md=6), dbc.Col(_graph(ids.ANALYTICS_ERCOT), md=6)], className="g-2 mt-1"),
        ],
        className="p-2",
    )
