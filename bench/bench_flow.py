"""Freshness at the production rate: the continuous pipeline, the incremental sync, disk growth.

    FLUX_LOCAL_PG_PORT=.. FLUX_LOCAL_WAREHOUSE_PORT=.. .venv/bin/python -m bench.bench_flow \
        [--rate 3000] [--minutes 10] [--batch-s 5]

Runs against the local stack's loaded network (any scale; `python -m data.etl.generate` first)
for ``--minutes``, three things at once, each in its own thread:
- a synthetic head-end: every ``--batch-s`` seconds one delivery of rate x batch-s readings
  (2.7M synthetic meter ids on the network's real transformers, each meter once per 15 min)
  into bronze, generated server-side (INSERT ... SELECT FROM TABLE(GENERATOR())), stamped
  with its arrival time (INGESTION_TIME);
- the continuous pipeline (data.etl.pipeline.Follower) cycling every FLUX_PIPELINE_EVERY_S;
- the incremental sync (data.etl.sync_live) every FLUX_SYNC_LIVE_EVERY_S, while an outage in the
  warehouse changes every 2 s; a poller sees each change in Postgres and through the app's
  repository (with the shared file cache and the live-read TTL).
Pipeline lag per delivery: from its INGESTION_TIME to the end of the pipeline window whose gold
watermark covers it. Cache lag: from the outage's UPDATED_AT to the first poll (every 0.1 s)
that sees it. Disk: afterwards, ``--disk-rows`` readings into a database of its own (a fresh
DuckDB file), piped to gold: bytes per reading over bronze + silver + gold, projected per hour
and day at the rate, and bronze's steady state under its retention.
Writes bench/results/flow.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "flow.json"
PRODUCTION_METERS = 2_700_000
BATCH_PREFIX = "BENCH-FLOW-"


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 3)


INSERT_SQL = """
INSERT INTO AMI_INTERVAL_READINGS
SELECT 'BMTR-' || LPAD(TO_VARCHAR(m.IDX), 7, '0') AS METER_ID,
       t.ASSET_ID AS TRANSFORMER_ID,
       %(reading)s::TIMESTAMP_NTZ AS READING_TIME,
       0.2 + UNIFORM(0::FLOAT, 1::FLOAT, RANDOM()) AS USAGE_KWH,
       236 + UNIFORM(0::FLOAT, 8::FLOAT, RANDOM()) AS VOLTAGE,
       0.95 AS POWER_FACTOR,
       %(arrived)s::TIMESTAMP_NTZ AS INGESTION_TIME,
       %(batch)s AS BATCH_ID
