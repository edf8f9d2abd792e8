"""The pure physics of the feed: interval readings, hourly weather, ERCOT prices and the storm
track. No I/O; every random draw comes from a generator the caller seeds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from data.etl.synth.climate import daily_shape, relative_demand
from data.etl.synth.common import local_day_of_year, local_hour_of_day

INTERVAL_S = 900
HOUR = 3600
NOMINAL_V = np.array([240.0, 208.0, 480.0])
BASE_PF = np.array([0.97, 0.93, 0.89])


def interval_readings(peak_kw: np.ndarray, kind: np.ndarray, t_end: int, temp_f: float,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(usage kWh, voltage, power factor) of one 15-minute interval ending at ``t_end`` for the
    given meters: the segment's daily shape at the interval's middle, scaled by temperature."""
    mid = np.array([t_end - INTERVAL_S // 2])
    lh = local_hour_of_day(mid)
    rel_by_kind = np.array([relative_demand(lh, np.array([temp_f]), k)[0] for k in range(3)])
    rel = rel_by_kind[kind]
    n = len(kind)
    kw = peak_kw * rel * rng.lognormal(-0.03, 0.25, n)
    usage = np.round(kw * 0.25, 4)
    nominal = NOMINAL_V[kind]
    voltage = np.round(nominal * (1.025 - 0.03 * np.clip(rel, 0, 1.5)) + rng.normal(0, 1, n) * nominal * 0.005, 1)
    pf = np.round(np.clip(BASE_PF[kind] - 0.03 * rel + rng.normal(0, 0.01, n), 0.7, 1.0), 3)
    return usage, voltage, pf


def demand_now(peak_kw: np.ndarray, kind: np.ndarray, t: int, temp_f: float) -> np.ndarray:
    """Each meter's expected demand in kW at ``t`` (no noise): for circuit loading."""
    lh = local_hour_of_day(np.array([t]))
    rel_by_kind = np.array([relative_demand(lh, np.array([temp_f]), k)[0] for k in range(3)])
    return peak_kw * rel_by_kind[kind]


def seasonal_temp(t: int) -> float:
    """The climatological Houston temperature at ``t`` (the generator's seasonal + diurnal terms)."""
    arr = np.array([t])
    doy = local_day_of_year(arr)[0]
    lh = local_hour_of_day(arr)[0]
    seasonal = 69.5 - 15.5 * math.cos(2 * math.pi * (doy - 15) / 365.25)
    amplitude = 8.0 + 1.5 * math.sin(2 * math.pi * (doy - 100) / 365.25)
    return seasonal + amplitude * math.cos(2 * math.pi * (lh - 15.0) / 24.0)


@dataclass
class StormTrack:
    """A storm crossing the territory in a straight line: its eye moves from ``start`` to ``end``
    over [t0, t1], and its wind falls off with distance from the eye (Gaussian, ``radius_km``)."""

    t0: int
    t1: int
    start: tuple[float, float]  # (lat, lon)
    end: tuple[float, float]
    max_wind_mph: float = 85.0
    radius_km: float = 35.0
    event_id: str = "WX-LIVE"

    def eye(self, t: float) -> tuple[float, float] | None:
        if t < self.t0 or t > self.t1:
            return None
        f = (t - self.t0) / max(1, self.t1 - self.t0)
        return (self.start[0] + f * (self.end[0] - self.start[0]), self.start[1] + f * (self.end[1] - self.start[1]))

    def wind_at(self, t: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Sustained wind (mph) the storm adds at each point; zeros outside its lifetime."""
        eye = self.eye(t)
        if eye is None:
            return np.zeros(np.shape(lat))
        d = haversine_km(eye[0], eye[1], lat, lon)
        # builds up and dies down over the storm's life
        life = math.sin(math.pi * (t - self.t0) / max(1, self.t1 - self.t0))
        return self.max_wind_mph * (0.4 + 0.6 * life) * np.exp(-((d / self.radius_km) ** 2))


def storm_across(lat: np.ndarray, lon: np.ndarray, t0: int, hours: float, rng: np.random.Generator) -> StormTrack:
    """A track from the territory's south-west edge to its north-east edge (the usual Gulf path)."""
    la0, la1, lo0, lo1 = float(lat.min()), float(lat.max()), float(lon.min()), float(lon.max())
    jitter = rng.uniform(-0.25, 0.25, 2)
    start = (la0 + (la1 - la0) * (0.1 + 0.3 * (0.5 + jitter[0])), lo0 - 0.1)
    end = (la1 + 0.1, lo0 + (lo1 - lo0) * (0.6 + 0.3 * (0.5 + jitter[1])))
    return StormTrack(t0, t0 + int(hours * HOUR), start, end)


def haversine_km(lat0, lon0, lat1, lon1):
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dp, dl = p1 - p0, np.radians(np.asarray(lon1) - lon0)
    a = np.sin(dp / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


class WeatherModel:
    """Hourly Houston weather from the last observation in the warehouse onward: climatology plus
    an anomaly that decays (AR(1)), with the storm's wind and rain over the territory's centre."""

    def __init__(self, rng: np.random.Generator, last: tuple | None, now: int,
                 storm: StormTrack | None = None, centre: tuple[float, float] = (29.76, -95.37)):
        self.rng = rng
        self.storm = storm
        self.centre = centre
        hour = now - now % HOUR
        if last is not None:
            t_last = int((last[0] - datetime(1970, 1, 1)).total_seconds())
            self.anomaly = float(last[1]) - seasonal_temp(t_last)
            self.humidity, self.wind = float(last[2]), float(last[3])
        else:
            self.anomaly, self.humidity, self.wind = 0.0, 72.0, 8.0
        self.hours: dict[int, tuple] = {}
        self._next = hour
        self.observe(hour)

    def observe(self, hour: int) -> tuple:
        """The observation for the UTC hour starting at ``hour`` (generated in order, kept)."""
        while self._next <= hour:
            h = self._next
            self.anomaly = 0.92 * self.anomaly + self.rng.normal(0, 0.6)
            temp = seasonal_temp(h) + self.anomaly
            lh = local_hour_of_day(np.array([h]))[0]
            daytime = max(0.0, math.sin(math.pi * (lh - 7) / 12))
            wind = max(0.0, 0.7 * self.wind + 0.3 * (self.rng.gamma(4.0, 1.6) + 4.0 * daytime))
            self.wind = wind
            precip = float(self.rng.exponential(0.12)) if self.rng.random() < 0.03 else 0.0
            if self.storm is not None:
                sw = float(self.storm.wind_at(h, np.array([self.centre[0]]), np.array([self.centre[1]]))[0])
                if sw > 0:
                    wind = max(wind, sw)
                    precip = max(precip, 0.02 * sw * self.rng.uniform(0.3, 1.2))
                    temp -= min(6.0, sw / 12)
            diurnal = math.cos(2 * math.pi * (lh - 15.0) / 24.0)
            humidity = float(np.clip(74 - 16 * diurnal + self.rng.normal(0, 4) + (15 if precip > 0 else 0), 25, 100))
            gust = wind * self.rng.uniform(1.25, 1.65)
            cond = "clear" if humidity < 65 else ("partly_cloudy" if humidity < 80 else "cloudy")
            if wind > 30:
                cond = "windy"
            if precip > 0:
                cond = "thunderstorm" if precip > 0.25 else "rain"
            if temp <= 32:
                cond = "freezing"
            self.hours[h] = (h, round(temp, 1), round(humidity, 1), round(wind, 1), round(gust, 1), round(precip, 2), cond)
            self._next += HOUR
        return self.hours[hour - hour % HOUR]

    def temp_at(self, t: int) -> float:
        h = t - t % HOUR
        a, b = self.observe(h)[1], self.observe(h + HOUR)[1]
        return a + (b - a) * (t - h) / HOUR


def ercot_point(t: int, temp_f: float, rng: np.random.Generator) -> tuple[float, float, float]:
    """(LMP $/MWh, ERCOT system load MW, Houston load MW) for the 5-minute interval at ``t``:
    the generator's price model (data/etl/synth/climate.py ercot_prices) for one interval."""
    lh = local_hour_of_day(np.array([t]))
    shape = float(daily_shape(lh, 0)[0] * 0.6 + daily_shape(lh, 1)[0] * 0.4)
    system = 30000 + 24000 * shape + 850 * max(temp_f - 68, 0) + 650 * max(50 - temp_f, 0) + rng.normal(0, 600)
    houston = system * (0.235 + 0.01 * math.sin(2 * math.pi * float(lh[0]) / 24)) + rng.normal(0, 80)
    lmp = 16 + 42 * max(system / 80000.0, 0) ** 6 + rng.normal(0, 3.5)
    if temp_f >= 95 and 14 <= lh[0] <= 19 and rng.random() < 0.12:
        lmp = rng.uniform(250, 3500)
    return round(float(lmp), 2), round(float(system), 1), round(float(houston), 1)
