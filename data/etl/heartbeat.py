"""Heartbeats of the continuous batch processes (pipeline, incremental sync).

Each process rewrites one small JSON file per cycle under ``settings.heartbeat_directory``
(``<name>.json``: when, how long the cycle took, its lag). ``scripts/localstack.py status`` reads
them without connecting to either store, so a stalled process shows as an old heartbeat.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path

from settings import Settings

log = logging.getLogger("flux.heartbeat")


def path_for(settings: Settings, name: str) -> Path:
    return settings.heartbeat_directory / f"{name}.json"


def write(settings: Settings, name: str, **fields) -> None:
    """Replace ``name``'s heartbeat atomically (a reader never sees half a file). A directory that
    cannot be written (a read-only container file system) costs the heartbeat, never the work."""
    target = path_for(settings, name)
    body = json.dumps({"at": time.time(), "pid": os.getpid(), **fields}, default=str)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.")
    except OSError as exc:
        log.warning("heartbeat %s not written: %s", target, exc)
        return
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


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


def describe(settings: Settings, name: str, *, stale_after_s: float = 60.0) -> str:
    """One status line: running or not, the heartbeat's age and the process's lag."""
    beat = read(settings, name)
    if beat is None:
        return "no heartbeat (not started)"
    age = time.time() - float(beat.get("at", 0))
    if not _alive(beat.get("pid")):
        state = "stopped"
    elif age > stale_after_s:
        state = "STALLED"
    else:
        state = "running"
    lag = beat.get("lag_s")
    parts = [f"{state} (pid {beat.get('pid')})", f"heartbeat {age:.0f} s ago"]
    if lag is not None:
        parts.append(f"lag {float(lag):.1f} s")
    if beat.get("cycle_s") is not None:
        parts.append(f"last cycle {float(beat['cycle_s']):.2f} s")
    if beat.get("failed"):
        parts.append("failing: " + ", ".join(beat["failed"]))
    return ", ".join(parts)
