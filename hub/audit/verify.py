"""Verifying the audit trail's chain (`hub audit verify`): the first changed, deleted, inserted or reordered entry.

The entries are walked by number, from the beginning (or the checkpoint before `since`), against the
checkpoints (hub.audit.chain). Each number is one of:

- an entry whose MACs hold: fine (also on a number sealed as never written: its writer was slower than
  `audit_gap_seconds`, and only a hub process with the key could have signed it);
- an entry whose fields do not match its `mac`: **changed**; whose fields do but whose number does not
  match its `seq_mac`: **reordered** (it was written under another number);
- an entry that fails its MACs on a number that already has an entry, that was sealed as never written,
  or that was never taken: **inserted**;
- no entry, on a sealed number not sealed as a gap: **deleted**; on a number sealed as a gap: a writer that
  died (counted); on a number after the last checkpoint: not accounted for yet (counted — a writer still
  writing, one that died, or a deletion, which only the next checkpoint tells apart).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from hub.audit import chain
from hub.audit.models import AuditEntry, AuditSeal
from hub.store.service import READ_BATCH_SIZE


@dataclass(frozen=True)
class Problem:
    """The first thing wrong: at which number, which entry (None when it is gone), what, and how it shows."""

    seq: int | None
    entry_id: str | None
    what: str  # changed | deleted | inserted | reordered
    detail: str

    def describe(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "before the chain"
        entry = f", entry {self.entry_id}" if self.entry_id else ""
        return f"audit trail broken at {where}{entry}: {self.what} — {self.detail}"


@dataclass
class Verification:
    """What verify found."""

    start: int = 0  # the numbers after this one were walked
    last: int = 0  # the highest number seen (or taken)
    entries: int = 0  # entries walked, every MAC holding
    gaps: int = 0  # numbers sealed as never written (a writer died between taking and writing)
    late: int = 0  # entries written under a number sealed as a gap (their writer was slow)
    unsealed_missing: int = 0  # numbers after the last checkpoint without an entry
    sealed_through: int = 0
    head: str = ""  # the chain's value at the last checkpoint walked: keep it elsewhere to detect truncation
    legacy: int = 0  # entries without chain fields (written before the chain)
    problem: Problem | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        """One line."""
        if self.problem:
            return self.problem.describe()
        parts = [f"{self.gaps} number(s) never written (a writer died)"] if self.gaps else []
        if self.late:
            parts.append(f"{self.late} entry(ies) written after their number was sealed as a gap")
        if self.unsealed_missing:
            parts.append(f"{self.unsealed_missing} number(s) after the last checkpoint without an entry (a writer "
                         "still writing or one that died, or a deletion: the next checkpoint tells)")
        sealed = (f"sealed through {self.sealed_through}, head {self.head[:16]}" if self.sealed_through
                  else "nothing sealed yet")
        span = f"numbers {self.start + 1}-{self.last}" if self.last > self.start else "no numbered entries"
        text = f"audit trail intact: {self.entries} entries, {span}, {sealed}"
        if parts:
            text += "; " + "; ".join(parts)
        return text + f"; {self.legacy} entries predate the chain"


async def _start(key: bytes, since: datetime | None) -> tuple[int, str, dict[str, Any] | None]:
    """Where to begin: (number, chain value, its checkpoint) — the checkpoint before `since`'s first entry."""
    if since is None:
        return 0, chain.genesis(key), None
    first = await AuditEntry.get_pymongo_collection().find({"at": {"$gte": since}}).sort(
        "at", ASCENDING).limit(1).to_list()
    seq = first[0].get("seq") if first else None
    if not isinstance(seq, int):  # nothing since then, or only entries predating the chain: from the top
        return 0, chain.genesis(key), None
    found = await AuditSeal.get_pymongo_collection().find({"_id": {"$lt": seq}}).sort(
        "_id", DESCENDING).limit(1).to_list()
    if not found:
        return 0, chain.genesis(key), None
    return int(found[0]["_id"]), found[0]["chain"], found[0]


async def _groups(start: int) -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
    """The entries after `start` by number, those sharing one together."""
    cursor = AuditEntry.get_pymongo_collection().find({"seq": {"$gt": start}}).sort(
        "seq", ASCENDING).batch_size(READ_BATCH_SIZE)
    current: list[dict[str, Any]] = []
    async for doc in cursor:
        if current and doc["seq"] != current[0]["seq"]:
            yield int(current[0]["seq"]), current
            current = []
        current.append(doc)
    if current:
        yield int(current[0]["seq"]), current


