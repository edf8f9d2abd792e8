"""Synthetic Houston grid: generate it in memory, deterministically, and load it into the warehouse.

    python -m data.etl.generate --scale small|seed|large --seed N [--as-of ISO]
                            [--ami-meters N] [--ami-days N] [--if-empty]

``generate()`` is pure: the same scale, seed and as_of give identical tables. ``load_warehouse()``
replaces whatever the generator loaded before (and the pipeline outputs derived from it).
Every TIMESTAMP_NTZ it writes is UTC; AMI READING_TIME is the interval's end.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pyarrow as pa

from data.etl.synth.ami import build_ami
from data.etl.synth.climate import WEATHER_TABLE_HOURS, build_weather, ercot_prices, weather_tables
from data.etl.synth.common import floor_15min, to_epoch_s
from data.etl.synth.history import build_outage_history
from data.etl.synth.network import Scale, build_network
from data.etl.synth.operations import build_crews_and_work_orders, build_outages
from data.etl.synth.status import build_topology

log = logging.getLogger("flux.generate")

SCALES: dict[str, Scale] = {
    # tests: a dozen substations, ~2.5K segments, ~18K assets, ~20K customers, ~40K AMI rows
    "small": Scale(
        substations=12, circuits_per_sub=(4, 8), segments_per_circuit=(26, 42), xfmr_per_segment=1.15,
        poles_per_segment=6.5, outages=1300, active_outages=8, historical_work_orders=800,
        active_work_orders=60, crews=20, ami_meters=140, ami_days=3,
    ),
    # the original's counts: 242 substations, ~66K segments, ~500K assets, ~600K customers
    "seed": Scale(
        substations=242, circuits_per_sub=(4, 8), segments_per_circuit=(34, 58), xfmr_per_segment=1.15,
        poles_per_segment=6.33, outages=38_000, active_outages=40, historical_work_orders=24_000,
        active_work_orders=1_200, crews=150, ami_meters=5_500, ami_days=10,
    ),
    "large": Scale(
        substations=484, circuits_per_sub=(4, 8), segments_per_circuit=(34, 58), xfmr_per_segment=1.15,
        poles_per_segment=6.33, outages=76_000, active_outages=80, historical_work_orders=48_000,
        active_work_orders=2_400, crews=300, ami_meters=22_000, ami_days=14,
    ),
}

# Load order: reference data first, bronze last. Pipeline outputs are derived, never loaded.
TABLES = (
    "SUBSTATIONS", "CIRCUITS", "FEEDER_SEGMENTS", "GRID_ASSETS", "CIRCUIT_STATUS_REALTIME",
    "CUSTOMERS_MASTER_DATA", "OUTAGE_EVENTS", "OUTAGE_HISTORY", "CREWS", "WORK_ORDERS", "HOUSTON_WEATHER_HOURLY",
    "WEATHER_EVENTS", "ERCOT_PRICES_5MIN", "AMI_INTERVAL_READINGS",
)
DERIVED_TABLES = (
    "AMI_DEDUPLICATED", "AMI_ENRICHED", "AMI_MONTHLY_USAGE", "TRANSFORMER_HOURLY_LOAD", "PIPELINE_WATERMARKS",
)


@dataclass(frozen=True)
class Dataset:
    """Generated warehouse tables (pyarrow, column arrays) keyed by PRODUCTION table name."""

    scale: str
    seed: int
    as_of: datetime  # naive UTC, on the 15-minute grid
    ami_meters: int
    ami_days: int
    tables: dict[str, pa.Table] = field(repr=False)

    def __getitem__(self, table: str) -> pa.Table:
        return self.tables[table]

    def counts(self) -> dict[str, int]:
        return {name: self.tables[name].num_rows for name in TABLES}

    def column(self, table: str, column: str) -> list:
        return self.tables[table].column(column).to_pylist()


def normalize_as_of(as_of: datetime | None) -> datetime:
    """UTC, naive, floored to 15 minutes; now when not given."""
    return floor_15min(as_of or datetime.now(timezone.utc))


def generate(
    scale: str,
    seed: int,
    as_of: datetime,
    ami_meters: int | None = None,
    ami_days: int | None = None,
) -> Dataset:
    return _generate(scale, seed, as_of, ami_meters, ami_days)


def _generate(scale, seed, as_of, ami_meters, ami_days, on_step=None) -> Dataset:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    sc = SCALES[scale]
    meters = sc.ami_meters if ami_meters is None else int(ami_meters)
    days = sc.ami_days if ami_days is None else int(ami_days)
    if meters < 1 or days < 1:
        raise ValueError("ami_meters and ami_days must be positive")
    as_of = normalize_as_of(as_of)
    now = to_epoch_s(as_of)
    step = on_step or (lambda name: None)

    step("weather")
    weather = build_weather(seed, now)
    tables = weather_tables(weather)
    ercot_start = min(now - (WEATHER_TABLE_HOURS - 1) * 3600, now - days * 86400)
    tables["ERCOT_PRICES_5MIN"] = ercot_prices(seed, weather, ercot_start, now)
    step("network")
    grid, net_tables = build_network(seed, sc, now)
    tables.update(net_tables)
    step("outages")
    outages, active, hist = build_outages(seed, sc, grid, weather, now)
    tables["OUTAGE_EVENTS"] = outages
    tables["OUTAGE_HISTORY"] = build_outage_history(seed, grid, now)
    step("topology")
    tables.update(build_topology(seed, grid, weather, now, active))
    step("work orders")
    crews, work_orders = build_crews_and_work_orders(seed, sc, grid, outages, active, hist, now)
    tables["CREWS"], tables["WORK_ORDERS"] = crews, work_orders
    step("ami")
    tables["AMI_INTERVAL_READINGS"] = build_ami(seed, grid, weather, now, meters, days, active["xfmr_out_since"])
    return Dataset(scale=scale, seed=seed, as_of=as_of, ami_meters=meters, ami_days=days,
                   tables={name: tables[name] for name in TABLES})


# -- warehouse ---------------------------------------------------------------------------------
# Tables load on this many connections at once: the AMI bronze on one, everything else on the
# other, so the small tables' round trips hide behind the big COPY.
LOAD_LANES = 2


def _lanes(dataset: Dataset, n: int) -> list[list[str]]:
    """Split the tables into ``n`` lanes of about equal rows, biggest first, in load order."""
    lanes: list[list[str]] = [[] for _ in range(n)]
    rows = [0] * n
    for table in sorted(TABLES, key=lambda t: -dataset.tables[t].num_rows):
        i = rows.index(min(rows))
        lanes[i].append(table)
        rows[i] += dataset.tables[table].num_rows
    return [sorted(lane, key=TABLES.index) for lane in lanes if lane]


def _load_lane(settings, dataset: Dataset, tables: list[str], workdir: str, done) -> dict[str, int]:
    from data.connections import connect_warehouse
    from data.etl.synth.bulk import copy_table

    counts = {}
    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        for table in tables:
            data = dataset.tables[table]
            started = time.perf_counter()
            counts[table] = copy_table(cur, table, data, workdir)
            if counts[table] != data.num_rows:
                raise RuntimeError(f"{table}: loaded {counts[table]} rows, generated {data.num_rows}")
            log.debug("%s: %d rows in %.2f s", table, counts[table], time.perf_counter() - started)
            done(table, data.num_rows)
    finally:
        conn.close()
    return counts


def load_warehouse(settings, dataset: Dataset, progress: bool = False) -> dict[str, int]:
    """Replace the generator's tables (and the pipeline outputs derived from them) with ``dataset``."""
    from concurrent.futures import ThreadPoolExecutor

    from data.connections import connect_warehouse
    from data.etl.schema import apply_warehouse
    from data.etl.synth.bulk import sql, temp_dir

    apply_warehouse(settings)
    bar = _bar(progress, total=sum(t.num_rows for t in dataset.tables.values()), desc="load", unit="row")
    lock = threading.Lock()

    def done(table: str, rows: int) -> None:
        if bar:
            with lock:
                bar.set_postfix_str(table)
                bar.update(rows)

    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        cur.execute(sql("clear_runs"))
        for table in DERIVED_TABLES + TABLES:
            cur.execute(sql("clear_table", table))
        loaded: dict[str, int] = {}
        with temp_dir() as workdir, ThreadPoolExecutor(max_workers=LOAD_LANES) as pool:
            lanes = [pool.submit(_load_lane, settings, dataset, lane, workdir, done) for lane in _lanes(dataset, LOAD_LANES)]
            for lane in lanes:
                loaded.update(lane.result())
        counts = {table: loaded[table] for table in TABLES}
        cur.execute(sql("record_run"), {
            "scale": dataset.scale, "seed": dataset.seed, "as_of": dataset.as_of,
            "ami_meters": dataset.ami_meters, "ami_days": dataset.ami_days,
            "row_counts": json.dumps(counts), "loaded_at": datetime.now(timezone.utc).replace(tzinfo=None),
        })
    finally:
        if bar:
            bar.close()
        conn.close()
    return counts


