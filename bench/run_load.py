"""The load test: 50 simulated operators (bench/locustfile.py) against gunicorn with the production
config on 127.0.0.1, at seed scale (the main `flux` / `FLUX` databases).

    .venv/bin/python -m bench.run_load [--users 50 --spawn-rate 5 --run-time 120 --runs 3]

Every run is bounded (locust --run-time, a fixed user count) and stops by itself. Writes
bench/results/load.json: p50/p95/p99 per endpoint (median over runs), errors, throughput, and the
goal (zero errors; operational endpoints p95 <= 50 ms). Locust runs from its own venv
(bench/requirements-load.txt; made on first use): it needs urllib3 2, the app venv holds 1.26.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "load.json"
LOCUST_VENV = ROOT / ".stack" / "locust-venv"
GOAL_P95_MS = 50.0
SEED_FEEDER_SEGMENTS = 60_000
LOAD_COMMAND = (".venv/bin/python -m data.etl.schema && .venv/bin/python -m data.etl.generate --scale seed --if-empty && "
                ".venv/bin/python -m data.etl.pipeline --once && .venv/bin/python -m data.etl.sync --once")


def is_operational(name: str) -> bool:
    """Grid-state reads served from the Postgres cache (the goal's subject)."""
    return name.startswith("/api/") and not name.startswith(("/api/kpis", "/api/agent"))


def locust_bin() -> Path:
    exe = LOCUST_VENV / "bin" / "locust"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run([str(LOCUST_VENV / "bin" / "pip"), "install", "-q", "-r",
                        str(ROOT / "bench" / "requirements-load.txt")], check=True)
    return exe


def check_seed_scale(settings) -> int:
    from data.connections import pg_admin

    with pg_admin(settings) as conn:
        n = conn.execute("SELECT count(*) FROM flux.feeder_segments").fetchone()[0]
    if n < SEED_FEEDER_SEGMENTS:
        sys.exit(f"{settings.pg_database} holds {n} feeder segments, not seed scale; load it first:\n  {LOAD_COMMAND}")
    return n


def read_stats(prefix: Path) -> dict:
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    out = {}
    for row in rows:
        name = row["Name"] if row["Type"] != "" else "Aggregated"
        if name == "Aggregated" or row["Name"] == "Aggregated":
            name = "Aggregated"
        out[name] = {
            "method": row["Type"] or None,
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
            "max_ms": float(row["Max Response Time"]),
            "rps": float(row["Requests/s"]),
        }
    failures = []
    fpath = prefix.parent / f"{prefix.name}_failures.csv"
    if fpath.exists():
        failures = [{"name": r["Name"], "error": r["Error"][:300], "occurrences": int(r["Occurrences"])}
                    for r in csv.DictReader(fpath.open())]
    return {"endpoints": out, "failures": failures}


def run_once(url: str, args, workdir: Path, index: int) -> dict:
    prefix = workdir / f"run{index}"
    cmd = [str(locust_bin()), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", url,
           "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.run_time}s",
           "--stop-timeout", "30", "--csv", str(prefix), "--only-summary", "--exit-code-on-error", "0",
           "--loglevel", "WARNING"]
    started = time.monotonic()
    subprocess.run(cmd, check=True, timeout=args.run_time + 180, cwd=workdir)
    stats = read_stats(prefix)
    stats["wall_s"] = round(time.monotonic() - started, 1)
    return stats


def median_endpoints(runs: list[dict]) -> dict:
    names = sorted({n for r in runs for n in r["endpoints"]})
    out = {}
    for name in names:
        per = [r["endpoints"][name] for r in runs if name in r["endpoints"]]
        out[name] = {
            "requests": sum(p["requests"] for p in per),
            "failures": sum(p["failures"] for p in per),
            **{k: round(statistics.median(p[k] for p in per), 1) for k in ("p50_ms", "p95_ms", "p99_ms", "rps")},
            "max_ms": max(p["max_ms"] for p in per),
            "operational": is_operational(name),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--run-time", type=int, default=120, help="seconds per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-database", default="flux")
    parser.add_argument("--warehouse-database", default="FLUX")
    args = parser.parse_args()

    os.environ.update({"FLUX_PG_DATABASE": args.pg_database, "SNOWFLAKE_DATABASE": args.warehouse_database})
    from settings import Settings
    from tests.fix_services import ProductionServer

    settings = Settings()
    segments = check_seed_scale(settings)
    workdir = Path(tempfile.mkdtemp(prefix="load-", dir=ROOT / ".stack"))
    env = {
        "FLUX_PG_DATABASE": args.pg_database,
        "SNOWFLAKE_DATABASE": args.warehouse_database,
        "FLUX_CACHE_TYPE": "filesystem",
        "FLUX_CACHE_DIR": str(workdir / "cache"),  # production's shared cache, private to this run
        "FLUX_WEB_WORKERS": str(settings.web_workers),
        "FLUX_WEB_THREADS": str(settings.web_threads),
        "FLUX_LOG_LEVEL": "WARNING",
    }
    server = ProductionServer(env, workdir / "gunicorn.log").start()
    try:
        runs = [run_once(server.url, args, workdir, i) for i in range(args.runs)]
        server_5xx = server.log_text().count('"status": 5')
    finally:
        server.stop()
    endpoints = median_endpoints(runs)
    total = endpoints.pop("Aggregated")
    operational = {n: e for n, e in endpoints.items() if e["operational"]}
    worst = max(operational.values(), key=lambda e: e["p95_ms"])
    errors = sum(r["endpoints"]["Aggregated"]["failures"] for r in runs)
    result = {
        "benchmark": "load test: simulated operators against gunicorn (production config), seed scale",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
        "databases": {"postgres": args.pg_database, "warehouse": args.warehouse_database},
        "feeder_segments": segments,
        "server": f"gunicorn gthread, {settings.web_workers} workers x {settings.web_threads} threads, "
                  "filesystem cache, bound to 127.0.0.1; locust on the same 2 cores",
        "profile": {"users": args.users, "spawn_rate": args.spawn_rate, "run_time_s": args.run_time, "runs": args.runs,
                    "per_operator": "page load; real-time panels every 15 s; a map pan every 5-15 s; "
                                    "one chat question a minute (whole SSE answer timed)"},
        "command": f".venv/bin/python -m bench.run_load --users {args.users} --spawn-rate {args.spawn_rate:g} "
                   f"--run-time {args.run_time} --runs {args.runs}",
        "totals": {"requests": total["requests"], "errors": errors, "server_5xx_logged": server_5xx,
                   "throughput_rps": total["rps"], "p50_ms": total["p50_ms"], "p95_ms": total["p95_ms"],
                   "p99_ms": total["p99_ms"]},
        "endpoints": endpoints,
        "failures": [f for r in runs for f in r["failures"]],
        "goal": {"errors": 0, "operational_p95_ms": GOAL_P95_MS},
        "verdict": {"zero_errors": errors == 0,
                    "worst_operational_p95_ms": worst["p95_ms"],
                    "operational_p95_within_goal": all(e["p95_ms"] <= GOAL_P95_MS for e in operational.values())},
        "runs": [{"wall_s": r["wall_s"], "requests": r["endpoints"]["Aggregated"]["requests"],
                  "failures": r["endpoints"]["Aggregated"]["failures"], "rps": r["endpoints"]["Aggregated"]["rps"]}
                 for r in runs],
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({"totals": result["totals"], "verdict": result["verdict"]}, indent=2))


if __name__ == "__main__":
    main()
