"""Private services for fault, bad-input and security tests.

- ``PrivateWarehouse``: a fakesnow server of our own (``python -m scripts.warehouse_server``) on a
  free port, with its data under ``.stack/``: the warehouse-stopped test stops it, never the
  shared one on :18765.
- ``ProductionServer``: gunicorn with the production configuration (``app/gunicorn_conf.py``,
  the Dockerfile's CMD) bound to 127.0.0.1 on a free port; its log is kept for the secrets grep.
- ``fault_stack``: a private warehouse and a private Postgres cluster (tests/fix_private_pg.py),
  loaded at the small scale, with recognisable marker secrets as the real passwords.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.fix_private_pg import free_port, start_private_postgres, wait_until

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# Recognisable test secrets: they are the real passwords of the private services, so a server
# configured with them works; none may ever appear in a log.
PG_PASSWORD_MARKER = "pgMarker-7f3c9e1d-NEVER-LOG"
SNOWFLAKE_PASSWORD_MARKER = "sfMarker-b24a6d08-NEVER-LOG"
SECRET_MARKERS = (PG_PASSWORD_MARKER, SNOWFLAKE_PASSWORD_MARKER)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class PrivateWarehouse:
    root: Path
    port: int
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = (self.root / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.warehouse_server", "--dir", str(self.root / "db"), "--port", str(self.port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        if not wait_until(lambda: _port_open(self.port) or self.proc.poll() is not None, 60):
            raise RuntimeError("the private warehouse did not open its port")
        if self.proc.poll() is not None:
            raise RuntimeError(f"the private warehouse exited; see {self.root / 'server.log'}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        wait_until(lambda: not _port_open(self.port), 10)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and _port_open(self.port)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def start_private_warehouse(stack_dir: Path) -> PrivateWarehouse:
    stack_dir.mkdir(parents=True, exist_ok=True)
    wh = PrivateWarehouse(Path(tempfile.mkdtemp(prefix="private-wh-", dir=stack_dir)), free_port())
    wh.start()
    return wh


def server_env(settings, **extra: str) -> dict[str, str]:
    """Environment for a server process that reads the same stores as ``settings``."""
    env = {
        "FLUX_PG_DATABASE": settings.pg_database,
        "SNOWFLAKE_DATABASE": settings.snowflake_database,
        "FLUX_DATA_SCALE": settings.data_scale,
        "FLUX_CACHE_TYPE": settings.cache_type,
        "FLUX_AGENT_MODE": "local",
        "FLUX_AGENT_LOCAL_TOKEN_DELAY_MS": "0",
    }
    if settings.snowflake_port:
        env["SNOWFLAKE_HOST"] = settings.snowflake_host or "127.0.0.1"
        env["SNOWFLAKE_PORT"] = str(settings.snowflake_port)
    if settings.snowflake_password is not None:
        env["SNOWFLAKE_PASSWORD"] = settings.snowflake_password.get_secret_value()
    for name, value in (("FLUX_PG_DSN", settings.pg_dsn), ("FLUX_PG_ADMIN_DSN", settings.pg_admin_dsn),
                        ("FLUX_PG_PASSWORD", settings.pg_password)):
        if value is not None:
            env[name] = value.get_secret_value()
    env.update(extra)
    return env


@dataclass
class ProductionServer:
    """``gunicorn --config app/gunicorn_conf.py app.wsgi:server`` on 127.0.0.1:<free port>."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ProductionServer":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        env = {**os.environ, "FLUX_WEB_WORKERS": "2", "FLUX_WEB_THREADS": "8", **self.env,
               "FLUX_BIND": f"127.0.0.1:{self.port}"}
        self.proc = subprocess.Popen(
            [GUNICORN, "--config", "app/gunicorn_conf.py", "app.wsgi:server"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                return requests.get(self.url + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        if not wait_until(up, 90, 0.3):
            self.stop()
            raise RuntimeError(f"gunicorn did not answer /healthz; see {self.log_path}")
        # every worker has built its app (each answers /healthz only after create_app)
        wait_until(lambda: len(self.worker_pids()) >= int(env["FLUX_WEB_WORKERS"]), 30)
        return self

    def worker_pids(self) -> list[int]:
        """The master's child processes (gunicorn workers)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


@pytest.fixture(scope="session")
def server_log_dir(stack):
    """Every ProductionServer log of this session, for the secrets grep in test_security."""
    path = Path(tempfile.mkdtemp(prefix="h7-server-logs-", dir=ROOT / ".stack" / "log"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start_server(settings, log_dir: Path, name: str, **extra: str) -> ProductionServer:
    return ProductionServer(server_env(settings, **extra), log_dir / f"{name}.log").start()


def start_fault_stack(base):
    """A private warehouse and a private Postgres, both loaded at the small scale and synced,
    whose passwords are the marker secrets. Returns (PrivatePostgres, PrivateWarehouse, Settings);
    the caller destroys both."""
    import psycopg
    from psycopg import sql
    from pydantic import SecretStr

    from data.etl import generate, pipeline, sync
    from data.etl.schema import apply_postgres, apply_warehouse
    from tests.fix_stack import TEST_AS_OF, TEST_SEED

    wh = start_private_warehouse(base.stack_dir)
    pg = None
    try:
        pg = start_private_postgres(base.stack_dir)
        pg.app_password = PG_PASSWORD_MARKER
        with psycopg.connect(pg.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER ROLE flux_app PASSWORD {}").format(sql.Literal(PG_PASSWORD_MARKER)))
        settings = base.model_copy(update={
            "snowflake_host": "127.0.0.1",
            "snowflake_port": wh.port,
            "snowflake_database": "FLUX_FAULTS",
            "snowflake_password": SecretStr(SNOWFLAKE_PASSWORD_MARKER),
            "pg_dsn": SecretStr(f"host=127.0.0.1 port={pg.port} dbname={pg.database} user=flux_app"),
            "pg_password": SecretStr(PG_PASSWORD_MARKER),
            "pg_admin_dsn": SecretStr(pg.admin_dsn()),
            "pg_database": pg.database,
            "cache_type": "null",
            "data_scale": "small",
        })
        # postgres_connect_kwargs() adds pg_password to every connection, the admin's too
        loader = settings.model_copy(update={"pg_password": None})
        apply_warehouse(loader)
        generate.load_warehouse(loader, generate.generate(scale="small", seed=TEST_SEED, as_of=TEST_AS_OF))
        pipeline.run_once(loader)
        apply_postgres(loader)
        sync.sync_all(loader)
        return pg, wh, settings
    except BaseException:
        if pg is not None:
            pg.destroy()
        wh.destroy()
        raise


@pytest.fixture(scope="session")
def fault_stack(test_settings):
    """``start_fault_stack`` for the session: (PrivatePostgres, PrivateWarehouse, Settings)."""
    pg, wh, settings = start_fault_stack(test_settings)
    try:
        yield pg, wh, settings
    finally:
        pg.destroy()
        wh.destroy()


# -- helpers shared by the fault, bad-input and security tests ------------------------------------
def cache_checksums(admin_dsn: str) -> dict[str, tuple[int, str]]:
    """Row count and an md5 over every row of every Postgres cache table."""
    import psycopg
    from psycopg import sql

    from data.read.postgres import CACHE_TABLES

    out = {}
    with psycopg.connect(admin_dsn) as conn:
        for table in sorted(CACHE_TABLES | {"cache_freshness"}):
            stmt = sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {} t")
            out[table] = tuple(conn.execute(stmt.format(sql.Identifier("flux", table))).fetchone())
    return out


def warehouse_counts(settings, tables: tuple[str, ...]) -> dict[str, int]:
    from data.connections import connect_warehouse

    conn = connect_warehouse(settings)
    try:
        cur = conn.cursor()
        out = {}
        for table in tables:  # fixed names from the caller, never request input
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            out[table] = cur.fetchone()[0]
        return out
    finally:
        conn.close()


@dataclass
class Hit:
    started: float  # time.monotonic()
    elapsed_s: float
    path: str
    status: int | None  # None: no HTTP answer (connection error, timeout)
    backend: str | None
    error: str | None = None


def fetch(base_url: str, path: str, timeout_s: float = 20.0, session=None) -> Hit:
    started = time.monotonic()
    try:
        resp = (session or requests).get(base_url + path, timeout=timeout_s, headers={"Connection": "close"})
        return Hit(started, time.monotonic() - started, path, resp.status_code, resp.headers.get("X-Flux-Backend"))
    except requests.RequestException as exc:
        return Hit(started, time.monotonic() - started, path, None, None, f"{type(exc).__name__}: {exc}")


def request_loop(base_url: str, paths: list[str], stop, hits: list[Hit], *, pause_s: float = 0.02,
                 max_s: float = 120.0, session_per_request: bool = True) -> None:
    """Cycle through ``paths`` until ``stop`` is set (or ``max_s`` passes): a bounded load."""
    deadline = time.monotonic() + max_s
    i = 0
    while not stop.is_set() and time.monotonic() < deadline:
        hits.append(fetch(base_url, paths[i % len(paths)]))
        i += 1
        time.sleep(pause_s)


def postmaster_pid(pg) -> int:
    return int((pg.data_dir / "postmaster.pid").read_text().split()[0])


def restart_after_crash(pg) -> None:
    """pg_ctl start, retried while the killed postmaster's orphaned backends still hold its
    shared memory (they exit on noticing the postmaster's death)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            pg.start()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def run_load(url: str, paths: list[str], threads: int = 3):
    stop, hits = threading.Event(), []
    workers = [threading.Thread(target=request_loop, args=(url, paths[i::threads] or paths, stop, hits), daemon=True)
               for i in range(threads)]
    for w in workers:
        w.start()
    return stop, hits, workers


def postgres_kill_under_load(pg, url: str, paths: list[str], *, down_s: float = 4.0, after_s: float = 8.0) -> dict:
    """kill -9 the postmaster while a bounded request loop runs, restart it after ``down_s``.
    Returns the hits and the failover times (also used by bench/bench_failover.py)."""
    stop, hits, workers = run_load(url, paths)
    try:
        time.sleep(1.5)
        t_kill = time.monotonic()
        os.kill(postmaster_pid(pg), signal.SIGKILL)
        time.sleep(down_s)
        restart_after_crash(pg)
        t_restart = time.monotonic()
        time.sleep(after_s)
    finally:
        stop.set()
        for w in workers:
            w.join(30)
    hits = sorted(hits, key=lambda h: h.started)
    # detection: the first answer after the kill that came from the warehouse
    fallback = [h for h in hits if h.started >= t_kill and h.backend == "snowflake"]
    detected_s = (min(h.started + h.elapsed_s for h in fallback) - t_kill) if fallback else None
    # return: after this moment every request was served by Postgres again
    late = [h for h in hits if h.started + h.elapsed_s >= t_restart and h.backend != "postgres"]
    back_at = max((h.started + h.elapsed_s for h in late), default=t_restart)
    return {
        "hits": hits,
        "t_kill": t_kill,
        "t_restart": t_restart,
        "detected_s": detected_s,
        "returned_s": back_at - t_restart,
        "postgres_after_return": sum(1 for h in hits if h.started > back_at and h.backend == "postgres"),
    }


# -- raw HTTP, for what a client library will not send --------------------------------------------
@dataclass
class RawReply:
    status: int | None  # None: the server closed without answering, or did not answer in time
    headers: dict[str, str]  # names lower-cased
    body: bytes
    elapsed_s: float


def raw_request(port: int, head: bytes, body_parts: tuple[bytes, ...] = (), *, pause_s: float = 0.0,
                timeout_s: float = 20.0) -> RawReply:
    """Send ``head``, then each of ``body_parts`` ``pause_s`` apart (stopping once the server
    answers), and read the reply until the server closes or ``timeout_s`` passes."""
    import select
    import socket

    started = time.monotonic()
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
        try:
            s.sendall(head)
            for part in body_parts:
                if select.select([s], [], [], pause_s)[0]:
                    break  # the server answered (and will close): stop sending
                s.sendall(part)
        except OSError:
            pass  # the server refused and closed while we were still sending
        try:
            while time.monotonic() - started < timeout_s:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:  # our timeout, or a reset
            pass
    elapsed = time.monotonic() - started
    head_part, _, rest = data.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/"):
        return RawReply(None, {}, data, elapsed)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawReply(int(lines[0].split()[1]), headers, rest, elapsed)
