"""Backlog-clearance campaigns (攻坚破难专项行动, 清仓消案): a campaign, and each backlog case enrolled in it.

A campaign names a region, a period and the categories it targets. Each enrolled case is classified
(甄别分类: 积案 / 老案 / 难案 / 骨头案 / 钉子案, and whether it is a historical legacy), gets a
responsibility at a level (逐一明确责任、措施: a unit, a person, measures, a deadline), may be escalated
up the levels (unit → coordination centre → party committee and government), and is cleared with
its outcome (消案). Enrolments live in their own collection, one document each, so that progress
figures, warnings and a unit's work list read them by index without opening the campaign.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from hub.cases.models import Category


class BacklogKind(StrEnum):
    """甄别分类: what sort of backlog case it is."""

    ACCUMULATED = "ACCUMULATED"  # 积案: piled up, unresolved
    OLD = "OLD"  # 老案: open for years
    DIFFICULT = "DIFFICULT"  # 难案: hard to resolve
    HARD_BONE = "HARD_BONE"  # 骨头案: the hardest ("hard bones")
    NAIL = "NAIL"  # 钉子案: a party who will not settle ("nail households")


class ResponsibilityLevel(StrEnum):
    """层级: the level of the unit responsible, from its home region."""

    DISTRICT = "DISTRICT"
    TOWNSHIP = "TOWNSHIP"
    VILLAGE = "VILLAGE"


class EscalationStage(StrEnum):
    """Who is handling the case now, lowest first: the responsible unit, then the coordination centre,
    then the party committee and government (报党委、政府协调解决)."""

    UNIT = "UNIT"
    COORDINATION_CENTRE = "COORDINATION_CENTRE"
    PARTY_GOVERNMENT = "PARTY_GOVERNMENT"


ESCALATION_PATH = list(EscalationStage)  # the only order a case moves in, one stage at a time


class ClearanceOutcome(StrEnum):
    """How an enrolled case was cleared (消案)."""

    RESOLVED = "RESOLVED"  # 化解: the dispute is settled
    LAWFUL_CHANNEL = "LAWFUL_CHANNEL"  # 依法导入: arbitration, ruling, reconsideration or litigation took it
    PETITION_ENDED = "PETITION_ENDED"  # 息诉罢访: the party stopped petitioning
    CONCLUDED = "CONCLUDED"  # 依法终结: concluded by law (终结信访 and the like)


class Campaign(Document):
    """One campaign of a region over a period, for some categories (none: every category)."""

    name: str
    region_code: str
    region_path: list[str]
    starts_on: date
    ends_on: date
    categories: list[Category] = Field(default_factory=list)
    created_by: str
    created_by_user: str
    created_at: datetime

    def targets(self, category: Category) -> bool:
        """A case of this category may be enrolled."""
        return not self.categories or category in self.categories

    class Settings:
        name = "campaigns"
        indexes = [
            # A region's campaigns (`campaigns(region:)`, the brief's section), latest start first.
            IndexModel([("region_path", ASCENDING), ("starts_on", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("region_code", ASCENDING)]),  # the campaigns of the regions above an agency's
        ]


class Responsibility(BaseModel):
    """逐一明确责任、措施: the unit and person responsible, what they will do, by when."""

    level: ResponsibilityLevel
    unit_code: str  # an agency's code
    person: str
    measures: str
    deadline: date
    assigned_by: str
    assigned_by_user: str
    assigned_at: datetime


class StepKind(StrEnum):
    """What happened to an enrolled case."""

    ENROLLED = "ENROLLED"
    ASSIGNED = "ASSIGNED"
    ESCALATED = "ESCALATED"
    CLEARED = "CLEARED"


class Step(BaseModel):
    """One entry of an enrolment's history: who did what, when, and why (an escalation's reason)."""

    kind: StepKind
    at: datetime
    by: str
    by_user: str
    stage: EscalationStage  # the stage after the step
    text: str  # a one-line account in Chinese, for the history and the report


class Clearance(BaseModel):
    """消案: how the case was cleared, by whom, when."""

    outcome: ClearanceOutcome
    note: str
    by: str
    by_user: str
    at: datetime


class Enrolment(Document):
    """A backlog case in a campaign: its classification, responsibility, escalations and clearance."""

    campaign_id: PydanticObjectId
    case_id: PydanticObjectId
    case_no: str
    category: Category
    region_code: str
    region_path: list[str]
    township_code: str | None = None
    kind: BacklogKind
    historical_legacy: bool = False  # 历史遗留
    note: str = ""  # 甄别意见: why it is classified so
    enrolled_by: str
    enrolled_by_user: str
    enrolled_at: datetime
    responsibility: Responsibility | None = None
    stage: EscalationStage = EscalationStage.UNIT
    steps: list[Step] = Field(default_factory=list)
    clearance: Clearance | None = None
    # Denormalised for the queries below: the responsible unit, its deadline, whether it is cleared.
    unit_code: str | None = None
    deadline: date | None = None
    cleared: bool = False

    def overdue(self, on: date) -> bool:
        """Not cleared, and its deadline has passed."""
        return not self.cleared and self.deadline is not None and self.deadline < on

    class Settings:
        name = "campaign_enrolments"
        use_revision = True  # two coordinators acting on one enrolment: the second gets CONFLICT
        indexes = [
            IndexModel([("campaign_id", ASCENDING), ("case_id", ASCENDING)], unique=True),  # once per campaign
            # A campaign's enrolments in case-number order (`campaignEnrolments`, the progress figures).
            IndexModel([("campaign_id", ASCENDING), ("case_no", ASCENDING), ("_id", ASCENDING)]),
            # Open enrolments of a region (early warnings), and a unit's own work list.
            IndexModel([("region_path", ASCENDING), ("cleared", ASCENDING)]),
            IndexModel([("unit_code", ASCENDING), ("cleared", ASCENDING), ("deadline", ASCENDING), ("_id", ASCENDING)]),
            IndexModel([("case_id", ASCENDING)]),  # a case's campaigns (the case view)
            IndexModel([("cleared", ASCENDING), ("deadline", ASCENDING)]),  # deadlines near (the watch)
        ]
