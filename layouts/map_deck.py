"""The grid map's deck.gl description, built with pydeck. Pure: no I/O.

Every layer gets its data as a URL from the REST API, so deck.gl fetches it, the browser caches
it, and the Dash payload stays a few kilobytes. Real-time layers carry a refresh token in their
URL; the feeder layer's URL changes only with the level of detail and the viewport, so a refresh
never re-sends feeder geometry.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from urllib.parse import urlencode

import pydeck as pdk

# The synthetic grid's service territory (Houston, about 0.9° x 0.8°), whole on a 560 px map.
HOME_VIEW = {"longitude": -95.36, "latitude": 29.80, "zoom": 8.6}
MIN_ZOOM, MAX_ZOOM = 6.0, 18.0

# Level of detail: one simplified path per circuit below DETAIL_ZOOM (the API's "overview", asked
# for with OVERVIEW_ZOOM), segments in the viewport above it (the API serves simplified
# geometry below zoom 13 and full detail from 13).
DETAIL_ZOOM = 11.0
OVERVIEW_ZOOM = 9
# From here the API's segments carry their full geometry (data/repository.py lod_for_zoom); below
# it a segment's simplified path is its two end points.
FULL_ZOOM = 13.0
# Assets (transformers, poles) load for the viewport from this zoom on.
ASSET_ZOOM = 14.0
ASSET_LIMIT = 5000
# Viewport requests snap outward to this grid (degrees) so small pans reuse a cached URL.
BBOX_SNAP_DEG = {11: 0.2, 12: 0.1, 13: 0.05, 14: 0.02}
BBOX_SNAP_MIN = 0.01

# Loading bands of the original: > 90 red, > 80 orange, > 70 amber, > 60 yellow, otherwise green.
LOADING_BANDS = (
    (90, "> 90 %", (239, 68, 68)),
    (80, "> 80 %", (249, 115, 22)),
    (70, "> 70 %", (245, 158, 11)),
    (60, "> 60 %", (234, 179, 8)),
    (None, "≤ 60 %", (34, 197, 94)),
)
SUBSTATION_STATUS_COLORS = {
    "critical": (239, 68, 68),
    "warning": (245, 158, 11),
    "good": (56, 189, 248),
}
OUTAGE_COLOR = (244, 63, 94)
WORK_ORDER_COLOR = (168, 85, 247)
CREW_COLOR = (255, 255, 255)
ASSET_COLOR = (148, 163, 184)

LAYERS = ("feeders", "substations", "outages", "work_orders", "crews", "assets")
LAYER_LABELS = {
    "feeders": "Feeders",
    "substations": "Substations",
    "outages": "Outages",
    "work_orders": "Work orders",
    "crews": "Crews",
    "assets": "Assets (zoom ≥ 14)",
}
# deck.gl layer ids of the feeder layer: straight lines (overview and simplified segments) and
# paths (full geometry); callbacks/navigation.py reads clicks by them.
FEEDER_LINES_LAYER = "feeders_lines"
FEEDER_PATHS_LAYER = "feeders"
FEEDER_LAYER_IDS = (FEEDER_LINES_LAYER, FEEDER_PATHS_LAYER)
DEFAULT_LAYERS = ("feeders", "substations", "outages", "work_orders", "crews", "assets")

# Layer URLs (app/map_routes.py: the REST routes of app/api.py with the ".json" that deck.gl's
# loader needs): feeders = /api/topology/feeders, substations = /api/postgres/substations/status,
# outages = /api/outages/active, work orders = /api/work-orders/active, crews = /api/crews,
# assets = /api/assets.
API_FEEDERS = "/api/map/feeders.json"
API_SUBSTATIONS = "/api/map/substations.json"
API_OUTAGES = "/api/map/outages.json"
API_WORK_ORDERS = "/api/map/work-orders.json"
API_CREWS = "/api/map/crews.json"
API_ASSETS = "/api/map/assets.json"

# dash-deck fills "{field}" placeholders from the hovered row, first occurrence only, and leaves
# unknown ones as text. One template serves every layer: each field appears once, in a data-v
# attribute, and assets/10-flux.css hides a line whose placeholder was not filled.
_TOOLTIP_FIELDS = (
    ("substation_name", "Substation"),
    ("outage_id", "Outage"),
    ("work_order_id", "Work order"),
    ("crew_name", "Crew"),
    ("asset_name", "Asset"),
    ("id", "Feeder"),
    ("circuit_id", "Circuit"),
    ("load_percent", "Load %"),
    ("status", "Status"),
    ("capacity_mva", "Capacity MVA"),
    ("avg_load", "Avg load %"),
    ("critical_circuits", "Critical circuits"),
    ("cause", "Cause"),
    ("affected_customers_count", "Customers out"),
    ("restoration_status", "Restoration"),
    ("work_type", "Work type"),
    ("priority", "Priority"),
    ("crew_type", "Crew type"),
    ("asset_type", "Type"),
    ("health_score", "Health"),
    ("connected_customers", "Customers"),
)
TOOLTIP_HTML = '<div class="flux-tt">' + "".join(
    f'<div class="flux-tt-row" data-k="{label}" data-v="{{{field}}}"></div>' for field, label in _TOOLTIP_FIELDS
) + "</div>"
TOOLTIP = {"html": TOOLTIP_HTML, "style": {"backgroundColor": "#1c2127", "color": "#e5e7eb", "fontSize": "12px"}}


@dataclass(frozen=True)
class MapView:
    """Where the map looks; bbox is (west, south, east, north)."""

    longitude: float
    latitude: float
    zoom: float
    bbox: tuple[float, float, float, float] | None = None

    @classmethod
    def from_dict(cls, d: dict | None) -> "MapView":
        if not d:
            return cls(**HOME_VIEW)
        bbox = d.get("bbox")
        return cls(
            longitude=float(d["longitude"]),
            latitude=float(d["latitude"]),
            zoom=float(d["zoom"]),
            bbox=tuple(float(v) for v in bbox) if bbox else None,
        )

    def bounds(self, width_px: int = 1200, height_px: int = 700) -> tuple[float, float, float, float]:
        """The reported bbox, or one estimated from the centre and zoom (Web Mercator)."""
        if self.bbox:
            return self.bbox
        deg_per_px = 360.0 / (512.0 * 2**self.zoom)
        half_w = width_px / 2 * deg_per_px
        half_h = height_px / 2 * deg_per_px * math.cos(math.radians(self.latitude))
        return (self.longitude - half_w, self.latitude - half_h, self.longitude + half_w, self.latitude + half_h)


def loading_band_color(load_percent: float | None) -> tuple[int, int, int]:
    """The original's feeder loading colour for one value (used by the legend and tests)."""
    value = load_percent or 0.0
    for threshold, _label, color in LOADING_BANDS:
        if threshold is None or value > threshold:
            return color
    return LOADING_BANDS[-1][2]


