"""Backlog-clearance campaigns (攻坚破难·清仓消案): campaigns, enrolled cases, progress figures."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from hub.analytics import labels
from hub.auth import policy
from hub.campaigns import models as m
from hub.campaigns import service as s
from hub.cases.derive import district_day
from schema.cases import CaseType
from schema.enums import Category, described_enum
from schema.reference import AgencyType, RegionType
from schema.relay import Node, to_global_id

BacklogKind = described_enum(m.BacklogKind, labels.BACKLOG_KIND, name="BacklogKind",
                             description="甄别分类 — what sort of backlog case it is.", glosses={
    "ACCUMULATED": "piled up over time, unresolved", "OLD": "open for years", "DIFFICULT": "hard to resolve",
    "HARD_BONE": "the hardest cases (硬骨头)", "NAIL": "a party who will not settle (钉子户)",
})
ResponsibilityLevel = described_enum(m.ResponsibilityLevel, labels.RESPONSIBILITY_LEVEL, name="ResponsibilityLevel",
                                     description="层级 — the level of the responsible unit, from its home region.",
                                     glosses={"DISTRICT": "a district body", "TOWNSHIP": "a township (street) body",
                                              "VILLAGE": "a village (community) body"})
EscalationStage = described_enum(m.EscalationStage, labels.ESCALATION_STAGE, name="EscalationStage",
                                 description="Who handles the case now; a case moves up one stage at a time.",
                                 glosses={"UNIT": "the responsible unit",
                                          "COORDINATION_CENTRE": "本级无力化解: the coordination centre",
                                          "PARTY_GOVERNMENT": "确有重大困难: the party committee and government"})
ClearanceOutcome = described_enum(m.ClearanceOutcome, labels.CLEARANCE_OUTCOME, name="ClearanceOutcome",
                                  description="消案 — how an enrolled case was cleared.", glosses={
    "RESOLVED": "the dispute is settled (the case must be resolved or closed)",
    "LAWFUL_CHANNEL": "arbitration, ruling, reconsideration or litigation took it (the case must be referred)",
    "PETITION_ENDED": "the party stopped petitioning", "CONCLUDED": "concluded by law",
})
CampaignStepKind = described_enum(m.StepKind, labels.CAMPAIGN_STEP, name="CampaignStepKind",
                                  description="What happened to an enrolled case.", glosses={
    "ENROLLED": "enrolled and classified", "ASSIGNED": "responsibility named", "ESCALATED": "moved up one stage",
    "CLEARED": "cleared with its outcome",
})
CampaignDimension = described_enum(s.Dimension, labels.CAMPAIGN_DIMENSION, name="CampaignDimension",
                                   description="What campaign progress is grouped by.", glosses={
    "TOWNSHIP": "the case's township (street)", "LEVEL": "the responsible unit's level (none: unassigned)",
    "KIND": "the backlog kind",
})


@strawberry.type(name="Responsibility", description="逐一明确责任、措施 — who answers for the case, how, and by when.")
class ResponsibilityType:
    level: ResponsibilityLevel = strawberry.field(description="The unit's level.")  # type: ignore[valid-type]
    person: str = strawberry.field(description="责任人 — the person responsible.")
    measures: str = strawberry.field(description="化解措施 — the measures.")
    deadline: date = strawberry.field(description="化解时限 — the day it must be cleared by.")
    assigned_at: datetime = strawberry.field(description="When it was assigned.")
    unit_code: strawberry.Private[str]
    assigned_by_code: strawberry.Private[str]

    @strawberry.field(description="责任单位 — the responsible unit.")
    async def unit(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.unit_code)

    @strawberry.field(description="The coordination centre that assigned it.")
    async def assigned_by(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.assigned_by_code)


@strawberry.type(name="CampaignStep", description="One entry of an enrolled case's history.")
class CampaignStepType:
    kind: CampaignStepKind = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    at: datetime = strawberry.field(description="When.")
    stage: EscalationStage = strawberry.field(description="The stage after the step.")  # type: ignore[valid-type]
    text: str = strawberry.field(description="A one-line account (Chinese), with an escalation's reason.")
    user: str = strawberry.field(description="The user who did it.")
    agency_code: strawberry.Private[str]

    @strawberry.field(description="The agency that did it.")
    async def agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.agency_code)


@strawberry.type(name="Clearance", description="消案 — how and when the case was cleared.")
class ClearanceType:
    outcome: ClearanceOutcome = strawberry.field(description="The outcome.")  # type: ignore[valid-type]
    note: str = strawberry.field(description="What was done.")
    at: datetime = strawberry.field(description="When it was cleared.")
    by_code: strawberry.Private[str]

    @strawberry.field(description="The agency that cleared it.")
    async def by(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.by_code)


@strawberry.type(name="CampaignEnrolment", description="清仓案件 — a backlog case in a campaign: its classification, "
                                                       "responsibility, stage, history and clearance.")
class EnrolmentType(Node):
    case_no: str = strawberry.field(description="The case's number.")
    category: Category = strawberry.field(description="纠纷类型.")  # type: ignore[valid-type]
    kind: BacklogKind = strawberry.field(description="甄别分类.")  # type: ignore[valid-type]
    historical_legacy: bool = strawberry.field(description="历史遗留 — a legacy of earlier policy or events.")
    note: str = strawberry.field(description="甄别意见 — why it is classified so.")
    enrolled_at: datetime = strawberry.field(description="When it was enrolled.")
    stage: EscalationStage = strawberry.field(description="Who handles it now.")  # type: ignore[valid-type]
    responsibility: ResponsibilityType | None = strawberry.field(description="Null until a responsibility is named.")
    steps: list[CampaignStepType] = strawberry.field(description="Its history, oldest first.")
    clearance: ClearanceType | None = strawberry.field(description="Null until it is cleared.")
    cleared: bool = strawberry.field(description="消案 — cleared.")
    overdue: bool = strawberry.field(description="Not cleared and past its deadline (today, district time).")
    model: strawberry.Private[m.Enrolment]

    @strawberry.field(description="The case, when the caller may see it (the case policy); otherwise null.")
    async def case(self, info: Info) -> CaseType | None:
        found = await info.context.loaders.case_by_id.load(self.model.case_id)
        return found if found is not None and policy.can_view_case(info.context.principal, found.model) else None

    @strawberry.field(description="The case's region.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.model.region_code)

    @strawberry.field(description="The campaign, when the caller may read it (an agency inside its region).")
    async def campaign(self, info: Info) -> "CampaignType | None":
        found = await info.context.loaders.campaign_by_id.load(self.model.campaign_id)
        return CampaignType.from_model(found) if found and policy.can_view_campaign(info.context.principal, found) \
            else None

    @classmethod
    def from_model(cls, e: m.Enrolment) -> "EnrolmentType":
        """Convert the document."""
        r, c = e.responsibility, e.clearance
        return cls(
            id=to_global_id("CampaignEnrolment", e.id), case_no=e.case_no, category=e.category, kind=e.kind,
            historical_legacy=e.historical_legacy, note=e.note, enrolled_at=e.enrolled_at, stage=e.stage,
            responsibility=r and ResponsibilityType(level=r.level, person=r.person, measures=r.measures,
                                                    deadline=r.deadline, assigned_at=r.assigned_at,
                                                    unit_code=r.unit_code, assigned_by_code=r.assigned_by),
            steps=[CampaignStepType(kind=p.kind, at=p.at, stage=p.stage, text=p.text, user=p.by_user,
                                    agency_code=p.by) for p in e.steps],
            clearance=c and ClearanceType(outcome=c.outcome, note=c.note, at=c.at, by_code=c.by),
            cleared=e.cleared, overdue=e.overdue(district_day()), model=e,
        )


@strawberry.type(name="CampaignFigures", description="清仓进度 — the figures of a group of enrolled cases.")
class CampaignFiguresType:
    enrolled: int = strawberry.field(description="纳入清仓 — cases enrolled.")
    assigned: int = strawberry.field(description="With a responsibility named.")
    unassigned: int = strawberry.field(description="未明确责任 — without one.")
    escalated: int = strawberry.field(description="提级协调 — moved past the unit.")
    cleared: int = strawberry.field(description="已消案 — cleared.")
    overdue: int = strawberry.field(description="逾期 — not cleared, past their deadline.")
    historical_legacy: int = strawberry.field(description="历史遗留 — of them, historical legacies.")
    clearance_rate: float | None = strawberry.field(description="清仓率 — cleared ÷ enrolled; null with none.")

    @classmethod
    def from_domain(cls, p: s.Progress) -> "CampaignFiguresType":
        """Convert the figures."""
        return cls(enrolled=p.enrolled, assigned=p.assigned, unassigned=p.unassigned, escalated=p.escalated,
                   cleared=p.cleared, overdue=p.overdue, historical_legacy=p.historical_legacy,
                   clearance_rate=p.clearance_rate)


@strawberry.type(name="CampaignGroupKey", description="A group's key: the value of each dimension grouped by.")
class CampaignGroupKeyType:
    kind: BacklogKind | None = strawberry.field(description="The backlog kind (KIND).")  # type: ignore[valid-type]
    level: ResponsibilityLevel | None = strawberry.field(  # type: ignore[valid-type]
        description="The responsibility level (LEVEL); null: not yet assigned.")
    township_code: strawberry.Private[str | None]
    dimensions: strawberry.Private[tuple[s.Dimension, ...]]

    @strawberry.field(description="The township (TOWNSHIP).")
    async def township(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.township_code) if self.township_code else None

    @strawberry.field(description="The key in Chinese, e.g. 柳林镇 / 乡镇(街道)级 / 积案.")
    async def label(self, info: Info) -> str:
        parts = []
        for dimension in self.dimensions:
            if dimension is s.Dimension.TOWNSHIP:
                region = await self.township(info)
                parts.append(region.name if region else "未知乡镇")
            elif dimension is s.Dimension.LEVEL:
                parts.append(labels.RESPONSIBILITY_LEVEL.get(self.level or "", "未明确责任"))
            else:
                parts.append(labels.BACKLOG_KIND.get(self.kind or "", "—"))
        return " / ".join(parts)


@strawberry.type(name="CampaignGroup", description="One group of a campaign's progress.")
class CampaignGroupType:
    key: CampaignGroupKeyType = strawberry.field(description="Which group.")
    figures: CampaignFiguresType = strawberry.field(description="Its figures.")


@strawberry.type(name="CampaignProgress", description="清仓进度 — a campaign's figures on a day.")
class CampaignProgressType:
    on: date = strawberry.field(description="The day the figures are for (overdue is judged on it).")
    total: CampaignFiguresType = strawberry.field(description="The whole campaign.")
    groups: list[CampaignGroupType] = strawberry.field(description="By the dimensions asked for.")

    @classmethod
    def from_domain(cls, report: s.ProgressReport) -> "CampaignProgressType":
        """Convert the report."""
        groups = []
        for row in report.rows:
            k = row.key
            key = CampaignGroupKeyType(
                kind=m.BacklogKind(k[s.Dimension.KIND]) if k.get(s.Dimension.KIND) else None,
                level=m.ResponsibilityLevel(k[s.Dimension.LEVEL]) if k.get(s.Dimension.LEVEL) else None,
                township_code=k.get(s.Dimension.TOWNSHIP), dimensions=report.group_by)
            groups.append(CampaignGroupType(key=key, figures=CampaignFiguresType.from_domain(row.figures)))
        return cls(on=report.on, total=CampaignFiguresType.from_domain(report.total), groups=groups)


@strawberry.type(name="Campaign", description="攻坚破难专项行动 — a backlog-clearance campaign (清仓消案) of a region.")
class CampaignType(Node):
    name: str = strawberry.field(description="The campaign's name.")
    starts_on: date = strawberry.field(description="Its first day.")
    ends_on: date = strawberry.field(description="Its last day.")
    categories: list[Category] = strawberry.field(  # type: ignore[valid-type]
        description="重点领域 — the categories it targets; empty: every category.")
    created_at: datetime = strawberry.field(description="When it was created.")
    model: strawberry.Private[m.Campaign]

    @strawberry.field(description="The campaign's region.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.model.region_code)

    @strawberry.field(description="The coordination centre that created it.")
    async def created_by(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.model.created_by)

    @classmethod
    def from_model(cls, c: m.Campaign) -> "CampaignType":
        """Convert the document."""
        return cls(id=to_global_id("Campaign", c.id), name=c.name, starts_on=c.starts_on, ends_on=c.ends_on,
                   categories=list(c.categories), created_at=c.created_at, model=c)


@strawberry.type(name="BriefCampaign", description="攻坚破难·清仓消案进展 — a campaign that ran in the brief's period.")
class BriefCampaignType:
    campaign: CampaignType = strawberry.field(description="The campaign.")
    by_township: CampaignProgressType = strawberry.field(description="Its progress by township, on the brief's day.")
    by_kind: CampaignProgressType = strawberry.field(description="Its progress by backlog kind, on the brief's day.")


@strawberry.input(name="CreateCampaignInput", description="A new campaign: name, region, period, target categories.")
class CreateCampaignInput:
    name: str = strawberry.field(description="The name (1-100 characters), e.g. 2026年矛盾纠纷攻坚破难专项行动.")
    region: str = strawberry.field(description="The region's code.")
    starts_on: date = strawberry.field(description="The first day.")
    ends_on: date = strawberry.field(description="The last day (on or after the first; at most three years on).")
    categories: list[Category] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list, description="The categories it targets; empty or omitted: every category.")


@strawberry.input(name="EnrolCaseInput", description="One backlog case to enrol, with its classification.")
class EnrolCaseInput:
    case_no: str = strawberry.field(description="The case's number.")
    kind: BacklogKind = strawberry.field(description="甄别分类.")  # type: ignore[valid-type]
    historical_legacy: bool = strawberry.field(default=False, description="历史遗留 — a historical legacy.")
    note: str = strawberry.field(default="", description="甄别意见 (at most 1,000 characters).")

    def to_domain(self) -> s.NewEnrolment:
        """The service's entry."""
        return s.NewEnrolment(case_no=self.case_no, kind=m.BacklogKind(self.kind),
                              historical_legacy=self.historical_legacy, note=self.note)


