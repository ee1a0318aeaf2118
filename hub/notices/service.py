"""Supervision notices (督查通报): draft (figures computed), refresh while a draft, comment on each unit (点评),
publish (frozen), read and list.

The figures come from the hub's own summaries and services (docs/notices.md defines each):
`summarize_many` by township and by agency over the cases opened in the period, the campaign
enrolments cleared in it (`hub.campaigns.service.cleared_counts`), the handovers still pending past
the configured days at the period's end (the case files, `pending_handovers`), and the mediators'
training hours (`training_summary`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from beanie.exceptions import RevisionIdWasChanged

from hub.agencies import service as agency_service
from hub.agencies.models import AgencyKind
from hub.analytics.summary import Dimension, Figures, SummaryFilter, as_utc, summarize_many
from hub.auth import policy
from hub.auth.policy import Principal
from hub.campaigns import service as campaign_service
from hub.cases.derive import month_days, pending_handovers, start_of_day
from hub.cases.models import Case, CaseFile
from hub.errors import BadUserInput, Conflict, NotFound
from hub.mediators import service as mediator_service
from hub.notices.indicators import NoticeIndicator, NoticeIndicators, Values, Weighting, score_units
from hub.notices.models import (
    IndicatorValue, IndicatorWeighting, NoticeStatus, RankedUnit, SupervisionNotice, UnitKind,
)
from hub.regions import service as region_service
from hub.regions.models import Region, RegionLevel
from hub.store.service import READ_BATCH_SIZE, find_by_ids, store_now

MAX_TITLE = 100
MAX_COMMENT = 1000
MAX_PERIOD_DAYS = 366
MAX_LISTED = 100
_I = NoticeIndicator


# --- the period -----------------------------------------------------------------------------------


def parse_period(*, month: str | None = None, first_day: date | None = None,
                 last_day: date | None = None) -> tuple[date, date]:
    """The period's first and last day: a month ``YYYY-MM``, or explicit dates (both, the last included)."""
    if month is not None:
        if first_day is not None or last_day is not None:
            raise BadUserInput("give a month, or from and to dates, not both", field="period")
        return month_days(month)
    if first_day is None or last_day is None:
        raise BadUserInput("give a month (YYYY-MM), or both from and to dates", field="period")
    if last_day < first_day:
        raise BadUserInput("the period's last day is before its first", field="to")
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise BadUserInput(f"a period is at most {MAX_PERIOD_DAYS} days", field="to")
    return first_day, last_day


def period_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """[first instant, first instant after the last day) on the district's clock."""
    return start_of_day(first_day), start_of_day(last_day + timedelta(days=1))


def period_label(first_day: date, last_day: date) -> str:
    """``2026年10月`` for a calendar month, else ``2026-10-01至2026-10-15``."""
    if first_day.day == 1 and last_day == month_days(f"{first_day:%Y-%m}")[1]:
        return f"{first_day.year}年{first_day.month}月"
    return f"{first_day.isoformat()}至{last_day.isoformat()}"


def default_title(region: Region, first_day: date, last_day: date) -> str:
    """清河区矛盾纠纷多元化解工作督查通报(2026年10月)."""
    return f"{region.name}矛盾纠纷多元化解工作督查通报({period_label(first_day, last_day)})"


# --- the figures ----------------------------------------------------------------------------------


async def _townships(region: Region) -> list[Region]:
    if region.level is RegionLevel.TOWNSHIP:
        return [region]
    found = [r for r in await region_service.list_children(parent_code=region.code) if r.level is RegionLevel.TOWNSHIP]
    if not found:
        raise BadUserInput(f"region {region.code!r} has no townships to rank", field="region")
    return found


