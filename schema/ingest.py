"""Types of the ingestion mutation."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.relay import GlobalID
from strawberry.scalars import JSON

from hub.analytics import labels
from hub.ingest.service import IngestOutcome, RecordOutcome, RecordStatus
from schema.enums import described_enum

IngestStatus = described_enum(RecordStatus, labels.INGEST_STATUS, name="IngestStatus",
                              description="What ingestion did with a record.", glosses={
    "CREATED": "stored as a new record", "UPDATED": "replaced the stored version",
    "UNCHANGED": "already stored as sent", "REJECTED": "not stored; see its errors",
})


@strawberry.input(name="IngestBatchInput", description="一批记录 — one batch of records from one agency's system.")
class IngestBatchInput:
    source_system: str = strawberry.field(description="The sending system, e.g. `PMC-LEDGER`; with `sourceId` it keys each record.")
    agency: str = strawberry.field(description="Code of the agency the records are written in the name of.")
    records: list[JSON] = strawberry.field(
        description=(
            "At most 1,000 records, each a JSON object in the format of `hub ingest-schema` "
            "(docs/ingest.md). Each record is validated on its own, so one bad record never "
            "fails the batch: it comes back REJECTED with its errors."
        )
    )

    def to_wire(self) -> dict[str, Any]:
        """The batch in the ingestion service's wire format."""
        return {"sourceSystem": self.source_system, "agency": self.agency, "records": list(self.records)}


@strawberry.type(name="IngestError", description="One problem with one record.")
class IngestErrorType:
    path: str = strawberry.field(description="Where in the record, e.g. `parties[0].idNumber`; empty for the whole record.")
    code: str = strawberry.field(description="Stable machine code, e.g. `INVALID_ID_NUMBER_CHECK_DIGIT`.")
    message: str = strawberry.field(description="What is wrong, for a person. Never repeats personal data.")


@strawberry.type(name="IngestRecordResult", description="The outcome of the record at `index`.")
class IngestRecordResultType:
    index: int = strawberry.field(description="Position of the record in the batch, from 0.")
    status: IngestStatus = strawberry.field(description="CREATED, UPDATED, UNCHANGED or REJECTED.")  # type: ignore[valid-type]
    source_id: str | None = strawberry.field(description="The record's sourceId, when it could be read.")
    record_id: GlobalID | None = strawberry.field(description="The stored record.")
    case_id: GlobalID | None = strawberry.field(description="The case the record is on.")
    case_no: str | None = strawberry.field(description="The case number (案件编号).")
    errors: list[IngestErrorType] = strawberry.field(description="Why the record was rejected.")

    @classmethod
    def from_domain(cls, r: RecordOutcome) -> "IngestRecordResultType":
        """Convert one service outcome."""
        return cls(
            index=r.index,
            status=r.status,
            source_id=r.source_id,
            record_id=GlobalID("Record", str(r.record_id)) if r.record_id else None,
            case_id=GlobalID("Case", str(r.case_id)) if r.case_id else None,
            case_no=r.case_no if r.case_id else None,
            errors=[IngestErrorType(path=e.path, code=e.code, message=e.message) for e in r.errors],
        )


@strawberry.type(name="IngestResult", description="Per-record results, in batch order, and counts.")
class IngestResultType:
    results: list[IngestRecordResultType] = strawberry.field(description="One result per record, in batch order.")
    created: int = strawberry.field(description="Records stored for the first time.")
    updated: int = strawberry.field(description="Records replaced by a newer source revision.")
    unchanged: int = strawberry.field(description="Records already stored (a replay).")
    rejected: int = strawberry.field(description="Records refused; see their errors.")

    def case_numbers(self) -> list[str]:
        """The cases the batch touched (for the audit trail)."""
        return sorted({r.case_no for r in self.results if r.case_no})

    @classmethod
    def from_domain(cls, outcome: IngestOutcome) -> "IngestResultType":
        """Convert the service outcome."""
        counts = {s: outcome.count(s) for s in RecordStatus}
        return cls(
            results=[IngestRecordResultType.from_domain(r) for r in outcome.results],
            created=counts[RecordStatus.CREATED],
            updated=counts[RecordStatus.UPDATED],
            unchanged=counts[RecordStatus.UNCHANGED],
            rejected=counts[RecordStatus.REJECTED],
        )


