"""Chat threads and feedback: the routes beside /api/agent/stream, and the thread bookkeeping the
stream does.

    POST /api/agent/threads (also /api/agent/threads/create, the original's path)  a new thread
    GET  /api/agent/threads                          the operator's recent threads
    GET  /api/agent/threads/<thread_id>              one thread's messages, to reopen it
    POST /api/agent/feedback                         thumbs up/down (+ comment) on one answer
    GET  /api/agent/feedback/report                  the ratings, for analysts

Threads are per operator (the Sf-Context-Current-User header, app/user.py) and live in Postgres
(data/chat/thread_store.py), so every gunicorn worker sees them. On a Snowflake account the thread id is
Cortex's (POST /api/v2/cortex/threads) and feedback is also sent to the agent's feedback endpoint.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any, Iterator

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.routing import BaseConverter

from app.request_guard import Refused, json_request
from app.user import current_user
from app.validation import ValidationError, integer, parse_args
from data.chat.thread_store import ChatStore, ChatStoreUnavailable
from data.chat.cortex import AgentEvent, CortexClient, CortexError

log = logging.getLogger(__name__)
bp = Blueprint("flux_agent_threads", __name__)

THREAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_COMMENT_CHARS = 1000
MAX_MESSAGE_ID = 2**63 - 1
RATINGS = {"up": True, "down": False}
FEEDBACK_FIELDS = frozenset({"thread_id", "message_id", "rating", "comment", "request_id"})


class ThreadError(Exception):
    """A request the thread routes refuse: the status and a message safe to show."""

    def __init__(self, status: int, message: str, error: str = "bad_request"):
        super().__init__(message)
        self.status, self.message, self.error = status, message, error


class ThreadPathConverter(BaseConverter):
    """A thread id path segment, except "create", which is the original's POST-only path."""

    regex = r"(?!create(?![^/]))[^/]+"


def register_agent_threads(server: Flask) -> None:
    server.url_map.converters.setdefault("thread", ThreadPathConverter)
    server.register_blueprint(bp)


@bp.errorhandler(ThreadError)
def _thread_error(exc: ThreadError):
    return _json_error(exc.status, exc.error, exc.message)


@bp.errorhandler(ValidationError)
def _validation_error(exc: ValidationError):
    return _json_error(400, "bad_request", str(exc))


@bp.errorhandler(ChatStoreUnavailable)
def _store_down(exc: ChatStoreUnavailable):
    return _json_error(503, "unavailable", "the chat store is unavailable; nothing was saved, try again shortly")


def _json_error(status: int, error: str, message: str):
    resp = jsonify({"error": error, "message": message})
    resp.status_code = status
    return resp


# -- shared pieces ------------------------------------------------------------------------------
def chat_store(app: Flask) -> ChatStore:
    """The process's chat store, on the repository's Postgres pool."""
    store = app.extensions.get("flux_chat_store")
    if store is None:
        repo = app.extensions.get("flux_repository")
        pg = repo.postgres if repo is not None else None
        if pg is None:
            raise ChatStoreUnavailable("no Postgres pool")
        # The repository may swap its pool (PostgresStore.revive): always use its current one.
        store = ChatStore(_CurrentPool(pg), wait_s=app.config["FLUX_SETTINGS"].pg_pool_timeout_s * 4)
        app.extensions["flux_chat_store"] = store
    return store


class _CurrentPool:
    def __init__(self, pg_store):
        self._pg = pg_store

    def connection(self, **kw):
        return self._pg.pool.connection(**kw)


def _source(app: Flask):
    from app.agent_api import agent_source

    return agent_source(app)


def json_body(max_bytes: int) -> dict[str, Any]:
    """The request's JSON object (an empty body is ``{}``), by the chat stream's rules: same
    origin, application/json (415), at most ``max_bytes`` however sent (413), sanely nested."""
    try:
        body = json_request(max_bytes, if_empty={})
    except Refused as refused:
        raise ThreadError(refused.status, refused.message, refused.error) from None
    if not isinstance(body, dict):
        raise ThreadError(400, "send a JSON object")
    return body


