"""The Dash app class: serves the page with the current KPI values already in it.

The KPI header is what an operator reads first. Filling it in the served layout shows it with the
first paint rather than one callback round trip after the page has booted. ``app.layout`` stays a
static component for Dash's callback validation (a function-valued layout would ship twice).
"""

from __future__ import annotations

import queue
import threading

import dash
from dash._utils import to_json
from flask import copy_current_request_context

from callbacks.common import now
from callbacks.kpis import current_kpis
from layouts.header import create_kpi_row

# The page never waits longer than this for the KPIs: a slow warehouse leaves the placeholders,
# and the KPI callback fills them in (the read started here warms the shared cache for it).
KPI_BUDGET_S = 0.4


class FluxDash(dash.Dash):
    def serve_layout(self):
        answer: queue.Queue = queue.Queue(maxsize=1)
        read = copy_current_request_context(lambda: answer.put(current_kpis(now())))
        threading.Thread(target=read, name="flux-kpi-prefill", daemon=True).start()
        page = to_json(self.get_layout())
        try:
            values, metas, _ = answer.get(timeout=KPI_BUDGET_S)
        except queue.Empty:
            pass
        else:
            # swap the placeholder KPI row for a filled one, leaving the rest of the layout as set
            page = page.replace(to_json(create_kpi_row()), to_json(create_kpi_row(values, metas)), 1)
        return self.backend.make_response(page, mimetype="application/json")
