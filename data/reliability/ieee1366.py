"""IEEE 1366 (IEEE Guide for Electric Power Distribution Reliability Indices, 1366-2012) as pure
functions: no database, no I/O. The warehouse sums interruptions per day and per circuit
(data/read/queries/warehouse/reliability_*.sql); these functions turn those sums into indices.

Definitions used (the standard's; NT = customers served):
- An interruption is **sustained** when it lasts ``MOMENTARY_MINUTES`` (5) minutes or more, else
  **momentary**. SAIFI, SAIDI, CAIDI, CEMI-n and CELID-t count sustained interruptions only;
  MAIFI counts momentary ones only.
- SAIFI = sum(customers interrupted) / NT;  SAIDI = sum(customer minutes interrupted) / NT;
  CAIDI = SAIDI / SAIFI;  MAIFI = sum(customer momentary interruptions) / NT.
- CEMI-n = customers with more than n sustained interruptions / NT.
- CELID-t = customers whose sustained interruptions add up to t hours or more / NT (the
  standard's CELID-t, total duration; CELID-s, a single long interruption, is not reported).
- Daily SAIDI: an interruption counts, whole, on the (local) day it began.
- Major event day (the 2.5-beta method): over five years of daily SAIDI, leaving out days with
  no interruption (ln 0 is undefined), alpha = mean(ln SAIDI), beta = standard deviation of
  ln SAIDI (the sample one, n - 1, as in the standard's worked example);
  T_MED = exp(alpha + 2.5 beta). A day whose SAIDI exceeds T_MED is a major event day (MED),
  and "day-to-day" indices leave out every interruption that began on one.

Why hand-written: the math is a mean, a standard deviation and some sums; numpy/scipy would add a
dependency (scipy is not installed) for nothing the standard library lacks.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Iterable, Mapping, Sequence

MOMENTARY_MINUTES = 5.0
BETA_MULTIPLIER = 2.5
MED_WINDOW_YEARS = 5
DEFAULT_CEMI_N = 3
DEFAULT_CELID_T_HOURS = 8.0


# -- inputs ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Interruption:
    """One interruption of one group of customers who share it (the customers of one service
    transformer, say): the unit an outage management system records."""

    day: date            # local calendar day the interruption began
    minutes: float
    customers: int
    circuit_id: str
    substation_id: str
    group_id: str        # the customer group (for CEMI-n and CELID-t)

    @property
    def sustained(self) -> bool:
        return self.minutes >= MOMENTARY_MINUTES


@dataclass(frozen=True)
class DayTotals:
    """A day's sums: sustained customer interruptions (ci), their customer minutes (cmi) and
    customer momentary interruptions (mi)."""

    day: date
    ci: float = 0.0
    cmi: float = 0.0
    mi: float = 0.0


@dataclass(frozen=True)
class Totals:
    """What the indices of one area (system, substation, circuit) over one period come from."""

    customers_served: int
    ci: float = 0.0              # sustained customer interruptions
    cmi: float = 0.0             # sustained customer minutes interrupted
    mi: float = 0.0              # customer momentary interruptions
    cemi_customers: float = 0.0  # customers with more than n sustained interruptions
    celid_customers: float = 0.0  # customers with t hours or more of sustained interruptions

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(*(a + b for a, b in zip(astuple_totals(self), astuple_totals(other))))


def astuple_totals(t: Totals) -> tuple:
    return (t.customers_served, t.ci, t.cmi, t.mi, t.cemi_customers, t.celid_customers)


# -- indices ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Indices:
    customers_served: int
    saifi: float | None
    saidi: float | None
    caidi: float | None
    maifi: float | None
    cemi_n: float | None
    celid_t: float | None
    customer_interruptions: float
    customer_minutes: float
    momentary_interruptions: float

    def as_dict(self, digits: int = 4) -> dict:
        return {k: (round(v, digits) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _ratio(num: float, den: float) -> float | None:
    return None if not den else num / den


def indices(t: Totals) -> Indices:
    """SAIFI, SAIDI (minutes), CAIDI (minutes), MAIFI, CEMI-n and CELID-t (fractions of the
    customers served) from an area's totals. None where the denominator is zero."""
    saifi = _ratio(t.ci, t.customers_served)
    saidi = _ratio(t.cmi, t.customers_served)
    return Indices(
        customers_served=int(t.customers_served),
        saifi=saifi,
        saidi=saidi,
        caidi=_ratio(t.cmi, t.ci),
        maifi=_ratio(t.mi, t.customers_served),
        cemi_n=_ratio(t.cemi_customers, t.customers_served),
        celid_t=_ratio(t.celid_customers, t.customers_served),
        customer_interruptions=float(t.ci),
        customer_minutes=float(t.cmi),
        momentary_interruptions=float(t.mi),
    )


