"""The Postgres operational cache as a store: reads through the process's psycopg pool."""

from __future__ import annotations

import threading
from operator import itemgetter
from typing import Any, Callable, Sequence

import psycopg
from psycopg import sql

from data.read import queries
from data.read.models import NO_BBOX, BBox, FeederLayer, JsonRows, Row, StoreResult
from data.read.store import LOD_DECIMALS, Store

# Identifiers from this allow-list only (never from a request).
CACHE_TABLES = frozenset(
    {
        "substations",
        "circuits",
        "feeder_segments",
        "grid_assets",
        "circuit_status_realtime",
        "customers",
        "outages_active",
        "crews",
        "work_orders_active",
    }
)


class FreshnessRows:
    """A psycopg row factory: dict rows without the ``_freshness`` column, whose value is kept
    aside. Every Postgres query computes it in one scalar subquery, so it is the same on every
    row; zipping one name short drops it for free, where popping it from each row took ~0.25 ms
    of the ~5 ms that 1,456 circuit rows took as dicts.

    A query whose first column is ``api_json`` (rows the table keeps serialised, V005) yields
    those texts instead, and sets ``serialised``."""

    def __init__(self) -> None:
        self.freshness = None
        self.serialised = False

    def __call__(self, cursor) -> Callable[[Sequence[Any]], Any]:
        names = [c.name for c in cursor.description or ()]
        self.serialised = names[:1] == ["api_json"]
        at = names.index("_freshness") if "_freshness" in names else None
        keys = [n for n in names if n != "_freshness"]
        if self.serialised:
            shape: Callable[[Sequence[Any]], Any] = itemgetter(0)
        elif at is None or at == len(names) - 1:
            shape = lambda values: dict(zip(keys, values))  # zip stops before a last _freshness
        else:
            shape = lambda values: dict(zip(keys, values[:at] + values[at + 1 :]))
        if at is None:
            return shape

        def row(values: Sequence[Any]) -> Any:
            if self.freshness is None:
                self.freshness = values[at]
            return shape(values)

        return row


class PostgresStore(Store):
    backend = "postgres"

    def __init__(self, pool, *, wait_s: float, pool_factory: Callable[[], Any] | None = None,
                 statement_timeout_ms: int | None = None):
        """``pool``: a psycopg_pool.ConnectionPool (data.connections.open_pg_pool).
        ``wait_s``: the longest a read waits for a pooled connection. libpq's connect_timeout
        cannot go below 2 s, so this pool wait is what bounds a read on a dead server.
        ``pool_factory``: builds a fresh pool for ``revive``.
        ``statement_timeout_ms``: what data.connections.pg_configure set, for error messages."""
        self.pool = pool
        self.statement_timeout_ms = statement_timeout_ms
        self.wait_s = wait_s
        self.pool_factory = pool_factory

    def revive(self) -> bool:
        """Before a breaker probe. If the server answers a direct connection, drop the pool's
        dead idle connections (a restarted server leaves them behind, and a read that checks
        one out loses its whole pool wait); if no live one is left, swap in a fresh pool, since
        the old one retries with growing back-off (1, 2, 4, 8 s ...) and would keep traffic on
        the warehouse long after Postgres is back. Returns whether the pool was replaced."""
        if self.pool_factory is None:
            return False
        try:
            psycopg.connect(self.pool.conninfo, **self.pool.kwargs).close()
        except psycopg.OperationalError:
            return False  # still down: the probe fails as it should
        self.pool.check()
        if self.pool.get_stats().get("pool_available", 0) > 0:
            return False  # live connections are idle: the outage was something else (a lock, a timeout)
        old, self.pool = self.pool, self.pool_factory()
        threading.Thread(target=old.close, name="flux-pg-pool-close", daemon=True).start()
        return True

    def _fetch(self, name: str, params: dict[str, Any]) -> StoreResult[list[Row]]:
        rows_of = FreshnessRows()
        with self.pool.connection(timeout=self.wait_s) as conn:
            # binary=True: numbers and timestamps arrive without text parsing (~10 % faster on
            # 1,000 asset rows at seed scale).
            with conn.cursor(row_factory=rows_of, binary=True) as cur:
                # prepare=False: every execution is planned with its real values, so the
                # "filter IS NULL OR ..." shapes never get a generic plan that skips the indexes.
                cur.execute(queries.load("postgres", name), params, prepare=False)
                rows = cur.fetchall()
        return StoreResult(JsonRows.join(rows) if rows_of.serialised else rows, rows_of.freshness)

    def _result(self, name: str, params: dict[str, Any]) -> StoreResult[list[Row]]:
        if name == "assets" and params.get("min_lon") is not None:
            name = "assets_bbox"  # GiST first; the unfiltered shape walks the primary key
        return self._fetch(name, params)

    def _id_list(self, ids: Sequence[str] | None) -> list[str] | None:
        return list(ids) if ids else None

    def feeder_layer(self, *, lod: str, bbox: BBox | None, form: str = "paths") -> StoreResult[FeederLayer]:
        if form == "lines" and lod != "overview":
            raise ValueError("feeder lines are served at the overview level of detail only")
        name = {"overview": "feeders_overview", "simplified": "feeders_simplified", "full": "feeders_full"}[lod]
        if form == "lines":
            name = "feeders_overview_lines"
        params = {"decimals": LOD_DECIMALS[lod], **(bbox.as_params() if bbox else NO_BBOX)}
        result = self._fetch(name, params)
        (row,) = result.data
        return StoreResult(FeederLayer.build(row["body"].encode(), count=row["n"], lod=lod), result.freshness)

    def sync_watermarks(self) -> StoreResult[list[Row]]:
        """The incremental sync's watermark and last cycle per operational table (live status)."""
        return self._fetch("live_sync", {})

    def has_rows(self, table: str) -> bool:
        """Is a cache table non-empty? ``table`` comes from the fixed list CACHE_TABLES."""
        if table not in CACHE_TABLES:
            raise ValueError(f"unknown cache table {table}")
        with self.pool.connection(timeout=self.wait_s) as conn:
            stmt = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier("flux", table))
            return bool(conn.execute(stmt).fetchone()[0])
