"""Two `hub serve` processes on one store behave as one hub: what one process keeps in memory follows what
changes elsewhere within its documented bound (docs/operations.md, "What a process keeps").

Token revocation across processes is tests/auth/test_revocation.py's."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from hub.agencies import service as agency_service
from hub.config import Settings
from tests.conftest import TokenFor, free_port
from tests.processes import hub_serve

VIEWER = {"query": "{ viewer { agency { code name } } }"}


def ask(base: str, token: str) -> httpx.Response:
    return httpx.post(f"{base}/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"}, timeout=10)


async def test_two_processes_share_the_rate_limits_and_follow_a_changed_agency(
        district: AsyncDatabase, settings: Settings, token_for: TokenFor, tmp_path: Path) -> None:
    ports = free_port(), free_port()
    env = {"HUB_RATE_LIMIT_USER": "6/minute", "HUB_RATE_LIMIT_AGENCY": "", "HUB_DIRECTORY_REFRESH_SECONDS": "1",
           "HUB_WATCH_POLL_SECONDS": "0", "HUB_WEBHOOK_POLL_SECONDS": "0", "HUB_AUDIT_SEAL_SECONDS": "0"}
    log = tmp_path / "serve.log"
    with hub_serve(settings, ports[0], log, **env), hub_serve(settings, ports[1], log, **env):
        first, second = (f"http://127.0.0.1:{p}" for p in ports)

        # The user's six requests a minute are counted across both processes: three each, then neither takes more.
        token = token_for("HRSS", user="轮询员")
        answered = await asyncio.to_thread(lambda: [ask(base, token).status_code for base in [first, second] * 3])
        assert answered == [200] * 6
        refused = [await asyncio.to_thread(ask, base, token) for base in (first, second)]
        assert [r.status_code for r in refused] == [429, 429]
        assert all(r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED" for r in refused)
        assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in refused)
        # Another user of the agency is not counted with them.
        assert (await asyncio.to_thread(ask, second, token_for("HRSS", user="另一位"))).status_code == 200

        # An agency changed in the store (the reference data loaded again) is seen by both within the bound.
        readers = (token_for("COURT", user=f"书记员{n}") for n in range(10_000))  # each under its rate limit

        async def name_at(base: str) -> str:
            answer = (await asyncio.to_thread(ask, base, next(readers))).json()
            return answer["data"]["viewer"]["agency"]["name"]

        [before] = {await name_at(base) for base in (first, second)}
        court = await agency_service.get_by_code(code="COURT")
        assert court is not None and court.name == before
        await agency_service.upsert_many(agencies=[court.model_copy(update={"name": f"{before}（更名）"})])
        changed = time.monotonic()
        seen: dict[str, float] = {}
        while len(seen) < 2:
            for base in (first, second):
                if await name_at(base) == f"{before}（更名）":
                    seen.setdefault(base, time.monotonic() - changed)
            assert time.monotonic() - changed < 5, f"not seen by both within 5 s: {seen}"
            await asyncio.sleep(0.1)
        assert max(seen.values()) < 1 + 2  # HUB_DIRECTORY_REFRESH_SECONDS, plus a request's time
