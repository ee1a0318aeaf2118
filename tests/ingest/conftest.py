"""Fixtures for ingestion tests: reference data loaded, keys to hash with."""

from __future__ import annotations

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.people.crypto import PersonalDataKeys
from tests.factories import load_reference_data


@pytest.fixture
def keys() -> PersonalDataKeys:
    """The personal-data keys of the test deployment."""
    return PersonalDataKeys("test-secret-key-not-for-production-use")


@pytest.fixture
async def district(database: AsyncDatabase) -> AsyncDatabase:
    """A database with the test district's regions and agencies."""
    await load_reference_data()
    return database
