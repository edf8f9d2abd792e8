"""The live grid simulator: advances simulated time and returns the rows each table receives.

Readings: every meter reads every 15 minutes, each at its own fixed offset into the interval, so
deliveries are spread evenly (M meters -> M / 900 readings per simulated second). A small share
arrives late (minutes after its interval) and a smaller share twice. Meters on an interrupted
device are silent; they send a last gasp when they lose power and a power restore when they get
it back, both sometimes lost and always a little delayed. Outages start at a rate set by the
weather (and the storm's wind where it passes), on a device chosen by that rate; the lifecycle is
in ``outages.py``. Circuit status every simulated minute, ERCOT every 5 minutes, weather hourly.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.etl.live.model import (
    INTERVAL_S, WeatherModel, demand_now, ercot_point, interval_readings, storm_across,
)
from data.etl.live.network import Network
from data.etl.live.outages import Changes, Outage, OutageBook, pick_cause, pick_device_kind
from data.etl.synth.common import local_hour_of_day, stream

EPOCH = datetime(1970, 1, 1)
MINUTE = 60
# calm outage rate per transformer-hour: the generator's ~38K outages a year on ~76K transformers
RATE_PER_XFMR_HOUR = 5.7e-5
PF = 0.9

AMI_SCHEMA = pa.schema([
    ("METER_ID", pa.string()), ("TRANSFORMER_ID", pa.string()), ("READING_TIME", pa.timestamp("us")),
    ("USAGE_KWH", pa.float64()), ("VOLTAGE", pa.float64()), ("POWER_FACTOR", pa.float64()),
])


def ts(t: float | None) -> str | None:
    """Simulated epoch seconds as a TIMESTAMP_NTZ literal (UTC)."""
    if t is None:
        return None
    return (EPOCH + timedelta(seconds=float(t))).isoformat(sep=" ", timespec="microseconds")


@dataclass
class Emission:
    """Rows produced by one advance: the AMI bronze as Arrow tables, every other table as rows."""

    ami: list[pa.Table] = field(default_factory=list)
    rows: dict[str, list[list]] = field(default_factory=dict)

    def add(self, table: str, row: list) -> None:
        self.rows.setdefault(table, []).append(row)

    @property
    def ami_rows(self) -> int:
        return sum(t.num_rows for t in self.ami)


@dataclass
class SimConfig:
    seed: int = 42
    scenario: str = "calm"  # calm | storm
    outage_rate_per_hour: float | None = None  # territory-wide in calm weather; None: from the network
    late_share: float = 0.01
    duplicate_share: float = 0.005
    last_gasp_loss: float = 0.10
    restore_loss: float = 0.05
    storm_hours: float = 6.0


class Simulator:
    def __init__(self, net: Network, start: float, cfg: SimConfig):
        self.net, self.cfg = net, cfg
        self.t = self.start = float(start)
        self.run_id = uuid.uuid4().hex[:8]
        seed = cfg.seed
        self.rng = stream(seed, "live")
        self.ami_rng = stream(seed, "live_ami")
        m = net.meters
        self.meter_ids = pa.array(net.meter_ids, type=pa.string())
        self.meter_xfmr_ids = pc.take(pa.array(net.xfmr_ids, type=pa.string()), pa.array(net.meter_xfmr))
        offsets = stream(seed, "live_offsets").uniform(0, INTERVAL_S, m)
        self.order = np.argsort(offsets, kind="stable")
        self.offsets = offsets[self.order]
        self.dark = np.zeros(m, dtype=np.int32)  # how many open outages each meter is behind
        self.storm = None
        if cfg.scenario == "storm":
            self.storm = storm_across(net.xfmr_lat, net.xfmr_lon, int(start) + 600, cfg.storm_hours, self.rng)
        self.weather = WeatherModel(stream(seed, "live_weather"), net.last_weather, int(start), self.storm,
                                    (float(np.mean(net.xfmr_lat)), float(np.mean(net.xfmr_lon))))
        self.book = OutageBook(net, stream(seed, "live_outages"), now=self.t)
        # outages open at the start are taken over: their meters stay dark until restored
        for row in net.open_outages:
            o = self.book.adopt(self.t, row)
            if o is not None:
                self.dark[o.meters_out()] += 1
        n_x = len(net.xfmr_ids)
        self.base_rate = cfg.outage_rate_per_hour if cfg.outage_rate_per_hour is not None else RATE_PER_XFMR_HOUR * n_x
        self.later: list[tuple[float, int, str, object]] = []  # (due, seq, table, rows) held back
        self._seq = itertools.count()
        self._event_seq = itertools.count(1)
        self.counts = {"readings_unique": 0, "readings_rows": 0, "meter_events": 0, "outages_started": 0,
                       "outages_restored": 0}
        # circuit loading continues from the status loaded in the warehouse
        n_c = len(net.circuit_ids)
        circuit = net.meter_circuit
        self.meter_circuit = circuit
        model = np.bincount(circuit, weights=demand_now(net.meter_peak_kw, net.meter_kind, int(start),
                                                         self.weather.temp_at(int(start))), minlength=n_c) / 1000
        self.load_scale = np.where((model > 0) & (net.circuit_load_mw > 0), net.circuit_load_mw / np.maximum(model, 1e-9),
                                   0.5 * net.circuit_rated_mva * PF / np.maximum(model, 1e-9))
        self.customers_served = np.bincount(circuit, weights=net.meter_real, minlength=n_c).astype(np.int64)
        self.outage_rows: dict[str, Outage] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def _hold(self, due: float, table: str, rows) -> None:
        heapq.heappush(self.later, (due, next(self._seq), table, rows))

    def _release(self, t1: float, out: Emission) -> None:
        while self.later and self.later[0][0] <= t1:
            _, _, table, rows = heapq.heappop(self.later)
            if table in ("AMI_LATE", "AMI_DUP"):
                out.ami.append(rows)
                self.counts["readings_rows"] += rows.num_rows
                if table == "AMI_LATE":  # a first delivery, only late
                    self.counts["readings_unique"] += rows.num_rows
            else:
                for r in rows:
                    out.add(table, r)

    # -- readings ---------------------------------------------------------------------------------
    def _readings(self, t0: float, t1: float, out: Emission) -> None:
        first_end = int((t0 - INTERVAL_S) // INTERVAL_S * INTERVAL_S)
        for t_end in range(first_end, int(t1) + 1, INTERVAL_S):
            lo = np.searchsorted(self.offsets, t0 - t_end, side="right")
            hi = np.searchsorted(self.offsets, t1 - t_end, side="right")
            # the interval that closed just before the start is still being delivered
            if hi <= lo or t_end <= 0:
                continue
            idx = self.order[lo:hi]
            idx = idx[self.dark[idx] == 0]
            if len(idx) == 0:
                continue
            usage, voltage, pf = interval_readings(self.net.meter_peak_kw[idx], self.net.meter_kind[idx], t_end,
                                                   self.weather.temp_at(t_end), self.ami_rng)
            take = pa.array(idx)
            table = pa.table([
                pc.take(self.meter_ids, take), pc.take(self.meter_xfmr_ids, take),
                pa.array(np.full(len(idx), t_end * 1_000_000, dtype=np.int64), type=pa.timestamp("us")),
                pa.array(usage), pa.array(voltage), pa.array(pf),
            ], schema=AMI_SCHEMA)
            r = self.ami_rng.random(len(idx))
            late = r < self.cfg.late_share
            dup = (r >= self.cfg.late_share) & (r < self.cfg.late_share + self.cfg.duplicate_share)
            if late.any():
                self._hold(t1 + float(self.ami_rng.uniform(300, 3600)), "AMI_LATE",
                           table.filter(pa.array(late)))
                table = table.filter(pa.array(~late))
            if dup.any():
                # sent again minutes later by the head-end (a retry); silver keeps one
                self._hold(t1 + float(self.ami_rng.uniform(120, 1800)), "AMI_DUP",
                           table.filter(pa.array(dup[~late])))
            out.ami.append(table)
            self.counts["readings_rows"] += table.num_rows
            self.counts["readings_unique"] += table.num_rows

    # -- meter events -------------------------------------------------------------------------------
    def _meter_events(self, meters: np.ndarray, t: float, kind: str, loss: float) -> None:
        rng = self.rng
        keep = meters[rng.random(len(meters)) >= loss]
        if len(keep) == 0:
            return
        when = t + rng.uniform(0, 20, len(keep))  # the meter's own clock
        arrive = when + np.minimum(rng.lognormal(2.5, 0.8, len(keep)), 300)  # head-end delay
        net = self.net
        rows = []
        for m, w, a in zip(keep.tolist(), when.tolist(), arrive.tolist()):
            x = int(net.meter_xfmr[m])
            rows.append((a, [f"EV-{self.run_id}-{next(self._event_seq):09d}", net.meter_ids[m], net.xfmr_ids[x],
                             net.circuit_ids[int(net.xfmr_circuit[x])], kind, ts(w)]))
        rows.sort(key=lambda r: r[0])
        # one hold per ~second of arrival, so events come in as they arrive
        for _, grp in itertools.groupby(rows, key=lambda r: int(r[0])):
            grp = list(grp)
            self._hold(grp[0][0], "METER_EVENTS", [g[1] for g in grp])
        self.counts["meter_events"] += len(keep)

    # -- outages ------------------------------------------------------------------------------------
    def _context(self, t: int, storm_wind: float) -> str:
        temp = self.weather.temp_at(t)
        if storm_wind > 25:
            return "storm"
        if temp <= 32:
            return "freeze"
        lh = float(local_hour_of_day(np.array([t]))[0])
        if temp >= 95 and 12 <= lh <= 20:
            return "heat"
        return "calm"

    def outage_weights(self, t: int) -> tuple[float, np.ndarray, np.ndarray]:
        """(territory-wide outages per hour at ``t``, each transformer's relative weight, the storm's
        wind at each transformer): calm rate times wind, heat and freeze factors, times the storm's
        local factor along its track (up to 70x at the eye, the generator's hurricane rate)."""
        net = self.net
        obs = self.weather.observe(t - t % 3600)
        temp, wind = obs[1], obs[3]
        mult = 1.0 + (wind / 30.0) ** 3
        if temp >= 95:
            mult *= 1.8
        if temp <= 32:
            mult *= 16.0
        weights = np.ones(len(net.xfmr_ids))
        storm_w = np.zeros(len(net.xfmr_ids))
        if self.storm is not None:
            storm_w = self.storm.wind_at(t, net.xfmr_lat, net.xfmr_lon)
            weights = weights + 70.0 * (storm_w / self.storm.max_wind_mph) ** 2
        return self.base_rate * mult * float(weights.mean()), weights, storm_w

    def _start_outages(self, t: int, ch: Changes) -> None:
        net, rng = self.net, self.rng
        per_hour, weights, storm_w = self.outage_weights(t)
        lam = per_hour * MINUTE / 3600
        for _ in range(int(rng.poisson(lam))):
            x = int(rng.choice(len(weights), p=weights / weights.sum()))
            cause = pick_cause(rng, self._context(t, float(storm_w[x])))
            kind = pick_device_kind(rng, cause)
            device = x
            if kind == "feeder_segment":
                device = int(net.xfmr_segment[x])
                if device < 0:
                    kind, device = "transformer", x
            elif kind == "circuit_breaker":
                device = int(net.xfmr_circuit[x])
            wx = self.storm.event_id if self.storm is not None and storm_w[x] > 25 else None
            o = self.book.start(float(t) + float(rng.uniform(0, MINUTE)), kind, device, cause,
                                weather_event_id=wx, changes=ch)
            if o is not None:
                self.counts["outages_started"] += 1

    def _outage_row(self, o: Outage) -> list:
        net = self.net
        return [o.outage_id, o.transformer_id, net.circuit_ids[o.circuit], net.circuit_sub[o.circuit], o.cause,
                o.severity, o.priority, ts(o.start), ts(o.end),
                None if o.end is None else round((o.end - o.start) / 60, 1), o.customers, o.transformers,
                o.lat, o.lon, o.county, o.phase, ts(o.etr), 1 if o.crew is not None else 0, o.weather_event_id]

    def _work_order_row(self, o: Outage) -> list:
        net = self.net
        status = {"reported": "open", "en_route": "assigned", "on_site": "in_progress", "restoring": "in_progress",
                  "restored": "completed"}[o.phase]
        hours = 0.0 if o.end is None else round((o.end - o.depart_at) / 3600, 2)
        return [o.work_order_id, o.device_id, o.device_kind, net.circuit_sub[o.circuit], net.circuit_ids[o.circuit],
                o.outage_id, "outage_restoration", o.priority, status,
                o.crew.crew_id if o.crew is not None else None, ts(o.start),
                ts(o.depart_at) if o.crew is not None else None, ts(o.start + 86400), ts(o.end),
                round(500 + 40 * o.customers ** 0.5 + 200 * o.transformers, 2), hours, o.lat, o.lon,
                f"Restore service after {o.cause.replace('_', ' ')} on {o.device_kind.replace('_', ' ')} {o.device_id}"]

    def _apply(self, ch: Changes, out: Emission) -> None:
        for meters, t, _ in ch.dark:
            self.dark[meters] += 1
            self._meter_events(meters, t, "last_gasp", self.cfg.last_gasp_loss)
        for meters, t, _ in ch.lit:
            self.dark[meters] -= 1
            self._meter_events(meters, t, "power_restore", self.cfg.restore_loss)
        for o in ch.outages.values():
            out.add("OUTAGE_EVENTS", self._outage_row(o))
            out.add("WORK_ORDERS", self._work_order_row(o))
            if o.phase == "restored":
                self.counts["outages_restored"] += 1
        for c in ch.crews.values():
            out.add("CREWS", [c.crew_id, c.status, round(c.lat, 6), round(c.lon, 6), c.work_order_id])

    def _circuit_status(self, t: int, out: Emission) -> None:
        net = self.net
        n_c = len(net.circuit_ids)
        lit = self.dark == 0
        kw = demand_now(net.meter_peak_kw, net.meter_kind, t, self.weather.temp_at(t))
        load_mw = np.bincount(self.meter_circuit, weights=kw * lit, minlength=n_c) / 1000 * self.load_scale
        pct = np.round(np.clip(100 * load_mw / np.maximum(net.circuit_rated_mva * PF, 1e-9), 0, 150), 1)
        out_c = np.bincount(self.meter_circuit, weights=(~lit) & net.meter_real, minlength=n_c).astype(np.int64)
        health = net.circuit_health
        status = np.where((pct > 85) | (health < 50), "critical",
                          np.where(out_c > 0, "outage", np.where((pct > 70) | (health < 70), "warning", "normal")))
        for i in range(n_c):
            out.add("CIRCUIT_STATUS_REALTIME", [net.circuit_ids[i], net.circuit_sub[i], float(pct[i]),
                                                round(float(load_mw[i]), 3), float(health[i]),
                                                int(self.customers_served[i]), int(out_c[i]), str(status[i])])

    # -- the clock --------------------------------------------------------------------------------------
    def prime(self) -> Emission:
        """The rows due at the very start: the current hour's weather, ERCOT interval and status."""
        out = Emission()
        t = int(self.t)
        self._weather_row(t - t % 3600, out)
        self._ercot_row(t - t % 300, out)
        self._circuit_status(t, out)
        return out

    def _weather_row(self, hour: int, out: Emission) -> None:
        h, temp, hum, wind, gust, precip, cond = self.weather.observe(hour)
        out.add("HOUSTON_WEATHER_HOURLY", [ts(h), temp, hum, wind, gust, precip, cond])

    def _ercot_row(self, t: int, out: Emission) -> None:
        lmp, system, houston = ercot_point(t, self.weather.temp_at(t), self.rng)
        out.add("ERCOT_PRICES_5MIN", [ts(t), "LZ_HOUSTON", lmp, system, houston])

    def advance(self, t1: float) -> Emission:
        """Everything that happens in (self.t, t1]."""
        out = Emission()
        t0 = self.t
        if t1 <= t0:
            return out
        # readings up to each minute boundary, then that minute's events, so a meter goes
        # silent from the minute its device fails
        a = t0
        for minute in range(int(t0 // MINUTE + 1) * MINUTE, int(t1) + 1, MINUTE):
            self._readings(a, minute, out)
            a = minute
            ch = Changes()
            if minute % 3600 == 0:
                self._weather_row(minute, out)
            if minute % 300 == 0:
                self._ercot_row(minute, out)
            self._start_outages(minute, ch)
            self.book.step(minute, ch)
            self.book.moving(minute, ch)
            self._apply(ch, out)
            self._circuit_status(minute, out)
        self._readings(a, t1, out)
        self._release(t1, out)
        self.t = t1
        return out

    def active_outages(self) -> int:
        return len(self.book.active)
