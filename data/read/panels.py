"""The panels composed from several store reads: a feeder segment's network trace and the details
panel. They run against whichever store serves the read (data/read/repository.py chooses), so both
stores assemble them the same way."""

from __future__ import annotations

from datetime import datetime

from data.read.models import Row, StoreResult
from data.read.store import Store


def latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def network_trace(store: Store, segment_id: str) -> StoreResult[Row | None]:
    up = store.trace_upstream(segment_id=segment_id)
    if not up.data:
        return StoreResult(None, up.freshness)
    down = store.trace_downstream(segment_id=segment_id)
    target = up.data[-1]
    sub = store.substation(substation_id=target["substation_id"])
    return StoreResult(
        {
            "segment_id": segment_id,
            "circuit_id": target["circuit_id"],
            "substation": sub.data[0] if sub.data else None,
            "head_segment_id": up.data[0]["segment_id"],
            "upstream": up.data,
            "downstream": down.data,
            "downstream_segment_count": len(down.data),
            "transformer_count": sum(r["transformer_count"] for r in down.data),
            "customer_count": sum(r["customer_count"] for r in down.data),
        },
        latest(up.freshness, down.freshness, sub.freshness),
    )


def details(store: Store, kind: str, id: str, *, work_order_limit: int) -> StoreResult[Row | None]:
    if kind == "substation":
        main = store.substation(substation_id=id)
        scope = {"substation_id": id}
    elif kind == "segment":
        main = store.segment(segment_id=id)
        scope = {"circuit_id": main.data[0]["circuit_id"]} if main.data else {}
    else:
        main = store.active_outages(outage_id=id)
        scope = {"circuit_id": main.data[0]["circuit_id"]} if main.data else {}
    if not main.data:
        return StoreResult(None, main.freshness)
    circuits = store.circuit_status(substation_id=scope.get("substation_id"), circuit_id=scope.get("circuit_id"))
    outages = main if kind == "outage" else store.active_outages(**scope)
    work_orders = store.active_work_orders(
        outage_id=id if kind == "outage" else None,
        limit=work_order_limit,
        **({} if kind == "outage" else scope),
    )
    return StoreResult(
        {
            "kind": kind,
            "id": id,
            "item": main.data[0],
            "scope": scope,
            "circuits": circuits.data,
            "outages": outages.data,
            "work_orders": work_orders.data,
            "customers_affected": sum(o["affected_customers_count"] for o in outages.data),
            "load_curve": None,
        },
        latest(main.freshness, circuits.freshness, outages.freshness, work_orders.freshness),
    )
