"""The incremental AMI pipeline on a hand-built bronze fixture whose duplicates are known exactly.

Runs against the real fakesnow server through snowflake-connector-python, in a warehouse database
of its own so that the shared test session's generated data is not disturbed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.fix_stack import TEST_WAREHOUSE_DATABASE

ROOT = Path(__file__).resolve().parents[2]
DAY0 = datetime(2026, 7, 14)
PRIOR_YEAR_DAY = datetime(2025, 7, 20)
# meter -> (transformer, customer segment or None: a meter with no customer record)
METERS = {
    "MTR-0001": ("XFMR-0001", "residential"),
    "MTR-0002": ("XFMR-0001", "residential"),
    "MTR-0003": ("XFMR-0001", "commercial"),
    "MTR-0004": ("XFMR-0002", None),
}
RATED_KVA = {"XFMR-0001": 25.0, "XFMR-0002": 10.0}
OUTPUT_TABLES = {
    "AMI_DEDUPLICATED": "METER_ID, READING_TIME",
    "AMI_ENRICHED": "METER_ID, READING_TIME",
    "AMI_MONTHLY_USAGE": "METER_ID, USAGE_MONTH",
    "TRANSFORMER_HOURLY_LOAD": "TRANSFORMER_ID, LOAD_HOUR",
}


def usage_kwh(meter_no: int, t: datetime) -> float:
    """A daily curve; MTR-0004 alone on a 10 kVA transformer runs it over 100% from 15:00 to 17:00."""
    if meter_no == 4 and 15 <= t.hour < 17:
        return 3.0
    return round(0.2 + 0.05 * meter_no + 0.02 * (t.hour % 12) + 0.001 * t.minute, 4)


def build_bronze():
    """Two July 2026 days for four meters plus a prior-year week for MTR-0001, with re-deliveries.

    Returns (rows, duplicates, latest): the bronze rows, how many rows are extra deliveries of an
    interval already delivered, and the latest delivery per (meter, reading_time).
    """
    rows, latest = [], {}
    intervals = [DAY0 + timedelta(minutes=15 * (i + 1)) for i in range(2 * 96)]
    intervals_prior = [PRIOR_YEAR_DAY + timedelta(minutes=15 * (i + 1)) for i in range(7 * 96)]
    duplicates = 0
    for meter_id, (xfmr, _) in METERS.items():
        no = int(meter_id[-1])
        times = intervals + (intervals_prior if no == 1 else [])
        for i, t in enumerate(times):
            deliveries = 1
            if (i + no) % 17 == 0:
                deliveries = 2
            if (i + no) % 53 == 0:
                deliveries = 3
            for d in range(deliveries):
                kwh = usage_kwh(no, t) + 0.5 * d  # a re-delivery corrects the value
                row = (meter_id, xfmr, t, kwh, 240.0 - d, 0.95, t + timedelta(minutes=5, hours=d), f"B{d}")
                rows.append(row)
                latest[(meter_id, t)] = row
            duplicates += deliveries - 1
    return rows, duplicates, latest


def insert_rows(cur, table: str, columns: str, rows: list[tuple]) -> None:
    placeholders = ", ".join(["%s"] * len(rows[0]))
    for start in range(0, len(rows), 500):
        cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows[start : start + 500])


def load_dimensions(cur) -> None:
    hours = [DAY0 + timedelta(hours=h) for h in range(49)]
    hours += [PRIOR_YEAR_DAY + timedelta(hours=h) for h in range(7 * 24 + 1)]
    insert_rows(
        cur,
        "HOUSTON_WEATHER_HOURLY",
        "TIMESTAMP_UTC, TEMP_F, HUMIDITY_PCT, WIND_SPEED_MPH, WIND_GUST_MPH, PRECIPITATION_INCHES, CONDITIONS",
        [(h, 80.0 + h.hour * 0.5, 60.0 + h.hour, 5.0, 9.0, 0.0, "Clear") for h in hours],
    )
    five = [DAY0 + timedelta(minutes=5 * i) for i in range(2 * 288 + 1)]
    five += [PRIOR_YEAR_DAY + timedelta(minutes=5 * i) for i in range(7 * 288 + 1)]
    prices = [(t, "LZ_HOUSTON", 20.0 + (t.hour * 60 + t.minute) / 10.0, 60000.0, 15000.0) for t in five]
    # another settlement point at the same instants: the join must ignore it
    prices += [(t, "LZ_NORTH", 999.0, 60000.0, 0.0) for t in five[:50]]
    insert_rows(
        cur,
        "ERCOT_PRICES_5MIN",
        "INTERVAL_START, SETTLEMENT_POINT, LMP_USD_MWH, SYSTEM_LOAD_MW, HOUSTON_LOAD_MW",
        prices,
    )
    customers = [
        (f"CUST-000{m[-1]}", f"Customer {m[-1]}", seg, m, x, "SUB-001-C01", "SUB-001", "1 Main St",
         "Houston", "77002", "Harris", "active", 29.76, -95.37, DAY0)
        for m, (x, seg) in METERS.items()
        if seg is not None
    ]
    insert_rows(
        cur,
        "CUSTOMERS_MASTER_DATA",
        "CUSTOMER_ID, FULL_NAME, SEGMENT, PRIMARY_METER_ID, TRANSFORMER_ID, CIRCUIT_ID, SUBSTATION_ID,"
        " SERVICE_ADDRESS, CITY, ZIP_CODE, COUNTY, ACCOUNT_STATUS, LATITUDE, LONGITUDE, UPDATED_AT",
        customers,
    )
    insert_rows(
        cur,
        "GRID_ASSETS",
        "ASSET_ID, ASSET_NAME, ASSET_TYPE, LATITUDE, LONGITUDE, STATUS, CAPACITY, CIRCUIT_ID,"
        " SUBSTATION_ID, CONNECTED_CUSTOMERS, UPDATED_AT",
        [(x, x, "transformer", 29.76, -95.37, "in_service", kva, "SUB-001-C01", "SUB-001", 3, DAY0)
         for x, kva in RATED_KVA.items()],
    )


BRONZE_COLUMNS = "METER_ID, TRANSFORMER_ID, READING_TIME, USAGE_KWH, VOLTAGE, POWER_FACTOR, INGESTION_TIME, BATCH_ID"


@pytest.fixture(scope="module")
def pipe_settings(test_settings):
    """A warehouse database of this module's own, schema applied."""
    from data.connections import connect_warehouse
    from data.etl.schema import apply_warehouse

    settings = test_settings.model_copy(update={"snowflake_database": f"{TEST_WAREHOUSE_DATABASE}_PIPE"})
    wh = connect_warehouse(settings, schema=None)
    try:
        wh.cursor().execute(f"DROP SCHEMA IF EXISTS {settings.snowflake_schema} CASCADE")
    finally:
        wh.close()
    apply_warehouse(settings)
    return settings


