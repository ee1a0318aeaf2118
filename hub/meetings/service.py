"""Joint meetings (联席会议): scheduling, the agenda, decisions and their follow-through."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

from beanie import PydanticObjectId
from beanie.exceptions import RevisionIdWasChanged

from hub.agencies import service as agency_service
from hub.cases.models import Case
from hub.errors import BadUserInput, Conflict, NotFound
from hub.ids import global_id
from hub.meetings.models import Decision, DecisionStatus, JointMeeting, MeetingLevel
from hub.notifications import outbox
from hub.notifications.models import EventKind, OutboxEvent
from hub.regions import service as region_service
from hub.store.service import find_by_ids, store_now

MAX_TEXT = 2000
MAX_AGENDA = 200


async def _known_agencies(codes: Sequence[str], field: str) -> None:
    known = await agency_service.get_many_by_code(codes=codes)
    unknown = sorted(set(codes) - set(known))
    if unknown:
        raise BadUserInput(f"unknown agency code(s): {', '.join(unknown)}", field=field)


async def schedule(
    *, level: MeetingLevel, region_code: str, held_on: date, convener: str, participants: Sequence[str],
    title: str | None = None,
) -> JointMeeting:
    """Schedule a meeting; the convener always takes part."""
    region = await region_service.get_by_code(code=region_code)
    if region is None:
        raise BadUserInput(f"unknown region code {region_code!r}", field="region")
    codes = list(dict.fromkeys([convener, *participants]))
    await _known_agencies(codes, "participants")
    meeting = JointMeeting(
        level=level, region_code=region.code, region_path=region.path, held_on=held_on,
        convener_agency_code=convener, participant_agency_codes=codes,
        title=title or f"{region.name}矛盾纠纷化解联席会议({held_on.isoformat()})", created_at=store_now(),
    )
    await meeting.insert()
    return meeting


async def get(*, meeting_id: PydanticObjectId) -> JointMeeting | None:
    """One meeting, or None."""
    return await JointMeeting.get(meeting_id)


async def get_many(*, ids: Sequence[PydanticObjectId]) -> dict[PydanticObjectId, JointMeeting]:
    """Meetings by id."""
    return {m.id: m for m in await JointMeeting.find({"_id": {"$in": list(ids)}}).to_list() if m.id is not None}


async def get_or_raise(*, meeting_id: PydanticObjectId) -> JointMeeting:
    """One meeting; NOT_FOUND when there is none."""
    meeting = await get(meeting_id=meeting_id)
    if meeting is None:
        raise NotFound(f"no joint meeting with id {str(meeting_id)!r}")
    return meeting


async def _save(meeting: JointMeeting) -> JointMeeting:
    try:
        await meeting.replace()
    except RevisionIdWasChanged:
        raise Conflict("the meeting was changed by someone else meanwhile; read it again and retry") from None
    return meeting


async def add_to_agenda(*, meeting_id: PydanticObjectId, case_ids: Sequence[PydanticObjectId]) -> JointMeeting:
    """Put cases on the meeting's agenda (a case already on it stays once)."""
    meeting = await get_or_raise(meeting_id=meeting_id)
    found = {d["_id"] for d in await find_by_ids(Case.get_pymongo_collection(), case_ids, {"region_path": 1})
             if meeting.region_code in d.get("region_path", [])}
    missing = [str(c) for c in case_ids if c not in found]
    if missing:
        raise NotFound(f"no case with id(s) {', '.join(missing)} in the meeting's region")
    meeting.agenda_case_ids = list(dict.fromkeys([*meeting.agenda_case_ids, *case_ids]))
    if len(meeting.agenda_case_ids) > MAX_AGENDA:
        raise BadUserInput(f"an agenda holds at most {MAX_AGENDA} cases", field="caseIds")
    return await _save(meeting)


