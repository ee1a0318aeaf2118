"""The joint-meeting brief: everything a meeting is prepared from, gathered in one go.

For a meeting: the period since the region's previous meeting (or the level's usual interval),
the summary of that period by participating agency and by category, the monthly trend, each
agenda case with its latest records and open handovers, the open decisions of earlier meetings
(overdue first), the region's current early warnings, and the progress of the backlog-clearance
campaigns that ran in the period. The same without a meeting, for a
region and a calendar month (the monthly / semi-monthly analysis, 分析研判).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

from beanie import PydanticObjectId

from hub.analytics.summary import Dimension, Summary, SummaryFilter, summarize_many
from hub.analytics.thresholds import Thresholds
from hub.analytics.warnings import EarlyWarning, early_warnings
from hub.campaigns import service as campaign_service
from hub.campaigns.models import Campaign
from hub.cases import service as case_service
from hub.cases.derive import REPORTING_TZ, district_day, month_days, pending_handovers, start_of_day
from hub.cases.models import Case
from hub.errors import BadUserInput
from hub.meetings import service as meeting_service
from hub.meetings.models import JointMeeting, MeetingLevel
from hub.records.models import Record, typed_record
from hub.regions import service as region_service
from hub.regions.models import Region

LATEST_RECORDS = 5
TREND_MONTHS = 12
USUAL_INTERVAL = {MeetingLevel.DISTRICT: timedelta(days=30), MeetingLevel.TOWNSHIP: timedelta(days=15)}


@dataclass(frozen=True)
class AgendaItem:
    """A case on the agenda, with what is needed to discuss it."""

    case: Case
    latest_records: list[Record]
    open_handovers: list[Record]


@dataclass(frozen=True)
class CampaignSection:
    """A campaign running in the period, with its progress by township and by backlog kind on the brief's day."""

    campaign: Campaign
    by_township: campaign_service.ProgressReport
    by_kind: campaign_service.ProgressReport


@dataclass(frozen=True)
class Brief:
    """A meeting's (or a region-month's) preparation pack."""

    region: Region
    period_from: datetime
    period_to: datetime
    as_of: datetime
    meeting: JointMeeting | None
    by_agency: Summary
    by_category: Summary
    trend: Summary
    agenda: list[AgendaItem]
    open_decisions: list[meeting_service.OpenDecision]
    warnings: list[EarlyWarning]
    campaigns: list[CampaignSection]


