"""POST /api/agent/stream: relays Cortex Agent events (or the local agent's) as Server-Sent
Events, plus /vendor/vega/* for the chat panel's charts.

Under gunicorn gthread workers each open stream holds one thread, not a worker. When the browser
goes away, the WSGI server closes this generator, which closes the upstream response or stops the
local agent, so no orphaned run keeps going.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory

from app.agent_threads import ThreadError, chat_store, relay, stream_thread
from app.request_guard import Refused, json_request
from data.chat.thread_store import ChatStoreUnavailable
from data.chat.cortex import AgentEvent, CortexClient, CortexError

log = logging.getLogger(__name__)

bp = Blueprint("flux_agent", __name__)
VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor" / "vega"
_VENDOR_FILES = frozenset({"vega.min.js", "vega-lite.min.js", "vega-embed.min.js"})
_lock = threading.Lock()

SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx / ingress: pass tokens through as they come
}


def register_agent_api(server: Flask) -> None:
    from app.agent_threads import register_agent_threads

    server.register_blueprint(bp)
    register_agent_threads(server)
    if not server.config["FLUX_SETTINGS"].cortex_available:
        # Import the local agent and parse its semantic model now, before traffic: done on the
        # first question it held the worker's GIL for ~0.2 s while other reads waited.
        from data.chat.agent.semantic import load

        load()


def agent_source(app: Flask):
    """The process's agent: a Cortex client when a Snowflake account is configured, else the local
    agent on the repository's pools (one per process, made on first use after the fork)."""
    src = app.extensions.get("flux_agent")
    if src is not None:
        return src
    with _lock:
        src = app.extensions.get("flux_agent")
        if src is None:
            settings = app.config["FLUX_SETTINGS"]
            if settings.cortex_available:
                src = CortexClient(settings)
            else:
                from data.chat.agent import LocalAgent

                repo = app.extensions.get("flux_repository")
                pg_pool = repo.postgres.pool if repo is not None and repo.postgres is not None else None
                wh_pool = repo.warehouse.pool if repo is not None else None
                try:  # the chat store follows the repository's pool when it is replaced
                    chat = chat_store(app)
                except ChatStoreUnavailable:
                    chat = None
                src = LocalAgent(settings, pg_pool=pg_pool, warehouse_pool=wh_pool, chat=chat)
            app.extensions["flux_agent"] = src
    return src


def _bad(message: str, status: int = 400):
    resp = jsonify({"error": "bad_request", "message": message})
    resp.status_code = status
    return resp


def _id_value(value: Any, name: str) -> int | str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{name} must be an integer or a string")
    if isinstance(value, str):
        value = value.strip()
        if not value or len(value) > 64 or not all(c.isalnum() or c in "-_" for c in value):
            raise ValueError(f"{name} is not a valid id")
        return int(value) if value.isdigit() else value
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


@bp.post("/api/agent/stream")
def agent_stream():
    settings = current_app.config["FLUX_SETTINGS"]
    try:  # same origin, application/json, within the size limit, sanely nested
        body = json_request(settings.max_request_bytes)
    except Refused as refused:
        return refused.response()
    if not isinstance(body, dict):
        return _bad("send a JSON object: {\"query\": \"...\"}")
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        return _bad("query is required and must be a non-empty string")
    query = query.strip()
    if len(query) > settings.agent_max_query_chars:
        return _bad(f"query is longer than {settings.agent_max_query_chars} characters")
    try:
        thread_id = _id_value(body.get("thread_id"), "thread_id")
        parent_message_id = _id_value(body.get("parent_message_id"), "parent_message_id")
    except ValueError as exc:
        return _bad(str(exc))

    app = current_app._get_current_object()
    source = agent_source(app)
    headers = dict(SSE_HEADERS)
    first: list[AgentEvent] = []
    recorded = False
    try:
        thread_id, parent_message_id, recorded = stream_thread(app, thread_id, parent_message_id)
    except CortexError as exc:
        first.append(exc.to_event())
    except ThreadError as exc:
        return _bad(exc.message, exc.status)
    except ChatStoreUnavailable:
        return _bad("the conversation store is unavailable; start a new chat or try again shortly", 503)
    if thread_id is not None:
        headers["X-Flux-Thread-Id"] = str(thread_id)
    headers["X-Flux-Agent"] = "cortex" if isinstance(source, CortexClient) else "local"

    def generate() -> Iterator[bytes]:
        yield b": stream open\n\n"  # the browser sees headers and a first byte at once
        if first:
            yield from (e.to_sse() for e in first)
            return
        started = time.perf_counter()
        events = source.run(query, thread_id=thread_id, parent_message_id=parent_message_id)
        try:
            for ev in relay(events, app=app, thread_id=thread_id, parent_message_id=parent_message_id,
                            query=query, recorded=recorded and isinstance(source, CortexClient)):
                yield ev.to_sse()
        except CortexError as exc:
            yield exc.to_event().to_sse()
        except Exception:  # never a stack trace to the browser: an error event it can show
            log.exception("agent stream failed")
            yield AgentEvent("error", {"code": "internal", "message": "The assistant failed; please try again.",
                                       "request_id": None}).to_sse()
        finally:
            events.close()  # a disconnect lands here: close the upstream response / stop the agent
            log.info("agent stream closed after %.0f ms", (time.perf_counter() - started) * 1000)

    return Response(generate(), status=200, mimetype="text/event-stream", headers=headers,
                    direct_passthrough=True)


@bp.get("/vendor/vega/<path:name>")
def vega_asset(name: str):
    if name not in _VENDOR_FILES:
        return _bad("unknown file", 404)
    resp = send_from_directory(VENDOR_DIR, name, mimetype="application/javascript", max_age=7 * 24 * 3600)
    return resp