async def record_decision(
    *, meeting_id: PydanticObjectId, text: str, owner: str, due_date: date, case_id: PydanticObjectId | None = None,
) -> tuple[JointMeeting, Decision]:
    """Record what the meeting decided, who carries it out and by when."""
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise BadUserInput(f"a decision's text must be 1 to {MAX_TEXT} characters", field="text")
    meeting = await get_or_raise(meeting_id=meeting_id)
    await _known_agencies([owner], "ownerAgency")
    if due_date < meeting.held_on:
        raise BadUserInput("a decision cannot fall due before the meeting is held", field="dueDate")
    if case_id is not None and case_id not in meeting.agenda_case_ids:
        raise BadUserInput("the decision's case is not on this meeting's agenda", field="caseId")
    decision = Decision(key=f"D{len(meeting.decisions) + 1}", text=text, owner_agency_code=owner,
                        due_date=due_date, recorded_at=store_now(), case_id=case_id)
    meeting.decisions.append(decision)
    saved = await _save(meeting)
    await outbox.append([await decision_event(saved, decision)])
    return saved, decision


async def decision_event(meeting: JointMeeting, decision: Decision) -> OutboxEvent:
    """DECISION_ASSIGNED for the decision's owner (docs/webhooks.md), keyed `decision:<meeting id>:<key>`.

    The decision's own words, its due date and owner; no party data (a decision names an agency).
    """
    case_no = None
    if decision.case_id is not None:
        found = await Case.get_pymongo_collection().find_one({"_id": decision.case_id}, {"case_no": 1})
        case_no = (found or {}).get("case_no")
    payload = {"decision": {
        "meetingId": global_id("JointMeeting", meeting.id), "meetingTitle": meeting.title,
        "heldOn": meeting.held_on.isoformat(), "key": decision.key, "text": decision.text,
        "dueDate": decision.due_date.isoformat(), "ownerAgency": decision.owner_agency_code,
    }}
    return OutboxEvent(id=f"decision:{meeting.id}:{decision.key}", seq=0, kind=EventKind.DECISION_ASSIGNED,
                       case_id=decision.case_id, case_no=case_no, region_path=list(meeting.region_path),
                       agencies=[decision.owner_agency_code], payload=payload, at=store_now())


async def complete_decision(
    *, meeting_id: PydanticObjectId, key: str, note: str | None = None
) -> tuple[JointMeeting, Decision]:
    """Mark a decision done (once: a second call changes nothing)."""
    meeting = await get_or_raise(meeting_id=meeting_id)
    decision = next((d for d in meeting.decisions if d.key == key), None)
    if decision is None:
        raise NotFound(f"meeting has no decision {key!r}")
    if decision.status is DecisionStatus.DONE:
        return meeting, decision
    decision.status, decision.done_at, decision.done_note = DecisionStatus.DONE, store_now(), note
    return await _save(meeting), decision


async def list_for_region(
    *, region_code: str, held_from: date | None = None, held_to: date | None = None, limit: int = 100,
) -> list[JointMeeting]:
    """Meetings held in the region or below it, latest first."""
    query: dict[str, object] = {"region_path": region_code}
    bounds = {op: datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
              for op, d in (("$gte", held_from), ("$lte", held_to)) if d is not None}
    if bounds:
        query["held_on"] = bounds
    return await JointMeeting.find(query).sort(("held_on", -1), ("_id", -1)).limit(limit).to_list()


@dataclass(frozen=True)
class OpenDecision:
    """A decision of an earlier meeting that is not done yet."""

    meeting: JointMeeting
    decision: Decision
    overdue: bool


async def open_decisions_before(*, meeting: JointMeeting) -> list[OpenDecision]:
    """Open decisions of the region's earlier meetings, overdue first, then by due date."""
    earlier = await list_for_region(region_code=meeting.region_code, held_to=meeting.held_on, limit=1000)
    found = [
        OpenDecision(meeting=m, decision=d, overdue=d.overdue(meeting.held_on))
        for m in earlier if m.id != meeting.id and m.held_on <= meeting.held_on
        for d in m.decisions if d.status is DecisionStatus.OPEN
    ]
    return sorted(found, key=lambda o: (not o.overdue, o.decision.due_date, o.meeting.held_on, o.decision.key))


async def previous(*, meeting: JointMeeting) -> JointMeeting | None:
    """The region's latest meeting before this one, if any."""
    earlier = await list_for_region(region_code=meeting.region_code, held_to=meeting.held_on, limit=50)
    return next((m for m in earlier if m.id != meeting.id and m.region_code == meeting.region_code
                 and m.held_on < meeting.held_on), None)
