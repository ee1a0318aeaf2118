"""GraphQL over HTTP: media types, status codes, GET for queries only."""

from __future__ import annotations

import httpx
import pytest

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_get_serves_queries(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "{ serverInfo { version } }"},
                               headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["data"]["serverInfo"]["version"]


async def test_get_refuses_mutations(http: httpx.AsyncClient) -> None:
    mutation = 'mutation { ingestRecords(input: {sourceSystem: "a", agency: "b", records: []}) { created } }'
    response = await http.get("/graphql", params={"query": mutation}, headers={"Accept": "application/json"})
    assert response.status_code == 400


async def test_graphql_response_json_is_honoured(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ serverInfo { version } }"},
                               headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE


@pytest.mark.parametrize("query", ["{ nope }", "{ serverInfo { "])
async def test_request_errors_are_400_with_no_data_under_graphql_response_json(
    http: httpx.AsyncClient, query: str
) -> None:
    response = await http.post("/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE})
    body = response.json()
    assert response.status_code == 400
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_request_errors_stay_200_for_legacy_json_clients(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ nope }"}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["data"] is None


async def test_field_errors_keep_200_and_partial_data(http: httpx.AsyncClient) -> None:
    query = '{ serverInfo { version } case(caseNo: "JF0") { caseNo } }'
    response = await http.post("/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE})
    body = response.json()
    assert response.status_code == 200
    assert body["data"]["serverInfo"]["version"] and body["data"]["case"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["path"] == ["case"]


async def test_bad_variable_values_are_bad_user_input(http: httpx.AsyncClient) -> None:
    mutation = "mutation($input: IngestBatchInput!) { ingestRecords(input: $input) { created } }"
    response = await http.post("/graphql", json={"query": mutation, "variables": {"input": {"agency": "PB"}}},
                               headers={"Accept": GRAPHQL_RESPONSE})
    body = response.json()
    assert response.status_code == 400 and "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
