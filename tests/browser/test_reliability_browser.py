"""The Reliability view in headless Chromium against the real stores (small-scale test
databases): the IEEE 1366 summary, threshold, monthly figure and worst circuits match the REST
report, the period can change, the CSV link follows it, and the KPI header shows day-to-day
figures with the all-in ones beside them. Storm playback: a link opens a moment, and playing
moves the map and the curve's cursor together."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By

from layouts import ids
from tests.dashboard_support import free_port, wait_for

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def browser_settings(loaded_stores):
    return loaded_stores.model_copy(update={"refresh_interval_s": 5})


def _start(dash_duo, settings, path: str = "/"):
    from app import create_app

    dash_duo.start_server(create_app(settings), port=free_port())
    if path != "/":
        dash_duo.driver.get(dash_duo.server_url + path)
    wait_for(lambda: dash_duo.find_element(f"#{ids.STATUS_UPDATED}").text.endswith("UTC"), timeout_s=30)


def _retry_intercepted(dash_duo, selector: str, act) -> None:
    """Bring ``selector`` to the middle of the view and ``act`` on it (real clicks); while
    something still lies over it (a dropdown's closing menu, the report's grid still growing above
    and moving it) it is tried again, as a user would."""
    from selenium.common.exceptions import ElementClickInterceptedException

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    def done() -> bool:
        # each try starts with no menu open: a half-done dropdown choice would be toggled shut
        ActionChains(dash_duo.driver).send_keys(Keys.ESCAPE).perform()
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});",
                                       dash_duo.find_element(selector))
        try:
            act()
        except ElementClickInterceptedException:
            return False
        return True

    wait_for(done, timeout_s=30, interval_s=0.5)


def _click(dash_duo, selector: str) -> None:
    _retry_intercepted(dash_duo, selector, lambda: dash_duo.find_element(selector).click())


def _cell(dash_duo, key: str, column: int) -> str:
    row = dash_duo.find_element(f"#{ids.RELIABILITY_SUMMARY}-{key.replace('_', '-')}")
    return row.find_elements(By.TAG_NAME, "td")[column].text


def _worst_ids(dash_duo) -> list[str]:
    rows = dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.RELIABILITY_WORST} .ag-center-cols-container .ag-row")
    return sorted(r.get_attribute("row-id") for r in rows)


def test_relb001_reliability_tab_matches_the_report_and_follows_the_period(dash_duo, browser_settings):
    _start(dash_duo, browser_settings)
    api = requests.get(dash_duo.server_url + "/api/reliability/report", timeout=60).json()
    system = api["system"]
    # the header: day to day, with the all-in figure beside it
    dash_duo.wait_for_text_to_equal(
        f"#{ids.kpi_value('saidi')}",
        f"{system['excluding_med']['saidi']:,.1f} · {system['all']['saidi']:,.1f}", timeout=30)

    dash_duo.find_element(f"#{ids.VIEW_TABS}").find_element(By.LINK_TEXT, "Reliability").click()
    dash_duo.wait_for_element(f"#{ids.RELIABILITY_SUMMARY}", timeout=60)
    assert _cell(dash_duo, "saidi", 1) == f"{system['excluding_med']['saidi']:,.1f}"
    assert _cell(dash_duo, "saidi", 2) == f"{system['all']['saidi']:,.1f}"
    assert _cell(dash_duo, "saifi", 1) == f"{system['excluding_med']['saifi']:.3f}"
    assert _cell(dash_duo, "maifi", 2) == f"{system['all']['maifi']:.3f}"
    threshold = dash_duo.find_element(f"#{ids.RELIABILITY_THRESHOLD}").text
    assert f"T_MED = {api['threshold']['t_med']:.2f} min" in threshold
    assert f"Major event days: {len(api['major_event_days'])}" in threshold
    dash_duo.wait_for_element(f"#{ids.RELIABILITY_MONTHLY} .main-svg .barlayer .trace", timeout=30)
    wait_for(lambda: len(_worst_ids(dash_duo)) == len(api["worst_circuits"]), timeout_s=30)
    assert _worst_ids(dash_duo) == sorted(w["circuit_id"] for w in api["worst_circuits"])
    assert "view=reliability" in dash_duo.driver.current_url
    link = dash_duo.find_element(f"#{ids.RELIABILITY_CSV}").get_attribute("href")
    assert link.endswith("/api/reliability/report.csv")

    # another period: a calendar year from the dropdown
    year = int(api["period"]["history_end"][:4]) - 1
    dash_duo.select_dcc_dropdown(f"#{ids.RELIABILITY_YEAR}", value=str(year))
    dash_duo.wait_for_contains_text(f"#{ids.RELIABILITY_META}", f"{year}-01-01 to {year}-12-31", timeout=60)
    by_year = requests.get(dash_duo.server_url + f"/api/reliability/report?year={year}", timeout=60).json()
    assert _cell(dash_duo, "saidi", 2) == f"{by_year['system']['all']['saidi']:,.1f}"
    assert dash_duo.find_element(f"#{ids.RELIABILITY_CSV}").get_attribute("href").endswith(
        f"/api/reliability/report.csv?year={year}")
    severe = [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"]
    assert severe == []


def test_relb002_a_link_opens_the_reliability_view(dash_duo, browser_settings):
    _start(dash_duo, browser_settings, "/?view=reliability")
    dash_duo.wait_for_element(f"#{ids.RELIABILITY_SUMMARY}", timeout=60)
    assert dash_duo.find_element(f"#{ids.view_pane('operations')}").get_attribute("hidden") is not None


FIGURE_JS = "var g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot'); return g && g.layout ? [g.layout, g.data.map(function (t) { return t.x ? t.x.length : 0; })] : null;"


def _cursor_and_map(dash_duo):
    curve = dash_duo.driver.execute_script(FIGURE_JS, ids.PLAYBACK_CURVE)
    mapped = dash_duo.driver.execute_script(FIGURE_JS, ids.PLAYBACK_MAP)
    if not curve or not mapped or not curve[0].get("shapes"):
        return None
    return curve[0]["shapes"][0]["x0"], mapped[0]["title"]["text"], mapped[1][1]


def test_relb003_storm_playback_moves_the_map_and_the_curve_cursor_together(dash_duo, browser_settings):
    from urllib.parse import parse_qs, urlparse

    from dash.testing.wait import until

    _start(dash_duo, browser_settings)
    storms = requests.get(dash_duo.server_url + "/api/playback/storms", timeout=60).json()
    storm = max(storms, key=lambda s: s["customers_interrupted"])
    sid = storm["storm_id"]
    timeline = requests.get(dash_duo.server_url + f"/api/playback/storms/{sid}/timeline", timeout=60).json()

    def frame_api(i: int) -> dict:
        return requests.get(dash_duo.server_url + f"/api/playback/storms/{sid}/frame?frame={i}", timeout=60).json()

    def consistent_with(i: int) -> bool:
        got = _cursor_and_map(dash_duo)
        if got is None:
            return False
        cursor, map_title, points = got
        want = frame_api(i)
        return (cursor == timeline["times"][i] and want["at"][:16].replace("T", " ") in map_title
                and points == want["outages_out"])

    # a deep link opens the storm at a moment: the cursor, the map and the label at that frame
    dash_duo.driver.get(f"{dash_duo.server_url}/?view=reliability&storm={sid}&frame=10")
    until(lambda: consistent_with(10), timeout=60)
    label = dash_duo.find_element(f"#{ids.PLAYBACK_LABEL}").text
    at10 = frame_api(10)
    assert f"{at10['customers_out']:,} customers out" in label
    assert f"{at10['crews_at_work']:,} of {at10['crew_roster']:,} crews at work" in label
    # the curve carries the crews at work on its right axis
    crews = dash_duo.driver.execute_script(
        "var g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        " var t = g.data.filter(function (d) { return d.name === 'crews at work'; })[0];"
        " return t ? [t.yaxis, Array.from(t.y)] : null;", ids.PLAYBACK_CURVE)
    assert crews == ["y2", timeline["crews_at_work"]]

    # play at 4 frames a tick: the frame advances, and map and cursor stay on the same moment
    dash_duo.wait_for_element(f"#{ids.RELIABILITY_SUMMARY}", timeout=60)  # the report above has loaded
    _retry_intercepted(dash_duo, f"#{ids.PLAYBACK_SPEED}",
                       lambda: dash_duo.select_dcc_dropdown(f"#{ids.PLAYBACK_SPEED}", value="4×"))
    _click(dash_duo, f"#{ids.PLAYBACK_PLAY}")
    until(lambda: dash_duo.find_element(f"#{ids.PLAYBACK_PLAY}").text == "Pause", timeout=10)

    def url_frame() -> int:
        return int(parse_qs(urlparse(dash_duo.driver.current_url).query).get("frame", ["10"])[0])

    until(lambda: url_frame() >= 18, timeout=60)
    _click(dash_duo, f"#{ids.PLAYBACK_PLAY}")  # pause
    until(lambda: dash_duo.find_element(f"#{ids.PLAYBACK_PLAY}").text == "Play", timeout=10)
    stopped = url_frame()
    until(lambda: consistent_with(stopped), timeout=30)
    assert (stopped - 10) % 4 == 0  # stepped by the speed
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []
