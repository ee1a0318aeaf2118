"""The deterministic demo data set: a fictitious district, 清河区 (code 510199), and its disputes.

510199 is a fictitious county-level code under 51 (Sichuan). Every resident ID number starts
with region prefix 510199, so the numbers are plainly fictitious while still passing the
GB 11643 check digit; credit codes (91510199… / 12510199…) likewise pass GB 32100.

Pure: no database, no I/O, no clock. Only `random.Random` seeded from `seed`, so the same
seed and scale give byte-identical output. `reference_data` gives regions, agencies and
mediators (independent of scale); `iter_batches` streams the ingestion batches case by case
in bounded memory; `generate` collects everything into a `DemoData`.

Batches are ordered so that every record's `caseRef` and `refs` point at a record yielded
earlier (in an earlier batch or earlier in the same one): a loader can ingest them in order
(see `seeds.wire`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.agencies.models import AgencyKind
from hub.ingest.models import MAX_BATCH_SIZE
from hub.mediators.models import MediatorKind
from seeds import wire
from seeds.histories import CaseBuilder
from seeds.names import (
    DISTRICT_AGENCIES,
    DISTRICT_CODE,
    DISTRICT_NAME,
    ORG_TEMPLATES,
    PROVINCE,
    PUBLIC_BODIES,
    STREETS,
    TOWNSHIPS,
    TRADE_WORDS,
    TRAININGS,
    TRIBUNAL_OF_TOWNSHIP,
)
from seeds.world import CST, Identities, Person, Village, World, person_name

DEFAULT_SEED = 20261130
DEFAULT_NOW = datetime(2026, 11, 15, 12, 0, tzinfo=CST)
EXPERTS = 20
_EVERYDAY = ("NEIGHBOUR", "MARRIAGE_FAMILY", "PROPERTY_MANAGEMENT", "PRIVATE_LENDING", "CONTRACT", "OTHER")
_ORG_POOL_SIZES = {
    "employer": 30, "property": 10, "hospital": 6, "factory": 10, "shop": 15, "company": 20, "insurer": 4,
}
_PMC = "PEOPLES_MEDIATION_COMMITTEE"


@dataclass(frozen=True)
class RegionSeed:
    """A region: DISTRICT, TOWNSHIP, VILLAGE or GRID, with its parent's code."""

    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass(frozen=True)
class AgencySeed:
    """An agency with its AgencyKind value, home region and parent agency."""

    code: str
    name: str
    kind: str
    region_code: str
    parent_code: str | None


@dataclass(frozen=True)
class MediatorSeed:
    """A mediator of one agency; `specialties` are Category values."""

    code: str
    name: str
    agency_code: str
    region_code: str
    kind: str
    specialties: list[str] = field(default_factory=list)
    expert: bool = False
    trainings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemoData:
    """Reference data plus the ingestion batches (wire format) and how many cases they open."""

    regions: list[RegionSeed]
    agencies: list[AgencySeed]
    mediators: list[MediatorSeed]
    batches: list[dict[str, Any]]
    expected_cases: int


# --- reference data ----------------------------------------------------------------------------


def _regions(rng: random.Random) -> list[RegionSeed]:
    """District, townships, villages and 2-3 grids per village."""
    regions = [RegionSeed(DISTRICT_CODE, DISTRICT_NAME, "DISTRICT", None)]
    for t_no, (township, villages) in enumerate(TOWNSHIPS, 1):
        t_code = f"{DISTRICT_CODE}{t_no:03d}"
        regions.append(RegionSeed(t_code, township, "TOWNSHIP", DISTRICT_CODE))
        for v_no, village in enumerate(villages, 1):
            v_code = f"{t_code}{v_no:03d}"
            regions.append(RegionSeed(v_code, village, "VILLAGE", t_code))
            for g_no in range(1, rng.randint(2, 3) + 1):
                regions.append(RegionSeed(f"{v_code}{g_no:02d}", f"{village}第{g_no}网格", "GRID", v_code))
    return regions


def _village_pmc(region: RegionSeed) -> str:
    """The code of a village's own people's mediation committee."""
    return f"QH-PMC-{int(region.code[6:9]):02d}-{region.code[9:12]}"


def _agencies(regions: list[RegionSeed]) -> list[AgencySeed]:
    """District agencies, a coordination centre and committee per township, committees in every third village."""
    agencies = [AgencySeed(*row) for row in DISTRICT_AGENCIES[:1]]
    townships = [r for r in regions if r.level == "TOWNSHIP"]
    for t in townships:
        cc = f"QH-CC-{int(t.code[6:]):02d}"
        agencies.append(AgencySeed(cc, f"{t.name}大调解协调中心", "COORDINATION_CENTRE", t.code, "QH-CC"))
    for t in townships:
        cc = f"QH-CC-{int(t.code[6:]):02d}"
        agencies.append(AgencySeed(f"QH-PMC-{int(t.code[6:]):02d}", f"{t.name}人民调解委员会", _PMC, t.code, cc))
    for n, v in enumerate(r for r in regions if r.level == "VILLAGE"):
        if n % 3 == 0:
            parent = f"QH-PMC-{int(v.code[6:9]):02d}"
            agencies.append(AgencySeed(_village_pmc(v), f"{v.name}人民调解委员会", _PMC, v.code, parent))
    agencies += [AgencySeed(*row) for row in DISTRICT_AGENCIES[1:]]
    return agencies


