"""Sync the warehouse into the Postgres operational cache.

    python -m data.etl.sync --once [--tables substations,grid_assets] [--force]
    python -m data.etl.sync --every 60

Per table: a cheap fingerprint of the source (row count, newest update, a sum of row hashes)
is compared with the one recorded in flux.cache_freshness; an unchanged table is skipped. A
changed one is streamed from the connector in Arrow batches, written as CSV through
``COPY ... FROM STDIN`` into a temporary staging table, and applied in ONE transaction: upsert the
rows that differ, delete the rows the source no longer has, record freshness. Readers see the old
table until the commit and the new one after it; a failure or a killed process rolls back and
leaves the old data. The live table is never truncated.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from psycopg import sql

from settings import Settings
from data.connections import connect_warehouse, pg_admin

SQL_DIR = Path(__file__).resolve().parent / "sql" / "sync"
HASH_MODULUS = 1_000_000_007
# refresh a cache table's planner statistics in the sync when more than this share of it changed
ANALYZE_AFTER_CHANGED = 0.1

log = logging.getLogger("flux.sync")

POINT = "ST_SetSRID(ST_MakePoint(s.longitude, s.latitude), 4326)"


@dataclass(frozen=True)
class TableSpec:
    """One cache table: its warehouse query (data/etl/sql/sync/<name>.sql) and how rows land."""

    name: str
    key: str
    # the source query's columns, in order, with the staging table's Postgres types
    columns: tuple[tuple[str, str], ...]
    # the column that says how recent the source is (recorded as source_max_updated)
    updated: str
    # cache columns computed from staging columns (fixed expressions over alias s)
    derived: tuple[tuple[str, str], ...] = ()
    # staging columns that only feed a derived column
    staging_only: tuple[str, ...] = ()
    # topology must never sync to empty: an empty source means a misconfigured warehouse
    allow_empty: bool = True

    @property
    def target_columns(self) -> list[str]:
        return [c for c, _ in self.columns if c not in self.staging_only] + [c for c, _ in self.derived]

    @property
    def target_values(self) -> list[sql.Composable]:
        plain = [sql.SQL("s.{}").format(sql.Identifier(c)) for c, _ in self.columns if c not in self.staging_only]
        return plain + [sql.SQL(expr) for _, expr in self.derived]


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(part.split()) for part in spec.split(","))  # type: ignore[misc]


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "substations",
            "substation_id",
            _cols(
                "substation_id text, substation_name text, latitude float8, longitude float8,"
                " capacity_mva float8, voltage_level text, high_side_kv float8, low_side_kv float8,"
                " commissioned_date date, operational_status text, city text, county text,"
                " updated_at timestamptz"
            ),
            "updated_at",
            derived=(("geom", POINT),),
            allow_empty=False,
        ),
        TableSpec(
            "circuits",
            "circuit_id",
            _cols(
                "circuit_id text, circuit_name text, substation_id text, voltage_level_kv float8,"
                " rated_mva float8, segment_count int4, transformer_count int4, meter_count int4,"
                " customer_count int4, center_lat float8, center_lon float8, min_lat float8,"
                " min_lon float8, max_lat float8, max_lon float8, geom_overview_wkt text,"
                " updated_at timestamptz"
            ),
            "updated_at",
            derived=(("geom_overview", "ST_GeomFromText(s.geom_overview_wkt, 4326)"),),
            staging_only=("geom_overview_wkt",),
            allow_empty=False,
        ),
        TableSpec(
            "feeder_segments",
            "segment_id",
            _cols(
                "segment_id text, circuit_id text, substation_id text, upstream_segment_id text,"
                " seq int4, from_node text, to_node text, voltage_kv float8, rated_amps float8,"
                " conductor text, length_m float8, load_percent float8, geom_wkt text,"
                " geom_simplified_wkt text, updated_at timestamptz"
            ),
            "updated_at",
            derived=(
                ("geom", "ST_GeomFromText(s.geom_wkt, 4326)"),
                ("geom_simplified", "ST_GeomFromText(s.geom_simplified_wkt, 4326)"),
            ),
            staging_only=("geom_wkt", "geom_simplified_wkt"),
            allow_empty=False,
        ),
        TableSpec(
            "grid_assets",
            "asset_id",
            _cols(
                "asset_id text, asset_name text, asset_type text, latitude float8, longitude float8,"
                " load_percent float8, health_score float8, status text, voltage float8,"
                " capacity float8, circuit_id text, segment_id text, substation_id text, city text,"
                " zip_code text, connected_customers int4, install_year int4, updated_at timestamptz"
            ),
            "updated_at",
            derived=(("geom", POINT),),
            allow_empty=False,
        ),
        TableSpec(
            "customers",
            "customer_id",
            _cols(
                "customer_id text, full_name text, segment text, primary_meter_id text,"
                " transformer_id text, circuit_id text, substation_id text, service_address text,"
                " city text, zip_code text, county text, account_status text, latitude float8,"
                " longitude float8, updated_at timestamptz"
            ),
            "updated_at",
            allow_empty=False,
        ),
        TableSpec(
            "circuit_status_realtime",
            "circuit_id",
            _cols(
                "circuit_id text, substation_id text, load_percent float8, load_mw float8,"
                " health_score float8, customers_served int4, customers_out int4, status text,"
                " last_updated timestamptz"
            ),
            "last_updated",
        ),
        TableSpec(
            "ami_realtime",
            "meter_id",
            _cols(
                "meter_id text, transformer_id text, circuit_id text, reading_time timestamptz,"
                " usage_kwh float8, voltage float8, power_factor float8"
            ),
            "reading_time",
        ),
        TableSpec(
            "outages_active",
            "outage_id",
            _cols(
                "outage_id text, start_time timestamptz, cause text, severity text, priority text,"
                " restoration_status text, affected_customers_count int4, latitude float8,"
                " longitude float8, transformer_id text, affected_transformers int4,"
                " estimated_restoration_time timestamptz, assigned_crew_count int4, circuit_id text,"
                " substation_id text, updated_at timestamptz"
            ),
            "updated_at",
            derived=(("geom", POINT),),
        ),
        TableSpec(
            "work_orders_active",
            "work_order_id",
            _cols(
                "work_order_id text, asset_id text, asset_type text, substation_id text,"
                " circuit_id text, outage_id text, work_type text, priority text, status text,"
                " assigned_crew text, created_date timestamptz, scheduled_date timestamptz,"
                " due_date timestamptz, estimated_cost float8, labor_hours float8, latitude float8,"
                " longitude float8, description text, updated_at timestamptz"
            ),
            "updated_at",
            derived=(("geom", POINT),),
        ),
        TableSpec(
            "crews",
            "crew_id",
            _cols(
                "crew_id text, crew_name text, crew_type text, status text, latitude float8,"
                " longitude float8, work_order_id text, updated_at timestamptz"
            ),
            "updated_at",
            derived=(("geom", POINT),),
        ),
    )
}


class SyncError(RuntimeError):
    def __init__(self, message: str, report: "SyncReport | None" = None):
        super().__init__(message)
        self.report = report


@dataclass
class TableResult:
    table: str
    rows: int = 0  # rows in the cache table after the sync (= source rows)
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: bool = False  # source unchanged since the last sync
    duration_ms: float = 0.0
    error: str | None = None


@dataclass
class SyncReport:
    tables: dict[str, TableResult] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.error is None for r in self.tables.values())

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: r.rows for name, r in self.tables.items()}

    @property
    def durations_ms(self) -> dict[str, float]:
        return {name: r.duration_ms for name, r in self.tables.items()}

    def as_dict(self) -> dict:
        return {"tables": {n: asdict(r) for n, r in self.tables.items()}, "duration_s": self.duration_s}


@lru_cache(maxsize=None)
def source_sql(table: str) -> str:
    return (SQL_DIR / f"{table}.sql").read_text().strip().rstrip(";")


def fingerprint_sql(spec: TableSpec) -> str:
    """Count, newest update and a sum of row hashes over the source query (Snowflake SQL)."""
    cols = ", ".join(c for c, _ in spec.columns)
    return (
        f"SELECT COUNT(*), MAX({spec.updated}), SUM(HASH({cols}) % {HASH_MODULUS})\n"
        f"FROM (\n{source_sql(spec.name)}\n) src"
    )


def source_fingerprint(wh, spec: TableSpec) -> tuple[int, str, datetime | None]:
    cur = wh.cursor()
    cur.execute(fingerprint_sql(spec))
    count, newest, hashsum = cur.fetchone()
    count = int(count)
    # with no rows, fakesnow returns MAX(timestamp) as 1970-01-01 rather than NULL
    return count, f"{count}:{int(hashsum or 0)}", (newest if count else None)


def _stage_ddl(spec: TableSpec) -> sql.Composed:
    return sql.SQL("CREATE TEMP TABLE sync_stage ({}) ON COMMIT DROP").format(
        sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in spec.columns)
    )


def _upsert_sql(spec: TableSpec) -> sql.Composed:
    cols = [sql.Identifier(c) for c in spec.target_columns]
    changing = [c for c in spec.target_columns if c != spec.key]
    return sql.SQL(
        "WITH up AS ("
        " INSERT INTO {table} AS t ({cols}) SELECT {values} FROM sync_stage s"
        " ON CONFLICT ({key}) DO UPDATE SET {sets}"
        " WHERE ({old}) IS DISTINCT FROM ({new})"
        " RETURNING (xmax = 0) AS inserted)"
        " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    ).format(
        table=sql.Identifier("flux", spec.name),
        cols=sql.SQL(", ").join(cols),
        values=sql.SQL(", ").join(spec.target_values),
        key=sql.Identifier(spec.key),
        sets=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in changing),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in changing),
        new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in changing),
    )


def _delete_sql(spec: TableSpec) -> sql.Composed:
    return sql.SQL(
        "DELETE FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM sync_stage s WHERE s.{key} = t.{key})"
    ).format(table=sql.Identifier("flux", spec.name), key=sql.Identifier(spec.key))


FRESHNESS_SQL = """
INSERT INTO flux.cache_freshness (table_name, row_count, checksum, source_max_updated, synced_at, duration_ms)
VALUES (%(table)s, %(rows)s, %(checksum)s, %(newest)s, now(), %(ms)s)
ON CONFLICT (table_name) DO UPDATE SET
    row_count = EXCLUDED.row_count,
    checksum = EXCLUDED.checksum,
    source_max_updated = EXCLUDED.source_max_updated,
    synced_at = EXCLUDED.synced_at,
    duration_ms = EXCLUDED.duration_ms