def already_loaded(settings, scale: str, seed: int) -> bool:
    from data.connections import connect_warehouse
    from data.etl.schema import apply_warehouse
    from data.etl.synth.bulk import sql

    apply_warehouse(settings)
    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        cur.execute(sql("runs_for"), {"scale": scale, "seed": seed})
        return int(cur.fetchone()[0]) > 0
    finally:
        conn.close()


def _bar(enabled: bool, **kw):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(**kw)


# -- CLI ---------------------------------------------------------------------------------------
def _parse_as_of(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO timestamp: {text!r}") from exc


def main(argv: list[str] | None = None) -> int:
    from settings import Settings

    settings = Settings()
    parser = argparse.ArgumentParser(description="Generate the synthetic Houston grid and load the warehouse.")
    parser.add_argument("--scale", choices=sorted(SCALES), default=settings.data_scale)
    parser.add_argument("--seed", type=int, default=settings.data_seed)
    parser.add_argument("--as-of", type=_parse_as_of, default=None, help="ISO timestamp, UTC if naive (default: now)")
    parser.add_argument("--ami-meters", type=int, default=settings.ami_meters)
    parser.add_argument("--ami-days", type=int, default=settings.ami_days)
    parser.add_argument("--if-empty", action="store_true", help="skip when this scale and seed are already loaded")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("snowflake.connector").setLevel(logging.WARNING)

    if args.if_empty and already_loaded(settings, args.scale, args.seed):
        log.info("warehouse already holds scale=%s seed=%d: skipped", args.scale, args.seed)
        return 0
    started = time.perf_counter()
    steps = ["weather", "network", "outages", "topology", "work orders", "ami"]
    bar = _bar(True, total=len(steps), desc="generate", unit="step")

    def on_step(name: str) -> None:
        bar.set_postfix_str(name)
        if name != steps[0]:
            bar.update(1)

    dataset = _generate(args.scale, args.seed, args.as_of, args.ami_meters, args.ami_days, on_step=on_step)
    bar.update(1)
    bar.close()
    generated = time.perf_counter() - started
    counts = load_warehouse(settings, dataset, progress=True)
    log.info(
        "scale=%s seed=%d as_of=%s: generated in %.1f s, loaded in %.1f s",
        args.scale, args.seed, dataset.as_of.isoformat(), generated, time.perf_counter() - started - generated,
    )
    for table, n in counts.items():
        log.info("  %-26s %10d", table, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
