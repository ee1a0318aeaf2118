"""Backlog-clearance campaigns: create, enrol backlog cases (甄别分类), assign responsibility, escalate, clear.

The rules of the work plan, each enforced here:
- only an open backlog case of the campaign's region and categories is enrolled, once per campaign;
- a responsibility names a known unit, whose home region gives its level, a person, measures and a
  deadline within the campaign;
- a case moves up the levels one stage at a time (unit → coordination centre → party committee and
  government), each step with a reason, never past the top and never once cleared;
- a cleared case states its outcome; "resolved" only for a case the hub knows as resolved, "lawful
  channel" only for one referred.
Who may do each is hub.auth.policy's (the resolvers check it first).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from beanie import PydanticObjectId
from beanie.exceptions import RevisionIdWasChanged
from pymongo.errors import DuplicateKeyError

from hub.agencies import service as agency_service
from hub.analytics import labels
from hub.analytics.summary import DEFAULT_BACKLOG_DAYS
from hub.campaigns.models import (
    ESCALATION_PATH, BacklogKind, Campaign, Clearance, ClearanceOutcome, Enrolment, EscalationStage,
    Responsibility, ResponsibilityLevel, Step, StepKind,
)
from hub.cases import service as case_service
from hub.cases.derive import district_day
from hub.cases.models import OPEN_STATUSES, Case, CaseNumber, CaseStatus, CaseTag, Category
from hub.auth import policy
from hub.auth.policy import Principal
from hub.errors import BadUserInput, Conflict, Forbidden, NotFound
from hub.regions import service as region_service
from hub.regions.models import RegionLevel
from hub.store.service import READ_BATCH_SIZE, find_by_ids, store_now

MAX_NAME = 100
MAX_TEXT = 1000
MAX_PERSON = 50
MAX_ENROL = 200  # cases per enrolment call
MAX_DAYS = 3 * 366  # a campaign's longest period
MAX_CAMPAIGNS = 100
BACKLOG_TAGS = frozenset({CaseTag.BACKLOG.value, CaseTag.OLD.value, CaseTag.DIFFICULT.value})
LEVEL_OF_REGION = {RegionLevel.DISTRICT: ResponsibilityLevel.DISTRICT, RegionLevel.TOWNSHIP: ResponsibilityLevel.TOWNSHIP,
                   RegionLevel.VILLAGE: ResponsibilityLevel.VILLAGE, RegionLevel.GRID: ResponsibilityLevel.VILLAGE}
# The outcomes that need the case itself to say so (its status, derived from its records).
OUTCOME_NEEDS_STATUS = {
    ClearanceOutcome.RESOLVED: frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    ClearanceOutcome.LAWFUL_CHANNEL: frozenset({CaseStatus.REFERRED, CaseStatus.CLOSED}),
}


def _text(value: str | None, field: str, limit: int = MAX_TEXT, *, required: bool = True) -> str:
    value = (value or "").strip()
    if (required and not value) or len(value) > limit:
        raise BadUserInput(f"`{field}` must be {'1' if required else '0'} to {limit} characters", field=field)
    return value


# --- campaigns ------------------------------------------------------------------------------------


async def create(
    *, name: str, region_code: str, starts_on: date, ends_on: date, categories: Sequence[Category],
    agency_code: str, user: str, now: datetime | None = None,
) -> Campaign:
    """A new campaign of a region over [starts_on, ends_on] for the categories (none: every category)."""
    name = _text(name, "name", MAX_NAME)
    region = await region_service.get_by_code(code=region_code)
    if region is None:
        raise BadUserInput(f"unknown region code {region_code!r}", field="region")
    if ends_on < starts_on:
        raise BadUserInput("a campaign ends on or after the day it starts", field="endsOn")
    if (ends_on - starts_on).days > MAX_DAYS:
        raise BadUserInput("a campaign lasts at most three years", field="endsOn")
    campaign = Campaign(
        name=name, region_code=region.code, region_path=region.path, starts_on=starts_on, ends_on=ends_on,
        categories=list(dict.fromkeys(categories)), created_by=agency_code, created_by_user=user, created_at=now or store_now(),
    )
    await campaign.insert()
    return campaign


async def get(*, campaign_id: PydanticObjectId) -> Campaign | None:
    """One campaign, or None."""
    return await Campaign.get(campaign_id)


async def get_or_raise(*, campaign_id: PydanticObjectId) -> Campaign:
    """One campaign; NOT_FOUND when there is none."""
    campaign = await get(campaign_id=campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign with id {str(campaign_id)!r}")
    return campaign


async def get_many(*, ids: Sequence[PydanticObjectId]) -> dict[PydanticObjectId, Campaign]:
    """Campaigns by id."""
    docs = await find_by_ids(Campaign.get_pymongo_collection(), ids)
    return {d["_id"]: Campaign.model_validate(d) for d in docs}


async def list_for_region(*, region_code: str, active_on: date | None = None,
                          overlapping: tuple[date, date] | None = None, above: Sequence[str] = ()) -> list[Campaign]:
    """Campaigns of the region and the regions below it, and of the regions `above` (its ancestors, whose
    campaigns cover it, when asked), latest start first (at most 100); only those running on `active_on`, or
    overlapping the days `overlapping` spans, when given."""
    region: dict[str, Any] = {"region_path": region_code}
    ancestors = [code for code in above if code != region_code]
    query: dict[str, Any] = {"$or": [region, {"region_code": {"$in": ancestors}}]} if ancestors else region
    first, last = overlapping or (active_on, active_on)
    if last is not None:
        query = {**query, "starts_on": {"$lte": _as_datetime(last)}}
    if first is not None:
        query = {**query, "ends_on": {"$gte": _as_datetime(first)}}
    return await Campaign.find(query).sort(("starts_on", -1), ("_id", -1)).limit(MAX_CAMPAIGNS).to_list()


def _as_datetime(day: date) -> datetime:
    """A day as BSON stores it (a date is a datetime at midnight)."""
    return datetime(day.year, day.month, day.day)


# --- enrolment --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEnrolment:
    """One case to enrol, with its classification."""

    case_no: str
    kind: BacklogKind
    historical_legacy: bool = False
    note: str = ""


@dataclass(frozen=True)
class ItemError:
    """Why one case of an enrolment call was not enrolled."""

    code: str
    message: str
    field: str = "caseNo"


@dataclass
class EnrolOutcome:
    """The outcome of the case at `index` of the call."""

    index: int
    case_no: str
    enrolment: Enrolment | None = None
    errors: list[ItemError] = field(default_factory=list)


def is_backlog(case: Case, *, cutoff: datetime) -> bool:
    """积案: open, and tagged backlog / old / difficult or opened before the cutoff."""
    if case.status not in OPEN_STATUSES:
        return False
    return bool(BACKLOG_TAGS & {str(t) for t in case.tags}) or case.opened_at < cutoff


async def _cases_by_number(case_nos: Iterable[str]) -> dict[str, Case]:
    numbers = await CaseNumber.get_pymongo_collection().find({"_id": {"$in": sorted(set(case_nos))}}).to_list()
    cases = await case_service.get_many(ids=[n["case_id"] for n in numbers])
    return {c.case_no: c for c in cases.values()}


def _refusal(case: Case | None, campaign: Campaign, case_no: str, cutoff: datetime) -> ItemError | None:
    if case is None:
        return ItemError("CASE_NOT_FOUND", f"no case numbered {case_no!r}")
    if campaign.region_code not in case.region_path:
        return ItemError("CASE_OUTSIDE_REGION", "the case is not in the campaign's region")
    if not campaign.targets(case.category):
        label = labels.CATEGORY.get(case.category.value, case.category.value)
        return ItemError("CATEGORY_NOT_TARGETED", f"the campaign does not target {label} disputes")
    if case.status not in OPEN_STATUSES:
        return ItemError("CASE_NOT_OPEN", f"only an open case is enrolled (this one is {case.status.value})")
    if not is_backlog(case, cutoff=cutoff):
        return ItemError("NOT_BACKLOG", "the case is neither tagged as backlog nor open longer than the backlog "
                                        "threshold")
    return None


async def enrol(
    *, campaign_id: PydanticObjectId, entries: Sequence[NewEnrolment], agency_code: str, user: str,
    backlog_days: int = DEFAULT_BACKLOG_DAYS, now: datetime | None = None,
) -> list[EnrolOutcome]:
    """Enrol cases (甄别分类): each good one lands, each bad one comes back with its errors, by index. If the call
    fails part-way (the store gone), sending it again is the recovery: what landed comes back ALREADY_ENROLLED.

    `now` (here and below) is when it happens: the present, unless the demo data replays a campaign's history."""
    if not entries or len(entries) > MAX_ENROL:
        raise BadUserInput(f"enrol 1 to {MAX_ENROL} cases at a time", field="cases")
    campaign = await get_or_raise(campaign_id=campaign_id)
    now = now or store_now()
    if campaign.ends_on < district_day(now):
        raise BadUserInput(f"the campaign ended on {campaign.ends_on.isoformat()}", field="campaignId")
    cutoff = now - timedelta(days=backlog_days)
    cases = await _cases_by_number(e.case_no for e in entries)
    outcomes, seen = [], set()
    for index, entry in enumerate(entries):
        outcome = EnrolOutcome(index=index, case_no=entry.case_no)
        outcomes.append(outcome)
        case = cases.get(entry.case_no)
        error = _refusal(case, campaign, entry.case_no, cutoff)
        if error is None and entry.case_no in seen:
            error = ItemError("DUPLICATE_IN_CALL", "the case is named twice in this call")
        note = entry.note.strip()
        if error is None and len(note) > MAX_TEXT:
            error = ItemError("TEXT_TOO_LONG", f"a note is at most {MAX_TEXT} characters", field="note")
        if error is not None:
            outcome.errors.append(error)
            continue
        assert case is not None and case.id is not None
        seen.add(entry.case_no)
        enrolment = Enrolment(
            campaign_id=campaign_id, case_id=case.id, case_no=case.case_no, category=case.category,
            region_code=case.region_code, region_path=case.region_path, township_code=case.township_code,
            kind=entry.kind, historical_legacy=entry.historical_legacy, note=note, enrolled_by=agency_code,
            enrolled_by_user=user, enrolled_at=now,
            steps=[Step(kind=StepKind.ENROLLED, at=now, by=agency_code, by_user=user, stage=EscalationStage.UNIT,
                        text=f"纳入清仓,甄别为{labels.BACKLOG_KIND[entry.kind.value]}"
                             + (",属历史遗留问题" if entry.historical_legacy else ""))],
        )
        try:
            await enrolment.insert()
        except DuplicateKeyError:
            outcome.errors.append(ItemError("ALREADY_ENROLLED", "the case is already enrolled in this campaign"))
            continue
        outcome.enrolment = enrolment
    return outcomes


