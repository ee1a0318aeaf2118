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


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", b'{"query": "{ serverInfo { version }'),  # broken JSON
    ("application/json", b'{"query": "{ case(caseNo: \\"\xff\xfe\\") { id } }"}'),  # not UTF-8
    ("application/json", b"null"), ("application/json", b"3"), ("application/json", b'"query"'),  # not an object
    ("application/json", b"[]"),  # a batch (not enabled)
    ("application/json", b"{}"),  # no query
    ("application/json", b'{"query": "{ __typename }", "variables": [1]}'),
    ("text/plain", b'{"query": "{ __typename }"}'),  # not a content type GraphQL takes
])
async def test_requests_graphql_cannot_read_get_a_coded_json_400(http: httpx.AsyncClient, content_type: str,
                                                                 body: bytes) -> None:
    # Found by fuzzing: strawberry answered these in plain text, and with a 500 for `null` and for bytes
    # that are not UTF-8.
    response = await http.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_wrong_methods_and_paths_are_coded_json_errors(http: httpx.AsyncClient) -> None:
    put = await http.put("/graphql", json={"query": "{ __typename }"})
    assert put.status_code == 405 and put.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    nowhere = await http.get("/nowhere")
    assert nowhere.status_code == 404 and nowhere.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_subscriptions_over_http_are_refused(http: httpx.AsyncClient, method: str) -> None:
    # Found by fuzzing: executed as a query, the subscription's stream failed inside (INTERNAL_SERVER_ERROR).
    query = "subscription { events { key } }"
    response = await (http.get("/graphql", params={"query": query}) if method == "GET"
                      else http.post("/graphql", json={"query": query}))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("query", ["{}", "{ cases { } }", "query { serverInfo { version } ... on Query { } }"])
async def test_empty_selection_sets_are_refused_with_a_code(http: httpx.AsyncClient, query: str) -> None:
    # Found by fuzzing: graphql-core parses `{}`, strawberry's depth limiter then failed on it (max() of
    # nothing), and that error, raised outside the operation, had no code at all.
    body = (await http.post("/graphql", json={"query": query})).json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", body
