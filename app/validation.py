"""Query-string validation for the REST API: every parameter is parsed against a fixed spec;
anything unknown or malformed is a ValidationError, which the API answers with 400 JSON."""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping

from data.models import BBox

Parser = Callable[[str], Any]
IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MAX_ID_LIST = 200
MAX_PARAM_CHARS = 20_000


class ValidationError(ValueError):
    """Bad input; the message is safe to show to the caller."""


def parse_args(args: Mapping[str, Any], spec: Mapping[str, Parser], defaults: Mapping[str, Any] | None = None) -> dict:
    """Parse a request's query args (a werkzeug MultiDict) with ``spec``; returns every spec key,
    absent ones set from ``defaults`` or None."""
    unknown = sorted(set(args.keys()) - set(spec))
    if unknown:
        raise ValidationError(f"unknown query parameter(s): {', '.join(unknown)[:200]}")
    out: dict[str, Any] = dict.fromkeys(spec)
    out.update(defaults or {})
    for name, parse in spec.items():
        values = args.getlist(name) if hasattr(args, "getlist") else [args[name]] if name in args else []
        if not values:
            continue
        if len(values) > 1:
            raise ValidationError(f"{name}: give it once")
        raw = values[0]
        if len(raw) > MAX_PARAM_CHARS:
            raise ValidationError(f"{name}: too long")
        if raw == "":
            raise ValidationError(f"{name}: empty value")
        try:
            out[name] = parse(raw)
        except ValidationError as exc:
            raise ValidationError(f"{name}: {exc}") from None
    return out


def ident(raw: str) -> str:
    if not IDENT.fullmatch(raw):  # match(): "$" also matches before a final newline
        raise ValidationError("expected an id of letters, digits, '-' or '_' (at most 64)")
    return raw


def ident_value(value: Any) -> str:
    """An id that arrived as JSON (a Dash store, a grid row, a map click): the same rule as in a
    query string, and a string at all (not a number, a dict, a list)."""
    if not isinstance(value, str):
        raise ValidationError("expected an id of letters, digits, '-' or '_' (at most 64)")
    return ident(value)


def one_of(*allowed: str) -> Parser:
    def parse(raw: str) -> str:
        value = raw.lower()
        if value not in allowed:
            raise ValidationError(f"expected one of {', '.join(allowed)}")
        return value

    return parse


def id_list(max_items: int = MAX_ID_LIST) -> Parser:
    def parse(raw: str) -> list[str]:
        items = [p.strip() for p in raw.split(",") if p.strip()]
        if not items:
            raise ValidationError("expected a comma-separated list of ids")
        if len(items) > max_items:
            raise ValidationError(f"at most {max_items} ids")
        return sorted({ident(p) for p in items})

    return parse


def integer(minimum: int, maximum: int) -> Parser:
    """An integer >= ``minimum``; values above ``maximum`` are clamped to it."""

    def parse(raw: str) -> int:
        # any length: the schema promises that large values are clamped (int() caps digits)
        if not re.fullmatch(r"[+-]?\d{1,4000}", raw.strip()):
            raise ValidationError("expected an integer")
        value = int(raw)
        if value < minimum:
            raise ValidationError(f"must be at least {minimum}")
        return min(value, maximum)

    return parse


def number(minimum: float, maximum: float) -> Parser:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValidationError("expected a number") from None
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise ValidationError(f"expected a number from {minimum:g} to {maximum:g}")
        return value

    return parse


def bbox(raw: str) -> BBox:
    """``min_lon,min_lat,max_lon,max_lat`` in degrees (WGS 84)."""
    parts = raw.split(",")
    if len(parts) != 4:
        raise ValidationError("expected min_lon,min_lat,max_lon,max_lat")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise ValidationError("expected four numbers") from None
    values = (min_lon, min_lat, max_lon, max_lat)
    if not all(math.isfinite(v) for v in values):
        raise ValidationError("expected finite numbers")
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ValidationError("expected -180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90")
    return BBox(min_lon, min_lat, max_lon, max_lat)


def search_text(raw: str) -> str:
    value = " ".join(raw.split())
    if not 2 <= len(value) <= 100:
        raise ValidationError("expected 2 to 100 characters")
    if any(ord(ch) < 32 for ch in value):
        raise ValidationError("control characters are not allowed")
    return value