async def get_enrolment(*, enrolment_id: PydanticObjectId) -> Enrolment | None:
    """One enrolment, or None."""
    return await Enrolment.get(enrolment_id)


async def get_enrolment_or_raise(*, enrolment_id: PydanticObjectId) -> Enrolment:
    """One enrolment; NOT_FOUND when there is none."""
    enrolment = await get_enrolment(enrolment_id=enrolment_id)
    if enrolment is None:
        raise NotFound(f"no campaign enrolment with id {str(enrolment_id)!r}")
    return enrolment


async def _save(enrolment: Enrolment) -> Enrolment:
    try:
        await enrolment.replace()
    except RevisionIdWasChanged:
        raise Conflict("the enrolment was changed by someone else meanwhile; read it again and retry") from None
    return enrolment


def _changeable(enrolment: Enrolment, acting: Principal | None, may: Callable[[Principal, Enrolment], bool],
                message: str) -> None:
    """Refuse a cleared enrolment, and one the caller may not change as it stands now: the resolvers' permission
    classes checked an earlier read, and another request may have moved it since (a unit's two escalations at
    once). `acting` None: the operator (`hub seed`)."""
    if acting is not None and not may(acting, enrolment):
        raise Forbidden(message)
    if enrolment.cleared:
        raise BadUserInput("the case is already cleared (消案) in this campaign", field="id")


