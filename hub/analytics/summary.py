"""Cross-department figures (分析研判): counts over cases, grouped by any combination of dimensions.

The store does the counting: a summary is two aggregation pipelines over `cases`, sent at once.
Several summaries of one filter share one pipeline grouped by all their single-valued dimensions,
which the hub adds up into each of them and the total (`summarize_many`).
Both begin with the filter's `$match` (index-backed: region path, opening time) and end with the
same two `$group` stages. The rows pipeline first `$unwind`s the list dimensions it groups by
(agencies, agency kinds, channels; a case with none is kept, under null), so a case counts once
per agency it involves; the total pipeline has no `$unwind` and counts each case once. (The
derived lists hold each value once, so unwinding never counts a case twice in one row.)

The first `$group` is by the dimension fields and the case's days to resolution (null unless
resolved), with one accumulator per figure: `$sum: 1` for the cases; `$sum` of a `$cond` for each
count — screened, accepted, backlog (open and opened before the cutoff), each status, risk level,
tag and referral target; `$sum` of the petition counts. It is also keyed by the case's latest
referral (target, status, outcome; null without one). The second `$group`, by the dimension
fields alone, adds those up and `$push`es each {days, referral, cases} entry: the distribution of
days to resolution, from which the median is taken here (MongoDB 6.0 has no `$median`), and the
cases by referral state; it grows with the distinct days and states rather than with the cases.

Every stage and operator used runs alike on MongoDB 6.0+ and on the local store
(mongo-java-server 1.47), and every group key is made of single values: that store's `$group`
takes two arrays with the same smallest element for one key. Two pipelines rather than one
`$facet` with a total and a rows branch: a `$facet`'s single output document is capped at 16 MB
on MongoDB, and the local store runs it slower. tests/analytics/test_summary.py checks the figures
against a brute-force count.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from hub.cases.models import OPEN_STATUSES, Case, CaseStatus, CaseTag
from hub.errors import BadUserInput
from hub.records.enums import ReferralStatus, ReferralTarget, RiskLevel
from hub.store.service import READ_BATCH_SIZE, for_analytics

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
        for name in ("categories", "agencies", "channels"):  # tuples: a filter is a key (summarize_many)
            if getattr(self, name) is not None:
                object.__setattr__(self, name, tuple(getattr(self, name)))

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
    # Cases with a referral (whatever their status now), by their latest referral's (target, status, outcome).
    referrals: Counter[tuple[str, str, str | None]] = field(default_factory=Counter)
    by_risk_level: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    tagged: Counter[str] = field(default_factory=Counter)
    resolution_days: Counter[int] = field(default_factory=Counter)

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


# Each breakdown's values, and the condition a case meets to count under one; counted by one
# accumulator per value, "<breakdown>_<value>".
_BREAKDOWNS: dict[str, tuple[type[StrEnum], Callable[[str], dict[str, Any]]]] = {
    "status": (CaseStatus, lambda v: {"$eq": ["$status", v]}),
    "risk": (RiskLevel, lambda v: {"$eq": [{"$ifNull": ["$risk_level", RiskLevel.LOW.value]}, v]}),
    "tag": (CaseTag, lambda v: {"$in": [v, {"$ifNull": ["$tags", []]}]}),  # `$in` needs an array
    "referred": (ReferralTarget, lambda v: {"$and": [{"$eq": ["$status", CaseStatus.REFERRED.value]},
                                                     {"$eq": ["$referral_target", v]}]}),
}
# The first `$group` also keys on the case's latest referral — target, status (a case derived before states
# were tracked: REFERRED), outcome — all null without one: single values, so no accumulator per state.
_REFERRAL_KEY = {
    "rt": {"$ifNull": ["$referral_target", None]},
    "rs": {"$cond": [{"$eq": [{"$ifNull": ["$referral_target", None]}, None]}, None,
                     {"$ifNull": ["$referral_status", ReferralStatus.REFERRED.value]}]},
    "ro": {"$ifNull": ["$referral_outcome", None]},
}
_SUMMED = {"petitions": "$petition_count", "escalated_petitions": "$escalated_petition_count"}
_DAYS = "resolution_days"  # the first `$group`'s key field besides the dimensions
_RESOLVED_DAYS = {"$cond": [{"$eq": ["$status", CaseStatus.RESOLVED.value]}, "$resolution_days", None]}


def _conditions(cutoff: datetime) -> dict[str, Any]:
    """Each count's accumulator name and the condition a case meets to be counted."""
    backlog = {"$and": [{"$in": ["$status", sorted(s.value for s in OPEN_STATUSES)]}, {"$lt": ["$opened_at", cutoff]}]}
    return {"screened": "$screened", "accepted": "$accepted", "backlog": backlog,
            **{f"{name}_{v.value}": condition(v.value) for name, (enum, condition) in _BREAKDOWNS.items() for v in enum}}


