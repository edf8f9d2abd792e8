"""The served page: the KPI header arrives filled in /_dash-layout, with the /api/kpis numbers."""

from __future__ import annotations

import json

import pytest

from layouts import ids


@pytest.fixture(scope="module")
def client(loaded_stores):
    from app import create_app

    app = create_app(loaded_stores)
    yield app.server.test_client()
    app.server.extensions["flux_repository"].close()


def _find(node, component_id):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        return next((f for v in node.values() if (f := _find(v, component_id)) is not None), None)
    if isinstance(node, list):
        return next((f for v in node if (f := _find(v, component_id)) is not None), None)
    return None


def test_page001_layout_carries_the_current_kpis(client):
    kpis = client.get("/api/kpis").get_json()
    layout = json.loads(client.get("/_dash-layout").data)
    shown = _find(layout, ids.kpi_value("customers_out"))["props"]["children"]
    assert shown == f"{kpis['customers_out']:,}"
    assert _find(layout, ids.kpi_value("active_outages"))["props"]["children"] == f"{kpis['active_outages']:,}"
    assert "Snowflake" in _find(layout, ids.kpi_meta("customers_out"))["props"]["children"]


def test_page002_a_dead_warehouse_leaves_placeholders_without_delaying_the_page(loaded_stores):
    from app import create_app
    from tests.fix_private_pg import free_port

    dead = loaded_stores.model_copy(update={"snowflake_port": free_port(), "snowflake_host": "127.0.0.1"})
    app = create_app(dead)
    try:
        response = app.server.test_client().get("/_dash-layout")
        assert response.status_code == 200
        node = _find(json.loads(response.data), ids.kpi_value("customers_out"))
        assert node["props"]["children"] in ("…", "—")
    finally:
        app.server.extensions["flux_repository"].close()


def test_page003_index_page_paints_the_kpis_before_the_app_boots(loaded_stores, tmp_path):
    """With the KPIs in the shared cache (operators poll them), the index page paints them."""
    from app import create_app

    app = create_app(loaded_stores.model_copy(update={"cache_type": "filesystem", "cache_dir": tmp_path}))
    try:
        client = app.server.test_client()
        kpis = client.get("/api/kpis").get_json()  # warms the shared cache
        page = client.get("/").get_data(as_text=True)
    finally:
        app.server.extensions["flux_repository"].close()
    entry = page[page.index('id="react-entry-point"') :]
    assert f'<div class="flux-kpi-value">{kpis["customers_out"]:,}</div>' in entry
    assert "Crews in the field" in entry


def test_page004_index_page_preloads_the_layout_decks_layer_data(client):
    """The browser fetches the map's layer data alongside the scripts, and exactly the URLs the
    layout's deck asks for (without the refresh fragment, which never reaches the server)."""
    import re

    page = client.get("/").get_data(as_text=True)
    preloads = re.findall(r'<link rel="preload" href="([^"]+)" as="fetch" crossorigin="anonymous">', page)
    head = page[: page.index("</head>")]
    assert preloads and all(f'href="{u}"' in head for u in preloads)
    deck = _find(json.loads(client.get("/_dash-layout").data), ids.MAP_DECK)["props"]["data"]
    wanted = [layer["data"].split("#")[0] for layer in deck["layers"] if isinstance(layer["data"], str) and layer["visible"]]
    assert sorted(p.replace("&amp;", "&") for p in preloads) == sorted(wanted)
    assert "/api/map/feeders.json?zoom=9&form=lines" in wanted
    for url in preloads:  # each one answers, as JSON
        response = client.get(url.replace("&amp;", "&"))
        assert response.status_code == 200 and response.mimetype == "application/json"