# -- daily SAIDI and major event days ---------------------------------------------------------------
def day_range(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end``, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def daily_totals(interruptions: Iterable[Interruption], start: date, end: date) -> list[DayTotals]:
    """Per-day sums over [start, end], days without interruptions included as zeros."""
    ci: dict[date, float] = defaultdict(float)
    cmi: dict[date, float] = defaultdict(float)
    mi: dict[date, float] = defaultdict(float)
    for r in interruptions:
        if not start <= r.day <= end:
            continue
        if r.sustained:
            ci[r.day] += r.customers
            cmi[r.day] += r.customers * r.minutes
        else:
            mi[r.day] += r.customers
    return [DayTotals(d, ci[d], cmi[d], mi[d]) for d in day_range(start, end)]


def fill_days(days: Iterable[DayTotals], start: date, end: date) -> list[DayTotals]:
    """Sums read from a store (days with interruptions only) -> every day of [start, end]."""
    by_day = {d.day: d for d in days}
    return [by_day.get(d, DayTotals(d)) for d in day_range(start, end)]


def daily_saidi(days: Sequence[DayTotals], customers_served: int) -> dict[date, float]:
    """Daily SAIDI (minutes) for each day given."""
    if customers_served <= 0:
        raise ValueError("customers_served must be positive")
    return {d.day: d.cmi / customers_served for d in days}


@dataclass(frozen=True)
class Threshold:
    """The major event day threshold and the fit it came from."""

    t_med: float | None      # minutes of SAIDI in a day; None when the window had < 2 days with interruptions
    alpha: float | None      # mean of ln(daily SAIDI)
    beta: float | None       # standard deviation of ln(daily SAIDI)
    days: int                # days in the window
    days_used: int           # days with SAIDI > 0 (the fit's sample)
    window_start: date | None
    window_end: date | None

    def as_dict(self) -> dict:
        out = asdict(self)
        for k in ("window_start", "window_end"):
            out[k] = out[k].isoformat() if out[k] else None
        return out


def med_threshold(saidi_by_day: Mapping[date, float], beta_multiplier: float = BETA_MULTIPLIER) -> Threshold:
    """T_MED = exp(alpha + 2.5 beta) over the days given (the standard asks for five years),
    leaving out zero days."""
    days = sorted(saidi_by_day)
    logs = [math.log(saidi_by_day[d]) for d in days if saidi_by_day[d] > 0]
    start, end = (days[0], days[-1]) if days else (None, None)
    if len(logs) < 2:
        return Threshold(None, None, None, len(days), len(logs), start, end)
    alpha = statistics.fmean(logs)
    beta = statistics.stdev(logs)
    return Threshold(math.exp(alpha + beta_multiplier * beta), alpha, beta, len(days), len(logs), start, end)


def major_event_days(saidi_by_day: Mapping[date, float], t_med: float | None) -> list[date]:
    """Days whose SAIDI exceeds T_MED, in order. No threshold, no major event days."""
    if t_med is None:
        return []
    return sorted(d for d, v in saidi_by_day.items() if v > t_med)


def med_window(period_start: date, available_start: date, years: int = MED_WINDOW_YEARS) -> tuple[date, date]:
    """The days the threshold for a period starting ``period_start`` is fitted on: the ``years``
    years before it, or as many of them as the history holds (a shorter, reported window)."""
    end = period_start - timedelta(days=1)
    day = min(period_start.day, 28) if period_start.month == 2 else period_start.day
    return max(available_start, period_start.replace(year=period_start.year - years, day=day)), end


# -- totals from interruption records (the reference the SQL sums are checked against) ---------------
def totals_from_interruptions(
    interruptions: Iterable[Interruption],
    customers_served: int,
    *,
    exclude_days: Iterable[date] = (),
    cemi_n: int = DEFAULT_CEMI_N,
    celid_t_hours: float = DEFAULT_CELID_T_HOURS,
) -> Totals:
    """An area's totals from its interruption records; ``exclude_days`` (major event days) drop
    every interruption that began on them."""
    skip = set(exclude_days)
    ci = cmi = mi = 0.0
    count: dict[str, int] = defaultdict(int)
    minutes: dict[str, float] = defaultdict(float)
    size: dict[str, int] = {}
    for r in interruptions:
        if r.day in skip:
            continue
        if r.sustained:
            ci += r.customers
            cmi += r.customers * r.minutes
            count[r.group_id] += 1
            minutes[r.group_id] += r.minutes
            size[r.group_id] = r.customers
        else:
            mi += r.customers
    cemi = sum(size[g] for g, k in count.items() if k > cemi_n)
    celid = sum(size[g] for g, m in minutes.items() if m >= celid_t_hours * 60.0)
    return Totals(customers_served, ci, cmi, mi, cemi, celid)


# -- areas, rankings, trends ------------------------------------------------------------------------
@dataclass(frozen=True)
class AreaTotals:
    """One area's totals with all days and with major event days left out."""

    area_id: str
    all: Totals
    excluding_med: Totals
    substation_id: str | None = None

    def report(self) -> dict:
        out = {"customers_served": self.all.customers_served,
               "all": indices(self.all).as_dict(), "excluding_med": indices(self.excluding_med).as_dict()}
        if self.substation_id is not None:
            out["substation_id"] = self.substation_id
        return out


def roll_up(circuits: Iterable[AreaTotals]) -> dict[str, AreaTotals]:
    """Substation totals from their circuits' (every sum is additive)."""
    by_sub: dict[str, list[AreaTotals]] = defaultdict(list)
    for c in circuits:
        by_sub[c.substation_id or ""].append(c)
    out = {}
    for sub, parts in sorted(by_sub.items()):
        all_t = sum((p.all for p in parts[1:]), parts[0].all)
        ex_t = sum((p.excluding_med for p in parts[1:]), parts[0].excluding_med)
        out[sub] = AreaTotals(sub, all_t, ex_t)
    return out


RANK_BY = ("saidi", "saifi", "caidi", "maifi", "cemi_n", "celid_t")


def worst_circuits(circuits: Iterable[AreaTotals], *, by: str = "saidi", limit: int = 10,
                   excluding_med: bool = True) -> list[dict]:
    """The ``limit`` circuits with the highest index ``by`` (day-to-day by default, as
    regulators rank them), worst first; ties by circuit id."""
    if by not in RANK_BY:
        raise ValueError(f"by: one of {', '.join(RANK_BY)}")
    rows = []
    for c in circuits:
        idx = indices(c.excluding_med if excluding_med else c.all)
        value = getattr(idx, by)
        if value is None:
            continue
        rows.append((-value, c.area_id, c))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [{"rank": i + 1, "circuit_id": c.area_id, "value": round(-v, 4), **c.report()}
            for i, (v, _, c) in enumerate(rows[:limit])]


def monthly_trend(days: Sequence[DayTotals], customers_served: int, med_days: Iterable[date]) -> list[dict]:
    """SAIFI, SAIDI, CAIDI and MAIFI per calendar month, with and without major event days."""
    meds = set(med_days)
    months: dict[str, dict] = {}
    for d in days:
        key = f"{d.day.year:04d}-{d.day.month:02d}"
        m = months.setdefault(key, {"all": [0.0, 0.0, 0.0], "ex": [0.0, 0.0, 0.0], "med_days": 0, "days": 0})
        m["days"] += 1
        for bucket in (("all",) if d.day in meds else ("all", "ex")):
            m[bucket][0] += d.ci
            m[bucket][1] += d.cmi
            m[bucket][2] += d.mi
        m["med_days"] += d.day in meds
    out = []
    for key, m in sorted(months.items()):
        row = {"month": key, "days": m["days"], "major_event_days": m["med_days"]}
        for name, src in (("all", m["all"]), ("excluding_med", m["ex"])):
            idx = indices(Totals(customers_served, src[0], src[1], src[2]))
            row[name] = {"saifi": _round(idx.saifi), "saidi": _round(idx.saidi),
                         "caidi": _round(idx.caidi), "maifi": _round(idx.maifi)}
        out.append(row)
    return out


def _round(v: float | None, digits: int = 4) -> float | None:
    return None if v is None else round(v, digits)
