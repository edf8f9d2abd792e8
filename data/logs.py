"""JSON log lines: the one line format (ts, level, logger, msg, plus ``extra={"fields": {...}}``)
of the app (app/logging_setup.py adds redaction and request fields around it) and of the batch
processes (python -m data.etl...), which import nothing of app/. Batch processes log counts and
states, never connection settings, so no redaction here."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import orjson

_HANDLER_NAME = "flux-batch-json"


class JsonLines(logging.Formatter):
    """Hand-written over python-json-logger: a dozen lines on orjson, which the app already uses."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update(fields)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            doc["exc"] = record.exc_text
        return orjson.dumps(doc, default=str).decode()


def setup_json_logging(level: str = "INFO") -> None:
    """One JSON handler on stdout for the whole process. Idempotent."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == _HANDLER_NAME:
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonLines())
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("snowflake.connector").setLevel(logging.WARNING)
