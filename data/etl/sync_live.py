"""Incremental sync of the operational tables, warehouse -> Postgres, by watermark.

    python -m data.etl.sync_live --once
    python -m data.etl.sync_live --every 2      (continuous; FLUX_SYNC_LIVE_EVERY_S by default)

The operational tables change all the time (outages, work orders, crews, circuit status, each
meter's last reading); comparing them in full every few seconds would cost a scan of each. Here
each cycle reads only the rows changed since the table's watermark (flux.sync_watermarks, V012):
UPDATED_AT / LAST_UPDATED for the first four, re-read ``FLUX_SYNC_OVERLAP_S`` behind the
watermark because a writer stamps a row before its commit; for ``ami_realtime`` the silver rows
that arrived up to the pipeline's silver watermark, an exact bound. In one Postgres transaction
per table the changed rows are staged (COPY), the ones that left the active set (a restored
outage, a completed or cancelled work order) are deleted, the rest upserted unless the cache
already holds a newer version, and the watermark and cache_freshness move. Re-reading a row
changes nothing, so a cycle is idempotent. Each meter's power state (ami_realtime.power_state)
follows the live feed's last gasp / power restore events (METER_EVENTS, by INGESTION_TIME), and a
reading for an interval that ended after a last gasp turns it back on (a restore event may be
lost).

The full sync (data/etl/sync.py) stays the first load and the periodic reconcile
(``FLUX_SYNC_RECONCILE_EVERY_S``, in a thread of the continuous loop): it alone sees rows deleted
from the warehouse. It records each of these tables' watermark as the source stood before its
read, so the incremental sync carries on from there. The two share sync.py's per-table advisory
lock and never interleave on a table.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from psycopg import sql

from settings import Settings
from data.connections import connect_warehouse, pg_admin
from data.etl.sync import TABLES, TableSpec, lock_table

SQL_DIR = Path(__file__).resolve().parent / "sql" / "sync" / "live"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

log = logging.getLogger("flux.sync_live")


@dataclass(frozen=True)
class LiveTable:
    name: str  # the cache table, a key of sync.TABLES
    # the column that orders versions of a row: an older version never replaces a newer one
    guard: str
    # the watermark comes from the pipeline (exact, no overlap) rather than the rows' own stamps
    bounded_by_pipeline: bool = False
    # a statement (sql/sync/live/<after>.sql) run after the upsert, over the same stage
    after: str | None = None

    @property
    def spec(self) -> TableSpec:
        return TABLES[self.name]


LIVE_TABLES: dict[str, LiveTable] = {
    t.name: t
    for t in (
        LiveTable("outages_active", "updated_at"),
        LiveTable("work_orders_active", "updated_at"),
        LiveTable("crews", "updated_at"),
        LiveTable("circuit_status_realtime", "last_updated"),
        LiveTable("ami_realtime", "reading_time", bounded_by_pipeline=True, after="ami_power_from_reading"),
    )
}
# Each meter's power state (ami_realtime.power_state, V012) from the live feed's METER_EVENTS;
# skipped while the warehouse has no such table (before the feed's migration, V003).
METER_POWER = "meter_power"


@dataclass
class LiveResult:
    table: str
    read: int = 0  # changed rows read from the warehouse (overlap re-reads included)
    upserted: int = 0
    deleted: int = 0
    watermark: str | None = None
    # seconds from the newest applied change's stamp to its commit here (None: nothing new)
    lag_s: float | None = None
    duration_ms: float = 0.0
    error: str | None = None


@lru_cache(maxsize=None)
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text().strip().rstrip(";")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def source_mark(wh, table: str) -> datetime | None:
    """The source's newest change for ``table`` as of now (its watermark column's maximum)."""
    cur = wh.cursor()
    cur.execute(_sql(f"{table}_mark"))
    row = cur.fetchone()
    mark = _utc(row[0]) if row else None
    # fakesnow returns MAX over no rows as 1970-01-01; either way "nothing yet"
    return None if mark is None or mark <= EPOCH else mark


def record_mark(pg, table: str, mark: datetime | None, rows: int = 0) -> None:
    """Set ``table``'s watermark (inside the caller's transaction)."""
    pg.execute(
        "INSERT INTO flux.sync_watermarks (table_name, watermark, applied_at, rows_applied)"
        " VALUES (%(t)s, %(w)s, now(), %(n)s)"
        " ON CONFLICT (table_name) DO UPDATE SET watermark = EXCLUDED.watermark,"
        " applied_at = EXCLUDED.applied_at, rows_applied = EXCLUDED.rows_applied",
        {"t": table, "w": mark or EPOCH, "n": rows},
    )


def _stage_ddl(spec: TableSpec) -> sql.Composed:
    cols = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in spec.columns]
    cols += [sql.SQL("gone boolean"), sql.SQL("mark timestamptz")]
    return sql.SQL("CREATE TEMP TABLE sync_live_stage ({}) ON COMMIT DROP").format(sql.SQL(", ").join(cols))


def _delete_sql(spec: TableSpec) -> sql.Composed:
    return sql.SQL(
        "DELETE FROM {table} t USING sync_live_stage s WHERE s.gone AND s.{key} = t.{key}"
    ).format(table=sql.Identifier("flux", spec.name), key=sql.Identifier(spec.key))


def _upsert_sql(live: LiveTable) -> sql.Composed:
    spec = live.spec
    changing = [c for c in spec.target_columns if c != spec.key]
    return sql.SQL(
        "INSERT INTO {table} AS t ({cols}) SELECT {values} FROM sync_live_stage s WHERE NOT s.gone"
        " ON CONFLICT ({key}) DO UPDATE SET {sets}"
        " WHERE t.{guard} <= EXCLUDED.{guard} AND ({old}) IS DISTINCT FROM ({new})"
    ).format(
        table=sql.Identifier("flux", spec.name),
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in spec.target_columns),
        values=sql.SQL(", ").join(spec.target_values),
        key=sql.Identifier(spec.key),
        guard=sql.Identifier(live.guard),
        sets=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in changing),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in changing),
        new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in changing),
    )


FRESHNESS_SQL = """
INSERT INTO flux.cache_freshness AS f (table_name, row_count, checksum, source_max_updated, synced_at, duration_ms)
VALUES (%(t)s, CASE WHEN %(changed)s THEN (SELECT count(*) FROM {table}) ELSE 0 END, NULL, %(newest)s, now(), %(ms)s)
ON CONFLICT (table_name) DO UPDATE SET
    synced_at = EXCLUDED.synced_at,
    duration_ms = EXCLUDED.duration_ms,
    -- a changed table no longer matches the full sync's fingerprint: its next reconcile transfers it
    row_count = CASE WHEN %(changed)s THEN EXCLUDED.row_count ELSE f.row_count END,
    checksum = CASE WHEN %(changed)s THEN NULL ELSE f.checksum END,
    source_max_updated = GREATEST(f.source_max_updated, EXCLUDED.source_max_updated)
