"""Shared pieces of the benchmarks: tokens, `hub serve` as a process, timing, percentiles, profiling."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from hub.keys.ring import KeyRing
from hub.auth import tokens
from hub.config import Settings
from hub.notifications import webhooks
from hub.store import local as local_store


def bearer(secret: str, agency: str) -> dict[str, str]:
    """The Authorization header of a one-hour token for a benchmark user of `agency`."""
    token = tokens.issue(keys=KeyRing(secret), agency_code=agency, user="benchmark", roles=[], ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of samples."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def describe(samples: Sequence[float]) -> str:
    """p50 / p99 in milliseconds."""
    return f"p50 {statistics.median(samples) * 1000:.1f} ms, p99 {percentile(samples, 99) * 1000:.1f} ms"


def read_args(doc: str, *, runs: int, profile: bool = False) -> argparse.Namespace:
    """The read benchmarks' arguments: --url, --db, --runs, --secret (and --profile where offered)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", default="mediation_hub")
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--secret", default=os.environ.get("HUB_SECRET_KEY"), required="HUB_SECRET_KEY" not in os.environ,
                        help="HUB_SECRET_KEY the data was seeded with (default: the environment's)")
    if profile:
        parser.add_argument("--profile", action="store_true", help="sample `hub serve` with py-spy (`make bench`)")
    return parser.parse_args()


@contextlib.contextmanager
def serving(args: argparse.Namespace) -> Iterator[httpx.Client]:
    """`hub serve` on a free port against the benchmark's database, and an HTTP client to it."""
    with serving_process(args) as (http, _):
        yield http


def peak_rss_mib(pid: int) -> float:
    """The peak resident memory of a running process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def serving_process(args: argparse.Namespace) -> Iterator[tuple[httpx.Client, subprocess.Popen]]:
    """`hub serve` on a free port against the benchmark's database: an HTTP client and the process."""
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
            yield http, server
    finally:
        server.terminate()
        server.wait(timeout=30)


class WebhookReceiver:
    """A webhook endpoint on 127.0.0.1, in a thread: answers 204 to every POST, notes when each
    `X-Hub-Event-Id` arrived (time.time()), and checks `X-Hub-Signature` with the secret registered
    for the request's path (`secrets`, filled in once `registerWebhook` answered)."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.lock = threading.Lock()
        self.receipts: dict[str, list[float]] = defaultdict(list)
        self.requests = 0
        self.bad_signatures = 0
        self.retries = 0  # requests with X-Hub-Attempt > 1
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                at = time.time()
                good = webhooks.verify(state.secrets.get(self.path, ""), body=body,
                                       timestamp=self.headers.get("X-Hub-Timestamp", ""),
                                       signature_header=self.headers.get("X-Hub-Signature", ""))
                with state.lock:
                    state.requests += 1
                    state.receipts[f"{self.path} {self.headers.get('X-Hub-Event-Id', '')}"].append(at)
                    state.bad_signatures += not good
                    state.retries += self.headers.get("X-Hub-Attempt", "1") != "1"
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the dispatcher opens up to 100 connections at once; the default is 5
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url_for(self, name: str) -> str:
        """The URL of path `/<name>` on this receiver."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self, path: str, keys: Sequence[str]) -> int:
        """How many of these event ids arrived at `path` at least once."""
        with self.lock:
            return sum(1 for k in keys if f"{path} {k}" in self.receipts)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Wall time of fn, runs times."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


# Which layer a sampled frame belongs to, by the file it runs in (first match wins, innermost frame first).
LAYERS = (
    ("database driver (pymongo, bson)", ("pymongo/", "bson/")),
    ("GraphQL execution (strawberry, graphql-core)", ("strawberry/", "graphql/")),
    ("HTTP and JSON (uvicorn, starlette, httptools, json)", ("uvicorn/", "starlette/", "httptools", "json/",
                                                            "h11/", "anyio/")),
    ("hub code (resolvers, schema, services, models)", ("/hub/", "/resolvers/", "/schema/", "pydantic", "beanie/")),
)


@contextlib.contextmanager
def profiled(pid: int, out: Path) -> Iterator[dict[str, float]]:
    """Sample process pid with py-spy while the block runs; afterwards, the share of samples per layer."""
    spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--format", "raw",
                            "--rate", "250", "--output", str(out), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shares: dict[str, float] = {}
    time.sleep(1.0)  # py-spy attaches
    try:
        yield shares
    finally:
        spy.send_signal(2)
        spy.wait(timeout=60)
    counts: dict[str, int] = {}
    total = 0
    for line in out.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if any("select" in f and "selectors.py" in f for f in frames[-2:]):
            continue  # the event loop waiting: idle
        layer = next((name for frame in reversed(frames) for name, marks in LAYERS
                      if any(m in frame for m in marks)), "other (asyncio, interpreter)")
        counts[layer] = counts.get(layer, 0) + int(n)
        total += int(n)
    shares.update({name: n / total for name, n in sorted(counts.items(), key=lambda kv: -kv[1])} if total else {})


def run_on_store(args: argparse.Namespace, run: Callable[[argparse.Namespace], object]) -> None:
    """`run(args)` against `args.url`, or, without one, against a fresh local store (memory backend,
    `HUB_STORE_HEAP` applies) started for it and removed afterwards."""
    if args.url:
        run(args)
        return
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        store = Settings(data_dir=Path(tmp), store_port=free_port(), store_backend="memory")
        args.url = local_store.start(store).url
        try:
            run(args)
        finally:
            local_store.stop(store)
