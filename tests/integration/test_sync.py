"""Warehouse -> Postgres cache sync against the real fakesnow server and the real Postgres+PostGIS.

The module loads the small generated grid into databases of its own, so that changing the
warehouse under the sync does not disturb the shared test session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.fix_stack import TEST_AS_OF, TEST_PG_DATABASE, TEST_SEED, TEST_WAREHOUSE_DATABASE, reset_stores

ROOT = Path(__file__).resolve().parents[2]

# independent of data/etl/sql/sync: what each cache table must hold, counted in the warehouse
SOURCE_COUNTS = {
    "substations": "SELECT COUNT(*) FROM SUBSTATIONS",
    "circuits": "SELECT COUNT(*) FROM CIRCUITS",
    "feeder_segments": "SELECT COUNT(*) FROM FEEDER_SEGMENTS",
    "grid_assets": "SELECT COUNT(*) FROM GRID_ASSETS",
    "customers": "SELECT COUNT(*) FROM CUSTOMERS_MASTER_DATA",
    "circuit_status_realtime": "SELECT COUNT(*) FROM CIRCUIT_STATUS_REALTIME",
    "ami_realtime": "SELECT COUNT(DISTINCT METER_ID) FROM AMI_DEDUPLICATED",
    "outages_active": "SELECT COUNT(*) FROM OUTAGE_EVENTS WHERE END_TIME IS NULL",
    "work_orders_active": "SELECT COUNT(*) FROM WORK_ORDERS WHERE STATUS NOT IN ('completed', 'cancelled')",
    "crews": "SELECT COUNT(*) FROM CREWS",
}
KEYS = {
    "substations": "substation_id",
    "circuits": "circuit_id",
    "feeder_segments": "segment_id",
    "grid_assets": "asset_id",
    "customers": "customer_id",
    "circuit_status_realtime": "circuit_id",
    "ami_realtime": "meter_id",
    "outages_active": "outage_id",
    "work_orders_active": "work_order_id",
    "crews": "crew_id",
}


@pytest.fixture(scope="module")
def sync_settings(test_settings):
    """Own test databases, the small grid generated, loaded and piped; the cache still empty."""
    from data.etl import generate, pipeline

    settings = test_settings.model_copy(
        update={
            "pg_database": f"{TEST_PG_DATABASE}_sync",
            "snowflake_database": f"{TEST_WAREHOUSE_DATABASE}_SYNC",
        }
    )
    reset_stores(settings)
    dataset = generate.generate(scale="small", seed=TEST_SEED, as_of=TEST_AS_OF)
    generate.load_warehouse(settings, dataset)
    pipeline.run_once(settings)
    return settings


@pytest.fixture(scope="module")
def synced(sync_settings):
    from data.etl.sync import sync_all

    return sync_all(sync_settings)


@pytest.fixture
def wh(sync_settings):
    from data.connections import connect_warehouse

    conn = connect_warehouse(sync_settings)
    yield conn
    conn.close()


@pytest.fixture
def pg(sync_settings):
    from data.connections import pg_admin

    with pg_admin(sync_settings, autocommit=True) as conn:
        yield conn


@contextmanager
def restored(wh, *tables: str):
    """Let a test change warehouse tables, and put them back afterwards."""
    cur = wh.cursor()
    for t in tables:
        cur.execute(f"CREATE OR REPLACE TABLE {t}_BAK AS SELECT * FROM {t}")
    try:
        yield cur
    finally:
        for t in tables:
            cur.execute(f"DELETE FROM {t}")
            cur.execute(f"INSERT INTO {t} SELECT * FROM {t}_BAK")
            cur.execute(f"DROP TABLE {t}_BAK")


def source_count(wh, table: str) -> int:
    cur = wh.cursor()
    cur.execute(SOURCE_COUNTS[table])
    return int(cur.fetchone()[0])


def cache_state(pg, table: str) -> tuple[int, str]:
    """Row count and a content checksum of one cache table."""
    from psycopg import sql

    return pg.execute(
        sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.{key}), '')) FROM {table} t").format(
            key=sql.Identifier(KEYS[table]), table=sql.Identifier("flux", table)
        )
    ).fetchone()


def all_cache_state(pg) -> dict[str, tuple[int, str]]:
    return {t: cache_state(pg, t) for t in KEYS}


# --- round trip -------------------------------------------------------------------------------
def test_sync001_round_trip_counts_match(sync_settings, synced, wh, pg):
    assert synced.ok
    for table in KEYS:
        want = source_count(wh, table)
        assert want > 0, f"the small grid should have {table}"
        assert cache_state(pg, table)[0] == want, table
        assert synced.row_counts[table] == want, table
        assert synced.tables[table].inserted == want and not synced.tables[table].skipped
    fresh = dict(pg.execute("SELECT table_name, row_count FROM flux.cache_freshness").fetchall())
    assert fresh == synced.row_counts


def test_sync002_values_and_geometry_survive_the_trip(sync_settings, synced, wh, pg):
    cur = wh.cursor()
    cur.execute("SELECT SEGMENT_ID, GEOM_WKT, GEOM_SIMPLIFIED_WKT FROM FEEDER_SEGMENTS ORDER BY SEGMENT_ID LIMIT 5")
    for segment_id, wkt, simplified in cur.fetchall():
        row = pg.execute(
            "SELECT ST_SRID(geom), ST_Equals(geom, ST_GeomFromText(%s, 4326)),"
            " ST_Equals(geom_simplified, ST_GeomFromText(%s, 4326)) FROM flux.feeder_segments WHERE segment_id = %s",
            (wkt, simplified, segment_id),
        ).fetchone()
        assert row == (4326, True, True)
    cur.execute("SELECT ASSET_ID, LATITUDE, LONGITUDE, CAPACITY FROM GRID_ASSETS ORDER BY ASSET_ID LIMIT 5")
    for asset_id, lat, lon, capacity in cur.fetchall():
        row = pg.execute(
            "SELECT ST_Y(geom), ST_X(geom), ST_SRID(geom), capacity FROM flux.grid_assets WHERE asset_id = %s", (asset_id,)
        ).fetchone()
        assert row == (pytest.approx(lat), pytest.approx(lon), 4326, capacity)

    # the hot window holds each meter's latest deduplicated reading
    cur.execute(
        "SELECT METER_ID, MAX(READING_TIME) FROM AMI_DEDUPLICATED GROUP BY METER_ID ORDER BY METER_ID LIMIT 5"
    )
    for meter_id, latest in cur.fetchall():
        got = pg.execute(
            "SELECT reading_time AT TIME ZONE 'UTC' FROM flux.ami_realtime WHERE meter_id = %s", (meter_id,)
        ).fetchone()
        assert got == (latest,)

    # NULL timestamps stay NULL (fakesnow hands NULL TIMESTAMP_NTZ back as 1970-01-01)
    cur.execute(
        "SELECT COUNT(*) FROM WORK_ORDERS WHERE STATUS NOT IN ('completed', 'cancelled') AND SCHEDULED_DATE IS NULL"
    )
    null_scheduled = cur.fetchone()[0]
    assert pg.execute("SELECT count(*) FROM flux.work_orders_active WHERE scheduled_date IS NULL").fetchone()[0] == null_scheduled
    assert pg.execute("SELECT count(*) FROM flux.work_orders_active WHERE scheduled_date < '2000-01-01'").fetchone()[0] == 0
    assert pg.execute("SELECT count(*) FROM flux.outages_active WHERE estimated_restoration_time < '2000-01-01'").fetchone()[0] == 0


# --- idempotence ------------------------------------------------------------------------------
def test_sync003_resync_of_unchanged_source_changes_nothing(sync_settings, synced, pg):
    from data.etl.sync import sync_all

    before = all_cache_state(pg)
    again = sync_all(sync_settings)
    assert all(r.skipped for r in again.tables.values())
    assert all_cache_state(pg) == before
    # forced through the full transfer, no row differs, so none is written
    forced = sync_all(sync_settings, force=True)
    assert {(r.inserted, r.updated, r.deleted) for r in forced.tables.values()} == {(0, 0, 0)}
    assert all_cache_state(pg) == before


def test_sync004_changes_are_upserted_and_vanished_rows_deleted(sync_settings, synced, wh, pg):
    from data.etl.sync import sync_all

    with restored(wh, "SUBSTATIONS", "GRID_ASSETS", "OUTAGE_EVENTS", "CREWS") as cur:
        cur.execute(
            "UPDATE SUBSTATIONS SET SUBSTATION_NAME = 'Renamed Substation', UPDATED_AT = %(t)s"
            " WHERE SUBSTATION_ID = (SELECT MIN(SUBSTATION_ID) FROM SUBSTATIONS)",
            {"t": TEST_AS_OF},
        )
        cur.execute("SELECT ASSET_ID FROM GRID_ASSETS ORDER BY ASSET_ID LIMIT 3")
        gone_assets = [r[0] for r in cur.fetchall()]
        cur.execute("DELETE FROM GRID_ASSETS WHERE ASSET_ID IN (%(a)s, %(b)s, %(c)s)", dict(zip("abc", gone_assets)))
        cur.execute("SELECT MIN(OUTAGE_ID) FROM OUTAGE_EVENTS WHERE END_TIME IS NULL")
        restored_outage = cur.fetchone()[0]
        cur.execute(
            "UPDATE OUTAGE_EVENTS SET END_TIME = %(t)s, RESTORATION_STATUS = 'restored' WHERE OUTAGE_ID = %(o)s",
            {"t": TEST_AS_OF, "o": restored_outage},
        )
        cur.execute(
            "INSERT INTO CREWS (CREW_ID, CREW_NAME, CREW_TYPE, STATUS, LATITUDE, LONGITUDE, UPDATED_AT)"
            " VALUES ('CREW-NEW', 'New Crew', 'line', 'available', 29.76, -95.37, %(t)s)",
            {"t": TEST_AS_OF},
        )
        report = sync_all(sync_settings)
        changed = {n: (r.inserted, r.updated, r.deleted) for n, r in report.tables.items() if not r.skipped}
        assert changed == {
            "substations": (0, 1, 0),
            "grid_assets": (0, 0, 3),
            "outages_active": (0, 0, 1),
            "crews": (1, 0, 0),
        }
        assert pg.execute(
            "SELECT count(*) FROM flux.substations WHERE substation_name = 'Renamed Substation'"
        ).fetchone() == (1,)
        assert pg.execute("SELECT count(*) FROM flux.grid_assets WHERE asset_id = ANY(%s)", (gone_assets,)).fetchone() == (0,)
        assert pg.execute("SELECT ST_AsText(geom) FROM flux.crews WHERE crew_id = 'CREW-NEW'").fetchone() == (
            "POINT(-95.37 29.76)",
        )
        for table in ("substations", "grid_assets", "outages_active", "crews"):
            assert cache_state(pg, table)[0] == source_count(wh, table)
    sync_all(sync_settings)  # back to the loaded grid for the next tests


def test_sync004b_customer_search_words_follow_the_synced_customers(sync_settings, synced, wh, pg):
    """flux.customer_search_terms (V003) is kept by triggers through the sync's upsert and delete."""
    from data.etl.sync import sync_all

    recount = ("SELECT w, count(*)::int FROM flux.customers c,"
               " flux.customer_search_words(c.full_name, c.service_address, c.city, c.zip_code) w GROUP BY w ORDER BY w")
    terms = "SELECT term, customers FROM flux.customer_search_terms ORDER BY term"
    assert pg.execute(terms).fetchall() == pg.execute(recount).fetchall()
    with restored(wh, "CUSTOMERS_MASTER_DATA") as cur:
        cur.execute("SELECT CUSTOMER_ID FROM CUSTOMERS_MASTER_DATA ORDER BY CUSTOMER_ID LIMIT 2")
        renamed, gone = [r[0] for r in cur.fetchall()]
        cur.execute("UPDATE CUSTOMERS_MASTER_DATA SET FULL_NAME = 'Zanzibar Quokka', UPDATED_AT = %(t)s"
                    " WHERE CUSTOMER_ID = %(c)s", {"t": TEST_AS_OF, "c": renamed})
        cur.execute("DELETE FROM CUSTOMERS_MASTER_DATA WHERE CUSTOMER_ID = %(c)s", {"c": gone})
        sync_all(sync_settings, ["customers"])
        assert pg.execute(terms).fetchall() == pg.execute(recount).fetchall()
        assert pg.execute("SELECT customers FROM flux.customer_search_terms WHERE term = 'quokka'").fetchone() == (1,)
    sync_all(sync_settings, ["customers"])
    assert pg.execute(terms).fetchall() == pg.execute(recount).fetchall()
    assert pg.execute("SELECT count(*) FROM flux.customer_search_terms WHERE term = 'quokka'").fetchone() == (0,)


