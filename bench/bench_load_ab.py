"""A/B of the load test between two server variants, runs alternating, same conditions.

    .venv/bin/python -m bench.bench_load_ab --base /tmp/flux-base [--pairs 3] [--run-time 60]
        [--env-b FLUX_WEB_WORKERS=3 ...] [--label-a ... --label-b ...] [--out bench/results/load_ab.json]

On a shared 2-core machine a load test's absolute p95 moves with the other work; a ratio of runs
made turn about (A, B, B, A, ...) is what a change can be judged by. Each run is one
``bench.run_load --runs 1`` (50 operators against gunicorn with the production config, seed
scale) from its own checkout: A is ``--base`` (a checkout of the code before the change, with a
.venv link), B is this checkout; ``--env-a`` / ``--env-b`` set variables for one side only (the
worker and thread counts, say), so the same checkout can be compared with itself.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(checkout: Path, env: dict[str, str], args) -> dict:
    subprocess.run([sys.executable, "-m", "bench.run_load", "--runs", "1", "--users", str(args.users),
                    "--run-time", str(args.run_time)], cwd=checkout, env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL, timeout=args.run_time + 400)
    result = json.loads((checkout / "bench" / "results" / "load.json").read_text())
    ops = {n: e["p95_ms"] for n, e in result["endpoints"].items() if e["operational"]}
    return {"worst_operational_p95_ms": max(ops.values()), "operational_p95_ms": ops,
            "errors": result["totals"]["errors"], "rps": result["totals"]["throughput_rps"],
            "load_average_1m": round(os.getloadavg()[0], 2)}


def parse_env(pairs: list[str]) -> dict[str, str]:
    return dict(p.split("=", 1) for p in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout A (the code before)")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--run-time", type=int, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--env-a", nargs="*", default=[])
    parser.add_argument("--env-b", nargs="*", default=[])
    parser.add_argument("--label-a", default="before")
    parser.add_argument("--label-b", default="after")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load_ab.json")
    args = parser.parse_args()

    sides = {"a": (args.base.resolve(), parse_env(args.env_a)), "b": (ROOT, parse_env(args.env_b))}
    # Each checkout's run_load overwrites its own load.json: keep this checkout's as it was.
    own = ROOT / "bench" / "results" / "load.json"
    kept = own.read_bytes() if own.exists() else None
    runs: dict[str, list[dict]] = {"a": [], "b": []}
    try:
        for i in range(args.pairs):
            for side in ("a", "b") if i % 2 == 0 else ("b", "a"):
                checkout, env = sides[side]
                runs[side].append(one_run(checkout, env, args))
                print(side, json.dumps(runs[side][-1]["worst_operational_p95_ms"]), flush=True)
    finally:
        if kept is not None:
            own.write_bytes(kept)
    ratios = [b["worst_operational_p95_ms"] / a["worst_operational_p95_ms"] for a, b in zip(runs["a"], runs["b"])]
    result = {
        "benchmark": "load test A/B: worst operational p95, runs alternating",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join([".venv/bin/python", "-m", "bench.bench_load_ab", "--base", "<checkout before>",
                               "--pairs", str(args.pairs), "--run-time", str(args.run_time),
                               *(["--env-a", *args.env_a] if args.env_a else []),
                               *(["--env-b", *args.env_b] if args.env_b else []),
                               "--label-a", args.label_a, "--label-b", args.label_b]),
        "labels": {"a": args.label_a, "b": args.label_b},
        "env": {"a": sides["a"][1], "b": sides["b"][1]},
        "runs": runs,
        "median_worst_p95_ms": {s: statistics.median(r["worst_operational_p95_ms"] for r in runs[s]) for s in runs},
        "pair_ratios_b_over_a": [round(r, 3) for r in ratios],
        "median_pair_ratio_b_over_a": round(statistics.median(ratios), 3),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("median_worst_p95_ms", "median_pair_ratio_b_over_a")}, indent=2))


if __name__ == "__main__":
    main()
