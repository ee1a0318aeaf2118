"""The change log as GraphQL: `changes(since, first)` (docs/changes.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import strawberry

from hub.cases.models import Case
from hub.records.models import typed_record
from schema.cases import CaseType
from schema.enums import described_enum
from schema.records import RecordType, record_from_model


class _Entity(StrEnum):
    CASE = "CASE"
    RECORD = "RECORD"


ChangeEntityEnum = described_enum(
    _Entity, {"CASE": "案件", "RECORD": "记录"}, name="ChangeEntity",
    description="变更对象 — what a change-log entry holds.",
    glosses={"CASE": "a case's fields after a write that changed them (a new `revision`)",
             "RECORD": "a record as written: new, a new source revision, or moved to another case"},
)


@strawberry.type(name="Change", description="变更 — one entry of the change log: a case or a record as one write "
                                            "left it, at its place in the order of every hub process's writes.")
class ChangeType:
    seq: int = strawberry.field(description="Its place in the log (increasing with write order, with gaps).")
    cursor: str = strawberry.field(description="The cursor after it: `changes(since:)` and `hub export --since` "
                                               "go on from here.")
    entity: ChangeEntityEnum = strawberry.field(description="What it holds.")  # type: ignore[valid-type]
    key: str = strawberry.field(description="Its idempotency key (the same write is logged once): the case "
                                            "and its revision, or the record, its source revision and its case.")
    revision: int = strawberry.field(description="The case's `revision`, or the record's `sourceRevision`.")
    at: datetime = strawberry.field(description="When it was logged.")
    case_no: str | None = strawberry.field(description="The case it belongs to.")
    case: CaseType | None = strawberry.field(
        description="A CASE entry: the case's fields as that write left them (its lists — timeline, handovers — "
                    "as they are now; personal data masked or not by the caller's `pii` role, as in `case`).")
    record: RecordType | None = strawberry.field(description="A RECORD entry: the record as written.")

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any], *, cursor: str) -> ChangeType:
        doc = dict(entry["doc"])
        is_case = entry["entity"] == _Entity.CASE
        return cls(seq=entry["seq"], cursor=cursor, entity=_Entity(entry["entity"]), key=entry["_id"],
                   revision=entry.get("revision", 0), at=entry["at"], case_no=entry.get("case_no"),
                   case=CaseType.from_model(Case.model_validate(doc)) if is_case else None,
                   record=None if is_case else record_from_model(typed_record(doc)))


@strawberry.type(name="ChangePage", description="A page of the change log for the caller's scope.")
class ChangePageType:
    entries: list[ChangeType] = strawberry.field(description="The entries, in write order.")
    cursor: str = strawberry.field(description="Where to continue: pass it as `since` (after the last entry "
                                               "read, the caller's or not).")
    has_more: bool = strawberry.field(description="More entries are known to follow: ask again from `cursor`. "
                                                  "False: the log is read to its end for now; poll from `cursor`.")
