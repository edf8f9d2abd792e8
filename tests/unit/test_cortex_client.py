"""The Cortex Agents client against FakeCortexServer (a real local HTTP server)."""

from __future__ import annotations

import json
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from settings import Settings
from data.chat.cortex import AgentEvent, CortexClient, CortexError, SSEParser, parse_events
from tests.fake_cortex import FakeCortexServer, Reply, recorded


@pytest.fixture()
def fake():
    with FakeCortexServer() as server:
        yield server


def make_settings(fake: FakeCortexServer, **kw) -> Settings:
    base = dict(agent_mode="object", agent_base_url=fake.url, snowflake_authenticator="programmatic_access_token",
                snowflake_database="FLUX", snowflake_schema="PRODUCTION",
                snowflake_pat="pat-token-123", agent_read_timeout_s=5.0, agent_connect_timeout_s=2.0)
    base.update(kw)
    return Settings(**base)


def test_cortex001_saved_agent_stream_yields_every_event_in_order(fake):
    client = CortexClient(make_settings(fake))
    events = list(client.run("Which transformers are in critical overload?"))
    names = [e.event for e in events]
    assert names[:2] == ["request_id", "response.status"] and names[-1] == "response"
    assert events[0].data == {"request_id": "fake-req-0001"}  # Snowflake's id for this run
    for expected in ("response.thinking.delta", "response.thinking", "response.tool_use",
                     "response.tool_result.status", "response.tool_result.analyst.delta",
                     "response.tool_result", "response.table", "response.chart", "response.text.delta",
                     "response.text", "metadata"):
        assert expected in names
    text = "".join(e.text for e in events if e.event == "response.text.delta")
    assert text.endswith("über the limit.")
    table = next(e for e in events if e.event == "response.table")
    assert table.data["result_set"]["data"][0] == ["XFMR-000123", "131.5"]
    chart = json.loads(next(e for e in events if e.event == "response.chart").data["chart_spec"])
    assert chart["mark"] == "bar"
    meta = next(e for e in events if e.event == "metadata")
    assert meta.data["message_id"] == 4242
    seen = fake.requests[0]
    assert seen.path == "/api/v2/databases/FLUX/schemas/PRODUCTION/agents/FLUX_GRID_AGENT:run"
    assert seen.body["messages"][0]["content"][0]["text"] == "Which transformers are in critical overload?"
    assert "tools" not in seen.body  # a saved agent's configuration cannot be overridden
    assert client.last_request_id == "fake-req-0001"


def test_cortex002_objectless_endpoint_carries_the_tools(fake):
    client = CortexClient(make_settings(fake, agent_mode="objectless", agent_semantic_view="FLUX.PRODUCTION.FLUX_GRID"))
    list(client.run("hello"))
    seen = fake.requests[0]
    assert seen.path == "/api/v2/cortex/agent:run"
    assert seen.body["tools"][0]["tool_spec"]["type"] == "cortex_analyst_text_to_sql"
    assert seen.body["tool_resources"]["grid_analyst"]["semantic_view"] == "FLUX.PRODUCTION.FLUX_GRID"


def test_cortex003_pat_header(fake):
    list(CortexClient(make_settings(fake)).run("q"))
    h = fake.requests[0].headers
    assert h["Authorization"] == "Bearer pat-token-123"
    assert h["X-Snowflake-Authorization-Token-Type"] == "PROGRAMMATIC_ACCESS_TOKEN"