async def overdue_handovers(*, region_code: str, as_of: datetime, days: int) -> tuple[Counter[str], Counter[str]]:
    """Handovers of the region's cases still pending at `as_of` and made more than `days` days before it:
    counts by the case's township, and by the agency the case was handed to (which has not taken it up)."""
    query = {"region_path": region_code, "opened_at": {"$lt": as_of}, "handed_to.0": {"$exists": True}}
    cursor = Case.get_pymongo_collection().find(query, {"township_code": 1}, batch_size=READ_BATCH_SIZE)
    townships = {doc["_id"]: doc.get("township_code") async for doc in cursor}
    by_township: Counter[str] = Counter()
    by_agency: Counter[str] = Counter()
    cutoff = as_of - timedelta(days=days)
    for file in await find_by_ids(CaseFile.get_pymongo_collection(), list(townships)):
        before = [r for r in file.get("records", []) if as_utc(r["occurred_at"]) < as_of]
        for handover in pending_handovers(before):
            if as_utc(handover["occurred_at"]) <= cutoff:
                if townships.get(file["_id"]):
                    by_township[townships[file["_id"]]] += 1
                by_agency[str((handover.get("details") or {}).get("toAgency") or "")] += 1
    return by_township, by_agency


def _case_values(f: Figures) -> dict[NoticeIndicator, float | None]:
    return {
        _I.SCREENINGS_REPORTED: float(f.screened),
        _I.RESOLUTION_RATE: None if f.resolution_rate is None else round(f.resolution_rate, 4),
        _I.MEDIAN_DAYS_TO_RESOLUTION: f.median_days_to_resolution,
        _I.ESCALATED_PETITIONS_PER_100: round(100.0 * f.escalated_petitions / f.cases, 2) if f.cases else None,
    }


async def _agency_training(*, region_code: str, first_day: date, last_day: date) -> dict[str, float]:
    hours: dict[str, float] = {}
    for mediator in await mediator_service.list_all(region_code=region_code):
        hours[mediator.agency_code] = hours.get(mediator.agency_code, 0.0) + mediator.training_hours(
            since=first_day, until=last_day)
    return hours


async def compute_units(
    *, region: Region, first_day: date, last_day: date, rank_agencies: bool, weightings: list[Weighting],
    overdue_days: int, as_of: datetime,
) -> list[RankedUnit]:
    """Every unit's figures, scores and rank (townships, then agencies when asked), without comments."""
    since, until = period_bounds(first_day, last_day)
    townships = await _townships(region)
    in_period = SummaryFilter(region=region.code, opened_from=since, opened_to=until, as_of=as_of)
    requests: list[tuple[SummaryFilter, list[Dimension]]] = [(in_period, [Dimension.TOWNSHIP])]
    if rank_agencies:
        requests.append((in_period, [Dimension.AGENCY]))
    summaries, cleared, overdue, training, agency_hours = await asyncio.gather(
        summarize_many(requests),
        campaign_service.cleared_counts(region_code=region.code, since=since, until=until),
        overdue_handovers(region_code=region.code, as_of=as_of, days=overdue_days),
        mediator_service.training_summary(region_code=region.code, since=first_day, until=last_day),
        _agency_training(region_code=region.code, first_day=first_day, last_day=last_day) if rank_agencies
        else asyncio.sleep(0, {}),
    )
    hours = {t.region_code: (round(t.hours, 1) if t.mediators else None) for t in training}
    by_township = {r.key[Dimension.TOWNSHIP]: r.figures for r in summaries[0].rows}
    units: dict[UnitKind, dict[str, tuple[str, Values]]] = {UnitKind.TOWNSHIP: {}, UnitKind.AGENCY: {}}
    for t in townships:
        units[UnitKind.TOWNSHIP][t.code] = (t.name, {
            **_case_values(by_township.get(t.code) or Figures()),
            _I.BACKLOG_CLEARED: float(cleared[0].get(t.code, 0)),
            _I.OVERDUE_HANDOVERS: float(overdue[0].get(t.code, 0)),
            _I.TRAINING_HOURS: hours.get(t.code),
        })
    if rank_agencies:
        by_agency = {r.key[Dimension.AGENCY]: r.figures for r in summaries[1].rows}
        for agency in await _agencies_in(region):
            units[UnitKind.AGENCY][agency.code] = (agency.name, {
                **_case_values(by_agency.get(agency.code) or Figures()),
                _I.BACKLOG_CLEARED: float(cleared[1].get(agency.code, 0)),
                _I.OVERDUE_HANDOVERS: float(overdue[1].get(agency.code, 0)),
                _I.TRAINING_HOURS: (round(agency_hours[agency.code], 1) if agency.code in agency_hours else None),
            })
    ranked: list[RankedUnit] = []
    for kind, of_kind in units.items():
        scored = score_units({code: values for code, (_, values) in of_kind.items()}, weightings)
        rows = [RankedUnit(
            kind=kind, code=code, name=name, score=scored[code].total, rank=scored[code].rank,
            values=[IndicatorValue(indicator=w.indicator, value=values.get(w.indicator),
                                   score=scored[code].scores.get(w.indicator)) for w in weightings],
        ) for code, (name, values) in of_kind.items()]
        ranked += sorted(rows, key=lambda u: (u.rank is None, u.rank or 0, u.code))
    return ranked


