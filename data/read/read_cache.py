"""The repository's shared read cache: per-read TTLs, refresh-ahead and single flight.

The backend is flask-caching's cachelib backend (a directory shared by the gunicorn workers, or
Redis). Neither offers what a screen polled by many operators needs, so it is added here:

- refresh-ahead: a hit in the last quarter of its TTL starts one background refresh, so a key
  that is read steadily is renewed before it expires and readers never wait for the store;
- single flight: on a miss one reader (across workers, by an ``add``-claimed lock key) reads the
  store while the others wait for its answer, instead of all sending the same query at once. A
  cold KPI read behind 50 pollers is one warehouse query, not 50 queued ones.

An entry is never served past its TTL: nothing here makes an answer older than before.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Callable

from data.read.models import ReadResult

log = logging.getLogger("flux.cache")

REFRESH_AHEAD_FRACTION = 0.75
# A claim outlives any one read (the warehouse's own limits end a read well before this); a
# worker killed mid-read leaves a claim that others wait out at most FOLLOW_WAIT_S.
CLAIM_TTL_S = 60
FOLLOW_WAIT_S = 10.0
FOLLOW_POLL_S = (0.005, 0.05)  # first and longest pause between looks while following


@dataclass(frozen=True)
class CachedRead:
    result: ReadResult
    refresh_at: float  # wall clock (time.time()): workers share it


class ReadCache:
    def __init__(self, backend: Any, *, refresh_workers: int = 2):
        """``backend``: a cachelib-style object with get/set/add/has/delete."""
        self.backend = backend
        self._refresh_workers = refresh_workers
        self._refresher: ThreadPoolExecutor | None = None
        self._refresher_lock = threading.Lock()
        # cachelib's FileSystemCache.add is a look-then-write: atomic between workers only up to
        # a small window (two workers may both read), made exact between a worker's threads here
        self._claim_lock = threading.Lock()

    def read(
        self,
        key: str,
        produce: Callable[[], ReadResult],
        ttl_for: Callable[[ReadResult], float],
    ) -> ReadResult:
        """The cached answer for ``key``, or ``produce()``'s, stored for ``ttl_for(result)`` s."""
        started = time.perf_counter()
        entry = self._get(key)
        if entry is not None:
            if time.time() >= entry.refresh_at and self._claim(key):
                self._refresh_later(key, produce, ttl_for)
            return self._as_hit(entry, started)
        if self._claim(key):
            try:
                return self._produce_and_store(key, produce, ttl_for)
            finally:
                self._unclaim(key)
        # another reader is producing this answer: follow it rather than repeat its query
        deadline = time.monotonic() + FOLLOW_WAIT_S
        pause = FOLLOW_POLL_S[0]
        while time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, FOLLOW_POLL_S[1])
            entry = self._get(key)
            if entry is not None:
                return self._as_hit(entry, started)
            if not self._claimed(key):
                break  # it failed (or its worker died): read for ourselves
        return self._produce_and_store(key, produce, ttl_for)

    def close(self) -> None:
        if self._refresher is not None:
            self._refresher.shutdown(wait=False, cancel_futures=True)

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _as_hit(entry: CachedRead, started: float) -> ReadResult:
        elapsed = (time.perf_counter() - started) * 1000
        hit = entry.result
        return replace(hit, provenance=replace(hit.provenance, cached=True, elapsed_ms=elapsed))

    def _produce_and_store(self, key: str, produce, ttl_for) -> ReadResult:
        result = produce()
        ttl = ttl_for(result)
        entry = CachedRead(result, time.time() + ttl * REFRESH_AHEAD_FRACTION)
        try:
            # cachelib timeouts are whole seconds; 0 would mean "forever"
            self.backend.set(key, entry, timeout=max(1, round(ttl)))
        except Exception:  # a broken cache must never break a read
            log.warning("cache set failed for %s", key, exc_info=True)
        return result

    def _refresh_later(self, key: str, produce, ttl_for) -> None:
        def refresh() -> None:
            try:
                self._produce_and_store(key, produce, ttl_for)
            except Exception as exc:
                # the entry stays until its TTL ends; the next read past it reports the failure
                log.warning("background refresh failed for %s: %s", key, exc)
            finally:
                self._unclaim(key)

        try:
            self._executor().submit(refresh)
        except RuntimeError:  # shutting down
            self._unclaim(key)

    def _executor(self) -> ThreadPoolExecutor:
        with self._refresher_lock:
            if self._refresher is None:
                self._refresher = ThreadPoolExecutor(self._refresh_workers, thread_name_prefix="flux-refresh")
            return self._refresher

    def _get(self, key: str) -> CachedRead | None:
        try:
            entry = self.backend.get(key)
        except Exception:
            log.warning("cache get failed for %s", key, exc_info=True)
            return None
        return entry if isinstance(entry, CachedRead) else None

    def _claim(self, key: str) -> bool:
        try:
            with self._claim_lock:
                return bool(self.backend.add(key + ":claim", os.getpid(), timeout=CLAIM_TTL_S))
        except Exception:
            log.warning("cache add failed for %s", key, exc_info=True)
            return True  # no shared claim to be had: read for ourselves

    def _claimed(self, key: str) -> bool:
        try:
            return self.backend.has(key + ":claim")
        except Exception:
            return False

    def _unclaim(self, key: str) -> None:
        try:
            self.backend.delete(key + ":claim")
        except Exception:
            log.warning("cache delete failed for %s", key, exc_info=True)
