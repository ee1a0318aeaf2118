"""Query limits: refused with a code before anything runs, and the server answers normally afterwards."""

from __future__ import annotations

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
    assert response.status_code == 200 and response.json() == {"data": {"serverInfo": {"storeKind": "FerretDB"}}}


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
