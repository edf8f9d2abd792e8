"""Customer search, the local stand-in for a Cortex Search service: exact id or meter, Postgres
full text, then trigram similarity on name and address (GIN indexes on flux.customers)."""

from __future__ import annotations

from typing import Any

from data.agent.sqlexec import agent_query, run_postgres


def search_customers(pool, text: str, *, limit: int = 10) -> list[dict[str, Any]]:
    q = " ".join(text.split())[:200]
    if not q:
        return []
    result = run_postgres(pool, agent_query("customer_search"), {"q": q, "limit": limit}, cap=limit)
    return result.rows
