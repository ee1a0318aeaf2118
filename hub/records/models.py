"""Records: every fact an agency contributes, in ONE collection with a kind discriminator."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from hub.records import details as d
from hub.records.enums import Channel, PartyRole, RecordKind, RiskLevel, Visibility


class RecordParty(BaseModel):
    """A person named by a record, with their role in it."""

    person_id: str
    role: PartyRole
    name: str


class SourceRef(BaseModel):
    """Another record, named by its source key."""

    source_system: str
    source_id: str


class CaseStatement(BaseModel):
    """What a record says of its case (the wire's `case` part): the facts agencies' records may disagree on
    (hub.cases.provenance). The opening record's statement opens the case with them."""

    category: str | None = None
    risk_level: RiskLevel | None = None
    tags: list[str] = Field(default_factory=list)
    responsible_person: str | None = None
    deadline: date | None = None
    amount_in_dispute: float | None = None


def record_key(source_system: str, source_id: str) -> str:
    """A record's `_id`: its source key, so look-ups by source key are `_id` look-ups."""
    return f"{source_system}|{source_id}"


class Record(Document):
    """One fact about a case from one agency; `(source_system, source_id)` is its natural key."""

    id: str | None = None  # type: ignore[assignment]  # record_key(source_system, source_id)
    kind: RecordKind
    case_id: PydanticObjectId
    case_no: str
    source_system: str
    source_id: str
    source_revision: int = 0
    agency_code: str
    channel: Channel
    occurred_at: datetime
    recorded_at: datetime
    summary: str
    parties: list[RecordParty] = Field(default_factory=list)
    visibility: Visibility = Visibility.NORMAL
    refs: list[SourceRef] = Field(default_factory=list)
    region_code: str | None = None
    stated: CaseStatement | None = None  # what it says of its case, when it says anything

    class Settings:
        name = "records"
        is_root = True
        # No unique (source_system, source_id): `_id` is record_key of the two, unique already, and a unique
        # index the shard key is no prefix of would keep records from being sharded (hub.store.sharding).
        indexes = [
            IndexModel([("case_id", ASCENDING), ("occurred_at", ASCENDING)]),
            IndexModel([("parties.person_id", ASCENDING), ("occurred_at", ASCENDING)]),
            IndexModel([("agency_code", ASCENDING), ("occurred_at", DESCENDING)]),
            IndexModel([("kind", ASCENDING), ("occurred_at", DESCENDING)]),
        ]


class ScreeningRecord(Record):
    """排查记录."""

    details: d.ScreeningDetails


class IntakeRecord(Record):
    """受理记录."""

    details: d.IntakeDetails


class MediationSessionRecord(Record):
    """调解记录."""

    details: d.MediationSessionDetails


class AgreementRecord(Record):
    """调解协议."""

    details: d.AgreementDetails


class JudicialConfirmationRecord(Record):
    """司法确认."""

    details: d.JudicialConfirmationDetails


class HandoverRecord(Record):
    """移交记录."""

    details: d.HandoverDetails


class HandoverResponseRecord(Record):
    """移交答复: accepted or returned."""

    details: d.HandoverResponseDetails


class EscalationRecord(Record):
    """上报记录."""

    details: d.EscalationDetails


class ReferralRecord(Record):
    """引导仲裁 / 行政裁决 / 行政复议 / 诉讼 / 刑事和解 / 和解, tracked REFERRED → FILED → DECIDED."""

    details: d.ReferralDetails


class PetitionRecord(Record):
    """信访件."""

    details: d.PetitionDetails


class StabilityAssessmentRecord(Record):
    """稳定风险评估."""

    details: d.StabilityAssessmentDetails


class StabilityPlanRecord(Record):
    """稳控方案."""

    details: d.StabilityPlanDetails


class FollowUpRecord(Record):
    """回访记录."""

    details: d.FollowUpDetails


class ClosureRecord(Record):
    """结案记录."""

    details: d.ClosureDetails


class DeterminationRecord(Record):
    """认定记录."""

    details: d.DeterminationDetails


RECORD_CLASSES: dict[RecordKind, type[Record]] = {
    RecordKind.SCREENING: ScreeningRecord,
    RecordKind.INTAKE: IntakeRecord,
    RecordKind.MEDIATION_SESSION: MediationSessionRecord,
    RecordKind.AGREEMENT: AgreementRecord,
    RecordKind.JUDICIAL_CONFIRMATION: JudicialConfirmationRecord,
    RecordKind.HANDOVER: HandoverRecord,
    RecordKind.HANDOVER_RESPONSE: HandoverResponseRecord,
    RecordKind.ESCALATION: EscalationRecord,
    RecordKind.REFERRAL: ReferralRecord,
    RecordKind.PETITION: PetitionRecord,
    RecordKind.STABILITY_ASSESSMENT: StabilityAssessmentRecord,
    RecordKind.STABILITY_PLAN: StabilityPlanRecord,
    RecordKind.FOLLOW_UP: FollowUpRecord,
    RecordKind.CLOSURE: ClosureRecord,
    RecordKind.DETERMINATION: DeterminationRecord,
}

DETAILS_CLASSES: dict[RecordKind, type[d.Details]] = {
    kind: cls.model_fields["details"].annotation  # type: ignore[misc]
    for kind, cls in RECORD_CLASSES.items()
}


def typed_record(doc: dict[str, Any]) -> Record:
    """A stored record document as the Record subclass of its kind."""
    return RECORD_CLASSES[RecordKind(doc["kind"])].model_validate(doc)
