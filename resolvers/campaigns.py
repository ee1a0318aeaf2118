"""Backlog-clearance campaigns: create, enrol, assign, escalate, clear; the campaign, its cases and figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.campaigns import models as m
from hub.campaigns import service as campaign_service
from hub.errors import BadUserInput, Forbidden
from resolvers.context import Context
from schema.audit import Audited
from schema.campaigns import (
    AssignResponsibilityInput, CampaignDimension, CampaignProgressType, CampaignType, ClearanceOutcome,
    CreateCampaignInput, EnrolCaseInput, EnrolCasesResultType, EnrolmentType,
)
from schema.permissions import (
    CanAssignResponsibility, CanClearEnrolment, CanCreateCampaign, CanEscalateEnrolment, CanRunCampaign,
    CanViewCampaign, CanViewEnrolment,
)
from schema.relay import Connection, check_first, connection, decode_cursor, encode_cursor, object_id

ENROLMENT = "CampaignEnrolment"
ID_ARGUMENT = strawberry.argument(description="The enrolment's global ID.")


def _ids(kwargs: dict[str, Any], result: Any) -> list[str]:
    if isinstance(result, (CampaignType, EnrolmentType)):
        return [str(result.id)]
    if isinstance(result, list):
        return [str(r.id) for r in result]
    if isinstance(result, EnrolCasesResultType):
        return [r.case_no for r in result.results if r.enrolment is not None]
    source = kwargs.get("input")
    return [str(kwargs.get("id") or kwargs.get("campaign_id") or getattr(source, "region", ""))]


@strawberry.type
class CampaignQuery:
    @strawberry.field(description="攻坚破难专项行动 — the campaigns of a region, of the regions below it and of those "
                                  "above it (which cover it), latest start first (at most 100); those the caller may "
                                  "read: every agency inside a campaign's region and its coordination centres.",
                      extensions=[Audited(targets=_ids)])
    async def campaigns(
        self, info: Info[Context, None],
        region: Annotated[str | None, strawberry.argument(
            description="Region code; the caller's own region when omitted.")] = None,
        active_on: Annotated[date | None, strawberry.argument(
            description="Only campaigns running on this day.")] = None,
    ) -> list[CampaignType]:
        principal = info.context.principal
        code = region or principal.region_code
        path = await info.context.loaders.region_path_by_code.load(code) or []
        found = await campaign_service.list_for_region(region_code=code, active_on=active_on, above=path)
        return [CampaignType.from_model(c) for c in found if policy.can_view_campaign(principal, c)]

    @strawberry.field(description="One campaign; unknown: null with NOT_FOUND.",
                      permission_classes=[CanViewCampaign], extensions=[Audited(targets=_ids)])
    async def campaign(self, info: Info[Context, None],
                       id: Annotated[strawberry.ID, strawberry.argument(description="The campaign's global ID.")],
                       ) -> CampaignType | None:
        found = await campaign_service.get_or_raise(campaign_id=object_id(id, "Campaign"))  # type: ignore[arg-type]
        return CampaignType.from_model(found)

    @strawberry.field(description="清仓进度 — a campaign's figures on a day: enrolled, cleared, overdue, 清仓率, in "
                                  "total and by township, responsibility level and backlog kind.",
                      permission_classes=[CanViewCampaign], extensions=[Audited(targets=_ids)])
    async def campaign_progress(
        self, info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The campaign's global ID.")],
        group_by: Annotated[list[CampaignDimension] | None, strawberry.argument(  # type: ignore[valid-type]
            description="Dimensions to group by; the total only when omitted.")] = None,
        on: Annotated[date | None, strawberry.argument(
            description="The day overdue is judged on; today (district time) when omitted.")] = None,
    ) -> CampaignProgressType:
        campaign = await campaign_service.get_or_raise(campaign_id=object_id(id, "Campaign"))  # type: ignore[arg-type]
        report = await campaign_service.progress(
            campaign_id=campaign.id, group_by=[campaign_service.Dimension(d) for d in group_by or []], on=on)  # type: ignore[arg-type]
        return CampaignProgressType.from_domain(report)

    @strawberry.field(description="清仓案件 — a campaign's enrolled cases in case-number order: all for its "
                                  "coordination centres; for a centre below them, those of its region and those it "
                                  "answers for; for any other agency of the region, those it answers for (a case's "
                                  "enrolments also show on the case, `case { campaignEnrolments }`).",
                      permission_classes=[CanViewCampaign], extensions=[Audited(targets=_ids)])
    async def campaign_enrolments(
        self, info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The campaign's global ID.")],
        cleared: Annotated[bool | None, strawberry.argument(
            description="Only cleared (true) or not yet cleared (false) cases.")] = None,
        township: Annotated[str | None, strawberry.argument(description="Only cases of this township's code.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Cases per page, 1-100.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="The `endCursor` of the previous page; the first page when omitted.")] = None,
    ) -> Connection[EnrolmentType]:
        campaign = await campaign_service.get_or_raise(campaign_id=object_id(id, "Campaign"))  # type: ignore[arg-type]
        scope = policy.enrolment_scope(info.context.principal, campaign)
        if scope is None:  # CanViewCampaign lets no such caller through; never read "everything" for "nothing"
            raise Forbidden("a campaign's enrolled cases are read by the agencies of its region")
        size = check_first(first, default=50)
        last = None
        if after is not None:
            values = decode_cursor(after)
            if len(values) != 1:
                raise BadUserInput("`after` is not a cursor of this list", field="after")
            last = str(values[0])
        page, has_next = await campaign_service.list_enrolments(
            campaign_id=campaign.id, scope=scope, cleared=cleared, township_code=township, first=size,  # type: ignore[arg-type]
            after=last)
        return connection(
            [EnrolmentType.from_model(e) for e in page], cursors=[encode_cursor([e.case_no]) for e in page],
            has_next=has_next, has_previous=after is not None,
            total=lambda: campaign_service.count_enrolments(campaign_id=campaign.id, scope=scope,  # type: ignore[arg-type]
                                                            cleared=cleared, township_code=township),
        )

    @strawberry.field(description="One enrolled case, with its history; for its responsible unit and the "
                                  "coordination centres of its region. Unknown: null with NOT_FOUND.",
                      permission_classes=[CanViewEnrolment], extensions=[Audited(targets=_ids)])
    async def campaign_enrolment(self, info: Info[Context, None],
                                 id: Annotated[strawberry.ID, ID_ARGUMENT]) -> EnrolmentType | None:
        found = await campaign_service.get_enrolment_or_raise(
            enrolment_id=object_id(id, ENROLMENT))  # type: ignore[arg-type]
        return EnrolmentType.from_model(found)

    @strawberry.field(description="包案任务 — the caller's agency's own enrolled cases (it is the responsible unit), "
                                  "nearest deadline first (at most 500).", extensions=[Audited(targets=_ids)])
    async def campaign_tasks(
        self, info: Info[Context, None],
        cleared: Annotated[bool, strawberry.argument(
            description="Cleared cases (true) instead of those still to clear (false, the default).")] = False,
    ) -> list[EnrolmentType]:
        found = await campaign_service.tasks_of(unit_code=info.context.principal.agency_code, cleared=cleared)
        return [EnrolmentType.from_model(e) for e in found]


@strawberry.type
class CampaignMutation:
    @strawberry.mutation(description="Create a backlog-clearance campaign (攻坚破难专项行动) for a region, a period "
                                     "and target categories. For the region's coordination centres.",
                         permission_classes=[CanCreateCampaign], extensions=[Audited(targets=_ids)])
    async def create_campaign(
        self, info: Info[Context, None],
        input: Annotated[CreateCampaignInput, strawberry.argument(
            description="The name, region, first and last day, and target categories.")],
    ) -> CampaignType:
        principal = info.context.principal
        campaign = await campaign_service.create(
            name=input.name, region_code=input.region, starts_on=input.starts_on, ends_on=input.ends_on,
            categories=list(input.categories), agency_code=principal.agency_code, user=principal.user)
        return CampaignType.from_model(campaign)

    @strawberry.mutation(description="甄别分类 — enrol open backlog cases of the campaign's region and categories, "
                                     "each with its kind. The good ones land; each refused one comes back by index "
                                     "with its errors. For the campaign's coordination centres.",
                         permission_classes=[CanRunCampaign], extensions=[Audited(targets=_ids)])
    async def enrol_campaign_cases(
        self, info: Info[Context, None],
        campaign_id: Annotated[strawberry.ID, strawberry.argument(description="The campaign's global ID.")],
        cases: Annotated[list[EnrolCaseInput], strawberry.argument(
            description="1 to 200 cases, each with its classification.")],
    ) -> EnrolCasesResultType:
        principal = info.context.principal
        outcomes = await campaign_service.enrol(
            campaign_id=object_id(campaign_id, "Campaign"), entries=[c.to_domain() for c in cases],  # type: ignore[arg-type]
            agency_code=principal.agency_code, user=principal.user,
            backlog_days=info.context.settings.warnings.backlog_days)
        return EnrolCasesResultType.from_domain(outcomes)

    @strawberry.mutation(description="逐一明确责任、措施 — name the responsible unit, person, measures and deadline of "
                                     "an enrolled case (again: replaced, the history keeps both). For the "
                                     "coordination centres of the case's region.",
                         permission_classes=[CanAssignResponsibility], extensions=[Audited(targets=_ids)])
    async def assign_campaign_responsibility(
        self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
        input: Annotated[AssignResponsibilityInput, strawberry.argument(
            description="The unit, person, measures and deadline.")],
    ) -> EnrolmentType:
        principal = info.context.principal
        enrolment = await campaign_service.assign(
            enrolment_id=object_id(id, ENROLMENT), unit_code=input.unit_code, person=input.person,  # type: ignore[arg-type]
            measures=input.measures, deadline=input.deadline, agency_code=principal.agency_code, user=principal.user,
            acting=principal)
        return EnrolmentType.from_model(enrolment)

    @strawberry.mutation(description="提级协调 — move an enrolled case one stage up (unit → coordination centre → "
                                     "party committee and government) with the reason. From the unit: the unit or a "
                                     "coordination centre; past the centre: a coordination centre.",
                         permission_classes=[CanEscalateEnrolment], extensions=[Audited(targets=_ids)])
    async def escalate_campaign_case(
        self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
        reason: Annotated[str, strawberry.argument(
            description="Why the stage below cannot resolve it (1-1,000 characters).")],
    ) -> EnrolmentType:
        principal = info.context.principal
        enrolment = await campaign_service.escalate(enrolment_id=object_id(id, ENROLMENT), reason=reason,  # type: ignore[arg-type]
                                                    agency_code=principal.agency_code, user=principal.user,
                                                    acting=principal)
        return EnrolmentType.from_model(enrolment)

    @strawberry.mutation(description="消案 — clear an enrolled case with its outcome. For its responsible unit and "
                                     "the coordination centres of its region.",
                         permission_classes=[CanClearEnrolment], extensions=[Audited(targets=_ids)])
    async def clear_campaign_case(
        self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
        outcome: Annotated[ClearanceOutcome, strawberry.argument(  # type: ignore[valid-type]
            description="How it was cleared; RESOLVED needs the case resolved, LAWFUL_CHANNEL referred.")],
        note: Annotated[str, strawberry.argument(description="What was done (1-1,000 characters).")],
    ) -> EnrolmentType:
        principal = info.context.principal
        enrolment = await campaign_service.clear(
            enrolment_id=object_id(id, ENROLMENT), outcome=m.ClearanceOutcome(outcome), note=note,  # type: ignore[arg-type]
            agency_code=principal.agency_code, user=principal.user, acting=principal)
        return EnrolmentType.from_model(enrolment)
