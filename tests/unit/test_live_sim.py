"""The live feed's pure parts: the load shape of readings, the outage lifecycle state machine,
the simulator's delivery spread and counts, and the ordered spill queue."""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pytest

from data.etl.live.delivery import AMI_TABLE, ChecksumMismatch, DeliveryQueue, make_batch
from data.etl.live.model import StormTrack, interval_readings
from data.etl.live.network import Crew, Network
from data.etl.live.outages import PHASES, Changes, OutageBook
from data.etl.live.sim import Emission, SimConfig, Simulator
from data.etl.synth.common import stream

# 2026-07-15 00:00 UTC = 19:00 Houston (CDT) on the 14th
T0 = int((datetime(2026, 7, 15) - datetime(1970, 1, 1)).total_seconds())


def small_network(meters_per_xfmr: int = 5) -> Network:
    """One circuit: a trunk S0 -> S1 -> S2 with a lateral S1 -> S3; one transformer per segment."""
    n_x = 4
    m_x = np.repeat(np.arange(n_x), meters_per_xfmr)
    m = len(m_x)
    return Network(
        meter_ids=[f"MTR-{i:04d}" for i in range(m)], meter_xfmr=m_x, meter_kind=np.zeros(m, dtype=np.int64),
        meter_peak_kw=np.full(m, 5.0), meter_real=np.ones(m, dtype=bool),
        xfmr_ids=[f"XFMR-{i}" for i in range(n_x)], xfmr_segment=np.arange(n_x),
        xfmr_circuit=np.zeros(n_x, dtype=np.int64), xfmr_lat=np.array([29.70, 29.71, 29.72, 29.73]),
        xfmr_lon=np.array([-95.40, -95.41, -95.42, -95.43]), xfmr_county=["Harris"] * n_x,
        seg_ids=["S0", "S1", "S2", "S3"], seg_circuit=np.zeros(4, dtype=np.int64), seg_children=[[1], [2, 3], [], []],
        circuit_ids=["SUB-001-C01"], circuit_sub=["SUB-001"], circuit_rated_mva=np.array([5.0]),
        circuit_health=np.array([90.0]), circuit_load_mw=np.array([0.05]),
        crews=[Crew("CREW-001", "Line Crew 01", "line", "available", 29.80, -95.44),
               Crew("CREW-002", "Line Crew 02", "line", "off_shift", 29.70, -95.40)],
        last_weather=(datetime(2026, 7, 14, 23), 88.0, 60.0, 8.0),
    )


# -- load shape ----------------------------------------------------------------------------------
def test_live001_residential_load_peaks_in_the_evening_and_rises_with_heat():
    rng = stream(1, "t")
    peak, kind = np.full(2000, 5.0), np.zeros(2000, dtype=np.int64)
    day = int((datetime(2026, 7, 15, 9) - datetime(1970, 1, 1)).total_seconds())  # 04:00 local
    evening = int((datetime(2026, 7, 15, 23) - datetime(1970, 1, 1)).total_seconds())  # 18:00 local
    night_use = interval_readings(peak, kind, day, 80.0, rng)[0].mean()
    evening_use = interval_readings(peak, kind, evening, 80.0, rng)[0].mean()
    hot_use = interval_readings(peak, kind, evening, 100.0, rng)[0].mean()
    assert evening_use > 2 * night_use
    assert hot_use > 1.2 * evening_use


def test_live002_voltage_sags_and_power_factor_stays_bounded():
    rng = stream(2, "t")
    usage, voltage, pf = interval_readings(np.full(500, 5.0), np.zeros(500, dtype=np.int64), T0, 95.0, rng)
    assert (usage > 0).all()
    assert 220 < voltage.mean() < 250
    assert ((pf >= 0.7) & (pf <= 1.0)).all()


