"""Cross-department summaries (分析研判) and early warnings (预警)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import strawberry
from strawberry.types import Info

from hub.analytics import labels
from hub.analytics import summary as domain
from hub.analytics import warnings as warning_domain
from schema.cases import CaseType, DateRangeInput
from schema.enums import (
    CaseStatus, CaseTag, Category, Channel, ReferralOutcome, ReferralStatus, ReferralTarget, RiskLevel, described_enum,
)
from schema.reference import AgencyType

SummaryDimension = described_enum(
    domain.Dimension, labels.SUMMARY_DIMENSION,
    name="SummaryDimension",
    description="What a summary is grouped by: 单位、单位类型、渠道、纠纷类型、乡镇(街道)、月份. A case counts once "
                "for each agency (kind, channel) it involves.",
    glosses={"AGENCY": "each agency that wrote a record", "AGENCY_KIND": "each kind of those agencies",
             "CHANNEL": "each channel that contributed", "CATEGORY": "the dispute category",
             "TOWNSHIP": "the township (street) the case lies in", "MONTH": "the month it was opened (YYYY-MM)"},
)
WarningRule = described_enum(warning_domain.Rule, warning_domain.RULE_LABELS, name="WarningRule", description="预警规则.",
                             glosses={
    "REPEAT_PETITIONS": "one petitioner petitioned repeatedly within the window",
    "ESCALATED_PETITION": "a recent level-skipping petition on an unresolved case",
    "MASS_DISPUTE": "an open case with many parties",
    "HIGH_RISK_WITHOUT_PLAN": "high or major risk and no stability-control plan",
    "PLAN_REVIEW_OVERDUE": "the stability-control plan is past its review date",
    "STALLED": "an open case with no new record for too long",
    "HANDOVER_CHURN": "handed over between agencies repeatedly, never accepted",
    "BACKLOG_UNASSIGNED": "a backlog case with no responsible person",
})
Severity = described_enum(warning_domain.Severity, labels.SEVERITY, name="WarningSeverity",
                          description="红 CRITICAL、橙 HIGH、黄 MEDIUM.",
                          glosses={"CRITICAL": "critical: act at once", "HIGH": "high", "MEDIUM": "medium"})


@strawberry.input(name="SummaryFilter", description="Which cases a summary counts; all given conditions hold.")
class SummaryFilterInput:
    region: str | None = strawberry.field(default=None, description="Region code; includes everything below it.")
    period: DateRangeInput | None = strawberry.field(default=None, description="Cases opened within (统计期间).")
    categories: list[Category] | None = strawberry.field(default=None, description="Any of these categories.")  # type: ignore[valid-type]
    agencies: list[str] | None = strawberry.field(default=None, description="Any of these agencies (codes) wrote a record.")
    channels: list[Channel] | None = strawberry.field(default=None, description="Any of these channels contributed.")  # type: ignore[valid-type]
    as_of: datetime | None = strawberry.field(default=None, description="The instant backlog ages are measured at; now when omitted.")
    backlog_days: int = strawberry.field(default=domain.DEFAULT_BACKLOG_DAYS,
                                         description="An open case older than this many days is backlog (积案).")

    def to_domain(self) -> domain.SummaryFilter:
        """The domain filter."""
        return domain.SummaryFilter(
            region=self.region, opened_from=self.period.from_ if self.period else None,
            opened_to=self.period.to if self.period else None,
            categories=[c.value for c in self.categories] if self.categories else None,
            agencies=self.agencies, channels=[c.value for c in self.channels] if self.channels else None,
            as_of=self.as_of, backlog_days=self.backlog_days,
        )


@strawberry.type(name="ReferralCount", description="Cases referred to one target.")
class ReferralCount:
    target: ReferralTarget = strawberry.field(description="仲裁、行政裁决、行政复议、诉讼、刑事和解、和解.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many.")


@strawberry.type(name="ReferralStateCount", description="Cases whose latest referral went to one target and stands "
                                                    "in one state (and, once decided, has one outcome).")
class ReferralStateCount:
    target: ReferralTarget = strawberry.field(description="仲裁、行政裁决、行政复议、诉讼、刑事和解、和解.")  # type: ignore[valid-type]
    status: ReferralStatus = strawberry.field(description="REFERRED, FILED or DECIDED.")  # type: ignore[valid-type]
    outcome: ReferralOutcome | None = strawberry.field(description="How it was decided; null unless DECIDED.")  # type: ignore[valid-type]
    cases: int = strawberry.field(description="How many cases.")


@strawberry.type(name="RiskLevelCount", description="Cases at one stability risk level.")
class RiskLevelCount:
    level: RiskLevel = strawberry.field(description="风险等级.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many.")


@strawberry.type(name="StatusCount", description="Cases in one status.")
class StatusCount:
    status: CaseStatus = strawberry.field(description="Status.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many.")


@strawberry.type(name="TagCount", description="Cases carrying one tag.")
class TagCount:
    tag: CaseTag = strawberry.field(description="积案、老案、难案 ….")  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many.")


@strawberry.type(name="SummaryFigures", description="The figures of a group of cases.")
class SummaryFiguresType:
    cases: int = strawberry.field(description="Cases counted (opened in the period).")
    screened: int = strawberry.field(description="Found by screening (排查).")
    accepted: int = strawberry.field(description="Accepted by an agency (受理).")
    in_mediation: int = strawberry.field(description="In mediation now (调解中).")
    resolved: int = strawberry.field(description="Resolved by agreement or confirmation (调解成功).")
    failed: int = strawberry.field(description="Mediation failed (调解不成).")
    referred: int = strawberry.field(description="Referred (status REFERRED): arbitration, ruling, reconsideration, "
                                                 "litigation, criminal reconciliation or settlement.")
    withdrawn: int = strawberry.field(description="Closed by withdrawal.")
    open: int = strawberry.field(description="Still open (screened, accepted or in mediation).")
    escalated: int = strawberry.field(description="With an escalated (越级) petition.")
    mass_disputes: int = strawberry.field(description="群体性纠纷.")
    petitions: int = strawberry.field(description="Petitions (信访件) about them.")
    escalated_petitions: int = strawberry.field(description="Of those, escalated (越级).")
    backlog: int = strawberry.field(description="Open longer than `backlogDays` at `asOf` (积案).")
    referred_by_target: list[ReferralCount] = strawberry.field(description="Referred cases by target.")
    referrals_by_outcome: list[ReferralStateCount] = strawberry.field(
        description="Cases with a referral (whatever their status now), by their latest referral's target, state and "
                    "outcome (依法引导、诉调对接 tracked to the outcome); only non-zero counts, sorted.")
    by_risk_level: list[RiskLevelCount] = strawberry.field(description="Cases by stability risk level.")
    by_status: list[StatusCount] = strawberry.field(description="Cases by status.")
    tagged: list[TagCount] = strawberry.field(description="Cases by tag (积案、老案、难案 as tagged by agencies).")
    resolution_rate: float | None = strawberry.field(description="Resolved ÷ (resolved + failed + referred); null when none concluded.")
    median_days_to_resolution: float | None = strawberry.field(description="Median whole days from opening to resolution.")

    @classmethod
    def from_domain(cls, f: domain.Figures) -> "SummaryFiguresType":
        """Convert the figures."""
        def counts(counter: Counter[str], make, enum, field: str) -> list:  # type: ignore[no-untyped-def]
            return [make(**{field: enum(k), "count": v}) for k, v in sorted(counter.items()) if v]

        return cls(
            cases=f.cases, screened=f.screened, accepted=f.accepted, in_mediation=f.in_mediation,
            resolved=f.resolved, failed=f.failed, referred=f.referred, withdrawn=f.withdrawn, open=f.open,
            escalated=f.escalated, mass_disputes=f.mass, petitions=f.petitions,
            escalated_petitions=f.escalated_petitions, backlog=f.backlog,
            referred_by_target=counts(f.referred_by_target, ReferralCount, ReferralTarget, "target"),
            referrals_by_outcome=[
                ReferralStateCount(target=ReferralTarget(t), status=ReferralStatus(st),  # type: ignore[operator]
                                   outcome=ReferralOutcome(o) if o else None, cases=n)  # type: ignore[operator]
                for (t, st, o), n in sorted(f.referrals.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or ""))
                if n],
            by_risk_level=counts(f.by_risk_level, RiskLevelCount, RiskLevel, "level"),
            by_status=counts(f.by_status, StatusCount, CaseStatus, "status"),
            tagged=counts(f.tagged, TagCount, CaseTag, "tag"),
            resolution_rate=f.resolution_rate, median_days_to_resolution=f.median_days_to_resolution,
        )


@strawberry.type(name="SummaryKey", description="One dimension's value of a group.")
class SummaryKeyType:
    dimension: SummaryDimension = strawberry.field(description="The dimension.")  # type: ignore[valid-type]
    value: str | None = strawberry.field(description="Its value: agency code, kind, channel, category, township code or YYYY-MM; null when the case has none.")

    @strawberry.field(description="The value as people read it: the agency's or township's name, 劳动争议, 2026年11月 ….")
    async def label(self, info: Info) -> str | None:
        if self.value is None:
            return None
        if self.dimension is domain.Dimension.AGENCY:
            agency = await info.context.loaders.agency_by_code.load(self.value)
            return agency.name if agency else self.value
        if self.dimension is domain.Dimension.TOWNSHIP:
            region = await info.context.loaders.region_by_code.load(self.value)
            return region.name if region else self.value
        return label_of(self.dimension, self.value)


def label_of(dimension: domain.Dimension, value: str) -> str:
    """The Chinese label of a dimension value that needs no look-up."""
    table = {domain.Dimension.AGENCY_KIND: labels.AGENCY_KIND, domain.Dimension.CHANNEL: labels.CHANNEL,
             domain.Dimension.CATEGORY: labels.CATEGORY}.get(dimension)
    if table is not None:
        return table.get(value, value)
    if dimension is domain.Dimension.MONTH:
        year, month = value.split("-")
        return f"{year}年{int(month)}月"
    return value


@strawberry.type(name="SummaryGroup", description="One group of a summary: its key and its figures.")
class SummaryGroupType:
    key: list[SummaryKeyType] = strawberry.field(description="One entry per `groupBy` dimension, in that order.")
    figures: SummaryFiguresType = strawberry.field(description="The group's figures.")


@strawberry.type(name="Summary", description="分析研判 — figures over the matched cases, in total and by group.")
class SummaryType:
    total: SummaryFiguresType = strawberry.field(description="Every matched case, each counted once.")
    groups: list[SummaryGroupType] = strawberry.field(description="By every combination of the `groupBy` values, sorted by key.")

    @classmethod
    def from_domain(cls, s: domain.Summary) -> "SummaryType":
        """Convert the summary."""
        return cls(
            total=SummaryFiguresType.from_domain(s.total),
            groups=[SummaryGroupType(key=[SummaryKeyType(dimension=d, value=row.key[d]) for d in s.group_by],
                                     figures=SummaryFiguresType.from_domain(row.figures)) for row in s.rows],
        )


@strawberry.type(name="EarlyWarning", description="预警 — a rule that fired on a case, why, and who must act.")
class EarlyWarningType:
    rule: WarningRule = strawberry.field(description="The rule.")  # type: ignore[valid-type]
    severity: Severity = strawberry.field(description="How urgent.")  # type: ignore[valid-type]
    reason: str = strawberry.field(description="Why, in words (Chinese).")
    case_no: str = strawberry.field(description="The case's number.")
    agency_code: strawberry.Private[str | None]
    case_id: strawberry.Private[object]

    @strawberry.field(description="The rule's name as people know it: 重复信访、越级信访 ….")
    def rule_label(self) -> str:
        return warning_domain.RULE_LABELS[self.rule]  # type: ignore[index]

    @strawberry.field(description="The case it is about.")
    async def case(self, info: Info) -> CaseType | None:
        return await info.context.loaders.case_by_id.load(self.case_id)

    @strawberry.field(description="The agency responsible for acting on it (the case's lead agency).")
    async def responsible_agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.agency_code) if self.agency_code else None

    @classmethod
    def from_domain(cls, w: warning_domain.EarlyWarning) -> "EarlyWarningType":
        """Convert the warning."""
        return cls(rule=w.rule, severity=w.severity, reason=w.reason, case_no=w.case_no,
                   agency_code=w.agency_code, case_id=w.case_id)