def test_sync004c_a_refilled_table_leaves_with_fresh_planner_statistics(sync_settings, synced, pg):
    """An emptied, vacuumed cache table's statistics say 0 rows. A sync that refills it analyses
    the table, or the planner keeps planning its reads and the sync's own delete for 0 rows."""
    from data.etl.sync import sync_all

    before = cache_state(pg, "grid_assets")
    pg.execute("DELETE FROM flux.grid_assets")
    pg.execute("VACUUM ANALYZE flux.grid_assets")
    stats = "SELECT reltuples FROM pg_class WHERE oid = 'flux.grid_assets'::regclass"
    assert pg.execute(stats).fetchone()[0] <= 0
    report = sync_all(sync_settings, ["grid_assets"], force=True)
    assert report.tables["grid_assets"].inserted == before[0]
    assert cache_state(pg, "grid_assets") == before
    assert pg.execute(stats).fetchone()[0] == pytest.approx(before[0], rel=0.1)


# --- failure and interruption --------------------------------------------------------------------
def test_sync005_failed_sync_leaves_the_old_table(sync_settings, synced, wh, pg):
    from data.etl.sync import SyncError, sync_all

    before = all_cache_state(pg)
    with restored(wh, "FEEDER_SEGMENTS") as cur:
        # many rows change and vanish, then one bad geometry makes Postgres reject the batch
        cur.execute("DELETE FROM FEEDER_SEGMENTS WHERE SEQ > 3")
        cur.execute("UPDATE FEEDER_SEGMENTS SET LOAD_PERCENT = LOAD_PERCENT + 1")
        cur.execute(
            "UPDATE FEEDER_SEGMENTS SET GEOM_WKT = 'LINESTRING(-95.3 29.7' "
            "WHERE SEGMENT_ID = (SELECT MAX(SEGMENT_ID) FROM FEEDER_SEGMENTS)"
        )
        with pytest.raises(SyncError) as failed:
            sync_all(sync_settings, ["feeder_segments", "crews"])
        assert failed.value.report.tables["feeder_segments"].error
        assert failed.value.report.tables["crews"].error is None  # the other table still synced
        assert all_cache_state(pg) == before
    sync_all(sync_settings)
    assert all_cache_state(pg) == before


