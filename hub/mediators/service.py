"""Mediator look-ups, registration, appointment (选聘), training records and current case loads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pymongo import UpdateOne

from hub.agencies import service as agency_service
from hub.cases.derive import district_day
from hub.cases.models import OPEN_STATUSES, Case
from hub.errors import BadUserInput
from hub.mediators.models import Appointment, AppointmentStatus, Mediator, MediatorKind, TrainingKind, TrainingRecord
from hub.records.enums import RecordKind
from hub.records.models import Record
from hub.regions import service as region_service
from hub.store.service import bulk_write, replace_by_key

MAX_TERM_YEARS = 10


def _status_query(status: AppointmentStatus, on: date) -> dict[str, Any]:
    """The filter for a status on a day (EXPIRED is an APPOINTED term that ended before it)."""
    if status is AppointmentStatus.DISMISSED:
        return {"appointment.status": AppointmentStatus.DISMISSED.value}
    ended = {"$lt" if status is AppointmentStatus.EXPIRED else "$gte": on}
    return {"appointment.status": AppointmentStatus.APPOINTED.value, "appointment.term_end": ended}


async def list_all(
    *, specialty: str | None = None, expert: bool | None = None, agency_codes: list[str] | None = None,
    region_code: str | None = None, kind: MediatorKind | None = None, status: AppointmentStatus | None = None,
    trained_since: date | None = None, on: date | None = None,
) -> list[Mediator]:
    """Mediators filtered by specialty, expert pool, agencies, the agencies of a region and below it, kind,
    appointment status (on a day) and training since a day, by code."""
    query: dict[str, Any] = {}
    if region_code:
        in_region = {a.code for a in await agency_service.list_all() if a.region_code.startswith(region_code)}
        agency_codes = sorted(in_region if agency_codes is None else in_region & set(agency_codes))
    if specialty:
        query["specialties"] = specialty
    if expert is not None:
        query["expert"] = expert
    if agency_codes is not None:
        query["agency_code"] = {"$in": agency_codes}
    if kind is not None:
        query["kind"] = kind.value
    if status is not None:
        query |= _status_query(AppointmentStatus(status), on or district_day())
    if trained_since is not None:
        query["training_records.on"] = {"$gte": trained_since}
    return await Mediator.find(query).sort("code").to_list()


async def get_many_by_code(*, codes: Iterable[str]) -> dict[str, Mediator]:
    """Mediators by code; unknown codes are absent."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {m.code: m for m in await Mediator.find({"code": {"$in": wanted}}).to_list()}


async def upsert_many(*, mediators: Iterable[Mediator]) -> int:
    """Create or replace mediators by code (idempotent)."""
    return await replace_by_key(Mediator.get_pymongo_collection(), mediators, "code")


@dataclass(frozen=True)
class NewAppointment:
    """An appointment to make or renew: the term ends on `term_end`, or `term_years` after `appointed_on`."""

    mediator_code: str
    agency_code: str
    appointed_on: date
    term_end: date | None = None
    term_years: int | None = None
    status: AppointmentStatus = AppointmentStatus.APPOINTED


@dataclass(frozen=True)
class NewTraining:
    """A training to record; the same course on the same day replaces the earlier record."""

    mediator_code: str
    course: str
    hours: float
    on: date
    provider_code: str
    kind: TrainingKind = TrainingKind.COURSE


async def _mediators_or_raise(codes: Iterable[str]) -> dict[str, Mediator]:
    codes = set(codes)
    found = await get_many_by_code(codes=codes)
    unknown = sorted(codes - set(found))
    if unknown:
        raise BadUserInput(f"unknown mediator code(s): {', '.join(unknown)}", field="mediator")
    return found


async def _check_agencies(codes: Iterable[str], field: str) -> None:
    wanted = set(codes)
    unknown = sorted(wanted - set(await agency_service.get_many_by_code(codes=wanted)))
    if unknown:
        raise BadUserInput(f"unknown agency code(s): {', '.join(unknown)}", field=field)


def _term_end(new: NewAppointment) -> date:
    """The day the term ends, checked: given once, not before the appointment, at most MAX_TERM_YEARS."""
    if (new.term_end is None) == (new.term_years is None):
        raise BadUserInput("give either the term's end or its length in years", field="termEnd")
    if new.term_years is not None:
        if not 1 <= new.term_years <= MAX_TERM_YEARS:
            raise BadUserInput(f"a term is 1 to {MAX_TERM_YEARS} years", field="termYears")
        start = new.appointed_on
        day = 28 if (start.month, start.day) == (2, 29) else start.day
        return start.replace(year=start.year + new.term_years, day=day)
    assert new.term_end is not None
    if new.term_end < new.appointed_on:
        raise BadUserInput("the term ends before the appointment", field="termEnd")
    return new.term_end


