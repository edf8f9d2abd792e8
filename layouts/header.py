"""The navbar and the KPI header. Values arrive from callbacks; nothing here reads data."""

from __future__ import annotations

from html import escape

import dash_bootstrap_components as dbc
from dash import html

from app.user import user_badge
from layouts import ids
from layouts.live import create_indicator
from layouts.status import create_store_badge

KPI_LABELS = {
    "customers_out": "Customers out",
    "active_outages": "Active outages",
    "crews_active": "Crews in the field",
    "system_load": "System load / peak",
    "ercot_price": "ERCOT price $/MWh",
    "temperature": "Temperature",
    "saidi": "SAIDI min · day-to-day · all-in",
    "saifi": "SAIFI · day-to-day · all-in",
    "caidi": "CAIDI min · day-to-day · all-in",
}


# KPIs whose values need two columns of the header grid.
WIDE_KPIS = ("system_load",)
# KPIs showing two figures (IEEE 1366 day to day · all-in): a smaller value font, same height.
PAIR_KPIS = ("saidi", "saifi", "caidi")


def _card_class(name: str) -> str:
    return "flux-kpi h-100" + (" flux-kpi-wide" if name in WIDE_KPIS else "") + (" flux-kpi-pair" if name in PAIR_KPIS else "")


def create_navbar() -> dbc.Navbar:
    right = [
        create_indicator(),
        html.Span(
            [create_store_badge("postgres", None, ids.STATUS_STORE_POSTGRES), create_store_badge("snowflake", None, ids.STATUS_STORE_WAREHOUSE)],
            className="flux-stores me-3",
        ),
        html.Span(["Updated ", html.Span("—", id=ids.STATUS_UPDATED)], className="flux-updated me-3"),
        html.Span(["User ", user_badge()], className="flux-updated me-3"),
        dbc.Button("Ask the grid", id=ids.CHAT_OPEN, size="sm", color="info", outline=True),
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.Span("⚡", className="me-2"), "Flux Operations Center"], className="flux-brand"
                ),
                html.Div(right, className="d-flex align-items-center"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="flux-navbar py-1",
    )


def create_kpi_card(name: str, value: str = "…", meta: str = "") -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(KPI_LABELS[name], className="flux-kpi-label"),
                html.Div(value, id=ids.kpi_value(name), className="flux-kpi-value"),
                html.Div(meta, id=ids.kpi_meta(name), className="flux-kpi-meta"),
            ],
            className="p-2",
        ),
        className=_card_class(name),
    )


def create_kpi_row(values: dict[str, str] | None = None, metas: dict[str, str] | None = None) -> html.Div:
    """The KPI cards; with values, as served in the page itself so they show with the first paint."""
    values, metas = values or {}, metas or {}
    cards = [create_kpi_card(n, values.get(n, "…"), metas.get(n, "")) for n in ids.KPI_NAMES]
    return html.Div(cards, id=ids.KPI_ROW, className="flux-kpi-row")


def kpi_row_html(values: dict[str, str], metas: dict[str, str]) -> str:
    """The KPI header as static HTML in the page itself, painted while the app's scripts load
    (same classes as the cards, so nothing moves when the app renders over it)."""
    cards = "".join(
        f'<div class="{_card_class(n)} card">'
        f'<div class="p-2 card-body"><div class="flux-kpi-label">{escape(KPI_LABELS[n])}</div>'
        f'<div class="flux-kpi-value">{escape(values[n])}</div>'
        f'<div class="flux-kpi-meta">{escape(metas[n])}</div></div></div>'
        for n in ids.KPI_NAMES
    )
    return f'<div class="flux-kpi-row">{cards}</div>'
