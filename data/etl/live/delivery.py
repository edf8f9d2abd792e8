"""Micro-batches and the ordered delivery queue: a bounded in-memory buffer whose overflow, and
everything while the warehouse is down, goes to an on-disk spill queue; replayed in order.

A batch is serialized when it is cut (Arrow IPC for AMI readings, JSON rows for the rest) and its
checksum (sha256 of those bytes) travels with it to INGEST_BATCHES; a spilled batch is one file,
written to a temporary name, fsynced and renamed, so a crash leaves either the whole batch or
none. A file leaves the queue only after its load and its INGEST_BATCHES row succeeded:
at-least-once delivery, which the silver dedup (readings) and keyed MERGEs (the rest) absorb.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow as pa

log = logging.getLogger("flux.live.delivery")

AMI_TABLE = "AMI_INTERVAL_READINGS"
# keyed tables: a batch keeps only the latest row per key (a MERGE source must be unique)
KEY_COLUMNS = {
    "OUTAGE_EVENTS": (0,), "WORK_ORDERS": (0,), "CREWS": (0,), "CIRCUIT_STATUS_REALTIME": (0,),
    "ERCOT_PRICES_5MIN": (0, 1), "HOUSTON_WEATHER_HOURLY": (0,), "METER_EVENTS": (0,),
}
_HEADER = struct.Struct(">I")


@dataclass
class Batch:
    seq: int
    batch_id: str
    table: str
    created_at: float  # wall-clock epoch seconds when the batch was cut
    rows: int
    data: bytes | None  # serialized rows; None while only on disk
    checksum: str
    replayed: bool = False  # it went through the on-disk queue
    path: Path | None = None
    # a load of it may have landed without its ledger row (an earlier attempt failed, or it was
    # left on disk by an earlier process): check INGEST_BATCHES before loading it again
    uncertain: bool = False

    def ami(self) -> pa.Table:
        return pa.ipc.open_stream(self.data).read_all()

    def json_rows(self) -> list[list]:
        return orjson.loads(self.data)


def serialize_ami(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def coalesce(table: str, rows: list[list]) -> list[list]:
    """The latest row per key, in first-seen order of the keys."""
    key = KEY_COLUMNS.get(table)
    if not key:
        return rows
    latest: dict = {}
    for r in rows:
        latest[tuple(r[i] for i in key)] = r
    return list(latest.values())


def make_batch(seq: int, run_id: str, table: str, payload, created_at: float) -> Batch:
    if table == AMI_TABLE:
        data, rows = serialize_ami(payload), payload.num_rows
    else:
        payload = coalesce(table, payload)
        data, rows = orjson.dumps(payload), len(payload)
    return Batch(seq, f"{run_id}-{seq:09d}", table, created_at, rows, data, hashlib.sha256(data).hexdigest())


class ChecksumMismatch(RuntimeError):
    def __init__(self, batch: "Batch", message: str):
        super().__init__(message)
        self.batch = batch


class DeliveryQueue:
    """FIFO of batches; the head is delivered first. In memory up to ``max_memory_rows``; past that,
    and after ``spill_all()``, new batches are written to ``spill_dir`` and read back when due."""

    def __init__(self, spill_dir: Path, max_memory_rows: int, spill_after_s: float = 10.0):
        self.dir = Path(spill_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.max_memory_rows = max_memory_rows
        # a head batch this old means the loader is stuck (a warehouse that stopped answering
        # holds a load until its network timeout): the queue goes to disk without waiting for it
        self.spill_after_s = spill_after_s
        self._items: deque[Batch] = deque()
        self._memory_rows = 0
        self._inflight = 0  # batches at the head that the loader is delivering
        self._lock = threading.Condition()
        for path in sorted(self.dir.glob("*.batch")):
            try:
                self._items.append(self._read_header(path))
            except Exception:
                log.exception("unreadable spill file", extra={"fields": {"event": "live.spill_unreadable", "path": str(path)}})
        last = max((b.seq for b in self._items), default=0)
        self.next_seq = last + 1

    # -- disk ------------------------------------------------------------------------------------
    def _file(self, b: Batch) -> Path:
        return self.dir / f"{b.seq:012d}.{b.table}.batch"

    def _write(self, b: Batch) -> None:
        head = json.dumps({"seq": b.seq, "batch_id": b.batch_id, "table": b.table, "created_at": b.created_at,
                           "rows": b.rows, "checksum": b.checksum}).encode()
        path = self._file(b)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(_HEADER.pack(len(head)))
            f.write(head)
            f.write(b.data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        b.path = path

    @staticmethod
    def _read_header(path: Path) -> Batch:
        with open(path, "rb") as f:
            (n,) = _HEADER.unpack(f.read(_HEADER.size))
            h = json.loads(f.read(n))
        return Batch(h["seq"], h["batch_id"], h["table"], h["created_at"], h["rows"], None, h["checksum"],
                     replayed=True, path=path, uncertain=True)

    @staticmethod
    def _read_data(b: Batch) -> bytes:
        with open(b.path, "rb") as f:
            (n,) = _HEADER.unpack(f.read(_HEADER.size))
            f.seek(_HEADER.size + n)
            data = f.read()
        if hashlib.sha256(data).hexdigest() != b.checksum:
            raise ChecksumMismatch(b, f"spill file {b.path.name} does not match its checksum")
        return data

    # -- queue -----------------------------------------------------------------------------------
    def put(self, b: Batch) -> None:
        with self._lock:
            if self._items and time.time() - self._items[0].created_at > self.spill_after_s:
                self._spill_locked()
            spilling = any(i.path is not None for i in self._items)  # once on disk, keep order on disk
            if spilling or self._memory_rows + b.rows > self.max_memory_rows:
                self._write(b)
                b.data, b.replayed = None, True
            else:
                self._memory_rows += b.rows
            self._items.append(b)
            self._lock.notify_all()

    def peek(self, timeout: float) -> Batch | None:
        """The head batch with its rows, or None after ``timeout`` with nothing queued."""
        group = self.peek_group(timeout, max_batches=1, max_rows=1)
        return group[0] if group else None

    def peek_group(self, timeout: float, *, max_batches: int, max_rows: int) -> list[Batch]:
        """The first batches from the head (at least one, up to ``max_batches`` and ``max_rows``)
        with their rows: a backlog (a replay after an outage) is delivered in few statements."""
        with self._lock:
            if not self._items:
                self._lock.wait(timeout)
            group, rows = [], 0
            for b in self._items:
                if group and (len(group) >= max_batches or rows + b.rows > max_rows):
                    break
                group.append(b)
                rows += b.rows
            self._inflight = len(group)
        for k, b in enumerate(group):
            if b.data is None:
                try:
                    b.data = self._read_data(b)
                except ChecksumMismatch:
                    if k == 0:
                        raise
                    # deliver the good ones before it; it is the head next time
                    with self._lock:
                        self._inflight = k
                    return group[:k]
        return group

    def done(self, b: Batch) -> None:
        """The head batch is delivered: drop it (and its file)."""
        self.done_many([b])

    def done_many(self, group: list[Batch]) -> None:
        with self._lock:
            self._inflight = 0
            for b in group:
                head = self._items.popleft()
                assert head is b
                if b.path is None:
                    self._memory_rows -= b.rows
                else:
                    b.path.unlink(missing_ok=True)
                b.data = None

    def quarantine(self, b: Batch, reason: str) -> None:
        """Set a batch that can never load aside (kept on disk, logged) so the rest can go on."""
        with self._lock:
            self._inflight = 0
            head = self._items.popleft()
            assert head is b, "only the head batch is set aside"
            bad = self.dir / "quarantine"
            bad.mkdir(exist_ok=True)
            if b.path is None:
                if b.data is not None:
                    self._write(b)
                self._memory_rows -= b.rows
            if b.path is not None and b.path.exists():
                os.replace(b.path, bad / b.path.name)
        log.error("batch quarantined", extra={"fields": {"event": "live.quarantined", "batch_id": b.batch_id,
                                                         "table": b.table, "rows": b.rows, "reason": reason}})

    def spill_all(self) -> int:
        """Write every in-memory batch to disk (the warehouse is down, or the feed is stopping)."""
        with self._lock:
            return self._spill_locked()

    def _spill_locked(self) -> int:
        n = 0
        for i, b in enumerate(self._items):
            if b.path is None and b.data is not None:
                self._write(b)
                self._memory_rows -= b.rows
                n += 1
            # batches in the loader's hands keep their rows in memory as well
            if b.path is not None and i >= max(1, self._inflight):
                b.data = None
            if b.path is not None:
                b.replayed = True
        return n

    def stats(self) -> dict:
        with self._lock:
            items = list(self._items)
        return {
            "batches": len(items),
            "buffered_rows": self._memory_rows,
            "spilled_batches": sum(1 for b in items if b.path is not None),
            "oldest_created_at": items[0].created_at if items else None,
        }

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