def _rgb(c: tuple[int, int, int], alpha: int | None = None) -> str:
    return json.dumps(list(c) + ([alpha] if alpha is not None else []))


def _rgba(c: tuple[int, int, int], alpha: int = 255) -> list[int]:
    return [*c, alpha]


def loading_color_expression(field: str = "load_percent") -> str:
    """The same bands as a deck.gl JSON expression evaluated per row in the browser."""
    expr = _rgb(LOADING_BANDS[-1][2])
    for threshold, _label, color in reversed(LOADING_BANDS[:-1]):
        expr = f"{field} > {threshold} ? {_rgb(color)} : ({expr})"
    return expr


def _status_color_expression() -> str:
    c = SUBSTATION_STATUS_COLORS
    return f"status == 'critical' ? {_rgb(c['critical'])} : (status == 'warning' ? {_rgb(c['warning'])} : {_rgb(c['good'])})"


def snap_bbox(bbox: tuple[float, float, float, float], zoom: float) -> tuple[float, float, float, float]:
    """Snap a viewport outward to a zoom-dependent grid so nearby views share one URL."""
    step = BBOX_SNAP_DEG.get(int(zoom), BBOX_SNAP_MIN if zoom > 14 else 0.1)
    w, s, e, n = bbox
    return (
        round(math.floor(w / step) * step, 4),
        round(math.floor(s / step) * step, 4),
        round(math.ceil(e / step) * step, 4),
        round(math.ceil(n / step) * step, 4),
    )


