"""Query-string validation for the REST API: every parameter is parsed against a fixed spec;
anything unknown or malformed is a ValidationError, which the API answers with 400 JSON.

Each rule accepts exactly what app/openapi.py's schema for it admits (schemathesis checks both
ways in tests/test_badinput.py): the patterns below are that document's, digits are ASCII
(Python's \\d and float() also take other scripts' digits), nothing is trimmed or re-cased."""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping

from data.read.models import BBox

Parser = Callable[[str], Any]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ID_LIST_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}(,[A-Za-z0-9][A-Za-z0-9_-]{0,63}){0,199}$"
# -180..180 and -90..90, any number of decimals
_LON = r"-?(180(\.0+)?|(1[0-7][0-9]|[0-9]{1,2})(\.[0-9]+)?)"
_LAT = r"-?(90(\.0+)?|[0-8]?[0-9](\.[0-9]+)?)"
BBOX_PATTERN = rf"^{_LON},{_LAT},{_LON},{_LAT}$"
# JSON's number grammar
NUMBER_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
INTEGER_PATTERN = r"^-?[0-9]{1,4000}$"
# no control character, at least two that are not spaces; and 2 to 100 characters (the schema's
# minLength/maxLength: code points, where a pattern's {2,100} would count UTF-16 units in ECMA)
SEARCH_PATTERN = r"^[ ]*[^\u0000-\u001f ][ ]*[^\u0000-\u001f ][^\u0000-\u001f]*$"  # no lookahead: slow to generate
SEARCH_LENGTH = (2, 100)
IDENT = re.compile(ID_PATTERN)
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
        if raw not in allowed:
            raise ValidationError(f"expected one of {', '.join(allowed)}")
        return raw

    return parse


def id_list(max_items: int = MAX_ID_LIST) -> Parser:
    def parse(raw: str) -> list[str]:
        items = raw.split(",")
        if len(items) > max_items:
            raise ValidationError(f"at most {max_items} ids")
        if not all(IDENT.fullmatch(p) for p in items):
            raise ValidationError("expected a comma-separated list of ids (letters, digits, '-' or '_'), no spaces")
        return sorted(set(items))

    return parse


def integer(minimum: int, maximum: int) -> Parser:
    """An integer >= ``minimum``; values above ``maximum`` are clamped to it."""

    def parse(raw: str) -> int:
        # any length: the schema promises that large values are clamped (int() caps digits)
        if not re.fullmatch(INTEGER_PATTERN, raw):
            raise ValidationError("expected an integer")
        value = int(raw)
        if value < minimum:
            raise ValidationError(f"must be at least {minimum}")
        return min(value, maximum)

    return parse


def number(minimum: float, maximum: float) -> Parser:
    def parse(raw: str) -> float:
        if not re.fullmatch(NUMBER_PATTERN, raw):
            raise ValidationError("expected a number")
        value = float(raw)
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise ValidationError(f"expected a number from {minimum:g} to {maximum:g}")
        return value

    return parse


def bbox(raw: str) -> BBox:
    """``min_lon,min_lat,max_lon,max_lat`` in degrees (WGS 84). Two corners of the viewport: in
    either order (no regular expression, so no OpenAPI pattern, can say min < max), and the
    same twice for a point or a line."""
    if not re.fullmatch(BBOX_PATTERN, raw):
        raise ValidationError("expected min_lon,min_lat,max_lon,max_lat: longitudes -180 to 180, latitudes -90 to 90")
    lon1, lat1, lon2, lat2 = (float(p) for p in raw.split(","))
    return BBox(min(lon1, lon2), min(lat1, lat2), max(lon1, lon2), max(lat1, lat2))


def search_text(raw: str) -> str:
    if any(ord(ch) < 32 for ch in raw):
        raise ValidationError("control characters are not allowed")
    if not (SEARCH_LENGTH[0] <= len(raw) <= SEARCH_LENGTH[1] and re.fullmatch(SEARCH_PATTERN, raw)):
        raise ValidationError("expected 2 to 100 characters, two of them not spaces")
    return " ".join(word for word in raw.split(" ") if word)
