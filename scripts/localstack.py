"""The embedded local stack: PostgreSQL 15 + PostGIS and the fakesnow warehouse, on 127.0.0.1.

    python -m scripts.localstack up | down | status

Idempotent. Data lives in the checkout (``.stack/``, ignored by git). Secrets are generated on
first start and kept in ``.stack/`` with mode 0600; nothing is hard-coded.
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from settings import Settings

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_OS_USER = "postgres"


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as the postgres OS user.
    if os.geteuid() == 0:
        return ["runuser", "-u", PG_OS_USER, "--", *cmd]
    return cmd


def _pg_owner_ids() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    pw = pwd.getpwnam(PG_OS_USER)
    return pw.pw_uid, pw.pw_gid


def _ensure_traversable(path: Path) -> None:
    """The postgres OS user must be able to reach the data directory inside the checkout."""
    if os.geteuid() != 0:
        return
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


class LocalStack:
    def __init__(self, settings: Settings):
        self.s = settings
        self.dir = settings.stack_dir
        self.pgdata = self.dir / "pg" / "data"
        self.pgrun = self.dir / "pg" / "run"
        self.logs = self.dir / "log"
        self.warehouse_dir = self.dir / "warehouse"
        self.warehouse_pid = self.dir / "warehouse.pid"

    # -- postgres -------------------------------------------------------------------------
    def _pg_secret(self, name: str) -> str:
        path = self.dir / f"{name}.pw"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return path.read_text().strip()

    def _write_pgpass(self) -> None:
        port = self.s.local_pg_port
        lines = [
            f"127.0.0.1:{port}:*:postgres:{self._pg_secret('pg_superuser')}",
            f"127.0.0.1:{port}:*:{self.s.pg_app_user}:{self._pg_secret('pg_app')}",
        ]
        self.s.pgpass_file.write_text("\n".join(lines) + "\n")
        self.s.pgpass_file.chmod(0o600)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), *args]),
            check=check,
            capture_output=True,
            text=True,
        )

    def pg_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        return self._pg_ctl("status", check=False).returncode == 0

    def pg_init(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        owner = _pg_owner_ids()
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.pgrun.mkdir(parents=True, exist_ok=True)
        pwfile = self.dir / "pg" / "initpw"
        pwfile.write_text(self._pg_secret("pg_superuser") + "\n")
        for p in (self.dir / "pg", self.pgdata, self.pgrun, pwfile):
            if owner:
                os.chown(p, *owner)
        os.chmod(self.pgdata, 0o700)
        pwfile.chmod(0o600)
        _ensure_traversable(self.dir)
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
        )
        pwfile.unlink()
        conf = self.pgdata / "postgresql.conf"
        with conf.open("a") as f:
            f.write(
                "\n# flux local stack\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.s.local_pg_port}\n"
                f"unix_socket_directories = '{self.pgrun}'\n"
                "max_connections = 300\n"
                "shared_buffers = 512MB\n"
                "work_mem = 32MB\n"
                "maintenance_work_mem = 256MB\n"
                "fsync = on\n"
                "synchronous_commit = off\n"
                "wal_level = minimal\n"
                "max_wal_senders = 0\n"
                "max_wal_size = 2GB\n"
                "jit = off\n"
            )
        # Loopback only, password auth.
        (self.pgdata / "pg_hba.conf").write_text(
            "local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n"
        )

    def pg_start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pg_init()
        self._write_pgpass()
        if not self.pg_running():
            logfile = self.dir / "pg" / "server.log"
            self._pg_ctl("-l", str(logfile), "-w", "-t", "60", "start")
        self._pg_bootstrap()

    def _pg_bootstrap(self) -> None:
        """Create the database and the app's login role; the schema itself is a migration."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.s.postgres_admin_dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.s.pg_database,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.s.pg_database)))
            role = sql.Identifier(self.s.pg_app_user)
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (self.s.pg_app_user,)).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                    role, sql.Literal(self._pg_secret("pg_app"))
                )
            )

    def pg_stop(self) -> None:
        if self.pg_running():
            self._pg_ctl("-m", "fast", "-w", "stop", check=False)

    # -- warehouse ------------------------------------------------------------------------
    def warehouse_running(self) -> bool:
        return _port_open(self.s.local_warehouse_port)

    def warehouse_start(self) -> None:
        self._pg_secret("warehouse")  # the password the connector sends; fakesnow accepts any
        if self.warehouse_running():
            return
        self.logs.mkdir(parents=True, exist_ok=True)
        self.warehouse_dir.mkdir(parents=True, exist_ok=True)
        log = (self.logs / "warehouse.log").open("ab")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scripts.warehouse_server",
                "--dir",
                str(self.warehouse_dir),
                "--port",
                str(self.s.local_warehouse_port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        self.warehouse_pid.write_text(str(proc.pid))
        deadline = time.monotonic() + 60
        while not self.warehouse_running():
            if proc.poll() is not None:
                raise RuntimeError(f"warehouse failed to start; see {self.logs / 'warehouse.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError("warehouse did not open its port within 60 s")
            time.sleep(0.1)

    def warehouse_stop(self) -> None:
        if not self.warehouse_pid.exists():
            return
        pid = int(self.warehouse_pid.read_text())
        try:
            os.kill(pid, signal.SIGINT)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.warehouse_pid.unlink(missing_ok=True)

    # -- commands -------------------------------------------------------------------------
    def up(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pg_start()
        self.warehouse_start()

    def down(self) -> None:
        self.warehouse_stop()
        self.pg_stop()

    def status(self) -> bool:
        pg = self.pg_running()
        wh = self.warehouse_running()
        print(f"postgres   127.0.0.1:{self.s.local_pg_port}  {'up' if pg else 'down'}  ({self.pgdata})")
        print(f"warehouse  127.0.0.1:{self.s.local_warehouse_port}  {'up' if wh else 'down'}  ({self.warehouse_dir})")
        from data.etl import heartbeat

        # the continuous pipeline and incremental sync (scripts/run.sh), from their heartbeats
        for name in ("pipeline", "sync", "sync_meters"):
            print(f"{name:<11} {heartbeat.describe(self.s, name)}")
        if wh:
            self.feed_status()
        return pg and wh

    def feed_status(self) -> None:
        """The live feed's rate and lag from its heartbeat (informational: never fails status)."""
        from data.etl.live.status import describe, heartbeats

        if not self.s.live_feed:
            print("feed       off (FLUX_LIVE_FEED=false)")
            return
        try:
            beats = heartbeats(self.s)
        except Exception as exc:
            print(f"feed       unknown ({type(exc).__name__})")
            return
        if not beats:
            print("feed       no heartbeat yet")
        for beat in beats:
            print(describe(beat, stale_s=max(30.0, 3 * self.s.live_heartbeat_s)))

    def destroy(self) -> None:
        self.down()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage the embedded local stack.")
    parser.add_argument("command", choices=["up", "down", "status", "destroy"])
    args = parser.parse_args(argv)
    stack = LocalStack(Settings())
    if args.command == "up":
        stack.up()
        stack.status()
    elif args.command == "down":
        stack.down()
        stack.status()
    elif args.command == "status":
        return 0 if stack.status() else 3
    elif args.command == "destroy":
        stack.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
