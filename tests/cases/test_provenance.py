"""Who says so: `provenance`, `conflicts`, `settleConflict` and `case(asOf:)` on a case agencies disagree about."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from hub.cases.models import Case
from hub.ingest import service as ingest_service
from tests.conftest import TokenFor, act_as
from tests.factories import T0, VILLAGE_A1, agencies, batch, party, record, resident_id
from tests.graphql import first_error, gql
from tests.scenarios import KEYS, ingest

VIEW = """query($caseNo: String!, $asOf: DateTime) { case(caseNo: $caseNo, asOf: $asOf) {
  caseNo category status riskLevel amountInDispute responsiblePerson recordCount tags leadAgency { code }
  timeline(first: 50) { totalCount }
  provenance { field tag value rule source { record { id kind agency { code } occurredAt } } }
  conflicts { fact values { value records { kind agency { code } } } settledBy { id kind agency { code }
    ... on DeterminationRecord { fact value reason } } } } }"""
SETTLE = """mutation($input: SettleConflictInput!) { settleConflict(input: $input) {
  category riskLevel amountInDispute provenance { field rule source { record { kind agency { code } } } } } }"""
LABOUR_CASE = {"title": "拖欠工资纠纷", "category": "LABOUR", "regionCode": VILLAGE_A1, "riskLevel": "LOW",
               "amountInDispute": 8000}


async def disputed() -> str:
    """A case the people's mediation committee opens as a labour dispute over 8,000 yuan at low risk; the
    labour bureau calls it a contract dispute over 12,000; the stability office assesses it HIGH."""
    [opened] = await ingest(batch("PMC-A", record("p1", "INTAKE", at=T0, case=LABOUR_CASE,
                                                  parties=[party("王五", idNumber=resident_id(seq=5))])))
    await ingest(batch("HRSS", record("h1", "MEDIATION_SESSION", at=T0 + timedelta(days=2),
                                      caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "p1"},
                                      case={**LABOUR_CASE, "category": "CONTRACT", "amountInDispute": 12000})),
                 batch("SO", record("s1", "STABILITY_ASSESSMENT", at=T0 + timedelta(days=3),
                                    caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "p1"})))
    return opened.results[0].case_no  # type: ignore[return-value]


def by_field(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["field"] if p["field"] != "TAG" else f"TAG:{p['tag']}": p for p in view["provenance"]}


def source_of(entry: dict[str, Any]) -> tuple[str, str] | None:
    record = (entry["source"] or {}).get("record")
    return (record["kind"], record["agency"]["code"]) if record else None


async def test_each_field_names_its_record_and_rule(http: httpx.AsyncClient) -> None:
    case_no = await disputed()
    view = (await gql(http, VIEW, caseNo=case_no))["case"]
    fields = by_field(view)
    assert (view["category"], view["riskLevel"], view["amountInDispute"], view["status"]) == (
        "LABOUR", "HIGH", 8000, "IN_MEDIATION")
    assert {f: (fields[f]["value"], fields[f]["rule"], source_of(fields[f])) for f in (
        "CATEGORY", "RISK_LEVEL", "AMOUNT_IN_DISPUTE", "STATUS", "LEAD_AGENCY")} == {
        "CATEGORY": ("LABOUR", "OPENING_RECORD", ("INTAKE", "PMC-A")),
        "RISK_LEVEL": ("HIGH", "LATEST_ASSESSMENT", ("STABILITY_ASSESSMENT", "SO")),
        "AMOUNT_IN_DISPUTE": ("8000", "OPENING_RECORD", ("INTAKE", "PMC-A")),
        "STATUS": ("IN_MEDIATION", "LATEST_RECORD", ("MEDIATION_SESSION", "HRSS")),
        "LEAD_AGENCY": ("PMC-A", "LEAD_PRECEDENCE", ("INTAKE", "PMC-A")),
    }


async def test_disagreeing_agencies_are_listed_value_by_value(http: httpx.AsyncClient) -> None:
    case_no = await disputed()
    conflicts = {c["fact"]: c for c in (await gql(http, VIEW, caseNo=case_no))["case"]["conflicts"]}
    assert set(conflicts) == {"CATEGORY", "AMOUNT_IN_DISPUTE", "RISK_LEVEL"}
    assert [(v["value"], [r["agency"]["code"] for r in v["records"]]) for v in conflicts["CATEGORY"]["values"]] == [
        ("LABOUR", ["PMC-A"]), ("CONTRACT", ["HRSS"])]
    assert [v["value"] for v in conflicts["AMOUNT_IN_DISPUTE"]["values"]] == ["8000", "12000"]
    assert [(v["value"], v["records"][0]["kind"]) for v in conflicts["RISK_LEVEL"]["values"]] == [
        ("LOW", "INTAKE"), ("HIGH", "STABILITY_ASSESSMENT")]
    assert all(c["settledBy"] is None for c in conflicts.values())


async def test_a_centre_settles_a_conflict_and_the_case_follows_its_determination(
        http: httpx.AsyncClient, token_for: TokenFor) -> None:
    case_no = await disputed()
    act_as(http, token_for("CC-A"))  # the township's centre, above the case
    settled = (await gql(http, SETTLE, input={"caseNo": case_no, "fact": "CATEGORY", "value": "CONTRACT",
                                              "reason": "双方系承揽合同关系,经劳动仲裁委确认不属劳动争议"}))["settleConflict"]
    assert settled["category"] == "CONTRACT"
    assert {p["field"]: (p["rule"], source_of(p)) for p in settled["provenance"]}["CATEGORY"] == (
        "DETERMINATION", ("DETERMINATION", "CC-A"))
    view = (await gql(http, VIEW, caseNo=case_no))["case"]
    category = next(c for c in view["conflicts"] if c["fact"] == "CATEGORY")
    assert category["settledBy"]["value"] == "CONTRACT" and "承揽合同" in category["settledBy"]["reason"]
    assert next(c for c in view["conflicts"] if c["fact"] == "AMOUNT_IN_DISPUTE")["settledBy"] is None

    # An agency states another category after the decision: the conflict is open again; the decision stands.
    await ingest(batch("PMC-A", record("p2", "MEDIATION_SESSION", at=datetime.now(timezone.utc),
                                       caseRef={"sourceId": "p1"}, case=LABOUR_CASE)))
    view = (await gql(http, VIEW, caseNo=case_no))["case"]
    assert view["category"] == "CONTRACT"
    assert next(c for c in view["conflicts"] if c["fact"] == "CATEGORY")["settledBy"] is None

    # The risk level: a determination holds until a later assessment.
    await gql(http, SETTLE, input={"caseNo": case_no, "fact": "RISK_LEVEL", "value": "MEDIUM", "reason": "已签订分期还款协议"})
    assert (await gql(http, VIEW, caseNo=case_no))["case"]["riskLevel"] == "MEDIUM"
    await ingest(batch("SO", record("s2", "STABILITY_ASSESSMENT", at=datetime.now(timezone.utc),
                                    caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "p1"},
                                    details={"riskLevel": "MAJOR"})))
    assert (await gql(http, VIEW, caseNo=case_no))["case"]["riskLevel"] == "MAJOR"


async def test_only_a_centre_over_the_case_settles_and_bad_values_are_refused(
        http: httpx.AsyncClient, token_for: TokenFor) -> None:
    case_no = await disputed()
    move = {"caseNo": case_no, "fact": "AMOUNT_IN_DISPUTE", "value": "10000", "reason": "以调解协议为准"}
    outcomes = {}
    for agency in agencies():
        act_as(http, token_for(agency.code))
        body = (await http.post("/graphql", json={"query": SETTLE, "variables": {"input": move}})).json()
        outcomes[agency.code] = body["errors"][0]["extensions"]["code"] if body.get("errors") else "OK"
    assert outcomes == {"CC": "OK", "CC-A": "OK", "CC-B": "NOT_FOUND", "PMC-A": "FORBIDDEN", "PMC-B": "NOT_FOUND",
                        "HRSS": "FORBIDDEN", "COURT": "NOT_FOUND", "JB": "NOT_FOUND", "PB": "NOT_FOUND",
                        "SO": "FORBIDDEN", "GC": "NOT_FOUND", "SMO": "NOT_FOUND", "MKT": "NOT_FOUND"}
    act_as(http, token_for("CC"))
    for fact, value in (("CATEGORY", "WAGES"), ("RISK_LEVEL", "SEVERE"), ("AMOUNT_IN_DISPUTE", "-5"),
                        ("AMOUNT_IN_DISPUTE", "nan"), ("DEADLINE", "2026-13-40")):
        error = await first_error(http, SETTLE, input={**move, "fact": fact, "value": value})
        assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "value"), (fact, value, error)
    error = await first_error(http, SETTLE, input={**move, "reason": "  "})
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "reason")
    # An agency's own system cannot send one either.
    outcome = await ingest_service.ingest(keys=KEYS, batch=batch(
        "PMC-A", record("d1", "DETERMINATION", caseNo=case_no,
                        details={"fact": "CATEGORY", "value": "LABOUR", "reason": "本会认定"})))
    assert [e.code for e in outcome.results[0].errors] == ["DETERMINATION_BY_CENTRE_ONLY"]


async def test_a_restricted_source_is_not_shown_to_who_may_not_read_it(
        http: httpx.AsyncClient, token_for: TokenFor) -> None:
    [opened] = await ingest(batch("PMC-A", record("p1", "INTAKE", at=T0, case=LABOUR_CASE)))
    await ingest(batch("SO", record("s1", "STABILITY_ASSESSMENT", at=T0 + timedelta(days=1), visibility="RESTRICTED",
                                    caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "p1"})))
    case_no = opened.results[0].case_no
    for agency, shown in (("PMC-A", None), ("SO", ("STABILITY_ASSESSMENT", "SO")), ("CC", ("STABILITY_ASSESSMENT", "SO"))):
        act_as(http, token_for(agency))
        view = (await gql(http, VIEW, caseNo=case_no))["case"]
        risk = by_field(view)["RISK_LEVEL"]
        assert (risk["value"], risk["rule"], source_of(risk)) == ("HIGH", "LATEST_ASSESSMENT", shown), agency
        assert {c["fact"] for c in view["conflicts"]} == (set() if shown is None else {"RISK_LEVEL"}), agency


async def test_as_of_is_the_case_a_replay_of_its_records_until_then_gives(http: httpx.AsyncClient) -> None:
    case_no = await disputed()
    await ingest(batch("PMC-A", record("p3", "AGREEMENT", at=T0 + timedelta(days=5), caseRef={"sourceId": "p1"})))
    at = (T0 + timedelta(days=2, hours=1)).isoformat()
    then = (await gql(http, VIEW, caseNo=case_no, asOf=at))["case"]
    assert then["timeline"]["totalCount"] == then["recordCount"] == 2
    assert (then["status"], then["riskLevel"]) == ("IN_MEDIATION", "LOW")
    assert {c["fact"] for c in then["conflicts"]} == {"CATEGORY", "AMOUNT_IN_DISPUTE"}
    # The replay: the same records up to then, sent again under other systems' names, open a case of their own.
    [replayed] = await ingest(batch("PMC-A", record("p1", "INTAKE", at=T0, case=LABOUR_CASE,
                                                    parties=[party("王五", idNumber=resident_id(seq=5))]),
                                    system="REPLAY-A"))
    await ingest(batch("HRSS", record("h1", "MEDIATION_SESSION", at=T0 + timedelta(days=2),
                                      caseRef={"sourceSystem": "REPLAY-A", "sourceId": "p1"},
                                      case={**LABOUR_CASE, "category": "CONTRACT", "amountInDispute": 12000}),
                       system="REPLAY-H"))
    now = (await gql(http, VIEW, caseNo=replayed.results[0].case_no))["case"]

    def comparable(view: dict[str, Any]) -> dict[str, Any]:
        return {**{k: v for k, v in view.items() if k not in ("caseNo", "provenance", "conflicts")},
                "provenance": [(p["field"], p["tag"], p["value"], p["rule"], source_of(p)) for p in view["provenance"]],
                "conflicts": view["conflicts"]}

    assert comparable(then) == comparable(now)
    stored = await Case.find_one({"case_no": case_no})
    assert stored is not None and stored.status == "RESOLVED"  # now, the agreement counts
    error = await first_error(http, VIEW, caseNo=case_no, asOf=(T0 - timedelta(days=1)).isoformat())
    assert (error["code"], error["field"]) == ("NOT_FOUND", "asOf")


async def test_the_demo_district_has_agencies_that_disagree_and_a_centre_settles_one(
        database: Any, app: Any, token_for: TokenFor, keys: Any) -> None:
    from seeds import loader

    await loader.load(keys=keys, scale=200)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        act_as(http, token_for("QH-CC"))
        disagreed = await Case.get_pymongo_collection().find(
            {"amount_in_dispute": {"$ne": None}}, {"case_no": 1, "agencies": 1}).to_list()
        assert len(disagreed) > 20  # the opening records state the money in dispute
        views = [(await gql(http, VIEW, caseNo=c["case_no"]))["case"] for c in disagreed]
        conflicted = [v for v in views if v["conflicts"]]
        assert conflicted, "no seeded case where agencies disagree"
        view = conflicted[0]
        [category] = [c for c in view["conflicts"] if c["fact"] == "CATEGORY"]
        first, other = category["values"]
        assert first["value"] == view["category"] and first["records"][0]["agency"]["code"] != \
            other["records"][0]["agency"]["code"]
        settled = (await gql(http, SETTLE, input={"caseNo": view["caseNo"], "fact": "CATEGORY", "value": other["value"],
                                                  "reason": "联席会议研判认定"}))["settleConflict"]
        assert settled["category"] == other["value"]
