"""A private PostgreSQL cluster that fault tests may stop, kill and restart.

The shared local stack's Postgres must never be stopped (others use it). This fixture runs
initdb into a temporary directory under ``.stack/``, as the ``postgres`` OS user (initdb refuses
root), on a free port of its own; applies the schemas with ``data.etl.schema.apply_postgres``; and
syncs the loaded test warehouse into it with ``data.etl.sync.sync_all``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class PrivatePostgres:
    root: Path
    port: int
    superuser_password: str
    app_password: str
    database: str = "flux"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), *args]),
            check=check,
            capture_output=True,
            text=True,
        )

    def init(self) -> None:
        import pwd

        self.root.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "initpw"
        pwfile.write_text(self.superuser_password + "\n")
        pwfile.chmod(0o600)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for p in (self.root, pwfile):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", "postgres", f"--pwfile={pwfile}",
                 "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]
            ),
            check=True,
            capture_output=True,
            text=True,
        )
        pwfile.unlink()
        with (self.data_dir / "postgresql.conf").open("a") as f:
            f.write(
                "\nlisten_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\n"
                "max_connections = 100\nshared_buffers = 64MB\njit = off\n"
                # These tests crash the server process, never the OS: WAL written to the page cache
                # survives without fsync. A commit must still write its WAL before it returns
                # (synchronous_commit on), or a crash right after the sync loses its last tables.
                "fsync = off\nsynchronous_commit = on\n"
            )
        (self.data_dir / "pg_hba.conf").write_text("host all all 127.0.0.1/32 scram-sha-256\n")

    def start(self) -> None:
        self._pg_ctl("-l", str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server for real; ``immediate`` is a crash-like stop (no checkpoint)."""
        self._pg_ctl("-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def admin_dsn(self, database: str | None = None) -> str:
        return (f"host=127.0.0.1 port={self.port} dbname={database or self.database} "
                f"user=postgres password={self.superuser_password}")

    def app_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={self.database} user=flux_app password={self.app_password}"

    def bootstrap(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
            conn.execute(
                sql.SQL("CREATE ROLE flux_app LOGIN PASSWORD {}").format(sql.Literal(self.app_password))
            )

    def settings(self, base, **overrides):
        """``base`` Settings pointed at this cluster (the warehouse stays as in ``base``)."""
        from pydantic import SecretStr

        update = {
            "pg_dsn": SecretStr(self.app_dsn()),
            "pg_admin_dsn": SecretStr(self.admin_dsn()),
            "pg_database": self.database,
            **overrides,
        }
        return base.model_copy(update=update)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def start_private_postgres(stack_dir: Path) -> PrivatePostgres:
    stack_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="private-pg-", dir=stack_dir))
    pg = PrivatePostgres(root, free_port(), secrets.token_urlsafe(18), secrets.token_urlsafe(18))
    pg.init()
    pg.start()
    pg.bootstrap()
    return pg


def wait_until(predicate, timeout_s: float = 20.0, interval_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()


@pytest.fixture(scope="module")
def private_pg(loaded_stores):
    """A running private cluster with the schemas applied and the test warehouse synced into it.
    Yields (PrivatePostgres, Settings pointed at it; cache off, 1 s breaker cool-down)."""
    from data.etl import sync
    from data.etl.schema import apply_postgres

    pg = start_private_postgres(loaded_stores.stack_dir)
    try:
        settings = pg.settings(loaded_stores, cache_type="null", breaker_cooldown_s=1.0)
        apply_postgres(settings)
        sync.sync_all(settings)
        yield pg, settings
    finally:
        pg.destroy()
