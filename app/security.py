"""Response security headers (HSTS over HTTPS), early refusal of oversized requests, 404 for
paths the dashboard does not serve, and OPTIONS / 405 answers with the Allow header.

The Content-Security-Policy allows only what the dashboard was seen to need in headless Chromium
(tests/test_security.py fails on any CSP console error with the map, tables and chat exercised):
- scripts from this origin, plus Dash's inline renderer bootstrap by hash (``Dash.csp_hashes``);
- 'unsafe-eval': vega compiles chart expressions with ``new Function`` in the chat panel;
- blob: workers (deck.gl / loaders.gl parse layer data off the main thread);
- inline styles: plotly and dash components inject <style> elements at run time.
Everything else (objects, frames, foreign connections) is refused.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import dash
from flask import Flask, Response, request

from app.request_guard import refusal as _refuse

# A longer query string is refused before routing (414 JSON). The API's longest legitimate query,
# 200 ids in `asset_ids`, is about 3 KB. Just under gunicorn's request-line cap (4094 bytes), so
# this answer comes first; past that cap the worker answers 414 (app/web_worker.py), also JSON.
MAX_QUERY_STRING_BYTES = 4000
# Dash callback bodies carry component state (tables, the deck spec), so they get more room than
# API bodies; anything above this is refused from the Content-Length alone, unread.
MAX_DASH_BODY_BYTES = 2 * 1024 * 1024
# Responses made outside Flask (the web server's own errors, app/web_worker.py): JSON only.
STATIC_ERROR_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Content-Security-Policy", "default-src 'none'; object-src 'none'; frame-ancestors 'self'; base-uri 'none'; "
                                "form-action 'none'"),
    ("Cache-Control", "no-store"),
)
HSTS_MAX_AGE_S = 365 * 24 * 3600


def hsts_value() -> str:
    return f"max-age={HSTS_MAX_AGE_S}"


def body_limit(path: str, settings) -> int:
    """The largest body a route takes: Dash's callback routes, or the API's limit for the rest."""
    return MAX_DASH_BODY_BYTES if path.startswith("/_dash-") else settings.max_request_bytes


def served_over_https() -> bool:
    """HTTPS to the browser: directly, or at the SPCS ingress (which forwards plain HTTP). A forged
    X-Forwarded-Proto only adds HSTS to a plain-HTTP answer, which browsers ignore there."""
    return request.is_secure or request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() == "https"


def content_security_policy(app: dash.Dash, basemap_style: str | None = None) -> str:
    origins = ["'self'"]
    if basemap_style:
        parts = urlsplit(basemap_style)
        if parts.scheme in ("http", "https") and parts.netloc:
            # a basemap style pulls tiles, sprites and glyphs from its host's siblings
            origins.append(f"{parts.scheme}://*.{parts.netloc.split('.', 1)[-1]}")
            origins.append(f"{parts.scheme}://{parts.netloc}")
    remote = " ".join(origins)
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", "'unsafe-eval'", *app.csp_hashes()]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"{remote} data: blob:",
        "font-src": "'self' data:",
        "connect-src": f"{remote} data: blob:",
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "object-src": "'none'",
        "frame-ancestors": "'self'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


def not_served_endpoints(server: Flask) -> set[str]:
    """Catch-all endpoints that answer 404 (the /api one, and Dash's page catch-all)."""
    return {"flux_api.api_not_found", server.extensions.get("flux_page_catchall", "")}


def allowed_methods(server: Flask, path: str) -> list[str]:
    """Methods a route really serves at ``path`` (the catch-alls that answer 404 excluded)."""
    from werkzeug.exceptions import HTTPException

    adapter = server.url_map.bind("")
    methods = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(path, method=method)
        except HTTPException:
            continue
        if endpoint not in not_served_endpoints(server):
            methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    if methods:
        methods.add("OPTIONS")
    return sorted(methods)


def install_security(app: dash.Dash, settings) -> None:
    """Register the header hook and the early refusals. Call after every callback is defined
    (the CSP carries the hashes of Dash's inline scripts)."""
    server: Flask = app.server
    # Flask refuses a larger body with 413 when it is read; the hook below answers before that.
    server.config["MAX_CONTENT_LENGTH"] = max(settings.max_request_bytes, MAX_DASH_BODY_BYTES)
    policy = content_security_policy(app, settings.basemap_style)
    # Dash serves its page at the prefix itself; the same page at any other path would answer
    # /.env, /admin or /.git/config with 200 and the dashboard (the view lives in ?view=&sel=).
    catchall = server.extensions["flux_page_catchall"] = app.config.routes_pathname_prefix + "<path:path>"

    @server.before_request
    def _refuse_early():
        if len(request.query_string) > MAX_QUERY_STRING_BYTES:
            return _refuse(414, "uri_too_long", f"the query string is longer than {MAX_QUERY_STRING_BYTES} bytes")
        if request.endpoint == catchall:
            return _refuse(404, "not_found", f"no page or endpoint at {request.path[:200]}")
        if request.method == "OPTIONS":
            # Flask's automatic answer is an empty text/html 200; no CORS: foreign origins get nothing
            methods = allowed_methods(server, request.path)
            if not methods:
                return _refuse(404, "not_found", f"no endpoint at {request.path[:200]}")
            answer = Response(status=204, headers={"Allow": ", ".join(methods)})
            del answer.headers["Content-Type"]  # no body, so no type (Flask would say text/html)
            return answer
        limit = body_limit(request.path, settings)
        if request.content_length is not None and request.content_length > limit:
            return _refuse(413, "payload_too_large", f"the request body is larger than {limit} bytes")
        if request.content_length is None and request.method in ("POST", "PUT", "PATCH"):
            # a chunked body has no length: let Flask stop reading it at the same limit
            request.max_content_length = limit
        return None

    @server.after_request
    def _security_headers(resp: Response) -> Response:
        headers = resp.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Content-Security-Policy", policy)
        if served_over_https():
            headers.setdefault("Strict-Transport-Security", hsts_value())
        if resp.status_code == 405 and "Allow" not in headers:
            # JSON 405 bodies replace werkzeug's, and its Allow header (RFC 9110: list what is served)
            headers["Allow"] = ", ".join(allowed_methods(server, request.path))
        return resp
