"""Chat threads and feedback through the real app on the real stores: the local agent, and the
Cortex client against FakeCortexServer (a FAKE Cortex endpoint; the real one is unreachable)."""

from __future__ import annotations

import json
import secrets

import psycopg
import pytest
from pydantic import SecretStr

from app.user import USER_HEADER
from data.chat.cortex import parse_events
from tests.fake_cortex import FakeCortexServer, Reply, recorded

FIRST = "Which feeders are above 80%?"
SECOND = "Which of those serve more than 500 customers?"


def as_operator(name: str) -> dict[str, str]:
    return {USER_HEADER: name}


def operator() -> str:
    return f"op{secrets.token_hex(4)}@flux.example"


def stream(client, body: dict, who: str):
    resp = client.post("/api/agent/stream", json=body, headers=as_operator(who))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp, list(parse_events([resp.get_data()]))


def ids_of(events) -> dict:
    req = next(e.data for e in events if e.event == "request_id")
    meta = {e.data["role"]: e.data for e in events if e.event == "metadata"}
    return {"request": req, "user": meta.get("user"), "assistant": meta.get("assistant")}


def table_rows(events) -> list[dict]:
    rs = next(e.data for e in events if e.event == "response.table")["result_set"]
    cols = [c["name"].lower() for c in rs["resultSetMetaData"]["rowType"]]
    return [dict(zip(cols, r)) for r in rs["data"]]


@pytest.fixture(scope="module")
def local_app(loaded_stores):
    from app import create_app

    return create_app(loaded_stores.model_copy(update={"agent_mode": "local", "agent_local_token_delay_ms": 0}))


@pytest.fixture(scope="module")
def local_client(local_app):
    return local_app.server.test_client()


@pytest.fixture(scope="module")
def fake():
    with FakeCortexServer() as server:
        yield server


@pytest.fixture(scope="module")
def cortex_client(loaded_stores, fake):
    from app import create_app

    settings = loaded_stores.model_copy(update={
        "agent_mode": "object", "agent_base_url": fake.url, "snowflake_authenticator": "programmatic_access_token",
        "snowflake_pat": SecretStr("pat-for-fake-cortex")})
    return create_app(settings).server.test_client()


# -- threads ------------------------------------------------------------------------------------------
def test_threads001_create_list_and_reopen_are_per_operator(local_client):
    alice, bob = operator(), operator()
    resp = local_client.post("/api/agent/threads", json={}, headers=as_operator(alice))
    assert resp.status_code == 201
    created = resp.get_json()
    assert created["agent"] == "local" and len(str(created["thread_id"])) == 15
    # the original's path does the same
    again = local_client.post("/api/agent/threads/create", json={}, headers=as_operator(alice))
    assert again.status_code == 201 and again.get_json()["thread_id"] != created["thread_id"]

    _, events = stream(local_client, {"query": FIRST, "thread_id": created["thread_id"], "parent_message_id": 0}, alice)
    listed = local_client.get("/api/agent/threads", headers=as_operator(alice)).get_json()
    assert [t["thread_id"] for t in listed] == [str(created["thread_id"]), str(again.get_json()["thread_id"])]
    assert listed[0]["title"] == FIRST and listed[0]["questions"] == 1
    assert listed[1]["title"] == "New chat" and listed[1]["questions"] == 0
    assert local_client.get("/api/agent/threads", headers=as_operator(bob)).get_json() == []

    opened = local_client.get(f"/api/agent/threads/{created['thread_id']}", headers=as_operator(alice)).get_json()
    assert [m["role"] for m in opened["messages"]] == ["user", "assistant"]
    assert opened["messages"][0]["text"] == FIRST
    assert opened["parent_message_id"] == ids_of(events)["assistant"]["message_id"]
    # another operator can neither read nor continue the thread
    assert local_client.get(f"/api/agent/threads/{created['thread_id']}", headers=as_operator(bob)).status_code == 404
    stolen = local_client.post("/api/agent/stream", headers=as_operator(bob),
                               json={"query": SECOND, "thread_id": created["thread_id"], "parent_message_id": 1})
    assert stolen.status_code == 404 and stolen.is_json


