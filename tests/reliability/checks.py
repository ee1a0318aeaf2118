"""What a database must satisfy after a fault and a replay, read straight from the store."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase


@dataclass
class Census:
    """Counts and the problems found, for the assertion messages and the doc's figures."""

    records: int
    cases: int
    case_files: int
    case_numbers: int
    persons: int
    problems: list[str]


async def census(db: AsyncDatabase, *, source_system: str, source_ids: list[str]) -> Census:
    """Every ledger row is one record; every case holds its records and nothing else; one number per case."""
    problems: list[str] = []
    records = {r["_id"]: r async for r in db.records.find({}, {"source_system": 1, "source_id": 1, "case_id": 1})}
    wanted = {f"{source_system}|{s}" for s in source_ids}
    if len(wanted) != len(source_ids):
        problems.append("the ledger repeats a sourceId")
    if missing := wanted - set(records):
        problems.append(f"{len(missing)} ledger rows have no record, e.g. {sorted(missing)[:3]}")
    if extra := set(records) - wanted:
        problems.append(f"{len(extra)} records match no ledger row, e.g. {sorted(extra)[:3]}")

    cases = {c["_id"]: c async for c in db.cases.find({}, {"case_no": 1, "record_count": 1, "revision": 1})}
    files = {f["_id"]: {r["_id"] for r in f.get("records", [])} async for f in db.case_files.find({}, {"records._id": 1})}
    by_case: dict[Any, set[str]] = {}
    for rid, rec in records.items():
        by_case.setdefault(rec["case_id"], set()).add(rid)
    if orphans := [rid for rid, r in records.items() if r["case_id"] not in cases]:
        problems.append(f"{len(orphans)} records name a case that does not exist, e.g. {orphans[:3]}")
    if empty := [c["case_no"] for cid, c in cases.items() if not by_case.get(cid)]:
        problems.append(f"{len(empty)} cases have no record, e.g. {empty[:3]}")
    if unfolded := [c["case_no"] for cid, c in cases.items() if files.get(cid, set()) != by_case.get(cid, set())]:
        problems.append(f"{len(unfolded)} case files differ from their records, e.g. {unfolded[:3]}")
    if miscounted := [c["case_no"] for cid, c in cases.items() if c.get("record_count") != len(by_case.get(cid, ()))]:
        problems.append(f"{len(miscounted)} cases count their records wrong, e.g. {miscounted[:3]}")

    numbers = {n["_id"]: n["case_id"] async for n in db.case_numbers.find({})}
    if unnumbered := [c["case_no"] for cid, c in cases.items() if numbers.get(c["case_no"]) != cid]:
        problems.append(f"{len(unnumbered)} cases cannot be found by their number, e.g. {unnumbered[:3]}")
    if stray := [n for n, cid in numbers.items() if cid not in cases]:
        problems.append(f"{len(stray)} case numbers name no case, e.g. {stray[:3]}")

    # Persons that stand: one merged into another (hub.people.merge) is a tombstone.
    keys = Counter([p.get("identity_key") async for p in db.people.find({"merged_into": None}, {"identity_key": 1})])
    if doubled := [k for k, n in keys.items() if n > 1]:
        problems.append(f"{len(doubled)} identities are held by more than one person")
    unlinked = 0
    async for person in db.people.find({}, {"case_ids": 1}):
        unlinked += not person.get("case_ids")
    if unlinked:
        problems.append(f"{unlinked} persons are linked to no case (matching would miss them)")
    return Census(records=len(records), cases=len(cases), case_files=len(files), case_numbers=len(numbers),
                  persons=sum(keys.values()), problems=problems)
