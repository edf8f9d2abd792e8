"""The analytics view: four warehouse figures, read when the view opens (cached by the facade)."""

from __future__ import annotations

from dash import Input, Output, callback
from dash.exceptions import PreventUpdate

from callbacks.common import provenance_dict, repository
from data.read.models import AnalyticsUnavailable
from layouts import ids
from layouts.analytics import create_analytics_body
from layouts.figures import (
    ami_monthly_figure,
    empty_figure,
    ercot_price_load_figure,
    top_overloaded_figure,
    transformer_heatmap_figure,
)
from layouts.status import create_banner, freshness_text

UNAVAILABLE = "Analytics unavailable: the warehouse did not answer"


@callback(
    Output(ids.ANALYTICS_BODY, "children"),
    Input(ids.VIEW_TABS, "active_tab"),
)
def load_analytics(active_tab):
    if active_tab != "analytics":
        raise PreventUpdate
    repo = repository()
    try:
        ami = repo.ami_monthly_usage()
        heat = repo.transformer_heatmap(days=7, limit=30)
        top = repo.top_overloaded_transformers(days=7, limit=15)
        ercot = repo.ercot_price_vs_load(days=7)
    except AnalyticsUnavailable:
        empty = empty_figure(UNAVAILABLE)
        figures = {g: empty for g in (ids.ANALYTICS_AMI, ids.ANALYTICS_HEATMAP, ids.ANALYTICS_TOP, ids.ANALYTICS_ERCOT)}
        alert = create_banner(postgres_down=False, warehouse_down=True)
        return create_analytics_body(figures, alert=alert, meta="analytics unavailable")
    figures = {
        ids.ANALYTICS_AMI: ami_monthly_figure(ami.data),
        ids.ANALYTICS_HEATMAP: transformer_heatmap_figure(heat.data),
        ids.ANALYTICS_TOP: top_overloaded_figure(top.data),
        ids.ANALYTICS_ERCOT: ercot_price_load_figure(ercot.data),
    }
    return create_analytics_body(figures, alert=[], meta=freshness_text(provenance_dict(heat)))
