"""Outages over the year before as_of (with the ones active now), crews and work orders."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.etl.synth.climate import Weather, local_hour_of_day
from data.etl.synth.common import dict_strings, ids, join, pick, stream, ts_array
from data.etl.synth.network import Grid, Scale
from data.etl.synth.vocab import PLACES

CAUSES = ["vegetation", "equipment_failure", "weather", "animal", "vehicle", "overload", "lightning", "unknown"]
# cause probabilities by context: calm, storm (wind/rain event), heat (hot afternoon), freeze
CAUSE_P = np.array([
    [0.22, 0.28, 0.06, 0.18, 0.09, 0.03, 0.04, 0.10],
    [0.30, 0.08, 0.40, 0.02, 0.02, 0.00, 0.13, 0.05],
    [0.10, 0.33, 0.02, 0.10, 0.05, 0.32, 0.02, 0.06],
    [0.05, 0.40, 0.25, 0.02, 0.05, 0.18, 0.00, 0.05],
])
MEDIAN_MIN = np.array([150, 180, 240, 75, 240, 120, 150, 90], dtype=float)
# events raise the hourly outage rate: storms most, heat the least
EVENT_RATE = {"hurricane": 70.0, "tropical_storm": 28.0, "thunderstorm": 14.0, "flood": 6.0, "freeze": 16.0, "heat_wave": 1.8}
ACTIVE_STATUSES = ["reported", "dispatched", "en_route", "on_site", "restoring"]
LEVELS = ["low", "medium", "high", "critical"]

WORK_TYPES = ["repair", "inspection", "maintenance", "vegetation", "replacement", "outage_restoration"]
WORK_P = [0.24, 0.26, 0.22, 0.16, 0.12, 0.0]
COST = {  # (low, high) USD
    "repair": (800, 15000), "inspection": (150, 900), "maintenance": (400, 5000),
    "vegetation": (600, 8000), "replacement": (3000, 60000), "outage_restoration": (500, 20000),
}
DESCRIPTIONS = {
    "repair": ["Replace blown fuse and cutout", "Repair damaged crossarm", "Fix loose neutral connection",
               "Repair leaking transformer bushing", "Replace failed lightning arrester"],
    "inspection": ["Infrared scan of overhead line", "Annual pole inspection", "Transformer oil sample",
                   "Ground-line pole inspection", "Post-storm patrol"],
    "maintenance": ["Tighten connections and clean insulators", "Regulator maintenance", "Recloser test",
                    "Capacitor bank service", "Switchgear maintenance"],
    "vegetation": ["Trim trees encroaching on primary", "Clear right-of-way", "Remove hazard tree",
                   "Cycle trimming along lateral"],
    "replacement": ["Replace overloaded transformer with larger unit", "Replace deteriorated pole",
                    "Replace aged underground cable", "Upgrade conductor on lateral"],
    "outage_restoration": ["Restore service after fault", "Patrol and restore tripped lateral",
                           "Replace failed transformer to restore service"],
}
SLA_DAYS = np.array([45.0, 14.0, 3.0, 1.0])  # low, medium, high, critical
CREW_TYPES = ["line", "vegetation", "substation", "troubleshooter"]
CREW_LABEL = ["Line Crew", "Vegetation Crew", "Substation Crew", "Troubleshooter"]
SERVICE_CENTERS = [(29.803, -95.437), (29.688, -95.520), (29.660, -95.233), (29.960, -95.420),
                   (29.880, -95.610), (29.560, -95.260), (30.110, -95.450)]
HOUR = 3600


def _scope(grid: Grid, t: np.ndarray, kind: np.ndarray, width: np.ndarray):
    """Transformer range [lo, hi) each outage takes out: one unit, a fused section, or the circuit."""
    c = grid.t_circuit[t]
    c_lo = np.searchsorted(grid.t_circuit, c, side="left")
    c_hi = np.searchsorted(grid.t_circuit, c, side="right")
    seg_hi = np.minimum(grid.t_segment[t] + width, grid.c_seg0[c] + grid.c_nseg[c] - 1)
    sec_hi = np.searchsorted(grid.t_segment, seg_hi, side="right")
    lo = np.where(kind == 2, c_lo, t)
    hi = np.where(kind == 0, t + 1, np.where(kind == 1, sec_hi, c_hi))
    cum = np.concatenate([[0], np.cumsum(grid.t_ncust)])
    return lo, hi, cum[hi] - cum[lo]


def _levels(customers: np.ndarray, rng) -> np.ndarray:
    lvl = np.digitize(customers, [40, 400, 2000]) + (rng.random(len(customers)) < 0.1)
    return np.clip(lvl, 0, 3)


def build_outages(seed: int, scale: Scale, grid: Grid, w: Weather, as_of_s: int):
    rng = stream(seed, "outages")
    n_t = len(grid.t_kind)
    ev_types = np.array(w.events["type"])

    # -- historical: an hourly rate driven by weather events and hot afternoons --------------
    hours = w.hours
    usable = hours <= as_of_s - 48 * HOUR
    lh = local_hour_of_day(hours)
    hot = np.clip(w.temp_f - 90.0, 0, None) / 8.0 * ((lh >= 13) & (lh <= 20))
    ev_rate = np.array([EVENT_RATE[e] for e in ev_types] + [0.0])[w.event_idx]
    rate = (1.0 + 2.5 * hot + ev_rate) * usable
    n_hist = max(0, scale.outages - scale.active_outages)
    per_hour = rng.multinomial(n_hist, rate / rate.sum())
    h_idx = np.repeat(np.arange(len(hours)), per_hour)
    start = hours[h_idx] + rng.integers(0, HOUR, n_hist)
    ev = w.event_idx[h_idx]
    ev_kind = np.where(ev >= 0, np.append(ev_types, "")[ev], "")
    context = np.where(np.isin(ev_kind, ["hurricane", "tropical_storm", "thunderstorm", "flood"]), 1,
                       np.where(ev_kind == "freeze", 3, np.where(hot[h_idx] > 0.2, 2, 0)))
    cum_p = CAUSE_P.cumsum(axis=1)[context]
    cause = (rng.random(n_hist)[:, None] > cum_p).sum(axis=1).clip(0, len(CAUSES) - 1)
    storm_slow = np.where(np.isin(ev_kind, ["hurricane", "tropical_storm"]), 3.5, np.where(context == 1, 1.6, 1.0))
    dur_min = np.clip(MEDIAN_MIN[cause] * storm_slow * rng.lognormal(0, 0.7, n_hist), 5, 60 * 24 * 6)
    end = np.minimum(start + dur_min * 60, as_of_s - 60)
    dur_min = (end - start) / 60.0

    # -- active now: distinct circuits so customers out add up per circuit ------------------
    n_act = scale.active_outages
    act_circuits = rng.choice(len(grid.c_ids), size=min(n_act, len(grid.c_ids)), replace=False)
    t_lo = np.searchsorted(grid.t_circuit, act_circuits, side="left")
    t_hi = np.searchsorted(grid.t_circuit, act_circuits, side="right")
    act_t = (t_lo + (rng.random(len(t_lo)) * np.maximum(t_hi - t_lo, 1)).astype(np.int64)).clip(0, n_t - 1)
    n_act = len(act_t)
    act_start = as_of_s - rng.integers(10 * 60, 9 * HOUR, n_act)
    lh_now = local_hour_of_day(np.array([as_of_s]))[0]
    now_ctx = 1 if w.event_idx[-1] >= 0 else (2 if w.temp_f[-1] >= 92 and 13 <= lh_now <= 20 else 0)
    act_cause = (rng.random(n_act)[:, None] > CAUSE_P[now_ctx].cumsum()[None, :]).sum(axis=1).clip(0, len(CAUSES) - 1)

    # -- scope -------------------------------------------------------------------------------
    t_all = np.concatenate([rng.integers(0, n_t, n_hist), act_t])
    n = len(t_all)
    kind = np.where(rng.random(n) < 0.78, 0, np.where(rng.random(n) < 0.85, 1, 2))
    kind[n_hist:] = np.where(rng.random(n_act) < 0.7, 0, 1)
    width = rng.integers(1, 6, n)
    lo, hi, customers = _scope(grid, t_all, kind, width)
    affected_t = hi - lo
    severity = _levels(customers, rng)
    priority = np.clip(severity + (rng.random(n) < 0.15), 0, 3)

    start_all = np.concatenate([start, act_start])
    order = np.argsort(start_all, kind="stable")
    is_active = np.concatenate([np.zeros(n_hist, bool), np.ones(n_act, bool)])[order]
    start_all = start_all[order]
    t_all, kind, customers, affected_t = t_all[order], kind[order], customers[order], affected_t[order]
    severity, priority = severity[order], priority[order]
    cause_all = np.concatenate([cause, act_cause])[order]
    end_all = np.concatenate([end, np.zeros(n_act)])[order]
    dur_all = np.concatenate([dur_min, np.zeros(n_act)])[order]
    ev_all = np.concatenate([ev, np.full(n_act, w.event_idx[-1])])[order]

    act_status = rng.integers(0, len(ACTIVE_STATUSES), n)
    crews = np.where(is_active, np.where(act_status == 0, 0, rng.integers(1, 4, n)), rng.integers(1, 4, n))
    etr = as_of_s + rng.integers(30 * 60, 8 * HOUR, n)
    restoration = np.where(is_active, act_status, len(ACTIVE_STATUSES))
    c = grid.t_circuit[t_all]
    lat = np.where(kind == 2, grid.node_lat[c, 1], grid.t_lat[t_all])
    lon = np.where(kind == 2, grid.node_lon[c, 1], grid.t_lon[t_all])
    place = grid.t_place[t_all]
    outage_ids = ids("OUT-", np.arange(1, n + 1), 6)
    wx_id = pc.if_else(pa.array(ev_all >= 0), ids("WX-", ev_all + 1, 3), pa.scalar(None, pa.string()))
    null_ts = pa.nulls(n, pa.timestamp("us"))
    table = pa.table({
        "OUTAGE_ID": outage_ids,
        "TRANSFORMER_ID": pc.if_else(pa.array(kind == 2), pa.scalar(None, pa.string()), pc.take(grid.t_ids, pa.array(t_all))),
        "CIRCUIT_ID": dict_strings(grid.c_ids, c),
        "SUBSTATION_ID": dict_strings(grid.sub_ids, grid.c_sub[c]),
        "CAUSE": dict_strings(CAUSES, cause_all),
        "SEVERITY": dict_strings(LEVELS, severity),
        "PRIORITY": dict_strings(LEVELS, priority),
        "START_TIME": ts_array(start_all),
        "END_TIME": pc.if_else(pa.array(is_active), null_ts, ts_array(end_all.astype(np.int64))),
        "DURATION_MINUTES": pa.array(np.round(dur_all, 1), mask=is_active),
        "AFFECTED_CUSTOMERS_COUNT": pa.array(customers.astype(np.int64)),
        "AFFECTED_TRANSFORMERS": pa.array(affected_t.astype(np.int64)),
        "LATITUDE": np.round(lat, 6),
        "LONGITUDE": np.round(lon, 6),
        "COUNTY": dict_strings([p[1] for p in PLACES], place),
        "RESTORATION_STATUS": dict_strings(ACTIVE_STATUSES + ["restored"], restoration),
        "ESTIMATED_RESTORATION_TIME": pc.if_else(pa.array(is_active), ts_array(etr), null_ts),
        "ASSIGNED_CREW_COUNT": pa.array(crews.astype(np.int64)),
        "WEATHER_EVENT_ID": wx_id,
        "UPDATED_AT": ts_array(np.where(is_active, as_of_s, end_all).astype(np.int64)),
    })
    active = {
        "index": np.flatnonzero(is_active),
        "circuit": c[is_active],
        "customers": customers[is_active],
        "crews": crews[is_active],
        "lat": lat[is_active],
        "lon": lon[is_active],
        "transformer": t_all[is_active],
        "start": start_all[is_active],
        "priority": priority[is_active],
        "status": act_status[is_active],
    }
    # transformers de-energised right now
    lo_a, hi_a, _ = _scope(grid, t_all[is_active], kind[is_active], width[order][is_active])
    out_since = np.full(n_t, np.iinfo(np.int64).max)
    for a, b, t0 in zip(lo_a, hi_a, start_all[is_active]):
        out_since[a:b] = np.minimum(out_since[a:b], t0)
    active["xfmr_out"] = out_since < np.iinfo(np.int64).max
    active["xfmr_out_since"] = out_since
    hist = {"start": start_all[~is_active], "end": end_all[~is_active], "circuit": c[~is_active],
            "index": np.flatnonzero(~is_active), "lat": lat[~is_active], "lon": lon[~is_active],
            "transformer": t_all[~is_active], "priority": priority[~is_active]}
    return table, active, hist


def build_crews_and_work_orders(seed: int, scale: Scale, grid: Grid, outages: pa.Table, active: dict,
                                hist: dict, as_of_s: int):
    rng = stream(seed, "work_orders")
    n_crews = scale.crews
    n_t, n_sub = len(grid.t_kind), len(grid.sub_ids)
    n_p = len(grid.p_segment)
    outage_ids = outages.column("OUTAGE_ID").combine_chunks()
    day = 86400

    # -- historical (completed / cancelled) -------------------------------------------------------
    n_h = scale.historical_work_orders
    from_outage = rng.random(n_h) < 0.3
    ho = rng.integers(0, len(hist["index"]), n_h)  # every scale has historical outages
    created = np.where(from_outage, hist["end"][ho] - rng.integers(600, 4 * HOUR, n_h),
                       as_of_s - rng.integers(5 * day, 365 * day, n_h))
    done = created + rng.integers(2 * HOUR, 25 * day, n_h) * np.where(from_outage, 0.05, 1.0)
    done = np.minimum(done, as_of_s - HOUR).astype(np.int64)
    h_type = np.where(from_outage, 5, rng.choice(6, n_h, p=WORK_P))
    h_status = np.where(rng.random(n_h) < 0.06, 1, 0)  # completed | cancelled

    # -- active ---------------------------------------------------------------------------------
    n_a = scale.active_work_orders
    a_type = rng.choice(6, n_a, p=WORK_P)
    a_status = rng.choice(4, n_a, p=[0.36, 0.26, 0.22, 0.16])  # open, assigned, in_progress, on_hold
    a_created = as_of_s - rng.integers(HOUR, 60 * day, n_a)
    # restoration orders for the outages being worked now
    worked = active["crews"] > 0
    n_r = int(worked.sum())
    r_status = np.where(np.isin(active["status"][worked], [3, 4]), 2, 1)  # on_site/restoring -> in_progress

    n_all = n_h + n_a + n_r
    w_type = np.concatenate([h_type, a_type, np.full(n_r, 5)])
    status = np.concatenate([h_status + 4, a_status, r_status])  # index into STATUSES below
    created_all = np.concatenate([created, a_created, active["start"][worked] + rng.integers(60, 1800, n_r)]).astype(np.int64)
    completed = np.concatenate([done, np.zeros(n_a + n_r, np.int64)])
    is_done = status >= 4

    # assets: transformers mostly, poles for line work, substations for substation work
    asset_kind = rng.choice(3, n_all, p=[0.55, 0.38, 0.07])
    t_pick = rng.integers(0, n_t, n_all)
    p_pick = rng.integers(0, n_p, n_all)
    s_pick = rng.integers(0, n_sub, n_all)
    # outage work goes to the outage's transformer
    o_t = np.concatenate([hist["transformer"][ho], np.zeros(n_a, np.int64), active["transformer"][worked]]).astype(np.int64)
    is_outage_wo = w_type == 5
    asset_kind = np.where(is_outage_wo, 0, asset_kind)
    t_pick = np.where(is_outage_wo, o_t, t_pick)
    circuit = np.where(asset_kind == 0, grid.t_circuit[t_pick], grid.s_circuit[grid.p_segment[p_pick]])
    sub = np.where(asset_kind == 2, s_pick, grid.c_sub[circuit])
    lat = np.where(asset_kind == 0, grid.t_lat[t_pick], np.where(asset_kind == 1, grid.p_lat[p_pick], grid.sub_lat[s_pick]))
    lon = np.where(asset_kind == 0, grid.t_lon[t_pick], np.where(asset_kind == 1, grid.p_lon[p_pick], grid.sub_lon[s_pick]))
    pole_ids = join("POLE-", pc.utf8_lpad(pc.cast(pa.array(p_pick + 1), pa.string()), 7, "0"))
    asset_id = pc.if_else(
        pa.array(asset_kind == 0), pc.take(grid.t_ids, pa.array(t_pick)),
        pc.if_else(pa.array(asset_kind == 1), pole_ids, pick(grid.sub_ids, s_pick)),
    )
    outage_ref = np.concatenate([np.where(from_outage, hist["index"][ho], -1),
                                 np.full(n_a, -1), active["index"][worked]])
    has_outage = outage_ref >= 0
    outage_col = pc.if_else(pa.array(has_outage), pc.take(outage_ids, pa.array(np.maximum(outage_ref, 0))),
                            pa.scalar(None, pa.string()))
    priority = np.concatenate([
        np.where(from_outage, hist["priority"][ho], rng.choice(4, n_h, p=[0.3, 0.4, 0.22, 0.08])),
        rng.choice(4, n_a, p=[0.28, 0.4, 0.22, 0.10]),
        np.maximum(active["priority"][worked], 2),
    ])
    due = created_all + (SLA_DAYS[priority] * day * rng.uniform(0.8, 1.2, n_all)).astype(np.int64)
    scheduled = created_all + (rng.uniform(0.05, 0.6, n_all) * (due - created_all)).astype(np.int64)
    lo_c = np.array([COST[WORK_TYPES[k]][0] for k in range(6)])[w_type]
    hi_c = np.array([COST[WORK_TYPES[k]][1] for k in range(6)])[w_type]
    cost = np.round(lo_c * (hi_c / lo_c) ** rng.random(n_all), 2)
    labor = np.round(np.clip(cost / rng.uniform(85, 140, n_all), 0.5, None) * 2) / 2

    # crews: each in-progress order has its own crew on site; assigned orders queue on a crew
    crew_type = rng.choice(4, n_crews, p=[0.5, 0.2, 0.1, 0.2])
    crew_for = np.full(n_all, -1)
    in_prog = np.flatnonzero(status == 2)
    on_site = rng.permutation(n_crews)[: min(len(in_prog), int(n_crews * 0.45))]
    # restoration orders first: the outage map should show crews on site
    in_prog = np.concatenate([in_prog[in_prog >= n_h + n_a], in_prog[in_prog < n_h + n_a]])
    crew_for[in_prog[: len(on_site)]] = on_site
    status[in_prog[len(on_site):]] = 1  # more work in progress than crews: it waits, assigned
    assigned = np.flatnonzero(status == 1)
    crew_for[assigned] = rng.integers(0, n_crews, len(assigned))
    hist_crew = rng.integers(0, n_crews, n_all)
    crew_for = np.where(is_done & (status == 4), hist_crew, crew_for)
    on_hold = status == 3
    crew_for = np.where(on_hold & (rng.random(n_all) < 0.5), hist_crew, crew_for)
    crew_ids = ids("CREW-", np.arange(1, n_crews + 1), 3)
    crew_col = pc.if_else(pa.array(crew_for >= 0), pc.take(crew_ids, pa.array(np.maximum(crew_for, 0))),
                          pa.scalar(None, pa.string()))

    statuses = ["open", "assigned", "in_progress", "on_hold", "completed", "cancelled"]
    desc_idx = rng.integers(0, 5, n_all)
    descriptions = pa.array([DESCRIPTIONS[WORK_TYPES[k]][i % len(DESCRIPTIONS[WORK_TYPES[k]])] for k, i in zip(w_type, desc_idx)])
    order = np.argsort(created_all, kind="stable")
    wo_ids = ids("WO-", np.arange(1, n_all + 1), 7)
    inv = np.empty(n_all, np.int64)
    inv[order] = np.arange(n_all)  # id number follows creation time
    null_ts = pa.nulls(n_all, pa.timestamp("us"))
    wo = pa.table({
        "WORK_ORDER_ID": pc.take(wo_ids, pa.array(inv)),
        "ASSET_ID": asset_id,
        "ASSET_TYPE": dict_strings(["transformer", "pole", "substation"], asset_kind),
        "SUBSTATION_ID": pick(grid.sub_ids, sub),
        "CIRCUIT_ID": pc.if_else(pa.array(asset_kind == 2), pa.scalar(None, pa.string()), pick(grid.c_ids, circuit)),
        "OUTAGE_ID": outage_col,
        "WORK_TYPE": dict_strings(WORK_TYPES, w_type),
        "PRIORITY": dict_strings(LEVELS, priority),
        "STATUS": dict_strings(statuses, status),
        "ASSIGNED_CREW": crew_col,
        "CREATED_DATE": ts_array(created_all),
        "SCHEDULED_DATE": ts_array(scheduled),
        "DUE_DATE": ts_array(due),
        "COMPLETED_DATE": pc.if_else(pa.array(status == 4), ts_array(completed), null_ts),
        "ESTIMATED_COST": cost,
        "LABOR_HOURS": labor,
        "LATITUDE": np.round(lat, 6),
        "LONGITUDE": np.round(lon, 6),
        "DESCRIPTION": descriptions,
        "UPDATED_AT": ts_array(np.where(is_done, completed, as_of_s).astype(np.int64)),
    }).take(pa.array(order))

    # crew rows: where they are now
    crew_status = np.where(rng.random(n_crews) < 0.3, 3, 0)  # off_shift | available
    crew_wo = np.full(n_crews, -1)
    crew_wo[crew_for[in_prog[: len(on_site)]]] = in_prog[: len(on_site)]
    queued = np.zeros(n_crews, bool)
    queued[crew_for[assigned]] = True
    crew_status = np.where(queued, 1, crew_status)  # dispatched
    crew_status = np.where(crew_wo >= 0, 2, crew_status)  # on_site
    base = np.array(SERVICE_CENTERS)[rng.integers(0, len(SERVICE_CENTERS), n_crews)]
    c_lat = np.where(crew_wo >= 0, lat[np.maximum(crew_wo, 0)], base[:, 0] + rng.normal(0, 0.01, n_crews))
    c_lon = np.where(crew_wo >= 0, lon[np.maximum(crew_wo, 0)], base[:, 1] + rng.normal(0, 0.01, n_crews))
    per_type = np.zeros(n_crews, np.int64)
    for k in range(4):
        sel = crew_type == k
        per_type[sel] = np.arange(1, sel.sum() + 1)
    crews = pa.table({
        "CREW_ID": crew_ids,
        "CREW_NAME": join(pick(CREW_LABEL, crew_type), " ", pc.utf8_lpad(pc.cast(pa.array(per_type), pa.string()), 2, "0")),
        "CREW_TYPE": dict_strings(CREW_TYPES, crew_type),
        "STATUS": dict_strings(["available", "dispatched", "on_site", "off_shift"], crew_status),
        "LATITUDE": np.round(c_lat, 6),
        "LONGITUDE": np.round(c_lon, 6),
        "WORK_ORDER_ID": pc.if_else(pa.array(crew_wo >= 0), pc.take(wo_ids, pa.array(inv[np.maximum(crew_wo, 0)])),
                                    pa.scalar(None, pa.string())),
        "UPDATED_AT": ts_array(np.full(n_crews, as_of_s)),
    })
    return crews, wo
