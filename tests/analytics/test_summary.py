"""`summary` figures equal a brute-force count over the same cases: seeded ones for random filters,
and a few written for the edges (no agency, several agencies, backlog boundaries, a resolution
without a date, an empty result)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from itertools import product
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo.asynchronous.database import AsyncDatabase

from hub.analytics.summary import Dimension, Figures, SummaryFilter, summarize, summarize_many
from hub.cases.derive import month_of
from hub.cases.models import Case
from hub.keys.ring import KeyRing
from seeds import loader
from tests.conftest import CommandLog

SCALE = 120
NOW = datetime(2026, 11, 15, 8, 0, tzinfo=timezone.utc)
OPEN = {"SCREENED", "ACCEPTED", "IN_MEDIATION"}

SUMMARY = """query($filter: SummaryFilter!, $groupBy: [SummaryDimension!]!) {
  summary(filter: $filter, groupBy: $groupBy) {
    total { cases resolved resolutionRate medianDaysToResolution backlog
            referredByTarget { target count } referralsByOutcome { target status outcome cases }
            byRiskLevel { level count } }
    groups { key { dimension value label } figures { cases resolved failed petitions escalatedPetitions backlog } }
  } }"""


@pytest.fixture
async def seeded(database: AsyncDatabase, keys: KeyRing) -> dict[str, Any]:
    """The demo data at a small scale, and every case and agency as stored."""
    summary = await loader.load(keys=keys, scale=SCALE, now=NOW)
    assert summary.rejections == []
    cases = await database["cases"].find({}).to_list()
    kinds = {a["code"]: a["kind"] async for a in database["agencies"].find({})}
    return {"cases": cases, "kinds": kinds}


def values(case: dict[str, Any], dimension: Dimension, kinds: dict[str, str]) -> list[str | None]:
    """A case's values along a dimension, computed from its plain fields."""
    if dimension is Dimension.AGENCY:
        return sorted(set(case["agencies"])) or [None]
    if dimension is Dimension.AGENCY_KIND:
        return sorted({kinds[a] for a in case["agencies"]}) or [None]
    if dimension is Dimension.CHANNEL:
        return sorted(set(case["channels"])) or [None]
    if dimension is Dimension.CATEGORY:
        return [case["category"]]
    if dimension is Dimension.TOWNSHIP:
        return [case.get("township_code")]
    return [month_of(case["opened_at"])]


def brute_force(cases: list[dict[str, Any]], flt: SummaryFilter, group_by: list[Dimension],
                kinds: dict[str, str]) -> dict[tuple[str | None, ...], dict[str, Any]]:
    """The figures counted case by case, the slow and obvious way."""
    cutoff = flt.as_of - timedelta(days=flt.backlog_days)  # type: ignore[operator]
    groups: dict[tuple[str | None, ...], list[dict[str, Any]]] = defaultdict(list)
    for case in cases:
        if flt.region and flt.region not in case["region_path"]:
            continue
        if flt.opened_from and case["opened_at"] < flt.opened_from:
            continue
        if flt.opened_to and case["opened_at"] >= flt.opened_to:
            continue
        if flt.categories and case["category"] not in flt.categories:
            continue
        if flt.agencies and not set(flt.agencies) & set(case["agencies"]):
            continue
        if flt.channels and not set(flt.channels) & set(case["channels"]):
            continue
        groups[()].append(case)
        if group_by:
            for key in product(*(values(case, d, kinds) for d in group_by)):
                groups[key].append(case)
    out = {}
    for key, members in groups.items():
        resolved = [c for c in members if c["status"] == "RESOLVED"]
        concluded = [c for c in members if c["status"] in {"RESOLVED", "FAILED", "REFERRED"}]
        days = [(c["resolved_at"] - c["opened_at"]).days for c in resolved if c.get("resolved_at")]
        out[key] = {
            "cases": len(members),
            "screened": sum(bool(c.get("screened")) for c in members),
            "accepted": sum(bool(c.get("accepted")) for c in members),
            "resolved": len(resolved),
            "failed": sum(c["status"] == "FAILED" for c in members),
            "referred": sum(c["status"] == "REFERRED" for c in members),
            "withdrawn": sum(c["status"] == "CLOSED" for c in members),
            "in_mediation": sum(c["status"] == "IN_MEDIATION" for c in members),
            "open": sum(c["status"] in OPEN for c in members),
            "escalated": sum("ESCALATED" in c["tags"] for c in members),
            "mass": sum("MASS" in c["tags"] for c in members),
            "petitions": sum(c["petition_count"] for c in members),
            "escalated_petitions": sum(c["escalated_petition_count"] for c in members),
            "backlog": sum(c["status"] in OPEN and c["opened_at"] < cutoff for c in members),
            "referred_by_target": dict(Counter(c["referral_target"] for c in members if c["status"] == "REFERRED")),
            # every case with a referral, by its latest referral's state (none stored before states: REFERRED)
            "referrals": dict(Counter((c["referral_target"], c.get("referral_status") or "REFERRED",
                                       c.get("referral_outcome")) for c in members if c.get("referral_target"))),
            "by_risk_level": dict(Counter(c["risk_level"] for c in members)),
            "by_status": dict(Counter(c["status"] for c in members)),
            "tagged": dict(Counter(t for c in members for t in set(c["tags"]))),
            "resolution_rate": len(resolved) / len(concluded) if concluded else None,
            "median_days": float(statistics.median(days)) if days else None,
        }
    return out


