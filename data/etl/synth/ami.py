"""AMI bronze: 15-minute interval reads for every meter of a sample of whole transformers.

Head-ends deliver each interval in per-collector batches a few minutes after it closes; ~2.5 %
of reads arrive again later (a re-delivery, sometimes with a corrected value) under their own
batch id, which is what the silver dedup step has to remove. Meters behind an outage that is
still open have been silent since it began.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.etl.synth.climate import Weather, local_hour_of_day, relative_demand
from data.etl.synth.common import stream
from data.etl.synth.network import Grid

INTERVAL_S = 900
COLLECTORS = 4
REDELIVERY_RATE = 0.025
NOMINAL_V = np.array([240.0, 208.0, 480.0])
BASE_PF = np.array([0.97, 0.93, 0.89])


def sample_transformers(seed: int, grid: Grid, meters: int, out_now: np.ndarray) -> np.ndarray:
    """Whole transformers, in random order, until their meters reach the requested sample size.

    A few de-energised transformers go first, so the sample shows what an outage looks like.
    """
    rng = stream(seed, "ami_sample")
    perm = rng.permutation(len(grid.t_kind))
    dark = perm[out_now[perm]][:3]
    order = np.concatenate([dark, perm[~np.isin(perm, dark)]])
    cum = np.cumsum(grid.t_ncust[order])
    k = int(np.searchsorted(cum, meters)) + 1
    return np.sort(order[:k])


def build_ami(seed: int, grid: Grid, w: Weather, as_of_s: int, meters: int, days: int,
              out_since: np.ndarray) -> pa.Table:
    """``out_since``: per transformer, when its current outage began (int64 max when energised)."""
    rng = stream(seed, "ami")
    xfmrs = sample_transformers(seed, grid, meters, out_since < np.iinfo(np.int64).max)
    m_idx = np.flatnonzero(np.isin(grid.m_xfmr, xfmrs))
    n_m = len(m_idx)
    n_int = days * 96
    t_end = as_of_s - (n_int - 1 - np.arange(n_int, dtype=np.int64)) * INTERVAL_S
    mid = t_end - INTERVAL_S // 2
    lh = local_hour_of_day(mid)
    temp = w.temp_at(mid)
    kind = grid.m_kind[m_idx]
    rel = np.stack([relative_demand(lh, temp, k) for k in range(3)])  # (3, n_int)

    # interval-major, as the head-end delivers them: row = interval * n_m + meter
    rel_rows = rel.T[:, kind]  # (n_int, n_m)
    noise = rng.lognormal(-0.03, 0.25, (n_int, n_m))
    kw = grid.m_peak_kw[m_idx][None, :] * rel_rows * noise
    usage = np.round(kw * 0.25, 4).ravel()
    nominal = NOMINAL_V[kind][None, :]
    voltage = np.round(nominal * (1.025 - 0.03 * np.clip(rel_rows, 0, 1.5)) + rng.normal(0, 1, (n_int, n_m)) * nominal * 0.005, 1).ravel()
    pf = np.round(np.clip(BASE_PF[kind][None, :] - 0.03 * rel_rows + rng.normal(0, 0.01, (n_int, n_m)), 0.7, 1.0), 3).ravel()
    reading = np.repeat(t_end, n_m)
    delay = np.minimum(60 + rng.lognormal(5.5, 0.6, n_int * n_m), 3 * 3600).astype(np.int64)
    ingest = np.minimum(reading + delay, as_of_s)
    meter_col = np.tile(np.arange(n_m, dtype=np.int32), n_int)
    collector = meter_col % COLLECTORS
    batch = (np.repeat(np.arange(n_int, dtype=np.int32), n_m) * COLLECTORS + collector).astype(np.int32)
    batch_names = [
        f"HE{c + 1}-{np.datetime64(int(t), 's').astype('datetime64[m]').astype(str).replace('-', '').replace(':', '')}"
        for t in t_end for c in range(COLLECTORS)
    ]

    # meters behind an open outage have sent nothing since it began
    live = reading <= np.tile(out_since[grid.m_xfmr[m_idx]], n_int)
    # re-deliveries: older reads sent again, later, under a re-delivery batch
    eligible = np.flatnonzero(live & (reading <= as_of_s - 4 * 3600))  # so the resend is strictly later
    n_dup = int(round(len(usage) * REDELIVERY_RATE))
    dup = np.sort(rng.choice(eligible, size=min(n_dup, len(eligible)), replace=False))
    d_ingest = np.minimum(ingest[dup] + rng.integers(1800, 36 * 3600, len(dup)), as_of_s)
    corrected = rng.random(len(dup)) < 0.35
    d_usage = np.where(corrected, np.round(usage[dup] * rng.uniform(0.85, 1.15, len(dup)), 4), usage[dup])
    d_hour = d_ingest // 3600
    uniq_hours, d_batch = np.unique(d_hour, return_inverse=True)
    rd_names = [
        f"RD-{np.datetime64(int(h) * 3600, 's').astype('datetime64[h]').astype(str).replace('-', '').replace(':', '')}"
        for h in uniq_hours
    ]

    meter_ids = pc.take(grid.m_ids, pa.array(m_idx)).to_pylist()
    xfmr_ids = pc.take(grid.t_ids, pa.array(grid.m_xfmr[m_idx])).to_pylist()
    keep = np.concatenate([np.flatnonzero(live), dup])  # first deliveries, then the re-sends
    all_meter = meter_col[keep]
    all_batch = np.concatenate([batch[live], d_batch.astype(np.int32) + len(batch_names)])
    us = 1_000_000
    return pa.table({
        "METER_ID": pa.DictionaryArray.from_arrays(pa.array(all_meter), pa.array(meter_ids)),
        "TRANSFORMER_ID": pa.DictionaryArray.from_arrays(pa.array(all_meter), pa.array(xfmr_ids)),
        "READING_TIME": pa.array(reading[keep] * us, type=pa.timestamp("us")),
        "USAGE_KWH": np.concatenate([usage[live], d_usage]),
        "VOLTAGE": voltage[keep],
        "POWER_FACTOR": pf[keep],
        "INGESTION_TIME": pa.array(np.concatenate([ingest[live], d_ingest]) * us, type=pa.timestamp("us")),
        "BATCH_ID": pa.DictionaryArray.from_arrays(pa.array(all_batch), pa.array(batch_names + rd_names)),
    })