@pytest.fixture
def wh(pipe_settings):
    from data.connections import connect_warehouse

    conn = connect_warehouse(pipe_settings)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def fixture_data(pipe_settings):
    """Dimensions and bronze loaded once; bronze also kept aside for each test to start from."""
    from data.connections import connect_warehouse

    rows, duplicates, latest = build_bronze()
    conn = connect_warehouse(pipe_settings)
    try:
        cur = conn.cursor()
        load_dimensions(cur)
        insert_rows(cur, "AMI_INTERVAL_READINGS", BRONZE_COLUMNS, rows)
        cur.execute("CREATE OR REPLACE TABLE BRONZE_FIXTURE AS SELECT * FROM AMI_INTERVAL_READINGS")
    finally:
        conn.close()
    return {"rows": rows, "duplicates": duplicates, "latest": latest}


@pytest.fixture
def loaded(fixture_data, wh):
    """The fixture's bronze, pipeline not yet run."""
    cur = wh.cursor()
    for table in ("AMI_INTERVAL_READINGS", "PIPELINE_WATERMARKS", *OUTPUT_TABLES):
        cur.execute(f"DELETE FROM {table}")
    cur.execute("INSERT INTO AMI_INTERVAL_READINGS SELECT * FROM BRONZE_FIXTURE")
    return fixture_data


def snapshot(cur) -> dict[str, list[tuple]]:
    out = {}
    for table, order in OUTPUT_TABLES.items():
        cur.execute(f"SELECT * FROM {table} ORDER BY {order}")
        out[table] = cur.fetchall()
    cur.execute("SELECT STEP, WATERMARK, ROWS_PROCESSED, UPDATED_AT FROM PIPELINE_WATERMARKS ORDER BY STEP")
    out["PIPELINE_WATERMARKS"] = cur.fetchall()
    return out


