"""Joint meetings (联席会议), their decisions, and the brief a meeting is prepared from."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from hub.analytics import labels
from hub.meetings import models as m
from hub.meetings.brief import AgendaItem, Brief
from hub.meetings.service import OpenDecision
from schema.analytics import EarlyWarningType, SummaryType
from schema.campaigns import BriefCampaignType, CampaignProgressType, CampaignType
from schema.cases import CaseType
from schema.enums import described_enum
from schema.permissions import CanSeeMeetingAgenda
from schema.records import RecordType, record_from_model
from schema.reference import AgencyType, RegionType
from schema.relay import Node, to_global_id

MeetingLevel = described_enum(m.MeetingLevel, labels.MEETING_LEVEL, name="MeetingLevel", description="区级 or 乡镇(街道)级.")
DecisionStatus = described_enum(m.DecisionStatus, labels.DECISION_STATUS, name="DecisionStatus",
                                description="OPEN until carried out, then DONE.",
                                glosses={"OPEN": "not carried out yet", "DONE": "carried out"})


@strawberry.type(name="Decision", description="会议决定事项 — what a meeting decided, who carries it out, by when.")
class DecisionType:
    key: str = strawberry.field(description="The decision's key within its meeting (D1, D2, …).")
    text: str = strawberry.field(description="What was decided.")
    due_date: date = strawberry.field(description="When it is due.")
    status: DecisionStatus = strawberry.field(description="OPEN or DONE.")  # type: ignore[valid-type]
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    done_at: datetime | None = strawberry.field(description="When it was marked done.")
    done_note: str | None = strawberry.field(description="What was done, as reported.")
    owner_code: strawberry.Private[str]
    case_id: strawberry.Private[object | None]

    @strawberry.field(description="The agency that must carry it out.")
    async def owner_agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.owner_code)

    @strawberry.field(description="The agenda case it is about, if any.")
    async def case(self, info: Info) -> CaseType | None:
        return await info.context.loaders.case_by_id.load(self.case_id) if self.case_id else None

    @classmethod
    def from_model(cls, d: m.Decision) -> "DecisionType":
        """Convert the decision."""
        return cls(key=d.key, text=d.text, due_date=d.due_date, status=d.status, recorded_at=d.recorded_at,
                   done_at=d.done_at, done_note=d.done_note, owner_code=d.owner_agency_code, case_id=d.case_id)


@strawberry.type(name="JointMeeting", description="联席会议 — a joint meeting of departments.")
class JointMeetingType(Node):
    title: str = strawberry.field(description="Title.")
    level: MeetingLevel = strawberry.field(description="区级 or 乡镇(街道)级.")  # type: ignore[valid-type]
    held_on: date = strawberry.field(description="The day it is held.")
    decisions: list[DecisionType] = strawberry.field(description="Its decisions, in the order recorded.")
    region_code: strawberry.Private[str]
    convener_code: strawberry.Private[str]
    participant_codes: strawberry.Private[list[str]]
    agenda_ids: strawberry.Private[list[object]]
    model: strawberry.Private[m.JointMeeting]

    @strawberry.field(description="The region it covers.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.region_code)

    @strawberry.field(description="The agency that convenes it (usually the coordination centre).")
    async def convener(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.convener_code)

    @strawberry.field(description="The participating agencies, convener first.")
    async def participants(self, info: Info) -> list[AgencyType]:
        found = await info.context.loaders.agency_by_code.load_many(self.participant_codes)
        return [a for a in found if a is not None]

    @strawberry.field(description="The cases on its agenda (议题), in the order added. For its participants and its "
                                  "region's coordination centres (null for others).", permission_classes=[CanSeeMeetingAgenda])
    async def agenda(self, info: Info) -> list[CaseType] | None:
        found = await info.context.loaders.case_by_id.load_many(self.agenda_ids)
        return [c for c in found if c is not None]

    @classmethod
    def from_model(cls, meeting: m.JointMeeting) -> "JointMeetingType":
        """Convert the document."""
        return cls(
            id=to_global_id("JointMeeting", meeting.id), title=meeting.title, level=meeting.level,
            held_on=meeting.held_on, decisions=[DecisionType.from_model(d) for d in meeting.decisions],
            region_code=meeting.region_code, convener_code=meeting.convener_agency_code,
            participant_codes=meeting.participant_agency_codes, agenda_ids=list(meeting.agenda_case_ids),
            model=meeting,
        )


@strawberry.type(name="OpenDecision", description="A decision of an earlier meeting not yet carried out.")
class OpenDecisionType:
    meeting: JointMeetingType = strawberry.field(description="The meeting that made it.")
    decision: DecisionType = strawberry.field(description="The decision.")
    overdue: bool = strawberry.field(description="Past its due date on the day of the meeting being prepared.")

    @classmethod
    def from_domain(cls, o: OpenDecision) -> "OpenDecisionType":
        """Convert."""
        return cls(meeting=JointMeetingType.from_model(o.meeting), decision=DecisionType.from_model(o.decision),
                   overdue=o.overdue)


@strawberry.type(name="AgendaItem", description="议题 — an agenda case with its latest records and open handovers.")
class AgendaItemType:
    case: CaseType = strawberry.field(description="The case.")
    latest_records: list[RecordType] = strawberry.field(description="Its latest records, newest first.")
    open_handovers: list[RecordType] = strawberry.field(description="Handovers not yet taken up by the receiver.")

    @classmethod
    def from_domain(cls, item: AgendaItem) -> "AgendaItemType":
        """Convert."""
        return cls(case=CaseType.from_model(item.case),
                   latest_records=[record_from_model(r) for r in item.latest_records],
                   open_handovers=[record_from_model(r) for r in item.open_handovers])


@strawberry.type(name="JointMeetingBrief", description="会议材料 — everything a joint meeting is prepared from.")
class JointMeetingBriefType:
    meeting: JointMeetingType | None = strawberry.field(description="The meeting (null for a region's monthly brief).")
    period_from: datetime = strawberry.field(description="Start of the period summarised (cases opened on or after).")
    period_to: datetime = strawberry.field(description="End of the period (cases opened before).")
    as_of: datetime = strawberry.field(description="When backlog and warnings were evaluated.")
    by_agency: SummaryType = strawberry.field(description="The period's figures by participating agency.")
    by_category: SummaryType = strawberry.field(description="The period's figures by category.")
    trend: SummaryType = strawberry.field(description="The last 12 months by month of opening.")
    agenda: list[AgendaItemType] = strawberry.field(description="Each agenda case with its latest records and open handovers.")
    open_decisions: list[OpenDecisionType] = strawberry.field(description="Open decisions of earlier meetings, overdue first.")
    warnings: list[EarlyWarningType] = strawberry.field(description="The region's current early warnings, most severe first.")
    campaigns: list[BriefCampaignType] = strawberry.field(
        description="攻坚破难·清仓消案 — the backlog-clearance campaigns of the region (and below) that ran in the "
                    "period, with their progress.")
    region_code: strawberry.Private[str]

    @strawberry.field(description="The region.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.region_code)

    @classmethod
    def from_domain(cls, b: Brief) -> "JointMeetingBriefType":
        """Convert."""
        return cls(
            meeting=JointMeetingType.from_model(b.meeting) if b.meeting else None,
            period_from=b.period_from, period_to=b.period_to, as_of=b.as_of,
            by_agency=SummaryType.from_domain(b.by_agency), by_category=SummaryType.from_domain(b.by_category),
            trend=SummaryType.from_domain(b.trend), agenda=[AgendaItemType.from_domain(i) for i in b.agenda],
            open_decisions=[OpenDecisionType.from_domain(o) for o in b.open_decisions],
            warnings=[EarlyWarningType.from_domain(w) for w in b.warnings], region_code=b.region.code,
            campaigns=[BriefCampaignType(campaign=CampaignType.from_model(c.campaign),
                                         by_township=CampaignProgressType.from_domain(c.by_township),
                                         by_kind=CampaignProgressType.from_domain(c.by_kind)) for c in b.campaigns],
        )


@strawberry.input(name="ScheduleMeetingInput", description="A joint meeting to schedule.")
class ScheduleMeetingInput:
    level: MeetingLevel = strawberry.field(description="区级 or 乡镇(街道)级.")  # type: ignore[valid-type]
    region: str = strawberry.field(description="Region code the meeting covers.")
    held_on: date = strawberry.field(description="The day it is held.")
    convener: str = strawberry.field(description="Agency code of the convener.")
    participants: list[str] = strawberry.field(description="Agency codes of the participating agencies.")
    title: str | None = strawberry.field(default=None, description="Title; generated from region and date when omitted.")


@strawberry.input(name="RecordDecisionInput", description="A decision the meeting made.")
class RecordDecisionInput:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")
    text: str = strawberry.field(description="What was decided (1-2,000 characters).")
    owner_agency: str = strawberry.field(description="Agency code that must carry it out.")
    due_date: date = strawberry.field(description="When it is due (not before the meeting).")
    case_id: strawberry.ID | None = strawberry.field(default=None, description="The agenda case it is about, if any.")
