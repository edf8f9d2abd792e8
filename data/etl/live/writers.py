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


def _ami_stage(cur, batch: Batch, stamp: datetime) -> int:
    table = batch.ami()
    n = table.num_rows
    table = table.append_column("INGESTION_TIME", pa.array([stamp] * n, type=pa.timestamp("us")))
    table = table.append_column("BATCH_ID", pa.array([batch.batch_id] * n, type=pa.string()))
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


def _ami_rows_json(batch: Batch) -> bytes:
    t = batch.ami()
    cols = [t.column(i).to_pylist() for i in range(t.num_columns)]
    return orjson.dumps([list(r) for r in zip(*cols)])


def _ami_bound(cur, batch: Batch, stamp: datetime) -> int:
    cur.execute(sql("load", "ami_insert"), {"rows": _ami_rows_json(batch).decode(), "ingested": stamp,
                                            "batch": batch.batch_id})
    return batch.rows


def write_batch(cur, batch: Batch, stamp: datetime, writer: str) -> None:
    """Load ``batch`` (raises on any failure; the caller keeps the batch queued)."""
    if batch.table == AMI_TABLE:
        (_ami_stage if writer == "stage" else _ami_bound)(cur, batch, stamp)
    else:
        cur.execute(sql("load", MERGES[batch.table]), {"rows": batch.data.decode(), "ingested": stamp,
                                                       "batch": batch.batch_id})


def record_batch(cur, batch: Batch, stamp: datetime, *, feed: str, writer: str) -> None:
    cur.execute(sql("load", "batch_record"), {
        "batch": batch.batch_id, "feed": feed, "table": batch.table, "seq": batch.seq, "rows": batch.rows,
        "checksum": batch.checksum,
        "created": datetime.fromtimestamp(batch.created_at, tz=timezone.utc).replace(tzinfo=None),
        "ingested": stamp, "writer": writer if batch.table == AMI_TABLE else "bound", "replayed": batch.replayed,
    })


def already_loaded(cur, batch: Batch) -> bool:
    cur.execute(sql("load", "batch_seen"), {"batch": batch.batch_id})
    return int(cur.fetchone()[0]) > 0
