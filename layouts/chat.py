"""The Grid Intelligence chat panel: components only, no I/O.

The streamed turn is written by assets/chat.js straight into the DOM (tokens must not wait for a
callback round trip); finished turns and result tables are rendered by Dash (callbacks/chat.py)
with the app's grid component.
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from layouts import ids

SUGGESTED_QUESTIONS = (
    "How many customers are out right now?",
    "Show outages by cause this month.",
    "What was the peak load by substation yesterday?",
    "Which feeders are loaded above 80%?",
    "Which transformers are in critical overload?",
    "How many open work orders are there by priority?",
)


def suggestion_buttons(questions, *, class_name: str = "chat-suggestion") -> list[html.Button]:
    return [html.Button(q, className=class_name, type="button", **{"data-question": q}) for q in questions]


def create_chat_panel() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Span("Ask about outages, load, feeders, work orders and usage.", className="chat-hint"),
                    html.Button("New chat", id=ids.CHAT_NEW, className="chat-new", type="button"),
                ],
                className="chat-toolbar",
            ),
            html.Details(
                [html.Summary("Recent chats"),
                 html.Div([], id=ids.CHAT_THREADS, className="chat-thread-list", role="list")],
                className="chat-threads",
            ),
            html.Details(
                [html.Summary("Answer ratings"), html.Div([], id=ids.CHAT_FEEDBACK_REPORT, className="chat-report-body")],
                className="chat-report",
            ),
            html.Div(
                [
                    html.Div([], id=ids.CHAT_TRANSCRIPT, className="chat-transcript"),
                    html.Div(id=ids.CHAT_LIVE, className="chat-live", **{"aria-live": "polite"}),
                    html.Div([], id=ids.CHAT_LIVE_GRID, className="chat-live-grid"),
                ],
                className="chat-scroll",
            ),
            html.Div(suggestion_buttons(SUGGESTED_QUESTIONS), id=ids.CHAT_SUGGESTIONS, className="chat-suggestions"),
            html.Div(
                [
                    dcc.Textarea(id=ids.CHAT_INPUT, className="chat-input", placeholder="Ask the grid…",
                                 maxLength=2000, rows=2, value=""),
                    html.Button("Ask", id=ids.CHAT_SEND, className="chat-send", type="button"),
                    html.Button("Stop", id=ids.CHAT_STOP, className="chat-stop", type="button", hidden=True),
                ],
                className="chat-compose",
            ),
            dcc.Store(id=ids.CHAT_HISTORY, data=[]),
            dcc.Store(id=ids.CHAT_LIVE_RESULT, data=None),
        ],
        id=ids.CHAT_PANEL,
        className="chat-panel",
    )


def result_grid(table: dict[str, Any] | None, *, key: str) -> dag.AgGrid | None:
    """A result table ({title, columns, rows}) as the app's grid component."""
    if not table or not table.get("columns"):
        return None
    rows = table.get("rows") or []
    return dag.AgGrid(
        id={"type": "chat-grid", "key": key},
        columnDefs=[{"field": c, "headerName": c.replace("_", " ")} for c in table["columns"]],
        rowData=rows,
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 90, "flex": 1},
        dashGridOptions={"animateRows": False, "rowHeight": 28, "headerHeight": 30,
                         "domLayout": "autoHeight" if len(rows) <= 8 else "normal"},
        className="flux-grid chat-grid",
        style={"height": None if len(rows) <= 8 else "260px"},
    )


def _turn(turn: dict[str, Any], index: int) -> html.Div:
    answer: list[Any] = [html.Div("Grid assistant", className="chat-role")]
    if turn.get("text"):
        answer.append(html.Div(turn["text"], className="chat-text"))
    if turn.get("error"):
        answer.append(html.Div(turn["error"], className="chat-error", role="alert"))
    if turn.get("stopped"):
        answer.append(html.Div("Stopped.", className="chat-status"))
    if turn.get("sql"):
        answer.append(html.Details([html.Summary("SQL"), html.Pre(turn["sql"], className="chat-sql")],
                                   className="chat-sql-details"))
    if turn.get("tools"):
        answer.append(tool_calls(turn["tools"]))
    grid = result_grid(turn.get("table"), key=str(index))
    if grid is not None:
        answer.append(html.Div(grid, className="chat-table"))
    if turn.get("chart_spec"):
        answer.append(html.Div(className="chat-chart", **{"data-spec": turn["chart_spec"]}))
    if turn.get("suggestions"):
        answer.append(html.Div(suggestion_buttons(turn["suggestions"]), className="chat-suggestions inline"))
    if turn.get("message_id") and turn.get("thread_id") is not None:
        answer.append(feedback_row(turn, index))
    return html.Div(
        [
            html.Div([html.Div("You", className="chat-role"), html.Div(turn.get("question", ""), className="chat-text")],
                     className="chat-msg user"),
            html.Div(answer, className="chat-msg assistant"),
        ],
        className="chat-turn",
    )


def transcript(turns: list[dict[str, Any]] | None) -> list[html.Div]:
    return [_turn(t, i) for i, t in enumerate(turns or [])]


def tool_calls(tools: list[dict[str, Any]]) -> html.Details:
    """The tools the agent called for this answer, each with its input and SQL, folded away."""
    items = []
    for t in tools:
        head = f"{t.get('name') or 'tool'} ({t.get('type') or '?'})"
        if t.get("status"):
            head += f": {t['status']}"
        body: list[Any] = [html.Div(head, className="chat-tool-name")]
        if t.get("input"):
            body.append(html.Pre(t["input"], className="chat-sql chat-tool-input"))
        if t.get("sql"):
            body.append(html.Pre(t["sql"], className="chat-sql"))
        items.append(html.Li(body, className="chat-tool"))
    return html.Details([html.Summary(f"Tool calls ({len(tools)})"), html.Ul(items, className="chat-tool-list")],
                        className="chat-tools-details")


def feedback_row(turn: dict[str, Any], index: int) -> html.Div:
    """Thumbs up/down with an optional comment; assets/chat.js posts it to /api/agent/feedback."""
    rating = turn.get("rating")
    if rating:
        said = "helpful" if rating == "up" else "not helpful"
        return html.Div(f"Thanks: you rated this answer {said}.", className="chat-feedback rated",
                        **{"data-rating": rating})
    return html.Div(
        [
            html.Button("\U0001F44D", className="chat-rate", type="button", title="Helpful",
                        **{"data-rating": "up", "data-turn": str(index), "aria-label": "Helpful"}),
            html.Button("\U0001F44E", className="chat-rate", type="button", title="Not helpful",
                        **{"data-rating": "down", "data-turn": str(index), "aria-label": "Not helpful"}),
            dcc.Input(className="chat-feedback-comment", type="text", maxLength=1000, debounce=True,
                      placeholder="Comment (optional)", name="feedback-comment"),
            html.Span(turn.get("feedback_error") or "", className="chat-error chat-feedback-error", role="alert"),
        ],
        className="chat-feedback",
    )
