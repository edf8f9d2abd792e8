"""The app-wide on_error handler: an exception in any callback becomes a visible alert at the
top of the page (and a log line), never a blank panel or a stack trace."""

from __future__ import annotations

import logging

from dash import set_props

from layouts import ids
from layouts.status import create_error_alert

log = logging.getLogger("flux.callbacks")


def handle_callback_error(err: Exception):
    log.error("callback failed: %s", err, exc_info=err)
    set_props(
        ids.ERROR_ALERTS,
        {"children": create_error_alert(f"Something went wrong updating the dashboard ({type(err).__name__}). "
                                        "The other panels keep working; it will retry on the next refresh.")},
    )
