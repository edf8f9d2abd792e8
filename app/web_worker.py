"""The gunicorn worker: gthread, plus what a public endpoint needs from the web server itself.

- The server's own refusals (414 request line, 431 headers, 400 malformed request, 408 too slow)
  are JSON with the security headers, logged as one line, never a traceback.
- Read deadlines: the request line and headers must arrive within ``web_read_timeout_s`` of their
  first byte; the body within ``web_body_timeout_s``, and no read waits longer than
  ``web_read_timeout_s`` for its next bytes. A slowloris client holds a thread for seconds, not for
  the keep-alive time. The deadlines cover reading the request only: a chat's SSE stream writes
  for minutes afterwards, and idle keep-alive connections wait in the poller, not on a thread.
- Bodies are read whole (at most the route's limit) before the app runs, so a truncated or
  stalled body is refused and never reaches a route, and a chunked body over the limit gets 413.
- The ``Server`` header names no software or version.

A subclass rather than a proxy in front: SPCS runs one container and its ingress forwards what it
is sent; gunicorn has no setting for any of the above (its error pages are fixed HTML). gunicorn's
own request-line and header limits stay as they are, they are just answered in JSON here.
TLS terminated by gunicorn itself (``certfile``) is not wrapped; SPCS terminates TLS at the ingress.
"""

from __future__ import annotations

import io
import logging
import socket
import ssl
import time

import orjson
from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.http import get_parser
from gunicorn.http.unreader import SocketUnreader
from gunicorn.http.wsgi import Response as GunicornResponse
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import ThreadWorker

from app.security import STATIC_ERROR_HEADERS, body_limit, hsts_value

log = logging.getLogger("flux.request")
# What the Server header says: the product, no software name or version.
SERVER_NAME = "flux"


class RequestReadTimeout(Exception):
    """The client did not send the request line and headers, or its body, in time."""

    def __init__(self, part: str):
        super().__init__(f"the request {part} did not arrive in time")
        self.part = part


class DeadlineUnreader(SocketUnreader):
    """A socket reader with a deadline per request: for the headers from their first byte, then
    for the body once the worker arms it. ``part=None``: reads as gunicorn does (keep-alive drain)."""

    def __init__(self, sock, read_timeout_s: float):
        super().__init__(sock)
        self.read_timeout_s = read_timeout_s
        self.part: str | None = "headers"
        self.deadline: float | None = None

    def expect_headers(self) -> None:
        self.part, self.deadline = "headers", None  # the clock starts at the first byte read

    def expect_body(self, seconds: float) -> None:
        self.part, self.deadline = "body", time.monotonic() + seconds

    def disarm(self) -> None:
        self.part, self.deadline = None, None

    def chunk(self, size_hint=None):
        if self.part is None:
            return super().chunk(size_hint)
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.read_timeout_s
        remaining = self.deadline - now
        if remaining <= 0:
            raise RequestReadTimeout(self.part)
        prior = self.sock.gettimeout()
        self.sock.settimeout(min(remaining, self.read_timeout_s))
        try:
            return super().chunk(size_hint)
        except socket.timeout:
            raise RequestReadTimeout(self.part) from None
        finally:
            self.sock.settimeout(prior)


def json_error(status: int, reason: str, error: str, message: str, *, hsts: bool = False) -> bytes:
    """A complete HTTP/1.1 error response, written by the worker before or instead of the app."""
    body = orjson.dumps({"error": error, "message": message})
    headers = [("Connection", "close"), ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
               *STATIC_ERROR_HEADERS]
    if hsts:
        headers.append(("Strict-Transport-Security", hsts_value()))
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


# gunicorn's request errors -> (status, reason, error code); the first match in order wins.
_CLIENT_ERRORS: tuple[tuple[type, int, str, str], ...] = (
    (RequestReadTimeout, 408, "Request Timeout", "request_timeout"),
    (http_errors.LimitRequestLine, 414, "URI Too Long", "uri_too_long"),
    (http_errors.LimitRequestHeaders, 431, "Request Header Fields Too Large", "request_header_fields_too_large"),
    (http_errors.ExpectationFailed, 417, "Expectation Failed", "expectation_failed"),
    (http_errors.UnsupportedTransferCoding, 501, "Not Implemented", "unsupported_transfer_coding"),
    ((http_errors.ForbiddenProxyRequest, ssl.SSLError), 403, "Forbidden", "forbidden"),
    # a header the app tried to send, or a bad server setting: the server's fault (500 below)
    ((http_errors.InvalidResponseHeader, http_errors.InvalidResponseHeaderName, http_errors.ConfigurationProblem),
     0, "", ""),
    (http_errors.ParseException, 400, "Bad Request", "bad_request"),
)


def classify(exc: BaseException) -> tuple[int, str, str] | None:
    """(status, reason, error) for a client's mistake; None for the server's own failure."""
    for kinds, status, reason, error in _CLIENT_ERRORS:
        if isinstance(exc, kinds):
            return (status, reason, error) if status else None
    return None


