"""`summary` figures equal a brute-force count over the same seeded cases, for random filters."""

from __future__ import annotations

import statistics
from dataclasses import replace
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from itertools import product
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo.asynchronous.database import AsyncDatabase

from hub.analytics.summary import Dimension, Figures, Strategy, SummaryFilter, summarize, summarize_many
from hub.cases.derive import month_of
from hub.people.crypto import PersonalDataKeys
from seeds import loader

SCALE = 120
NOW = datetime(2026, 11, 15, 8, 0, tzinfo=timezone.utc)
OPEN = {"SCREENED", "ACCEPTED", "IN_MEDIATION"}

SUMMARY = """query($filter: SummaryFilter!, $groupBy: [SummaryDimension!]!) {
  summary(filter: $filter, groupBy: $groupBy) {
    total { cases resolved resolutionRate medianDaysToResolution backlog
            referredByTarget { target count } byRiskLevel { level count } }
    groups { key { dimension value label } figures { cases resolved failed petitions escalatedPetitions backlog } }
  } }"""


@pytest.fixture
async def seeded(database: AsyncDatabase, keys: PersonalDataKeys) -> dict[str, Any]:
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
            "resolved": len(resolved),
            "failed": sum(c["status"] == "FAILED" for c in members),
            "in_mediation": sum(c["status"] == "IN_MEDIATION" for c in members),
            "escalated": sum("ESCALATED" in c["tags"] for c in members),
            "petitions": sum(c["petition_count"] for c in members),
            "escalated_petitions": sum(c["escalated_petition_count"] for c in members),
            "backlog": sum(c["status"] in OPEN and c["opened_at"] < cutoff for c in members),
            "referred_by_target": dict(Counter(c["referral_target"] for c in members if c["status"] == "REFERRED")),
            "by_risk_level": dict(Counter(c["risk_level"] for c in members)),
            "resolution_rate": len(resolved) / len(concluded) if concluded else None,
            "median_days": float(statistics.median(days)) if days else None,
        }
    return out


def figures_of(f: Figures) -> dict[str, Any]:
    return {
        "cases": f.cases, "resolved": f.resolved, "failed": f.failed, "in_mediation": f.in_mediation,
        "escalated": f.escalated, "petitions": f.petitions, "escalated_petitions": f.escalated_petitions,
        "backlog": f.backlog, "referred_by_target": dict(+f.referred_by_target),
        "by_risk_level": dict(+f.by_risk_level), "resolution_rate": f.resolution_rate,
        "median_days": f.median_days_to_resolution,
    }


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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=filters(), group_by=GROUPINGS, strategy=st.sampled_from(list(Strategy)))
async def test_summary_equals_brute_force(
    seeded: dict[str, Any], flt: SummaryFilter, group_by: list[Dimension], strategy: Strategy
) -> None:
    # Both strategies: `$group` by the store (MongoDB's) and grouping here (the local store's).
    expected = brute_force(seeded["cases"], flt, group_by, seeded["kinds"])
    summary = await summarize(filter=flt, group_by=group_by, strategy=strategy)

    assert figures_of(summary.total) == expected.get((), figures_of(Figures()))
    got = {tuple(row.key[d] for d in group_by): figures_of(row.figures) for row in summary.rows}
    if group_by:
        assert got == {k: v for k, v in expected.items() if k != ()}
    else:
        assert summary.rows == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests=st.lists(st.tuples(filters(), GROUPINGS), min_size=1, max_size=3))
async def test_summaries_sharing_one_scan_equal_each_alone(
    seeded: dict[str, Any], requests: list[tuple[SummaryFilter, list[Dimension]]]
) -> None:
    # The brief's three summaries share one scan of the region on the local store.
    region = requests[0][0].region
    requests = [(replace(f, region=region), g) for f, g in requests]
    together = await summarize_many(requests, strategy=Strategy.HERE)
    for (flt, group_by), shared in zip(requests, together, strict=True):
        alone = await summarize(filter=flt, group_by=group_by, strategy=Strategy.HERE)
        assert figures_of(shared.total) == figures_of(alone.total)
        assert [(r.key, figures_of(r.figures)) for r in shared.rows] == [(r.key, figures_of(r.figures)) for r in alone.rows]


async def test_summary_over_graphql(seeded: dict[str, Any], http: httpx.AsyncClient) -> None:
    # The demo data has something in every figure (the property test would pass on empty data) …
    summary = await summarize(filter=SummaryFilter(as_of=NOW), group_by=[Dimension.AGENCY_KIND, Dimension.MONTH])
    total = summary.total
    assert total.cases == len(seeded["cases"]) >= SCALE
    assert total.resolved and total.failed and total.referred and total.backlog and total.petitions
    assert total.median_days_to_resolution is not None and 0 < total.resolution_rate < 1  # type: ignore[operator]
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
    assert len(summary["groups"]) == len(expected) - 1
    first = summary["groups"][0]
    assert [k["dimension"] for k in first["key"]] == ["AGENCY", "MONTH"]
    assert first["key"][0]["label"] and first["key"][0]["label"] != first["key"][0]["value"]  # the agency's name


async def test_a_period_that_ends_before_it_starts_is_refused(http: httpx.AsyncClient, database: AsyncDatabase) -> None:
    variables = {"filter": {"period": {"from": "2026-11-01T00:00:00Z", "to": "2026-10-01T00:00:00Z"}}, "groupBy": []}
    body = (await http.post("/graphql", json={"query": SUMMARY, "variables": variables})).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["data"] is None
