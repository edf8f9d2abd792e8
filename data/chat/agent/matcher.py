"""Picks the verified query a question asks for, by concepts and synonyms, not exact wording.

Hand-written (about 80 lines) rather than rapidfuzz: fuzzy string similarity cannot tell that
"interruptions" means outages or that "feeders" are circuits; concept synonyms can. difflib
(stdlib) absorbs typos such as "transfomer". The synonyms come from the semantic model plus the
lexicon below.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from data.chat.agent.semantic import SemanticModel

# concept -> (trigger words/phrases, semantic-model tables or columns whose synonyms also count)
LEXICON: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "transformer": (("transformer", "transformers", "xfmr", "xfmrs"), ("transformer_hourly_load",)),
    "overload": (("overload", "overloaded", "overloading", "over capacity", "over rating", "critical",
                  "stressed", "overheating", "above rating"), ("is_overloaded",)),
    "baseline": (("baseline", "historical", "usual", "typical", "normal level", "stress baseline"), ()),
    "outage": (("outage", "outages", "out", "interruption", "interruptions", "blackout", "blackouts", "power cut",
                "without power", "no power", "lost power", "tripped"), ("outage_events",)),
    "wind": (("wind", "windy", "winds", "gust", "gusts", "high wind"), ("wind_speed_mph", "wind_gust_mph")),
    "storm": (("storm", "storms", "hurricane", "hurricanes", "weather event", "weather events", "tropical"),
              ("weather_events", "event_type")),
    "restoration": (("restoration", "restore", "restored", "restoring", "recovery", "time to restore",
                     "duration"), ("duration_minutes",)),
    "unfold": (("unfold", "unfolded", "unfolding", "play out", "played out", "develop", "developed", "evolve",
                "evolved", "timeline", "curve", "over time", "hour by hour", "last storm", "latest storm",
                "most recent storm", "recent storm", "replay"), ()),
    "county": (("county", "counties"), ()),
    "customer": (("customer", "customers", "account", "accounts", "premise", "client", "household",
                  "households", "homes"), ()),
    "history": (("history", "past outages", "previous", "record", "ever"), ()),
    "meter": (("meter", "meters", "ami", "smart meter", "smart meters"), ("primary_meter_id",)),
    "summer": (("summer", "summers", "hot season"), ()),
    "year": (("year", "years", "annual", "yearly", "year over year", "across years"), ()),
    "ercot": (("ercot", "system load", "share"), ("ercot_load_hourly",)),
    "load": (("load", "loads", "loading", "loaded", "demand", "mw", "megawatts", "utilization", "utilisation"),
             ("load_kw",)),
    "peak": (("peak", "peaks", "max", "maximum", "highest"), ("peak_load_kw",)),
    "circuit": (("circuit", "circuits", "feeder", "feeders", "line", "lines"), ("circuits",)),
    "size": (("size", "sizes", "sized", "how big", "customers per"), ()),
    "distribution": (("distribution", "spread", "histogram", "coverage", "geographic", "extent"), ()),
    "usage": (("usage", "consumption", "energy", "kwh", "mwh", "use", "uses", "consume", "consumes"),
              ("ami_monthly_usage", "total_kwh")),
    "monthly": (("monthly", "month", "months", "per month", "by month", "trend", "trends", "over time"), ()),
    "segment": (("segment", "segments", "residential", "industrial", "customer type", "customer class",
                 "rate class"), ("segment",)),
    "work_order": (("work order", "work orders", "workorder", "workorders", "job", "jobs", "ticket", "tickets",
                    "task", "tasks", "assignments", "assigned", "working on", "assigned to"), ("work_orders",)),
    "priority": (("priority", "priorities", "urgent", "urgency"), ()),
    "type": (("type", "types", "kind", "kinds", "category", "categories"), ()),
    "status": (("status", "statuses", "state", "states"), ()),
    "commercial": (("commercial", "business", "businesses", "building", "buildings", "offices", "stores"), ()),
    "most": (("most", "top", "biggest", "largest", "heaviest", "highest"), ()),
    "now": (("now", "right now", "currently", "current", "active", "ongoing", "at the moment", "at present"), ()),
    "cause": (("cause", "causes", "caused", "causing", "reason", "reasons", "why", "root cause"), ("cause",)),
    "substation": (("substation", "substations", "station", "stations"), ("substations",)),
    "threshold": (("above", "over", "exceed", "exceeds", "exceeding", "more than", "greater than", "%",
                   "percent", "threshold"), ()),
    "crew": (("crew", "crews", "team", "teams", "truck", "trucks", "lineman", "linemen"), ("crews",)),
    "search": (("find", "search", "look up", "lookup", "locate", "who is", "where is", "address", "lives"), ()),
    "count": (("how many", "number of", "count", "total"), ()),
    "open": (("open", "pending", "outstanding", "backlog", "unfinished", "not done"), ()),
}


@dataclass(frozen=True)
class Match:
    intent: str
    score: float


def _normalise(text: str) -> str:
    text = text.lower().replace("%", " % ")
    return " " + re.sub(r"[^a-z0-9%' ]+", " ", text).strip() + " "


@lru_cache(maxsize=4)
def triggers(model: SemanticModel) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for concept, (words, model_terms) in LEXICON.items():
        phrases = set(words)
        for term in model_terms:
            phrases |= set(model.synonyms.get(term, ()))
        out[concept] = {_normalise(p).strip() for p in phrases if p.strip()}
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=4)
def _vocabulary(model: SemanticModel) -> tuple[str, ...]:
    words = {w for phrases in triggers(model).values() for p in phrases for w in p.split()}
    return tuple(sorted(w for w in words if len(w) >= 4))


def concepts(question: str, model: SemanticModel) -> set[str]:
    vocab = _vocabulary(model)
    tokens = []
    for tok in _normalise(question).split():
        if len(tok) >= 5 and tok not in vocab and not tok[0].isdigit():
            close = difflib.get_close_matches(tok, vocab, n=1, cutoff=0.84)
            tok = close[0] if close else tok
        tokens.append(tok)
    text = " " + " ".join(tokens) + " "
    return {c for c, phrases in triggers(model).items() if any(f" {p} " in text for p in phrases)}


def score(found: set[str], all_of, boost, penalty) -> float | None:
    """None when a required concept group is missing; else a score, higher is better."""
    for group in all_of:
        if not found & set(group):
            return None
    s = 2.0 * len(all_of)
    s += sum(1.0 for c in boost if c in found)
    s -= sum(2.0 for c in penalty if c in found)
    return s
