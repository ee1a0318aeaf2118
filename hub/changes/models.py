"""The change log's entries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel


class ChangeEntity(StrEnum):
    """What an entry holds."""

    CASE = "CASE"  # a case's document after a write that changed it (a new `revision`)
    RECORD = "RECORD"  # a record's document after it was written (a new record, a revision, a move)
    VOID = "VOID"  # a number taken and not used (its entry was written by another process first)


class Change(Document):
    """One entry: `_id` is its key, fixed by what it holds (`case:<id>:<revision>`,
    `record:<id>:<sourceRevision>:<case id>`), so a replayed write logs nothing twice; `seq` is its place in
    the one order of every process's writes. `doc` is the document as stored when it was logged."""

    id: str | None = None  # type: ignore[assignment]  # the entry's key
    seq: int
    entity: ChangeEntity
    case_id: PydanticObjectId | None = None
    case_no: str | None = None
    revision: int = 0  # the case's `revision`, the record's `sourceRevision`
    at: datetime
    doc: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "changes"
        indexes = [IndexModel([("seq", ASCENDING)], unique=True)]
