"""`hub serve` stops on SIGTERM within HUB_SHUTDOWN_TIMEOUT, even while a client holds a request open."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from hub.config import Settings
from tests.conftest import free_port
from tests.processes import hub_serve


def test_a_request_that_never_finishes_does_not_hold_the_stop(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with hub_serve(settings, port, log, HUB_SHUTDOWN_TIMEOUT="2") as server:
        with socket.create_connection(("127.0.0.1", port)) as stalled:
            # A body announced and never sent: the request is in progress until the client gives up.
            stalled.sendall(b"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 100000\r\n\r\n{\"query\": ")
            time.sleep(0.5)
            server.terminate()
            started = time.monotonic()
            code = server.wait(timeout=25)
            stopped_after = time.monotonic() - started
    assert code == -signal.SIGTERM  # uvicorn stops, then re-raises the signal it caught
    assert 2 <= stopped_after < 2 + 8, f"stopped after {stopped_after:.1f}s"
    assert "timeout graceful shutdown exceeded" in log.read_text()


def test_the_watchdog_ends_a_process_whose_teardown_hangs(tmp_path: Path) -> None:
    """What `hub serve` arms when its shutdown starts: a task that ignores its cancel cannot hold the process."""
    script = ("import asyncio, logging\n"
              "from hub.app import exit_watchdog\n"
              "logging.basicConfig()\n"
              "async def main():\n"
              "    exit_watchdog(1)\n"
              "    while True:\n"
              "        try:\n"
              "            await asyncio.sleep(60)\n"
              "        except asyncio.CancelledError:\n"
              "            pass  # the task that will not stop\n"
              "asyncio.run(main())\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 15
    assert "did not end within 1s of its shutdown" in done.stderr
