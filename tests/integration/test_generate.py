"""Synthetic Houston grid: invariants of the generated data, determinism, and the warehouse load."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

import numpy as np
import pyarrow.compute as pc
import pytest

from data.etl.generate import DERIVED_TABLES, TABLES, generate, load_warehouse, main
from tests.fix_stack import TEST_AS_OF, TEST_PG_DATABASE, TEST_SEED, TEST_WAREHOUSE_DATABASE

LAT = (29.4, 30.2)
LON = (-95.8, -94.9)
_NUM = re.compile(r"-?\d+\.\d+|-?\d+")


@pytest.fixture(scope="module")
def ds():
    return generate(scale="small", seed=TEST_SEED, as_of=TEST_AS_OF)


def col(ds, table, column):
    return ds[table].column(column).to_pylist()


def test_gen001_counts_at_small_scale(ds):
    c = ds.counts()
    assert set(c) == set(TABLES)
    assert c["SUBSTATIONS"] == 12
    assert 2_000 <= c["FEEDER_SEGMENTS"] <= 3_200
    assert 14_000 <= c["GRID_ASSETS"] <= 26_000
    assert 15_000 <= c["CUSTOMERS_MASTER_DATA"] <= 26_000
    assert 30_000 <= c["AMI_INTERVAL_READINGS"] <= 60_000
    assert c["CIRCUIT_STATUS_REALTIME"] == c["CIRCUITS"]
    assert c["WEATHER_EVENTS"] == 31
    assert 4_300 <= c["HOUSTON_WEATHER_HOURLY"] <= 4_500
    assert c["CREWS"] == 20
    assert 1_000 <= c["OUTAGE_EVENTS"] <= 1_600
    types = Counter(col(ds, "GRID_ASSETS", "ASSET_TYPE"))
    assert set(types) == {"substation", "transformer", "pole"}
    assert types["substation"] == 12 and types["transformer"] > 2_000


def test_gen002_ids_are_unique_and_well_formed(ds):
    for table, key in [("SUBSTATIONS", "SUBSTATION_ID"), ("CIRCUITS", "CIRCUIT_ID"), ("FEEDER_SEGMENTS", "SEGMENT_ID"),
                       ("GRID_ASSETS", "ASSET_ID"), ("CUSTOMERS_MASTER_DATA", "CUSTOMER_ID"),
                       ("CUSTOMERS_MASTER_DATA", "PRIMARY_METER_ID"), ("OUTAGE_EVENTS", "OUTAGE_ID"),
                       ("WORK_ORDERS", "WORK_ORDER_ID"), ("CREWS", "CREW_ID")]:
        values = col(ds, table, key)
        assert len(values) == len(set(values)), f"{table}.{key} has duplicates"
    assert all(re.fullmatch(r"SUB-\d{3}", s) for s in col(ds, "SUBSTATIONS", "SUBSTATION_ID"))
    assert all(re.fullmatch(r"SUB-\d{3}-C\d{2}-S\d{4}", s) for s in col(ds, "FEEDER_SEGMENTS", "SEGMENT_ID"))


def test_gen003_every_segment_walks_back_to_its_substation(ds):
    seg = ds["FEEDER_SEGMENTS"]
    ids = col(ds, "FEEDER_SEGMENTS", "SEGMENT_ID")
    up = dict(zip(ids, col(ds, "FEEDER_SEGMENTS", "UPSTREAM_SEGMENT_ID")))
    circuit = dict(zip(ids, col(ds, "FEEDER_SEGMENTS", "CIRCUIT_ID")))
    sub = dict(zip(ids, col(ds, "FEEDER_SEGMENTS", "SUBSTATION_ID")))
    seq = dict(zip(ids, col(ds, "FEEDER_SEGMENTS", "SEQ")))
    from_node = dict(zip(ids, col(ds, "FEEDER_SEGMENTS", "FROM_NODE")))
    to_node = dict(zip(ids, col(ds, "FEEDER_SEGMENTS", "TO_NODE")))
    circuit_sub = dict(zip(col(ds, "CIRCUITS", "CIRCUIT_ID"), col(ds, "CIRCUITS", "SUBSTATION_ID")))
    substations = set(col(ds, "SUBSTATIONS", "SUBSTATION_ID"))
    for s in ids:
        hops, cur = 0, s
        while up[cur] is not None:
            parent = up[cur]
            assert circuit[parent] == circuit[cur]
            assert seq[parent] == seq[cur] - 1
            assert to_node[parent] == from_node[cur], "segments are laid end to end"
            cur, hops = parent, hops + 1
            assert hops <= seg.num_rows
        assert seq[cur] == 1, "the head of a chain is its circuit's first segment"
        assert circuit_sub[circuit[cur]] == sub[s] and sub[s] in substations
    assert sum(1 for s in ids if up[s] is None) == ds.counts()["CIRCUITS"]


def test_gen004_segment_geometry_is_continuous(ds):
    geoms = col(ds, "FEEDER_SEGMENTS", "GEOM_WKT")
    simple = col(ds, "FEEDER_SEGMENTS", "GEOM_SIMPLIFIED_WKT")
    ups = col(ds, "FEEDER_SEGMENTS", "UPSTREAM_SEGMENT_ID")
    ids = col(ds, "FEEDER_SEGMENTS", "SEGMENT_ID")
    by_id = dict(zip(ids, geoms))
    for g, s, u in zip(geoms, simple, ups):
        pts = _points(g)
        assert 3 <= len(pts) <= 5 and len(_points(s)) == 2
        assert pts[0] == _points(s)[0] and pts[-1] == _points(s)[-1]
        if u is not None:
            assert _points(by_id[u])[-1] == pts[0]


def test_gen005_load_falls_along_each_chain(ds):
    circuits = col(ds, "FEEDER_SEGMENTS", "CIRCUIT_ID")
    load = col(ds, "FEEDER_SEGMENTS", "LOAD_PERCENT")
    status_load = dict(zip(col(ds, "CIRCUIT_STATUS_REALTIME", "CIRCUIT_ID"), col(ds, "CIRCUIT_STATUS_REALTIME", "LOAD_PERCENT")))
    prev_c, prev_l = None, None
    for c, l in zip(circuits, load):
        if c == prev_c:
            assert l <= prev_l + 1e-9
        else:
            assert abs(l - status_load[c]) <= 0.11  # the head segment carries the whole circuit
        prev_c, prev_l = c, l


def test_gen006_every_customer_and_meter_has_a_transformer(ds):
    assets = ds["GRID_ASSETS"]
    xfmr = set(pc.filter(assets["ASSET_ID"], pc.equal(assets["ASSET_TYPE"], "transformer")).to_pylist())
    assert set(col(ds, "CUSTOMERS_MASTER_DATA", "TRANSFORMER_ID")) <= xfmr
    assert set(col(ds, "AMI_INTERVAL_READINGS", "TRANSFORMER_ID")) <= xfmr
    meters = dict(zip(col(ds, "CUSTOMERS_MASTER_DATA", "PRIMARY_METER_ID"), col(ds, "CUSTOMERS_MASTER_DATA", "TRANSFORMER_ID")))
    ami = ds["AMI_INTERVAL_READINGS"]
    pairs = set(zip(ami["METER_ID"].to_pylist(), ami["TRANSFORMER_ID"].to_pylist()))
    assert all(meters[m] == t for m, t in pairs)
    # the sample is whole transformers: every meter of a sampled transformer reports
    sampled = {t for _, t in pairs}
    expected = {m for m, t in meters.items() if t in sampled}
    assert {m for m, _ in pairs} == expected
    # customers hang off a transformer of their own circuit
    t_circuit = dict(zip(assets["ASSET_ID"].to_pylist(), assets["CIRCUIT_ID"].to_pylist()))
    for t, c in zip(col(ds, "CUSTOMERS_MASTER_DATA", "TRANSFORMER_ID"), col(ds, "CUSTOMERS_MASTER_DATA", "CIRCUIT_ID")):
        assert t_circuit[t] == c


def test_gen007_every_coordinate_is_inside_the_metro_box(ds):
    for table in TABLES:
        names = ds[table].column_names
        if "LATITUDE" in names:
            lat, lon = ds[table]["LATITUDE"].to_numpy(), ds[table]["LONGITUDE"].to_numpy()
            assert np.all((lat > LAT[0]) & (lat < LAT[1])), table
            assert np.all((lon > LON[0]) & (lon < LON[1])), table
    for table, column in [("FEEDER_SEGMENTS", "GEOM_WKT"), ("FEEDER_SEGMENTS", "GEOM_SIMPLIFIED_WKT"),
                          ("CIRCUITS", "GEOM_OVERVIEW_WKT")]:
        for wkt in col(ds, table, column):
            assert wkt.startswith("LINESTRING(")
            for lon_, lat_ in _points(wkt):
                assert LAT[0] < lat_ < LAT[1] and LON[0] < lon_ < LON[1]


def test_gen008_same_seed_same_data_other_seed_other_data(ds):
    again = generate(scale="small", seed=TEST_SEED, as_of=TEST_AS_OF)
    for table in TABLES:
        assert again[table].equals(ds[table]), table
    other = generate(scale="small", seed=TEST_SEED + 1, as_of=TEST_AS_OF)
    assert not other["FEEDER_SEGMENTS"].equals(ds["FEEDER_SEGMENTS"])
    assert not other["CUSTOMERS_MASTER_DATA"].equals(ds["CUSTOMERS_MASTER_DATA"])
    assert not other["AMI_INTERVAL_READINGS"].equals(ds["AMI_INTERVAL_READINGS"])


def test_gen009_bronze_holds_later_redeliveries(ds):
    ami = ds["AMI_INTERVAL_READINGS"]
    keys = list(zip(ami["METER_ID"].to_pylist(), ami["READING_TIME"].to_pylist()))
    ingest = ami["INGESTION_TIME"].to_pylist()
    batch = ami["BATCH_ID"].to_pylist()
    seen: dict = {}
    for k, t, b in zip(keys, ingest, batch):
        seen.setdefault(k, []).append((t, b))
    dups = {k: v for k, v in seen.items() if len(v) > 1}
    share = (len(keys) - len(seen)) / len(keys)
    assert 0.015 <= share <= 0.035
    for deliveries in dups.values():
        assert len(deliveries) == 2
        (t1, b1), (t2, b2) = deliveries
        assert t2 > t1 and b1 != b2
    # the interval grid ends at as_of and covers ami_days
    times = sorted({k[1] for k in keys})
    assert times[-1] == TEST_AS_OF
    assert len(times) == ds.ami_days * 96
    assert all((b - a) == timedelta(minutes=15) for a, b in zip(times, times[1:]))
    assert max(ingest) <= TEST_AS_OF


def test_gen015_meters_behind_an_open_outage_fall_silent(ds):
    a = ds["GRID_ASSETS"]
    dark = set(pc.filter(a["ASSET_ID"], pc.equal(a["STATUS"], "out_of_service")).to_pylist())
    ami = ds["AMI_INTERVAL_READINGS"]
    last: dict = {}
    for t, r in zip(ami["TRANSFORMER_ID"].to_pylist(), ami["READING_TIME"].to_pylist()):
        last[t] = max(last.get(t, r), r)
    silent = {t for t in last if t in dark}
    assert silent, "the sample includes de-energised transformers"
    assert all(last[t] < TEST_AS_OF for t in silent)
    assert all(last[t] == TEST_AS_OF for t in last if t not in dark)


def test_gen010_customers_out_match_active_outages(ds):
    out = ds["OUTAGE_EVENTS"]
    active = pc.is_null(out["END_TIME"])
    n_active = pc.sum(active).as_py()
    assert 1 <= n_active <= 20
    assert "restored" not in set(pc.filter(out["RESTORATION_STATUS"], active).to_pylist())
    assert set(pc.filter(out["RESTORATION_STATUS"], pc.invert(active)).to_pylist()) == {"restored"}
    per_circuit = Counter()
    for c, n in zip(pc.filter(out["CIRCUIT_ID"], active).to_pylist(), pc.filter(out["AFFECTED_CUSTOMERS_COUNT"], active).to_pylist()):
        per_circuit[c] += n
    status = dict(zip(col(ds, "CIRCUIT_STATUS_REALTIME", "CIRCUIT_ID"), col(ds, "CIRCUIT_STATUS_REALTIME", "CUSTOMERS_OUT")))
    assert {c: n for c, n in status.items() if n} == dict(per_circuit)
    ends = [e for e in col(ds, "OUTAGE_EVENTS", "END_TIME") if e is not None]
    starts = col(ds, "OUTAGE_EVENTS", "START_TIME")
    assert max(ends) <= TEST_AS_OF and min(starts) >= TEST_AS_OF - timedelta(days=367)


def test_gen011_plausible_values(ds):
    a = ds["GRID_ASSETS"]
    xf = pc.equal(a["ASSET_TYPE"], "transformer")
    load = pc.filter(a["LOAD_PERCENT"], xf).to_numpy()
    assert (load > 100).any(), "some transformers run overloaded"
    assert pc.min(a["VOLTAGE"]).as_py() > 0 and pc.min(a["CAPACITY"]).as_py() > 0
    assert set(col(ds, "CUSTOMERS_MASTER_DATA", "SEGMENT")) == {"residential", "commercial", "industrial"}
    assert {"Harris", "Fort Bend"} <= set(col(ds, "CUSTOMERS_MASTER_DATA", "COUNTY"))
    assert all(re.fullmatch(r"\d+ \S.*", addr) for addr in col(ds, "CUSTOMERS_MASTER_DATA", "SERVICE_ADDRESS")[:500])
    wo_status = set(col(ds, "WORK_ORDERS", "STATUS"))
    assert {"open", "assigned", "in_progress", "on_hold", "completed"} <= wo_status
    crews = set(col(ds, "CREWS", "CREW_ID"))
    assert {c for c in col(ds, "WORK_ORDERS", "ASSIGNED_CREW") if c} <= crews
    ercot = ds["ERCOT_PRICES_5MIN"]["INTERVAL_START"].to_pylist()
    weather = ds["HOUSTON_WEATHER_HOURLY"]["TIMESTAMP_UTC"].to_pylist()
    assert ercot[0] <= weather[0] and ercot[-1] >= TEST_AS_OF - timedelta(minutes=5)
    assert ercot[0] <= TEST_AS_OF - timedelta(days=ds.ami_days)
    temps = ds["HOUSTON_WEATHER_HOURLY"]["TEMP_F"].to_numpy()
    assert 10 < temps.min() and temps.max() < 112


@pytest.fixture(scope="module")
def loaded(test_settings, ds):
    """The small dataset loaded once into this module's own warehouse database (re-loading must
    not disturb the session's loaded_stores); returns (settings, counts)."""
    from data.etl.schema import recreate

    settings = test_settings.model_copy(
        update={"pg_database": f"{TEST_PG_DATABASE}_gen", "snowflake_database": f"{TEST_WAREHOUSE_DATABASE}_GEN"}
    )
    recreate(settings)
    return settings, load_warehouse(settings, ds)