def test_threads002_two_turns_locally_the_second_depends_on_the_first(local_client, loaded_stores):
    who = operator()
    resp, first = stream(local_client, {"query": FIRST}, who)
    thread_id = resp.headers["X-Flux-Thread-Id"]
    ids = ids_of(first)
    # the stream's ids, as the browser reads them
    assert ids["request"]["thread_id"] == int(thread_id) and ids["request"]["request_id"]
    assert ids["user"]["thread_id"] == int(thread_id) and ids["assistant"]["thread_id"] == int(thread_id)
    hot = table_rows(first)
    _, second = stream(local_client, {"query": SECOND, "thread_id": int(thread_id),
                                      "parent_message_id": ids["assistant"]["message_id"]}, who)
    tool = next(e.data for e in second if e.event == "response.tool_result")["content"][0]["json"]
    assert tool["params"] == {"threshold": 80.0, "min_customers": 500}
    narrowed = table_rows(second)
    assert {r["circuit_id"] for r in narrowed} == {r["circuit_id"] for r in hot if r["customers_served"] > 500}
    assert ids_of(second)["user"]["message_id"] > ids["assistant"]["message_id"]
    # the same follow-up in a fresh thread has nothing to refer to
    _, alone = stream(local_client, {"query": SECOND}, who)
    assert not any(e.event == "response.table" for e in alone)
    assert "can't answer" in "".join(e.text for e in alone if e.event == "response.text.delta")


def test_threads003_two_turns_against_fake_cortex(cortex_client, fake):
    who = operator()
    fake.thread_id = secrets.randbelow(10**12) + 10**11
    fake.queue = [Reply(body=recorded("feeders_above_80"), request_id="req-cortex-first"),
                  Reply(body=recorded("feeders_serving_500"), request_id="req-cortex-second")]
    start = len(fake.requests)
    resp, first = stream(cortex_client, {"query": FIRST}, who)
    assert resp.headers["X-Flux-Agent"] == "cortex" and resp.headers["X-Flux-Thread-Id"] == str(fake.thread_id)
    ids = ids_of(first)
    assert ids["request"] == {"request_id": "req-cortex-first", "thread_id": fake.thread_id}
    assert ids["assistant"] == {"role": "assistant", "message_id": 102, "thread_id": fake.thread_id}
    # every Cortex event is relayed, in order, with nothing lost
    want = [e.event for e in parse_events([recorded("feeders_above_80")])]
    assert [e.event for e in first] == ["request_id", *want]
    _, second = stream(cortex_client, {"query": SECOND, "thread_id": fake.thread_id,
                                       "parent_message_id": ids["assistant"]["message_id"]}, who)
    runs = [r for r in fake.requests[start:] if r.path.endswith(":run")]
    assert [(r.body["thread_id"], r.body["parent_message_id"]) for r in runs] == [(fake.thread_id, 0), (fake.thread_id, 102)]
    assert [r.body["messages"][0]["content"][0]["text"] for r in runs] == [FIRST, SECOND]
    assert all(len(r.body["messages"]) == 1 for r in runs)  # Cortex keeps the earlier turns itself
    threads_made = [r for r in fake.requests[start:] if r.path == "/api/v2/cortex/threads"]
    assert len(threads_made) == 1 and threads_made[0].body == {"origin_application": "flux_ops"}
    assert {r["circuit_id"] for r in table_rows(second)} == {"SUB-002-C05", "SUB-007-C08"}
    # the turns are mirrored under Cortex's ids: the panel lists and reopens the thread
    opened = cortex_client.get(f"/api/agent/threads/{fake.thread_id}", headers=as_operator(who)).get_json()
    assert [(m["message_id"], m["parent_message_id"], m["role"]) for m in opened["messages"]] == [
        (101, 0, "user"), (102, 101, "assistant"), (103, 102, "user"), (104, 103, "assistant")]
    assert opened["messages"][3]["text"] == "Of those, two serve more than 500 customers: SUB-002-C05 and SUB-007-C08."
    assert opened["messages"][3]["request_id"] == "req-cortex-second" and opened["parent_message_id"] == 104

    # feedback on the second answer goes to the agent object's feedback endpoint, and is kept
    sent = cortex_client.post("/api/agent/feedback", headers=as_operator(who), json={
        "thread_id": fake.thread_id, "message_id": 104, "rating": "down", "comment": "SUB-002-C04 is missing"})
    assert sent.status_code == 201 and sent.get_json()["cortex"] == "sent"
    fb = fake.requests[-1]
    assert fb.path == "/api/v2/databases/FLUX_TEST/schemas/PRODUCTION/agents/FLUX_GRID_AGENT:feedback"
    assert fb.body == {"orig_request_id": "req-cortex-second", "positive": False,
                       "feedback_message": "SUB-002-C04 is missing", "thread_id": fake.thread_id}
    assert fb.headers["Authorization"] == "Bearer pat-for-fake-cortex"
    # Snowflake refusing it loses nothing: the rating is stored and marked as not sent
    fake.feedback_status = 503
    try:
        kept = cortex_client.post("/api/agent/feedback", headers=as_operator(who),
                                  json={"thread_id": str(fake.thread_id), "message_id": 102, "rating": "up"})
    finally:
        fake.feedback_status = 200
    assert kept.status_code == 201 and kept.get_json()["cortex"] == "failed"
    report = cortex_client.get("/api/agent/feedback/report?days=1&limit=200").get_json()
    mine = [r for r in report["recent"] if r["operator"] == who]
    assert [(r["message_id"], r["positive"], r["cortex"]) for r in mine] == [(102, True, "failed"), (104, False, "sent")]
    assert mine[1]["question"] == SECOND and mine[1]["answer"].startswith("Of those, two serve")


