"""Heartbeats of the continuous batch processes (pipeline, incremental sync).

Each process rewrites one small JSON file per cycle under ``settings.heartbeat_directory``
(``<name>.json``: when, how long the cycle took, its lag). ``scripts/localstack.py status`` reads
them without connecting to either store, so a stalled process shows as an old heartbeat.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from settings import Settings


def path_for(settings: Settings, name: str) -> Path:
    return settings.heartbeat_directory / f"{name}.json"


def write(settings: Settings, name: str, **fields) -> None:
    """Replace ``name``'s heartbeat atomically (a reader never sees half a file)."""
    target = path_for(settings, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"at": time.time(), "pid": os.getpid(), **fields}, default=str)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(body)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(settings: Settings, name: str) -> dict | None:
    try:
        return json.loads(path_for(settings, name).read_text())
    except (OSError, ValueError):
        return None
