"""GET /api/live/status against the real stack: the production server (gunicorn) over a PRIVATE
warehouse and Postgres (tests/fix_services.py start_fault_stack, small scale), because the tests
write the feed's heartbeat, bronze rows and the sync's watermarks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest
import requests

from tests.fix_private_pg import wait_until
from tests.fix_services import start_fault_stack, start_server

pytestmark = pytest.mark.timeout(300)


def _utc_naive(seconds_ago: float = 0.0) -> datetime:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).replace(tzinfo=None)


@pytest.fixture(scope="module")
def live_stack(test_settings, server_log_dir):
    from data.connections import connect_warehouse

    pg, wh_server, settings = start_fault_stack(test_settings)
    writer = settings.model_copy(update={"pg_password": None})
    server = None
    wh = connect_warehouse(writer)
    try:
        # thresholds small enough to cross in a test; a 1 s cache of the live reads
        server = start_server(settings, server_log_dir, "live-status", FLUX_LIVE_AMBER_S="20", FLUX_LIVE_RED_S="60",
                              FLUX_LIVE_PIPELINE_AMBER_S="30", FLUX_LIVE_PIPELINE_RED_S="90",
                              FLUX_LIVE_READ_TTL_S="1")
        yield server, writer, wh
    finally:
        if server is not None:
            server.stop()
        wh.close()
        pg.destroy()
        wh_server.destroy()


def _beat(wh, writer, seconds_ago: float, status: str = "running") -> None:
    from data.etl.live.sqlfile import sql

    cur = wh.cursor()
    cur.execute(sql("load", "heartbeat_merge"), {
        "feed": writer.live_feed_name, "beat_at": _utc_naive(seconds_ago), "sim_time": _utc_naive(seconds_ago),
        "speed": 1.0, "scenario": "calm", "meters": 100, "rows_per_s": 42.5, "lag_s": 0.8, "buffered_rows": 0,
        "spilled_batches": 0, "rows_total": 1000, "active_outages": 3, "status": status,
    })
    cur.close()


def _sync_applied(writer, seconds_ago: float) -> None:
    with psycopg.connect(writer.postgres_admin_dsn()) as conn:
        conn.execute("UPDATE flux.sync_watermarks SET applied_at = now() - make_interval(secs => %s)", (seconds_ago,))


def _status(server) -> dict:
    resp = requests.get(server.url + "/api/live/status", timeout=20)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _wait_state(server, signal: str | None, state: str) -> dict:
    seen: list[dict] = []

    def reached() -> bool:
        seen.append(_status(server))
        body = seen[-1]
        return (body[signal]["state"] if signal else body["state"]) == state

    assert wait_until(reached, 15, 0.5), seen[-1]
    return seen[-1]


def test_lvst001_no_feed_yet_is_red_with_its_reason(live_stack):
    server, writer, wh = live_stack
    cur = wh.cursor()
    cur.execute("DELETE FROM FEED_HEARTBEATS")
    cur.close()
    _sync_applied(writer, 0)
    body = _wait_state(server, "feed", "red")
    assert body["state"] == "red"
    assert body["feed"]["reason"] == "no heartbeat from the live feed" and body["feed"]["age_s"] is None
    # the full sync of the fixture set every live table's watermark; the pipeline ran once
    assert body["sync"]["state"] == "ok" and body["sync"]["stalest_table"]
    assert body["pipeline"]["state"] == "ok" and body["pipeline"]["pending_rows"] == 0
    assert body["thresholds"] == {"amber_s": 20.0, "red_s": 60.0, "pipeline_amber_s": 30.0, "pipeline_red_s": 90.0}


def test_lvst002_fresh_heartbeat_and_sync_are_ok_then_age_to_amber_and_red(live_stack):
    server, writer, wh = live_stack
    _sync_applied(writer, 0)
    _beat(wh, writer, 2)
    body = _wait_state(server, None, "ok")
    assert body["feed"]["rows_per_s"] == 42.5 and body["feed"]["status"] == "running"
    assert 0 <= body["feed"]["age_s"] < 20
    _beat(wh, writer, 40)
    body = _wait_state(server, "feed", "amber")
    assert body["state"] == "amber" and body["feed"]["reason"].startswith("last heartbeat")
    _beat(wh, writer, 300)
    assert _wait_state(server, "feed", "red")["state"] == "red"
    _beat(wh, writer, 1, status="degraded")
    assert _wait_state(server, "feed", "amber")["feed"]["reason"].startswith("the feed is spilling")


def test_lvst003_stale_sync_and_pipeline_backlog(live_stack):
    server, writer, wh = live_stack
    _beat(wh, writer, 1)
    _sync_applied(writer, 45)
    body = _wait_state(server, "sync", "amber")
    assert body["sync"]["age_s"] >= 45 and body["state"] == "amber"
    _sync_applied(writer, 0)
    # a bronze reading that arrived 50 s ago and silver has not taken: the pipeline lags
    cur = wh.cursor()
    cur.execute("SELECT * FROM AMI_INTERVAL_READINGS LIMIT 1")
    cols = [d[0] for d in cur.description]
    row = dict(zip(cols, cur.fetchone()))
    row["INGESTION_TIME"] = _utc_naive(50)
    cur.execute(f"INSERT INTO AMI_INTERVAL_READINGS ({', '.join(cols)}) VALUES ({', '.join('%(' + c + ')s' for c in cols)})", row)
    try:
        body = _wait_state(server, "pipeline", "amber")
        assert body["pipeline"]["pending_rows"] == 1 and body["pipeline"]["lag_s"] >= 50
    finally:
        cur.execute("DELETE FROM AMI_INTERVAL_READINGS WHERE INGESTION_TIME = %(t)s", {"t": row["INGESTION_TIME"]})
        cur.close()


def test_lvst004_in_the_openapi_document_and_refuses_parameters(live_stack):
    server, _, _ = live_stack
    doc = requests.get(server.url + "/api/openapi.json", timeout=20).json()
    assert "/api/live/status" in doc["paths"] and "LiveStatus" in doc["components"]["schemas"]
    resp = requests.get(server.url + "/api/live/status?since=1", timeout=20)
    assert resp.status_code == 400 and resp.json()["error"]
