"""The app factory: one Dash app on one Flask server, per process."""

from __future__ import annotations

from pathlib import Path

import dash
from flask import Flask

from settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> dash.Dash:
    from callbacks.errors import handle_callback_error

    settings = settings or Settings()
    from app.logging_setup import install_request_logging, setup_logging

    setup_logging(settings)  # JSON lines on stdout, secrets redacted
    server = Flask("flux")
    server.config["FLUX_SETTINGS"] = settings
    install_request_logging(server)

    from app.page import FluxDash

    app = FluxDash(
        "flux",
        server=server,
        title="Flux Operations Center",
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        update_title=None,
        on_error=handle_callback_error,  # any callback exception -> a visible alert
    )
    # The dashboard: a component built once (not a function, which Dash would ship twice);
    # the callbacks package registers every feature's callbacks on first import.
    import callbacks
    from layouts.root import create_layout

    callbacks.register_all()

    app.layout = create_layout(settings)

    @server.get("/healthz")
    def healthz():
        return {"status": "ok"}

    # Data access: this process's Postgres pool (opened here, after gunicorn forks), the
    # warehouse pool, the shared cache and the repository every route and callback reads through.
    from app.api import register_api
    from app.cache import init_cache
    from data.connections import open_pg_pool
    from data.read.repository import Repository

    repository = Repository.from_settings(
        settings,
        pg_pool=open_pg_pool(settings),
        pg_pool_factory=lambda: open_pg_pool(settings),
        cache=init_cache(server, settings),
    )
    register_api(server, repository)
    from app.map_routes import register_map_routes

    register_map_routes(server)  # the map's layer URLs (.json aliases for deck.gl's loader)

    # Chat: POST /api/agent/stream (Cortex Agent or the local agent on the repository's pools).
    from app.agent_api import register_agent_api

    register_agent_api(server)

    # Security headers (CSP with the hashes of Dash's inline scripts) and early 413/414 refusals.
    from app.security import install_security

    install_security(app, settings)
    # JSON 4xx for malformed callback requests and missing component files (Dash answers 500).
    from app.dash_guard import install_dash_guard

    install_dash_guard(app)

    return app
