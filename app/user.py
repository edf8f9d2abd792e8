"""The signed-in Snowflake user, as SPCS ingress reports it in the `Sf-Context-Current-User` header.

Snowflake authenticates users at the public endpoint and adds the header to every request it
forwards, including Dash's callback requests; the app only displays and logs it.
"""

from __future__ import annotations

import re

from dash import Input, Output, callback, html

USER_HEADER = "Sf-Context-Current-User"
# Shown when no header arrives: local runs, tests, health probes.
ANONYMOUS = ""
# The dashboard header's user badge. The layout places `user_badge()`; the callback fills it.
USER_BADGE_ID = "header-user"

_UNSAFE = re.compile(r"[^\w.@+\- ]")
_MAX_LEN = 128


def clean_user(raw: str | None) -> str:
    """A display-safe user name: printable, bounded, never raises."""
    if not raw:
        return ANONYMOUS
    return _UNSAFE.sub("", raw.strip())[:_MAX_LEN]


def current_user() -> str:
    """The user of the current request, or "" outside a request or without the header."""
    from flask import has_request_context, request

    if not has_request_context():
        return ANONYMOUS
    return clean_user(request.headers.get(USER_HEADER))


def user_badge(**kwargs) -> html.Span:
    """The header's user badge, filled on page load by `_fill_user_badge` from the request header."""
    return html.Span(id=USER_BADGE_ID, className="flux-user-badge", title="Signed-in Snowflake user", **kwargs)


@callback(Output(USER_BADGE_ID, "children"), Input(USER_BADGE_ID, "id"))
def _fill_user_badge(_id):
    user = current_user()
    return user or "local"