def test_gen012_load_round_trip(loaded, ds):
    from data.connections import connect_warehouse

    settings, counts = loaded
    assert counts == ds.counts()
    assert load_warehouse(settings, ds) == counts  # idempotent: replaces, never appends
    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        for table, n in counts.items():
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            assert cur.fetchone()[0] == n, table
        for table in DERIVED_TABLES:
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            assert cur.fetchone()[0] == 0, table
        cur.execute("SELECT COUNT(*), SUM(CUSTOMERS_OUT) FROM CIRCUIT_STATUS_REALTIME")
        n, out = cur.fetchone()
        assert n == counts["CIRCUITS"] and out > 0
        cur.execute("SELECT COUNT(*) FROM OUTAGE_EVENTS WHERE END_TIME IS NULL AND RESTORATION_STATUS <> 'restored'")
        assert cur.fetchone()[0] > 0
        cur.execute(
            "SELECT COUNT(*) FROM (SELECT METER_ID, READING_TIME FROM AMI_INTERVAL_READINGS"
            " GROUP BY METER_ID, READING_TIME HAVING COUNT(*) > 1)"
        )
        assert cur.fetchone()[0] > 0, "bronze keeps the re-deliveries"
        cur.execute("SELECT SCALE, SEED, AS_OF FROM GENERATOR_RUNS")
        assert cur.fetchall() == [("small", TEST_SEED, TEST_AS_OF)]
    finally:
        conn.close()


