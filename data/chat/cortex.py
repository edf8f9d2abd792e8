"""Cortex Agents REST client: runs a saved agent (or the object-less endpoint) and yields the
Server-Sent Events as typed events while the bytes arrive.

The local agent (``data.chat.agent``) yields the same :class:`AgentEvent` objects, so the proxy and
the chat panel cannot tell the two apart.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Literal

import requests

from settings import Settings

log = logging.getLogger(__name__)

# Every event of the reference protocol; anything else is skipped (clients must ignore unknowns).
KNOWN_EVENTS = frozenset(
    {
        "response.status",
        "response.thinking.delta",
        "response.thinking",
        "response.text.delta",
        "response.text",
        "response.text.annotation",
        "response.tool_use",
        "response.tool_result",
        "response.tool_result.status",
        "response.tool_result.analyst.delta",
        "response.table",
        "response.chart",
        "metadata",
        "request_id",  # {request_id}: the run's id, the one feedback refers to
        "error",
        "response",
    }
)

TokenType = Literal["OAUTH", "PROGRAMMATIC_ACCESS_TOKEN", "KEYPAIR_JWT"]


@dataclass(frozen=True)
class AgentEvent:
    """One event of the Cortex Agents stream: its name and its JSON payload."""

    event: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return str(self.data.get("text", ""))

    def to_sse(self) -> bytes:
        payload = json.dumps(self.data, separators=(",", ":"), default=str)
        return f"event: {self.event}\ndata: {payload}\n\n".encode()


class CortexError(Exception):
    """A failed run, worded for the operator: HTTP status or `error` event, plus the request id."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 request_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def to_event(self) -> AgentEvent:
        return AgentEvent(
            "error",
            {"code": self.code or (str(self.status) if self.status else "client_error"),
             "message": self.message, "request_id": self.request_id},
        )


