"""Checks shared by the routes that take a JSON body (the chat, and routes like it): the request
comes from this origin, says application/json, fits the size limit, and is JSON nested no deeper
than a sane depth. Each check answers with a JSON refusal the route returns as is.

Cross-site requests: a browser marks every fetch with ``Sec-Fetch-Site`` (all current browsers),
which it computes itself, so the check holds behind the SPCS ingress whatever Host it forwards.
Without it, an ``Origin`` header must name this host (``Host`` or ``X-Forwarded-Host``). A
request with neither header is not from a browser page (curl, tests, server-to-server) and passes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson
from flask import Response, request

# A chat body is an object of scalars; Dash callback bodies carry component trees (see dash_guard).
MAX_JSON_DEPTH = 32
_DEFAULT_PORTS = {"http": "80", "https": "443"}


class Refused(Exception):
    """A request refused with ``status`` and a JSON ``{"error", "message"}`` body."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message

    def response(self) -> Response:
        return refusal(self.status, self.error, self.message)


def refusal(status: int, error: str, message: str) -> Response:
    return Response(orjson.dumps({"error": error, "message": message}), status=status, mimetype="application/json")


def _host_port(netloc: str, scheme: str) -> str:
    netloc = netloc.strip().lower()
    host, sep, port = netloc.rpartition(":")
    if sep and "]" not in port and port == _DEFAULT_PORTS.get(scheme):
        return host
    return netloc


def own_hosts(scheme: str) -> set[str]:
    """The host names this request was addressed to, as the app and its proxy saw them."""
    hosts = {_host_port(request.host, scheme)}
    forwarded = request.headers.get("X-Forwarded-Host", "")
    hosts |= {_host_port(h, scheme) for h in forwarded.split(",") if h.strip()}
    return hosts


def check_same_origin() -> None:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site.strip().lower() not in ("same-origin", "none"):
            raise Refused(403, "cross_site_request", f"cross-site requests are refused (Sec-Fetch-Site: {site[:40]})")
        return
    origin = request.headers.get("Origin")
    if origin is None:
        return
    parts = urlsplit(origin.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc or _host_port(parts.netloc, parts.scheme) not in own_hosts(parts.scheme):
        raise Refused(403, "cross_site_request", "cross-site requests are refused (the Origin is not this host)")


def check_json_content_type() -> None:
    if request.mimetype != "application/json":
        raise Refused(415, "unsupported_media_type", "send the body as application/json")


def read_body(limit: int) -> bytes:
    """The raw body, at most ``limit`` bytes, whether sent with a Content-Length or chunked."""
    if request.content_length is not None and request.content_length > limit:
        raise Refused(413, "payload_too_large", f"the request body is larger than {limit} bytes")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise Refused(413, "payload_too_large", f"the request body is larger than {limit} bytes")
    return raw


def too_deep(value: Any, max_depth: int) -> bool:
    """Whether the arrays/objects of ``value`` (one itself) nest deeper than ``max_depth``
    (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def parse_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """orjson, which stops at 1024 levels itself instead of exhausting the stack, then our depth."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc) or "recursion" in str(exc):
            raise Refused(400, "bad_request", f"the JSON body is nested deeper than {max_depth} levels") from None
        raise Refused(400, "bad_request", "the body is not valid JSON") from None
    if isinstance(value, (dict, list)) and too_deep(value, max_depth):
        raise Refused(400, "bad_request", f"the JSON body is nested deeper than {max_depth} levels")
    return value


_NO_DEFAULT = object()


def json_request(limit: int, max_depth: int = MAX_JSON_DEPTH, *, if_empty: Any = _NO_DEFAULT) -> Any:
    """The parsed body of a same-origin application/json request; raises ``Refused``. A blank
    body is ``if_empty`` when given (routes whose fields are all optional), else invalid JSON."""
    check_same_origin()
    check_json_content_type()
    raw = read_body(limit)
    if if_empty is not _NO_DEFAULT and not raw.strip():
        return if_empty
    return parse_json(raw, max_depth)
