"""`hub serve` with HUB_ENV=production checks its settings first and refuses to start, saying what is wrong."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hub.config import Settings
from tests.conftest import free_port
from tests.processes import HUB, hub_env, run_hub, stop, wait_for_status

GOOD_KEY = "p2Vq8ZkLr4Tn7WcYx1Bs6HdJf3Gm9QaE0uRiOtKl5yNw"


def refusal(tmp_path: Path, **env: str) -> str:
    result = run_hub("serve", env=hub_env(HUB_ENV="production", HUB_DATA_DIR=str(tmp_path), HUB_PORT=str(free_port()),
                                          **env), timeout=30)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refusing to start in production" in result.stderr
    return result.stderr


def test_production_refuses_a_missing_secret_a_local_store_and_no_proxy_setting(tmp_path: Path) -> None:
    said = refusal(tmp_path)
    assert "HUB_SECRET_KEY is not set" in said
    assert "HUB_MONGODB_URL is not set" in said
    assert "HUB_PROXY_HEADERS is not set" in said
    assert not (tmp_path / "secret_key").exists()  # no key generated for it


@pytest.mark.parametrize("key", ["change-me", "bench-secret-of-at-least-thirty-two-bytes", "a" * 40, "short-key"])
def test_production_refuses_an_example_or_weak_secret(tmp_path: Path, key: str) -> None:
    said = refusal(tmp_path, HUB_SECRET_KEY=key, HUB_MONGODB_URL="mongodb://127.0.0.1:9/", HUB_PROXY_HEADERS="false")
    assert "HUB_SECRET_KEY is an example or too weak" in said
    assert key not in said  # the key itself is never printed
    assert "HUB_MONGODB_URL" not in said and "HUB_PROXY_HEADERS" not in said


def test_production_refuses_trusting_every_address_and_an_insecure_cookie(tmp_path: Path) -> None:
    said = refusal(tmp_path, HUB_SECRET_KEY=GOOD_KEY, HUB_MONGODB_URL="mongodb://127.0.0.1:9/",
                   HUB_PROXY_HEADERS="true", HUB_FORWARDED_ALLOW_IPS="10.0.0.0/8, *", HUB_COOKIE_SECURE="false")
    assert "HUB_FORWARDED_ALLOW_IPS is *" in said
    assert "HUB_COOKIE_SECURE is false" in said
    assert "HUB_SECRET_KEY" not in said


def test_development_has_no_such_checks() -> None:
    assert Settings(env="development", secret_key="change-me").production_problems() == []


def test_production_starts_with_right_settings(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = hub_env(HUB_ENV="production", HUB_SECRET_KEY=GOOD_KEY, HUB_MONGODB_URL=settings.mongodb_url or "",
                  HUB_DB=settings.db, HUB_DATA_DIR=str(tmp_path), HUB_PORT=str(port), HUB_PROXY_HEADERS="true",
                  HUB_FORWARDED_ALLOW_IPS="127.0.0.1", HUB_WATCH_POLL_SECONDS="0")
    log = tmp_path / "serve.log"
    with log.open("ab") as out:
        server = subprocess.Popen([HUB, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_status(f"http://127.0.0.1:{port}/readyz", 200, within=60)
    finally:
        stop(server, log)