def test_gen013_cli_if_empty_skips_a_loaded_scale(loaded, monkeypatch):
    from data.connections import connect_warehouse

    settings, _ = loaded
    # the CLI reads its settings from the environment: point it at this module's databases
    monkeypatch.setenv("SNOWFLAKE_DATABASE", settings.snowflake_database)
    monkeypatch.setenv("FLUX_PG_DATABASE", settings.pg_database)
    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        cur.execute("SELECT LOADED_AT FROM GENERATOR_RUNS")
        before = cur.fetchall()
        assert len(before) == 1
        assert main(["--scale", "small", "--seed", str(TEST_SEED), "--if-empty"]) == 0
        cur.execute("SELECT LOADED_AT FROM GENERATOR_RUNS")
        assert cur.fetchall() == before
    finally:
        conn.close()


def test_gen014_bad_arguments_are_refused():
    from zoneinfo import ZoneInfo

    from data.etl.generate import normalize_as_of

    # as_of is UTC on the 15-minute grid, whatever zone it arrives in
    assert normalize_as_of(datetime(2026, 7, 15, 9, 7, tzinfo=ZoneInfo("America/Chicago"))) == datetime(2026, 7, 15, 14, 0)
    with pytest.raises(ValueError):
        generate(scale="huge", seed=1, as_of=datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        generate(scale="small", seed=1, as_of=datetime(2026, 1, 1), ami_meters=0)
    with pytest.raises(SystemExit):
        main(["--scale", "small", "--as-of", "yesterday"])


def _points(wkt: str) -> list[tuple[float, float]]:
    body = wkt[wkt.index("(") + 1 : wkt.rindex(")")]
    return [tuple(float(v) for v in p.split()) for p in body.split(",")]