FROM (
    SELECT MOD(%(first)s + SEQ8(), %(meters)s) AS IDX
    FROM TABLE(GENERATOR(ROWCOUNT => %(rows)s))
) m
JOIN (
    SELECT ASSET_ID, ROW_NUMBER() OVER (ORDER BY ASSET_ID) - 1 AS I
    FROM GRID_ASSETS
    WHERE ASSET_TYPE = 'transformer'
) t ON t.I = MOD(m.IDX, %(transformers)s)
"""


class HeadEnd(threading.Thread):
    """Deliveries of ``rate * batch_s`` readings every ``batch_s`` seconds until ``stop``."""

    def __init__(self, settings, rate: int, batch_s: float, stop: threading.Event):
        super().__init__(name="bench-head-end", daemon=True)
        self.settings, self.rate, self.batch_s, self.stop = settings, rate, batch_s, stop
        self.deliveries: list[dict] = []  # arrived, rows, insert_s
        self.errors: list[str] = []

    def run(self) -> None:
        from data.connections import connect_warehouse

        conn = connect_warehouse(self.settings)
        try:
            cur = conn.cursor()
            cur.execute("SELECT COUNT(*) FROM GRID_ASSETS WHERE ASSET_TYPE = 'transformer'")
            transformers = int(cur.fetchone()[0])
            rows = int(self.rate * self.batch_s)
            first = 0
            n = 0
            next_at = time.monotonic()
            while not self.stop.is_set():
                arrived = utcnow()
                # each meter reports once per 15-minute interval: the interval that is ending now
                reading = arrived.replace(second=0, microsecond=0, minute=(arrived.minute // 15) * 15)
                t0 = time.perf_counter()
                try:
                    cur.execute(INSERT_SQL, {
                        "reading": reading, "arrived": arrived, "batch": f"{BATCH_PREFIX}{n}",
                        "first": first, "meters": PRODUCTION_METERS, "rows": rows, "transformers": transformers,
                    })
                    self.deliveries.append({"arrived": arrived, "rows": rows, "insert_s": time.perf_counter() - t0})
                except Exception as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                first = (first + rows) % PRODUCTION_METERS
                n += 1
                next_at += self.batch_s
                self.stop.wait(max(0.0, next_at - time.monotonic()))
        finally:
            conn.close()


class PipelineLoop(threading.Thread):
    def __init__(self, settings, stop: threading.Event):
        super().__init__(name="bench-pipeline", daemon=True)
        self.settings, self.stop = settings, stop
        self.windows: list[tuple[float, datetime, int, float]] = []  # (done at, gold watermark, rows, s)
        self.cycles: list[dict] = []
        self.errors: list[str] = []

    def run(self) -> None:
        from data.etl import pipeline

        def record(report: dict) -> None:
            self.windows.append((time.time(), report["watermark"], report["bronze"], report["duration_s"]))

        follower = pipeline.Follower(self.settings, self.settings.pipeline_every_s, on_window=record)
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    report = follower.cycle()
                    self.cycles.append({k: report.get(k) for k in ("bronze", "windows", "cycle_s", "lag_s")})
                except Exception as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                    follower.close()
                self.stop.wait(max(0.0, self.settings.pipeline_every_s - (time.monotonic() - started)))
        finally:
            follower.close()


class OutageChanges(threading.Thread):
    """Every 2 s one active outage's ASSIGNED_CREW_COUNT changes (a marker), UPDATED_AT = now."""

    def __init__(self, settings, stop: threading.Event, repo):
        super().__init__(name="bench-outages", daemon=True)
        self.settings, self.stop, self.repo = settings, stop, repo
        self.pg_lag: list[float] = []
        self.repo_lag: list[float] = []
        self.missed = 0

    def run(self) -> None:
        import psycopg

        from data.connections import connect_warehouse

        wh = connect_warehouse(self.settings)
        pg = psycopg.connect(self.settings.postgres_admin_dsn(), autocommit=True,
                             **self.settings.postgres_connect_kwargs())
        try:
            cur = wh.cursor()
            cur.execute("SELECT MIN(OUTAGE_ID) FROM OUTAGE_EVENTS WHERE END_TIME IS NULL")
            outage = cur.fetchone()[0]
            marker = 1000
            while not self.stop.is_set():
                marker += 1
                changed = utcnow()
                changed_wall = time.time()
                cur.execute("UPDATE OUTAGE_EVENTS SET ASSIGNED_CREW_COUNT = %(m)s, UPDATED_AT = %(t)s"
                            " WHERE OUTAGE_ID = %(id)s", {"m": marker, "t": changed, "id": outage})
                seen_pg = seen_repo = None
                deadline = time.monotonic() + 30
                while (seen_pg is None or seen_repo is None) and time.monotonic() < deadline:
                    if seen_pg is None:
                        row = pg.execute("SELECT assigned_crew_count FROM flux.outages_active WHERE outage_id = %s",
                                         (outage,)).fetchone()
                        if row and row[0] == marker:
                            seen_pg = time.time()
                    if seen_repo is None:
                        rows = self.repo.active_outages().data
                        if any(r["outage_id"] == outage and r["assigned_crew_count"] == marker for r in rows):
                            seen_repo = time.time()
                    time.sleep(0.1)
                if seen_pg is None or seen_repo is None:
                    self.missed += 1
                else:
                    self.pg_lag.append(seen_pg - changed_wall)
                    self.repo_lag.append(seen_repo - changed_wall)
                self.stop.wait(2.0)
        finally:
            wh.close()
            pg.close()


