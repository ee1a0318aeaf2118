"""The typical-case library (典型案例库): nominating resolved cases, selecting them (评选), searching the library."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from hub.auth import policy
from hub.auth.policy import Principal
from hub.cases import service as case_service
from hub.cases.models import Case, CaseStatus, Category
from hub.errors import BadUserInput, Conflict, NotFound
from hub.people import service as person_service
from hub.keys.ring import KeyRing
from hub.records.enums import PartyKind
from hub.store.service import store_now
from hub.typical_cases.anonymise import PartyData, anonymise_write_up
from hub.typical_cases.models import TypicalCase, TypicalCaseStatus, WriteUp

MAX_TITLE = 100
MAX_PART = 5000
MAX_REASON = 1000
MAX_KEYWORD = 50
MAX_NOMINATIONS = 100
PARTS = {"title": ("title", MAX_TITLE), "facts": ("facts", MAX_PART), "process": ("process", MAX_PART),
         "legal_basis": ("legalBasis", MAX_PART), "lessons": ("lessons", MAX_PART)}


def _checked(write_up: WriteUp) -> WriteUp:
    values = {}
    for name, (field, limit) in PARTS.items():
        value = str(getattr(write_up, name)).strip()
        if not value or len(value) > limit:
            raise BadUserInput(f"`{field}` must be 1 to {limit} characters", field=field)
        values[name] = value
    return WriteUp(**values)


async def parties_of(*, case: Case, keys: KeyRing) -> list[PartyData]:
    """The case's parties with their clear names and identifiers (decrypted: used to remove them, never shown)."""
    persons = await person_service.get_many(ids=sorted({p.person_id for p in case.parties} | set(case.party_ids)))
    found = []
    for person in persons.values():
        clear = tuple(keys.decrypt(v) for v in (person.id_encrypted, person.phone_encrypted, person.address_encrypted)
                      if v)
        found.append(PartyData(name=person.name, kind=person.kind, identifiers=clear))
    kinds = {p.id: p.kind for p in persons.values()}
    found += [PartyData(name=p.name, kind=kinds.get(p.person_id, PartyKind.NATURAL)) for p in case.parties]
    return found


async def get(*, entry_id: PydanticObjectId) -> TypicalCase | None:
    """One entry of the library (any status), or None."""
    return await TypicalCase.get(entry_id)


async def get_or_raise(*, entry_id: PydanticObjectId) -> TypicalCase:
    """One entry; NOT_FOUND when there is none."""
    entry = await get(entry_id=entry_id)
    if entry is None:
        raise NotFound(f"no typical case with id {str(entry_id)!r}")
    return entry


async def get_by_case(*, case_id: PydanticObjectId) -> TypicalCase | None:
    """The nomination of a case, if it was nominated."""
    return await TypicalCase.find_one({"case_id": case_id})


async def nominate(
    *, case_id: PydanticObjectId, write_up: WriteUp, agency_code: str, user: str, keys: KeyRing,
) -> TypicalCase:
    """Nominate a resolved case with its write-up, stored anonymised; again while NOMINATED: the write-up is updated."""
    case = await case_service.get(case_id=case_id)
    if case is None:
        raise NotFound(f"no case with id {str(case_id)!r}")
    if case.status is not CaseStatus.RESOLVED:
        raise BadUserInput(f"only a resolved case can be nominated (this one is {case.status.value})", field="caseId")
    anonymised = anonymise_write_up(_checked(write_up), parties=await parties_of(case=case, keys=keys))
    now = store_now()
    entry = await get_by_case(case_id=case_id)
    if entry is not None:
        if entry.status is not TypicalCaseStatus.NOMINATED:
            raise BadUserInput(f"this case's nomination was already decided ({entry.status.value})", field="caseId")
        entry.write_up, entry.search_text, entry.updated_at = anonymised, anonymised.text().lower(), now
        await entry.replace()
        return entry
    entry = TypicalCase(
        case_id=case_id, case_no=case.case_no, category=case.category, region_code=case.region_code,
        region_path=case.region_path, write_up=anonymised, search_text=anonymised.text().lower(),
        nominated_by=agency_code, nominated_by_user=user, nominated_at=now, updated_at=now,
    )
    try:
        await entry.insert()
    except DuplicateKeyError:
        raise Conflict("the case was nominated by someone else meanwhile; nominate it again to update") from None
    return entry


