"""The details panel for a clicked substation, feeder or outage. Pure builders from facade rows."""

from __future__ import annotations

from typing import Any, Iterable

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layouts import ids
from layouts.figures import dark_layout
from layouts.status import freshness_text

KIND_LABELS = {"substation": "Substation", "feeder": "Feeder", "outage": "Outage", "work_order": "Work order"}


def create_details_panel() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Details", id=ids.DETAILS_TITLE, className="fw-bold"),
                    dbc.Button("×", id=ids.DETAILS_CLOSE, size="sm", color="link", className="float-end p-0"),
                ]
            ),
            dbc.CardBody(
                dcc.Loading(
                    html.Div(create_details_placeholder(), id=ids.DETAILS_BODY),
                    type="dot",
                    delay_show=300,
                    # a refresh keeps the current details readable under the spinner
                    overlay_style={"visibility": "visible", "opacity": 0.6},
                ),
                className="flux-details-body",
            ),
        ],
        className="flux-details h-100",
    )


def create_details_placeholder() -> html.Div:
    return html.Div(
        "Click a substation, feeder or outage on the map, or a row in the tables below.",
        className="text-muted small",
    )


def _facts(pairs: Iterable[tuple[str, Any]]) -> html.Table:
    rows = [html.Tr([html.Th(k), html.Td("—" if v is None else v)]) for k, v in pairs]
    return html.Table(html.Tbody(rows), className="flux-facts table table-sm mb-2")


def create_load_curve(points: list[dict] | None, *, title: str = "Load, last 24 h") -> html.Div | dcc.Graph:
    """Hourly load (warehouse). None: the warehouse did not answer."""
    if points is None:
        return html.Div("Load curve unavailable: the warehouse did not answer.", className="text-muted small mb-2")
    if not points:
        return html.Div("No load history.", className="text-muted small mb-2")
    x = [p.get("load_hour") for p in points]
    y = [None if p.get("load_kw") is None else p["load_kw"] / 1000 for p in points]
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", line={"color": "#38bdf8", "width": 2}, name="MW"))
    fig.update_layout(dark_layout(title=title, height=170), yaxis_title="MW", showlegend=False)
    return dcc.Graph(figure=fig, config={"displayModeBar": False}, className="flux-details-graph")


def _small_table(rows: list[dict], columns: list[tuple[str, str]], empty: str, limit: int = 12) -> html.Div:
    if not rows:
        return html.Div(empty, className="text-muted small mb-2")
    head = html.Thead(html.Tr([html.Th(label) for _k, label in columns]))
    body = html.Tbody([html.Tr([html.Td(_cell(r.get(k))) for k, _l in columns]) for r in rows[:limit]])
    more = [html.Div(f"… and {len(rows) - limit} more", className="text-muted small")] if len(rows) > limit else []
    return html.Div([html.Table([head, body], className="table table-sm flux-mini-table mb-1"), *more], className="mb-2")


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="minutes") if hasattr(value, "hour") else value.isoformat()
    return value


def _item_facts(kind: str, item: dict, data: dict) -> tuple[str, list[tuple[str, Any]]]:
    if kind == "substation":
        return f"{item.get('substation_name')} ({item.get('substation_id')})", [
            ("Capacity", f"{item.get('capacity_mva')} MVA"),
            ("Voltage", item.get("voltage_level")),
            ("Status", item.get("operational_status")),
            ("City", item.get("city")),
            ("Customers affected", f"{data.get('customers_affected', 0):,}"),
        ]
    if kind == "outage":
        return f"Outage {item.get('outage_id')}", [
            ("Cause", item.get("cause")),
            ("Severity / priority", f"{item.get('severity')} / {item.get('priority')}"),
            ("Restoration", item.get("restoration_status")),
            ("Customers affected", f"{data.get('customers_affected', 0):,}"),
            ("Circuit", item.get("circuit_id")),
            ("Started", _cell(item.get("start_time"))),
            ("ETR", _cell(item.get("estimated_restoration_time"))),
            ("Crews", item.get("assigned_crew_count")),
        ]
    return f"Feeder {item.get('segment_id')}", [
        ("Circuit", item.get("circuit_id")),
        ("Substation", item.get("substation_id")),
        ("Load", f"{item.get('load_percent', 0):.1f} %"),
        ("Conductor", item.get("conductor")),
        ("Rated", f"{item.get('rated_amps')} A at {item.get('voltage_kv')} kV"),
        ("Customers affected", f"{data.get('customers_affected', 0):,}"),
    ]


def create_trace(trace: dict | None) -> list:
    """The feeder's network trace: up the topology to the substation, down to transformers."""
    if trace is None:
        return [html.Div("Network trace unavailable.", className="text-muted small mb-2")]
    sub = trace.get("substation") or {}
    upstream = trace.get("upstream") or []
    return [
        html.Div("Network trace", className="flux-section"),
        _facts(
            [
                ("Substation", f"{sub.get('substation_name', '')} ({sub.get('substation_id', '?')})"),
                ("Circuit head", trace.get("head_segment_id")),
                ("Upstream segments", max(len(upstream) - 1, 0)),
                ("Downstream segments", trace.get("downstream_segment_count")),
                ("Downstream transformers", trace.get("transformer_count")),
                ("Downstream customers", f"{trace.get('customer_count', 0):,}"),
            ]
        ),
    ]


def create_details(kind: str, data: dict | None, provenance: dict | None, trace: dict | None = None) -> html.Div:
    """The panel body for what the facade's details() (and, for a feeder, network_trace()) returned."""
    if data is None:
        return html.Div(f"{KIND_LABELS.get(kind, kind)} not found.", className="text-warning small")
    title, facts = _item_facts(kind, data.get("item") or {}, data)
    children: list = [html.H6(title, className="mb-2 flux-details-heading"), _facts(facts)]
    children.append(create_load_curve(data.get("load_curve")))
    if kind == "feeder":
        children += create_trace(trace)
    children += [
        html.Div("Circuits and feeders", className="flux-section"),
        _small_table(
            data.get("circuits") or [],
            [("circuit_id", "Circuit"), ("load_percent", "Load %"), ("customers_served", "Customers"), ("customers_out", "Out"), ("status", "Status")],
            "No circuits.",
        ),
        html.Div("Open work orders", className="flux-section"),
        _small_table(
            data.get("work_orders") or [],
            [("work_order_id", "Work order"), ("work_type", "Type"), ("priority", "Priority"), ("status", "Status")],
            "No open work orders.",
        ),
        html.Div(freshness_text(provenance), className="flux-kpi-meta mt-2 flux-details-freshness"),
    ]
    return html.Div(children, className=f"flux-details-{kind}")


def trace_paths(trace: dict | None) -> dict | None:
    """The trace's geometry for the map's highlight layer (upstream and downstream paths)."""
    if not trace:
        return None
    paths = [{"path": r["path"]} for r in (trace.get("upstream") or []) + (trace.get("downstream") or []) if r.get("path")]
    return {"paths": paths} if paths else None
