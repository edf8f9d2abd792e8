"""The KPI header: every value from the facade's kpis() read (never hard-coded), each with its
data age and serving store, refreshed on the page interval. Also the warehouse banner."""

from __future__ import annotations

from datetime import datetime

from dash import Input, Output, callback

from callbacks.common import now, provenance_dict, repository
from data.read.models import AnalyticsUnavailable
from layouts import ids
from layouts.status import STORE_LABELS, create_banner, create_store_badge, data_age_seconds, format_age

# Which timestamp in the kpis row dates each KPI (None: the read's own freshness).
KPI_TIME_FIELD = {"system_load": "ercot_interval", "ercot_price": "ercot_interval", "temperature": "weather_time"}


def _num(value, fmt: str) -> str:
    if value is None:
        return "—"
    return format(value, fmt)


def kpi_values(row: dict) -> dict[str, str]:
    """Display text for each KPI from one kpis row."""
    load, peak, pct = row.get("system_load_mw"), row.get("system_peak_mw"), row.get("system_load_pct_of_peak")
    if load is None:
        system_load = "—"
    else:
        system_load = f"{load / 1000:,.1f}" + ("" if peak is None else f" / {peak / 1000:,.1f}") + " GW"
        if pct is not None:
            system_load += f" · {pct:.0f}%"
    price = row.get("ercot_price_usd_mwh")
    temp = row.get("temp_f")
    return {
        "customers_out": _num(row.get("customers_out"), ","),
        "active_outages": _num(row.get("active_outages"), ","),
        "crews_active": _num(row.get("crews_active"), ","),
        "system_load": system_load,
        "ercot_price": "—" if price is None else f"${price:,.2f}",
        "temperature": "—" if temp is None else f"{temp:.0f} °F",
        **{name: _reliability(row, name, fmt, pair) for name, fmt, pair in
           (("saidi", ",.1f", ",.1f"), ("saifi", ".3f", ".2f"), ("caidi", ",.1f", ",.1f"))},
    }


def _reliability(row: dict, index: str, fmt: str, pair_fmt: str) -> str:
    """IEEE 1366 day to day (major event days left out) with the all-in figure beside it, from
    the interruption history; the 12-month figure from the outage events where there is none."""
    if f"{index}_day_to_day" not in row:
        return _num(row.get(index), fmt)
    return f"{_num(row.get(f'{index}_day_to_day'), pair_fmt)} · {_num(row.get(f'{index}_all_in'), pair_fmt)}"


def kpi_metas(row: dict, provenance: dict, at: datetime) -> dict[str, str]:
    """"Snowflake · 3 min old" for each KPI: its own timestamp where the row has one."""
    store = STORE_LABELS.get(provenance.get("backend"), provenance.get("backend") or "?")
    out = {}
    for name in ids.KPI_NAMES:
        field = KPI_TIME_FIELD.get(name)
        stamp = row.get(field) if field else None
        age = data_age_seconds(stamp if stamp is not None else provenance.get("freshness"), at)
        out[name] = f"{store} · {format_age(age)}"
    return out


def _badge(store: str, up: bool) -> tuple[str, str]:
    badge = create_store_badge(store, up)
    return badge.children, badge.color


_OUTPUTS = (
    [Output(ids.kpi_value(n), "children") for n in ids.KPI_NAMES]
    + [Output(ids.kpi_meta(n), "children") for n in ids.KPI_NAMES]
    + [
        Output(ids.STATUS_UPDATED, "children"),
        Output(ids.STATUS_BANNER_WAREHOUSE, "children"),
        Output(ids.STATUS_STORE_WAREHOUSE, "children"),
        Output(ids.STATUS_STORE_WAREHOUSE, "color"),
    ]
)


def current_kpis(at: datetime) -> tuple[dict[str, str], dict[str, str], bool]:
    """Display values and data-age lines for every KPI, and whether the warehouse answered."""
    try:
        result = repository().kpis()
    except AnalyticsUnavailable:
        return (
            {n: "—" for n in ids.KPI_NAMES},
            {n: "analytics unavailable" for n in ids.KPI_NAMES},
            False,
        )
    return kpi_values(result.data), kpi_metas(result.data, provenance_dict(result), at), True


@callback(*_OUTPUTS, Input(ids.REFRESH, "n_intervals"), Input(ids.LIVE_CHANGE, "data"))
def refresh_kpis(_n, _change):
    at = now()
    values, metas, warehouse_up = current_kpis(at)
    return (
        *[values[n] for n in ids.KPI_NAMES],
        *[metas[n] for n in ids.KPI_NAMES],
        f"{at:%H:%M:%S} UTC",
        [] if warehouse_up else create_banner(postgres_down=False, warehouse_down=True),
        *_badge("snowflake", warehouse_up),
    )
