"""Fault tests on a PRIVATE Postgres cluster (tests/fix_private_pg.py), stopped for real:
every operational endpoint keeps answering from the warehouse, traffic returns to Postgres when
it comes back, an empty table falls back, and the breaker stops repeated pool waits."""

from __future__ import annotations

import time

import pytest

from tests.fix_private_pg import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.slow]


@pytest.fixture(scope="module")
def fault_app(private_pg):
    from app import create_app

    pg, settings = private_pg
    app = create_app(settings)
    repo = app.server.extensions["flux_repository"]
    repo.postgres.pool.wait(timeout=10)
    yield pg, app.server.test_client(), repo
    repo.close()


def operational_paths(client) -> list[str]:
    sub = client.get("/api/substations").get_json()[0]["substation_id"]
    circuit = client.get(f"/api/circuits/metadata?substation_id={sub}").get_json()[0]["circuit_id"]
    segment = client.get("/api/topology/feeders?zoom=11").get_json()[0]["id"]
    name = client.get(f"/api/assets?circuits={circuit}&limit=1").get_json()[0]["asset_id"]
    return [
        "/api/postgres/substations/status",
        "/api/substations",
        "/api/topology/feeders",
        "/api/topology/feeders?zoom=11",
        "/api/topology/feeders?zoom=9&form=lines",
        f"/api/assets?circuits={circuit}",
        f"/api/assets?asset_ids={name}",
        "/api/assets?bbox=-95.6,29.6,-95.2,29.9&limit=50",
        "/api/circuits/metadata",
        f"/api/circuits/metadata?substation_id={sub}",
        "/api/outages/active",
        "/api/work-orders/active",
        "/api/crews",
        f"/api/details/substation/{sub}",
        f"/api/details/segment/{segment}",
        f"/api/topology/trace/{segment}",
        "/api/customers/search?q=houston",
    ]


def requests_made(repo) -> int:
    """Connection requests the app has made to its Postgres pool so far."""
    return repo.postgres.pool.get_stats().get("requests_num", 0)


def test_fault001_postgres_down_then_back(fault_app):
    pg, client, repo = fault_app
    paths = operational_paths(client)
    expected = {}
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["X-Flux-Backend"] == "postgres", path
        expected[path] = resp.get_json()

    pg.stop("immediate")
    assert not pg.running()
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["X-Flux-Backend"] == "snowflake", path
        body = resp.get_json()
        if isinstance(body, list):
            assert len(body) == len(expected[path]), path
            if body:
                assert list(body[0]) == list(expected[path][0]), path
        else:
            assert list(body) == list(expected[path]), path
    assert repo.breaker.state in ("open", "half_open")

    pg.start()
    assert wait_until(lambda: client.get("/api/substations").headers["X-Flux-Backend"] == "postgres", 30)
    for path in paths:
        assert client.get(path).headers["X-Flux-Backend"] == "postgres", path
    assert repo.breaker.state == "closed"


def test_fault002_breaker_prevents_repeated_connection_waits(fault_app):
    pg, client, repo = fault_app
    assert client.get("/api/crews").headers["X-Flux-Backend"] == "postgres"
    repo.breaker.cooldown_s = 4.0  # long enough for the 20 reads below to fit inside it
    pg.stop("immediate")
    try:
        before = requests_made(repo)
        first = client.get("/api/crews")
        assert first.headers["X-Flux-Backend"] == "snowflake"
        assert first.headers["X-Flux-Fallback"] == "postgres_error"
        assert requests_made(repo) == before + 1  # the one read that found Postgres dead
        for _ in range(20):
            resp = client.get("/api/substations")
            assert resp.headers["X-Flux-Backend"] == "snowflake"
            assert resp.headers["X-Flux-Fallback"] == "breaker_open"
        assert requests_made(repo) == before + 1  # ...and no read after it asked the pool
        time.sleep(repo.breaker.cooldown_s + 0.05)
        assert client.get("/api/crews").headers["X-Flux-Backend"] == "snowflake"
        assert requests_made(repo) == before + 2  # one half-open probe, which failed
        assert repo.breaker.state == "open"
    finally:
        pg.start()
        repo.breaker.cooldown_s = 1.0
    assert wait_until(lambda: client.get("/api/crews").headers["X-Flux-Backend"] == "postgres", 30)


def test_fault003_empty_postgres_table_falls_back(fault_app):
    pg, client, repo = fault_app
    import psycopg

    assert wait_until(lambda: client.get("/api/crews").headers["X-Flux-Backend"] == "postgres", 30)
    expected = client.get("/api/crews").get_json()
    assert expected
    with psycopg.connect(pg.admin_dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE flux.crews_saved AS SELECT * FROM flux.crews")
        conn.execute("DELETE FROM flux.crews")
        try:
            resp = client.get("/api/crews")
            assert resp.status_code == 200
            assert resp.headers["X-Flux-Backend"] == "snowflake"
            assert resp.headers["X-Flux-Fallback"] == "postgres_empty"
            assert len(resp.get_json()) == len(expected)
            # an empty result from a non-empty table is an answer, not a reason to fall back
            none = client.get("/api/work-orders/active?crew=CREW-NOBODY")
            assert none.headers["X-Flux-Backend"] == "postgres" and none.get_json() == []
            assert repo.breaker.state == "closed"
        finally:
            conn.execute("INSERT INTO flux.crews SELECT * FROM flux.crews_saved")
            conn.execute("DROP TABLE flux.crews_saved")
    assert client.get("/api/crews").headers["X-Flux-Backend"] == "postgres"


def test_fault004_warehouse_down_analytics_is_503(fault_app, private_pg):
    """Analytics need the warehouse: pointed at a closed port they answer 503 JSON."""
    from app import create_app
    from tests.fix_private_pg import free_port

    _, settings = private_pg
    dead = settings.model_copy(update={"snowflake_port": free_port(), "snowflake_host": "127.0.0.1",
                                       "warehouse_login_timeout_s": 1})
    app = create_app(dead)
    client = app.server.test_client()
    try:
        resp = client.get("/api/kpis")
        assert resp.status_code == 503 and resp.get_json()["error"] == "analytics_unavailable"
        assert "Traceback" not in resp.get_data(as_text=True)
        assert client.get("/api/substations").headers["X-Flux-Backend"] == "postgres"
        ready = client.get("/readyz")
        assert ready.status_code == 200
        body = ready.get_json()
        assert body["postgres"]["ok"] and not body["warehouse"]["ok"]
    finally:
        app.server.extensions["flux_repository"].close()
