"""Storm playback as pure functions: the frames of a window, customers out at each frame, the
restoration rate, the crews at work, and the interruptions under way at a moment. Events are dicts
with epoch-second ``start`` and ``end`` and a ``customers`` count (one sustained interruption each).

Crews at work are derived, not recorded (the history has no crew assignments): each sustained
interruption still out ``DISPATCH_DELAY_MINUTES`` after it began holds one crew from then until
its restoration; one restored sooner was switched or reclosed back without a crew. The count at
a moment is capped by the crew roster; the excess is interruptions waiting for a crew."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from itertools import accumulate

STEP_MINUTES = 15
MAX_FRAMES = 480
HOUR_S = 3600
# Call taken, crew assigned and driven to the site: about half an hour (an assumption, not a
# measured figure; the history's restoration times already include it).
DISPATCH_DELAY_MINUTES = 30


@dataclass(frozen=True)
class Timeline:
    start: int      # epoch seconds of frame 0
    step_s: int
    frames: int

    def at(self, frame: int) -> int:
        return self.start + min(max(frame, 0), self.frames - 1) * self.step_s


def timeline(start_s: int, end_s: int, *, step_minutes: int = STEP_MINUTES, max_frames: int = MAX_FRAMES) -> Timeline:
    """Frames every ``step_minutes`` (longer when the window would need more than ``max_frames``)
    from ``start_s`` floored to the step, to the first frame at or after ``end_s``."""
    step = step_minutes * 60
    start = start_s - start_s % step
    span = max(end_s - start, 0)
    while span / step > max_frames - 1:
        step += step_minutes * 60
    return Timeline(start, step, span // step + 1 + (span % step > 0))


class Curve:
    """Customers out and restored over time, by prefix sums over the sorted starts and ends."""

    def __init__(self, events: list[dict]):
        by_start = sorted(events, key=lambda e: e["start"])
        by_end = sorted(events, key=lambda e: e["end"])
        self._starts = [e["start"] for e in by_start]
        self._ends = [e["end"] for e in by_end]
        self._cum_start = [0, *accumulate(e["customers"] for e in by_start)]
        self._cum_end = [0, *accumulate(e["customers"] for e in by_end)]

    def customers_out(self, t: int) -> int:
        """Customers of interruptions begun at or before ``t`` and not yet restored."""
        return self._cum_start[bisect.bisect_right(self._starts, t)] - self._cum_end[bisect.bisect_right(self._ends, t)]

    def restored_per_hour(self, t: int) -> int:
        """Customers restored in the hour up to ``t``."""
        return self._cum_end[bisect.bisect_right(self._ends, t)] - self._cum_end[bisect.bisect_right(self._ends, t - HOUR_S)]

    def outages_out(self, t: int) -> int:
        return bisect.bisect_right(self._starts, t) - bisect.bisect_right(self._ends, t)


class Crews:
    """Crews needed and at work over time, by bisection over the sorted crew arrivals and ends."""

    def __init__(self, events: list[dict], roster: int, *, dispatch_delay_minutes: int = DISPATCH_DELAY_MINUTES):
        delay = dispatch_delay_minutes * 60
        jobs = [(e["start"] + delay, e["end"]) for e in events if e["end"] > e["start"] + delay]
        self.roster = max(int(roster), 0)
        self._arrivals = sorted(a for a, _ in jobs)
        self._ends = sorted(b for _, b in jobs)

    def needed(self, t: int) -> int:
        """Interruptions under repair at ``t``: a crew due on site at or before ``t``, not yet restored."""
        return bisect.bisect_right(self._arrivals, t) - bisect.bisect_right(self._ends, t)

    def at_work(self, t: int) -> int:
        return min(self.needed(t), self.roster)


def active_at(events: list[dict], t: int) -> list[dict]:
    """The interruptions under way at ``t`` (begun at or before it, restored after it)."""
    return [e for e in events if e["start"] <= t < e["end"]]
