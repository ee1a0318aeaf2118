"""The identity review queue: look-alike pairs queued, merged, kept apart, and a merge undone exactly."""

from __future__ import annotations

from typing import Any

import httpx
import jellyfish
import pytest

from hub.audit.models import AuditEntry
from hub.cases.models import Case, CaseFile
from hub.people.identity import IdentityError, resident_id_check_char, validate_resident_id
from hub.people.models import IdentityReview, Person, PersonKey
from hub.records.models import Record
from tests.conftest import TokenFor, act_as
from tests.factories import DISTRICT, agencies, batch, party, record
from tests.graphql import first_error, gql
from tests.scenarios import ingest

REVIEWS = """query($status: IdentityReviewStatus) { identityReviews(status: $status, first: 20) { totalCount
  edges { node { id reasons status reason scores { name value } history { action agencyCode reason }
    persons { name idNumber phone } } } } }"""
MERGE = """mutation($id: ID!, $reason: String!) { mergeIdentities(id: $id, reason: $reason) { id status } }"""
APART = """mutation($id: ID!, $reason: String!) { keepIdentitiesApart(id: $id, reason: $reason) { id status } }"""
UNDO = """mutation($id: ID!, $reason: String!) { undoIdentityMerge(id: $id, reason: $reason) { id status } }"""
LOOKUP = """query($id: String!) { personLookup(idNumber: $id, purpose: "越级信访人员基层调解情况核查") {
  found persons { name } cases { caseNo } } }"""


def near_pair() -> tuple[str, str]:
    """Two valid resident ID numbers two edits apart. GB 11643's check character catches every single wrong
    digit and every swap of two neighbours (the test below proves it for these numbers), so a slip that reaches
    the store is a double one whose check character happens to hold."""
    numbers = []
    for serial in range(1000):
        body = f"{DISTRICT}19850312{serial:03d}"
        numbers.append(body + resident_id_check_char(body))
    for number in numbers:
        for n in range(17):
            swapped = number[:n] + number[n + 1] + number[n] + number[n + 2:]
            if swapped != number:
                with pytest.raises(IdentityError):
                    validate_resident_id(swapped)
    return next((a, b) for a in numbers for b in numbers
                if a < b and jellyfish.damerau_levenshtein_distance(a, b) == 2)


async def reviews(http: httpx.AsyncClient, status: str | None = None) -> list[dict[str, Any]]:
    return [e["node"] for e in (await gql(http, REVIEWS, status=status))["identityReviews"]["edges"]]


async def test_look_alikes_are_queued_once_and_clear_values_stay_masked(
        http: httpx.AsyncClient, token_for: TokenFor) -> None:
    first, typo = near_pair()
    await ingest(batch("PMC-A", record("a1", "INTAKE", parties=[party("赵六", phone="13800138000")]),
                       record("b1", "INTAKE", parties=[party("钱七", idNumber=first)])))
    await ingest(batch("HRSS", record("a2", "INTAKE", parties=[party("赵六", phone="13800138009")]),
                       record("b2", "INTAKE", parties=[party("钱七", idNumber=typo)])))
    await ingest(batch("HRSS", record("a2", "INTAKE", parties=[party("赵六", phone="13800138009")])))  # again
    assert await Person.find({"name": {"$in": ["赵六", "钱七"]}}).count() == 4  # matching merged none of them
    found = {tuple(r["reasons"]): r for r in await reviews(http)}
    assert set(found) == {("SIMILAR_PHONE",), ("SIMILAR_ID_NUMBER",)}
    phone = found[("SIMILAR_PHONE",)]
    assert {s["name"]: s["value"] for s in phone["scores"]}["phoneDistance"] == 1
    assert sorted(p["phone"] for p in phone["persons"]) == ["138****8000", "138****8009"]  # no `pii`: masked
    act_as(http, token_for("CC", roles=["pii"]))
    shown = {tuple(r["reasons"]): r for r in await reviews(http)}[("SIMILAR_ID_NUMBER",)]
    assert sorted(p["idNumber"] for p in shown["persons"]) == sorted([first, typo])
    stored = str(await IdentityReview.get_pymongo_collection().find({}).to_list())
    assert "13800138000" not in stored and first not in stored  # the queue holds ids and figures only


