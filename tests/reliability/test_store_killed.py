"""The local store (H2 file backend) SIGKILLed while `hub import` loads a ledger; restarted; the import again.

Rows: HUB_RELIABILITY_ROWS (4,000 by default, so `make test` stays quick; docs/reliability.md has the
50,000-row run). The figures of a run are printed (`pytest -s`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from hub.store import service as store_service
from tests.conftest import TEST_MONGODB_URL, free_port
from tests.factories import load_reference_data
from tests.processes import HUB, hub_env, run_hub
from tests.reliability.checks import census
from tests.reliability.ledger import write_ledger

ROWS = int(os.environ.get("HUB_RELIABILITY_ROWS", "4000"))
SECRET = "reliability-secret-key-not-for-production"
REPORT = re.compile(r"(\d+) rows: (\d+) created, (\d+) updated, (\d+) unchanged, (\d+) rejected")

pytestmark = pytest.mark.skipif(TEST_MONGODB_URL is not None, reason="kills the local store it starts itself")


def records_now(url: str) -> int:
    """The store's record count, or -1 while it does not answer."""
    client: MongoClient = MongoClient(url, serverSelectionTimeoutMS=500, connectTimeoutMS=500, socketTimeoutMS=5000)
    try:
        return client["reliability"].records.estimated_document_count()
    except Exception:  # noqa: BLE001 - down is an answer here
        return -1
    finally:
        client.close()


def report(text: str) -> tuple[int, ...]:
    found = REPORT.search(text)
    assert found, text
    return tuple(int(n) for n in found.groups())


async def test_store_killed_mid_import_loses_nothing_once_imported_again(tmp_path: Path) -> None:
    store_env = hub_env(HUB_DATA_DIR=str(tmp_path / "home"), HUB_STORE_PORT=str(free_port()),
                        HUB_STORE_BACKEND="h2", HUB_STORE_HEAP="1g")
    started = run_hub("store", "start", env=store_env)
    assert started.returncode == 0, started.stderr
    url = started.stdout.split(" at ")[1].split()[0]
    pid_file = tmp_path / "home" / "store" / "localstore.pid"
    env = {**store_env, "HUB_MONGODB_URL": url, "HUB_DB": "reliability", "HUB_SECRET_KEY": SECRET}
    try:
        client = store_service.open_client(url=url)
        db = client["reliability"]
        await store_service.init_models(database=db)
        await load_reference_data()
        ledger = write_ledger(tmp_path / "桃源村台账.jsonl", rows=ROWS)

        # The first import; the store is killed once about half the rows are in.
        t0 = time.monotonic()
        log = (tmp_path / "import-1.log").open("w+")
        first = subprocess.Popen([HUB, "import", str(ledger.path), "--agency", "PMC-A"], env=env,
                                 stdout=log, stderr=subprocess.STDOUT, text=True)
        while (count := records_now(url)) < ROWS // 2:
            assert first.poll() is None, "the import ended before half its rows were in"
            assert time.monotonic() - t0 < max(600, ROWS / 10), f"only {count} records so far"
            time.sleep(0.2)
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic() - t0
        # The importer meets a refused connection and backs off. Down for longer than the client's server
        # selection (5 s), so that the driver's own retry of a read cannot hide the outage from the importer.
        time.sleep(7)
        restarted = run_hub("store", "start", env=store_env, timeout=120)
        assert restarted.returncode == 0, restarted.stderr
        after_restart = records_now(url)
        first.wait(timeout=max(600, ROWS / 10))
        first_took = time.monotonic() - t0
        log.seek(0)
        first_output = log.read()
        assert first.returncode == 0, first_output
        assert "retrying" in first_output  # it met the dead store and went on

        # The second run: a replay of the whole file.
        t1 = time.monotonic()
        second = run_hub("import", str(ledger.path), "--agency", "PMC-A", env=env, timeout=max(900, ROWS / 10))
        second_took = time.monotonic() - t1
        assert second.returncode == 0, second.stderr
        rows, created, updated, unchanged, rejected = report(second.stdout)
        assert rows == ROWS and created + updated + unchanged + rejected == ROWS and rejected == 0
        assert updated == 0

        found = await census(db, source_system="PMC-A:桃源村台账", source_ids=ledger.keys)
        recomputed = run_hub("recompute", env=env, timeout=max(900, ROWS / 10))
        print(f"\nrows={ROWS} disputes={ledger.disputes} ids={len(ledger.id_numbers)} "
              f"killed at {count} records after {killed_at:.1f}s; {after_restart} records after the restart "
              f"(lost {count - after_restart} acknowledged or in flight); first run {first_took:.1f}s: "
              f"{report(first_output)}; second run {second_took:.1f}s: {(rows, created, updated, unchanged)}; "
              f"records={found.records} cases={found.cases} persons={found.persons}; {recomputed.stdout.strip()}")
        assert found.problems == []
        assert found.records == ROWS
        assert found.persons == len(ledger.id_numbers)  # one person per ID number
        assert found.cases == found.case_files == found.case_numbers == ledger.disputes
        assert recomputed.returncode == 0 and "; 0 case(s) changed" in recomputed.stdout
        await client.close()
    finally:
        run_hub("store", "stop", env=store_env)
