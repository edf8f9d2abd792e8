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
import uuid
from pathlib import Path
from typing import Any, Iterator

from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory

from app.request_guard import Refused, json_request
from data.cortex import AgentEvent, CortexClient, CortexError

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
    server.register_blueprint(bp)


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
                from data.agent import LocalAgent

                repo = app.extensions.get("flux_repository")
                pg_pool = repo.postgres.pool if repo is not None and repo.postgres is not None else None
                wh_pool = repo.warehouse.pool if repo is not None else None
                src = LocalAgent(settings, pg_pool=pg_pool, warehouse_pool=wh_pool)
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

    source = agent_source(current_app._get_current_object())
    headers = dict(SSE_HEADERS)
    first: list[AgentEvent] = []
    if thread_id is None:
        if isinstance(source, CortexClient):
            try:
                thread_id = source.create_thread()
            except CortexError as exc:
                first.append(exc.to_event())
        else:
            thread_id = uuid.uuid4().int % 10**15
        parent_message_id = 0
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
            for ev in events:
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
