"""Shared set-up for benchmarks: a throw-away local store and a bound database."""

from __future__ import annotations

import contextlib
import socket
import statistics
import tempfile
from datetime import timedelta
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from pymongo.asynchronous.database import AsyncDatabase

from hub.auth import tokens
from hub.config import Settings
from hub.store import local as local_store
from hub.store import service as store_service


def bearer(secret: str, agency: str) -> dict[str, str]:
    """The Authorization header of a one-hour token for a benchmark user of `agency`."""
    token = tokens.issue(secret=secret, agency_code=agency, user="benchmark", roles=[], ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def bench_database(url: str | None, name: str) -> AsyncIterator[tuple[Settings, AsyncDatabase]]:
    """The database to benchmark: at `url`, or in a fresh local store that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        store = Settings(data_dir=Path(tmp), store_port=free_port())
        if url is None:
            url = local_store.start(store).url
        settings = Settings(mongodb_url=url, db=name, data_dir=Path(tmp), secret_key="bench-secret")
        try:
            async with store_service.connected(settings=settings) as database:
                yield settings, database
        finally:
            local_store.stop(store)


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of samples."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def describe(samples: Sequence[float]) -> str:
    """p50 / p99 in milliseconds."""
    return f"p50 {statistics.median(samples) * 1000:.1f} ms, p99 {percentile(samples, 99) * 1000:.1f} ms"
