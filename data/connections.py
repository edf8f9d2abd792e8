"""Connection factories for the two stores. Nothing here connects at import time."""

from __future__ import annotations

import logging
import select
from contextlib import contextmanager
from typing import Iterator

from settings import Settings

log = logging.getLogger(__name__)


# -- Postgres ---------------------------------------------------------------------------------
def pg_configure(settings: Settings):
    """Per-connection set-up: read-only, bounded statements, UTC, autocommit. Every read is one
    statement, so a transaction around it only cost a BEGIN and a COMMIT round trip (~0.5 ms of
    a 3 ms read here)."""

    timeout_ms = settings.pg_statement_timeout_ms

    def configure(conn) -> None:
        conn.autocommit = True
        conn.execute(f"SET statement_timeout = {int(timeout_ms)}")
        conn.execute("SET default_transaction_read_only = on")
        conn.execute("SET TIME ZONE 'UTC'")

    return configure


def check_pooled_connection(conn) -> None:
    """The pool's check on every checkout, without a round trip when nothing is wrong. A server
    that closed the connection (a restart, a kill) has left the socket readable at EOF: only
    then is the full check run, and it raises. A healthy idle connection has nothing to read.
    psycopg_pool's own check sends an empty query each time: ~0.2 ms of a 1-5 ms read."""
    from psycopg_pool import ConnectionPool

    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    if readable:
        ConnectionPool.check_connection(conn)


def open_pg_pool(settings: Settings, *, wait: bool = False):
    """The app's one Postgres pool per process. Open it after gunicorn forks."""
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(
        settings.postgres_dsn(),
        kwargs=settings.postgres_connect_kwargs(),
        min_size=settings.pg_pool_min,
        max_size=settings.pg_pool_max,
        timeout=settings.pg_pool_timeout_s,
        configure=pg_configure(settings),
        check=check_pooled_connection,
        reconnect_timeout=30 * 24 * 3600,  # keep trying in the background; the breaker guards requests
        name="flux-pg",
        open=False,
    )
    pool.open(wait=False)
    if wait:
        pool.wait(timeout=settings.pg_pool_timeout_s * 5)
    return pool


@contextmanager
def pg_admin(settings: Settings, database: str | None = None, autocommit: bool = False) -> Iterator:
    """A writer connection for migrations, loading and the sync (never used by the app)."""
    import psycopg

    with psycopg.connect(
        settings.postgres_admin_dsn(database), autocommit=autocommit, **settings.postgres_connect_kwargs()
    ) as conn:
        yield conn


# -- Warehouse --------------------------------------------------------------------------------
def read_token_file(settings: Settings) -> str:
    # SPCS refreshes this file: re-read it for every new connection.
    return settings.snowflake_token_file.read_text().strip()


def warehouse_connect_kwargs(settings: Settings) -> dict:
    kw: dict = {
        "account": settings.snowflake_account,
        "user": settings.snowflake_user,
        "host": settings.warehouse_host,
        "port": settings.warehouse_port,
        "protocol": settings.warehouse_protocol,
        "database": settings.snowflake_database,
        "schema": settings.snowflake_schema,
        "login_timeout": settings.warehouse_login_timeout_s,
        "network_timeout": settings.warehouse_network_timeout_s,
        "application": "FluxOperationsCenter",
        "client_session_keep_alive": False,
        "paramstyle": "pyformat",
    }
    if settings.snowflake_warehouse:
        kw["warehouse"] = settings.snowflake_warehouse
    if settings.snowflake_role:
        kw["role"] = settings.snowflake_role
    auth = settings.warehouse_authenticator
    if auth == "oauth":
        kw["authenticator"] = "oauth"
        kw["token"] = read_token_file(settings)
        # The token names its user; a different `user` makes Snowflake refuse the login.
        kw.pop("user", None)
    elif auth == "programmatic_access_token":
        kw["authenticator"] = "PROGRAMMATIC_ACCESS_TOKEN"
        kw["token"] = settings.snowflake_pat.get_secret_value()
    elif auth == "keypair":
        kw["authenticator"] = "SNOWFLAKE_JWT"
        kw["private_key_file"] = str(settings.snowflake_private_key_file)
        if settings.snowflake_private_key_passphrase is not None:
            kw["private_key_file_pwd"] = settings.snowflake_private_key_passphrase.get_secret_value()
    else:
        if settings.snowflake_password is not None:
            kw["password"] = settings.snowflake_password.get_secret_value()
        elif settings.warehouse_is_local and settings.warehouse_password_file.exists():
            kw["password"] = settings.warehouse_password_file.read_text().strip()
        else:
            raise RuntimeError("no warehouse password configured")
    return kw


def connect_warehouse(settings: Settings, **overrides):
    import os

    import snowflake.connector

    # The connector probes cloud metadata endpoints (169.254.169.254, ...) on every login to
    # report a platform; that is traffic off loopback and ~0.2 s per login. Off unless set.
    os.environ.setdefault("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
    kw = warehouse_connect_kwargs(settings)
    kw.update(overrides)
    return snowflake.connector.connect(**kw)
