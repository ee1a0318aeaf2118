"""Loaded by every Python process started with this directory on PYTHONPATH (`bench.load --tracemalloc`):
when PYTHONTRACEMALLOC is set and HUB_BENCH_SNAPSHOTS names a directory, a daemon thread writes a tracemalloc
snapshot of the process there every HUB_BENCH_SNAPSHOT_SECONDS (60), as `<pid>-<seconds since start>.snap`."""

import os
import threading
import time
import tracemalloc
from pathlib import Path


def _snapshots(directory: Path, every: float) -> None:
    started = time.monotonic()
    while True:
        time.sleep(every - (time.monotonic() - started) % every)
        stamp = f"{os.getpid()}-{time.monotonic() - started:.0f}"
        snapshot = tracemalloc.take_snapshot()
        snapshot.dump(str(directory / f"{stamp}.snap"))
        del snapshot  # not kept until the next one: a snapshot copies every trace
        current, peak = tracemalloc.get_traced_memory()
        with open(directory / f"{os.getpid()}.sizes", "a", encoding="utf-8") as sizes:  # traced, peak, tracemalloc's own
            sizes.write(f"{stamp} {current} {peak} {tracemalloc.get_tracemalloc_memory()}\n")


if tracemalloc.is_tracing() and os.environ.get("HUB_BENCH_SNAPSHOTS"):
    _directory = Path(os.environ["HUB_BENCH_SNAPSHOTS"])
    _directory.mkdir(parents=True, exist_ok=True)
    threading.Thread(target=_snapshots, args=(_directory, float(os.environ.get("HUB_BENCH_SNAPSHOT_SECONDS", "60"))),
                     daemon=True, name="tracemalloc-snapshots").start()
