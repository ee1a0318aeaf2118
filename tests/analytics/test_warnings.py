"""Each early-warning rule: a case that fires it, and a near miss that does not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from hub.analytics.thresholds import Thresholds
from hub.analytics.warnings import Rule, Severity, early_warnings
from tests.factories import DISTRICT, T0, TOWNSHIP_B, VILLAGE_A1, VILLAGE_B1, batch, days, party, record, resident_id
from tests.scenarios import ingest

AS_OF = T0 + days(100)


_SEQS: dict[str, int] = {}


def opening(source_id: str, kind: str = "INTAKE", *, at: datetime = T0, **case: Any) -> dict[str, Any]:
    """A record that opens its own case (responsible person named unless told otherwise)."""
    case = {"title": f"纠纷 {source_id}", "category": "LABOUR", "regionCode": VILLAGE_A1,
            "responsiblePerson": "王主任", **case}
    # One ID number per opening, the same in every run (str's hash() is salted per process: two openings now and
    # then drew one number, and matching then put them on one case).
    parties = [party(f"申请人{source_id}", idNumber=resident_id(seq=_SEQS.setdefault(source_id, len(_SEQS)) % 900))]
    return record(source_id, kind, at=at, case=case, parties=parties)


def then(source_id: str, after: str, kind: str, at: datetime, details: dict[str, Any] | None = None,
         **extra: Any) -> dict[str, Any]:
    """A later record on the case opened by `after` (same source system)."""
    return record(source_id, kind, at=at, caseRef={"sourceId": after},
                  **({"details": details} if details is not None else {}), **extra)


def petition(source_id: str, *, at: datetime, person_seq: int, escalated: bool = False,
             level: str = "DISTRICT", participants: int = 1) -> dict[str, Any]:
    """A petition opening its own case, by the person with resident-ID sequence `person_seq`."""
    petitioner = party("赵信访", role="PETITIONER", idNumber=resident_id(birth="19700101", seq=person_seq))
    return record(source_id, "PETITION", at=at, parties=[petitioner],
                  case={"title": f"信访 {source_id}", "category": "LAND_ACQUISITION", "regionCode": VILLAGE_A1,
                        "responsiblePerson": "李主任"},
                  details={"levelReached": level, "escalated": escalated, "participants": participants})


@dataclass(frozen=True)
class Example:
    """Batches (agency, records) to ingest, and the case numbers' source ids that must / must not warn."""

    rule: Rule
    batches: list[tuple[str, list[dict[str, Any]]]]
    fires: set[str]
    quiet: set[str]
    severity: Severity


def _recent(n: int) -> datetime:
    return AS_OF - days(n)


