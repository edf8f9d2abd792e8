"""Fault tests against gunicorn with the production config (app/gunicorn_conf.py) on 127.0.0.1,
reading a PRIVATE Postgres cluster and a PRIVATE fakesnow server (tests/fix_services.py), which
these tests kill and stop for real. The shared servers on :15432 and :18765 are never touched.

The sync killed mid-run is tests/test_sync.py::test_sync007 (marked ``fault`` there).
"""

from __future__ import annotations

import os
import signal
import time

import psycopg
import pytest
import requests

from tests.fix_private_pg import wait_until
from tests.fix_services import cache_checksums, fetch, postgres_kill_under_load, run_load, start_server

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(300)]

ANALYTICS = [
    "/api/kpis",
    "/api/weather",
    "/api/weather/events",
    "/api/analytics/ami-monthly-usage",
    "/api/analytics/transformer-load",
    "/api/analytics/transformer-heatmap",
    "/api/analytics/top-overloaded-transformers",
    "/api/analytics/ercot",
]
# A request that takes longer than this counts as hung: a pool wait (1 s) or a statement timeout
# (1.5 s) plus a warehouse read, with room for two shared cores.
MAX_REQUEST_S = 6.0
# The goal: traffic is back on Postgres within 5 s of its restart (the breaker's 2 s
# cool-down, then the probe swaps in a fresh pool instead of waiting out psycopg_pool's back-off).
RETURN_WITHIN_S = 5.0
NETWORK_TIMEOUT_S = 5


@pytest.fixture(scope="module")
def fault_server(fault_stack, server_log_dir):
    pg, wh, settings = fault_stack
    # The connector retries a vanished warehouse for this long per read (default 30 s, which
    # costs a first analytics read ~40-60 s); the breaker then answers the rest at once.
    server = start_server(settings, server_log_dir, "faults", FLUX_WAREHOUSE_NETWORK_TIMEOUT_S=str(NETWORK_TIMEOUT_S))
    yield pg, wh, settings, server
    server.stop()


def operational_paths(url: str) -> list[str]:
    sub = requests.get(url + "/api/substations", timeout=20).json()[0]["substation_id"]
    circuit = requests.get(url + f"/api/circuits/metadata?substation_id={sub}", timeout=20).json()[0]["circuit_id"]
    return [
        "/api/postgres/substations/status",
        "/api/substations",
        "/api/topology/feeders",
        "/api/topology/feeders?zoom=11",
        f"/api/assets?circuits={circuit}",
        "/api/assets?bbox=-95.6,29.6,-95.2,29.9&limit=200",
        f"/api/circuits/metadata?substation_id={sub}",
        "/api/outages/active",
        "/api/work-orders/active",
        "/api/crews",
        f"/api/details/substation/{sub}",
    ]


def all_postgres(url: str, paths: list[str]) -> bool:
    return all(fetch(url, p).backend == "postgres" for p in paths)


def test_fault101_postgres_killed_under_load_then_restarted(fault_server):
    pg, _, _, server = fault_server
    paths = operational_paths(server.url)
    assert all_postgres(server.url, paths)
    before = cache_checksums(pg.admin_dsn())

    run = postgres_kill_under_load(pg, server.url, paths)
    hits = run["hits"]
    assert len(hits) > 50
    failed = [h for h in hits if h.status != 200]
    assert failed == [], failed[:5]  # zero 5xx, zero connection errors: every request was served
    assert max(h.elapsed_s for h in hits) < MAX_REQUEST_S
    down = [h for h in hits if run["t_kill"] + 1.0 < h.started < run["t_restart"]]
    assert down and all(h.backend == "snowflake" for h in down)
    assert run["detected_s"] is not None and run["detected_s"] < 2.0
    assert run["returned_s"] <= RETURN_WITHIN_S, run["returned_s"]
    assert run["postgres_after_return"] >= 10

    # nothing lost or corrupted: every cache table has the same rows as before the crash
    assert cache_checksums(pg.admin_dsn()) == before


def test_fault102_warehouse_stopped_operational_serves_analytics_503(fault_server):
    pg, wh, settings, server = fault_server
    paths = operational_paths(server.url)
    assert wait_until(lambda: all_postgres(server.url, paths), 30)
    assert requests.get(server.url + "/api/kpis", timeout=30).status_code == 200
    # a pooled connection to a vanished warehouse fails only after the connector's retries
    first_read_s = NETWORK_TIMEOUT_S * 6
    wh.stop()
    try:
        assert not wh.running()
        slow = []
        for path in ANALYTICS * 2:
            started = time.monotonic()
            resp = requests.get(server.url + path, timeout=first_read_s + 30)
            elapsed = time.monotonic() - started
            assert elapsed < first_read_s, path
            if elapsed > 3:
                slow.append((path, round(elapsed, 1)))
            assert resp.status_code == 503, path
            body = resp.json()
            assert body["error"] == "analytics_unavailable" and body["message"], path
            assert "Traceback" not in resp.text
        # one read per worker finds the warehouse gone; its breaker answers the rest at once
        assert len(slow) <= 2, slow
        for path in paths:
            hit = fetch(server.url, path)
            assert (hit.status, hit.backend) == (200, "postgres"), path
            assert hit.elapsed_s < MAX_REQUEST_S, path
        sub = paths[-1].rsplit("/", 1)[1]
        details = requests.get(server.url + f"/api/details/substation/{sub}", timeout=30).json()
        assert details["load_curve"] is None  # the panel says so; the rest of it is served
        ready = requests.get(server.url + "/readyz", timeout=30).json()
        assert ready["postgres"]["ok"] and not ready["warehouse"]["ok"]
    finally:
        wh.start()
    # analytics come back by themselves once the warehouse does
    assert wait_until(lambda: requests.get(server.url + "/api/kpis", timeout=30).status_code == 200, 60, 1.0)


