"""What every callback module shares: the facade of the current app, and time."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app

REPOSITORY_KEY = "flux_repository"
# Fallback reasons that mean the Postgres cache did not answer (an empty table does not count).
POSTGRES_DOWN_REASONS = ("postgres_error", "breaker_open", "postgres_unconfigured")


def repository():
    """The app's one Repository (data/read/repository.py), created by the app factory."""
    return current_app.extensions[REPOSITORY_KEY]


def settings():
    return current_app.config["FLUX_SETTINGS"]


def now() -> datetime:
    return datetime.now(timezone.utc)


def provenance_dict(result) -> dict:
    """A ReadResult's provenance as JSON-safe data for stores and freshness text."""
    p = result.provenance.as_dict()
    if p.get("freshness") is not None:
        p["freshness"] = p["freshness"].isoformat()
    return p


def served_by_fallback(*results) -> bool:
    """True when the warehouse served an operational read because Postgres did not answer."""
    return any(
        r is not None and r.provenance.backend == "snowflake" and r.provenance.fallback_reason in POSTGRES_DOWN_REASONS
        for r in results
    )
