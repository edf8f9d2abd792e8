"""Dashboard browser tier: dash_duo in Debian's headless Chromium against the real stores
(the small-scale test databases), the real REST API and the real deck.gl canvas."""

from __future__ import annotations

import re

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from callbacks.kpis import kpi_values
from layouts import ids
from tests.dashboard_support import (
    CANVAS_DRAWN_PIXELS_JS,
    DRAW_PROBE_JS,
    DRAW_PROBE_STATE_JS,
    LAYERS_LOADED_JS,
    PROJECT_JS,
    free_port,
    wait_for,
    wait_initial_load,
)

pytestmark = pytest.mark.timeout(240)

# Software WebGL on two shared cores: give the first frame room.
MAP_TIMEOUT_S = 40


@pytest.fixture(scope="module")
def dashboard_settings(loaded_stores):
    # a short refresh so the live-refresh test does not wait 15 s
    return loaded_stores.model_copy(update={"refresh_interval_s": 2})


def _start(dash_duo, settings):
    from app import create_app

    app = create_app(settings)
    dash_duo.start_server(app, port=free_port())
    dash_duo.wait_for_element(f"#{ids.MAP_DECK}", timeout=20)
    # the first refresh has filled the header
    wait_for(lambda: dash_duo.find_element(f"#{ids.STATUS_UPDATED}").text.endswith("UTC"), timeout_s=20)
    return app


