"""Counters hand out each number once, however many callers ask at the same moment."""

from __future__ import annotations

import asyncio

from pymongo.asynchronous.database import AsyncDatabase

from hub.cases.models import CaseCounter
from hub.store.service import take_numbers


async def test_concurrent_callers_never_get_the_same_number(database: AsyncDatabase) -> None:
    collection = CaseCounter.get_pymongo_collection()
    # 300 at once, the first ones racing to create the counter; then blocks of 1 to 5 numbers.
    singles = await asyncio.gather(*(take_numbers(collection, "race") for _ in range(300)))
    blocks = await asyncio.gather(*(take_numbers(collection, "race", 1 + n % 5) for n in range(100)))
    taken = [n for r in [*singles, *blocks] for n in r]
    assert len(taken) == len(set(taken)) == 300 + sum(1 + n % 5 for n in range(100))
    assert sorted(taken) == list(range(1, len(taken) + 1))  # no gap either
    assert (await collection.find_one({"name": "race"}))["value"] == len(taken)
