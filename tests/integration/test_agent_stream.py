"""POST /api/agent/stream: validation, and real streaming through gunicorn gthread workers
(events arrive in several chunks spread over time; a client disconnect stops the upstream)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask

from app.agent_api import register_agent_api
from data.chat.cortex import parse_events
from tests.fake_cortex import FakeCortexServer, Reply, recorded

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def minimal_app(settings) -> Flask:
    server = Flask("flux-agent-test")
    server.config["FLUX_SETTINGS"] = settings
    register_agent_api(server)
    return server


class Gunicorn:
    """gunicorn with gthread workers serving the real app (app.wsgi:server)."""

    def __init__(self, env: dict[str, str], workers: int = 2, threads: int = 4):
        self.port = _free_port()
        self.log = open(ROOT / ".stack" / f"test-gunicorn-agent-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [GUNICORN, "-k", "gthread", "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{self.port}",
             "--timeout", "60", "app.wsgi:server"],
            cwd=ROOT, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def post_stream(self, body: dict, timeout: float = 30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request("POST", "/api/agent/stream", body=json.dumps(body),
                     headers={"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate"})
        return conn, conn.getresponse()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def read_timed(resp) -> list[tuple[float, bytes]]:
    chunks, start = [], time.monotonic()
    while True:
        piece = resp.read1(65536)
        if not piece:
            return chunks
        chunks.append((time.monotonic() - start, piece))


@pytest.fixture(scope="module")
def local_gunicorn(loaded_stores, tmp_path_factory):
    # a shared file cache: follow-ups may land on the other worker
    cache = tmp_path_factory.mktemp("agent-cache")
    server = Gunicorn({"FLUX_AGENT_MODE": "local", "FLUX_AGENT_LOCAL_TOKEN_DELAY_MS": "40",
                       "FLUX_CACHE_TYPE": "filesystem", "FLUX_CACHE_DIR": str(cache)})
    yield server
    server.stop()


# -- streaming through gunicorn --------------------------------------------------------------------
@pytest.mark.slow
def test_stream001_events_arrive_incrementally_through_gunicorn(local_gunicorn):
    conn, resp = local_gunicorn.post_stream({"query": "How many customers are out right now?"})
    assert resp.status == 200
    assert resp.getheader("Content-Type").startswith("text/event-stream")
    assert resp.getheader("Cache-Control") == "no-cache" and resp.getheader("X-Accel-Buffering") == "no"
    assert resp.getheader("Content-Encoding") is None  # a compressor would hold tokens back
    assert resp.getheader("X-Flux-Thread-Id")
    chunks = read_timed(resp)
    conn.close()
    events = list(parse_events(c for _, c in chunks))
    assert events[-1].event == "response" and any(e.event == "response.table" for e in events)
    text_chunks = [t for t, c in chunks if b"response.text.delta" in c]
    assert len(chunks) >= 8 and len(text_chunks) >= 4
    # several chunks, separated in time, before the end
    assert text_chunks[-1] - text_chunks[0] >= 0.1
    assert chunks[0][0] < chunks[-1][0] - 0.1
    gaps = [b - a for a, b in zip(text_chunks, text_chunks[1:])]
    assert sum(1 for g in gaps if g >= 0.02) >= 3


@pytest.mark.slow
def test_stream002_a_long_chat_does_not_block_others(local_gunicorn):
    # an unmatched question streams its suggestions slowly (many chunks at 40 ms)
    slow_conn, slow = local_gunicorn.post_stream({"query": "what is the meaning of life"})
    first = slow.read1(65536)
    assert first
    started = time.monotonic()
    others = []
    for _ in range(3):
        conn, resp = local_gunicorn.post_stream({"query": "Which feeders are loaded above 50%?"})
        others.append(b"".join(c for _, c in read_timed(resp)))
        conn.close()
    assert all(b"event: response\n" in o for o in others)
    rest = b"".join(c for _, c in read_timed(slow))
    slow_conn.close()
    assert b"event: response\n" in rest
    assert time.monotonic() - started < 20


@pytest.mark.slow
def test_stream003_thread_carries_follow_ups(local_gunicorn):
    conn, resp = local_gunicorn.post_stream({"query": "Show outages by cause this month"})
    thread_id = int(resp.getheader("X-Flux-Thread-Id"))
    events = list(parse_events(c for _, c in read_timed(resp)))
    conn.close()
    message_id = next(e for e in events if e.event == "metadata" and e.data["role"] == "assistant").data["message_id"]
    conn, resp = local_gunicorn.post_stream({"query": "and last month?", "thread_id": thread_id,
                                             "parent_message_id": message_id})
    assert resp.getheader("X-Flux-Thread-Id") == str(thread_id)
    follow = list(parse_events(c for _, c in read_timed(resp)))
    conn.close()
    tool = next(e for e in follow if e.event == "response.tool_result").data["content"][0]["json"]
    assert tool["verified_query_used"] == "outages_by_cause"


@pytest.mark.slow
@pytest.mark.fault
def test_stream004_client_disconnect_stops_the_upstream(loaded_stores):
    with FakeCortexServer() as fake:
        # a long Cortex answer: 40 copies of a recorded stream, one event every 50 ms
        fake.reply = Reply(body=recorded("overloaded_transformers") * 40, split_events=True, delay_s=0.05)
        server = Gunicorn({"FLUX_AGENT_MODE": "object", "FLUX_AGENT_BASE_URL": fake.url,
                           "SNOWFLAKE_AUTHENTICATOR": "programmatic_access_token", "SNOWFLAKE_PAT": "pat-for-fake-cortex"},
                          workers=1)
        try:
            conn, resp = server.post_stream({"query": "Which transformers are in critical overload?"})
            assert resp.status == 200 and resp.getheader("X-Flux-Agent") == "cortex"
            got = b""
            while b"response.status" not in got:
                got += resp.read1(65536)
            conn.sock.shutdown(socket.SHUT_RDWR)
            conn.close()
            assert fake.client_gone.wait(15), "the proxy kept reading Cortex after the browser left"
            assert not fake.finished.is_set()
            sent = fake.pieces_sent
            assert sent < 40 * 19
            runs = [r for r in fake.requests if r.path.endswith(":run")]
            assert runs[0].headers["X-Snowflake-Authorization-Token-Type"] == "PROGRAMMATIC_ACCESS_TOKEN"
            assert runs[0].body["thread_id"] == 9001  # the proxy opened a Cortex thread
        finally:
            server.stop()


# -- validation and errors, in-process ----------------------------------------------------------
@pytest.fixture()
def client(test_settings):
    return minimal_app(test_settings.model_copy(update={"agent_mode": "local", "max_request_bytes": 4096})).test_client()


@pytest.mark.badinput
@pytest.mark.parametrize("body,content_type,status,error", [
    (None, None, 415, "unsupported_media_type"),
    ("{\"query\": \"outages\"}", "text/plain", 415, "unsupported_media_type"),
    (None, "application/json", 400, "bad_request"),
    ("not json", "application/json", 400, "bad_request"),
    (json.dumps([1, 2]), "application/json", 400, "bad_request"),
    (json.dumps({}), "application/json", 400, "bad_request"),
    (json.dumps({"query": ""}), "application/json", 400, "bad_request"),
    (json.dumps({"query": "   "}), "application/json", 400, "bad_request"),
    (json.dumps({"query": 42}), "application/json", 400, "bad_request"),
    (json.dumps({"query": "x" * 2001}), "application/json", 400, "bad_request"),
    (json.dumps({"query": "outages", "thread_id": {"a": 1}}), "application/json", 400, "bad_request"),
    (json.dumps({"query": "outages", "thread_id": "1; DROP"}), "application/json", 400, "bad_request"),
    (json.dumps({"query": "outages", "parent_message_id": -1}), "application/json", 400, "bad_request"),
    ("[" * 1000 + "]" * 1000, "application/json", 400, "bad_request"),
    (json.dumps({"query": "y" * 5000}), "application/json", 413, "payload_too_large"),
])
def test_stream005_bad_requests_get_a_json_4xx(client, body, content_type, status, error):
    resp = client.post("/api/agent/stream", data=body, content_type=content_type)
    assert resp.status_code == status
    assert resp.is_json and resp.get_json()["error"] == error and resp.get_json()["message"]
    assert "Traceback" not in resp.get_data(as_text=True)


def test_stream006_cortex_http_errors_become_an_error_event(test_settings):
    with FakeCortexServer() as fake:
        fake.reply = Reply(body=json.dumps({"message": "Invalid OAuth access token."}).encode(), status=401)
        settings = test_settings.model_copy(update={"agent_mode": "object", "agent_base_url": fake.url,
                                                    "snowflake_authenticator": "programmatic_access_token"})
        from pydantic import SecretStr

        settings = settings.model_copy(update={"snowflake_pat": SecretStr("pat-x")})
        client = minimal_app(settings).test_client()
        # no Postgres here: the question is answered as a one-off in the thread Cortex opened
        resp = client.post("/api/agent/stream", json={"query": "hello"})
        assert resp.status_code == 200 and resp.headers["X-Flux-Thread-Id"] == "9001"
        events = list(parse_events([resp.get_data()]))
        assert [e.event for e in events] == ["error"]
        assert "rejected the credentials (401)" in events[0].data["message"]
        assert "Invalid OAuth access token." in events[0].data["message"]


def test_stream007_vendored_vega_is_served_locally(client):
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        resp = client.get(f"/vendor/vega/{name}")
        assert resp.status_code == 200 and len(resp.data) > 40_000
        assert resp.headers["Content-Type"].startswith("application/javascript")
    assert client.get("/vendor/vega/../agent_api.py").status_code == 404
    assert client.get("/vendor/vega/README.md").status_code == 404
