"""Permission classes: the policy (hub/auth/policy.py) declared on fields. A denial is FORBIDDEN and audited
under the field's name.

Each class answers one question of the policy for the field it guards, reading what it needs
through the request's loaders.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from hub.audit.models import Outcome
from hub.auth import policy
from hub.campaigns import service as campaign_service
from hub.errors import Forbidden
from schema.relay import from_global_id, object_id


class PolicyPermission(BasePermission):
    """A policy check; subclasses say what is checked and how the denial reads."""

    message = "your agency may not do this"

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        raise NotImplementedError

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return []

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if await self.allowed(principal, info, kwargs, source):
            return True
        await info.context.audit(info.field_name, targets=self.targets(kwargs, source), outcome=Outcome.DENIED,
                                 purpose=kwargs.get("purpose"), reason=self.message)
        return False

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message or "forbidden")


async def _case_from_arguments(info: Info, kwargs: dict[str, Any]) -> Any:
    loaders = info.context.loaders
    if kwargs.get("case_no") is not None:
        case_id = await loaders.case_id_by_number.load(kwargs["case_no"])
    elif kwargs.get("id") is not None:
        type_name, raw = from_global_id(kwargs["id"])
        case_id = await loaders.case_id_by_text.load(raw) if type_name == "Case" else None
    else:
        return None
    found = await loaders.case_by_id.load(case_id) if case_id is not None else None
    return found.model if found is not None else None


class CanViewCase(PolicyPermission):
    """The case view: contributed to, leads or was handed the case; or a coordination centre above it."""

    message = "your agency has no part in this case"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs.get("case_no") or kwargs.get("id"))]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        case = await _case_from_arguments(info, kwargs)
        return case is None or policy.can_view_case(principal, case)  # unknown: the resolver says NOT_FOUND


class CanLookUpPersons(PolicyPermission):
    """Person look-up: the petition bureau."""

    message = "only the petition bureau may look persons up"

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        return policy.can_look_up_persons(principal)


class CanIngestAs(PolicyPermission):
    """Records in the caller's own agency's name."""

    message = "an agency pushes records in its own name only"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(getattr(kwargs.get("input"), "agency", ""))]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        return policy.can_ingest_as(principal, kwargs["input"].agency)


async def _region_path(info: Info, code: str | None) -> list[str] | None:
    if code is None:
        return list(info.context.principal.region_path)
    return await info.context.loaders.region_path_by_code.load(str(code))


class CanAnalyseRegion(PolicyPermission):
    """Summaries and early warnings: a coordination centre at or above the region."""

    message = "summaries and early warnings are for the region's coordination centres"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        flt = kwargs.get("filter")
        return [str(kwargs.get("region") or getattr(flt, "region", None) or "")]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        flt = kwargs.get("filter")
        path = await _region_path(info, kwargs.get("region") or getattr(flt, "region", None))
        return path is None or policy.can_analyse(principal, path)  # unknown region: nothing to show


class CanManageMeetings(PolicyPermission):
    """Scheduling a meeting and changing it: the coordination centres of its region."""

    message = "joint meetings are managed by the region's coordination centres"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        source = kwargs.get("input")
        return [str(kwargs.get("meeting_id") or getattr(source, "meeting_id", None) or getattr(source, "region", ""))]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        source = kwargs.get("input")
        # `meetingId: ""` names a meeting too (a bad one): only scheduling, which has none, goes by region.
        meeting_id = kwargs["meeting_id"] if "meeting_id" in kwargs else getattr(source, "meeting_id", None)
        if meeting_id is None:
            path = await _region_path(info, source.region)
        else:
            meeting = await info.context.meeting(meeting_id)
            path = meeting.region_path if meeting else None
        return path is None or policy.can_manage_meetings(principal, path)


class CanViewMeeting(PolicyPermission):
    """A meeting and its brief: the region's coordination centres and the participants."""

    message = "only the meeting's participants and its region's coordination centres may read it"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs.get("meeting_id") or kwargs.get("id"))]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        meeting = await info.context.meeting(kwargs.get("meeting_id") or kwargs.get("id"))
        return meeting is None or policy.can_view_meeting(principal, meeting)


class CanListMeetings(PolicyPermission):
    """A region's meetings: its coordination centres."""

    message = "a region's meetings are listed for its coordination centres"

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        path = await _region_path(info, kwargs.get("region"))
        return path is None or policy.can_analyse(principal, path)


class CanReadAudit(PolicyPermission):
    """The audit trail: coordination centres."""

    message = "the audit trail is read by coordination centres"

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        return policy.can_read_audit(principal)


class CanViewNode(PolicyPermission):
    """`node(id)` follows the same rules as the typed fields: a case, a record (its case, and its
    visibility), a person (one of their cases), a meeting, a campaign and an enrolment are checked."""

    message = "your agency may not see this object"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs.get("id"))]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        type_name, raw = from_global_id(kwargs["id"])
        loaders = info.context.loaders
        if type_name == "Case":
            return await CanViewCase().allowed(principal, info, kwargs)
        if type_name == "JointMeeting":
            return await CanViewMeeting().allowed(principal, info, {"id": kwargs["id"]})
        if type_name == "Record":
            record = await info.context.record(raw)
            if record is None:
                return True  # the resolver answers null
            case = await loaders.case_by_id.load(record.case_id)
            return (case is not None and policy.can_view_case(principal, case.model)
                    and bool(policy.visible_records(principal, [record])))
        if type_name == "Campaign":
            return await CanViewCampaign().allowed(principal, info, {"id": kwargs["id"]})
        if type_name == "CampaignEnrolment":
            return await CanViewEnrolment().allowed(principal, info, {"id": kwargs["id"]})
        if type_name == "Person":
            person = await loaders.person_by_id.load(raw)
            if person is None:
                return True
            cases = await loaders.case_by_id.load_many(list(person.model.case_ids))
            return any(c is not None and policy.can_view_case(principal, c.model) for c in cases)
        return True


