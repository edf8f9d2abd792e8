"""The reliability view: the IEEE 1366 report for the chosen period, read when the view opens or
the period changes (cached by the facade)."""

from __future__ import annotations

from dash import Input, Output, callback, no_update
from dash.exceptions import PreventUpdate

from app.api import RELIABILITY_YEARS
from callbacks.common import provenance_dict, repository
from data.read.models import AnalyticsUnavailable
from layouts import ids
from layouts.figures import empty_figure, reliability_monthly_figure
from layouts.reliability import TRAILING, create_reliability_body, year_options
from layouts.status import create_banner, freshness_text

UNAVAILABLE = "Reliability unavailable: the warehouse did not answer"


def period_year(value) -> int | None:
    """The dropdown's value (from the browser): a year of four digits, or the trailing period."""
    if isinstance(value, str) and len(value) == 4 and value.isascii() and value.isdigit():
        year = int(value)
        return year if RELIABILITY_YEARS[0] <= year <= RELIABILITY_YEARS[1] else None
    return None


@callback(
    Output(ids.RELIABILITY_BODY, "children"),
    Output(ids.RELIABILITY_YEAR, "options"),
    Input(ids.VIEW_TABS, "active_tab"),
    Input(ids.RELIABILITY_YEAR, "value"),
)
def load_reliability(active_tab, year_value):
    if active_tab != "reliability":
        raise PreventUpdate
    year = period_year(year_value)
    try:
        result = repository().reliability_report(year=year)
    except AnalyticsUnavailable:
        alert = create_banner(postgres_down=False, warehouse_down=True)
        return create_reliability_body(None, empty_figure(UNAVAILABLE), year=None, alert=alert,
                                       meta="reliability unavailable"), no_update
    report = result.data
    if report is None:
        return create_reliability_body(None, None, year=None, alert=[], meta=""), no_update
    options = year_options(report["period"]["history_start"], report["period"]["history_end"])
    body = create_reliability_body(report, reliability_monthly_figure(report["monthly"]),
                                   year=str(year) if year else TRAILING, alert=[],
                                   meta=freshness_text(provenance_dict(result)))
    return body, options
