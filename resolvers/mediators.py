"""Mediators: appointment (选聘), training records, and the township training summary."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.mediators import service as mediator_service
from resolvers.context import Context
from schema.audit import Audited
from schema.mediators import AppointMediatorInput, RecordMediatorTrainingInput, TownshipTrainingType
from schema.permissions import CanAnalyseRegion, CanAppointMediator, CanRecordTraining
from schema.reference import MediatorType


def _mediator_target(kwargs: dict[str, Any], result: Any) -> list[str]:
    return [str(kwargs["input"].mediator)]


@strawberry.type
class MediatorQuery:
    @strawberry.field(description="乡镇培训情况 — per township of the region: mediators, trained mediators and "
                                  "training hours in the period. For the region's coordination centres.",
                      permission_classes=[CanAnalyseRegion])
    async def mediator_training_summary(
        self, info: Info[Context, None],
        region: Annotated[str, strawberry.argument(description="Region code: the district, or one township.")],
        from_: Annotated[date | None, strawberry.argument(
            name="from", description="Training on or after this day.")] = None,
        to: Annotated[date | None, strawberry.argument(description="Training on or before this day.")] = None,
    ) -> list[TownshipTrainingType]:
        rows = await mediator_service.training_summary(region_code=region, since=from_, until=to)
        return [TownshipTrainingType.from_domain(r) for r in rows]


@strawberry.type
class MediatorMutation:
    @strawberry.mutation(description="选聘 — appoint, re-appoint or dismiss a mediator. For the justice bureau and "
                                     "the coordination centres of the mediator's region.",
                         permission_classes=[CanAppointMediator], extensions=[Audited(targets=_mediator_target)])
    async def appoint_mediator(
        self, info: Info[Context, None],
        input: Annotated[AppointMediatorInput, strawberry.argument(
            description="The mediator, the appointing agency, the day and the term.")],
    ) -> MediatorType:
        [mediator] = await mediator_service.appoint(appointments=[mediator_service.NewAppointment(
            mediator_code=input.mediator, agency_code=input.agency, appointed_on=input.appointed_on,
            term_end=input.term_end, term_years=input.term_years, status=input.status)])
        return MediatorType.from_model(mediator)

    @strawberry.mutation(description="培训 — record a mediator's training or guidance (对口指导). For the "
                                     "mediator's agency, the justice bureau and the region's coordination centres.",
                         permission_classes=[CanRecordTraining], extensions=[Audited(targets=_mediator_target)])
    async def record_mediator_training(
        self, info: Info[Context, None],
        input: Annotated[RecordMediatorTrainingInput, strawberry.argument(
            description="The mediator, the course, its hours, day, provider and kind.")],
    ) -> MediatorType:
        [mediator] = await mediator_service.record_trainings(trainings=[mediator_service.NewTraining(
            mediator_code=input.mediator, course=input.course, hours=input.hours, on=input.on,
            provider_code=input.provider, kind=input.kind)])
        return MediatorType.from_model(mediator)
