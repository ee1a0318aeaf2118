"""The hub as a real process, and readiness following the database up and down."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from hub.app import create_app
from hub.config import Settings
from hub.store import local as local_store
from tests.conftest import free_port
from tests.processes import HUB, hub_env, run_hub, wait_for_status


async def test_readyz_follows_the_store_down_and_back_up(own_store: Settings) -> None:
    settings = Settings(
        mongodb_url=own_store.local_store_url, db="readiness", data_dir=own_store.data_dir,
        webhook_poll_seconds=0, watch_poll_seconds=0, audit_seal_seconds=0,  # no background rounds to wait for
    )
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            assert (await http.get("/readyz")).status_code == 200

            local_store.stop(own_store)
            started = time.monotonic()
            down = await http.get("/readyz")
            elapsed = time.monotonic() - started
            assert down.status_code == 503
            assert down.json()["status"] == "unavailable"
            assert down.json()["reason"]
            assert elapsed < 2.0, f"readyz took {elapsed:.2f}s to say 503"

            local_store.start(own_store)
            deadline = time.monotonic() + 15
            while (await http.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, "readyz did not recover"
            assert (await http.get("/readyz")).json() == {"status": "ready"}


def test_hub_serve_against_a_separately_started_store(tmp_path: Path) -> None:
    store_env = hub_env(HUB_DATA_DIR=str(tmp_path / "store-home"), HUB_STORE_PORT=str(free_port()))
    started = run_hub("store", "start", env=store_env)
    assert started.returncode == 0, started.stderr
    url = started.stdout.split(" at ")[1].split()[0]

    port = free_port()
    env = hub_env(
        HUB_MONGODB_URL=url,
        HUB_DB="serve_test",
        HUB_DATA_DIR=str(tmp_path / "hub-home"),
        HUB_PORT=str(port),
    )
    server = subprocess.Popen([HUB, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_status(f"{base}/readyz", 200, within=30)
        query = {"query": "{ serverInfo { storeKind databaseName } }"}
        refused = httpx.post(f"{base}/graphql", json=query)
        assert refused.status_code == 401 and refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # An agency's token, as the README has a newcomer get one: the demo's agencies, then `hub token`.
        seeded = run_hub("seed", "--scale", "1", env=env, timeout=120)
        assert seeded.returncode == 0, seeded.stderr
        issued = run_hub("token", "--agency", "QH-CC", "--user", "值班员", "--ttl", "10m", env=env)
        assert issued.returncode == 0, issued.stderr
        response = httpx.post(f"{base}/graphql", json=query,
                              headers={"Authorization": f"Bearer {issued.stdout.strip()}"})
        info = response.json()["data"]["serverInfo"]
        assert info["databaseName"] == "serve_test"
        assert info["storeKind"].startswith("mongo-java-server")  # the store started above, not the session's
        # HUB_MONGODB_URL was set: the hub must not have started a store of its own.
        assert not (tmp_path / "hub-home" / "store").exists()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=15)
        run_hub("store", "stop", env=store_env)
    # uvicorn re-raises SIGTERM after a clean shutdown, so judge by what it printed.
    assert "Application shutdown complete" in output, output


def test_hub_serve_starts_the_local_store_when_no_url_is_set(tmp_path: Path) -> None:
    port = free_port()
    env = hub_env(HUB_DATA_DIR=str(tmp_path), HUB_STORE_PORT=str(free_port()), HUB_PORT=str(port))
    server = subprocess.Popen([HUB, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_status(f"http://127.0.0.1:{port}/readyz", 200, within=30)
        assert run_hub("store", "status", env=env).returncode == 0
    finally:
        server.terminate()
        server.communicate(timeout=15)
        run_hub("store", "stop", env=env)
