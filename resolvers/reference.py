"""Agencies, regions, mediators, and `node`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.agencies import service as agency_service
from hub.campaigns import service as campaign_service
from hub.cases import service as case_service
from hub.mediators import service as mediator_service
from hub.meetings import service as meeting_service
from hub.people import service as person_service
from hub.records import service as record_service
from hub.regions import service as region_service
from resolvers.context import Context
from schema.campaigns import CampaignType, EnrolmentType
from schema.cases import CaseType
from schema.enums import AgencyKind, Category, MediatorKind
from schema.mediators import AppointmentStatus
from schema.meetings import JointMeetingType
from schema.audit import Audited
from schema.permissions import CanViewNode
from schema.people import PersonType
from schema.records import record_from_model
from schema.reference import AgencyType, MediatorType, RegionType
from schema.relay import Node, from_global_id, object_id


@strawberry.type
class ReferenceQuery:
    @strawberry.field(description="Agencies, optionally of one kind or region (exact region code).")
    async def agencies(
        self,
        kind: Annotated[AgencyKind | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only agencies of this kind.")] = None,
        region: Annotated[str | None, strawberry.argument(
            description="Only agencies of exactly this region code (not those below it).")] = None,
    ) -> list[AgencyType]:
        return [AgencyType.from_model(a) for a in await agency_service.list_all(kind=kind, region_code=region)]

    @strawberry.field(description="Regions directly below `parent` (the district when omitted).")
    async def regions(
        self,
        parent: Annotated[str | None, strawberry.argument(
            description="Region code whose direct children to list; the district when omitted.")] = None,
    ) -> list[RegionType]:
        return [RegionType.from_model(r) for r in await region_service.list_children(parent_code=parent)]

    @strawberry.field(description="Mediators by specialty, expert pool (调解专家库), region (including below), kind, "
                                  "appointment status and training since a day.")
    async def mediators(
        self,
        specialty: Annotated[Category | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only mediators with this specialty (纠纷类型).")] = None,
        expert: Annotated[bool | None, strawberry.argument(
            description="Only those in (true) or not in (false) the expert pool (调解专家库).")] = None,
        region: Annotated[str | None, strawberry.argument(
            description="Region code; only mediators of agencies in it or below it.")] = None,
        kind: Annotated[MediatorKind | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only mediators of this kind.")] = None,
        status: Annotated[AppointmentStatus | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only mediators whose appointment has this status today.")] = None,
        trained_since: Annotated[date | None, strawberry.argument(
            description="Only mediators with a training record on or after this day.")] = None,
    ) -> list[MediatorType]:
        found = await mediator_service.list_all(specialty=specialty, expert=expert, region_code=region, kind=kind,
                                                status=status, trained_since=trained_since)
        return [MediatorType.from_model(m) for m in found]

    @strawberry.field(description="Any object by its global ID (Relay), if the caller may see it.",
                      permission_classes=[CanViewNode],
                      extensions=[Audited(targets=lambda kwargs, result: [str(kwargs["id"])])])
    async def node(
        self, info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID, as the `id` of any Node.")],
    ) -> Node | None:
        type_name, raw = from_global_id(id)
        loaders = info.context.loaders
        if type_name == "Agency":
            return await loaders.agency_by_code.load(raw)
        if type_name == "Region":
            return await loaders.region_by_code.load(raw)
        if type_name == "Case":
            case = await case_service.get(case_id=object_id(id, "Case"))
            return CaseType.from_model(case) if case else None
        if type_name == "Person":
            found = await person_service.get_many(ids=[raw])
            return PersonType.from_model(next(iter(found.values()))) if found else None
        if type_name == "Record":
            record = await record_service.get(record_id=raw)
            return record_from_model(record) if record else None
        if type_name == "JointMeeting":
            meeting = await meeting_service.get(meeting_id=object_id(id, "JointMeeting"))  # type: ignore[arg-type]
            return JointMeetingType.from_model(meeting) if meeting else None
        if type_name == "Campaign":
            campaign = await campaign_service.get(campaign_id=object_id(id, "Campaign"))  # type: ignore[arg-type]
            return CampaignType.from_model(campaign) if campaign else None
        if type_name == "CampaignEnrolment":
            enrolment = await campaign_service.get_enrolment(
                enrolment_id=object_id(id, "CampaignEnrolment"))  # type: ignore[arg-type]
            return EnrolmentType.from_model(enrolment) if enrolment else None
        if type_name == "Mediator":
            mediator = (await mediator_service.get_many_by_code(codes=[raw])).get(raw)
            return MediatorType.from_model(mediator) if mediator else None
        return None
