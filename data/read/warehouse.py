"""The warehouse (Snowflake, locally fakesnow) as a store, plus its analytics reads.

A small thread-safe pool of connections per process: fakesnow keeps every session it ever
opened, and a Snowflake login costs far more than a query, so connections are reused; a
connection that fails is dropped and the next read opens a fresh one.
"""

from __future__ import annotations

import queue
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterator, Sequence

import orjson

from data.read import queries
from data.read.models import NO_BBOX, BBox, FeederLayer, Row, StoreResult
from data.read.store import LOD_DECIMALS, Store, bbox_meets, split_freshness


# fakesnow 0.12's server sends a NULL timestamp as the Unix epoch; a grid record never
# carries exactly 1970-01-01T00:00:00, so against the local warehouse it reads as NULL.
EPOCH_NAIVE = datetime(1970, 1, 1)
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)


def normalise_value(value: Any, epoch_is_null: bool = False) -> Any:
    """Snowflake -> the Python types psycopg gives for the same Postgres column."""
    if isinstance(value, datetime):
        if epoch_is_null and (value == EPOCH_NAIVE if value.tzinfo is None else value == EPOCH_UTC):
            return None
        # TIMESTAMP_NTZ columns hold UTC; Postgres timestamptz comes back aware.
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    return value


def normalise_row(row: dict[str, Any], epoch_is_null: bool = False) -> Row:
    return {key.lower(): normalise_value(value, epoch_is_null) for key, value in row.items()}


def parse_linestring(wkt: str | None, decimals: int) -> list[list[float]]:
    """``LINESTRING(x y, x y, ...)`` -> ``[[x, y], ...]`` rounded. Cheaper than a WKT library
    for the one geometry type the warehouse stores."""
    if not wkt:
        return []
    start, end = wkt.find("("), wkt.rfind(")")
    if start < 0 or end < start:
        return []
    path = []
    for pair in wkt[start + 1 : end].replace("(", "").replace(")", "").split(","):
        x, y = pair.split()[:2]
        path.append([round(float(x), decimals), round(float(y), decimals)])
    return path


