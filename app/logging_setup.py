"""Structured logging: JSON lines on stdout (SPCS collects stdout into the event table).

One handler on the root logger, one formatter, one redaction filter on the handler, so records
from every library (gunicorn, psycopg, the Snowflake connector) are scrubbed the same way.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import traceback
import uuid
from pathlib import Path
from typing import Callable, Iterable


from app.user import current_user
from data.logs import JsonLines

REDACTED = "***"
# Shortest secret value worth matching literally; shorter strings would redact ordinary words.
_MIN_LITERAL = 6
# Client-supplied request ids are echoed into logs: accept only short, plain ones.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Secrets recognisable by shape, whatever their value.
_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    # URL credentials: postgresql://user:pass@host, redis://:pass@host
    (re.compile(r"(?P<k>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)", re.I), r"\g<k>" + REDACTED),
    # Authorization headers, whatever the scheme (Bearer, Snowflake Token="...", Basic).
    (re.compile(r"(?P<k>\bauthorization\b[\"']?\s*[:=]\s*[\"']?)[^\r\n,}]+", re.I), r"\g<k>" + REDACTED),
    # key=value / key: value / "key": "value" for secret-looking keys (libpq DSNs, kwargs dicts).
    (
        re.compile(
            r"(?P<k>\b[\w-]*(?:password|passwd|pwd|secret|token|passphrase|api[_-]?key|private[_-]?key)[\w-]*"
            r"[\"']?\s*[:=]\s*(?P<q>[\"']?))(?P<v>[^\s\"',;}&]+)",
            re.I,
        ),
        r"\g<k>" + REDACTED,
    ),
)


def redact_text(text: str, literals: Iterable[str] = ()) -> str:
    for value in literals:
        if value and len(value) >= _MIN_LITERAL and value in text:
            text = text.replace(value, REDACTED)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class _TokenFile:
    """The SPCS OAuth token rotates: re-read it when the file changes. The last few values are
    kept, since an error about a connection opened before the rotation still carries the old one."""

    KEEP = 4

    def __init__(self, path: Path | None):
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self._values: list[str] = []

    def values(self) -> list[str]:
        if self.path is None:
            return self._values
        try:
            st = self.path.stat()
        except OSError:
            return self._values
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                current = self.path.read_text().strip()
            except OSError:
                current = ""
            if current and current not in self._values:
                self._values = [current, *self._values][: self.KEEP]
        return self._values


def settings_secrets(settings) -> tuple[list[str], Path | None]:
    """Every secret value the settings hold, and the token file to watch."""
    from settings import Settings

    values: list[str] = []
    for name in (
        "pg_dsn",
        "pg_admin_dsn",
        "pg_password",
        "snowflake_password",
        "snowflake_pat",
        "snowflake_private_key_passphrase",
        "cache_redis_url",
    ):
        secret = getattr(settings, name, None)
        if secret is None:
            continue
        raw = secret.get_secret_value()
        values.append(raw)
        if name in ("pg_dsn", "pg_admin_dsn"):
            pw = Settings._dsn_password(raw)
            if pw:
                values.append(pw)
    token_file = getattr(settings, "snowflake_token_file", None)
    return [v for v in values if v], token_file


class RedactSecrets(logging.Filter):
    """Rewrites each record's message and traceback with secrets replaced by ***."""

    def __init__(self, literals: Iterable[str] = (), token_file: Path | None = None):
        super().__init__()
        self._literals = sorted({v for v in literals if v}, key=len, reverse=True)
        self._token = _TokenFile(token_file)

    def literals(self) -> list[str]:
        return [*self._token.values(), *self._literals]

    def filter(self, record: logging.LogRecord) -> bool:
        lits = self.literals()
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact_text(message, lits)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info))
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, lits)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {
                k: redact_text(v, lits) if isinstance(v, str) else v for k, v in fields.items()
            }
        return True


# One JSON object per line: the batch processes' format (data/logs.py), shared.
JsonFormatter = JsonLines


_HANDLER_NAME = "flux-json-stdout"


def json_handler(literals: Iterable[str] = (), token_file: Path | None = None) -> logging.Handler:
    handler = logging.StreamHandler(sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(literals, token_file))
    return handler


def setup_logging(settings) -> logging.Handler:
    """Route every logger to one redacting JSON handler on stdout. Idempotent."""
    literals, token_file = settings_secrets(settings)
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == _HANDLER_NAME:
            root.removeHandler(h)
    handler = json_handler(literals, token_file)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # The connector logs request details at INFO/DEBUG; warnings are what an operator needs.
    logging.getLogger("snowflake.connector").setLevel(logging.WARNING)
    # gunicorn's own loggers print through the same handler (see app/gunicorn_conf.py).
    for name in ("gunicorn.error", "gunicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers = []
        lg.propagate = True
    return handler


# -- Request log ----------------------------------------------------------------------------
request_log = logging.getLogger("flux.request")


def install_request_logging(server, clock: Callable[[], float] = time.perf_counter) -> None:
    """One JSON line per request: method, path, status, duration, user, request id."""
    from flask import g, request

    @server.before_request
    def _start_timer():
        g.flux_log_started = clock()
        supplied = request.headers.get("X-Request-Id", "")
        g.flux_request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex

    @server.after_request
    def _log_request(response):
        started = g.get("flux_log_started")
        duration_ms = round((clock() - started) * 1000, 2) if started is not None else None
        request_id = g.get("flux_request_id") or uuid.uuid4().hex
        response.headers["X-Request-Id"] = request_id
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "fields": {
                    "event": "request",
                    "method": request.method,
                    # The path only: query strings can carry anything a client typed.
                    "path": request.path,
                    "status": response.status_code,
                    # For a streamed (SSE) reply this is the time to the first byte.
                    "duration_ms": duration_ms,
                    "user": current_user() or None,
                    "request_id": request_id,
                }
            },
        )
        return response


def gunicorn_logconfig(settings) -> dict:
    """dictConfig for gunicorn's master: its own lines go through the same JSON + redaction."""
    literals, token_file = settings_secrets(settings)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactSecrets, "literals": literals, "token_file": token_file}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            _HANDLER_NAME: {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["redact"],
            }
        },
        "root": {"level": settings.log_level.upper(), "handlers": [_HANDLER_NAME]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            # The app writes the request log itself, with the user and request id.
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }
