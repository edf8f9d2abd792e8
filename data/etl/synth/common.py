"""Shared helpers: named random streams, time grids in UTC, Houston local hours, string columns."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HOUSTON_TZ = ZoneInfo("America/Chicago")
EPOCH = datetime(1970, 1, 1)


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component: adding a table never shifts another's values."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def to_epoch_s(dt: datetime) -> int:
    return int((dt - EPOCH).total_seconds())


def from_epoch_s(s: int) -> datetime:
    return EPOCH + timedelta(seconds=int(s))


def ts_array(epoch_s: np.ndarray) -> pa.Array:
    """Naive UTC timestamps (TIMESTAMP_NTZ) from epoch seconds."""
    return pa.array(np.asarray(epoch_s, dtype=np.int64) * 1_000_000, type=pa.timestamp("us"))


def utc_offset_hours(epoch_hours: np.ndarray) -> np.ndarray:
    """Houston's UTC offset (-6 or -5, with DST) for each whole UTC hour since the epoch."""
    uniq, inverse = np.unique(epoch_hours, return_inverse=True)
    offs = np.empty(len(uniq), dtype=np.float64)
    for i, h in enumerate(uniq):
        utc = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(hours=int(h))
        offs[i] = utc.astimezone(HOUSTON_TZ).utcoffset().total_seconds() / 3600.0
    return offs[inverse]


def local_hour_of_day(epoch_s: np.ndarray) -> np.ndarray:
    """Fractional local hour of day (0..24) in Houston."""
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    off = utc_offset_hours(epoch_s // 3600)
    return np.mod(epoch_s / 3600.0 + off, 24.0)


def local_day_of_year(epoch_s: np.ndarray) -> np.ndarray:
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    off = utc_offset_hours(epoch_s // 3600)
    days = np.floor((epoch_s / 3600.0 + off) / 24.0).astype("int64")
    d = days.astype("datetime64[D]")
    year_start = d.astype("datetime64[Y]").astype("datetime64[D]")
    return (d - year_start).astype(np.int64) + 1


def local_month(epoch_s: np.ndarray) -> np.ndarray:
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    off = utc_offset_hours(epoch_s // 3600)
    d = np.floor((epoch_s / 3600.0 + off) / 24.0).astype("int64").astype("datetime64[D]")
    return d.astype("datetime64[M]").astype(np.int64) % 12 + 1


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Vectorised zero-padded identifiers: ids('XFMR-', [1, 2], 6) -> XFMR-000001, XFMR-000002."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def join(*parts, sep: str = "") -> pa.Array:
    """Concatenate string arrays/scalars element-wise."""
    conv = [pa.scalar(p) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*conv, sep)


def num_str(values: np.ndarray, decimals: int) -> pa.Array:
    return pc.cast(pa.array(np.round(np.asarray(values, dtype=np.float64), decimals)), pa.string())


def int_str(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def pick(words: list[str], idx: np.ndarray) -> pa.Array:
    return pc.take(pa.array(words, type=pa.string()), pa.array(np.asarray(idx, dtype=np.int64)))


def dict_strings(words: list[str] | np.ndarray, idx: np.ndarray) -> pa.Array:
    """A dictionary-encoded string column: cheap for big tables with few distinct values."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(idx, dtype=np.int32)), pa.array(list(words), type=pa.string())
    )


def floor_15min(dt: datetime) -> datetime:
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.replace(second=0, microsecond=0, minute=dt.minute - dt.minute % 15)