async def assign(
    *, enrolment_id: PydanticObjectId, unit_code: str, person: str, measures: str, deadline: date,
    agency_code: str, user: str, now: datetime | None = None, acting: Principal | None = None,
) -> Enrolment:
    """逐一明确责任、措施: the responsible unit (an agency inside the campaign's region; its level from its home
    region), person, measures and deadline. Again: the responsibility is replaced, and the history keeps both."""
    enrolment = await get_enrolment_or_raise(enrolment_id=enrolment_id)
    _changeable(enrolment, acting, lambda p, e: policy.can_run_campaign(p, e.region_path),
                "responsibility is assigned by the coordination centres of the case's region")
    person, measures = _text(person, "person", MAX_PERSON), _text(measures, "measures")
    unit = await agency_service.get_by_code(code=unit_code)
    if unit is None:
        raise BadUserInput(f"unknown agency code {unit_code!r}", field="unitCode")
    region = await region_service.get_by_code(code=unit.region_code)
    if region is None:
        raise BadUserInput(f"the unit's region {unit.region_code!r} is unknown", field="unitCode")
    campaign = await get_or_raise(campaign_id=enrolment.campaign_id)
    if campaign.region_code not in region.path:
        raise BadUserInput("the responsible unit must be an agency inside the campaign's region", field="unitCode")
    now = now or store_now()
    if deadline < district_day(now) or deadline > campaign.ends_on:
        raise BadUserInput(f"a deadline lies between today and the campaign's end ({campaign.ends_on.isoformat()})",
                           field="deadline")
    level = LEVEL_OF_REGION[region.level]
    enrolment.responsibility = Responsibility(
        level=level, unit_code=unit.code, person=person, measures=measures, deadline=deadline,
        assigned_by=agency_code, assigned_by_user=user, assigned_at=now)
    enrolment.unit_code, enrolment.deadline = unit.code, deadline
    enrolment.steps.append(Step(kind=StepKind.ASSIGNED, at=now, by=agency_code, by_user=user, stage=enrolment.stage,
                                text=f"明确{labels.RESPONSIBILITY_LEVEL[level.value]}责任单位{unit.name},责任人{person},"
                                     f"限{deadline.isoformat()}前化解"))
    return await _save(enrolment)


