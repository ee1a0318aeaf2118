"""Mediator look-ups and registration."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


from hub.mediators.models import Mediator
from hub.store.service import replace_by_key


async def list_all(
    *, specialty: str | None = None, expert: bool | None = None, agency_codes: list[str] | None = None
) -> list[Mediator]:
    """Mediators filtered by specialty, expert-pool membership and agencies, by code."""
    query: dict[str, Any] = {}
    if specialty:
        query["specialties"] = specialty
    if expert is not None:
        query["expert"] = expert
    if agency_codes is not None:
        query["agency_code"] = {"$in": agency_codes}
    return await Mediator.find(query).sort("code").to_list()


async def upsert_many(*, mediators: Iterable[Mediator]) -> int:
    """Create or replace mediators by code (idempotent)."""
    return await replace_by_key(Mediator.get_pymongo_collection(), mediators, "code")
