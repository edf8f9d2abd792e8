"""Write docs/benchmarks.md from the committed results in bench/results/*.json.

    .venv/bin/python -m bench.report

Each benchmark script writes its own JSON shape; the readers below map each file's figures onto
one table row: what was measured, the figure, our goal, the original system's target and reported
number (/work/shared/reference/seed-system.md), whether the goal is met, and the command that
reproduces it. A file that is missing (not yet run) shows as "not measured" with its command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
OUT = ROOT / "docs" / "benchmarks.md"

COMMANDS = {
    "generate": ".venv/bin/python -m bench.bench_generate --runs 3 --pipeline",
    "pipeline": ".venv/bin/python -m bench.bench_pipeline --runs 3",
    "sync": ".venv/bin/python -m bench.bench_sync --runs 3",
    "api": ".venv/bin/python -m bench.bench_api --runs 5",
    "browser": ".venv/bin/python -m bench.bench_browser",
    "agent": ".venv/bin/python -m bench.bench_agent --runs 5",
    "load": ".venv/bin/python -m bench.run_load",
    "failover": ".venv/bin/python -m bench.bench_failover --runs 3",
    "cache": ".venv/bin/python -m bench.bench_cache --runs 5",
    "reliability": ".venv/bin/python -m bench.bench_reliability --runs 5",
    "flow": ".venv/bin/python -m bench.bench_flow --rate 3000 --minutes 15",
    "live": ".venv/bin/python -m bench.bench_live writers|sustain|fastforward",
}


def get(d: Any, path: str, default=None):
    for key in path.split("."):
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


@dataclass
class Row:
    what: str
    value: Any
    unit: str
    goal: str = "—"
    original: str = "—"
    meets: bool | None = None

    def cells(self) -> list[str]:
        if self.value is None:
            shown = "not measured"
        elif isinstance(self.value, float):
            shown = f"{self.value:,.3g} {self.unit}" if self.value < 100 else f"{self.value:,.0f} {self.unit}"
        elif isinstance(self.value, int):
            shown = f"{self.value:,} {self.unit}"
        else:
            shown = f"{self.value} {self.unit}"
        verdict = {True: "yes", False: "**no**", None: "—"}[self.meets]
        return [self.what, shown.strip(), self.goal, self.original, verdict]


def at_most(value, limit) -> bool | None:
    return None if value is None or limit is None else value <= limit


def at_least(value, limit) -> bool | None:
    return None if value is None or limit is None else value >= limit


def mb(n) -> float | None:
    return None if n is None else round(n / 1e6, 3)


# -- one reader per results file ------------------------------------------------------------------
def generation(d: dict) -> list[Row]:
    med = d.get("median_s", {})
    limit = get(d, "target.max_s")
    return [
        Row("generate + load + sync into both stores, seed scale (pipeline below, not counted)", med.get("total_s"), "s", f"≤ {limit:g} s" if limit else "—",
            "— (the original loads by hand)", at_most(med.get("total_s"), limit)),
        Row("  generate (in memory)", med.get("generate_s"), "s"),
        Row("  load the warehouse", med.get("load_warehouse_s"), "s"),
        Row("  pipeline bronze → gold", med.get("pipeline_s"), "s"),
        Row("  sync to Postgres (cold)", med.get("sync_s"), "s"),
        Row("  rows generated (AMI readings)", get(d, "rows.AMI_INTERVAL_READINGS"), "rows", "", "7.1 B (production)"),
    ]


def pipeline(d: dict) -> list[Row]:
    med = d.get("median", {})
    return [
        Row("bronze → gold throughput (full run)", med.get("bronze_to_gold_rows_per_s"), "rows/s"),
        Row("full pipeline run, seed scale", med.get("full_run_s"), "s"),
        Row("incremental run (late re-delivery)", med.get("incremental_run_s"), "s", "≤ 60 s (one TARGET_LAG)",
            "TARGET_LAG = 1 minute", at_most(med.get("incremental_run_s"), 60)),
        Row("idle run (nothing new)", med.get("idle_run_s"), "s"),
    ]


def sync(d: dict) -> list[Row]:
    med = d.get("median_s", {})
    return [
        Row("sync, cold (empty cache)", med.get("cold"), "s", "—", "truncate + re-insert every table"),
        Row("sync, nothing changed (fingerprint skip)", med.get("idle"), "s"),
        Row("sync, ~1 % of assets changed", med.get("change"), "s"),
        Row("sync, forced full compare", med.get("forced"), "s"),
    ]


def flow(d: dict) -> list[Row]:
    rate = d.get("delivered_rows_per_s")
    minutes = round((d.get("duration_s") or 0) / 60, 1)
    p95 = get(d, "pipeline.lag_s_p95")
    cache_p95 = get(d, "cache.event_to_postgres_s_p95")
    return [
        Row(f"readings delivered into bronze ({minutes} min, 5 s deliveries)", rate, "rows/s", "3,000 rows/s (2.7M meters)",
            "—", at_least(rate, 0.95 * (d.get("rate_target_rows_per_s") or 3000))),
        Row("pipeline lag, arrival → gold, p50", get(d, "pipeline.lag_s_p50"), "s"),
        Row("pipeline lag, arrival → gold, p95", p95, "s", "≤ 60 s", "TARGET_LAG = 1 minute", at_most(p95, 60)),
        Row("  pipeline window (silver + gold, one delivery), median", get(d, "pipeline.window_s_median"), "s"),
        Row("cache lag, outage change → Postgres, p95", cache_p95, "s", "within seconds (≤ 5 s)",
            "1-minute lag + periodic sync", at_most(cache_p95, 5)),
        Row("  outage change → repository answer (live-read TTL), p95", get(d, "cache.event_to_repository_s_p95"), "s"),
        Row(f"warehouse growth at the rate, bronze + silver + gold ({get(d, 'disk.bytes_per_reading_three_layers')} B a reading)",
            get(d, "disk.growth_gb_per_hour_at_rate"), "GB/hour"),
        Row("  the same per day", get(d, "disk.growth_gb_per_day_at_rate"), "GB/day"),
        Row("  bronze at steady state with 7-day retention", get(d, "disk.bronze_steady_state_gb_with_retention"), "GB"),
        Row("  silver + gold, kept whole (unbounded)", get(d, "disk.silver_gold_gb_per_day_unbounded"), "GB/day"),
    ]


ORIGINAL_ENDPOINT = {
    "/api/substations": "< 10 ms",
    "/api/assets": "< 50 ms",
    "/api/assets?bbox=-95.40,29.72,-95.35,29.77": "< 50 ms",
}


def endpoints(d: dict) -> list[Row]:
    rows = []
    for path, e in (d.get("http_gunicorn") or {}).items():
        target = e.get("target_p95_ms")
        orig = ORIGINAL_ENDPOINT.get(path, "Postgres query < 20 ms (reported ~15 ms)")
        p95 = get(e, "server_time.p95_ms")
        rows.append(Row(f"`{path}` server p95 (with zstd {get(e, 'server_time_with_zstd.p95_ms', '?')} ms, "
                        f"with gzip {get(e, 'server_time_with_gzip.p95_ms', '?')} ms, "
                        f"round trip {get(e, 'client_round_trip.p95_ms', '?')} ms)", p95, "ms",
                        f"≤ {target:g} ms" if target else "—", orig, at_most(p95, target)))
    fb = d.get("fallback") or {}
    if fb:
        rows.append(Row("first read after Postgres died: detection", fb.get("first_dead_postgres_detection_ms"), "ms",
                        f"≤ {fb.get('target_detection_ms', 1000):g} ms", "— (falls back on any error)",
                        at_most(fb.get("first_dead_postgres_detection_ms"), fb.get("target_detection_ms"))))
    return rows


def feeders(d: dict) -> list[Row]:
    rows = []
    for name, f in (d.get("feeders_in_process") or {}).items():
        label = {"overview_zoom9": "overview (zoom < 10)", "all_segments_zoom11": "all segments (zoom 11)"}.get(name, name)
        target = f.get("target_wire_bytes")
        rows.append(Row(f"feeder layer {label}: {f.get('features', '?'):,} features, gzip", mb(f.get("gzip_bytes")), "MB",
                        f"≤ {mb(target)} MB" if target else "—", f"{mb(f.get('original_wire_bytes'))} MB gzipped",
                        at_most(f.get("gzip_bytes"), target)))
        t = f.get("target_uncached_ms")
        p50 = get(f, "uncached_ms.p50_ms")
        rows.append(Row(f"feeder layer {label}: built uncached, p50", p50, "ms", f"≤ {t:g} ms" if t else "—",
                        "feeder render < 100 ms (reported ~80 ms)", at_most(p50, t)))
        t = f.get("target_cached_ms")
        p50 = get(f, "cached_ms.p50_ms")
        rows.append(Row(f"feeder layer {label}: from the shared cache, p50", p50, "ms", f"≤ {t:g} ms" if t else "—",
                        "—", at_most(p50, t)))
    return rows


def browser(d: dict) -> list[Row]:
    targets = d.get("targets") or {}
    kb = get(d, "page_bytes.html_plus_layout_kb")
    goal = targets.get("map_last_draw_ms")
    rows = [
        Row("HTML + Dash layout", kb, "KB", f"≤ {targets.get('html_plus_layout_kb', '?')} KB", "—",
            at_most(kb, targets.get("html_plus_layout_kb"))),
    ]
    if "sizes" not in d:  # results written before the draw-call measure (legacy probe only)
        med = d.get("median") or {}
        return rows + [Row("map: first complete frame (legacy probe, before the first draw)",
                           med.get("map_first_complete_frame_ms"), "ms")]
    load = f" (1-min load average {get(d, 'machine.load_average_start')}–{get(d, 'machine.load_average_end')})"
    for size, s in d["sizes"].items():
        med = s.get("median") or {}
        rows += [
            Row(f"{size}: map, last draw of the initial load on screen{load}", med.get("map_last_draw_ms"), "ms",
                f"≤ {goal} ms" if goal else "—", "dashboard load < 3 s (reported ~3 s)",
                at_most(med.get("map_last_draw_ms"), goal)),
            Row(f"  {size}: first draw; draw calls {med.get('draw_calls')}, deck replacements "
                f"{med.get('deck_replacements')}", med.get("first_draw_ms"), "ms"),
            Row(f"  {size}: long task at the first draw (shader compilation)", med.get("long_task_at_first_draw_ms"), "ms"),
            Row(f"  {size}: Dash layout in; all layer data in {med.get('layer_data_in_ms')} ms",
                med.get("layout_received_ms"), "ms"),
            Row(f"  {size}: legacy probe (layers loaded, before the first draw)", med.get("legacy_frame_ms"), "ms"),
            Row(f"  {size}: KPIs visible", med.get("kpis_visible_ms"), "ms", f"≤ {targets.get('kpis_visible_ms', '?')} ms",
                "dashboard load < 3 s (reported ~3 s)", at_most(med.get("kpis_visible_ms"), targets.get("kpis_visible_ms"))),
        ]
    return rows


def browser_ab(d: dict) -> list[Row]:
    """bench/bench_browser_ab.py: medians of alternating loads, judged by the ratio (B / A)."""
    rows = []
    for size, s in (d.get("sizes") or {}).items():
        (a, med_a), (b, med_b) = list(s["median"].items())
        la = s.get("load_average_1m") or {}
        rows += [
            Row(f"{size}: map, last draw on screen, {a} → {b} {med_a['map_last_draw_ms']:,.0f} → "
                f"{med_b['map_last_draw_ms']:,.0f} ms (1-min load {la.get('min')}–{la.get('max')}), median pair ratio",
                s.get("median_pair_ratio_map_last_draw"), "×"),
            Row(f"  {size}: long task at the first draw, {med_a['long_task_at_first_draw_ms']:,.0f} → "
                f"{med_b['long_task_at_first_draw_ms']:,.0f} ms, ratio", get(s, "ratio_after_over_before.long_task_at_first_draw_ms"), "×"),
        ]
    z = d.get("zoom_in")
    if z:
        (a, med_a), (b, med_b) = list(z["median"].items())
        rows += [
            Row(f"{z['size']}: first zoom past the overview, last frame, {a} → {b} {med_a['zoom_last_frame_ms']:,.0f} → "
                f"{med_b['zoom_last_frame_ms']:,.0f} ms, ratio", get(z, "ratio_after_over_before.zoom_last_frame_ms"), "×"),
            Row(f"  {z['size']}: its longest task, {med_a['zoom_longest_task_ms']:,.0f} → {med_b['zoom_longest_task_ms']:,.0f} ms, ratio",
                get(z, "ratio_after_over_before.zoom_longest_task_ms"), "×"),
        ]
    return rows


def agent(d: dict) -> list[Row]:
    target = get(d, "target.first_token_s")
    rows = [Row("chat: worst question's median time to first token", d.get("worst_median_first_token_s"), "s",
                f"≤ {target:g} s" if target else "—", "— (Cortex Agent; not reported)",
                at_most(d.get("worst_median_first_token_s"), target))]
    for q in d.get("questions", []):
        rows.append(Row(f"  “{q.get('question', '?')}” ({q.get('store', '?')}): first token",
                        get(q, "first_token_s.median"), "s"))
    search_target = get(d, "target.customer_search_ms")
    for kind, s in (d.get("customer_search") or {}).items():
        found = f", expected customer first {s['found_first']}/{len(s['queries'])}" if "found_first" in s else ""
        rows.append(Row(f"  customer search by {kind}, p95 (median {s.get('median_ms')} ms{found})", s.get("p95_ms"), "ms",
                        f"≤ {search_target:g} ms" if search_target else "—", "—", at_most(s.get("p95_ms"), search_target)))
    return rows


def load(d: dict) -> list[Row]:
    tot, verdict, goal = d.get("totals") or {}, d.get("verdict") or {}, d.get("goal") or {}
    prof = d.get("profile") or {}
    rows = [
        Row(f"load test: {prof.get('users', '?')} operators × {prof.get('runs', '?')} runs of {prof.get('run_time_s', '?')} s, "
            "errors", tot.get("errors"), "", "0", "—", None if tot.get("errors") is None else tot.get("errors") == 0),
        Row("  of which HTTP 5xx logged by the server", tot.get("server_5xx_logged"), ""),
        Row("  of which connections closed without an answer (keep-alive races, no HTTP status)",
            sum(f.get("occurrences", 0) for f in d.get("failures", [])
                if "Connection" in f.get("error", "") or "RemoteDisconnected" in f.get("error", "")), ""),
        Row("load test: throughput", tot.get("throughput_rps"), "req/s"),
        Row("machine load average (1 min) when the run ended; other jobs shared the cores",
            get(d, "machine.load_average_1m_at_end"), ""),
        Row("load test: worst operational endpoint p95", verdict.get("worst_operational_p95_ms"), "ms",
            f"≤ {goal.get('operational_p95_ms', 50):g} ms", "/api/assets < 50 ms",
            verdict.get("operational_p95_within_goal")),
    ]
    for name, e in sorted((d.get("endpoints") or {}).items()):
        g = goal.get("operational_p95_ms") if e.get("operational") else None
        rows.append(Row(f"  `{name}` p50 / p99 {e.get('p50_ms')} / {e.get('p99_ms')} ms, p95", e.get("p95_ms"), "ms",
                        f"≤ {g:g} ms" if g else "—", "—", at_most(e.get("p95_ms"), g) if g else None))
    return rows


def failover(d: dict) -> list[Row]:
    med, goal = d.get("median") or {}, d.get("goal") or {}
    return [
        Row("Postgres killed under load: errors", d.get("errors_total"), "", "0", "—",
            None if d.get("errors_total") is None else d.get("errors_total") == 0),
        Row("Postgres killed: first answer from the warehouse after the kill", med.get("detected_s"), "s", "—",
            "— (each request retries Postgres first)"),
        Row("Postgres restarted: traffic back on Postgres", med.get("returned_s"), "s",
            f"≤ {goal.get('return_to_postgres_s', 5):g} s", "—", at_most(med.get("returned_s"), goal.get("return_to_postgres_s"))),
        Row("slowest request during the episode", med.get("slowest_request_s"), "s"),
    ]


def cache(d: dict) -> list[Row]:
    med = d.get("median_ms_per_miss_and_hit") or {}
    threads = d.get("threads")
    return [
        Row(f"miss + hit, {threads} threads, cachelib entry-count threshold (before)", med.get("threshold_5000"), "ms"),
        Row(f"miss + hit, {threads} threads, no threshold, expired entries swept (now)", med.get("no_threshold"), "ms"),
    ]


def reliability_report(d: dict) -> list[Row]:
    med = d.get("median_s") or {}
    goal = get(d, "target.report_max_s")
    rows = f"{d.get('outage_history_rows', 0):,} history rows, {d.get('circuits', 0):,} circuits"
    return [
        Row(f"full IEEE 1366 report, {d.get('scale')} scale ({rows})", med.get("report"), "s",
            goal=f"<= {goal} s" if goal else "—", meets=at_most(med.get("report"), goal)),
        Row("one circuit's report (with its monthly trend)", med.get("circuit"), "s"),
        Row(f"storm playback frame, server time, biggest storm ({get(d, 'playback.storm.storm_id')}, "
            f"{get(d, 'playback.frames')} frames), cache warm", get(d, "playback.median_frame_ms"), "ms",
            goal=f"<= {get(d, 'target.frame_max_ms')} ms", meets=at_most(get(d, "playback.median_frame_ms"),
                                                                         get(d, "target.frame_max_ms"))),
        Row("storm playback, first read of a storm (warehouse, timeline)", get(d, "playback.cold_timeline_ms"), "ms"),
    ]


def live(d: dict) -> list[Row]:
    w = d.get("writers", {})
    prod = d.get("production_rate", {})
    ff = d.get("fast_forward", {})
    size = get(w, "sizes.15000", {})
    mins = prod.get("seconds") and round(prod["seconds"] / 60)
    return [
        Row("one 15K-row AMI micro-batch (5 s at production rate), staged Parquet PUT + COPY",
            get(size, "stage.median_s"), "s"),
        Row("  the same batch as one bound JSON array (INSERT ... FLATTEN)", get(size, "bound.median_s"), "s",
            "—", "—"),
        Row(f"production rate sustained ({prod.get('target_readings_per_s', 3000):,.0f} readings/s, 2.7M meters, "
            f"{mins} min): delivered rows/s (median)", prod.get("delivered_rows_per_s_median"), "rows/s",
            "≥ 3,000 readings/s for 15 min", "2.7M meters every 15 min", at_least(prod.get("emitted_readings_per_s"), 2900)
            if prod.get("sustained") else (False if prod else None)),
        Row("  feed lag, cut to load, p95", prod.get("lag_s_p95"), "s", "≤ 15 s (3 batch periods)"),
        Row("highest sustained fast-forward", ff.get("highest_sustained_readings_per_s"), "readings/s", "≥ 30,000 readings/s",
            "—", at_least(ff.get("highest_sustained_readings_per_s"), 30_000)),
    ]


def console(d: dict) -> list[Row]:
    s, goal, n = d.get("summary") or {}, d.get("goal_latency_s"), d.get("clients")
    rows = []
    for mode, label in (("tick", "change-driven tick (built)"), ("poll", "tables + layers polled every 2 s")):
        m = s.get(mode) or {}
        rows += [
            Row(f"{n} consoles, {label}: change to screen p95", m.get("latency_p95_s"), "s", f"≤ {goal:g} s" if goal else "—",
                "1-minute target lag + periodic sync", at_most(m.get("latency_p95_s"), goal)),
            Row(f"{n} consoles, {label}: server CPU, an outage change every 3 s", m.get("server_cpu_cores"), "cores"),
            Row(f"{n} consoles, {label}: server CPU, quiet grid", (s.get(mode + "_quiet") or {}).get("server_cpu_cores"), "cores"),
            Row(f"{n} consoles, {label}: errors", m.get("errors"), "", "0", "—", None if m.get("errors") is None else m.get("errors") == 0),
        ]
    return rows


SECTIONS: list[tuple[str, str, list[tuple[str, Callable[[dict], list[Row]]]]]] = [
    ("Generation and load", "Synthetic Houston grid at seed scale into the warehouse, the AMI pipeline and the cache sync.",
     [("generate", generation)]),
    ("Pipeline throughput", "The AMI medallion pipeline (bronze → silver → gold, monthly, transformer-hourly) on fakesnow.",
     [("pipeline", pipeline)]),
    ("Cache sync", "Warehouse → Postgres cache, one transaction per table.", [("sync", sync)]),
    ("Freshness at the production rate", "A synthetic head-end delivering every 5 s into bronze while the continuous "
     "pipeline, the incremental sync and an outage changed every 2 s run together (local small network, 2.7M "
     "synthetic meter ids; one run, percentiles over its deliveries and changes, under the 1-minute load average "
     "in `flow.json`: other sessions shared the 2 cores). Disk: a fresh database file, one interval of 2.7M meters "
     "through silver and gold.", [("flow", flow)]),
    ("Endpoint latency", "Operational endpoints through gunicorn, seed scale, one request at a time, cache off; "
     "server time is `Server-Timing`'s `app` (until the body is built), then `total` with compression for a browser "
     "(zstd) and for a gzip-only client, and that client's round trip.", [("api", endpoints)]),
    ("Feeder payload", "The map's feeder layer: wire bytes and build time.", [("api", feeders)]),
    ("Browser load", "The operator dashboard in headless Chromium with software WebGL (SwiftShader), seed scale, a cold "
     "browser per run, the server's read cache warm; median of 5 loads per window size. The map's figure is the last "
     "WebGL draw of the initial load (draw calls timestamped by a script installed before any page script; the "
     "load is over once every layer's data is in and drawn and the page has been quiet for 2 s).", [("browser", browser)]),
    ("Browser A/B", "Two checkouts' apps side by side, cold loads alternating (A B, B A) on the shared machine: the "
     "ratios, not the absolute times, say what a change did. Overview feeders as a LineLayer instead of a PathLayer, "
     "then simplified segments too.",
     [("browser_ab_lines", browser_ab), ("browser_ab_lines_zoom", browser_ab), ("browser_ab_lines_simplified", browser_ab)]),
    ("Time to first token", "The chat's local agent (no Cortex reachable here); first streamed text.", [("agent", agent)]),
    ("Load test", "Locust, headless, against gunicorn with the production config on 127.0.0.1, seed scale. "
     "Each operator loads the page, polls the real-time panels every 15 s, pans the map and asks one chat question "
     "a minute. Load generator and server share the 2 cores.", [("load", load)]),
    ("Shared read cache", "The file cache the gunicorn workers share, in-process, no store: its own cost per read.",
     [("cache", cache)]),
    ("Reliability report", "IEEE 1366 over the six-year interruption history on the local warehouse (fakesnow), "
     "uncached, warm connection; median of 5. Storm playback frames through the app (Flask test client, shared "
     "file cache), server time from `Server-Timing`.", [("reliability", reliability_report)]),
    ("Live feed ingestion", "The simulator's micro-batches into the fakesnow warehouse through the Snowflake connector "
     "(`python -m data.etl.live`); the machine's load average is in `live.json`.", [("live", live)]),
    ("Failover", "kill -9 of a private Postgres postmaster under a request loop, then restart, with the "
     "production breaker cool-down and pool wait (values in `failover.json`).", [("failover", failover)]),
    ("Live console", "50 consoles over Dash's callback protocol against gunicorn (production config, shared file "
     "cache), private stack with the incremental sync running: the change-driven live tick against polling the tables "
     "and map layers every 2 s; latency from an outage's commit in the cache to the first response showing it, over "
     "every client; clients and server share the 2 cores.", [("console", console)]),
]


def table(rows: list[Row]) -> list[str]:
    lines = ["| figure | measured | goal | original (target / reported) | meets goal |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row.cells()) + " |")
    return lines


def render() -> str:
    loaded = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))}
    out = [
        "# Benchmarks",
        "",
        "Generated by `.venv/bin/python -m bench.report` from the committed results in `bench/results/*.json`; "
        "do not edit by hand. Every figure is the median of several runs on a shared 2-core machine unless its "
        "row says otherwise; the original system's numbers come from its architecture document "
        "(production hardware, production data).",
        "",
    ]
    misses = []
    for title, intro, readers in SECTIONS:
        out += [f"## {title}", "", intro, ""]
        for name, reader in readers:
            data = loaded.get(name)
            rows = reader(data) if data is not None else [Row(f"{name}: not measured yet", None, "")]
            out += table(rows)
            misses += [f"{title}: {r.what.strip()}" for r in rows if r.meets is False]
            when = get(data, "measured_at") or get(data, "when") if data else None
            command = (data or {}).get("command") or COMMANDS.get(name, "")
            out += ["", f"Reproduce: `{command}` → `bench/results/{name}.json`"
                    + (f" (measured {when})" if when else ""), ""]
    out += ["## Goals missed", ""]
    out += [f"- {m}" for m in misses] or ["- none"]
    out.append("")
    return "\n".join(out)


def main() -> None:
    OUT.write_text(render())
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
