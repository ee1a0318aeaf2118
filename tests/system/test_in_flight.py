"""HUB_MAX_IN_FLIGHT: a process works on at most so many requests at once; the others wait their turn, and one
that waits longer than HUB_QUEUE_TIMEOUT gets 503 OVERLOADED with Retry-After. Health checks never wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
from asgi_lifespan import LifespanManager
from pymongo.asynchronous.database import AsyncDatabase

from hub.app import create_app
from hub.config import Settings
from tests.conftest import TokenFor

QUERY = b'{"query": "{ viewer { agency { code } } }"}'


async def trickled(release: asyncio.Event) -> AsyncIterator[bytes]:
    """A request body that arrives in two parts, the second once `release` is set: its request holds its turn."""
    yield QUERY[:10]
    await release.wait()
    yield QUERY[10:]


async def test_requests_beyond_the_bound_wait_their_turn_or_get_overloaded(
        district: AsyncDatabase, settings: Settings, token_for: TokenFor) -> None:
    app = create_app(settings.model_copy(update={"max_in_flight": 1, "queue_timeout": 0.5}))
    headers = {"Authorization": f"Bearer {token_for('HRSS')}", "Content-Type": "application/json"}
    async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                       base_url="http://hub.test", headers=headers) as client:
        release = asyncio.Event()
        holder = asyncio.create_task(client.post("/graphql", content=trickled(release)))
        await asyncio.sleep(0.1)  # the holder has its turn and is reading its body

        started = time.monotonic()
        refused = await client.post("/graphql", content=QUERY)
        waited = time.monotonic() - started
        assert refused.status_code == 503, refused.text
        assert refused.json()["errors"][0]["extensions"]["code"] == "OVERLOADED"
        assert refused.headers["Retry-After"] == "5"
        assert 0.4 < waited < 5
        assert (await client.get("/healthz")).status_code == 200  # never queued

        # A request that comes while the turn is taken is answered once it is free, within its wait.
        waiting = asyncio.create_task(client.post("/graphql", content=QUERY))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        release.set()
        held, served = await holder, await waiting
        assert [held.status_code, served.status_code] == [200, 200]
        assert served.json()["data"]["viewer"]["agency"]["code"] == "HRSS"


async def test_no_bound_when_max_in_flight_is_zero(district: AsyncDatabase, settings: Settings,
                                                    token_for: TokenFor) -> None:
    app = create_app(settings.model_copy(update={"max_in_flight": 0, "queue_timeout": 0.2}))
    headers = {"Authorization": f"Bearer {token_for('HRSS')}", "Content-Type": "application/json"}
    async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                       base_url="http://hub.test", headers=headers) as client:
        release = asyncio.Event()
        holder = asyncio.create_task(client.post("/graphql", content=trickled(release)))
        await asyncio.sleep(0.1)
        other = await client.post("/graphql", content=QUERY)
        assert other.status_code == 200  # not held behind the unfinished one
        release.set()
        assert (await holder).status_code == 200