def figures_of(f: Figures) -> dict[str, Any]:
    """The figures in the oracle's terms."""
    return {
        "cases": f.cases, "screened": f.screened, "accepted": f.accepted, "resolved": f.resolved,
        "failed": f.failed, "referred": f.referred, "withdrawn": f.withdrawn, "in_mediation": f.in_mediation,
        "open": f.open, "escalated": f.escalated, "mass": f.mass, "petitions": f.petitions,
        "escalated_petitions": f.escalated_petitions, "backlog": f.backlog,
        "referred_by_target": dict(+f.referred_by_target), "referrals": dict(+f.referrals),
        "by_risk_level": dict(+f.by_risk_level),
        "by_status": dict(+f.by_status), "tagged": dict(+f.tagged), "resolution_rate": f.resolution_rate,
        "median_days": f.median_days_to_resolution,
    }


async def assert_summary_is_brute_force(cases: list[dict[str, Any]], flt: SummaryFilter, group_by: list[Dimension],
                                        kinds: dict[str, str]) -> None:
    """The summary's total and rows are the oracle's, and rows come only when grouped."""
    expected = brute_force(cases, flt, group_by, kinds)
    summary = await summarize(filter=flt, group_by=group_by)
    assert figures_of(summary.total) == expected.get((), figures_of(Figures()))
    got = {tuple(row.key[d] for d in group_by): figures_of(row.figures) for row in summary.rows}
    if group_by:
        assert got == {k: v for k, v in expected.items() if k != ()}
    else:
        assert summary.rows == []


REGIONS = [None, "510199", "510199001", "510199003", "510199009"]
CATEGORIES = ["LABOUR", "NEIGHBOUR", "MARRIAGE_FAMILY", "LAND_ACQUISITION", "TRAFFIC_ACCIDENT", "CONTRACT"]
CHANNELS = ["PEOPLES", "ADMINISTRATIVE", "JUDICIAL", "SOCIAL", "PETITION", "STABILITY"]
AGENCIES = ["QH-RSJ", "QH-FY", "QH-XFJ", "QH-WWB", "QH-CC"]
GROUPINGS = st.lists(st.sampled_from(list(Dimension)), max_size=3, unique=True)


@st.composite
def filters(draw: st.DrawFn) -> SummaryFilter:
    start = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=24)))
    span = draw(st.integers(min_value=1, max_value=24))
    base = datetime(2024, 11, 1, tzinfo=timezone.utc)
    opened_from = base + timedelta(days=30 * start) if start is not None else None
    opened_to = (opened_from or base) + timedelta(days=30 * span) if draw(st.booleans()) else None
    return SummaryFilter(
        region=draw(st.sampled_from(REGIONS)),
        opened_from=opened_from, opened_to=opened_to,
        categories=draw(st.one_of(st.none(), st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3))),
        channels=draw(st.one_of(st.none(), st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=2))),
        agencies=draw(st.one_of(st.none(), st.lists(st.sampled_from(AGENCIES), min_size=1, max_size=2))),
        as_of=NOW, backlog_days=draw(st.sampled_from([30, 90, 365])),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=filters(), group_by=GROUPINGS)
async def test_summary_equals_brute_force(seeded: dict[str, Any], flt: SummaryFilter, group_by: list[Dimension]) -> None:
    await assert_summary_is_brute_force(seeded["cases"], flt, group_by, seeded["kinds"])


