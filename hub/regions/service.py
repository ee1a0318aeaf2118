"""Region look-ups."""

from __future__ import annotations

from collections.abc import Iterable

from hub.regions.models import Region, RegionLevel
from hub.store.service import replace_by_key


async def get_many_by_code(*, codes: Iterable[str]) -> dict[str, Region]:
    """Regions by code; unknown codes are simply absent."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {r.code: r for r in await Region.find({"code": {"$in": wanted}}).to_list()}


async def get_by_code(*, code: str) -> Region | None:
    """One region, or None."""
    return await Region.find_one({"code": code})


async def list_children(*, parent_code: str | None) -> list[Region]:
    """The regions directly below parent (the top level when parent is None), by code."""
    return await Region.find({"parent_code": parent_code}).sort("code").to_list()


def township_of(region: Region) -> str | None:
    """The township (street) code a region lies in, or None above that level."""
    if region.level is RegionLevel.DISTRICT:
        return None
    return region.path[1] if len(region.path) > 1 else region.code


async def upsert_many(*, regions: Iterable[Region]) -> int:
    """Create or replace regions by code (idempotent); returns how many were written."""
    return await replace_by_key(Region.get_pymongo_collection(), regions, "code")
