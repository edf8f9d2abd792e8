"""Typed parameters and results shared by the repository, its stores, the API and callbacks."""

from __future__ import annotations

import gzip
import hashlib
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar, overload

import orjson
from zlib_ng import gzip_ng

Backend = Literal["postgres", "snowflake"]
# The feeder layer's gzip, by zlib-ng. On the 8 MB all-segments layer (seed scale) its level 3
# gives 944 KB in ~24 ms, where zlib's level 4 gave 935 KB in ~44 ms (zlib-ng's level 1: 1.48 MB).
GZIP_LEVEL = 3
Row = dict[str, Any]
T = TypeVar("T")

OUTAGE_STATUSES = ("reported", "dispatched", "en_route", "on_site", "restoring")
PRIORITIES = ("critical", "high", "medium", "low")
WORK_ORDER_STATUSES = ("open", "assigned", "in_progress", "on_hold")
CREW_STATUSES = ("available", "dispatched", "on_site", "off_shift")
ASSET_TYPES = ("substation", "transformer", "pole", "meter")
DETAIL_KINDS = ("substation", "segment", "outage")
CUSTOMER_SEGMENTS = ("residential", "commercial", "industrial")


class StoreUnavailable(Exception):
    """A store could not answer (connection, timeout, SQL error)."""


class ReadTimedOut(Exception):
    """One operational read ran into Postgres's statement timeout. The store is alive: this
    request alone fails (504), the breaker stays closed, and the warehouse is not asked."""

    def __init__(self, read: str, timeout_ms: int | None):
        self.read, self.timeout_ms = read, timeout_ms
        limit = f"{timeout_ms} ms" if timeout_ms else "its time limit"
        super().__init__(f"{read}: the query took longer than {limit}")


class AnalyticsUnavailable(Exception):
    """An analytics read needs the warehouse and the warehouse did not answer."""


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def as_params(self) -> dict[str, float]:
        return {"min_lon": self.min_lon, "min_lat": self.min_lat, "max_lon": self.max_lon, "max_lat": self.max_lat}

    def key(self) -> str:
        return f"{self.min_lon:.5f},{self.min_lat:.5f},{self.max_lon:.5f},{self.max_lat:.5f}"

    def snapped(self, step: float) -> "BBox":
        """This box grown outward to a ``step``-degree grid (a hair of tolerance keeps an edge
        already on the grid where it is despite float error)."""
        eps = 1e-9
        return BBox(
            round(math.floor(self.min_lon / step + eps) * step, 6),
            round(math.floor(self.min_lat / step + eps) * step, 6),
            round(math.ceil(self.max_lon / step - eps) * step, 6),
            round(math.ceil(self.max_lat / step - eps) * step, 6),
        )


NO_BBOX: dict[str, None] = {"min_lon": None, "min_lat": None, "max_lon": None, "max_lat": None}


@dataclass(frozen=True)
class StoreResult(Generic[T]):
    """What a store returns: the data and how fresh it is (None: unknown)."""

    data: T
    freshness: datetime | None = None


@dataclass(frozen=True)
class Provenance:
    backend: Backend
    elapsed_ms: float
    freshness: datetime | None
    # why the warehouse served an operational read: postgres_error | postgres_empty | breaker_open
    fallback_reason: str | None = None
    cached: bool = False

    def as_dict(self) -> Row:
        return {
            "backend": self.backend,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "freshness": self.freshness,
            "fallback_reason": self.fallback_reason,
            "cached": self.cached,
        }


@dataclass(frozen=True)
class ReadResult(Generic[T]):
    """A read's data plus its provenance. ``data`` is a list of rows (or JsonRows), one row, or a
    layer."""

    data: T
    provenance: Provenance


# How a feeder layer is cut: paths (PathLayer) or one straight line per pair of vertices (LineLayer).
FEEDER_FORMS = ("paths", "lines")


@dataclass(frozen=True)
class FeederLayer:
    """Feeder paths for deck.gl as compact JSON: ``[{"id", "circuit_id", "load_percent",
    "path": [[lon, lat], ...]}, ...]``; ``lod`` is overview | simplified | full. (The substation is
    the circuit id's prefix; leaving it out saves 17 % of the bytes.) In the ``lines`` form
    (overview only) each path is cut into its straight lines, ``"source"``/``"target"`` in place
    of ``"path"``, for deck.gl's LineLayer.

    Kept gzipped (what goes on the wire and into the shared cache) with a content ETag, so a
    cached layer is served without re-compressing or re-hashing megabytes."""

    gzip_body: bytes = field(repr=False)
    count: int
    lod: str
    etag: str
    raw_bytes: int

    @classmethod
    def build(cls, body: bytes, *, count: int, lod: str) -> "FeederLayer":
        packed = gzip_ng.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        # gzip with a fixed mtime is deterministic: hashing the 8x smaller packed bytes is enough.
        etag = hashlib.blake2b(packed, digest_size=12).hexdigest()
        return cls(packed, count, lod, etag, len(body))

    def body(self) -> bytes:
        return gzip.decompress(self.gzip_body)


class JsonRows(Sequence[Row]):
    """Rows that arrive already serialised: Postgres keeps circuits' and grid assets' rows as the
    API sends them (V005), so the API writes ``body`` as it is. Python callers index and iterate
    as over a list of dict rows, decoded once, on first use. Pickles (into the shared cache) as
    the body alone."""

    __slots__ = ("body", "_count", "_rows")

    def __init__(self, body: bytes, count: int):
        self.body = body
        self._count = count
        self._rows: list[Row] | None = None

    @classmethod
    def join(cls, entries: Iterable[str]) -> "JsonRows":
        """One JSON array from per-row JSON object texts, in their order."""
        entries = list(entries)
        return cls(("[" + ",".join(entries) + "]").encode(), len(entries))

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            self._rows = orjson.loads(self.body)
        return self._rows

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...
    def __getitem__(self, index):
        return self.rows[index]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsonRows):
            return self.body == other.body or self.rows == other.rows
        return isinstance(other, list) and self.rows == other

    __hash__ = None  # type: ignore[assignment]  # mutable rows, like a list

    def __repr__(self) -> str:
        return f"JsonRows({self._count} rows, {len(self.body)} bytes)"

    def __getstate__(self) -> tuple[bytes, int]:
        return self.body, self._count

    def __setstate__(self, state: tuple[bytes, int]) -> None:
        self.body, self._count = state
        self._rows = None