"""


def _fetch_changes(wh, live: LiveTable, since: datetime, upto: datetime | None) -> list[tuple]:
    # the warehouse's TIMESTAMP_NTZ values are UTC; bind naive UTC
    params = {"since": since.astimezone(timezone.utc).replace(tzinfo=None)}
    if upto is not None:
        params["upto"] = upto.astimezone(timezone.utc).replace(tzinfo=None)
    cur = wh.cursor()
    cur.execute(_sql(live.name), params)
    expected = [c for c, _ in live.spec.columns] + ["gone", "mark"]
    got = [d[0].lower() for d in cur.description]
    if got != expected:
        raise RuntimeError(f"{live.name}: changed-rows query columns {got} do not match {expected}")
    return cur.fetchall()


def sync_live_table(wh, pg, live: LiveTable, overlap_s: float) -> LiveResult:
    """Apply ``live``'s changes since its watermark, in one Postgres transaction."""
    started = time.perf_counter()
    result = LiveResult(live.name)
    spec = live.spec
    with pg.transaction():
        lock_table(pg, spec.name)
        row = pg.execute("SELECT watermark FROM flux.sync_watermarks WHERE table_name = %s", (spec.name,)).fetchone()
        watermark = _utc(row[0]) if row else None
        if watermark is None:
            # never synced in full: nothing to carry on from (run data.etl.sync first)
            raise RuntimeError(f"{spec.name}: no watermark yet; run the full sync (python -m data.etl.sync --once)")
        if live.bounded_by_pipeline:
            upto = source_mark(wh, spec.name)
            if upto is None or upto <= watermark:
                rows, since = [], watermark
            else:
                since = watermark
                rows = _fetch_changes(wh, live, since, upto)
            new_mark = max(watermark, upto or watermark)
        else:
            upto = None
            since = watermark - timedelta(seconds=overlap_s)
            rows = _fetch_changes(wh, live, since, None)
            marks = [_utc(r[-1]) for r in rows]
            new_mark = max([watermark, *marks])
        result.read = len(rows)
        changed = False
        if rows:
            pg.execute(_stage_ddl(spec))
            names = [c for c, _ in spec.columns] + ["gone", "mark"]
            copy_sql = sql.SQL("COPY sync_live_stage ({}) FROM STDIN").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in names)
            )
            with pg.cursor().copy(copy_sql) as copy:
                for r in rows:
                    copy.write_row(r)
            result.deleted = pg.execute(_delete_sql(spec)).rowcount
            result.upserted = pg.execute(_upsert_sql(live)).rowcount
            if live.after:
                result.upserted += pg.execute(_sql(live.after)).rowcount
            changed = bool(result.deleted or result.upserted)
        record_mark(pg, spec.name, new_mark, result.upserted + result.deleted)
        result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
        pg.execute(
            sql.SQL(FRESHNESS_SQL).format(table=sql.Identifier("flux", spec.name)),
            {"t": spec.name, "newest": new_mark if new_mark > EPOCH else None, "ms": result.duration_ms,
             "changed": changed},
        )
        fresh = [_utc(r[-1]) for r in rows if _utc(r[-1]) > watermark]
    # measured after the commit: the change is visible to readers from here on
    if fresh and not live.bounded_by_pipeline:
        result.lag_s = round((datetime.now(timezone.utc) - max(fresh)).total_seconds(), 3)
    result.watermark = new_mark.isoformat()
    return result