# -- outage lifecycle --------------------------------------------------------------------------
def test_live003_segment_outage_takes_out_exactly_the_meters_downstream():
    net = small_network()
    book = OutageBook(net, stream(3, "o"), now=T0)
    ch = Changes()
    o = book.start(T0, "feeder_segment", 1, "vegetation", changes=ch)
    # S1 feeds S2 and S3 as well: transformers 1, 2, 3, not 0
    expected = set(np.flatnonzero(np.isin(net.meter_xfmr, [1, 2, 3])).tolist())
    assert set(o.meters_out().tolist()) == expected
    assert o.customers == len(expected) and o.transformers == 3
    assert set(ch.dark[0][0].tolist()) == expected


def test_live004_lifecycle_runs_in_order_and_frees_the_crew():
    net = small_network()
    book = OutageBook(net, stream(4, "o"), now=T0)
    o = book.start(T0, "transformer", 2, "animal")
    etrs, lit, t = [o.etr], [], T0
    while o.phase != "restored":
        t += 60
        ch = book.step(t)
        book.moving(t, ch)
        lit += [m for m, _, _ in ch.lit]
        if o.outage_id in ch.outages:
            etrs.append(o.etr)
        assert t < T0 + 3 * 86400, "the outage never ended"
    phases = [p for _, p in o.history]
    assert phases[0] == "reported" and phases[-1] == "restored"
    assert [PHASES.index(p) for p in phases] == sorted(PHASES.index(p) for p in phases)
    assert {"en_route", "on_site"} <= set(phases)
    assert o.crew.crew_id == "CREW-001"  # the only crew on shift
    assert o.crew.status == "available" and o.crew.work_order_id is None
    assert (o.crew.lat, o.crew.lon) == (o.lat, o.lon)  # it drove there
    assert o.end >= o.arrive_at > o.depart_at >= o.start
    assert len(set(etrs)) > 2, "the ETR was never revised"
    assert sorted(np.concatenate(lit).tolist()) == sorted(net.meters_on(np.array([2])).tolist())
    assert not book.active and book.restored == [o]


def test_live005_no_crew_free_keeps_the_outage_reported():
    net = small_network()
    for c in net.crews:
        c.status = "off_shift"
    book = OutageBook(net, stream(5, "o"), now=T0)
    o = book.start(T0, "transformer", 0, "animal")
    book.step(T0 + 3 * 3600)
    assert o.phase == "reported" and o.crew is None


def test_live006_crew_moves_toward_the_outage_at_road_speed():
    net = small_network()
    book = OutageBook(net, stream(6, "o"), now=T0)
    o = book.start(T0, "transformer", 3, "equipment_failure")
    book.step(o.next_at)
    assert o.phase == "en_route"
    d = []
    for t in np.linspace(o.depart_at, o.arrive_at, 5):
        lat, lon = book.crew_position(o, t)
        d.append(np.hypot(lat - o.lat, lon - o.lon))
    assert all(a > b for a, b in zip(d, d[1:])) and d[-1] == pytest.approx(0)
    km = 111 * np.hypot(o.depart_from[0] - o.lat, (o.depart_from[1] - o.lon) * np.cos(np.radians(o.lat)))
    assert (o.arrive_at - o.depart_at) >= km / 60 * 3600  # no faster than 60 km/h in a straight line


def test_live007_an_overlapping_outage_is_not_started():
    net = small_network()
    book = OutageBook(net, stream(7, "o"), now=T0)
    assert book.start(T0, "transformer", 2, "animal") is not None
    assert book.start(T0 + 10, "feeder_segment", 1, "weather") is None  # S1 feeds transformer 2


def test_live008_storm_wind_is_strongest_at_the_eye_and_only_while_it_lasts():
    storm = StormTrack(T0, T0 + 6 * 3600, (29.5, -95.8), (30.1, -95.0))
    lat, lon = np.array([29.8, 29.8]), np.array([-95.4, -94.5])
    w = storm.wind_at(T0 + 3 * 3600, lat, lon)
    assert w[0] > 50 and w[1] < w[0] / 5
    assert storm.wind_at(T0 + 7 * 3600, lat, lon).max() == 0


