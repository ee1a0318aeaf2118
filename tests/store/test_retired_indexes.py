"""An index an earlier version declared is dropped when the hub starts against the old database."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from hub.store import service as store_service


async def test_the_old_unique_identity_index_is_dropped_and_ids_may_repeat(database: AsyncDatabase) -> None:
    people = database.people
    await people.drop_index("identity_key")
    await people.create_index("identity_key", unique=True)  # as the hub declared it before merges
    await people.insert_one({"_id": "a", "identity_key": "id:1"})

    await store_service.init_models(database=database)

    indexes = {ix["name"]: ix async for ix in await people.list_indexes()}
    assert "identity_key_1" not in indexes
    assert not indexes["identity_key"].get("unique")
    await people.insert_one({"_id": "b", "identity_key": "id:1"})  # two Persons, one ID number, until merged
    assert await people.count_documents({"identity_key": "id:1"}) == 2