async def test_summary_over_graphql(seeded: dict[str, Any], http: httpx.AsyncClient) -> None:
    # The demo data has something in every figure (the property test would pass on empty data) …
    summary = await summarize(filter=SummaryFilter(as_of=NOW), group_by=[Dimension.AGENCY_KIND, Dimension.MONTH])
    total = summary.total
    assert total.cases == len(seeded["cases"]) >= SCALE
    assert total.resolved and total.failed and total.referred and total.backlog and total.petitions
    assert total.median_days_to_resolution is not None and 0 < total.resolution_rate < 1  # type: ignore[operator]
    assert {status for _, status, _ in total.referrals} == {"REFERRED", "FILED", "DECIDED"}  # every referral state
    assert len({outcome for _, _, outcome in total.referrals if outcome}) >= 3
    assert len({row.key[Dimension.AGENCY_KIND] for row in summary.rows}) >= 5
    assert sum(row.figures.cases for row in summary.rows) > total.cases  # a case counts once per agency kind

    # … and GraphQL serves the same figures, with labels people read.
    variables = {"filter": {"region": "510199", "asOf": NOW.isoformat(), "backlogDays": 90},
                 "groupBy": ["AGENCY", "MONTH"]}
    body = (await http.post("/graphql", json={"query": SUMMARY, "variables": variables})).json()
    assert "errors" not in body, body["errors"]
    summary = body["data"]["summary"]
    expected = brute_force(seeded["cases"], SummaryFilter(region="510199", as_of=NOW, backlog_days=90),
                           [Dimension.AGENCY, Dimension.MONTH], seeded["kinds"])
    assert summary["total"]["cases"] == expected[()]["cases"]
    assert summary["total"]["backlog"] == expected[()]["backlog"]
    assert {(r["target"], r["status"], r["outcome"]): r["cases"] for r in summary["total"]["referralsByOutcome"]} \
        == expected[()]["referrals"]
    assert len(summary["groups"]) == len(expected) - 1
    first = summary["groups"][0]
    assert [k["dimension"] for k in first["key"]] == ["AGENCY", "MONTH"]
    assert first["key"][0]["label"] and first["key"][0]["label"] != first["key"][0]["value"]  # the agency's name


async def test_a_period_that_ends_before_it_starts_is_refused(http: httpx.AsyncClient, database: AsyncDatabase) -> None:
    variables = {"filter": {"period": {"from": "2026-11-01T00:00:00Z", "to": "2026-10-01T00:00:00Z"}}, "groupBy": []}
    body = (await http.post("/graphql", json={"query": SUMMARY, "variables": variables})).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["data"] is None


# A few cases written for the edges, measured at a day long past (so "now" would judge backlog otherwise).
AS_OF = datetime(2024, 6, 1, tzinfo=timezone.utc)
CUTOFF = AS_OF - timedelta(days=90)  # the default backlog age
KINDS = {"QH-A": "COURT", "QH-B": "COURT", "QH-C": "POLICE"}


def case(n: int, opened_at: datetime, status: str = "ACCEPTED", *, agencies: tuple[str, ...] = (),
         resolved_after: timedelta | None = None, category: str = "LABOUR", **derived: Any) -> Case:
    """A case as derivation leaves it, with the facts a summary reads."""
    resolved_at = opened_at + resolved_after if resolved_after is not None else None
    return Case(case_no=f"T-{n}", title=f"案件{n}", category=category, region_code="510199001",
                region_path=["510199", "510199001"], origin_source_key=f"test:{n}", opened_at=opened_at,
                opened_month=month_of(opened_at), status=status, agencies=list(agencies),
                agency_kinds=sorted({KINDS[a] for a in agencies}), resolved_at=resolved_at,
                resolution_days=resolved_after.days if resolved_after is not None else None, **derived)


