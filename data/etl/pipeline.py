"""The AMI medallion pipeline in the warehouse, run incrementally.

    python -m data.etl.pipeline --once
    python -m data.etl.pipeline --every 5        (continuous; FLUX_PIPELINE_EVERY_S by default)

bronze AMI_INTERVAL_READINGS -> silver AMI_DEDUPLICATED -> gold AMI_ENRICHED ->
AMI_MONTHLY_USAGE and TRANSFORMER_HOURLY_LOAD. Each step keeps a watermark in
PIPELINE_WATERMARKS: the highest INGESTION_TIME it has consumed from the step before it. A run
reads only rows past that watermark, and the downstream steps recompute only the keys those rows
touch. A watermark moves only after its step's MERGEs succeed, so a crash mid-run is picked up by
the next run, and a run with nothing new writes nothing. A delivery must be atomic per
INGESTION_TIME (one statement or transaction), as a head-end batch load is. The same logic for real Snowflake accounts,
as Dynamic Tables, is in data/etl/sql/warehouse/dynamic_tables.sql.

Bronze is taken in windows of at most ``FLUX_PIPELINE_WINDOW_ROWS`` rows by INGESTION_TIME, each
run through every step before the next: a backlog (a stalled pipeline, a replayed spill queue)
is worked off in bounded statements, and gold advances window by window. Continuous mode
(``--every``) keeps one warehouse session, looks for new bronze every few seconds, drains what
it finds through gold, runs the aggregates after gold every ``FLUX_PIPELINE_AGGREGATE_EVERY_S``
(they cost about as much for one delivery as for a minute of them), deletes raw bronze past its
retention (data/etl/retention.py) now and then, and writes a heartbeat (data/etl/heartbeat.py)
with its lag after every window.
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
from datetime import datetime, timezone
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


# AMI_MONTHLY_USAGE and TRANSFORMER_HOURLY_LOAD: re-aggregated per touched key from gold, which
# costs as much for one delivery as for a minute of them; the continuous loop runs them every
# FLUX_PIPELINE_AGGREGATE_EVERY_S, gold every cycle.
AGGREGATE_STEPS = frozenset({"monthly", "transformer_hourly"})

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


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # warehouse timestamps are UTC, naive


def run_steps(conn, window_rows: int | None = None, *, aggregates: bool = True) -> dict:
    """One incremental pass over every step on an open warehouse connection, over at most
    ``window_rows`` bronze rows (all pending bronze when None). With ``aggregates`` False the
    steps after gold wait (their watermarks stay; a later pass catches up from them)."""
    started = time.perf_counter()
    cur = conn.cursor()
    marks = _watermarks(cur)
    report: dict = {"bronze": 0, "step_seconds": {}}

    lo = marks.get("silver", EPOCH)
    cur.execute(_sql("bronze_window"), {"lo": lo, "cap": int(window_rows or 2**62)})
    pending, high_water = cur.fetchone()
    # Check the count, not MAX: fakesnow returns a NULL timestamp as 1970-01-01.
    bounds = {"bronze": high_water if pending else None}
    report["bronze"] = int(pending)

    for step in STEPS:
        t0 = time.perf_counter()
        if not aggregates and step.name in AGGREGATE_STEPS:
            report[step.name] = 0
            continue
        lo = marks.get(step.name, EPOCH)
        hi = bounds.get(step.upstream) or marks.get(step.upstream)
        written = 0
        if hi is not None and hi > lo:
            written = _run_step(conn, step, lo, hi, report["bronze"] if step.name == "silver" else None)
            marks[step.name] = hi
        bounds[step.name] = marks.get(step.name)
        report[step.name] = written
        report["step_seconds"][step.name] = round(time.perf_counter() - t0, 3)

    report["watermark"] = marks.get("gold")
    report["duration_s"] = round(time.perf_counter() - started, 3)
    return report


def backlog(conn) -> tuple[int, datetime | None]:
    """Bronze rows not yet in silver, and the arrival time of the oldest of them."""
    cur = conn.cursor()
    lo = _watermarks(cur).get("silver", EPOCH)
    cur.execute(_sql("bronze_backlog"), {"lo": lo})
    pending, oldest, _newest = cur.fetchone()
    return int(pending), (oldest if pending else None)


def drain(conn, window_rows: int | None, on_window=None, *, aggregates: bool = True) -> dict:
    """Run window after window until no bronze is pending. Returns the totals; ``on_window``
    is called with each window's report (the continuous loop writes its heartbeat there)."""
    started = time.perf_counter()
    total: dict = {"bronze": 0, "windows": 0, **{step.name: 0 for step in STEPS}}
    while True:
        report = run_steps(conn, window_rows, aggregates=aggregates)
        if report["bronze"] == 0 and total["windows"]:
            break
        total["windows"] += 1
        for key in ("bronze", *(step.name for step in STEPS)):
            total[key] += report[key]
        total["watermark"] = report["watermark"]
        total["step_seconds"] = report["step_seconds"]
        if on_window is not None:
            on_window(report)
        # a window that took fewer rows than its cap took everything there was
        if window_rows is None or report["bronze"] < window_rows:
            break
    total["duration_s"] = round(time.perf_counter() - started, 3)
    return total


