"""Shared set-up for benchmarks: a throw-away local store and a bound database."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import httpx
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


def read_args(doc: str, *, runs: int) -> argparse.Namespace:
    """The read benchmarks' arguments: --url, --db, --runs, --secret."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", default="mediation_hub")
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--secret", default=os.environ.get("HUB_SECRET_KEY"), required="HUB_SECRET_KEY" not in os.environ,
                        help="HUB_SECRET_KEY the data was seeded with (default: the environment's)")
    return parser.parse_args()


@contextlib.contextmanager
def serving(args: argparse.Namespace) -> Iterator[httpx.Client]:
    """`hub serve` on a free port against the benchmark's database, and an HTTP client to it."""
    port = free_port()
    env = {**os.environ, "HUB_MONGODB_URL": args.url, "HUB_DB": args.db, "HUB_PORT": str(port),
           "HUB_SECRET_KEY": args.secret}
    hub = Path(sys.executable).with_name("hub")
    server = subprocess.Popen([str(hub), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
            for _ in range(300):
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            yield http
    finally:
        server.terminate()
        server.wait(timeout=30)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Wall time of fn, runs times."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples
