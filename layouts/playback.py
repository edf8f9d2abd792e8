"""Storm playback: a storm picker, play/pause, speed, a frame slider, the outages under way on a
map and the customers-out curve with a cursor at the frame. Values arrive from callbacks."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layouts import ids
from layouts.figures import dark_layout, empty_figure

SPEEDS = (1, 4, 16)  # frames per tick
TICK_MS = 1000
# Houston metro, as the main map frames it
LON_RANGE, LAT_RANGE = (-96.0, -94.9), (29.35, 30.25)


def create_playback_panel() -> html.Div:
    controls = html.Div(
        [
            html.Span("Storm playback", className="flux-kpi-label me-2"),
            dcc.Dropdown(id=ids.PLAYBACK_STORM, options=[], value=None, clearable=False, placeholder="Storm…",
                         style={"width": "360px", "color": "#111"}),
            dbc.Button("Play", id=ids.PLAYBACK_PLAY, size="sm", color="info", outline=True, className="ms-2"),
            dcc.Dropdown(id=ids.PLAYBACK_SPEED, options=[{"label": f"{s}×", "value": s} for s in SPEEDS], value=SPEEDS[0],
                         clearable=False, style={"width": "80px", "color": "#111"}, className="ms-2"),
            html.Span("", id=ids.PLAYBACK_LABEL, className="flux-kpi-meta ms-3"),
        ],
        className="d-flex align-items-center mb-1",
    )
    return html.Div(
        [
            controls,
            dcc.Slider(id=ids.PLAYBACK_SLIDER, min=0, max=0, step=1, value=0, marks=None, updatemode="drag",
                       tooltip={"always_visible": False}),
            dcc.Interval(id=ids.PLAYBACK_TICK, interval=TICK_MS, disabled=True),
            dcc.Store(id=ids.PLAYBACK_TIMELINE, data=None),
            dcc.Store(id=ids.PLAYBACK_URL_SYNC, data=None),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=ids.PLAYBACK_MAP, figure=empty_figure("Choose a storm", height=380),
                                      config={"displaylogo": False}), md=5),
                    dbc.Col(dcc.Graph(id=ids.PLAYBACK_CURVE, figure=empty_figure("Choose a storm", height=380),
                                      config={"displaylogo": False}), md=7),
                ],
                className="g-2",
            ),
        ],
        className="mt-3",
    )


def storm_label(s: dict) -> str:
    return f"{s['storm_id']} · {s['storm_type'].replace('_', ' ')} · {s['first_day']} · {s['customers_interrupted']:,} customers"


def frame_label(frame: dict) -> str:
    return (f"{frame['at'][:16].replace('T', ' ')} UTC · {frame['customers_out']:,} customers out · "
            f"{frame['outages_out']:,} outages · {frame['restored_per_hour']:,} restored in the last hour · "
            f"{frame['crews_at_work']:,} of {frame['crew_roster']:,} crews at work"
            + (f" ({frame['crews_needed'] - frame['crews_at_work']:,} outages waiting)"
               if frame["crews_needed"] > frame["crews_at_work"] else ""))


def map_figure(frame: dict, substations: list[dict]) -> go.Figure:
    """The interruptions under way at the frame, sized by customers, over the substations."""
    fig = go.Figure()
    fig.add_scattergl(x=[s["longitude"] for s in substations], y=[s["latitude"] for s in substations], mode="markers",
                      marker={"size": 4, "color": "#6b7280"}, name="substations", hoverinfo="skip")
    out = frame["outages"]
    fig.add_scattergl(
        x=[o["longitude"] for o in out], y=[o["latitude"] for o in out], mode="markers", name="outages",
        marker={"size": [min(4 + o["customers"] ** 0.5, 30) for o in out], "color": "#ef4444", "opacity": 0.7},
        text=[f"{o['interruption_id']} · {o['customers']} customers · {o['circuit_id']}" for o in out],
        hoverinfo="text",
    )
    layout = dark_layout(title=f"Outages under way · {frame['at'][:16].replace('T', ' ')} UTC", height=380)
    layout["xaxis"] = {"range": list(LON_RANGE), "gridcolor": "#3a3f44", "visible": False}
    # a degree of latitude is ~1.15 of longitude here: keep the map's shape
    layout["yaxis"] = {"range": list(LAT_RANGE), "gridcolor": "#3a3f44", "visible": False, "scaleanchor": "x",
                       "scaleratio": 1.15}
    layout["showlegend"] = False
    layout["uirevision"] = frame["storm_id"]  # keep the operator's zoom while frames change
    fig.update_layout(layout)
    return fig


def curve_figure(timeline: dict, frame: int) -> go.Figure:
    """Customers out over the storm, the restoration rate, the crews at work, and a cursor at the frame."""
    times = timeline["times"]
    at = times[min(max(frame, 0), len(times) - 1)]
    fig = go.Figure()
    fig.add_scatter(x=times, y=timeline["customers_out"], mode="lines", name="customers out",
                    line={"color": "#f59e0b"})
    fig.add_scatter(x=times, y=timeline["restored_per_hour"], mode="lines", name="restored per hour",
                    line={"color": "#22c55e", "width": 1})
    # crews are tens where customers are thousands: their own axis on the right
    fig.add_scatter(x=times, y=timeline["crews_at_work"], mode="lines", name="crews at work", yaxis="y2",
                    line={"color": "#38bdf8", "width": 1, "shape": "hv"})
    layout = dark_layout(title=f"{timeline['storm']['storm_id']}: customers out over time", height=380)
    layout["shapes"] = [{"type": "line", "xref": "x", "yref": "paper", "x0": at, "x1": at, "y0": 0, "y1": 1,
                         "line": {"color": "#e5e7eb", "width": 2, "dash": "dot"}, "name": "cursor"}]
    layout["yaxis2"] = {"overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
                        "title": {"text": f"crews (roster {timeline['crew_roster']})"}}
    layout["uirevision"] = timeline["storm"]["storm_id"]
    fig.update_layout(layout)
    return fig
