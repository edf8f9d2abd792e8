"""Response security headers, early refusal of oversized requests, and the Allow header of 405s.

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

# A longer query string is refused before routing (414 JSON). The API's longest legitimate query,
# 200 ids in `asset_ids`, is about 3 KB. Just under gunicorn's request-line cap (4094 bytes), so
# this JSON answer comes first; past that cap gunicorn itself answers 400.
MAX_QUERY_STRING_BYTES = 4000
# Dash callback bodies carry component state (tables, the deck spec), so they get more room than
# API bodies; anything above this is refused from the Content-Length alone, unread.
MAX_DASH_BODY_BYTES = 2 * 1024 * 1024


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


def allowed_methods(server: Flask, path: str) -> list[str]:
    """Methods a route really serves at ``path`` (the JSON 404/405 catch-all for /api excluded)."""
    from werkzeug.exceptions import HTTPException

    adapter = server.url_map.bind("")
    methods = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(path, method=method)
        except HTTPException:
            continue
        if endpoint != "flux_api.api_not_found":
            methods.add(method)
    if "GET" in methods:
        methods |= {"HEAD", "OPTIONS"}
    return sorted(methods)


def _refuse(status: int, error: str, message: str) -> Response:
    import orjson

    return Response(orjson.dumps({"error": error, "message": message}), status=status, mimetype="application/json")


def install_security(app: dash.Dash, settings) -> None:
    """Register the header hook and the early size checks. Call after every callback is defined
    (the CSP carries the hashes of Dash's inline scripts)."""
    server: Flask = app.server
    # Flask refuses a larger body with 413 when it is read; the hook below answers before that.
    server.config["MAX_CONTENT_LENGTH"] = max(settings.max_request_bytes, MAX_DASH_BODY_BYTES)
    policy = content_security_policy(app, settings.basemap_style)

    def body_limit() -> int:
        return MAX_DASH_BODY_BYTES if request.path.startswith("/_dash-") else settings.max_request_bytes

    @server.before_request
    def _refuse_oversized():
        if len(request.query_string) > MAX_QUERY_STRING_BYTES:
            return _refuse(414, "uri_too_long", f"the query string is longer than {MAX_QUERY_STRING_BYTES} bytes")
        limit = body_limit()
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
        if (resp.status_code == 405 and "Allow" not in headers) or (request.method == "OPTIONS" and "Allow" in headers):
            # JSON 405 bodies replace werkzeug's (and its Allow header); Flask's automatic OPTIONS
            # would also count the /api catch-all's methods (RFC 9110: list what is served)
            headers["Allow"] = ", ".join(allowed_methods(server, request.path))
        return resp
