"""Plotly figures for the weather panel, details and analytics. Pure: rows in, figure out."""

from __future__ import annotations

from collections import defaultdict

import plotly.graph_objects as go

PAPER = "#1c1e22"
GRID = "#3a3f44"
TEXT = "#e5e7eb"


def dark_layout(*, title: str = "", height: int = 300) -> dict:
    # template "none": the default template adds ~9 KB of JSON to every figure in the layout.
    return {
        "template": "none",
        "title": {"text": title, "font": {"size": 13}, "x": 0.01},
        "height": height,
        "margin": {"l": 45, "r": 15, "t": 30, "b": 30},
        "paper_bgcolor": PAPER,
        "plot_bgcolor": PAPER,
        "font": {"color": TEXT, "size": 11},
        "xaxis": {"gridcolor": GRID},
        "yaxis": {"gridcolor": GRID},
        "legend": {"orientation": "h", "y": -0.2},
    }


def empty_figure(message: str, *, height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(dark_layout(height=height))
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": message, "showarrow": False, "font": {"size": 13, "color": "#9ca3af"}}],
    )
    return fig


def weather_figure(hours: list[dict]) -> go.Figure:
    """Hourly temperature against system load."""
    if not hours:
        return empty_figure("No weather data")
    x = [h.get("timestamp") for h in hours]
    fig = go.Figure()
    fig.add_scatter(x=x, y=[h.get("temp_f") for h in hours], name="Temperature °F", line={"color": "#f59e0b"})
    if any(h.get("houston_load_mw") is not None for h in hours):
        fig.add_scatter(
            x=x,
            y=[h.get("houston_load_mw") for h in hours],
            name="Houston load MW",
            yaxis="y2",
            line={"color": "#38bdf8"},
        )
    fig.update_layout(dark_layout(title="Temperature vs system load", height=320))
    fig.update_layout(
        yaxis={"title": "°F", "gridcolor": GRID},
        yaxis2={"title": "MW", "overlaying": "y", "side": "right", "showgrid": False},
    )
    return fig


def ami_monthly_figure(rows: list[dict]) -> go.Figure:
    """AMI monthly usage, one line per customer segment when the rows carry one."""
    if not rows:
        return empty_figure("No AMI usage")
    by_segment: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_segment[r.get("customer_segment") or "all"].append(r)
    fig = go.Figure()
    for segment, seg_rows in sorted(by_segment.items()):
        seg_rows.sort(key=lambda r: str(r.get("usage_month")))
        fig.add_bar(
            x=[str(r.get("usage_month")) for r in seg_rows], y=[r.get("total_kwh") for r in seg_rows], name=segment
        )
    fig.update_layout(dark_layout(title="AMI monthly usage (kWh)", height=300), barmode="stack")
    return fig


def transformer_heatmap_figure(rows: list[dict]) -> go.Figure:
    """Transformer loading by hour: rows are (transformer_id, hour, load_factor_pct)."""
    if not rows:
        return empty_figure("No transformer load")
    transformers = sorted({r["transformer_id"] for r in rows})
    hours = sorted({str(r["load_hour"]) for r in rows})
    ti = {t: i for i, t in enumerate(transformers)}
    hi = {h: i for i, h in enumerate(hours)}
    z = [[None] * len(hours) for _ in transformers]
    for r in rows:
        z[ti[r["transformer_id"]]][hi[str(r["load_hour"])]] = r.get("load_factor_pct")
    fig = go.Figure(
        go.Heatmap(z=z, x=hours, y=transformers, colorscale="Turbo", zmin=0, zmax=120, colorbar={"title": "% of rating"})
    )
    fig.update_layout(dark_layout(title="Transformer loading heat map", height=300))
    return fig


def top_overloaded_figure(rows: list[dict]) -> go.Figure:
    if not rows:
        return empty_figure("No overloaded transformers")
    rows = sorted(rows, key=lambda r: r.get("peak_load_factor_pct") or 0)
    fig = go.Figure(
        go.Bar(
            x=[r.get("peak_load_factor_pct") for r in rows],
            y=[r.get("transformer_id") for r in rows],
            orientation="h",
            marker={"color": "#ef4444"},
        )
    )
    fig.update_layout(dark_layout(title="Top overloaded transformers (peak % of rating)", height=300))
    return fig


def ercot_price_load_figure(rows: list[dict]) -> go.Figure:
    if not rows:
        return empty_figure("No ERCOT data")
    fig = go.Figure(
        go.Scattergl(
            x=[r.get("system_load_mw") for r in rows],
            y=[r.get("lmp_usd_mwh") for r in rows],
            mode="markers",
            marker={"size": 4, "color": "#a855f7", "opacity": 0.6},
        )
    )
    fig.update_layout(dark_layout(title="ERCOT price vs system load", height=300))
    fig.update_layout(xaxis_title="Load MW", yaxis_title="$/MWh")
    return fig


def reliability_monthly_figure(months: list[dict]) -> go.Figure:
    """Monthly SAIDI, all days beside day to day (major event days left out)."""
    if not months:
        return empty_figure("No interruption history for this period")
    x = [m["month"] for m in months]
    fig = go.Figure()
    fig.add_bar(x=x, y=[m["all"]["saidi"] for m in months], name="SAIDI all days", marker_color="#f59e0b")
    fig.add_bar(x=x, y=[m["excluding_med"]["saidi"] for m in months], name="SAIDI day to day", marker_color="#38bdf8")
    fig.update_layout(dark_layout(title="Monthly SAIDI (minutes): all days and without major event days"), barmode="group")
    return fig
