"""The radial network: substations -> circuits -> chains of segments -> transformers -> customers.

Feeders follow Houston's street grid: each circuit leaves its substation along a compass heading
and turns at right angles now and then, one segment after another, so segment N starts where
segment N-1 ends. Poles stand along each segment; transformers hang off segments and serve the
customers around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.etl.synth.common import dict_strings, ids, int_str, join, num_str, pick, stream
from data.etl.synth.vocab import (
    BAY_LAT_MAX,
    BAY_LON_MIN,
    BUSINESS_KINDS_COMMERCIAL,
    BUSINESS_KINDS_INDUSTRIAL,
    BUSINESS_PREFIXES,
    DOWNTOWN,
    FIRST_NAMES,
    LAST_NAMES,
    LAT_MAX,
    LAT_MIN,
    LON_MAX,
    LON_MIN,
    MAJOR_STREETS,
    PLACES,
    STREET_STEMS,
    STREET_TAILS,
)

M_PER_DEG_LAT = 111_000.0
MARGIN = 0.004  # keep vertices strictly inside the metro box

# conductor, rated amps; trunk conductors first, laterals after
TRUNK = [("795 AAC", 900.0), ("477 AAC", 650.0), ("500 kcmil Cu UG", 565.0)]
LATERAL = [("336 ACSR", 530.0), ("4/0 ACSR", 440.0), ("1/0 ACSR", 310.0), ("1/0 Al UG", 230.0)]
CONDUCTORS = [c for c, _ in TRUNK + LATERAL]
CONDUCTOR_AMPS = np.array([a for _, a in TRUNK + LATERAL])

XFMR_KVA = [
    np.array([25.0, 37.5, 50.0, 75.0, 100.0, 167.0]),  # residential pole-mount
    np.array([75.0, 150.0, 225.0, 300.0, 500.0, 750.0]),  # commercial pad-mount
    np.array([500.0, 750.0, 1000.0, 1500.0, 2000.0, 2500.0]),  # industrial pad-mount
]
XFMR_MOUNT = ["pole-mount", "pad-mount", "pad-mount"]
SEGMENT_NAMES = ["residential", "commercial", "industrial"]
ACCOUNT_STATUSES = ["active", "inactive", "pending", "suspended", "disconnected"]
ACCOUNT_P = [0.935, 0.03, 0.015, 0.012, 0.008]


@dataclass(frozen=True)
class Scale:
    substations: int
    circuits_per_sub: tuple[int, int]
    segments_per_circuit: tuple[int, int]
    xfmr_per_segment: float
    poles_per_segment: float
    outages: int
    active_outages: int
    historical_work_orders: int
    active_work_orders: int
    crews: int
    ami_meters: int
    ami_days: int


class Grid(SimpleNamespace):
    """Numpy views of the network that later parts (load, outages, AMI, assets) build on.

    Prefixes: ``sub_`` substations, ``c_`` circuits, ``s_`` segments, ``t_`` transformers,
    ``p_`` poles, ``m_`` meters (one customer each).
    """


def _in_box(lat, lon):
    inside = (lat > LAT_MIN + MARGIN) & (lat < LAT_MAX - MARGIN) & (lon > LON_MIN + MARGIN) & (lon < LON_MAX - MARGIN)
    return inside & ~((lat < BAY_LAT_MAX) & (lon > BAY_LON_MIN))


def nearest_place(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    plat = np.array([p[3] for p in PLACES])
    plon = np.array([p[4] for p in PLACES])
    out = np.empty(len(lat), dtype=np.int64)
    step = 20_000
    for i in range(0, len(lat), step):
        d = (lat[i : i + step, None] - plat) ** 2 + ((lon[i : i + step, None] - plon) * 0.87) ** 2
        out[i : i + step] = d.argmin(axis=1)
    return out


def place_columns(place_idx: np.ndarray) -> dict[str, pa.Array]:
    return {
        "CITY": dict_strings([p[0] for p in PLACES], place_idx),
        "COUNTY": dict_strings([p[1] for p in PLACES], place_idx),
        "ZIP_CODE": dict_strings([p[2] for p in PLACES], place_idx),
    }


def _substation_sites(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    # Denser toward downtown, as the load is; at least ~2 km apart while there is room.
    min_sep = 0.02 if n <= 300 else 0.012
    lat, lon = [], []
    attempts = 0
    while len(lat) < n:
        attempts += 1
        if rng.random() < 0.55:
            a = rng.normal(DOWNTOWN[0], 0.13)
            b = rng.normal(DOWNTOWN[1], 0.15)
        else:
            a = rng.uniform(LAT_MIN + 0.06, LAT_MAX - 0.06)
            b = rng.uniform(LON_MIN + 0.06, LON_MAX - 0.06)
        if not _in_box(np.array([a]), np.array([b]))[0]:
            continue
        if a < LAT_MIN + 0.05 or a > LAT_MAX - 0.05 or b < LON_MIN + 0.05 or b > LON_MAX - 0.05:
            continue
        if lat and attempts < 200_000:
            d2 = (np.array(lat) - a) ** 2 + ((np.array(lon) - b) * 0.87) ** 2
            if d2.min() < min_sep**2:
                continue
        lat.append(a)
        lon.append(b)
    return np.array(lat), np.array(lon)


def _walk_circuits(rng, c_lat0, c_lon0, c_heading, c_nseg):
    """Lay each circuit's segments end to end along a street-grid walk. Returns node arrays."""
    n_c = len(c_nseg)
    max_seg = int(c_nseg.max())
    lat = np.empty((n_c, max_seg + 1))
    lon = np.empty((n_c, max_seg + 1))
    lat[:, 0], lon[:, 0] = c_lat0, c_lon0
    heading = c_heading.copy()  # radians, 0 = north
    skew = rng.normal(0, 0.06, n_c)  # streets are not perfectly aligned
    length = rng.uniform(150, 350, (n_c, max_seg))
    for k in range(max_seg):
        turn = rng.random(n_c)
        heading = np.where(turn < 0.09, heading + np.pi / 2, np.where(turn < 0.18, heading - np.pi / 2, heading))
        ang = heading + skew
        step = length[:, k]
        nlat = lat[:, k] + np.cos(ang) * step / M_PER_DEG_LAT
        nlon = lon[:, k] + np.sin(ang) * step / (M_PER_DEG_LAT * np.cos(np.radians(lat[:, k])))
        bad = ~_in_box(nlat, nlon)
        for alt in (np.pi / 2, -np.pi / 2, np.pi):
            if not bad.any():
                break
            ang2 = heading + alt + skew
            alat = lat[:, k] + np.cos(ang2) * step / M_PER_DEG_LAT
            alon = lon[:, k] + np.sin(ang2) * step / (M_PER_DEG_LAT * np.cos(np.radians(lat[:, k])))
            fix = bad & _in_box(alat, alon)
            nlat, nlon = np.where(fix, alat, nlat), np.where(fix, alon, nlon)
            heading = np.where(fix, heading + alt, heading)
            bad &= ~fix
        lat[:, k + 1] = np.clip(nlat, LAT_MIN + MARGIN, LAT_MAX - MARGIN)
        lon[:, k + 1] = np.clip(nlon, LON_MIN + MARGIN, LON_MAX - MARGIN)
    return lat, lon


