"""The live console's components: the header indicator, outage toasts, the grid-event timeline.
Pure functions of the shaped status and events (data/read/live.py); nothing here reads data."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from data.read.live import EVENT_LABELS, SIGNALS, delay_s, event_text
from layouts import ids

INDICATOR_COLORS = {"ok": "success", "amber": "warning", "red": "danger"}
SIGNAL_LABELS = {"feed": "feed heartbeat", "pipeline": "pipeline lag", "sync": "cache sync"}
TOAST_MS = 10_000
EVENT_ICONS = {"outage_started": "⚠", "outage_restored": "✓", "crew_dispatched": "→", "crew_arrived": "●"}


def indicator(status: dict) -> tuple[str, str, str]:
    """(text, badge colour, tooltip): green "Live", amber "Delayed N s", red "Stalled"."""
    state = status["state"]
    if state == "ok":
        text = "Live"
    elif state == "amber":
        text = f"Delayed {delay_s(status):.0f} s"
    else:
        text = "Stalled"
    parts = []
    for name in SIGNALS:
        sig = status[name]
        value = sig.get("lag_s") if name == "pipeline" else sig.get("age_s")
        shown = "unknown" if value is None else f"{value:.0f} s"
        line = f"{SIGNAL_LABELS[name]}: {shown} ({sig['state']})"
        if name == "feed" and sig.get("rows_per_s") is not None:
            line += f", {sig['rows_per_s']:,.0f} rows/s"
        if sig.get("reason"):
            line += f": {sig['reason']}"
        parts.append(line)
    return text, INDICATOR_COLORS[state], "\n".join(parts)


def create_indicator() -> dbc.Badge:
    return dbc.Badge("…", id=ids.LIVE_INDICATOR, color="secondary", className="flux-live-indicator me-3", title="live status")


def create_live_stores(settings) -> list:
    return [
        dcc.Interval(id=ids.LIVE_TICK, interval=int(settings.live_poll_s * 1000)),
        dcc.Store(id=ids.LIVE_SNAPSHOT, data=None),
        dcc.Store(id=ids.LIVE_CHANGE, data=0),
        dcc.Store(id=ids.LIVE_MAP_CHANGE, data=0),
        dcc.Store(id=ids.LIVE_TIMELINE_EVENTS, data=[]),
    ]


def create_toast(event: dict) -> dbc.Toast:
    started = event["type"] == "outage_started"
    return dbc.Toast(
        event_text(event),
        header=("New outage " if started else "Outage restored ") + event["id"],
        icon="danger" if started else "success",
        duration=TOAST_MS,
        dismissable=True,
        is_open=True,
        className="flux-live-toast",
    )


def create_toasts(events: list[dict]) -> list[dbc.Toast]:
    return [create_toast(e) for e in events if e["kind"] == "outage"]


def create_toast_area() -> html.Div:
    return html.Div(id=ids.LIVE_TOASTS, className="flux-live-toasts")


def create_timeline_rows(events: list[dict]) -> list:
    rows = []
    for n, event in enumerate(events):
        rows.append(
            html.Button(
                [
                    html.Span(event["at"], className="flux-live-at"),
                    html.Span(EVENT_ICONS.get(event["type"], "·"), className=f"flux-live-icon flux-live-{event['type']}"),
                    html.Span(EVENT_LABELS.get(event["type"], event["type"]), className="flux-live-type"),
                    html.Span(event_text(event), className="flux-live-text"),
                ],
                id={"type": ids.LIVE_TIMELINE_ROW, "kind": event["kind"], "id": event["id"], "n": n},
                className="flux-live-row",
                n_clicks=0,
            )
        )
    return rows or [html.Div("No grid events since this page opened.", className="flux-live-empty")]


def create_timeline_panel() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Grid events"),
            dbc.CardBody(html.Div(create_timeline_rows([]), id=ids.LIVE_TIMELINE, className="flux-live-timeline"),
                         className="p-1"),
        ],
        className="flux-live-panel mt-2",
    )
