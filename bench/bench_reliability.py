"""The IEEE 1366 reliability report on the local warehouse: the full report (history span, daily
sums over the threshold window and the period, per-circuit sums with CEMI-n/CELID-t, composed by
data/reliability/ieee1366.py) and one circuit's report, uncached, warm connection. And storm
playback: the server time (Server-Timing ``app``) of a frame of the biggest storm through the
app with its shared file cache warm (goal <= 200 ms), and of the storm's first, cold read.

    .venv/bin/python -m bench.bench_reliability [--runs 5]

Writes bench/results/reliability.json: the median over runs (goal: full report <= 2 s), with the
scale and the history's row count. Run it against the seed-scale warehouse
(python -m data.etl.generate --scale seed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "reliability.json"
GOAL_S = 2.0
FRAME_GOAL_MS = 200.0


def _app_ms(resp) -> float:
    timing = resp.headers["Server-Timing"]
    return float(timing.split("app;dur=")[1].split(",")[0])


def playback(settings, runs: int) -> dict:
    """Frames of the biggest storm through the Flask app (test client), shared file cache."""
    import random
    import tempfile

    from app import create_app

    with tempfile.TemporaryDirectory() as cache_dir:
        app = create_app(settings.model_copy(update={"cache_type": "filesystem", "cache_dir": Path(cache_dir)}))
        client = app.server.test_client()
        storms = client.get("/api/playback/storms").get_json()
        storm = max(storms, key=lambda s: s["customers_interrupted"])
        sid = storm["storm_id"]
        cold = client.get(f"/api/playback/storms/{sid}/timeline")
        timeline = cold.get_json()
        rng = random.Random(7)
        frames = [timeline["customers_out"].index(max(timeline["customers_out"]))] + [
            rng.randrange(timeline["frames"]) for _ in range(runs - 1)]
        frame_ms, outages = [], []
        for i in frames:
            resp = client.get(f"/api/playback/storms/{sid}/frame?frame={i}")
            frame_ms.append(_app_ms(resp))
            outages.append(len(resp.get_json()["outages"]))
        app.server.extensions["flux_repository"].close()
    return {"storm": storm, "frames": timeline["frames"], "step_minutes": timeline["step_minutes"],
            "cold_timeline_ms": round(_app_ms(cold), 1), "frame_ms": [round(x, 1) for x in frame_ms],
            "outages_per_frame": outages, "median_frame_ms": round(statistics.median(frame_ms), 1),
            "peak_frame_ms": round(frame_ms[0], 1)}


def main() -> None:
    from data.read import reliability
    from data.read.warehouse import WarehouseStore
    from settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    store = WarehouseStore.from_settings(settings)
    with store.pool.connection() as conn:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM OUTAGE_HISTORY")
        history_rows = int(cur.fetchone()[0])
        cur.execute("SELECT SCALE FROM GENERATOR_RUNS ORDER BY LOADED_AT DESC LIMIT 1")
        row = cur.fetchone()
        scale = row[0] if row else None
        cur.execute("SELECT COUNT(*) FROM CUSTOMERS_MASTER_DATA")
        customers = int(cur.fetchone()[0])
    reliability.system_report(store, year=None, cemi_n=3, celid_t_hours=8)  # warm: login, SQL files
    report_s, circuit_s = [], []
    report = None
    for _ in range(args.runs):
        started = time.perf_counter()
        report = reliability.system_report(store, year=None, cemi_n=3, celid_t_hours=8).data
        report_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        reliability.circuit_report(store, report, report["worst_circuits"][0]["circuit_id"])
        circuit_s.append(time.perf_counter() - started)
    store.pool.close()
    median = statistics.median(report_s)
    frames = playback(settings, args.runs)
    result = {
        "benchmark": "IEEE 1366 reliability report on the local warehouse (fakesnow), uncached, warm connection",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
        "command": f".venv/bin/python -m bench.bench_reliability --runs {args.runs}",
        "scale": scale,
        "customers": customers,
        "outage_history_rows": history_rows,
        "circuits": len(report["circuits"]),
        "median_s": {"report": round(median, 3), "circuit": round(statistics.median(circuit_s), 3)},
        "runs_s": {"report": [round(x, 3) for x in report_s], "circuit": [round(x, 3) for x in circuit_s]},
        "target": {"report_max_s": GOAL_S, "frame_max_ms": FRAME_GOAL_MS},
        "meets": median <= GOAL_S,
        "playback": {**frames, "meets": frames["median_frame_ms"] <= FRAME_GOAL_MS},
        "figures": {
            "period": report["period"],
            "t_med_minutes": report["threshold"]["t_med"],
            "major_event_days": len(report["major_event_days"]),
            "day_to_day": {k: report["system"]["excluding_med"][k] for k in ("saifi", "saidi", "caidi", "maifi")},
            "all_days": {k: report["system"]["all"][k] for k in ("saifi", "saidi", "caidi", "maifi")},
        },
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["median_s"]), "meets" if result["meets"] else "MISSES", f"goal {GOAL_S} s;",
          "frame median", frames["median_frame_ms"], "ms, peak", frames["peak_frame_ms"], "ms, cold", frames["cold_timeline_ms"], "ms")


if __name__ == "__main__":
    main()
