"""GraphQL over the test app's HTTP client: the answer, its data (no error allowed), its first error."""

from __future__ import annotations

from typing import Any

import httpx


async def post(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """The whole answer to one document."""
    return (await http.post("/graphql", json={"query": query, "variables": variables})).json()


async def gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """The answer's data; the test fails on any error."""
    body = await post(http, query, **variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


async def first_error(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """The first error's extensions (code, field, reason …) and message; the test fails when there is none."""
    body = await post(http, query, **variables)
    assert body.get("errors"), body
    return {**body["errors"][0]["extensions"], "message": body["errors"][0]["message"]}