def table_counts(settings) -> dict[str, int]:
    from data.connections import connect_warehouse

    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        out = {}
        for table in ("AMI_INTERVAL_READINGS", "AMI_DEDUPLICATED", "AMI_ENRICHED"):  # fixed names
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            out[table] = int(cur.fetchone()[0])
        return out
    finally:
        conn.close()


def cleanup(settings) -> None:
    """Remove the bench's synthetic meters from every AMI table (the network is left as is)."""
    from data.connections import connect_warehouse

    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        for table in ("AMI_INTERVAL_READINGS", "AMI_DEDUPLICATED", "AMI_ENRICHED", "AMI_MONTHLY_USAGE"):
            cur.execute(f"DELETE FROM {table} WHERE METER_ID LIKE 'BMTR-%%'")
    finally:
        conn.close()
    import psycopg

    with psycopg.connect(settings.postgres_admin_dsn(), **settings.postgres_connect_kwargs()) as pg:
        pg.execute("DELETE FROM flux.ami_realtime WHERE meter_id LIKE 'BMTR-%'")


DISK_DATABASE = "FLUX_BENCH_FLOW_DISK"  # + the run's start time: a new file every run


def measure_disk(base, rows: int, rate: int, retention_days: float, deliveries: int = 20) -> dict:
    """Bytes per reading on disk, bronze + silver + gold, in a database of its own (its own DuckDB
    file): the shared file reuses blocks freed by deletes, so its growth says little."""
    from data.connections import connect_warehouse
    from data.etl import pipeline
    from data.etl.schema import apply_warehouse

    database = f"{DISK_DATABASE}_{int(time.time())}"
    settings = base.model_copy(update={"snowflake_database": database})
    apply_warehouse(settings)
    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        for table in ("AMI_INTERVAL_READINGS", "AMI_DEDUPLICATED", "AMI_ENRICHED", "AMI_MONTHLY_USAGE",
                      "TRANSFORMER_HOURLY_LOAD", "PIPELINE_WATERMARKS"):
            cur.execute(f"DELETE FROM {table}")  # fixed names
        size = lambda: sum(p.stat().st_size for p in base.stack_dir.glob(f"warehouse/{database}.db*"))  # noqa: E731
        before = size()
        start = utcnow() - timedelta(hours=1)
        per = rows // deliveries
        for i in range(deliveries):
            arrived = start + timedelta(seconds=5 * i)
            cur.execute(DISK_INSERT_SQL, {
                "reading": arrived.replace(second=0, microsecond=0, minute=(arrived.minute // 15) * 15),
                "arrived": arrived, "batch": f"{BATCH_PREFIX}DISK-{i}", "first": i * per,
                "meters": PRODUCTION_METERS, "rows": per,
            })
        # silver and gold only: the aggregates grow per meter-month, not per reading
        pipeline.drain(conn, None, aggregates=False)
        try:
            cur.execute("CHECKPOINT")
        except Exception:
            pass  # the WAL counts as well
        after = size()
        counts = {}
        for table in ("AMI_INTERVAL_READINGS", "AMI_DEDUPLICATED", "AMI_ENRICHED"):
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = int(cur.fetchone()[0])
        try:
            cur.execute(f"DROP DATABASE IF EXISTS {database}")
        except Exception:
            pass  # its file stays under .stack/warehouse
    finally:
        conn.close()
    per_reading = (after - before) / max(1, counts["AMI_INTERVAL_READINGS"])
    per_hour = rate * 3600
    return {
        "database": database, "readings": counts["AMI_INTERVAL_READINGS"],
        "rows": counts, "bytes_before": before, "bytes_after": after,
        "bytes_per_reading_three_layers": round(per_reading, 1),
        "growth_gb_per_hour_at_rate": round(per_reading * per_hour / 1e9, 3),
        "growth_gb_per_day_at_rate": round(per_reading * per_hour * 24 / 1e9, 2),
        # bronze is about a third of the three layers (same columns, plus BATCH_ID)
        "bronze_steady_state_gb_with_retention": round(per_reading / 3 * per_hour * 24 * retention_days / 1e9, 1),
        "silver_gold_gb_per_day_unbounded": round(per_reading * 2 / 3 * per_hour * 24 / 1e9, 2),
        "note": "a fresh database file: one 15-minute interval of 2.7M synthetic meters in 20 deliveries, "
                "piped through silver and gold; bronze taken as a third of the three layers; the aggregates "
                "(one row per meter-month and transformer-hour, not per reading) not counted",
    }


DISK_INSERT_SQL = """
INSERT INTO AMI_INTERVAL_READINGS
SELECT 'BMTR-' || LPAD(TO_VARCHAR(m.IDX), 7, '0'), 'XFMR-' || LPAD(TO_VARCHAR(MOD(m.IDX, 50000)), 6, '0'),
       %(reading)s::TIMESTAMP_NTZ, 0.2 + UNIFORM(0::FLOAT, 1::FLOAT, RANDOM()),
       236 + UNIFORM(0::FLOAT, 8::FLOAT, RANDOM()), 0.95, %(arrived)s::TIMESTAMP_NTZ, %(batch)s
FROM (SELECT MOD(%(first)s + SEQ8(), %(meters)s) AS IDX FROM TABLE(GENERATOR(ROWCOUNT => %(rows)s))) m
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=3000, help="readings per second (production: 3000)")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--batch-s", type=float, default=5.0, help="seconds between deliveries")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic readings afterwards")
    parser.add_argument("--disk-rows", type=int, default=PRODUCTION_METERS, help="readings for the disk measurement")
    parser.add_argument("--disk-only", action="store_true",
                        help="only (re)measure disk growth, into the existing bench/results/flow.json")
    args = parser.parse_args(argv)
    if args.disk_only:
        from settings import Settings

        settings = Settings()
        result = json.loads(OUT.read_text())
        result["disk"] = measure_disk(settings, args.disk_rows, args.rate, settings.bronze_retention_days)
        result["disk_measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        OUT.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(json.dumps(result["disk"], indent=2))
        return 0

    from cachelib import FileSystemCache

    from data.connections import open_pg_pool
    from data.etl import sync, sync_live
    from data.read.repository import Repository
    from settings import Settings

    settings = Settings()
    sync.sync_all(settings)  # first load, and the watermarks the incremental sync starts from
    warehouse_dir = settings.stack_dir / "warehouse"
    counts_before = table_counts(settings)
    bytes_before = dir_bytes(warehouse_dir)
    load_before = os.getloadavg()

    cache_dir = settings.stack_dir / "bench-flow-cache"
    pool = open_pg_pool(settings, wait=True)
    repo = Repository.from_settings(settings, pg_pool=pool, cache=FileSystemCache(str(cache_dir)))

    stop = threading.Event()
    head_end = HeadEnd(settings, args.rate, args.batch_s, stop)
    pipe = PipelineLoop(settings, stop)
    outages = OutageChanges(settings, stop, repo)
    sync_thread = threading.Thread(
        target=sync_live.run_every, args=(settings, settings.sync_live_every_s, stop),
        kwargs={"reconcile_every_s": 10**9}, name="bench-sync", daemon=True,
    )
    started = time.time()
    for t in (head_end, pipe, sync_thread, outages):
        t.start()
    loads = []
    try:
        while time.time() - started < args.minutes * 60:
            time.sleep(15)
            loads.append(os.getloadavg()[0])
            print(f"{time.time() - started:6.0f} s: {len(head_end.deliveries)} deliveries,"
                  f" {len(pipe.windows)} windows, last lag {pipe.cycles[-1]['lag_s'] if pipe.cycles else None} s,"
                  f" load {loads[-1]:.1f}", flush=True)
    finally:
        stop.set()
        head_end.join(60)
        # let the pipeline finish the last deliveries before counting
        for t in (outages, sync_thread, pipe):
            t.join(120)
    elapsed = time.time() - started
    repo.close()

    from data.etl import pipeline

    pipeline.run_once(settings)
    counts_after = table_counts(settings)
    bytes_after = dir_bytes(warehouse_dir)

    # pipeline lag per delivery: arrival -> end of the first window whose gold watermark covers it
    lags = []
    uncovered = 0
    for d in head_end.deliveries:
        done = next((at for at, wm, _, _ in pipe.windows if wm is not None and wm >= d["arrived"]), None)
        if done is None:
            uncovered += 1
        else:
            lags.append(done - d["arrived"].replace(tzinfo=timezone.utc).timestamp())
    delivered = sum(d["rows"] for d in head_end.deliveries)
    work = [w for w in pipe.windows if w[2] > 0]
    added = {k: counts_after[k] - counts_before[k] for k in counts_after}
    result = {
        "benchmark": "continuous pipeline + incremental sync at the production rate, fakesnow server + Postgres",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_1m_before": round(load_before[0], 2),
                    "load_avg_1m_median_during": round(statistics.median(loads), 2) if loads else None},
        "command": f".venv/bin/python -m bench.bench_flow --rate {args.rate} --minutes {args.minutes:g}"
                   f" --batch-s {args.batch_s:g}",
        "settings": {"pipeline_every_s": settings.pipeline_every_s, "pipeline_window_rows": settings.pipeline_window_rows,
                     "sync_live_every_s": settings.sync_live_every_s, "sync_overlap_s": settings.sync_overlap_s,
                     "live_read_ttl_s": settings.live_read_ttl_s, "bronze_retention_days": settings.bronze_retention_days,
                     "data_scale": settings.data_scale},
        "rate_target_rows_per_s": args.rate,
        "duration_s": round(elapsed, 1),
        "delivered_rows": delivered,
        "delivered_rows_per_s": round(delivered / elapsed, 1),
        "deliveries": len(head_end.deliveries),
        "delivery_insert_s_median": pct([d["insert_s"] for d in head_end.deliveries], 0.5),
        "head_end_errors": head_end.errors[:5],
        "pipeline": {
            "lag_s_p50": pct(lags, 0.5), "lag_s_p95": pct(lags, 0.95), "lag_s_max": pct(lags, 1.0),
            "deliveries_not_in_gold_by_the_end": uncovered,
            "window_s_median": pct([w[3] for w in work], 0.5), "window_s_p95": pct([w[3] for w in work], 0.95),
            "window_rows_median": pct([w[2] for w in work], 0.5),
            "cycles": len(pipe.cycles), "errors": pipe.errors[:5],
            "goal": "gold within 60 s of arrival (one TARGET_LAG)",
        },
        "cache": {
            "changes": len(outages.pg_lag) + outages.missed, "missed_within_30s": outages.missed,
            "event_to_postgres_s_p50": pct(outages.pg_lag, 0.5), "event_to_postgres_s_p95": pct(outages.pg_lag, 0.95),
            "event_to_repository_s_p50": pct(outages.repo_lag, 0.5),
            "event_to_repository_s_p95": pct(outages.repo_lag, 0.95),
            "note": "event = the outage's UPDATED_AT in the warehouse; the repository adds the live-read TTL",
        },
        "shared_warehouse_file_bytes": {"before": bytes_before, "after": bytes_after, "rows_added": added},
    }
    if not args.keep:
        cleanup(settings)
    result["disk"] = measure_disk(settings, args.disk_rows, args.rate, settings.bronze_retention_days)
    OUT.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({k: result[k] for k in ("delivered_rows_per_s", "pipeline", "cache", "disk")}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
