"""Case search: filters to a MongoDB query, and keyset pagination that never skips or repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId

from hub.cases.models import Case
from hub.errors import BadUserInput
from hub.people import service as person_service


class CaseSort(StrEnum):
    """Orders a case list can take; every one ends with `_id` as the tie-breaker."""

    OPENED_AT_DESC = "OPENED_AT_DESC"
    OPENED_AT_ASC = "OPENED_AT_ASC"
    LAST_ACTIVITY_DESC = "LAST_ACTIVITY_DESC"
    CASE_NO_ASC = "CASE_NO_ASC"


_SORT_FIELDS: dict[CaseSort, tuple[str, int]] = {
    CaseSort.OPENED_AT_DESC: ("opened_at", -1),
    CaseSort.OPENED_AT_ASC: ("opened_at", 1),
    CaseSort.LAST_ACTIVITY_DESC: ("last_activity_at", -1),
    CaseSort.CASE_NO_ASC: ("case_no", 1),
}


@dataclass(frozen=True)
class CaseSearch:
    """All conditions must hold; None means "any"."""

    region: str | None = None
    categories: list[str] | None = None
    statuses: list[str] | None = None
    channels: list[str] | None = None
    agency: str | None = None
    risk_levels: list[str] | None = None
    tags: list[str] | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    activity_from: datetime | None = None
    activity_to: datetime | None = None
    party_name: str | None = None
    scope: dict[str, Any] | None = None  # what the caller may see (hub.auth.policy.case_scope)

    async def to_query(self) -> dict[str, Any]:
        """The MongoDB filter (resolving a party name to person ids first)."""
        query: dict[str, Any] = {}
        if self.region:
            query["region_path"] = self.region
        for name, values in (("category", self.categories), ("status", self.statuses),
                             ("risk_level", self.risk_levels), ("channels", self.channels)):
            if values:
                query[name] = {"$in": [str(v) for v in values]}
        if self.agency:
            query["agencies"] = self.agency
        if self.tags:
            query["tags"] = {"$all": [str(t) for t in self.tags]}
        for name, low, high in (("opened_at", self.opened_from, self.opened_to),
                                ("last_activity_at", self.activity_from, self.activity_to)):
            bounds = {op: v for op, v in (("$gte", low), ("$lt", high)) if v is not None}
            if bounds:
                query[name] = bounds
        if self.party_name:
            people = await person_service.find_by_name(name=self.party_name, limit=500)
            query["party_ids"] = {"$in": [p.id for p in people]}
        return {"$and": [self.scope, query]} if self.scope else query


def cursor_values(case: Case, sort: CaseSort) -> list[str]:
    """The keyset position of a case in an ordering, as strings for an opaque cursor."""
    name, _ = _SORT_FIELDS[sort]
    value = getattr(case, name)
    return [value.isoformat() if isinstance(value, datetime) else str(value), str(case.id)]


def _parse(values: list[Any], sort: CaseSort) -> tuple[Any, ObjectId]:
    name, _ = _SORT_FIELDS[sort]
    try:
        raw, oid = values
        value = datetime.fromisoformat(raw) if name.endswith("_at") else str(raw)
        return value, ObjectId(oid)
    except (ValueError, TypeError):
        raise BadUserInput("`after` is not a cursor of this ordering") from None


async def list_page(
    *, search: CaseSearch, sort: CaseSort, first: int, after: list[Any] | None
) -> tuple[list[Case], bool]:
    """One page of cases after the cursor position, and whether more follow."""
    query = await search.to_query()
    name, direction = _SORT_FIELDS[sort]
    if after:
        value, oid = _parse(after, sort)
        op = "$lt" if direction < 0 else "$gt"
        query = {"$and": [query, {"$or": [{name: {op: value}}, {name: value, "_id": {op: oid}}]}]}
    found = await Case.find(query).sort((name, direction), ("_id", direction)).limit(first + 1).to_list()
    return found[:first], len(found) > first


async def count(*, search: CaseSearch) -> int:
    """How many cases match."""
    return await Case.get_pymongo_collection().count_documents(await search.to_query())
