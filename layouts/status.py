"""Data age, serving store and the store-down banner: text and components from provenance."""

from __future__ import annotations

from datetime import datetime, timezone

import dash_bootstrap_components as dbc

STORE_LABELS = {"postgres": "Postgres", "snowflake": "Snowflake"}


def _as_datetime(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def format_age(seconds: float | None) -> str:
    if seconds is None:
        return "age unknown"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{int(seconds)} s old"
    if seconds < 90 * 60:
        return f"{int(seconds // 60)} min old"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h old"
    return f"{seconds / 86400:.1f} d old"


# Stores report the epoch for "no rows"; such a time is unknown, not 56 years old.
_EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)


def data_age_seconds(freshness, now: datetime | None = None) -> float | None:
    dt = _as_datetime(freshness)
    if dt is None or dt < _EARLIEST:
        return None
    now = now or datetime.now(timezone.utc)
    return (now - dt).total_seconds()


def freshness_text(provenance: dict | None, now: datetime | None = None) -> str:
    """"Postgres · 12 s old" for a facade result's provenance."""
    if not provenance:
        return ""
    store = STORE_LABELS.get(provenance.get("backend"), provenance.get("backend") or "?")
    age = format_age(data_age_seconds(provenance.get("freshness"), now))
    return f"{store} · {age}"


def create_banner(*, postgres_down: bool, warehouse_down: bool) -> list:
    if postgres_down and warehouse_down:
        return [
            dbc.Alert(
                "Postgres and Snowflake unavailable — showing the last data received",
                color="danger",
                className="flux-banner py-1 mb-1",
            )
        ]
    alerts = []
    if postgres_down:
        alerts.append(
            dbc.Alert("Postgres unavailable — serving from Snowflake", color="warning", className="flux-banner py-1 mb-1")
        )
    if warehouse_down:
        alerts.append(
            dbc.Alert("Snowflake unavailable — analytics unavailable", color="danger", className="flux-banner py-1 mb-1")
        )
    return alerts


def create_store_badge(store: str, up: bool | None, badge_id: str | None = None) -> dbc.Badge:
    """The navbar's badge for one store: green when its last read answered, red when not."""
    state, color = {True: ("up", "success"), False: ("down", "danger"), None: ("…", "secondary")}[up]
    kw = {"id": badge_id} if badge_id else {}
    return dbc.Badge(f"{STORE_LABELS[store]} {state}", color=color, className="me-1", **kw)


def create_error_alert(message: str) -> dbc.Alert:
    return dbc.Alert(message, color="danger", dismissable=True, className="py-1 mb-1")
