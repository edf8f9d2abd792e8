"""The read interface both stores speak. The SQL differs per store (data/read/queries/<store>/);
the method names, parameters and result shapes do not. Subclasses supply ``_result`` (run one
named query), ``_id_list`` (how a list of ids is bound) and ``feeder_layer``.

Rows come back with lowercase snake_case keys and plain Python types (str, int, float, bool,
date, timezone-aware datetime, list), whichever store answered. (Postgres answers circuits and
assets as JsonRows, already serialised, which read as such a list.) Each query may return a
``_freshness`` column (when its source was last synced/updated); it is lifted out of the rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Iterable, Sequence

from data.read.models import NO_BBOX, BBox, FeederLayer, Row, StoreResult

# Level of detail -> query and coordinate precision (4 decimals is about 11 m, finer than a
# pixel below zoom 13; full detail keeps 5, about 1 m).
LOD_DECIMALS = {"overview": 4, "simplified": 4, "full": 5}


def split_freshness(rows: list[Row]) -> StoreResult[list[Row]]:
    freshness: datetime | None = None
    for row in rows:
        value = row.pop("_freshness", None)
        if value is not None and (freshness is None or value > freshness):
            freshness = value
    return StoreResult(rows, freshness)


class Store(ABC):
    backend: str

    # -- what a subclass provides -----------------------------------------------------------
    @abstractmethod
    def _result(self, name: str, params: dict[str, Any]) -> StoreResult[list[Row]]:
        """Run query ``name`` with bound ``params``: normalised rows, and the freshness lifted
        out of their ``_freshness`` column."""

    @abstractmethod
    def _id_list(self, ids: Sequence[str] | None) -> Any:
        """Bind a list of ids (None: no filter)."""

    @abstractmethod
    def feeder_layer(self, *, lod: str, bbox: BBox | None, form: str = "paths") -> StoreResult[FeederLayer]:
        """Feeder paths at a level of detail, as compact JSON (see FeederLayer); ``form="lines"``
        (overview only) cuts them into straight lines."""

    # -- shared reads -------------------------------------------------------------------------
    def _read(self, name: str, **params: Any) -> StoreResult[list[Row]]:
        return self._result(name, params)

    def ping(self) -> StoreResult[list[Row]]:
        return self._read("ping")

    def substation_status(self) -> StoreResult[list[Row]]:
        return self._read("substation_status")

    def substations(self) -> StoreResult[list[Row]]:
        return self._read("substations")

    def substation(self, *, substation_id: str) -> StoreResult[list[Row]]:
        return self._read("substation", substation_id=substation_id)

    def assets(
        self,
        *,
        circuits: Sequence[str] | None,
        asset_ids: Sequence[str] | None,
        asset_type: str | None,
        bbox: BBox | None,
        limit: int,
    ) -> StoreResult[Sequence[Row]]:
        return self._read(
            "assets",
            circuits=self._id_list(circuits),
            asset_ids=self._id_list(asset_ids),
            asset_type=asset_type,
            limit=limit,
            **(bbox.as_params() if bbox else NO_BBOX),
        )

    def circuit_metadata(self, *, substation_id: str | None, circuit_id: str | None) -> StoreResult[Sequence[Row]]:
        return self._read("circuit_metadata", substation_id=substation_id, circuit_id=circuit_id)

    def circuit_status(self, *, substation_id: str | None, circuit_id: str | None) -> StoreResult[list[Row]]:
        return self._read("circuit_status", substation_id=substation_id, circuit_id=circuit_id)

    def active_outages(
        self,
        *,
        status: str | None = None,
        priority: str | None = None,
        substation_id: str | None = None,
        circuit_id: str | None = None,
        outage_id: str | None = None,
    ) -> StoreResult[list[Row]]:
        return self._read(
            "active_outages",
            status=status,
            priority=priority,
            substation_id=substation_id,
            circuit_id=circuit_id,
            outage_id=outage_id,
        )

    def active_work_orders(
        self,
        *,
        status: str | None = None,
        priority: str | None = None,
        substation_id: str | None = None,
        circuit_id: str | None = None,
        outage_id: str | None = None,
        crew: str | None = None,
        limit: int,
    ) -> StoreResult[list[Row]]:
        return self._read(
            "active_work_orders",
            status=status,
            priority=priority,
            substation_id=substation_id,
            circuit_id=circuit_id,
            outage_id=outage_id,
            crew=crew,
            limit=limit,
        )

    def crews(self, *, status: str | None = None) -> StoreResult[list[Row]]:
        return self._read("crews", status=status)

    def segment(self, *, segment_id: str) -> StoreResult[list[Row]]:
        return self._read("segment", segment_id=segment_id)

    def trace_upstream(self, *, segment_id: str) -> StoreResult[list[Row]]:
        return self._read("trace_upstream", segment_id=segment_id)

    def trace_downstream(self, *, segment_id: str) -> StoreResult[list[Row]]:
        return self._read("trace_downstream", segment_id=segment_id)

    def customer_search(self, *, q: str, limit: int) -> StoreResult[list[Row]]:
        return self._read("customer_search", q=q, limit=limit)


def bbox_meets(path: Iterable[Sequence[float]], bbox: BBox) -> bool:
    """Does the path's bounding box meet the viewport (PostGIS ``&&`` semantics)?"""
    xs, ys = [], []
    for x, y in path:
        xs.append(x)
        ys.append(y)
    if not xs:
        return False
    return max(xs) >= bbox.min_lon and min(xs) <= bbox.max_lon and max(ys) >= bbox.min_lat and min(ys) <= bbox.max_lat