def pipeline(*, filter: SummaryFilter, group_by: Sequence[Dimension], cutoff: datetime) -> list[dict[str, Any]]:
    """The aggregation counting the cases the filter matches by group_by (by nothing: the total)."""
    fields = [DIMENSION_FIELDS[d] for d in group_by]
    # A missing field and a null one group together (the store would otherwise tell them apart).
    key = {f: {"$ifNull": [f"${f}", None]} for f in fields}
    sums = {"cases": {"$sum": 1},
            **{name: {"$sum": {"$cond": [condition, 1, 0]}} for name, condition in _conditions(cutoff).items()},
            **{name: {"$sum": path} for name, path in _SUMMED.items()}}
    return [
        {"$match": filter.query()},
        *({"$unwind": {"path": f"${DIMENSION_FIELDS[d]}", "preserveNullAndEmptyArrays": True}}
          for d in group_by if d in LIST_DIMENSIONS),
        {"$group": {"_id": {**key, _DAYS: _RESOLVED_DAYS, **_REFERRAL_KEY}, **sums}},
        {"$group": {"_id": {f: f"$_id.{f}" for f in fields} if fields else None,
                    **{name: {"$sum": f"${name}"} for name in sums},
                    "days": {"$push": {"d": f"$_id.{_DAYS}", "t": "$_id.rt", "s": "$_id.rs", "o": "$_id.ro",
                                       "n": "$cases"}}}},
    ]


def _figures(group: Mapping[str, Any]) -> Figures:
    """The figures of one group the store counted."""
    counted = {name: Counter({v.value: n for v in enum if (n := int(group[f"{name}_{v.value}"]))})
               for name, (enum, _) in _BREAKDOWNS.items()}
    by_status, tagged = counted["status"], counted["tag"]
    days: Counter[int] = Counter()
    referrals: Counter[tuple[str, str, str | None]] = Counter()
    for pair in group["days"]:
        if pair.get("d") is not None:  # the cases not resolved, or resolved without a date
            days[int(pair["d"])] += int(pair["n"])
        if pair.get("t") is not None:  # the cases with a referral
            referrals[(pair["t"], pair["s"], pair.get("o"))] += int(pair["n"])
    return Figures(
        cases=int(group["cases"]), screened=int(group["screened"]), accepted=int(group["accepted"]),
        in_mediation=by_status[CaseStatus.IN_MEDIATION], resolved=by_status[CaseStatus.RESOLVED],
        failed=by_status[CaseStatus.FAILED], referred=by_status[CaseStatus.REFERRED],
        withdrawn=by_status[CaseStatus.CLOSED], open=sum(by_status[s] for s in OPEN_STATUSES),
        escalated=tagged[CaseTag.ESCALATED], mass=tagged[CaseTag.MASS],
        petitions=int(group["petitions"]), escalated_petitions=int(group["escalated_petitions"]),
        backlog=int(group["backlog"]), referred_by_target=counted["referred"], by_risk_level=counted["risk"],
        by_status=by_status, tagged=tagged, resolution_days=days,
        referrals=referrals,
    )


