"""Freshness end to end: the continuous pipeline, the incremental sync, bronze retention.

Everything here runs against a PRIVATE warehouse and Postgres (tests/fix_services.py
start_fault_stack, small scale), because the tests change outages, add bronze and delete it,
and the shared test stores must stay equal for the tests that compare them later.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from tests.fix_private_pg import wait_until
from tests.fix_services import start_fault_stack


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@pytest.fixture(scope="module")
def flow(test_settings, tmp_path_factory):
    """(writer Settings, warehouse connection) on a private loaded stack, heartbeats in a tmp dir."""
    from data.connections import connect_warehouse

    pg, wh_server, settings = start_fault_stack(test_settings)
    writer = settings.model_copy(update={
        "pg_password": None,
        "heartbeat_dir": tmp_path_factory.mktemp("heartbeat"),
        "sync_overlap_s": 2.0,
        "live_read_ttl_s": 1.0,
    })
    wh = connect_warehouse(writer)
    try:
        yield writer, wh, settings
    finally:
        wh.close()
        pg.destroy()
        wh_server.destroy()


def _scalar(conn, sql: str, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.fetchone()[0]


def _pg_rows(settings, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(settings.postgres_admin_dsn()) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def live_sync(flow):
    """The incremental sync running continuously (every 0.3 s) while the test runs."""
    from data.etl import sync_live

    settings, _, _ = flow
    stop = threading.Event()
    thread = threading.Thread(
        target=sync_live.run_every, args=(settings, 0.3, stop), kwargs={"reconcile_every_s": 3600}, daemon=True
    )
    thread.start()
    yield
    stop.set()
    thread.join(10)


@pytest.fixture
def repo(flow, tmp_path):
    """The app's repository with a real shared file cache (TTL of live reads capped at 1 s)."""
    from cachelib import FileSystemCache

    from data.connections import open_pg_pool
    from data.read.repository import Repository

    _, _, app_settings = flow
    app_settings = app_settings.model_copy(update={"live_read_ttl_s": 1.0})
    pool = open_pg_pool(app_settings, wait=True)
    repository = Repository.from_settings(app_settings, pg_pool=pool, cache=FileSystemCache(str(tmp_path)))
    yield repository
    repository.close()


def _active_outage(wh) -> str:
    return _scalar(wh, "SELECT MIN(OUTAGE_ID) FROM OUTAGE_EVENTS WHERE END_TIME IS NULL")


def test_flow001_changed_outage_reaches_postgres_and_the_repository_in_seconds(flow, live_sync, repo):
    settings, wh, _ = flow
    outage = _active_outage(wh)
    # the repository has the old answer cached before the change
    before = {r["outage_id"]: r for r in repo.active_outages().data}
    assert before[outage]["restoration_status"] != "on_site"

    changed_at = time.monotonic()
    wh.cursor().execute(
        "UPDATE OUTAGE_EVENTS SET RESTORATION_STATUS = 'on_site', AFFECTED_CUSTOMERS_COUNT = 4321,"
        " UPDATED_AT = %(now)s WHERE OUTAGE_ID = %(id)s",
        {"now": _now(), "id": outage},
    )

    def seen() -> bool:
        rows = {r["outage_id"]: r for r in repo.active_outages().data}
        return rows.get(outage, {}).get("restoration_status") == "on_site"

    assert wait_until(seen, timeout_s=10, interval_s=0.1), "the change never reached the repository"
    took = time.monotonic() - changed_at
    assert took < 5, f"the change took {took:.1f} s to reach the repository"
    row = {r["outage_id"]: r for r in repo.active_outages().data}[outage]
    assert row["affected_customers_count"] == 4321
    assert repo.active_outages().provenance.backend == "postgres"