# -- SSE parsing --------------------------------------------------------------------------------
class SSEParser:
    """Incremental parser for the text/event-stream format (WHATWG rules).

    Feed it bytes as they arrive; it returns the events completed so far. Chunk boundaries may
    fall anywhere: inside a line, between CR and LF, or inside a multi-byte UTF-8 character.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buf = ""
        self._event = ""
        self._data: list[str] = []
        self._first = True

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        text = self._decoder.decode(chunk)
        if self._first and text:
            text = text.lstrip("\ufeff")
            self._first = False
        self._buf += text
        out: list[tuple[str, str]] = []
        while True:
            idx = _line_end(self._buf)
            if idx is None:
                break
            line, rest = self._buf[: idx[0]], self._buf[idx[1]:]
            self._buf = rest
            ev = self._line(line)
            if ev is not None:
                out.append(ev)
        return out

    def close(self) -> list[tuple[str, str]]:
        """End of stream: a final event without its blank line is dropped, as the spec says."""
        self._buf += self._decoder.decode(b"", final=True)
        return []

    def _line(self, line: str) -> tuple[str, str] | None:
        if line == "":
            if not self._data and not self._event:
                return None
            ev = (self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return ev
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None


def _line_end(buf: str) -> tuple[int, int] | None:
    """Position of the first complete line terminator: (end of line, start of next)."""
    for i, ch in enumerate(buf):
        if ch == "\n":
            return i, i + 1
        if ch == "\r":
            if i + 1 == len(buf):
                return None  # CR at the end: the LF may be in the next chunk
            return (i, i + 2) if buf[i + 1] == "\n" else (i, i + 1)
    return None


def parse_events(chunks: Iterable[bytes]) -> Iterator[AgentEvent]:
    """Typed events from a byte stream, yielded as soon as each one is complete."""
    parser = SSEParser()
    for chunk in chunks:
        if not chunk:
            continue
        for name, raw in parser.feed(chunk):
            ev = _to_event(name, raw)
            if ev is not None:
                yield ev
    parser.close()


def _to_event(name: str, raw: str) -> AgentEvent | None:
    if name not in KNOWN_EVENTS:
        log.debug("ignoring unknown Cortex event %r", name)
        return None
    try:
        data = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        data = {"text": raw}
    if not isinstance(data, dict):
        data = {"value": data}
    return AgentEvent(name, data)


# -- Authentication -------------------------------------------------------------------------------
def keypair_jwt(*, account: str, user: str, private_key_pem: bytes, passphrase: bytes | None = None,
                now: float | None = None, lifetime_s: int = 3600) -> str:
    """The key-pair JWT Snowflake expects: iss = ACCOUNT.USER.SHA256:<public key fingerprint>."""
    import jwt
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_key_pem, password=passphrase)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()
    # The account locator without region/cloud suffix, upper case, as Snowflake qualifies it.
    acct = account.split(".")[0].upper()
    qualified_user = f"{acct}.{user.upper()}"
    issued = int(now if now is not None else time.time())
    claims = {"iss": f"{qualified_user}.{fingerprint}", "sub": qualified_user,
              "iat": issued, "exp": issued + lifetime_s}
    return jwt.encode(claims, key, algorithm="RS256")


def auth_headers(settings: Settings) -> dict[str, str]:
    """Bearer token and its type, built fresh for every request (the SPCS token file rotates)."""
    auth = settings.warehouse_authenticator
    if auth == "oauth":
        token, kind = settings.snowflake_token_file.read_text().strip(), "OAUTH"
    elif auth == "programmatic_access_token":
        if settings.snowflake_pat is None:
            raise CortexError("No programmatic access token configured (SNOWFLAKE_PAT).")
        token, kind = settings.snowflake_pat.get_secret_value(), "PROGRAMMATIC_ACCESS_TOKEN"
    elif auth == "keypair":
        if settings.snowflake_private_key_file is None:
            raise CortexError("No private key configured (SNOWFLAKE_PRIVATE_KEY_FILE).")
        pw = settings.snowflake_private_key_passphrase
        token = keypair_jwt(
            account=settings.snowflake_account,
            user=settings.snowflake_user,
            private_key_pem=settings.snowflake_private_key_file.read_bytes(),
            passphrase=pw.get_secret_value().encode() if pw is not None else None,
        )
        kind = "KEYPAIR_JWT"
    else:
        raise CortexError(
            "Cortex Agents need OAuth (SPCS), a programmatic access token or a key pair; "
            "password authentication cannot call the REST API."
        )
    return {"Authorization": f"Bearer {token}", "X-Snowflake-Authorization-Token-Type": kind}


# -- The client -----------------------------------------------------------------------------------
_HTTP_MESSAGES = {
    400: "The Cortex Agent rejected the request",
    401: "Snowflake rejected the credentials (401): the token is missing, expired or of the wrong type",
    403: "Not allowed to run the agent (403): the role needs SNOWFLAKE.CORTEX_USER and USAGE on the agent",
    404: "The Cortex Agent was not found (404): check the agent name, database and schema",
    408: "The Cortex Agent timed out (408)",
    429: "Cortex Agents are rate limiting this account (429): wait a moment and ask again",
}


class CortexClient:
    """One client per process; each :meth:`run` is one HTTP request streamed as events."""

    def __init__(self, settings: Settings, session: requests.Session | None = None):
        self.settings = settings
        self.session = session or requests.Session()
        self.last_request_id: str | None = None

    # endpoints
    @property
    def base_url(self) -> str:
        s = self.settings
        if s.agent_base_url:
            return s.agent_base_url.rstrip("/")
        return f"{s.warehouse_protocol}://{s.warehouse_host}:{s.warehouse_port}"

    @property
    def uses_saved_agent(self) -> bool:
        return self.settings.agent_mode != "objectless"

    def run_url(self) -> str:
        s = self.settings
        if self.uses_saved_agent:
            return (f"{self.base_url}/api/v2/databases/{s.snowflake_database}/schemas/"
                    f"{s.snowflake_schema}/agents/{s.agent_name}:run")
        return f"{self.base_url}/api/v2/cortex/agent:run"

    def request_body(self, query: str, *, thread_id: int | str | None = None,
                     parent_message_id: int | str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": [{"role": "user", "content": [{"type": "text", "text": query}]}],
            "tool_choice": {"type": "auto"},
        }
        if thread_id is not None:
            body["thread_id"] = thread_id
            body["parent_message_id"] = parent_message_id if parent_message_id is not None else 0
        if not self.uses_saved_agent:
            body.update(objectless_config(self.settings))
        return body

    def _headers(self, request_id: str) -> dict[str, str]:
        headers = auth_headers(self.settings)
        headers.update({"Content-Type": "application/json", "Accept": "text/event-stream",
                        "X-Snowflake-Request-Id": request_id})
        return headers

    def create_thread(self) -> int | str:
        """POST /api/v2/cortex/threads: the id that carries a multi-turn conversation."""
        request_id = str(uuid.uuid4())
        try:
            resp = self.session.post(
                f"{self.base_url}/api/v2/cortex/threads", json={"origin_application": "flux_ops"},
                headers=self._headers(request_id), timeout=self._timeout(),
            )
        except requests.RequestException as exc:
            raise _network_error(exc, request_id) from exc
        if resp.status_code >= 400:
            raise _http_error(resp, request_id)
        data = resp.json()
        return data.get("thread_id", data.get("id"))

    def feedback_url(self) -> str | None:
        """The agent object's feedback endpoint; the object-less mode has no object to rate."""
        if not self.uses_saved_agent:
            return None
        s = self.settings
        return (f"{self.base_url}/api/v2/databases/{s.snowflake_database}/schemas/"
                f"{s.snowflake_schema}/agents/{s.agent_name}:feedback")

    def send_feedback(self, *, request_id: str | None, positive: bool, message: str | None,
                      thread_id: int | str | None) -> bool:
        """POST agents/{name}:feedback (the Feedback REST API). False when there is no agent
        object to send it to; raises :class:`CortexError` when Snowflake refuses it."""
        url = self.feedback_url()
        if url is None:
            return False
        body: dict[str, Any] = {"positive": positive}
        if request_id:
            body["orig_request_id"] = request_id
        if message:
            body["feedback_message"] = message
        if thread_id is not None:
            body["thread_id"] = thread_id
        rid = str(uuid.uuid4())
        try:
            resp = self.session.post(url, json=body, headers=self._headers(rid), timeout=self._timeout())
        except requests.RequestException as exc:
            raise _network_error(exc, rid) from exc
        if resp.status_code >= 400:
            raise _http_error(resp, rid)
        return True

    def _timeout(self) -> tuple[float, float]:
        return (self.settings.agent_connect_timeout_s, self.settings.agent_read_timeout_s)

    def run(self, query: str, *, thread_id: int | str | None = None,
            parent_message_id: int | str | None = None) -> Iterator[AgentEvent]:
        """Stream one run. Raises :class:`CortexError` on HTTP and network errors; `error`
        events in the stream are yielded like any other event. Closing the generator closes
        the upstream response (a client disconnect stops the run)."""
        request_id = str(uuid.uuid4())
        self.last_request_id = request_id
        body = self.request_body(query, thread_id=thread_id, parent_message_id=parent_message_id)
        try:
            resp = self.session.post(self.run_url(), json=body, headers=self._headers(request_id),
                                     stream=True, timeout=self._timeout())
        except requests.RequestException as exc:
            raise _network_error(exc, request_id) from exc
        try:
            request_id = resp.headers.get("X-Snowflake-Request-Id") or request_id
            self.last_request_id = request_id
            if resp.status_code >= 400:
                raise _http_error(resp, request_id)
            # First event: the id Snowflake gave this run (feedback on the answer names it).
            yield AgentEvent("request_id", {"request_id": request_id})
            try:
                # chunk_size=None: hand over each chunk as the socket delivers it
                for ev in parse_events(resp.iter_content(chunk_size=None)):
                    if ev.event == "error" and not ev.data.get("request_id"):
                        ev = AgentEvent("error", {**ev.data, "request_id": request_id})
                    yield ev
            except requests.RequestException as exc:
                raise _network_error(exc, request_id) from exc
        finally:
            resp.close()


