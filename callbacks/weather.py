"""The weather panel: hourly temperature against Houston load, and weather events. A real-time
panel: built when its view opens and refreshed on the page interval while it is open."""

from __future__ import annotations

from dash import Input, Output, callback
from dash.exceptions import PreventUpdate

from callbacks.common import provenance_dict, repository
from data.read.models import AnalyticsUnavailable
from layouts import ids
from layouts.figures import empty_figure, weather_figure
from layouts.status import freshness_text
from layouts.weather import create_weather_body


@callback(
    Output(ids.WEATHER_BODY, "children"),
    Input(ids.VIEW_TABS, "active_tab"),
    Input(ids.REFRESH, "n_intervals"),
)
def refresh_weather(active_tab, _n):
    if active_tab != "weather":
        raise PreventUpdate
    repo = repository()
    try:
        hours = repo.weather(hours=48)
        events = repo.weather_events(limit=10)
    except AnalyticsUnavailable:
        figure = empty_figure("Weather unavailable: the warehouse did not answer", height=320)
        return create_weather_body(figure, [], "analytics unavailable")
    return create_weather_body(weather_figure(hours.data), events.data, freshness_text(provenance_dict(hours)))
