"""The feed process: the simulator on the wall clock (times ``speed``), cutting micro-batches
every ``FLUX_LIVE_BATCH_S`` (at most 5 s), and one loader thread delivering them in order.

When a load fails on a lost connection the loader spills the whole queue to disk, retries the
connection with backoff and replays from the head once the warehouse answers again. SIGTERM (or
``--duration``) stops the simulator, cuts the last batches and gives the loader
``FLUX_LIVE_FLUSH_TIMEOUT_S`` to deliver them; what is still queued then stays on disk for the
next start. A heartbeat row (FEED_HEARTBEATS) and a JSON log line report rate and lag.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from data.connections import connect_warehouse
from data.etl.live.delivery import AMI_TABLE, ChecksumMismatch, DeliveryQueue, make_batch
from data.etl.live.network import load_network
from data.etl.live.sim import Emission, SimConfig, Simulator, ts
from data.etl.live.sqlfile import sql
from data.etl.live.writers import LoadStamp, already_loaded, record_batches, write_group
from settings import Settings

log = logging.getLogger("flux.live")


def _fields(event: str, **kw) -> dict:
    return {"fields": {"event": event, **kw}}


def _is_connection_error(exc: BaseException) -> bool:
    """A lost or refused connection or session (retry on a new one), as opposed to a statement
    the warehouse refused. A restarted warehouse no longer knows the session: HTTP 401, 08001."""
    from snowflake.connector import errors

    if isinstance(exc, (errors.OperationalError, errors.InterfaceError, errors.HttpError, ConnectionError, OSError)):
        return True
    if str(getattr(exc, "sqlstate", "") or "").startswith("08"):
        return True
    if getattr(exc, "errno", None) in (390111, 390112, 390114, 250001, 250003):  # session / token gone
        return True
    if isinstance(exc, errors.DatabaseError) and not isinstance(exc, errors.ProgrammingError):
        return True
    text = str(exc).lower()
    return any(s in text for s in ("connection", "timed out", "refused", "max retries", "unauthorized"))


@dataclass
class FeedStats:
    rows_delivered: int = 0
    batches_delivered: int = 0
    batches_skipped: int = 0  # replays already recorded in INGEST_BATCHES
    last_lag_s: float = 0.0
    outages: int = 0
    window: list = field(default_factory=list)  # (wall time, rows)
    down_since: float | None = None
    reconnects: int = 0

    def rate(self, now: float, span: float = 30.0) -> float:
        self.window = [(t, n) for t, n in self.window if now - t <= span]
        if not self.window:
            return 0.0
        return sum(n for _, n in self.window) / max(1.0, min(span, now - self.window[0][0]))


class Loader(threading.Thread):
    def __init__(self, settings: Settings, queue: DeliveryQueue, stats: FeedStats, *, feed: str, writer: str,
                 beat=None):
        super().__init__(name="flux-live-loader", daemon=True)
        self.settings, self.queue, self.stats = settings, queue, stats
        self.feed, self.writer = feed, writer
        self.stamp = LoadStamp()
        self.stop_when_empty = threading.Event()
        self.abort = threading.Event()
        self.beat = beat  # callable(cursor) writing the heartbeat, or None
        self._conn = None
        self._last_beat = 0.0

    def _cursor(self):
        if self._conn is None:
            # short timeouts: a warehouse that stopped answering must fail the load, not hold it
            self._conn = connect_warehouse(self.settings, network_timeout=self.settings.live_network_timeout_s,
                                           login_timeout=min(self.settings.warehouse_login_timeout_s, 5))
            if self.stats.down_since is not None:
                log.info("warehouse back", extra=_fields("live.reconnected", down_s=round(time.time() - self.stats.down_since, 1),
                                                         queued=len(self.queue)))
                self.stats.down_since = None
                self.stats.reconnects += 1
        return self._conn.cursor()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None

    def heartbeat(self, force: bool = False) -> None:
        now = time.time()
        if self.beat is None or (not force and now - self._last_beat < self.settings.live_heartbeat_s):
            return
        try:
            self.beat(self._cursor())
            self._last_beat = now
        except Exception as exc:
            if _is_connection_error(exc):
                self._went_down(exc)
            else:
                log.warning("heartbeat failed", extra=_fields("live.heartbeat_failed", error=type(exc).__name__))

    def _went_down(self, exc: BaseException) -> None:
        """Drop the connection; the first time, spill the queue to disk and say so."""
        self._drop()
        first = self.stats.down_since is None
        if first:
            self.stats.down_since = time.time()
        spilled = self.queue.spill_all()
        if first:
            log.warning("warehouse unreachable: spilling to disk",
                        extra=_fields("live.warehouse_down", error=type(exc).__name__, spilled=spilled,
                                      spill_dir=str(self.queue.dir)))

    def run(self) -> None:
        backoff = 0.5
        failures = 0
        while not self.abort.is_set():
            try:
                # after a statement failure, one batch at a time, to find the one that fails
                group = self.queue.peek_group(0.5, max_batches=1 if failures else self.settings.live_group_batches,
                                              max_rows=self.settings.live_max_batch_rows)
            except ChecksumMismatch as exc:
                self.queue.quarantine(exc.batch, str(exc))
                continue
            if not group:
                if self.stop_when_empty.is_set():
                    break
                self.heartbeat()
                continue
            try:
                cur = self._cursor()
                uncertain = [b for b in group if b.uncertain]
                seen = already_loaded(cur, uncertain) if uncertain else set()
                todo = [b for b in group if b.batch_id not in seen]
                if todo:
                    stamp = self.stamp.next()
                    write_group(cur, todo, stamp, self.writer)
                    record_batches(cur, todo, stamp, feed=self.feed, writer=self.writer)
                now = time.time()
                delivered = sum(b.rows for b in todo)
                self.stats.last_lag_s = max(0.0, now - group[-1].created_at)
                self.stats.rows_delivered += delivered
                self.stats.window.append((now, delivered))
                self.stats.batches_delivered += len(todo)
                self.stats.batches_skipped += len(group) - len(todo)
                self.queue.done_many(group)
                backoff, failures = 0.5, 0
                self.heartbeat()
            except Exception as exc:
                for b in group:
                    b.uncertain = True
                if _is_connection_error(exc):
                    self._went_down(exc)
                    self.abort.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                else:
                    failures += 1
                    self._drop()  # the next attempt on a fresh session
                    log.exception("batch load failed", extra=_fields("live.load_failed", batch_id=group[0].batch_id,
                                                                     table=group[0].table, attempt=failures))
                    if failures >= 4 and len(group) == 1:
                        self.queue.quarantine(group[0], f"{type(exc).__name__}: {exc}"[:500])
                        failures = 0
                    else:
                        self.abort.wait(1.0)
        self.heartbeat(force=True)
        self._drop()


class Feed:
    def __init__(self, settings: Settings, cfg: SimConfig, *, speed: float, meters: int | None,
                 duration_s: float | None, summary_path: Path | None = None):
        self.settings, self.cfg = settings, cfg
        self.speed, self.meters, self.duration_s = speed, meters, duration_s
        self.summary_path = summary_path
        self.stop = threading.Event()
        self.stats = FeedStats()
        self.spill_dir = settings.live_spill_directory
        self.queue = DeliveryQueue(self.spill_dir, settings.live_buffer_rows, settings.live_spill_after_s)
        self.pending: dict[str, list] = {}
        self.pending_ami: list[pa.Table] = []
        self.sim: Simulator | None = None
        self.status = "running"

    # -- batches -------------------------------------------------------------------------------
    def _collect(self, em: Emission) -> None:
        self.pending_ami.extend(t for t in em.ami if t.num_rows)
        for table, rows in em.rows.items():
            self.pending.setdefault(table, []).extend(rows)

    def _cut(self) -> None:
        now = time.time()
        run_id = self.sim.run_id
        cap = self.settings.live_max_batch_rows
        if self.pending_ami:
            ami = pa.concat_tables(self.pending_ami).combine_chunks()
            self.pending_ami = []
            for off in range(0, ami.num_rows, cap):
                self._put(make_batch(self.queue.next_seq, run_id, AMI_TABLE, ami.slice(off, cap), now))
        # the outage before its work order, both before the crews that reference them
        for table in ("OUTAGE_EVENTS", "WORK_ORDERS", "CREWS", "METER_EVENTS", "CIRCUIT_STATUS_REALTIME",
                      "ERCOT_PRICES_5MIN", "HOUSTON_WEATHER_HOURLY"):
            rows = self.pending.pop(table, None)
            if rows:
                self._put(make_batch(self.queue.next_seq, run_id, table, rows, now))

    def _put(self, b) -> None:
        self.queue.next_seq += 1
        self.queue.put(b)

    # -- heartbeat -----------------------------------------------------------------------------
    def _beat_params(self) -> dict:
        now = time.time()
        q = self.queue.stats()
        lag = self.stats.last_lag_s
        if q["oldest_created_at"] is not None:
            lag = max(lag, now - q["oldest_created_at"])
        return {
            "feed": self.settings.live_feed_name,
            "beat_at": datetime.fromtimestamp(now, tz=timezone.utc).replace(tzinfo=None),
            "sim_time": ts(self.sim.t), "speed": float(self.speed), "scenario": self.cfg.scenario,
            "meters": self.sim.net.meters, "rows_per_s": round(self.stats.rate(now), 1), "lag_s": round(lag, 2),
            "buffered_rows": q["buffered_rows"], "spilled_batches": q["spilled_batches"],
            "rows_total": self.stats.rows_delivered, "active_outages": self.sim.active_outages(),
            "status": "degraded" if self.stats.down_since is not None else self.status,
        }

    def _beat(self, cur) -> None:
        params = self._beat_params()
        cur.execute(sql("load", "heartbeat_merge"), params)
        log.info("feed heartbeat", extra=_fields("live.heartbeat", **{k: v for k, v in params.items() if k != "beat_at"},
                                                 readings_unique=self.sim.counts["readings_unique"]))

    # -- run -----------------------------------------------------------------------------------
    def _connect_network(self):
        deadline = time.time() + self.settings.live_connect_timeout_s
        while True:
            try:
                conn = connect_warehouse(self.settings)
                try:
                    return load_network(conn, seed=self.cfg.seed, meters=self.meters)
                finally:
                    conn.close()
            except Exception as exc:
                if time.time() > deadline or self.stop.is_set():
                    raise
                log.warning("waiting for the warehouse", extra=_fields("live.waiting", error=type(exc).__name__))
                time.sleep(2.0)

    def run(self) -> dict:
        net = self._connect_network()
        start_wall = time.time()
        self.sim = Simulator(net, start_wall, self.cfg)
        loader = Loader(self.settings, self.queue, self.stats, feed=self.settings.live_feed_name,
                        writer=self.settings.live_writer, beat=self._beat)
        log.info("feed started", extra=_fields("live.started", meters=net.meters, speed=self.speed,
                                               scenario=self.cfg.scenario, writer=self.settings.live_writer,
                                               queued_from_disk=len(self.queue), run_id=self.sim.run_id))
        self._collect(self.sim.prime())
        loader.start()
        last_cut = start_wall
        tick = self.settings.live_tick_s
        batch_s = self.settings.live_batch_s
        try:
            while not self.stop.is_set():
                now = time.time()
                if self.duration_s is not None and now - start_wall >= self.duration_s:
                    break
                self._collect(self.sim.advance(start_wall + (now - start_wall) * self.speed))
                if now - last_cut >= batch_s:
                    self._cut()
                    last_cut = now
                self.stop.wait(max(0.0, tick - (time.time() - now)))
        finally:
            self.status = "stopped"
            self._cut()
            loader.stop_when_empty.set()
            loader.join(self.settings.live_flush_timeout_s)
            if loader.is_alive():
                loader.abort.set()
                loader.join(10)
            left = self.queue.spill_all()
        summary = {
            **self.sim.counts, "rows_delivered": self.stats.rows_delivered,
            "batches_delivered": self.stats.batches_delivered, "batches_skipped": self.stats.batches_skipped,
            "batches_left_on_disk": len(self.queue), "spilled_at_exit": left, "reconnects": self.stats.reconnects,
            "meters": net.meters, "speed": self.speed, "scenario": self.cfg.scenario, "run_id": self.sim.run_id,
            "wall_s": round(time.time() - start_wall, 2), "sim_start": ts(start_wall), "sim_end": ts(self.sim.t),
            "active_outages": self.sim.active_outages(),
        }
        log.info("feed stopped", extra=_fields("live.stopped", **summary))
        if self.summary_path is not None:
            self.summary_path.write_text(json.dumps(summary, indent=2))
        return summary

    def install_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