def next_stage(stage: EscalationStage) -> EscalationStage | None:
    """The stage above, or None at the top."""
    at = ESCALATION_PATH.index(stage)
    return ESCALATION_PATH[at + 1] if at + 1 < len(ESCALATION_PATH) else None


async def escalate(*, enrolment_id: PydanticObjectId, reason: str, agency_code: str, user: str,
                   now: datetime | None = None, acting: Principal | None = None) -> Enrolment:
    """Move the case one stage up, with the reason the stage below cannot resolve it."""
    enrolment = await get_enrolment_or_raise(enrolment_id=enrolment_id)
    _changeable(enrolment, acting, policy.can_escalate, "a case is escalated by its responsible unit, and past the "
                "coordination centre only by a coordination centre of its region")
    reason = _text(reason, "reason")
    target = next_stage(enrolment.stage)
    if target is None:
        raise BadUserInput("the case is already with the party committee and government: there is no level above",
                           field="id")
    if enrolment.responsibility is None:
        raise BadUserInput("name the responsible unit first: a case is escalated by or past its unit", field="id")
    enrolment.stage = target
    enrolment.steps.append(Step(kind=StepKind.ESCALATED, at=now or store_now(), by=agency_code, by_user=user, stage=target,
                                text=f"提交{labels.ESCALATION_STAGE[target.value]}协调:{reason}"))
    return await _save(enrolment)


