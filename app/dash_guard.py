"""JSON 4xx for malformed requests to Dash's own routes, instead of the 500 and the traceback that
Dash's dispatcher raises on them (``{}``, ``[]``, an unknown output, a missing suite file).

The callback request's envelope is checked against the callback it names, before Dash reads it:
a server-side callback for ``output``, ``inputs`` and ``state`` as many as it declares, each an
``{"id", "property"}`` (or a list of them, for pattern-matching ids). What the values hold is the
callbacks' own business (callbacks/ validate their inputs). The body is parsed with the same
depth-bounded parser as the chat's, so no nesting reaches Dash's recursive JSON decoder.
"""

from __future__ import annotations

from typing import Any

import dash
from dash.exceptions import DependencyException
from flask import request

from app.request_guard import Refused, parse_json, refusal

# Component trees in callback state nest a few levels per component; far below this.
MAX_CALLBACK_JSON_DEPTH = 128


def _is_prop(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("id"), (str, dict)) and isinstance(item.get("property"), str)


def _is_prop_or_group(item: Any) -> bool:
    return _is_prop(item) or (isinstance(item, list) and all(_is_prop(i) for i in item))


def envelope_problem(body: Any, callback_map: dict) -> str | None:
    """Why ``body`` is not a request for one of this app's server callbacks (None: it is)."""
    if not isinstance(body, dict):
        return "a callback request is a JSON object"
    output = body.get("output")
    if not isinstance(output, str):
        return "output must be a string"
    callback = callback_map.get(output)
    if callback is None or "callback" not in callback:
        return f"no server callback for output {output[:120]!r}"
    outputs = body.get("outputs", [])
    if output.startswith(".."):  # several outputs: "..a.children...b.children.."
        count = len(output[2:-2].split("..."))
        if not (isinstance(outputs, list) and len(outputs) == count and all(_is_prop_or_group(o) for o in outputs)):
            return f"outputs must list the {count} outputs of {output[:120]!r}"
    elif not callback.get("no_output") and not _is_prop_or_group(outputs):
        return "outputs must be the callback's output"
    for key in ("inputs", "state"):
        items, declared = body.get(key, []), callback.get(key) or []
        if not (isinstance(items, list) and len(items) == len(declared) and all(_is_prop_or_group(i) for i in items)):
            return f"{key} must list the callback's {len(declared)} {key}, each with an id and a property"
    changed = body.get("changedPropIds", [])
    if not (isinstance(changed, list) and all(isinstance(c, str) for c in changed)):
        return "changedPropIds must be a list of strings"
    return None


def install_dash_guard(app: dash.Dash) -> None:
    server = app.server
    prefix = app.config.routes_pathname_prefix
    update_path = prefix + "_dash-update-component"
    suites = prefix + "_dash-component-suites/<string:package_name>/<path:fingerprinted_path>"

    @server.before_request
    def _check_callback_request():
        if request.path != update_path or request.method != "POST":
            return None
        try:
            if request.mimetype != "application/json":
                raise Refused(415, "unsupported_media_type", "send the callback request as application/json")
            body = parse_json(request.get_data(cache=True), MAX_CALLBACK_JSON_DEPTH)
        except Refused as refused:
            return refused.response()
        problem = envelope_problem(body, app.callback_map)
        return refusal(400, "bad_request", problem) if problem else None

    serve_suite = server.view_functions[suites]

    def serve_suite_or_404(package_name: str, fingerprinted_path: str):
        try:
            return serve_suite(package_name, fingerprinted_path)
        except (DependencyException, OSError, KeyError):  # unregistered package or path, no such file
            return refusal(404, "not_found", "no such component file")

    server.view_functions[suites] = serve_suite_or_404