def test_flow002_new_outage_appears_and_restored_outage_leaves(flow, live_sync, repo):
    settings, wh, _ = flow
    cur = wh.cursor()
    template = _active_outage(wh)
    new_id = "OUT-LIVE-0001"
    cur.execute("SELECT * FROM OUTAGE_EVENTS WHERE OUTAGE_ID = %(t)s", {"t": template})
    row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    # fakesnow reads a NULL timestamp back as 1970-01-01: set the nullable ones explicitly
    row.update(OUTAGE_ID=new_id, START_TIME=_now(), UPDATED_AT=_now(), END_TIME=None,
               ESTIMATED_RESTORATION_TIME=_now() + timedelta(hours=2))
    cols = list(row)  # the warehouse's own column names, not input
    cur.execute(
        f"INSERT INTO OUTAGE_EVENTS ({', '.join(cols)}) VALUES ({', '.join(f'%({c})s' for c in cols)})", row
    )
    ids = lambda: {r["outage_id"] for r in repo.active_outages().data}  # noqa: E731
    assert wait_until(lambda: new_id in ids(), timeout_s=10), "a new outage never appeared"

    cur.execute(
        "UPDATE OUTAGE_EVENTS SET END_TIME = %(now)s, RESTORATION_STATUS = 'restored', UPDATED_AT = %(now)s"
        " WHERE OUTAGE_ID IN (%(a)s, %(b)s)",
        {"now": _now(), "a": new_id, "b": template},
    )
    assert wait_until(lambda: not ({new_id, template} & ids()), timeout_s=10), "restored outages stayed active"
    left = _pg_rows(settings, "SELECT outage_id FROM flux.outages_active WHERE outage_id IN (%s, %s)", (new_id, template))
    assert left == []
    # the others are untouched
    assert _pg_rows(settings, "SELECT count(*) FROM flux.outages_active")[0][0] == _scalar(
        wh, "SELECT COUNT(*) FROM OUTAGE_EVENTS WHERE END_TIME IS NULL"
    )


def test_flow003_completed_work_order_leaves_and_crew_moves(flow, live_sync):
    settings, wh, _ = flow
    cur = wh.cursor()
    wo = _scalar(wh, "SELECT MIN(WORK_ORDER_ID) FROM WORK_ORDERS WHERE LOWER(STATUS) NOT IN ('completed', 'cancelled')")
    crew = _scalar(wh, "SELECT MIN(CREW_ID) FROM CREWS")
    cur.execute("UPDATE WORK_ORDERS SET STATUS = 'completed', UPDATED_AT = %(now)s WHERE WORK_ORDER_ID = %(id)s",
                {"now": _now(), "id": wo})
    cur.execute("UPDATE CREWS SET LATITUDE = 29.7777, LONGITUDE = -95.3333, UPDATED_AT = %(now)s WHERE CREW_ID = %(id)s",
                {"now": _now(), "id": crew})

    def applied() -> bool:
        gone = not _pg_rows(settings, "SELECT 1 FROM flux.work_orders_active WHERE work_order_id = %s", (wo,))
        pos = _pg_rows(settings, "SELECT latitude, ST_Y(geom) FROM flux.crews WHERE crew_id = %s", (crew,))
        return gone and pos == [(29.7777, 29.7777)]

    assert wait_until(applied, timeout_s=10), "the work order or the crew did not follow"


def _cache_state(settings) -> dict:
    from data.etl.sync_live import LIVE_TABLES

    out = {}
    with psycopg.connect(settings.postgres_admin_dsn()) as conn:
        for table in LIVE_TABLES:  # fixed names
            out[table] = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM flux.{table} t"
            ).fetchone()
    return out


def test_flow004_rerun_is_idempotent_and_equals_a_full_sync(flow):
    from data.etl import sync, sync_live

    settings, wh, _ = flow
    # a change the incremental sync applies, then nothing new
    wh.cursor().execute(
        "UPDATE CIRCUIT_STATUS_REALTIME SET LOAD_PERCENT = 77.5, LAST_UPDATED = %(now)s"
        " WHERE CIRCUIT_ID = (SELECT MIN(CIRCUIT_ID) FROM CIRCUIT_STATUS_REALTIME)",
        {"now": _now()},
    )
    first = sync_live.sync_live(settings)
    assert not [r for r in first.values() if r.error]
    assert first["circuit_status_realtime"].upserted == 1
    state = _cache_state(settings)

    again = sync_live.sync_live(settings)
    for result in again.values():
        assert result.error is None
        assert (result.upserted, result.deleted) == (0, 0), result
    # the overlap re-read the change, and left it as it was
    assert again["circuit_status_realtime"].read >= 1
    assert _cache_state(settings) == state

    # a full compare finds nothing the incremental sync missed
    full = sync.sync_all(settings, list(sync_live.LIVE_TABLES), force=True)
    for result in full.tables.values():
        assert (result.inserted, result.updated, result.deleted) == (0, 0, 0), result
    assert _cache_state(settings) == state


def _bronze_batch(wh, batch: str, arrived: datetime, reading_time: datetime, meters: int) -> int:
    """``meters`` existing meters deliver one reading each at ``arrived``."""
    cur = wh.cursor()
    cur.execute(
        "INSERT INTO AMI_INTERVAL_READINGS"
        " SELECT METER_ID, TRANSFORMER_ID, %(rt)s, 0.25, 240.0, 0.97, %(at)s, %(b)s"
        " FROM (SELECT DISTINCT METER_ID, TRANSFORMER_ID FROM AMI_DEDUPLICATED ORDER BY METER_ID LIMIT %(n)s)",
        {"rt": reading_time, "at": arrived, "b": batch, "n": meters},
    )
    return meters