EXAMPLES = [
    Example(Rule.REPEAT_PETITIONS, [("PB", [
        petition("rp-1", at=_recent(200), person_seq=11), petition("rp-2", at=_recent(100), person_seq=11),
        petition("rp-3", at=_recent(5), person_seq=11),
        # Near miss: twice within the year, a third time long before it.
        petition("rq-1", at=_recent(400), person_seq=12), petition("rq-2", at=_recent(50), person_seq=12),
        petition("rq-3", at=_recent(6), person_seq=12),
    ])], fires={"rp-3"}, quiet={"rq-1", "rq-2", "rq-3", "rp-1", "rp-2"}, severity=Severity.HIGH),
    Example(Rule.ESCALATED_PETITION, [("PB", [
        petition("ep-1", at=_recent(10), person_seq=21, escalated=True, level="PROVINCE"),
        petition("eq-1", at=_recent(10), person_seq=22, escalated=False),  # not escalated
        petition("eq-2", at=_recent(120), person_seq=23, escalated=True),  # too long ago
    ])], fires={"ep-1"}, quiet={"eq-1", "eq-2"}, severity=Severity.CRITICAL),
    Example(Rule.MASS_DISPUTE, [("PB", [
        petition("mp-1", at=_recent(3), person_seq=31, participants=12),
        petition("mq-1", at=_recent(3), person_seq=32, participants=9),
    ])], fires={"mp-1"}, quiet={"mq-1"}, severity=Severity.HIGH),
    Example(Rule.HIGH_RISK_WITHOUT_PLAN, [("PMC-A", [opening("hp-1", at=_recent(5)), opening("hq-1", at=_recent(5)),
                                                   opening("hq-2", at=_recent(5))]),
                                         ("SO", [
        record("hp-1-a", "STABILITY_ASSESSMENT", at=_recent(4), caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "hp-1"},
               details={"riskLevel": "MAJOR"}),
        record("hq-1-a", "STABILITY_ASSESSMENT", at=_recent(4), caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "hq-1"},
               details={"riskLevel": "HIGH"}),
        record("hq-1-p", "STABILITY_PLAN", at=_recent(3), caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "hq-1"}),
        record("hq-2-a", "STABILITY_ASSESSMENT", at=_recent(4), caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "hq-2"},
               details={"riskLevel": "MEDIUM"}),
    ])], fires={"hp-1"}, quiet={"hq-1", "hq-2"}, severity=Severity.CRITICAL),
    Example(Rule.PLAN_REVIEW_OVERDUE, [("PMC-A", [opening("pp-1", at=_recent(20)), opening("pq-1", at=_recent(20))]),
                                      ("SO", [
        record("pp-1-p", "STABILITY_PLAN", at=_recent(15), caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "pp-1"},
               details={"responsibleUnit": "柳林镇政府", "responsiblePerson": "王镇长", "measures": ["走访"],
                        "reviewDate": (AS_OF - days(2)).date().isoformat()}),
        record("pq-1-p", "STABILITY_PLAN", at=_recent(15), caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "pq-1"},
               details={"responsibleUnit": "柳林镇政府", "responsiblePerson": "王镇长", "measures": ["走访"],
                        "reviewDate": (AS_OF + days(2)).date().isoformat()}),
    ])], fires={"pp-1"}, quiet={"pq-1"}, severity=Severity.MEDIUM),
    Example(Rule.STALLED, [("PMC-A", [
        opening("sp-1", at=_recent(45)), opening("sq-1", at=_recent(45)),
        then("sq-1-m", "sq-1", "MEDIATION_SESSION", _recent(10)),
        opening("sq-2", at=_recent(45)), then("sq-2-c", "sq-2", "CLOSURE", _recent(44)),  # closed: not stalled
    ])], fires={"sp-1"}, quiet={"sq-1", "sq-2"}, severity=Severity.MEDIUM),
    Example(Rule.HANDOVER_CHURN, [("PMC-A", [
        opening("hc-1", "SCREENING", at=_recent(20)),
        *(then(f"hc-1-h{i}", "hc-1", "HANDOVER", _recent(19 - i), {"toAgency": a})
          for i, a in enumerate(["HRSS", "MKT", "COURT"])),
        opening("hd-1", "SCREENING", at=_recent(20)),
        *(then(f"hd-1-h{i}", "hd-1", "HANDOVER", _recent(19 - i), {"toAgency": a})
          for i, a in enumerate(["HRSS", "MKT"])),
    ])], fires={"hc-1"}, quiet={"hd-1"}, severity=Severity.HIGH),
    Example(Rule.HANDOVER_UNANSWERED, [("PMC-A", [
        opening("hu-1", "SCREENING", at=_recent(20)), then("hu-1-h", "hu-1", "HANDOVER", _recent(10), {"toAgency": "HRSS"}),
        opening("hv-1", "SCREENING", at=_recent(20)),  # handed over three days ago: not yet due
        then("hv-1-h", "hv-1", "HANDOVER", _recent(3), {"toAgency": "HRSS"}),
        opening("hv-2", "SCREENING", at=_recent(20)),  # answered in time
        then("hv-2-h", "hv-2", "HANDOVER", _recent(10), {"toAgency": "HRSS"}),
        opening("hv-3", "SCREENING", at=_recent(20)),  # its own deadline is still ahead
        then("hv-3-h", "hv-3", "HANDOVER", _recent(10), {"toAgency": "HRSS", "acceptBy": (AS_OF + days(1)).isoformat()}),
    ]), ("HRSS", [
        record("hv-2-a", "HANDOVER_RESPONSE", at=_recent(9), caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "hv-2"},
               details={"handoverId": "PMC-A-SYS|hv-2-h", "decision": "ACCEPTED"}),
    ])], fires={"hu-1"}, quiet={"hv-1", "hv-2", "hv-3"}, severity=Severity.HIGH),
    Example(Rule.BACKLOG_UNASSIGNED, [("PMC-A", [
        opening("bp-1", at=_recent(120), responsiblePerson=None),
        opening("bq-1", at=_recent(120)),  # has a responsible person
        opening("bq-2", at=_recent(20), responsiblePerson=None),  # too young to be backlog
    ])], fires={"bp-1"}, quiet={"bq-1", "bq-2"}, severity=Severity.MEDIUM),
]


