"""Cross-department figures (分析研判): counts over cases, grouped by any combination of dimensions.

On MongoDB, one aggregation pipeline does the counting: `$match` on the filter (index-backed:
region path, opening time), then `$group` by the requested dimensions together with every per-case
fact a figure needs (status, risk level, tags, referral target, petition counts, days to
resolution), counting cases with a single `$sum: 1`; a second pipeline counts the backlog (open
cases older than the threshold at `as_of`). Folding the groups into figures is plain arithmetic here.

Why not `$sum` per figure, `$cond` or `$unwind`? The local store (FerretDB v1.24, SQLite) computes
only the first accumulator of a `$group` (the others come back as 0), implements no `$cond`, and
its `$unwind` drops every other field of the document. And its `$group` compares each document
with every group found so far, so thousands of small groups take it tens of seconds: there the
pipeline is `$match` and `$project`, one scan, and the grouping happens here (`Strategy.HERE`).
Both strategies give the same figures (tests/analytics). Array dimensions (agency, agency kind,
channel) are grouped by their whole value and expanded here, so each case counts once per agency
it involves, and exactly once in the total.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from itertools import product
from typing import Any

from hub.cases.models import OPEN_STATUSES, Case, CaseStatus, CaseTag
from hub.errors import BadUserInput
from hub.records.enums import RiskLevel
from hub.store.service import READ_BATCH_SIZE

DEFAULT_BACKLOG_DAYS = 90


class Dimension(StrEnum):
    """What a summary can be grouped by."""

    AGENCY = "AGENCY"
    AGENCY_KIND = "AGENCY_KIND"
    CHANNEL = "CHANNEL"
    CATEGORY = "CATEGORY"
    TOWNSHIP = "TOWNSHIP"
    MONTH = "MONTH"


# The case field behind each dimension; the first three hold lists.
DIMENSION_FIELDS: dict[Dimension, str] = {
    Dimension.AGENCY: "agencies",
    Dimension.AGENCY_KIND: "agency_kinds",
    Dimension.CHANNEL: "channels",
    Dimension.CATEGORY: "category",
    Dimension.TOWNSHIP: "township_code",
    Dimension.MONTH: "opened_month",
}
LIST_DIMENSIONS = frozenset({Dimension.AGENCY, Dimension.AGENCY_KIND, Dimension.CHANNEL})

# Per-case facts every figure is computed from (grouped on, never summed by the store).
FACTS = ("status", "risk_level", "tags", "referral_target", "screened", "accepted",
         "petition_count", "escalated_petition_count", "resolution_days")


def as_utc(instant: datetime | None) -> datetime | None:
    """An instant with a time zone: one given without is taken as UTC (as the store would)."""
    if instant is None or instant.tzinfo is not None:
        return instant
    return instant.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class SummaryFilter:
    """Which cases a summary counts: opened in [opened_from, opened_to), in the region, and so on."""

    region: str | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    categories: Sequence[str] | None = None
    agencies: Sequence[str] | None = None
    channels: Sequence[str] | None = None
    as_of: datetime | None = None
    backlog_days: int = DEFAULT_BACKLOG_DAYS

    def __post_init__(self) -> None:
        for name in ("opened_from", "opened_to", "as_of"):
            object.__setattr__(self, name, as_utc(getattr(self, name)))

    def query(self) -> dict[str, Any]:
        """The `$match` of the pipelines."""
        query: dict[str, Any] = {}
        if self.region:
            query["region_path"] = self.region
        bounds = {op: v for op, v in (("$gte", self.opened_from), ("$lt", self.opened_to)) if v is not None}
        if bounds:
            query["opened_at"] = bounds
        for name, values in (("category", self.categories), ("agencies", self.agencies), ("channels", self.channels)):
            if values:
                query[name] = {"$in": [str(v) for v in values]}
        return query

    def admits(self, case: Mapping[str, Any]) -> bool:
        """Whether a case (projected with its opening time, category, agencies and channels) matches,
        the region aside: `query()` evaluated here."""
        opened = case["opened_at"]
        return ((self.opened_from is None or opened >= self.opened_from)
                and (self.opened_to is None or opened < self.opened_to)
                and (not self.categories or case.get("category") in self.categories)
                and (not self.agencies or bool(set(self.agencies) & set(case.get("agencies") or [])))
                and (not self.channels or bool(set(self.channels) & set(case.get("channels") or []))))

    def backlog_cutoff(self) -> datetime:
        """Cases opened before this and still open at `as_of` are backlog."""
        return (self.as_of or datetime.now(timezone.utc)) - timedelta(days=self.backlog_days)


@dataclass
class Figures:
    """The figures of one group of cases."""

    cases: int = 0
    screened: int = 0
    accepted: int = 0
    in_mediation: int = 0
    resolved: int = 0
    failed: int = 0
    referred: int = 0
    withdrawn: int = 0
    open: int = 0
    escalated: int = 0
    mass: int = 0
    petitions: int = 0
    escalated_petitions: int = 0
    backlog: int = 0
    referred_by_target: Counter[str] = field(default_factory=Counter)
    by_risk_level: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    tagged: Counter[str] = field(default_factory=Counter)
    resolution_days: Counter[int] = field(default_factory=Counter)

    def add(self, facts: Mapping[str, Any], n: int) -> None:
        """Count n cases sharing these facts."""
        status = CaseStatus(facts["status"])
        tags = set(facts.get("tags") or [])
        self.cases += n
        self.screened += n * bool(facts.get("screened"))
        self.accepted += n * bool(facts.get("accepted"))
        self.by_status[status.value] += n
        self.in_mediation += n * (status is CaseStatus.IN_MEDIATION)
        self.resolved += n * (status is CaseStatus.RESOLVED)
        self.failed += n * (status is CaseStatus.FAILED)
        self.referred += n * (status is CaseStatus.REFERRED)
        self.withdrawn += n * (status is CaseStatus.CLOSED)
        self.open += n * (status in OPEN_STATUSES)
        if status is CaseStatus.REFERRED and facts.get("referral_target"):
            self.referred_by_target[facts["referral_target"]] += n
        self.escalated += n * (CaseTag.ESCALATED in tags)
        self.mass += n * (CaseTag.MASS in tags)
        for tag in tags:
            self.tagged[tag] += n
        self.by_risk_level[facts.get("risk_level") or RiskLevel.LOW.value] += n
        self.petitions += n * int(facts.get("petition_count") or 0)
        self.escalated_petitions += n * int(facts.get("escalated_petition_count") or 0)
        if status is CaseStatus.RESOLVED and facts.get("resolution_days") is not None:
            self.resolution_days[int(facts["resolution_days"])] += n

    @property
    def concluded(self) -> int:
        """Cases that reached an outcome: resolved, failed or referred."""
        return self.resolved + self.failed + self.referred

    @property
    def resolution_rate(self) -> float | None:
        """Resolved ÷ concluded (调解成功率); None when nothing has concluded."""
        return self.resolved / self.concluded if self.concluded else None

    @property
    def median_days_to_resolution(self) -> float | None:
        """Median whole days from opening to resolution, over the resolved cases."""
        if not self.resolution_days:
            return None
        return float(statistics.median(self.resolution_days.elements()))


@dataclass(frozen=True)
class SummaryRow:
    """One group: its key (dimension -> value) and its figures."""

    key: dict[Dimension, str | None]
    figures: Figures


@dataclass(frozen=True)
class Summary:
    """Figures over every matched case, and by group."""

    filter: SummaryFilter
    group_by: tuple[Dimension, ...]
    total: Figures
    rows: list[SummaryRow]


def _key_values(doc_key: Mapping[str, Any], dimension: Dimension) -> list[str | None]:
    """The values a group contributes to a dimension: each list element, or the one value."""
    value = doc_key.get(DIMENSION_FIELDS[dimension])
    if dimension in LIST_DIMENSIONS:
        return sorted(set(value or [])) or [None]
    return [value]


@dataclass(frozen=True)
class Group:
    """Cases sharing a key (dimension fields and facts): how many, and how many of them are backlog."""

    key: Mapping[str, Any]
    cases: int
    backlog: int


def fold(
    groups: Iterable[Group], group_by: Sequence[Dimension]
) -> tuple[Figures, dict[tuple[str | None, ...], Figures]]:
    """Fold groups into a total and per-key figures."""
    total = Figures()
    rows: dict[tuple[str | None, ...], Figures] = defaultdict(Figures)
    for group in groups:
        targets = [total, *(rows[c] for c in product(*(_key_values(group.key, d) for d in group_by)))]
        for figures in targets:
            if group.cases:
                figures.add(group.key, group.cases)
            figures.backlog += group.backlog
    return total, rows


class Strategy(StrEnum):
    """Where cases are grouped: by the store (`$group`) or here, from projected cases."""

    STORE = "STORE"
    HERE = "HERE"


def _group_stage(fields: Iterable[str]) -> dict[str, Any]:
    return {"$group": {"_id": {f: f"${f}" for f in fields}, "n": {"$sum": 1}}}


async def _grouped_by_store(
    match: dict[str, Any], backlog_match: dict[str, Any], dim_fields: list[str]
) -> list[Group]:
    """Two pipelines: the cases by dimensions and facts, and the backlog by dimensions."""
    collection = Case.get_pymongo_collection()
    main, backlog = await asyncio.gather(
        collection.aggregate([{"$match": match}, _group_stage([*dim_fields, *FACTS])]),
        collection.aggregate([{"$match": backlog_match}, _group_stage(dim_fields)]),
    )
    return ([Group(key=g["_id"], cases=int(g["n"]), backlog=0) async for g in main]
            + [Group(key=g["_id"], cases=0, backlog=int(g["n"])) async for g in backlog])


_PROJECTED = ("opened_at", "category", "agencies", "channels")  # what `SummaryFilter.admits` reads


async def _projected(match: dict[str, Any], dim_fields: Iterable[str]) -> list[dict[str, Any]]:
    """One pipeline projecting each matched case to its dimensions, facts and filter fields."""
    fields = {f: 1 for f in (*dim_fields, *FACTS, *_PROJECTED)}
    cursor = await Case.get_pymongo_collection().aggregate([{"$match": match}, {"$project": fields}],
                                                           batchSize=READ_BATCH_SIZE)
    return await cursor.to_list()


def _grouped_here(cases: Iterable[Mapping[str, Any]], cutoff: datetime) -> list[Group]:
    """Every projected case as a group of its own, backlog judged at the cutoff."""
    open_values = {s.value for s in OPEN_STATUSES}
    return [Group(key=doc, cases=1, backlog=int(doc["status"] in open_values and doc["opened_at"] < cutoff))
            for doc in cases]


def _check(filter: SummaryFilter) -> None:
    if filter.backlog_days < 0:
        raise BadUserInput("backlogDays must not be negative", field="backlogDays")
    if filter.opened_from and filter.opened_to and filter.opened_from >= filter.opened_to:
        raise BadUserInput("the period's start must be before its end", field="period")


def _summary(filter: SummaryFilter, dims: tuple[Dimension, ...], groups: Iterable[Group]) -> Summary:
    total, rows = fold(groups, dims)
    ordered = sorted(rows.items(), key=lambda kv: tuple("" if v is None else v for v in kv[0]))
    return Summary(
        filter=filter, group_by=dims, total=total,
        rows=[SummaryRow(key=dict(zip(dims, key, strict=True)), figures=figures) for key, figures in ordered]
        if dims else [],
    )


async def summarize(
    *, filter: SummaryFilter, group_by: Sequence[Dimension], strategy: Strategy | None = None
) -> Summary:
    """Figures for the cases the filter matches, in total and by every combination of group_by.

    `strategy` defaults to grouping by the store on MongoDB and here on the local store.
    """
    _check(filter)
    dims = tuple(dict.fromkeys(group_by))
    match = filter.query()
    dim_fields = [DIMENSION_FIELDS[d] for d in dims]
    cutoff = filter.backlog_cutoff()
    if strategy is None:
        strategy = Strategy.STORE
    if strategy is Strategy.HERE:
        return _summary(filter, dims, _grouped_here(await _projected(match, dim_fields), cutoff))
    backlog_match = {**match, "status": {"$in": [s.value for s in OPEN_STATUSES]}}
    upper = match.get("opened_at", {}).get("$lt")
    backlog_match["opened_at"] = {**match.get("opened_at", {}), "$lt": min(cutoff, upper) if upper else cutoff}
    return _summary(filter, dims, await _grouped_by_store(match, backlog_match, dim_fields))


async def summarize_many(
    requests: Sequence[tuple[SummaryFilter, Sequence[Dimension]]], *, strategy: Strategy | None = None
) -> list[Summary]:
    """Several summaries of one region; on the local store they share one scan (its cost is the scan).

    The scan matches the region and the widest opening period of the requests; each request's own
    period, categories, agencies and channels are applied here (`SummaryFilter.admits`).
    """
    if strategy is None:
        strategy = Strategy.STORE
    regions = {f.region for f, _ in requests}
    if strategy is Strategy.STORE or len(regions) != 1:
        return list(await asyncio.gather(*(summarize(filter=f, group_by=g, strategy=strategy) for f, g in requests)))
    for f, _ in requests:
        _check(f)
    starts, ends = [f.opened_from for f, _ in requests], [f.opened_to for f, _ in requests]
    widest = SummaryFilter(region=regions.pop(), opened_from=None if None in starts else min(starts),  # type: ignore[type-var]
                           opened_to=None if None in ends else max(ends))  # type: ignore[type-var]
    dims = [tuple(dict.fromkeys(g)) for _, g in requests]
    cases = await _projected(widest.query(), {DIMENSION_FIELDS[d] for ds in dims for d in ds})
    return [_summary(f, d, _grouped_here([c for c in cases if f.admits(c)], f.backlog_cutoff()))
            for (f, _), d in zip(requests, dims, strict=True)]
