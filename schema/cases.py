"""Cases: the shared view of one dispute, and the inputs to search them."""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from hub.analytics import labels
from hub.auth import policy
from hub.analytics.summary import as_utc
from hub.cases.derive import HandoverState, handover_states
from hub.cases.models import Case
from hub.cases.provenance import CaseField as _CaseField, Rule as _Rule, conflicts as case_conflicts
from hub.records.enums import RecordKind as _Kind
from hub.records.enums import ReferralStatus as ReferralStatusValue
from hub.records.models import typed_record
from schema.enums import (
    CaseFact, CaseStatus, CaseTag, Category, Channel, ClosureOutcome, HandoverMode, HandoverStatus, RecordKind, ReferralOutcome,
    ReferralStatus, ReferralTarget, RiskLevel, described_enum,
)
from schema.people import PartyType
from schema.records import (
    HandoverRecordType, PetitionRecordType, RecordType, StabilityPlanRecordType, record_from_model,
)
from schema.reference import AgencyType, RegionType
from schema.relay import Connection, Node, slice_connection, to_global_id

if TYPE_CHECKING:
    from schema.campaigns import EnrolmentType


@strawberry.type(name="Handover", description="移交 — who passed the case to whom, when, and the receiver's answer "
                                              "(无缝对接: accepted, or returned with a reason).")
class HandoverType:
    id: strawberry.ID = strawberry.field(description="The handover record's global ID (answer it with acceptHandover / "
                                                   "returnHandover).")
    at: datetime = strawberry.field(description="When it was handed over.")
    status: HandoverStatus = strawberry.field(description="PENDING, ACCEPTED or RETURNED.")  # type: ignore[valid-type]
    mode: HandoverMode = strawberry.field(description="转办, 交办 or 移送.")  # type: ignore[valid-type]
    accepted: bool | None = strawberry.field(description="Accepted by the receiver; null while pending, false if returned.")
    accepted_at: datetime | None = strawberry.field(description="When it was accepted.")
    answered_at: datetime | None = strawberry.field(description="When the receiver accepted or returned it.")
    accept_by: datetime = strawberry.field(description="By when the receiver should answer: the sender's deadline, "
                                                      "else the configured days after the handover.")
    overdue: bool = strawberry.field(description="Still pending after `acceptBy`.")
    reason: str | None = strawberry.field(description="Why it was handed over.")
    return_reason: str | None = strawberry.field(description="Why the receiver returned it.")
    record: HandoverRecordType = strawberry.field(description="The handover record itself.")
    from_code: strawberry.Private[str]
    to_code: strawberry.Private[str]
    case_id: strawberry.Private[Any]

    @strawberry.field(name="from", description="The agency that handed it over.")
    async def from_agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.from_code)

    @strawberry.field(name="to", description="The receiving agency.")
    async def to_agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.to_code)

    @strawberry.field(description="The case handed over (for whoever may see it).")
    async def case(self, info: Info) -> "CaseType | None":
        found = await info.context.loaders.case_by_id.load(self.case_id)
        return found if found is not None and policy.can_view_case(info.context.principal, found.model) else None

    @classmethod
    def of_states(cls, info: Info, states: Iterable[HandoverState]) -> "list[HandoverType]":
        """The GraphQL view of handovers' states, now, with the configured days to answer."""
        now, days = datetime.now(timezone.utc), info.context.settings.warnings.handover_answer_days
        return [cls.from_state(s, now=now, default_days=days) for s in states]

    @classmethod
    def from_state(cls, state: HandoverState, *, now: datetime, default_days: int) -> "HandoverType":
        """The GraphQL view of one handover's state."""
        record = typed_record(dict(state.record))
        details = state.record.get("details") or {}
        answer = (state.answer or {}).get("details") or {}
        accept_by = state.deadline(default_days)
        return cls(
            id=to_global_id("Record", state.record["_id"]), at=state.record["occurred_at"], status=state.status,
            mode=details.get("mode") or "TRANSFER",
            accepted=None if state.status is HandoverStatus.PENDING else state.status is HandoverStatus.ACCEPTED,
            accepted_at=state.answered_at if state.status is HandoverStatus.ACCEPTED else None,
            answered_at=state.answered_at, accept_by=accept_by,
            overdue=state.status is HandoverStatus.PENDING and as_utc(accept_by) < now,  # type: ignore[operator]
            reason=details.get("reason"),
            return_reason=answer.get("reason") if state.status is HandoverStatus.RETURNED else None,
            record=record_from_model(record),  # type: ignore[arg-type]
            from_code=state.sender, to_code=state.receiver, case_id=state.record["case_id"],
        )