def month_period(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of ``YYYY-MM`` on the district's clock."""
    first, last = month_days(month)
    return start_of_day(first), start_of_day(last + timedelta(days=1))


def _months_before(end: datetime, months: int) -> datetime:
    """The first instant of the month `months - 1` months before the one `end` closes."""
    last = (end - timedelta(microseconds=1)).astimezone(REPORTING_TZ)
    index = last.year * 12 + last.month - 1 - (months - 1)
    return start_of_day(date(index // 12, index % 12 + 1, 1))


Visible = Callable[[list[Record]], list[Record]]


async def _agenda(case_ids: list[PydanticObjectId], visible: Visible) -> list[AgendaItem]:
    cases, files = await asyncio.gather(case_service.get_many(ids=case_ids), case_service.get_files(ids=case_ids))
    items = []
    for case_id in case_ids:
        if case_id not in cases:
            continue
        records = files[case_id].records if case_id in files else []
        shown = visible([typed_record(r) for r in records])
        pending = {r["_id"] for r in pending_handovers(records)}
        items.append(AgendaItem(
            case=cases[case_id],
            latest_records=shown[-LATEST_RECORDS:][::-1],
            open_handovers=[r for r in shown if r.id in pending],
        ))
    return items


def everything(records: list[Record]) -> list[Record]:
    """Every record (the operator's reports, which no caller's policy narrows)."""
    return records


async def _gather(
    *, region: Region, period_from: datetime, period_to: datetime, participants: list[str] | None,
    meeting: JointMeeting | None, as_of: datetime, thresholds: Thresholds, visible: Visible,
) -> Brief:
    in_period = SummaryFilter(region=region.code, opened_from=period_from, opened_to=period_to, as_of=as_of,
                              backlog_days=thresholds.backlog_days)
    trend_filter = replace(in_period, opened_from=_months_before(period_to, TREND_MONTHS))
    agency_filter = replace(in_period, agencies=participants) if participants else in_period
    summaries, agenda, decisions, warnings, campaigns = await asyncio.gather(
        summarize_many([(agency_filter, [Dimension.AGENCY]), (in_period, [Dimension.CATEGORY]),
                        (trend_filter, [Dimension.MONTH])]),
        _agenda(meeting.agenda_case_ids if meeting else [], visible),
        meeting_service.open_decisions_before(meeting=meeting) if meeting else _nothing(),
        early_warnings(region=region.code, as_of=as_of, thresholds=thresholds),
        _campaigns(region, period_from, period_to, as_of),
    )
    by_agency, by_category, trend = summaries
    if participants:  # only the participating agencies' rows
        wanted = set(participants)
        by_agency = Summary(filter=by_agency.filter, group_by=by_agency.group_by, total=by_agency.total,
                            rows=[r for r in by_agency.rows if r.key[Dimension.AGENCY] in wanted])
    return Brief(region=region, period_from=period_from, period_to=period_to, as_of=as_of, meeting=meeting,
                 by_agency=by_agency, by_category=by_category, trend=trend, agenda=agenda,
                 open_decisions=decisions, warnings=warnings, campaigns=campaigns)


async def _campaigns(region: Region, period_from: datetime, period_to: datetime, as_of: datetime) -> list[CampaignSection]:
    """The campaigns of the region (and below) that ran during the period, with their progress on `as_of`."""
    days = (district_day(period_from), district_day(period_to - timedelta(microseconds=1)))
    on = district_day(as_of)
    sections = []
    for campaign in await campaign_service.list_for_region(region_code=region.code, overlapping=days):
        by_township, by_kind = await asyncio.gather(
            campaign_service.progress(campaign_id=campaign.id, group_by=[campaign_service.Dimension.TOWNSHIP], on=on),  # type: ignore[arg-type]
            campaign_service.progress(campaign_id=campaign.id, group_by=[campaign_service.Dimension.KIND], on=on))  # type: ignore[arg-type]
        sections.append(CampaignSection(campaign=campaign, by_township=by_township, by_kind=by_kind))
    return sections


async def _nothing() -> list[meeting_service.OpenDecision]:
    return []


async def meeting_brief(
    *, meeting_id: PydanticObjectId, thresholds: Thresholds, as_of: datetime | None = None,
    visible: Visible = everything,
) -> Brief:
    """The brief of one meeting: its period runs from the region's previous meeting to this one."""
    meeting = await meeting_service.get_or_raise(meeting_id=meeting_id)
    region = await region_service.get_by_code(code=meeting.region_code)
    if region is None:
        raise BadUserInput(f"the meeting's region {meeting.region_code!r} no longer exists")
    previous = await meeting_service.previous(meeting=meeting)
    period_to = start_of_day(meeting.held_on)
    period_from = start_of_day(previous.held_on) if previous else period_to - USUAL_INTERVAL[meeting.level]
    return await _gather(
        region=region, period_from=period_from, period_to=period_to, participants=meeting.participant_agency_codes,
        meeting=meeting, as_of=as_of or datetime.now(timezone.utc), thresholds=thresholds, visible=visible,
    )


async def region_brief(*, region_code: str, month: str, thresholds: Thresholds, as_of: datetime | None = None) -> Brief:
    """The monthly analysis of a region, without a meeting."""
    region = await region_service.get_by_code(code=region_code)
    if region is None:
        raise BadUserInput(f"unknown region code {region_code!r}", field="region")
    period_from, period_to = month_period(month)
    return await _gather(
        region=region, period_from=period_from, period_to=period_to, participants=None, meeting=None,
        as_of=as_of or min(datetime.now(timezone.utc), period_to), thresholds=thresholds, visible=everything,
    )
