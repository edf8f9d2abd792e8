"""Loading at as_of, and the topology tables that carry it: substations, circuits, segments, assets.

One load model drives everything: a customer draws its design peak times the daily curve times
the temperature factor (data.etl.synth.climate). Transformers sum their customers, segments carry
what is downstream of them (so load falls along the chain), circuits carry their head segment.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.etl.synth.climate import Weather, local_hour_of_day, relative_demand
from data.etl.synth.common import dict_strings, ids, join, pick, stream, ts_array
from data.etl.synth.network import CONDUCTORS, XFMR_MOUNT, Grid, circuit_overview, place_columns
from data.etl.synth.vocab import MAJOR_STREETS, STREET_STEMS

PF = 0.95


def _health(rng, age: np.ndarray, load_pct: np.ndarray) -> np.ndarray:
    h = 100 - 0.9 * age - 0.25 * np.clip(load_pct - 80, 0, None) + rng.normal(0, 7, len(age))
    return np.round(np.clip(h, 15, 100), 1)


def _substation_names(n: int) -> list[str]:
    stems = [s.rsplit(" ", 1)[0] for s in MAJOR_STREETS] + STREET_STEMS
    stems = list(dict.fromkeys(stems))
    names = []
    for i in range(n):
        base = stems[(i * 37) % len(stems)]
        names.append(f"{base} Substation" if i < len(stems) else f"{base} {i // len(stems) + 1} Substation")
    return names


def build_topology(seed: int, grid: Grid, w: Weather, as_of_s: int, active: dict) -> dict[str, pa.Table]:
    rng = stream(seed, "status")
    updated = ts_array(np.array([as_of_s]))[0]
    n_sub, n_c = len(grid.sub_ids), len(grid.c_ids)
    n_s, n_t, n_p = len(grid.s_circuit), len(grid.t_kind), len(grid.p_segment)
    now_hour = local_hour_of_day(np.array([as_of_s]))[0]
    now_temp = float(w.temp_at(np.array([as_of_s]))[0])

    # -- transformers now ------------------------------------------------------------------
    rel = relative_demand(np.full(n_t, now_hour), np.full(n_t, now_temp), grid.t_kind)
    t_kw = grid.t_peak_kw * rel * rng.lognormal(0, 0.08, n_t)
    t_kw = np.where(active["xfmr_out"], 0.0, t_kw)
    t_load = np.round(100 * t_kw / PF / grid.t_kva, 1)
    t_age = 2026 - grid.t_install
    t_health = _health(rng, t_age, t_load)
    t_status = np.where(active["xfmr_out"], 2, np.where(t_load > 100, 1, 0))

    # -- segments: what flows through a segment is everything downstream of it ----------------
    seg_kw = np.bincount(grid.t_segment, weights=t_kw, minlength=n_s)
    seg_peak = np.bincount(grid.t_segment, weights=grid.t_peak_kw, minlength=n_s)
    # reverse cumulative sum within each circuit
    rev = np.cumsum(seg_kw[::-1])[::-1]
    rev_peak = np.cumsum(seg_peak[::-1])[::-1]
    c_end = grid.c_seg0 + grid.c_nseg  # one past each circuit's last segment
    after = np.append(rev, 0.0)[c_end]
    after_peak = np.append(rev_peak, 0.0)[c_end]
    down_kw = rev - after[grid.s_circuit]
    down_peak = rev_peak - after_peak[grid.s_circuit]
    c_kw = down_kw[grid.c_seg0]
    c_peak_kw = down_peak[grid.c_seg0]

    # -- circuits --------------------------------------------------------------------------
    # rated so the design peak sits at 35-97 % of the rating
    util = np.clip(rng.normal(0.66, 0.12, n_c), 0.35, 0.97)
    c_rated_mva = np.round(np.maximum(c_peak_kw / PF / 1000 / util, 1.0), 1)
    c_load = 100 * c_kw / PF / 1000 / c_rated_mva
    # a few circuits carry load transferred from neighbours (abnormal switching): stressed now
    draw = rng.random(n_c)
    c_load = np.where(draw < 0.035, np.maximum(c_load, rng.uniform(86, 97, n_c)), c_load)
    c_load = np.where((draw >= 0.035) & (draw < 0.12), np.maximum(c_load, rng.uniform(71, 84, n_c)), c_load)
    c_load = np.round(c_load, 1)
    c_load_mw = np.round(c_load / 100 * c_rated_mva * PF, 3)
    seg_share = np.where(c_kw[grid.s_circuit] > 0, down_kw / np.maximum(c_kw[grid.s_circuit], 1e-9), 0.0)
    s_load = np.round(c_load[grid.s_circuit] * seg_share, 1)

    c_xfmr = np.bincount(grid.t_circuit, minlength=n_c)
    c_cust = np.bincount(grid.t_circuit, weights=grid.t_ncust, minlength=n_c).astype(np.int64)
    c_age = np.bincount(grid.t_circuit, weights=2026 - grid.t_install, minlength=n_c) / np.maximum(c_xfmr, 1)
    c_health = np.round(np.clip(100 - 0.9 * c_age - 0.2 * np.clip(c_load - 70, 0, None) + rng.normal(0, 9, n_c), 30, 99), 1)
    c_out = np.bincount(active["circuit"], weights=active["customers"], minlength=n_c).astype(np.int64)
    critical = (c_load > 85) | (c_health < 50)
    warning = (c_load > 70) | (c_health < 70)
    c_status = np.where(critical, 2, np.where(c_out > 0, 3, np.where(warning, 1, 0)))

    mask = np.arange(grid.node_lat.shape[1])[None, :] <= grid.c_nseg[:, None]
    nl = np.where(mask, grid.node_lat, np.nan)
    nn = np.where(mask, grid.node_lon, np.nan)
    circuits = pa.table({
        "CIRCUIT_ID": pa.array(grid.c_ids),
        "CIRCUIT_NAME": join(pick(_substation_names(n_sub), grid.c_sub), " ", pc.cast(pa.array(grid.c_kv), pa.string()),
                             " kV Feeder ", pa.array([c[-2:] for c in grid.c_ids])),
        "SUBSTATION_ID": pick(grid.sub_ids, grid.c_sub),
        "VOLTAGE_LEVEL_KV": grid.c_kv,
        "RATED_MVA": c_rated_mva,
        "SEGMENT_COUNT": pa.array(grid.c_nseg.astype(np.int64)),
        "TRANSFORMER_COUNT": pa.array(c_xfmr.astype(np.int64)),
        "METER_COUNT": pa.array(c_cust),
        "CUSTOMER_COUNT": pa.array(c_cust),
        "CENTER_LAT": np.round(np.nanmean(nl, axis=1), 6),
        "CENTER_LON": np.round(np.nanmean(nn, axis=1), 6),
        "MIN_LAT": np.round(np.nanmin(nl, axis=1), 6),
        "MIN_LON": np.round(np.nanmin(nn, axis=1), 6),
        "MAX_LAT": np.round(np.nanmax(nl, axis=1), 6),
        "MAX_LON": np.round(np.nanmax(nn, axis=1), 6),
        "GEOM_OVERVIEW_WKT": pa.array([circuit_overview(grid, c) for c in range(n_c)]),
        "UPDATED_AT": pa.array([updated] * n_c, type=pa.timestamp("us")),
    })
    status_rt = pa.table({
        "CIRCUIT_ID": pa.array(grid.c_ids),
        "SUBSTATION_ID": pick(grid.sub_ids, grid.c_sub),
        "LOAD_PERCENT": c_load,
        "LOAD_MW": c_load_mw,
        "HEALTH_SCORE": c_health,
        "CUSTOMERS_SERVED": pa.array(c_cust),
        "CUSTOMERS_OUT": pa.array(c_out),
        "STATUS": dict_strings(["normal", "warning", "critical", "outage"], c_status),
        "LAST_UPDATED": pa.array([updated] * n_c, type=pa.timestamp("us")),
    })

    seg_updated = pa.array([updated] * n_s, type=pa.timestamp("us"))
    segments = pa.table({
        "SEGMENT_ID": grid.s_ids,
        "CIRCUIT_ID": dict_strings(grid.c_ids, grid.s_circuit),
        "SUBSTATION_ID": dict_strings(grid.sub_ids, grid.c_sub[grid.s_circuit]),
        "UPSTREAM_SEGMENT_ID": grid.s_up,
        "SEQ": pa.array(grid.s_seq.astype(np.int64)),
        "FROM_NODE": grid.s_from,
        "TO_NODE": grid.s_to,
        "VOLTAGE_KV": grid.c_kv[grid.s_circuit],
        "RATED_AMPS": grid.s_amps,
        "CONDUCTOR": dict_strings(CONDUCTORS, grid.s_cond),
        "LENGTH_M": np.round(grid.s_length, 1),
        "LOAD_PERCENT": s_load,
        "GEOM_WKT": grid.s_geom,
        "GEOM_SIMPLIFIED_WKT": grid.s_geom_simple,
        "UPDATED_AT": seg_updated,
    })

    # -- substations -----------------------------------------------------------------------
    sub_rated = np.bincount(grid.c_sub, weights=c_rated_mva, minlength=n_sub)
    sub_capacity = np.ceil(sub_rated * 0.85 / 5) * 5  # transformers sized for feeder diversity
    sub_place = grid.s_place[grid.c_seg0[np.searchsorted(grid.c_sub, np.arange(n_sub))]]
    sub_names = _substation_names(n_sub)
    commissioned = (np.datetime64("1955-01-01") + rng.integers(0, 65 * 365, n_sub).astype("timedelta64[D]"))
    sub_status = np.where(rng.random(n_sub) < 0.97, 0, 1)
    sub_places = place_columns(sub_place)
    voltage_level = [f"{int(h)}/{lo:g} kV" for h, lo in zip(grid.sub_high_kv, grid.sub_low_kv)]
    substations = pa.table({
        "SUBSTATION_ID": pa.array(grid.sub_ids),
        "SUBSTATION_NAME": pa.array(sub_names),
        "LATITUDE": np.round(grid.sub_lat, 6),
        "LONGITUDE": np.round(grid.sub_lon, 6),
        "CAPACITY_MVA": sub_capacity,
        "VOLTAGE_LEVEL": pa.array(voltage_level),
        "HIGH_SIDE_KV": grid.sub_high_kv,
        "LOW_SIDE_KV": grid.sub_low_kv,
        "COMMISSIONED_DATE": pa.array(commissioned),
        "OPERATIONAL_STATUS": dict_strings(["operational", "maintenance"], sub_status),
        "CITY": sub_places["CITY"],
        "COUNTY": sub_places["COUNTY"],
        "UPDATED_AT": pa.array([updated] * n_sub, type=pa.timestamp("us")),
    })

    # -- grid assets: substations, transformers, poles ------------------------------------------
    sub_load = np.round(100 * np.bincount(grid.c_sub, weights=c_load_mw, minlength=n_sub) / PF / sub_capacity, 1)
    sub_health = np.round(np.bincount(grid.c_sub, weights=c_health, minlength=n_sub) / np.bincount(grid.c_sub, minlength=n_sub), 1)
    sub_cust = np.bincount(grid.c_sub, weights=c_cust, minlength=n_sub).astype(np.int64)
    p_seg = grid.p_segment
    p_load = s_load[p_seg]
    p_health = _health(rng, 2026 - grid.p_install, np.zeros(n_p))
    p_status = np.where(p_health < 35, 1, 0)
    s_kva = np.round(np.sqrt(3) * grid.c_kv[grid.s_circuit] * grid.s_amps, 0)
    n_all = n_sub + n_t + n_p
    kind = np.concatenate([np.zeros(n_sub, np.int8), np.ones(n_t, np.int8), np.full(n_p, 2, np.int8)])
    t_circ_ids = dict_strings(grid.c_ids, grid.t_circuit)
    p_circ = grid.s_circuit[p_seg]
    place_all = np.concatenate([sub_place, grid.t_place, grid.s_place[p_seg]])
    places = place_columns(place_all)
    sub_asset_status = np.where(sub_status == 0, 0, 3)
    statuses = ["in_service", "overloaded", "out_of_service", "maintenance", "needs_inspection"]
    status_all = np.concatenate([sub_asset_status, t_status, np.where(p_status == 1, 4, 0)])
    pole_names = join("Pole ", pc.take(grid.s_ids, pa.array(p_seg)), "/",
                      pc.cast(pa.array(np.arange(n_p) - np.searchsorted(p_seg, p_seg) + 1), pa.string()))
    t_names = join(grid.t_ids, " ", pc.cast(pa.array(grid.t_kva), pa.string()), " kVA ",
                   pick(XFMR_MOUNT, grid.t_kind))
    circuit_all = pa.chunked_array([
        pa.nulls(n_sub, pa.string()),
        pc.cast(t_circ_ids, pa.string()),
        pc.cast(dict_strings(grid.c_ids, p_circ), pa.string()),
    ])
    assets = pa.table({
        "ASSET_ID": pa.chunked_array([pa.array(grid.sub_ids), grid.t_ids, ids("POLE-", np.arange(1, n_p + 1), 7)]),
        "ASSET_NAME": pa.chunked_array([pa.array(sub_names), t_names, pole_names]),
        "ASSET_TYPE": dict_strings(["substation", "transformer", "pole"], kind),
        "LATITUDE": np.round(np.concatenate([grid.sub_lat, grid.t_lat, grid.p_lat]), 6),
        "LONGITUDE": np.round(np.concatenate([grid.sub_lon, grid.t_lon, grid.p_lon]), 6),
        "LOAD_PERCENT": np.concatenate([sub_load, t_load, p_load]),
        "HEALTH_SCORE": np.concatenate([sub_health, t_health, p_health]),
        "STATUS": dict_strings(statuses, status_all),
        "VOLTAGE": np.concatenate([grid.sub_high_kv, grid.c_kv[grid.t_circuit], grid.c_kv[p_circ]]),
        "CAPACITY": np.concatenate([sub_capacity * 1000, grid.t_kva, s_kva[p_seg]]),
        "CIRCUIT_ID": circuit_all,
        "SEGMENT_ID": pa.chunked_array([
            pa.nulls(n_sub, pa.string()), pc.take(grid.s_ids, pa.array(grid.t_segment)), pc.take(grid.s_ids, pa.array(p_seg)),
        ]),
        "SUBSTATION_ID": dict_strings(grid.sub_ids, np.concatenate([np.arange(n_sub), grid.c_sub[grid.t_circuit], grid.c_sub[p_circ]])),
        "CITY": places["CITY"],
        "ZIP_CODE": places["ZIP_CODE"],
        "CONNECTED_CUSTOMERS": pa.array(np.concatenate([sub_cust, grid.t_ncust, np.zeros(n_p, np.int64)]).astype(np.int64)),
        "INSTALL_YEAR": pa.array(np.concatenate([commissioned.astype("datetime64[Y]").astype(np.int64) + 1970, grid.t_install, grid.p_install]).astype(np.int64)),
        "UPDATED_AT": pa.array(np.full(n_all, np.datetime64(int(as_of_s), "s").astype("datetime64[us]"))),
    })
    return {
        "SUBSTATIONS": substations,
        "CIRCUITS": circuits,
        "FEEDER_SEGMENTS": segments,
        "GRID_ASSETS": assets,
        "CIRCUIT_STATUS_REALTIME": status_rt,
    }
