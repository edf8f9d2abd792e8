"""Security checks: response headers on every kind of response, no secret in any server log,
a read-only app role (a real write attempt), and a CSP the dashboard runs under without a
single violation in headless Chromium (map, views and the chat panel exercised)."""

from __future__ import annotations


import psycopg
import pytest
import requests

from tests.fix_services import SECRET_MARKERS, start_server
from tests.fix_private_pg import free_port

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def test_server(loaded_stores, server_log_dir, tmp_path_factory):
    server = start_server(loaded_stores, server_log_dir, "security",
                          FLUX_CACHE_TYPE="filesystem", FLUX_CACHE_DIR=str(tmp_path_factory.mktemp("sec-cache")))
    yield server
    server.stop()


def _check_headers(resp, what: str) -> None:
    h = resp.headers
    assert h.get("X-Content-Type-Options") == "nosniff", what
    csp = h.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'self'" in csp, what
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0], what
    assert h.get("Referrer-Policy") == "same-origin", what


def test_sec001_headers_on_html_api_sse_and_errors(test_server):
    url = test_server.url
    page = requests.get(url + "/", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    _check_headers(page, "html")
    for path in ("/_dash-layout", "/_dash-dependencies", "/api/substations", "/api/kpis", "/api/openapi.json",
                 "/healthz", "/readyz", "/api/nowhere", "/api/assets?limit=abc"):
        resp = requests.get(url + path, timeout=30)
        assert resp.status_code < 500, path
        _check_headers(resp, path)
    with requests.post(url + "/api/agent/stream", json={"query": "How many customers are out right now?"},
                       stream=True, timeout=60) as sse:
        assert sse.status_code == 200 and sse.headers["Content-Type"].startswith("text/event-stream")
        _check_headers(sse, "sse")
        assert b"event: response" in b"".join(sse.iter_content(None))


def test_sec002_no_secret_in_any_server_log(fault_stack, server_log_dir):
    """Marker secrets are the real passwords of the private services; a representative set of
    requests, failures included (bad input, a dead Postgres), must never print them."""
    _, _, settings = fault_stack
    server = start_server(settings, server_log_dir, "secrets", FLUX_LOG_LEVEL="DEBUG")
    dead_pg = settings.model_copy(update={"pg_dsn": settings.pg_dsn.__class__(
        f"host=127.0.0.1 port={free_port()} dbname=flux user=flux_app")})
    broken = start_server(dead_pg, server_log_dir, "secrets-dead-pg", FLUX_LOG_LEVEL="DEBUG")
    try:
        for srv in (server, broken):
            for path in ("/", "/_dash-layout", "/api/substations", "/api/outages/active", "/api/kpis",
                         "/api/weather", "/readyz", "/api/assets?bbox=1,2", "/api/nowhere"):
                assert requests.get(srv.url + path, timeout=60).status_code < 500, path
            with requests.post(srv.url + "/api/agent/stream", json={"query": "Show open work orders by priority"},
                               stream=True, timeout=60) as sse:
                b"".join(sse.iter_content(None))
            requests.post(srv.url + "/api/agent/stream", data="{not json", timeout=30)
        crews = requests.get(broken.url + "/api/crews", timeout=30)  # served, from the warehouse
        assert crews.headers["X-Flux-Fallback"] in ("postgres_error", "breaker_open")
    finally:
        server.stop()
        broken.stop()
    logs = {p.name: p.read_text(errors="replace") for p in server_log_dir.glob("*.log")}
    assert logs["secrets.log"].count('"path"') >= 10  # the requests really were logged
    for name, text in logs.items():
        for marker in SECRET_MARKERS:
            assert marker not in text, f"{marker} in {name}"
    admin_password = settings.pg_admin_dsn.get_secret_value().rsplit("password=", 1)[1]
    assert all(admin_password not in text for text in logs.values())


@pytest.mark.parametrize("statement", [
    "INSERT INTO flux.crews (crew_id) VALUES ('CREW-EVIL')",
    "UPDATE flux.outages_active SET cause = 'x'",
    "DELETE FROM flux.work_orders_active",
    "TRUNCATE flux.substations",
    "CREATE TABLE flux.evil (id int)",
    "CREATE TABLE public.evil (id int)",
    "ALTER TABLE flux.crews ADD COLUMN evil int",
    "DROP TABLE flux.crews",
    # a GRANT without the grant option only warns; the INSERT after it must still fail
    "GRANT INSERT ON flux.crews TO flux_app; INSERT INTO flux.crews (crew_id) VALUES ('CREW-EVIL')",
])
def test_sec003_app_role_cannot_write(loaded_stores, statement):
    """Through the app's own pool; read-only is switched off first, so the refusal is the role's
    privileges and not only the session default."""
    from data.connections import open_pg_pool

    pool = open_pg_pool(loaded_stores, wait=True)
    try:
        with pool.connection() as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == loaded_stores.pg_app_user
            conn.execute("SET default_transaction_read_only = off")
            conn.commit()
            before = conn.execute("SELECT count(*) FROM flux.crews").fetchone()[0]
            conn.commit()
            with pytest.raises(psycopg.errors.Error) as err:
                conn.execute(statement)
            assert isinstance(err.value, (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction,
                                          psycopg.errors.UndefinedTable)) or "permission denied" in str(err.value)
            assert not isinstance(err.value, psycopg.errors.ReadOnlySqlTransaction), "refused only by read-only mode"
            conn.rollback()
            assert conn.execute("SELECT count(*) FROM flux.crews").fetchone()[0] == before
    finally:
        pool.close()


@pytest.mark.parametrize("statement", [
    "CREATE TEMP TABLE evil (id int)",
    "CREATE TEMPORARY TABLE evil AS SELECT * FROM flux.crews",
    "CREATE FUNCTION pg_temp.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE FUNCTION public.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE FUNCTION flux.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
])
def test_sec003b_app_role_cannot_create_temp_tables_or_functions(loaded_stores, statement):
    """PostgreSQL grants TEMPORARY to PUBLIC by default, and a read-only session may still create
    temporary tables, and functions in pg_temp: V009 takes that right from flux_app. Tried in the
    app's read-only session, then with read-only off, where only the role's rights refuse it."""
    from data.connections import open_pg_pool

    pool = open_pg_pool(loaded_stores, wait=True)
    try:
        with pool.connection() as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == loaded_stores.pg_app_user
            assert not conn.execute("SELECT has_database_privilege(current_database(), 'TEMPORARY')").fetchone()[0]
            with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)):
                conn.execute(statement)
            conn.execute("SET default_transaction_read_only = off")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # the role's rights, not the session's mode
                conn.execute(statement)
        with pool.connection() as conn:
            assert conn.execute("SELECT count(*) FROM pg_proc WHERE proname = 'evil'").fetchone()[0] == 0
    finally:
        pool.close()


