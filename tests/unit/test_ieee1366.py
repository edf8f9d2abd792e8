"""IEEE 1366 indices (data/reliability/ieee1366.py) against a small history worked out by hand.

The history: 100 customers served, in three customer groups (transformers) on two circuits.
Days 1-14 of March 2026 (14 days); on days 1-9 one group of 10 customers is out 10 minutes
(daily SAIDI 10 x 10 / 100 = 1 minute); day 10 is a storm: group C, 50 customers, 200 minutes
(daily SAIDI 50 x 200 / 100 = 100); days 11-14 have no interruption. Day 2 also has a 2-minute
momentary interruption of 20 customers (group B).

Fit (zero days left out): ln SAIDI = nine 0s and ln 100 = 4.60517;
alpha = 4.60517 / 10 = 0.460517; beta (n - 1) = 4.60517 / sqrt(10) = 1.456283;
T_MED = exp(0.460517 + 2.5 x 1.456283) = exp(4.101224) = 60.414 minutes: day 10 is the one MED.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from data.reliability import ieee1366 as r

D = [date(2026, 3, d) for d in range(1, 15)]
SERVED = 100


def history() -> list[r.Interruption]:
    rows = []
    for i in range(9):  # group A on days 1-5, group B on days 6-9
        group, circuit = ("A", "SUB-001-C01") if i < 5 else ("B", "SUB-001-C02")
        rows.append(r.Interruption(D[i], 10.0, 10, circuit, "SUB-001", group))
    rows.append(r.Interruption(D[9], 200.0, 50, "SUB-001-C02", "SUB-001", "C"))
    rows.append(r.Interruption(D[1], 2.0, 20, "SUB-001-C02", "SUB-001", "B2"))  # momentary
    return rows


def daily():
    return r.daily_totals(history(), D[0], D[-1])


def test_rel001_daily_saidi_counts_sustained_customer_minutes_per_day_zero_days_included():
    saidi = r.daily_saidi(daily(), SERVED)
    assert len(saidi) == 14
    assert [saidi[d] for d in D[:9]] == [1.0] * 9
    assert saidi[D[9]] == 100.0
    assert [saidi[d] for d in D[10:]] == [0.0] * 4
    # the momentary interruption on day 2 adds nothing to SAIDI
    assert saidi[D[1]] == 1.0


def test_rel002_lognormal_fit_and_threshold_leave_out_zero_days():
    t = r.med_threshold(r.daily_saidi(daily(), SERVED))
    assert t.days == 14 and t.days_used == 10
    assert t.alpha == pytest.approx(0.460517, abs=1e-6)
    assert t.beta == pytest.approx(1.456283, abs=1e-6)
    assert t.t_med == pytest.approx(60.414, abs=1e-3)
    assert (t.window_start, t.window_end) == (D[0], D[-1])


def test_rel003_the_storm_day_is_the_one_major_event_day():
    saidi = r.daily_saidi(daily(), SERVED)
    t = r.med_threshold(saidi)
    assert r.major_event_days(saidi, t.t_med) == [D[9]]
    assert r.major_event_days(saidi, None) == []
    # a day exactly at the threshold is no MED (the standard: "exceeds")
    assert r.major_event_days({D[0]: 5.0}, 5.0) == []


def test_rel004_indices_with_and_without_major_event_days():
    med = [D[9]]
    all_days = r.indices(r.totals_from_interruptions(history(), SERVED, cemi_n=3, celid_t_hours=3))
    # CI = 9 x 10 + 50 = 140; CMI = 9 x 100 + 50 x 200 = 10,900
    assert all_days.saifi == pytest.approx(1.4)
    assert all_days.saidi == pytest.approx(109.0)
    assert all_days.caidi == pytest.approx(10900 / 140)
    assert all_days.maifi == pytest.approx(0.2)
    assert all_days.cemi_n == pytest.approx(0.2)   # A (5) and B (4) exceed 3: 20 customers
    assert all_days.celid_t == pytest.approx(0.5)  # C: 200 min >= 3 h: 50 customers
    day_to_day = r.indices(r.totals_from_interruptions(history(), SERVED, exclude_days=med, cemi_n=3, celid_t_hours=3))
    assert day_to_day.saifi == pytest.approx(0.9)
    assert day_to_day.saidi == pytest.approx(9.0)
    assert day_to_day.caidi == pytest.approx(10.0)
    assert day_to_day.maifi == pytest.approx(0.2)
    assert day_to_day.cemi_n == pytest.approx(0.2)
    assert day_to_day.celid_t == 0.0


def test_rel005_momentary_interruption_counts_in_maifi_not_in_saifi():
    only = [r.Interruption(D[0], 4.9, 30, "SUB-001-C01", "SUB-001", "A")]
    idx = r.indices(r.totals_from_interruptions(only, SERVED))
    assert idx.maifi == pytest.approx(0.3)
    assert idx.saifi == 0.0 and idx.saidi == 0.0 and idx.caidi is None
    # five minutes is sustained
    five = [r.Interruption(D[0], 5.0, 30, "SUB-001-C01", "SUB-001", "A")]
    idx5 = r.indices(r.totals_from_interruptions(five, SERVED))
    assert idx5.saifi == pytest.approx(0.3) and idx5.maifi == 0.0


def test_rel006_cemi_n_and_celid_t_thresholds():
    rows = history()
    assert r.totals_from_interruptions(rows, SERVED, cemi_n=4).cemi_customers == 10   # only A has 5
    assert r.totals_from_interruptions(rows, SERVED, cemi_n=5).cemi_customers == 0
    # 45 minutes: A (50 min) and C; not B (40 min)
    assert r.totals_from_interruptions(rows, SERVED, celid_t_hours=0.75).celid_customers == 60


def test_rel007_circuits_roll_up_to_substation_and_rank_worst_first():
    med = [D[9]]
    served = {"SUB-001-C01": 40, "SUB-001-C02": 60}
    circuits = []
    for cid, n in served.items():
        mine = [x for x in history() if x.circuit_id == cid]
        circuits.append(r.AreaTotals(cid, r.totals_from_interruptions(mine, n),
                                     r.totals_from_interruptions(mine, n, exclude_days=med), "SUB-001"))
    subs = r.roll_up(circuits)
    sub = r.indices(subs["SUB-001"].all)
    assert sub.customers_served == 100 and sub.saidi == pytest.approx(109.0)
    # day to day: C01 5 x 100 / 40 = 12.5 min; C02 4 x 100 / 60 = 6.67 min
    worst = r.worst_circuits(circuits, by="saidi", limit=5)
    assert [w["circuit_id"] for w in worst] == ["SUB-001-C01", "SUB-001-C02"]
    assert worst[0]["value"] == pytest.approx(12.5)
    # all days, C02 carries the storm: (400 + 10,000) / 60 = 173.3
    worst_all = r.worst_circuits(circuits, by="saidi", excluding_med=False, limit=1)
    assert worst_all[0]["circuit_id"] == "SUB-001-C02" and worst_all[0]["value"] == pytest.approx(173.3333, abs=1e-3)
    with pytest.raises(ValueError):
        r.worst_circuits(circuits, by="nope")


def test_rel008_monthly_trend_sums_days_and_leaves_out_med_days():
    days = r.daily_totals(history(), date(2026, 2, 27), D[-1])
    trend = r.monthly_trend(days, SERVED, [D[9]])
    assert [m["month"] for m in trend] == ["2026-02", "2026-03"]
    feb, mar = trend
    assert feb["all"]["saidi"] == 0.0 and feb["days"] == 2
    assert mar["major_event_days"] == 1 and mar["days"] == 14
    assert mar["all"]["saidi"] == pytest.approx(109.0) and mar["excluding_med"]["saidi"] == pytest.approx(9.0)
    assert mar["all"]["maifi"] == pytest.approx(0.2)


def test_rel009_fill_days_and_threshold_window():
    filled = r.fill_days([r.DayTotals(D[2], 1, 2, 3)], D[0], D[4])
    assert [d.day for d in filled] == D[:5] and filled[2].cmi == 2 and filled[0].cmi == 0
    # five years before the period, or less when the history is shorter
    assert r.med_window(date(2026, 1, 1), date(2019, 1, 1)) == (date(2021, 1, 1), date(2025, 12, 31))
    assert r.med_window(date(2026, 1, 1), date(2023, 6, 1)) == (date(2023, 6, 1), date(2025, 12, 31))
    # fewer than two days with interruptions: no threshold, no MEDs
    t = r.med_threshold({D[0]: 0.0, D[1]: 3.0})
    assert t.t_med is None and t.days_used == 1
    assert math.isclose(r.med_threshold({D[0]: 1.0, D[1]: 1.0}).t_med, 1.0)
