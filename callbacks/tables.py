"""Outage and work-order tables, refreshed on the page interval, plus the Postgres banner:
both reads are operational, so their provenance says whether Postgres answered."""

from __future__ import annotations

from dash import Input, Output, callback, no_update

from callbacks.common import provenance_dict, repository, served_by_fallback
from data.read.models import ReadTimedOut, StoreUnavailable
from layouts import ids
from layouts.status import create_banner, create_store_badge, freshness_text


def _rows(rows: list[dict]) -> list[dict]:
    """JSON-safe rows for AG Grid (datetimes as ISO text, which sorts correctly)."""
    out = []
    for row in rows:
        out.append({k: (v.isoformat(timespec="minutes") if hasattr(v, "isoformat") else v) for k, v in row.items()})
    return out


@callback(
    Output(ids.OUTAGE_GRID, "rowData"),
    Output(ids.OUTAGE_META, "children"),
    Output(ids.WORK_ORDER_GRID, "rowData"),
    Output(ids.WORK_ORDER_META, "children"),
    Output(ids.STATUS_BANNER_POSTGRES, "children"),
    Output(ids.STATUS_STORE_POSTGRES, "children"),
    Output(ids.STATUS_STORE_POSTGRES, "color"),
    Input(ids.REFRESH, "n_intervals"),
    Input(ids.LIVE_CHANGE, "data"),
)
def refresh_tables(_n, _change):
    repo = repository()
    try:
        outages = repo.active_outages()
        work_orders = repo.active_work_orders()
    except ReadTimedOut:
        # Postgres is up (the breaker stays closed): keep the rows shown, say why they are not new
        slow = "the query took too long; retrying"
        return no_update, slow, no_update, slow, no_update, no_update, no_update
    except StoreUnavailable:
        badge = create_store_badge("postgres", False)
        banner = create_banner(postgres_down=True, warehouse_down=True)
        return no_update, "no store answered", no_update, "no store answered", banner, badge.children, badge.color
    postgres_down = served_by_fallback(outages, work_orders)
    badge = create_store_badge("postgres", not postgres_down)
    return (
        _rows(outages.data),
        f"{len(outages.data)} active outages · {freshness_text(provenance_dict(outages))}",
        _rows(work_orders.data),
        f"{len(work_orders.data)} open work orders · {freshness_text(provenance_dict(work_orders))}",
        create_banner(postgres_down=postgres_down, warehouse_down=False),
        badge.children,
        badge.color,
    )


@callback(Output(ids.OUTAGE_GRID, "exportDataAsCsv"), Input(ids.OUTAGE_EXPORT, "n_clicks"), prevent_initial_call=True)
def export_outages(_n):
    return True


@callback(Output(ids.WORK_ORDER_GRID, "exportDataAsCsv"), Input(ids.WORK_ORDER_EXPORT, "n_clicks"), prevent_initial_call=True)
def export_work_orders(_n):
    return True