def level_of_detail(zoom: float) -> str:
    return "overview" if zoom < DETAIL_ZOOM else "detail"


def _bbox_param(bbox: tuple[float, float, float, float]) -> str:
    return ",".join(f"{v:g}" for v in bbox)


def feeder_url(view: MapView) -> str:
    """Overview: every circuit, one simplified path each cut into its straight lines, the same URL
    at every low zoom (cached). Detail: segments in the snapped viewport."""
    if level_of_detail(view.zoom) == "overview":
        return f"{API_FEEDERS}?{urlencode({'zoom': OVERVIEW_ZOOM, 'form': 'lines'})}"
    z = int(view.zoom)
    return f"{API_FEEDERS}?{urlencode({'bbox': _bbox_param(snap_bbox(view.bounds(), z)), 'zoom': z})}"


def asset_url(view: MapView) -> str | None:
    if view.zoom < ASSET_ZOOM:
        return None
    bbox = snap_bbox(view.bounds(), view.zoom)
    return f"{API_ASSETS}?{urlencode({'bbox': _bbox_param(bbox), 'limit': ASSET_LIMIT})}"


def _live(url: str, refresh_token: int | str | None) -> str:
    """A real-time layer's URL with the refresh token in the fragment: deck.gl re-fetches when
    the URL string changes, the fragment never reaches the server (whose API rejects unknown
    query parameters), and the API sends no caching headers, so each refresh gets fresh rows."""
    if refresh_token is None:
        return url
    return f"{url}#t={refresh_token}"


def _feeder_layer(view: MapView, visible: bool) -> pdk.Layer:
    """A LineLayer below FULL_ZOOM: SwiftShader (software WebGL, as on many operators' VMs)
    compiles its shader in a fraction of the PathLayer's, which was most of the map's first frame,
    and a simplified segment is one straight line anyway. The overview's rows are lines
    (source/target), a simplified segment's a two-point path: one layer reads both, so zooming
    between them keeps the lines drawn until the new ones are in. Full geometry is a PathLayer with
    another id: deck.gl matches layers by id and would hand one type's state to the other."""
    common = {
        "data": feeder_url(view),
        "visible": visible,
        "pickable": True,
        "auto_highlight": True,
        "highlight_color": [255, 255, 255, 160],
        "get_color": loading_color_expression(),
        "width_units": "pixels",
        "width_min_pixels": 1,
    }
    overview = level_of_detail(view.zoom) == "overview"
    if overview or view.zoom < FULL_ZOOM:
        return pdk.Layer(
            "LineLayer",
            id=FEEDER_LINES_LAYER,
            get_source_position="source ? source : path[0]",
            get_target_position="target ? target : path[path.length - 1]",
            get_width=2 if overview else 3,
            **common,
        )
    return pdk.Layer("PathLayer", id=FEEDER_PATHS_LAYER, get_path="path", get_width=3, joint_rounded=False, **common)


