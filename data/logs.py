"""JSON log lines for batch processes (python -m data.etl...), in the app's line format
(app/logging_setup.py: ts, level, logger, msg, plus ``extra={"fields": {...}}``) without importing
app/. Batch processes log counts and states, never connection settings, so no redaction here."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import orjson

_HANDLER_NAME = "flux-batch-json"


class JsonLines(logging.Formatter):
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
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
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
