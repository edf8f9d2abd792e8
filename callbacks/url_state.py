"""The page's query string: which view, where the map looks, what is selected. Pure helpers."""

from __future__ import annotations

import math
from urllib.parse import parse_qs

from app.validation import IDENT
from layouts.map_deck import MAX_ZOOM, MIN_ZOOM
from layouts.root import VIEWS

SELECTION_KINDS = ("substation", "feeder", "outage")
# Houston metro, generously: a link outside it is ignored rather than showing empty space.
LON_RANGE, LAT_RANGE = (-100.0, -90.0), (25.0, 34.0)


def _float(params: dict, key: str) -> float | None:
    try:
        value = float(params[key][0])
    except (KeyError, IndexError, ValueError):
        return None
    return value if math.isfinite(value) else None


def parse_url_state(search: str | None) -> dict:
    """{"view", "target", "selection"} from "?view=..&lon=..&lat=..&z=..&sel=kind:id".
    Anything malformed or out of range is dropped, never an error."""
    params = parse_qs((search or "").lstrip("?"))
    view = params.get("view", [None])[0]
    state: dict = {"view": view if view in VIEWS else None, "target": None, "selection": None}
    lon, lat, zoom = _float(params, "lon"), _float(params, "lat"), _float(params, "z")
    if (
        lon is not None
        and lat is not None
        and LON_RANGE[0] <= lon <= LON_RANGE[1]
        and LAT_RANGE[0] <= lat <= LAT_RANGE[1]
    ):
        z = MIN_ZOOM + 3 if zoom is None else min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        state["target"] = {"longitude": lon, "latitude": lat, "zoom": z}
    sel = params.get("sel", [None])[0]
    if sel and ":" in sel:
        kind, _, item_id = sel.partition(":")
        # the API's id rule: str.isalnum() let through other scripts' letters and digits ("١٢")
        if kind in SELECTION_KINDS and IDENT.fullmatch(item_id):
            state["selection"] = {"kind": kind, "id": item_id}
    return state


def parse_playback_state(search: str | None) -> dict:
    """{"storm", "frame"} from "?storm=STORM-003&frame=120" (a storm playback link); anything
    malformed is dropped."""
    params = parse_qs((search or "").lstrip("?"))
    storm = params.get("storm", [None])[0]
    frame = params.get("frame", [None])[0]
    return {
        "storm": storm if storm and IDENT.fullmatch(storm) else None,
        "frame": int(frame) if frame and frame.isascii() and frame.isdigit() and len(frame) <= 6 else None,
    }
