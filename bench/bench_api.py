"""Benchmark the REST API and the repository at seed scale, in-process and through gunicorn.

    .venv/bin/python -m bench.bench_api [--pg-database flux --warehouse-database FLUX] [--runs 5]

Writes bench/results/api.json. Each figure is the median over ``--runs`` runs; the issue's
target sits next to it. Reads only: it never writes to the databases it is pointed at, except
for the private Postgres cluster it starts (and stops) to time dead-Postgres detection.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "api.json"

OPERATIONAL = [
    "/api/postgres/substations/status",
    "/api/substations",
    "/api/assets",
    "/api/assets?bbox=-95.40,29.72,-95.35,29.77",
    "/api/circuits/metadata",
    "/api/outages/active",
    "/api/work-orders/active",
    "/api/crews",
]
TARGET_P95_MS = {"/api/substations": 3.0}
DEFAULT_TARGET_P95_MS = 5.0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(samples: list[float]) -> dict:
    return {"p50_ms": round(pct(samples, 0.5), 3), "p95_ms": round(pct(samples, 0.95), 3), "n": len(samples)}


def median_of_runs(runs: list[dict]) -> dict:
    return {k: round(statistics.median(r[k] for r in runs), 3) if k != "n" else runs[0][k] for k in runs[0]}


def server_ms(resp_headers, metric: str = "app") -> float:
    """A time from Server-Timing: ``app`` (until the body is built) or ``total`` (compressed)."""
    for part in resp_headers.get("Server-Timing", "").split(","):
        part = part.strip()
        if part.startswith(metric + ";"):
            return float(part.split("dur=")[1])
    return float("nan")


def make_settings(args, **overrides):
    from settings import Settings

    env = {"pg_database": args.pg_database, "snowflake_database": args.warehouse_database, **overrides}
    return Settings(**env)


# what Chromium offers (the dashboard's JSON comes back zstd) and what a gzip-only client offers
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"
GZIP_ONLY = "gzip, deflate"


def measure(get, path: str, n: int, runs: int, wall_name: str) -> dict:
    """``runs`` x ``n`` requests per encoding: the app's time (until the body is built), the time
    with compression for a browser (zstd) and for a gzip client, and the client's wall time."""
    series: dict[str, list[dict]] = {"server_time": [], "server_time_with_zstd": [], "server_time_with_gzip": [],
                                     wall_name: []}
    backend = None
    for _ in range(runs):
        for encoding, total_name in ((GZIP_ONLY, "server_time_with_gzip"), (BROWSER_ENCODINGS, "server_time_with_zstd")):
            app_ms, total_ms, wall = [], [], []
            for _ in range(n):
                t = time.perf_counter()
                resp = get(path, {"Accept-Encoding": encoding})
                wall.append((time.perf_counter() - t) * 1000)
                app_ms.append(server_ms(resp.headers))
                total_ms.append(server_ms(resp.headers, "total"))
                backend = resp.headers.get("X-Flux-Backend")
            series[total_name].append(summary(total_ms))
            if encoding == GZIP_ONLY:
                series["server_time"].append(summary(app_ms))
                series[wall_name].append(summary(wall))
    target = TARGET_P95_MS.get(path, DEFAULT_TARGET_P95_MS)
    out = {"backend": backend, **{name: median_of_runs(runs_) for name, runs_ in series.items()}, "target_p95_ms": target}
    out["meets_target"] = out["server_time"]["p95_ms"] <= target
    return out


# -- in-process ----------------------------------------------------------------------------------
def bench_in_process(settings, n: int, runs: int) -> dict:
    from app import create_app

    app = create_app(settings)
    client = app.server.test_client()
    for path in OPERATIONAL:
        for _ in range(20):
            client.get(path)
    out = {path: measure(lambda p, h: client.get(p, headers=h), path, n, runs, "test_client_wall")
           for path in OPERATIONAL}
    app.server.extensions["flux_repository"].close()
    return out


def bench_in_process_cached(settings, n: int, runs: int, cache_dir: Path) -> dict:
    """The same requests with the shared filesystem cache on (what repeated reads cost)."""
    from app import create_app

    app = create_app(settings.model_copy(update={"cache_type": "filesystem", "cache_dir": cache_dir}))
    client = app.server.test_client()
    out = {}
    for path in OPERATIONAL:
        client.get(path)
        per_run = []
        for _ in range(runs):
            server = []
            for _ in range(n):
                resp = client.get(path, headers={"Accept-Encoding": "gzip"})
                assert resp.headers.get("X-Flux-Cache") == "hit"
                server.append(server_ms(resp.headers))
            per_run.append(summary(server))
        out[path] = {"server_time": median_of_runs(per_run)}
    app.server.extensions["flux_repository"].close()
    return out