def _message(exc: BaseException) -> str:
    # gunicorn's messages quote what the client sent: keep them short
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def _forwarded_https(req) -> bool:
    if req is None:
        return False
    return any(name == "X-FORWARDED-PROTO" and value.strip().lower() == "https" for name, value in req.headers)


class FluxWorker(ThreadWorker):
    """gthread with JSON errors, read deadlines and whole-body reads (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from settings import Settings

        self.flux_settings = Settings()

    # -- read deadlines --------------------------------------------------------------------------
    def handle(self, conn):
        if conn.parser is None and not self.cfg.is_ssl and not negotiation.prior_knowledge_allowed(self.cfg, conn.client):
            # TConn.init() keeps a parser it is given
            conn.parser = get_parser(self.cfg, conn.sock, conn.client)
            conn.parser.unreader = DeadlineUnreader(conn.sock, self.flux_settings.web_read_timeout_s)
        unreader = getattr(conn.parser, "unreader", None)
        if isinstance(unreader, DeadlineUnreader):
            unreader.expect_headers()
        return super().handle(conn)

    def handle_request(self, req, conn):
        unreader = conn.parser.unreader
        deadline = isinstance(unreader, DeadlineUnreader)
        if deadline:
            unreader.expect_body(self.flux_settings.web_body_timeout_s)
        try:
            return super().handle_request(req, conn)
        finally:
            if deadline:
                unreader.disarm()  # gunicorn's keep-alive drain has its own bound

    # -- the app, behind a whole-body read -----------------------------------------------------
    def load_wsgi(self):
        super().load_wsgi()
        app = self.wsgi

        def flux_gate(environ, start_response):
            resp = getattr(start_response, "__self__", None)
            if isinstance(resp, GunicornResponse):
                resp.version = SERVER_NAME
            refused = self._buffer_body(environ)
            if refused is None:
                return app(environ, start_response)
            status, error, message = refused
            if isinstance(resp, GunicornResponse):
                resp.force_close()  # the rest of the body, if any, is never read
            return self._refuse(environ, start_response, status, error, message)

        self.wsgi = flux_gate

    def _buffer_body(self, environ) -> tuple[str, str, str] | None:
        """Read the body whole into memory, up to the route's limit. A declared length over the
        limit is left unread: the app refuses it from the header alone."""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        declared = int(environ.get("CONTENT_LENGTH") or 0)
        if not chunked and declared == 0:
            return None
        limit = body_limit(environ.get("PATH_INFO", ""), self.flux_settings)
        if declared > limit:
            return None
        stream = environ["wsgi.input"]
        parts, size = [], 0
        try:
            while size <= limit:
                data = stream.read(min(65536, limit + 1 - size))
                if not data:
                    break
                parts.append(data)
                size += len(data)
        except RequestReadTimeout as exc:
            return "408 Request Timeout", "request_timeout", f"{exc}; the request was not run"
        except http_errors.NoMoreData:
            return "400 Bad Request", "bad_request", "the request body ended early; the request was not run"
        if size > limit:
            return "413 Payload Too Large", "payload_too_large", f"the request body is larger than {limit} bytes"
        if not chunked and size != declared:
            return "400 Bad Request", "bad_request", "the request body ended before its Content-Length; the request was not run"
        environ["wsgi.input"] = io.BytesIO(b"".join(parts))
        environ["CONTENT_LENGTH"] = str(size)
        environ.pop("HTTP_TRANSFER_ENCODING", None)  # the app sees a plain body of known length
        return None

    def _refuse(self, environ, start_response, status: str, error: str, message: str):
        body = orjson.dumps({"error": error, "message": message})
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *STATIC_ERROR_HEADERS]
        if environ.get("HTTP_X_FORWARDED_PROTO", "").lower() == "https" or environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", hsts_value()))
        code = int(status.split()[0])
        log.warning("%s %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), code,
                    extra={"fields": {"event": "request", "method": environ.get("REQUEST_METHOD"),
                                      "path": environ.get("PATH_INFO"), "status": code, "error": error}})
        start_response(status, headers)
        return [body]

    # -- the server's own errors -------------------------------------------------------------------
    def handle_error(self, req, client, addr, exc):
        kind = classify(exc)
        if kind is None:
            # the server's fault: the traceback is worth having
            self.log.exception("Error handling request %s", getattr(req, "path", "(no request line read)"))
            status, reason, error, message = 500, "Internal Server Error", "internal_error", "an internal error occurred"
        else:
            status, reason, error = kind
            message = _message(exc)
            addr = addr or ("", -1)
            log.warning("refused a request from %s: %s %s", addr[0], status, message,
                        extra={"fields": {"event": "request", "status": status, "error": error,
                                          "path": getattr(req, "path", None)}})
        try:
            util.write_nonblock(client, json_error(status, reason, error, message,
                                                   hsts=self.cfg.is_ssl or _forwarded_https(req)))
        except OSError:
            pass  # the client is gone
