"""Dashboard unit tier: layouts and callback helpers as plain function calls (no browser)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import plotly
import pytest

from callbacks.kpis import kpi_metas, kpi_values
from callbacks.navigation import feeder_segment_id, selection_from_click, target_for_row
from callbacks.url_state import parse_url_state
from layouts import ids
from layouts.details import create_details, trace_paths
from layouts.map_deck import (
    API_ASSETS,
    API_FEEDERS,
    ASSET_ZOOM,
    DETAIL_ZOOM,
    FEEDER_LINES_LAYER,
    FULL_ZOOM,
    HOME_VIEW,
    TOOLTIP_HTML,
    MapView,
    create_deck,
    loading_band_color,
    loading_color_expression,
)
from layouts.status import data_age_seconds, format_age, freshness_text

ROOT = Path(__file__).resolve().parents[2]
RED, ORANGE, AMBER, YELLOW, GREEN = (239, 68, 68), (249, 115, 22), (245, 158, 11), (234, 179, 8), (34, 197, 94)


def _layers(deck: dict) -> dict:
    return {layer["id"]: layer for layer in deck["layers"]}


def test_dshu001_loading_bands_match_the_original():
    assert loading_band_color(95) == RED
    assert loading_band_color(90.01) == RED
    assert loading_band_color(90) == ORANGE
    assert loading_band_color(80.5) == ORANGE
    assert loading_band_color(75) == AMBER
    assert loading_band_color(61) == YELLOW
    assert loading_band_color(60) == GREEN
    assert loading_band_color(None) == GREEN
    expr = loading_color_expression()
    # the browser-side expression tests the same thresholds, most severe first
    assert [expr.index(f"> {t}") for t in (90, 80, 70, 60)] == sorted(expr.index(f"> {t}") for t in (90, 80, 70, 60))
    assert str(list(RED)) in expr and str(list(GREEN)) in expr


def test_dshu002_offline_deck_has_no_basemap_and_carto_when_configured():
    offline = create_deck(view=MapView(**HOME_VIEW))
    text = json.dumps(offline)
    assert "mapStyle" not in text and "mapProvider" not in text and "http" not in text
    carto = "https://basemaps.cartocdn.com/gl/dark-matter-gl-style/style.json"
    online = create_deck(view=MapView(**HOME_VIEW), basemap_style=carto)
    assert online["mapStyle"] == carto


def test_dshu003_level_of_detail_and_viewport_urls():
    decks = [_layers(create_deck(view=MapView(-95.4, 29.7, z))) for z in (7, 9, DETAIL_ZOOM - 0.1)]
    overview = [d[FEEDER_LINES_LAYER]["data"] for d in decks]
    # one cached URL for every overview zoom: panning at overview never re-fetches feeders
    assert len(set(overview)) == 1 and overview[0].startswith(API_FEEDERS) and "bbox" not in overview[0]
    # the overview is drawn as straight lines (the cheapest shader to compile), detail as paths;
    # the two never share a layer id, so deck.gl never hands one type's state to the other
    assert overview[0].endswith("form=lines") and all(d[FEEDER_LINES_LAYER]["@@type"] == "LineLayer" for d in decks)
    assert all("feeders" not in d for d in decks)
    # simplified segments (two points each) are lines too, in the same layer; full geometry is paths
    simplified = _layers(create_deck(view=MapView(-95.4, 29.7, FULL_ZOOM - 0.5, (-95.5, 29.6, -95.3, 29.8))))
    assert simplified[FEEDER_LINES_LAYER]["@@type"] == "LineLayer" and "zoom=12" in simplified[FEEDER_LINES_LAYER]["data"]
    detail = _layers(create_deck(view=MapView(-95.4, 29.7, 13.5, (-95.44, 29.66, -95.36, 29.74))))
    assert detail["feeders"]["@@type"] == "PathLayer" and FEEDER_LINES_LAYER not in detail
    assert "bbox=" in detail["feeders"]["data"] and "zoom=13" in detail["feeders"]["data"] and "form" not in detail["feeders"]["data"]
    # small pans inside the snapped grid share one URL
    nudged = _layers(create_deck(view=MapView(-95.401, 29.701, 13.5, (-95.441, 29.661, -95.361, 29.741))))
    assert nudged["feeders"]["data"] == detail["feeders"]["data"]
    # assets only when zoomed in, loaded for the viewport
    assert detail["assets"]["visible"] is False and detail["assets"]["data"] == []
    close = _layers(create_deck(view=MapView(-95.4, 29.7, ASSET_ZOOM + 0.5, (-95.41, 29.69, -95.39, 29.71))))
    assert close["assets"]["data"].startswith(API_ASSETS + "?bbox=") and close["assets"]["visible"] is True


def test_dshu004_refresh_token_changes_live_layers_but_never_the_feeder_url():
    a = _layers(create_deck(view=MapView(**HOME_VIEW), refresh_token=1))
    b = _layers(create_deck(view=MapView(**HOME_VIEW), refresh_token=2))
    assert a[FEEDER_LINES_LAYER]["data"] == b[FEEDER_LINES_LAYER]["data"]
    for live in ("outages", "work_orders", "crews", "substations"):
        assert a[live]["data"] != b[live]["data"]
        # the token rides in the fragment: the API rejects unknown query parameters
        assert a[live]["data"].endswith("#t=1") and a[live]["data"].split("#")[0].endswith(".json")


def test_dshu005_toggles_hide_layers_and_units_are_plain_strings():
    deck = create_deck(view=MapView(**HOME_VIEW), visible=["feeders"])
    layers = _layers(deck)
    assert layers[FEEDER_LINES_LAYER]["visible"] is True
    assert layers["outages"]["visible"] is False and layers["substations"]["visible"] is False
    assert layers[FEEDER_LINES_LAYER]["widthUnits"] == "pixels" and layers["outages"]["radiusUnits"] == "meters"
    # deck.gl's JSON expressions have no functions such as sqrt (the whole deck fails to convert)
    assert "sqrt" not in json.dumps(deck)


def test_dshu006_tooltip_template_names_each_field_once():
    for field in ("substation_name", "outage_id", "load_percent", "affected_customers_count", "crew_name"):
        assert TOOLTIP_HTML.count("{" + field + "}") == 1


def test_dshu007_url_state_parses_and_rejects_bad_input():
    state = parse_url_state("?view=analytics&lon=-95.4&lat=29.7&z=12.5&sel=feeder:SUB-001-C03-S0042")
    assert state == {
        "view": "analytics",
        "target": {"longitude": -95.4, "latitude": 29.7, "zoom": 12.5},
        "selection": {"kind": "feeder", "id": "SUB-001-C03-S0042"},
    }
    bad = parse_url_state("?view=admin&lon=nan&lat=29&z=99&sel=feeder:<script>")
    assert bad == {"view": None, "target": None, "selection": None}
    assert parse_url_state("?lon=-95.4&lat=29.7&z=99")["target"]["zoom"] == 18.0
    assert parse_url_state("?lon=10&lat=29.7")["target"] is None  # not Houston
    assert parse_url_state(None) == {"view": None, "target": None, "selection": None}


def test_dshu008_map_clicks_become_selections():
    sub = {"object": {"substation_id": "SUB-004", "substation_name": "Bellaire"}, "layer": "ScatterplotLayer({id: 'substations'})"}
    assert selection_from_click(sub) == {"kind": "substation", "id": "SUB-004"}
    out = {"object": {"outage_id": "OUT-9", "circuit_id": "SUB-004-C01"}, "layer": "ScatterplotLayer({id: 'outages'})"}
    assert selection_from_click(out) == {"kind": "outage", "id": "OUT-9"}
    seg = {"object": {"id": "SUB-004-C01-S0007", "circuit_id": "SUB-004-C01", "path": []}, "layer": "PathLayer({id: 'feeders'})"}
    assert selection_from_click(seg) == {"kind": "feeder", "id": "SUB-004-C01-S0007"}
    # an overview line stands for its whole circuit: trace it from its head segment
    line = {"object": {"id": "SUB-004-C01", "circuit_id": "SUB-004-C01", "source": [-95.4, 29.7], "target": [-95.41, 29.7]},
            "layer": "LineLayer({id: 'feeders_lines'})"}
    assert selection_from_click(line) == {"kind": "feeder", "id": "SUB-004-C01-S0001"}
    # an overview path is a whole circuit: trace it from its head segment
    assert feeder_segment_id({"id": "SUB-004-C01", "circuit_id": "SUB-004-C01"}) == "SUB-004-C01-S0001"
    wo = {"object": {"work_order_id": "WO-1", "substation_id": "SUB-002", "outage_id": None}, "layer": "ScatterplotLayer({id: 'work_orders'})"}
    assert selection_from_click(wo) == {"kind": "substation", "id": "SUB-002"}
    assert selection_from_click({"object": None, "coordinate": [-95, 29]}) is None
    assert selection_from_click(None) is None


def test_dshu009_row_click_target_moves_even_when_clicked_twice():
    row = {"longitude": -95.4, "latitude": 29.7}
    first, second = target_for_row(row, 1), target_for_row(row, 2)
    assert first != second and abs(first["longitude"] - second["longitude"]) < 1e-6
    assert target_for_row({"longitude": None, "latitude": 29.7}, 1) is None


def test_dshu010_kpis_render_from_the_read_with_age_and_store():
    row = {
        "customers_out": 1234,
        "active_outages": 7,
        "crews_active": 5,
        "system_load_mw": 15000.0,
        "system_peak_mw": 20000.0,
        "system_load_pct_of_peak": 75.0,
        "ercot_price_usd_mwh": 42.5,
        "temp_f": 97.2,
        "saidi": 120.44,
        "saifi": 1.2345,
        "caidi": 97.6,
        "ercot_interval": "2026-07-15T13:55:00+00:00",
        "weather_time": "2026-07-15T13:00:00+00:00",
    }
    values = kpi_values(row)
    assert values["customers_out"] == "1,234" and values["active_outages"] == "7"
    assert values["system_load"] == "15.0 / 20.0 GW · 75%"
    assert values["ercot_price"] == "$42.50" and values["temperature"] == "97 °F"
    assert (values["saidi"], values["saifi"], values["caidi"]) == ("120.4", "1.234", "97.6")
    at = datetime(2026, 7, 15, 14, 0, tzinfo=timezone.utc)
    metas = kpi_metas(row, {"backend": "snowflake", "freshness": "2026-07-15T13:59:30+00:00"}, at)
    assert metas["customers_out"] == "Snowflake · 30 s old"
    assert metas["ercot_price"] == "Snowflake · 5 min old" and metas["temperature"] == "Snowflake · 60 min old"
    assert set(metas) == set(ids.KPI_NAMES)
    assert set(kpi_values({}).values()) == {"—"}


def test_dshu011_data_age_text():
    now = datetime(2026, 7, 15, 14, 0, tzinfo=timezone.utc)
    assert format_age(5) == "5 s old" and format_age(600) == "10 min old" and format_age(7200) == "2.0 h old"
    assert data_age_seconds(datetime(1970, 1, 1, tzinfo=timezone.utc), now) is None
    assert data_age_seconds(now - timedelta(seconds=42), now) == 42
    assert freshness_text({"backend": "postgres", "freshness": now - timedelta(minutes=3)}, now) == "Postgres · 3 min old"
    assert freshness_text(None) == ""


def test_dshu012_details_panel_from_facade_shapes():
    data = {
        "kind": "segment",
        "item": {"segment_id": "S1", "circuit_id": "C1", "substation_id": "SUB-1", "load_percent": 71.0},
        "circuits": [{"circuit_id": "C1", "load_percent": 71.0, "customers_served": 900, "customers_out": 12, "status": "warning"}],
        "work_orders": [{"work_order_id": "WO-7", "work_type": "repair", "priority": "high", "status": "open"}],
        "customers_affected": 12,
        "load_curve": None,
    }
    trace = {
        "substation": {"substation_id": "SUB-1", "substation_name": "Alpha"},
        "head_segment_id": "C1-S0001",
        "upstream": [{"segment_id": "C1-S0001", "path": [[0, 0], [1, 1]]}, {"segment_id": "S1", "path": [[1, 1], [2, 2]]}],
        "downstream": [{"segment_id": "S1", "path": [[1, 1], [2, 2]]}],
        "downstream_segment_count": 1,
        "transformer_count": 4,
        "customer_count": 37,
    }
    body = create_details("feeder", data, {"backend": "postgres", "freshness": datetime.now(timezone.utc)}, trace)
    text = json.dumps(body.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)
    for expected in ("WO-7", "Network trace", "C1-S0001", "Alpha", "37", "warehouse did not answer", "Postgres ·"):
        assert expected in text
    assert len(trace_paths(trace)["paths"]) == 3
    assert "not found" in json.dumps(create_details("outage", None, None).to_plotly_json())


def test_dshu013_layout_is_a_small_component_with_local_assets_only(test_settings):
    from layouts.root import create_layout

    layout = create_layout(test_settings)
    size = len(json.dumps(layout.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder))
    assert size < 100_000
    text = json.dumps(layout.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
    assert "cdn" not in text.lower()
    for css in (ROOT / "assets").rglob("*.css"):
        body = css.read_text()
        assert "@import" not in body and "url(http" not in body, css
    for js in (ROOT / "assets").rglob("*.js"):
        assert js.stat().st_size < 50_000, js  # Dash loads every .js in assets/: keep bundles out


def test_dshu014_every_app_the_factory_builds_gets_every_callback(test_settings):
    from app import create_app

    counts = []
    for _ in range(2):
        app = create_app(test_settings)
        app._setup_server()
        counts.append(len(app.callback_map))
    assert counts[0] == counts[1] and counts[0] >= 12
    outputs = " ".join(app.callback_map)
    assert ids.kpi_value("saidi") in outputs and ids.MAP_DECK in outputs and ids.OUTAGE_GRID in outputs


class FakeRecordingRepository:
    """A fake for the unit tier: records every read asked of it and answers none."""

    def __init__(self):
        self.calls: list[str] = []

    def __getattr__(self, name):
        def read(*args, **kwargs):
            self.calls.append(name)
            raise AssertionError(f"the repository was asked for {name}")

        return read


def _post_details_selection(client, app, selection) -> dict:
    output = next(key for key in app.callback_map if f"{ids.DETAILS_BODY}.children" in key)
    payload = {
        "output": output,
        "outputs": [{"id": ids.DETAILS_BODY, "property": "children"}, {"id": ids.DETAILS_TITLE, "property": "children"},
                    {"id": ids.MAP_TRACE, "property": "data"}],
        "inputs": [{"id": ids.DETAILS_SELECTION, "property": "data", "value": selection},
                   {"id": ids.REFRESH, "property": "n_intervals", "value": 3},
                   {"id": ids.LIVE_CHANGE, "property": "data", "value": 0}],
        "state": [{"id": ids.MAP_TRACE, "property": "data", "value": None}],
        "changedPropIds": [f"{ids.DETAILS_SELECTION}.data"],
    }
    resp = client.post("/_dash-update-component", json=payload)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_json()["response"]


def test_dshu015_a_bad_selection_shows_a_clear_alert_and_never_reaches_the_stores(test_settings):
    """The selection store is the browser's: whatever is posted to it (an integer or dict id, a NUL,
    SQL, an unknown kind) is checked with the API's id rule before any read, and the operator sees
    why, not "neither Postgres nor Snowflake answered"."""
    from app import create_app
    from callbacks.common import REPOSITORY_KEY

    app = create_app(test_settings)
    app._setup_server()
    real = app.server.extensions[REPOSITORY_KEY]
    fake = app.server.extensions[REPOSITORY_KEY] = FakeRecordingRepository()
    client = app.server.test_client()
    try:
        bad = [
            {"kind": "substation", "id": 7},
            {"kind": "feeder", "id": {"$ne": None}},
            {"kind": "outage", "id": ["OUT-1"]},
            {"kind": "substation", "id": "SUB-001\u0000"},
            {"kind": "substation", "id": "SUB-001'; DROP TABLE flux.crews; --"},
            {"kind": "feeder", "id": "S" * 65},
            {"kind": "feeder", "id": "SUB-001\n"},
            {"kind": "substation"},
            {"kind": "work_order", "id": "WO-1"},
            {"kind": {"a": 1}, "id": "SUB-001"},
            ["substation", "SUB-001"],
            "SUB-001",
            12,
        ]
        for selection in bad:
            response = _post_details_selection(client, app, selection)
            text = json.dumps(response)
            assert "That selection cannot be shown" in text, (selection, text[:300])
            assert "neither Postgres nor Snowflake" not in text and "Something went wrong" not in text
        assert fake.calls == []
        # nothing selected is still the placeholder, without an alert
        for empty in (None, {}, ""):
            assert "That selection cannot be shown" not in json.dumps(_post_details_selection(client, app, empty))
        assert fake.calls == []
    finally:
        real.close()


def test_dshu016_clicks_rows_and_links_from_the_browser_are_checked():
    """Map clicks, grid rows and ?sel= links carry whatever the browser sends."""
    assert parse_url_state("?sel=substation:SUB-001\n")["selection"] is None
    assert parse_url_state("?sel=substation:\u0661\u0662")["selection"] is None  # Arabic-Indic digits
    assert parse_url_state("?sel=feeder:SUB-001_C03")["selection"] == {"kind": "feeder", "id": "SUB-001_C03"}
    assert selection_from_click({"object": ["SUB-001"], "layer": "x"}) is None
    assert selection_from_click("SUB-001") is None
    assert selection_from_click({"object": {"outage_id": 7}, "layer": "ScatterplotLayer({id: 'outages'})"}) == {"kind": "outage", "id": 7}
    assert target_for_row({"longitude": "nan", "latitude": 29.7}, 1) is None
    assert target_for_row({"longitude": {"x": 1}, "latitude": 29.7}, 1) is None
    assert target_for_row({"longitude": "-95.4", "latitude": "29.7"}, 2)["latitude"] == 29.7