async def _agencies_in(region: Region) -> list[Any]:
    """The agencies whose home region lies in the region, coordination centres aside (they assess)."""
    agencies = [a for a in await agency_service.list_all() if a.kind is not AgencyKind.COORDINATION_CENTRE]
    regions = await region_service.get_many_by_code(codes={a.region_code for a in agencies})
    return [a for a in agencies if a.region_code in regions and region.code in regions[a.region_code].path]


# --- the notice's life ----------------------------------------------------------------------------


async def get(*, notice_id: PydanticObjectId) -> SupervisionNotice | None:
    """One notice, or None."""
    return await SupervisionNotice.get(notice_id)


async def get_or_raise(*, notice_id: PydanticObjectId) -> SupervisionNotice:
    """One notice; NOT_FOUND when there is none."""
    notice = await get(notice_id=notice_id)
    if notice is None:
        raise NotFound(f"no supervision notice with id {str(notice_id)!r}")
    return notice


def _checked_title(title: str | None, fallback: str) -> str:
    if title is None:
        return fallback
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise BadUserInput(f"a title must be 1 to {MAX_TITLE} characters", field="title")
    return title


def _as_of(now: datetime | None, last_day: date) -> datetime:
    _, until = period_bounds(last_day, last_day)
    return min(now or store_now(), until)


async def draft(
    *, region_code: str, first_day: date, last_day: date, rank_agencies: bool, config: NoticeIndicators,
    agency_code: str, user: str, title: str | None = None, now: datetime | None = None,
) -> SupervisionNotice:
    """Draft a notice of a region over a period: its figures are computed now (as of the period's end,
    or `now` if that comes first)."""
    region = await region_service.get_by_code(code=region_code)
    if region is None:
        raise BadUserInput(f"unknown region code {region_code!r}", field="region")
    if start_of_day(first_day) > (now or store_now()):
        raise BadUserInput("the period has not begun yet", field="period")
    checked = _checked_title(title, default_title(region, first_day, last_day))
    as_of = _as_of(now, last_day)
    weightings = config.weightings()
    units = await compute_units(region=region, first_day=first_day, last_day=last_day, rank_agencies=rank_agencies,
                                weightings=weightings, overdue_days=config.overdue_handover_days, as_of=as_of)
    at = store_now()
    notice = SupervisionNotice(
        title=checked, region_code=region.code, region_name=region.name, region_path=region.path,
        period_from=first_day, period_to=last_day, rank_agencies=rank_agencies,
        indicators=[IndicatorWeighting(indicator=w.indicator, weight=w.weight, higher_is_better=w.higher_is_better)
                    for w in weightings],
        overdue_handover_days=config.overdue_handover_days, units=units, as_of=as_of, computed_at=at,
        created_by=agency_code, created_by_user=user, created_at=at, updated_at=at,
    )
    await notice.insert()
    return notice


def _still_draft(notice: SupervisionNotice) -> None:
    if notice.status is not NoticeStatus.DRAFT:
        published = notice.published_at.isoformat() if notice.published_at else "earlier"
        raise BadUserInput(f"the notice was published ({published}) and is frozen; draft a new one to change it",
                           field="id", reason="NOTICE_PUBLISHED")


async def _save(notice: SupervisionNotice) -> SupervisionNotice:
    notice.updated_at = store_now()
    try:
        await notice.replace()
    except RevisionIdWasChanged:
        raise Conflict("the notice was changed by someone else meanwhile; read it again and retry") from None
    return notice