def objectless_config(settings: Settings) -> dict[str, Any]:
    """Models, instructions and tools for /api/v2/cortex/agent:run (no saved agent object)."""
    semantic_view = settings.agent_semantic_view or (
        f"{settings.snowflake_database}.{settings.snowflake_schema}.FLUX_GRID"
    )
    analyst: dict[str, Any] = {"semantic_view": semantic_view}
    if settings.snowflake_warehouse:
        analyst["execution_environment"] = {"type": "warehouse", "warehouse": settings.snowflake_warehouse}
    return {
        "models": {"orchestration": "claude-4-sonnet"},
        "instructions": {
            "response": "Answer with the actual numbers from the query results. Be brief.",
            "system": "You answer questions about the Houston distribution grid. Never modify data.",
        },
        "tools": [{"tool_spec": {"type": "cortex_analyst_text_to_sql", "name": "grid_analyst",
                                 "description": "Grid, outage, work order, load, usage and weather data."}},
                  {"tool_spec": {"type": "cortex_search", "name": "customer_search",
                                 "description": "Customers by name, address, city, segment, meter or account id."}}],
        "tool_resources": {
            "grid_analyst": analyst,
            "customer_search": {
                "search_service": f"{settings.snowflake_database}.{settings.snowflake_schema}.CUSTOMER_SEARCH_SERVICE",
                "id_column": "CUSTOMER_ID", "title_column": "FULL_NAME", "max_results": 10},
        },
    }


def _network_error(exc: Exception, request_id: str) -> CortexError:
    if isinstance(exc, requests.ConnectTimeout):
        msg = "Could not reach Snowflake Cortex in time (connect timeout)"
    elif isinstance(exc, (requests.ReadTimeout, requests.ConnectionError)) and "timed out" in str(exc).lower():
        msg = "The Cortex Agent stopped sending data (read timeout)"
    elif isinstance(exc, requests.ConnectionError):
        msg = "Could not connect to Snowflake Cortex"
    else:
        msg = "The Cortex Agent request failed"
    return CortexError(f"{msg}. Request id {request_id}.", code="network", request_id=request_id)


def _http_error(resp: requests.Response, request_id: str) -> CortexError:
    detail, code = "", None
    try:
        body = resp.json()
        if isinstance(body, dict):
            detail = str(body.get("message") or body.get("error") or "")
            code = body.get("code")
            request_id = body.get("request_id") or request_id
    except ValueError:
        detail = resp.text[:200] if resp.text else ""
    base = _HTTP_MESSAGES.get(resp.status_code) or (
        f"Snowflake Cortex failed ({resp.status_code})" if resp.status_code >= 500
        else f"The Cortex Agent request failed ({resp.status_code})"
    )
    if resp.status_code == 429 and resp.headers.get("Retry-After"):
        base += f" (retry after {resp.headers['Retry-After']} s)"
    msg = f"{base}{': ' + detail if detail else ''}. Request id {request_id}."
    return CortexError(msg, status=resp.status_code, code=str(code or resp.status_code), request_id=request_id)
