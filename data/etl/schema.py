"""Apply the versioned schemas under data/etl/sql/ to both stores.

    python -m data.etl.schema [--target postgres|warehouse|all]

Each file ``V<nnn>__<name>.sql`` is applied once and recorded with its checksum; re-applying
changes nothing, and an edited, already-applied file is refused (add a new version instead).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from settings import Settings
from data.connections import connect_warehouse, pg_admin

SQL_DIR = Path(__file__).resolve().parent / "sql"
_VERSION = re.compile(r"^V(\d{3})__([a-z0-9_]+)\.sql$")

log = logging.getLogger("flux.schema")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text()

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def migrations(store: str) -> list[Migration]:
    found = []
    for path in sorted((SQL_DIR / store).glob("V*.sql")):
        m = _VERSION.match(path.name)
        if not m:
            raise ValueError(f"bad migration file name: {path.name}")
        found.append(Migration(int(m.group(1)), m.group(2), path))
    return found


def split_statements(sql: str) -> list[str]:
    """Split a script on top-level semicolons, keeping $$-quoted bodies whole."""
    statements, buf, in_dollar = [], [], False
    for line in sql.splitlines():
        stripped = line.strip()
        if not in_dollar and (not stripped or stripped.startswith("--")):
            continue
        buf.append(line)
        if line.count("$$") % 2 == 1:
            in_dollar = not in_dollar
        if not in_dollar and stripped.endswith(";"):
            statements.append("\n".join(buf).rstrip().rstrip(";"))
            buf = []
    if "".join(buf).strip():
        statements.append("\n".join(buf))
    return statements


class MigrationConflict(RuntimeError):
    pass


def apply_postgres(settings: Settings, database: str | None = None) -> list[str]:
    applied = []
    with pg_admin(settings, database) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS flux")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS flux.schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.commit()
        done = dict(conn.execute("SELECT version, checksum FROM flux.schema_migrations").fetchall())
        for mig in migrations("postgres"):
            if mig.version in done:
                if done[mig.version] != mig.checksum:
                    raise MigrationConflict(f"postgres migration {mig.path.name} changed after it was applied")
                continue
            with conn.transaction():
                for stmt in split_statements(mig.sql):
                    conn.execute(stmt)
                conn.execute(
                    "INSERT INTO flux.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (mig.version, mig.name, mig.checksum),
                )
            applied.append(mig.path.name)
    return applied


def apply_warehouse(settings: Settings) -> list[str]:
    applied = []
    conn = connect_warehouse(settings, schema=None)
    try:
        cur = conn.cursor()
        schema = settings.snowflake_schema
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {schema}.SCHEMA_MIGRATIONS ("
            " VERSION INTEGER NOT NULL, NAME VARCHAR NOT NULL, CHECKSUM VARCHAR NOT NULL,"
            " APPLIED_AT TIMESTAMP_NTZ NOT NULL DEFAULT CURRENT_TIMESTAMP())"
        )
        cur.execute(f"SELECT VERSION, CHECKSUM FROM {schema}.SCHEMA_MIGRATIONS")
        done = {int(v): c for v, c in cur.fetchall()}
        for mig in migrations("warehouse"):
            if mig.version in done:
                if done[mig.version] != mig.checksum:
                    raise MigrationConflict(f"warehouse migration {mig.path.name} changed after it was applied")
                continue
            for stmt in split_statements(mig.sql):
                cur.execute(stmt)
            cur.execute(
                f"INSERT INTO {schema}.SCHEMA_MIGRATIONS (VERSION, NAME, CHECKSUM) VALUES (%(v)s, %(n)s, %(c)s)",
                {"v": mig.version, "n": mig.name, "c": mig.checksum},
            )
            applied.append(mig.path.name)
    finally:
        conn.close()
    return applied


def recreate(settings: Settings) -> None:
    """Drop and recreate the configured Postgres database and warehouse schema, then apply every
    migration: empty stores as on a new checkout. For test and benchmark databases only."""
    from psycopg import sql

    with pg_admin(settings, "postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (settings.pg_database,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(settings.pg_database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings.pg_database)))
    apply_postgres(settings)

    wh = connect_warehouse(settings, schema=None)
    try:
        # fakesnow has no DROP DATABASE; dropping the schema empties it just as well
        wh.cursor().execute(f"DROP SCHEMA IF EXISTS {settings.snowflake_schema} CASCADE")
    finally:
        wh.close()
    apply_warehouse(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Apply the versioned schemas to both stores.")
    parser.add_argument("--target", choices=["postgres", "warehouse", "all"], default="all")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings()
    if args.target in ("postgres", "all"):
        done = apply_postgres(settings)
        log.info("postgres: %s", ", ".join(done) or "up to date")
    if args.target in ("warehouse", "all"):
        done = apply_warehouse(settings)
        log.info("warehouse: %s", ", ".join(done) or "up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
