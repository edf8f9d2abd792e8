"""A/B of the browser's initial load between two checkouts, loads alternating, same conditions.

    .venv/bin/python -m bench.bench_browser_ab --base /tmp/flux-base [--runs 5] [--sizes 1280x800,1600x1000]
                                               [--out bench/results/browser_ab.json] [--label-a ... --label-b ...]

On a shared 2-core machine absolute times move with the other work; a ratio of loads made
turn about (A, B, B, A, ...) under the same load is what a change can be judged by. Both apps run
at once under gunicorn (bench/bench_browser.py's server, each with its own empty read cache, both
against the same read-only databases); each load is bench_browser's cold load in a fresh
Chromium with the draw-call measure, and records the 1-minute load average after it.
A is ``--base`` (a checkout of the code before the change, e.g. ``git worktree add`` or
``git archive | tar -x``, with a .venv link), B is this checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

from bench.bench_browser import QUIET_MS, ROOT, SIZES, WARM_PATHS, _driver, one_run, start_server, stop_server
from tests.dashboard_support import DRAW_PROBE_JS, DRAW_PROBE_STATE_JS, wait_initial_load

# Both feeder forms: each app warms the one its page asks for (the other is a 400, ignored).
AB_WARM_PATHS = tuple(dict.fromkeys((*WARM_PATHS, "/api/map/feeders.json?zoom=9", "/api/map/feeders.json?zoom=9&form=lines")))
KEYS = ("map_last_draw_ms", "first_draw_ms", "long_task_at_first_draw_ms", "long_task_ms_total", "layer_data_in_ms", "draw_calls")


# Zoom in from the home view past the overview (deck.gl's wheel: about +0.87 zoom per 240 px).
ZOOM_IN_JS = """
const canvas = document.getElementById('map-deck');
const r = canvas.getBoundingClientRect();
for (let i = 0; i < arguments[0]; i++) {
  canvas.dispatchEvent(new WheelEvent('wheel', {deltaY: -240, deltaMode: 0, clientX: r.left + r.width / 2,
    clientY: r.top + r.height / 2, bubbles: true, cancelable: true}));
}
return performance.now();
"""
ZOOM_KEYS = ("zoom_last_frame_ms", "zoom_longest_task_ms", "zoom_long_task_ms_total", "zoom_feeders_in_ms")


def zoom_run(url: str, size: str, steps: int = 4, timeout_s: float = 60.0) -> dict:
    """After the initial load, the operator zooms in past the overview: from the first wheel
    event to the frame after the last draw of the detail feeders (times relative to the wheel)."""
    driver = _driver(size)
    try:
        width, height = (int(v) for v in size.split("x"))
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        )
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": DRAW_PROBE_JS})
        driver.get(url + "/")
        wait_initial_load(driver, quiet_ms=QUIET_MS, timeout_s=90)
        t0 = driver.execute_script(ZOOM_IN_JS, steps)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            time.sleep(0.2)
            st = driver.execute_script(DRAW_PROBE_STATE_JS)
            detail = [r["end"] for r in st["resources"] if "feeders.json?bbox=" in r["url"] and r["start"] >= t0 and r["end"] > 0]
            draws = [d for d in st["draws"] if d >= t0]
            if not detail or not draws or draws[-1] <= max(detail):
                continue
            frame = next((f for f in st["frames"] if f >= draws[-1]), None)
            busy = max([frame or st["now"]] + [r["end"] for r in st["resources"]] + [d["end"] or st["now"] for d in st["dash"]])
            if frame is None or st["now"] - busy < QUIET_MS:
                continue
            tasks = [d for s, d in (st["longtasks"] or []) if s >= t0]
            return {
                "zoom_last_frame_ms": round(frame - t0, 1),
                "zoom_longest_task_ms": round(max(tasks, default=0.0), 1),
                "zoom_long_task_ms_total": round(sum(tasks), 1),
                "zoom_feeders_in_ms": round(max(detail) - t0, 1),
                "zoom_draw_calls": len(draws),
            }
        raise RuntimeError("the zoomed-in map did not settle")
    finally:
        driver.quit()


def _warm(url: str) -> None:
    for path in AB_WARM_PATHS:
        requests.get(url + path, timeout=60)


def _median(runs: list[dict], key: str):
    values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    return round(statistics.median(values), 1) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="checkout of the code before the change (A)")
    parser.add_argument("--label-a", default="before")
    parser.add_argument("--label-b", default="after")
    parser.add_argument("--pg-database", default="flux")
    parser.add_argument("--warehouse-database", default="FLUX")
    parser.add_argument("--runs", type=int, default=5, help="loads per side and size")
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--zoom-runs", type=int, default=0, help="zoom-in loads per side (at the first size)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "browser_ab.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    sides = {"A": args.base.resolve(), "B": ROOT}
    servers = {}
    zoom_result = None
    per_size: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="flux-ab-cache-a-") as cache_a, tempfile.TemporaryDirectory(prefix="flux-ab-cache-b-") as cache_b:
        try:
            for side, cache in (("A", cache_a), ("B", cache_b)):
                servers[side] = start_server(args.pg_database, args.warehouse_database, cache, root=sides[side])
            for side in servers:  # each server's first (cold) load, not recorded
                one_run(servers[side][1], args.sizes.split(",")[0], None)
            for size in [s for s in args.sizes.split(",") if args.runs]:
                runs: dict[str, list[dict]] = {"A": [], "B": []}
                for i in range(args.runs):
                    # A B, then B A: neither side always goes first after the other's load
                    for side in ("A", "B") if i % 2 == 0 else ("B", "A"):
                        url = servers[side][1]
                        _warm(url)
                        load_before = round(os.getloadavg()[0], 2)
                        run = one_run(url, size, None)
                        run["load_average_1m_before"] = load_before
                        run["load_average_1m_after"] = round(os.getloadavg()[0], 2)
                        runs[side].append(run)
                        print(size, side, json.dumps({k: run.get(k) for k in (*KEYS, "load_average_1m_after")}), flush=True)
                med = {side: {k: _median(runs[side], k) for k in KEYS} for side in runs}
                pairs = [b["map_last_draw_ms"] / a["map_last_draw_ms"] for a, b in zip(runs["A"], runs["B"])]
                per_size[size] = {
                    "median": {args.label_a: med["A"], args.label_b: med["B"]},
                    "ratio_after_over_before": {
                        k: round(med["B"][k] / med["A"][k], 3) if med["A"][k] else None for k in KEYS
                    },
                    "pair_ratios_map_last_draw": [round(p, 3) for p in pairs],
                    "median_pair_ratio_map_last_draw": round(statistics.median(pairs), 3),
                    "load_average_1m": {
                        "min": min(r["load_average_1m_before"] for side in runs for r in runs[side]),
                        "max": max(r["load_average_1m_after"] for side in runs for r in runs[side]),
                    },
                    "runs": {args.label_a: runs["A"], args.label_b: runs["B"]},
                }
            if args.zoom_runs:
                size = args.sizes.split(",")[0]
                zruns: dict[str, list[dict]] = {"A": [], "B": []}
                for i in range(args.zoom_runs):
                    for side in ("A", "B") if i % 2 == 0 else ("B", "A"):
                        _warm(servers[side][1])
                        load_before = round(os.getloadavg()[0], 2)
                        run = zoom_run(servers[side][1], size)
                        run["load_average_1m_before"] = load_before
                        run["load_average_1m_after"] = round(os.getloadavg()[0], 2)
                        zruns[side].append(run)
                        print("zoom", size, side, json.dumps(run), flush=True)
                zmed = {side: {k: _median(zruns[side], k) for k in ZOOM_KEYS} for side in zruns}
                zoom_result = {
                    "size": size,
                    "what": "from the first wheel event (home view, zoom 8.6, 4 wheel steps in, to about zoom 12: "
                    "simplified segments in the viewport, a PathLayer) to the frame after the last draw",
                    "median": {args.label_a: zmed["A"], args.label_b: zmed["B"]},
                    "ratio_after_over_before": {k: round(zmed["B"][k] / zmed["A"][k], 3) if zmed["A"][k] else None for k in ZOOM_KEYS},
                    "runs": {args.label_a: zruns["A"], args.label_b: zruns["B"]},
                }
        finally:
            for proc, _url in servers.values():
                stop_server(proc)
    result = {
        "benchmark": "A/B of the operator dashboard's initial load in headless Chromium (software WebGL), seed scale",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": ".venv/bin/python -m bench.bench_browser_ab " + shlex.join(argv or sys.argv[1:]),
        "duration_s": round(time.monotonic() - started, 1),
        "sides": {args.label_a: str(sides["A"]), args.label_b: str(sides["B"])},
        "method": "loads alternate A B / B A per pair, each a fresh Chromium (cold HTTP cache) against its "
        f"own gunicorn app with a warm read cache; figures as bench/bench_browser.py (quiet {QUIET_MS} ms). "
        "The machine is shared: judge by the ratios, not the absolute times.",
        "sizes": per_size,
        "zoom_in": zoom_result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({s: {k: v for k, v in d.items() if k != "runs"} for s, d in per_size.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
