"""Locust: one simulated control-room operator per user (run by bench/run_load.py).

Each operator loads the page (HTML, Dash layout and dependencies), then, on their own clock:
- polls the real-time panels every 15 s (KPIs, outages, work orders, substation status, crews),
- pans the map every 5-15 s (viewport assets and feeder paths at the viewport's zoom),
- asks the chat one question a minute and reads the whole SSE stream.
The clocks start at random offsets so 50 operators do not poll in lock-step.
"""

from __future__ import annotations

import random
import time

from locust import FastHttpUser, constant, task

POLL_S = 15.0
CHAT_S = 60.0
PAN_S = (5.0, 15.0)
# Greater Houston, where the synthetic grid lies.
LON, LAT = (-95.80, -95.00), (29.50, 30.10)
# degrees of longitude a 1440 px wide map shows at a zoom (Web Mercator, 256 px tiles)
ZOOM_SPAN = {10: 0.70, 11: 0.35, 12: 0.18, 13: 0.09}
REALTIME = [
    ("/api/kpis", "/api/kpis"),
    ("/api/outages/active", "/api/outages/active"),
    ("/api/work-orders/active", "/api/work-orders/active"),
    ("/api/postgres/substations/status", "/api/postgres/substations/status"),
    ("/api/crews", "/api/crews"),
]
QUESTIONS = [
    "How many customers are out right now?",
    "Show open work orders by priority",
    "Which transformers are in critical overload?",
    "Show outages by cause this month",
    "Which feeders are above 80% load?",
    "Show outage events during high wind conditions.",
]


class Operator(FastHttpUser):
    # FastHttpUser (geventhttpclient): locust shares the server's 2 cores here, and this client
    # costs far less CPU per response than the requests-based HttpUser (locust's docs).
    wait_time = constant(0.5)

    def on_start(self) -> None:
        self.client.get("/", name="page: /")
        self.client.get("/_dash-layout", name="page: /_dash-layout")
        self.client.get("/_dash-dependencies", name="page: /_dash-dependencies")
        self.client.get("/api/topology/feeders?zoom=9", name="/api/topology/feeders (overview)")
        self.poll()
        now = time.monotonic()
        self.next_poll = now + random.uniform(0, POLL_S)
        self.next_pan = now + random.uniform(*PAN_S)
        self.next_chat = now + random.uniform(0, CHAT_S)

    @task
    def tick(self) -> None:
        now = time.monotonic()
        if now >= self.next_poll:
            self.next_poll = now + POLL_S
            self.poll()
        if now >= self.next_pan:
            self.next_pan = now + random.uniform(*PAN_S)
            self.pan()
        if now >= self.next_chat:
            self.next_chat = now + CHAT_S
            self.chat()

    def poll(self) -> None:
        for path, name in REALTIME:
            self.client.get(path, name=name)

    def pan(self) -> None:
        zoom = random.choice(list(ZOOM_SPAN))
        span = ZOOM_SPAN[zoom]
        lon = random.uniform(LON[0], LON[1] - span)
        lat = random.uniform(LAT[0], LAT[1] - span * 0.6)
        bbox = f"{lon:.4f},{lat:.4f},{lon + span:.4f},{lat + span * 0.6:.4f}"
        self.client.get(f"/api/assets?bbox={bbox}&limit=2000", name="/api/assets?bbox (pan)")
        self.client.get(f"/api/topology/feeders?zoom={zoom}&bbox={bbox}", name=f"/api/topology/feeders (zoom {zoom})")

    def chat(self) -> None:
        question = random.choice(QUESTIONS)
        started = time.perf_counter()
        with self.client.post("/api/agent/stream", json={"query": question}, name="/api/agent/stream (whole answer)",
                              stream=True, catch_response=True) as resp:
            body = b"".join(resp.iter_content(65536, decode_content=False)) if resp.status_code == 200 else b""
            # a streamed request is timed at its headers; record the whole answer instead
            resp.request_meta["response_time"] = (time.perf_counter() - started) * 1000
            resp.request_meta["response_length"] = len(body)
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
            elif b"event: error" in body:
                resp.failure("the stream carried an error event")
            elif b"event: response\n" not in body:
                resp.failure("the stream ended without its final response event")
            else:
                resp.success()
