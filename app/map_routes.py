"""The map's layer URLs: ``/api/map/<layer>.json`` answers exactly as the REST route it names.

deck.gl 8.2 (bundled by dash-deck 0.0.1) picks its JSON loader only by a ``.json`` extension on
the URL path (its loader has no MIME types), so it cannot load ``/api/outages/active``. These
aliases add the extension and call the API's own view functions, so validation, ETags,
pre-gzipped feeders and provenance headers stay those of app/api.py.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from app import api

bp = Blueprint("flux_map_layers", __name__)

LAYER_VIEWS = {
    "feeders": api.feeder_topology,
    "substations": api.substation_status,
    "outages": api.active_outages,
    "work-orders": api.active_work_orders,
    "crews": api.crews,
    "assets": api.assets,
}


@bp.get("/api/map/<layer>.json")
def map_layer(layer: str):
    view = LAYER_VIEWS.get(layer)
    if view is None:
        return api._error(404, "not_found", f"no map layer {layer}")
    return view()


def register_map_routes(server: Flask) -> None:
    server.register_blueprint(bp)