# -- feedback ---------------------------------------------------------------------------------------------
def _answered(client, who: str) -> tuple[int, int, str]:
    resp, events = stream(client, {"query": "How many customers are out right now?"}, who)
    ids = ids_of(events)
    return int(resp.headers["X-Flux-Thread-Id"]), ids["assistant"]["message_id"], ids["request"]["request_id"]


def test_threads004_feedback_is_stored_and_read_back_in_the_report(local_client):
    who = operator()
    thread_id, message_id, request_id = _answered(local_client, who)
    before = local_client.get("/api/agent/feedback/report?days=1").get_json()["totals"]
    down = local_client.post("/api/agent/feedback", headers=as_operator(who),
                             json={"thread_id": thread_id, "message_id": message_id, "rating": "down",
                                   "comment": "  Counts look low for SUB-001 \u2014 check  "})
    assert down.status_code == 201 and down.get_json()["cortex"] == "local"
    # changing one's mind is a new row; the report counts the latest rating of each answer
    up = local_client.post("/api/agent/feedback", headers=as_operator(who),
                           json={"thread_id": str(thread_id), "message_id": message_id, "rating": "up"})
    assert up.status_code == 201 and up.get_json()["feedback_id"] > down.get_json()["feedback_id"]
    report = local_client.get("/api/agent/feedback/report?days=1&limit=200").get_json()
    assert report["totals"]["up"] == before["up"] + 1 and report["totals"]["down"] == before["down"]
    mine = [r for r in report["recent"] if r["operator"] == who]
    assert [(r["positive"], r["comment"]) for r in mine] == [
        (True, None), (False, "Counts look low for SUB-001 \u2014 check")]
    assert mine[1]["request_id"] == request_id  # taken from the stored answer
    assert mine[1]["question"] == "How many customers are out right now?"
    assert "customers are out right now" in mine[1]["answer"]
    assert report["by_day"] and sum(d["up"] for d in report["by_day"]) == report["totals"]["up"]