def run_once(settings: Settings) -> dict:
    """Run every step once over all pending bronze, window by window. Returns rows written per
    step, bronze rows read, the windows taken and the duration."""
    conn = connect_warehouse(settings)
    try:
        report = drain(conn, settings.pipeline_window_rows)
    finally:
        conn.close()
    log.info(json.dumps({"event": "pipeline.run", **report}, default=str))
    return report


class Follower:
    """The continuous pipeline: one session, a cycle every ``seconds`` (sooner after a long one)."""

    def __init__(self, settings: Settings, seconds: float, on_window=None):
        """``on_window(report)``: called after every window that took bronze (benchmarks time it)."""
        self.settings = settings
        self.seconds = seconds
        self.on_window = on_window
        self.conn = None
        self.last_retention = 0.0  # monotonic; 0 = run retention on the first cycle
        self.last_aggregates = 0.0
        self.last_lag = 0.0

    def _connection(self):
        if self.conn is None:
            self.conn = connect_warehouse(self.settings)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None

    def cycle(self) -> dict:
        from data.etl import heartbeat, retention

        conn = self._connection()
        pending, oldest = backlog(conn)
        cycle_started = time.perf_counter()

        def beat(window: dict) -> None:
            if self.on_window is not None:
                self.on_window(window)
            heartbeat.write(
                self.settings, "pipeline", state="working", window_rows=window["bronze"],
                window_s=window["duration_s"], watermark=window["watermark"],
                lag_s=round((_utcnow() - oldest).total_seconds(), 3) if oldest else 0.0,
            )

        # gold every cycle; the aggregates after it at their own, slower cadence
        aggregates = (time.monotonic() - self.last_aggregates >= self.settings.pipeline_aggregate_every_s
                      or not self.last_aggregates)
        # with no new bronze this still moves a step left behind by a failed cycle
        report = drain(conn, self.settings.pipeline_window_rows, beat if pending else None, aggregates=aggregates)
        report["aggregates"] = aggregates
        if aggregates:
            self.last_aggregates = time.monotonic()
        report["cycle_s"] = round(time.perf_counter() - cycle_started, 3)
        # the worst arrival-to-gold time of this cycle: its oldest row waited from its arrival
        report["lag_s"] = round((_utcnow() - oldest).total_seconds(), 3) if oldest else 0.0
        if time.monotonic() - self.last_retention >= self.settings.retention_every_s or not self.last_retention:
            report["retention"] = retention.purge_bronze(conn, self.settings)
            self.last_retention = time.monotonic()
        if report["bronze"]:
            self.last_lag = report["lag_s"]
        # lag_s: arrival to gold for the last cycle that had new bronze (0 until one has)
        heartbeat.write(
            self.settings, "pipeline", state="idle", rows=report["bronze"], windows=report["windows"],
            cycle_s=report["cycle_s"], lag_s=self.last_lag, watermark=report.get("watermark"),
        )
        if report["bronze"] or "retention" in report:
            log.info(json.dumps({"event": "pipeline.run", **report}, default=str))
        return report


def run_every(settings: Settings, seconds: float, stop: threading.Event) -> None:
    """Run until ``stop`` is set; a failed cycle is logged, its session dropped, and retried on
    the next tick. A cycle starts ``seconds`` after the previous one started (at once if that
    one took longer)."""
    follower = Follower(settings, seconds)
    try:
        while not stop.is_set():
            started = time.monotonic()
            try:
                follower.cycle()
            except Exception:
                log.exception(json.dumps({"event": "pipeline.failed"}))
                follower.close()
            stop.wait(max(0.0, seconds - (time.monotonic() - started)))
    finally:
        follower.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the incremental AMI pipeline in the warehouse.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="run every step once and exit")
    mode.add_argument("--every", type=float, metavar="N", nargs="?", const=0.0,
                      help="run every N seconds until stopped (no N: FLUX_PIPELINE_EVERY_S)")
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(message)s")
    if args.once:
        run_once(settings)
        return 0
    every = args.every or settings.pipeline_every_s
    if every <= 0:
        parser.error("--every needs a positive number of seconds")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_every(settings, every, stop)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