CaseFieldEnum = described_enum(
    _CaseField, labels.CASE_FIELD, name="CaseField", description="案件字段 — a derived case field `provenance` explains.",
    glosses={"STATUS": "`status`", "RISK_LEVEL": "`riskLevel`", "CATEGORY": "`category`",
             "LEAD_AGENCY": "`leadAgency`", "RESPONSIBLE_PERSON": "`responsiblePerson`", "DEADLINE": "`deadline`",
             "AMOUNT_IN_DISPUTE": "`amountInDispute`", "TAG": "one of `tags` (named by `tag`)"})
ProvenanceRuleEnum = described_enum(
    _Rule, labels.PROVENANCE_RULE, name="ProvenanceRule", description="取值规则 — how a field's value was chosen among "
    "the case's records (docs/provenance.md).",
    glosses={"OPENING_RECORD": "stated by the record that opened the case",
             "LATEST_RECORD": "set by the latest record that moved it to this value",
             "LATEST_ASSESSMENT": "the latest stability assessment",
             "HIGHEST_RISK": "no assessment: the highest risk level any record states",
             "LEAD_PRECEDENCE": "the first record's agency, then the agency that accepted the case or took a handover",
             "DETERMINATION": "settled by a coordination centre's determination (认定)",
             "DERIVED": "computed from several records (a mass dispute: its parties counted)",
             "DEFAULT": "no record says it"})


@strawberry.type(name="ProvenanceSource", description="The record a value comes from.")
class ProvenanceSourceType:
    record: RecordType = strawberry.field(description="The record, with its kind, agency and time.")


@strawberry.type(name="FieldProvenance", description="来源 — where one derived field's value comes from.")
class FieldProvenanceType:
    field: CaseFieldEnum = strawberry.field(description="The field.")  # type: ignore[valid-type]
    tag: CaseTag | None = strawberry.field(description="For TAG: which tag.")  # type: ignore[valid-type]
    value: str | None = strawberry.field(description="Its value, as text: a code, an agency code, a date, an amount, a name.")
    rule: ProvenanceRuleEnum = strawberry.field(description="How it was chosen.")  # type: ignore[valid-type]
    source: ProvenanceSourceType | None = strawberry.field(
        description="The record it comes from; null when no one record does (DEFAULT, DERIVED) or when that record "
                    "is one the caller may not read (维稳情报).")


@strawberry.type(name="FactValue", description="One value agencies' records state for a fact, and those records.")
class FactValueType:
    value: str = strawberry.field(description="The value, as text.")
    records: list[RecordType] = strawberry.field(description="Each agency's latest record stating it, oldest first.")


@strawberry.type(name="FactConflict", description="分歧 — agencies' records disagree on one fact of the case.")
class FactConflictType:
    fact: CaseFact = strawberry.field(description="What they disagree on.")  # type: ignore[valid-type]
    values: list[FactValueType] = strawberry.field(description="Each value, in the order first stated.")
    settled_by: RecordType | None = strawberry.field(
        description="The coordination centre's determination made after all of them (it decides the field's value); "
                    "null while unsettled: `settleConflict`.")