async def appoint(*, appointments: Sequence[NewAppointment]) -> list[Mediator]:
    """Appoint or re-appoint mediators (选聘, renewal, dismissal); one bulk write; the mediators as stored."""
    if any(a.status is AppointmentStatus.EXPIRED for a in appointments):
        raise BadUserInput("EXPIRED follows from the term; appoint as APPOINTED or DISMISSED", field="status")
    ends = [_term_end(a) for a in appointments]
    found = await _mediators_or_raise(a.mediator_code for a in appointments)
    await _check_agencies((a.agency_code for a in appointments), "agency")
    ops = []
    for new, end in zip(appointments, ends):
        appointment = Appointment(appointed_on=new.appointed_on, term_end=end, agency_code=new.agency_code,
                                  status=new.status)
        found[new.mediator_code].appointment = appointment
        ops.append(UpdateOne({"code": new.mediator_code}, {"$set": {"appointment": appointment.model_dump()}}))
    await bulk_write(Mediator.get_pymongo_collection(), ops)
    return [found[a.mediator_code] for a in appointments]


async def record_trainings(*, trainings: Sequence[NewTraining]) -> list[Mediator]:
    """Record trainings (courses and 对口指导); one bulk write; the mediators as stored, in input order."""
    for t in trainings:
        if not t.hours > 0:
            raise BadUserInput("training hours must be more than 0", field="hours")
        if not t.course.strip():
            raise BadUserInput("name the course", field="course")
    found = await _mediators_or_raise(t.mediator_code for t in trainings)
    await _check_agencies((t.provider_code for t in trainings), "provider")
    for t in trainings:
        mediator = found[t.mediator_code]
        kept = [r for r in mediator.training_records if (r.course, r.on) != (t.course.strip(), t.on)]
        new = TrainingRecord(course=t.course.strip(), hours=t.hours, on=t.on, provider_code=t.provider_code,
                             kind=t.kind)
        mediator.training_records = sorted([*kept, new], key=lambda r: (r.on, r.course))
    ops = [UpdateOne({"code": m.code}, {"$set": {"training_records": [r.model_dump() for r in m.training_records]}})
           for m in {t.mediator_code: found[t.mediator_code] for t in trainings}.values()]
    await bulk_write(Mediator.get_pymongo_collection(), ops)
    return [found[t.mediator_code] for t in trainings]


async def case_loads(*, mediators: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """How many open cases each (agency code, name) mediator is on: the cases with a MEDIATION_SESSION
    record of that agency naming them. One aggregation over the session records."""
    wanted = set(mediators)
    if not wanted:
        return {}
    names = sorted({name for _, name in wanted})
    pipeline: list[dict[str, Any]] = [
        {"$match": {"kind": RecordKind.MEDIATION_SESSION.value, "details.mediators": {"$in": names},
                    "agency_code": {"$in": sorted({a for a, _ in wanted})}}},
        {"$unwind": "$details.mediators"},
        {"$match": {"details.mediators": {"$in": names}}},
        {"$group": {"_id": {"agency": "$agency_code", "name": "$details.mediators", "case": "$case_id"}}},
        {"$lookup": {"from": Case.get_collection_name(), "localField": "_id.case", "foreignField": "_id",
                     "as": "case"}},
        {"$match": {"case.status": {"$in": sorted(s.value for s in OPEN_STATUSES)}}},
        {"$group": {"_id": {"agency": "$_id.agency", "name": "$_id.name"}, "cases": {"$sum": 1}}},
    ]
    cursor = await Record.get_pymongo_collection().aggregate(pipeline)
    counts = {(row["_id"]["agency"], row["_id"]["name"]): row["cases"] async for row in cursor}
    return {key: counts.get(key, 0) for key in wanted}


@dataclass(frozen=True)
class TownshipTraining:
    """One township's training figures for a period (督导通报)."""

    region_code: str
    region_name: str
    mediators: int
    trained: int
    hours: float


async def training_summary(*, region_code: str, since: date | None, until: date | None) -> list[TownshipTraining]:
    """Per township of the region (the region itself when it is one): mediators working there, how many
    trained in the period, and the period's training hours."""
    region = await region_service.get_by_code(code=region_code)
    if region is None:
        raise BadUserInput(f"unknown region code {region_code!r}", field="region")
    townships = ([region] if str(region.level) == "TOWNSHIP"
                 else [r for r in await region_service.list_children(parent_code=region.code)
                       if str(r.level) == "TOWNSHIP"])
    by_township: dict[str, list[Mediator]] = {t.code: [] for t in townships}
    for mediator in await list_all(region_code=region_code):
        for code, members in by_township.items():
            if mediator.region_code.startswith(code):
                members.append(mediator)
    rows = []
    for t in townships:
        hours = [m.training_hours(since=since, until=until) for m in by_township[t.code]]
        rows.append(TownshipTraining(t.code, t.name, len(hours), sum(1 for h in hours if h > 0), sum(hours)))
    return rows