def thread_id_value(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise ThreadError(400, "thread_id must be a string or an integer")
    text = str(raw).strip()
    if not THREAD_ID.match(text) or (isinstance(raw, int) and raw < 0):
        raise ThreadError(400, "thread_id is not a valid id (1-64 letters, digits, '-' or '_')")
    return text


def message_id_value(raw: Any, name: str = "message_id") -> int:
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{1,19}", raw.strip()):
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise ThreadError(400, f"{name} must be a positive integer")
    if raw > MAX_MESSAGE_ID:  # well formed, but no message has such an id
        raise ThreadError(404, "no such answer in this thread", "not_found")
    return raw


def _agent_kind(source) -> str:
    return "cortex" if isinstance(source, CortexClient) else "local"


def new_thread(app: Flask, operator: str) -> tuple[int | str, dict[str, Any]]:
    """Open a thread for the operator: at Cortex on a Snowflake account, then recorded here."""
    source = _source(app)
    if isinstance(source, CortexClient):
        thread_id = source.create_thread()  # CortexError: the caller words it
    else:
        thread_id = 10**14 + secrets.randbelow(9 * 10**14)  # 15 digits, like the ids Cortex hands out
    row = chat_store(app).create_thread(thread_id_value(thread_id), operator=operator, agent=_agent_kind(source))
    return thread_id, row


def owned_thread(app: Flask, thread_id: str, operator: str) -> dict[str, Any]:
    row = chat_store(app).get_thread(thread_id, operator=operator)
    if row is None:
        raise ThreadError(404, "no such thread for this operator", "not_found")
    return row


# -- the stream's side ------------------------------------------------------------------------------
def stream_thread(app: Flask, thread_id, parent_message_id) -> tuple[Any, int, bool]:
    """The thread a stream runs in: (thread id, parent message id, recorded in the store).
    A given thread must be one of the operator's (ThreadError 404). Without one a new thread is
    opened; if Postgres cannot record it the question is still answered, as a one-off (Cortex:
    in its own thread, which the panel's list will not show)."""
    operator = current_user()
    if thread_id is not None:
        owned_thread(app, thread_id_value(thread_id), operator)
        return thread_id, int(parent_message_id or 0), True
    source = _source(app)
    cortex_thread = source.create_thread() if isinstance(source, CortexClient) else None
    tid = cortex_thread if cortex_thread is not None else 10**14 + secrets.randbelow(9 * 10**14)
    try:
        chat_store(app).create_thread(thread_id_value(tid), operator=operator, agent=_agent_kind(source))
    except ChatStoreUnavailable:
        log.warning("chat store unavailable: answering without a stored thread")
        return cortex_thread, 0, False
    return tid, 0, True


def relay(events: Iterator[AgentEvent], *, app: Flask, thread_id, parent_message_id, query: str,
          recorded: bool) -> Iterator[AgentEvent]:
    """Every event the agent sends, as it comes; `request_id` and `metadata` carry the thread id
    too. For a Cortex run the turn is mirrored into the chat store at the end (``recorded``:
    the thread is in the store), so the panel can reopen it and feedback can name the answer."""
    answer: list[str] = []
    final_text = ""
    ids: dict[str, int] = {}
    request_id = None
    for ev in events:
        if ev.event in ("request_id", "metadata") and thread_id is not None:
            ev = AgentEvent(ev.event, {**ev.data, "thread_id": thread_id})
        if ev.event == "request_id":
            request_id = ev.data.get("request_id")
        elif ev.event == "metadata" and ev.data.get("role") in ("user", "assistant"):
            try:
                ids[ev.data["role"]] = int(ev.data.get("message_id"))
            except (TypeError, ValueError):
                pass
        elif ev.event == "response.text.delta":
            answer.append(ev.text)
        elif ev.event == "response.text":
            final_text = ev.text
        yield ev
    if recorded and "assistant" in ids:
        try:
            chat_store(app).record_turn(
                str(thread_id), question=query, user_message_id=ids.get("user"),
                parent_message_id=int(parent_message_id or 0), answer=final_text or "".join(answer),
                assistant_message_id=ids["assistant"], request_id=request_id)
        except ChatStoreUnavailable:
            yield AgentEvent("error", {"code": "thread_unavailable", "request_id": request_id,
                                       "message": "The answer could not be saved to the conversation list."})


# -- routes -------------------------------------------------------------------------------------------
@bp.post("/api/agent/threads")
@bp.post("/api/agent/threads/create")
def create_thread():
    settings = current_app.config["FLUX_SETTINGS"]
    body = json_body(settings.max_request_bytes)
    if body:
        raise ThreadError(400, "a new thread takes no fields: send {}")
    app = current_app._get_current_object()
    try:
        thread_id, row = new_thread(app, current_user())
    except CortexError as exc:
        raise ThreadError(502, exc.message, "cortex_error") from None
    resp = jsonify({"thread_id": str(thread_id), "agent": row["agent"], "created_at": row["created_at"].isoformat()})
    resp.status_code = 201
    return resp


@bp.get("/api/agent/threads")
def list_threads():
    args = parse_args(request.args, {"limit": integer(1, 100)}, {"limit": 20})
    rows = chat_store(current_app._get_current_object()).recent_threads(operator=current_user(), limit=args["limit"])
    return jsonify([
        {"thread_id": r["thread_id"], "title": r["title"] or "New chat", "agent": r["agent"],
         "questions": int(r["questions"]), "created_at": r["created_at"].isoformat(),
         "last_message_at": (r["last_message_at"] or r["created_at"]).isoformat()}
        for r in rows
    ])


@bp.get("/api/agent/threads/<thread:thread_id>")
def get_thread(thread_id: str):
    parse_args(request.args, {})
    tid = thread_id_value(thread_id)
    app = current_app._get_current_object()
    row = owned_thread(app, tid, current_user())
    messages = chat_store(app).messages(tid)
    last_answer = next((m["message_id"] for m in reversed(messages) if m["role"] == "assistant"), 0)
    return jsonify({
        "thread_id": row["thread_id"], "agent": row["agent"], "created_at": row["created_at"].isoformat(),
        "parent_message_id": int(last_answer),
        "messages": [{"message_id": int(m["message_id"]), "parent_message_id": int(m["parent_message_id"]),
                      "role": m["role"], "text": m["text"], "request_id": m["request_id"],
                      "created_at": m["created_at"].isoformat()} for m in messages],
    })


def _feedback_fields(body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - FEEDBACK_FIELDS)
    if unknown:
        raise ThreadError(400, f"unknown field(s): {', '.join(unknown)[:200]}")
    for name in ("thread_id", "message_id", "rating"):
        if body.get(name) is None:
            raise ThreadError(400, f"{name} is required")
    rating = body["rating"]
    if not isinstance(rating, str) or rating not in RATINGS:
        raise ThreadError(400, "rating must be \"up\" or \"down\"")
    comment = body.get("comment")
    if comment is not None:
        if not isinstance(comment, str):
            raise ThreadError(400, "comment must be a string")
        comment = comment.strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise ThreadError(400, f"comment is longer than {MAX_COMMENT_CHARS} characters")
        if "\x00" in comment:
            raise ThreadError(400, "comment holds a NUL character")
    request_id = body.get("request_id")
    if request_id is not None and (not isinstance(request_id, str) or not REQUEST_ID.match(request_id)):
        raise ThreadError(400, "request_id is not a valid id")
    return {"thread_id": thread_id_value(body["thread_id"]), "message_id": message_id_value(body["message_id"]),
            "positive": RATINGS[rating], "comment": comment or None, "request_id": request_id}


@bp.post("/api/agent/feedback")
def post_feedback():
    settings = current_app.config["FLUX_SETTINGS"]
    fields = _feedback_fields(json_body(settings.max_request_bytes))
    app = current_app._get_current_object()
    operator = current_user()
    owned_thread(app, fields["thread_id"], operator)
    store = chat_store(app)
    answer = store.get_message(fields["thread_id"], fields["message_id"])
    if answer is None or answer["role"] != "assistant":
        raise ThreadError(404, "no such answer in this thread", "not_found")
    request_id = fields["request_id"] or answer["request_id"]
    cortex = "local"
    source = _source(app)
    if isinstance(source, CortexClient):
        tid = fields["thread_id"]
        try:
            cortex = "sent" if source.send_feedback(
                request_id=request_id, positive=fields["positive"], message=fields["comment"],
                thread_id=int(tid) if tid.isdigit() else tid) else "local"
        except CortexError as exc:  # kept here all the same; the report shows it was not sent
            log.warning("Cortex feedback failed: %s", exc.message)
            cortex = "failed"
    row = store.add_feedback(thread_id=fields["thread_id"], message_id=fields["message_id"], operator=operator,
                             positive=fields["positive"], comment=fields["comment"], request_id=request_id,
                             cortex=cortex)
    resp = jsonify({"feedback_id": int(row["feedback_id"]), "created_at": row["created_at"].isoformat(),
                    "cortex": cortex})
    resp.status_code = 201
    return resp


@bp.get("/api/agent/feedback/report")
def feedback_report():
    args = parse_args(request.args, {"days": integer(1, 366), "limit": integer(1, 200)}, {"days": 30, "limit": 50})
    report = chat_store(current_app._get_current_object()).feedback_report(days=args["days"], limit=args["limit"])
    return jsonify(report)