# -- the simulator -------------------------------------------------------------------------------
def test_live009_every_meter_reads_once_per_interval_spread_over_it():
    net = small_network(meters_per_xfmr=250)
    sim = Simulator(net, T0 + 1, SimConfig(seed=9, outage_rate_per_hour=0, late_share=0, duplicate_share=0))
    per_minute = []
    for k in range(1, 2 * 15 + 1):
        em = sim.advance(T0 + 1 + 60 * k)
        per_minute.append(em.ami_rows)
    # the interval ending T0+900 is read over [T0+900, T0+1800): every meter once
    second = sum(per_minute[15:30])
    assert second == net.meters
    expected = net.meters / 15
    assert min(per_minute[15:30]) > 0.6 * expected and max(per_minute[15:30]) < 1.4 * expected
    assert sim.counts["readings_unique"] == sim.counts["readings_rows"]


def test_live010_late_and_repeated_deliveries_are_counted_apart():
    net = small_network(meters_per_xfmr=250)
    sim = Simulator(net, T0 + 1, SimConfig(seed=10, outage_rate_per_hour=0, late_share=0.05, duplicate_share=0.05))
    keys = []
    for k in range(1, 4 * 15 * 4):
        em = sim.advance(T0 + 1 + 60 * k)
        for t in em.ami:
            keys += list(zip(t.column("METER_ID").to_pylist(), t.column("READING_TIME").to_pylist()))
    assert sim.counts["readings_rows"] == len(keys)
    assert sim.counts["readings_unique"] == len(set(keys)) < len(keys)


def test_live011_meters_behind_an_outage_stay_silent_and_send_last_gasps():
    net = small_network(meters_per_xfmr=50)
    sim = Simulator(net, T0 + 1, SimConfig(seed=11, outage_rate_per_hour=0, late_share=0, duplicate_share=0))
    sim.advance(T0 + 1800)
    ch = Changes()
    o = sim.book.start(T0 + 1800, "transformer", 1, "animal", changes=ch)
    sim._apply(ch, Emission())
    out_ids = {net.meter_ids[m] for m in o.meters_out()}
    events, readings = [], []
    t = T0 + 1800
    while t < o.next_at - 60:
        t += 30
        em = sim.advance(t)
        events += em.rows.get("METER_EVENTS", [])
        for tb in em.ami:
            readings += tb.column("METER_ID").to_pylist()
    assert readings and not out_ids & set(readings)
    gasps = {e[1] for e in events if e[4] == "last_gasp"}
    assert gasps <= out_ids and len(gasps) >= 0.7 * len(out_ids)


# -- the delivery queue ------------------------------------------------------------------------------
def _ami_batch(seq: int, n: int = 10):
    import pyarrow as pa

    from data.etl.live.sim import AMI_SCHEMA

    t = pa.table([pa.array([f"M{seq}-{i}" for i in range(n)]), pa.array(["X"] * n),
                  pa.array([T0 * 1_000_000] * n, type=pa.timestamp("us")), pa.array([1.0] * n),
                  pa.array([240.0] * n), pa.array([0.95] * n)], schema=AMI_SCHEMA)
    return make_batch(seq, "run", AMI_TABLE, t, time.time())


def test_live012_queue_spills_past_its_bound_and_keeps_order(tmp_path):
    q = DeliveryQueue(tmp_path, max_memory_rows=25)
    for seq in range(1, 6):
        q.put(_ami_batch(seq))
    assert q.stats()["spilled_batches"] == 3  # 2 x 10 rows fit in memory; the rest went to disk
    seen = []
    while (b := q.peek(0.01)) is not None:
        seen.append((b.seq, b.ami().column("METER_ID")[0].as_py()))
        q.done(b)
    assert seen == [(s, f"M{s}-0") for s in range(1, 6)]
    assert not list(tmp_path.glob("*.batch"))


def test_live013_spilled_batches_survive_a_restart_in_order(tmp_path):
    q = DeliveryQueue(tmp_path, max_memory_rows=1000)
    for seq in range(1, 4):
        q.put(_ami_batch(seq))
    assert q.spill_all() == 3
    again = DeliveryQueue(tmp_path, max_memory_rows=1000)
    assert again.next_seq == 4
    b = again.peek(0.01)
    assert b.seq == 1 and b.replayed and b.rows == 10


