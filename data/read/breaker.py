"""A circuit breaker for the Postgres cache, one per process (per gunicorn worker).

closed     every read tries Postgres first.
open       Postgres failed: reads go straight to the warehouse until the cool-down ends.
half_open  the cool-down ended: exactly one read probes Postgres, the others keep using the
           warehouse; the probe's success closes the breaker, its failure re-opens it.

The warehouse has a breaker of the same kind, but nothing behind it to fall back to: its
half-open readers wait (``allow(wait_s=...)``) for the probe's outcome instead of failing while
a probe to a warehouse that is already back is still in flight.

State is per process on purpose: each worker discovers a dead Postgres on its own first read,
which costs at most one pool wait, and nothing has to be shared across forks.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Literal

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerSnapshot:
    state: State
    failures: int
    opened_at: float | None
    last_error: str | None


class CircuitBreaker:
    def __init__(self, cooldown_s: float, clock: Callable[[], float] = time.monotonic):
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._state: State = "closed"
        self._opened_at: float | None = None
        self._probe_in_flight = False
        self._failures = 0
        self._last_error: str | None = None

    def allow(self, wait_s: float = 0.0) -> bool:
        """May this read try the store? In half-open state only one caller gets True at once;
        with ``wait_s`` the others wait up to that long for the probe to settle, and then get
        True if it closed the breaker (or left the probe slot free for them)."""
        deadline = time.monotonic() + wait_s  # real time, whatever clock times the cool-down
        with self._lock:
            while True:
                if self._state == "closed":
                    return True
                if self._state == "open" and self._clock() - (self._opened_at or 0.0) >= self.cooldown_s:
                    self._state = "half_open"
                if self._state == "half_open" and not self._probe_in_flight:
                    self._probe_in_flight = True
                    return True
                remaining = deadline - time.monotonic()
                if self._state != "half_open" or remaining <= 0:
                    return False
                self._settled.wait(remaining)

    def success(self) -> None:
        with self._lock:
            self._state = "closed"
            self._opened_at = None
            self._probe_in_flight = False
            self._failures = 0
            self._last_error = None
            self._settled.notify_all()

    def failure(self, error: BaseException | str | None = None) -> None:
        with self._lock:
            self._state = "open"
            self._opened_at = self._clock()
            self._probe_in_flight = False
            self._failures += 1
            if error is not None:
                self._last_error = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error
            self._settled.notify_all()

    def release(self) -> None:
        """A probe that neither succeeded nor failed (e.g. an empty table) frees the probe slot."""
        with self._lock:
            self._probe_in_flight = False
            self._settled.notify_all()

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    def snapshot(self) -> BreakerSnapshot:
        with self._lock:
            return BreakerSnapshot(self._state, self._failures, self._opened_at, self._last_error)
