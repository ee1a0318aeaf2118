"""Fixtures of the system tests: a local store of a test's own, to stop and start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config import Settings
from hub.store import local as local_store
from tests.conftest import free_port


@pytest.fixture
def own_store(tmp_path: Path) -> Iterator[Settings]:
    """A local store of this test's own (memory backend), which the test may stop and start."""
    settings = Settings(data_dir=tmp_path / "own", store_port=free_port())
    local_store.start(settings)
    yield settings
    local_store.stop(settings)
