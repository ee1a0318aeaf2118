"""Helpers for tests that run the hub's commands as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from hub.config import Settings

HUB = str(Path(sys.executable).with_name("hub"))


def hub_env(**overrides: str) -> dict[str, str]:
    """The environment for a `hub` subprocess: this one, minus HUB_* leaking in, plus overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(overrides)
    return env


def run_hub(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `hub ARGS...` to completion and capture its output."""
    return subprocess.run([HUB, *args], env=env, capture_output=True, text=True, timeout=timeout)


def wait_for_status(url: str, status: int, *, within: float) -> httpx.Response:
    """Poll url until it answers with status; fail after `within` seconds."""
    deadline = time.monotonic() + within
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2.5)
            if response.status_code == status:
                return response
            last = response.status_code
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer {status} within {within}s (last: {last!r})")


@contextmanager
def hub_serve(settings: Settings, port: int, log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """`hub serve` on `port` against the test's store and database (its secret and data dir), with `env`'s
    HUB_* settings on top, its output appended to `log`; ready when it is yielded, stopped afterwards."""
    variables = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db, HUB_PORT=str(port),
                        HUB_SECRET_KEY=settings.resolved_secret_key(), HUB_DATA_DIR=str(settings.data_dir), **env)
    with log.open("ab") as out:
        server = subprocess.Popen([HUB, "serve"], env=variables, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_status(f"http://127.0.0.1:{port}/readyz", 200, within=60)
        yield server
    finally:
        stop(server, log)


def stop(server: subprocess.Popen[bytes], log: Path, *, within: float = 30) -> None:
    """SIGTERM, and fail with the log's tail if the process has not stopped `within` seconds (then SIGKILL)."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=within)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        raise AssertionError(f"hub serve did not stop within {within}s of SIGTERM; its log ends:\n{tail}") from None