@strawberry.type(name="Case", description="矛盾纠纷 — one dispute with its whole history, whoever wrote each part.")
class CaseType(Node):
    case_no: str = strawberry.field(description="Case number (案件编号), e.g. JF2026000123.")
    title: str = strawberry.field(description="Short title.")
    category: Category = strawberry.field(description="纠纷类型.")  # type: ignore[valid-type]
    status: CaseStatus = strawberry.field(description="Where it stands, derived from its records.")  # type: ignore[valid-type]
    risk_level: RiskLevel = strawberry.field(description="Stability risk level (latest assessment).")  # type: ignore[valid-type]
    tags: list[CaseTag] = strawberry.field(description="积案、老案、难案、群体性、越级 ….")  # type: ignore[valid-type]
    channels: list[Channel] = strawberry.field(description="Channels that contributed records.")  # type: ignore[valid-type]
    opened_at: datetime = strawberry.field(description="When the first record about it happened.")
    last_activity_at: datetime | None = strawberry.field(description="When the latest record happened.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved (agreement, confirmation or closure).")
    closed_at: datetime | None = strawberry.field(description="When it was closed.")
    outcome: ClosureOutcome | None = strawberry.field(description="How it was closed.")  # type: ignore[valid-type]
    referral_target: ReferralTarget | None = strawberry.field(description="Where it was referred, if it was.")  # type: ignore[valid-type]
    referral_status: ReferralStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="Where its latest referral stands (REFERRED → FILED → DECIDED); null when never referred.")
    referral_outcome: ReferralOutcome | None = strawberry.field(  # type: ignore[valid-type]
        description="How its latest referral was decided; null until DECIDED.")
    responsible_person: str | None = strawberry.field(description="责任人.")
    deadline: date | None = strawberry.field(description="Deadline for handling.")
    amount_in_dispute: float | None = strawberry.field(description="争议金额, yuan: as the opening record states it, "
                                                                   "or as a coordination centre determined it.")
    record_count: int = strawberry.field(description="How many records it has.")
    petition_count: int = strawberry.field(description="How many petitions about it.")
    escalated_petition_count: int = strawberry.field(description="How many of them were 越级.")
    revision: int = strawberry.field(description="Bumped whenever its derived summary changes.")
    parties: list[PartyType] = strawberry.field(description="Parties with their roles.")
    model: strawberry.Private[Case]
    parsed: strawberry.Private[list[Any] | None] = None
    as_of: strawberry.Private[datetime | None] = None  # `case(asOf:)`: the records up to then only

    @strawberry.field(description="Where the dispute is.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.model.region_code)

    @strawberry.field(description="The agency in charge now (属地管理 / 谁主管谁负责).")
    async def lead_agency(self, info: Info) -> AgencyType | None:
        code = self.model.lead_agency_code
        return await info.context.loaders.agency_by_code.load(code) if code else None

    @strawberry.field(description="Every agency that wrote a record about it, in order of first contact.")
    async def agencies_involved(self, info: Info) -> list[AgencyType]:
        found = await info.context.loaders.agency_by_code.load_many(self.model.agencies)
        return [a for a in found if a is not None]

    @strawberry.field(description="The history in time order; each entry names the agency and channel that wrote it. "
                                  "Restricted records (维稳情报) only for the stability office and coordination centres.")
    async def timeline(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description="Records per page, 1-100.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="The `endCursor` of the previous page; the first page when omitted.")] = None,
        channels: Annotated[list[Channel] | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only records of any of these channels (调解渠道).")] = None,
        kinds: Annotated[list[RecordKind] | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only records of any of these kinds (记录类型).")] = None,
    ) -> Connection[RecordType]:
        records = await self._records(info)
        if channels:
            records = [r for r in records if r.channel in channels]
        if kinds:
            records = [r for r in records if r.kind in kinds]
        return slice_connection([record_from_model(r) for r in records], first=first, after=after,
                                key=lambda r: str(r.id))

    @strawberry.field(description="Handovers between agencies (三调联动 / 无缝对接), oldest first, each with the "
                                  "receiver's answer.")
    async def handovers(self, info: Info) -> list[HandoverType]:
        case_file = await info.context.loaders.case_file_by_id.load(self.model.id)
        visible = {r.id for r in await self._records(info)}
        return HandoverType.of_states(
            info, (s for s in handover_states(case_file.records if case_file else []) if s.record["_id"] in visible))

    @strawberry.field(description="攻坚清仓 — the backlog-clearance campaigns the case is enrolled in, earliest "
                                  "first: classification, responsible unit, stage, clearance.")
    async def campaign_enrolments(
        self, info: Info) -> list[Annotated["EnrolmentType", strawberry.lazy("schema.campaigns")]]:
        from schema.campaigns import EnrolmentType  # schema.campaigns imports this module

        found = await info.context.loaders.enrolments_by_case.load(self.model.id)
        return [EnrolmentType.from_model(e) for e in found or []]

    @strawberry.field(description="The latest stability-control plan (稳控方案), if any.")
    async def current_stability_plan(self, info: Info) -> StabilityPlanRecordType | None:
        plans = await self._records(info, _Kind.STABILITY_PLAN)
        return record_from_model(plans[-1]) if plans else None  # type: ignore[return-value]

    @strawberry.field(description="Petitions (信访件) about this dispute, oldest first.")
    async def petitions(self, info: Info) -> list[PetitionRecordType]:
        return [record_from_model(r) for r in await self._records(info, _Kind.PETITION)]  # type: ignore[misc]

    @strawberry.field(description="来源 — for each derived field (status, risk level, category, lead agency, "
                                  "responsible person, deadline, amount in dispute, each tag): its value, the record "
                                  "it comes from and the rule that chose it (docs/provenance.md).")
    async def provenance(self, info: Info) -> list[FieldProvenanceType]:
        readable = {r.id: r for r in await self._records(info)}
        found = []
        for entry in self.model.provenance:
            name = _CaseField(entry["field"])
            record = readable.get(entry.get("record_id"))
            found.append(FieldProvenanceType(
                field=name, tag=entry.get("tag"), value=_field_value(self.model, name, entry.get("tag")),
                rule=_Rule(entry["rule"]),
                source=ProvenanceSourceType(record=record_from_model(record)) if record is not None else None))
        return found

    @strawberry.field(description="分歧 — the facts the agencies' records disagree on (category, risk level, amount "
                                  "in dispute, responsible person, deadline): each agency's latest statement counts; "
                                  "each value with its records, and the determination that settled it, if one did.")
    async def conflicts(self, info: Info) -> list[FactConflictType]:
        readable = {r.id: r for r in await self._records(info)}
        docs = await self._record_docs(info)
        shown = [d for d in docs if d["_id"] in readable]

        def typed(doc: Any) -> RecordType:
            return record_from_model(readable[doc["_id"]])

        return [FactConflictType(
            fact=c.fact, values=[FactValueType(value=v.value, records=[typed(r) for r in v.records]) for v in c.values],
            settled_by=typed(c.settled_by) if c.settled_by is not None else None) for c in case_conflicts(shown)]

    async def _record_docs(self, info: Info) -> list[Any]:
        case_file = await info.context.loaders.case_file_by_id.load(self.model.id)
        docs = case_file.records if case_file else []
        return [d for d in docs if self.as_of is None or d["occurred_at"] <= self.as_of]

    async def _records(self, info: Info, kind: _Kind | None = None) -> list[Any]:
        if self.parsed is None:
            docs = await self._record_docs(info)
            self.parsed = policy.visible_records(info.context.principal, [typed_record(d) for d in docs])
        return [r for r in self.parsed if kind is None or r.kind is kind]

    @classmethod
    def from_model(cls, case: Case) -> "CaseType":
        """Convert the document."""
        return cls(
            id=to_global_id("Case", case.id), case_no=case.case_no, title=case.title, category=case.category,
            status=case.status, risk_level=case.risk_level, tags=case.tags, channels=case.channels,
            opened_at=case.opened_at, last_activity_at=case.last_activity_at, resolved_at=case.resolved_at,
            closed_at=case.closed_at, outcome=case.outcome, referral_target=case.referral_target,
            referral_status=case.referral_status or (ReferralStatusValue.REFERRED if case.referral_target else None),
            referral_outcome=case.referral_outcome,
            responsible_person=case.responsible_person, deadline=case.deadline, record_count=case.record_count,
            amount_in_dispute=case.amount_in_dispute,
            petition_count=case.petition_count, escalated_petition_count=case.escalated_petition_count,
            revision=case.revision,
            parties=[PartyType(role=p.role, name=p.name, person_id=p.person_id) for p in case.parties],
            model=case,
        )


@strawberry.input(name="DateRange", description="A closed range of instants; either end may be open.")
class DateRangeInput:
    from_: datetime | None = strawberry.field(name="from", default=None, description="On or after.")
    to: datetime | None = strawberry.field(default=None, description="Before.")


@strawberry.input(name="CaseFilter", description="Which cases to list; all given conditions must hold.")
class CaseFilterInput:
    region: str | None = strawberry.field(default=None, description="Region code; includes everything below it.")
    categories: list[Category] | None = strawberry.field(default=None, description="Any of these categories.")  # type: ignore[valid-type]
    statuses: list[CaseStatus] | None = strawberry.field(default=None, description="Any of these statuses.")  # type: ignore[valid-type]
    channels: list[Channel] | None = strawberry.field(default=None, description="Any of these channels contributed.")  # type: ignore[valid-type]
    agency: str | None = strawberry.field(default=None, description="This agency (code) wrote a record about it.")
    risk_levels: list[RiskLevel] | None = strawberry.field(default=None, description="Any of these risk levels.")  # type: ignore[valid-type]
    tags: list[CaseTag] | None = strawberry.field(default=None, description="Carries all of these tags.")  # type: ignore[valid-type]
    opened: DateRangeInput | None = strawberry.field(default=None, description="Opened within.")
    last_activity: DateRangeInput | None = strawberry.field(default=None, description="Last record within.")
    party_name: str | None = strawberry.field(default=None, description="A party has exactly this name.")


class _CaseOrder(Enum):
    """Orders of a case list (those of `hub.cases.search.CaseSort`)."""

    OPENED_AT_DESC = "OPENED_AT_DESC"
    OPENED_AT_ASC = "OPENED_AT_ASC"
    LAST_ACTIVITY_DESC = "LAST_ACTIVITY_DESC"
    CASE_NO_ASC = "CASE_NO_ASC"


CaseOrder = described_enum(
    _CaseOrder, labels.CASE_ORDER, name="CaseOrder",
    description="Order of a case list; ties broken by id, so pages never skip or repeat.",
    glosses={"OPENED_AT_DESC": "latest opened first", "OPENED_AT_ASC": "earliest opened first",
             "LAST_ACTIVITY_DESC": "latest activity first", "CASE_NO_ASC": "by case number"},
)


def _field_value(case: Case, name: _CaseField, tag: str | None) -> str | None:
    """A derived field's value as text, for `provenance`."""
    value: Any = {
        _CaseField.STATUS: case.status, _CaseField.RISK_LEVEL: case.risk_level, _CaseField.CATEGORY: case.category,
        _CaseField.LEAD_AGENCY: case.lead_agency_code, _CaseField.RESPONSIBLE_PERSON: case.responsible_person,
        _CaseField.DEADLINE: case.deadline, _CaseField.AMOUNT_IN_DISPUTE: case.amount_in_dispute, _CaseField.TAG: tag,
    }[name]
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@strawberry.input(name="SettleConflictInput", description="认定 — a coordination centre's decision on one fact.")
class SettleConflictInput:
    case_no: str = strawberry.field(description="The case number (案件编号).")
    fact: CaseFact = strawberry.field(description="What is settled.")  # type: ignore[valid-type]
    value: str = strawberry.field(description="The value settled on: a category or risk level code, an amount in "
                                              "yuan, a date (YYYY-MM-DD), a name.")
    reason: str = strawberry.field(description="Why (认定理由, 1-4,000 characters): it is kept with the decision.")
