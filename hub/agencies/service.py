"""Agency look-ups and registration."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateOne

from hub.agencies.models import Agency, AgencyKind
from hub.store.service import bulk_write


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
    """Create or update agencies by code (idempotent); an agency's operational setting, trusted documents only, is
    the operator's (`hub documents require`) and stays as it was."""
    ops = [UpdateOne({"code": a.code}, {"$set": a.model_dump(exclude={"id", "revision_id", "trusted_documents_only"})},
                     upsert=True) for a in agencies]
    await bulk_write(Agency.get_pymongo_collection(), ops)
    return len(ops)


async def set_trusted_documents_only(*, code: str, required: bool) -> bool:
    """Whether the agency's systems may send only registered documents; False when there is no such agency."""
    result = await Agency.get_pymongo_collection().update_one({"code": code},
                                                              {"$set": {"trusted_documents_only": required}})
    return result.matched_count == 1