async def clear(
    *, enrolment_id: PydanticObjectId, outcome: ClearanceOutcome, note: str, agency_code: str, user: str,
    now: datetime | None = None, acting: Principal | None = None,
) -> Enrolment:
    """消案: the case is cleared with its outcome."""
    enrolment = await get_enrolment_or_raise(enrolment_id=enrolment_id)
    _changeable(enrolment, acting, policy.can_clear,
                "a case is cleared by its responsible unit or the coordination centres of its region")
    note = _text(note, "note")
    needed = OUTCOME_NEEDS_STATUS.get(outcome)
    if needed is not None:
        case = await case_service.get(case_id=enrolment.case_id)
        if case is None or case.status not in needed:
            status = case.status.value if case else "gone"
            raise BadUserInput(f"the case's records do not show it {outcome.value.lower().replace('_', ' ')} "
                               f"(its status is {status}); record that first", field="outcome")
    now = now or store_now()
    enrolment.clearance = Clearance(outcome=outcome, note=note, by=agency_code, by_user=user, at=now)
    enrolment.cleared = True
    enrolment.steps.append(Step(kind=StepKind.CLEARED, at=now, by=agency_code, by_user=user, stage=enrolment.stage,
                                text=f"消案({labels.CLEARANCE_OUTCOME[outcome.value]}):{note}"))
    return await _save(enrolment)


# --- lists and figures ------------------------------------------------------------------------------


