"""The demo mediators' appointments (选聘) and training records, deterministic, loaded through the mediators service.

Most mediators are appointed by the justice bureau (township staff by their township's coordination
centre) for three years; a few volunteers' terms have ended (EXPIRED) and two were dismissed. Each
registered course becomes a dated training record; experts also had the court's guidance (对口指导).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from hub.mediators import service as mediator_service
from hub.mediators.models import AppointmentStatus, TrainingKind
from hub.mediators.service import NewAppointment, NewTraining
from seeds.generator import DEFAULT_SEED, MediatorSeed

JUSTICE_BUREAU, COURT = "QH-SFJ", "QH-FY"
GUIDANCE_COURSE = "诉前调解对口指导"
_FIRST_DAY = date(2026, 1, 5)


def _appointing_agency(m: MediatorSeed) -> str:
    """A township's people work under its coordination centre; everyone else under the justice bureau."""
    return f"QH-CC-{int(m.region_code[6:9]):02d}" if len(m.region_code) == 9 else JUSTICE_BUREAU


def mediator_records(
    mediators: list[MediatorSeed], seed: int = DEFAULT_SEED
) -> tuple[list[NewAppointment], list[NewTraining]]:
    """Appointments and trainings of the demo mediators; depends on the seed only."""
    rng = random.Random(f"mediator-records:{seed}")
    appointments, trainings = [], []
    for n, m in enumerate(mediators):
        expired = m.kind == "VOLUNTEER" and n % 4 == 0
        start = date(2021 if expired else 2024, 1 + rng.randrange(12), 1 + rng.randrange(28))
        status = AppointmentStatus.DISMISSED if n in (7, 61) else AppointmentStatus.APPOINTED
        appointments.append(NewAppointment(mediator_code=m.code, agency_code=_appointing_agency(m), appointed_on=start,
                                           term_years=3, status=status))
        for course in m.trainings:
            trainings.append(NewTraining(mediator_code=m.code, course=course, hours=float(rng.choice((4, 8, 16))),
                                         on=_FIRST_DAY + timedelta(days=rng.randrange(300)),
                                         provider_code=JUSTICE_BUREAU))
        if m.expert:
            trainings.append(NewTraining(mediator_code=m.code, course=GUIDANCE_COURSE, hours=4.0,
                                         on=_FIRST_DAY + timedelta(days=rng.randrange(300)), provider_code=COURT,
                                         kind=TrainingKind.GUIDANCE))
    return appointments, trainings


async def load_mediator_records(mediators: list[MediatorSeed], *, seed: int = DEFAULT_SEED) -> int:
    """Appoint the demo mediators and record their training (idempotent: a rerun writes the same)."""
    appointments, trainings = mediator_records(mediators, seed)
    await mediator_service.appoint(appointments=appointments)
    await mediator_service.record_trainings(trainings=trainings)
    return len(appointments)
