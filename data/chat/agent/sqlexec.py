"""Read-only execution of the agent's SQL: SELECT only, bound parameters, a row cap, a timeout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from settings import Settings

AGENT_QUERY_DIR = Path(__file__).resolve().parent.parent / "queries" / "agent"
_NAME = re.compile(r"^[a-z0-9_]+$")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_WRITE = re.compile(
    r"\b(insert|update|delete|merge|drop|alter|create|truncate|grant|revoke|copy|put|remove|call|execute|"
    r"use|set|unset|begin|commit|rollback|undrop|comment)\b",
    re.I,
)


class UnsafeSQL(ValueError):
    """The statement is not a single read-only SELECT."""


@dataclass(frozen=True)
class Result:
    columns: list[str]
    types: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    store: str


def ensure_read_only(sql: str) -> str:
    """Defence in depth: the SQL comes from the repo, but nothing but one SELECT may ever run."""
    body = _COMMENT.sub(" ", sql).strip().rstrip(";").strip()
    if ";" in body:
        raise UnsafeSQL("more than one statement")
    if not re.match(r"^(select|with)\b", body, re.I):
        raise UnsafeSQL("not a SELECT")
    # String literals may hold any word; look only outside them.
    outside = re.sub(r"'(?:[^']|'')*'", "''", body)
    if _WRITE.search(outside):
        raise UnsafeSQL("a write or session keyword")
    return body


def agent_query(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"bad agent query name {name}")
    return (AGENT_QUERY_DIR / f"{name}.sql").read_text()


def _value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, datetime):
        return v.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(v, date):
        return v.isoformat()
    return v


def _type_name(values: list[Any]) -> str:
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            return "BOOLEAN"
        if isinstance(v, (int, float, Decimal)):
            return "FIXED" if isinstance(v, (int, Decimal)) else "REAL"
        if isinstance(v, datetime):
            return "TIMESTAMP_NTZ"
        if isinstance(v, date):
            return "DATE"
        return "TEXT"
    return "TEXT"


def _result(columns: list[str], raw: list[tuple], cap: int, store: str) -> Result:
    truncated = len(raw) > cap
    raw = raw[:cap]
    types = [_type_name([r[i] for r in raw]) for i in range(len(columns))]
    rows = [{c: _value(v) for c, v in zip(columns, r)} for r in raw]
    return Result(columns, types, rows, truncated, store)


def run_postgres(pool, sql: str, params: dict[str, Any], *, cap: int) -> Result:
    """Through the app's read-only pool (statement_timeout and read-only set per connection)."""
    body = ensure_read_only(sql)
    with pool.connection() as conn:
        with conn.cursor() as cur:
            cur.execute(body, params)
            columns = [d.name for d in cur.description]
            raw = cur.fetchmany(cap + 1)
    return _result(columns, raw, cap, "postgres")


def run_warehouse(settings: Settings, sql: str, params: dict[str, Any], *, cap: int, timeout_s: int,
                  pool=None) -> Result:
    """On a connection of the process's warehouse pool (data.read.warehouse.WarehousePool) when given,
    else on a connection opened for this statement."""
    body = ensure_read_only(sql)
    if pool is not None:
        with pool.connection() as conn:
            return _warehouse_result(conn, body, params, cap, timeout_s)
    from data.connections import connect_warehouse

    conn = connect_warehouse(settings)
    try:
        return _warehouse_result(conn, body, params, cap, timeout_s)
    finally:
        conn.close()


def _warehouse_result(conn, body: str, params: dict[str, Any], cap: int, timeout_s: int) -> Result:
    cur = conn.cursor()
    try:
        cur.execute(body, params, timeout=timeout_s)
        columns = [d[0].lower() for d in cur.description]
        raw = cur.fetchmany(cap + 1)
    finally:
        cur.close()
    return _result(columns, raw, cap, "warehouse")
