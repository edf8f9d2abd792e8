"""The AMI medallion pipeline in the warehouse, run incrementally.

    python -m data.etl.pipeline --once
    python -m data.etl.pipeline --every 60

bronze AMI_INTERVAL_READINGS -> silver AMI_DEDUPLICATED -> gold AMI_ENRICHED ->
AMI_MONTHLY_USAGE and TRANSFORMER_HOURLY_LOAD. Each step keeps a watermark in
PIPELINE_WATERMARKS: the highest INGESTION_TIME it has consumed from the step before it. A run
reads only rows past that watermark, and the downstream steps recompute only the keys those rows
touch. A watermark moves only after its step's MERGEs succeed, so a crash mid-run is picked up by
the next run, and a run with nothing new writes nothing. A delivery must be atomic per
INGESTION_TIME (one statement or transaction), as a head-end batch load is. The same logic for real Snowflake accounts,
as Dynamic Tables, is in data/etl/sql/warehouse/dynamic_tables.sql.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from settings import Settings
from data.connections import connect_warehouse

SQL_DIR = Path(__file__).resolve().parent / "sql" / "pipeline"
# Before any data: every INGESTION_TIME is later than this.
EPOCH = datetime(1970, 1, 1)

log = logging.getLogger("flux.pipeline")


@dataclass(frozen=True)
class Step:
    name: str
    upstream: str  # the watermark (or "bronze") that bounds this step's input
    statements: tuple[str, ...]


STEPS: tuple[Step, ...] = (
    Step("silver", "bronze", ("silver_merge",)),
    Step("gold", "silver", ("gold_merge",)),
    Step("monthly", "gold", ("monthly_merge", "monthly_yoy")),
    Step("transformer_hourly", "gold", ("transformer_hourly_merge",)),
)


@lru_cache(maxsize=None)
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text().strip().rstrip(";")


def _watermarks(cur) -> dict[str, datetime]:
    cur.execute(_sql("watermarks_read"))
    return {step: wm for step, wm in cur.fetchall()}


def _merge_count(cur) -> int:
    """Rows a MERGE inserted plus rows it updated."""
    row = cur.fetchone()
    return sum(int(v or 0) for v in row) if row else 0


def _run_step(conn, step: Step, lo: datetime, hi: datetime, rows_in: int | None) -> int:
    # No explicit transaction: fakesnow cannot run two MERGEs in one. The watermark moves only
    # after the step's MERGEs succeed, and re-running a step over the same (lo, hi] rewrites the
    # same values, so a crash in between is repaired by the next run.
    cur = conn.cursor()
    written = 0
    for name in step.statements:
        cur.execute(_sql(name), {"lo": lo, "hi": hi})
        written += _merge_count(cur)
    cur.execute(
        _sql("watermark_write"),
        {"step": step.name, "watermark": hi, "rows": rows_in if rows_in is not None else written},
    )
    return written


def run_steps(conn) -> dict:
    """One incremental pass over every step on an open warehouse connection."""
    started = time.perf_counter()
    cur = conn.cursor()
    marks = _watermarks(cur)
    report: dict = {"bronze": 0, "step_seconds": {}}

    lo = marks.get("silver", EPOCH)
    cur.execute(_sql("bronze_pending"), {"lo": lo})
    pending, high_water = cur.fetchone()
    # Check the count, not MAX: fakesnow returns a NULL timestamp as 1970-01-01.
    bounds = {"bronze": high_water if pending else None}
    report["bronze"] = int(pending)

    for step in STEPS:
        t0 = time.perf_counter()
        lo = marks.get(step.name, EPOCH)
        hi = bounds.get(step.upstream) or marks.get(step.upstream)
        written = 0
        if hi is not None and hi > lo:
            written = _run_step(conn, step, lo, hi, report["bronze"] if step.name == "silver" else None)
            marks[step.name] = hi
        bounds[step.name] = marks.get(step.name)
        report[step.name] = written
        report["step_seconds"][step.name] = round(time.perf_counter() - t0, 3)

    report["duration_s"] = round(time.perf_counter() - started, 3)
    return report


def run_once(settings: Settings) -> dict:
    """Run every step once. Returns rows written per step, bronze rows read and the duration."""
    conn = connect_warehouse(settings)
    try:
        report = run_steps(conn)
    finally:
        conn.close()
    log.info(json.dumps({"event": "pipeline.run", **report}))
    return report


def run_every(settings: Settings, seconds: float, stop: threading.Event) -> None:
    """Run until ``stop`` is set; a failed run is logged and retried on the next tick."""
    while not stop.is_set():
        try:
            run_once(settings)
        except Exception:
            log.exception(json.dumps({"event": "pipeline.failed"}))
        stop.wait(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the incremental AMI pipeline in the warehouse.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="run every step once and exit")
    mode.add_argument("--every", type=float, metavar="N", help="run every N seconds until stopped")
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(message)s")
    if args.once:
        run_once(settings)
        return 0
    if args.every <= 0:
        parser.error("--every needs a positive number of seconds")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_every(settings, args.every, stop)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
