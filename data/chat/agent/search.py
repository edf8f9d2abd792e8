"""Customer search, the local stand-in for a Cortex Search service. The SQL is the REST API's
(data/read/queries/postgres/customer_search.sql): exact id or meter, full text, misspelt words
corrected from the words customers use, then trigram similarity on name and address."""

from __future__ import annotations

from typing import Any

from data.read import queries
from data.chat.agent.sqlexec import run_postgres


def search_sql() -> str:
    return queries.load("postgres", "customer_search")


def search_customers(pool, text: str, *, limit: int = 10) -> list[dict[str, Any]]:
    q = " ".join(text.split())[:200]
    if not q:
        return []
    result = run_postgres(pool, search_sql(), {"q": q, "limit": limit}, cap=limit)
    for row in result.rows:
        row.pop("_freshness", None)  # the API's cache age; not a search result field
    return result.rows
