"""The analytics view: four warehouse figures. Its body is built by its callback when the view
first opens (plotly.js stays off the start-up path, and the warehouse is not asked until then)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids


def create_analytics_panel() -> html.Div:
    return html.Div(
        dcc.Loading(
            html.Div(html.Div("Loading analytics…", className="text-muted small p-2"), id=ids.ANALYTICS_BODY),
            type="dot",
        ),
        className="p-2",
    )


def _graph(graph_id: str, figure) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False})


def create_analytics_body(figures: dict, *, alert: list, meta: str) -> html.Div:
    """``figures``: AMI, heat map, top overloaded and ERCOT figures keyed by their graph ids."""
    return html.Div(
        [
            html.Div(alert, id=ids.ANALYTICS_ALERT),
            html.Div(meta, id=ids.ANALYTICS_META, className="flux-kpi-meta mb-1"),
            dbc.Row(
                [
                    dbc.Col(_graph(ids.ANALYTICS_AMI, figures[ids.ANALYTICS_AMI]), md=6),
                    dbc.Col(_graph(ids.ANALYTICS_HEATMAP, figures[ids.ANALYTICS_HEATMAP]), md=6),
                ],
                className="g-2",
            ),
            dbc.Row(
                [
                    dbc.Col(_graph(ids.ANALYTICS_TOP, figures[ids.ANALYTICS_TOP]), md=6),
                    dbc.Col(_graph(ids.ANALYTICS_ERCOT, figures[ids.ANALYTICS_ERCOT]), md=6),
                ],
                className="g-2 mt-1",
            ),
        ]
    )
