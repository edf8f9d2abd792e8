"""The whole page. Built once at start-up as a component (never a function: Dash would embed a
function-valued layout a second time as its validation layout)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.analytics import create_analytics_panel
from layouts.chat import create_chat_panel
from layouts.details import create_details_panel
from layouts.header import create_kpi_row, create_navbar
from layouts.live import create_live_stores, create_timeline_panel, create_toast_area
from layouts.grid_map import create_map_panel
from layouts.map_deck import DEFAULT_LAYERS, HOME_VIEW, MapView, create_deck
from layouts.reliability import create_reliability_panel
from layouts.tables import create_tables_panel
from layouts.weather import create_weather_panel

VIEWS = ("operations", "weather", "analytics", "reliability")  # assets/flux_map.js showPane lists them too
VIEW_LABELS = {"operations": "Operations", "weather": "Weather", "analytics": "Analytics", "reliability": "Reliability"}


def create_stores(settings) -> list:
    return [
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        dcc.Interval(id=ids.REFRESH, interval=int(settings.refresh_interval_s * 1000)),
        dcc.Store(id=ids.MAP_VIEW, data=dict(HOME_VIEW)),
        dcc.Store(id=ids.MAP_TARGET, data=None),
        dcc.Store(id=ids.DETAILS_SELECTION, data=None),
        dcc.Store(id=ids.URL_SYNC, data=None),
        dcc.Store(id=ids.MAP_TRACE, data=None),
        *create_live_stores(settings),
    ]


def create_operations_view(settings) -> html.Div:
    # refresh token 0, as the map callback's first answer: the same URLs, so nothing is fetched twice
    deck = create_deck(view=MapView(**HOME_VIEW), basemap_style=settings.basemap_style, refresh_token=0)
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(create_map_panel(deck, basemap_style=settings.basemap_style, visible=DEFAULT_LAYERS), lg=8),
                    dbc.Col([create_details_panel(), create_timeline_panel()], lg=4, className="flux-side"),
                ],
                className="g-2",
            ),
            html.Div(create_tables_panel(), className="mt-2"),
        ],
        className="p-2",
    )


def create_layout(settings) -> html.Div:
    body = [
        *create_stores(settings),
        create_navbar(),
        create_toast_area(),
        html.Div(
            [
                html.Div(id=ids.ERROR_ALERTS),
                html.Div(id=ids.STATUS_BANNER_POSTGRES),
                html.Div(id=ids.STATUS_BANNER_WAREHOUSE),
                create_kpi_row(),
                # Tabs as navigation only; the panes stay mounted (hidden with CSS) so switching
                # views never re-creates the deck.gl canvas and loses the operator's pan and zoom.
                dbc.Tabs(
                    [dbc.Tab(label=VIEW_LABELS[v], tab_id=v) for v in VIEWS],
                    id=ids.VIEW_TABS,
                    active_tab="operations",
                    className="flux-view-tabs mt-2",
                ),
                html.Div(create_operations_view(settings), id=ids.view_pane("operations"), className="flux-pane"),
                html.Div(create_weather_panel(), id=ids.view_pane("weather"), className="flux-pane", hidden=True),
                html.Div(create_analytics_panel(), id=ids.view_pane("analytics"), className="flux-pane", hidden=True),
                html.Div(create_reliability_panel(), id=ids.view_pane("reliability"), className="flux-pane", hidden=True),
            ],
            className="flux-main px-2",
        ),
        dbc.Offcanvas(
            create_chat_panel(), id=ids.CHAT_OFFCANVAS, title="Ask the grid", placement="end", is_open=False, scrollable=True
        ),
    ]
    # data-ag-theme-mode: AG Grid's built-in theme follows it into dark mode.
    return html.Div(body, id="flux-root", className="flux-root", **{"data-ag-theme-mode": "dark"})
