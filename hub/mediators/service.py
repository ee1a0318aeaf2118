"""Mediator look-ups and registration."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import ReplaceOne

from hub.mediators.models import Mediator
from hub.store.service import bulk_write


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
    ops = [ReplaceOne({"code": m.code}, m.model_dump(exclude={"id", "revision_id"}), upsert=True) for m in mediators]
    if ops:
        await bulk_write(Mediator.get_pymongo_collection(), ops)
    return len(ops)
