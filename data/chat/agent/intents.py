"""What the local agent can answer: one intent per verified query of the semantic model.

Each intent says which concepts select it, which literal fragments of the verified query's SQL
become bound parameters, which store runs it, how to chart the result and how to word the
answer from the actual rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Literal

Row = dict[str, Any]


@dataclass(frozen=True)
class Chart:
    mark: Literal["bar", "line"]
    x: str
    y: str
    color: str | None = None
    x_type: Literal["nominal", "ordinal", "temporal", "quantitative"] = "nominal"
    top: int = 25  # bars drawn at most


@dataclass(frozen=True)
class Context:
    params: dict[str, Any]
    labels: dict[str, str]  # human wording of the parameters ("yesterday (2026-07-14)")
    truncated: bool


@dataclass(frozen=True)
class Intent:
    name: str  # the verified query's name
    title: str
    all_of: tuple[tuple[str, ...], ...]
    answer: Callable[[list[Row], Context], str]
    boost: tuple[str, ...] = ()
    penalty: tuple[str, ...] = ()
    binds: dict[str, str] = field(default_factory=dict)  # verified-query fragment -> bound fragment
    store: Literal["warehouse", "postgres"] = "warehouse"
    needs: tuple[str, ...] = ()  # parameters without which the question cannot be answered
    threshold_default: float | None = None
    date_default: Literal["yesterday", "this_month"] | None = None
    optional_ids: tuple[str, ...] = ()  # ids passed as NULL when the question names none
    refinements: tuple[str, ...] = ()  # narrowing parameters a follow-up may add (NULL otherwise)
    chart: Chart | None = None


# -- wording helpers --------------------------------------------------------------------------
def n(x: Any) -> str:
    return f"{int(round(float(x or 0))):,}"


def f1(x: Any) -> str:
    return f"{float(x or 0):,.1f}"


def f2(x: Any) -> str:
    return f"{float(x or 0):,.2f}"


def pl(count: Any, word: str, plural: str | None = None) -> str:
    """'1 outage', '3 outages' (the number formatted like n())."""
    return f"{n(count)} {word if int(round(float(count or 0))) == 1 else (plural or word + 's')}"


def are(count: Any) -> str:
    return "is" if int(round(float(count or 0))) == 1 else "are"


def _more(rows: list[Row], ctx: Context) -> str:
    return " (the table shows the first rows only)" if ctx.truncated else ""


def _total(rows: list[Row], key: str) -> float:
    return sum(float(r.get(key) or 0) for r in rows)


def a_overload(rows, ctx):
    t = ctx.labels["threshold"]
    if not rows:
        return f"No transformer is above {t} of its rating in the latest hour of data."
    top = rows[0]
    return (f"{pl(len(rows), 'transformer')} {are(len(rows))} above {t} of their rating in the latest hour. "
            f"The worst is {top['transformer_id']} on {top['circuit_id']} at {f1(top['load_factor_pct'])}% "
            f"({f1(top['load_kw'])} kW on {f1(top['rated_kva'])} kVA){_more(rows, ctx)}.")


def a_baseline(rows, ctx):
    if not rows:
        return "No transformer's last 24 hours are more than 20% above its historical average loading."
    top = rows[0]
    return (f"{n(len(rows))} transformers ran more than 20% above their historical baseline over the last 24 hours. "
            f"{top['transformer_id']} leads: {f1(top['recent_pct'])}% against a baseline of "
            f"{f1(top['baseline_pct'])}% (+{f1(top['above_baseline_pts'])} points){_more(rows, ctx)}.")


def a_wind(rows, ctx):
    t = ctx.labels["threshold"]
    if not rows:
        return f"No outage started during an hour with sustained wind of {t} or more."
    top = rows[0]
    return (f"{pl(len(rows), 'outage')} started with sustained wind of {t} or more, affecting "
            f"{n(_total(rows, 'affected_customers_count'))} customers. The windiest was {top['outage_id']} "
            f"({top['cause']}) at {f1(top['wind_speed_mph'])} mph{_more(rows, ctx)}.")


def a_storm(rows, ctx):
    if not rows:
        return "No restored outage is linked to a storm in the data."
    top = rows[0]
    return (f"Across {n(_total(rows, 'outages'))} storm outages, the slowest restorations were "
            f"{top['event_type']} outages in {top['county']} county: {f1(top['avg_restoration_minutes'])} minutes "
            f"on average over {n(top['outages'])} outages.")


def a_storm_curve(rows, ctx):
    if not rows:
        return "There is no storm in the interruption history."
    first, last = rows[0], rows[-1]
    peak = max(rows, key=lambda r: float(r["customers_out"] or 0))
    began = _ts(first["storm_start"])
    text = (f"The last storm, {first['storm_id']} ({str(first['storm_type']).replace('_', ' ')}), began "
            f"{began:%Y-%m-%d %H:%M} UTC and its last customer was back by {_ts(last['hour']):%Y-%m-%d %H:%M} UTC. "
            f"It interrupted {n(first['customers_interrupted'])} customers; customers out peaked at "
            f"{n(peak['customers_out'])} at {_ts(peak['hour']):%Y-%m-%d %H:%M}.")
    ninety = next((r for r in rows if float(r["restored_pct"] or 0) >= 90), None)
    if ninety is not None:
        hours = (_ts(ninety["hour"]) - began).total_seconds() / 3600
        text += f" 90% of them were restored within {f1(hours)} hours (by {_ts(ninety['hour']):%Y-%m-%d %H:%M})."
    return text + f" The chart shows the customers out hour by hour{_more(rows, ctx)}."


def _ts(v: Any) -> datetime:
    return v.replace(tzinfo=None) if isinstance(v, datetime) else datetime.fromisoformat(str(v))


def a_customer_history(rows, ctx):
    who = ctx.labels["customer"]
    if not rows:
        return f"{who} has no outage on record."
    mins = _total(rows, "duration_minutes")
    last = rows[0]
    return (f"{who} was affected by {pl(len(rows), 'outage')}, {f1(mins)} minutes without power in total. "
            f"The latest, {last['outage_id']}, began {str(last['start_time'])[:16]} ({last['cause']}).")


def a_meters(rows, ctx):
    xf = ctx.params["transformer_id"]
    if not rows:
        return f"No meter is connected to {xf}, or {xf} does not exist."
    r = rows[0]
    return (f"{pl(len(rows), 'meter')} {are(len(rows))} connected to {xf}, on circuit {r['circuit_id']} of substation "
            f"{r['substation_id']} ({r.get('substation_name') or 'unnamed'}), near "
            f"{f2(r['latitude'])}, {f2(r['longitude'])}.")


def a_summer(rows, ctx):
    if not rows:
        return "There is no summer ERCOT load in the data."
    parts = [f"{r['year']}: average {f1(r['avg_houston_load_mw'])} MW, peak {f1(r['peak_houston_load_mw'])} MW, "
             f"{f2(r['houston_share_pct'])}% of ERCOT" for r in rows]
    return "Summer (June to September) Houston load by year. " + "; ".join(parts) + "."


def a_sizes(rows, ctx):
    if not rows:
        return "There are no circuits in the data."
    total = _total(rows, "circuits")
    big = max(rows, key=lambda r: float(r["circuits"]))
    return (f"{n(total)} circuits in all. The most common size is {big['size_band'][3:]} customers "
            f"({n(big['circuits'])} circuits, covering {f1(big['avg_area_km2'])} km² on average).")


def a_monthly(rows, ctx):
    if not rows:
        return "There is no monthly usage in the data yet."
    first, last = rows[0], rows[-1]
    return (f"Monthly usage over {pl(len(rows), 'month')}: {f1(first['total_mwh'])} MWh in "
            f"{str(first['usage_month'])[:7]} and {f1(last['total_mwh'])} MWh in {str(last['usage_month'])[:7]}, "
            f"from {n(last['meters'])} meters ({f1(last['avg_kwh_per_meter'])} kWh per meter in the last month).")


def a_segment(rows, ctx):
    if not rows:
        return "There is no monthly usage in the data yet."
    last_month = str(rows[-1]["usage_month"])
    latest = [r for r in rows if str(r["usage_month"]) == last_month]
    parts = [f"{r['customer_segment']} {f1(r['total_mwh'])} MWh" for r in latest]
    return f"Usage by segment in {last_month[:7]}: " + ", ".join(parts) + f", over {pl(len({str(r['usage_month']) for r in rows}), 'month')} shown."


def a_priority(rows, ctx):
    if not rows:
        return "There are no open work orders."
    parts = [f"{n(r['work_orders'])} {r['priority']}" for r in rows]
    return f"{n(_total(rows, 'work_orders'))} work orders are open: " + ", ".join(parts) + "."


def a_type_status(rows, ctx):
    if not rows:
        return "There are no work orders."
    top = max(rows, key=lambda r: float(r["work_orders"]))
    return (f"{n(_total(rows, 'work_orders'))} work orders across {n(len({r['work_type'] for r in rows}))} types. "
            f"The largest group is {top['work_type']} / {top['status']} with {n(top['work_orders'])}.")


def a_commercial(rows, ctx):
    if not rows:
        return "There is no commercial usage in the data yet."
    top = rows[0]
    return (f"The biggest commercial user is meter {top['meter_id']} at {top['service_address']}: "
            f"{f2(top['total_mwh'])} MWh. The top {n(len(rows))} together used {f2(_total(rows, 'total_mwh'))} MWh.")


def a_out_now(rows, ctx):
    where = ctx.labels.get("where", "")
    if not rows:
        return f"No customers are out right now{where}."
    top = rows[0]
    return (f"{n(_total(rows, 'customers_out'))} customers are out right now{where}, in "
            f"{pl(_total(rows, 'active_outages'), 'active outage')} on {pl(len(rows), 'circuit')}. "
            f"The most affected circuit is {top['circuit_id']} with {n(top['customers_out'])} customers out.")


def a_cause(rows, ctx):
    when = ctx.labels["dates"]
    if not rows:
        return f"No outages started {when}."
    top = rows[0]
    return (f"{n(_total(rows, 'outages'))} outages started {when}, affecting "
            f"{n(_total(rows, 'customers_affected'))} customers. The leading cause is {top['cause']} with "
            f"{n(top['outages'])} outages.")


def a_peak(rows, ctx):
    when = ctx.labels["dates"]
    if not rows:
        return f"There is no transformer load data for {when}."
    top = rows[0]
    return (f"Peak load by substation for {when}: {top['substation_id']} was highest at {f2(top['peak_load_mw'])} MW "
            f"(at {str(top['peak_hour'])[11:16]}). {n(len(rows))} substations in all, with a combined "
            f"sum of peaks of {f2(_total(rows, 'peak_load_mw'))} MW{_more(rows, ctx)}.")


def a_feeders(rows, ctx):
    t = ctx.labels["threshold"]
    served = ctx.params.get("min_customers")
    serving = f" serving more than {n(served)} customers" if served is not None else ""
    if not rows:
        return f"No feeder{serving} is loaded above {t} right now."
    top = rows[0]
    return (f"{pl(len(rows), 'feeder')}{serving} {are(len(rows))} loaded above {t}. The highest is {top['circuit_id']} at "
            f"{f1(top['load_percent'])}% ({f2(top['load_mw'])} MW, {n(top['customers_served'])} customers)"
            f"{_more(rows, ctx)}.")


def a_crew(rows, ctx):
    crew = ctx.params["crew_id"]
    if not rows:
        return f"{crew} has no open work orders."
    top = rows[0]
    return (f"{crew} has {pl(len(rows), 'open work order')}. First in line: {top['work_order_id']} "
            f"({top['priority']} {top['work_type']}, {top['status']}).")


INTENTS: tuple[Intent, ...] = (
    Intent("critical_overload_transformers", "Transformers in critical overload",
           all_of=(("transformer",), ("overload", "threshold", "load")), boost=("overload", "now"),
           penalty=("baseline", "meter", "customer", "peak"),
           binds={"load_factor_pct > 100": "load_factor_pct > %(threshold)s"}, threshold_default=100.0,
           chart=Chart("bar", "transformer_id", "load_factor_pct"), answer=a_overload),
    Intent("transformer_stress_baseline", "Transformers above their stress baseline",
           all_of=(("transformer",), ("baseline",)), boost=("overload",),
           chart=Chart("bar", "transformer_id", "above_baseline_pts"), answer=a_baseline),
    Intent("outages_high_wind", "Outages in high wind",
           all_of=(("outage",), ("wind",)), binds={"w.wind_speed_mph >= 25": "w.wind_speed_mph >= %(threshold)s"},
           threshold_default=25.0, chart=Chart("bar", "outage_id", "wind_speed_mph"), answer=a_wind),
    Intent("storm_restoration_by_type_county", "Storm restoration times",
           all_of=(("storm",), ("restoration", "outage")), boost=("county", "type", "restoration"), penalty=("unfold",),
           chart=Chart("bar", "event_type", "avg_restoration_minutes", color="county"), answer=a_storm),
    Intent("last_storm_customers_out", "Customers out over the last storm",
           all_of=(("storm",), ("unfold",)), boost=("customer", "outage", "restoration"),
           penalty=("county", "type", "wind"),
           chart=Chart("line", "hour", "customers_out", x_type="temporal"), answer=a_storm_curve),
    Intent("customer_outage_history", "Outage history of a customer",
           all_of=(("outage",), ("customer", "history")), boost=("history",), penalty=("now", "cause", "wind"),
           binds={"'CUST-0000001'": "%(customer_id)s"}, needs=("customer",), answer=a_customer_history,
           chart=Chart("bar", "outage_id", "duration_minutes")),
    Intent("meters_on_transformer", "Meters on a transformer",
           all_of=(("transformer",), ("meter", "customer")), penalty=("overload", "outage"),
           binds={"'XFMR-000001'": "%(transformer_id)s"}, needs=("transformer_id",), answer=a_meters),
    Intent("summer_load_by_year", "Summer load by year",
           all_of=(("summer",), ("load", "peak", "ercot", "year")), boost=("year", "ercot", "load"),
           chart=Chart("bar", "year", "avg_houston_load_mw", x_type="ordinal"), answer=a_summer),
    Intent("circuit_size_distribution", "Circuit sizes",
           all_of=(("circuit",), ("size", "distribution")),
           chart=Chart("bar", "size_band", "circuits", x_type="ordinal"), answer=a_sizes),
    Intent("monthly_usage_trend", "Monthly usage", all_of=(("usage",), ("monthly",)),
           penalty=("segment", "commercial"), chart=Chart("line", "usage_month", "total_mwh", x_type="temporal"),
           answer=a_monthly),
    Intent("monthly_usage_by_segment", "Monthly usage by segment", all_of=(("usage",), ("segment",)),
           boost=("monthly",), chart=Chart("line", "usage_month", "total_mwh", color="customer_segment",
                                            x_type="temporal"), answer=a_segment),
    Intent("open_work_orders_by_priority", "Open work orders by priority", all_of=(("work_order",), ("priority",)),
           boost=("open", "count"), penalty=("crew",), store="postgres",
           chart=Chart("bar", "priority", "work_orders", x_type="ordinal"), answer=a_priority),
    Intent("work_orders_by_type_status", "Work orders by type and status",
           all_of=(("work_order",), ("type", "status")), penalty=("crew", "priority"),
           chart=Chart("bar", "work_type", "work_orders", color="status"), answer=a_type_status),
    Intent("top_commercial_energy", "Top commercial energy users",
           all_of=(("commercial",), ("usage", "most")), boost=("most", "usage"),
           chart=Chart("bar", "meter_id", "total_mwh"), answer=a_commercial),
    Intent("customers_out_now", "Customers out now", all_of=(("outage",), ("customer", "now", "count")),
           boost=("now", "count"), penalty=("cause", "wind", "storm", "history", "restoration"),
           binds={"WHERE end_time IS NULL": "WHERE end_time IS NULL"
                  " AND (%(circuit_id)s IS NULL OR circuit_id = %(circuit_id)s)"
                  " AND (%(substation_id)s IS NULL OR substation_id = %(substation_id)s)"},
           store="postgres", optional_ids=("circuit_id", "substation_id"),
           chart=Chart("bar", "circuit_id", "customers_out"), answer=a_out_now),
    Intent("outages_by_cause", "Outages by cause", all_of=(("outage",), ("cause",)),
           binds={"start_time >= DATE_TRUNC('MONTH', CURRENT_DATE())": "start_time >= %(date_from)s",
                  "start_time < DATEADD(month, 1, DATE_TRUNC('MONTH', CURRENT_DATE()))": "start_time < %(date_to)s"},
           date_default="this_month", chart=Chart("bar", "cause", "outages"), answer=a_cause),
    Intent("peak_load_by_substation", "Peak load by substation", all_of=(("substation",), ("peak", "load")),
           boost=("peak",), penalty=("outage",),
           binds={"load_hour >= DATEADD(day, -1, CURRENT_DATE())": "load_hour >= %(date_from)s",
                  "load_hour < CURRENT_DATE()": "load_hour < %(date_to)s"},
           date_default="yesterday", chart=Chart("bar", "substation_id", "peak_load_mw"), answer=a_peak),
    Intent("feeders_above_threshold", "Feeders above a loading threshold",
           all_of=(("circuit",), ("load", "threshold", "overload")), boost=("threshold", "load"),
           penalty=("outage", "size", "distribution", "transformer"),
           binds={"load_percent > 80": "load_percent > %(threshold)s"
                  " AND (%(min_customers)s IS NULL OR customers_served > %(min_customers)s)"},
           store="postgres", threshold_default=80.0, refinements=("min_customers",),
           chart=Chart("bar", "circuit_id", "load_percent"), answer=a_feeders),
    Intent("crew_work_orders", "Work orders of a crew", all_of=(("crew",), ("work_order",)),
           binds={"'CREW-001'": "%(crew_id)s"}, store="postgres", needs=("crew_id",), answer=a_crew),
)

BY_NAME = {i.name: i for i in INTENTS}
