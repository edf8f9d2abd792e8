"""FakeCortexServer: a FAKE Snowflake Cortex Agents endpoint for tests (the real one is
unreachable here). A real HTTP/1.1 server on 127.0.0.1 that replays SSE streams stored under
tests/fixtures/cortex/ in the documented event format, in chosen chunk sizes and with chosen
pauses, and records every request it receives. It also answers the threads API (POST
/api/v2/cortex/threads) and the agent's feedback endpoint (agents/{name}:feedback) as documented.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cortex"


def recorded(name: str) -> bytes:
    return (FIXTURES / f"{name}.sse").read_bytes()


@dataclass
class Reply:
    """What the next run request gets."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunk_size: int | None = None      # split the body into pieces of this many bytes
    split_events: bool = False         # or one piece per event
    delay_s: float = 0.0               # pause before each piece
    stall_after_s: float | None = None  # after the body, hold the connection open this long
    request_id: str = "fake-req-0001"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: dict


class FakeCortexServer:
    def __init__(self) -> None:
        self.reply = Reply(body=recorded("overloaded_transformers"))
        self.queue: list[Reply] = []  # replies for the next runs, in order, before `reply`
        self.thread_id: int | str = 9001  # what POST /api/v2/cortex/threads hands out
        self.feedback_status = 200
        self.requests: list[Seen] = []
        self.pieces_sent = 0
        self.client_gone = threading.Event()
        self.finished = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-cortex", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeCortexServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "FakeCortexServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _pieces(self, reply: Reply) -> list[bytes]:
        if reply.split_events:
            parts = reply.body.split(b"\n\n")
            return [p + b"\n\n" for p in parts if p.strip()]
        if reply.chunk_size:
            n = reply.chunk_size
            return [reply.body[i:i + n] for i in range(0, len(reply.body), n)]
        return [reply.body]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {}
                fake.requests.append(Seen("POST", self.path, {k: v for k, v in self.headers.items()}, body))
                if self.path.endswith("/threads"):
                    self._json(200, {"thread_id": fake.thread_id})
                    return
                if self.path.endswith(":feedback"):
                    if fake.feedback_status >= 400:
                        self._json(fake.feedback_status, {"message": "feedback refused", "code": "390001"})
                    else:
                        self._json(200, {"status": "Feedback submitted successfully"})
                    return
                reply = fake.queue.pop(0) if fake.queue else fake.reply
                if reply.status >= 400:
                    self._json(reply.status, json.loads(reply.body or b"{}"), reply.headers)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("X-Snowflake-Request-Id", reply.request_id)
                # It closes the connection after the stream, so it says so: a client that kept
                # it for the next request would race the close (RemoteDisconnected, seen in CI).
                self.send_header("Connection", "close")
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    for piece in fake._pieces(reply):
                        if reply.delay_s:
                            time.sleep(reply.delay_s)
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.flush()
                        fake.pieces_sent += 1
                    if reply.stall_after_s:
                        time.sleep(reply.stall_after_s)
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    fake.finished.set()
                except (BrokenPipeError, ConnectionResetError):
                    fake.client_gone.set()
                self.close_connection = True

            def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        return Handler
