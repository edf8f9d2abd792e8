"""Benchmark the warehouse -> Postgres cache sync at seed scale.

    .venv/bin/python -m bench.bench_sync [--runs 3]
        [--pg-database flux_bench_h2 --warehouse-database FLUX_BENCH_H2]

Uses the bench's own databases: loads the seed grid into the warehouse and pipes it if that has
not been done (bench_pipeline does the same), then per run times:
- cold: every cache table emptied first, so every row is transferred and inserted;
- idle: nothing changed at the source, every table is skipped by its fingerprint;
- forced: the full transfer and row comparison with nothing to write (force=True);
- change: 1% of grid assets get a new load reading; only that table is transferred.
Writes bench/results/sync.json with every run, per-table timings and the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.bench_pipeline import AS_OF, ensure_loaded

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "sync.json"


def prepare(settings, scale: str, seed: int) -> None:
    from psycopg import sql

    from data.connections import pg_admin
    from data.etl.pipeline import run_once
    from data.etl.schema import apply_postgres, apply_warehouse

    with pg_admin(settings, "postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.pg_database,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings.pg_database)))
    apply_postgres(settings)
    apply_warehouse(settings)
    ensure_loaded(settings, scale, seed, reload=False)
    run_once(settings)  # a no-op when the pipeline is already up to date


def empty_cache(settings) -> None:
    from psycopg import sql

    from data.connections import pg_admin
    from data.etl.sync import TABLES

    with pg_admin(settings) as conn:
        for name in TABLES:
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier("flux", name)))
        conn.execute("DELETE FROM flux.cache_freshness")
        conn.commit()
    with pg_admin(settings, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def change_one_percent_of_assets(settings, run: int) -> int:
    from data.connections import connect_warehouse

    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        cur.execute(
            "UPDATE GRID_ASSETS SET LOAD_PERCENT = COALESCE(LOAD_PERCENT, 0) + 0.5,"
            " UPDATED_AT = DATEADD('MINUTE', %(run)s, UPDATED_AT)"
            " WHERE MOD(ABS(HASH(ASSET_ID)), 100) = %(run)s",
            {"run": run},
        )
        cur.execute("SELECT COUNT(*) FROM GRID_ASSETS WHERE MOD(ABS(HASH(ASSET_ID)), 100) = %(run)s", {"run": run})
        return int(cur.fetchone()[0])
    finally:
        conn.close()


def summary(report) -> dict:
    return {
        "duration_s": report.duration_s,
        "tables": {
            name: {
                "rows": r.rows,
                "inserted": r.inserted,
                "updated": r.updated,
                "deleted": r.deleted,
                "skipped": r.skipped,
                "duration_ms": r.duration_ms,
            }
            for name, r in report.tables.items()
        },
    }


def one_run(settings, run: int) -> dict:
    from data.etl.sync import sync_all

    empty_cache(settings)
    cold = sync_all(settings)
    idle = sync_all(settings)
    forced = sync_all(settings, force=True)
    changed_rows = change_one_percent_of_assets(settings, run)
    change = sync_all(settings)
    return {
        "cold": summary(cold),
        "idle": summary(idle),
        "forced": summary(forced),
        "change": {**summary(change), "assets_changed": changed_rows},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", default="seed")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pg-database", default="flux_bench_h2")
    parser.add_argument("--warehouse-database", default="FLUX_BENCH_H2")
    args = parser.parse_args(argv)

    from settings import Settings

    settings = Settings(pg_database=args.pg_database, snowflake_database=args.warehouse_database)
    prepare(settings, args.scale, args.seed)

    runs = []
    for i in range(args.runs):
        run = one_run(settings, i + 1)
        runs.append(run)
        print(
            f"run {i + 1}/{args.runs}: " + ", ".join(f"{k} {v['duration_s']} s" for k, v in run.items()), flush=True
        )

    phases = ("cold", "idle", "forced", "change")
    tables = list(runs[0]["cold"]["tables"])
    result = {
        "benchmark": "warehouse -> Postgres cache sync (fakesnow server -> PostgreSQL 15 + PostGIS)",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "scale": args.scale,
        "seed": args.seed,
        "as_of": AS_OF.isoformat(),
        "method": "fingerprint skip; Arrow batches -> CSV -> COPY into a TEMP stage; one transaction per table",
        "rows": {t: runs[0]["cold"]["tables"][t]["rows"] for t in tables},
        "median_s": {p: round(statistics.median(r[p]["duration_s"] for r in runs), 3) for p in phases},
        "median_table_ms": {
            p: {t: round(statistics.median(r[p]["tables"][t]["duration_ms"] for r in runs), 1) for t in tables}
            for p in phases
        },
        "runs": runs,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["median_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