def _enrolment_query(campaign_id: PydanticObjectId, scope: dict[str, Any] | None, cleared: bool | None,
                     township_code: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {"campaign_id": campaign_id, **(scope or {})}
    if cleared is not None:
        query["cleared"] = cleared
    if township_code is not None:
        query["township_code"] = township_code
    return query


async def list_enrolments(
    *, campaign_id: PydanticObjectId, scope: dict[str, Any] | None = None, cleared: bool | None = None,
    township_code: str | None = None, first: int = 50, after: str | None = None,
) -> tuple[list[Enrolment], bool]:
    """A page of a campaign's enrolments in case-number order, and whether more follow."""
    query = _enrolment_query(campaign_id, scope, cleared, township_code)
    if after is not None:
        query["case_no"] = {"$gt": after}
    found = await Enrolment.find(query).sort(("case_no", 1), ("_id", 1)).limit(first + 1).to_list()
    return found[:first], len(found) > first


async def count_enrolments(*, campaign_id: PydanticObjectId, scope: dict[str, Any] | None = None,
                           cleared: bool | None = None, township_code: str | None = None) -> int:
    """How many enrolments `list_enrolments` pages through."""
    return await Enrolment.find(_enrolment_query(campaign_id, scope, cleared, township_code)).count()


async def tasks_of(*, unit_code: str, cleared: bool = False) -> list[Enrolment]:
    """A unit's own enrolments (its 包案 list), nearest deadline first."""
    return await (Enrolment.find({"unit_code": unit_code, "cleared": cleared}).sort(("deadline", 1), ("_id", 1))
                  .limit(500).to_list())


async def of_cases(*, case_ids: Sequence[PydanticObjectId]) -> dict[PydanticObjectId, list[Enrolment]]:
    """Each case's enrolments (the campaigns it is in), earliest first; cases in none are absent."""
    found: dict[PydanticObjectId, list[Enrolment]] = {}
    docs = await Enrolment.find({"case_id": {"$in": list(dict.fromkeys(case_ids))}}).to_list()
    for enrolment in sorted(docs, key=lambda e: (e.enrolled_at, str(e.id))):
        found.setdefault(enrolment.case_id, []).append(enrolment)
    return found


class Dimension(StrEnum):
    """What campaign progress is grouped by."""

    TOWNSHIP = "TOWNSHIP"
    LEVEL = "LEVEL"
    KIND = "KIND"


_PROGRESS_FIELDS = {"township_code": 1, "responsibility.level": 1, "kind": 1, "cleared": 1, "deadline": 1,
                    "stage": 1, "unit_code": 1, "historical_legacy": 1}


@dataclass
class Progress:
    """清仓进度 of a group: enrolled, with a responsibility, escalated, cleared, overdue."""

    enrolled: int = 0
    assigned: int = 0
    escalated: int = 0
    cleared: int = 0
    overdue: int = 0
    historical_legacy: int = 0

    @property
    def unassigned(self) -> int:
        return self.enrolled - self.assigned

    @property
    def clearance_rate(self) -> float | None:
        """清仓率: cleared ÷ enrolled; None for no enrolment."""
        return self.cleared / self.enrolled if self.enrolled else None

    def add(self, doc: dict[str, Any], on: date) -> None:
        self.enrolled += 1
        self.assigned += doc.get("responsibility") is not None
        self.escalated += doc.get("stage", EscalationStage.UNIT.value) != EscalationStage.UNIT.value
        self.cleared += bool(doc.get("cleared"))
        self.historical_legacy += bool(doc.get("historical_legacy"))
        deadline = doc.get("deadline")
        self.overdue += not doc.get("cleared") and deadline is not None and deadline.date() < on


@dataclass(frozen=True)
class ProgressRow:
    """One group: its key (one value per dimension, None for "not set") and its figures."""

    key: dict[Dimension, str | None]
    figures: Progress


@dataclass(frozen=True)
class ProgressReport:
    """A campaign's figures on a day: the total, and the groups of `group_by`."""

    on: date
    group_by: tuple[Dimension, ...]
    total: Progress
    rows: list[ProgressRow]


def _key_value(doc: dict[str, Any], dimension: Dimension) -> str | None:
    if dimension is Dimension.TOWNSHIP:
        return doc.get("township_code")
    if dimension is Dimension.KIND:
        return doc.get("kind")
    return (doc.get("responsibility") or {}).get("level")


async def progress(
    *, campaign_id: PydanticObjectId, group_by: Sequence[Dimension] = (), on: date | None = None,
) -> ProgressReport:
    """清仓进度: enrolled, cleared, overdue and 清仓率 on a day (today), in total and by the dimensions."""
    on = on or district_day()
    dims = tuple(dict.fromkeys(group_by))
    cursor = Enrolment.get_pymongo_collection().find({"campaign_id": campaign_id}, _PROGRESS_FIELDS,
                                                      batch_size=READ_BATCH_SIZE)
    total, groups = Progress(), {}  # type: ignore[var-annotated]
    async for doc in cursor:
        total.add(doc, on)
        if dims:
            key = tuple(_key_value(doc, d) for d in dims)
            groups.setdefault(key, Progress()).add(doc, on)
    rows = [ProgressRow(key=dict(zip(dims, key)), figures=figures)
            for key, figures in sorted(groups.items(), key=lambda kv: tuple(v or "~" for v in kv[0]))]
    return ProgressReport(on=on, group_by=dims, total=total, rows=rows)


async def open_in_region(*, region_code: str) -> list[dict[str, Any]]:
    """The region's enrolments not yet cleared (what the early-warning rules read)."""
    fields = {"case_id": 1, "case_no": 1, "campaign_id": 1, "enrolled_at": 1, "unit_code": 1, "deadline": 1,
              "responsibility": 1, "stage": 1}
    return await Enrolment.get_pymongo_collection().find({"region_path": region_code, "cleared": False}, fields,
                                                         batch_size=READ_BATCH_SIZE).to_list()


async def cleared_counts(*, region_code: str, since: datetime, until: datetime) -> tuple[Counter[str], Counter[str]]:
    """Enrolments of the region cleared in [since, until): counts by township code, and by responsible unit."""
    docs = await Enrolment.get_pymongo_collection().find(
        {"region_path": region_code, "cleared": True, "clearance.at": {"$gte": since, "$lt": until}},
        {"township_code": 1, "unit_code": 1}, batch_size=READ_BATCH_SIZE).to_list()
    by_township = Counter(d["township_code"] for d in docs if d.get("township_code"))
    by_unit = Counter(d["unit_code"] for d in docs if d.get("unit_code"))
    return by_township, by_unit
