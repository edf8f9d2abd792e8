"""The network the feed simulates: read once from the warehouse (the same meters, transformers,
feeder segments, circuits and crews the dashboard shows), held as numpy arrays.

Meters are sorted by transformer. ``--meters N`` above the loaded population adds synthetic meters
(``MTR-X0000001``...) hung on real transformers, so the production rate (2.7M meters) can be run
on a seed-scale network; below it, the first N meters are kept.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from data.etl.live.sqlfile import sql
from data.etl.synth.common import stream

SEGMENT_KIND = {"residential": 0, "commercial": 1, "industrial": 2}
# median peak kW per meter by segment; lognormal spread
PEAK_KW = np.array([4.5, 35.0, 250.0])


@dataclass
class Crew:
    crew_id: str
    name: str
    kind: str
    status: str  # available | en_route | on_site | off_shift | dispatched (busy from before the feed)
    lat: float
    lon: float
    work_order_id: str | None = None
    busy_until: float | None = None  # sim epoch s: when a crew busy before the feed frees up


@dataclass
class Network:
    meter_ids: list[str]
    meter_xfmr: np.ndarray  # int: transformer index
    meter_kind: np.ndarray  # 0 residential, 1 commercial, 2 industrial
    meter_peak_kw: np.ndarray
    meter_real: np.ndarray  # bool: a customer in CUSTOMERS_MASTER_DATA (not a synthetic extra)
    xfmr_ids: list[str]
    xfmr_segment: np.ndarray  # int: segment index, -1 when unknown
    xfmr_circuit: np.ndarray  # int: circuit index
    xfmr_lat: np.ndarray
    xfmr_lon: np.ndarray
    xfmr_county: list[str | None]
    seg_ids: list[str]
    seg_circuit: np.ndarray
    seg_children: list[list[int]]
    circuit_ids: list[str]
    circuit_sub: list[str]
    circuit_rated_mva: np.ndarray
    circuit_health: np.ndarray
    circuit_load_mw: np.ndarray  # the last status loaded: the feed continues from it
    crews: list[Crew] = field(default_factory=list)
    last_weather: tuple | None = None  # (hour, temp_f, humidity, wind)
    # open outages at start: (id, transformer, cause, start, customers, transformers, weather event,
    # work order, device kind, device id)
    open_outages: list[tuple] = field(default_factory=list)
    next_outage: int = 1
    next_work_order: int = 1

    @property
    def meters(self) -> int:
        return len(self.meter_ids)

    @property
    def meter_circuit(self) -> np.ndarray:
        return self.xfmr_circuit[self.meter_xfmr]

    def meters_on(self, xfmrs: np.ndarray) -> np.ndarray:
        """Indices of the meters (real and synthetic) fed by these transformers."""
        return np.flatnonzero(np.isin(self.meter_xfmr, xfmrs))

    def segments_downstream(self, seg: int) -> list[int]:
        """The segment and every segment fed through it (breadth first, nearest first)."""
        out, todo = [], deque([seg])
        while todo:
            s = todo.popleft()
            out.append(s)
            todo.extend(self.seg_children[s])
        return out

    def transformers_on_segments(self, segs: list[int]) -> np.ndarray:
        return np.flatnonzero(np.isin(self.xfmr_segment, np.asarray(segs, dtype=np.int64)))

    def transformers_on_circuit(self, circuit: int) -> np.ndarray:
        return np.flatnonzero(self.xfmr_circuit == circuit)


def _index(ids: list[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(ids)}


def _id_number(value: str | None, prefix: str) -> int:
    if not value or not value.startswith(prefix):
        return 0
    digits = value[len(prefix):]
    return int(digits) if digits.isdigit() else 0


def load_network(conn, *, seed: int, meters: int | None = None) -> Network:
    """Read the network from an open warehouse connection."""
    cur = conn.cursor()

    def rows(name: str) -> list[tuple]:
        cur.execute(sql("network", name))
        return cur.fetchall()

    circuits = rows("circuits")
    c_idx = _index([r[0] for r in circuits])
    segments = rows("segments")
    s_idx = _index([r[0] for r in segments])
    children: list[list[int]] = [[] for _ in segments]
    for i, (_, _, up) in enumerate(segments):
        if up is not None and up in s_idx:
            children[s_idx[up]].append(i)
    xfmrs = rows("transformers")
    t_idx = _index([r[0] for r in xfmrs])
    customers = [r for r in rows("customers") if r[1] in t_idx]
    county_by_xfmr: dict[str, str] = {}
    for _, t, _, _, county in customers:
        county_by_xfmr.setdefault(t, county)

    meter_ids = [r[0] for r in customers]
    meter_xfmr = np.array([t_idx[r[1]] for r in customers], dtype=np.int64)
    meter_kind = np.array([SEGMENT_KIND.get(r[3], 0) for r in customers], dtype=np.int64)
    real = np.ones(len(meter_ids), dtype=bool)
    if meters is not None and meters < len(meter_ids):
        meter_ids, meter_xfmr, meter_kind, real = meter_ids[:meters], meter_xfmr[:meters], meter_kind[:meters], real[:meters]
    elif meters is not None and meters > len(meter_ids):
        extra = meters - len(meter_ids)
        rng = stream(seed, "live_extra_meters")
        meter_ids = meter_ids + [f"MTR-X{i:07d}" for i in range(1, extra + 1)]
        meter_xfmr = np.concatenate([meter_xfmr, rng.integers(0, len(xfmrs), extra)])
        meter_kind = np.concatenate([meter_kind, rng.choice(3, extra, p=[0.88, 0.11, 0.01])])
        real = np.concatenate([real, np.zeros(extra, dtype=bool)])
    rng = stream(seed, "live_peak_kw")
    peak = PEAK_KW[meter_kind] * rng.lognormal(0.0, 0.35, len(meter_ids))

    crews = [Crew(r[0], r[1], r[2], r[3], float(r[4]), float(r[5])) for r in rows("crews")]
    ids = rows("last_ids")[0]
    weather = rows("last_weather")
    return Network(
        meter_ids=meter_ids, meter_xfmr=meter_xfmr, meter_kind=meter_kind, meter_peak_kw=peak, meter_real=real,
        xfmr_ids=[r[0] for r in xfmrs],
        xfmr_segment=np.array([s_idx.get(r[1], -1) for r in xfmrs], dtype=np.int64),
        xfmr_circuit=np.array([c_idx.get(r[2], 0) for r in xfmrs], dtype=np.int64),
        xfmr_lat=np.array([float(r[4]) for r in xfmrs]), xfmr_lon=np.array([float(r[5]) for r in xfmrs]),
        xfmr_county=[county_by_xfmr.get(r[0]) for r in xfmrs],
        seg_ids=[r[0] for r in segments],
        seg_circuit=np.array([c_idx.get(r[1], 0) for r in segments], dtype=np.int64),
        seg_children=children,
        circuit_ids=[r[0] for r in circuits], circuit_sub=[r[1] for r in circuits],
        circuit_rated_mva=np.array([float(r[2]) for r in circuits]),
        circuit_health=np.array([float(r[5]) for r in circuits]),
        circuit_load_mw=np.array([float(r[6]) for r in circuits]),
        crews=crews,
        last_weather=tuple(weather[0]) if weather else None,
        open_outages=[tuple(r) for r in rows("open_outages")],
        next_outage=max(int(ids[0] or 0), _id_number(ids[1], "OUT-")) + 1,
        next_work_order=max(int(ids[2] or 0), _id_number(ids[3], "WO-")) + 1,
    )