async def _decide(
    *, entry_id: PydanticObjectId, status: TypicalCaseStatus, reason: str, agency_code: str, user: str,
) -> TypicalCase:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise BadUserInput(f"a reason must be 1 to {MAX_REASON} characters", field="reason")
    entry = await get_or_raise(entry_id=entry_id)
    if entry.status is not TypicalCaseStatus.NOMINATED:
        raise BadUserInput(f"only a nominated case can be decided (this one is {entry.status.value})", field="id")
    entry.status, entry.decision_reason, entry.decided_by, entry.decided_by_user = status, reason, agency_code, user
    entry.decided_at = entry.updated_at = store_now()
    await entry.replace()
    return entry


async def select(*, entry_id: PydanticObjectId, reason: str, agency_code: str, user: str) -> TypicalCase:
    """Select a nomination into the library (入选)."""
    return await _decide(entry_id=entry_id, status=TypicalCaseStatus.SELECTED, reason=reason,
                         agency_code=agency_code, user=user)


async def reject(*, entry_id: PydanticObjectId, reason: str, agency_code: str, user: str) -> TypicalCase:
    """Turn a nomination down (未入选)."""
    return await _decide(entry_id=entry_id, status=TypicalCaseStatus.REJECTED, reason=reason,
                         agency_code=agency_code, user=user)


def _library_query(category: Category | None, keyword: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {"status": TypicalCaseStatus.SELECTED.value}
    if category is not None:
        query["category"] = category.value
    keyword = (keyword or "").strip().lower()
    if len(keyword) > MAX_KEYWORD:
        raise BadUserInput(f"a keyword is at most {MAX_KEYWORD} characters", field="keyword")
    if keyword:
        # No text index on either server: a regex over the selected entries' lower-cased text.
        query["search_text"] = {"$regex": re.escape(keyword)}
    return query


def cursor_values(entry: TypicalCase) -> list[str]:
    """The keyset of an entry in the library's order (latest decided first)."""
    return [entry.decided_at.isoformat() if entry.decided_at else "", str(entry.id)]


async def search(
    *, category: Category | None = None, keyword: str | None = None, first: int = 20,
    after: Sequence[Any] | None = None,
) -> tuple[list[TypicalCase], bool]:
    """A page of the library (selected entries), latest decided first; and whether more follow."""
    query = _library_query(category, keyword)
    if after is not None:
        try:
            at, last_id = datetime.fromisoformat(str(after[0])), PydanticObjectId(str(after[1]))
        except (ValueError, IndexError, TypeError):
            raise BadUserInput("`after` is not a cursor of this list", field="after") from None
        query["$or"] = [{"decided_at": {"$lt": at}}, {"decided_at": at, "_id": {"$lt": last_id}}]
    found = await TypicalCase.find(query).sort(("decided_at", -1), ("_id", -1)).limit(first + 1).to_list()
    return found[:first], len(found) > first


async def count(*, category: Category | None = None, keyword: str | None = None) -> int:
    """How many selected entries match."""
    return await TypicalCase.find(_library_query(category, keyword)).count()


async def list_nominations(*, principal: Principal, status: TypicalCaseStatus) -> list[TypicalCase]:
    """Entries of a status the caller follows, latest nominated first: a coordination centre's region's,
    any other agency's own nominations."""
    return await (TypicalCase.find({**policy.typical_case_scope(principal), "status": status.value}).sort(("nominated_at", -1), ("_id", -1))
                  .limit(MAX_NOMINATIONS).to_list())