def create_layers(
    view: MapView,
    visible: tuple[str, ...] | list[str] = DEFAULT_LAYERS,
    refresh_token: int | str | None = None,
    trace: dict | None = None,
) -> list[pdk.Layer]:
    shown = set(visible)
    layers = [_feeder_layer(view, "feeders" in shown)]
    if trace and trace.get("paths"):
        layers.append(
            pdk.Layer(
                "PathLayer",
                id="trace",
                data=trace["paths"],
                pickable=False,
                get_path="path",
                get_color=[56, 189, 248, 230],
                get_width=6,
                width_units="pixels",
            )
        )
    asset_data = asset_url(view)
    layers += [
        pdk.Layer(
            "ScatterplotLayer",
            id="assets",
            data=asset_data or [],
            visible="assets" in shown and asset_data is not None,
            pickable=True,
            get_position="[longitude, latitude]",
            get_fill_color=_rgba(ASSET_COLOR, 200),
            get_radius=4,
            radius_units="meters",
            radius_min_pixels=2,
            radius_max_pixels=6,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            id="substations",
            data=_live(API_SUBSTATIONS, refresh_token),
            visible="substations" in shown,
            pickable=True,
            auto_highlight=True,
            stroked=True,
            get_position="[longitude, latitude]",
            get_radius="capacity_mva * 8",
            radius_units="meters",
            radius_min_pixels=4,
            radius_max_pixels=22,
            get_fill_color=_status_color_expression(),
            get_line_color=[15, 23, 42],
            line_width_min_pixels=1,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            id="work_orders",
            data=_live(API_WORK_ORDERS, refresh_token),
            visible="work_orders" in shown,
            pickable=True,
            get_position="[longitude, latitude]",
            get_fill_color=_rgba(WORK_ORDER_COLOR, 220),
            get_radius=60,
            radius_units="meters",
            radius_min_pixels=3,
            radius_max_pixels=8,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            id="crews",
            data=_live(API_CREWS, refresh_token),
            visible="crews" in shown,
            pickable=True,
            stroked=True,
            filled=False,
            get_position="[longitude, latitude]",
            get_line_color=_rgba(CREW_COLOR, 230),
            get_radius=80,
            radius_units="meters",
            radius_min_pixels=4,
            line_width_min_pixels=2,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            id="outages",
            data=_live(API_OUTAGES, refresh_token),
            visible="outages" in shown,
            pickable=True,
            auto_highlight=True,
            opacity=0.8,
            stroked=True,
            get_position="[longitude, latitude]",
            # grows with customers out; deck.gl's JSON expressions have no sqrt, min/max pixels clamp
            get_radius="affected_customers_count * 2",
            radius_units="meters",
            radius_min_pixels=5,
            radius_max_pixels=40,
            get_fill_color=_rgba(OUTAGE_COLOR, 170),
            get_line_color=[255, 255, 255],
            line_width_min_pixels=1,
        ),
    ]
    return layers


def create_deck(
    *,
    view: MapView,
    target: dict | None = None,
    visible: tuple[str, ...] | list[str] = DEFAULT_LAYERS,
    refresh_token: int | str | None = None,
    basemap_style: str | None = None,
    trace: dict | None = None,
) -> dict:
    """The deck as a dict for dash_deck.DeckGL (a dict, not the JSON string: half the bytes).

    ``target`` becomes deck.gl's initialViewState; deck.gl only moves the camera when it
    changes, so rebuilding the deck for new layers keeps the operator's pan and zoom.
    """
    start = target or {"longitude": view.longitude, "latitude": view.latitude, "zoom": view.zoom}
    deck = pdk.Deck(
        layers=create_layers(view, visible, refresh_token, trace),
        initial_view_state=pdk.ViewState(
            longitude=start["longitude"],
            latitude=start["latitude"],
            zoom=start["zoom"],
            min_zoom=MIN_ZOOM,
            max_zoom=MAX_ZOOM,
            pitch=0,
            bearing=0,
        ),
        views=[pdk.View(type="MapView", controller={"dragRotate": False, "touchRotate": False})],
        map_provider="carto" if basemap_style else None,
        map_style=basemap_style,
    )
    spec = json.loads(deck.to_json())
    # pydeck turns every string into a "@@=" expression; unit names are plain strings.
    for layer in spec["layers"]:
        for key, value in layer.items():
            if key.endswith("Units") and isinstance(value, str):
                layer[key] = value.removeprefix("@@=")
    # pydeck writes mapStyle/mapProvider even when None; offline there must be no style URL at all.
    if not basemap_style:
        spec.pop("mapStyle", None)
        spec.pop("mapProvider", None)
        for v in spec.get("views", []):
            v.pop("mapStyle", None)
    return spec


def preload_urls(deck: dict) -> list[str]:
    """The layer URLs a deck fetches first (visible layers with URL data), without the refresh
    fragment: the browser can fetch them alongside the page's scripts."""
    return [
        layer["data"].split("#", 1)[0]
        for layer in deck.get("layers", [])
        if isinstance(layer.get("data"), str) and layer.get("visible", True) is not False
    ]


def uses_basemap(basemap_style: str | None) -> dict:
    """Extra DeckGL props: dash-deck draws a base map only when mapboxKey is set. A MapLibre/Carto
    style needs no token, so any non-empty key switches it on."""
    return {"mapboxKey": "carto"} if basemap_style else {}