def test_flow005_pipeline_windows_a_backlog_and_ami_realtime_follows(flow):
    from data.etl import pipeline, sync_live

    settings, wh, _ = flow
    base = _now().replace(microsecond=0)
    reading = base.replace(minute=(base.minute // 15) * 15, second=0) + timedelta(minutes=15)
    # a backlog of 6 deliveries of 20 readings each (a replayed spill queue, say)
    for i in range(6):
        _bronze_batch(wh, f"FLOW-BACKLOG-{i}", base + timedelta(seconds=i), reading - timedelta(minutes=15 * (5 - i)), 20)
    windowed = settings.model_copy(update={"pipeline_window_rows": 45})
    report = pipeline.run_once(windowed)
    # 45-row windows over 20-row deliveries: 60 rows, 60 rows (a delivery is never split)
    assert report["bronze"] == 120
    assert report["windows"] == 2
    assert report["gold"] == 120
    assert _scalar(wh, "SELECT COUNT(*) FROM AMI_ENRICHED WHERE INGESTION_TIME >= %(b)s", {"b": base}) == 120
    assert _scalar(wh, "SELECT WATERMARK FROM PIPELINE_WATERMARKS WHERE STEP = 'gold'") == base + timedelta(seconds=5)

    results = sync_live.sync_live(settings, ["ami_realtime"])
    assert results["ami_realtime"].error is None
    newest = _pg_rows(
        settings, "SELECT count(*) FROM flux.ami_realtime WHERE reading_time = %s AT TIME ZONE 'UTC'", (reading,)
    )[0][0]
    assert newest == 20  # each of the 20 meters' newest reading, not the older ones of the backlog


def test_flow006_continuous_pipeline_writes_a_heartbeat_with_its_lag(flow):
    from data.etl import heartbeat, pipeline

    settings, wh, _ = flow
    # arrive after silver's watermark: the test before may have left it a few seconds ahead
    watermark = _scalar(wh, "SELECT MAX(WATERMARK) FROM PIPELINE_WATERMARKS WHERE STEP = 'silver'")
    if watermark is not None and watermark >= _now():
        time.sleep((watermark - _now()).total_seconds() + 0.5)
    arrived = _now()
    _bronze_batch(wh, "FLOW-HEARTBEAT", arrived, arrived.replace(second=0, microsecond=0), 10)
    follower = pipeline.Follower(settings.model_copy(update={"retention_every_s": 3600}), 1.0)
    try:
        report = follower.cycle()
    finally:
        follower.close()
    assert report["bronze"] == 10
    beat = heartbeat.read(settings, "pipeline")
    assert beat["state"] == "idle" and beat["rows"] == 10
    assert 0 < beat["lag_s"] < 60
    assert time.time() - beat["at"] < 30


def test_flow007_retention_deletes_only_old_raw_rows_that_silver_has(flow):
    from data.etl import pipeline, retention

    settings, wh, _ = flow
    cur = wh.cursor()
    old = _now() - timedelta(days=10)
    old_hour = old.replace(minute=0, second=0, microsecond=0)
    # an old delivery the pipeline has processed ...
    cur.execute("UPDATE PIPELINE_WATERMARKS SET WATERMARK = %(w)s", {"w": old - timedelta(days=1)})
    _bronze_batch(wh, "FLOW-OLD-DONE", old, old_hour, 15)
    pipeline.run_once(settings)
    # ... and one just as old that it has not (it arrived past silver's watermark)
    cur.execute("UPDATE PIPELINE_WATERMARKS SET WATERMARK = %(w)s", {"w": old + timedelta(seconds=1)})
    _bronze_batch(wh, "FLOW-OLD-PENDING", old + timedelta(seconds=2), old_hour + timedelta(minutes=15), 15)
    cutoff = {"c": _now() - timedelta(days=7)}
    recent = _scalar(wh, "SELECT COUNT(*) FROM AMI_INTERVAL_READINGS WHERE INGESTION_TIME >= %(c)s", cutoff)
    assert recent > 0
    count = lambda batch: _scalar(  # noqa: E731
        wh, "SELECT COUNT(*) FROM AMI_INTERVAL_READINGS WHERE BATCH_ID = %(b)s", {"b": batch})
    assert count("FLOW-OLD-DONE") == 15

    report = retention.purge_bronze(wh, settings)
    assert report["deleted"] >= 15
    assert count("FLOW-OLD-DONE") == 0
    assert count("FLOW-OLD-PENDING") == 15
    assert _scalar(wh, "SELECT COUNT(*) FROM AMI_INTERVAL_READINGS WHERE INGESTION_TIME < %(c)s"
                   " AND BATCH_ID <> 'FLOW-OLD-PENDING'", cutoff) == 0
    assert _scalar(wh, "SELECT COUNT(*) FROM AMI_INTERVAL_READINGS WHERE INGESTION_TIME >= %(c)s", cutoff) == recent

    # once the pipeline has it, the pending delivery goes too; silver and gold keep every reading
    pipeline.run_once(settings)
    retention.purge_bronze(wh, settings)
    assert count("FLOW-OLD-PENDING") == 0
    assert _scalar(wh, "SELECT COUNT(*) FROM AMI_INTERVAL_READINGS") == recent
    kept = {"t": old_hour}
    assert _scalar(wh, "SELECT COUNT(*) FROM AMI_DEDUPLICATED WHERE READING_TIME = %(t)s", kept) >= 15
    assert _scalar(wh, "SELECT COUNT(*) FROM AMI_ENRICHED WHERE READING_TIME = %(t)s", kept) >= 15


def test_flow008_meter_power_state_follows_last_gasp_restore_and_readings(flow):
    from data.etl import pipeline, sync_live

    settings, wh, _ = flow
    cur = wh.cursor()
    # the live feed's table (its warehouse migration V003), as that migration creates it
    cur.execute(
        "CREATE TABLE IF NOT EXISTS METER_EVENTS (EVENT_ID VARCHAR NOT NULL, METER_ID VARCHAR NOT NULL,"
        " TRANSFORMER_ID VARCHAR NOT NULL, CIRCUIT_ID VARCHAR, EVENT_TYPE VARCHAR NOT NULL,"
        " EVENT_TIME TIMESTAMP_NTZ NOT NULL, INGESTION_TIME TIMESTAMP_NTZ NOT NULL, BATCH_ID VARCHAR NOT NULL)"
    )
    meter, transformer = _pg_rows(settings, "SELECT meter_id, transformer_id FROM flux.ami_realtime ORDER BY meter_id LIMIT 1")[0]
    other = _pg_rows(settings, "SELECT meter_id FROM flux.ami_realtime ORDER BY meter_id OFFSET 1 LIMIT 1")[0][0]
    state = lambda m: _pg_rows(settings, "SELECT power_state FROM flux.ami_realtime WHERE meter_id = %s", (m,))[0][0]  # noqa: E731
    assert state(meter) == "on"

    def event(kind: str, meter_id: str, at: datetime) -> None:
        cur.execute("INSERT INTO METER_EVENTS VALUES (%(id)s, %(m)s, %(t)s, NULL, %(k)s, %(at)s, %(now)s, 'FLOW-EV')",
                    {"id": f"EV-{kind}-{meter_id}-{at.timestamp()}", "m": meter_id, "t": transformer, "k": kind,
                     "at": at, "now": _now()})

    gasp = _now() - timedelta(minutes=1)
    event("last_gasp", meter, gasp)
    event("last_gasp", other, gasp)
    assert sync_live.sync_live(settings, ["meter_power"])["meter_power"].upserted == 2
    assert (state(meter), state(other)) == ("off", "off")

    # one meter's restore arrives; the other's is lost, but its next reading says power is back
    event("power_restore", meter, gasp + timedelta(minutes=20))
    assert sync_live.sync_live(settings, ["meter_power"])["meter_power"].error is None
    assert (state(meter), state(other)) == ("on", "off")
    reading = gasp.replace(second=0, microsecond=0) + timedelta(minutes=30)
    cur.execute(
        "INSERT INTO AMI_INTERVAL_READINGS SELECT METER_ID, TRANSFORMER_ID, %(rt)s, 0.3, 240.0, 0.97, %(at)s, 'FLOW-BACK'"
        " FROM AMI_DEDUPLICATED WHERE METER_ID = %(m)s LIMIT 1",
        {"rt": reading, "at": _now(), "m": other},
    )
    pipeline.run_once(settings)
    assert sync_live.sync_live(settings, ["ami_realtime"])["ami_realtime"].error is None
    assert state(other) == "on"
    # the old gasp, re-read through a wide overlap, does not switch it back off
    wide = settings.model_copy(update={"sync_overlap_s": 3600.0})
    again = sync_live.sync_live(wide, ["meter_power"])["meter_power"]
    assert again.read == 2 and again.upserted == 0
    assert (state(meter), state(other)) == ("on", "on")
