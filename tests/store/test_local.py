"""`hub store start|stop|status` against a real FerretDB process."""

from __future__ import annotations

from pathlib import Path

from hub.config import Settings
from hub.store import local as local_store
from tests.conftest import free_port
from tests.processes import hub_env, run_hub


def test_start_twice_is_harmless_and_stop_ends_it(tmp_path: Path) -> None:
    env = hub_env(HUB_DATA_DIR=str(tmp_path), HUB_STORE_PORT=str(free_port()))

    first = run_hub("store", "start", env=env)
    assert first.returncode == 0, first.stderr
    assert "running (pid" in first.stdout
    try:
        second = run_hub("store", "start", env=env)
        assert second.returncode == 0, second.stderr
        assert second.stdout == first.stdout  # same pid, same store

        status = run_hub("store", "status", env=env)
        assert status.returncode == 0
        assert (tmp_path / "store" / "localstore.pid").exists()
    finally:
        stopped = run_hub("store", "stop", env=env)
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    after = run_hub("store", "status", env=env)
    assert after.returncode == 3
    assert "stopped" in after.stdout


def test_stale_pid_file_is_cleaned_up(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store_port=free_port())
    pid_file = settings.store_dir / "localstore.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text("999999\n")  # no such process

    assert local_store.status(settings).running is False
    status = local_store.start(settings)
    try:
        assert status.running
        assert pid_file.read_text().strip() == str(status.pid)
        assert local_store.ping(status.url)
    finally:
        local_store.stop(settings)
    assert not pid_file.exists()


def test_start_failure_exits_non_zero_with_the_log(tmp_path: Path) -> None:
    blocker = tmp_path / "store" / "data"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the data directory should be")
    env = hub_env(HUB_DATA_DIR=str(tmp_path), HUB_STORE_PORT=str(free_port()))

    result = run_hub("store", "start", env=env)

    assert result.returncode == 1
    assert result.stderr.startswith("hub: local store exited with status")
    assert "not a directory" in result.stderr