async def test_the_same_name_twice_in_one_case_is_queued(http: httpx.AsyncClient) -> None:
    await ingest(batch("PMC-A", record("c1", "INTAKE", parties=[party("孙八", phone="13900139000"),
                                                                party("孙八", role="RESPONDENT")])))
    [review] = await reviews(http)
    assert review["reasons"] == ["SAME_NAME_IN_CASE"]


async def snapshot() -> dict[str, Any]:
    """What a merge touches: Persons, their keys, records' parties, cases and case files."""
    async def all_of(model: Any, fields: dict[str, int] | None = None) -> dict[Any, Any]:
        return {d["_id"]: d for d in await model.get_pymongo_collection().find({}, fields).to_list()}

    return {"people": await all_of(Person, {"merged_at": 0}), "keys": await all_of(PersonKey),
            "records": {k: v["parties"] for k, v in (await all_of(Record)).items()},
            "cases": await all_of(Case, {"revision": 0, "file_version": 0}),
            "files": {k: [r["parties"] for r in v["records"]] for k, v in (await all_of(CaseFile)).items()}}


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(part, key, field) where two snapshots differ; field None for a whole value."""
    found = []
    for part in before:
        for key in before[part].keys() | after[part].keys():
            old, new = before[part].get(key), after[part].get(key)
            if isinstance(old, dict) and isinstance(new, dict):
                found += [(part, key, f) for f in old.keys() | new.keys() if old.get(f) != new.get(f)]
            elif old != new:
                found.append((part, key, None))
    return sorted(found, key=str)


async def test_a_merge_moves_cases_and_keys_and_its_undo_puts_everything_back(
        http: httpx.AsyncClient, token_for: TokenFor) -> None:
    first, typo = near_pair()
    await ingest(batch("PMC-A", record("b1", "INTAKE", parties=[party("钱七", idNumber=first)])))
    await ingest(batch("HRSS", record("b2", "INTAKE", parties=[party("钱七", idNumber=typo)],
                                      case={"title": "工伤待遇纠纷", "category": "LABOUR", "regionCode": "510199002001"})))
    before = await snapshot()
    [review] = await reviews(http, "OPEN")
    act_as(http, token_for("PB"))
    cases_of = {n: {c["caseNo"] for c in (await gql(http, LOOKUP, id=n))["personLookup"]["cases"]} for n in (first, typo)}
    assert len(cases_of[first]) == len(cases_of[typo]) == 1 and cases_of[first] != cases_of[typo]

    act_as(http, token_for("CC"))
    merged = (await gql(http, MERGE, id=review["id"], reason="身份证号录入有误,系同一人"))["mergeIdentities"]
    assert merged["status"] == "MERGED"
    act_as(http, token_for("PB"))
    for number in (first, typo):  # found under either identity, with both cases
        found = (await gql(http, LOOKUP, id=number))["personLookup"]
        assert (len(found["persons"]), {c["caseNo"] for c in found["cases"]}) == (1, cases_of[first] | cases_of[typo])
    assert len({p["person_id"] for c in await Case.get_pymongo_collection().find({}).to_list() for p in c["parties"]}) == 1

    act_as(http, token_for("CC"))
    undone = (await gql(http, UNDO, id=review["id"], reason="经核实为两人,撤销合并"))["undoIdentityMerge"]
    assert undone["status"] == "UNDONE"
    assert differences(before, await snapshot()) == []  # exactly as it was
    act_as(http, token_for("PB"))
    assert {n: {c["caseNo"] for c in (await gql(http, LOOKUP, id=n))["personLookup"]["cases"]}
            for n in (first, typo)} == cases_of
    act_as(http, token_for("CC"))
    [after] = await reviews(http)
    assert [h["action"] for h in after["history"]] == ["MERGE", "UNDO"]
    audited = [e.operation async for e in AuditEntry.find({"operation": {"$in": ["mergeIdentities", "undoIdentityMerge"]}})]
    assert sorted(audited) == ["mergeIdentities", "undoIdentityMerge"]
    # Decided again: kept apart, for good.
    assert (await gql(http, APART, id=review["id"], reason="两人"))["keepIdentitiesApart"]["status"] == "KEPT_APART"
    assert (await first_error(http, MERGE, id=review["id"], reason="再合并"))["code"] == "CONFLICT"
    await ingest(batch("HRSS", record("b3", "FOLLOW_UP", caseRef={"sourceId": "b2"},
                                      parties=[party("钱七", idNumber=typo)])))
    assert await IdentityReview.find({}).count() == 1  # the pair is not queued again


async def test_only_coordination_centres_review_and_only_their_regions(
        http: httpx.AsyncClient, token_for: TokenFor) -> None:
    await ingest(batch("PMC-A", record("a1", "INTAKE", parties=[party("赵六", phone="13800138000")]),
                       record("a2", "INTAKE", parties=[party("赵六", phone="13800138009")])))
    seen = {}
    for agency in agencies():
        act_as(http, token_for(agency.code))
        body = (await http.post("/graphql", json={"query": REVIEWS})).json()
        seen[agency.code] = (body["errors"][0]["extensions"]["code"] if body.get("errors")
                             else body["data"]["identityReviews"]["totalCount"])
    assert seen == {"CC": 1, "CC-A": 1, "CC-B": 0, **{a.code: "FORBIDDEN" for a in agencies()
                                                     if a.code not in ("CC", "CC-A", "CC-B")}}
    [review] = await reviews(act_as(http, token_for("CC-A")))
    act_as(http, token_for("CC-B"))
    assert (await first_error(http, MERGE, id=review["id"], reason="同一人"))["code"] == "NOT_FOUND"
    act_as(http, token_for("CC-A"))
    assert (await first_error(http, MERGE, id=review["id"], reason=" "))["field"] == "reason"


async def test_hub_identities_as_a_process(http: httpx.AsyncClient, settings: Any, tmp_path: Any) -> None:
    import asyncio

    from tests.processes import hub_env, run_hub

    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db,
                  HUB_SECRET_KEY=settings.secret_key or "", HUB_DATA_DIR=str(tmp_path / "var"))
    await ingest(batch("PMC-A", record("a1", "INTAKE", parties=[party("赵六", phone="13800138000")]),
                       record("a2", "INTAKE", parties=[party("赵六", phone="13800138009")])))
    listed = await asyncio.to_thread(run_hub, "identities", "list", "--agency", "CC", env=env)
    assert listed.returncode == 0, listed.stderr
    [line] = listed.stdout.splitlines()
    review_id, status, reasons, shown = line.split("\t")
    assert (status, reasons) == ("OPEN", "SIMILAR_PHONE") and "138****8000" in shown and "13800138000" not in shown
    merged = await asyncio.to_thread(run_hub, "identities", "merge", review_id, "--agency", "CC", "--user", "张科长",
                                     "--reason", "电话末位录入有误", env=env)
    assert (merged.returncode, merged.stdout.split()) == (0, [review_id, "MERGED"]), merged.stderr
    entry = await AuditEntry.find_one({"operation": "hub identities merge"})
    assert entry is not None and (entry.agency_code, entry.user, entry.target_ids[0]) == ("CC", "张科长", review_id)
    [after] = await reviews(http)
    assert after["history"][0]["reason"] == "电话末位录入有误"
    refused = await asyncio.to_thread(run_hub, "identities", "list", "--agency", "PMC-A", env=env)
    assert refused.returncode == 1 and "no coordination centre" in refused.stderr
