"""Named statements of the .sql files under data/etl/sql/live/ ("-- name: x" sections)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql" / "live"


@lru_cache(maxsize=None)
def statements(file: str) -> dict[str, str]:
    named, name, buf = {}, None, []
    for line in (SQL_DIR / f"{file}.sql").read_text().splitlines():
        if line.startswith("-- name:"):
            if name:
                named[name] = "\n".join(buf).strip().rstrip(";")
            name, buf = line.split(":", 1)[1].strip(), []
        elif name and not line.lstrip().startswith("--"):
            buf.append(line)
    if name:
        named[name] = "\n".join(buf).strip().rstrip(";")
    return named


def sql(file: str, name: str) -> str:
    return statements(file)[name]
