"""The one facade every callback and API route reads through.

Operational reads (grid state) try the Postgres cache first and fall back to the warehouse
when Postgres raises, cannot be reached (pool wait, lost connection), or its table is empty. A
circuit breaker stops reads from waiting on a Postgres that a previous read already found dead.
A read that hits the statement timeout raises ReadTimedOut (504) instead: Postgres is alive, and
the same query would only cost the warehouse more.
Analytics reads (KPIs, weather, AMI, transformer load, ERCOT) go straight to the warehouse and
raise ``AnalyticsUnavailable`` when it does not answer.

Every read returns ``ReadResult(data, provenance)``: which store served it, how long it took,
and how fresh the data is. Results are cached in a shared backend (flask-caching's cachelib
backend) for a short, per-read TTL; the key holds every parameter.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone
from typing import Any, Callable, Sequence, TypeVar

import orjson
import psycopg

from data.read import panels, reliability
from data.read.breaker import CircuitBreaker
from data.read.models import (
    FEEDER_FORMS,
    AnalyticsUnavailable,
    BBox,
    FeederLayer,
    Provenance,
    ReadResult,
    ReadTimedOut,
    Row,
    StoreResult,
    StoreUnavailable,
)
from data.read.postgres import PostgresStore
from data.read.read_cache import ReadCache
from data.read.store import Store
from data.read.warehouse import WarehouseStore

log = logging.getLogger("flux.repository")
T = TypeVar("T")

# Seconds a read stays in the shared cache. Real-time panels refresh every 15 s.
TTL = {
    "substation_status": 10,
    "substations": 60,
    "feeder_topology": 60,
    "assets": 30,
    "circuit_metadata": 300,
    "active_outages": 10,
    "active_work_orders": 10,
    "crews": 10,
    "details": 10,
    "network_trace": 60,
    "customer_search": 30,
    "kpis": 15,
    "weather": 300,
    "weather_events": 300,
    "ami_monthly_usage": 600,
    "transformer_load_history": 300,
    "transformer_heatmap": 300,
    "top_overloaded_transformers": 300,
    "ercot_price_vs_load": 300,
    "live_status": 2,
    # the history changes when the generator (or, in production, the nightly OMS load) runs
    "reliability_report": 900,
    "reliability_circuit": 900,
    "reliability_summary": 900,
    "playback_storms": 900,
    "playback_storm": 900,  # renamed from playback_events when crews joined it: no stale entries
}
FALLBACK_TTL_S = 2
# Reads of the tables the incremental sync keeps moving (data/etl/sync_live.py): their TTL is
# capped by FLUX_LIVE_READ_TTL_S, so an operator sees a change within the sync's cycle plus this.
LIVE_READS = frozenset({"substation_status", "active_outages", "active_work_orders", "crews", "details", "live_status"})
# Feeder viewports snap outward to this grid (degrees) per level of detail: panning a little
# re-uses the cached layer instead of building a new one for every pixel of movement.
FEEDER_GRID_DEG = {"simplified": 0.5, "full": 0.1}
CACHE_PREFIX = "flux:v2:"
ASSETS_DEFAULT_LIMIT = 1000
ASSETS_MAX_LIMIT = 5000
WORK_ORDERS_DEFAULT_LIMIT = 500
WORK_ORDERS_MAX_LIMIT = 5000
LOAD_CURVE_HOURS = 24
# The details panel is an operational read: it waits this long for the warehouse's load curve,
# then answers without it. A warehouse that has just died costs its first reader the connector's
# whole network timeout (11 s in the fault tests); the curve's read runs on, and its outcome
# (rows in the cache, or the warehouse's breaker opened) serves the next panel.
LOAD_CURVE_BUDGET_S = 3.0

# Any psycopg error but a statement timeout means "use the warehouse for this read"; only
# those that say the server cannot be reached open the breaker (postgres_is_down).
POSTGRES_ERRORS = (psycopg.Error,)
# SQLSTATEs of a server that is going away or refusing sessions: admin/crash shutdown, starting
# up or shutting down, too many connections. Class 08 (connection exception) counts as a whole.
POSTGRES_DOWN_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def postgres_is_down(exc: BaseException) -> bool:
    """Does this error say Postgres is unreachable, rather than that one statement failed? A pool
    wait that ran out (PoolTimeout), a failed connect or a lost connection (client-side errors,
    which carry no SQLSTATE), a shutdown: yes. A statement timeout (QueryCanceled, also an
    OperationalError), a lock timeout, a bad query: no; they say nothing about the other reads."""
    from psycopg_pool import PoolTimeout

    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in POSTGRES_DOWN_SQLSTATES


class WarehouseDown(Exception):
    """The warehouse breaker is open: a recent read found the warehouse unreachable."""


def _warehouse_down_errors() -> tuple[type[BaseException], ...]:
    import queue

    from snowflake.connector import errors

    # connection loss, login failure, a pool wait that timed out; not a bad query
    return (errors.OperationalError, errors.InterfaceError, queue.Empty, OSError)


WAREHOUSE_DOWN = _warehouse_down_errors()


def _session_gone_errors() -> tuple[type[BaseException], ...]:
    from snowflake.connector import errors

    # 401 on a pooled session the warehouse no longer knows (it restarted, or the session expired)
    return (errors.HttpError,)


SESSION_GONE = _session_gone_errors()


def _ttl(read: str, result: ReadResult, ttl: dict[str, float] = TTL) -> float:
    if result.provenance.fallback_reason:
        # a fallback answer must not outlive the outage: traffic returns to Postgres quickly
        return min(ttl[read], FALLBACK_TTL_S)
    return ttl[read]


def ttl_table(live_read_ttl_s: float | None) -> dict[str, float]:
    """TTL with the live reads capped at ``live_read_ttl_s`` (None: TTL as is)."""
    if live_read_ttl_s is None:
        return dict(TTL)
    return {read: min(ttl, live_read_ttl_s) if read in LIVE_READS else ttl for read, ttl in TTL.items()}


def _one(result: StoreResult[list[Row]]) -> StoreResult[Row]:
    return StoreResult(result.data[0] if result.data else {}, result.freshness)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def lod_for_zoom(zoom: float, bbox: BBox | None) -> str:
    """Level of detail: one path per circuit below zoom 10, simplified segments to zoom 13,
    full geometry above that when a viewport bounds the request."""
    if zoom < 10:
        return "overview"
    if zoom < 13 or bbox is None:
        return "simplified"
    return "full"


class Repository:
    def __init__(
        self,
        *,
        postgres: PostgresStore | None,
        warehouse: WarehouseStore,
        breaker: CircuitBreaker,
        cache: Any | None = None,
        warehouse_breaker: CircuitBreaker | None = None,
        warehouse_probe_wait_s: float = 0.0,
        live_read_ttl_s: float | None = None,
        live_feed_name: str = "live",
    ):
        """``postgres`` may be None (no cache configured: every read goes to the warehouse).
        ``cache``: a cachelib-style backend with get/set (flask-caching's), shared by workers."""
        self.postgres = postgres
        self.warehouse = warehouse
        self.breaker = breaker
        self.cache = ReadCache(cache) if cache is not None else None
        self.ttl = ttl_table(live_read_ttl_s)
        self.live_feed_name = live_feed_name
        # The connector retries a dead warehouse for warehouse_network_timeout_s (~40 s at the
        # default): its own breaker makes that one read's cost, not every analytics read's.
        self.warehouse_breaker = warehouse_breaker or CircuitBreaker(breaker.cooldown_s)
        # While one read probes a warehouse that may be back, the others wait this long for its
        # outcome rather than answer 503 with the warehouse already up.
        self.warehouse_probe_wait_s = warehouse_probe_wait_s
        # warehouse reads that an operational read waits for only up to a budget
        self._side_reads = ThreadPoolExecutor(4, thread_name_prefix="flux-side-read")

    @classmethod
    def from_settings(cls, settings, *, pg_pool=None, cache=None, pg_pool_factory=None) -> "Repository":
        postgres = (
            PostgresStore(pg_pool, wait_s=settings.pg_pool_timeout_s, pool_factory=pg_pool_factory,
                          statement_timeout_ms=settings.pg_statement_timeout_ms)
            if pg_pool is not None
            else None
        )
        return cls(
            postgres=postgres,
            warehouse=WarehouseStore.from_settings(settings),
            breaker=CircuitBreaker(settings.breaker_cooldown_s),
            cache=cache,
            warehouse_probe_wait_s=float(settings.warehouse_login_timeout_s),
            live_read_ttl_s=settings.live_read_ttl_s,
            live_feed_name=settings.live_feed_name,
        )

    def close(self) -> None:
        self._side_reads.shutdown(wait=False, cancel_futures=True)
        if self.cache is not None:
            self.cache.close()
        self.warehouse.pool.close()
        if self.postgres is not None:
            self.postgres.pool.close()

    # -- the machinery, once ----------------------------------------------------------------------
    def _cache_key(self, read: str, params: dict[str, Any]) -> str:
        return CACHE_PREFIX + read + ":" + orjson.dumps(params, option=orjson.OPT_SORT_KEYS, default=str).decode()

    def _cached(self, read: str, params: dict[str, Any], produce: Callable[[], ReadResult]) -> ReadResult:
        if self.cache is None:
            return produce()
        return self.cache.read(self._cache_key(read, params), produce, lambda result: _ttl(read, result, self.ttl))

    def _operational(
        self,
        read: str,
        params: dict[str, Any],
        call: Callable[[Store], StoreResult[T]],
        *,
        table: str,
        is_empty: Callable[[T], bool] = lambda data: not data,
    ) -> ReadResult[T]:
        return self._cached(read, params, lambda: self._postgres_first(read, call, table, is_empty))

    def _postgres_first(self, read: str, call, table: str, is_empty) -> ReadResult:
        started = time.perf_counter()

        def read_and_judge(pg: PostgresStore):
            result = call(pg)
            return result, is_empty(result.data) and not pg.has_rows(table)

        answer, reason = self._through_breaker(read, read_and_judge)
        if answer is not None:
            result, empty = answer
            if not empty:
                return ReadResult(result.data, self._provenance("postgres", started, result.freshness))
            reason = "postgres_empty"
        try:
            result = self._from_warehouse(call)
        except Exception as exc:
            log.error("warehouse failed for %s after %s", read, reason, exc_info=not isinstance(exc, WarehouseDown))
            raise StoreUnavailable(f"{read}: neither Postgres nor the warehouse answered") from exc
        return ReadResult(result.data, self._provenance("snowflake", started, result.freshness, reason))

    def _analytics(self, read: str, params: dict[str, Any], call: Callable[[WarehouseStore], StoreResult[T]]) -> ReadResult[T]:
        def produce() -> ReadResult[T]:
            started = time.perf_counter()
            try:
                result = self._from_warehouse(call)
            except Exception as exc:
                log.error("warehouse failed for %s", read, exc_info=not isinstance(exc, WarehouseDown))
                raise AnalyticsUnavailable(f"{read}: the warehouse did not answer") from exc
            return ReadResult(result.data, self._provenance("snowflake", started, result.freshness or _now()))

        return self._cached(read, params, produce)

    def _from_warehouse(self, call):
        if not self.warehouse_breaker.allow(wait_s=self.warehouse_probe_wait_s):
            raise WarehouseDown("the warehouse breaker is open")
        try:
            try:
                result = call(self.warehouse)
            except SESSION_GONE:
                # every pooled session went with it: drop them all and log in once more
                self.warehouse.pool.close()
                result = call(self.warehouse)
        except WAREHOUSE_DOWN as exc:
            self.warehouse_breaker.failure(exc)
            # a pooled session to a vanished warehouse costs a whole network timeout; the next
            # probe logs in afresh instead, which a dead server refuses within login_timeout
            self.warehouse.pool.close()
            raise
        except BaseException:
            self.warehouse_breaker.release()
            raise
        self.warehouse_breaker.success()
        return result

    @staticmethod
    def _provenance(backend, started: float, freshness, reason: str | None = None) -> Provenance:
        return Provenance(backend, (time.perf_counter() - started) * 1000, freshness, reason)

    # -- operational reads: Postgres first ---------------------------------------------------------
    def substation_status(self) -> ReadResult[list[Row]]:
        """Per-substation roll-up of circuit load and health, with status good|warning|critical."""
        return self._operational("substation_status", {}, lambda s: s.substation_status(), table="circuit_status_realtime")

    def substations(self) -> ReadResult[list[Row]]:
        """All substations: id, name, location, capacity, voltage, commissioning, status."""
        return self._operational("substations", {}, lambda s: s.substations(), table="substations")

    def feeder_topology(self, *, zoom: float = 9.0, bbox: BBox | None = None, form: str = "paths") -> ReadResult[FeederLayer]:
        """Feeder paths for the map at the level of detail for ``zoom``, inside ``bbox``;
        ``form="lines"`` (overview only: ValueError otherwise) cuts them into straight lines."""
        lod = lod_for_zoom(zoom, bbox)
        if form not in FEEDER_FORMS:
            raise ValueError(f"unknown feeder form {form}")
        if form == "lines" and lod != "overview":
            raise ValueError("feeder lines are served at the overview level of detail only")
        if bbox is not None and lod in FEEDER_GRID_DEG:
            # nearby viewports share one answer (and one cache entry, and one ETag)
            bbox = bbox.snapped(FEEDER_GRID_DEG[lod])
        params = {"lod": lod, "bbox": bbox.key() if bbox else None, "form": form}
        return self._operational(
            "feeder_topology",
            params,
            lambda s: s.feeder_layer(lod=lod, bbox=bbox, form=form),
            table="circuits" if lod == "overview" else "feeder_segments",
            is_empty=lambda layer: layer.count == 0,
        )

    def assets(
        self,
        *,
        circuits: Sequence[str] | None = None,
        asset_ids: Sequence[str] | None = None,
        asset_type: str | None = None,
        bbox: BBox | None = None,
        limit: int = ASSETS_DEFAULT_LIMIT,
    ) -> ReadResult[Sequence[Row]]:
        """Grid assets (substations, transformers, poles) by circuits, ids, type and viewport;
        at most ``limit`` rows (clamped to 1..ASSETS_MAX_LIMIT): in a viewport the ones nearest its
        centre, otherwise by id."""
        limit = _clamp(limit, 1, ASSETS_MAX_LIMIT)
        circuits = sorted(set(circuits)) if circuits else None
        asset_ids = sorted(set(asset_ids)) if asset_ids else None
        params = {"circuits": circuits, "asset_ids": asset_ids, "asset_type": asset_type,
                  "bbox": bbox.key() if bbox else None, "limit": limit}
        return self._operational(
            "assets",
            params,
            lambda s: s.assets(circuits=circuits, asset_ids=asset_ids, asset_type=asset_type, bbox=bbox, limit=limit),
            table="grid_assets",
        )

    def circuit_metadata(self, *, substation_id: str | None = None, circuit_id: str | None = None) -> ReadResult[Sequence[Row]]:
        """Per-circuit metadata: name, substation, voltage, counts, centre and bounding box."""
        params = {"substation_id": substation_id, "circuit_id": circuit_id}
        return self._operational("circuit_metadata", params, lambda s: s.circuit_metadata(**params), table="circuits")

    def active_outages(
        self,
        *,
        status: str | None = None,
        priority: str | None = None,
        substation_id: str | None = None,
        circuit_id: str | None = None,
    ) -> ReadResult[list[Row]]:
        """Outages not yet restored, newest first; ``status`` filters restoration_status."""
        params = {"status": status, "priority": priority, "substation_id": substation_id, "circuit_id": circuit_id}
        return self._operational("active_outages", params, lambda s: s.active_outages(**params), table="outages_active")

    def active_work_orders(
        self,
        *,
        status: str | None = None,
        priority: str | None = None,
        substation_id: str | None = None,
        crew: str | None = None,
        limit: int = WORK_ORDERS_DEFAULT_LIMIT,
    ) -> ReadResult[list[Row]]:
        """Open, assigned, in-progress and on-hold work orders only, most urgent first."""
        limit = _clamp(limit, 1, WORK_ORDERS_MAX_LIMIT)
        params = {"status": status, "priority": priority, "substation_id": substation_id, "crew": crew, "limit": limit}
        return self._operational(
            "active_work_orders", params, lambda s: s.active_work_orders(**params), table="work_orders_active"
        )

    def crews(self, *, status: str | None = None) -> ReadResult[list[Row]]:
        """Crew locations and status (available | dispatched | on_site | off_shift)."""
        return self._operational("crews", {"status": status}, lambda s: s.crews(status=status), table="crews")

    def customer_search(self, *, q: str, limit: int = 20) -> ReadResult[list[Row]]:
        """Customers by id, meter id, name, address, city or zip (full-text and trigram)."""
        limit = _clamp(limit, 1, 100)
        params = {"q": q, "limit": limit}
        return self._operational("customer_search", params, lambda s: s.customer_search(**params), table="customers")

    def network_trace(self, *, segment_id: str) -> ReadResult[Row | None]:
        """Trace a feeder segment through the topology: upstream segments to the circuit head
        and its substation, downstream segments with their transformer and customer counts.
        None when the segment does not exist."""
        return self._operational(
            "network_trace",
            {"segment_id": segment_id},
            lambda s: panels.network_trace(s, segment_id),
            table="feeder_segments",
            is_empty=lambda data: data is None,
        )

    def details(self, *, kind: str, id: str) -> ReadResult[Row | None]:
        """Details panel for a substation, feeder segment or outage: the object itself, its
        circuits, active outages, open work orders, customers affected, and a 24-hour load curve
        (warehouse; ``load_curve`` is None when the warehouse is down, or slower than
        LOAD_CURVE_BUDGET_S). None when not found."""
        table = {"substation": "substations", "segment": "feeder_segments", "outage": "outages_active"}[kind]

        def produce() -> ReadResult[Row | None]:
            result = self._postgres_first("details", lambda s: panels.details(s, kind, id, work_order_limit=WORK_ORDERS_MAX_LIMIT), table, lambda d: d is None)
            if result.data is None:
                return result
            data = dict(result.data)
            scope = data["scope"]
            curve = self._side_reads.submit(self.transformer_load_history, hours=LOAD_CURVE_HOURS, **scope)
            try:
                data["load_curve"] = curve.result(timeout=LOAD_CURVE_BUDGET_S).data
            except (AnalyticsUnavailable, FutureTimeout):
                data["load_curve"] = None
            return ReadResult(data, result.provenance)

        return self._cached("details", {"kind": kind, "id": id}, produce)

    # -- analytics reads: the warehouse only -------------------------------------------------------
    def kpis(self) -> ReadResult[Row]:
        """Operator KPIs from data: customers, outages, customers out, load, crews, restoration
        time, SAIDI/SAIFI/CAIDI (IEEE 1366, 12 months, sustained > 5 min), system load vs peak,
        ERCOT price and temperature."""
        result = self._analytics("kpis", {}, lambda w: _one(w.kpis()))
        return ReadResult({**result.data, **self._reliability_kpis()}, result.provenance)

    def _reliability_kpis(self) -> dict[str, Any]:
        """The header's IEEE 1366 figures over the trailing year of the interruption history:
        day to day (major event days left out) and all-in. Empty when there is no history."""
        try:
            summary = self._analytics("reliability_summary", {}, lambda w: reliability.system_summary(w)).data
        except AnalyticsUnavailable:
            return {}
        if summary is None:
            return {}
        out: dict[str, Any] = {"reliability_period_end": summary["period_end"],
                               "major_event_days": summary["major_event_days"]}
        for basis, suffix in (("excluding_med", "day_to_day"), ("all", "all_in")):
            for index in ("saidi", "saifi", "caidi"):
                out[f"{index}_{suffix}"] = summary[basis][index]
        return out

    def weather(self, *, hours: int = 48) -> ReadResult[list[Row]]:
        """Hourly Houston weather for the last ``hours`` hours, with Houston load and price."""
        hours = _clamp(hours, 1, 24 * 31)
        return self._analytics("weather", {"hours": hours}, lambda w: w.weather(hours=hours))

    def weather_events(self, *, limit: int = 50) -> ReadResult[list[Row]]:
        """Named weather events, newest first, with the outages linked to each."""
        limit = _clamp(limit, 1, 500)
        return self._analytics("weather_events", {"limit": limit}, lambda w: w.weather_events(limit=limit))

    def ami_monthly_usage(self, *, segment: str | None = None) -> ReadResult[list[Row]]:
        """Monthly AMI usage per customer segment (gold AMI_MONTHLY_USAGE)."""
        return self._analytics("ami_monthly_usage", {"segment": segment}, lambda w: w.ami_monthly_usage(segment=segment))

    def transformer_load_history(
        self,
        *,
        hours: int = 24,
        transformer_id: str | None = None,
        circuit_id: str | None = None,
        substation_id: str | None = None,
    ) -> ReadResult[list[Row]]:
        """Hourly load (kW, load factor) of a transformer, or summed over a circuit/substation."""
        hours = _clamp(hours, 1, 24 * 92)
        params = {"hours": hours, "transformer_id": transformer_id, "circuit_id": circuit_id, "substation_id": substation_id}
        return self._analytics("transformer_load_history", params, lambda w: w.transformer_load_history(**params))

    def transformer_heatmap(self, *, days: int = 7, limit: int = 30, circuit_id: str | None = None) -> ReadResult[list[Row]]:
        """Load factor per hour of the ``limit`` most loaded transformers (heat-map cells)."""
        days, limit = _clamp(days, 1, 92), _clamp(limit, 1, 200)
        params = {"days": days, "limit": limit, "circuit_id": circuit_id}
        return self._analytics("transformer_heatmap", params, lambda w: w.transformer_heatmap(**params))

    def top_overloaded_transformers(self, *, days: int = 7, limit: int = 20) -> ReadResult[list[Row]]:
        """Transformers with the most overloaded hours in the last ``days`` days."""
        days, limit = _clamp(days, 1, 92), _clamp(limit, 1, 500)
        params = {"days": days, "limit": limit}
        return self._analytics("top_overloaded_transformers", params, lambda w: w.top_overloaded_transformers(**params))

    def ercot_price_vs_load(self, *, days: int = 7) -> ReadResult[list[Row]]:
        """Hourly ERCOT LMP against system and Houston load."""
        days = _clamp(days, 1, 92)
        return self._analytics("ercot_price_vs_load", {"days": days}, lambda w: w.ercot_price_vs_load(days=days))

    # -- the live console ------------------------------------------------------------------------
    def live_signals(self) -> ReadResult[Row]:
        """The live status's raw signals, each from where it lives (data/read/live.py shapes them):
        ``sync``: flux.sync_watermarks rows from Postgres (the sync's own bookkeeping: the
        warehouse has none, so there is no fallback; Postgres down means no sync signal);
        ``feed`` and ``pipeline``: the feed's heartbeat row and silver's backlog, read from the
        warehouse where they are written (through its breaker), not synced into Postgres: a
        copy would add the sync's own delay to the feed's age and go stale with the sync,
        hiding which of the two stalled. ``errors`` says why a signal is missing. Cached for
        FLUX_LIVE_READ_TTL_S, so any number of consoles cost one read of each per TTL."""

        def produce() -> ReadResult[Row]:
            started = time.perf_counter()
            errors: dict[str, str] = {}
            sync = self._postgres_only("live_status", lambda p: p.sync_watermarks(), errors, "sync")
            feed = pipeline = None
            try:
                feed_rows = self._from_warehouse(lambda w: w.live_feed(feed=self.live_feed_name)).data
                pipeline_rows = self._from_warehouse(lambda w: w.live_pipeline()).data
                feed = feed_rows[0] if feed_rows else None
                pipeline = pipeline_rows[0] if pipeline_rows else None
            except Exception as exc:
                log.warning("warehouse failed for live_status: %s", exc)
                errors["feed"] = errors["pipeline"] = "the warehouse did not answer"
            data = {"sync": sync, "feed": feed, "pipeline": pipeline, "errors": errors}
            backend = "postgres" if sync is not None else "snowflake"
            return ReadResult(data, self._provenance(backend, started, _now(), errors.get("sync")))

        return self._cached("live_status", {"feed": self.live_feed_name}, produce)

    def _through_breaker(self, read: str, call) -> tuple[Any, str | None]:
        """``call(postgres)`` through the Postgres breaker: (its answer, None), or (None, why not:
        postgres_unconfigured | breaker_open | postgres_error). Only what means the store is
        unreachable counts against the breaker; a statement timeout raises ReadTimedOut for this
        read alone (the warehouse is not asked: it would run the same costly query slower, and a
        client varying its parameters past the cache could load it at will)."""
        if self.postgres is None:
            return None, "postgres_unconfigured"
        if not self.breaker.allow():
            return None, "breaker_open"
        if self.breaker.state == "half_open":
            self.postgres.revive()  # this read is the probe
        try:
            answer = call(self.postgres)
        except psycopg.errors.QueryCanceled as exc:
            self.breaker.release()
            log.warning("postgres statement timeout for %s: %s", read, exc)
            raise ReadTimedOut(read, self.postgres.statement_timeout_ms) from None
        except POSTGRES_ERRORS as exc:
            if postgres_is_down(exc):
                self.breaker.failure(exc)
            else:
                self.breaker.release()
            log.warning("postgres failed for %s: %s", read, exc)
            return None, "postgres_error"
        except BaseException:
            self.breaker.release()
            raise
        self.breaker.success()
        return answer, None

    def _postgres_only(self, read: str, call, errors: dict[str, str], signal: str):
        """A read that only Postgres can answer: its rows, or None with the reason in ``errors``."""
        try:
            result, reason = self._through_breaker(read, call)
        except ReadTimedOut:
            result, reason = None, "postgres_timeout"
        if result is None:
            errors[signal] = reason
            return None
        return list(result.data)
    # -- reliability: IEEE 1366 over the interruption history (warehouse only) ---------------------
    def reliability_report(self, *, year: int | None = None, cemi_n: int = 3, celid_t_hours: int = 8) -> ReadResult[dict | None]:
        """SAIFI, SAIDI, CAIDI, MAIFI, CEMI-n and CELID-t with and without major event days (2.5-beta
        threshold over the five years before the period) for the system, each substation and circuit,
        the worst circuits and the monthly trend; None when the history holds none of the period."""
        params = {"year": year, "cemi_n": cemi_n, "celid_t_hours": celid_t_hours}
        return self._analytics("reliability_report", params, lambda w: reliability.system_report(w, **params))

    def reliability_circuit(self, *, circuit_id: str, year: int | None = None, cemi_n: int = 3,
                            celid_t_hours: int = 8) -> ReadResult[dict | None]:
        """One circuit's indices and monthly trend, with the system's major event days; None for a
        circuit the grid does not have (or no history in the period)."""
        system = self.reliability_report(year=year, cemi_n=cemi_n, celid_t_hours=celid_t_hours)
        if system.data is None:
            return system
        params = {"circuit_id": circuit_id, "year": year, "cemi_n": cemi_n, "celid_t_hours": celid_t_hours}
        return self._analytics("reliability_circuit", params,
                               lambda w: reliability.circuit_report(w, system.data, circuit_id))

    # -- storm playback over the interruption history (warehouse only) -----------------------------
    def playback_storms(self) -> ReadResult[list[Row]]:
        """The storms in the interruption history, newest first, with their size."""
        return self._analytics("playback_storms", {}, lambda w: w.playback_storms())

    def playback_events(self, *, storm_id: str) -> ReadResult[dict | None]:
        """A storm and the sustained interruptions under way during it (epoch-second start/end,
        customers, position), from its first interruption to its last restoration; None for a
        storm the history does not have. Frames are cut from this one cached read."""
        storms = self.playback_storms()
        storm = next((s for s in storms.data if s["storm_id"] == storm_id), None)
        if storm is None:
            return ReadResult(None, storms.provenance)
        return self._analytics("playback_storm", {"storm_id": storm_id},
                               lambda w: reliability.playback_events(w, storm))

    # -- health ----------------------------------------------------------------------------------
    def readiness(self) -> dict[str, Any]:
        """Reachability of each store (a real query each), plus the breaker state."""
        out: dict[str, Any] = {}
        for name, store in (("postgres", self.postgres), ("warehouse", self.warehouse)):
            if store is None:
                out[name] = {"ok": False, "error": "not configured"}
                continue
            started = time.perf_counter()
            try:
                result = store.ping() if store is self.postgres else self._from_warehouse(lambda w: w.ping())
                out[name] = {"ok": True, "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
                             "freshness": result.freshness}
            except Exception as exc:
                out[name] = {"ok": False, "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
                             "error": type(exc).__name__}
        snap = self.breaker.snapshot()
        out["postgres"]["breaker"] = snap.state
        return out
