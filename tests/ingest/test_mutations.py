"""`ingestRecords` over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import TokenFor, act_as
from tests.factories import batch, party, record, resident_id

pytestmark = pytest.mark.usefixtures("district")


@pytest.fixture
def http(http: httpx.AsyncClient, token_for: TokenFor) -> httpx.AsyncClient:
    """The people's mediation committee of township A, whose system pushes the batches here."""
    return act_as(http, token_for("PMC-A"))

INGEST_RECORDS = """
mutation Ingest($input: IngestBatchInput!) {
  ingestRecords(input: $input) {
    created updated unchanged rejected
    results { index status sourceId caseId caseNo recordId errors { path code message } }
  }
}
"""


async def test_agency_system_pushes_a_batch_with_one_bad_record(http: httpx.AsyncClient) -> None:
    bad_id = "510199198503120010"  # wrong check digit
    payload = batch("PMC-A", record("g1", parties=[party(idNumber=resident_id(seq=21))]),
                    record("b1", parties=[party(idNumber=bad_id)]))

    response = await http.post("/graphql", json={"query": INGEST_RECORDS, "variables": {"input": payload}})

    assert response.status_code == 200
    result = response.json()["data"]["ingestRecords"]
    assert (result["created"], result["rejected"]) == (1, 1)
    good, bad = result["results"]
    assert good["status"] == "CREATED" and good["caseNo"].startswith("JF") and good["caseId"]
    assert bad["status"] == "REJECTED" and bad["caseId"] is None
    assert bad["errors"] == [{
        "path": "parties[0].idNumber", "code": "INVALID_ID_NUMBER_CHECK_DIGIT",
        "message": bad["errors"][0]["message"],
    }]
    assert bad_id not in response.text


async def test_replayed_batch_reports_unchanged(http: httpx.AsyncClient) -> None:
    payload = batch("PMC-A", record("g1"))
    body = {"query": INGEST_RECORDS, "variables": {"input": payload}}
    first = (await http.post("/graphql", json=body)).json()["data"]["ingestRecords"]

    second = (await http.post("/graphql", json=body)).json()["data"]["ingestRecords"]

    assert (first["created"], second["unchanged"], second["created"]) == (1, 1, 0)
    assert second["results"][0]["caseNo"] == first["results"][0]["caseNo"]


async def test_oversized_batch_is_bad_user_input(http: httpx.AsyncClient) -> None:
    payload = batch("PMC-A", *[record(f"r{i}") for i in range(1001)])

    response = await http.post("/graphql", json={"query": INGEST_RECORDS, "variables": {"input": payload}})

    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 1000" in error["message"]
