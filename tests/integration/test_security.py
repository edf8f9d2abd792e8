"""Security checks: response headers on every kind of response (the web server's own errors
included), no secret in any server log, a read-only app role (a real write attempt), a chat that
refuses cross-site and non-JSON requests, 404 for paths that are not the dashboard's, and a CSP
the dashboard runs under without a single violation in headless Chromium (map, views and the
chat panel exercised)."""

from __future__ import annotations

import json
import re
import time

import psycopg
import pytest
import requests

from tests.fix_services import SECRET_MARKERS, raw_request, start_server
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


# -- the chat's origin, the web server's own errors, paths and banners (issue #11) ----------------
def _stream_ok(resp) -> bool:
    with resp:
        return (resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
                and b"event: response" in b"".join(resp.iter_content(None)))


def test_sec005_chat_refuses_cross_site_and_non_json_requests(test_server):
    url = test_server.url + "/api/agent/stream"
    query = json.dumps({"query": "How many customers are out right now?"})
    as_json = {"Content-Type": "application/json"}
    refused = [
        ({"Content-Type": "text/plain", "Origin": "https://evil.example"}, 403),  # a "simple" cross-site POST
        ({"Content-Type": "text/plain;charset=UTF-8", "Sec-Fetch-Site": "cross-site"}, 403),
        ({**as_json, "Origin": "https://evil.example"}, 403),
        ({**as_json, "Origin": "null"}, 403),
        ({**as_json, "Origin": f"http://127.0.0.1:{test_server.port}.evil.example"}, 403),
        ({**as_json, "Sec-Fetch-Site": "cross-site", "Origin": f"http://127.0.0.1:{test_server.port}"}, 403),
        ({**as_json, "Sec-Fetch-Site": "same-site"}, 403),
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({}, 415),
    ]
    for headers, status in refused:
        resp = requests.post(url, data=query, headers=headers, timeout=30)
        assert resp.status_code == status and resp.headers["Content-Type"] == "application/json", (headers, resp.text)
        assert resp.json()["error"] in ("cross_site_request", "unsupported_media_type")
    allowed = [
        as_json,  # curl, tests, server-to-server: no browser headers
        {**as_json, "Origin": f"http://127.0.0.1:{test_server.port}"},
        {**as_json, "Sec-Fetch-Site": "same-origin", "Origin": f"http://127.0.0.1:{test_server.port}"},
        # behind the SPCS ingress the Host the app sees is not the public one
        {**as_json, "Sec-Fetch-Site": "same-origin", "Origin": "https://abc-flux.snowflakecomputing.app"},
        {**as_json, "Origin": "https://abc-flux.snowflakecomputing.app", "X-Forwarded-Host": "abc-flux.snowflakecomputing.app"},
        {**as_json, "Origin": "https://abc-flux.snowflakecomputing.app", "Host": "abc-flux.snowflakecomputing.app:443"},
        {"Content-Type": "application/json; charset=utf-8"},
    ]
    for headers in allowed:
        assert _stream_ok(requests.post(url, data=query, headers=headers, stream=True, timeout=60)), headers


ERROR_REQUESTS = {
    "request line over 4094 bytes": (b"GET /api/assets?asset_ids=" + b"A" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    "more than 100 headers": (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150))
                              + b"\r\n", 431),
    "a header over 8190 bytes": (b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + b"c" * 9000 + b"\r\n\r\n", 431),
    "NUL in the request line": (b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "NUL in a header": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    "not HTTP": (b"HELLO THERE\r\n\r\n", 400),
    "bad chunk size": (b"POST /api/agent/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
}


def _check_error_headers(headers: dict, what: str) -> None:
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("x-frame-options") == "SAMEORIGIN", what
    csp = headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp, what
    assert not re.search(r"gunicorn|werkzeug|python", headers.get("server", ""), re.I), what


def test_sec006_web_server_errors_are_json_with_the_security_headers(test_server):
    since = len(test_server.log_text())
    for what, (head, status) in ERROR_REQUESTS.items():
        reply = raw_request(test_server.port, head, timeout_s=15)
        assert reply.status == status, (what, reply)
        assert reply.headers.get("content-type") == "application/json", (what, reply)
        body = json.loads(reply.body)
        assert body["error"] and body["message"], what
        _check_error_headers(reply.headers, what)
    # behind the HTTPS ingress, the server's own errors carry HSTS too (once it has read the headers)
    reply = raw_request(test_server.port, b"POST /api/agent/stream HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", timeout_s=15)
    assert reply.status == 400 and reply.headers["strict-transport-security"].startswith("max-age="), reply
    time.sleep(0.3)
    log = test_server.log_text()[since:]
    assert "Traceback" not in log
    refusals = [line for line in log.splitlines() if "refused a request" in line]
    assert len(refusals) == len(ERROR_REQUESTS) + 1, refusals  # one line each
    assert all(len(line) < 1000 for line in refusals)


def test_sec007_unknown_paths_404_options_204_hsts_and_no_banner(test_server):
    url = test_server.url
    for path in ("/.env", "/.git/config", "/admin", "/wp-login.php", "/index.html", "/api", "/_dash-nothing",
                 "/assets/nothere.js", "/static/x", "/operations?sel=feeder:1"):
        resp = requests.get(url + path, timeout=30)
        assert resp.status_code == 404 and resp.headers["Content-Type"] == "application/json", (path, resp.text[:200])
        assert resp.json()["error"] == "not_found"
        _check_headers(resp, path)
    # what the dashboard really serves: the page (with its deep links), Dash's routes, assets
    page = requests.get(url + "/?view=operations&sel=feeder:SEG-0001&lon=-95.4&lat=29.8&z=12", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    served = ["/_dash-layout", "/_dash-dependencies", "/_favicon.ico", "/assets/chat.js", "/healthz", "/readyz",
              "/api/kpis", "/vendor/vega/vega.min.js"]
    served += re.findall(r'src="(/_dash-component-suites/[^"]+)"', page.text)[:3]
    for path in served:
        resp = requests.get(url + path, timeout=30)
        assert resp.status_code == 200, path
        assert not re.search(r"gunicorn|werkzeug|python", resp.headers.get("Server", ""), re.I), path
        assert "Strict-Transport-Security" not in resp.headers, path  # plain HTTP: no HSTS
    # OPTIONS: 204 with what is served, no empty text/html
    for path, allow in (("/api/kpis", {"GET", "HEAD", "OPTIONS"}), ("/api/agent/stream", {"POST", "OPTIONS"}),
                        ("/", {"GET", "HEAD", "OPTIONS"}), ("/_dash-update-component", {"POST", "OPTIONS"})):
        resp = requests.options(url + path, timeout=30)
        assert resp.status_code == 204 and not resp.content, path
        assert "text/html" not in resp.headers.get("Content-Type", ""), path
        assert {m.strip() for m in resp.headers["Allow"].split(",")} == allow, (path, resp.headers["Allow"])
        assert "Access-Control-Allow-Origin" not in resp.headers, path
    assert requests.options(url + "/.env", timeout=30).status_code == 404
    # HTTPS at the ingress: HSTS on pages, API answers and errors alike
    for path in ("/", "/api/kpis", "/api/nowhere", "/.env"):
        resp = requests.get(url + path, headers={"X-Forwarded-Proto": "https"}, timeout=30)
        assert resp.headers["Strict-Transport-Security"] == "max-age=31536000", path
