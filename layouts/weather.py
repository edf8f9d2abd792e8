"""The weather panel: hourly temperature against system load, and weather events.

The panel's body (with its plotly graph) is built by its callback when the view first opens, so
plotly.js is not loaded, parsed and run while the operations view starts up."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids


def create_weather_panel() -> html.Div:
    return html.Div(
        dcc.Loading(
            html.Div(html.Div("Loading weather…", className="text-muted small p-2"), id=ids.WEATHER_BODY),
            type="dot",
            delay_show=300,
            overlay_style={"visibility": "visible", "opacity": 0.6},
        ),
        className="p-2",
    )


def create_weather_body(figure, events: list[dict], meta: str) -> html.Div:
    return html.Div(
        [
            html.Div(meta, id=ids.WEATHER_META, className="flux-kpi-meta mb-1"),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=ids.WEATHER_GRAPH, figure=figure, config={"displaylogo": False}), md=8),
                    dbc.Col(
                        [html.Div("Weather events", className="flux-section"), create_weather_events(events)],
                        id=ids.WEATHER_EVENTS,
                        md=4,
                    ),
                ]
            ),
        ]
    )


def _day(value) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value or "")[:10]


def create_weather_events(events: list[dict]) -> html.Div:
    if not events:
        return html.Div("No weather events.", className="text-muted small")
    items = [
        html.Li(
            [
                html.Span(e.get("event_name") or e.get("event_type") or "event", className="fw-bold me-2"),
                dbc.Badge(e.get("severity") or "", color="warning", className="me-1"),
                html.Div(
                    f"{e.get('event_type', '')} · {_day(e.get('start_time'))} · {e.get('affected_area') or ''}",
                    className="text-muted",
                ),
                html.Div(
                    f"{e.get('outage_count', 0)} outages · {e.get('customers_affected', 0):,} customers"
                    f" · wind {e.get('max_wind_mph') or '—'} mph",
                    className="text-muted",
                ),
            ],
            className="mb-2",
        )
        for e in events
    ]
    return html.Ul(items, className="flux-events list-unstyled small")
