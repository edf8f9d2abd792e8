"""The live feed end to end against a PRIVATE warehouse (never the shared test warehouse, which
later tests compare with Postgres): readings land in bronze and, after one pipeline run, in gold;
re-deliveries do not duplicate; outages take out exactly the customers downstream of their
device; SIGTERM flushes; the warehouse killed mid-run loses nothing (the spill queue replays)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.fix_private_pg import wait_until
from tests.fix_services import ROOT, server_env, start_private_warehouse

pytestmark = pytest.mark.slow

SPEED = 120  # 21K meters at 120x: ~2,850 readings/s, the production arrival rate


@pytest.fixture(scope="module")
def live_wh(test_settings, tmp_path_factory):
    """A private fakesnow server loaded at the small scale: (PrivateWarehouse, Settings)."""
    from data.etl import generate, pipeline
    from data.etl.schema import apply_warehouse
    from tests.fix_stack import TEST_AS_OF, TEST_SEED

    wh = start_private_warehouse(test_settings.stack_dir)
    try:
        settings = test_settings.model_copy(update={
            "snowflake_host": "127.0.0.1", "snowflake_port": wh.port, "snowflake_database": "FLUX_LIVE",
            "snowflake_password": SecretStr("live-feed-test"), "data_scale": "small",
            "live_spill_dir": tmp_path_factory.mktemp("live-spill"),
        })
        apply_warehouse(settings)
        generate.load_warehouse(settings, generate.generate(scale="small", seed=TEST_SEED, as_of=TEST_AS_OF))
        pipeline.run_once(settings)
        yield wh, settings
    finally:
        wh.destroy()


def feed_env(settings, **extra) -> dict:
    env = {**os.environ, **server_env(settings)}
    env.update({"FLUX_LIVE_SPILL_DIR": str(settings.live_spill_dir), "FLUX_LIVE_BATCH_S": "2",
                "FLUX_LIVE_HEARTBEAT_S": "2", "FLUX_LIVE_FLUSH_TIMEOUT_S": "60", "FLUX_LOG_LEVEL": "INFO"})
    env.update(extra)
    return env


def start_feed(settings, summary: Path, *args: str, **env) -> subprocess.Popen:
    log = open(summary.with_suffix(".log"), "wb")
    return subprocess.Popen(
        [sys.executable, "-m", "data.etl.live", "--speed", str(SPEED), "--outage-rate", "60",
         "--summary", str(summary), *args],
        cwd=ROOT, env=feed_env(settings, **env), stdout=log, stderr=subprocess.STDOUT,
    )


def rows(settings, query: str, params: dict | None = None) -> list[tuple]:
    from data.connections import connect_warehouse

    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        cur.execute(query, params or {})
        return cur.fetchall()
    finally:
        conn.close()


def ami_counts(settings, run_id: str) -> dict:
    """Rows of this run in bronze, distinct (meter, interval) keys among them, and how many of those
    keys silver and gold hold; plus any key gold holds twice."""
    like = {"run": f"{run_id}-%"}
    bronze, keys = rows(settings, "SELECT COUNT(*), COUNT(DISTINCT METER_ID || '|' || READING_TIME::VARCHAR) "
                                  "FROM AMI_INTERVAL_READINGS WHERE BATCH_ID LIKE %(run)s", like)[0]
    out = {"bronze": bronze, "keys": keys}
    for name, table in (("silver", "AMI_DEDUPLICATED"), ("gold", "AMI_ENRICHED")):
        out[name] = rows(settings, f"SELECT COUNT(*) FROM {table} g WHERE EXISTS (SELECT 1 FROM AMI_INTERVAL_READINGS b "
                                   "WHERE b.BATCH_ID LIKE %(run)s AND b.METER_ID = g.METER_ID "
                                   "AND b.READING_TIME = g.READING_TIME)", like)[0][0]
    out["gold_twice"] = rows(settings, "SELECT COUNT(*) FROM (SELECT METER_ID, READING_TIME FROM AMI_ENRICHED "
                                       "GROUP BY 1, 2 HAVING COUNT(*) > 1)")[0][0]
    return out


def ledger_matches_bronze(settings, run_id: str, *, exact: bool = True) -> list:
    """Batches whose rows in bronze differ from their INGEST_BATCHES row count. Not ``exact``: a
    batch loaded twice (its first load landed, its ledger row did not) is at-least-once, not a
    loss; only a missing or partial batch counts."""
    having = "COUNT(b.BATCH_ID) <> l.ROW_COUNT" if exact else \
        "COUNT(b.BATCH_ID) < l.ROW_COUNT OR MOD(COUNT(b.BATCH_ID), l.ROW_COUNT) <> 0"
    return rows(settings, f"""
        SELECT l.BATCH_ID, l.ROW_COUNT, COUNT(b.BATCH_ID)
        FROM INGEST_BATCHES l LEFT JOIN AMI_INTERVAL_READINGS b ON b.BATCH_ID = l.BATCH_ID
        WHERE l.TABLE_NAME = 'AMI_INTERVAL_READINGS' AND l.BATCH_ID LIKE %(run)s
        GROUP BY l.BATCH_ID, l.ROW_COUNT
        HAVING {having}""", {"run": f"{run_id}-%"})


@pytest.fixture(scope="module")
def sigterm_run(live_wh, tmp_path_factory):
    """One feed run stopped by SIGTERM after ~12 s, then one pipeline pass."""
    from data.etl import pipeline

    wh, settings = live_wh
    summary = tmp_path_factory.mktemp("live-a") / "summary.json"
    proc = start_feed(settings, summary)
    time.sleep(14)
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(90)
    assert rc == 0, summary.with_suffix(".log").read_text()[-3000:]
    report = json.loads(summary.read_text())
    pipeline.run_once(settings)
    return settings, report, summary


def test_lfeed001_sigterm_flushes_everything_emitted(sigterm_run):
    settings, report, summary = sigterm_run
    assert report["readings_rows"] > 5_000, report
    assert report["batches_left_on_disk"] == 0 and report["spilled_at_exit"] == 0
    counts = ami_counts(settings, report["run_id"])
    assert counts["bronze"] == report["readings_rows"]
    assert counts["keys"] == report["readings_unique"]
    assert not ledger_matches_bronze(settings, report["run_id"])
    lines = [json.loads(x) for x in summary.with_suffix(".log").read_text().splitlines() if x.startswith("{")]
    assert {"live.started", "live.heartbeat", "live.stopped"} <= {x.get("event") for x in lines}
    beat = rows(settings, "SELECT STATUS, ROWS_TOTAL, ROWS_PER_S FROM FEED_HEARTBEATS WHERE FEED = 'live'")[0]
    assert beat[0] == "stopped" and beat[1] >= report["readings_rows"] and beat[2] > 0


def test_lfeed002_readings_reach_gold_once_each(sigterm_run):
    settings, report, _ = sigterm_run
    counts = ami_counts(settings, report["run_id"])
    assert counts["bronze"] > counts["keys"], "the run re-delivered nothing"
    assert counts["silver"] == counts["gold"] == report["readings_unique"]
    assert counts["gold_twice"] == 0


def test_lfeed003_a_redelivered_batch_does_not_duplicate(sigterm_run):
    from data.etl import pipeline

    settings, report, _ = sigterm_run
    before = ami_counts(settings, report["run_id"])
    batch = rows(settings, "SELECT BATCH_ID FROM INGEST_BATCHES WHERE TABLE_NAME = 'AMI_INTERVAL_READINGS' "
                           "AND BATCH_ID LIKE %(run)s ORDER BY SEQ LIMIT 1", {"run": f"{report['run_id']}-%"})[0][0]
    # the head-end sends the same batch again, just after anything the pipeline has seen (not
    # later than the next feed run will stamp its own loads)
    arrived = rows(settings, "SELECT DATEADD('millisecond', 1, MAX(INGESTION_TIME)) FROM AMI_INTERVAL_READINGS")[0][0]
    rows(settings, "INSERT INTO AMI_INTERVAL_READINGS SELECT METER_ID, TRANSFORMER_ID, READING_TIME, USAGE_KWH, "
                   "VOLTAGE, POWER_FACTOR, %(at)s, BATCH_ID FROM AMI_INTERVAL_READINGS "
                   "WHERE BATCH_ID = %(b)s", {"b": batch, "at": arrived})
    resent = rows(settings, "SELECT COUNT(DISTINCT METER_ID || '|' || READING_TIME::VARCHAR) FROM AMI_INTERVAL_READINGS "
                            "WHERE BATCH_ID = %(b)s AND INGESTION_TIME = %(at)s",
                  {"b": batch, "at": arrived})[0][0]
    pipeline.run_once(settings)
    # silver took the re-delivery (the latest delivery wins) without adding a row
    taken = rows(settings, "SELECT COUNT(*) FROM AMI_DEDUPLICATED WHERE INGESTION_TIME = %(at)s", {"at": arrived})[0][0]
    assert resent > 0 and taken == resent
    after = ami_counts(settings, report["run_id"])
    assert after["bronze"] > before["bronze"]
    assert after["gold"] == before["gold"] and after["silver"] == before["silver"] and after["gold_twice"] == 0


def _downstream_customers(settings, kind: str, device: str) -> set[str]:
    """Customers fed through ``device``, worked out here from the raw topology tables."""
    if kind == "transformer":
        xfmrs = {device}
    elif kind == "circuit_breaker":
        return {r[0] for r in rows(settings, "SELECT PRIMARY_METER_ID FROM CUSTOMERS_MASTER_DATA WHERE CIRCUIT_ID = %(c)s",
                                   {"c": device})}
    else:
        circuit = device.rsplit("-S", 1)[0]
        links = rows(settings, "SELECT SEGMENT_ID, UPSTREAM_SEGMENT_ID FROM FEEDER_SEGMENTS WHERE CIRCUIT_ID = %(c)s",
                     {"c": circuit})
        children: dict[str, list[str]] = {}
        for seg, up in links:
            children.setdefault(up, []).append(seg)
        segs, todo = set(), deque([device])
        while todo:
            s = todo.popleft()
            segs.add(s)
            todo.extend(children.get(s, []))
        xfmrs = {r[0] for r in rows(settings, "SELECT ASSET_ID, SEGMENT_ID FROM GRID_ASSETS WHERE ASSET_TYPE = 'transformer' "
                                              "AND CIRCUIT_ID = %(c)s", {"c": circuit}) if r[1] in segs}
    return {r[0] for r in rows(settings, "SELECT PRIMARY_METER_ID, TRANSFORMER_ID FROM CUSTOMERS_MASTER_DATA") if r[1] in xfmrs}


def test_lfeed004_outages_take_out_exactly_the_downstream_customers(sigterm_run):
    settings, report, _ = sigterm_run
    started = rows(settings, """
        SELECT o.OUTAGE_ID, o.AFFECTED_CUSTOMERS_COUNT, o.RESTORATION_STATUS, w.ASSET_TYPE, w.ASSET_ID, w.STATUS,
               o.UPDATED_AT
        FROM OUTAGE_EVENTS o JOIN WORK_ORDERS w ON w.OUTAGE_ID = o.OUTAGE_ID
        WHERE o.START_TIME >= %(start)s::TIMESTAMP_NTZ AND w.WORK_TYPE = 'outage_restoration'""",
                   {"start": report["sim_start"]})
    assert len(started) == report["outages_started"] >= 3
    kinds = set()
    gasps = rows(settings, "SELECT METER_ID FROM METER_EVENTS WHERE EVENT_TYPE = 'last_gasp' AND BATCH_ID LIKE %(run)s",
                 {"run": f"{report['run_id']}-%"})
    out_meters: set[str] = set()
    for oid, affected, status, kind, device, wo_status, _ in started:
        expected = _downstream_customers(settings, kind, device)
        assert affected == len(expected) > 0, (oid, kind, device)
        out_meters |= expected
        kinds.add(kind)
        assert (status, wo_status) in {("reported", "open"), ("en_route", "assigned"), ("on_site", "in_progress"),
                                       ("restoring", "in_progress"), ("restored", "completed")}
    assert gasps and {g[0] for g in gasps} <= out_meters
    dispatched = rows(settings, "SELECT COUNT(*) FROM CREWS WHERE STATUS IN ('en_route', 'on_site') "
                                "AND WORK_ORDER_ID IS NOT NULL AND UPDATED_AT >= %(start)s::TIMESTAMP_NTZ",
                      {"start": report["sim_start"]})[0][0]
    assert dispatched >= 1
    status_rows = rows(settings, "SELECT COUNT(*), MIN(LAST_UPDATED) FROM CIRCUIT_STATUS_REALTIME")[0]
    assert str(status_rows[1]) >= report["sim_start"][:19]  # every circuit restated by the feed


def test_lfeed005_warehouse_killed_mid_run_loses_nothing(live_wh, tmp_path_factory):
    from data.etl import pipeline

    wh, settings = live_wh
    summary = tmp_path_factory.mktemp("live-b") / "summary.json"
    proc = start_feed(settings, summary, "--duration", "26")
    spill = Path(settings.live_spill_dir)
    try:
        time.sleep(8)
        wh.proc.kill()  # SIGKILL: no goodbye
        wh.proc.wait(10)
        assert wait_until(lambda: any(spill.glob("*.batch")), 15), "nothing was spilled while the warehouse was down"
        time.sleep(3)
        wh.start()
    finally:
        rc = proc.wait(120)
    log = summary.with_suffix(".log").read_text()
    assert rc == 0, log[-3000:]
    report = json.loads(summary.read_text())
    assert report["reconnects"] >= 1 and report["batches_left_on_disk"] == 0, report
    assert '"live.warehouse_down"' in log and '"live.reconnected"' in log
    pipeline.run_once(settings)
    counts = ami_counts(settings, report["run_id"])
    # at-least-once into bronze; exactly once in silver and gold
    assert counts["keys"] == report["readings_unique"], counts
    assert counts["bronze"] >= report["readings_rows"]
    assert counts["silver"] == counts["gold"] == report["readings_unique"] and counts["gold_twice"] == 0
    assert not ledger_matches_bronze(settings, report["run_id"], exact=False)
    assert not list(spill.glob("*.batch"))
