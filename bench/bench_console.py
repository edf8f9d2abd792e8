"""The live console for 50 operators: change-to-screen latency and server CPU, two ways.

    .venv/bin/python -m bench.bench_console [--clients 50] [--seconds 30] [--runs 3]

- ``tick`` (what the dashboard does): every client runs the light live tick (callbacks/live.py)
  every FLUX_LIVE_POLL_S (2 s); only when the tick reports a change does it refresh what a
  browser then refreshes: the tables callback and the map's four live layer URLs.
- ``poll`` (the alternative, tighter polling): every client runs the tables callback and
  fetches the four layer URLs every 2 s, changed or not.

Clients speak Dash's callback protocol over HTTP (the envelopes come from /_dash-dependencies),
one thread and session each, against gunicorn with the production config and the shared file
cache, on a PRIVATE loaded stack (tests/fix_services.py) with the incremental sync running and
a feed heartbeat written every second. Each mode also runs on a quiet grid (no changes, half
as long) for its CPU alone. With changes, every ~6 s an outage is written into the Postgres cache
(and removed 3 s later); latency is from its commit to the first response a client gets that
shows it (the tick's toast in ``tick``, the outage table's rows in ``poll``), over every client
and change. Server CPU: user+system seconds of the gunicorn master and workers (/proc) per
wall second. Modes alternate run by run; figures are medians over runs. The clients share the
machine's two cores with the server, so latency includes their own scheduling.
Push (server-sent events) was not built: under gthread workers (2 x 16 threads) every open
stream holds a thread, so 50 consoles would take every thread the API has.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "console.json"
LAYER_PATHS = ["/api/substations", "/api/work-orders/active", "/api/crews", "/api/outages/active"]
POLL_S = 2.0
GOAL_LATENCY_S = 5.0  # "within seconds"


def _cpu_s(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _callbacks(url: str) -> dict[str, dict]:
    deps = requests.get(url + "/_dash-dependencies", timeout=30).json()
    out = {}
    for cb in deps:
        inputs = {(i["id"], i["property"]) for i in cb["inputs"]}
        if ("live-tick", "n_intervals") in inputs:
            out["tick"] = cb
        if "outage-grid.rowData" in cb["output"]:
            out["tables"] = cb
    return out


def _outputs(cb: dict) -> list[dict]:
    parts = cb["output"].strip(".").split("...")
    return [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]


class Client(threading.Thread):
    def __init__(self, url: str, mode: str, cbs: dict, stop: threading.Event, seen: dict, lock: threading.Lock):
        super().__init__(daemon=True)
        self.url, self.mode, self.cbs, self.stop, self.seen, self.lock = url, mode, cbs, stop, seen, lock
        self.session = requests.Session()
        self.session.headers["Accept-Encoding"] = "gzip"
        # the refresh a change triggers runs beside the tick, as a browser runs those callbacks
        self.refresh_session = requests.Session()
        self.refresh_session.headers["Accept-Encoding"] = "gzip"
        self.refreshing = threading.Lock()
        self.snapshot, self.events, self.change, self.map_change, self.n = None, [], 0, 0, 0
        self.errors = 0
        self.requests = 0

    def _post(self, cb: dict, inputs: list, state: list, session=None) -> dict:
        session = session or self.session
        body = {"output": cb["output"], "outputs": _outputs(cb), "inputs": inputs, "state": state,
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
        self.requests += 1
        resp = session.post(self.url + "/_dash-update-component", json=body, timeout=30)
        if resp.status_code == 204:
            return {}
        if resp.status_code != 200:
            self.errors += 1
            return {}
        return resp.json().get("response", {})

    def _tables(self, session=None, *, tables: bool = True, layers: bool = True) -> str:
        session = session or self.session
        resp = {}
        if tables:
            resp = self._post(self.cbs["tables"], [{"id": "page-refresh", "property": "n_intervals", "value": self.n},
                                                   {"id": "live-change", "property": "data", "value": self.change}],
                              [], session)
        for path in LAYER_PATHS if layers else ():
            self.requests += 1
            if session.get(self.url + path, timeout=30).status_code != 200:
                self.errors += 1
        return json.dumps(resp.get("outage-grid", {}))

    def _refresh(self, tables: bool, layers: bool) -> None:
        with self.refreshing:
            try:
                self._tables(self.refresh_session, tables=tables, layers=layers)
            except requests.RequestException:
                self.errors += 1

    def _tick(self) -> str:
        cb = self.cbs["tick"]
        resp = self._post(cb, [{"id": "live-tick", "property": "n_intervals", "value": self.n}],
                          [{"id": "live-snapshot", "property": "data", "value": self.snapshot},
                           {"id": "live-timeline-events", "property": "data", "value": self.events},
                           {"id": "live-change", "property": "data", "value": self.change},
                           {"id": "live-map-change", "property": "data", "value": self.map_change}])
        if "live-snapshot" in resp:
            self.snapshot = resp["live-snapshot"]["data"]
        if "live-timeline-events" in resp:
            self.events = resp["live-timeline-events"]["data"]
        shown = json.dumps(resp.get("live-toasts", {}))
        if "live-change" in resp:
            self.change = resp["live-change"]["data"]
        if "live-map-change" in resp:
            self.map_change = resp["live-map-change"]["data"]
        if "live-change" in resp or "live-map-change" in resp:
            # what the browser refreshes on a change: the tables (outages, crew statuses), the map's layers (anything)
            threading.Thread(target=self._refresh, args=("live-change" in resp, "live-map-change" in resp),
                             daemon=True).start()
        return shown

    def run(self) -> None:
        # spread the clients over the interval, as page loads are
        time.sleep(POLL_S * (hash(self.name) % 1000) / 1000)
        while not self.stop.is_set():
            started = time.monotonic()
            self.n += 1
            try:
                shown = self._tick() if self.mode == "tick" else self._tables()
            except requests.RequestException:
                self.errors += 1
                shown = ""
            got = time.monotonic()
            with self.lock:
                for oid in list(self.seen):
                    if oid in shown:
                        self.seen[oid].setdefault(self.name, got)
            self.stop.wait(max(0.0, POLL_S - (time.monotonic() - started)))


def _outage_changes(admin_dsn: str, stop: threading.Event, changes: dict, lock: threading.Lock) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        circuit, substation, lon, lat = conn.execute(
            "SELECT circuit_id, substation_id, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom))"
            " FROM flux.feeder_segments ORDER BY segment_id LIMIT 1").fetchone()
        i = 0
        stop.wait(4.0)  # every client has its first snapshot
        while not stop.is_set():
            i += 1
            oid = f"OUT-BENCH-{os.getpid()}-{time.monotonic_ns()}"
            conn.execute(
                "INSERT INTO flux.outages_active (outage_id, start_time, cause, severity, priority, restoration_status,"
                " affected_customers_count, latitude, longitude, geom, affected_transformers, assigned_crew_count,"
                " circuit_id, substation_id) VALUES (%s, now(), 'equipment', 'high', 'high', 'reported', 321, %s, %s,"
                " ST_SetSRID(ST_MakePoint(%s, %s), 4326), 1, 0, %s, %s)",
                (oid, lat, lon, lon, lat, circuit, substation),
            )
            with lock:
                changes[oid] = {"_at": time.monotonic()}
            if stop.wait(3.0):
                conn.execute("DELETE FROM flux.outages_active WHERE outage_id = %s", (oid,))
                break
            conn.execute("DELETE FROM flux.outages_active WHERE outage_id = %s", (oid,))
            stop.wait(3.0)


def run_mode(server, mode: str, clients: int, seconds: float, admin_dsn: str, cbs: dict, *, changes: bool = True) -> dict:
    stop = threading.Event()
    seen: dict[str, dict] = {}
    lock = threading.Lock()
    pool = [Client(server.url, mode, cbs, stop, seen, lock) for _ in range(clients)]
    pids = [server.proc.pid, *server.worker_pids()]
    for c in pool:
        c.start()
    time.sleep(POLL_S * 2)  # warm: every client past its first request
    cpu0, t0 = _cpu_s(pids), time.monotonic()
    writer = threading.Thread(target=_outage_changes, args=(admin_dsn, stop, seen, lock), daemon=True)
    if changes:
        writer.start()
    time.sleep(seconds)
    cpu1, t1 = _cpu_s(pids), time.monotonic()
    stop.set()
    if changes:
        writer.join(15)
    for c in pool:
        c.join(35)
    latencies, missed, counted = [], 0, 0
    for oid, got in seen.items():
        at = got.pop("_at")
        if at > t1 - 3.0:
            continue  # written just before the end: not every client had its tick yet
        counted += 1
        latencies += [v - at for v in got.values()]
        missed += clients - len(got)
    requests_n = sum(c.requests for c in pool)
    return {
        "mode": mode if changes else f"{mode}_quiet",
        "server_cpu_cores": round((cpu1 - cpu0) / (t1 - t0), 3),
        "requests_per_s": round(requests_n / (t1 - t0 + POLL_S * 2), 1),
        "errors": sum(c.errors for c in pool),
        "changes": counted,
        "latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_s": round(statistics.quantiles(latencies, n=20)[18], 2) if len(latencies) >= 20 else None,
        "latency_max_s": round(max(latencies), 2) if latencies else None,
        "missed": missed,  # client x change pairs never shown before the change was undone
    }


def _ratio(summary: dict, a: str, b: str) -> float | None:
    x, y = summary[a]["server_cpu_cores"], summary[b]["server_cpu_cores"]
    return round(x / y, 3) if x and y else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from data.connections import connect_warehouse
    from data.etl import sync_live
    from settings import Settings
    from tests.fix_services import ProductionServer, server_env, start_fault_stack

    pg, wh_server, settings = start_fault_stack(Settings())
    writer_settings = settings.model_copy(update={"pg_password": None})
    logs = Path(tempfile.mkdtemp(prefix="console-", dir=ROOT / ".stack"))
    stop = threading.Event()
    sync = threading.Thread(target=sync_live.run_every, args=(writer_settings, 2.0, stop),
                            kwargs={"reconcile_every_s": 3600}, daemon=True)
    wh = connect_warehouse(writer_settings)

    def beat() -> None:
        from data.etl.live.sqlfile import sql

        while not stop.is_set():
            at = datetime.now(timezone.utc).replace(tzinfo=None)
            cur = wh.cursor()
            cur.execute(sql("load", "heartbeat_merge"), {
                "feed": settings.live_feed_name, "beat_at": at, "sim_time": at, "speed": 1.0, "scenario": "calm",
                "meters": 100, "rows_per_s": 10.0, "lag_s": 0.5, "buffered_rows": 0, "spilled_batches": 0,
                "rows_total": 0, "active_outages": 0, "status": "running"})
            cur.close()
            stop.wait(1.0)

    beater = threading.Thread(target=beat, daemon=True)
    server = ProductionServer(
        server_env(settings, FLUX_CACHE_TYPE="filesystem", FLUX_CACHE_DIR=str(logs / "cache")), logs / "gunicorn.log"
    ).start()
    runs: list[dict] = []
    try:
        sync.start()
        beater.start()
        cbs = _callbacks(server.url)
        for i in range(args.runs):
            for mode in (("tick", "poll") if i % 2 == 0 else ("poll", "tick")):
                result = run_mode(server, mode, args.clients, args.seconds, writer_settings.postgres_admin_dsn(), cbs)
                print(json.dumps(result), flush=True)
                runs.append(result)
                # the same with a quiet grid: no outage changes, the common case between events
                result = run_mode(server, mode, args.clients, args.seconds / 2, writer_settings.postgres_admin_dsn(), cbs,
                                  changes=False)
                print(json.dumps(result), flush=True)
                runs.append(result)
    finally:
        stop.set()
        server.stop()
        sync.join(15)
        beater.join(5)
        wh.close()
        pg.destroy()
        wh_server.destroy()
        shutil.rmtree(logs, ignore_errors=True)

    def med(mode: str, key: str):
        values = [r[key] for r in runs if r["mode"] == mode and r[key] is not None]
        return round(statistics.median(values), 3) if values else None

    summary = {
        mode: {key: med(mode, key) for key in ("server_cpu_cores", "requests_per_s", "latency_p50_s", "latency_p95_s",
                                               "latency_max_s", "errors", "missed")}
        for mode in ("tick", "poll", "tick_quiet", "poll_quiet")
    }
    load = os.getloadavg()
    OUT.write_text(json.dumps({
        "command": f".venv/bin/python -m bench.bench_console --clients {args.clients} --seconds {args.seconds:g} --runs {args.runs}",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg_after": [round(x, 2) for x in load]},
        "clients": args.clients, "poll_s": POLL_S, "seconds_per_run": args.seconds, "runs_per_mode": args.runs,
        "goal_latency_s": GOAL_LATENCY_S,
        "summary": summary,
        "cpu_ratio_tick_over_poll": _ratio(summary, "tick", "poll"),
        "cpu_ratio_tick_over_poll_quiet": _ratio(summary, "tick_quiet", "poll_quiet"),
        "runs": runs,
    }, indent=2) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
