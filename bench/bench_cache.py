"""The shared file cache's bookkeeping: a read that misses (claim, produce, store, unclaim) and
then hits, from several threads at once, with cachelib's entry-count threshold (the count file
every new entry and delete rewrites) and without it (app/cache.py: no threshold, swept instead).

    .venv/bin/python -m bench.bench_cache [--runs 5 --threads 8 --reads 600]

Writes bench/results/cache.json: per threshold, the median over runs of the time per miss + hit.
In-process, no store: only the cache's own cost (the read's answer is a fixed 50-row result).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from cachelib import FileSystemCache

from data.read.models import Provenance, ReadResult
from data.read.read_cache import ReadCache

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "cache.json"
RESULT = ReadResult([{"id": i, "v": "x" * 20} for i in range(50)], Provenance("postgres", 1.0, None))


def one_run(threshold: int, threads: int, reads: int) -> float:
    """Milliseconds per miss + hit, ``threads`` threads sharing one cache directory."""
    with tempfile.TemporaryDirectory() as directory:
        cache = ReadCache(FileSystemCache(directory, threshold=threshold, default_timeout=30))

        def work(t: int) -> None:
            for i in range(reads // threads):
                for _ in range(2):  # a miss (claim, store, unclaim), then a hit
                    cache.read(f"flux:v2:assets:{t}:{i}", lambda: RESULT, lambda r: 30)

        started = time.perf_counter()
        pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        cache.close()
        return (time.perf_counter() - started) * 1000 / reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--reads", type=int, default=600)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {"threshold_5000": [], "no_threshold": []}
    for _ in range(args.runs):  # interleaved, so both see the same machine
        runs["threshold_5000"].append(one_run(5000, args.threads, args.reads))
        runs["no_threshold"].append(one_run(0, args.threads, args.reads))
    median = {k: round(statistics.median(v), 3) for k, v in runs.items()}
    out = {
        "benchmark": "shared file cache: miss + hit per read, with and without cachelib's entry-count threshold",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
        "command": f".venv/bin/python -m bench.bench_cache --runs {args.runs} --threads {args.threads} --reads {args.reads}",
        "threads": args.threads,
        "median_ms_per_miss_and_hit": median,
        "ratio": round(median["threshold_5000"] / median["no_threshold"], 2),
        "runs_ms": {k: [round(x, 3) for x in v] for k, v in runs.items()},
    }
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(median), "ratio", out["ratio"])


if __name__ == "__main__":
    main()