@pytest.fixture
async def few(database: AsyncDatabase) -> list[dict[str, Any]]:
    """Eight cases at the edges, as stored."""
    await Case.insert_many([
        case(1, CUTOFF - timedelta(days=30), "RESOLVED", agencies=("QH-A", "QH-B", "QH-C"), resolved_after=timedelta(days=10),
             channels=["PEOPLES", "JUDICIAL"], tags=["ESCALATED", "MASS"], petition_count=2, escalated_petition_count=1,
             risk_level="HIGH", screened=True, accepted=True),
        case(2, CUTOFF - timedelta(milliseconds=1), "SCREENED", screened=True),  # no agency or channel; backlog by 1 ms
        case(3, CUTOFF, agencies=("QH-A",), channels=["PEOPLES"], accepted=True),  # opened at the cutoff: not backlog
        case(4, CUTOFF - timedelta(days=5), "RESOLVED", agencies=("QH-B",), category="MARRIAGE_FAMILY"),  # no date
        case(5, CUTOFF - timedelta(days=60), "REFERRED", agencies=("QH-A", "QH-B"), referral_target="LITIGATION"),
        case(6, AS_OF - timedelta(days=10), "IN_MEDIATION", agencies=("QH-C",), category="NEIGHBOUR",
             township_code="510199001", tags=["DIFFICULT"]),
        case(7, CUTOFF - timedelta(days=200), "CLOSED", agencies=("QH-C",)),  # old, but closed: not backlog
        case(8, CUTOFF - timedelta(days=3), "RESOLVED", agencies=("QH-A",), resolved_after=timedelta(days=3)),
    ])
    # A case stored before the field existed: missing and null must group together.
    await database["cases"].update_one({"case_no": "T-3"}, {"$unset": {"township_code": ""}})
    return await database["cases"].find({}).to_list()


async def test_each_case_counts_once_in_the_total_and_once_per_value(few: list[dict[str, Any]]) -> None:
    flt = SummaryFilter(as_of=AS_OF)
    by_agency = await summarize(filter=flt, group_by=[Dimension.AGENCY])
    assert by_agency.total.cases == 8
    assert [(r.key[Dimension.AGENCY], r.figures.cases) for r in by_agency.rows] == [
        (None, 1), ("QH-A", 4), ("QH-B", 3), ("QH-C", 3)]  # sorted, the case without agencies first
    assert by_agency.rows[1].figures.petitions == 2 and by_agency.total.petitions == 2
    # Case 1 involves two courts: it counts once for the kind.
    by_kind = await summarize(filter=flt, group_by=[Dimension.AGENCY_KIND])
    assert {r.key[Dimension.AGENCY_KIND]: r.figures.cases for r in by_kind.rows} == {None: 1, "COURT": 5, "POLICE": 3}
    by_channel = await summarize(filter=flt, group_by=[Dimension.CHANNEL, Dimension.CATEGORY])
    assert {tuple(r.key.values()): r.figures.cases for r in by_channel.rows} == {
        (None, "LABOUR"): 4, (None, "MARRIAGE_FAMILY"): 1, (None, "NEIGHBOUR"): 1, ("JUDICIAL", "LABOUR"): 1,
        ("PEOPLES", "LABOUR"): 2}
    by_township = await summarize(filter=flt, group_by=[Dimension.TOWNSHIP])
    assert [(r.key[Dimension.TOWNSHIP], r.figures.cases) for r in by_township.rows] == [(None, 7), ("510199001", 1)]


async def test_backlog_is_open_and_opened_before_the_cutoff_at_as_of(few: list[dict[str, Any]]) -> None:
    async def backlog(**filter: Any) -> int:
        return (await summarize(filter=SummaryFilter(**filter), group_by=[])).total.backlog

    assert await backlog(as_of=AS_OF) == 1  # case 2, a millisecond before the cutoff; not 3, opened at it
    assert await backlog(as_of=AS_OF + timedelta(milliseconds=1)) == 2  # now case 3 too
    assert await backlog(as_of=AS_OF, backlog_days=0) == 3  # every open case opened before as_of
    assert await backlog(as_of=AS_OF - timedelta(days=365)) == 0  # before any of them was opened
    assert await backlog() == 3  # measured now, long after: every open case is old
    assert (await summarize(filter=SummaryFilter(as_of=AS_OF), group_by=[])).total.open == 3


async def test_median_and_rate_count_only_the_resolutions_they_can(few: list[dict[str, Any]]) -> None:
    summary = await summarize(filter=SummaryFilter(as_of=AS_OF), group_by=[Dimension.CATEGORY])
    total = summary.total
    assert (total.resolved, total.failed, total.referred, total.concluded) == (3, 0, 1, 4)
    assert total.resolution_rate == 0.75
    assert total.median_days_to_resolution == 6.5  # 3 and 10 days; case 4 has no resolution date
    undated = next(r.figures for r in summary.rows if r.key[Dimension.CATEGORY] == "MARRIAGE_FAMILY")
    assert (undated.resolved, undated.resolution_rate, undated.median_days_to_resolution) == (1, 1.0, None)
    open_only = next(r.figures for r in summary.rows if r.key[Dimension.CATEGORY] == "NEIGHBOUR")
    assert (open_only.resolution_rate, open_only.median_days_to_resolution) == (None, None)
    assert dict(total.referred_by_target) == {"LITIGATION": 1}
    assert dict(total.tagged) == {"ESCALATED": 1, "MASS": 1, "DIFFICULT": 1}
    assert (total.escalated, total.mass, total.screened, total.accepted) == (1, 1, 2, 2)