"""


def _stream_into_stage(wh, pg, spec: TableSpec) -> int:
    """Fetch the source query in Arrow batches and COPY each batch in as CSV."""
    import pyarrow.csv as pa_csv

    names = [c for c, _ in spec.columns]
    cur = wh.cursor()
    cur.execute(source_sql(spec.name))
    copy_sql = sql.SQL("COPY sync_stage ({}) FROM STDIN (FORMAT csv)").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in names)
    )
    options = pa_csv.WriteOptions(include_header=False)
    rows = 0
    with pg.cursor().copy(copy_sql) as copy:
        for batch in cur.fetch_arrow_batches():
            got = [n.lower() for n in batch.schema.names]
            if got != names:
                raise SyncError(f"{spec.name}: source columns {got} do not match {names}")
            buf = io.BytesIO()
            pa_csv.write_csv(batch, buf, options)
            copy.write(buf.getbuffer())
            rows += batch.num_rows
    return rows


def lock_table(pg, table: str) -> None:
    """One writer per cache table at a time, for the rest of the transaction: a --every loop, a
    manual --once and the incremental sync (data/etl/sync_live.py) may overlap."""
    pg.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"flux.sync.{table}",))


def sync_table(wh, pg, spec: TableSpec, *, force: bool = False) -> TableResult:
    """Bring one cache table up to date with the warehouse, in one Postgres transaction."""
    from data.etl import sync_live

    started = time.perf_counter()
    result = TableResult(spec.name)
    # the incremental sync carries on from the source as it stood before this read
    live_mark = sync_live.source_mark(wh, spec.name) if spec.name in sync_live.LIVE_TABLES else None
    count, checksum, newest = source_fingerprint(wh, spec)
    if count == 0 and not spec.allow_empty:
        raise SyncError(f"{spec.name}: the warehouse returned no rows; refusing to empty the cache table")

    with pg.transaction():
        lock_table(pg, spec.name)
        recorded = pg.execute(
            "SELECT row_count, checksum FROM flux.cache_freshness WHERE table_name = %s", (spec.name,)
        ).fetchone()
        live = pg.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("flux", spec.name))).fetchone()[0]
        if not force and recorded == (count, checksum) and live == count:
            result.skipped = True
            result.rows = live
        else:
            pg.execute(_stage_ddl(spec))
            staged = _stream_into_stage(wh, pg, spec)
            pg.execute("ANALYZE sync_stage")
            result.inserted, result.updated = pg.execute(_upsert_sql(spec)).fetchone()
            if result.inserted + result.updated > ANALYZE_AFTER_CHANGED * staged:
                # The delete's anti-join is planned from the table's statistics. Those of an
                # emptied table say 0 rows, and made it a nested loop over 500K x 500K assets
                # (20+ min); readers right after the commit need the new figures as well.
                pg.execute(sql.SQL("ANALYZE {}").format(sql.Identifier("flux", spec.name)))
            result.deleted = pg.execute(_delete_sql(spec)).rowcount
            result.rows = staged
        if spec.name in sync_live.LIVE_TABLES:
            sync_live.record_mark(pg, spec.name, live_mark, result.inserted + result.updated + result.deleted)
        result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
        pg.execute(
            FRESHNESS_SQL,
            {"table": spec.name, "rows": result.rows, "checksum": checksum, "newest": newest, "ms": result.duration_ms},
        )
    return result


def sync_all(settings: Settings, tables: list[str] | None = None, *, force: bool = False) -> SyncReport:
    """Sync every cache table (or the named ones). Raises SyncError, carrying the report, if any
    table failed; the others are still synced, and a failed table keeps its previous rows."""
    names = list(TABLES) if tables is None else list(tables)
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise ValueError(f"unknown cache tables: {', '.join(unknown)}")
    started = time.perf_counter()
    report = SyncReport()
    wh = connect_warehouse(settings)
    try:
        with pg_admin(settings) as pg:
            pg.execute("SET TIME ZONE 'UTC'")  # the warehouse's TIMESTAMP_NTZ values are UTC
            pg.commit()
            for name in names:
                try:
                    result = sync_table(wh, pg, TABLES[name], force=force)
                except Exception as exc:  # one bad table must not stop the others
                    result = TableResult(name, error=f"{type(exc).__name__}: {exc}")
                    log.error(json.dumps({"event": "sync.table_failed", "table": name, "error": result.error}))
                else:
                    log.info(json.dumps({"event": "sync.table", **asdict(result)}, default=str))
                report.tables[name] = result
    finally:
        wh.close()
    report.duration_s = round(time.perf_counter() - started, 3)
    log.info(
        json.dumps({"event": "sync.done", "duration_s": report.duration_s, "rows": report.row_counts, "ok": report.ok})
    )
    if not report.ok:
        failed = [n for n, r in report.tables.items() if r.error]
        raise SyncError(f"sync failed for {', '.join(failed)}", report)
    return report


def run_every(settings: Settings, seconds: float, stop: threading.Event, tables: list[str] | None = None) -> None:
    while not stop.is_set():
        try:
            sync_all(settings, tables)
        except Exception:
            log.exception(json.dumps({"event": "sync.failed"}))
        stop.wait(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sync the warehouse into the Postgres operational cache.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="sync once and exit")
    mode.add_argument("--every", type=float, metavar="N", help="sync every N seconds until stopped")
    parser.add_argument("--tables", help=f"comma-separated subset of: {', '.join(TABLES)}")
    parser.add_argument("--force", action="store_true", help="transfer even tables whose source is unchanged")
    args = parser.parse_args(argv)
    tables = [t.strip() for t in args.tables.split(",") if t.strip()] if args.tables else None
    if tables and (unknown := [t for t in tables if t not in TABLES]):
        parser.error(f"unknown tables: {', '.join(unknown)}")
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(message)s")
    if args.once:
        try:
            sync_all(settings, tables, force=args.force)
        except SyncError:
            return 1
        return 0
    if args.every <= 0:
        parser.error("--every needs a positive number of seconds")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_every(settings, args.every, stop, tables)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
