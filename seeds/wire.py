"""From a case's events to wire-format records, and from records to ingestion batches.

A record's dependencies are the records its `caseRef` and `refs` name. `Batcher` groups
records per (sourceSystem, agency) and yields a batch when a buffer is full, never before
the records it depends on: every batch refers only to records already yielded (in an
earlier batch, or earlier in the same one), so a loader can ingest the batches in order.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.agencies.models import DEFAULT_CHANNEL, AgencyKind
from seeds import texts
from seeds.names import ID_LESS_AGENCIES
from seeds.world import Person

if TYPE_CHECKING:
    from seeds.histories import CaseBuilder

Key = tuple[str, str]
Record = tuple[str, dict[str, Any], tuple[Key, ...]]  # (agency, record, keys it depends on)


def records(case: CaseBuilder) -> list[Record]:
    """The case's events as records in time order (none at or after `now`), first one opening the case."""
    events = sorted(case.events, key=lambda e: (e.at, e.eid))
    assert events[0].eid == 0, "the opening record must come first"
    keys: dict[int, Key] = {}
    out: list[Record] = []
    cache: dict[bool, list[dict[str, str]]] = {}
    disputes: list[dict[str, Any]] = []
    settles, settle = False, None
    for e in events:
        if e.at >= case.now:
            break
        system, source_id = f"{e.agency}-SYS", case.w.next_source_id(e.agency, e.at.year)
        channel = DEFAULT_CHANNEL[AgencyKind(case.w.agency_kinds[e.agency])].value
        record: dict[str, Any] = {"kind": e.kind, "sourceId": source_id, "channel": channel,
                                  "occurredAt": e.at.isoformat(timespec="seconds"), "summary": e.summary}
        refs = [keys[r] for r in e.refs if r in keys]
        if keys:
            record["caseRef"] = {"sourceSystem": keys[0][0], "sourceId": keys[0][1]}
            if disputes and e.agency != events[0].agency and e.kind in DISPUTING_KINDS:
                record["case"] = disputes.pop()  # another agency's view of the case (docs/provenance.md)
                settle = _settled(keys[0], out[0][1]["case"], e.at, case.now) if settles else None
        else:
            record["case"] = texts.case_in(case)
            disputes, settles = _disputes(record["case"], source_id)
        record["parties"] = _parties(case, e.agency, e.petitioner, cache)
        if e.visibility != "NORMAL":
            record["visibility"] = e.visibility
        if refs:
            record["refs"] = [{"sourceSystem": s, "sourceId": i} for s, i in refs]
        record["details"] = _details(e.details, case.now)
        if "handoverEvent" in e.details:  # a handover's answer names the handover record by its hub id
            handover = keys[record["details"].pop("handoverEvent")]
            record["details"] = {"handoverId": "|".join(handover), **record["details"]}
            refs.append(handover)
        out.append((e.agency, record, ((keys[0],) if keys else ()) + tuple(refs)))
        keys[e.eid] = (system, source_id)
        if settle is not None:
            out.append(settle)
            settle = None
    return out


def _settled(opener: Key, opening: dict[str, Any], at: datetime, now: datetime) -> Record | None:
    """The district centre's determination that keeps the opening record's category, the day after another
    agency saw the case otherwise (so the demo has conflicts settled and open, and its figures stay as they were)."""
    when = at + timedelta(hours=20)
    if when >= now:
        return None
    record = {"kind": "DETERMINATION", "sourceId": f"{opener[1]}-RD", "channel": "PEOPLES",
              "occurredAt": when.isoformat(timespec="seconds"),
              "summary": "经联席会议研判,维持纠纷类别认定", "caseRef": {"sourceSystem": opener[0], "sourceId": opener[1]},
              "parties": [],
              "details": {"fact": "CATEGORY", "value": opening["category"],
                          "reason": "争议系因拖欠款项引发,按最初受理的纠纷类别办理"}}
    return SETTLING_CENTRE, record, (opener,)