class WarehousePool:
    """At most ``size`` open connections, reused LIFO; broken ones are discarded."""

    def __init__(self, connect: Callable[[], Any], size: int, wait_s: float = 30.0):
        self._connect = connect
        self._size = size
        self._wait_s = wait_s
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._lock = threading.Lock()
        self._open = 0
        self.connects = 0

    @contextmanager
    def connection(self) -> Iterator[Any]:
        conn = self._acquire()
        try:
            yield conn
        except Exception:
            self._discard(conn)
            raise
        else:
            self._idle.put(conn)

    def _acquire(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            can_open = self._open < self._size
            if can_open:
                self._open += 1
        if not can_open:
            return self._idle.get(timeout=self._wait_s)
        try:
            conn = self._connect()
        except Exception:
            with self._lock:
                self._open -= 1
            raise
        self.connects += 1
        return conn

    def _discard(self, conn) -> None:
        with self._lock:
            self._open -= 1
        try:
            conn.close()
        except Exception:
            pass

    def close(self) -> None:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return
            self._discard(conn)


class WarehouseStore(Store):
    backend = "snowflake"

    def __init__(self, pool: WarehousePool, *, epoch_is_null: bool = False):
        self.pool = pool
        self.epoch_is_null = epoch_is_null

    @classmethod
    def from_settings(cls, settings) -> "WarehouseStore":
        from data.connections import connect_warehouse

        return cls(
            WarehousePool(lambda: connect_warehouse(settings), settings.warehouse_pool_size),
            epoch_is_null=settings.warehouse_is_local,
        )

    def _rows(self, name: str, params: dict[str, Any]) -> list[Row]:
        from snowflake.connector import DictCursor

        with self.pool.connection() as conn:
            cur = conn.cursor(DictCursor)
            try:
                cur.execute(queries.load("warehouse", name), params)
                return [normalise_row(r, self.epoch_is_null) for r in cur.fetchall()]
            finally:
                cur.close()

    def _result(self, name: str, params: dict[str, Any]) -> StoreResult[list[Row]]:
        return split_freshness(self._rows(name, params))

    # -- the live status (data/read/live.py shapes these) --------------------------------------
    def live_feed(self, *, feed: str) -> StoreResult[list[Row]]:
        """The live feed's heartbeat row (none when the feed never ran)."""
        return self._result("live_feed", {"feed": feed})

    def live_pipeline(self) -> StoreResult[list[Row]]:
        """Silver's watermark and the bronze rows waiting past it (none before the first run)."""
        return self._result("live_pipeline", {})

    def _id_list(self, ids: Sequence[str] | None) -> str | None:
        # Bound as one string and split in SQL (FLATTEN(SPLIT(...))): ids are validated
        # to [A-Za-z0-9_-], so a comma can never be part of one.
        return ",".join(ids) if ids else None

    def feeder_layer(self, *, lod: str, bbox: BBox | None, form: str = "paths") -> StoreResult[FeederLayer]:
        if form == "lines" and lod != "overview":
            raise ValueError("feeder lines are served at the overview level of detail only")
        decimals = LOD_DECIMALS[lod]
        name = "feeders_overview" if lod == "overview" else "feeders_segments"
        params: dict[str, Any] = dict(bbox.as_params() if bbox else NO_BBOX)
        if name == "feeders_segments":
            params["full"] = lod == "full"
        result = split_freshness(self._rows(name, params))
        items = []
        for row in result.data:
            path = parse_linestring(row["wkt"], decimals)
            if bbox is not None and not bbox_meets(path, bbox):
                continue
            feeder = {
                "id": row["id"],
                "circuit_id": row["circuit_id"],
                "load_percent": round(float(row["load_percent"] or 0.0), 1),
            }
            if form == "lines":
                items += [{**feeder, "source": a, "target": b} for a, b in zip(path, path[1:])]
            else:
                items.append({**feeder, "path": path})
        return StoreResult(FeederLayer.build(orjson.dumps(items), count=len(items), lod=lod), result.freshness)

    def trace_upstream(self, *, segment_id: str) -> StoreResult[list[Row]]:
        return self._with_paths(super().trace_upstream(segment_id=segment_id))

    def trace_downstream(self, *, segment_id: str) -> StoreResult[list[Row]]:
        return self._with_paths(super().trace_downstream(segment_id=segment_id))

    @staticmethod
    def _with_paths(result: StoreResult[list[Row]]) -> StoreResult[list[Row]]:
        # Postgres returns the path as JSON coordinates; the warehouse stores WKT.
        for row in result.data:
            row["path"] = parse_linestring(row.pop("wkt", None), 5)
        return result

    # -- analytics (warehouse only) ------------------------------------------------------------
    def kpis(self) -> StoreResult[list[Row]]:
        return self._read("kpis")

    def weather(self, *, hours: int) -> StoreResult[list[Row]]:
        return self._read("weather", hours=hours)

    def weather_events(self, *, limit: int) -> StoreResult[list[Row]]:
        return self._read("weather_events", limit=limit)

    def ami_monthly_usage(self, *, segment: str | None) -> StoreResult[list[Row]]:
        return self._read("ami_monthly_usage", segment=segment)

    def transformer_load_history(
        self,
        *,
        hours: int,
        transformer_id: str | None = None,
        circuit_id: str | None = None,
        substation_id: str | None = None,
    ) -> StoreResult[list[Row]]:
        return self._read(
            "transformer_load_history",
            hours=hours,
            transformer_id=transformer_id,
            circuit_id=circuit_id,
            substation_id=substation_id,
        )

    def transformer_heatmap(self, *, days: int, limit: int, circuit_id: str | None = None) -> StoreResult[list[Row]]:
        return self._read("transformer_heatmap", days=days, limit=limit, circuit_id=circuit_id)

    def top_overloaded_transformers(self, *, days: int, limit: int) -> StoreResult[list[Row]]:
        return self._read("top_overloaded_transformers", days=days, limit=limit)

    def ercot_price_vs_load(self, *, days: int) -> StoreResult[list[Row]]:
        return self._read("ercot_price_vs_load", days=days)


    # -- reliability (IEEE 1366 over OUTAGE_HISTORY; data/read/reliability.py composes them) ---------
    def reliability_span(self, *, circuit_id: str | None) -> StoreResult[list[Row]]:
        return self._read("reliability_span", circuit_id=circuit_id)

    def reliability_daily(self, *, from_date, to_date, circuit_id: str | None) -> StoreResult[list[Row]]:
        return self._read("reliability_daily", from_date=from_date, to_date=to_date, circuit_id=circuit_id)

    def reliability_circuits(self, *, from_date, to_date, circuit_id: str | None, med_days: str | None,
                             cemi_n: int, celid_minutes: int) -> StoreResult[list[Row]]:
        return self._read("reliability_circuits", from_date=from_date, to_date=to_date, circuit_id=circuit_id,
                          med_days=med_days, cemi_n=cemi_n, celid_minutes=celid_minutes)

    def playback_storms(self) -> StoreResult[list[Row]]:
        return self._read("playback_storms")

    def playback_interruptions(self, *, from_time, to_time) -> StoreResult[list[Row]]:
        return self._read("playback_interruptions", from_time=from_time, to_time=to_time)

    def playback_crew_roster(self) -> StoreResult[list[Row]]:
        return self._read("playback_crew_roster")
