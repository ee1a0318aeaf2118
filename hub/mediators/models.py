"""Mediators: people who mediate, by agency, with specialties, expert-pool membership, appointment and training."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel


class MediatorKind(StrEnum):
    """专职, 兼职, 网格员, 律师, 志愿者."""

    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"
    GRID_WORKER = "GRID_WORKER"
    LAWYER = "LAWYER"
    VOLUNTEER = "VOLUNTEER"


class AppointmentStatus(StrEnum):
    """在聘, 期满, 解聘. Stored: APPOINTED or DISMISSED; EXPIRED is derived (an APPOINTED term ended)."""

    APPOINTED = "APPOINTED"
    EXPIRED = "EXPIRED"
    DISMISSED = "DISMISSED"


class TrainingKind(StrEnum):
    """培训课程, 对口指导 (by the court, procuratorate, police or justice bureau)."""

    COURSE = "COURSE"
    GUIDANCE = "GUIDANCE"


class Appointment(BaseModel):
    """选聘: appointed on a day for a term, by an agency; `status` as stored (never EXPIRED)."""

    appointed_on: date
    term_end: date
    agency_code: str
    status: AppointmentStatus = AppointmentStatus.APPOINTED

    def status_on(self, today: date) -> AppointmentStatus:
        """The status on a day: an appointed term that has ended is EXPIRED."""
        if self.status is AppointmentStatus.APPOINTED and self.term_end < today:
            return AppointmentStatus.EXPIRED
        return self.status


class TrainingRecord(BaseModel):
    """One training: a course or a guidance session; `(course, on)` identifies it within the mediator."""

    course: str
    hours: float
    on: date
    provider_code: str
    kind: TrainingKind = TrainingKind.COURSE


class Mediator(Document):
    """A mediator of one agency; `expert` marks the expert pool (调解专家库).

    `trainings` holds course names registered with the mediator; `training_records` the dated,
    counted trainings. Both are embedded: a mediator has a handful, read with the mediator.
    """

    code: str
    name: str
    agency_code: str
    region_code: str
    kind: MediatorKind
    specialties: list[str] = Field(default_factory=list)
    expert: bool = False
    trainings: list[str] = Field(default_factory=list)
    appointment: Appointment | None = None
    training_records: list[TrainingRecord] = Field(default_factory=list)

    def courses(self) -> list[str]:
        """Course names: the registered ones and those of the training records, once each, sorted."""
        return sorted(set(self.trainings) | {t.course for t in self.training_records})

    def training_hours(self, *, since: date | None = None, until: date | None = None) -> float:
        """Hours of training on or after `since` and on or before `until`."""
        return sum(t.hours for t in self.training_records
                   if (since is None or t.on >= since) and (until is None or t.on <= until))

    class Settings:
        name = "mediators"
        indexes = [
            IndexModel([("code", ASCENDING)], unique=True),
            IndexModel([("agency_code", ASCENDING)]),
            IndexModel([("specialties", ASCENDING)]),
            IndexModel([("expert", ASCENDING)]),  # `mediators(expert: true)`: the expert pool
            IndexModel([("kind", ASCENDING)]),  # `mediators(kind:)`
            IndexModel([("appointment.status", ASCENDING), ("appointment.term_end", ASCENDING)]),  # `(status:)`
            IndexModel([("training_records.on", ASCENDING)]),  # `mediators(trainedSince:)`
        ]
