"""The OpenAPI 3 document served at /api/openapi.json: every endpoint, its parameters and its
response schema (nullable where a column may be NULL)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from data.read.models import (
    CREW_STATUSES,
    CUSTOMER_SEGMENTS,
    DETAIL_KINDS,
    OUTAGE_STATUSES,
    PRIORITIES,
    WORK_ORDER_STATUSES,
)
from app.validation import BBOX_PATTERN, ID_LIST_PATTERN, ID_PATTERN, SEARCH_LENGTH, SEARCH_PATTERN
from data.read.repository import ASSETS_DEFAULT_LIMIT, ASSETS_MAX_LIMIT, WORK_ORDERS_DEFAULT_LIMIT, WORK_ORDERS_MAX_LIMIT

S = {"type": "string"}
I = {"type": "integer"}
N = {"type": "number"}
B = {"type": "boolean"}
TS = {"type": "string", "format": "date-time"}
D = {"type": "string", "format": "date"}


def null(schema: dict) -> dict:
    return {**schema, "nullable": True}


def obj(props: dict[str, dict], optional: tuple[str, ...] = ()) -> dict:
    return {
        "type": "object",
        "properties": props,
        "required": [k for k in props if k not in optional],
    }


def arr(items: dict) -> dict:
    return {"type": "array", "items": items}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, dict] = {
    "Error": obj({"error": S, "message": S}),
    "SubstationStatus": obj(
        {
            "substation_id": S, "substation_name": S, "circuit_count": I, "avg_load": N, "avg_health": N,
            "worst_circuit_load": N, "worst_circuit_health": N, "critical_circuits": I, "warning_circuits": I,
            "status": {"type": "string", "enum": ["good", "warning", "critical"]}, "last_updated": TS,
            "latitude": N, "longitude": N, "capacity_mva": N,
        }
    ),
    "Substation": obj(
        {
            "substation_id": S, "substation_name": S, "latitude": N, "longitude": N, "capacity_mva": N,
            "voltage_level": S, "commissioned_date": null(D), "operational_status": S, "city": null(S),
            "county": null(S),
        }
    ),
    "Feeder": obj(
        {
            "id": S, "circuit_id": S, "load_percent": N,
            "path": arr(arr(N)),
        }
    ),
    # form=lines: a circuit's overview path cut at each vertex, for deck.gl's LineLayer
    "FeederLine": obj(
        {
            "id": S, "circuit_id": S, "load_percent": N,
            "source": arr(N), "target": arr(N),
        }
    ),
    "Asset": obj(
        {
            "asset_id": S, "asset_name": S, "asset_type": S, "latitude": N, "longitude": N,
            "load_percent": null(N), "health_score": null(N), "status": S, "voltage": null(N),
            "circuit_id": null(S), "city": null(S), "zip_code": null(S), "connected_customers": I,
            "capacity": null(N), "substation_id": null(S), "segment_id": null(S),
        }
    ),
    "CircuitMetadata": obj(
        {
            "circuit_id": S, "circuit_name": S, "substation_id": S, "voltage_level_kv": N, "rated_mva": N,
            "segment_count": I, "transformer_count": I, "meter_count": I, "customer_count": I,
            "center_lat": N, "center_lon": N, "min_lat": N, "min_lon": N, "max_lat": N, "max_lon": N,
        }
    ),
    "Outage": obj(
        {
            "outage_id": S, "start_time": TS, "cause": S, "severity": S, "priority": S,
            "restoration_status": S, "affected_customers_count": I, "latitude": N, "longitude": N,
            "transformer_id": null(S), "affected_transformers": I, "estimated_restoration_time": null(TS),
            "assigned_crew_count": I, "circuit_id": S, "substation_id": S,
        }
    ),
    "WorkOrder": obj(
        {
            "work_order_id": S, "asset_id": null(S), "asset_type": null(S), "substation_id": S,
            "circuit_id": null(S), "outage_id": null(S), "work_type": S, "priority": S, "status": S,
            "assigned_crew": null(S), "created_date": TS, "scheduled_date": null(TS), "due_date": null(TS),
            "estimated_cost": N, "labor_hours": N, "latitude": N, "longitude": N, "description": null(S),
        }
    ),
    "Crew": obj(
        {
            "crew_id": S, "crew_name": S, "crew_type": S, "status": S, "latitude": N, "longitude": N,
            "work_order_id": null(S),
        }
    ),
    "Kpis": {
        "type": "object",
        "properties": {
            "total_customers": I, "active_outages": I, "customers_out": I, "total_load_mw": N,
            "crews_active": I, "avg_restoration_minutes": null(N), "sustained_interruptions": I,
            "saidi": null(N), "saifi": null(N), "caidi": null(N), "period_start": TS, "period_end": TS,
            "system_load_mw": null(N), "system_peak_mw": null(N), "system_load_pct_of_peak": null(N),
            "ercot_price_usd_mwh": null(N), "ercot_interval": null(TS), "temp_f": null(N),
            "weather_time": null(TS),
        },
    },
    "LiveStatus": obj(
        {
            "state": {"type": "string", "enum": ["ok", "amber", "red"]},
            "checked_at": TS,
            "feed": obj({"state": {"type": "string", "enum": ["ok", "amber", "red"]}, "age_s": null(N),
                         "rows_per_s": null(N), "lag_s": null(N), "status": null(S), "beat_at": null(TS),
                         "reason": null(S)}),
            "pipeline": obj({"state": {"type": "string", "enum": ["ok", "amber", "red"]}, "lag_s": null(N),
                             "pending_rows": null(I), "watermark": null(TS), "reason": null(S)}),
            "sync": obj({"state": {"type": "string", "enum": ["ok", "amber", "red"]}, "age_s": null(N),
                         "watermark_age_s": null(N), "applied_at": null(TS), "watermark": null(TS),
                         "stalest_table": null(S), "reason": null(S)}),
            "thresholds": obj({"amber_s": N, "red_s": N, "pipeline_amber_s": N, "pipeline_red_s": N}),
        }
    ),
    "WeatherHour": obj(
        {
            "timestamp": TS, "temp_f": N, "humidity_pct": N, "wind_speed_mph": N, "wind_gust_mph": N,
            "precipitation_inches": N, "conditions": S, "houston_load_mw": null(N), "lmp_usd_mwh": null(N),
        }
    ),
    "WeatherEvent": obj(
        {
            "event_id": S, "event_type": S, "event_name": null(S), "start_time": TS, "end_time": TS,
            "severity": S, "max_wind_mph": N, "precipitation_inches": N, "affected_area": S,
            "outage_count": I, "customers_affected": I,
        }
    ),
    "CircuitStatus": obj(
        {
            "circuit_id": S, "circuit_name": S, "substation_id": S, "load_percent": N, "load_mw": N,
            "health_score": N, "customers_served": I, "customers_out": I, "status": S, "last_updated": TS,
        }
    ),
    "LoadHour": obj(
        {
            "load_hour": TS, "load_kw": N, "rated_kva": N, "load_factor_pct": null(N),
            "overloaded_transformers": I, "transformer_count": I,
        }
    ),
    "Details": obj(
        {
            "kind": {"type": "string", "enum": list(DETAIL_KINDS)},
            "id": S,
            "item": {"type": "object"},
            "scope": {"type": "object", "properties": {"substation_id": S, "circuit_id": S}},
            "circuits": arr(ref("CircuitStatus")),
            "outages": arr(ref("Outage")),
            "work_orders": arr(ref("WorkOrder")),
            "customers_affected": I,
            "load_curve": null(arr(ref("LoadHour"))),
        }
    ),
    "TraceSegment": obj(
        {
            "segment_id": S, "circuit_id": S, "substation_id": S, "upstream_segment_id": null(S), "seq": I,
            "hops": I, "load_percent": N, "path": arr(arr(N)),
            "transformer_count": I, "customer_count": I,
        },
        optional=("transformer_count", "customer_count"),
    ),
    "Customer": obj(
        {
            "customer_id": S, "full_name": S, "segment": S, "primary_meter_id": S, "transformer_id": S,
            "circuit_id": S, "substation_id": S, "service_address": S, "city": S, "zip_code": S,
            "county": S, "account_status": S, "latitude": N, "longitude": N,
        }
    ),
    "AmiMonth": obj(
        {
            "usage_month": D, "customer_segment": S, "meter_count": I, "total_kwh": N, "avg_daily_kwh": N,
            "peak_kwh": N, "avg_yoy_change_pct": null(N),
        }
    ),
    "HeatCell": obj({"transformer_id": S, "load_hour": TS, "load_factor_pct": N}),
    "OverloadedTransformer": obj(
        {
            "transformer_id": S, "circuit_id": null(S), "substation_id": null(S), "rated_kva": N,
            "peak_load_factor_pct": N, "avg_load_factor_pct": N, "overloaded_hours": I,
        }
    ),
    "ErcotHour": obj({"load_hour": TS, "lmp_usd_mwh": N, "system_load_mw": N, "houston_load_mw": N}),
}
# IEEE 1366 reliability (data/read/reliability.py)
_IDX = null(N)
SCHEMAS.update({
    "ReliabilityIndices": obj({
        "customers_served": I, "saifi": _IDX, "saidi": _IDX, "caidi": _IDX, "maifi": _IDX, "cemi_n": _IDX,
        "celid_t": _IDX, "customer_interruptions": N, "customer_minutes": N, "momentary_interruptions": N,
    }),
    "ReliabilityMonthIndices": obj({"saifi": _IDX, "saidi": _IDX, "caidi": _IDX, "maifi": _IDX}),
    "ReliabilityMonth": obj({"month": S, "days": I, "major_event_days": I,
                             "all": ref("ReliabilityMonthIndices"), "excluding_med": ref("ReliabilityMonthIndices")}),
    "ReliabilityPeriod": obj({"start": D, "end": D, "days": I, "year": null(I), "history_start": D, "history_end": D}),
    "ReliabilityParameters": obj({"cemi_n": I, "celid_t_hours": I, "momentary_minutes": N, "beta_multiplier": N}),
    "MedThreshold": obj({"t_med": null(N), "alpha": null(N), "beta": null(N), "days": I, "days_used": I,
                         "window_start": null(D), "window_end": null(D), "years_wanted": I}),
    "MajorEventDay": obj({"date": D, "saidi": N}),
    "SubstationReliability": obj({"substation_id": S, "customers_served": I, "all": ref("ReliabilityIndices"),
                                  "excluding_med": ref("ReliabilityIndices")}),
    "CircuitReliability": obj({"circuit_id": S, "substation_id": S, "customers_served": I,
                               "all": ref("ReliabilityIndices"), "excluding_med": ref("ReliabilityIndices")}),
    "WorstCircuit": obj({"rank": I, "circuit_id": S, "substation_id": S, "by": S, "basis": {"type": "string", "enum": ["excluding_med", "all"]},
                         "value": N, "customers_served": I, "all": ref("ReliabilityIndices"),
                         "excluding_med": ref("ReliabilityIndices")}),
})
SCHEMAS["ReliabilityReport"] = obj({
    "standard": S, "period": ref("ReliabilityPeriod"), "parameters": ref("ReliabilityParameters"),
    "threshold": ref("MedThreshold"), "major_event_days": arr(ref("MajorEventDay")),
    "system": obj({"customers_served": I, "all": ref("ReliabilityIndices"), "excluding_med": ref("ReliabilityIndices")}),
    "substations": arr(ref("SubstationReliability")), "circuits": arr(ref("CircuitReliability")),
    "worst_circuits": arr(ref("WorstCircuit")), "monthly": arr(ref("ReliabilityMonth")),
})
SCHEMAS["CircuitReliabilityReport"] = obj({
    "circuit_id": S, "substation_id": S, "customers_served": I, "period": ref("ReliabilityPeriod"),
    "parameters": ref("ReliabilityParameters"), "threshold": ref("MedThreshold"),
    "major_event_days": arr(ref("MajorEventDay")), "saidi_rank": null(I), "circuits_ranked": I,
    "all": ref("ReliabilityIndices"), "excluding_med": ref("ReliabilityIndices"), "monthly": arr(ref("ReliabilityMonth")),
})
SCHEMAS.update({
    "PlaybackStorm": obj({"storm_id": S, "storm_type": S, "start_time": TS, "end_time": TS, "first_day": D,
                          "last_day": D, "interruptions": I, "customers_interrupted": I, "customer_minutes": N}),
    "PlaybackTimeline": obj({"storm": ref("PlaybackStorm"), "start": TS, "step_minutes": I, "frames": I,
                             "times": arr(TS), "customers_out": arr(I), "outages_out": arr(I),
                             "restored_per_hour": arr(I), "crew_roster": I, "dispatch_delay_minutes": I,
                             "crews_at_work": arr(I), "crews_needed": arr(I)}),
    "PlaybackOutage": obj({"interruption_id": S, "latitude": N, "longitude": N, "customers": I, "circuit_id": S,
                           "device": S, "cause": S, "storm_id": null(S), "started_at": TS, "restored_at": TS}),
    "PlaybackFrame": obj({"storm_id": S, "frame": I, "frames": I, "at": TS, "customers_out": I, "outages_out": I,
                          "restored_per_hour": I, "crew_roster": I, "crews_at_work": I, "crews_needed": I,
                          "outages": arr(ref("PlaybackOutage"))}),
})
SCHEMAS["Kpis"]["properties"].update({
    "reliability_period_end": D, "major_event_days": I,
    **{f"{i}_{b}": null(N) for i in ("saidi", "saifi", "caidi") for b in ("day_to_day", "all_in")},
})


SCHEMAS["Trace"] = obj(
    {
        "segment_id": S, "circuit_id": S, "substation": null(ref("Substation")), "head_segment_id": S,
        "upstream": arr(ref("TraceSegment")), "downstream": arr(ref("TraceSegment")),
        "downstream_segment_count": I, "transformer_count": I, "customer_count": I,
    }
)
# An allOf wrapper keeps "nullable" valid next to a $ref in OpenAPI 3.0.
SCHEMAS["Trace"]["properties"]["substation"] = {"allOf": [ref("Substation")], "nullable": True}


def q(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def path_param(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


ID = {"type": "string", "pattern": ID_PATTERN}
# The validators' own patterns (app/validation.py): the document admits exactly what they do.
ID_LIST = {"type": "string", "description": "comma-separated ids, at most 200", "pattern": ID_LIST_PATTERN}
BBOX = {"type": "string", "example": "-95.5,29.6,-95.2,29.9", "pattern": BBOX_PATTERN,
        "description": "two corners of the viewport, min_lon,min_lat,max_lon,max_lat (WGS 84); "
                       "in either order, and the same twice for a point or a line"}


def enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


def limit(default: int, maximum: int) -> dict:
    return q("limit", {"type": "integer", "minimum": 1, "default": default},
             f"rows to return; above {maximum} is clamped to {maximum}")


STORE_HEALTH = {
    "type": "object",
    "properties": {"ok": B, "elapsed_ms": N, "freshness": null(TS), "error": S, "breaker": S},
    "required": ["ok"],
}
READY = obj({"status": enum(["ready", "unavailable"]), "postgres": STORE_HEALTH, "warehouse": STORE_HEALTH})

HEADERS = {
    "X-Flux-Backend": {"schema": enum(["postgres", "snowflake", "none"]), "description": "the store that served the read"},
    "Server-Timing": {"schema": S, "description": "store and total time in ms"},
}


def ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "headers": HEADERS, "content": {"application/json": {"schema": schema}}}


def err(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def get(summary: str, schema: dict, params: list[dict] | None = None, *, tag: str, extra: dict | None = None) -> dict:
    responses = {"200": ok(schema), "400": err("bad or unknown parameter"), "503": err("no store could answer")}
    if tag.startswith("operational"):
        responses["504"] = err("the query ran into Postgres's statement timeout (this request only)")
    responses.update(extra or {})
    return {"get": {"summary": summary, "tags": [tag], "parameters": params or [], "responses": responses}}


THREAD_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
# Thread ids travel as strings (Cortex's may be either; the routes also take an integer).
THREAD_REF = THREAD_ID
SCHEMAS.update({
    "ChatThreadCreated": obj({"thread_id": THREAD_REF, "agent": enum(["cortex", "local"]), "created_at": TS}),
    "ChatThread": obj({"thread_id": S, "title": S, "agent": enum(["cortex", "local"]), "questions": I,
                       "created_at": TS, "last_message_at": TS}),
    "ChatMessage": obj({"message_id": I, "parent_message_id": I, "role": enum(["user", "assistant"]), "text": S,
                        "request_id": null(S), "created_at": TS}),
    "ChatThreadDetail": obj({"thread_id": S, "agent": enum(["cortex", "local"]), "created_at": TS,
                             "parent_message_id": I, "messages": arr(ref("ChatMessage"))}),
    "FeedbackRequest": {
        "type": "object", "additionalProperties": False, "required": ["thread_id", "message_id", "rating"],
        "properties": {
            "thread_id": THREAD_REF,
            "message_id": {"type": "integer", "minimum": 1,
                           "description": "the assistant message id from the stream's metadata event "
                                          "(at most 2^63 - 1)"},
            "rating": enum(["up", "down"]),
            "comment": {"type": "string", "maxLength": 1000},
            "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$",
                           "description": "the run's id (request_id event); defaults to the stored answer's"},
        },
    },
    "FeedbackCreated": obj({"feedback_id": I, "created_at": TS, "cortex": enum(["sent", "failed", "local"])}),
    "FeedbackReport": obj({
        "days": I,
        "totals": obj({"up": I, "down": I, "rated": I, "positive_share": null(N)}),
        "by_day": arr(obj({"day": D, "up": I, "down": I})),
        "recent": arr(obj({"feedback_id": I, "created_at": TS, "operator": S, "positive": B, "comment": null(S),
                           "thread_id": S, "message_id": I, "request_id": null(S),
                           "cortex": enum(["sent", "failed", "local"]), "answer": S, "question": null(S)})),
    }),
})


def post_json(summary: str, body: dict, created: dict, *, tag: str, extra: dict | None = None) -> dict:
    responses = {
        "201": {"description": "Created", "content": {"application/json": {"schema": created}}},
        "400": err("bad or unknown field"), "413": err("body too large"),
        "415": err("not application/json"), "503": err("the chat store is unavailable; nothing was saved"),
    }
    responses.update(extra or {})
    return {"post": {"summary": summary, "tags": [tag], "responses": responses,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}}


def chat_paths() -> dict[str, Any]:
    chat = "chat (threads and feedback, per operator: Sf-Context-Current-User)"
    new_thread = post_json("Open a new chat thread (on a Snowflake account, at Cortex: POST /api/v2/cortex/threads)",
                           {"type": "object", "additionalProperties": False, "maxProperties": 0},
                           ref("ChatThreadCreated"), tag=chat, extra={"502": err("Cortex refused to open a thread")})
    return {
        "/api/agent/threads": {
            **new_thread,
            **get("The operator's recent threads, most recently active first", arr(ref("ChatThread")),
                  [q("limit", {"type": "integer", "minimum": 1, "default": 20}, "threads to return; above 100 is clamped")],
                  tag=chat),
        },
        "/api/agent/threads/create": new_thread,
        "/api/agent/threads/{thread_id}": get(
            "One of the operator's threads with its messages, to reopen and continue it",
            ref("ChatThreadDetail"), [path_param("thread_id", THREAD_ID)], tag=chat,
            extra={"404": err("no such thread for this operator")}),
        "/api/agent/feedback": post_json(
            "Rate one answer: thumbs up or down with an optional comment (also sent to the agent's feedback "
            "endpoint on a Snowflake account)", ref("FeedbackRequest"), ref("FeedbackCreated"), tag=chat,
            extra={"404": err("no such answer in the operator's threads")}),
        "/api/agent/feedback/report": get(
            "Ratings per day (each operator's latest rating of each answer) and the latest ratings with their "
            "question and answer", ref("FeedbackReport"),
            [q("days", {"type": "integer", "minimum": 1, "default": 30}, "days back; above 366 is clamped"),
             limit(50, 200)], tag=chat),
    }


@lru_cache(maxsize=1)
def reliability_params() -> list[dict]:
    return [
        q("year", {"type": "integer", "minimum": 2000},
          "calendar year to report (default: the 365 days ending on the history's last day); above 2100 is clamped"),
        q("cemi_n", {"type": "integer", "minimum": 1, "default": 3},
          "CEMI-n: customers with more than n sustained interruptions; above 50 is clamped"),
        q("celid_t", {"type": "integer", "minimum": 1, "default": 8},
          "CELID-t: customers with t hours or more of sustained interruptions in all; above 168 is clamped"),
    ]


NO_PERIOD = {"404": err("the interruption history holds no day of that period")}


def reliability_paths(tag: str) -> dict[str, Any]:
    from data.reliability.ieee1366 import RANK_BY

    csv_op = get("The report as CSV: system, substations, circuits; all days and day to day", S,
                 reliability_params(), tag=tag, extra=NO_PERIOD)
    csv_op["get"]["responses"]["200"] = {"description": "OK", "headers": HEADERS, "content": {"text/csv": {"schema": S}}}
    return {
        "/api/reliability/report": get(
            "IEEE 1366 report: SAIFI, SAIDI, CAIDI, MAIFI, CEMI-n, CELID-t with and without major event days "
            "(2.5-beta) for the system, each substation and circuit; worst circuits; monthly trend",
            ref("ReliabilityReport"), reliability_params(), tag=tag, extra=NO_PERIOD),
        "/api/reliability/worst-circuits": get(
            "The worst-performing circuits by one IEEE 1366 index",
            arr(ref("WorstCircuit")),
            reliability_params() + [
                q("by", enum(RANK_BY), "index to rank by (default saidi)"),
                q("basis", enum(["excluding_med", "all"]), "day to day (default) or all days"),
                limit(10, 100),
            ],
            tag=tag, extra=NO_PERIOD),
        "/api/reliability/monthly": get(
            "Monthly SAIFI, SAIDI, CAIDI and MAIFI over the period, with and without major event days",
            arr(ref("ReliabilityMonth")), reliability_params(), tag=tag, extra=NO_PERIOD),
        "/api/reliability/circuits/{circuit_id}": {
            "get": {
                **get("One circuit's IEEE 1366 indices, rank and monthly trend", ref("CircuitReliabilityReport"),
                      tag=tag, extra={"404": err("no such circuit, or no history in the period")})["get"],
                "parameters": [path_param("circuit_id", ID), *reliability_params()],
            }
        },
        "/api/reliability/report.csv": csv_op,
        "/api/playback/storms": get("Storms in the interruption history, newest first", arr(ref("PlaybackStorm")), tag=tag),
        "/api/playback/storms/{storm_id}/timeline": {
            "get": {
                **get("A storm's playback timeline: customers out, outages under way, customers restored per "
                      "hour and crews at work at every frame (crews derived from the history: each sustained "
                      "interruption still out after the dispatch delay holds one crew until its restoration, "
                      "capped by the line and vegetation crew roster)", ref("PlaybackTimeline"), tag=tag,
                      extra={"404": err("no such storm")})["get"],
                "parameters": [path_param("storm_id", ID)],
            }
        },
        "/api/playback/storms/{storm_id}/frame": {
            "get": {
                **get("One playback frame: the interruptions under way at that moment", ref("PlaybackFrame"),
                      tag=tag, extra={"404": err("no such storm")})["get"],
                "parameters": [path_param("storm_id", ID),
                               q("frame", {"type": "integer", "minimum": 0, "default": 0},
                                 "frame index; past the last frame is the last frame")],
            }
        },
    }


def document() -> dict[str, Any]:
    op, an = "operational (Postgres first, warehouse fallback)", "analytics (warehouse)"
    paths = {
        "/api/postgres/substations/status": get("Per-substation roll-up of circuit status", arr(ref("SubstationStatus")), tag=op),
        "/api/substations": get("All substations", arr(ref("Substation")), tag=op),
        "/api/topology/feeders": get(
            "Feeder paths for the map, level of detail by zoom",
            arr({"oneOf": [ref("Feeder"), ref("FeederLine")]}),
            [
                q("zoom", {"type": "number", "minimum": 0, "maximum": 24, "default": 9},
                  "map zoom: < 10 one path per circuit, < 13 simplified segments, >= 13 with bbox full detail"),
                q("bbox", BBOX, "viewport"),
                q("form", enum(["paths", "lines"]),
                  "paths (default, Feeder) or, at zoom < 10 only, each path cut into its straight lines (FeederLine)"),
            ],
            tag=op,
            extra={"304": {"description": "not modified (If-None-Match matched the ETag)"}},
        ),
        "/api/assets": get(
            "Grid assets by circuits, ids, type and viewport",
            arr(ref("Asset")),
            [
                q("circuits", ID_LIST, "circuit ids"),
                q("asset_ids", ID_LIST, "asset ids"),
                q("asset_type", enum(["substation", "transformer", "pole"]), "asset type"),
                q("bbox", BBOX, "viewport; when it holds more than `limit` assets, the ones nearest its centre"),
                limit(ASSETS_DEFAULT_LIMIT, ASSETS_MAX_LIMIT),
            ],
            tag=op,
        ),
        "/api/circuits/metadata": get(
            "Per-circuit metadata with centre and bounding box",
            arr(ref("CircuitMetadata")),
            [q("substation_id", ID, "substation"), q("circuit_id", ID, "circuit")],
            tag=op,
        ),
        "/api/outages/active": get(
            "Active outages",
            arr(ref("Outage")),
            [
                q("status", enum(OUTAGE_STATUSES), "restoration status"),
                q("priority", enum(PRIORITIES), "priority"),
                q("substation_id", ID, "substation"),
                q("circuit_id", ID, "circuit"),
            ],
            tag=op,
        ),
        "/api/work-orders/active": get(
            "Active work orders (never completed or cancelled ones)",
            arr(ref("WorkOrder")),
            [
                q("status", enum(WORK_ORDER_STATUSES), "status"),
                q("priority", enum(PRIORITIES), "priority"),
                q("substation_id", ID, "substation"),
                q("crew", ID, "assigned crew id"),
                limit(WORK_ORDERS_DEFAULT_LIMIT, WORK_ORDERS_MAX_LIMIT),
            ],
            tag=op,
        ),
        "/api/crews": get("Crew locations and status", arr(ref("Crew")), [q("status", enum(CREW_STATUSES), "status")], tag=op),
        "/api/details/{kind}/{item_id}": {
            "get": {
                **get("Details panel: item, circuits, outages, work orders, 24-hour load curve", ref("Details"),
                      tag=op, extra={"404": err("no such item")})["get"],
                "parameters": [path_param("kind", enum(DETAIL_KINDS)), path_param("item_id", ID)],
            }
        },
        "/api/topology/trace/{segment_id}": {
            "get": {
                **get("Network trace of a feeder segment: upstream to the substation, downstream to customers",
                      ref("Trace"), tag=op, extra={"404": err("no such segment")})["get"],
                "parameters": [path_param("segment_id", ID)],
            }
        },
        "/api/customers/search": get(
            "Customer search by id, meter, name, address, city or zip",
            arr(ref("Customer")),
            [
                {**q("q", {"type": "string", "minLength": SEARCH_LENGTH[0], "maxLength": SEARCH_LENGTH[1],
                            "pattern": SEARCH_PATTERN}, "search text; runs of spaces count as one"), "required": True},
                limit(20, 100),
            ],
            tag=op,
        ),
        "/api/live/status": get(
            "Live status: feed heartbeat age and rate, pipeline lag, sync age, each ok | amber | red",
            ref("LiveStatus"),
            tag=op,
        ),
        "/api/kpis": get("Operator KPIs incl. SAIDI, SAIFI, CAIDI (IEEE 1366)", ref("Kpis"), tag=an),
        "/api/weather": get(
            "Hourly weather with Houston load and price",
            arr(ref("WeatherHour")),
            [q("hours", {"type": "integer", "minimum": 1, "default": 48}, "hours back; above 744 is clamped")],
            tag=an,
        ),
        "/api/weather/events": get("Weather events with linked outages", arr(ref("WeatherEvent")), [limit(50, 500)], tag=an),
        "/api/analytics/ami-monthly-usage": get(
            "AMI monthly usage per customer segment",
            arr(ref("AmiMonth")),
            [q("segment", enum(CUSTOMER_SEGMENTS), "customer segment")],
            tag=an,
        ),
        "/api/analytics/transformer-load": get(
            "Hourly transformer load history (one transformer, or summed over a circuit or substation)",
            arr(ref("LoadHour")),
            [
                q("hours", {"type": "integer", "minimum": 1, "default": 24}, "hours back; above 2208 is clamped"),
                q("transformer_id", ID, "transformer"),
                q("circuit_id", ID, "circuit"),
                q("substation_id", ID, "substation"),
            ],
            tag=an,
        ),
        "/api/analytics/transformer-heatmap": get(
            "Hourly load factor of the most loaded transformers",
            arr(ref("HeatCell")),
            [
                q("days", {"type": "integer", "minimum": 1, "default": 7}, "days back; above 92 is clamped"),
                limit(30, 200),
                q("circuit_id", ID, "circuit"),
            ],
            tag=an,
        ),
        "/api/analytics/top-overloaded-transformers": get(
            "Transformers with the most overloaded hours",
            arr(ref("OverloadedTransformer")),
            [q("days", {"type": "integer", "minimum": 1, "default": 7}, "days back; above 92 is clamped"), limit(20, 500)],
            tag=an,
        ),
        "/api/analytics/ercot": get(
            "Hourly ERCOT price against system and Houston load",
            arr(ref("ErcotHour")),
            [q("days", {"type": "integer", "minimum": 1, "default": 7}, "days back; above 92 is clamped")],
            tag=an,
        ),
        **chat_paths(),
        "/readyz": {
            "get": {
                "summary": "Readiness: reachability of Postgres and the warehouse",
                "tags": ["health"],
                "responses": {
                    "200": ok(READY, "Postgres or the warehouse can serve"),
                    "503": ok(READY, "neither store is reachable"),
                },
            }
        },
        **reliability_paths(an),
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["health"],
                "responses": {"200": ok({"type": "object", "properties": {"openapi": S, "paths": {"type": "object"}}})},
            }
        },
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "tags": ["health"],
                "responses": {"200": ok({"type": "object", "properties": {"status": S}})},
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Flux Operations Center API",
            "version": "1.0.0",
            "description": "Grid operations reads. Operational reads come from the Postgres cache with a "
            "warehouse fallback; analytics come from the warehouse. X-Flux-Backend names the store.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