class CanSeeMeetingAgenda(PolicyPermission):
    """A meeting's agenda, on any path that reaches the meeting (an earlier meeting named by an open
    decision included): the region's coordination centres and that meeting's participants."""

    message = "only the meeting's participants and its region's coordination centres may see its agenda"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(source.model.id)]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        return policy.can_view_meeting(principal, source.model)


async def _mediator_from_input(info: Info, kwargs: dict[str, Any]) -> tuple[Any, list[str]] | None:
    """The mediator an input names, with the path of the region they work in; None when unknown."""
    mediator = await info.context.loaders.mediator_by_code.load(str(kwargs["input"].mediator))
    if mediator is None:
        return None
    return mediator, await info.context.loaders.region_path_by_code.load(mediator.region_code) or []


class CanAppointMediator(PolicyPermission):
    """Appointing a mediator: the justice bureau and coordination centres over the mediator's region."""

    message = "mediators are appointed by the justice bureau and the coordination centres of their region"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["input"].mediator)]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        found = await _mediator_from_input(info, kwargs)
        return found is None or policy.can_appoint_mediator(principal, found[1])  # unknown: BAD_USER_INPUT


class CanRecordTraining(PolicyPermission):
    """A mediator's training: those who may appoint them, and the mediator's own agency."""

    message = "training is recorded by the mediator's agency, the justice bureau and their region's centres"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["input"].mediator)]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        found = await _mediator_from_input(info, kwargs)
        return found is None or policy.can_record_training(principal, found[1], found[0].agency_code)


# --- backlog-clearance campaigns ------------------------------------------------------------------


async def _campaign(kwargs: dict[str, Any]) -> Any:
    raw = kwargs["campaign_id"] if "campaign_id" in kwargs else kwargs.get("id")  # "" is a (bad) id too
    return await campaign_service.get(campaign_id=object_id(raw, "Campaign"))  # type: ignore[arg-type]


async def _enrolment(kwargs: dict[str, Any]) -> Any:
    return await campaign_service.get_enrolment(
        enrolment_id=object_id(kwargs["id"], "CampaignEnrolment"))  # type: ignore[arg-type]


class CanCreateCampaign(PolicyPermission):
    """A new campaign: a coordination centre at or above its region."""

    message = "campaigns are run by the region's coordination centres"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["input"].region)]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        path = await _region_path(info, kwargs["input"].region)
        return path is None or policy.can_run_campaign(principal, path)  # unknown region: the resolver says so


class CanRunCampaign(PolicyPermission):
    """Enrolling cases in a campaign: its region's coordination centres."""

    message = "campaigns are run by the region's coordination centres"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs.get("campaign_id") or kwargs.get("id"))]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        campaign = await _campaign(kwargs)
        return campaign is None or policy.can_run_campaign(principal, campaign.region_path)


class CanViewCampaign(PolicyPermission):
    """A campaign and its figures: its region's coordination centres and the agencies inside its region."""

    message = "a campaign is read by the agencies of its region"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs.get("id"))]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        campaign = await _campaign(kwargs)
        return campaign is None or policy.can_view_campaign(principal, campaign)


class CanAssignResponsibility(PolicyPermission):
    """Naming the responsible unit of an enrolled case: the coordination centres of the case's region."""

    message = "responsibility is assigned by the coordination centres of the case's region"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["id"])]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        enrolment = await _enrolment(kwargs)
        return enrolment is None or policy.can_run_campaign(principal, enrolment.region_path)


class CanEscalateEnrolment(PolicyPermission):
    """One stage up: the responsible unit from its own stage; the coordination centres from any."""

    message = ("a case is escalated by its responsible unit, and past the coordination centre only by a "
               "coordination centre of its region")

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["id"])]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        enrolment = await _enrolment(kwargs)
        return enrolment is None or policy.can_escalate(principal, enrolment)


class CanClearEnrolment(PolicyPermission):
    """消案: the responsible unit or a coordination centre of the case's region."""

    message = "a case is cleared by its responsible unit or the coordination centres of its region"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["id"])]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        enrolment = await _enrolment(kwargs)
        return enrolment is None or policy.can_clear(principal, enrolment)


class CanViewEnrolment(PolicyPermission):
    """One enrolled case: the coordination centres of its region, its responsible unit, whoever sees the case."""

    message = "an enrolled case is read by its responsible unit, the coordination centres of its region and the " \
              "agencies that see the case"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["id"])]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        enrolment = await _enrolment(kwargs)
        if enrolment is None:
            return True
        case = await info.context.loaders.case_by_id.load(enrolment.case_id)
        return policy.can_read_enrolment(principal, enrolment, case.model if case is not None else None)


class CanReviewIdentities(PolicyPermission):
    """The identity review queue: coordination centres (for the cases in their region)."""

    message = "the identity review queue is for coordination centres"

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        return principal.is_coordination_centre
