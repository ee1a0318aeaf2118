"""Records: an interface, and one type per record kind with its own fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from hub.records import models as m
from hub.records.enums import RecordKind as _Kind
from schema.enums import (
    CaseFact, Channel, ClosureOutcome, HandoverDecision, HandoverMode, PetitionForm, PetitionLevel, RecordKind, ReferralOutcome,
    ReferralStatus, ReferralTarget, RiskLevel,
    ScreeningMode, SessionOutcome, Visibility,
)
from schema.people import PartyType
from schema.reference import AgencyType
from schema.relay import Node, to_global_id

if TYPE_CHECKING:
    from schema.cases import CaseType


@strawberry.interface(name="Record", description="记录 — one fact about a case, from one agency.")
class RecordType(Node):
    kind: RecordKind = strawberry.field(description="What the record states.")  # type: ignore[valid-type]
    channel: Channel = strawberry.field(description="The channel it belongs to.")  # type: ignore[valid-type]
    occurred_at: datetime = strawberry.field(description="When it happened.")
    recorded_at: datetime = strawberry.field(description="When the hub received it.")
    summary: str = strawberry.field(description="What happened, in the agency's words.")
    source_system: str = strawberry.field(description="The system that sent it.")
    source_id: str = strawberry.field(description="Its id in that system.")
    source_revision: int = strawberry.field(description="Its revision in that system.")
    visibility: Visibility = strawberry.field(description="Who may read it.")  # type: ignore[valid-type]
    case_no: str = strawberry.field(description="Number of the case it is on.")
    parties: list[PartyType] = strawberry.field(description="The parties it names.")
    agency_code: strawberry.Private[str]
    case_id: strawberry.Private[Any]

    @strawberry.field(description="The agency that wrote it.")
    async def agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.agency_code)

    @strawberry.field(name="case", description="The case it is on.")
    async def case_(self, info: Info) -> Annotated["CaseType", strawberry.lazy("schema.cases")] | None:
        return await info.context.loaders.case_by_id.load(self.case_id)


def _common(record: m.Record) -> dict[str, Any]:
    return dict(
        id=to_global_id("Record", record.id), kind=record.kind, channel=record.channel,
        occurred_at=record.occurred_at, recorded_at=record.recorded_at, summary=record.summary,
        source_system=record.source_system, source_id=record.source_id, source_revision=record.source_revision,
        visibility=record.visibility, case_no=record.case_no, agency_code=record.agency_code, case_id=record.case_id,
        parties=[PartyType(role=p.role, name=p.name, person_id=p.person_id) for p in record.parties],
    )


@strawberry.type(name="ScreeningRecord", description="排查 — the dispute was found by screening.")
class ScreeningRecordType(RecordType):
    screening_mode: ScreeningMode = strawberry.field(description="Rolling, centralised or special screening.")  # type: ignore[valid-type]
    found_by: str | None = strawberry.field(description="Who found it, e.g. the grid worker.")


@strawberry.type(name="IntakeRecord", description="受理 — an agency accepted (or declined) the dispute.")
class IntakeRecordType(RecordType):
    accepted: bool = strawberry.field(description="Accepted for handling.")
    reason: str | None = strawberry.field(description="Why, when declined.")


@strawberry.type(name="MediationSessionRecord", description="调解 — one mediation session.")
class MediationSessionRecordType(RecordType):
    mediators: list[str] = strawberry.field(description="Mediators present.")
    outcome: SessionOutcome = strawberry.field(description="How the session ended.")  # type: ignore[valid-type]
    location: str | None = strawberry.field(description="Where it was held.")


@strawberry.type(name="AgreementRecord", description="调解协议 — the agreement reached.")
class AgreementRecordType(RecordType):
    agreement_no: str | None = strawberry.field(description="Agreement number.")
    terms: str = strawberry.field(description="What the parties agreed.")
    amount: float | None = strawberry.field(description="Money involved, yuan.")
    performed: bool | None = strawberry.field(description="Whether it has been carried out.")


@strawberry.type(name="JudicialConfirmationRecord", description="司法确认 — a court confirmed (or refused) an agreement.")
class JudicialConfirmationRecordType(RecordType):
    court_ruling_no: str | None = strawberry.field(description="The ruling's number.")
    confirmed: bool = strawberry.field(description="Confirmed (true) or refused.")


@strawberry.type(name="HandoverRecord", description="移交 — the case passed to another agency.")
class HandoverRecordType(RecordType):
    to_agency_code: str = strawberry.field(description="Code of the receiving agency.")
    mode: HandoverMode = strawberry.field(description="转办, 交办 or 移送.")  # type: ignore[valid-type]
    reason: str | None = strawberry.field(description="Why it was handed over.")
    accept_by: datetime | None = strawberry.field(description="By when the receiver should accept or return it.")
    accepted: bool | None = strawberry.field(description="Accepted, as the sender's system recorded it on the handover "
                                                         "itself; the case's `handovers` has the state from every record.")
    accepted_at: datetime | None = strawberry.field(description="When it was accepted, as recorded on the handover.")

    @strawberry.field(description="The receiving agency.")
    async def to_agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.to_agency_code)


@strawberry.type(name="HandoverResponseRecord", description="移交答复 — the receiver accepted or returned a handover.")
class HandoverResponseRecordType(RecordType):
    handover_id: str = strawberry.field(description="The handover record's id (the `id` of its Record, unencoded).")
    decision: HandoverDecision = strawberry.field(description="ACCEPTED or RETURNED.")  # type: ignore[valid-type]
    reason: str | None = strawberry.field(description="Why (required when returned).")


@strawberry.type(name="EscalationRecord", description="上报 — submitted to a higher-level centre.")
class EscalationRecordType(RecordType):
    to_agency_code: str | None = strawberry.field(description="Code of the body it went to.")
    reason: str | None = strawberry.field(description="Why.")


@strawberry.type(name="ReferralRecord", description="引导 (依法引导、诉调对接) — referred to arbitration, ruling, "
                 "reconsideration, litigation, criminal reconciliation or settlement, tracked to its outcome.")
class ReferralRecordType(RecordType):
    referral_target: ReferralTarget = strawberry.field(description="Where it was referred.")  # type: ignore[valid-type]
    body: str | None = strawberry.field(description="The receiving body: the arbitration commission, court …")
    referral_status: ReferralStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where it stands at the receiving body: REFERRED → FILED → DECIDED.")
    filed_at: datetime | None = strawberry.field(description="When the receiving body filed it (受理/立案).")
    decided_at: datetime | None = strawberry.field(description="When it was decided (裁决、判决、决定、和解).")
    referral_outcome: ReferralOutcome | None = strawberry.field(  # type: ignore[valid-type]
        description="How it was decided; null until DECIDED.")


@strawberry.type(name="PetitionRecord", description="信访件 — a petition about the dispute.")
class PetitionRecordType(RecordType):
    petition_no: str | None = strawberry.field(description="Petition number.")
    form: PetitionForm = strawberry.field(description="Letter, visit, online or phone.")  # type: ignore[valid-type]
    level_reached: PetitionLevel = strawberry.field(description="Highest level reached.")  # type: ignore[valid-type]
    escalated: bool = strawberry.field(description="越级 — skipped a level.")
    participants: int = strawberry.field(description="How many people petitioned together.")


@strawberry.type(name="StabilityAssessmentRecord", description="风险评估 — the dispute's stability risk.")
class StabilityAssessmentRecordType(RecordType):
    risk_level: RiskLevel = strawberry.field(description="Assessed risk.")  # type: ignore[valid-type]
    factors: list[str] = strawberry.field(description="Risk factors.")


@strawberry.type(name="StabilityPlanRecord", description="稳控方案 — responsible unit, person and measures.")
class StabilityPlanRecordType(RecordType):
    responsible_unit: str = strawberry.field(description="责任单位.")
    responsible_person: str = strawberry.field(description="责任人.")
    measures: list[str] = strawberry.field(description="稳控措施.")
    review_date: date | None = strawberry.field(description="When the plan is to be reviewed.")


@strawberry.type(name="FollowUpRecord", description="回访 — a follow-up visit.")
class FollowUpRecordType(RecordType):
    satisfied: bool | None = strawberry.field(description="Parties satisfied.")
    agreement_performed: bool | None = strawberry.field(description="Agreement carried out.")


@strawberry.type(name="ClosureRecord", description="结案 — the case was closed.")
class ClosureRecordType(RecordType):
    outcome: ClosureOutcome = strawberry.field(description="How it ended.")  # type: ignore[valid-type]
    reason: str | None = strawberry.field(description="Why.")


@strawberry.type(name="DeterminationRecord", description="认定 — a coordination centre settled a fact its agencies' "
                                                       "records disagree on, with its reasons.")
class DeterminationRecordType(RecordType):
    fact: CaseFact = strawberry.field(description="What it settles.")  # type: ignore[valid-type]
    value: str = strawberry.field(description="The value settled on: a code, an amount in yuan, a date, a name.")
    reason: str = strawberry.field(description="Why (认定理由).")


RECORD_TYPES: dict[_Kind, type[RecordType]] = {
    _Kind.SCREENING: ScreeningRecordType,
    _Kind.INTAKE: IntakeRecordType,
    _Kind.MEDIATION_SESSION: MediationSessionRecordType,
    _Kind.AGREEMENT: AgreementRecordType,
    _Kind.JUDICIAL_CONFIRMATION: JudicialConfirmationRecordType,
    _Kind.HANDOVER: HandoverRecordType,
    _Kind.HANDOVER_RESPONSE: HandoverResponseRecordType,
    _Kind.ESCALATION: EscalationRecordType,
    _Kind.REFERRAL: ReferralRecordType,
    _Kind.PETITION: PetitionRecordType,
    _Kind.STABILITY_ASSESSMENT: StabilityAssessmentRecordType,
    _Kind.STABILITY_PLAN: StabilityPlanRecordType,
    _Kind.FOLLOW_UP: FollowUpRecordType,
    _Kind.CLOSURE: ClosureRecordType,
    _Kind.DETERMINATION: DeterminationRecordType,
}

# Details fields whose GraphQL name differs from the stored one.
_RENAMED = {"to_agency": "to_agency_code", "target": "referral_target"}
_REFERRAL_RENAMED = {"status": "referral_status", "outcome": "referral_outcome"}


def record_from_model(record: m.Record) -> RecordType:
    """The GraphQL type of a stored record, by its kind."""
    details: dict[str, Any] = dict(record.details)  # type: ignore[attr-defined]
    fields = {_RENAMED.get(k, k): v for k, v in details.items()}
    if record.kind is _Kind.REFERRAL:
        fields = {_REFERRAL_RENAMED.get(k, k): v for k, v in fields.items()}
    return RECORD_TYPES[record.kind](**_common(record), **fields)