async def test_nothing_matched_gives_zero_figures_and_no_rows(few: list[dict[str, Any]]) -> None:
    for flt in (SummaryFilter(categories=["CONTRACT"], as_of=AS_OF), SummaryFilter(region="510199009", as_of=AS_OF),
                SummaryFilter(opened_from=AS_OF, as_of=AS_OF)):
        summary = await summarize(filter=flt, group_by=[Dimension.AGENCY, Dimension.MONTH])
        assert summary.total == Figures() and summary.rows == []
        assert summary.total.resolution_rate is None and summary.total.median_days_to_resolution is None


@pytest.mark.parametrize("backlog_days", [0, 90])
async def test_the_edge_cases_equal_brute_force(few: list[dict[str, Any]], backlog_days: int) -> None:
    flt = SummaryFilter(as_of=AS_OF, backlog_days=backlog_days)
    for first in [None, *Dimension]:
        for second in [None, *Dimension]:
            group_by = list(dict.fromkeys(d for d in (first, second) if d is not None))
            await assert_summary_is_brute_force(few, flt, group_by, KINDS)


async def test_summarize_many_gives_each_summary_in_order(few: list[dict[str, Any]]) -> None:
    requests = [(SummaryFilter(agencies=["QH-A"], as_of=AS_OF), [Dimension.AGENCY]),
                (SummaryFilter(as_of=AS_OF), [Dimension.CATEGORY]),
                (SummaryFilter(opened_from=CUTOFF, as_of=AS_OF), [Dimension.MONTH])]
    together = await summarize_many(requests)
    for (flt, group_by), shared in zip(requests, together, strict=True):
        alone = await summarize(filter=flt, group_by=group_by)
        assert shared.group_by == tuple(group_by)
        assert figures_of(shared.total) == figures_of(alone.total)
        assert [(r.key, figures_of(r.figures)) for r in shared.rows] == [(r.key, figures_of(r.figures)) for r in alone.rows]


DASHBOARD = """query($filter: SummaryFilter!) {
  table: summary(filter: $filter, groupBy: [CATEGORY]) { total { cases } groups { figures { cases } } }
  categories: summary(filter: $filter, groupBy: [CATEGORY]) { groups { figures { cases } } }
  trend: summary(filter: $filter, groupBy: [MONTH]) { total { cases } groups { figures { cases } } }
  all: summary(filter: $filter, groupBy: []) { total { cases } }
}"""


async def test_a_dashboards_summaries_are_read_from_one_pipeline(
        few: list[dict[str, Any]], http: httpx.AsyncClient, command_log: CommandLog) -> None:
    variables = {"filter": {"region": "510199", "asOf": AS_OF.isoformat()}}
    command_log.clear()
    command_log.recording = True
    body = (await http.post("/graphql", json={"query": DASHBOARD, "variables": variables})).json()
    command_log.recording = False
    assert "errors" not in body, body["errors"]
    data = body["data"]
    # One pipeline, grouped by CATEGORY and MONTH: the hub adds it up into each grouping and the total.
    assert command_log.names.count("aggregate") == 1
    assert data["table"] == {"total": data["trend"]["total"], "groups": data["categories"]["groups"]}
    assert data["all"]["total"]["cases"] == len(few) == sum(g["figures"]["cases"] for g in data["trend"]["groups"])


async def test_groupings_of_one_filter_added_up_equal_the_brute_force_count(few: list[dict[str, Any]]) -> None:
    flt = SummaryFilter(as_of=AS_OF)
    groupings = [[Dimension.CATEGORY], [Dimension.MONTH], [Dimension.TOWNSHIP, Dimension.CATEGORY], [],
                 [Dimension.AGENCY], [Dimension.CATEGORY, Dimension.MONTH]]
    together = await summarize_many([(flt, g) for g in groupings])
    for group_by, summary in zip(groupings, together, strict=True):
        expected = brute_force(few, flt, group_by, KINDS)
        assert figures_of(summary.total) == expected[()]
        assert {tuple(r.key[d] for d in group_by): figures_of(r.figures) for r in summary.rows} == \
            {k: v for k, v in expected.items() if k != ()}