# -- through gunicorn ------------------------------------------------------------------------------
def start_gunicorn(settings_env: dict, port: int) -> subprocess.Popen:
    env = {**os.environ, **settings_env, "FLUX_BIND": f"127.0.0.1:{port}", "FLUX_LOG_LEVEL": "WARNING"}
    conf = ROOT / "app" / "gunicorn_conf.py"
    cmd = [str(ROOT / ".venv" / "bin" / "gunicorn")]
    if conf.exists():
        cmd += ["-c", str(conf)]
    else:
        cmd += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "8", "--worker-class", "gthread"]
    cmd += ["app.wsgi:server"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited: " + proc.stderr.read().decode()[-2000:])
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def bench_http(settings_env: dict, n: int, runs: int) -> dict:
    import requests

    from tests.fix_private_pg import free_port

    port = free_port()
    proc = start_gunicorn(settings_env, port)
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    out = {}
    try:
        for path in OPERATIONAL:
            for _ in range(20):
                session.get(base + path)
        for path in OPERATIONAL:
            out[path] = measure(lambda p, h: session.get(base + p, headers=h), path, n, runs, "client_round_trip")
        out["feeders"] = bench_feeders_http(session, base, runs)
    finally:
        stop_gunicorn(proc)
    return out


def bench_feeders_http(session, base: str, runs: int) -> dict:
    """Wire size and revalidation through gunicorn (the shared filesystem cache is on)."""
    out = {}
    for label, path in (("overview_zoom9", "/api/topology/feeders?zoom=9"),
                        ("all_segments_zoom11", "/api/topology/feeders?zoom=11")):
        resp = session.get(base + path, headers={"Accept-Encoding": "gzip"}, stream=True)
        wire = len(resp.raw.read(decode_content=False))
        etag = resp.headers["ETag"]
        times_304, times_cached = [], []
        for _ in range(max(runs, 5) * 4):
            t = time.perf_counter()
            r304 = session.get(base + path, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
            times_304.append((time.perf_counter() - t) * 1000)
            assert r304.status_code == 304
            t = time.perf_counter()
            session.get(base + path, headers={"Accept-Encoding": "gzip"})
            times_cached.append((time.perf_counter() - t) * 1000)
        out[label] = {"features": int(resp.headers.get("X-Flux-Count", 0)), "wire_bytes_gzip": wire,
                      "status_304": 304, "revalidation_304": summary(times_304),
                      "cached_round_trip": summary(times_cached)}
    return out


# -- feeders in process: uncached vs cached -------------------------------------------------------
def bench_feeders(settings, runs: int, cache_dir: Path) -> dict:
    from cachelib import FileSystemCache

    from data.connections import open_pg_pool
    from data.read.repository import Repository

    pool = open_pg_pool(settings, wait=True)
    uncached_repo = Repository.from_settings(settings, pg_pool=pool, cache=None)
    cache = FileSystemCache(str(cache_dir))
    cached_repo = Repository.from_settings(settings, pg_pool=pool, cache=cache)
    out = {}
    try:
        for label, zoom in (("overview_zoom9", 9.0), ("all_segments_zoom11", 11.0)):
            uncached = []
            for _ in range(max(runs, 5)):
                t = time.perf_counter()
                result = uncached_repo.feeder_topology(zoom=zoom)
                uncached.append((time.perf_counter() - t) * 1000)
            layer = result.data
            cache.clear()
            cached_repo.feeder_topology(zoom=zoom)
            cached = []
            for _ in range(max(runs, 5) * 10):
                t = time.perf_counter()
                hit = cached_repo.feeder_topology(zoom=zoom)
                cached.append((time.perf_counter() - t) * 1000)
                assert hit.provenance.cached
            out[label] = {
                "lod": layer.lod,
                "features": layer.count,
                "json_bytes": layer.raw_bytes,
                "gzip_bytes": len(layer.gzip_body),
                "target_wire_bytes": 1_200_000,
                "original_wire_bytes": 2_800_000,
                "uncached_ms": summary(uncached),
                "target_uncached_ms": 150,
                "cached_ms": summary(cached),
                "target_cached_ms": 5,
                "backend": result.provenance.backend,
            }
    finally:
        uncached_repo.warehouse.pool.close()
        cached_repo.warehouse.pool.close()
        pool.close()
    return out


# -- fallback -------------------------------------------------------------------------------------
def bench_fallback(settings, runs: int) -> dict:
    """Postgres dead, breaker open: an operational read via the facade vs the warehouse store
    called directly; and how long the first read takes to find a just-killed Postgres dead."""
    from data.etl import sync
    from data.connections import open_pg_pool
    from data.read.repository import Repository
    from data.etl.schema import apply_postgres
    from tests.fix_private_pg import start_private_postgres

    pg = start_private_postgres(settings.stack_dir)
    out: dict = {}
    try:
        private = pg.settings(settings, cache_type="null", breaker_cooldown_s=3600.0)
        apply_postgres(private)
        t = time.perf_counter()
        sync.sync_all(private)
        out["private_sync_s"] = round(time.perf_counter() - t, 2)
        pool = open_pg_pool(private, wait=True)
        repo = Repository.from_settings(private, pg_pool=pool)
        for _ in range(50):
            assert repo.substations().provenance.backend == "postgres"
        pg.stop("immediate")
        # detection: the first read after the kill until the facade has given up on Postgres
        # (the store raising, which opens the breaker); then that read's warehouse answer.
        t = time.perf_counter()
        try:
            repo.postgres.substations()
            raise AssertionError("a stopped Postgres answered")
        except Exception as exc:
            detection = (time.perf_counter() - t) * 1000
            repo.breaker.failure(exc)
            out["detection_error"] = type(exc).__name__
        t = time.perf_counter()
        first = repo.substations()
        answer = (time.perf_counter() - t) * 1000
        assert first.provenance.backend == "snowflake" and first.provenance.fallback_reason == "breaker_open"
        out["first_dead_postgres_detection_ms"] = round(detection, 1)
        out["target_detection_ms"] = 1000
        out["then_served_from_warehouse_ms"] = round(answer, 1)
        out["pool_timeout_s"] = private.pg_pool_timeout_s
        out["note"] = ("detection is the pool wait (pg_pool_timeout_s): libpq's connect_timeout cannot go "
                       "below 2 s, and the pool's connection check finds the killed server's connections "
                       "dead, so the read waits for a new one up to the pool timeout")
        reads = {
            "substations": (lambda: repo.substations(), lambda: repo.warehouse.substations()),
            "active_outages": (lambda: repo.active_outages(), lambda: repo.warehouse.active_outages()),
            "crews": (lambda: repo.crews(), lambda: repo.warehouse.crews()),
        }
        out["reads"] = {}
        for name, (facade, direct) in reads.items():
            fac_runs, dir_runs = [], []
            for _ in range(runs):
                fac, dr = [], []
                for _ in range(30):  # interleaved so both see the same warehouse conditions
                    t = time.perf_counter()
                    res = facade()
                    fac.append((time.perf_counter() - t) * 1000)
                    assert res.provenance.backend == "snowflake" and res.provenance.fallback_reason == "breaker_open"
                    t = time.perf_counter()
                    direct()
                    dr.append((time.perf_counter() - t) * 1000)
                fac_runs.append(statistics.median(fac))
                dir_runs.append(statistics.median(dr))
            f, d = statistics.median(fac_runs), statistics.median(dir_runs)
            out["reads"][name] = {"facade_fallback_p50_ms": round(f, 2), "direct_warehouse_p50_ms": round(d, 2),
                                  "overhead_ms": round(f - d, 2), "target_overhead_ms": 10}
        repo.close()
    finally:
        pg.destroy()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-database", default="flux")
    parser.add_argument("--warehouse-database", default="FLUX")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-n", type=int, default=200, help="requests per endpoint per run")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-fallback", action="store_true")
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)
    import tempfile

    from data.connections import pg_admin

    base = make_settings(args, cache_type="null")
    with pg_admin(base) as conn:
        counts = dict(conn.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE schemaname = 'flux'").fetchall())
        exact = {t: conn.execute(f"SELECT count(*) FROM flux.{t}").fetchone()[0]
                 for t in ("substations", "feeder_segments", "grid_assets", "customers")}
    result: dict = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": [round(v, 2) for v in os.getloadavg()]},
        "databases": {"postgres": args.pg_database, "warehouse": args.warehouse_database},
        "scale": exact,
        "method": f"median over {args.runs} runs of p50/p95; {args.n} requests per endpoint per run; "
                  "server_time is the app's own time until the body is built (Server-Timing app;dur), "
                  "server_time_with_zstd / _with_gzip add compressing it (total;dur) for a browser "
                  "(Accept-Encoding: gzip, deflate, br, zstd) / a gzip-only client; the round trip is the "
                  "gzip client's; cache off for the "
                  "per-endpoint figures so every request reads Postgres",
    }
    result["in_process"] = bench_in_process(base, args.n, args.runs)
    with tempfile.TemporaryDirectory(prefix="bench-cache-", dir=base.stack_dir) as cache_dir:
        result["in_process_cached"] = bench_in_process_cached(base, args.n, args.runs, Path(cache_dir))
    with tempfile.TemporaryDirectory(prefix="bench-cache-", dir=base.stack_dir) as cache_dir:
        result["feeders_in_process"] = bench_feeders(base, args.runs, Path(cache_dir))
    if not args.skip_http:
        env = {"FLUX_PG_DATABASE": args.pg_database, "SNOWFLAKE_DATABASE": args.warehouse_database,
               "FLUX_CACHE_TYPE": "null"}
        result["http_gunicorn"] = bench_http(env, args.n, args.runs)
        with tempfile.TemporaryDirectory(prefix="bench-cache-", dir=base.stack_dir) as cache_dir:
            import requests

            from tests.fix_private_pg import free_port

            port = free_port()
            proc = start_gunicorn({**env, "FLUX_CACHE_TYPE": "filesystem", "FLUX_CACHE_DIR": cache_dir}, port)
            try:
                result["feeders_http_cached"] = bench_feeders_http(requests.Session(), f"http://127.0.0.1:{port}", args.runs)
            finally:
                stop_gunicorn(proc)
        result["http_gunicorn"].pop("feeders", None)
    if not args.skip_fallback:
        result["fallback"] = bench_fallback(base, args.runs)
    result["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    OUT.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
