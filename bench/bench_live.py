"""Benchmark the live feed's ingestion.

    .venv/bin/python -m bench.bench_live writers   [--runs 5]
    .venv/bin/python -m bench.bench_live sustain   [--meters 2700000] [--minutes 15]
    .venv/bin/python -m bench.bench_live fastforward [--meters 2700000] [--speeds 2,5,10,20] [--seconds 90]

- ``writers``: one AMI micro-batch (3K, 15K and 60K rows: 1 s, 5 s and 20 s of the production
  rate) loaded by each writer, staged Parquet (PUT + COPY INTO) and one bound JSON array
  (INSERT ... SELECT FROM FLATTEN); median per-batch seconds and rows/s; picks the faster.
- ``sustain``: ``python -m data.etl.live --meters N --speed 1`` for M minutes (2.7M meters =
  3,000 readings/s; above the loaded network's meters the feed adds synthetic meters on real
  transformers), sampling its heartbeat: delivered rows/s and lag, queue depth, machine load.
- ``fastforward``: the same population at rising speeds, ``--seconds`` each (2.7M meters x10 =
  30,000 readings/s); a speed is sustained when the queue stays bounded (nothing spilled, lag p95
  under 3 batch periods, nothing left on disk at the end). Stops at the first speed not sustained.
Runs against the warehouse the settings point at (its own FLUX_LIVE_FEED_NAME, so any other
feed's heartbeat is left alone); results merge into bench/results/live.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "live.json"


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def save(section: str, result: dict) -> None:
    doc = json.loads(OUT.read_text()) if OUT.exists() else {"benchmark": "live feed ingestion (fakesnow server)"}
    doc["machine"] = machine()
    doc[section] = result
    OUT.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(result, indent=2))


# -- writers ---------------------------------------------------------------------------------
def bench_writers(settings, runs: int) -> dict:
    import numpy as np
    import pyarrow as pa

    from data.connections import connect_warehouse
    from data.etl.live.delivery import AMI_TABLE, make_batch
    from data.etl.live.sim import AMI_SCHEMA
    from data.etl.live.writers import LoadStamp, write_batch

    conn = connect_warehouse(settings)
    cur = conn.cursor()
    stamp = LoadStamp()
    rng = np.random.default_rng(1)
    t_end = int(time.time()) // 900 * 900 + 86400 * 365  # a year ahead: apart from any feed's rows
    out: dict = {"sizes": {}, "load_before": loadavg()}
    for n in (3_000, 15_000, 60_000):
        per = {}
        for writer in ("stage", "bound"):
            secs = []
            for r in range(runs):
                table = pa.table([
                    pa.array([f"MTR-B{i:07d}" for i in range(n)]), pa.array(["XFMR-B"] * n),
                    pa.array(np.full(n, (t_end + 900 * r) * 1_000_000, dtype=np.int64), type=pa.timestamp("us")),
                    pa.array(rng.random(n)), pa.array(np.full(n, 240.0)), pa.array(np.full(n, 0.95)),
                ], schema=AMI_SCHEMA)
                b = make_batch(r, f"bench{writer}", AMI_TABLE, table, time.time())
                t0 = time.perf_counter()
                write_batch(cur, b, stamp.next(), writer)
                secs.append(time.perf_counter() - t0)
            med = statistics.median(secs)
            per[writer] = {"median_s": round(med, 3), "rows_per_s": round(n / med), "runs_s": [round(s, 3) for s in secs]}
        per["faster"] = min(("stage", "bound"), key=lambda w: per[w]["median_s"])
        out["sizes"][str(n)] = per
    cur.execute("DELETE FROM AMI_INTERVAL_READINGS WHERE BATCH_ID LIKE 'bench%'")
    conn.close()
    out["load_after"] = loadavg()
    wins = [v["faster"] for v in out["sizes"].values()]
    out["chosen"] = max(set(wins), key=wins.count)
    out["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return out


# -- feed runs ---------------------------------------------------------------------------------
def run_feed(settings_env: dict, args: list[str], seconds: float, name: str) -> dict:
    """Run the feed for ``seconds`` and sample its heartbeat lines and the machine load."""
    summary = Path(tempfile.mkdtemp(prefix="bench-live-")) / "summary.json"
    env = {**os.environ, **settings_env, "FLUX_LIVE_FEED_NAME": name}
    proc = subprocess.Popen([sys.executable, "-m", "data.etl.live", "--duration", str(seconds), "--summary",
                             str(summary), *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    beats, loads = [], []
    stop = threading.Event()

    def sample_load():
        while not stop.wait(15):
            loads.append(loadavg()[0])

    threading.Thread(target=sample_load, daemon=True).start()
    started = time.time()
    for line in proc.stdout:
        if '"live.heartbeat"' in line:
            d = json.loads(line)
            d["wall_s"] = round(time.time() - started, 1)
            beats.append(d)
    proc.wait()
    stop.set()
    report = json.loads(summary.read_text()) if summary.exists() else {}
    running = [b for b in beats if b["status"] != "stopped" and b["wall_s"] > 20]  # after start-up
    rates = [b["rows_per_s"] for b in running]
    lags = sorted(b["lag_s"] for b in running)

    def pct(p):
        return lags[min(len(lags) - 1, int(p * len(lags)))] if lags else None

    return {
        "args": args, "seconds": seconds, "summary": report,
        "delivered_rows_per_s_median": round(statistics.median(rates), 1) if rates else None,
        "delivered_rows_per_s_overall": round(report.get("rows_delivered", 0) / max(1, report.get("wall_s", 1)), 1),
        "emitted_readings_per_s": round(report.get("readings_rows", 0) / max(1, report.get("wall_s", 1)), 1),
        "lag_s_p50": pct(0.5), "lag_s_p95": pct(0.95), "lag_s_max": lags[-1] if lags else None,
        "max_spilled_batches": max((b["spilled_batches"] for b in beats), default=0),
        "max_buffered_rows": max((b["buffered_rows"] for b in beats), default=0),
        "loadavg_1m_samples": loads, "loadavg_1m_median": statistics.median(loads) if loads else None,
        "heartbeats": len(beats),
    }


def sustained(r: dict, batch_s: float) -> bool:
    return r["max_spilled_batches"] == 0 and (r["lag_s_p95"] or 0) < 3 * batch_s \
        and r["summary"].get("batches_left_on_disk", 1) == 0


def main() -> int:
    from data.logs import setup_json_logging
    from settings import Settings

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["writers", "sustain", "fastforward"])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--meters", type=int, default=2_700_000)
    p.add_argument("--minutes", type=float, default=15)
    p.add_argument("--speeds", default="2,5,10,20")
    p.add_argument("--seconds", type=float, default=90)
    p.add_argument("--keep-going", action="store_true", help="run every speed, sustained or not")
    a = p.parse_args()
    settings = Settings()
    setup_json_logging("WARNING")
    if a.mode == "writers":
        save("writers", bench_writers(settings, a.runs))
        return 0
    if a.mode == "sustain":
        r = run_feed({}, ["--meters", str(a.meters), "--speed", "1"], a.minutes * 60, "bench-sustain")
        r["target_readings_per_s"] = round(a.meters / 900, 1)
        r["sustained"] = sustained(r, settings.live_batch_s)
        r["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        save("production_rate", r)
        return 0
    runs = []
    for speed in [float(s) for s in a.speeds.split(",")]:
        r = run_feed({}, ["--meters", str(a.meters), "--speed", str(speed)], a.seconds, "bench-ff")
        r["speed"] = speed
        r["sustained"] = sustained(r, settings.live_batch_s)
        runs.append(r)
        print(json.dumps({k: r[k] for k in ("speed", "emitted_readings_per_s", "delivered_rows_per_s_overall",
                                             "lag_s_p95", "max_spilled_batches", "sustained")}), flush=True)
        if not r["sustained"] and not a.keep_going:
            break
    ok = [r for r in runs if r["sustained"]]
    save("fast_forward", {
        "runs": runs, "meters": a.meters, "seconds_each": a.seconds, "load_after": loadavg(),
        "highest_delivered_rows_per_s": max((r["delivered_rows_per_s_overall"] for r in runs), default=None), "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "highest_sustained_speed": ok[-1]["speed"] if ok else None,
        "highest_sustained_readings_per_s": ok[-1]["emitted_readings_per_s"] if ok else None,
        "goal_readings_per_s": 30_000,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
