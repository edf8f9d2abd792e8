"""The REST API on the Dash server's Flask app: the original's paths plus the reads the
dashboard and chat need. Routes validate, call the repository, and serialise; nothing else.

Every response carries ``X-Flux-Backend`` (postgres | snowflake | none when no store was read)
and ``Server-Timing`` (the store's time, ``app`` until the body is built, ``total`` with
compression); JSON is compressed here for gzip clients (zlib-ng) and by flask-compress for the rest,
the feeder layer is sent pre-gzipped from the shared cache with a weak ETag (If-None-Match -> 304).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from zlib_ng import gzip_ng
from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from app import validation as v
from data.read.models import (
    CREW_STATUSES,
    CUSTOMER_SEGMENTS,
    DETAIL_KINDS,
    FEEDER_FORMS,
    OUTAGE_STATUSES,
    PRIORITIES,
    WORK_ORDER_STATUSES,
    AnalyticsUnavailable,
    JsonRows,
    ReadResult,
    ReadTimedOut,
    StoreUnavailable,
)
from data.read import reliability
from data.read.repository import (
    ASSETS_DEFAULT_LIMIT,
    ASSETS_MAX_LIMIT,
    WORK_ORDERS_DEFAULT_LIMIT,
    WORK_ORDERS_MAX_LIMIT,
    Repository,
    lod_for_zoom,
)

log = logging.getLogger("flux.api")
bp = Blueprint("flux_api", __name__)
JSON = "application/json"
ASSET_KINDS = ("substation", "transformer", "pole")
# JSON is compressed per response, with zstd for clients that take it (browsers do) and gzip for
# the rest. All 1,456 circuits (526 KB): zstd level 3 takes 1.0 ms for 71 KB; zlib's level 1
# 2.3-2.6 ms for 98 KB, level 4 3.7 ms for 83 KB, the default 6 7.0 ms for 76 KB, longer than
# reading them. (The feeder layer is gzipped once per change, at models.GZIP_LEVEL.)
JSON_ENCODINGS = ["zstd", "gzip", "deflate"]
JSON_ZSTD_LEVEL = 3
JSON_GZIP_LEVEL = 1
# gzip clients get zlib-ng's gzip here, not flask-compress's stdlib one (which has no hook for
# another compressor): on 2,000 assets (751 KB) zlib-ng level 2 takes 2.4 ms for 83 KB where
# stdlib level 1 took 4.7 ms for 91 KB, and py-spy put stdlib gzip at 13 % of the load test's
# busy server samples (load-test clients ask for gzip; browsers take zstd, 1.4 ms).
JSON_GZIP_NG_LEVEL = 2


def repo() -> Repository:
    return current_app.extensions["flux_repository"]


def _json(payload: Any, status: int = 200) -> Response:
    if isinstance(payload, JsonRows):
        body = payload.body  # serialised by Postgres
    else:
        try:
            body = orjson.dumps(payload)
        except orjson.JSONEncodeError:
            # a dict with non-string keys; the option that allows them costs ~45 % of the dump of
            # 1,456 circuit rows, so only the payloads that need it pay for it
            body = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)
    if 200 <= status < 300 and request.accept_encodings.best_match(JSON_ENCODINGS) == "gzip":
        resp = Response(gzip_ng.compress(body, compresslevel=JSON_GZIP_NG_LEVEL, mtime=0), status=status, mimetype=JSON)
        resp.headers["Content-Encoding"] = "gzip"  # flask-compress leaves an encoded body alone
        resp.headers["Vary"] = "Accept-Encoding"
        return resp
    return Response(body, status=status, mimetype=JSON)


def _error(status: int, error: str, message: str) -> Response:
    return _json({"error": error, "message": message}, status)


def _served(result: ReadResult, payload: Any = None) -> Response:
    """Serialise a read and record its provenance for the response headers."""
    g.flux_provenance = result.provenance
    return _json(result.data if payload is None else payload)


def _args(spec: dict, defaults: dict | None = None) -> dict:
    return v.parse_args(request.args, spec, defaults)


# -- the original's endpoints -----------------------------------------------------------------
@bp.get("/api/postgres/substations/status")
def substation_status():
    _args({})
    return _served(repo().substation_status())


@bp.get("/api/substations")
def substations():
    _args({})
    return _served(repo().substations())


@bp.get("/api/topology/feeders")
def feeder_topology():
    a = _args({"zoom": v.number(0, 24), "bbox": v.bbox, "form": v.one_of(*FEEDER_FORMS)}, {"zoom": 9.0, "form": "paths"})
    if a["form"] == "lines" and lod_for_zoom(a["zoom"], a["bbox"]) != "overview":
        raise v.ValidationError("form=lines is served at the overview level of detail only (zoom below 10)")
    result = repo().feeder_topology(**a)
    g.flux_provenance = result.provenance
    layer = result.data
    etag = f'W/"{layer.etag}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Flux-Lod": layer.lod, "X-Flux-Count": str(layer.count)}
    if_none_match = request.headers.get("If-None-Match", "")
    if layer.etag in if_none_match or if_none_match.strip() == "*":
        return Response(status=304, headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        resp = Response(layer.gzip_body, mimetype=JSON, headers=headers)
        resp.headers["Content-Encoding"] = "gzip"
        resp.headers["Vary"] = "Accept-Encoding"
        return resp
    return Response(layer.body(), mimetype=JSON, headers=headers)


@bp.get("/api/assets")
def assets():
    a = _args(
        {
            "circuits": v.id_list(),
            "asset_ids": v.id_list(),
            "asset_type": v.one_of(*ASSET_KINDS),
            "bbox": v.bbox,
            "limit": v.integer(1, ASSETS_MAX_LIMIT),
        },
        {"limit": ASSETS_DEFAULT_LIMIT},
    )
    return _served(repo().assets(**a))


@bp.get("/api/circuits/metadata")
def circuit_metadata():
    a = _args({"substation_id": v.ident, "circuit_id": v.ident})
    return _served(repo().circuit_metadata(**a))


@bp.get("/api/outages/active")
def active_outages():
    a = _args(
        {
            "status": v.one_of(*OUTAGE_STATUSES),
            "priority": v.one_of(*PRIORITIES),
            "substation_id": v.ident,
            "circuit_id": v.ident,
        }
    )
    return _served(repo().active_outages(**a))


@bp.get("/api/work-orders/active")
def active_work_orders():
    a = _args(
        {
            "status": v.one_of(*WORK_ORDER_STATUSES),
            "priority": v.one_of(*PRIORITIES),
            "substation_id": v.ident,
            "crew": v.ident,
            "limit": v.integer(1, WORK_ORDERS_MAX_LIMIT),
        },
        {"limit": WORK_ORDERS_DEFAULT_LIMIT},
    )
    return _served(repo().active_work_orders(**a))


@bp.get("/api/kpis")
def kpis():
    _args({})
    return _served(repo().kpis())


@bp.get("/api/live/status")
def live_status():
    """Feed heartbeat age and rate, pipeline lag, sync age: each ok | amber | red (settings)."""
    from datetime import datetime, timezone

    from data.read import live

    _args({})
    result = repo().live_signals()
    thresholds = live.Thresholds.from_settings(current_app.config["FLUX_SETTINGS"])
    return _served(result, live.live_status(result.data, datetime.now(timezone.utc), thresholds))


@bp.get("/api/weather")
def weather():
    a = _args({"hours": v.integer(1, 24 * 31)}, {"hours": 48})
    return _served(repo().weather(**a))


# -- what the dashboard and chat add ----------------------------------------------------------
@bp.get("/api/weather/events")
def weather_events():
    a = _args({"limit": v.integer(1, 500)}, {"limit": 50})
    return _served(repo().weather_events(**a))


@bp.get("/api/crews")
def crews():
    a = _args({"status": v.one_of(*CREW_STATUSES)})
    return _served(repo().crews(**a))


@bp.get("/api/details/<kind>/<item_id>")
def details(kind: str, item_id: str):
    _args({})
    if kind not in DETAIL_KINDS:
        raise v.ValidationError(f"kind: expected one of {', '.join(DETAIL_KINDS)}")
    v.ident(item_id)
    result = repo().details(kind=kind, id=item_id)
    if result.data is None:
        g.flux_provenance = result.provenance
        return _error(404, "not_found", f"no {kind} {item_id}")
    return _served(result)


@bp.get("/api/topology/trace/<segment_id>")
def network_trace(segment_id: str):
    _args({})
    v.ident(segment_id)
    result = repo().network_trace(segment_id=segment_id)
    if result.data is None:
        g.flux_provenance = result.provenance
        return _error(404, "not_found", f"no feeder segment {segment_id}")
    return _served(result)


@bp.get("/api/customers/search")
def customer_search():
    a = _args({"q": v.search_text, "limit": v.integer(1, 100)}, {"limit": 20})
    if a["q"] is None:
        raise v.ValidationError("q: required")
    return _served(repo().customer_search(**a))


@bp.get("/api/analytics/ami-monthly-usage")
def ami_monthly_usage():
    a = _args({"segment": v.one_of(*CUSTOMER_SEGMENTS)})
    return _served(repo().ami_monthly_usage(**a))


@bp.get("/api/analytics/transformer-load")
def transformer_load_history():
    a = _args(
        {"hours": v.integer(1, 24 * 92), "transformer_id": v.ident, "circuit_id": v.ident, "substation_id": v.ident},
        {"hours": 24},
    )
    return _served(repo().transformer_load_history(**a))


@bp.get("/api/analytics/transformer-heatmap")
def transformer_heatmap():
    a = _args({"days": v.integer(1, 92), "limit": v.integer(1, 200), "circuit_id": v.ident}, {"days": 7, "limit": 30})
    return _served(repo().transformer_heatmap(**a))


@bp.get("/api/analytics/top-overloaded-transformers")
def top_overloaded_transformers():
    a = _args({"days": v.integer(1, 92), "limit": v.integer(1, 500)}, {"days": 7, "limit": 20})
    return _served(repo().top_overloaded_transformers(**a))


@bp.get("/api/analytics/ercot")
def ercot_price_vs_load():
    a = _args({"days": v.integer(1, 92)}, {"days": 7})
    return _served(repo().ercot_price_vs_load(**a))


# -- reliability: IEEE 1366 over the interruption history ------------------------------------------
RELIABILITY_YEARS = (2000, 2100)
CEMI_N_MAX = 50
CELID_T_MAX_HOURS = 168
WORST_MAX_LIMIT = 100


def _reliability_args(extra: dict | None = None, defaults: dict | None = None) -> dict:
    spec = {"year": v.integer(*RELIABILITY_YEARS), "cemi_n": v.integer(1, CEMI_N_MAX),
            "celid_t": v.integer(1, CELID_T_MAX_HOURS), **(extra or {})}
    a = _args(spec, {"cemi_n": 3, "celid_t": 8, **(defaults or {})})
    a["celid_t_hours"] = a.pop("celid_t")
    return a


def _report_or_404(result: ReadResult, what: str) -> Response | None:
    if result.data is None:
        g.flux_provenance = result.provenance
        return _error(404, "not_found", what)
    return None


@bp.get("/api/reliability/report")
def reliability_report():
    a = _reliability_args()
    result = repo().reliability_report(**a)
    return _report_or_404(result, "the interruption history holds no day of that period") or _served(result)


@bp.get("/api/reliability/worst-circuits")
def reliability_worst_circuits():
    from data.reliability.ieee1366 import RANK_BY

    a = _reliability_args({"by": v.one_of(*RANK_BY), "basis": v.one_of("excluding_med", "all"),
                           "limit": v.integer(1, WORST_MAX_LIMIT)},
                          {"by": "saidi", "basis": "excluding_med", "limit": 10})
    by, basis, limit = a.pop("by"), a.pop("basis"), a.pop("limit")
    result = repo().reliability_report(**a)
    missing = _report_or_404(result, "the interruption history holds no day of that period")
    if missing:
        return missing
    return _served(result, reliability.worst_from_report(result.data, by=by, basis=basis, limit=limit))


@bp.get("/api/reliability/monthly")
def reliability_monthly():
    a = _reliability_args()
    result = repo().reliability_report(**a)
    missing = _report_or_404(result, "the interruption history holds no day of that period")
    if missing:
        return missing
    return _served(result, result.data["monthly"])


@bp.get("/api/reliability/circuits/<circuit_id>")
def reliability_circuit(circuit_id: str):
    a = _reliability_args()
    v.ident(circuit_id)
    result = repo().reliability_circuit(circuit_id=circuit_id, **a)
    return _report_or_404(result, f"no circuit {circuit_id} in the period's history") or _served(result)


@bp.get("/api/reliability/report.csv")
def reliability_csv():
    import csv
    import io

    a = _reliability_args()
    result = repo().reliability_report(**a)
    missing = _report_or_404(result, "the interruption history holds no day of that period")
    if missing:
        return missing
    g.flux_provenance = result.provenance
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(reliability.report_csv_rows(result.data))
    period = result.data["period"]
    name = f"reliability_{period['start']}_{period['end']}.csv"
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- storm playback ------------------------------------------------------------------------------
PLAYBACK_MAX_FRAME = 100_000


@bp.get("/api/playback/storms")
def playback_storms():
    _args({})
    return _served(repo().playback_storms())


def _storm_events(storm_id: str) -> ReadResult:
    v.ident(storm_id)
    return repo().playback_events(storm_id=storm_id)


@bp.get("/api/playback/storms/<storm_id>/timeline")
def playback_timeline(storm_id: str):
    _args({})
    result = _storm_events(storm_id)
    return (_report_or_404(result, f"no storm {storm_id} in the interruption history")
            or _served(result, reliability.playback_timeline(result.data)))


@bp.get("/api/playback/storms/<storm_id>/frame")
def playback_frame(storm_id: str):
    a = _args({"frame": v.integer(0, PLAYBACK_MAX_FRAME)}, {"frame": 0})
    result = _storm_events(storm_id)
    return (_report_or_404(result, f"no storm {storm_id} in the interruption history")
            or _served(result, reliability.playback_frame(result.data, a["frame"])))


@bp.get("/api/openapi.json")
def openapi():
    from app.openapi import document

    return _json(document())


@bp.get("/readyz")
def readyz():
    detail = repo().readiness()
    ok = detail["postgres"]["ok"] or detail["warehouse"]["ok"]
    return _json({"status": "ready" if ok else "unavailable", **detail}, 200 if ok else 503)


@bp.route("/api/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def api_not_found(rest: str):
    # Dash's catch-all page route would otherwise answer unknown /api paths with HTML.
    # A real route under another method (GET-only reads, POST-only chat writes): 405, not 404.
    adapter = current_app.url_map.bind("")
    for method in ("GET", "POST"):
        if method == request.method:
            continue
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "flux_api.api_not_found":
            return _error(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}")
    return _error(404, "not_found", f"no endpoint {request.path}")


# -- errors and headers, for /api, /healthz and /readyz ------------------------------------------
def _is_api_path() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def _timing_with_compression(resp: Response) -> Response:
    """Server-Timing's ``total``: the app's time plus compressing the body."""
    if _is_api_path() and "flux_started" in g and "Server-Timing" in resp.headers:
        total = (time.perf_counter() - g.flux_started) * 1000
        resp.headers["Server-Timing"] += f", total;dur={total:.2f}"
    return resp


def register_api(server: Flask, repository: Repository) -> None:
    """Attach the repository, the blueprint, JSON errors, the provenance headers, compression."""
    from flask_compress import Compress

    server.extensions["flux_repository"] = repository
    server.register_blueprint(bp)
    if "flux_compress" not in server.extensions:
        server.config.setdefault("COMPRESS_MIN_SIZE", 0)  # every API response, however small
        server.config.setdefault("COMPRESS_ALGORITHM", JSON_ENCODINGS)
        server.config.setdefault("COMPRESS_ZSTD_LEVEL", JSON_ZSTD_LEVEL)
        server.config.setdefault("COMPRESS_LEVEL", JSON_GZIP_LEVEL)
        server.config.setdefault("COMPRESS_DEFLATE_LEVEL", JSON_GZIP_LEVEL)
        server.after_request(_timing_with_compression)  # registered first, so Flask runs it last
        Compress(server)
        server.extensions["flux_compress"] = True

    @server.before_request
    def _start_timer():
        g.flux_started = time.perf_counter()

    @server.after_request
    def _provenance_headers(resp: Response) -> Response:
        if not _is_api_path():
            return resp
        total = (time.perf_counter() - g.get("flux_started", time.perf_counter())) * 1000
        prov = g.get("flux_provenance")
        if prov is None:
            resp.headers["X-Flux-Backend"] = "none"
            resp.headers["Server-Timing"] = f"app;dur={total:.2f}"
            return resp
        resp.headers["X-Flux-Backend"] = prov.backend
        resp.headers["X-Flux-Cache"] = "hit" if prov.cached else "miss"
        if prov.freshness is not None:
            resp.headers["X-Flux-Freshness"] = prov.freshness.isoformat()
        if prov.fallback_reason:
            resp.headers["X-Flux-Fallback"] = prov.fallback_reason
        store = "cache" if prov.cached else prov.backend
        resp.headers["Server-Timing"] = f'{store};desc="{prov.backend}";dur={prov.elapsed_ms:.2f}, app;dur={total:.2f}'
        return resp

    @server.errorhandler(v.ValidationError)
    def _bad_request(exc: v.ValidationError):
        return _error(400, "bad_request", str(exc))

    @server.errorhandler(StoreUnavailable)
    def _store_down(exc: StoreUnavailable):
        return _error(503, "unavailable", "no store could serve this read; try again shortly")

    @server.errorhandler(ReadTimedOut)
    def _read_timed_out(exc: ReadTimedOut):
        return _error(504, "query_timeout", f"{exc}; narrow the request (a longer search text, a smaller area) "
                      "and try again")

    @server.errorhandler(AnalyticsUnavailable)
    def _analytics_down(exc: AnalyticsUnavailable):
        return _error(503, "analytics_unavailable", "the warehouse is unavailable; analytics will return when it is")

    @server.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # JSON on every path: Dash's routes and the page too (a 404 for /.env is no HTML page)
        return _error(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")

    @server.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        log.exception("unhandled error on %s", request.path)
        return _error(500, "internal_error", "an internal error occurred; it has been logged")
