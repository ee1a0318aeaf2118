"""The deterministic demo data generator (seeds.generator): wire format, coverage, determinism, streaming."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from hub.agencies.models import AgencyKind
from hub.cases.models import Category
from hub.ingest.models import RECORD_ADAPTER, IngestBatch
from hub.mediators.models import MediatorKind
from hub.people.identity import validate_credit_code, validate_phone, validate_resident_id
from hub.records.enums import RecordKind
from seeds.generator import DEFAULT_NOW, DemoData, generate, iter_batches, reference_data

CST = timezone(timedelta(hours=8))
Key = tuple[str, str]


@pytest.fixture(scope="module")
def small() -> DemoData:
    """200 cases: small enough to validate every record through pydantic."""
    return generate(scale=200)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    """The default 2000 cases, timed once."""
    started = time.perf_counter()
    data = generate(scale=2000)
    print(f"\ngenerate(scale=2000) took {time.perf_counter() - started:.2f} s")
    return data


def records(data: DemoData) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(sourceSystem, agency, record) for every record, in yield order."""
    for batch in data.batches:
        for record in batch["records"]:
            yield batch["sourceSystem"], batch["agency"], record


def case_key(system: str, record: dict[str, Any]) -> Key:
    """The source key of the record that opened this record's case."""
    if "caseRef" not in record:
        return system, record["sourceId"]
    return record["caseRef"]["sourceSystem"], record["caseRef"]["sourceId"]