def _severe(dash_duo) -> list:
    return [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"]


def _kpi_text(dash_duo, name: str) -> str:
    return dash_duo.find_element(f"#{ids.kpi_value(name)}").text


def _grid_rows(dash_duo, grid_id: str):
    return dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{grid_id} .ag-center-cols-container .ag-row")


def test_dshb001_page_loads_kpis_match_api_and_map_draws(dash_duo, dashboard_settings):
    _start(dash_duo, dashboard_settings)
    api = requests.get(dash_duo.server_url + "/api/kpis", timeout=30).json()
    expected = kpi_values(api)
    assert api["customers_out"] > 0 and api["saidi"] is not None  # real numbers, not placeholders
    for name in ("customers_out", "active_outages", "crews_active", "saidi", "saifi", "caidi", "ercot_price", "temperature"):
        dash_duo.wait_for_text_to_equal(f"#{ids.kpi_value(name)}", expected[name], timeout=20)
    # each KPI says which store served it and how old its data is
    meta = dash_duo.find_element(f"#{ids.kpi_meta('saidi')}").text
    assert re.match(r"^Snowflake · .+ old$", meta), meta
    assert dash_duo.find_element(f"#{ids.STATUS_UPDATED}").text.endswith("UTC")
    # the deck.gl canvas: every layer loaded from its URL, and pixels drawn
    wait_for(lambda: dash_duo.driver.execute_script(LAYERS_LOADED_JS), timeout_s=MAP_TIMEOUT_S)
    assert wait_for(lambda: dash_duo.driver.execute_script(CANVAS_DRAWN_PIXELS_JS) > 500, timeout_s=MAP_TIMEOUT_S)
    # the outage table filled from the same facade
    wait_for(lambda: len(_grid_rows(dash_duo, ids.OUTAGE_GRID)) > 0, timeout_s=20)
    assert _severe(dash_duo) == []


def test_dshb002_outage_row_click_opens_details_and_moves_the_map(dash_duo, dashboard_settings):
    _start(dash_duo, dashboard_settings)
    wait_for(lambda: len(_grid_rows(dash_duo, ids.OUTAGE_GRID)) > 0, timeout_s=20)
    row = _grid_rows(dash_duo, ids.OUTAGE_GRID)[0]
    outage_id = row.get_attribute("row-id")  # getRowId: the outage id
    cell = row.find_element(By.CSS_SELECTOR, '[col-id="priority"]')
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", cell)
    cell.click()
    dash_duo.wait_for_text_to_equal(f"#{ids.DETAILS_TITLE}", f"Outage {outage_id}", timeout=20)
    body = dash_duo.find_element(f"#{ids.DETAILS_BODY}").text.lower()  # section titles are upper-cased by CSS
    assert "customers affected" in body and "open work orders" in body and " old" in body
    # the map moved to the outage, and the URL reproduces the view and the selection
    wait_for(lambda: "sel=outage" in dash_duo.driver.current_url, timeout_s=10)
    assert "z=14" in dash_duo.driver.current_url
    assert _severe(dash_duo) == []


def test_dshb003_map_click_on_a_substation_opens_its_details(dash_duo, dashboard_settings):
    _start(dash_duo, dashboard_settings)
    wait_for(lambda: dash_duo.driver.execute_script(LAYERS_LOADED_JS), timeout_s=MAP_TIMEOUT_S)
    sub = requests.get(dash_duo.server_url + "/api/postgres/substations/status", timeout=30).json()[0]
    # switch the other point layers off so the substation is the object under the cursor
    for layer in ("outages", "work_orders", "crews"):
        dash_duo.driver.find_element(By.CSS_SELECTOR, f'#{ids.MAP_LAYER_TOGGLES} input[value="{layer}"]').click()
    canvas = dash_duo.find_element(f"#{ids.MAP_DECK}")
    # wholly in view: selenium measures offsets from the centre of the element's visible part
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start', behavior: 'instant'})", canvas)
    x, y = wait_for(lambda: dash_duo.driver.execute_script(PROJECT_JS, sub["longitude"], sub["latitude"]), timeout_s=10)[:2]
    # selenium 4.2 measures the offset from the element's top-left corner
    ActionChains(dash_duo.driver).move_to_element_with_offset(canvas, x, y).click().perform()
    dash_duo.wait_for_text_to_equal(f"#{ids.DETAILS_TITLE}", f"Substation {sub['substation_id']}", timeout=20)
    assert "circuits and feeders" in dash_duo.find_element(f"#{ids.DETAILS_BODY}").text.lower()


def test_dshb004_link_with_a_feeder_selection_shows_its_network_trace(dash_duo, dashboard_settings):
    _start(dash_duo, dashboard_settings)
    segments = requests.get(dash_duo.server_url + "/api/topology/feeders?zoom=14&bbox=-180,-90,180,90", timeout=30).json()
    segment = sorted(segments, key=lambda s: s["id"])[len(segments) // 2]
    dash_duo.driver.get(f"{dash_duo.server_url}/?view=operations&sel=feeder:{segment['id']}")
    dash_duo.wait_for_text_to_equal(f"#{ids.DETAILS_TITLE}", f"Feeder {segment['id']}", timeout=20)
    body = dash_duo.find_element(f"#{ids.DETAILS_BODY}").text
    assert "network trace" in body.lower() and "Downstream transformers" in body
    trace = requests.get(f"{dash_duo.server_url}/api/topology/trace/{segment['id']}", timeout=30).json()
    assert f"{trace['customer_count']:,}" in body
    assert _severe(dash_duo) == []


def test_dshb005_refresh_shows_changed_data(dash_duo, dashboard_settings):
    from data.connections import connect_warehouse, pg_admin

    _start(dash_duo, dashboard_settings)
    wait_for(lambda: len(_grid_rows(dash_duo, ids.OUTAGE_GRID)) > 0, timeout_s=20)
    before = _kpi_text(dash_duo, "customers_out")
    assert before not in ("…", "—")
    with pg_admin(dashboard_settings) as conn:
        outage_id, old_cause = conn.execute(
            "SELECT outage_id, cause FROM flux.outages_active ORDER BY outage_id LIMIT 1"
        ).fetchone()
    wh = connect_warehouse(dashboard_settings)
    try:
        cur = wh.cursor()
        cur.execute("SELECT OUTAGE_ID, AFFECTED_CUSTOMERS_COUNT FROM OUTAGE_EVENTS WHERE END_TIME IS NULL ORDER BY OUTAGE_ID LIMIT 1")
        wh_outage, wh_customers = cur.fetchone()
        try:
            # the operational cache (Postgres) feeds the outage table ...
            with pg_admin(dashboard_settings) as conn:
                conn.execute("UPDATE flux.outages_active SET cause = %s WHERE outage_id = %s", ("refresh-test", outage_id))
            # ... and the warehouse feeds the KPIs
            cur.execute(
                "UPDATE OUTAGE_EVENTS SET AFFECTED_CUSTOMERS_COUNT = AFFECTED_CUSTOMERS_COUNT + 1000 WHERE OUTAGE_ID = %(id)s",
                {"id": wh_outage},
            )
            expected = f"{int(before.replace(',', '')) + 1000:,}"
            dash_duo.wait_for_text_to_equal(f"#{ids.kpi_value('customers_out')}", expected, timeout=30)
            wait_for(
                lambda: "refresh-test" in dash_duo.find_element(f"#{ids.OUTAGE_GRID}").text, timeout_s=30
            )
        finally:
            cur.execute(
                "UPDATE OUTAGE_EVENTS SET AFFECTED_CUSTOMERS_COUNT = %(n)s WHERE OUTAGE_ID = %(id)s",
                {"n": wh_customers, "id": wh_outage},
            )
            with pg_admin(dashboard_settings) as conn:
                conn.execute("UPDATE flux.outages_active SET cause = %s WHERE outage_id = %s", (old_cause, outage_id))
    finally:
        wh.close()


def test_dshb006_weather_and_analytics_views_draw_warehouse_figures(dash_duo, dashboard_settings):
    _start(dash_duo, dashboard_settings)
    dash_duo.find_element(f"#{ids.VIEW_TABS}").find_element(By.LINK_TEXT, "Weather").click()
    wait_for(lambda: "old" in dash_duo.find_element(f"#{ids.WEATHER_META}").text, timeout_s=30)
    dash_duo.wait_for_element(f"#{ids.WEATHER_GRAPH} .main-svg .scatterlayer .trace", timeout=20)
    dash_duo.find_element(f"#{ids.VIEW_TABS}").find_element(By.LINK_TEXT, "Analytics").click()
    for graph in (ids.ANALYTICS_AMI, ids.ANALYTICS_HEATMAP, ids.ANALYTICS_TOP, ids.ANALYTICS_ERCOT):
        dash_duo.wait_for_element(f"#{graph} .main-svg", timeout=30)
    wait_for(lambda: "Snowflake" in dash_duo.find_element(f"#{ids.ANALYTICS_META}").text, timeout_s=30)
    assert "view=analytics" in dash_duo.driver.current_url
    assert _severe(dash_duo) == []


def test_dshb007_postgres_stopped_page_stays_usable_with_a_banner(dash_duo, private_pg):
    """A PRIVATE cluster (tests/fix_private_pg.py) is stopped for real; the shared one is not."""
    pg, settings = private_pg
    _start(dash_duo, settings.model_copy(update={"refresh_interval_s": 2}))
    wait_for(lambda: len(_grid_rows(dash_duo, ids.OUTAGE_GRID)) > 0, timeout_s=20)
    assert dash_duo.find_element(f"#{ids.STATUS_BANNER_POSTGRES}").text == ""
    assert dash_duo.find_element(f"#{ids.STATUS_STORE_POSTGRES}").text == "Postgres up"
    pg.stop("immediate")
    try:
        dash_duo.wait_for_contains_text(
            f"#{ids.STATUS_BANNER_POSTGRES}", "Postgres unavailable — serving from Snowflake", timeout=30
        )
        dash_duo.wait_for_text_to_equal(f"#{ids.STATUS_STORE_POSTGRES}", "Postgres down", timeout=10)
        # still usable: tables served by the warehouse, KPIs, and a row click still opens details
        wait_for(lambda: "Snowflake" in dash_duo.find_element(f"#{ids.OUTAGE_META}").text, timeout_s=20)
        assert len(_grid_rows(dash_duo, ids.OUTAGE_GRID)) > 0
        assert _kpi_text(dash_duo, "customers_out") not in ("…", "—")
        row = _grid_rows(dash_duo, ids.OUTAGE_GRID)[0]
        outage_id = row.get_attribute("row-id")
        cell = row.find_element(By.CSS_SELECTOR, '[col-id="priority"]')
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", cell)
        cell.click()
        dash_duo.wait_for_text_to_equal(f"#{ids.DETAILS_TITLE}", f"Outage {outage_id}", timeout=30)
        wait_for(lambda: "Snowflake ·" in dash_duo.find_element(f"#{ids.DETAILS_BODY}").text, timeout_s=30)
        # the map's real-time layers load from the warehouse too
        wait_for(lambda: dash_duo.driver.execute_script(LAYERS_LOADED_JS), timeout_s=MAP_TIMEOUT_S)
        assert [e for e in _severe(dash_duo) if "/api/" in e.get("message", "")] == []
    finally:
        pg.start()


def test_dshb008_a_failing_callback_shows_an_alert_not_a_blank_page(dash_duo, dashboard_settings):
    """The app-wide on_error handler: any callback exception becomes a visible alert."""
    from dash import Input, Output, html

    from app import create_app

    app = create_app(dashboard_settings)
    app.layout = html.Div([app.layout, html.Div(id="test-boom")])

    @app.callback(Output("test-boom", "children"), Input(ids.REFRESH, "n_intervals"))
    def boom(_n):
        raise RuntimeError("synthetic failure")

    dash_duo.start_server(app, port=free_port())
    dash_duo.wait_for_contains_text(f"#{ids.ERROR_ALERTS}", "Something went wrong", timeout=20)
    assert "RuntimeError" in dash_duo.find_element(f"#{ids.ERROR_ALERTS}").text
    assert "Traceback" not in dash_duo.driver.page_source
    # the rest of the page keeps working
    wait_for(lambda: dash_duo.find_element(f"#{ids.STATUS_UPDATED}").text.endswith("UTC"), timeout_s=20)


ASSETS_LOADED_JS = """
const deck = window.fluxMap && window.fluxMap.deck();
const layer = deck && deck.layerManager.getLayers().find(l => l.id === 'assets');
return layer && layer.props.visible && layer.isLoaded && Array.isArray(layer.props.data) ? layer.props.data.length : -1;
"""

WHEEL_JS = """
const canvas = document.getElementById('map-deck');
const r = canvas.getBoundingClientRect();
for (let i = 0; i < arguments[0]; i++) {
  canvas.dispatchEvent(new WheelEvent('wheel', {deltaY: arguments[1], deltaMode: 0, clientX: r.left + r.width / 2,
    clientY: r.top + r.height / 2, bubbles: true, cancelable: true}));
}
"""


def test_dshb009_zoom_switches_level_of_detail_and_loads_assets_for_the_viewport(dash_duo, dashboard_settings):
    _start(dash_duo, dashboard_settings)
    sub = requests.get(dash_duo.server_url + "/api/postgres/substations/status", timeout=30).json()[0]
    # a link to a zoomed-in view: full-detail feeders and the assets in the viewport
    dash_duo.driver.get(f"{dash_duo.server_url}/?lon={sub['longitude']}&lat={sub['latitude']}&z=14.5")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_LOD}", "detail · zoom 14.5", timeout=20)
    assert wait_for(lambda: dash_duo.driver.execute_script(ASSETS_LOADED_JS) > 0, timeout_s=MAP_TIMEOUT_S)
    feeders = dash_duo.driver.execute_script(
        "return window.fluxMap.deck().layerManager.getLayers().find(l => l.id === 'feeders').props.data;"
    )
    assert feeders and all("-S" in f["id"] for f in feeders)  # segments, not whole circuits
    # the operator zooms out with the wheel: the view is reported, level of detail drops, URL follows
    dash_duo.driver.execute_script(WHEEL_JS, 12, 240)
    dash_duo.wait_for_contains_text(f"#{ids.MAP_LOD}", "overview", timeout=20)
    wait_for(lambda: float(re.search(r"z=([0-9.]+)", dash_duo.driver.current_url).group(1)) < 11, timeout_s=10)
    wait_for(lambda: dash_duo.driver.execute_script(LAYERS_LOADED_JS), timeout_s=MAP_TIMEOUT_S)
    assert _severe(dash_duo) == []


def test_dshb010_initial_load_keeps_the_layout_deck_until_the_first_refresh(dash_duo, dashboard_settings):
    from app import create_app

    # a refresh far away, so that everything this test sees is the initial load
    app = create_app(dashboard_settings.model_copy(update={"refresh_interval_s": 120}))
    # before any page script: timestamps WebGL draws, notes each callback answer that replaces the deck
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": DRAW_PROBE_JS})
    dash_duo.start_server(app, port=free_port())
    load = wait_initial_load(dash_duo.driver, quiet_ms=1500, timeout_s=MAP_TIMEOUT_S)
    # every layer the layout's deck asks for came in and was drawn, by the deck the page started with
    assert {"feeders.json?zoom=9&form=lines", "substations.json", "outages.json", "work-orders.json", "crews.json"} <= set(
        load["layer_requests"]
    )
    assert load["draw_calls"] >= 5 and load["last_draw_call_ms"] > load["layer_data_in_ms"]
    assert load["deck_replacements"] == 0, load
    # the probe does see a replacement: a layer toggle rebuilds the deck once
    dash_duo.driver.find_element(By.CSS_SELECTOR, f'#{ids.MAP_LAYER_TOGGLES} input[value="crews"]').click()
    wait_for(lambda: len(dash_duo.driver.execute_script(DRAW_PROBE_STATE_JS)["deckReplacements"]) == 1, timeout_s=20)
    assert dash_duo.get_logs() == []


# What deck.gl has under a canvas pixel: the layer id and the row it drew there.
PICK_JS = """
const deck = window.fluxMap && window.fluxMap.deck();
const info = deck && deck.pickObject({x: arguments[0], y: arguments[1], radius: 2});
return info && info.object ? {layer: info.layer.id, type: info.layer.constructor.layerName, object: info.object} : null;
"""
TOOLTIP_JS = """
const tip = document.querySelector('.deck-tooltip');
if (!tip || tip.style.display === 'none') return null;
const out = {};
tip.querySelectorAll('[data-k]').forEach(r => { out[r.dataset.k] = r.dataset.v; });
return out;
"""


def _longest(rows: list[dict], ends) -> dict:
    """The row whose straight line is longest (easiest to hit with the cursor)."""
    def length(r):
        a, b = ends(r)
        return abs(a[0] - b[0]) + abs(a[1] - b[1])

    return max(rows, key=length)


def test_dshb011_feeder_lines_draw_hover_and_click_as_their_circuit(dash_duo, dashboard_settings):
    """Overview and simplified feeders are a LineLayer: the overview's lines show their circuit's
    tooltip and a click opens the circuit (its head segment); simplified segments are picked as
    themselves."""
    _start(dash_duo, dashboard_settings)
    wait_for(lambda: dash_duo.driver.execute_script(LAYERS_LOADED_JS), timeout_s=MAP_TIMEOUT_S)
    for layer in ("substations", "outages", "work_orders", "crews"):
        dash_duo.driver.find_element(By.CSS_SELECTOR, f'#{ids.MAP_LAYER_TOGGLES} input[value="{layer}"]').click()
    wait_for(lambda: dash_duo.driver.execute_script(LAYERS_LOADED_JS), timeout_s=MAP_TIMEOUT_S)
    lines = requests.get(dash_duo.server_url + "/api/map/feeders.json?zoom=9&form=lines", timeout=30).json()
    line = _longest(lines, lambda r: (r["source"], r["target"]))
    mid = [(line["source"][i] + line["target"][i]) / 2 for i in (0, 1)]
    canvas = dash_duo.find_element(f"#{ids.MAP_DECK}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start', behavior: 'instant'})", canvas)
    x, y = wait_for(lambda: dash_duo.driver.execute_script(PROJECT_JS, *mid), timeout_s=10)[:2]
    picked = wait_for(lambda: dash_duo.driver.execute_script(PICK_JS, x, y), timeout_s=10)
    assert picked["layer"] == "feeders_lines" and picked["type"] == "LineLayer"
    circuit = picked["object"]["circuit_id"]
    assert picked["object"]["id"] == circuit and {"source", "target", "load_percent"} <= set(picked["object"])
    ActionChains(dash_duo.driver).move_to_element_with_offset(canvas, x, y).perform()
    tip = wait_for(lambda: dash_duo.driver.execute_script(TOOLTIP_JS), timeout_s=10)
    assert tip["Feeder"] == circuit and tip["Circuit"] == circuit
    assert float(tip["Load %"]) == picked["object"]["load_percent"]
    ActionChains(dash_duo.driver).move_to_element_with_offset(canvas, x, y).click().perform()
    dash_duo.wait_for_text_to_equal(f"#{ids.DETAILS_TITLE}", f"Feeder {circuit}-S0001", timeout=20)
    # simplified segments (zoom 11-13) in the same LineLayer, each picked as its own segment
    dash_duo.driver.get(f"{dash_duo.server_url}/?lon={mid[0]:.5f}&lat={mid[1]:.5f}&z=12")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_LOD}", "detail · zoom 12", timeout=20)

    def segments():
        return dash_duo.driver.execute_script(
            "const l = window.fluxMap.deck().layerManager.getLayers().find(l => l.id === 'feeders_lines');"
            "return l && l.isLoaded && Array.isArray(l.props.data) && l.props.data.length && l.props.data[0].path ? l.props.data : null;"
        )

    segment = _longest(wait_for(segments, timeout_s=MAP_TIMEOUT_S), lambda r: (r["path"][0], r["path"][-1]))
    wait_for(lambda: dash_duo.driver.execute_script(LAYERS_LOADED_JS), timeout_s=MAP_TIMEOUT_S)
    seg_mid = [(segment["path"][0][i] + segment["path"][-1][i]) / 2 for i in (0, 1)]
    x, y = wait_for(lambda: dash_duo.driver.execute_script(PROJECT_JS, *seg_mid), timeout_s=10)[:2]
    picked = wait_for(lambda: dash_duo.driver.execute_script(PICK_JS, x, y), timeout_s=10)
    assert picked["layer"] == "feeders_lines" and "-S" in picked["object"]["id"]
    assert _severe(dash_duo) == []