def rounded(rows: list[tuple]) -> list[tuple]:
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]


def count(cur, sql: str, params=None) -> int:
    cur.execute(sql, params)
    return cur.fetchone()[0]


# --- dedup ------------------------------------------------------------------------------------
def test_pipe001_dedup_removes_exactly_the_duplicates(pipe_settings, wh, loaded):
    from data.etl.pipeline import run_once

    rows, duplicates = loaded["rows"], loaded["duplicates"]
    assert duplicates > 50  # the fixture really has re-deliveries, some of them triple
    report = run_once(pipe_settings)
    cur = wh.cursor()

    assert report["bronze"] == len(rows)
    assert count(cur, "SELECT COUNT(*) FROM AMI_DEDUPLICATED") == len(rows) - duplicates
    assert count(cur, "SELECT COUNT(*) FROM AMI_ENRICHED") == len(rows) - duplicates
    assert report["silver"] == report["gold"] == len(rows) - duplicates
    assert count(cur, "SELECT COUNT(*) FROM (SELECT METER_ID, READING_TIME FROM AMI_DEDUPLICATED GROUP BY 1, 2 HAVING COUNT(*) > 1)") == 0

    # the latest delivery won every interval
    cur.execute("SELECT METER_ID, READING_TIME, USAGE_KWH, VOLTAGE, INGESTION_TIME FROM AMI_DEDUPLICATED")
    got = {(m, t): (kwh, v, ing) for m, t, kwh, v, ing in cur.fetchall()}
    want = {k: (r[3], r[4], r[6]) for k, r in loaded["latest"].items()}
    assert got == want


def test_pipe002_gold_joins_weather_price_and_segment(pipe_settings, wh, loaded):
    from data.etl.pipeline import run_once

    run_once(pipe_settings)
    cur = wh.cursor()
    t = DAY0 + timedelta(hours=13, minutes=45)
    cur.execute(
        "SELECT CUSTOMER_SEGMENT, TEMP_F, HUMIDITY_PCT, LMP_USD_MWH FROM AMI_ENRICHED"
        " WHERE METER_ID = %(m)s AND READING_TIME = %(t)s",
        {"m": "MTR-0003", "t": t},
    )
    assert cur.fetchone() == ("commercial", 80.0 + 13 * 0.5, 60.0 + 13, 20.0 + (13 * 60 + 45) / 10.0)
    # a meter with no customer record still reaches gold, with no segment
    cur.execute("SELECT COUNT(*), COUNT(CUSTOMER_SEGMENT) FROM AMI_ENRICHED WHERE METER_ID = 'MTR-0004'")
    assert cur.fetchone() == (2 * 96, 0)
    # the LZ_NORTH price at the same instants never leaks in
    assert count(cur, "SELECT COUNT(*) FROM AMI_ENRICHED WHERE LMP_USD_MWH = 999.0") == 0


def test_pipe003_monthly_usage_and_yoy(pipe_settings, wh, loaded):
    from data.etl.pipeline import run_once

    run_once(pipe_settings)
    cur = wh.cursor()
    latest = loaded["latest"]

    def month_rows(meter, month_start: datetime):
        return [r for (m, t), r in latest.items() if m == meter and t.year == month_start.year and t.month == month_start.month]

    cur.execute(
        "SELECT METER_ID, USAGE_MONTH, TOTAL_KWH, AVG_DAILY_KWH, PEAK_KWH, READING_COUNT, YOY_CHANGE_PCT, CUSTOMER_SEGMENT"
        " FROM AMI_MONTHLY_USAGE ORDER BY METER_ID, USAGE_MONTH"
    )
    got = {(m, mo): rest for m, mo, *rest in cur.fetchall()}
    assert set(got) == {("MTR-0001", date(2025, 7, 1))} | {(m, date(2026, 7, 1)) for m in METERS}

    prior = month_rows("MTR-0001", PRIOR_YEAR_DAY)
    prior_days = len({r[2].date() for r in prior})
    prior_avg = sum(r[3] for r in prior) / prior_days
    for meter in METERS:
        rows = month_rows(meter, DAY0)
        total = sum(r[3] for r in rows)
        days = len({r[2].date() for r in rows})  # interval ends at 00:00 fall on the next day
        total_got, avg_got, peak_got, n_got, yoy_got, _ = got[(meter, date(2026, 7, 1))]
        assert total_got == pytest.approx(total)
        assert avg_got == pytest.approx(total / days)
        assert peak_got == pytest.approx(max(r[3] for r in rows))
        assert n_got == len(rows)
        if meter == "MTR-0001":
            assert yoy_got == pytest.approx(round(100 * (total / days - prior_avg) / prior_avg, 2))
        else:
            assert yoy_got is None
    assert got[("MTR-0002", date(2026, 7, 1))][-1] == "residential"


