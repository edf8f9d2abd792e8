"""Failover times: Postgres killed (kill -9 of the postmaster) under a bounded request loop, then
restarted, against gunicorn with the production config on 127.0.0.1.

    .venv/bin/python -m bench.bench_failover [--runs 3]

Uses a PRIVATE Postgres cluster and a PRIVATE fakesnow server (tests/fix_services.py), loaded at
the small scale; the shared servers are never touched. Writes bench/results/failover.json:
- detection: from the kill to the first answer served by the warehouse instead;
- return: from the restart (pg_ctl start returned) until every later request is served by
  Postgres again (breaker cool-down + pool reconnect);
- errors and the slowest request during the whole episode.
Each figure is the median over ``--runs`` episodes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "failover.json"
GOAL_RETURN_S = 5.0
PATHS = [
    "/api/postgres/substations/status",
    "/api/substations",
    "/api/topology/feeders",
    "/api/assets?bbox=-95.6,29.6,-95.2,29.9&limit=200",
    "/api/circuits/metadata",
    "/api/outages/active",
    "/api/work-orders/active",
    "/api/crews",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--down-s", type=float, default=4.0, help="seconds Postgres stays dead")
    args = parser.parse_args()

    from settings import Settings
    from tests.fix_services import ProductionServer, postgres_kill_under_load, server_env, start_fault_stack

    base = Settings()
    pg, wh, settings = start_fault_stack(base)
    logs = Path(tempfile.mkdtemp(prefix="failover-", dir=ROOT / ".stack"))
    server = ProductionServer(server_env(settings), logs / "gunicorn.log").start()
    episodes = []
    try:
        for _ in range(args.runs):
            run = postgres_kill_under_load(pg, server.url, PATHS, down_s=args.down_s, after_s=8.0)
            hits = run["hits"]
            episodes.append({
                "requests": len(hits),
                "errors": sum(1 for h in hits if h.status is None or h.status >= 500),
                "detected_s": round(run["detected_s"], 3) if run["detected_s"] is not None else None,
                "returned_s": round(run["returned_s"], 3),
                "slowest_request_s": round(max(h.elapsed_s for h in hits), 3),
                "served_by_warehouse": sum(1 for h in hits if h.backend == "snowflake"),
            })
    finally:
        server.stop()
        pg.destroy()
        wh.destroy()

    def med(key):
        values = [e[key] for e in episodes if e[key] is not None]
        return round(statistics.median(values), 3) if values else None

    result = {
        "benchmark": "failover: Postgres kill -9 under load, then restart (gunicorn, production config)",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "setup": {"scale": "small", "postgres": "private cluster (kill -9 of the postmaster)",
                  "warehouse": "private fakesnow server", "down_s": args.down_s, "client_threads": 3,
                  "breaker_cooldown_s": settings.breaker_cooldown_s, "pg_pool_timeout_s": settings.pg_pool_timeout_s},
        "command": f".venv/bin/python -m bench.bench_failover --runs {args.runs}",
        "median": {k: med(k) for k in ("detected_s", "returned_s", "slowest_request_s")},
        "errors_total": sum(e["errors"] for e in episodes),
        "goal": {"return_to_postgres_s": GOAL_RETURN_S, "errors": 0},
        "episodes": episodes,
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(logs, ignore_errors=True)  # kept only when an episode raised
    print(json.dumps(result["median"] | {"errors_total": result["errors_total"]}, indent=2))


if __name__ == "__main__":
    main()
