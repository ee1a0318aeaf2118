"""`hub serve` with HUB_WORKERS=2: uvicorn's supervisor and two worker processes on one port."""

from __future__ import annotations

from pathlib import Path

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from tests.conftest import TokenFor, free_port
from tests.processes import hub_serve


def workers_of(pid: int) -> list[int]:
    """The processes `pid` spawned with multiprocessing (uvicorn's workers; not its resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = []
    for child in map(int, children):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except FileNotFoundError:
            continue
        if b"spawn_main" in command:
            found.append(child)
    return found


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_two_workers_answer_and_stop_with_the_supervisor(
        district: AsyncDatabase, settings: Settings, token_for: TokenFor, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    headers = {"Authorization": f"Bearer {token_for('CC')}"}
    with hub_serve(settings, port, log, HUB_WORKERS="2") as server:
        workers = workers_of(server.pid)
        assert len(workers) == 2, (workers, log.read_text())
        assert server.pid not in workers
        # New connections, so that the kernel hands them to either worker.
        for _ in range(6):
            answer = httpx.post(f"http://127.0.0.1:{port}/graphql", headers=headers,
                                json={"query": "{ viewer { agency { code } } }"})
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"data": {"viewer": {"agency": {"code": "CC"}}}}
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json() == {"status": "ready"}
        assert all(alive(w) for w in workers)
    text = log.read_text()
    assert text.count("Application startup complete") == 2, text
    assert text.count("Application shutdown complete") == 2, text  # each worker stopped cleanly
    assert not any(alive(w) for w in workers), "a worker outlived its supervisor"