def test_pipe004_transformer_hourly_load(pipe_settings, wh, loaded):
    from data.etl.pipeline import run_once

    run_once(pipe_settings)
    cur = wh.cursor()
    latest = loaded["latest"]
    hour = DAY0 + timedelta(hours=10)
    in_hour = [r for (m, t), r in latest.items() if r[1] == "XFMR-0001" and hour <= t < hour + timedelta(hours=1)]
    intervals = len({r[2] for r in in_hour})
    want_kw = sum(r[3] * 4 for r in in_hour) / intervals
    cur.execute(
        "SELECT LOAD_KW, RATED_KVA, LOAD_FACTOR_PCT, IS_OVERLOADED, METER_COUNT, CIRCUIT_ID, TEMP_F"
        " FROM TRANSFORMER_HOURLY_LOAD WHERE TRANSFORMER_ID = 'XFMR-0001' AND LOAD_HOUR = %(h)s",
        {"h": hour},
    )
    kw, kva, pct, over, meters, circuit, temp = cur.fetchone()
    assert kw == pytest.approx(want_kw)
    assert (kva, meters, circuit, over) == (25.0, 3, "SUB-001-C01", False)
    assert pct == pytest.approx(100 * want_kw / 25.0)
    assert temp == pytest.approx(80.0 + 10 * 0.5)

    # MTR-0004 draws 12 kW on a 10 kVA transformer for readings stamped 15:00 to 16:45
    cur.execute(
        "SELECT LOAD_HOUR, LOAD_FACTOR_PCT FROM TRANSFORMER_HOURLY_LOAD"
        " WHERE TRANSFORMER_ID = 'XFMR-0002' AND IS_OVERLOADED ORDER BY LOAD_HOUR"
    )
    over = cur.fetchall()
    assert [h.hour for h, _ in over] == [15, 16, 15, 16]
    for h, pct in over:
        kwh = [r[3] for (m, t), r in latest.items() if m == "MTR-0004" and h <= t < h + timedelta(hours=1)]
        assert pct == pytest.approx(100 * sum(k * 4 for k in kwh) / len(kwh) / 10.0)
        assert pct >= 120.0  # 3 kWh a quarter-hour is 12 kW; corrected re-deliveries run higher
    hours_total = count(cur, "SELECT COUNT(DISTINCT DATE_TRUNC('HOUR', READING_TIME)) FROM AMI_DEDUPLICATED WHERE TRANSFORMER_ID = 'XFMR-0002'")
    assert count(cur, "SELECT COUNT(*) FROM TRANSFORMER_HOURLY_LOAD WHERE TRANSFORMER_ID = 'XFMR-0002'") == hours_total


# --- incremental ------------------------------------------------------------------------------
def test_pipe005_rerun_with_no_new_data_changes_nothing(pipe_settings, wh, loaded):
    from data.etl.pipeline import run_once

    first = run_once(pipe_settings)
    assert first["silver"] > 0
    cur = wh.cursor()
    before = snapshot(cur)
    assert {r[0] for r in before["PIPELINE_WATERMARKS"]} == {"silver", "gold", "monthly", "transformer_hourly"}
    again = run_once(pipe_settings)
    assert {k: again[k] for k in ("bronze", "silver", "gold", "monthly", "transformer_hourly")} == dict.fromkeys(
        ("bronze", "silver", "gold", "monthly", "transformer_hourly"), 0
    )
    assert snapshot(cur) == before  # watermarks' UPDATED_AT included


