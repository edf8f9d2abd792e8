"""The app factory: one Dash app on one Flask server, per process."""

from __future__ import annotations

from pathlib import Path

import dash
from flask import Flask

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> dash.Dash:
    settings = settings or Settings()
    server = Flask("flux")
    server.config["FLUX_SETTINGS"] = settings

    app = dash.Dash(
        "flux",
        server=server,
        title="Flux Operations Center",
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        update_title=None,
    )
    from dash import html

    app.layout = html.Div([html.H1("Flux Operations Center"), html.P("Starting up.")], id="root")

    @server.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
