"""The chat panel in headless Chromium (dash_duo), against the local agent on the real stores.

A minimal Dash app holds the panel (the dashboard includes the same create_chat_panel())."""

from __future__ import annotations

from pathlib import Path

import dash
import pytest
from dash import html
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.agent_api import register_agent_api
from data.chat.agent import LocalAgent
from data.chat.thread_store import ChatStore
from layouts import ids
from layouts.chat import create_chat_panel
from tests.dashboard_support import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT_DIR = Path(__file__).resolve().parents[2]
RECORD_LENGTHS = """
window.__answerLengths = [];
new MutationObserver(function () {
  var a = document.querySelector('#chat-live .chat-answer');
  if (!a) { return; }
  var n = a.textContent.length, l = window.__answerLengths;
  if (n && (!l.length || l[l.length - 1] !== n)) { l.push(n); }
}).observe(document.getElementById('chat-live'), {childList: true, subtree: true, characterData: true});
"""


@pytest.fixture(scope="module")
def chat_stores(loaded_stores, tmp_path_factory):
    from data.connections import connect_warehouse, open_pg_pool
    from data.read.warehouse import WarehousePool

    settings = loaded_stores.model_copy(update={
        "agent_local_token_delay_ms": 60, "cache_type": "filesystem", "cache_dir": tmp_path_factory.mktemp("chat-cache")})
    pg = open_pg_pool(settings, wait=True)
    wh = WarehousePool(lambda: connect_warehouse(settings), 2)
    yield settings, pg, wh
    pg.close()
    wh.close()


def chat_app(settings, pg, wh) -> dash.Dash:
    import callbacks

    app = dash.Dash(__name__, assets_folder=str(ROOT_DIR / "assets"), assets_ignore=r"^(?!chat\.).*",
                    serve_locally=True, suppress_callback_exceptions=True)
    callbacks.register_all()
    app.layout = html.Div(create_chat_panel(), **{"data-ag-theme-mode": "dark"})
    app.server.config["FLUX_SETTINGS"] = settings
    register_agent_api(app.server)
    chat = ChatStore(pg)
    app.server.extensions["flux_chat_store"] = chat
    app.server.extensions["flux_agent"] = LocalAgent(settings, pg_pool=pg, warehouse_pool=wh, chat=chat)
    return app


def _ask(dash_duo, question: str) -> None:
    box = dash_duo.find_element(f"#{ids.CHAT_INPUT}")
    box.clear()
    box.send_keys(question)
    dash_duo.find_element(f"#{ids.CHAT_SEND}").click()


def _turns(dash_duo):
    return dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.CHAT_TRANSCRIPT} .chat-turn")


def test_chat001_answer_streams_in_with_table_and_chart(dash_duo, chat_stores):
    dash_duo.start_server(chat_app(*chat_stores), port=free_port())
    dash_duo.wait_for_element(f"#{ids.CHAT_INPUT}")
    driver = dash_duo.driver
    driver.execute_script(RECORD_LENGTHS)

    _ask(dash_duo, "Show outages by cause this month")
    # the status line shows while the agent works; the stop button is offered
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#chat-live .chat-answer"))
    assert driver.find_element(By.ID, ids.CHAT_STOP).is_displayed()
    # the streamed turn's table arrives in the grid before the text is complete
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#{ids.CHAT_LIVE_GRID} .ag-row"))
    WebDriverWait(driver, 30).until(lambda d: len(_turns(dash_duo)) == 1)

    lengths = driver.execute_script("return window.__answerLengths")
    turn = _turns(dash_duo)[0]
    final = turn.find_element(By.CSS_SELECTOR, ".chat-msg.assistant .chat-text").text
    assert final.endswith("outages.") and "outages started this month" in final
    growing = [n for n in lengths if n < len(final)]
    assert len(growing) >= 3, lengths  # the text grew in at least three steps before completing
    assert lengths == sorted(lengths)

    roles = [e.text for e in turn.find_elements(By.CSS_SELECTOR, ".chat-role")]
    assert roles == ["YOU", "GRID ASSISTANT"] or [r.lower() for r in roles] == ["you", "grid assistant"]
    sql = turn.find_element(By.CSS_SELECTOR, "details.chat-sql-details")
    assert sql.get_attribute("open") is None  # collapsed
    assert "OUTAGE_EVENTS" in sql.get_attribute("textContent")
    rows = turn.find_elements(By.CSS_SELECTOR, ".chat-table .ag-center-cols-container .ag-row")
    assert len(rows) >= 2
    WebDriverWait(driver, 20).until(lambda d: turn.find_elements(By.CSS_SELECTOR, ".chat-chart svg .mark-rect path"))
    bars = turn.find_elements(By.CSS_SELECTOR, ".chat-chart svg .mark-rect path")
    assert len(bars) == len(rows)
    assert dash_duo.get_logs() == []

    # a follow-up keeps the thread: the agent answers "and last month?" with the same query
    _ask(dash_duo, "and last month?")
    WebDriverWait(driver, 30).until(lambda d: len(_turns(dash_duo)) == 2)
    second = _turns(dash_duo)[1].find_element(By.CSS_SELECTOR, ".chat-msg.assistant .chat-text").text
    assert "June 2026" in second
    assert dash_duo.get_logs() == []


