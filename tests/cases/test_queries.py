"""The shared case view over HTTP: `case`, `cases`, `node`."""

from __future__ import annotations

import httpx

from tests.scenarios import EscalatedPetition

CASE_VIEW = """
query CaseView($caseNo: String!) {
  case(caseNo: $caseNo) {
    id caseNo title category status riskLevel tags channels recordCount
    region { code name } leadAgency { code }
    agenciesInvolved { code kind }
    parties { role name person { name idNumber phone verified } }
    timeline(first: 50) {
      totalCount
      edges { node { __typename kind channel occurredAt summary agency { code name }
        ... on HandoverRecord { toAgency { code } accepted }
        ... on PetitionRecord { levelReached escalated } } }
    }
    handovers { at accepted from { code } to { code } }
    currentStabilityPlan { responsibleUnit responsiblePerson measures reviewDate }
    petitions { levelReached escalated }
  }
}
"""


async def gql(http: httpx.AsyncClient, query: str, **variables: object) -> dict:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    return response.json()


async def test_case_view_shows_every_channel_and_who_wrote_each_entry(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition
) -> None:
    body = await gql(http, CASE_VIEW, caseNo=escalated_petition.case_no)

    case = body["data"]["case"]
    assert "errors" not in body
    assert set(case["channels"]) >= {"PEOPLES", "ADMINISTRATIVE", "JUDICIAL", "PETITION", "STABILITY"}
    assert case["recordCount"] == 11 == case["timeline"]["totalCount"]
    assert case["riskLevel"] == "MAJOR" and "ESCALATED" in case["tags"] and "MASS" in case["tags"]
    assert case["leadAgency"]["code"] == "HRSS"
    assert [a["code"] for a in case["agenciesInvolved"]] == ["PMC-A", "HRSS", "COURT", "PB", "SO"]
    timeline = [e["node"] for e in case["timeline"]["edges"]]
    assert [t["occurredAt"] for t in timeline] == sorted(t["occurredAt"] for t in timeline)
    assert timeline[0]["__typename"] == "ScreeningRecord" and timeline[0]["agency"]["code"] == "PMC-A"
    assert all(t["agency"]["name"] and t["channel"] for t in timeline)
    assert case["handovers"] == [{"at": case["handovers"][0]["at"], "accepted": True,
                                  "from": {"code": "PMC-A"}, "to": {"code": "HRSS"}}]
    assert case["currentStabilityPlan"]["measures"] == ["包案化解", "每周走访"]
    assert case["petitions"] == [{"levelReached": "PROVINCE", "escalated": True}]
    worker = next(p for p in case["parties"] if p["role"] == "APPLICANT")["person"]
    assert worker["idNumber"] == escalated_petition.petitioner_id[:3] + "*" * 11 + escalated_petition.petitioner_id[-4:]
    assert worker["phone"] == "139****5678"
    assert escalated_petition.petitioner_id not in str(body)


async def test_timeline_filters_by_channel_and_kind_and_pages(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition
) -> None:
    query = """query($no: String!, $after: String) { case(caseNo: $no) {
      judicial: timeline(channels: [JUDICIAL]) { edges { node { channel } } }
      sessions: timeline(kinds: [MEDIATION_SESSION]) { totalCount }
      page: timeline(first: 4, after: $after) { edges { node { sourceId } } pageInfo { hasNextPage endCursor } } } }"""
    first = (await gql(http, query, no=escalated_petition.case_no))["data"]["case"]
    second = (await gql(http, query, no=escalated_petition.case_no,
                        after=first["page"]["pageInfo"]["endCursor"]))["data"]["case"]

    assert [e["node"]["channel"] for e in first["judicial"]["edges"]] == ["JUDICIAL"]
    assert first["sessions"]["totalCount"] == 3
    ids_one = [e["node"]["sourceId"] for e in first["page"]["edges"]]
    ids_two = [e["node"]["sourceId"] for e in second["page"]["edges"]]
    assert ids_one == ["pmc-1", "pmc-2", "pmc-3", "pmc-4"] and ids_two == ["h-1", "h-2", "h-3", "c-1"]
    assert first["page"]["pageInfo"]["hasNextPage"]


async def test_unknown_case_is_null_with_not_found(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": CASE_VIEW, "variables": {"caseNo": "JF2026999999"}})

    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"case": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_case_by_global_id_and_node(http: httpx.AsyncClient, escalated_petition: EscalatedPetition) -> None:
    case_id = (await gql(http, CASE_VIEW, caseNo=escalated_petition.case_no))["data"]["case"]["id"]

    by_id = await gql(http, "query($id: ID!) { case(id: $id) { caseNo } }", id=case_id)
    node = await gql(http, "query($id: ID!) { node(id: $id) { id ... on Case { caseNo } } }", id=case_id)

    assert by_id["data"]["case"]["caseNo"] == escalated_petition.case_no
    assert node["data"]["node"] == {"id": case_id, "caseNo": escalated_petition.case_no}


async def test_bad_ids_are_bad_user_input(http: httpx.AsyncClient) -> None:
    body = await gql(http, "{ case(id: \"not-an-id\") { caseNo } }")
    both = await gql(http, "{ case(id: \"x\", caseNo: \"y\") { caseNo } }")

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert both["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
