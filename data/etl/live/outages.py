"""The outage lifecycle, as a pure state machine over simulated time.

An outage starts on a real device (a transformer, a feeder segment and everything fed through it,
or a circuit's breaker), so the meters out are exactly those downstream of it. It is reported, a
crew is dispatched (the nearest one free, of the right kind) and drives there at road speed,
repairs, and restores the customers in one to three stages (a section picked up through a tie
switch first, the faulted section last). The estimated restoration time is revised at each step.

``OutageBook.step(now)`` runs every transition due by ``now`` at the time it was due (so a large
fast-forward step gives the same history as many small ones) and returns what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from data.etl.live.model import haversine_km
from data.etl.live.network import Crew, Network
from data.etl.synth.operations import CAUSE_P, CAUSES, MEDIAN_MIN

PHASES = ("reported", "en_route", "on_site", "restoring", "restored")
LEVELS = ("low", "medium", "high", "critical")
ROAD_FACTOR = 1.35  # road distance over straight-line distance
DEVICE_KINDS = ("transformer", "feeder_segment", "circuit_breaker")
# device kind by cause: storms and trees take out sections, animals and failures single units
DEVICE_P = {
    "vegetation": (0.35, 0.60, 0.05), "equipment_failure": (0.75, 0.20, 0.05), "weather": (0.30, 0.62, 0.08),
    "animal": (0.80, 0.18, 0.02), "vehicle": (0.30, 0.60, 0.10), "overload": (0.85, 0.13, 0.02),
    "lightning": (0.45, 0.45, 0.10), "unknown": (0.60, 0.35, 0.05),
}
CONTEXTS = ("calm", "storm", "heat", "freeze")


def pick_cause(rng: np.random.Generator, context: str) -> str:
    return CAUSES[int(rng.choice(len(CAUSES), p=CAUSE_P[CONTEXTS.index(context)]))]


def pick_device_kind(rng: np.random.Generator, cause: str) -> str:
    return DEVICE_KINDS[int(rng.choice(3, p=DEVICE_P[cause]))]


def level(customers: int) -> str:
    return LEVELS[int(np.digitize(customers, [40, 400, 2000]))]


@dataclass
class Outage:
    outage_id: str
    work_order_id: str
    device_kind: str
    device_id: str
    transformer_id: str
    circuit: int
    cause: str
    start: float
    lat: float
    lon: float
    county: str | None
    stages: list[np.ndarray]  # meter indices per restoration stage, in restoration order
    customers: int  # real customers out at the start (synthetic extra meters are not customers)
    transformers: int
    weather_event_id: str | None = None
    phase: str = "reported"
    etr: float = 0.0
    next_at: float = 0.0
    crew: Crew | None = None
    restored_stages: int = 0
    end: float | None = None
    # the crew's trip
    depart_at: float = 0.0
    arrive_at: float = 0.0
    depart_from: tuple[float, float] = (0.0, 0.0)
    history: list[tuple[float, str]] = field(default_factory=list)

    @property
    def severity(self) -> str:
        return level(self.customers)

    @property
    def priority(self) -> str:
        return LEVELS[min(3, LEVELS.index(self.severity) + (1 if self.cause in ("vehicle", "weather") else 0))]

    def meters_out(self) -> np.ndarray:
        left = self.stages[self.restored_stages:]
        return np.concatenate(left) if left else np.empty(0, dtype=np.int64)


@dataclass
class Changes:
    """What one step changed: the latest state of each outage and crew touched, and the meters
    that lost or regained power (with when)."""

    outages: dict[str, Outage] = field(default_factory=dict)
    crews: dict[str, Crew] = field(default_factory=dict)
    dark: list[tuple[np.ndarray, float, Outage]] = field(default_factory=list)
    lit: list[tuple[np.ndarray, float, Outage]] = field(default_factory=list)


class OutageBook:
    def __init__(self, net: Network, rng: np.random.Generator, *, road_kmh: float = 45.0, now: float = 0.0):
        self.net = net
        self.rng = rng
        self.road_kmh = road_kmh
        self.active: dict[str, Outage] = {}
        self.restored: list[Outage] = []
        self.crews = net.crews
        # crews busy with work from before the feed free up over the next hours
        for c in self.crews:
            if c.status not in ("available", "off_shift"):
                c.busy_until = now + float(rng.uniform(600, 2 * 3600))

    # -- scope -------------------------------------------------------------------------------
    def scope(self, kind: str, device: int) -> tuple[str, np.ndarray, list[np.ndarray]]:
        """(device id, transformers out, meter indices per stage) for a device of ``kind``."""
        net = self.net
        if kind == "transformer":
            xf = np.array([device])
            return net.xfmr_ids[device], xf, [net.meters_on(xf)]
        if kind == "feeder_segment":
            segs = net.segments_downstream(device)
            xf_groups = [net.transformers_on_segments([s]) for s in segs]
            device_id = net.seg_ids[device]
        else:
            segs = [s for s in range(len(net.seg_ids)) if net.seg_circuit[s] == device]
            xf_groups = [net.transformers_on_segments([s]) for s in segs]
            device_id = net.circuit_ids[device]
        xf = np.concatenate(xf_groups) if xf_groups else np.empty(0, dtype=np.int64)
        n_stages = 1 if len(xf) <= 2 else int(self.rng.choice([1, 2, 3], p=[0.4, 0.4, 0.2]))
        # the far end is picked up through a tie switch first, the faulted section last
        chunks = [c for c in np.array_split(xf, n_stages) if len(c)]
        return device_id, xf, [net.meters_on(c) for c in reversed(chunks)]

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, now: float, kind: str, device: int, cause: str, *, weather_event_id: str | None = None,
              changes: Changes | None = None) -> Outage | None:
        net = self.net
        device_id, xf, stages = self.scope(kind, device)
        meters = np.concatenate(stages) if stages else np.empty(0, dtype=np.int64)
        # a device already dark, or feeding nobody, cannot fail visibly
        if len(xf) == 0 or len(meters) == 0 or any(np.isin(meters, o.meters_out()).any() for o in self.active.values()):
            return None
        first = int(xf[0])
        oid = f"OUT-{net.next_outage:06d}"
        wid = f"WO-{net.next_work_order:07d}"
        net.next_outage += 1
        net.next_work_order += 1
        o = Outage(
            outage_id=oid, work_order_id=wid, device_kind=kind, device_id=device_id,
            transformer_id=net.xfmr_ids[first], circuit=int(net.xfmr_circuit[first]), cause=cause, start=now,
            lat=float(net.xfmr_lat[first]), lon=float(net.xfmr_lon[first]), county=net.xfmr_county[first],
            stages=stages, customers=int(net.meter_real[meters].sum()), transformers=len(xf),
            weather_event_id=weather_event_id,
        )
        o.etr = now + MEDIAN_MIN[CAUSES.index(cause)] * 60
        # the control room sees the last gasps, then dispatches
        o.next_at = now + float(self.rng.uniform(120, 600))
        o.history.append((now, "reported"))
        self.active[oid] = o
        if changes is not None:
            changes.outages[oid] = o
            changes.dark.append((meters, now, o))
        return o

    def adopt(self, now: float, row: tuple) -> Outage | None:
        """Take over an outage that was open when the feed started (loaded by the generator or left
        by an earlier run): its device, ids and counts as recorded; it is dispatched anew."""
        from datetime import datetime

        oid, xfmr_id, cause, start, customers, transformers, wx, wo_id, kind, device_id = row
        net = self.net
        index = {"transformer": net.xfmr_ids, "feeder_segment": net.seg_ids, "circuit_breaker": net.circuit_ids}
        if kind not in index or device_id not in index[kind]:
            kind, device_id = "transformer", xfmr_id
        if device_id not in index[kind]:
            return None
        device = index[kind].index(device_id)
        _, xf, stages = self.scope(kind, device)
        busy = np.concatenate([o.meters_out() for o in self.active.values()]) if self.active else np.empty(0, np.int64)
        stages = [m[~np.isin(m, busy)] for m in stages]  # a meter is behind one open outage at most
        first = int(xf[0])
        start_s = (start - datetime(1970, 1, 1)).total_seconds() if isinstance(start, datetime) else float(start)
        if wo_id is None:
            wo_id = f"WO-{net.next_work_order:07d}"
            net.next_work_order += 1
        o = Outage(
            outage_id=oid, work_order_id=wo_id, device_kind=kind, device_id=device_id, transformer_id=xfmr_id or net.xfmr_ids[first],
            circuit=int(net.xfmr_circuit[first]), cause=cause if cause in CAUSES else "unknown", start=min(start_s, now),
            lat=float(net.xfmr_lat[first]), lon=float(net.xfmr_lon[first]), county=net.xfmr_county[first],
            stages=stages, customers=int(customers), transformers=int(transformers), weather_event_id=wx,
        )
        o.etr = now + MEDIAN_MIN[CAUSES.index(o.cause)] * 60
        o.next_at = now + float(self.rng.uniform(60, 900))
        o.history.append((now, "reported"))
        self.active[oid] = o
        return o

    def _repair_s(self, o: Outage) -> float:
        median = MEDIAN_MIN[CAUSES.index(o.cause)] * 60 * 0.5
        return float(median * self.rng.lognormal(0, 0.45))

    def _nearest_crew(self, o: Outage) -> Crew | None:
        free = [c for c in self.crews if c.status == "available"]
        if not free:
            return None
        wanted = ("vegetation",) if o.cause == "vegetation" else ("line", "troubleshooter")
        pool = [c for c in free if c.kind in wanted] or free
        d = haversine_km(o.lat, o.lon, np.array([c.lat for c in pool]), np.array([c.lon for c in pool]))
        return pool[int(np.argmin(d))]

    def crew_position(self, o: Outage, t: float) -> tuple[float, float]:
        if o.phase != "en_route" or o.arrive_at <= o.depart_at:
            return (o.lat, o.lon)
        f = min(1.0, max(0.0, (t - o.depart_at) / (o.arrive_at - o.depart_at)))
        return (o.depart_from[0] + f * (o.lat - o.depart_from[0]), o.depart_from[1] + f * (o.lon - o.depart_from[1]))

    def _transition(self, o: Outage, t: float, ch: Changes) -> None:
        if o.phase == "reported":
            crew = self._nearest_crew(o)
            if crew is None:
                o.next_at = t + 60.0  # no crew free: try again in a minute
                return
            km = float(haversine_km(crew.lat, crew.lon, np.array([o.lat]), np.array([o.lon]))[0]) * ROAD_FACTOR
            o.crew, o.phase = crew, "en_route"
            o.depart_at, o.depart_from = t, (crew.lat, crew.lon)
            o.arrive_at = t + max(120.0, km / self.road_kmh * 3600)
            crew.status, crew.work_order_id = "en_route", o.work_order_id
            o.etr = o.arrive_at + MEDIAN_MIN[CAUSES.index(o.cause)] * 60 * 0.5
            o.next_at = o.arrive_at
            ch.crews[crew.crew_id] = crew
        elif o.phase == "en_route":
            o.phase = "on_site"
            o.crew.status, o.crew.lat, o.crew.lon = "on_site", o.lat, o.lon
            repair = self._repair_s(o)
            o.next_at = t + repair
            # the crew's estimate on arrival: close to the truth, not exact
            o.etr = t + repair * float(self.rng.uniform(0.85, 1.3)) + 600 * (len(o.stages) - 1)
            ch.crews[o.crew.crew_id] = o.crew
        elif o.phase in ("on_site", "restoring"):
            o.phase = "restoring"
            ch.lit.append((o.stages[o.restored_stages], t, o))
            o.restored_stages += 1
            if o.restored_stages < len(o.stages):
                o.next_at = t + float(self.rng.uniform(300, 1200))
                o.etr = o.next_at + 600 * (len(o.stages) - o.restored_stages - 1)
            else:
                o.phase, o.end, o.etr = "restored", t, t
                o.crew.status, o.crew.work_order_id = "available", None
                ch.crews[o.crew.crew_id] = o.crew
        o.history.append((t, o.phase))
        ch.outages[o.outage_id] = o

    def step(self, now: float, changes: Changes | None = None) -> Changes:
        ch = changes if changes is not None else Changes()
        for c in self.crews:
            if c.busy_until is not None and c.busy_until <= now:
                c.status, c.work_order_id, c.busy_until = "available", None, None
                ch.crews[c.crew_id] = c
        # in time order, so an earlier restoration frees its crew for a later dispatch
        while True:
            due = [o for o in self.active.values() if o.next_at <= now]
            if not due:
                break
            o = min(due, key=lambda x: x.next_at)
            self._transition(o, o.next_at, ch)
            if o.phase == "restored":
                del self.active[o.outage_id]
                self.restored.append(o)
        return ch

    def moving(self, now: float, changes: Changes) -> None:
        """Crews on the road report their position (the sim calls this every simulated minute)."""
        for o in self.active.values():
            if o.phase == "en_route" and o.crew is not None:
                o.crew.lat, o.crew.lon = self.crew_position(o, now)
                changes.crews[o.crew.crew_id] = o.crew