def sync_meter_power(wh, pg, overlap_s: float) -> LiveResult | None:
    """Apply the power events that arrived since the watermark to ami_realtime (one transaction).
    None when the warehouse has no METER_EVENTS table."""
    cur = wh.cursor()
    cur.execute(_sql("meter_power_present"))
    if not int(cur.fetchone()[0]):
        return None
    started = time.perf_counter()
    result = LiveResult(METER_POWER)
    with pg.transaction():
        lock_table(pg, "ami_realtime")
        row = pg.execute("SELECT watermark FROM flux.sync_watermarks WHERE table_name = %s", (METER_POWER,)).fetchone()
        watermark = _utc(row[0]) if row else EPOCH
        since = max(EPOCH, watermark - timedelta(seconds=overlap_s))
        cur.execute(_sql(METER_POWER), {"since": since.replace(tzinfo=None)})
        rows = cur.fetchall()
        result.read = len(rows)
        new_mark = max([watermark, *(_utc(r[-1]) for r in rows)])
        if rows:
            pg.execute("CREATE TEMP TABLE sync_power_stage (meter_id text, power_state text,"
                       " power_state_at timestamptz, mark timestamptz) ON COMMIT DROP")
            with pg.cursor().copy("COPY sync_power_stage (meter_id, power_state, power_state_at, mark) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
            result.upserted = pg.execute(_sql("meter_power_apply")).rowcount
        record_mark(pg, METER_POWER, new_mark, result.upserted)
    fresh = [_utc(r[-1]) for r in rows if _utc(r[-1]) > watermark]
    if fresh:
        result.lag_s = round((datetime.now(timezone.utc) - max(fresh)).total_seconds(), 3)
    result.watermark = new_mark.isoformat()
    result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return result


def sync_live(settings: Settings, tables: list[str] | None = None, *, wh=None, pg=None) -> dict[str, LiveResult]:
    """One incremental cycle over every operational table (or the named ones). A failed table is
    reported and the others still synced; pass open ``wh``/``pg`` connections to reuse them."""
    names = [*LIVE_TABLES, METER_POWER] if tables is None else list(tables)
    unknown = [n for n in names if n not in LIVE_TABLES and n != METER_POWER]
    if unknown:
        raise ValueError(f"unknown operational tables: {', '.join(unknown)}")
    own_wh = wh is None
    wh = wh or connect_warehouse(settings)
    out: dict[str, LiveResult] = {}
    try:
        cm = pg_admin(settings) if pg is None else nullcontext(pg)
        with cm as conn:
            conn.execute("SET TIME ZONE 'UTC'")
            conn.commit()
            for name in names:
                try:
                    if name == METER_POWER:
                        if (power := sync_meter_power(wh, conn, settings.sync_overlap_s)) is not None:
                            out[name] = power
                        continue
                    out[name] = sync_live_table(wh, conn, LIVE_TABLES[name], settings.sync_overlap_s)
                except Exception as exc:  # one bad table must not stop the others
                    out[name] = LiveResult(name, error=f"{type(exc).__name__}: {exc}")
                    log.error(json.dumps({"event": "sync_live.table_failed", "table": name, "error": out[name].error}))
    finally:
        if own_wh:
            wh.close()
    return out


def connect_pg_admin(settings: Settings):
    """A writer connection the continuous loop keeps open across cycles (closed by the caller)."""
    import psycopg

    return psycopg.connect(settings.postgres_admin_dsn(), **settings.postgres_connect_kwargs())


# The two loops of the continuous sync: the small operational tables, whose changes an operator
# waits for, never queue behind the meters' last readings (15,000 rows a cycle at 3,000/s).
OPERATIONAL = ("outages_active", "work_orders_active", "crews", "circuit_status_realtime")
METERS = ("ami_realtime", METER_POWER)


def _loop(settings: Settings, seconds: float, stop: threading.Event, tables, beat: str) -> None:
    """Cycles over ``tables`` every ``seconds`` until ``stop``, writing heartbeat ``beat``.
    Connections are kept across cycles and reopened after a failure."""
    from data.etl import heartbeat

    wh = pg = None
    last_lag = 0.0  # change-to-Postgres of the last cycle that applied a new change
    while not stop.is_set():
        started = time.monotonic()
        try:
            if wh is None:
                wh = connect_warehouse(settings)
            if pg is None:
                pg = connect_pg_admin(settings)
            results = sync_live(settings, list(tables), wh=wh, pg=pg)
            failed = [r.table for r in results.values() if r.error]
            lags = [r.lag_s for r in results.values() if r.lag_s is not None]
            cycle_s = round(time.monotonic() - started, 3)
            last_lag = max(lags) if lags else last_lag
            heartbeat.write(
                settings, beat, state="failing" if failed else "ok", cycle_s=cycle_s,
                lag_s=last_lag, failed=failed,
                watermarks={r.table: r.watermark for r in results.values()},
            )
            if failed or any(r.upserted or r.deleted for r in results.values()):
                log.info(json.dumps({"event": "sync_live.cycle", "loop": beat, "cycle_s": cycle_s,
                                     "tables": {n: asdict(r) for n, r in results.items()}}))
            if failed:
                raise RuntimeError(f"incremental sync failed for {', '.join(failed)}")
        except Exception:
            log.exception(json.dumps({"event": "sync_live.failed", "loop": beat}))
            for conn in (wh, pg):
                try:
                    if conn is not None:
                        conn.close()
                except Exception:
                    pass
            wh = pg = None
        stop.wait(max(0.0, seconds - (time.monotonic() - started)))
    for conn in (wh, pg):
        if conn is not None:
            conn.close()


def run_every(settings: Settings, seconds: float, stop: threading.Event, *, reconcile_every_s: float | None = None) -> None:
    """Incremental cycles every ``seconds`` until ``stop``: the operational tables here, the
    meters (last reading, power state) in a second thread, and the full sync as a reconcile in a
    third every ``reconcile_every_s``."""
    from data.etl import sync

    reconcile_every_s = reconcile_every_s or settings.sync_reconcile_every_s

    def reconcile() -> None:
        while not stop.wait(reconcile_every_s):
            try:
                sync.sync_all(settings)
            except Exception:
                log.exception(json.dumps({"event": "sync_live.reconcile_failed"}))

    threading.Thread(target=reconcile, name="flux-sync-reconcile", daemon=True).start()
    meters = threading.Thread(target=_loop, args=(settings, seconds, stop, METERS, "sync_meters"),
                              name="flux-sync-meters", daemon=True)
    meters.start()
    try:
        _loop(settings, seconds, stop, OPERATIONAL, "sync")
    finally:
        stop.set()
        meters.join(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sync the operational tables into Postgres incrementally.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="one incremental cycle and exit")
    mode.add_argument("--every", type=float, metavar="N", nargs="?", const=0.0,
                      help="a cycle every N seconds until stopped (no N: FLUX_SYNC_LIVE_EVERY_S)")
    parser.add_argument("--tables", help=f"comma-separated subset of: {', '.join([*LIVE_TABLES, METER_POWER])}")
    args = parser.parse_args(argv)
    tables = [t.strip() for t in args.tables.split(",") if t.strip()] if args.tables else None
    if tables and (unknown := [t for t in tables if t not in LIVE_TABLES and t != METER_POWER]):
        parser.error(f"unknown tables: {', '.join(unknown)}")
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(message)s")
    if args.once:
        results = sync_live(settings, tables)
        log.info(json.dumps({"event": "sync_live.cycle", "tables": {n: asdict(r) for n, r in results.items()}}))
        return 1 if any(r.error for r in results.values()) else 0
    every = args.every or settings.sync_live_every_s
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
