"""`hub seed`'s typical-case library: a few resolved demo cases nominated and decided through the service."""

from __future__ import annotations

import httpx

from hub.cases.models import Case
from hub.keys.ring import KeyRing
from hub.typical_cases.models import TypicalCase
from seeds import loader
from seeds.typical_cases import load_typical_cases
from tests.conftest import TokenFor, act_as

SCALE = 40
SEARCH = "{ typicalCases { totalCount nodes { title facts status nominatedBy { code } decidedBy { code } } } }"


async def test_the_demo_library_holds_three_selected_one_rejected_one_nominated_anonymised(
    database: object, keys: KeyRing, http: httpx.AsyncClient, token_for: TokenFor
) -> None:
    # given the demo data set loaded
    await loader.load(keys=keys, scale=SCALE)

    # then five resolved cases were nominated: three selected, one rejected, one awaiting selection
    entries = await TypicalCase.find_all().to_list()
    assert sorted(e.status.value for e in entries) == ["NOMINATED", "REJECTED", "SELECTED", "SELECTED", "SELECTED"]
    cases = {c.id: c for c in await Case.find({"_id": {"$in": [e.case_id for e in entries]}}).to_list()}
    assert {c.status.value for c in cases.values()} == {"RESOLVED"}
    names = {p.name for c in cases.values() for p in c.parties if len(p.name) >= 2}
    assert names and not [n for n in names for e in entries if n in e.write_up.text()]  # written with them, kept without
    # and any agency finds the selected three
    act_as(http, token_for("QH-FY"))
    found = (await http.post("/graphql", json={"query": SEARCH})).json()["data"]["typicalCases"]
    assert found["totalCount"] == 3 and {n["decidedBy"]["code"] for n in found["nodes"]} == {"QH-CC"}

    # when seeded again; then nothing is added or changed
    again = await load_typical_cases(keys=keys)
    assert sorted(e.id for e in again) == sorted(e.id for e in entries)
    assert await TypicalCase.find_all().count() == 5
