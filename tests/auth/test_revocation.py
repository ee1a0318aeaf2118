"""`hub token revoke`: a revoked token is refused within seconds by every `hub serve` process, its
subscriptions end, and other tokens go on working."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from hub.keys.ring import KeyRing
from hub.auth import tokens
from hub.config import Settings
from tests.conftest import TokenFor, free_port
from tests.notifications.conftest import graphql_ws
from tests.notifications.test_two_processes import hub_serve
from tests.processes import hub_env, run_hub

QUERY = {"query": "{ viewer { agency { code } } }"}


def answer(base: str, token: str) -> int:
    return httpx.post(f"{base}/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"}).status_code


async def test_a_revoked_token_is_refused_by_every_process_within_seconds(
        district: AsyncDatabase, settings: Settings, token_for: TokenFor, tmp_path: Path) -> None:
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db, HUB_DATA_DIR=str(settings.data_dir),
                  HUB_SECRET_KEY=settings.resolved_secret_key())
    issued = await asyncio.to_thread(run_hub, "token", "--agency", "HRSS", "--user", "王科员", "--ttl", "1h", env=env)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    [token_id] = re.findall(r"token id ([0-9a-f]{16})", issued.stderr)
    assert tokens.token_id(keys=KeyRing(settings.resolved_secret_key()), token=token) == token_id
    other = token_for("HRSS")
    ports = free_port(), free_port()
    with hub_serve(settings, ports[0], tmp_path / "serve.log"), hub_serve(settings, ports[1], tmp_path / "serve.log"):
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        assert [answer(b, token) for b in bases] == [200, 200]
        async with graphql_ws(f"127.0.0.1:{ports[0]}", token=token) as client:
            await client.subscribe("subscription { events { key } }")
            revoked = await asyncio.to_thread(run_hub, "token", "revoke", token_id, "--reason", "离职", env=env)
            assert (revoked.returncode, revoked.stdout.strip()) == (0, f"token {token_id} revoked")
            started = time.monotonic()
            while any(answer(b, token) != 401 for b in bases):
                assert time.monotonic() - started < 10, "not refused everywhere within 10 s"
                await asyncio.sleep(0.2)
            print(f"refused by both processes {time.monotonic() - started:.2f} s after `hub token revoke` returned")
            refused = httpx.post(f"{bases[1]}/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
            assert "revoked" in refused.json()["errors"][0]["message"]
            ended = await client.message(timeout=10)  # the open subscription ends too
            assert ended["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert [answer(b, other) for b in bases] == [200, 200]  # other tokens go on
    again = await asyncio.to_thread(run_hub, "token", "revoke", "--token", token, env=env)
    assert again.stdout.strip() == f"token {token_id} was revoked already"
    neither = await asyncio.to_thread(run_hub, "token", "revoke", env=env)
    assert neither.returncode != 0 and "give the token's id" in neither.stderr
