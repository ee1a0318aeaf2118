"""Query limits: refused with a code before anything runs, and the server answers normally afterwards."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from asgi_lifespan import LifespanManager

from hub.app import create_app
from hub.config import Settings
from tests.conftest import TokenFor

SERVER_INFO = {"query": "{ serverInfo { storeKind } }"}


def _code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def _still_answers(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json=SERVER_INFO)
    assert response.status_code == 200 and "errors" not in response.json()
    assert response.json()["data"]["serverInfo"]["storeKind"]


async def test_a_depth_20_query_is_refused(http: httpx.AsyncClient) -> None:
    nested = "code " + "".join("parent { " for _ in range(18)) + "code" + " }" * 18
    response = await http.post("/graphql", json={"query": f'{{ regions {{ {nested} }} }}'})
    assert _code(response) == "QUERY_TOO_COMPLEX" and "depth" in response.json()["errors"][0]["message"]
    assert "data" not in response.json() or response.json()["data"] is None
    await _still_answers(http)


async def test_a_query_with_500_aliases_is_refused(http: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: serverInfo {{ storeKind }}" for i in range(500)) + " }"
    response = await http.post("/graphql", json={"query": query})
    assert _code(response) == "QUERY_TOO_COMPLEX" and "aliases" in response.json()["errors"][0]["message"]
    await _still_answers(http)


async def test_a_5_mb_body_is_refused(http: httpx.AsyncClient) -> None:
    padding = "x" * (5 * 1024 * 1024)
    response = await http.post("/graphql", json={"query": "{ serverInfo { storeKind } }", "variables": {"p": padding}})
    assert response.status_code == 413 and _code(response) == "PAYLOAD_TOO_LARGE"

    async def stream() -> bytes:  # no Content-Length: the limit holds for streamed bodies too
        yield b'{"query": "{ serverInfo { storeKind } }", "variables": {"p": "'
        for _ in range(6):
            yield b"x" * (1024 * 1024)
        yield b'"}}'

    streamed = await http.post("/graphql", content=stream(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and _code(streamed) == "PAYLOAD_TOO_LARGE"
    await _still_answers(http)


async def test_an_expensive_query_is_refused_by_its_estimated_cost(http: httpx.AsyncClient) -> None:
    query = """{ cases(first: 100) { edges { node { caseNo
      timeline(first: 100) { edges { node { kind parties { person { name phone } } agency { name parent { name } } } } }
      agenciesInvolved { name parent { name } } } } } }"""
    response = await http.post("/graphql", json={"query": query})
    assert _code(response) == "QUERY_TOO_COMPLEX" and "estimated cost" in response.json()["errors"][0]["message"]
    cheaper = query.replace("first: 100", "first: 10")
    assert "errors" not in (await http.post("/graphql", json={"query": cheaper})).json()


async def test_too_many_tokens_are_refused(http: httpx.AsyncClient) -> None:
    query = "{ serverInfo { " + " ".join(["storeKind"] * 6000) + " } }"
    response = await http.post("/graphql", json={"query": query})
    assert _code(response) == "QUERY_TOO_COMPLEX"
    await _still_answers(http)


@pytest.mark.parametrize("document", ["{ __schema { types { name } } }", '{ __type(name: "Case") { name } }'])
async def test_production_refuses_introspection_and_serves_no_graphiql(
    settings: Settings, district: object, token_for: TokenFor, document: str
) -> None:
    app = create_app(settings.model_copy(update={"env": "production"}))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token_for()}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test", headers=headers) as client:
            refused = await client.post("/graphql", json={"query": document})
            assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            page = await client.get("/graphql", headers={"Accept": "text/html"})
            assert "graphiql" not in page.text.lower()
            await _still_answers(client)


async def test_nested_fragments_are_costed_once_and_refused_fast(http: httpx.AsyncClient) -> None:
    # Each fragment spreads the next twice: 2**22 paths if every spread were walked anew.
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(22))
    query = "{ ...F0 } " + fragments + " fragment F22 on Query { cases(first: 100) { edges { node { caseNo } } } }"
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": query})
    assert time.perf_counter() - started < 5  # validation walked every expanded spread: 47 s
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    await _still_answers(http)


async def test_instants_without_a_time_zone_and_foreign_cursors_are_not_internal_errors(http: httpx.AsyncClient) -> None:
    naive = "2026-06-01T00:00:00"
    for query in (f'{{ summary(filter: {{region: "510199", asOf: "{naive}", period: {{from: "{naive}"}}}}, groupBy: [MONTH]) '
                  "{ total { cases } } }",
                  f'{{ earlyWarnings(region: "510199", asOf: "{naive}") {{ rule }} }}'):
        assert "errors" not in (await http.post("/graphql", json={"query": query})).json()
    foreign = base64.urlsafe_b64encode(json.dumps([1, 2]).encode()).decode()
    body = (await http.post("/graphql", json={"query": """query($a: String) { cases(first: 1) { edges { node {
        timeline(after: $a) { totalCount } } } } }""", "variables": {"a": foreign}})).json()
    assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"BAD_USER_INPUT"}