def _check_seals(key: bytes, seals: Iterable[dict[str, Any]], start: int) -> Problem | None:
    previous = start
    for seal in seals:
        if not chain.seal_ok(seal, key):
            return Problem(int(seal["_id"]), None, "changed", f"checkpoint {seal['_id']} fails its MAC")
        if seal["prev"] != previous:
            return Problem(previous + 1, None, "deleted", f"the checkpoint after {previous} is gone "
                           f"(the next one follows {seal['prev']})")
        previous = int(seal["_id"])
    return None


def _judge(key: bytes, seq: int, group: list[dict[str, Any]], *, gap: bool, taken: int) -> tuple[Problem | None, Any]:
    """The problem with a number's entries, if any, and the `seq_mac` the chain takes for it."""
    verdicts = [(doc, chain.check(doc, key)) for doc in group]
    valid = [doc for doc, verdict in verdicts if verdict == "ok"]
    for doc, verdict in verdicts:
        if verdict == "ok":
            continue
        oid = str(doc["_id"])
        if gap:
            return Problem(seq, oid, "inserted", "its number was sealed as never written, and it fails its MAC"), None
        if seq > taken:
            return Problem(seq, oid, "inserted", f"its number was never taken (the last taken is {taken})"), None
        if valid or doc is not group[0]:
            return Problem(seq, oid, "inserted", "a second entry under a number already written, failing its MAC"), None
        if verdict == "reordered":
            return Problem(seq, oid, "reordered", "its fields match its MAC but its number does not: it was "
                           "written under another number"), None
        return Problem(seq, oid, "changed", "its fields do not match its MAC"), None
    return None, valid[0]["seq_mac"]


async def verify(*, key: bytes, since: datetime | None = None) -> Verification:
    """Walk the chain; stops at the first problem."""
    result = Verification(legacy=await chain.legacy_count())
    start, value, start_seal = await _start(key, since)
    result.start = start
    if start_seal is not None and not chain.seal_ok(start_seal, key):
        result.problem = Problem(start, None, "changed", f"checkpoint {start} fails its MAC")
        return result
    seals = await AuditSeal.get_pymongo_collection().find({"_id": {"$gt": start}}).sort("_id", ASCENDING).to_list()
    if (problem := _check_seals(key, seals, start)) is not None:
        result.problem = problem
        return result
    newest = seals[-1] if seals else start_seal
    if newest is not None and result.legacy != newest["legacy"]:
        what = "deleted" if result.legacy < newest["legacy"] else "inserted"
        result.problem = Problem(None, None, what, f"{result.legacy} entries without chain fields, "
                                 f"{newest['legacy']} when checkpoint {newest['_id']} was sealed")
        return result
    gaps = {n for s in seals for n in s["gaps"]}
    ends = {int(s["_id"]): s["chain"] for s in seals}
    sealed_through = result.sealed_through = int(seals[-1]["_id"]) if seals else start
    result.head = value if not seals else seals[-1]["chain"]
    taken = await chain.allocated()
    expected = start + 1

    def advance(number: int, entry_seq_mac: str | None) -> Problem | None:
        nonlocal value
        value = chain.link(key, value, number, entry_seq_mac)
        if number in ends and ends[number] != value:
            return Problem(number, None, "changed", f"checkpoint {number} does not match the entries it sealed")
        return None

    def missing(upto: int) -> Problem | None:
        for number in range(expected, upto):
            if number > sealed_through:
                result.unsealed_missing += 1
            elif number in gaps:
                result.gaps += 1
                if (problem := advance(number, None)) is not None:
                    return problem
            else:
                return Problem(number, None, "deleted", "no entry has this number, which was sealed as written")
        return None

    async for seq, group in _groups(start):
        if (problem := missing(seq)) is not None:
            result.problem = problem
            return result
        problem, entry_seq_mac = _judge(key, seq, group, gap=seq in gaps, taken=taken)
        if problem is None and seq <= sealed_through:
            problem = advance(seq, None if seq in gaps else entry_seq_mac)
        if problem is not None:
            result.problem = problem
            return result
        result.entries += 1
        result.late += seq in gaps
        expected = seq + 1
    result.last = max(expected - 1, taken, sealed_through)
    if (problem := missing(result.last + 1)) is not None:
        result.problem = problem
    return result