def _drop_none(rec: dict[str, Any]) -> dict[str, Any]:
    if "case" in rec:
        rec["case"] = {k: v for k, v in rec["case"].items() if v is not None}
    return rec


async def _load(example: Example) -> dict[str, str]:
    """Ingest the example; returns source id -> case number."""
    numbers: dict[str, str] = {}
    for agency, records in example.batches:
        outcomes = await ingest(batch(agency, *[_drop_none(dict(r)) for r in records]))
        for rec, result in zip(records, outcomes[0].results, strict=True):
            numbers[rec["sourceId"]] = result.case_no  # type: ignore[assignment]
    return numbers


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.rule.value for e in EXAMPLES])
async def test_rule_fires_on_its_case_and_not_on_the_near_miss(district: object, example: Example) -> None:
    numbers = await _load(example)
    found = [w for w in await early_warnings(region=DISTRICT, as_of=AS_OF) if w.rule is example.rule]
    fired = {w.case_no for w in found}
    assert fired == {numbers[s] for s in example.fires}, [w.reason for w in found]
    assert not fired & {numbers[s] for s in example.quiet}
    assert all(w.severity is example.severity and w.reason for w in found)
    assert all(w.agency_code for w in found)


async def test_thresholds_are_configurable(district: object) -> None:
    await _load(EXAMPLES[0])  # a person with three petitions within the year
    assert [w.rule for w in await early_warnings(region=DISTRICT, as_of=AS_OF, rules=[Rule.REPEAT_PETITIONS])]
    stricter = Thresholds(repeat_petitions=4)
    assert await early_warnings(region=DISTRICT, as_of=AS_OF, thresholds=stricter, rules=[Rule.REPEAT_PETITIONS]) == []


async def test_warnings_stay_inside_their_region(district: object) -> None:
    await _load(EXAMPLES[-1])  # backlog cases in township A
    assert await early_warnings(region=TOWNSHIP_B, as_of=AS_OF) == []
    await ingest(batch("PMC-B", _drop_none(opening("bb-1", at=_recent(120), regionCode=VILLAGE_B1,
                                                     responsiblePerson=None))))
    assert {w.rule for w in await early_warnings(region=TOWNSHIP_B, as_of=AS_OF)} == {Rule.BACKLOG_UNASSIGNED, Rule.STALLED}


EARLY_WARNINGS = """query($region: ID!, $asOf: DateTime) { earlyWarnings(region: $region, asOf: $asOf) {
  rule ruleLabel severity reason caseNo case { caseNo } responsibleAgency { code name } } }"""


async def test_early_warnings_over_graphql(district: object, http: httpx.AsyncClient) -> None:
    numbers = await _load(EXAMPLES[1])
    body = (await http.post("/graphql", json={"query": EARLY_WARNINGS,
                                              "variables": {"region": DISTRICT, "asOf": AS_OF.isoformat()}})).json()
    assert "errors" not in body, body["errors"]
    escalated = [w for w in body["data"]["earlyWarnings"] if w["rule"] == "ESCALATED_PETITION"]
    assert [w["caseNo"] for w in escalated] == [numbers["ep-1"]]
    warning = escalated[0]
    assert warning["ruleLabel"] == "越级信访" and "越级信访" in warning["reason"] and "省" in warning["reason"]
    assert warning["case"]["caseNo"] == numbers["ep-1"] and warning["responsibleAgency"]["code"] == "PB"
    assert warning["severity"] == "CRITICAL"


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59+00:00"])
async def test_an_as_of_out_of_range_is_bad_user_input(district: object, http: httpx.AsyncClient, as_of: str) -> None:
    # Found by fuzzing (tests/system/test_fuzz.py): the rules' windows overflowed the date range (INTERNAL_SERVER_ERROR).
    body = (await http.post("/graphql", json={"query": EARLY_WARNINGS,
                                              "variables": {"region": DISTRICT, "asOf": as_of}})).json()
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "asOf"}, body
