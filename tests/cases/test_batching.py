"""A page of cases with their timelines, parties and agencies costs a fixed number of reads."""

from __future__ import annotations

import httpx

from hub.ingest import service as ingest_service
from hub.people.crypto import PersonalDataKeys
from tests.conftest import CommandLog
from tests.factories import T0, batch, days, party, record, resident_id

PAGE = """
query Page($first: Int!) {
  cases(first: $first) {
    edges { node {
      caseNo region { name } leadAgency { name } agenciesInvolved { code name }
      parties { role person { name idNumber } }
      timeline(first: 50) { edges { node { kind channel agency { name } parties { person { name } } } } }
      handovers { to { name } }
      petitions { levelReached }
    } }
  }
}
"""


async def test_page_of_cases_costs_the_same_reads_for_10_or_50(
    http: httpx.AsyncClient, district: object, keys: PersonalDataKeys, command_log: CommandLog
) -> None:
    # Given 60 cases, each with records from three agencies and two parties
    for agency, kind, offset in (("PMC-A", "INTAKE", 0), ("HRSS", "MEDIATION_SESSION", 5), ("PB", "PETITION", 9)):
        records = []
        for i in range(60):
            parties = [party(f"申请人{i}", idNumber=resident_id(seq=i)), party(f"被申请人{i}", role="RESPONDENT")]
            link = {} if agency == "PMC-A" else {"caseRef": {"sourceSystem": "PMC-A-SYS", "sourceId": f"k{i}-PMC-A"}}
            records.append(record(f"k{i}-{agency}", kind, at=T0 + days(offset + i % 7), parties=parties, **link))
        outcome = await ingest_service.ingest(keys=keys, batch=batch(agency, *records))
        assert outcome.results[0].errors == []

    await http.post("/graphql", json={"query": "{ serverInfo { storeKind } }"})  # the agency directory is read once
    queries, lookups = {}, {}
    for first in (10, 50):
        command_log.clear()
        command_log.recording = True
        body = (await http.post("/graphql", json={"query": PAGE, "variables": {"first": first}})).json()
        command_log.recording = False
        assert "errors" not in body, body["errors"]
        edges = body["data"]["cases"]["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["timeline"]["edges"]) == 3 for e in edges)
        queries[first] = command_log.queries()
        lookups[first] = sorted(set(command_log.point_lookups))

    # cases, agencies, regions (and on MongoDB persons and case files, by `$in`): one query per
    # level, whatever the page size. On the local store, whose only indexed read is `{_id: value}`,
    # persons and case files are fetched by `_id`, one look-up per row, and nothing else is.
    assert queries[10] == queries[50] <= 6, (queries, command_log.names)
    assert set(lookups[50]) <= {"people", "case_files"}, lookups
