"""The IEEE 1366 reliability report, composed from the warehouse's sums of OUTAGE_HISTORY
(data/read/queries/warehouse/reliability_*.sql) by data/reliability/ieee1366.py.

The reporting period is a calendar year, or by default the 365 days that end on the history's
last day. The major event day threshold is fitted on the five years before the period (fewer
when the history is shorter: the report gives the window it used), and applied to the system's
days: a major event day is left out of every circuit's day-to-day figures, as the standard does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from data.read.models import StoreResult
from data.reliability import ieee1366 as r

TRAILING_DAYS = 365
WORST_LIMIT = 10


def period_for(first_day: date, last_day: date, year: int | None) -> tuple[date, date] | None:
    """[start, end] of the reporting period inside the history, or None when it holds none of it."""
    if year is None:
        start, end = last_day - timedelta(days=TRAILING_DAYS - 1), last_day
    else:
        start, end = date(year, 1, 1), date(year, 12, 31)
    start, end = max(start, first_day), min(end, last_day)
    return (start, end) if start <= end else None


def _days(rows: list[dict]) -> list[r.DayTotals]:
    return [r.DayTotals(row["day"], row["ci"] or 0.0, row["cmi"] or 0.0, row["mi"] or 0.0) for row in rows]


def _area(row: dict) -> r.AreaTotals:
    def totals(suffix: str) -> r.Totals:
        return r.Totals(int(row["customers_served"]), row[f"ci_{suffix}"], row[f"cmi_{suffix}"], row[f"mi_{suffix}"],
                        row[f"cemi_{suffix}"], row[f"celid_{suffix}"])

    return r.AreaTotals(row["circuit_id"], totals("all"), totals("ex"), row["substation_id"])


@dataclass(frozen=True)
class SystemDays:
    """The system's days for a period: what the threshold, the MEDs and the system's SAIFI,
    SAIDI, CAIDI and MAIFI need (no per-circuit sums)."""

    first: date
    last: date
    served: int
    start: date
    end: date
    threshold: r.Threshold
    period_days: list[r.DayTotals]
    saidi: dict[date, float]
    meds: list[date]


def system_days(store, *, year: int | None) -> tuple[SystemDays | None, Any]:
    span = store.reliability_span(circuit_id=None)
    head = span.data[0] if span.data else {}
    first, last, served = head.get("first_day"), head.get("last_day"), int(head.get("customers_served") or 0)
    period = period_for(first, last, year) if first is not None and served > 0 else None
    if period is None:
        return None, span.freshness
    start, end = period
    win_start, win_end = r.med_window(start, first)
    daily = _days(store.reliability_daily(from_date=min(win_start, start), to_date=end, circuit_id=None).data)
    window = r.fill_days([d for d in daily if d.day < start], win_start, win_end) if win_start <= win_end else []
    threshold = r.med_threshold(r.daily_saidi(window, served)) if window else r.med_threshold({})
    period_days = r.fill_days([d for d in daily if d.day >= start], start, end)
    saidi = r.daily_saidi(period_days, served)
    meds = r.major_event_days(saidi, threshold.t_med)
    return SystemDays(first, last, served, start, end, threshold, period_days, saidi, meds), span.freshness


def system_summary(store) -> StoreResult[dict | None]:
    """The header's figures: the system's SAIFI, SAIDI and CAIDI day to day and all-in over the
    trailing year, from the daily sums alone (two cheap reads, not the per-circuit one)."""
    days, freshness = system_days(store, year=None)
    if days is None:
        return StoreResult(None, freshness)
    meds = set(days.meds)

    def totals(skip: set) -> r.Indices:
        kept = [d for d in days.period_days if d.day not in skip]
        return r.indices(r.Totals(days.served, sum(d.ci for d in kept), sum(d.cmi for d in kept), sum(d.mi for d in kept)))

    return StoreResult({"period_end": days.end.isoformat(), "major_event_days": len(meds),
                        "excluding_med": totals(meds).as_dict(), "all": totals(set()).as_dict()}, freshness)


def system_report(store, *, year: int | None, cemi_n: int, celid_t_hours: int) -> StoreResult[dict | None]:
    days, freshness = system_days(store, year=year)
    if days is None:
        return StoreResult(None, freshness)
    first, last, served, start, end = days.first, days.last, days.served, days.start, days.end
    threshold, period_days, saidi, meds = days.threshold, days.period_days, days.saidi, days.meds
    circuit_rows = store.reliability_circuits(
        from_date=start, to_date=end, circuit_id=None, med_days=",".join(d.isoformat() for d in meds) or None,
        cemi_n=cemi_n, celid_minutes=celid_t_hours * 60,
    ).data
    circuits = [_area(row) for row in circuit_rows]
    circuit_reports = [{"circuit_id": c.area_id, **c.report()} for c in circuits]
    subs = r.roll_up(circuits)
    system = r.roll_up([r.AreaTotals(c.area_id, c.all, c.excluding_med, "system") for c in circuits]).get("system")
    report: dict[str, Any] = {
        "standard": "IEEE 1366-2012",
        "period": {"start": start.isoformat(), "end": end.isoformat(), "days": (end - start).days + 1,
                   "year": year, "history_start": first.isoformat(), "history_end": last.isoformat()},
        "parameters": {"cemi_n": cemi_n, "celid_t_hours": celid_t_hours,
                       "momentary_minutes": r.MOMENTARY_MINUTES, "beta_multiplier": r.BETA_MULTIPLIER},
        "threshold": {**threshold.as_dict(), "years_wanted": r.MED_WINDOW_YEARS,
                      "t_med": None if threshold.t_med is None else round(threshold.t_med, 4)},
        "major_event_days": [{"date": d.isoformat(), "saidi": round(saidi[d], 4)} for d in meds],
        "system": {"customers_served": served, **_indices_pair(system, served)},
        "substations": [{"substation_id": sid, **a.report()} for sid, a in subs.items()],
        "circuits": circuit_reports,
        "worst_circuits": worst_from_report({"circuits": circuit_reports}, by="saidi", basis="excluding_med",
                                            limit=WORST_LIMIT),
        "monthly": r.monthly_trend(period_days, served, meds),
    }
    return StoreResult(report, freshness)


def _indices_pair(system: r.AreaTotals | None, served: int) -> dict:
    if system is None:
        empty = r.Totals(served)
        system = r.AreaTotals("system", empty, empty)
    # the system's customers are those served, whether or not their circuit is in CIRCUITS
    fix = lambda t: r.Totals(served, t.ci, t.cmi, t.mi, t.cemi_customers, t.celid_customers)  # noqa: E731
    return {"all": r.indices(fix(system.all)).as_dict(), "excluding_med": r.indices(fix(system.excluding_med)).as_dict()}


def circuit_report(store, system: dict, circuit_id: str) -> StoreResult[dict | None]:
    """One circuit over the system report's period, with the system's major event days."""
    start, end = date.fromisoformat(system["period"]["start"]), date.fromisoformat(system["period"]["end"])
    meds = [date.fromisoformat(m["date"]) for m in system["major_event_days"]]
    row = next((c for c in system["circuits"] if c["circuit_id"] == circuit_id), None)
    if row is None:
        return StoreResult(None, None)
    daily = store.reliability_daily(from_date=start, to_date=end, circuit_id=circuit_id)
    days = r.fill_days(_days(daily.data), start, end)
    rank = next((w["rank"] for w in r.worst_circuits(
        [_area_from_report(c) for c in system["circuits"]], by="saidi", limit=len(system["circuits"]))
        if w["circuit_id"] == circuit_id), None)
    return StoreResult({
        "circuit_id": circuit_id,
        "period": system["period"],
        "parameters": system["parameters"],
        "threshold": system["threshold"],
        "major_event_days": system["major_event_days"],
        "saidi_rank": rank,
        "circuits_ranked": len(system["circuits"]),
        **row,
        "monthly": r.monthly_trend(days, row["customers_served"], meds),
    }, daily.freshness)


def _area_from_report(c: dict) -> r.AreaTotals:
    def totals(part: dict) -> r.Totals:
        return r.Totals(c["customers_served"], part["customer_interruptions"], part["customer_minutes"],
                        part["momentary_interruptions"])

    return r.AreaTotals(c["circuit_id"], totals(c["all"]), totals(c["excluding_med"]), c.get("substation_id"))


def worst_from_report(report: dict, *, by: str, basis: str, limit: int) -> list[dict]:
    """The ``limit`` worst circuits of a report by one index, worst first (circuits whose index is
    undefined, e.g. CAIDI with no interruption, are left out)."""
    rows = [c for c in report["circuits"] if c[basis][by] is not None]
    rows.sort(key=lambda c: (-c[basis][by], c["circuit_id"]))
    return [{"rank": i + 1, "circuit_id": c["circuit_id"], "substation_id": c["substation_id"], "by": by,
             "basis": basis, "value": c[basis][by], "customers_served": c["customers_served"],
             "all": c["all"], "excluding_med": c["excluding_med"]} for i, c in enumerate(rows[:limit])]


CSV_COLUMNS = ("level", "id", "substation_id", "customers_served", "basis", "saifi", "saidi", "caidi", "maifi",
               "cemi_n", "celid_t", "customer_interruptions", "customer_minutes", "momentary_interruptions")


def report_csv_rows(report: dict) -> list[list[Any]]:
    """The report as CSV rows: the system, each substation, each circuit; all days and day to day."""
    rows: list[list[Any]] = [list(CSV_COLUMNS)]

    def add(level: str, area_id: str, sub: str | None, served: int, pair: dict) -> None:
        for basis in ("all", "excluding_med"):
            idx = pair[basis]
            rows.append([level, area_id, sub or "", served, basis, *(_cell(idx[k]) for k in CSV_COLUMNS[5:])])

    add("system", "system", None, report["system"]["customers_served"], report["system"])
    for s in report["substations"]:
        add("substation", s["substation_id"], s["substation_id"], s["customers_served"], s)
    for c in report["circuits"]:
        add("circuit", c["circuit_id"], c.get("substation_id"), c["customers_served"], c)
    return rows


def _cell(v: Any) -> Any:
    return "" if v is None else v


# -- storm playback ------------------------------------------------------------------------------
def _epoch(dt) -> int:
    return int(dt.timestamp())


def playback_events(store, storm: dict) -> StoreResult[dict]:
    start, end = storm["start_time"], storm["end_time"]
    rows = store.playback_interruptions(from_time=start.replace(tzinfo=None), to_time=end.replace(tzinfo=None))
    events = [{"interruption_id": e["interruption_id"], "start": _epoch(e["start_time"]), "end": _epoch(e["end_time"]),
               "customers": e["customers"], "transformers": e["transformers"], "circuit_id": e["circuit_id"],
               "device": e["device"], "cause": e["cause"], "storm_id": e["storm_id"],
               "latitude": e["latitude"], "longitude": e["longitude"]} for e in rows.data]
    roster = store.playback_crew_roster().data
    data = {"storm": storm, "start": _epoch(start), "end": _epoch(end), "events": events,
            "crew_roster": int(roster[0]["crews"] or 0) if roster else 0}
    data["timeline"] = _timeline(data)  # once per storm: every frame reads it from the cache
    return StoreResult(data, rows.freshness)


def _timeline(data: dict) -> dict:
    from data.reliability import playback

    tl = playback.timeline(data["start"], data["end"])
    curve = playback.Curve(data["events"])
    crews = playback.Crews(data["events"], data["crew_roster"])
    times = [tl.at(i) for i in range(tl.frames)]
    return {
        "start": tl.start, "step_s": tl.step_s, "frames": tl.frames, "times": times,
        "customers_out": [curve.customers_out(t) for t in times],
        "outages_out": [curve.outages_out(t) for t in times],
        "restored_per_hour": [curve.restored_per_hour(t) for t in times],
        "crews_needed": [crews.needed(t) for t in times],
        "crews_at_work": [crews.at_work(t) for t in times],
    }


def _iso(epoch_s: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch_s, timezone.utc).isoformat()


def playback_timeline(data: dict) -> dict:
    """Every frame's time, customers out, outages under way, customers restored in the hour, and
    the crews at work (derived: data/reliability/playback.py, Crews) out of the roster."""
    from data.reliability import playback

    tl = data["timeline"]
    return {
        "storm": data["storm"],
        "start": _iso(tl["start"]), "step_minutes": tl["step_s"] // 60, "frames": tl["frames"],
        "times": [_iso(t) for t in tl["times"]],
        "customers_out": tl["customers_out"], "outages_out": tl["outages_out"],
        "restored_per_hour": tl["restored_per_hour"],
        "crew_roster": data["crew_roster"], "dispatch_delay_minutes": playback.DISPATCH_DELAY_MINUTES,
        "crews_at_work": tl["crews_at_work"], "crews_needed": tl["crews_needed"],
    }


def playback_frame(data: dict, frame: int) -> dict:
    """One moment of a storm: the interruptions under way, and the curve's values there."""
    from data.reliability import playback

    tl = data["timeline"]
    frame = min(max(frame, 0), tl["frames"] - 1)
    t = tl["times"][frame]
    active = playback.active_at(data["events"], t)
    return {
        "storm_id": data["storm"]["storm_id"], "frame": frame, "frames": tl["frames"], "at": _iso(t),
        "customers_out": tl["customers_out"][frame], "outages_out": len(active),
        "restored_per_hour": tl["restored_per_hour"][frame],
        "crew_roster": data["crew_roster"], "crews_at_work": tl["crews_at_work"][frame],
        "crews_needed": tl["crews_needed"][frame],
        "outages": [{"interruption_id": e["interruption_id"], "latitude": e["latitude"], "longitude": e["longitude"],
                     "customers": e["customers"], "circuit_id": e["circuit_id"], "device": e["device"],
                     "cause": e["cause"], "storm_id": e["storm_id"], "started_at": _iso(e["start"]),
                     "restored_at": _iso(e["end"])} for e in active],
    }
