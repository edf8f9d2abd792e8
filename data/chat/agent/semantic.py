"""The Cortex Analyst semantic model (data/chat/semantic_model.yaml) as the local agent reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

MODEL_PATH = Path(__file__).resolve().parent.parent / "semantic_model.yaml"
_LOGICAL = re.compile(r"\b__([a-z_][a-z0-9_]*)\b")


@dataclass(frozen=True)
class VerifiedQuery:
    name: str
    question: str
    sql: str
    onboarding: bool


@dataclass(frozen=True, eq=False)  # hashed by identity: matcher caches per model
class SemanticModel:
    name: str
    physical: dict[str, str]  # logical table -> physical table name
    synonyms: dict[str, frozenset[str]]  # logical table or column -> its synonyms (lower case)
    verified: dict[str, VerifiedQuery]

    def physical_sql(self, sql: str, schema: str) -> str:
        """Verified-query SQL names logical tables as ``__name``; swap in ``SCHEMA.TABLE`` from
        the model's own table list (an allow-list, never request input)."""

        def swap(m: re.Match[str]) -> str:
            logical = m.group(1)
            if logical not in self.physical:
                raise KeyError(f"verified query uses unknown logical table {logical}")
            return f"{schema}.{self.physical[logical]}"

        return _LOGICAL.sub(swap, sql)

    def onboarding_questions(self) -> list[str]:
        return [vq.question for vq in self.verified.values() if vq.onboarding]


def parse(text: str) -> SemanticModel:
    # libyaml's loader when PyYAML has it: the pure-Python one takes ~150 ms of held GIL here
    doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    physical: dict[str, str] = {}
    synonyms: dict[str, set[str]] = {}
    for table in doc["tables"]:
        physical[table["name"]] = table["base_table"]["table"]
        synonyms.setdefault(table["name"], set()).update(s.lower() for s in table.get("synonyms", []))
        for kind in ("dimensions", "time_dimensions", "facts", "metrics"):
            for col in table.get(kind, []) or []:
                synonyms.setdefault(col["name"], set()).update(s.lower() for s in col.get("synonyms", []) or [])
    verified = {
        vq["name"]: VerifiedQuery(vq["name"], vq["question"], vq["sql"].strip(), bool(vq.get("use_as_onboarding_question")))
        for vq in doc.get("verified_queries", [])
    }
    return SemanticModel(doc["name"], physical, {k: frozenset(v) for k, v in synonyms.items()}, verified)


@lru_cache(maxsize=1)
def load(path: Path = MODEL_PATH) -> SemanticModel:
    return parse(path.read_text())