# -- the CSP in a real browser ---------------------------------------------------------------------
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


@pytest.mark.browser
@pytest.mark.slow
def test_sec004_dashboard_and_chat_run_under_the_csp(dash_duo, loaded_stores):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from app import create_app
    from layouts import ids
    from tests.dashboard_support import LAYERS_LOADED_JS, wait_for

    settings = loaded_stores.model_copy(update={"agent_local_token_delay_ms": 0, "refresh_interval_s": 5})
    app = create_app(settings)
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    dash_duo.start_server(app, port=free_port())
    try:
        dash_duo.wait_for_element(f"#{ids.MAP_DECK}", timeout=30)
        wait_for(lambda: driver.execute_script(LAYERS_LOADED_JS), timeout_s=60)

        def show(tab: str) -> None:
            link = dash_duo.find_element(f"#{ids.VIEW_TABS}").find_element(By.LINK_TEXT, tab)
            driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", link)
            link.click()

        show("Weather")
        dash_duo.wait_for_element(f"#{ids.WEATHER_GRAPH} .main-svg", timeout=30)
        show("Analytics")
        for graph in (ids.ANALYTICS_AMI, ids.ANALYTICS_HEATMAP, ids.ANALYTICS_TOP, ids.ANALYTICS_ERCOT):
            dash_duo.wait_for_element(f"#{graph} .main-svg", timeout=30)

        # the chat panel: a streamed answer with a vega chart
        opener = dash_duo.find_element(f"#{ids.CHAT_OPEN}")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", opener)
        opener.click()
        box = dash_duo.wait_for_element(f"#{ids.CHAT_INPUT}", timeout=20)
        box.send_keys("Show outages by cause this month")
        dash_duo.find_element(f"#{ids.CHAT_SEND}").click()
        WebDriverWait(driver, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, f"#{ids.CHAT_TRANSCRIPT} .chat-chart svg .mark-rect path"))

        violations = driver.execute_script("return window.__csp")
        console = [e for e in dash_duo.get_logs() if "Content Security Policy" in e.get("message", "")
                   or "Refused to" in e.get("message", "")]
        assert violations == [] and console == [], (violations, console)

        # the recorder works: an inline script without a hash is refused and reported
        driver.execute_script("var s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                              "document.head.appendChild(s);")
        wait_for(lambda: driver.execute_script("return window.__csp.length"), timeout_s=5)
        assert driver.execute_script("return window.__ran") is None
        assert "script-src" in driver.execute_script("return window.__csp[0]")
    finally:
        app.server.extensions["flux_repository"].close()
