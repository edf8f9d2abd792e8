"""Houston weather (hourly, with 31 named events), the customer load model, and ERCOT prices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data.etl.synth.common import (
    dict_strings,
    ids,
    local_day_of_year,
    local_hour_of_day,
    local_month,
    stream,
    ts_array,
)
from data.etl.synth.vocab import STORM_NAMES

HOUR = 3600
YEAR_HOURS = 366 * 24
WEATHER_TABLE_HOURS = 4392  # ~half a year of hours: the original's 4.4K rows

# event type -> (count, allowed local months, duration hours (lo, hi), max wind (lo, hi), rain in/h)
EVENT_TYPES = {
    "hurricane": (1, (7, 8, 9, 10), (36, 60), (85, 110), 0.9),
    "tropical_storm": (3, (6, 7, 8, 9, 10), (20, 40), (40, 70), 0.5),
    "thunderstorm": (16, (3, 4, 5, 6, 7, 8, 9, 10), (3, 9), (35, 60), 0.6),
    "heat_wave": (5, (6, 7, 8, 9), (72, 168), (8, 15), 0.0),
    "freeze": (2, (12, 1, 2), (24, 60), (15, 25), 0.0),
    "flood": (4, (4, 5, 6, 9, 10, 11), (12, 36), (20, 35), 0.8),
}
SEVERITIES = {
    "hurricane": ["extreme"],
    "tropical_storm": ["severe"],
    "thunderstorm": ["moderate", "moderate", "severe"],
    "heat_wave": ["moderate", "severe", "extreme"],
    "freeze": ["severe", "extreme"],
    "flood": ["moderate", "severe"],
}
AREAS = [
    "Houston metro", "Harris County", "Harris and Fort Bend counties", "Southeast Harris County",
    "Northwest Harris County", "Harris, Galveston and Brazoria counties", "Montgomery County",
    "Fort Bend County", "Greater Houston and the Gulf Coast",
]


@dataclass
class Weather:
    """Hourly weather for the year before as_of, plus the events that shaped it."""

    hours: np.ndarray  # epoch seconds at the top of each UTC hour, ascending
    temp_f: np.ndarray
    humidity: np.ndarray
    wind: np.ndarray
    gust: np.ndarray
    precip: np.ndarray
    conditions: np.ndarray  # index into CONDITIONS
    event_idx: np.ndarray  # -1, or the index of the active event
    events: dict  # column arrays of WEATHER_EVENTS

    def temp_at(self, epoch_s: np.ndarray) -> np.ndarray:
        """Temperature interpolated between hourly observations."""
        return np.interp(np.asarray(epoch_s, dtype=np.float64), self.hours.astype(np.float64), self.temp_f)


CONDITIONS = ["clear", "partly_cloudy", "cloudy", "rain", "thunderstorm", "fog", "windy", "freezing"]


def _place_events(rng: np.random.Generator, hours: np.ndarray, months: np.ndarray) -> list[tuple]:
    taken = np.zeros(len(hours), dtype=bool)
    placed = []
    storm_names = list(rng.permutation(STORM_NAMES))
    for etype, (count, allowed, (dlo, dhi), (wlo, whi), rain) in EVENT_TYPES.items():
        for _ in range(count):
            dur = int(rng.integers(dlo, dhi + 1))
            # a start whose whole span is free (events never overlap)
            busy = np.concatenate([np.cumsum(taken), [taken.sum()] * dur])
            free = (busy[dur : dur + len(hours)] - busy[: len(hours)]) == 0
            free[len(hours) - dur - 1 :] = False
            ok = np.flatnonzero(np.isin(months, allowed) & free)
            if len(ok) == 0:  # the allowed season is missing from the window: any free span
                ok = np.flatnonzero(free)
            start = int(rng.choice(ok))
            taken[max(0, start - 24) : start + dur + 24] = True
            wind = float(rng.uniform(wlo, whi))
            placed.append((etype, start, dur, wind, rain))
    placed.sort(key=lambda e: e[1])
    names = []
    for etype, start, *_ in placed:
        if etype in ("hurricane", "tropical_storm"):
            names.append(("Hurricane " if etype == "hurricane" else "Tropical Storm ") + storm_names.pop())
        else:
            names.append(None)
    return [p + (n,) for p, n in zip(placed, names)]


def build_weather(seed: int, as_of_s: int) -> Weather:
    rng = stream(seed, "weather")
    end_h = as_of_s - as_of_s % HOUR
    hours = end_h - HOUR * np.arange(YEAR_HOURS - 1, -1, -1, dtype=np.int64)
    n = len(hours)
    lh = local_hour_of_day(hours)
    doy = local_day_of_year(hours)
    months = local_month(hours)

    seasonal = 69.5 - 15.5 * np.cos(2 * np.pi * (doy - 15) / 365.25)
    amplitude = 8.0 + 1.5 * np.sin(2 * np.pi * (doy - 100) / 365.25)
    diurnal = np.cos(2 * np.pi * (lh - 15.0) / 24.0)
    # synoptic swings: a daily AR(1) anomaly, larger in winter (fronts) than in summer
    days = n // 24 + 2
    anom = np.zeros(days)
    shocks = rng.normal(0, 1, days)
    for d in range(1, days):
        anom[d] = 0.7 * anom[d - 1] + shocks[d]
    winter = 0.5 + 0.5 * np.cos(2 * np.pi * (doy - 15) / 365.25)
    daily_anom = np.interp(np.arange(n) / 24.0, np.arange(days), anom) * (2.0 + 4.5 * winter)
    temp = seasonal + amplitude * diurnal + daily_anom + rng.normal(0, 0.8, n)

    humidity = 74 - 16 * diurnal + rng.normal(0, 5, n)
    daytime = np.clip(np.sin(np.pi * (lh - 7) / 12), 0, None)
    wind = np.clip(rng.gamma(4.0, 1.6, n) + 4.0 * daytime, 0, None)
    gust = wind * rng.uniform(1.2, 1.7, n)
    summer_pm = (np.isin(months, (5, 6, 7, 8, 9))) & (lh >= 13) & (lh <= 19)
    showers = rng.random(n) < np.where(summer_pm, 0.06, 0.02)
    precip = np.where(showers, rng.exponential(0.12, n), 0.0)

    event_idx = np.full(n, -1, dtype=np.int64)
    events = _place_events(rng, hours, months)
    ev_rows = {k: [] for k in ("type", "name", "start", "end", "severity", "wind", "precip", "area")}
    for i, (etype, start, dur, max_wind, rain, name) in enumerate(events):
        sl = slice(start, min(n, start + dur))
        k = sl.stop - sl.start
        event_idx[sl] = i
        bell = np.sin(np.pi * (np.arange(k) + 0.5) / k)  # builds up, peaks, passes
        if etype == "heat_wave":
            temp[sl] += 5.0 + 3.0 * bell
            humidity[sl] -= 5
        elif etype == "freeze":
            temp[sl] = np.minimum(temp[sl], 24.0 + 6.0 * (1 - bell) + rng.normal(0, 1.5, k))
            wind[sl] = np.maximum(wind[sl], max_wind * (0.5 + 0.5 * bell))
        else:
            wind[sl] = np.maximum(wind[sl], max_wind * (0.35 + 0.65 * bell) * rng.uniform(0.85, 1.0, k))
            precip[sl] = np.maximum(precip[sl], rain * bell * rng.uniform(0.3, 1.4, k))
            temp[sl] -= 6.0 * bell
            humidity[sl] = np.maximum(humidity[sl], 92)
        gust[sl] = np.maximum(gust[sl], wind[sl] * rng.uniform(1.3, 1.6, k))
        ev_rows["type"].append(etype)
        ev_rows["name"].append(name or f"{etype.replace('_', ' ').title()} {_date(hours[start])}")
        ev_rows["start"].append(hours[start])
        ev_rows["end"].append(hours[min(n - 1, start + dur)])
        ev_rows["severity"].append(str(rng.choice(SEVERITIES[etype])))
        ev_rows["wind"].append(round(float(wind[sl].max()), 1))
        ev_rows["precip"].append(round(float(precip[sl].sum()), 2))
        ev_rows["area"].append(str(rng.choice(AREAS)))

    humidity = np.clip(np.where(precip > 0, np.maximum(humidity, 88), humidity), 25, 100)
    cloud = rng.random(n)
    cond = np.where(cloud < 0.45, 0, np.where(cloud < 0.8, 1, 2))
    cond = np.where((humidity > 96) & (wind < 4) & (daytime == 0), 5, cond)
    cond = np.where(wind > 30, 6, cond)
    cond = np.where(precip > 0, 3, cond)
    stormy = np.isin(event_idx, [i for i, e in enumerate(events) if e[0] != "heat_wave" and e[0] != "freeze"])
    cond = np.where((precip > 0.25) & (stormy | summer_pm), 4, cond)
    cond = np.where(temp <= 32, 7, cond)

    return Weather(
        hours=hours, temp_f=np.round(temp, 1), humidity=np.round(humidity, 1), wind=np.round(wind, 1),
        gust=np.round(gust, 1), precip=np.round(precip, 2), conditions=cond, event_idx=event_idx,
        events=ev_rows,
    )


def _date(epoch_s: int) -> str:
    return str(np.datetime64(int(epoch_s), "s").astype("datetime64[D]"))


def weather_tables(w: Weather) -> dict[str, pa.Table]:
    sl = slice(len(w.hours) - WEATHER_TABLE_HOURS, len(w.hours))
    hourly = pa.table({
        "TIMESTAMP_UTC": ts_array(w.hours[sl]),
        "TEMP_F": w.temp_f[sl],
        "HUMIDITY_PCT": w.humidity[sl],
        "WIND_SPEED_MPH": w.wind[sl],
        "WIND_GUST_MPH": w.gust[sl],
        "PRECIPITATION_INCHES": w.precip[sl],
        "CONDITIONS": dict_strings(CONDITIONS, w.conditions[sl]),
    })
    e = w.events
    n = len(e["type"])
    events = pa.table({
        "EVENT_ID": ids("WX-", np.arange(1, n + 1), 3),
        "EVENT_TYPE": pa.array(e["type"]),
        "EVENT_NAME": pa.array(e["name"]),
        "START_TIME": ts_array(np.array(e["start"])),
        "END_TIME": ts_array(np.array(e["end"])),
        "SEVERITY": pa.array(e["severity"]),
        "MAX_WIND_MPH": pa.array(e["wind"], type=pa.float64()),
        "PRECIPITATION_INCHES": pa.array(e["precip"], type=pa.float64()),
        "AFFECTED_AREA": pa.array(e["area"]),
    })
    return {"HOUSTON_WEATHER_HOURLY": hourly, "WEATHER_EVENTS": events}


# -- Customer load model ---------------------------------------------------------------------------
SEGMENTS = ["residential", "commercial", "industrial"]
_RES = np.array([0.34, 0.30, 0.28, 0.27, 0.27, 0.30, 0.40, 0.50, 0.46, 0.42, 0.42, 0.45,
                 0.50, 0.56, 0.64, 0.74, 0.86, 0.96, 1.00, 0.97, 0.88, 0.74, 0.58, 0.44])
_COM = np.array([0.35, 0.33, 0.32, 0.32, 0.33, 0.38, 0.50, 0.70, 0.86, 0.93, 0.97, 1.00,
                 1.00, 1.00, 0.99, 0.97, 0.92, 0.80, 0.62, 0.50, 0.44, 0.40, 0.38, 0.36])
_IND = np.array([0.82, 0.80, 0.80, 0.80, 0.81, 0.84, 0.90, 0.95, 0.98, 1.00, 1.00, 1.00,
                 1.00, 1.00, 1.00, 1.00, 0.99, 0.96, 0.92, 0.89, 0.87, 0.85, 0.84, 0.83])
SHAPES = np.stack([_RES, _COM, _IND])
DESIGN_TEMP_F = 98.0  # design peak: a 98 °F late afternoon


def daily_shape(local_hour: np.ndarray, segment: np.ndarray | int) -> np.ndarray:
    """Relative demand (1.0 = daily peak) by local hour, interpolated between hourly points."""
    h0 = np.floor(local_hour).astype(np.int64) % 24
    frac = local_hour - np.floor(local_hour)
    return SHAPES[segment, h0] * (1 - frac) + SHAPES[segment, (h0 + 1) % 24] * frac


def temp_factor(temp_f: np.ndarray, segment: np.ndarray | int) -> np.ndarray:
    """Air-conditioning above 70 °F and electric heat below 52 °F; industry barely cares."""
    sens = np.array([1.0, 0.6, 0.15])[segment]
    cool = 0.035 * np.clip(temp_f - 70.0, 0, None)
    heat = 0.022 * np.clip(52.0 - temp_f, 0, None)
    design = 0.035 * (DESIGN_TEMP_F - 70.0)
    return (1.0 + sens * (cool + heat)) / (1.0 + sens * design)


def relative_demand(local_hour: np.ndarray, temp_f: np.ndarray, segment) -> np.ndarray:
    """Demand as a fraction of the design peak (can exceed 1 on extreme days)."""
    return daily_shape(local_hour, segment) * temp_factor(temp_f, segment)


# -- ERCOT ----------------------------------------------------------------------------------------
def ercot_prices(seed: int, w: Weather, start_s: int, end_s: int) -> pa.Table:
    rng = stream(seed, "ercot")
    start_s -= start_s % 300
    t = np.arange(start_s, end_s + 1, 300, dtype=np.int64)
    n = len(t)
    temp = w.temp_at(t)
    lh = local_hour_of_day(t)
    shape = daily_shape(lh, 0) * 0.6 + daily_shape(lh, 1) * 0.4
    system = 30000 + 24000 * shape + 850 * np.clip(temp - 68, 0, None) + 650 * np.clip(50 - temp, 0, None)
    system = system + rng.normal(0, 600, n)
    houston = system * (0.235 + 0.01 * np.sin(2 * np.pi * lh / 24)) + rng.normal(0, 80, n)
    tightness = np.clip(system / 80000.0, 0, None)
    lmp = 16 + 42 * tightness**6 + rng.normal(0, 3.5, n)
    hot_pm = (temp >= 95) & (lh >= 14) & (lh <= 19)
    spike = hot_pm & (rng.random(n) < 0.12)
    lmp = np.where(spike, rng.uniform(250, 3500, n), lmp)
    night_wind = (lh < 5) & (rng.random(n) < 0.03)
    lmp = np.where(night_wind, rng.uniform(-15, 0, n), lmp)
    return pa.table({
        "INTERVAL_START": ts_array(t),
        "SETTLEMENT_POINT": dict_strings(["LZ_HOUSTON"], np.zeros(n, dtype=np.int32)),
        "LMP_USD_MWH": np.round(lmp, 2),
        "SYSTEM_LOAD_MW": np.round(system, 1),
        "HOUSTON_LOAD_MW": np.round(houston, 1),
    })
