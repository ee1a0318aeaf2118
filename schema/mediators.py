"""Mediators' appointment (选聘), training records and the township training summary."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from hub.analytics import labels
from hub.mediators import models as m
from hub.mediators.service import TownshipTraining
from schema.enums import described_enum

if TYPE_CHECKING:
    from schema.reference import AgencyType

AppointmentStatus = described_enum(m.AppointmentStatus, labels.APPOINTMENT_STATUS, name="AppointmentStatus",
                                   description="选聘状态 — in office, term ended, or dismissed.", glosses={
    "APPOINTED": "appointed, the term running", "EXPIRED": "the term has ended (derived from its end day)",
    "DISMISSED": "dismissed before the term's end",
})
TrainingKind = described_enum(m.TrainingKind, labels.TRAINING_KIND, name="TrainingKind",
                              description="培训方式 — a course, or guidance by the court, procuratorate, police or "
                                          "justice bureau.", glosses={
    "COURSE": "a training course", "GUIDANCE": "对口指导 by a judicial or law-enforcement body",
})

_Agency = Annotated["AgencyType", strawberry.lazy("schema.reference")]


@strawberry.type(name="Appointment", description="选聘 — a mediator's appointment: day, term and appointing agency.")
class AppointmentType:
    appointed_on: date = strawberry.field(description="The day of appointment.")
    term_end: date = strawberry.field(description="The last day of the term.")
    status: AppointmentStatus = strawberry.field(  # type: ignore[valid-type]
        description="Status today: EXPIRED once the term's end has passed.")
    agency_code: strawberry.Private[str]

    @strawberry.field(description="The agency that appointed the mediator.")
    async def agency(self, info: Info) -> _Agency | None:
        return await info.context.loaders.agency_by_code.load(self.agency_code)

    @classmethod
    def from_model(cls, a: m.Appointment, today: date) -> "AppointmentType":
        """Convert the embedded document, judging the status on `today`."""
        return cls(appointed_on=a.appointed_on, term_end=a.term_end, status=a.status_on(today),
                   agency_code=a.agency_code)


@strawberry.type(name="TrainingRecord", description="培训记录 — one course or guidance session a mediator took.")
class TrainingRecordType:
    course: str = strawberry.field(description="The course or the guidance's subject.")
    hours: float = strawberry.field(description="Hours of training (more than 0).")
    on: date = strawberry.field(description="The day.")
    kind: TrainingKind = strawberry.field(description="A course or guidance (对口指导).")  # type: ignore[valid-type]
    provider_code: strawberry.Private[str]

    @strawberry.field(description="The agency that gave it.")
    async def provider(self, info: Info) -> _Agency | None:
        return await info.context.loaders.agency_by_code.load(self.provider_code)

    @classmethod
    def from_model(cls, t: m.TrainingRecord) -> "TrainingRecordType":
        """Convert the embedded document."""
        return cls(course=t.course, hours=t.hours, on=t.on, kind=t.kind, provider_code=t.provider_code)


@strawberry.type(name="TownshipTraining", description="乡镇培训情况 — one township's mediators and training hours "
                                                         "in a period (for the supervision notice, 督导通报).")
class TownshipTrainingType:
    region_code: str = strawberry.field(description="The township's region code.")
    region_name: str = strawberry.field(description="The township's name.")
    mediators: int = strawberry.field(description="Mediators working in the township.")
    trained_mediators: int = strawberry.field(description="Of them, those with training in the period.")
    total_hours: float = strawberry.field(description="Training hours of its mediators in the period.")

    @classmethod
    def from_domain(cls, t: TownshipTraining) -> "TownshipTrainingType":
        """Convert the service's row."""
        return cls(region_code=t.region_code, region_name=t.region_name, mediators=t.mediators,
                   trained_mediators=t.trained, total_hours=t.hours)


@strawberry.input(name="AppointMediatorInput", description="An appointment to make or renew (or a dismissal).")
class AppointMediatorInput:
    mediator: str = strawberry.field(description="The mediator's code.")
    agency: str = strawberry.field(description="The appointing agency's code.")
    appointed_on: date = strawberry.field(description="The day of appointment.")
    term_end: date | None = strawberry.field(default=None, description="The term's last day; or give termYears.")
    term_years: int | None = strawberry.field(default=None, description="The term in years (1 to 10); or termEnd.")
    status: AppointmentStatus = strawberry.field(  # type: ignore[valid-type]
        default=m.AppointmentStatus.APPOINTED, description="APPOINTED (the default) or DISMISSED.")


@strawberry.input(name="RecordMediatorTrainingInput", description="A training a mediator took; the same course "
                                                                 "on the same day replaces the earlier record.")
class RecordMediatorTrainingInput:
    mediator: str = strawberry.field(description="The mediator's code.")
    course: str = strawberry.field(description="The course or the guidance's subject.")
    hours: float = strawberry.field(description="Hours (more than 0).")
    on: date = strawberry.field(description="The day.")
    provider: str = strawberry.field(description="The code of the agency that gave it.")
    kind: TrainingKind = strawberry.field(  # type: ignore[valid-type]
        default=m.TrainingKind.COURSE, description="COURSE (the default) or GUIDANCE (对口指导).")
