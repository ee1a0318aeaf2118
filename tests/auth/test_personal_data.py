"""Property: for a caller without the `pii` role, the clear ID number, phone and address of a party never
appear in any response body — ingestion results, rejections, case views, look-ups, the audit log — nor in
any log line."""

from __future__ import annotations

import itertools
import logging
from datetime import date, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.people.identity import resident_id_check_char
from tests.conftest import TokenFor, act_as
from tests.factories import batch, record

_serial = itertools.count(1)

INGEST = """mutation($input: IngestBatchInput!) { ingestRecords(input: $input) {
  results { status caseNo errors { path code message } } } }"""
CASE = """query($n: String!) { case(caseNo: $n) { title parties { name person { idNumber phone address } }
  timeline { edges { node { summary parties { person { idNumber phone address } } } } } } }"""
LOOKUP = """query($id: String) { personLookup(idNumber: $id, purpose: "越级信访核查") {
  persons { idNumber phone address } cases { caseNo } } }"""
AUDIT = "{ auditLog(first: 50) { edges { node { operation targetIds purpose reason } } } }"


@st.composite
def identities(draw: st.DrawFn) -> dict[str, str]:
    born = date(1940, 1, 1) + timedelta(days=draw(st.integers(min_value=0, max_value=65 * 365)))
    body = f"510199{born:%Y%m%d}{draw(st.integers(min_value=0, max_value=999)):03d}"
    phone = f"1{draw(st.sampled_from('3456789'))}{draw(st.integers(min_value=0, max_value=10**9 - 1)):09d}"
    street = draw(st.sampled_from(["清河路", "滨河路", "文昌街", "新华路"]))
    address = f"四川省成都市清河区{street}{draw(st.integers(min_value=1, max_value=999))}号{draw(st.integers(1, 30))}栋"
    return {"idNumber": body + resident_id_check_char(body), "phone": phone, "address": address}


def _wrong_check_digit(id_number: str) -> str:
    digits = "0123456789X"
    return id_number[:-1] + digits[(digits.index(id_number[-1]) + 1) % len(digits)]


def _assert_absent(secrets: list[str], body: str, where: str) -> None:
    for secret in secrets:
        assert secret not in body, f"{secret!r} in {where}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(person=identities())
async def test_clear_personal_data_never_reaches_a_caller_without_pii(
    person: dict[str, str], http: httpx.AsyncClient, token_for: TokenFor, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="hub")
    caplog.clear()
    n = next(_serial)
    # One new person per example (the same ID number twice would be the same person, first seen earlier).
    body = person["idNumber"][:14] + f"{n % 1000:03d}"
    person = {**person, "idNumber": body + resident_id_check_char(body), "phone": person["phone"][:-4] + f"{n:04d}"}
    # The clear values, and the eleven digits the ID mask hides (birth date and sequence).
    secrets = [person["idNumber"], person["phone"], person["address"], person["idNumber"][3:14]]
    good = record(f"pii-{n}", parties=[{"role": "APPLICANT", "name": "钱多多", **person}])
    bad = record(f"pii-bad-{n}", parties=[{"role": "APPLICANT", "name": "钱少少", **person,
                                            "idNumber": _wrong_check_digit(person["idNumber"])}])
    bodies: dict[str, str] = {}

    act_as(http, token_for("PMC-A"))
    pushed = await http.post("/graphql", json={"query": INGEST, "variables": {"input": batch("PMC-A", good, bad)}})
    bodies["ingestRecords"] = pushed.text
    results = pushed.json()["data"]["ingestRecords"]["results"]
    assert [r["status"] for r in results] == ["CREATED", "REJECTED"]
    case_no = results[0]["caseNo"]

    for agency, label, query, variables in (
        ("PMC-A", "case view (contributor)", CASE, {"n": case_no}),
        ("CC", "case view (coordination centre)", CASE, {"n": case_no}),
        ("PB", "person look-up", LOOKUP, {"id": person["idNumber"]}),
        ("CC", "audit log", AUDIT, {}),
    ):
        response = await http.post("/graphql", json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {token_for(agency)}"})
        assert "errors" not in response.json(), response.json()
        bodies[label] = response.text

    for where, body in bodies.items():
        _assert_absent(secrets, body, where)
    _assert_absent(secrets, "\n".join(r.getMessage() for r in caplog.records), "the logs")

    # The same look-up with the pii role shows them: the property above is not vacuous.
    revealed = await http.post("/graphql", json={"query": LOOKUP, "variables": {"id": person["idNumber"]}},
                               headers={"Authorization": f"Bearer {token_for('PB', roles=['pii'])}"})
    [shown] = revealed.json()["data"]["personLookup"]["persons"]
    assert shown == {"idNumber": person["idNumber"], "phone": person["phone"], "address": person["address"]}
