"""The live console in headless Chromium over a PRIVATE loaded stack (tests/fix_services.py
start_fault_stack): an outage written into the cache shows a toast, a table row and a timeline
row within seconds and leaves after its restoration; the header indicator follows the feed's
heartbeat from Live to Delayed to Stalled. The incremental sync runs for real meanwhile."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from selenium.webdriver.common.by import By

from layouts import ids
from tests.dashboard_support import free_port, wait_for
from tests.fix_services import start_fault_stack

pytestmark = pytest.mark.timeout(300)

OUTAGE_ID = "OUT-LIVE-0001"
# changes within this after they are in the cache: tick 1 s, reads uncached; room for a machine
# shared with other work (load average above 10 seen here)
SHOW_S = 20


def _utc_naive(seconds_ago: float) -> datetime:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).replace(tzinfo=None)


@pytest.fixture(scope="module")
def console_stack(test_settings):
    from data.connections import connect_warehouse
    from data.etl import sync_live

    pg, wh_server, settings = start_fault_stack(test_settings)
    writer = settings.model_copy(update={"pg_password": None})
    wh = connect_warehouse(writer)
    stop = threading.Event()
    sync = threading.Thread(target=sync_live.run_every, args=(writer, 1.0, stop),
                            kwargs={"reconcile_every_s": 3600}, daemon=True)
    sync.start()
    try:
        app_settings = settings.model_copy(update={
            "live_poll_s": 1.0, "live_amber_s": 20.0, "live_red_s": 90.0, "refresh_interval_s": 60,
        })
        yield app_settings, writer, wh
    finally:
        stop.set()
        sync.join(15)
        wh.close()
        pg.destroy()
        wh_server.destroy()


class Heartbeat:
    """The live feed's heartbeat, as the feed writes it (its own SQL), every second from a thread,
    ``age_s`` behind the wall clock: the test ages it without waiting."""

    def __init__(self, wh, writer):
        self.wh, self.writer, self.age_s = wh, writer, 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from data.etl.live.sqlfile import sql

        while not self.stop.is_set():
            at = _utc_naive(self.age_s)
            cur = self.wh.cursor()
            cur.execute(sql("load", "heartbeat_merge"), {
                "feed": self.writer.live_feed_name, "beat_at": at, "sim_time": at, "speed": 1.0, "scenario": "calm",
                "meters": 100, "rows_per_s": 12.0, "lag_s": 0.5, "buffered_rows": 0, "spilled_batches": 0,
                "rows_total": 100, "active_outages": 1, "status": "running",
            })
            cur.close()
            self.stop.wait(1.0)


@pytest.fixture
def heartbeat(console_stack):
    _, writer, wh = console_stack
    beat = Heartbeat(wh, writer)
    beat.thread.start()
    yield beat
    beat.stop.set()
    beat.thread.join(10)


def _indicator(dash_duo) -> str:
    return dash_duo.find_element(f"#{ids.LIVE_INDICATOR}").text


def _wait_live(dash_duo) -> None:
    """The indicator says Live (on failure: its tooltip, which names each signal)."""
    seen = []

    def live() -> bool:
        badge = dash_duo.find_element(f"#{ids.LIVE_INDICATOR}")
        seen.append((badge.text, badge.get_attribute("title")))
        return badge.text == "Live"

    try:
        wait_for(live, timeout_s=30)
    except AssertionError:
        raise AssertionError(f"not Live: {seen[-1]}") from None


def _timeline_row(dash_duo, item_id: str):
    return next((r for r in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".flux-live-row") if item_id in r.text), None)


def _click_timeline_row(dash_duo, item_id: str) -> bool:
    """A real click on the row, scrolled into view (a tick may redraw the rows: then try again)."""
    from selenium.common.exceptions import WebDriverException

    row = _timeline_row(dash_duo, item_id)
    if row is None:
        return False
    try:
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
        row.click()
    except WebDriverException:
        return False
    return True


def _toasts(dash_duo) -> str:
    # read in one script: a tick may replace the toasts between a find and a read
    return dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.flux-live-toast')).map(e => e.innerText).join(' | ')")


def test_lvcb001_new_outage_toast_row_timeline_then_restored(dash_duo, console_stack, heartbeat):
    from app import create_app

    settings, writer, _ = console_stack
    dash_duo.start_server(create_app(settings), port=free_port())
    _wait_live(dash_duo)
    grid = f"#{ids.OUTAGE_GRID}"
    wait_for(lambda: dash_duo.find_element(grid).text.strip(), timeout_s=30)
    assert OUTAGE_ID not in dash_duo.find_element(grid).text
    with psycopg.connect(writer.postgres_admin_dsn(), autocommit=True) as conn:
        circuit, substation, lon, lat = conn.execute(
            "SELECT circuit_id, substation_id, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom))"
            " FROM flux.feeder_segments ORDER BY segment_id LIMIT 1").fetchone()
        conn.execute(
            "INSERT INTO flux.outages_active (outage_id, start_time, cause, severity, priority, restoration_status,"
            " affected_customers_count, latitude, longitude, geom, affected_transformers, assigned_crew_count,"
            " circuit_id, substation_id) VALUES (%s, now(), 'vegetation', 'high', 'high', 'reported', 1234, %s, %s,"
            " ST_SetSRID(ST_MakePoint(%s, %s), 4326), 2, 0, %s, %s)",
            (OUTAGE_ID, lat, lon, lon, lat, circuit, substation),
        )
        started = time.monotonic()
        try:
            # the notification names the circuit, the customers and the cause
            wait_for(lambda: f"New outage {OUTAGE_ID}" in _toasts(dash_duo), timeout_s=SHOW_S)
            toast = _toasts(dash_duo)
            assert circuit in toast and "1,234 customers" in toast and "vegetation" in toast
            wait_for(lambda: OUTAGE_ID in dash_duo.find_element(grid).text, timeout_s=SHOW_S)
            shown_s = time.monotonic() - started
            assert shown_s < SHOW_S
            row = wait_for(lambda: _timeline_row(dash_duo, OUTAGE_ID), timeout_s=5)
            assert "Outage started" in row.text
            # a timeline row selects its object in the details panel
            wait_for(lambda: _click_timeline_row(dash_duo, OUTAGE_ID), timeout_s=10)
            dash_duo.wait_for_text_to_equal(f"#{ids.DETAILS_TITLE}", f"Outage {OUTAGE_ID}", timeout=15)
        finally:
            conn.execute("DELETE FROM flux.outages_active WHERE outage_id = %s", (OUTAGE_ID,))
    wait_for(lambda: f"Outage restored {OUTAGE_ID}" in _toasts(dash_duo), timeout_s=SHOW_S)
    wait_for(lambda: OUTAGE_ID not in dash_duo.find_element(grid).text, timeout_s=SHOW_S)
    timeline = dash_duo.find_element(f"#{ids.LIVE_TIMELINE}").text
    assert timeline.index("Outage restored") < timeline.index("Outage started")  # newest first
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []


def test_lvcb002_indicator_turns_amber_then_red_with_an_old_heartbeat(dash_duo, console_stack, heartbeat):
    from app import create_app

    settings, _, _ = console_stack
    dash_duo.start_server(create_app(settings), port=free_port())
    _wait_live(dash_duo)
    assert "bg-success" in dash_duo.find_element(f"#{ids.LIVE_INDICATOR}").get_attribute("class")
    heartbeat.age_s = 45
    wait_for(lambda: _indicator(dash_duo).startswith("Delayed "), timeout_s=SHOW_S)
    seconds = int(_indicator(dash_duo).split()[1])
    assert 45 <= seconds < 45 + SHOW_S
    assert "bg-warning" in dash_duo.find_element(f"#{ids.LIVE_INDICATOR}").get_attribute("class")
    heartbeat.age_s = 600
    dash_duo.wait_for_text_to_equal(f"#{ids.LIVE_INDICATOR}", "Stalled", timeout=SHOW_S)
    assert "bg-danger" in dash_duo.find_element(f"#{ids.LIVE_INDICATOR}").get_attribute("class")
    assert "feed heartbeat" in dash_duo.find_element(f"#{ids.LIVE_INDICATOR}").get_attribute("title")
    heartbeat.age_s = 0
    dash_duo.wait_for_text_to_equal(f"#{ids.LIVE_INDICATOR}", "Live", timeout=SHOW_S)