def test_cortex004_oauth_token_reread_on_every_request(fake, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("oauth-one\n")
    client = CortexClient(make_settings(fake, snowflake_authenticator="oauth", snowflake_token_file=token_file))
    list(client.run("q1"))
    token_file.write_text("oauth-two")  # SPCS rotates the file
    list(client.run("q2"))
    assert [r.headers["Authorization"] for r in fake.requests] == ["Bearer oauth-one", "Bearer oauth-two"]
    assert {r.headers["X-Snowflake-Authorization-Token-Type"] for r in fake.requests} == {"OAUTH"}


def test_cortex005_keypair_jwt_header(fake, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"s3cret-pass"))
    key_file = tmp_path / "rsa_key.p8"
    key_file.write_bytes(pem)
    settings = make_settings(fake, snowflake_authenticator="keypair", snowflake_private_key_file=key_file,
                             snowflake_private_key_passphrase="s3cret-pass", snowflake_account="myorg-acct1.eu-west-1",
                             snowflake_user="flux_svc")
    list(CortexClient(settings).run("q"))
    h = fake.requests[0].headers
    assert h["X-Snowflake-Authorization-Token-Type"] == "KEYPAIR_JWT"
    token = h["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, key.public_key(), algorithms=["RS256"])
    assert claims["sub"] == "MYORG-ACCT1.FLUX_SVC"
    assert claims["iss"].startswith("MYORG-ACCT1.FLUX_SVC.SHA256:")
    assert 0 < claims["exp"] - claims["iat"] <= 3600


def test_cortex006_password_auth_is_refused_with_a_clear_message(fake):
    with pytest.raises(CortexError, match="password authentication cannot call"):
        list(CortexClient(make_settings(fake, snowflake_authenticator="password")).run("q"))


@pytest.mark.parametrize("size", [1, 3, 7, 64])
def test_cortex007_chunk_boundaries_splitting_events_and_utf8(fake, size):
    fake.reply = Reply(body=recorded("overloaded_transformers"), chunk_size=size)
    whole = list(parse_events([recorded("overloaded_transformers")]))
    events = list(CortexClient(make_settings(fake)).run("q"))
    assert events == [AgentEvent("request_id", {"request_id": "fake-req-0001"}), *whole]
    assert fake.pieces_sent > 1


def test_cortex008_crlf_split_between_chunks():
    parser = SSEParser()
    out = parser.feed(b"event: metadata\r")
    out += parser.feed(b"\ndata: {\"message_id\": 5}\r\n\r")
    out += parser.feed(b"\n")
    assert out == [("metadata", '{"message_id": 5}')]


def test_cortex009_events_arrive_before_the_stream_ends(fake):
    fake.reply = Reply(body=recorded("overloaded_transformers"), split_events=True, delay_s=0.05)
    arrivals = []
    start = time.monotonic()
    for ev in CortexClient(make_settings(fake)).run("q"):
        arrivals.append((ev.event, time.monotonic() - start))
    first, last = arrivals[0][1], arrivals[-1][1]
    assert last - first > 0.5  # spread over the stream, not delivered in one piece at the end


def test_cortex010_unknown_events_are_ignored(fake):
    fake.reply = Reply(body=recorded("unknown_events"), chunk_size=5)
    names = [e.event for e in CortexClient(make_settings(fake)).run("q")]
    assert names == ["request_id", "response.status", "response.text.delta", "response.text.annotation",
                     "response.tool_result.analyst.delta", "metadata", "response"]


def test_cortex011_error_event_mid_stream_is_surfaced(fake):
    fake.reply = Reply(body=recorded("error_midstream"), split_events=True)
    events = list(CortexClient(make_settings(fake)).run("q"))
    assert [e.event for e in events] == ["request_id", "response.status", "response.text.delta", "error"]
    err = events[-1].data
    assert err["message"] == "The warehouse FLUX_WH is suspended and cannot resume."
    assert err["code"] == "399504" and err["request_id"] == "req-from-cortex-77"


@pytest.mark.parametrize(
    "status,body,headers,expected",
    [
        (401, {"code": "390303", "message": "Invalid OAuth access token."}, {}, "rejected the credentials (401)"),
        (429, {"message": "Too many requests"}, {"Retry-After": "7"}, "rate limiting this account (429)"),
        (404, {"message": "Agent does not exist"}, {}, "was not found (404)"),
        (503, {"message": "down"}, {}, "Snowflake Cortex failed (503)"),
    ],
)
def test_cortex012_http_errors_become_clear_messages(fake, status, body, headers, expected):
    fake.reply = Reply(body=json.dumps(body).encode(), status=status, headers=headers)
    with pytest.raises(CortexError) as info:
        list(CortexClient(make_settings(fake)).run("q"))
    err = info.value
    assert err.status == status and expected in err.message
    assert body["message"] in err.message
    assert "Request id" in err.message and err.request_id
    if status == 429:
        assert "retry after 7 s" in err.message
    ev = err.to_event()
    assert ev.event == "error" and ev.data["message"] == err.message


def test_cortex013_read_timeout(fake):
    fake.reply = Reply(body=recorded("error_midstream").split(b"\n\n")[0] + b"\n\n", stall_after_s=3)
    client = CortexClient(make_settings(fake, agent_read_timeout_s=0.5))
    got: list[AgentEvent] = []
    start = time.monotonic()
    with pytest.raises(CortexError, match="read timeout"):
        for ev in client.run("q"):
            got.append(ev)
    assert [e.event for e in got] == ["request_id", "response.status"]
    assert time.monotonic() - start < 2.5


def test_cortex014_connect_failure_is_clear():
    settings = Settings(agent_mode="object", agent_base_url="http://127.0.0.1:9", snowflake_authenticator="programmatic_access_token",
                        snowflake_pat="pat-token-123", agent_connect_timeout_s=1.0)
    with pytest.raises(CortexError, match="Could not connect"):
        list(CortexClient(settings).run("q"))


def test_cortex015_threads_carry_the_conversation(fake):
    client = CortexClient(make_settings(fake))
    thread_id = client.create_thread()
    first = list(client.run("Which transformers are overloaded?", thread_id=thread_id, parent_message_id=0))
    message_id = next(e for e in first if e.event == "metadata").data["message_id"]
    list(client.run("And on circuit SUB-001-C01?", thread_id=thread_id, parent_message_id=message_id))
    runs = [r for r in fake.requests if r.path.endswith(":run")]
    assert [r.body["thread_id"] for r in runs] == [9001, 9001]
    assert [r.body["parent_message_id"] for r in runs] == [0, 4242]


def test_cortex016_closing_the_generator_closes_the_upstream(fake):
    fake.reply = Reply(body=recorded("overloaded_transformers") * 40, split_events=True, delay_s=0.02)
    stream = CortexClient(make_settings(fake)).run("q")
    next(stream)
    stream.close()
    assert fake.client_gone.wait(5)
    assert not fake.finished.is_set()


def test_cortex017_to_sse_round_trips():
    ev = AgentEvent("response.text.delta", {"content_index": 0, "text": "a\nb", "is_elicitation": False})
    assert list(parse_events([ev.to_sse()])) == [ev]


def test_cortex018_parser_handles_concurrent_streams(fake):
    """Two runs at once: each gets its own whole stream (no shared parser state)."""
    fake.reply = Reply(body=recorded("overloaded_transformers"), split_events=True, delay_s=0.01)
    client = CortexClient(make_settings(fake))
    results: list[list[str]] = []

    def go():
        results.append([e.event for e in client.run("q")])

    threads = [threading.Thread(target=go) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert len(results) == 2 and results[0] == results[1]
