"""The local agent: answers from the semantic model's verified queries and streams the same
events as a Cortex Agent (see data/chat/cortex.py), so the proxy and the chat panel cannot tell the
two apart. Used when no Snowflake account is configured."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

from settings import Settings
from data.chat.agent import matcher, params as P
from data.chat.agent.intents import BY_NAME, INTENTS, Context, Intent
from data.chat.agent.search import search_customers, search_sql
from data.chat.agent.semantic import SemanticModel, load
from data.chat.agent.sqlexec import Result, agent_query, run_postgres, run_warehouse
from data.chat.thread_store import ChatStore, ChatStoreUnavailable
from data.chat.cortex import AgentEvent

log = logging.getLogger(__name__)

ANALYST = {"type": "cortex_analyst_text_to_sql", "name": "grid_analyst"}
SEARCH = {"type": "cortex_search", "name": "customer_search"}
_WRITE_REQUEST = re.compile(
    r"\b(drop|truncate|delete|insert|alter|grant|revoke|merge|update\s+\w+\s+set|create\s+(?:table|view|schema|"
    r"database|user|role))\b",
    re.I,
)
MIN_SCORE = 4.0
# "Which of those ...": the question narrows the previous answer rather than asking a new one.
_REFERS_BACK = re.compile(r"\b(those|these|them|they|of which|that list|the same)\b", re.I)


@dataclass
class Plan:
    intent: Intent
    params: P.Params


@dataclass
class Turn:
    """One question in a thread: the ids it is stored under and what the earlier turns asked."""

    request_id: str
    thread_id: str | None = None
    user_message_id: int | None = None
    previous: dict | None = None  # the plan of the answer this question continues
    plan: dict | None = field(default=None)


def plan_json(plan: "Plan") -> dict:
    ex = plan.params
    dr = ex.date_range
    return {"intent": plan.intent.name, "ids": dict(ex.ids), "threshold": ex.threshold,
            "customer_name": ex.customer_name, "min_customers": ex.min_customers,
            "date_range": [dr.start.isoformat(), dr.end.isoformat(), dr.label] if dr else None}


def plan_params(data: dict) -> P.Params:
    dr = data.get("date_range")
    return P.Params(ids=dict(data.get("ids") or {}), threshold=data.get("threshold"),
                    customer_name=data.get("customer_name"), min_customers=data.get("min_customers"),
                    date_range=P.DateRange(datetime.fromisoformat(dr[0]), datetime.fromisoformat(dr[1]), dr[2]) if dr else None)


class LocalAgent:
    def __init__(self, settings: Settings, *, pg_pool=None, warehouse_pool=None,
                 model: SemanticModel | None = None, sleep: Callable[[float], None] = time.sleep,
                 chat: ChatStore | None = None):
        self.settings = settings
        self.pg_pool = pg_pool
        self.warehouse_pool = warehouse_pool
        self.model = model or load()
        self.sleep = sleep
        # Threads live in Postgres (flux_chat), shared by every worker; none without a cache.
        self.chat = chat if chat is not None else (ChatStore(pg_pool) if pg_pool is not None else None)
        self._clock: tuple[float, datetime] | None = None

    # -- the data's clock ----------------------------------------------------------------------
    def now(self) -> datetime:
        """'Now' for relative dates: the latest real-time grid status, cached for 30 s."""
        if self._clock and time.monotonic() - self._clock[0] < 30:
            return self._clock[1]
        found: datetime | None = None
        try:
            if self.pg_pool is not None:
                r = run_postgres(self.pg_pool, "SELECT max(last_updated) AS t FROM flux.circuit_status_realtime", {}, cap=1)
                found = _parse_ts(r.rows[0]["t"]) if r.rows else None
            if found is None:
                r = self._warehouse(f"SELECT MAX(LAST_UPDATED) AS T FROM {self.settings.snowflake_schema}.CIRCUIT_STATUS_REALTIME", {}, 1)
                found = _parse_ts(r.rows[0]["t"]) if r.rows else None
        except Exception:  # the clock is best effort: the wall clock will do
            log.warning("agent: data clock unavailable", exc_info=True)
        now = found or datetime.utcnow()
        self._clock = (time.monotonic(), now)
        return now

    # -- planning ------------------------------------------------------------------------------
    def plan(self, question: str, previous: dict | None = None) -> Plan | None:
        """The verified query a question asks for; ``previous`` is the plan of the answer it
        follows up (from the thread), whose parameters it keeps unless it names new ones."""
        found = matcher.concepts(question, self.model)
        extracted = P.extract(question, self.now())
        best: tuple[float, Intent] | None = None
        for intent in INTENTS:
            s = matcher.score(found, intent.all_of, intent.boost, intent.penalty)
            if s is None:
                continue
            s += sum(1.5 for need in intent.needs if _has(extracted, need))
            if best is None or s > best[0]:
                best = (s, intent)
        follow_up = previous is not None and previous.get("intent") in BY_NAME and not extracted.is_empty()
        if follow_up and (_REFERS_BACK.search(question) or best is None or best[0] < MIN_SCORE):
            merged = plan_params(previous)
            merged.ids.update(extracted.ids)
            merged.date_range = extracted.date_range or merged.date_range
            merged.threshold = extracted.threshold if extracted.threshold is not None else merged.threshold
            merged.customer_name = extracted.customer_name or merged.customer_name
            if extracted.min_customers is not None:
                merged.min_customers = extracted.min_customers
            chosen = Plan(BY_NAME[previous["intent"]], merged)
        elif best and best[0] >= MIN_SCORE:
            chosen = Plan(best[1], extracted)
        else:
            return None
        if chosen.params.min_customers is not None and "min_customers" not in chosen.intent.refinements:
            return None  # it cannot narrow by customers served: say so rather than ignore it
        return chosen

    # -- the stream ------------------------------------------------------------------------------
    def run(self, query: str, *, thread_id=None, parent_message_id=None) -> Iterator[AgentEvent]:
        turn = Turn(request_id=str(uuid.uuid4()))
        yield AgentEvent("request_id", {"request_id": turn.request_id})
        yield AgentEvent("response.status", {"status": "planning", "message": "Planning the next steps"})
        if thread_id is not None and self.chat is not None:
            # The thread as Cortex keeps it: the question is a message under its parent answer,
            # and the answers before it (that branch only) are the context it is read in.
            turn.thread_id = str(thread_id)
            parent = int(parent_message_id or 0)
            try:
                if parent:
                    earlier = [m for m in self.chat.chain(turn.thread_id, parent) if m["role"] == "assistant" and m["plan"]]
                    turn.previous = earlier[-1]["plan"] if earlier else None
                turn.user_message_id = self.chat.add_message(turn.thread_id, role="user", text=query,
                                                             parent_message_id=parent, request_id=turn.request_id)
            except ChatStoreUnavailable:
                yield AgentEvent("error", {"code": "thread_unavailable", "request_id": turn.request_id,
                                           "message": "The conversation could not be saved; please try again."})
                return
            yield AgentEvent("metadata", {"role": "user", "message_id": turn.user_message_id})
        content: list[dict] = []
        if _WRITE_REQUEST.search(query):
            text = ("I can only read grid data; I never change, drop or delete anything. "
                    "Try one of the suggested questions instead.")
            yield from self._finish(text, content, turn, suggestions=True)
            return
        plan = self.plan(query, turn.previous)
        if plan is None:
            if _looks_like_search(query, self.model):
                yield from self._search_answer(query, content, turn)
                return
            text = ("I can't answer that from the grid data I know about, and I won't guess a number. "
                    "I can answer questions like these:")
            yield from self._finish(text, content, turn, suggestions=True)
            return
        turn.plan = plan_json(plan)
        yield from self._answer(query, plan, content, turn)

    def _answer(self, query: str, plan: Plan, content: list[dict], turn: Turn) -> Iterator[AgentEvent]:
        intent, ex = plan.intent, plan.params
        yield AgentEvent("response.status", {"status": "executing_tool", "message": "Running the grid analyst"})
        bound, labels = self._bind(intent, ex)
        if "customer" in intent.needs and "customer_id" not in bound and ex.customer_name and self.pg_pool is not None:
            tid = _tool_id()
            yield AgentEvent("response.tool_use", {"content_index": len(content), "tool_use_id": tid, **SEARCH,
                                                   "input": {"query": ex.customer_name}, "client_side_execute": False})
            hits = search_customers(self.pg_pool, ex.customer_name, limit=5)
            yield AgentEvent("response.tool_result", {"content_index": len(content), "tool_use_id": tid, **SEARCH,
                                                      "status": "success",
                                                      "content": [{"type": "json", "json": {"searchResults": hits}}]})
            if hits:
                bound["customer_id"] = hits[0]["customer_id"]
                labels["customer"] = f"{hits[0]['full_name']} ({hits[0]['customer_id']})"
        missing = [need for need in intent.needs if need not in bound and not (need == "customer" and "customer_id" in bound)]
        if missing:
            ask = {"customer": "Which customer? Give a name, an account id (CUST-...) or a meter id.",
                   "transformer_id": "Which transformer? Give its id, for example XFMR-000123.",
                   "crew_id": "Which crew? Give its id, for example CREW-001."}[missing[0]]
            yield from self._finish(ask, content, turn, elicitation=True)
            return
        sql_wh = self._warehouse_sql(intent)
        tid = _tool_id()
        yield AgentEvent("response.tool_use", {"content_index": len(content), "tool_use_id": tid, **ANALYST,
                                               "input": {"query": query, "verified_query": intent.name},
                                               "client_side_execute": False})
        started = time.perf_counter()
        try:
            result, sql = self._execute(intent, sql_wh, bound)
        except Exception as exc:  # the panel shows this; nothing half-made is presented as data
            log.warning("agent query %s failed: %s", intent.name, exc)
            yield AgentEvent("response.tool_result", {"content_index": len(content), "tool_use_id": tid, **ANALYST,
                                                      "status": "error", "content": [{"type": "text", "text": "The query failed."}]})
            yield AgentEvent("error", {"code": "query_failed", "request_id": tid,
                                       "message": "The data store did not answer in time; please try again."})
            return
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        query_id = str(uuid.uuid4())
        tool_json = {"sql": sql.strip(), "params": {k: _plain(v) for k, v in bound.items()}, "verified_query_used": intent.name, "query_id": query_id,
                     "store": result.store, "row_count": len(result.rows), "truncated": result.truncated,
                     "elapsed_ms": elapsed_ms}
        yield AgentEvent("response.tool_result", {"content_index": len(content), "tool_use_id": tid, **ANALYST,
                                                  "status": "success", "content": [{"type": "json", "json": tool_json}]})
        content.append({"type": "tool_result", "tool_result": {"tool_use_id": tid, **ANALYST, "content": [{"type": "json", "json": tool_json}]}})
        table = {"content_index": len(content), "tool_use_id": tid, "query_id": query_id, "title": intent.title,
                 "result_set": {"resultSetMetaData": {"numRows": len(result.rows),
                                                      "rowType": [{"name": c, "type": t} for c, t in zip(result.columns, result.types)]},
                                "data": [[r[c] for c in result.columns] for r in result.rows]}}
        yield AgentEvent("response.table", table)
        content.append({"type": "table", "table": table})
        if intent.chart and result.rows:
            chart = {"content_index": len(content), "tool_use_id": tid,
                     "chart_spec": json.dumps(_vega_lite(intent, result), default=str)}
            yield AgentEvent("response.chart", chart)
            content.append({"type": "chart", "chart": chart})
        text = intent.answer(result.rows, Context(bound, labels, result.truncated))
        yield from self._finish(text, content, turn)

    def _search_answer(self, query: str, content: list[dict], turn: Turn) -> Iterator[AgentEvent]:
        if self.pg_pool is None:
            yield from self._finish("Customer search needs the operational cache, which is not configured.", content, turn)
            return
        yield AgentEvent("response.status", {"status": "executing_tool", "message": "Searching customers"})
        ex = P.extract(query, self.now())
        needle = ex.ids.get("customer_id") or ex.ids.get("meter_id") or ex.customer_name or _strip_search_words(query)
        tid = _tool_id()
        yield AgentEvent("response.tool_use", {"content_index": 0, "tool_use_id": tid, **SEARCH,
                                               "input": {"query": needle}, "client_side_execute": False})
        hits = search_customers(self.pg_pool, needle, limit=10)
        sql = search_sql()
        yield AgentEvent("response.tool_result", {"content_index": 0, "tool_use_id": tid, **SEARCH, "status": "success",
                                                  "content": [{"type": "json", "json": {"sql": sql.strip(), "params": {"q": needle},
                                                                                        "searchResults": hits}}]})
        if hits:
            cols = list(hits[0].keys())
            yield AgentEvent("response.table", {"content_index": 1, "tool_use_id": tid, "query_id": tid,
                                                "title": "Customers found",
                                                "result_set": {"resultSetMetaData": {"numRows": len(hits),
                                                                                     "rowType": [{"name": c, "type": "TEXT"} for c in cols]},
                                                               "data": [[h[c] for c in cols] for h in hits]}})
            top = hits[0]
            text = (f"{len(hits)} customers match \"{needle}\". Best match: {top['full_name']} ({top['customer_id']}), "
                    f"meter {top['primary_meter_id']}, {top['service_address']}, {top['city']}.")
        else:
            text = f"No customer matches \"{needle}\"."
        yield from self._finish(text, content, turn)

    def _finish(self, text: str, content: list[dict], turn: Turn, *, suggestions: bool = False,
                elicitation: bool = False) -> Iterator[AgentEvent]:
        if suggestions:
            text = text + "\n" + "\n".join(f"- {q}" for q in self.suggestions())
        idx = len(content)
        delay = self.settings.agent_local_token_delay_ms / 1000
        for i, piece in enumerate(_pieces(text)):
            if i and delay:
                self.sleep(delay)  # paced like a model's tokens, so the panel shows the answer growing
            yield AgentEvent("response.text.delta", {"content_index": idx, "text": piece, "is_elicitation": elicitation})
        content.append({"type": "text", "text": text})
        if turn.user_message_id is not None:
            try:
                message_id = self.chat.add_message(turn.thread_id, role="assistant", text=text,
                                                   parent_message_id=turn.user_message_id,
                                                   request_id=turn.request_id, plan=turn.plan)
            except ChatStoreUnavailable:
                yield AgentEvent("error", {"code": "thread_unavailable", "request_id": turn.request_id,
                                           "message": "The answer could not be saved to the conversation; "
                                                      "ask again to continue it."})
            else:
                yield AgentEvent("metadata", {"role": "assistant", "message_id": message_id})
        yield AgentEvent("response", {"role": "assistant", "content": content,
                                      **({"suggestions": self.suggestions()} if suggestions else {})})

    def suggestions(self) -> list[str]:
        return self.model.onboarding_questions()

    # -- SQL -------------------------------------------------------------------------------------
    def _bind(self, intent: Intent, ex: P.Params) -> tuple[dict[str, Any], dict[str, str]]:
        bound: dict[str, Any] = {}
        labels: dict[str, str] = {}
        for key in ("transformer_id", "crew_id", "customer_id"):
            if key in ex.ids:
                bound[key] = ex.ids[key]
        if "customer_id" in bound:
            labels["customer"] = f"Customer {bound['customer_id']}"
        for key in intent.optional_ids:
            bound[key] = ex.ids.get(key)
        for key in intent.refinements:
            bound[key] = getattr(ex, key)
        where = [ex.ids[k] for k in intent.optional_ids if ex.ids.get(k)]
        labels["where"] = f" on {' '.join(where)}" if where else ""
        if intent.threshold_default is not None:
            bound["threshold"] = ex.threshold if ex.threshold is not None else intent.threshold_default
            unit = " mph" if intent.name == "outages_high_wind" else "%"
            labels["threshold"] = f"{bound['threshold']:g}{unit}"
        if intent.date_default is not None:
            dr = ex.date_range or P.date_range(intent.date_default.replace("_", " "), self.now())
            bound["date_from"], bound["date_to"] = dr.start, dr.end
            labels["dates"] = dr.label if dr.label.startswith(("yesterday", "today", "this", "last", "the")) else f"in {dr.label}"
        return bound, labels

    def _warehouse_sql(self, intent: Intent) -> str:
        vq = self.model.verified[intent.name]
        sql = self.model.physical_sql(vq.sql, self.settings.snowflake_schema)
        for fragment, replacement in intent.binds.items():
            if fragment not in sql:
                raise KeyError(f"verified query {intent.name} lacks {fragment!r}")
            sql = sql.replace(fragment, replacement)
        return sql

    def _execute(self, intent: Intent, sql_wh: str, bound: dict[str, Any]) -> tuple[Result, str]:
        cap = self.settings.agent_row_cap
        if intent.store == "postgres" and self.pg_pool is not None:
            sql = agent_query(intent.name)
            try:
                return run_postgres(self.pg_pool, sql, bound, cap=cap), sql
            except Exception:  # the cache is down: the warehouse answers the same verified query
                log.warning("agent: postgres failed for %s, using the warehouse", intent.name, exc_info=True)
        return self._warehouse(sql_wh, bound, cap), sql_wh

    def _warehouse(self, sql: str, params: dict[str, Any], cap: int) -> Result:
        return run_warehouse(self.settings, sql, params, cap=cap, timeout_s=self.settings.agent_statement_timeout_s,
                             pool=self.warehouse_pool)


# -- helpers ------------------------------------------------------------------------------------
def _has(ex: P.Params, need: str) -> bool:
    if need == "customer":
        return "customer_id" in ex.ids or bool(ex.customer_name)
    return need in ex.ids


def _plain(v: Any) -> Any:
    return v.isoformat(sep=" ") if isinstance(v, datetime) else v


def _tool_id() -> str:
    return "toolu_" + uuid.uuid4().hex[:20]


def _parse_ts(v: Any) -> datetime | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    return datetime.fromisoformat(str(v)).replace(tzinfo=None)


def _pieces(text: str, words: int = 3) -> list[str]:
    """Split into chunks of a few words, whitespace kept, so joining them gives the text back."""
    tokens = re.findall(r"\S+\s*|\s+", text)
    return ["".join(tokens[i:i + words]) for i in range(0, len(tokens), words)] or [""]


def _looks_like_search(query: str, model: SemanticModel) -> bool:
    found = matcher.concepts(query, model)
    ids = P.extract(query, datetime.utcnow()).ids
    return "search" in found or ("customer" in found and bool(P.customer_name(query))) or \
        bool({"customer_id", "meter_id"} & set(ids))


def _strip_search_words(query: str) -> str:
    words = [w for w in re.findall(r"[\w'\-]+", query)
             if w.lower() not in {"find", "search", "for", "look", "up", "lookup", "locate", "customer", "customers",
                                  "who", "is", "where", "the", "a", "an", "at", "with", "named", "called", "account",
                                  "address", "lives", "me", "please", "show"}]
    return " ".join(words)


def _vega_lite(intent: Intent, result: Result) -> dict[str, Any]:
    c = intent.chart
    rows = result.rows if c.mark == "line" else result.rows[: c.top]
    x: dict[str, Any] = {"field": c.x, "type": c.x_type, "title": c.x.replace("_", " ")}
    if c.mark == "bar" and c.x_type == "nominal" and not c.color:
        x["sort"] = "-y"
    enc: dict[str, Any] = {"x": x, "y": {"field": c.y, "type": "quantitative", "title": c.y.replace("_", " ")},
                           "tooltip": [{"field": col} for col in result.columns[:6]]}
    if c.color:
        enc["color"] = {"field": c.color, "type": "nominal", "title": c.color.replace("_", " ")}
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": intent.title,
            "width": "container", "height": 220, "data": {"values": rows},
            "mark": {"type": c.mark, "tooltip": True, **({"point": True} if c.mark == "line" else {})},
            "encoding": enc}
