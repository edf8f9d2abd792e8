"""The Dash app class: serves the page with the current KPI values already in it.

The KPI header is what an operator reads first. The index page paints it as static HTML while
the app's scripts load, and the served layout carries the same values, so it shows with the first
paint and stays through the app's first render instead of waiting for a callback round trip.
``app.layout`` stays a static component for Dash's callback validation (a function-valued layout
would ship twice).
"""

from __future__ import annotations

import queue
import threading
from html import escape

import dash
from dash._utils import to_json
from flask import copy_current_request_context

from callbacks.common import now
from callbacks.kpis import current_kpis
from layouts import ids
from layouts.header import create_kpi_row, kpi_row_html
from layouts.map_deck import preload_urls

# The page never waits longer than this for the KPIs: a slow warehouse leaves the placeholders,
# and the KPI callback fills them in (the read started here warms the shared cache for it). The
# index page waits only for a cache hit, so a cold read delays nothing the browser needs first.
INDEX_KPI_BUDGET_S = 0.05
LAYOUT_KPI_BUDGET_S = 0.4


def kpis_within_budget(budget_s: float) -> tuple[dict[str, str], dict[str, str]] | None:
    answer: queue.Queue = queue.Queue(maxsize=1)
    read = copy_current_request_context(lambda: answer.put(current_kpis(now())))
    threading.Thread(target=read, name="flux-kpi-prefill", daemon=True).start()
    try:
        values, metas, _ = answer.get(timeout=budget_s)
    except queue.Empty:
        return None
    return values, metas


class FluxDash(dash.Dash):
    _map_preloads: str | None = None
    # The layout is one static component: serialised once (12-17 ms of held GIL a page load),
    # with its placeholder KPI row, which each request swaps for the current values.
    _layout_json: tuple[object, str, str] | None = None

    def map_preloads(self) -> str:
        """<link rel=preload> for the layout deck's layer data: deck.gl asks for it only once the
        scripts have run and the deck exists; preloaded, it is there when the deck is built."""
        if self._map_preloads is None:
            deck = next((c.data for c in self.layout._traverse() if getattr(c, "id", None) == ids.MAP_DECK), {})
            self._map_preloads = "".join(
                f'<link rel="preload" href="{escape(url)}" as="fetch" crossorigin="anonymous">' for url in preload_urls(deck)
            )
        return self._map_preloads

    def serve_layout(self):
        layout = self.get_layout()
        if self._layout_json is None or self._layout_json[0] is not layout:  # a test may swap it
            self._layout_json = (layout, to_json(layout), to_json(create_kpi_row()))
        _, page, placeholder_row = self._layout_json
        kpis = kpis_within_budget(LAYOUT_KPI_BUDGET_S)
        if kpis is not None:
            # swap the placeholder KPI row for a filled one, leaving the rest of the layout as set
            page = page.replace(placeholder_row, to_json(create_kpi_row(*kpis)), 1)
        return self.backend.make_response(page, mimetype="application/json")

    def interpolate_index(self, **kwargs):
        kpis = kpis_within_budget(INDEX_KPI_BUDGET_S)
        if kpis is not None:
            # React replaces this when the app renders its layout (with the same values).
            kwargs["app_entry"] = (
                '<div id="react-entry-point"><div class="flux-root"><div class="flux-prerender-navbar"></div>'
                f'<div class="flux-main px-2">{kpi_row_html(*kpis)}</div></div></div>'
            )
        kwargs["metas"] = kwargs.get("metas", "") + self.map_preloads()
        return super().interpolate_index(**kwargs)
