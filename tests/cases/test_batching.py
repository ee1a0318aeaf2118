"""A page of cases with their timelines, parties and agencies costs a fixed number of reads."""

from __future__ import annotations

import httpx

from hub.ingest import service as ingest_service
from hub.keys.ring import KeyRing
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
    http: httpx.AsyncClient, district: object, keys: KeyRing, command_log: CommandLog
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
    reads, names = {}, {}
    for first in (10, 50):
        command_log.clear()
        command_log.recording = True
        body = (await http.post("/graphql", json={"query": PAGE, "variables": {"first": first}})).json()
        command_log.recording = False
        assert "errors" not in body, body["errors"]
        edges = body["data"]["cases"]["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["timeline"]["edges"]) == 3 for e in edges)
        reads[first] = command_log.reads()
        names[first] = list(command_log.names)

    # The page, its case files and its persons (each set by `$in`), and the regions: one read per
    # level, whatever the page size, and no read per row.
    assert reads[10] == reads[50] <= 4, names
    assert command_log.point_lookups == [], command_log.point_lookups
