"""Typical cases (典型案例): a resolved case's anonymised write-up, nominated, then selected or rejected."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, IndexModel

from hub.cases.models import Category


class TypicalCaseStatus(StrEnum):
    """Where a nomination stands in the selection (评选)."""

    NOMINATED = "NOMINATED"
    SELECTED = "SELECTED"
    REJECTED = "REJECTED"


class WriteUp(BaseModel):
    """The write-up of a typical case: title, 案情, 调解过程, 法律依据, 经验启示."""

    title: str
    facts: str
    process: str
    legal_basis: str
    lessons: str

    def text(self) -> str:
        """Every part in one string (what the keyword search reads)."""
        return "\n".join((self.title, self.facts, self.process, self.legal_basis, self.lessons))


class TypicalCase(Document):
    """One nomination of a case to the typical-case library; its write-up is stored anonymised only."""

    case_id: PydanticObjectId
    case_no: str
    category: Category
    region_code: str
    region_path: list[str]
    write_up: WriteUp
    search_text: str  # the write-up's text, lower-cased, for the keyword search
    status: TypicalCaseStatus = TypicalCaseStatus.NOMINATED
    nominated_by: str
    nominated_by_user: str
    nominated_at: datetime
    updated_at: datetime
    decision_reason: str | None = None
    decided_by: str | None = None
    decided_by_user: str | None = None
    decided_at: datetime | None = None

    class Settings:
        name = "typical_cases"
        indexes = [
            IndexModel([("case_id", ASCENDING)], unique=True),  # one nomination per case
            # The library (`typicalCases`): selected entries, latest decided first, with and without category.
            IndexModel([("status", ASCENDING), ("decided_at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("status", ASCENDING), ("category", ASCENDING), ("decided_at", DESCENDING),
                        ("_id", DESCENDING)]),
            # Nominations, latest first: a coordination centre's region, a nominating agency's own.
            IndexModel([("region_path", ASCENDING), ("status", ASCENDING), ("nominated_at", DESCENDING),
                        ("_id", DESCENDING)]),
            IndexModel([("nominated_by", ASCENDING), ("status", ASCENDING), ("nominated_at", DESCENDING),
                        ("_id", DESCENDING)]),
        ]
