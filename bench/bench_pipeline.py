"""Benchmark the AMI pipeline (bronze -> silver -> gold -> monthly, transformer-hourly) at seed scale.

    .venv/bin/python -m bench.bench_pipeline [--runs 3] [--scale seed]
        [--pg-database flux_bench_h2 --warehouse-database FLUX_BENCH_H2] [--reload]

Loads the seed-scale grid and its default AMI sample into the bench's own warehouse database
once (or again with --reload), then per run: empties the pipeline's outputs and watermarks and
times a full run_once over all of bronze; then times an incremental run after a late
re-delivery of the newest hour for every meter; then a run with nothing new. Writes
bench/results/pipeline.json with every run and the medians; the headline figure is bronze rows
per second through silver and gold.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "pipeline.json"
AS_OF = datetime(2026, 7, 15, 21, 0)  # the same afternoon bench_generate uses
OUTPUTS = ("AMI_DEDUPLICATED", "AMI_ENRICHED", "AMI_MONTHLY_USAGE", "TRANSFORMER_HOURLY_LOAD", "PIPELINE_WATERMARKS")
LATE_BATCH = "BENCH-LATE"


def ensure_loaded(settings, scale: str, seed: int, reload: bool) -> None:
    from data.etl.generate import already_loaded, generate, load_warehouse

    if reload or not already_loaded(settings, scale, seed):
        print(f"generating and loading scale={scale} seed={seed} ...", flush=True)
        load_warehouse(settings, generate(scale, seed, AS_OF))


def scalar(cur, sql: str, params=None):
    cur.execute(sql, params)
    return cur.fetchone()[0]


def reset_outputs(cur) -> None:
    cur.execute("DELETE FROM AMI_INTERVAL_READINGS WHERE BATCH_ID = %(b)s", {"b": LATE_BATCH})
    for table in OUTPUTS:
        cur.execute(f"DELETE FROM {table}")


def redeliver_newest_hour(cur) -> int:
    """Every meter's newest hour arrives again, corrected, after the last run."""
    newest = scalar(cur, "SELECT MAX(READING_TIME) FROM AMI_INTERVAL_READINGS")
    arrived = scalar(cur, "SELECT MAX(INGESTION_TIME) FROM AMI_INTERVAL_READINGS") + timedelta(minutes=1)
    cur.execute(
        "INSERT INTO AMI_INTERVAL_READINGS"
        " SELECT METER_ID, TRANSFORMER_ID, READING_TIME, USAGE_KWH * 1.02, VOLTAGE, POWER_FACTOR, %(arrived)s, %(b)s"
        " FROM AMI_DEDUPLICATED WHERE READING_TIME > %(since)s",
        {"arrived": arrived, "b": LATE_BATCH, "since": newest - timedelta(hours=1)},
    )
    return int(scalar(cur, "SELECT COUNT(*) FROM AMI_INTERVAL_READINGS WHERE BATCH_ID = %(b)s", {"b": LATE_BATCH}))


def one_run(settings) -> dict:
    from data.connections import connect_warehouse
    from data.etl.pipeline import run_once

    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        reset_outputs(cur)
        full = run_once(settings)
        late_rows = redeliver_newest_hour(cur)
        incremental = run_once(settings)
        idle = run_once(settings)
        silver_rows = scalar(cur, "SELECT COUNT(*) FROM AMI_DEDUPLICATED")
    finally:
        conn.close()
    bronze_to_gold_s = full["step_seconds"]["silver"] + full["step_seconds"]["gold"]
    return {
        "bronze_rows": full["bronze"],
        "silver_rows": silver_rows,
        "duplicates_removed": full["bronze"] - full["silver"],
        "full": full,
        "bronze_to_gold_s": round(bronze_to_gold_s, 3),
        "bronze_to_gold_rows_per_s": round(full["bronze"] / bronze_to_gold_s),
        "full_run_s": full["duration_s"],
        "full_run_rows_per_s": round(full["bronze"] / full["duration_s"]),
        "late_redelivery_rows": late_rows,
        "incremental": incremental,
        "incremental_run_s": incremental["duration_s"],
        "idle_run_s": idle["duration_s"],
        "idle_run_rows_written": sum(idle[k] for k in ("silver", "gold", "monthly", "transformer_hourly")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", default="seed")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pg-database", default="flux_bench_h2")
    parser.add_argument("--warehouse-database", default="FLUX_BENCH_H2")
    parser.add_argument("--reload", action="store_true", help="regenerate and reload the warehouse first")
    args = parser.parse_args(argv)

    from settings import Settings
    from data.etl.schema import apply_warehouse

    settings = Settings(pg_database=args.pg_database, snowflake_database=args.warehouse_database)
    apply_warehouse(settings)
    ensure_loaded(settings, args.scale, args.seed, args.reload)

    runs = []
    for i in range(args.runs):
        run = one_run(settings)
        runs.append(run)
        print(
            f"run {i + 1}/{args.runs}: bronze->gold {run['bronze_to_gold_rows_per_s']} rows/s"
            f" ({run['bronze_to_gold_s']} s), full {run['full_run_s']} s,"
            f" incremental {run['incremental_run_s']} s, idle {run['idle_run_s']} s",
            flush=True,
        )

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 3)

    headline = (
        "bronze_to_gold_rows_per_s",
        "bronze_to_gold_s",
        "full_run_s",
        "full_run_rows_per_s",
        "incremental_run_s",
        "idle_run_s",
    )
    result = {
        "benchmark": "AMI medallion pipeline, bronze -> gold (+ monthly, transformer-hourly), fakesnow server",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "scale": args.scale,
        "seed": args.seed,
        "as_of": AS_OF.isoformat(),
        "bronze_rows": runs[0]["bronze_rows"],
        "silver_rows": runs[0]["silver_rows"],
        "duplicates_removed": runs[0]["duplicates_removed"],
        "late_redelivery_rows": runs[0]["late_redelivery_rows"],
        "median": {k: median(k) for k in headline},
        "median_step_seconds_full": {
            step: round(statistics.median(r["full"]["step_seconds"][step] for r in runs), 3)
            for step in runs[0]["full"]["step_seconds"]
        },
        "runs": runs,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(result["median"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
