"""Joint meetings: scheduling, agenda, decisions, and the brief."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.meetings import brief as brief_service
from hub.meetings import service as meeting_service
from resolvers.context import Context
from schema.meetings import (
    DecisionType, JointMeetingBriefType, JointMeetingType, RecordDecisionInput, ScheduleMeetingInput,
)
from schema.audit import Audited
from schema.permissions import CanListMeetings, CanManageMeetings, CanViewMeeting
from schema.relay import object_id


def _meeting_target(kwargs: dict[str, Any], result: Any) -> list[str]:
    meeting = getattr(result, "meeting", result)
    if meeting is not None and hasattr(meeting, "id"):
        return [str(meeting.id)]
    source = kwargs.get("input")
    return [str(kwargs.get("meeting_id") or getattr(source, "meeting_id", None) or getattr(source, "region", ""))]


@strawberry.type(name="DecisionPayload", description="A decision and the meeting it belongs to, as stored.")
class DecisionPayload:
    meeting: JointMeetingType = strawberry.field(description="The meeting.")
    decision: DecisionType = strawberry.field(description="The decision.")


@strawberry.type
class MeetingQuery:
    @strawberry.field(description="One joint meeting; unknown: null with NOT_FOUND. For its participants and "
                                  "its region's coordination centres.", permission_classes=[CanViewMeeting],
                      extensions=[Audited(targets=lambda kwargs, result: [str(kwargs["id"])])])
    async def joint_meeting(self, info: Info[Context, None], id: Annotated[strawberry.ID, strawberry.argument(description="The joint meeting's global ID.")]) -> JointMeetingType | None:
        meeting = await meeting_service.get_or_raise(meeting_id=object_id(id, "JointMeeting"))  # type: ignore[arg-type]
        return JointMeetingType.from_model(meeting)

    @strawberry.field(description="A region's joint meetings (its own and those below it), latest first. "
                                  "For its coordination centres.", permission_classes=[CanListMeetings])
    async def joint_meetings(
        self, info: Info[Context, None],
        region: Annotated[strawberry.ID, strawberry.argument(
            description="Region code; its own meetings and those of the regions below it.")],
        held_from: Annotated[date | None, strawberry.argument(description="Held on or after this day.")] = None,
        held_to: Annotated[date | None, strawberry.argument(description="Held on or before this day.")] = None,
    ) -> list[JointMeetingType]:
        found = await meeting_service.list_for_region(region_code=str(region), held_from=held_from, held_to=held_to)
        return [JointMeetingType.from_model(m) for m in found]

    @strawberry.field(
        description="会议材料 — in one request: the period's figures by participating agency and by category, the "
                    "agenda cases with their latest records and open handovers, open decisions of earlier meetings "
                    "(overdue first), and the region's current early warnings.",
        permission_classes=[CanViewMeeting],
        extensions=[Audited(targets=lambda kwargs, result: [str(kwargs["meeting_id"])])],
    )
    async def joint_meeting_brief(self, info: Info[Context, None], meeting_id: Annotated[strawberry.ID, strawberry.argument(description="The joint meeting's global ID.")]) -> JointMeetingBriefType:
        brief = await brief_service.meeting_brief(
            meeting_id=object_id(meeting_id, "JointMeeting"),  # type: ignore[arg-type]
            thresholds=info.context.settings.warnings,
            visible=partial(policy.visible_records, info.context.principal),
        )
        return JointMeetingBriefType.from_domain(brief)


@strawberry.type
class MeetingMutation:
    @strawberry.mutation(description="召开联席会议 — schedule a joint meeting.", permission_classes=[CanManageMeetings],
                         extensions=[Audited(targets=_meeting_target)])
    async def schedule_joint_meeting(
        self, info: Info[Context, None],
        input: Annotated[ScheduleMeetingInput, strawberry.argument(
            description="The meeting: level, region, day, convener, participants and title.")],
    ) -> JointMeetingType:
        meeting = await meeting_service.schedule(
            level=input.level, region_code=input.region, held_on=input.held_on, convener=input.convener,
            participants=input.participants, title=input.title,
        )
        return JointMeetingType.from_model(meeting)

    @strawberry.mutation(description="Put cases on a meeting's agenda (议题); a case already on it stays once.", permission_classes=[CanManageMeetings],
                         extensions=[Audited(targets=_meeting_target)])
    async def add_to_agenda(
        self, info: Info[Context, None], meeting_id: Annotated[strawberry.ID, strawberry.argument(description="The joint meeting's global ID.")],
        case_ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global IDs of the cases to add.")],
    ) -> JointMeetingType:
        meeting = await meeting_service.add_to_agenda(
            meeting_id=object_id(meeting_id, "JointMeeting"),  # type: ignore[arg-type]
            case_ids=[object_id(c, "Case") for c in case_ids],  # type: ignore[misc]
        )
        return JointMeetingType.from_model(meeting)

    @strawberry.mutation(description="Record a decision of the meeting: text, owner agency, due date.", permission_classes=[CanManageMeetings],
                         extensions=[Audited(targets=_meeting_target)])
    async def record_decision(
        self, info: Info[Context, None],
        input: Annotated[RecordDecisionInput, strawberry.argument(
            description="The meeting, what was decided, the owner agency, the due date and the case, if any.")],
    ) -> DecisionPayload:
        meeting, decision = await meeting_service.record_decision(
            meeting_id=object_id(input.meeting_id, "JointMeeting"),  # type: ignore[arg-type]
            text=input.text, owner=input.owner_agency, due_date=input.due_date,
            case_id=object_id(input.case_id, "Case") if input.case_id else None,  # type: ignore[arg-type]
        )
        return DecisionPayload(meeting=JointMeetingType.from_model(meeting), decision=DecisionType.from_model(decision))

    @strawberry.mutation(description="Mark a decision done (落实); marking it again changes nothing.", permission_classes=[CanManageMeetings],
                         extensions=[Audited(targets=_meeting_target)])
    async def complete_decision(
        self, info: Info[Context, None], meeting_id: Annotated[strawberry.ID, strawberry.argument(description="The joint meeting's global ID.")],
        key: Annotated[str, strawberry.argument(description="The decision's key within the meeting (D1, D2, …).")],
        note: Annotated[str | None, strawberry.argument(
            description="What was done (落实情况), kept with the decision.")] = None,
    ) -> DecisionPayload:
        meeting, decision = await meeting_service.complete_decision(
            meeting_id=object_id(meeting_id, "JointMeeting"), key=key, note=note,  # type: ignore[arg-type]
        )
        return DecisionPayload(meeting=JointMeetingType.from_model(meeting), decision=DecisionType.from_model(decision))