async def refresh(*, notice_id: PydanticObjectId, config: NoticeIndicators, now: datetime | None = None,
                  ) -> SupervisionNotice:
    """Recompute a draft's figures with the current data and configuration; its comments are kept."""
    notice = await get_or_raise(notice_id=notice_id)
    _still_draft(notice)
    region = await region_service.get_by_code(code=notice.region_code)
    if region is None:
        raise BadUserInput(f"the notice's region {notice.region_code!r} no longer exists", field="id")
    comments = {(u.kind, u.code): u for u in notice.units if u.comment}
    weightings = config.weightings()
    as_of = _as_of(now, notice.period_to)
    units = await compute_units(region=region, first_day=notice.period_from, last_day=notice.period_to,
                                rank_agencies=notice.rank_agencies, weightings=weightings,
                                overdue_days=config.overdue_handover_days, as_of=as_of)
    for unit in units:
        if (kept := comments.get((unit.kind, unit.code))) is not None:
            unit.comment, unit.commented_by_user, unit.commented_at = kept.comment, kept.commented_by_user, kept.commented_at
    notice.units, notice.as_of, notice.computed_at = units, as_of, store_now()
    notice.indicators = [IndicatorWeighting(indicator=w.indicator, weight=w.weight, higher_is_better=w.higher_is_better)
                         for w in weightings]
    notice.overdue_handover_days = config.overdue_handover_days
    return await _save(notice)


async def comment(*, notice_id: PydanticObjectId, unit_code: str, text: str, user: str) -> SupervisionNotice:
    """点评: the coordination centre's comment on one ranked unit of a draft (again: replaced)."""
    text = text.strip()
    if not text or len(text) > MAX_COMMENT:
        raise BadUserInput(f"a comment must be 1 to {MAX_COMMENT} characters", field="comment")
    notice = await get_or_raise(notice_id=notice_id)
    _still_draft(notice)
    unit = next((u for u in notice.units if u.code == unit_code), None)
    if unit is None:
        raise BadUserInput(f"the notice ranks no unit coded {unit_code!r}", field="unitCode")
    unit.comment, unit.commented_by_user, unit.commented_at = text, user, store_now()
    return await _save(notice)


async def publish(*, notice_id: PydanticObjectId, agency_code: str, user: str) -> SupervisionNotice:
    """Publish a draft whose every unit has a comment; from then on it is frozen."""
    notice = await get_or_raise(notice_id=notice_id)
    _still_draft(notice)
    missing = [u.name for u in notice.units if not u.comment]
    if missing:
        shown = "、".join(missing[:5]) + ("等" if len(missing) > 5 else "")
        raise BadUserInput(f"every ranked unit needs a comment (点评) before publishing; {len(missing)} have none: "
                           f"{shown}", field="id", reason="COMMENTS_MISSING")
    notice.status, notice.published_by, notice.published_by_user = NoticeStatus.PUBLISHED, agency_code, user
    notice.published_at = store_now()
    return await _save(notice)


async def list_notices(
    *, principal: Principal, region_code: str | None = None, status: NoticeStatus | None = None,
) -> list[SupervisionNotice]:
    """The notices the caller may read (policy.notice_scope), of a region and below, of a status; latest
    period first (at most 100)."""
    query: dict[str, Any] = dict(policy.notice_scope(principal))
    if region_code is not None:
        if await region_service.get_by_code(code=region_code) is None:
            raise BadUserInput(f"unknown region code {region_code!r}", field="region")
        query["region_path"] = region_code
    if status is not None:
        if query.get("status", status.value) != status.value:
            return []  # the caller reads published notices only
        query["status"] = status.value
    return await (SupervisionNotice.find(query).sort(("period_from", -1), ("_id", -1)).limit(MAX_LISTED)
                  .to_list())


async def find_for_period(*, region_code: str, first_day: date, last_day: date) -> SupervisionNotice | None:
    """A region's notice of exactly this period, if one was drafted (the seeds look theirs up)."""
    return await SupervisionNotice.find_one({"region_code": region_code, "period_from": first_day,
                                             "period_to": last_day})


def values_by_indicator(unit: RankedUnit) -> Mapping[NoticeIndicator, IndicatorValue]:
    """A unit's figures keyed by indicator."""
    return {v.indicator: v for v in unit.values}
