"""IEEE 1366 reliability endpoints against the real stack (test databases, small scale): the
report the warehouse sums give equals the one the pure functions give from the raw interruption
rows, major event days come from storms, the per-circuit, worst-circuit, monthly and CSV views
agree with the report, bad input is a 400 in JSON, and schemathesis holds the document to the
routes."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from data.reliability import ieee1366 as r
from tests.api_schema import validate


@pytest.fixture(scope="module")
def app(loaded_stores):
    from app import create_app

    dash_app = create_app(loaded_stores)
    yield dash_app
    dash_app.server.extensions["flux_repository"].close()


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def doc(client):
    return client.get("/api/openapi.json").get_json()


@pytest.fixture(scope="module")
def report(client):
    resp = client.get("/api/reliability/report")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.headers["X-Flux-Backend"] == "snowflake"
    return resp.get_json()


@pytest.fixture(scope="module")
def raw(loaded_stores):
    """Every interruption row of the test history, and the customers served per circuit."""
    from data.connections import connect_warehouse

    conn = connect_warehouse(loaded_stores)
    try:
        cur = conn.cursor()
        cur.execute("SELECT START_DATE, DURATION_MINUTES, CUSTOMERS, CIRCUIT_ID, SUBSTATION_ID, TRANSFORMER_ID "
                    "FROM OUTAGE_HISTORY")
        rows = [r.Interruption(d, float(m), int(n), c, s, t) for d, m, n, c, s, t in cur.fetchall()]
        cur.execute("SELECT CIRCUIT_ID, COUNT(*) FROM CUSTOMERS_MASTER_DATA GROUP BY CIRCUIT_ID")
        served = {c: int(n) for c, n in cur.fetchall()}
    finally:
        conn.close()
    return rows, served


def _approx(actual: dict, expected: r.Indices) -> None:
    for key, value in expected.as_dict().items():
        if value is None:
            assert actual[key] is None, key
        else:
            assert actual[key] == pytest.approx(value, rel=1e-6, abs=1e-3), key


def test_reli001_report_equals_the_pure_functions_on_the_raw_rows(report, raw, doc):
    validate(doc, "ReliabilityReport", report, many=False)
    rows, served = raw
    total = sum(served.values())
    first = min(x.day for x in rows)
    start, end = (date.fromisoformat(report["period"][k]) for k in ("start", "end"))
    assert (end - start).days + 1 == 365 and report["period"]["history_start"] == first.isoformat()
    # the threshold: five years of daily SAIDI before the period, zero days left out
    win_start, win_end = r.med_window(start, first)
    window = r.daily_saidi(r.daily_totals(rows, win_start, win_end), total)
    threshold = r.med_threshold(window)
    assert report["threshold"]["t_med"] == pytest.approx(threshold.t_med, abs=1e-3)
    assert win_start == start.replace(year=start.year - 5), "the history holds the five years before the period"
    assert report["threshold"]["days"] == (win_end - win_start).days + 1 == threshold.days
    assert report["threshold"]["days_used"] == threshold.days_used
    period_saidi = r.daily_saidi(r.daily_totals(rows, start, end), total)
    meds = r.major_event_days(period_saidi, threshold.t_med)
    assert [m["date"] for m in report["major_event_days"]] == [d.isoformat() for d in meds]
    in_period = [x for x in rows if start <= x.day <= end]
    n, t = report["parameters"]["cemi_n"], report["parameters"]["celid_t_hours"]
    _approx(report["system"]["all"], r.indices(r.totals_from_interruptions(in_period, total, cemi_n=n, celid_t_hours=t)))
    _approx(report["system"]["excluding_med"], r.indices(r.totals_from_interruptions(
        in_period, total, exclude_days=meds, cemi_n=n, celid_t_hours=t)))
    # every circuit, the same way
    by_circuit = defaultdict(list)
    for x in in_period:
        by_circuit[x.circuit_id].append(x)
    assert len(report["circuits"]) == len(served)
    for c in report["circuits"]:
        mine = by_circuit[c["circuit_id"]]
        assert c["customers_served"] == served[c["circuit_id"]]
        _approx(c["excluding_med"], r.indices(r.totals_from_interruptions(
            mine, served[c["circuit_id"]], exclude_days=meds, cemi_n=n, celid_t_hours=t)))


def test_reli002_storms_make_major_event_days_and_day_to_day_is_calibrated(report):
    sysr = report["system"]
    assert report["major_event_days"], "the history's storms should give major event days"
    assert all(m["saidi"] > report["threshold"]["t_med"] for m in report["major_event_days"])
    assert sysr["excluding_med"]["saidi"] < sysr["all"]["saidi"]
    assert sysr["excluding_med"]["saifi"] < sysr["all"]["saifi"]
    # large US urban utilities, day to day: SAIFI about 1, SAIDI about 80-130 minutes (small
    # scale has ~21K customers, so one feeder lockout moves it more than at seed scale)
    assert 0.6 < sysr["excluding_med"]["saifi"] < 1.5
    assert 50 < sysr["excluding_med"]["saidi"] < 180
    assert 1.5 < sysr["excluding_med"]["maifi"] < 5
    # substations add up to the system
    subs = report["substations"]
    assert sum(s["customers_served"] for s in subs) == sysr["customers_served"]
    assert sum(s["all"]["customer_minutes"] for s in subs) == pytest.approx(sysr["all"]["customer_minutes"], rel=1e-9)


def test_reli003_calendar_year_and_parameters(client, report, doc):
    year = int(report["period"]["history_end"][:4]) - 1
    resp = client.get(f"/api/reliability/report?year={year}&cemi_n=1&celid_t=2")
    assert resp.status_code == 200
    body = resp.get_json()
    validate(doc, "ReliabilityReport", body, many=False)
    assert (body["period"]["start"], body["period"]["end"]) == (f"{year}-01-01", f"{year}-12-31")
    assert body["parameters"]["cemi_n"] == 1 and body["parameters"]["celid_t_hours"] == 2
    # a lower n and t can only count more customers
    strict = client.get(f"/api/reliability/report?year={year}&cemi_n=5&celid_t=24").get_json()
    assert body["system"]["all"]["cemi_n"] >= strict["system"]["all"]["cemi_n"]
    assert body["system"]["all"]["celid_t"] >= strict["system"]["all"]["celid_t"]
    assert [m["month"] for m in body["monthly"]] == [f"{year}-{m:02d}" for m in range(1, 13)]


def test_reli004_circuit_worst_and_monthly_agree_with_the_report(client, report, doc):
    worst = client.get("/api/reliability/worst-circuits?limit=5").get_json()
    validate(doc, "WorstCircuit", worst, many=True)
    assert [w["rank"] for w in worst] == [1, 2, 3, 4, 5]
    values = [w["value"] for w in worst]
    assert values == sorted(values, reverse=True)
    assert values[0] == max(c["excluding_med"]["saidi"] for c in report["circuits"])
    assert [w["circuit_id"] for w in worst] == [w["circuit_id"] for w in report["worst_circuits"][:5]]
    by_caidi = client.get("/api/reliability/worst-circuits?by=caidi&basis=all&limit=3").get_json()
    assert by_caidi[0]["value"] == max(c["all"]["caidi"] or 0 for c in report["circuits"])

    cid = worst[0]["circuit_id"]
    resp = client.get(f"/api/reliability/circuits/{cid}")
    assert resp.status_code == 200
    one = resp.get_json()
    validate(doc, "CircuitReliabilityReport", one, many=False)
    assert one["saidi_rank"] == 1 and one["excluding_med"] == worst[0]["excluding_med"]
    # its months add up to its period totals
    assert sum(m["all"]["saidi"] for m in one["monthly"]) == pytest.approx(one["all"]["saidi"], abs=0.01)
    assert sum(m["excluding_med"]["saidi"] for m in one["monthly"]) == pytest.approx(one["excluding_med"]["saidi"], abs=0.01)

    monthly = client.get("/api/reliability/monthly").get_json()
    validate(doc, "ReliabilityMonth", monthly, many=True)
    assert sum(m["major_event_days"] for m in monthly) == len(report["major_event_days"])
    assert sum(m["all"]["saifi"] for m in monthly) == pytest.approx(report["system"]["all"]["saifi"], abs=0.01)


def test_reli005_csv_export_holds_every_area_both_ways(client, report):
    resp = client.get("/api/reliability/report.csv")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == 2 * (1 + len(report["substations"]) + len(report["circuits"]))
    system = {row["basis"]: row for row in rows if row["level"] == "system"}
    assert float(system["excluding_med"]["saidi"]) == pytest.approx(report["system"]["excluding_med"]["saidi"])
    assert float(system["all"]["saifi"]) == pytest.approx(report["system"]["all"]["saifi"])


@pytest.mark.badinput
@pytest.mark.parametrize("query", [
    "year=abc", "year=1999", "year=", "cemi_n=0", "celid_t=-1", "celid_t=1.5", "nope=1",
    "year=2024&year=2025", "cemi_n=%27%20OR%201%3D1",
])
def test_reli006_bad_input_is_a_400_in_json(client, query):
    for path in ("/api/reliability/report", "/api/reliability/monthly", "/api/reliability/report.csv",
                 "/api/reliability/worst-circuits", "/api/reliability/circuits/SUB-001-C01"):
        resp = client.get(f"{path}?{query}")
        assert resp.status_code == 400, (path, query, resp.status_code)
        body = resp.get_json()
        assert body["error"] == "bad_request" and body["message"], body


def test_reli007_missing_period_or_circuit_is_a_404_in_json(client):
    for url in ("/api/reliability/report?year=2100", "/api/reliability/report.csv?year=2000",
                "/api/reliability/circuits/SUB-999-C99"):
        resp = client.get(url)
        assert resp.status_code == 404 and resp.get_json()["error"] == "not_found", url
    for url in ("/api/reliability/circuits/bad%20id", "/api/reliability/worst-circuits?by=nope",
                "/api/reliability/worst-circuits?limit=0"):
        assert client.get(url).status_code == 400, url


def test_reli008_kpis_carry_day_to_day_and_all_in_figures(client, report):
    from callbacks.kpis import kpi_values

    kpis = client.get("/api/kpis").get_json()
    assert kpis["saidi_day_to_day"] == report["system"]["excluding_med"]["saidi"]
    assert kpis["saifi_all_in"] == report["system"]["all"]["saifi"]
    assert kpis["major_event_days"] == len(report["major_event_days"])
    text = kpi_values(kpis)
    assert text["saidi"] == f"{kpis['saidi_day_to_day']:,.1f} · {kpis['saidi_all_in']:,.1f}"
    assert text["saifi"] == f"{kpis['saifi_day_to_day']:.2f} · {kpis['saifi_all_in']:.2f}"


def test_reli010_storm_playback_timeline_and_frames_agree(client, doc, loaded_stores):
    storms = client.get("/api/playback/storms").get_json()
    validate(doc, "PlaybackStorm", storms, many=True)
    assert storms and any(s["storm_type"] == "hurricane" for s in storms)
    assert [s["start_time"] for s in storms] == sorted((s["start_time"] for s in storms), reverse=True)
    storm = max(storms, key=lambda s: s["customers_interrupted"])
    resp = client.get(f"/api/playback/storms/{storm['storm_id']}/timeline")
    assert resp.status_code == 200
    tl = resp.get_json()
    validate(doc, "PlaybackTimeline", tl, many=False)
    roster = _crew_roster(loaded_stores)
    assert roster > 0 and tl["crew_roster"] == roster and tl["dispatch_delay_minutes"] == 30
    assert len(tl["crews_at_work"]) == len(tl["crews_needed"]) == tl["frames"]
    # the biggest storm needs more crews than there are at its peak, and every crew works then
    assert max(tl["crews_needed"]) > roster and max(tl["crews_at_work"]) == roster
    assert all(c <= o for c, o in zip(tl["crews_needed"], tl["outages_out"]))
    assert tl["frames"] == len(tl["times"]) == len(tl["customers_out"]) and tl["frames"] > 10
    assert tl["times"][0] <= storm["start_time"] and tl["times"][-1] >= storm["end_time"]
    assert max(tl["customers_out"]) > 0
    peak = tl["customers_out"].index(max(tl["customers_out"]))
    for i in (0, peak, tl["frames"] - 1):
        frame = client.get(f"/api/playback/storms/{storm['storm_id']}/frame?frame={i}").get_json()
        validate(doc, "PlaybackFrame", frame, many=False)
        assert frame["at"] == tl["times"][i] and frame["customers_out"] == tl["customers_out"][i]
        # the map's points are the curve's value at that moment
        assert sum(o["customers"] for o in frame["outages"]) == frame["customers_out"]
        assert len(frame["outages"]) == frame["outages_out"] == tl["outages_out"][i]
        assert all(o["started_at"] <= frame["at"] < o["restored_at"] for o in frame["outages"])
        # crews: each outage out for the dispatch delay holds one, up to the roster
        at = datetime.fromisoformat(frame["at"])
        due = timedelta(minutes=tl["dispatch_delay_minutes"])
        assert frame["crews_needed"] == tl["crews_needed"][i] == sum(
            datetime.fromisoformat(o["started_at"]) + due <= at for o in frame["outages"])
        assert frame["crews_at_work"] == tl["crews_at_work"][i] == min(frame["crews_needed"], roster)
    # the storm's own interruptions are in it, started on its days
    frame = client.get(f"/api/playback/storms/{storm['storm_id']}/frame?frame={peak}").get_json()
    assert any(o["storm_id"] == storm["storm_id"] for o in frame["outages"])
    last = client.get(f"/api/playback/storms/{storm['storm_id']}/frame?frame=99999").get_json()
    assert last["frame"] == tl["frames"] - 1
    for url, status in ((f"/api/playback/storms/STORM-999/timeline", 404), ("/api/playback/storms/bad%20id/frame", 400),
                        (f"/api/playback/storms/{storm['storm_id']}/frame?frame=-1", 400),
                        (f"/api/playback/storms/{storm['storm_id']}/frame?frame=x", 400),
                        ("/api/playback/storms?x=1", 400)):
        resp = client.get(url)
        assert resp.status_code == status and resp.get_json()["message"], url


def _crew_roster(settings) -> int:
    from data.connections import connect_warehouse

    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        cur.execute("SELECT CREW_TYPE FROM CREWS")
        return sum(t in ("line", "vegetation") for (t,) in cur.fetchall())
    finally:
        conn.close()


@pytest.mark.slow
def test_reli009_schemathesis_holds_the_document_to_the_reliability_routes(loaded_stores, server_log_dir, tmp_path):
    from tests.fix_services import start_server

    server = start_server(loaded_stores, server_log_dir, "reliability", FLUX_CACHE_TYPE="filesystem",
                          FLUX_CACHE_DIR=str(tmp_path / "cache"))
    try:
        cmd = [
            str(Path(sys.executable).parent / "schemathesis"), "run", f"{server.url}/api/openapi.json",
            "--include-path-regex", "^/api/(reliability|playback)/", "--checks", "all", "--max-examples", "15",
            "--mode", "all", "--seed", "7", "--phases", "examples,coverage,fuzzing", "--workers", "1",
            "--request-timeout", "60", "--no-color", "--suppress-health-check", "all", "--generation-database", "none",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
        assert "Tested: 8" in result.stdout, result.stdout[-3000:]  # every reliability and playback route ran
    finally:
        server.stop()