def test_chat002_stop_suggestions_and_errors(dash_duo, chat_stores):
    dash_duo.start_server(chat_app(*chat_stores), port=free_port())
    dash_duo.wait_for_element(f"#{ids.CHAT_INPUT}")
    driver = dash_duo.driver

    # a suggested question is one click away
    driver.find_element(By.CSS_SELECTOR, f"#{ids.CHAT_SUGGESTIONS} .chat-suggestion").click()
    WebDriverWait(driver, 30).until(lambda d: len(_turns(dash_duo)) == 1)
    assert "customers are out right now" in _turns(dash_duo)[0].text

    # an unanswerable question streams a long list of suggestions: stop it half way
    _ask(dash_duo, "what is the meaning of life")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#chat-live .chat-answer")
                                    and d.find_element(By.CSS_SELECTOR, "#chat-live .chat-answer").text)
    driver.find_element(By.ID, ids.CHAT_STOP).click()
    WebDriverWait(driver, 10).until(lambda d: len(_turns(dash_duo)) == 2)
    stopped = _turns(dash_duo)[1]
    assert "Stopped." in stopped.text
    assert "How many open work orders" not in stopped.text  # the rest never came
    assert dash_duo.get_logs() == []

    # an error from the server shows in the panel, not as a broken page
    driver.execute_script("window.fluxChat.ask('x'.repeat(3000))")
    WebDriverWait(driver, 10).until(lambda d: len(_turns(dash_duo)) == 3)
    err = _turns(dash_duo)[2].find_element(By.CSS_SELECTOR, ".chat-error")
    assert "longer than 2000 characters" in err.text
    assert driver.find_element(By.ID, ids.CHAT_INPUT).is_enabled()


def _thread_buttons(driver):
    return driver.find_elements(By.CSS_SELECTOR, f"#{ids.CHAT_THREADS} .chat-thread")


def test_chat003_thread_ids_tools_feedback_and_reopening(dash_duo, chat_stores):
    """Two dependent questions in one thread, the stream's ids in the browser, tool calls with
    their SQL on demand, a rating with a comment stored in Postgres, and the thread reopened
    from the list after a new chat."""
    settings, pg, _ = chat_stores
    chat = ChatStore(pg)
    dash_duo.start_server(chat_app(*chat_stores), port=free_port())
    dash_duo.wait_for_element(f"#{ids.CHAT_INPUT}")
    driver = dash_duo.driver
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, ids.CHAT_THREADS).get_attribute("data-loaded") == "1")

    _ask(dash_duo, "Which feeders are above 80%?")
    WebDriverWait(driver, 30).until(lambda d: len(_turns(dash_duo)) == 1)
    state = driver.execute_script("return window.fluxChat.state")
    first = state["turns"][0]
    # the thread id and the answer's ids reached the browser from the stream
    assert state["threadId"] and first["thread_id"] == state["threadId"]
    assert first["request_id"] and first["message_id"] == state["parentMessageId"]
    stored = chat.messages(str(state["threadId"]))
    assert [int(m["message_id"]) for m in stored if m["role"] == "assistant"] == [first["message_id"]]

    _ask(dash_duo, "Which of those serve more than 300 customers?")
    WebDriverWait(driver, 30).until(lambda d: len(_turns(dash_duo)) == 2)
    second = _turns(dash_duo)[1]
    text = second.find_element(By.CSS_SELECTOR, ".chat-msg.assistant .chat-text").text
    assert "serving more than 300 customers" in text and "loaded above 80%" in text
    # tool calls and their SQL, folded until asked for
    tools = second.find_element(By.CSS_SELECTOR, "details.chat-tools-details")
    assert tools.get_attribute("open") is None
    assert "Tool calls (1)" in tools.text
    tools.find_element(By.TAG_NAME, "summary").click()
    body = tools.find_element(By.CSS_SELECTOR, ".chat-tool").text
    assert "grid_analyst (cortex_analyst_text_to_sql): success" in body
    assert "customers_served" in body and "min_customers" in body

    # thumbs down with a comment on the second answer
    second.find_element(By.CSS_SELECTOR, ".chat-feedback input").send_keys("SUB-002-C04 should be listed")
    second.find_element(By.CSS_SELECTOR, ".chat-rate[data-rating='down']").click()
    rated = f"#{ids.CHAT_TRANSCRIPT} .chat-turn:nth-child(2) .chat-feedback.rated"
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, rated))
    assert "not helpful" in driver.find_element(By.CSS_SELECTOR, rated).text
    thread_id = str(driver.execute_script("return window.fluxChat.state.threadId"))
    answer_id = driver.execute_script("return window.fluxChat.state.turns[1].message_id")
    with pg.connection() as conn:
        row = conn.execute("SELECT positive, comment, operator FROM flux_chat.feedback WHERE thread_id = %s AND message_id = %s",
                           (thread_id, answer_id)).fetchone()
    assert row == (False, "SUB-002-C04 should be listed", "")
    # an analyst sees it in the ratings report
    report = driver.find_element(By.ID, ids.CHAT_FEEDBACK_REPORT).find_element(By.XPATH, "..")
    report.find_element(By.TAG_NAME, "summary").click()
    WebDriverWait(driver, 10).until(
        lambda d: "SUB-002-C04 should be listed" in d.find_element(By.ID, ids.CHAT_FEEDBACK_REPORT).text)
    shown = driver.find_element(By.ID, ids.CHAT_FEEDBACK_REPORT).text
    assert "Which of those serve more than 300 customers?" in shown and "not helpful" in shown
    report.find_element(By.TAG_NAME, "summary").click()  # fold it away again

    # a new chat starts a new thread; the list offers the old one, which reopens and continues
    dash_duo.find_element(f"#{ids.CHAT_NEW}").click()
    WebDriverWait(driver, 10).until(lambda d: len(_turns(dash_duo)) == 0)
    WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: any(b.get_attribute("data-thread-id") == thread_id for b in _thread_buttons(d)))
    button = next(b for b in _thread_buttons(driver) if b.get_attribute("data-thread-id") == thread_id)
    assert button.get_attribute("textContent").startswith("Which feeders are above 80%?")
    driver.find_element(By.CSS_SELECTOR, f"#{ids.CHAT_THREADS}").find_element(By.XPATH, "..").find_element(
        By.TAG_NAME, "summary").click()
    button.click()
    WebDriverWait(driver, 10).until(lambda d: len(_turns(dash_duo)) == 2)
    assert driver.execute_script("return window.fluxChat.state.parentMessageId") == answer_id
    _ask(dash_duo, "and above 90%?")
    WebDriverWait(driver, 30).until(lambda d: len(_turns(dash_duo)) == 3)
    third = _turns(dash_duo)[2].find_element(By.CSS_SELECTOR, ".chat-msg.assistant .chat-text").text
    assert "serving more than 300 customers" in third and "loaded above 90%" in third
    assert str(driver.execute_script("return window.fluxChat.state.threadId")) == thread_id
    assert dash_duo.get_logs() == []
