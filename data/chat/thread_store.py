"""Chat threads, messages and feedback in Postgres (schema flux_chat, migration V011).

The only writes the app makes. flux_app's sessions are read-only by default (data/connections.py),
so each write opens its own transaction READ WRITE; V011 grants INSERT and SELECT on exactly these
tables. Shared by every gunicorn worker: no thread state lives in a process.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from data.read import queries

log = logging.getLogger(__name__)
Agent = Literal["cortex", "local"]
MAX_MESSAGES = 500


class ChatStoreUnavailable(RuntimeError):
    """Postgres did not take or give the rows; the caller answers 503, nothing is half-written."""


def _sql(name: str) -> str:
    return queries.load("chat", name)


class ChatStore:
    def __init__(self, pool, *, wait_s: float = 2.0):
        self.pool = pool
        self.wait_s = wait_s

    # -- plumbing ------------------------------------------------------------------------------
    def _read(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            with self.pool.connection(timeout=self.wait_s) as conn:
                with conn.cursor(row_factory=dict_row) as cur:
                    cur.execute(_sql(name), params)
                    return cur.fetchall()
        except Exception as exc:  # pool timeout, server gone, statement timeout
            log.warning("chat store read %s failed: %s", name, exc)
            raise ChatStoreUnavailable("the chat store is unavailable") from exc

    def _write(self, steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        """Run the statements in one READ WRITE transaction: all of them land, or none."""
        out = []
        try:
            with self.pool.connection(timeout=self.wait_s) as conn:
                with conn.transaction():
                    conn.execute("SET TRANSACTION READ WRITE")
                    with conn.cursor(row_factory=dict_row) as cur:
                        for name, params in steps:
                            cur.execute(_sql(name), params)
                            out.append(cur.fetchall() if cur.description else [])
        except Exception as exc:
            log.warning("chat store write %s failed: %s", [n for n, _ in steps], exc)
            raise ChatStoreUnavailable("the chat store did not save the change") from exc
        return out

    # -- threads -------------------------------------------------------------------------------
    def create_thread(self, thread_id: str, *, operator: str, agent: Agent) -> dict[str, Any]:
        [rows] = self._write([("thread_insert", {"thread_id": thread_id, "operator": operator, "agent": agent})])
        return rows[0]

    def get_thread(self, thread_id: str, *, operator: str) -> dict[str, Any] | None:
        rows = self._read("thread_get", {"thread_id": thread_id, "operator": operator})
        return rows[0] if rows else None

    def recent_threads(self, *, operator: str, limit: int = 20) -> list[dict[str, Any]]:
        return self._read("threads_recent", {"operator": operator, "limit": limit})

    def messages(self, thread_id: str) -> list[dict[str, Any]]:
        return self._read("thread_messages", {"thread_id": thread_id, "limit": MAX_MESSAGES})

    # -- messages ------------------------------------------------------------------------------
    def add_message(self, thread_id: str, *, role: str, text: str, parent_message_id: int = 0,
                    request_id: str | None = None, plan: dict | None = None) -> int:
        """A message the local agent numbers: its id comes from the sequence."""
        [rows] = self._write([("message_insert", {
            "thread_id": thread_id, "parent_message_id": parent_message_id, "role": role, "text": text[:20000],
            "request_id": request_id, "plan": Jsonb(plan) if plan is not None else None})])
        return int(rows[0]["message_id"])

    def record_turn(self, thread_id: str, *, question: str, user_message_id: int | None,
                    parent_message_id: int, answer: str, assistant_message_id: int | None,
                    request_id: str | None) -> None:
        """A Cortex turn, numbered by Cortex's `metadata` events, mirrored so the panel can list
        and reopen the thread and feedback can name the answer. Both rows or neither."""
        steps: list[tuple[str, dict[str, Any]]] = []
        if user_message_id is not None:
            steps.append(("message_insert_numbered", {
                "thread_id": thread_id, "message_id": user_message_id, "parent_message_id": parent_message_id,
                "role": "user", "text": question[:20000], "request_id": request_id}))
        if assistant_message_id is not None:
            steps.append(("message_insert_numbered", {
                "thread_id": thread_id, "message_id": assistant_message_id,
                "parent_message_id": user_message_id if user_message_id is not None else parent_message_id,
                "role": "assistant", "text": answer[:20000], "request_id": request_id}))
        if steps:
            self._write(steps)

    def chain(self, thread_id: str, message_id: int) -> list[dict[str, Any]]:
        """The messages from the thread's start to ``message_id``, following parent links (a
        thread may branch: only this branch counts)."""
        by_id = {int(m["message_id"]): m for m in self.messages(thread_id)}
        out: list[dict[str, Any]] = []
        seen: set[int] = set()
        cur = by_id.get(int(message_id))
        while cur is not None and int(cur["message_id"]) not in seen:
            seen.add(int(cur["message_id"]))
            out.append(cur)
            cur = by_id.get(int(cur["parent_message_id"] or 0))
        return out[::-1]

    def get_message(self, thread_id: str, message_id: int) -> dict[str, Any] | None:
        return next((m for m in self.messages(thread_id) if int(m["message_id"]) == int(message_id)), None)

    # -- feedback ------------------------------------------------------------------------------
    def add_feedback(self, *, thread_id: str, message_id: int, operator: str, positive: bool,
                     comment: str | None, request_id: str | None, cortex: str) -> dict[str, Any]:
        [rows] = self._write([("feedback_insert", {
            "thread_id": thread_id, "message_id": message_id, "operator": operator, "positive": positive,
            "comment": comment, "request_id": request_id, "cortex": cortex})])
        return rows[0]

    def feedback_report(self, *, days: int, limit: int) -> dict[str, Any]:
        daily = self._read("feedback_summary", {"days": days})
        recent = self._read("feedback_recent", {"days": days, "limit": limit})
        up = sum(int(d["up"]) for d in daily)
        down = sum(int(d["down"]) for d in daily)
        return {
            "days": days,
            "totals": {"up": up, "down": down, "rated": up + down,
                       "positive_share": round(up / (up + down), 3) if up + down else None},
            "by_day": [{"day": _iso(d["day"])[:10], "up": int(d["up"]), "down": int(d["down"])} for d in daily],
            "recent": [{**r, "created_at": _iso(r["created_at"])} for r in recent],
        }


def _iso(v: Any) -> str:
    return v.isoformat() if isinstance(v, datetime) else str(v)