def _pt(lat: np.ndarray, lon: np.ndarray) -> pa.Array:
    return join(num_str(lon, 6), " ", num_str(lat, 6))


def _linestring(*points: pa.Array) -> pa.Array:
    body = pc.binary_join_element_wise(*points, pa.scalar(", "))
    return join("LINESTRING(", body, ")")


def build_network(seed: int, scale: Scale, as_of_s: int):
    """Return (grid, tables) for the topology, assets and customers."""
    rng = stream(seed, "network")
    updated = np.datetime64(int(as_of_s), "s").astype("datetime64[us]")

    # -- substations ---------------------------------------------------------------------
    n_sub = scale.substations
    sub_lat, sub_lon = _substation_sites(rng, n_sub)
    sub_ids = [f"SUB-{i:03d}" for i in range(1, n_sub + 1)]
    high_kv = rng.choice([138.0, 345.0, 69.0], n_sub, p=[0.82, 0.06, 0.12])
    low_kv = np.where(rng.random(n_sub) < 0.8, 12.47, 34.5)

    # -- circuits ------------------------------------------------------------------------
    lo, hi = scale.circuits_per_sub
    n_circ_per_sub = rng.integers(lo, hi + 1, n_sub)
    c_sub = np.repeat(np.arange(n_sub), n_circ_per_sub)
    c_no = np.concatenate([np.arange(1, k + 1) for k in n_circ_per_sub])
    n_c = len(c_sub)
    c_ids = [f"{sub_ids[s]}-C{k:02d}" for s, k in zip(c_sub, c_no)]
    # circuits leave the substation in evenly spread compass directions, snapped to the grid
    spread = (c_no - 1) / n_circ_per_sub[c_sub] * 2 * np.pi + rng.uniform(0, 2 * np.pi, n_sub)[c_sub]
    c_heading = np.round(spread / (np.pi / 2)) * (np.pi / 2)
    c_kv = low_kv[c_sub]
    slo, shi = scale.segments_per_circuit
    c_nseg = rng.integers(slo, shi + 1, n_c)
    node_lat, node_lon = _walk_circuits(rng, sub_lat[c_sub], sub_lon[c_sub], c_heading, c_nseg)

    # -- segments ------------------------------------------------------------------------
    max_seg = int(c_nseg.max())
    mask = np.arange(max_seg)[None, :] < c_nseg[:, None]
    s_circuit, s_k = np.nonzero(mask)  # k = 0-based position along the circuit
    n_s = len(s_circuit)
    c_seg0 = np.concatenate([[0], np.cumsum(c_nseg)[:-1]])
    s_seq = s_k + 1
    lat0, lon0 = node_lat[s_circuit, s_k], node_lon[s_circuit, s_k]
    lat1, lon1 = node_lat[s_circuit, s_k + 1], node_lon[s_circuit, s_k + 1]
    dy = (lat1 - lat0) * M_PER_DEG_LAT
    dx = (lon1 - lon0) * M_PER_DEG_LAT * np.cos(np.radians(lat0))
    s_length = np.hypot(dx, dy)
    # intermediate vertices: a small sideways wander, as a line follows a street's edge
    perp_lat = -dx / np.maximum(s_length, 1) * 1.0 / M_PER_DEG_LAT
    perp_lon = dy / np.maximum(s_length, 1) / (M_PER_DEG_LAT * np.cos(np.radians(lat0)))
    wander = rng.normal(0, 0.03, (3, n_s)) * s_length
    mids = []
    for j, f in enumerate((0.25, 0.5, 0.75)):
        mlat = np.clip(lat0 + f * (lat1 - lat0) + wander[j] * perp_lat, LAT_MIN + MARGIN / 2, LAT_MAX - MARGIN / 2)
        mlon = np.clip(lon0 + f * (lon1 - lon0) + wander[j] * perp_lon, LON_MIN + MARGIN / 2, LON_MAX - MARGIN / 2)
        mids.append(_pt(mlat, mlon))
    p0, p1 = _pt(lat0, lon0), _pt(lat1, lon1)
    n_vert = rng.integers(1, 4, n_s)
    geom = pc.if_else(
        pa.array(n_vert == 1),
        _linestring(p0, mids[1], p1),
        pc.if_else(pa.array(n_vert == 2), _linestring(p0, mids[0], mids[2], p1), _linestring(p0, *mids, p1)),
    )
    geom_simple = _linestring(p0, p1)
    c_ids_arr = pa.array(c_ids)
    s_circ_ids = pc.take(c_ids_arr, pa.array(s_circuit))
    s_ids = join(s_circ_ids, "-S", pc.utf8_lpad(int_str(s_seq), 4, "0"))
    s_up = pc.if_else(pa.array(s_seq == 1), pa.scalar(None, pa.string()), pc.take(s_ids, pa.array(np.maximum(np.arange(n_s) - 1, 0))))
    from_node = join(s_circ_ids, "-N", pc.utf8_lpad(int_str(s_seq - 1), 4, "0"))
    to_node = join(s_circ_ids, "-N", pc.utf8_lpad(int_str(s_seq), 4, "0"))
    frac_along = s_k / c_nseg[s_circuit]
    underground = (rng.random(n_c) < 0.2)[s_circuit]
    trunk = frac_along < 0.4
    cond = np.where(
        trunk,
        np.where(underground, 2, rng.integers(0, 2, n_s)),
        np.where(underground, 6, rng.integers(3, 6, n_s)),
    )
    s_amps = CONDUCTOR_AMPS[cond]
    s_mid = np.stack([(lat0 + lat1) / 2, (lon0 + lon1) / 2], axis=1)
    s_place = nearest_place(s_mid[:, 0], s_mid[:, 1])

    # -- transformers --------------------------------------------------------------------
    per_seg = rng.poisson(scale.xfmr_per_segment * 1.02, n_s)
    per_seg[s_seq == 1] = 0  # the getaway span out of the substation feeds nobody
    t_segment = np.repeat(np.arange(n_s), per_seg)
    n_t = len(t_segment)
    t_circuit = s_circuit[t_segment]
    t_kind = rng.choice(3, n_t, p=[0.85, 0.12, 0.03])
    f = rng.uniform(0.1, 0.9, n_t)
    side = rng.choice([-1.0, 1.0], n_t) * rng.uniform(8, 35, n_t)
    ts = t_segment
    t_lat = lat0[ts] + f * (lat1[ts] - lat0[ts]) + side * perp_lat[ts]
    t_lon = lon0[ts] + f * (lon1[ts] - lon0[ts]) + side * perp_lon[ts]
    t_lat = np.clip(t_lat, LAT_MIN + MARGIN / 2, LAT_MAX - MARGIN / 2)
    t_lon = np.clip(t_lon, LON_MIN + MARGIN / 2, LON_MAX - MARGIN / 2)
    t_ncust = np.where(
        t_kind == 0, np.clip(1 + rng.poisson(7.9, n_t), 1, 18), np.where(t_kind == 1, 1 + rng.poisson(0.9, n_t), 1)
    )
    t_ids = ids("XFMR-", np.arange(1, n_t + 1), 6)
    t_place = nearest_place(t_lat, t_lon)
    t_install = np.clip(np.round(2024 - rng.gamma(2.2, 8.0, n_t)), 1965, 2025).astype(np.int64)

    # -- customers and meters ------------------------------------------------------------
    m_xfmr = np.repeat(np.arange(n_t), t_ncust)
    n_m = len(m_xfmr)
    m_kind = t_kind[m_xfmr]
    mean_kw = np.array([4.6, 42.0, 520.0])[m_kind]
    m_peak_kw = mean_kw * rng.lognormal(-0.08, 0.4, n_m)
    t_peak_kw = np.bincount(m_xfmr, weights=m_peak_kw, minlength=n_t)
    # sized against the design peak with some slack; a tail of undersized units runs overloaded
    util = np.where(rng.random(n_t) < 0.07, rng.uniform(1.05, 1.45, n_t), rng.normal(0.72, 0.13, n_t))
    need = t_peak_kw / 0.95 / np.clip(util, 0.3, None)
    t_kva = np.empty(n_t)
    for k in range(3):
        sel = t_kind == k
        sizes = XFMR_KVA[k]
        t_kva[sel] = sizes[np.abs(np.log(need[sel][:, None]) - np.log(sizes)).argmin(axis=1)]

    first_in_xfmr = np.concatenate([[0], np.cumsum(t_ncust)[:-1]])
    m_rank = np.arange(n_m) - first_in_xfmr[m_xfmr]
    m_ids = ids("MTR-", np.arange(1, n_m + 1) * 7 + 1_000_003, 8)
    cust_ids = ids("CUST-", np.arange(1, n_m + 1), 7)
    spread_m = np.array([35.0, 60.0, 90.0])[m_kind]
    m_lat = np.clip(t_lat[m_xfmr] + rng.normal(0, 1, n_m) * spread_m / M_PER_DEG_LAT, LAT_MIN + 0.001, LAT_MAX - 0.001)
    m_lon = np.clip(t_lon[m_xfmr] + rng.normal(0, 1, n_m) * spread_m / 96_000, LON_MIN + 0.001, LON_MAX - 0.001)

    # names: people on residential services, businesses on the others
    first = pick(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n_m))
    last = pick(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n_m))
    initial = pick([chr(c) for c in range(65, 91)], rng.integers(0, 26, n_m))
    person = pc.if_else(pa.array(rng.random(n_m) < 0.2), join(first, " ", initial, ". ", last), join(first, " ", last))
    prefix = pick(BUSINESS_PREFIXES, rng.integers(0, len(BUSINESS_PREFIXES), n_m))
    com_kind = pick(BUSINESS_KINDS_COMMERCIAL, rng.integers(0, len(BUSINESS_KINDS_COMMERCIAL), n_m))
    ind_kind = pick(BUSINESS_KINDS_INDUSTRIAL, rng.integers(0, len(BUSINESS_KINDS_INDUSTRIAL), n_m))
    legal = pick(["LLC", "Inc.", "LP", "Co."], rng.integers(0, 4, n_m))
    commercial = pc.if_else(pa.array(rng.random(n_m) < 0.5), join(last, "'s ", com_kind), join(prefix, " ", com_kind))
    industrial = join(prefix, " ", ind_kind, " ", legal)
    kind_arr = pa.array(m_kind)
    full_name = pc.if_else(pc.equal(kind_arr, 0), person, pc.if_else(pc.equal(kind_arr, 1), commercial, industrial))

    # one street per transformer; neighbours get consecutive house numbers
    n_generated = len(STREET_STEMS) * len(STREET_TAILS)
    street_pool = MAJOR_STREETS + [f"{s} {t}" for s in STREET_STEMS for t in STREET_TAILS]
    t_street = np.where(
        rng.random(n_t) < 0.3,
        rng.integers(0, len(MAJOR_STREETS), n_t),
        len(MAJOR_STREETS) + rng.integers(0, n_generated, n_t),
    )
    t_house0 = rng.integers(50, 9000, n_t) * 2 + rng.integers(0, 2, n_t)
    house = t_house0[m_xfmr] + 2 * m_rank * np.where(m_kind == 0, 1, 25)
    address = join(int_str(house), " ", pick(street_pool, t_street[m_xfmr]))
    suite = join(address, " Ste ", int_str(100 + 10 * m_rank))
    address = pc.if_else(pa.array((m_kind == 1) & (m_rank > 0)), suite, address)
    account = rng.choice(len(ACCOUNT_STATUSES), n_m, p=ACCOUNT_P)

    # -- poles: spans along each segment ---------------------------------------------------
    p_per_seg = np.maximum(1, rng.poisson(scale.poles_per_segment * s_length / 250.0))
    p_segment = np.repeat(np.arange(n_s), p_per_seg)
    n_p = len(p_segment)
    p_first = np.concatenate([[0], np.cumsum(p_per_seg)[:-1]])
    p_frac = (np.arange(n_p) - p_first[p_segment] + 0.5) / p_per_seg[p_segment]
    ps = p_segment
    p_lat = np.clip(lat0[ps] + p_frac * (lat1[ps] - lat0[ps]) + rng.normal(0, 2e-5, n_p), LAT_MIN + MARGIN / 2, LAT_MAX - MARGIN / 2)
    p_lon = np.clip(lon0[ps] + p_frac * (lon1[ps] - lon0[ps]) + rng.normal(0, 2e-5, n_p), LON_MIN + MARGIN / 2, LON_MAX - MARGIN / 2)
    p_install = np.clip(np.round(2024 - rng.gamma(2.5, 10.0, n_p)), 1950, 2025).astype(np.int64)

    grid = Grid(
        updated=updated,
        sub_lat=sub_lat, sub_lon=sub_lon, sub_ids=sub_ids, sub_high_kv=high_kv, sub_low_kv=low_kv,
        c_sub=c_sub, c_ids=c_ids, c_kv=c_kv, c_nseg=c_nseg, c_seg0=c_seg0,
        node_lat=node_lat, node_lon=node_lon,
        s_circuit=s_circuit, s_seq=s_seq, s_mid=s_mid, s_ids=s_ids, s_place=s_place, s_amps=s_amps,
        s_length=s_length, s_cond=cond, s_geom=geom, s_geom_simple=geom_simple, s_up=s_up,
        s_from=from_node, s_to=to_node,
        t_segment=t_segment, t_circuit=t_circuit, t_kind=t_kind, t_kva=t_kva, t_lat=t_lat, t_lon=t_lon,
        t_ids=t_ids, t_peak_kw=t_peak_kw, t_ncust=t_ncust, t_place=t_place, t_install=t_install,
        p_segment=p_segment, p_lat=p_lat, p_lon=p_lon, p_install=p_install,
        m_xfmr=m_xfmr, m_kind=m_kind, m_peak_kw=m_peak_kw, m_ids=m_ids, cust_ids=cust_ids,
        m_lat=m_lat, m_lon=m_lon,
    )

    customers = pa.table({
        "CUSTOMER_ID": cust_ids,
        "FULL_NAME": full_name,
        "SEGMENT": dict_strings(SEGMENT_NAMES, m_kind),
        "PRIMARY_METER_ID": m_ids,
        "TRANSFORMER_ID": pc.take(t_ids, pa.array(m_xfmr)),
        "CIRCUIT_ID": dict_strings(c_ids, t_circuit[m_xfmr]),
        "SUBSTATION_ID": dict_strings(sub_ids, c_sub[t_circuit[m_xfmr]]),
        "SERVICE_ADDRESS": address,
        **place_columns(t_place[m_xfmr]),
        "ACCOUNT_STATUS": dict_strings(ACCOUNT_STATUSES, account),
        "LATITUDE": np.round(m_lat, 6),
        "LONGITUDE": np.round(m_lon, 6),
        "UPDATED_AT": pa.array(np.full(n_m, updated)),
    })
    return grid, {"CUSTOMERS_MASTER_DATA": customers}


def circuit_overview(grid: Grid, c: int) -> str:
    """The whole circuit as one line through every few nodes: what the overview zoom draws."""
    n = int(grid.c_nseg[c])
    step = max(1, int(np.ceil(n / 8)))
    idx = list(range(0, n + 1, step))
    if idx[-1] != n:
        idx.append(n)
    lat, lon = grid.node_lat[c, idx], grid.node_lon[c, idx]
    return "LINESTRING(" + ", ".join(f"{b:.5f} {a:.5f}" for a, b in zip(lat, lon)) + ")"
