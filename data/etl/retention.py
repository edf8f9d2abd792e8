"""Retention of raw AMI readings in the warehouse.

    python -m data.etl.retention [--days N]

Bronze (AMI_INTERVAL_READINGS) keeps ``FLUX_BRONZE_RETENTION_DAYS`` (7) of raw deliveries by
INGESTION_TIME; older rows are deleted once silver has consumed them. Silver holds one row per
meter and interval, so a late re-delivery of an old interval is still deduplicated against it
after its bronze original is gone. Silver, gold and the aggregates (AMI_MONTHLY_USAGE,
TRANSFORMER_HOURLY_LOAD) are kept whole: the monthly step re-aggregates a touched month from
gold, which must therefore keep every reading of it. The continuous pipeline runs this every
``FLUX_RETENTION_EVERY_S``; a Snowflake account would use a scheduled task with the same DELETE.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from settings import Settings
from data.connections import connect_warehouse

SQL = Path(__file__).resolve().parent / "sql" / "retention" / "bronze_purge.sql"

log = logging.getLogger("flux.retention")


def cutoff_for(days: float, now: datetime | None = None) -> datetime:
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    return now - timedelta(days=days)


def purge_bronze(conn, settings: Settings, *, days: float | None = None, now: datetime | None = None) -> dict:
    """Delete raw bronze older than the retention window on an open warehouse connection."""
    started = time.perf_counter()
    cutoff = cutoff_for(settings.bronze_retention_days if days is None else days, now)
    cur = conn.cursor()
    cur.execute(SQL.read_text().strip().rstrip(";"), {"cutoff": cutoff})
    row = cur.fetchone() if cur.description else None
    deleted = int(row[0]) if row and row[0] is not None else max(cur.rowcount or 0, 0)
    report = {"deleted": deleted, "cutoff": cutoff.isoformat(), "duration_s": round(time.perf_counter() - started, 3)}
    log.info(json.dumps({"event": "retention.bronze", **report}))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Delete raw bronze AMI readings past their retention.")
    parser.add_argument("--days", type=float, help="keep this many days (default FLUX_BRONZE_RETENTION_DAYS)")
    args = parser.parse_args(argv)
    if args.days is not None and args.days <= 0:
        parser.error("--days needs a positive number")
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(message)s")
    conn = connect_warehouse(settings)
    try:
        purge_bronze(conn, settings, days=args.days)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