# Categories with money in dispute, the amount's range in yuan, and the category another agency may see in it.
MONEY = {"LABOUR": (3_000, 80_000, "CONTRACT"), "PRIVATE_LENDING": (10_000, 300_000, "CONTRACT"),
         "CONTRACT": (5_000, 500_000, "PRIVATE_LENDING"), "TRAFFIC_ACCIDENT": (8_000, 200_000, "OTHER"),
         "MEDICAL": (20_000, 600_000, "OTHER"), "PROPERTY_MANAGEMENT": (1_000, 30_000, "CONTRACT")}
DISPUTING_KINDS = frozenset({"INTAKE", "MEDIATION_SESSION"})
DISPUTED_ONE_IN = 6  # of the cases with money in dispute, the share another agency sees otherwise
SETTLING_CENTRE = "QH-CC"  # the district's coordination centre settles half of those


def _disputes(opening: dict[str, Any], source_id: str) -> tuple[list[dict[str, Any]], bool]:
    """The amount in dispute the opening record states (for a category with money in it), and, for one such case
    in DISPUTED_ONE_IN, what a later agency's record says instead: another category, another amount. Drawn from
    the record's source id, not the case's random draws, so the rest of the demo data stays as it was; and
    whether the district centre settles it (one in two)."""
    if opening["category"] not in MONEY:
        return [], False
    low, high, other = MONEY[opening["category"]]
    draw = zlib.crc32(source_id.encode())
    opening["amountInDispute"] = float(low + draw % (high - low) // 100 * 100)
    if draw % DISPUTED_ONE_IN:
        return [], False
    return [{"title": opening["title"], "category": other, "regionCode": opening["regionCode"],
             "amountInDispute": opening["amountInDispute"] * 1.5}], draw // DISPUTED_ONE_IN % 2 == 0


def _parties(case: CaseBuilder, agency: str, petitioner: Person | None,
             cache: dict[bool, list[dict[str, str]]]) -> list[dict[str, str]]:
    """The case's parties as this agency's system records them (some keep no ID numbers)."""
    with_id = agency not in ID_LESS_AGENCIES
    if petitioner is None:
        if with_id not in cache:
            roles = [("APPLICANT", case.applicants), ("RESPONDENT", case.respondents), ("THIRD_PARTY", case.third)]
            cache[with_id] = [p.party(r, with_id=with_id) for r, people in roles for p in people]
        return [dict(p) for p in cache[with_id]]
    others = [p.party("APPLICANT", with_id=with_id) for p in case.applicants if p is not petitioner]
    respondents = [p.party("RESPONDENT", with_id=with_id) for p in case.respondents]
    return [petitioner.party("PETITIONER"), *others, *respondents]


def _details(details: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Dates to ISO strings; an acceptance that lies after `now` has not happened yet."""
    out = dict(details)
    accepted_at = out.get("acceptedAt")
    if isinstance(accepted_at, datetime):
        if accepted_at >= now:
            out["accepted"] = None
            del out["acceptedAt"]
        else:
            out["acceptedAt"] = accepted_at.isoformat(timespec="seconds")
    decided_at, filed_at = out.get("decidedAt"), out.get("filedAt")  # a referral's state as of `now`
    if isinstance(decided_at, datetime) and decided_at >= now:
        for name in ("decidedAt", "outcome"):
            del out[name]
        out["status"] = "FILED" if filed_at else "REFERRED"
    if isinstance(filed_at, datetime) and filed_at >= now:
        del out["filedAt"]
        out["status"] = "REFERRED"
    for name in ("filedAt", "decidedAt"):
        if isinstance(out.get(name), datetime):
            out[name] = out[name].isoformat(timespec="seconds")
    if out.get("status") == "REFERRED":
        del out["status"]
    for key, value in out.items():
        if isinstance(value, date) and not isinstance(value, datetime):
            out[key] = value.isoformat()
    return out


@dataclass(slots=True)
class _Entry:
    """A buffered record with its buffer, its own key and the keys it refers to."""

    seq: int
    buffer: Key
    key: Key
    record: dict[str, Any]
    deps: tuple[Key, ...]


class Batcher:
    """Buffers records per (sourceSystem, agency); yields a buffer when full, referenced records first."""

    def __init__(self, batch_size: int) -> None:
        """Empty buffers."""
        self.size = batch_size
        self.buffers: dict[Key, list[_Entry]] = {}
        self.pending: dict[Key, _Entry] = {}  # not yet yielded, by source key
        self.seq = 0

    def add(self, agency: str, record: dict[str, Any], deps: tuple[Key, ...]) -> Iterator[dict[str, Any]]:
        """Buffer one record; yield batches if its buffer is now full."""
        buffer = (f"{agency}-SYS", agency)
        entry = _Entry(self.seq, buffer, (buffer[0], record["sourceId"]), record, deps)
        self.seq += 1
        self.buffers.setdefault(buffer, []).append(entry)
        self.pending[entry.key] = entry
        if len(self.buffers[buffer]) >= self.size:
            keys = [e.key for e in self.buffers[buffer]]
            ready, _ = self._plan(buffer, set(keys))
            if len(ready) >= self.size // 2:  # the rest waits for the records it refers to
                yield self._take(buffer, ready, set())
            else:
                yield from self._emit(keys)

    def drain(self) -> Iterator[dict[str, Any]]:
        """Yield everything still buffered."""
        yield from self._emit(list(self.pending))

    def _emit(self, wanted: list[Key]) -> Iterator[dict[str, Any]]:
        """Yield `wanted` and every buffered record it depends on, dependencies first."""
        needed: set[Key] = set()
        stack = list(wanted)
        while stack:
            key = stack.pop()
            if key not in needed and key in self.pending:
                needed.add(key)
                stack.extend(self.pending[key].deps)
        first_seq: dict[Key, int] = {}  # buffer -> its oldest needed record
        for key in needed:
            entry = self.pending[key]
            first_seq[entry.buffer] = min(first_seq.get(entry.buffer, entry.seq), entry.seq)
        while first_seq:
            order = sorted(first_seq, key=first_seq.__getitem__)
            for buffer in order:  # prefer a buffer that can go out whole
                taken, complete = self._plan(buffer, needed)
                if complete:
                    break
            else:  # the oldest needed record's references are all out already: progress is certain
                buffer = order[0]
                taken, _ = self._plan(buffer, needed)
            yield self._take(buffer, taken, needed)
            rest = [e.seq for e in self.buffers.get(buffer, ()) if e.key in needed]
            if rest:
                first_seq[buffer] = min(rest)
            else:
                del first_seq[buffer]

    def _plan(self, buffer: Key, needed: set[Key]) -> tuple[list[_Entry], bool]:
        """The needed records of one buffer whose references are satisfied; True if that is all of them."""
        taken: list[_Entry] = []
        local: set[Key] = set()
        complete = True
        for entry in self.buffers[buffer]:
            if entry.key not in needed:
                continue
            if all(d not in self.pending or d in local for d in entry.deps):
                taken.append(entry)
                local.add(entry.key)
            else:
                complete = False
        return taken, complete

    def _take(self, buffer: Key, taken: list[_Entry], needed: set[Key]) -> dict[str, Any]:
        """Remove `taken` from the buffer and return them as one batch."""
        keys = {e.key for e in taken}
        for key in keys:
            del self.pending[key]
        needed -= keys
        rest = [e for e in self.buffers[buffer] if e.key not in keys]
        if rest:
            self.buffers[buffer] = rest
        else:
            del self.buffers[buffer]
        return {"sourceSystem": buffer[0], "agency": buffer[1], "records": [e.record for e in taken]}
