"""The SQL of every read, one file per read and store: ``data/read/queries/<store>/<name>.sql``.

Files are read once per process. Every statement takes bound parameters (``%(name)s``):
psycopg sends them separately, the Snowflake connector escapes them client-side.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent
_NAME = re.compile(r"^[a-z0-9_]+$")
STORES = ("postgres", "warehouse", "chat")  # chat: the app's own rows (flux_chat)


@lru_cache(maxsize=None)
def load(store: str, name: str) -> str:
    """The text of ``<store>/<name>.sql``; the name comes from code, never from a request."""
    if store not in STORES or not _NAME.match(name):
        raise ValueError(f"bad query reference {store}/{name}")
    return (QUERY_DIR / store / f"{name}.sql").read_text()


def names(store: str) -> list[str]:
    return sorted(p.stem for p in (QUERY_DIR / store).glob("*.sql"))