def test_live014_a_corrupted_spill_file_is_detected(tmp_path):
    q = DeliveryQueue(tmp_path, max_memory_rows=1000)
    q.put(_ami_batch(1))
    q.spill_all()
    path = next(tmp_path.glob("*.batch"))
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch):
        DeliveryQueue(tmp_path, max_memory_rows=1000).peek(0.01)


def test_live015_keyed_rows_keep_the_latest_state_per_key():
    b = make_batch(1, "run", "OUTAGE_EVENTS", [["OUT-1", "reported"], ["OUT-2", "reported"], ["OUT-1", "en_route"]], 0.0)
    assert b.json_rows() == [["OUT-1", "en_route"], ["OUT-2", "reported"]] and b.rows == 2



def test_live016_status_line_shows_rate_lag_and_a_silent_feed():
    from data.etl.live.status import describe

    beat = {"feed": "live", "beat_at": datetime(2026, 7, 15, 12, 0, 0), "status": "running", "rows_per_s": 3012.4,
            "lag_s": 1.24, "meters": 2_700_000, "speed": 1.0, "active_outages": 3, "spilled_batches": 0}
    line = describe(beat, now=datetime(2026, 7, 15, 12, 0, 4))
    assert "running" in line and "3,012 rows/s" in line and "lag 1.2 s" in line and "beat 4 s ago" in line
    assert "silent" in describe(beat, now=datetime(2026, 7, 15, 12, 5, 0))


def test_live017_settings_bound_the_batch_period_to_five_seconds():
    from pydantic import ValidationError

    from settings import Settings

    assert Settings(_env_file=None).live_feed is True
    with pytest.raises(ValidationError):
        Settings(_env_file=None, live_batch_s=6)


def test_live018_a_storm_raises_outage_rates_along_its_track():
    rates = {}
    for scenario in ("calm", "storm"):
        net = small_network(meters_per_xfmr=3)
        sim = Simulator(net, T0 + 1, SimConfig(seed=18, scenario=scenario, outage_rate_per_hour=0.1, storm_hours=3))
        mid = int(T0 + 600 + 1.5 * 3600)
        rate, weights, wind = sim.outage_weights(mid)
        rates[scenario] = rate
        if scenario == "storm":
            assert wind.max() > 40 and weights.max() > 10
            assert sim.outage_weights(int(T0 + 5 * 3600))[0] < rate / 5  # after it has passed
            sim.advance(mid)
            assert max(h[3] for h in sim.weather.hours.values()) > 40  # the hourly weather feels it
    assert rates["storm"] > 10 * rates["calm"]


def test_live019_an_outage_open_at_the_start_is_taken_over_and_restored():
    net = small_network(meters_per_xfmr=20)
    net.open_outages = [("OUT-000007", "XFMR-3", "animal", datetime(2026, 7, 14, 22), 17, 1, None, "WO-0000009",
                         "transformer", "XFMR-3")]
    sim = Simulator(net, T0 + 1, SimConfig(seed=19, outage_rate_per_hour=0, late_share=0, duplicate_share=0))
    dark = set(net.meter_ids[m] for m in net.meters_on(np.array([3])))
    rows, readings = [], []
    for k in range(1, 12 * 6):
        em = sim.advance(T0 + 1 + 600 * k)
        rows += em.rows.get("OUTAGE_EVENTS", [])
        for t in em.ami:
            readings += t.column("METER_ID").to_pylist()
        if not sim.book.active:
            break
    last = [r for r in rows if r[0] == "OUT-000007"][-1]
    assert last[15] == "restored" and last[8] is not None and last[10] == 17  # the count operators saw
    assert sim.counts["outages_started"] == 0 and (sim.dark == 0).all()
    before_restore = readings[: len(readings) // 2]
    assert not dark & set(before_restore)
