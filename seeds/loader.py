"""Loads the demo data set through the same services as the API (one way in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from hub.agencies import service as agency_service
from hub.agencies.models import Agency
from hub.cases.models import Case
from hub.ingest import service as ingest_service
from hub.ingest.service import RecordStatus
from hub.mediators import service as mediator_service
from hub.mediators.models import Mediator
from hub.keys.ring import KeyRing
from hub.regions import service as region_service
from hub.regions.models import Region
from seeds import generator
from seeds.generator import DEFAULT_SEED, RegionSeed
from seeds.campaigns import load_campaigns
from seeds.mediator_records import load_mediator_records
from seeds.meetings import load_meetings
from seeds.notices import load_notices
from seeds.typical_cases import load_typical_cases


@dataclass
class LoadSummary:
    """What a seed run did."""

    skipped: bool = False
    batches: int = 0
    counts: dict[RecordStatus, int] = field(default_factory=lambda: {s: 0 for s in RecordStatus})
    rejections: list[str] = field(default_factory=list)
    meetings: int = 0


def _region_documents(seeds: list[RegionSeed]) -> list[Region]:
    """Regions with their ancestor paths."""
    parents = {r.code: r.parent_code for r in seeds}

    def path(code: str) -> list[str]:
        chain = [code]
        while parents.get(chain[0]):
            chain.insert(0, parents[chain[0]])  # type: ignore[arg-type]
        return chain

    return [Region(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code, path=path(r.code))
            for r in seeds]


async def load_reference_data(*, seed: int = DEFAULT_SEED) -> tuple[int, int, int]:
    """Regions, agencies and mediators (with appointments and training) of the demo district (idempotent)."""
    regions, agencies, mediators = generator.reference_data(seed)
    counts = (
        await region_service.upsert_many(regions=_region_documents(regions)),
        await agency_service.upsert_many(agencies=[
            Agency(code=a.code, name=a.name, kind=a.kind, region_code=a.region_code, parent_code=a.parent_code)
            for a in agencies
        ]),
        await mediator_service.upsert_many(mediators=[
            Mediator(code=m.code, name=m.name, agency_code=m.agency_code, region_code=m.region_code, kind=m.kind,
                     specialties=list(m.specialties), expert=m.expert, trainings=list(m.trainings))
            for m in mediators
        ]),
    )
    await load_mediator_records(mediators, seed=seed)  # appointments and training, through the service
    return counts


async def load(
    *,
    keys: KeyRing,
    scale: int = 2000,
    seed: int = DEFAULT_SEED,
    if_empty: bool = False,
    now: datetime | None = None,
    batch_size: int = 500,
    on_batch: Callable[[int], None] | None = None,
) -> LoadSummary:
    """Load the demo data set: reference data, then every case's records through ingestion."""
    summary = LoadSummary()
    if if_empty and await Case.find_all().limit(1).count():
        summary.skipped = True
        return summary
    await load_reference_data(seed=seed)
    for batch in generator.iter_batches(scale=scale, seed=seed, now=now, batch_size=batch_size):
        outcome = await ingest_service.ingest(batch=batch, keys=keys)
        summary.batches += 1
        for result in outcome.results:
            summary.counts[result.status] += 1
            if result.errors and len(summary.rejections) < 20:
                summary.rejections.append(f"{batch['sourceSystem']}:{result.source_id}: "
                                          + "; ".join(f"{e.path} {e.code}" for e in result.errors))
        if on_batch:
            on_batch(len(outcome.results))
    summary.meetings = len(await load_meetings(now=now or generator.DEFAULT_NOW))
    await load_typical_cases(keys=keys)
    await load_campaigns(now=now or generator.DEFAULT_NOW, keys=keys)
    await load_notices(now=now or generator.DEFAULT_NOW)
    return summary


def expected_records(*, scale: int) -> int:
    """Roughly how many records a scale gives (for a progress bar)."""
    return scale * 8
