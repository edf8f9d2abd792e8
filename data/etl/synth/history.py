"""Six years of interruption history, calibrated to what large US urban utilities report, for the
IEEE 1366 report (data/reliability/ieee1366.py): the five years the major event day threshold
is fitted on and the reporting year after them.

One row per interruption per service transformer (the customers who shared it), as an outage
management system records customer interruptions. An interruption takes out one transformer, a
fused lateral (a few segments) or the whole feeder; a momentary one (a recloser operating,
under 5 minutes) a lateral or the feeder.

Calibration (targets per customer per year, day to day, i.e. without major event days):
- SAIFI about 1.05 and SAIDI about 105 minutes (CAIDI about 100 minutes). EIA's Electric Power
  Annual, Table 11.1 (Form EIA-861, IEEE 1366 reporters, 2014-2023; checked 2026-12-02): without
  major event days SAIDI 114-131 minutes, SAIFI 1.01-1.09, CAIDI 109-121 minutes; with them SAIDI
  209-506 minutes, SAIFI 1.26-1.44. Day to day is tuned a little below the national average, as
  a dense urban system reports.
- MAIFI about 3 momentary interruptions a year (IEEE's distribution reliability benchmarking
  shows medians of a few a year; also from memory).
- Storms: about five severe thunderstorm days a year, a tropical storm in about one year in
  three, a winter freeze in one in five, and one hurricane in the six years (Houston saw Ike in
  2008, Harvey in 2017 and Beryl in 2024). They multiply the interruption rate and the
  restoration time, and are what the 2.5-beta method finds as major event days.
The rate is set from the grid itself (customers per interruption by device), so each scale
lands on the same per-customer figures.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.etl.synth.common import dict_strings, ids, stream, ts_array, utc_offset_hours
from data.etl.synth.network import Grid
from data.etl.synth.operations import _scope

HISTORY_YEARS = 6
DAY = 86400
TARGET_SAIFI = 0.95
TARGET_MAIFI = 3.0
# device taken out: transformer fuse, lateral fuse (a few segments), feeder breaker
DEVICES = ["transformer", "lateral", "feeder"]
DEVICE_P = np.array([0.74, 0.20, 0.06])
STORM_DEVICE_P = np.array([0.60, 0.28, 0.12])
MEDIAN_MINUTES = np.array([95.0, 80.0, 60.0])  # feeders are switched back fastest
DURATION_SIGMA = 0.85
DAY_SIGMA = 0.35  # day-to-day variation of the rate (weather, load)
CAUSES = ["equipment_failure", "vegetation", "animal", "vehicle", "weather", "lightning", "overload", "unknown"]
CAUSE_P = np.array([0.30, 0.22, 0.17, 0.08, 0.06, 0.04, 0.05, 0.08])
STORM_CAUSE_P = np.array([0.10, 0.38, 0.02, 0.02, 0.35, 0.10, 0.00, 0.03])
# storm type -> (events a year, days, rate multiplier per day (lo, hi), restoration slowdown, months)
STORMS = {
    "thunderstorm": (5.0, 1, (6.0, 20.0), 1.5, (3, 4, 5, 6, 7, 8, 9, 10)),
    "tropical_storm": (0.33, 2, (15.0, 45.0), 2.5, (6, 7, 8, 9, 10)),
    "freeze": (0.2, 3, (10.0, 20.0), 3.0, (12, 1, 2)),
}
HURRICANE_DAYS = (150.0, 60.0, 20.0)  # landfall day, then the two days after
HURRICANE_SLOWDOWN = 4.0
MAX_MINUTES = 60 * 24 * 7


def history_days(as_of_s: int, years: int = HISTORY_YEARS) -> np.ndarray:
    """Local (Houston) calendar days, as days since the epoch: the complete days of the ``years``
    calendar years before as_of's day (leap days included, so five of them are five years)."""
    off = utc_offset_hours(np.array([as_of_s // 3600]))[0]
    today = int((as_of_s + off * 3600) // DAY)
    day = date(1970, 1, 1) + timedelta(days=today)
    first = day.replace(year=day.year - years, day=28 if (day.month, day.day) == (2, 29) else day.day)
    return np.arange((first - date(1970, 1, 1)).days, today, dtype=np.int64)


def _storm_calendar(rng, days: np.ndarray):
    """Per day: rate multiplier, restoration slowdown and storm index (-1: none); and the storms."""
    mult = np.ones(len(days))
    slow = np.ones(len(days))
    storm = np.full(len(days), -1, np.int64)
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    storms = []
    n_years = len(days) / 365.0

    def place(kind: str, start: int, per_day: list[float], slowdown: float) -> None:
        for k, m in enumerate(per_day):
            i = start + k
            if i < len(days) and storm[i] < 0:
                mult[i], slow[i], storm[i] = m, slowdown, len(storms)
        storms.append((kind, int(days[start])))

    # first one hurricane hurricane, in the late summer of a year before the reporting year
    summer = np.flatnonzero(np.isin(months, (8, 9)) & (np.arange(len(days)) < len(days) - 365))
    place("hurricane", int(rng.choice(summer)), list(HURRICANE_DAYS), HURRICANE_SLOWDOWN)
    for kind, (per_year, n_days, (lo, hi), slowdown, allowed) in STORMS.items():
        candidates = np.flatnonzero(np.isin(months, allowed))
        for start in np.sort(rng.choice(candidates, rng.poisson(per_year * n_years))):
            peak = rng.uniform(lo, hi)
            place(kind, int(start), [peak * 0.6 ** k for k in range(n_days)], slowdown)
    return mult, slow, storm, storms


def _mean_customers(rng, grid: Grid, t_p: np.ndarray, kinds: list[int], kind_p: np.ndarray, n: int = 20_000) -> float:
    t = rng.choice(len(t_p), n, p=t_p)
    kind = np.asarray(kinds)[rng.choice(len(kinds), n, p=kind_p)]
    _, _, cust = _scope(grid, t, kind, rng.integers(1, 6, n))
    return float(cust.mean())


def build_outage_history(seed: int, grid: Grid, as_of_s: int, years: int = HISTORY_YEARS) -> pa.Table:
    rng = stream(seed, "outage_history")
    n_t = len(grid.t_kind)
    customers_served = float(grid.t_ncust.sum())
    days = history_days(as_of_s, years)
    mult, slow, storm, storms = _storm_calendar(rng, days)
    # some feeders are worse than others (tree cover, age, exposure): a lasting factor each
    c_factor = rng.lognormal(0.0, 0.6, len(grid.c_ids))
    t_w = c_factor[grid.t_circuit] * (grid.t_ncust > 0)
    t_p = t_w / t_w.sum()

    day_factor = rng.lognormal(0.0, DAY_SIGMA, len(days)) / np.exp(DAY_SIGMA ** 2 / 2)
    per_day_sust = TARGET_SAIFI * customers_served / 365.0 / _mean_customers(rng, grid, t_p, [0, 1, 2], DEVICE_P)
    per_day_mom = TARGET_MAIFI * customers_served / 365.0 / _mean_customers(rng, grid, t_p, [1, 2], np.array([0.6, 0.4]))
    n_sust = rng.poisson(per_day_sust * day_factor * mult)
    n_mom = rng.poisson(per_day_mom * day_factor * np.sqrt(mult))

    day_idx = np.concatenate([np.repeat(np.arange(len(days)), n_sust), np.repeat(np.arange(len(days)), n_mom)])
    momentary = np.concatenate([np.zeros(n_sust.sum(), bool), np.ones(n_mom.sum(), bool)])
    n = len(day_idx)
    in_storm = storm[day_idx] >= 0
    kind = np.where(in_storm, rng.choice(3, n, p=STORM_DEVICE_P), rng.choice(3, n, p=DEVICE_P))
    kind = np.where(momentary, np.where(rng.random(n) < 0.6, 1, 2), kind)
    minutes = np.where(
        momentary,
        rng.uniform(0.2, 4.9, n),
        np.clip(MEDIAN_MINUTES[kind] * slow[day_idx] * rng.lognormal(0.0, DURATION_SIGMA, n), 5.0, MAX_MINUTES),
    )
    # local midnight of each day in UTC, then a start in the day, afternoons busier
    local_midnight = days[day_idx] * DAY
    off = utc_offset_hours((local_midnight // 3600) + 12)
    start = (local_midnight - off * 3600 + np.clip(rng.normal(15.0, 5.0, n), 0.0, 23.99) * 3600).astype(np.int64)
    cause = np.where(in_storm, rng.choice(len(CAUSES), n, p=STORM_CAUSE_P), rng.choice(len(CAUSES), n, p=CAUSE_P))

    t = rng.choice(n_t, n, p=t_p)
    lo, hi, _ = _scope(grid, t, kind, rng.integers(1, 6, n))
    order = np.argsort(start, kind="stable")
    lo, hi, start, minutes, kind, cause, day_idx, momentary = (
        a[order] for a in (lo, hi, start, minutes, kind, cause, day_idx, momentary))
    # one row per transformer in each interruption's scope
    width = hi - lo
    event = np.repeat(np.arange(n), width)
    first = np.repeat(np.cumsum(width) - width, width)
    xfmr = np.repeat(lo, width) + (np.arange(len(event)) - first)
    served = grid.t_ncust[xfmr] > 0
    event, xfmr = event[served], xfmr[served]
    end = start + np.round(minutes * 60).astype(np.int64)
    storm_idx = storm[day_idx]
    storm_ids = ids("STORM-", np.arange(1, len(storms) + 1), 3)
    ev_storm = pc_take_or_null(storm_ids, storm_idx)
    ev_storm_type = pc_take_or_null(pa.array([s[0] for s in storms], pa.string()), storm_idx)
    c = grid.t_circuit[xfmr]
    return pa.table({
        "INTERRUPTION_ID": pc.take(ids("INT-", np.arange(1, n + 1), 7), pa.array(event)),
        "TRANSFORMER_ID": pc.take(grid.t_ids, pa.array(xfmr)),
        "CIRCUIT_ID": dict_strings(grid.c_ids, c),
        "SUBSTATION_ID": dict_strings(grid.sub_ids, grid.c_sub[c]),
        "DEVICE": dict_strings(DEVICES, kind[event]),
        "CAUSE": dict_strings(CAUSES, cause[event]),
        "START_TIME": ts_array(start[event]),
        "END_TIME": ts_array(end[event]),
        "START_DATE": pa.array(days[day_idx[event]].astype(np.int32), pa.int32()).cast(pa.date32()),
        "DURATION_MINUTES": np.round(minutes[event], 2),
        "CUSTOMERS": pa.array(grid.t_ncust[xfmr].astype(np.int64)),
        "MOMENTARY": pa.array(momentary[event]),
        "STORM_ID": pc.take(ev_storm, pa.array(event)),
        "STORM_TYPE": pc.take(ev_storm_type, pa.array(event)),
    })


def pc_take_or_null(values: pa.Array, idx: np.ndarray) -> pa.Array:
    """values[idx], null where idx < 0."""
    return pc.if_else(pa.array(idx >= 0), pc.take(values, pa.array(np.maximum(idx, 0))), pa.scalar(None, values.type))
