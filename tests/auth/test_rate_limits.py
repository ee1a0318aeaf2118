"""Rate limits per user and per agency: 429 RATE_LIMITED with Retry-After, the others unaffected."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pymongo.asynchronous.database import AsyncDatabase

from hub.app import create_app
from hub.config import Settings
from tests.conftest import TokenFor

QUERY = {"query": "{ viewer { agency { code } } }"}


@pytest.fixture
async def limited(settings: Settings, district: AsyncDatabase) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"rate_limit_user": "5/minute", "rate_limit_agency": "8/minute"}))
    async with LifespanManager(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
            yield client


async def ask(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})


async def test_a_user_over_the_limit_gets_429_with_retry_after(limited: httpx.AsyncClient, token_for: TokenFor) -> None:
    token = token_for("HRSS", user="张科员")
    assert [(await ask(limited, token)).status_code for _ in range(5)] == [200] * 5
    refused = await ask(limited, token)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another user of the agency still may (its agency has 3 of its 8 left); another agency is not counted.
    colleague = token_for("HRSS", user="李科员")
    assert [(await ask(limited, colleague)).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert (await ask(limited, token_for("COURT"))).status_code == 200
    # A refused request is not counted, and health checks never are.
    assert (await limited.get("/healthz")).status_code == 200


def test_a_malformed_rate_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not a rate"):
        Settings(rate_limit_user="lots")