@strawberry.input(name="AssignResponsibilityInput", description="逐一明确责任、措施 — the unit, person, measures, deadline.")
class AssignResponsibilityInput:
    unit_code: str = strawberry.field(description="The responsible unit's agency code; its region gives the level.")
    person: str = strawberry.field(description="责任人 (1-50 characters).")
    measures: str = strawberry.field(description="化解措施 (1-1,000 characters).")
    deadline: date = strawberry.field(description="化解时限 — from today to the campaign's last day.")


@strawberry.type(name="EnrolError", description="Why one case was not enrolled.")
class EnrolErrorType:
    code: str = strawberry.field(description="CASE_NOT_FOUND, CASE_OUTSIDE_REGION, CATEGORY_NOT_TARGETED, "
                                             "CASE_NOT_OPEN, NOT_BACKLOG, DUPLICATE_IN_CALL, TEXT_TOO_LONG or "
                                             "ALREADY_ENROLLED.")
    message: str = strawberry.field(description="What is wrong, for a person.")
    field: str = strawberry.field(description="The input field at fault (caseNo or note).")


@strawberry.type(name="EnrolResult", description="The outcome of the case at `index`.")
class EnrolResultType:
    index: int = strawberry.field(description="Its position in `cases`, from 0.")
    case_no: str = strawberry.field(description="The case number given.")
    enrolment: EnrolmentType | None = strawberry.field(description="The enrolment; null when refused.")
    errors: list[EnrolErrorType] = strawberry.field(description="Why it was refused; empty when enrolled.")


@strawberry.type(name="EnrolCasesResult", description="Per-case results, in input order, and counts.")
class EnrolCasesResultType:
    results: list[EnrolResultType] = strawberry.field(description="One per case given, in order.")
    enrolled: int = strawberry.field(description="Cases enrolled by this call.")
    rejected: int = strawberry.field(description="Cases refused; see their errors.")

    @classmethod
    def from_domain(cls, outcomes: list[s.EnrolOutcome]) -> "EnrolCasesResultType":
        """Convert the service's outcomes."""
        results = [EnrolResultType(
            index=o.index, case_no=o.case_no, enrolment=EnrolmentType.from_model(o.enrolment) if o.enrolment else None,
            errors=[EnrolErrorType(code=e.code, message=e.message, field=e.field) for e in o.errors],
        ) for o in outcomes]
        done = sum(1 for o in outcomes if o.enrolment is not None)
        return cls(results=results, enrolled=done, rejected=len(outcomes) - done)