@pytest.mark.badinput
@pytest.mark.parametrize("body,status", [
    ({}, 400),
    ({"thread_id": 1, "message_id": 1}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": "meh"}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": True}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": {}}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": ["up"]}, 400),
    ({"thread_id": 1, "message_id": {"a": 1}, "rating": "up"}, 400),
    ({"thread_id": 1, "message_id": "\u00b2", "rating": "up"}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": "up", "request_id": ["x"]}, 400),
    ({"thread_id": 1, "message_id": 0, "rating": "up"}, 400),
    ({"thread_id": 1, "message_id": 2**63, "rating": "up"}, 404),
    ({"thread_id": 1, "message_id": 1.5, "rating": "up"}, 400),
    ({"thread_id": "1; DROP TABLE x", "message_id": 1, "rating": "up"}, 400),
    ({"thread_id": {"a": 1}, "message_id": 1, "rating": "up"}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": "up", "comment": "x" * 1001}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": "up", "comment": 5}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": "up", "comment": "a\x00b"}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": "up", "request_id": "x" * 65}, 400),
    ({"thread_id": 1, "message_id": 1, "rating": "up", "stars": 5}, 400),
    ({"thread_id": 123456789012345, "message_id": 1, "rating": "up"}, 404),
])
def test_threads005_bad_feedback_gets_a_json_error(local_client, body, status):
    resp = local_client.post("/api/agent/feedback", json=body, headers=as_operator("bad@flux.example"))
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.is_json and resp.get_json()["message"] and "Traceback" not in resp.get_data(as_text=True)


@pytest.mark.badinput
def test_threads006_feedback_only_on_ones_own_answers_and_as_json(local_client, local_app):
    who = operator()
    thread_id, message_id, _ = _answered(local_client, who)
    ok = {"thread_id": thread_id, "message_id": message_id, "rating": "up"}
    assert local_client.post("/api/agent/feedback", json=ok, headers=as_operator(operator())).status_code == 404
    user_message = {**ok, "message_id": message_id - 1}  # the question, not an answer
    assert local_client.post("/api/agent/feedback", json=user_message, headers=as_operator(who)).status_code == 404
    form = local_client.post("/api/agent/feedback", data=json.dumps(ok), content_type="text/plain",
                             headers=as_operator(who))
    assert form.status_code == 415 and form.is_json
    big = local_client.post("/api/agent/feedback", data=json.dumps({**ok, "comment": "x" * 70_000}),
                            content_type="application/json", headers=as_operator(who))
    assert big.status_code == 413 and big.is_json
    for path in ("/api/agent/threads", "/api/agent/threads/create"):
        assert local_client.post(path, json={"x": 1}).status_code == 400
        assert local_client.post(path, data="{}", content_type="text/plain").status_code == 415
    assert local_client.get("/api/agent/threads?limit=0").status_code == 400
    assert local_client.get("/api/agent/threads?limt=5").status_code == 400
    assert local_client.get("/api/agent/threads/bad%20id").status_code == 400
    assert local_client.get("/api/agent/feedback/report?days=x").status_code == 400
    # a route under another method is a 405 JSON, the original's create path is POST only
    for method, path in (("put", "/api/agent/feedback"), ("get", "/api/agent/feedback"),
                         ("get", "/api/agent/threads/create"), ("delete", "/api/agent/threads")):
        resp = getattr(local_client, method)(path)
        assert resp.status_code == 405 and resp.is_json, (method, path, resp.status_code)
    assert local_client.post("/api/agent/stream", json={"query": "q", "thread_id": 424242424242424}).status_code == 404
    # none of the refusals left a row behind
    store = local_app.server.extensions["flux_chat_store"]
    assert len([m for m in store.messages(str(thread_id))]) == 2


def test_threads007_flux_app_may_only_insert_and_read_the_chat_tables(loaded_stores):
    """V011's grant is deliberate and minimal: the app role still cannot change anything else."""
    dsn = loaded_stores.postgres_dsn()
    with psycopg.connect(dsn, autocommit=True, **loaded_stores.postgres_connect_kwargs()) as conn:
        for stmt in ("UPDATE flux_chat.feedback SET positive = true",
                     "DELETE FROM flux_chat.messages",
                     "TRUNCATE flux_chat.threads",
                     "INSERT INTO flux.circuits (circuit_id) VALUES ('X')",
                     "CREATE TABLE flux_chat.evil (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                with conn.transaction():
                    conn.execute("SET TRANSACTION READ WRITE")
                    conn.execute(stmt)
        # and by default its sessions stay read-only: a write must ask for READ WRITE
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("SET default_transaction_read_only = on")
            conn.execute("INSERT INTO flux_chat.threads (thread_id, operator, agent) VALUES ('ro-test', '', 'local')")