def test_sync006_refuses_to_empty_topology(sync_settings, synced, wh, pg):
    from data.etl.sync import SyncError, sync_all

    before = all_cache_state(pg)
    with restored(wh, "SUBSTATIONS") as cur:
        cur.execute("DELETE FROM SUBSTATIONS")
        with pytest.raises(SyncError, match="substations"):
            sync_all(sync_settings, ["substations"])
        assert all_cache_state(pg) == before


def _blocked_backends(pg, blocker_pid: int) -> list[int]:
    return [
        r[0]
        for r in pg.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (blocker_pid,)
        ).fetchall()
    ]


@pytest.mark.fault  # issue 7's "sync killed mid-run" fault test
def test_sync007_killed_sync_leaves_the_old_data(sync_settings, synced, wh, pg):
    """SIGKILL a sync process after it has upserted and deleted, before it commits."""
    from data.connections import pg_admin
    from data.etl.sync import sync_all

    before = all_cache_state(pg)
    env = {
        **os.environ,
        "FLUX_PG_DATABASE": sync_settings.pg_database,
        "SNOWFLAKE_DATABASE": sync_settings.snowflake_database,
    }
    with restored(wh, "GRID_ASSETS") as cur:
        cur.execute("DELETE FROM GRID_ASSETS WHERE ASSET_TYPE = 'pole'")
        cur.execute("UPDATE GRID_ASSETS SET HEALTH_SCORE = 1.0, UPDATED_AT = %(t)s", {"t": TEST_AS_OF + timedelta(hours=1)})
        with pg_admin(sync_settings) as holder:
            # hold the freshness row: the sync's last statement waits on it, its writes not yet committed
            holder.execute("SELECT 1 FROM flux.cache_freshness WHERE table_name = 'grid_assets' FOR UPDATE")
            holder_pid = holder.info.backend_pid
            proc = subprocess.Popen(
                [sys.executable, "-m", "data.etl.sync", "--once", "--tables", "grid_assets"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                deadline = time.monotonic() + 60
                while not (blocked := _blocked_backends(pg, holder_pid)):
                    assert proc.poll() is None, proc.stderr.read().decode()
                    assert time.monotonic() < deadline, "the sync never reached its commit"
                    time.sleep(0.05)
                # mid-transaction: the deletes and updates are done but invisible to readers
                assert all_cache_state(pg) == before
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                assert proc.returncode == -signal.SIGKILL
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.stderr.close()
            holder.rollback()
        # the orphaned backend notices its client is gone and rolls back
        deadline = time.monotonic() + 30
        while pg.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (blocked,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the killed sync's backend lingers"
            time.sleep(0.05)
        assert all_cache_state(pg) == before

        # the next sync applies the change in full
        report = sync_all(sync_settings, ["grid_assets"])
        poles = report.tables["grid_assets"].deleted
        assert poles > 0
        assert cache_state(pg, "grid_assets")[0] == source_count(wh, "grid_assets") == before["grid_assets"][0] - poles
    sync_all(sync_settings)
    assert all_cache_state(pg) == before


def test_sync008_cli_once_and_bad_table_name(sync_settings, synced):
    env = {
        **os.environ,
        "FLUX_PG_DATABASE": sync_settings.pg_database,
        "SNOWFLAKE_DATABASE": sync_settings.snowflake_database,
    }
    done = subprocess.run(
        [sys.executable, "-m", "data.etl.sync", "--once", "--tables", "crews,substations"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '"event": "sync.table"' in done.stderr and '"table": "crews"' in done.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "data.etl.sync", "--once", "--tables", "crews;drop"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert bad.returncode == 2 and "unknown tables" in bad.stderr