def test_fault104_locked_table_times_out_alone_and_nothing_hangs(fault_server):
    """A table another session holds: each read of it runs into the statement timeout and is a
    504 JSON for that request alone. Postgres is alive, so the breaker stays closed: the other
    tables keep coming from Postgres meanwhile, and the warehouse is not asked for the same query."""
    pg, _, settings, server = fault_server
    paths = operational_paths(server.url)
    assert wait_until(lambda: all_postgres(server.url, paths), 30)
    with psycopg.connect(pg.admin_dsn()) as holder:
        # another session holds the table: every read of it waits until the statement timeout
        holder.execute("LOCK TABLE flux.outages_active IN ACCESS EXCLUSIVE MODE")
        stop, hits, workers = run_load(server.url, ["/api/outages/active", "/api/outages/active?priority=high"], 4)
        time.sleep(4)
        others = [fetch(server.url, p) for p in ("/api/crews", "/api/substations", "/api/work-orders/active")]
        time.sleep(4)
        stop.set()
        for w in workers:
            w.join(30)
        timed_out = requests.get(server.url + "/api/outages/active?priority=low", timeout=30)
        holder.rollback()
    assert len(hits) >= 8
    assert {h.status for h in hits} == {504}, sorted({h.status for h in hits})
    assert timed_out.status_code == 504 and timed_out.json()["error"] == "query_timeout"
    assert [o.backend for o in others] == ["postgres"] * 3  # the breaker never opened
    slowest = max(h.elapsed_s for h in hits)
    assert slowest < MAX_REQUEST_S, slowest
    # every one of them really waited for the statement timeout, none was sent elsewhere
    assert min(h.elapsed_s for h in hits) >= settings.pg_statement_timeout_ms / 1000 * 0.9
    assert wait_until(lambda: all_postgres(server.url, paths), 5)


def test_fault105_worker_killed_requests_continue(fault_server):
    _, _, _, server = fault_server
    paths = operational_paths(server.url)
    workers_before = server.worker_pids()
    assert len(workers_before) == 2
    stop, hits, threads = run_load(server.url, paths)
    try:
        time.sleep(1.0)
        victim = workers_before[0]
        t_kill = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        # the master notices and forks a replacement
        assert wait_until(lambda: victim not in server.worker_pids() and len(server.worker_pids()) == 2, 30)
        grace_until = time.monotonic() + 0.5
        time.sleep(8)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    after = [h for h in hits if h.started >= grace_until]
    assert len(after) > 30
    tail = [line[:300] for line in server.log_text().splitlines()[-300:] if "gunicorn" in line or "ERROR" in line]
    assert [h for h in after if h.status != 200] == [], tail[-8:]
    # at most the requests in flight on the killed worker failed
    assert sum(1 for h in hits if h.status != 200 and h.started < t_kill + 0.1) <= 3
    assert set(server.worker_pids()) - set(workers_before)


@pytest.mark.browser
def test_fault103_warehouse_stopped_dashboard_says_analytics_unavailable(dash_duo, fault_stack):
    from selenium.webdriver.common.by import By

    from app import create_app
    from layouts import ids
    from tests.dashboard_support import free_port
    from tests.dashboard_support import wait_for as wait_for_browser

    pg, wh, settings = fault_stack
    app = create_app(settings.model_copy(update={"refresh_interval_s": 3, "warehouse_network_timeout_s": NETWORK_TIMEOUT_S}))
    wh.stop()
    try:
        dash_duo.start_server(app, port=free_port())
        dash_duo.wait_for_contains_text(f"#{ids.STATUS_BANNER_WAREHOUSE}", "analytics unavailable", timeout=60)
        dash_duo.wait_for_text_to_equal(f"#{ids.kpi_meta('saidi')}", "analytics unavailable", timeout=30)
        # the operational side keeps working from Postgres: tables fill, a row opens its details
        rows = lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.OUTAGE_GRID} .ag-center-cols-container .ag-row")
        wait_for_browser(lambda: len(rows()) > 0, timeout_s=30)
        assert "Postgres" in dash_duo.find_element(f"#{ids.OUTAGE_META}").text
        row = rows()[0]
        outage_id = row.get_attribute("row-id")
        cell = row.find_element(By.CSS_SELECTOR, '[col-id="priority"]')
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", cell)
        cell.click()
        dash_duo.wait_for_text_to_equal(f"#{ids.DETAILS_TITLE}", f"Outage {outage_id}", timeout=30)
        tab = dash_duo.find_element(f"#{ids.VIEW_TABS}").find_element(By.LINK_TEXT, "Weather")
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", tab)
        tab.click()
        dash_duo.wait_for_text_to_equal(f"#{ids.WEATHER_META}", "analytics unavailable", timeout=30)
        assert dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.ERROR_ALERTS} .alert") == []
    finally:
        wh.start()
        app.server.extensions["flux_repository"].close()