def test_pipe006_late_redelivery_replaces_and_recomputes_only_affected_keys(pipe_settings, wh, loaded):
    from data.etl.pipeline import run_once

    run_once(pipe_settings)
    cur = wh.cursor()
    before = snapshot(cur)
    old_total = {(r[0], r[2]): r[3] for r in before["AMI_MONTHLY_USAGE"]}

    # a corrected re-delivery of an interval processed last run, and a brand-new interval
    t_old = DAY0 + timedelta(hours=10, minutes=15)
    t_new = DAY0 + timedelta(days=2, hours=1, minutes=15)  # an hour XFMR-0002 had no reading in
    arrival = datetime(2026, 7, 20, 9, 0)
    previous = loaded["latest"][("MTR-0002", t_old)]
    insert_rows(
        cur,
        "AMI_INTERVAL_READINGS",
        BRONZE_COLUMNS,
        [
            ("MTR-0002", "XFMR-0001", t_old, 5.0, 239.0, 0.97, arrival, "LATE"),
            ("MTR-0004", "XFMR-0002", t_new, 0.4, 241.0, 0.96, arrival, "LATE"),
        ],
    )
    report = run_once(pipe_settings)
    assert (report["bronze"], report["silver"], report["gold"]) == (2, 2, 2)
    # (MTR-0002, Jul 2026) and (MTR-0004, Jul 2026): each counted once by the totals MERGE;
    # the YoY MERGE writes nothing because neither meter has a prior-year month
    assert report["monthly"] == 2
    # XFMR-0001 10:00 updated, XFMR-0002 at the new interval's hour inserted
    assert report["transformer_hourly"] == 2

    after = snapshot(cur)
    assert len(after["AMI_DEDUPLICATED"]) == len(before["AMI_DEDUPLICATED"]) + 1
    cur.execute(
        "SELECT USAGE_KWH, INGESTION_TIME FROM AMI_DEDUPLICATED WHERE METER_ID = 'MTR-0002' AND READING_TIME = %(t)s",
        {"t": t_old},
    )
    assert cur.fetchone() == (5.0, arrival)
    cur.execute(
        "SELECT USAGE_KWH FROM AMI_ENRICHED WHERE METER_ID = 'MTR-0002' AND READING_TIME = %(t)s", {"t": t_old}
    )
    assert cur.fetchone() == (5.0,)

    new_total = {(r[0], r[2]): r[3] for r in after["AMI_MONTHLY_USAGE"]}
    jul = date(2026, 7, 1)
    assert new_total[("MTR-0002", jul)] == pytest.approx(old_total[("MTR-0002", jul)] - previous[3] + 5.0)
    assert new_total[("MTR-0004", jul)] == pytest.approx(old_total[("MTR-0004", jul)] + 0.4)
    untouched = {k for k in old_total if k not in {("MTR-0002", jul), ("MTR-0004", jul)}}
    assert {k: new_total[k] for k in untouched} == {k: old_total[k] for k in untouched}

    # every transformer-hour other than the two affected ones is unchanged
    key = lambda r: (r[0], r[3])  # noqa: E731
    old_th = {key(r): r for r in before["TRANSFORMER_HOURLY_LOAD"]}
    new_th = {key(r): r for r in after["TRANSFORMER_HOURLY_LOAD"]}
    new_hour = ("XFMR-0002", DAY0 + timedelta(days=2, hours=1))
    affected = {("XFMR-0001", DAY0 + timedelta(hours=10)), new_hour}
    assert set(new_th) - set(old_th) == {new_hour}
    assert {k: v for k, v in new_th.items() if k not in affected} == {k: v for k, v in old_th.items() if k not in affected}
    assert new_th[("XFMR-0001", DAY0 + timedelta(hours=10))][4] == pytest.approx(
        old_th[("XFMR-0001", DAY0 + timedelta(hours=10))][4] + (5.0 - previous[3]) * 4 / 4
    )

    # and the run after that is a no-op again
    assert run_once(pipe_settings)["silver"] == 0
    assert snapshot(cur) == after