async def _aggregate(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cursor = await for_analytics(Case.get_pymongo_collection()).aggregate(stages, batchSize=READ_BATCH_SIZE)
    return await cursor.to_list()


def _check(filter: SummaryFilter) -> None:
    if filter.backlog_days < 0:
        raise BadUserInput("backlogDays must not be negative", field="backlogDays")
    if filter.opened_from and filter.opened_to and filter.opened_from >= filter.opened_to:
        raise BadUserInput("the period's start must be before its end", field="period")


async def summarize(*, filter: SummaryFilter, group_by: Sequence[Dimension]) -> Summary:
    """Figures for the cases the filter matches, in total and by every combination of group_by."""
    return (await summarize_many([(filter, group_by)]))[0]


async def summarize_many(requests: Sequence[tuple[SummaryFilter, Sequence[Dimension]]]) -> list[Summary]:
    """Several summaries (filter, group_by) at once, in the order asked.

    A dashboard asks for several groupings of one filter. The groupings by single-valued dimensions
    (township, category, month) are all read from ONE pipeline grouped by their union, and added
    up here into each coarser grouping and the total: every figure is a count or a {days, cases}
    histogram, so the sums are exact. A grouping by a list dimension (agency, agency kind, channel;
    a case counts once per value) gets a pipeline of its own. Each distinct pair is counted once.
    """
    for flt, _ in requests:
        _check(flt)
    asked = [(flt, tuple(dict.fromkeys(group_by))) for flt, group_by in requests]
    cutoffs = {flt: flt.backlog_cutoff() for flt, _ in asked}  # once, so a total and its rows judge backlog alike
    finest = {flt: tuple(dict.fromkeys(d for f, dims in asked if f == flt and not LIST_DIMENSIONS & set(dims)
                                       for d in dims)) for flt in cutoffs}
    own = list(dict.fromkeys((flt, dims) for flt, dims in asked if LIST_DIMENSIONS & set(dims)))
    answers = await asyncio.gather(
        *(_aggregate(pipeline(filter=flt, group_by=dims, cutoff=cutoffs[flt])) for flt, dims in finest.items()),
        *(_aggregate(pipeline(filter=flt, group_by=dims, cutoff=cutoffs[flt])) for flt, dims in own))
    read = dict(zip(finest.items(), answers[:len(finest)]))
    read.update(zip(own, answers[len(finest):]))

    def groups(flt: SummaryFilter, dims: tuple[Dimension, ...]) -> list[dict[str, Any]]:
        return read[(flt, dims)] if (flt, dims) in read else _roll_up(read[(flt, finest[flt])], dims)

    return [_summary(flt, dims, groups(flt, ()), groups(flt, dims) if dims else []) for flt, dims in asked]


def _roll_up(groups: Sequence[Mapping[str, Any]], dims: Sequence[Dimension]) -> list[dict[str, Any]]:
    """The store's groups added up into coarser ones, by `dims` (none: the total), as the store would give them."""
    fields = [DIMENSION_FIELDS[d] for d in dims]
    rolled: dict[tuple[Any, ...], dict[str, Any]] = {}
    for group in groups:
        key_of = group["_id"] or {}
        key = tuple(key_of.get(f) for f in fields)
        into = rolled.setdefault(key, {"_id": dict(zip(fields, key)) if fields else None, "days": []})
        for name, value in group.items():
            if name == "days":
                into["days"].extend(value)
            elif name != "_id":
                into[name] = into.get(name, 0) + value
    return list(rolled.values())


def _summary(flt: SummaryFilter, dims: tuple[Dimension, ...], total_groups: list[dict[str, Any]],
             row_groups: list[dict[str, Any]]) -> Summary:
    rows = [SummaryRow(key={d: g["_id"].get(DIMENSION_FIELDS[d]) for d in dims}, figures=_figures(g))
            for g in row_groups]
    rows.sort(key=lambda row: tuple("" if v is None else v for v in row.key.values()))
    total = _figures(total_groups[0]) if total_groups else Figures()
    return Summary(filter=flt, group_by=dims, total=total, rows=rows)
