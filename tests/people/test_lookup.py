"""`personLookup`: the petition bureau's check on an escalated petitioner."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import TokenFor, act_as
from tests.scenarios import EscalatedPetition

LOOKUP = """
query Lookup($idNumber: String, $creditCode: String, $name: String, $phone: String) {
  personLookup(idNumber: $idNumber, creditCode: $creditCode, name: $name, phone: $phone,
               purpose: "越级信访人员基层调解情况核查") {
    found
    persons { name idNumber phone verified }
    cases { caseNo channels }
    recordsByChannel { channel records { kind sourceId } }
    firstContactAt lastContactAt firstPetitionAt
    agencies { code }
    priorGrassrootsMediation { kind channel sourceId agency { code } }
  }
}
"""


@pytest.fixture
def http(http: httpx.AsyncClient, token_for: TokenFor) -> httpx.AsyncClient:
    """The petition bureau, whose look-up this is."""
    return act_as(http, token_for("PB"))


async def lookup(http: httpx.AsyncClient, **args: str) -> dict:
    response = await http.post("/graphql", json={"query": LOOKUP, "variables": args})
    return response.json()


async def test_lookup_by_id_number_finds_prior_grassroots_mediation(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition
) -> None:
    result = (await lookup(http, idNumber=escalated_petition.petitioner_id))["data"]["personLookup"]

    assert result["found"] and len(result["persons"]) == 1
    assert [c["caseNo"] for c in result["cases"]] == [escalated_petition.case_no]
    prior = result["priorGrassrootsMediation"]
    assert [r["sourceId"] for r in prior] == ["pmc-1", "pmc-2", "pmc-3", "pmc-4", "h-1", "h-2", "h-3"]
    assert {r["channel"] for r in prior} == {"PEOPLES", "ADMINISTRATIVE"}
    channels = {g["channel"]: [r["sourceId"] for r in g["records"]] for g in result["recordsByChannel"]}
    assert channels["PETITION"] == ["pb-1"] and channels["JUDICIAL"] == ["c-1"]
    assert "STABILITY" not in channels  # stability records name no party
    assert result["firstPetitionAt"] > result["firstContactAt"]
    assert [a["code"] for a in result["agencies"]] == ["PMC-A", "HRSS", "COURT", "PB"]


async def test_lookup_by_name_and_phone_finds_the_same_person(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition
) -> None:
    by_id = (await lookup(http, idNumber=escalated_petition.petitioner_id))["data"]["personLookup"]
    by_phone = (await lookup(http, name="周八", phone="+86 139-1234-5678"))["data"]["personLookup"]

    assert by_phone["persons"] == by_id["persons"]
    assert by_phone["priorGrassrootsMediation"] == by_id["priorGrassrootsMediation"]


async def test_lookup_by_credit_code_finds_the_employer(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition
) -> None:
    result = (await lookup(http, creditCode=escalated_petition.employer_code))["data"]["personLookup"]

    assert result["found"] and result["persons"][0]["name"] == "清河建筑公司"
    assert escalated_petition.employer_code not in str(result)


async def test_lookup_of_an_unknown_person_finds_nothing(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition
) -> None:
    from tests.factories import resident_id

    result = (await lookup(http, idNumber=resident_id(seq=999)))["data"]["personLookup"]

    assert result == {**result, "found": False, "persons": [], "cases": [], "priorGrassrootsMediation": []}


@pytest.mark.parametrize(
    "args",
    [
        {"idNumber": "510199198503120010"},  # bad check digit
        {"creditCode": "91510199MA00000771"},  # bad check character
        {"name": "周八"},  # no usable key
        {"phone": "13912345678"},  # phone without a name
        {},
    ],
)
async def test_bad_or_missing_keys_are_bad_user_input(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition, args: dict[str, str]
) -> None:
    body = await lookup(http, **args)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    for value in args.values():
        assert value not in body["errors"][0]["message"]