def cases(data: DemoData) -> dict[Key, list[tuple[str, str, dict[str, Any]]]]:
    """Records grouped by case, each case in time order."""
    grouped: dict[Key, list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    for system, agency, record in records(data):
        grouped[case_key(system, record)].append((system, agency, record))
    for history in grouped.values():
        history.sort(key=lambda item: datetime.fromisoformat(item[2]["occurredAt"]))
    return grouped


def as_json(data: DemoData) -> str:
    """The whole data set serialised, for byte comparisons."""
    return json.dumps(dataclasses.asdict(data), ensure_ascii=False)


# --- wire format ------------------------------------------------------------------------------


def test_every_record_and_batch_validates_against_the_ingestion_models(small: DemoData) -> None:
    count = 0
    for batch in small.batches:
        IngestBatch.model_validate(batch)
        for record in batch["records"]:
            RECORD_ADAPTER.validate_python(record)
            count += 1
    assert count > 200


def test_each_case_has_one_opening_record_and_later_records_refer_to_it(demo: DemoData) -> None:
    openers = {(s, r["sourceId"]): r for s, _, r in records(demo) if "case" in r and "caseRef" not in r}
    assert len(openers) == demo.expected_cases == 2000
    views = 0
    for system, agency, record in records(demo):
        assert "case" in record or "caseRef" in record
        assert "caseNo" not in record
        assert case_key(system, record) in openers
        if "case" in record and "caseRef" in record:  # another agency's view of the case: another category, amount
            opening = openers[case_key(system, record)]["case"]
            assert (record["case"]["category"], record["case"]["amountInDispute"]) != (
                opening["category"], opening["amountInDispute"])
            views += 1
    assert 20 < views < 200  # one in six of the cases with money in dispute
    for history in cases(demo).values():
        assert "case" in history[0][2], "the opening record is the earliest of its case"


def test_batches_group_records_by_source_system_and_agency(demo: DemoData) -> None:
    for batch in demo.batches:
        assert batch["sourceSystem"] == f"{batch['agency']}-SYS"
        assert 1 <= len(batch["records"]) <= 500


def test_every_reference_points_at_a_record_already_yielded(demo: DemoData) -> None:
    seen: set[Key] = set()
    for system, _, record in records(demo):
        targets = [record["caseRef"]] if "caseRef" in record else []
        for ref in targets + record.get("refs", []):
            assert (ref["sourceSystem"], ref["sourceId"]) in seen
        seen.add((system, record["sourceId"]))


def test_source_ids_are_unique_within_each_source_system(demo: DemoData) -> None:
    keys = Counter((system, record["sourceId"]) for system, _, record in records(demo))
    assert max(keys.values()) == 1


def test_occurred_at_is_iso_with_china_offset_and_before_now(demo: DemoData) -> None:
    for _, _, record in records(demo):
        assert record["occurredAt"].endswith("+08:00")
        assert datetime.fromisoformat(record["occurredAt"]) < DEFAULT_NOW


def test_an_earlier_now_moves_the_whole_history(small: DemoData) -> None:
    now = datetime(2026, 3, 1, 9, 30, tzinfo=CST)
    data = generate(scale=200, now=now)
    times = [datetime.fromisoformat(r["occurredAt"]) for _, _, r in records(data)]
    assert max(times) < now
    assert min(times) > now - timedelta(days=1200)


# --- determinism and streaming ----------------------------------------------------------------


def test_same_seed_and_scale_give_byte_identical_output(small: DemoData) -> None:
    assert as_json(generate(scale=200)) == as_json(small)


def test_output_does_not_depend_on_the_process_hash_seed() -> None:
    # set and dict iteration order varies with PYTHONHASHSEED; the output must not
    script = (
        "import dataclasses, hashlib, json; from seeds.generator import generate; "
        "print(hashlib.sha256(json.dumps(dataclasses.asdict(generate(scale=150)), ensure_ascii=False)"
        ".encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    expected = hashlib.sha256(as_json(generate(scale=150)).encode()).hexdigest()
    assert digests == {expected}


def test_another_seed_gives_other_data(small: DemoData) -> None:
    assert as_json(generate(scale=200, seed=7)) != as_json(small)


def test_reference_data_does_not_depend_on_scale() -> None:
    assert generate(scale=5).regions == generate(scale=50).regions == reference_data()[0]
    assert generate(scale=5).mediators == reference_data()[2]


def test_streaming_yields_the_same_records_as_generate(demo: DemoData) -> None:
    streamed = list(iter_batches(scale=2000, batch_size=97))
    assert all(1 <= len(b["records"]) <= 97 for b in streamed)
    by_key = {(b["sourceSystem"], r["sourceId"]): r for b in streamed for r in b["records"]}
    expected = {(s, r["sourceId"]): r for s, _, r in records(demo)}
    assert by_key == expected
    assert sum(len(b["records"]) for b in streamed) == len(expected)


def test_batch_size_outside_the_ingestion_limit_is_refused() -> None:
    with pytest.raises(ValueError):
        next(iter_batches(scale=1, batch_size=0))
    with pytest.raises(ValueError):
        next(iter_batches(scale=1, batch_size=1001))


# --- reference data ---------------------------------------------------------------------------


def test_regions_form_the_district_hierarchy() -> None:
    regions, _, _ = reference_data()
    levels = Counter(r.level for r in regions)
    assert levels["DISTRICT"] == 1 and levels["TOWNSHIP"] == 8
    assert 28 <= levels["VILLAGE"] <= 32
    by_code = {r.code: r for r in regions}
    for region in regions:
        length = {"DISTRICT": 6, "TOWNSHIP": 9, "VILLAGE": 12, "GRID": 14}[region.level]
        assert len(region.code) == length and region.code.startswith("510199")
        if region.parent_code:
            assert region.code.startswith(region.parent_code) and region.parent_code in by_code
    grids = Counter(r.parent_code for r in regions if r.level == "GRID")
    assert set(grids.values()) <= {2, 3}


def test_every_agency_kind_is_present_and_parents_exist() -> None:
    _, agencies, _ = reference_data()
    assert {a.kind for a in agencies} == set(AgencyKind)
    codes = {a.code for a in agencies}
    assert len(codes) == len(agencies)
    assert all(a.parent_code is None or a.parent_code in codes for a in agencies)
    centres = [a for a in agencies if a.kind == "COORDINATION_CENTRE"]
    assert len(centres) == 9 and sum(a.parent_code == "QH-CC" for a in centres) == 8


def test_mediators_cover_every_kind_with_an_expert_pool() -> None:
    _, agencies, mediators = reference_data()
    assert 130 <= len(mediators) <= 170
    assert {m.kind for m in mediators} == set(MediatorKind)
    assert sum(m.expert for m in mediators) == 20
    assert {s for m in mediators for s in m.specialties} <= set(Category)
    assert {m.agency_code for m in mediators} <= {a.code for a in agencies}
    assert len({m.code for m in mediators}) == len(mediators)


# --- coverage of the domain -------------------------------------------------------------------


def test_every_category_appears_with_a_realistic_mix(demo: DemoData) -> None:
    categories = Counter(r["case"]["category"] for _, _, r in records(demo) if "case" in r and "caseRef" not in r)
    assert set(categories) == set(Category)
    assert categories["NEIGHBOUR"] > 5 * categories["INTELLECTUAL_PROPERTY"]
    assert categories["LABOUR"] > 5 * categories["FOOD_DRUG_SAFETY"]


def test_every_record_kind_and_agency_kind_appears(demo: DemoData) -> None:
    _, agencies, _ = reference_data()
    kind_of = {a.code: a.kind for a in agencies}
    assert {r["kind"] for _, _, r in records(demo)} == set(RecordKind)
    assert {kind_of[agency] for _, agency, _ in records(demo)} == set(AgencyKind)


def test_some_case_has_records_from_four_channels(demo: DemoData) -> None:
    widest = max(len({r["channel"] for _, _, r in history}) for history in cases(demo).values())
    assert widest >= 4


def test_escalated_petitioners_had_earlier_grassroots_mediation(demo: DemoData) -> None:
    found = 0
    for history in cases(demo).values():
        for n, (_, _, record) in enumerate(history):
            if record["kind"] != "PETITION" or not record["details"]["escalated"]:
                continue
            assert record["details"]["levelReached"] in {"CITY", "PROVINCE", "BEIJING"}
            petitioner = next(p for p in record["parties"] if p["role"] == "PETITIONER")
            earlier = [r for _, _, r in history[:n] if r["channel"] == "PEOPLES"]
            assert any(p["phone"] == petitioner["phone"] for r in earlier for p in r["parties"])
            found += 1
    assert found >= 10


def test_petitions_are_about_a_twelfth_of_cases_some_repeated(demo: DemoData) -> None:
    per_case = [sum(r["kind"] == "PETITION" for _, _, r in h) for h in cases(demo).values()]
    with_petitions = [n for n in per_case if n]
    assert 0.05 <= len(with_petitions) / len(per_case) <= 0.12
    assert any(2 <= n <= 4 for n in with_petitions)


def test_high_risk_mass_disputes_get_assessments_and_restricted_plans(demo: DemoData) -> None:
    mass = [h for h in cases(demo).values() if "MASS" in h[0][2]["case"].get("tags", [])]
    assert 0.03 <= len(mass) / demo.expected_cases <= 0.08
    for history in mass:
        applicants = [p for p in history[0][2]["parties"] if p["role"] == "APPLICANT"]
        assert 10 <= len(applicants) <= 60
    plans = [r for _, _, r in records(demo) if r["kind"] == "STABILITY_PLAN"]
    assert plans and all(r["visibility"] == "RESTRICTED" and r["channel"] == "STABILITY" for r in plans)
    assert any(r["details"]["reviewDate"] < DEFAULT_NOW.date().isoformat() for r in plans)
    assessments = [r for _, _, r in records(demo) if r["kind"] == "STABILITY_ASSESSMENT"]
    assert {r["details"]["riskLevel"] for r in assessments} == {"HIGH", "MAJOR"}


def test_backlog_and_stalled_cases_stay_open(demo: DemoData) -> None:
    backlog = stalled = 0
    for history in cases(demo).values():
        opened = datetime.fromisoformat(history[0][2]["occurredAt"])
        last = datetime.fromisoformat(history[-1][2]["occurredAt"])
        closed = any(r["kind"] == "CLOSURE" for _, _, r in history)
        if "BACKLOG" in history[0][2]["case"].get("tags", []):
            assert not closed and opened < DEFAULT_NOW - timedelta(days=365)
            backlog += 1
        if not closed and last < DEFAULT_NOW - timedelta(days=60):
            stalled += 1
    assert 0.04 <= backlog / demo.expected_cases <= 0.08
    assert stalled >= 50


def test_some_handovers_pass_three_times_without_acceptance(demo: DemoData) -> None:
    unaccepted = [
        sum(r["kind"] == "HANDOVER" and r["details"]["accepted"] is not True for _, _, r in h)
        for h in cases(demo).values()
    ]
    assert any(n >= 3 for n in unaccepted)
    accepted = [r for _, _, r in records(demo) if r["kind"] == "HANDOVER" and r["details"]["accepted"]]
    assert accepted and all(r["details"]["acceptedAt"] for r in accepted)


def test_most_cases_open_within_eighteen_months(demo: DemoData) -> None:
    opened = [datetime.fromisoformat(r["occurredAt"]) for _, _, r in records(demo) if "case" in r and "caseRef" not in r]
    recent = sum(t > DEFAULT_NOW - timedelta(days=550) for t in opened)
    assert recent / len(opened) > 0.85


# --- identities -------------------------------------------------------------------------------


def test_identity_keys_are_valid_and_fictitious(demo: DemoData) -> None:
    for _, _, record in records(demo):
        for party in record["parties"]:
            if "idNumber" in party:
                assert validate_resident_id(party["idNumber"]) == party["idNumber"]
                assert party["idNumber"].startswith("510199")
            if "creditCode" in party:
                assert validate_credit_code(party["creditCode"]) == party["creditCode"]
                assert party["creditCode"][2:8] == "510199"
            assert validate_phone(party["phone"])


def test_a_party_has_the_same_identity_in_every_agency(demo: DemoData) -> None:
    by_id: dict[str, set[tuple[str, str]]] = defaultdict(set)
    by_phone: dict[str, set[str]] = defaultdict(set)
    for _, _, record in records(demo):
        for party in record["parties"]:
            key = party.get("idNumber") or party.get("creditCode")
            if key:
                by_id[key].add((party["name"], party["phone"]))
            by_phone[party["phone"]].add(key or "")
    assert all(len(v) == 1 for v in by_id.values())
    assert all(len(v - {""}) <= 1 for v in by_phone.values()), "one phone, one person"
    # records without the ID number carry the phone under which other agencies know the ID
    assert sum(len(v) == 2 for v in by_phone.values()) >= 50


def test_some_agencies_record_natural_persons_without_id_numbers(demo: DemoData) -> None:
    without = [
        p for _, _, r in records(demo) for p in r["parties"]
        if p["kind"] == "NATURAL" and "idNumber" not in p
    ]
    assert without


def test_distinct_cases_never_share_category_township_and_parties(demo: DemoData) -> None:
    # ingestion merges a new case into an open one with the same parties, category and township
    # (within its match window); distinct demo cases must not look like one dispute told twice
    openings: Counter[tuple[str, str, frozenset[str]]] = Counter()
    for _, _, record in records(demo):
        if "case" in record and "caseRef" not in record:
            parties = frozenset(p.get("idNumber") or p.get("creditCode") or p["phone"] for p in record["parties"])
            openings[(record["case"]["category"], record["case"]["regionCode"][:9], parties)] += 1
    assert max(openings.values()) == 1