def _staffing(agencies: list[AgencySeed]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(agency, region, MediatorKind, specialty choices) for every non-grid mediator post."""
    posts: list[tuple[str, str, str, tuple[str, ...]]] = []
    fixed = {
        "QH-CC": [("FULL_TIME", _EVERYDAY)] * 3 + [("LAWYER", ("LAND_ACQUISITION", "LABOUR", "CONTRACT"))] * 2,
        "QH-SFJ": [("FULL_TIME", _EVERYDAY)] * 2,
        "QH-FY": [("FULL_TIME", ("PRIVATE_LENDING", "CONTRACT", "MARRIAGE_FAMILY", "TRAFFIC_ACCIDENT"))] * 3,
        "QH-YTW": [("FULL_TIME", ("MEDICAL",))] * 3 + [("LAWYER", ("MEDICAL",))],
        "QH-LSTJ": [("LAWYER", ("CONTRACT", "PRIVATE_LENDING", "LABOUR", "MARRIAGE_FAMILY", "INTELLECTUAL_PROPERTY"))]
        * 6,
    }
    department_fields = {"QH-RSJ": ("LABOUR",), "QH-WJJ": ("MEDICAL",), "QH-JJDD": ("TRAFFIC_ACCIDENT",),
                         "QH-ZJJ": ("PROPERTY_MANAGEMENT",), "QH-ZRZYJ": ("LAND_ACQUISITION",),
                         "QH-STHJJ": ("ENVIRONMENT",), "QH-SCJGJ": ("FOOD_DRUG_SAFETY", "INTELLECTUAL_PROPERTY")}
    for a in agencies:
        if a.code in fixed:
            jobs = fixed[a.code]
        elif a.code in department_fields:
            jobs = [("FULL_TIME", department_fields[a.code])] * 2
        elif a.kind == "COURT":
            jobs = [("FULL_TIME", ("PRIVATE_LENDING", "MARRIAGE_FAMILY", "NEIGHBOUR"))]
        elif a.kind == "COORDINATION_CENTRE":
            jobs = [("FULL_TIME", _EVERYDAY)]
        elif a.kind == _PMC and len(a.region_code) == 9:
            jobs = [("FULL_TIME", _EVERYDAY)] * 2 + [("PART_TIME", _EVERYDAY)] + [("VOLUNTEER", _EVERYDAY)] * 2
        elif a.kind == _PMC:
            jobs = [("PART_TIME", _EVERYDAY), ("VOLUNTEER", _EVERYDAY)]
        else:
            jobs = []
        posts += [(a.code, a.region_code, kind, choices) for kind, choices in jobs]
    return posts


def _mediators(rng: random.Random, regions: list[RegionSeed], agencies: list[AgencySeed]) -> list[MediatorSeed]:
    """About 150 mediators: grid workers (one per two grids), staff, lawyers, volunteers; 20 experts."""
    village_pmcs = {a.region_code: a.code for a in agencies if a.kind == _PMC}
    posts: list[tuple[str, str, str, tuple[str, ...]]] = []
    for v in (r for r in regions if r.level == "VILLAGE"):
        grids = [r.code for r in regions if r.parent_code == v.code]
        agency = village_pmcs.get(v.code) or village_pmcs[v.code[:9]]
        posts += [(agency, grid, "GRID_WORKER", ("NEIGHBOUR", "MARRIAGE_FAMILY")) for grid in grids[::2]]
    posts += _staffing(agencies)
    eligible = [n for n, post in enumerate(posts) if post[2] in ("FULL_TIME", "LAWYER", "PART_TIME")]
    experts = set(rng.sample(eligible, EXPERTS))
    used: set[str] = set()
    mediators = []
    for n, (agency, region, kind, choices) in enumerate(posts):
        name = person_name(rng)
        while name in used:
            name = person_name(rng)
        used.add(name)
        specialties = sorted(rng.sample(choices, min(len(choices), rng.randint(1, 2))))
        trainings = sorted(rng.sample(TRAININGS, rng.randint(1, 3)))
        if kind == "GRID_WORKER" and "网格员矛盾纠纷排查培训" not in trainings:
            trainings.append("网格员矛盾纠纷排查培训")
        mediators.append(MediatorSeed(f"QH-M-{n + 1:04d}", name, agency, region, MediatorKind(kind).value,
                                      specialties, n in experts, trainings))
    return mediators


def reference_data(seed: int = DEFAULT_SEED) -> tuple[list[RegionSeed], list[AgencySeed], list[MediatorSeed]]:
    """Regions, agencies and mediators of 清河区; depends on the seed only, never on the scale."""
    rng = random.Random(f"reference:{seed}")
    regions = _regions(rng)
    agencies = _agencies(regions)
    assert {a.kind for a in agencies} == {k.value for k in AgencyKind}
    return regions, agencies, _mediators(rng, regions, agencies)


# --- the world the histories draw on -----------------------------------------------------------


def _organisations(rng: random.Random, people: Identities) -> dict[str, list[Person]]:
    """Employers, property companies, hospitals, factories, shops, companies, insurers, public bodies."""
    def address(township: str | None = None) -> str:
        """A business address in the township, or somewhere in the district."""
        township = township or rng.choice(TOWNSHIPS)[0]
        return f"{PROVINCE}{DISTRICT_NAME}{township}{rng.choice(STREETS)}{rng.randint(1, 400)}号"

    orgs: dict[str, list[Person]] = {}
    for pool, size in _ORG_POOL_SIZES.items():
        combos = [(t, w) for t in ORG_TEMPLATES[pool] for w in TRADE_WORDS]
        picked = rng.sample(combos, min(size, len(combos)))
        orgs[pool] = [people.organisation(t.format(w=w), address()) for t, w in picked]
    orgs["public"] = [people.organisation(name, address(), public=True) for name in PUBLIC_BODIES[:2]]
    orgs["public"] += [
        people.organisation(f"{DISTRICT_NAME}{name}人民政府", address(name), public=True) for name, _ in TOWNSHIPS
    ]
    return orgs


def build_world(
    seed: int, regions: list[RegionSeed], agencies: list[AgencySeed], mediators: list[MediatorSeed]
) -> World:
    """Lookups for the histories: villages, agencies, mediators per agency, organisations, identities."""
    rng = random.Random(f"world:{seed}")
    names = {r.code: r.name for r in regions}
    villages = [
        Village(r.code, r.name, r.code[:9], names[r.code[:9]], int(r.code[6:9]),
                tuple(g.code for g in regions if g.parent_code == r.code))
        for r in regions if r.level == "VILLAGE"
    ]
    codes = {a.code for a in agencies}
    township_codes = [r.code for r in regions if r.level == "TOWNSHIP"]
    township_pmc = {t: f"QH-PMC-{int(t[6:]):02d}" for t in township_codes}
    local_pmc = {}
    for v in villages:
        own = f"QH-PMC-{v.township_no:02d}-{v.code[9:]}"
        local_pmc[v.code] = own if own in codes else township_pmc[v.township_code]
    staff: dict[str, list[str]] = {}
    grid_workers: dict[str, list[str]] = {}
    for m in mediators:
        if m.kind == "GRID_WORKER":
            grid_workers.setdefault(m.region_code[:12], []).append(m.name)
        else:
            staff.setdefault(m.agency_code, []).append(m.name)
    people = Identities(random.Random(f"people:{seed}"))
    return World(
        villages=villages,
        agency_names={a.code: a.name for a in agencies},
        agency_kinds={a.code: a.kind for a in agencies},
        local_pmc=local_pmc,
        township_pmc=township_pmc,
        township_cc={t: f"QH-CC-{int(t[6:]):02d}" for t in township_codes},
        court_for={t: TRIBUNAL_OF_TOWNSHIP.get(int(t[6:]), "QH-FY") for t in township_codes},
        mediators=staff,
        grid_workers=grid_workers,
        orgs=_organisations(rng, people),
        people=people,
    )


# --- public API --------------------------------------------------------------------------------


def _cst(now: datetime | None) -> datetime:
    """`now` in +08:00; a naive datetime is taken as +08:00."""
    if now is None:
        return DEFAULT_NOW
    return now.replace(tzinfo=CST) if now.tzinfo is None else now.astimezone(CST)


def iter_batches(*, scale: int, seed: int = DEFAULT_SEED, now: datetime | None = None,
                 batch_size: int = 500) -> Iterator[dict[str, Any]]:
    """Stream the ingestion batches of `scale` cases, generated case by case in bounded memory."""
    if scale < 0:
        raise ValueError("scale must not be negative")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
    now = _cst(now)
    world = build_world(seed, *reference_data(seed))
    rng = random.Random(f"cases:{seed}")
    batcher = wire.Batcher(batch_size)
    for index in range(scale):
        for agency, record, deps in wire.records(CaseBuilder(world, rng, now, index).build()):
            yield from batcher.add(agency, record, deps)
    yield from batcher.drain()


def generate(*, scale: int = 2000, seed: int = DEFAULT_SEED, now: datetime | None = None) -> DemoData:
    """The whole demo data set: reference data and every batch of `scale` cases."""
    regions, agencies, mediators = reference_data(seed)
    batches = list(iter_batches(scale=scale, seed=seed, now=now))
    return DemoData(regions, agencies, mediators, batches, expected_cases=scale)
