"""Writing one micro-batch to the warehouse through snowflake-connector-python (the same code
for a Snowflake account).

Readings go one of two ways, chosen by ``FLUX_LIVE_WRITER`` (bench/bench_live.py measures both):
- ``stage``: the batch as a Parquet file, PUT to the table stage and COPY INTO (as the generator
  loads, data/etl/synth/bulk.py; micro-batches of staged files are also how Snowpipe works);
- ``bound``: one INSERT ... SELECT over one bound JSON array, exploded server-side by FLATTEN.
Every other table is small per batch and is MERGEd from one bound JSON array (keyed, so a replay
rewrites the same rows). Each statement stamps its rows with the load's time, which is what the
pipeline (INGESTION_TIME) and the incremental sync (UPDATED_AT, LAST_UPDATED) key on.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import datetime, timedelta, timezone

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from data.etl.live.delivery import AMI_TABLE, Batch
from data.etl.live.sqlfile import sql

WRITERS = ("stage", "bound")
MERGES = {
    "METER_EVENTS": "meter_events_merge", "OUTAGE_EVENTS": "outage_events_merge",
    "WORK_ORDERS": "work_orders_merge", "CREWS": "crews_merge",
    "CIRCUIT_STATUS_REALTIME": "circuit_status_merge", "ERCOT_PRICES_5MIN": "ercot_merge",
    "HOUSTON_WEATHER_HOURLY": "weather_merge",
}


class LoadStamp:
    """Strictly increasing naive-UTC load times: each batch lands at its own INGESTION_TIME, later
    than every batch before it (the pipeline reads bronze past its watermark)."""

    def __init__(self):
        self._last = datetime(1970, 1, 1)

    def next(self) -> datetime:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        self._last = max(now, self._last + timedelta(microseconds=1))
        return self._last


# tables in the order a group writes them: an outage before its work order, both before crews
TABLE_ORDER = (AMI_TABLE, "OUTAGE_EVENTS", "WORK_ORDERS", "CREWS", "METER_EVENTS", "CIRCUIT_STATUS_REALTIME",
               "ERCOT_PRICES_5MIN", "HOUSTON_WEATHER_HOURLY")


def _ami_table(batches: list[Batch]) -> pa.Table:
    """The readings of these batches, each row tagged with its batch id."""
    parts = []
    for b in batches:
        t = b.ami()
        parts.append(t.append_column("BATCH_ID", pa.array([b.batch_id] * t.num_rows, type=pa.string())))
    return pa.concat_tables(parts)


def _ami_stage(cur, table: pa.Table, stamp: datetime) -> int:
    n = table.num_rows
    table = table.add_column(6, "INGESTION_TIME", pa.array([stamp] * n, type=pa.timestamp("us")))
    load_id = uuid.uuid4().hex[:16]
    fd, path = tempfile.mkstemp(prefix="flux-live-", suffix=".parquet")
    os.close(fd)
    try:
        pq.write_table(table, path, compression="snappy")
        cur.execute(sql("load", "ami_put").replace("{load_id}", load_id), {"url": f"file://{path}"})
        cur.execute(sql("load", "ami_copy").replace("{load_id}", load_id))
        loaded = 0
        for row in cur.fetchall():
            if str(row[1]).upper() not in ("LOADED", "PARTIALLY_LOADED"):
                raise RuntimeError(f"COPY INTO {AMI_TABLE} failed: {row}")
            loaded += int(row[3])
    finally:
        os.unlink(path)
    if loaded != n:
        raise RuntimeError(f"COPY INTO {AMI_TABLE} loaded {loaded} of {n} rows")
    return loaded


def _ami_bound(cur, table: pa.Table, stamp: datetime) -> int:
    cols = [table.column(i).to_pylist() for i in range(table.num_columns)]
    rows = orjson.dumps([list(r) for r in zip(*cols)]).decode()
    cur.execute(sql("load", "ami_insert"), {"rows": rows, "ingested": stamp})
    return table.num_rows


def write_group(cur, batches: list[Batch], stamp: datetime, writer: str) -> None:
    """Load these batches (consecutive in the queue) with one statement per table: readings in one
    COPY (or INSERT), every keyed table in one MERGE of the latest row per key. Raises on failure;
    the caller keeps them queued."""
    from data.etl.live.delivery import coalesce

    by_table: dict[str, list[Batch]] = {}
    for b in batches:
        by_table.setdefault(b.table, []).append(b)
    for table in TABLE_ORDER:
        group = by_table.get(table)
        if not group:
            continue
        if table == AMI_TABLE:
            (_ami_stage if writer == "stage" else _ami_bound)(cur, _ami_table(group), stamp)
            continue
        rows = []
        for b in group:
            rows += [r + [b.batch_id] for r in b.json_rows()] if table == "METER_EVENTS" else b.json_rows()
        cur.execute(sql("load", MERGES[table]), {"rows": orjson.dumps(coalesce(table, rows)).decode(),
                                                 "ingested": stamp})


def write_batch(cur, batch: Batch, stamp: datetime, writer: str) -> None:
    write_group(cur, [batch], stamp, writer)


def record_batches(cur, batches: list[Batch], stamp: datetime, *, feed: str, writer: str) -> None:
    """One INGEST_BATCHES row per batch, in one statement."""
    rows = [[b.batch_id, b.table, b.seq, b.rows, b.checksum,
             datetime.fromtimestamp(b.created_at, tz=timezone.utc).replace(tzinfo=None).isoformat(sep=" "),
             writer if b.table == AMI_TABLE else "bound", b.replayed] for b in batches]
    cur.execute(sql("load", "batch_record"), {"rows": orjson.dumps(rows).decode(), "feed": feed, "ingested": stamp})


def already_loaded(cur, batches: list[Batch]) -> set[str]:
    """The ids of these batches that INGEST_BATCHES already holds."""
    cur.execute(sql("load", "batches_seen"), {"ids": orjson.dumps([b.batch_id for b in batches]).decode()})
    return {r[0] for r in cur.fetchall()}
