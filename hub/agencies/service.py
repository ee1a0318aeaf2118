"""Agency look-ups and registration."""

from __future__ import annotations

from collections.abc import Iterable

from hub.agencies.models import Agency, AgencyKind
from hub.store.service import replace_by_key


async def get_by_code(*, code: str) -> Agency | None:
    """One agency, or None."""
    return await Agency.find_one({"code": code})


async def get_many_by_code(*, codes: Iterable[str]) -> dict[str, Agency]:
    """Agencies by code; unknown codes are absent."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {a.code: a for a in await Agency.find({"code": {"$in": wanted}}).to_list()}


async def kinds() -> dict[str, str]:
    """Every agency's kind, by code (a small collection, read whole)."""
    cursor = Agency.get_pymongo_collection().find({}, {"code": 1, "kind": 1})
    return {doc["code"]: doc["kind"] async for doc in cursor}


async def list_all(*, kind: AgencyKind | None = None, region_code: str | None = None) -> list[Agency]:
    """Agencies, optionally of one kind or region, by code."""
    query: dict[str, object] = {}
    if kind:
        query["kind"] = kind.value
    if region_code:
        query["region_code"] = region_code
    return await Agency.find(query).sort("code").to_list()


async def upsert_many(*, agencies: Iterable[Agency]) -> int:
    """Create or replace agencies by code (idempotent)."""
    return await replace_by_key(Agency.get_pymongo_collection(), agencies, "code")
