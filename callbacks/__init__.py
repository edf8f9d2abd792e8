"""Dash callbacks, one module per feature, each registered with ``dash.callback`` on import.

The app factory imports this package once; importing it twice would register nothing twice
because Python caches modules.
"""

from callbacks import analytics, chat, details, errors, grid_map, kpis, live, navigation, page, playback, reliability, tables, weather  # noqa: F401

# Dash moves `dash.callback` registrations into the first app that serves a request and clears
# its global lists, so a second app built in the same process (the test suite builds one per
# test) would have no callbacks. Keep a copy of every registration made on import (ours, the
# user badge's, the chat's) and put it back for each app the factory builds.
from dash import _callback as _dash_callback  # noqa: E402

_REGISTERED_MAP = dict(_dash_callback.GLOBAL_CALLBACK_MAP)
_REGISTERED_LIST = list(_dash_callback.GLOBAL_CALLBACK_LIST)
_REGISTERED_SCRIPTS = list(_dash_callback.GLOBAL_INLINE_SCRIPTS)


def register_all() -> None:
    """Make every callback registered on import available to the app being built."""
    for key, value in _REGISTERED_MAP.items():
        _dash_callback.GLOBAL_CALLBACK_MAP.setdefault(key, value)
    for item in _REGISTERED_LIST:
        if item not in _dash_callback.GLOBAL_CALLBACK_LIST:
            _dash_callback.GLOBAL_CALLBACK_LIST.append(item)
    for script in _REGISTERED_SCRIPTS:
        if script not in _dash_callback.GLOBAL_INLINE_SCRIPTS:
            _dash_callback.GLOBAL_INLINE_SCRIPTS.append(script)