def test_pipe007_late_prior_year_data_updates_next_years_yoy(pipe_settings, wh, loaded):
    from data.etl.pipeline import run_once

    run_once(pipe_settings)
    cur = wh.cursor()
    # MTR-0002 had no July 2025: its July 2026 YoY is NULL until the back-fill arrives
    cur.execute("SELECT YOY_CHANGE_PCT FROM AMI_MONTHLY_USAGE WHERE METER_ID = 'MTR-0002' AND USAGE_MONTH = '2026-07-01'")
    assert cur.fetchone() == (None,)
    arrival = datetime(2026, 7, 21)
    backfill = [
        ("MTR-0002", "XFMR-0001", PRIOR_YEAR_DAY + timedelta(minutes=15 * (i + 1)), 0.1, 240.0, 0.95, arrival, "BACKFILL")
        for i in range(96 - 1)  # one whole day: interval ends 00:15..23:45
    ]
    insert_rows(cur, "AMI_INTERVAL_READINGS", BRONZE_COLUMNS, backfill)
    run_once(pipe_settings)
    cur.execute(
        "SELECT USAGE_MONTH, AVG_DAILY_KWH, YOY_CHANGE_PCT FROM AMI_MONTHLY_USAGE WHERE METER_ID = 'MTR-0002' ORDER BY USAGE_MONTH"
    )
    (m0, avg0, yoy0), (m1, avg1, yoy1) = cur.fetchall()
    assert (m0, yoy0) == (date(2025, 7, 1), None)
    assert avg0 == pytest.approx(0.1 * 95)
    assert yoy1 == pytest.approx(round(100 * (avg1 - avg0) / avg0, 2))


def test_pipe008_incremental_equals_full_recompute(pipe_settings, wh, loaded):
    """Bronze delivered in three slices, piped after each, ends where one run over all of it ends."""
    from data.etl.pipeline import run_once

    cur = wh.cursor()
    cur.execute("DELETE FROM AMI_INTERVAL_READINGS")
    rows = sorted(loaded["rows"], key=lambda r: r[6])
    # a delivery is atomic: slice between arrival times, never inside one
    arrivals = sorted({r[6] for r in rows})
    cut1, cut2 = arrivals[len(arrivals) // 3], arrivals[2 * len(arrivals) // 3]
    slices = (
        [r for r in rows if r[6] < cut1],
        [r for r in rows if cut1 <= r[6] < cut2],
        [r for r in rows if r[6] >= cut2],
    )
    for part in slices:
        insert_rows(cur, "AMI_INTERVAL_READINGS", BRONZE_COLUMNS, part)
        run_once(pipe_settings)
    incremental = snapshot(cur)

    for table in (*OUTPUT_TABLES, "PIPELINE_WATERMARKS"):
        cur.execute(f"DELETE FROM {table}")
    run_once(pipe_settings)
    full = snapshot(cur)
    for table in OUTPUT_TABLES:
        # float sums may differ in the last bits with summation order
        assert rounded(incremental[table]) == rounded(full[table]), table


def test_pipe009_cli_once(pipe_settings, wh, loaded):
    env = {
        **os.environ,
        "SNOWFLAKE_DATABASE": pipe_settings.snowflake_database,
        "FLUX_PG_DATABASE": pipe_settings.pg_database,
        "FLUX_LOG_LEVEL": "INFO",
    }
    done = subprocess.run(
        [sys.executable, "-m", "data.etl.pipeline", "--once"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert '"event": "pipeline.run"' in done.stderr
    cur = wh.cursor()
    assert count(cur, "SELECT COUNT(*) FROM AMI_DEDUPLICATED") == len(loaded["rows"]) - loaded["duplicates"]


def test_pipe010_dynamic_tables_ddl_parses_as_snowflake():
    import sqlglot
    from sqlglot import exp

    text = (ROOT / "data" / "etl" / "sql" / "warehouse" / "dynamic_tables.sql").read_text()
    statements = [s for s in sqlglot.parse(text, read="snowflake") if s is not None]
    names = []
    for stmt in statements:
        assert isinstance(stmt, exp.Create)
        rendered = stmt.sql(dialect="snowflake")
        assert "CREATE OR REPLACE DYNAMIC TABLE" in rendered
        assert "TARGET_LAG='1 minute'" in rendered
        names.append(stmt.this.name if isinstance(stmt.this, exp.Table) else stmt.this.this.name)
    assert names == ["AMI_DEDUPLICATED", "AMI_ENRICHED", "AMI_MONTHLY_USAGE", "TRANSFORMER_HOURLY_LOAD"]
    assert "QUALIFY ROW_NUMBER() OVER (PARTITION BY METER_ID, READING_TIME ORDER BY INGESTION_TIME DESC" in text
