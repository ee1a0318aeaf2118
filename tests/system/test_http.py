"""The operational endpoints and the first GraphQL field."""

from __future__ import annotations

import httpx

from hub.config import Settings

SERVER_INFO = """
query { serverInfo { version storeKind storeVersion databaseName } }
"""


async def test_healthz_answers_while_process_runs(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


async def test_readyz_is_200_when_database_answers(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_server_info_comes_from_the_live_connection(
    http: httpx.AsyncClient, settings: Settings, store_kind: str
) -> None:
    response = await http.post("/graphql", json={"query": SERVER_INFO})
    assert response.status_code == 200
    info = response.json()["data"]["serverInfo"]
    assert info["storeKind"] == store_kind
    assert info["databaseName"] == settings.db
    assert info["storeVersion"]


async def test_metrics_count_requests_by_path_and_status(http: httpx.AsyncClient) -> None:
    await http.get("/healthz")
    await http.get("/healthz")
    body = (await http.get("/metrics")).text
    assert 'hub_http_requests_total{method="GET",path="/healthz",status="200"} 2.0' in body
    assert "hub_http_request_duration_seconds_bucket" in body


async def test_graphiql_is_served_to_a_browser(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_syntax_error_carries_a_code(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "query { serverInfo { "})
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
