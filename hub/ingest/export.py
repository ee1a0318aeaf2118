"""A database's records out as JSON Lines in the ingestion wire format, and such a file back in.

For moving a deployment's data to another store (a database of the old FerretDB store cannot
be opened by the current one): `export_records` writes one ingestible record per line, and
`import_export` (`hub import PATH` without `--agency`) ingests the lines again, so the new
database gets the same records, cases, case numbers and persons. The export reads with plain
finds only — the records sorted by `_id`, cases and persons by `_id` with `$in` — which every
store the hub ever ran on answers, and writes nothing to the database it reads.

A re-import must see each case's opening record first (the others find the case through
`caseRef`) and the opening records in case-number order (numbers are handed out in the order
cases open), so the records are sorted by (case number, opener first, occurredAt): in runs of
`SPILL_RECORDS` spilled to temporary BSON files and merged, to keep memory bounded.

The file holds personal data in clear (decrypted ID numbers, phones, addresses): it is created
with mode 0600, its temporary runs in a 0700 directory beside it, and nothing here logs a value.
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import bson
from bson.codec_options import CodecOptions
from cryptography.fernet import InvalidToken
from pydantic import ValidationError

from hub.cases.derive import as_date
from hub.cases.service import case_id_for
from hub.errors import BadUserInput
from hub.ingest import files
from hub.ingest.importer import ImportSummary, ingest_rows
from hub.ingest.service import DEFAULT_MATCH_WINDOW, RecordStatus
from hub.keys.ring import KeyRing
from hub.records.enums import RecordKind
from hub.records.models import DETAILS_CLASSES
from hub.store.service import READ_BATCH_SIZE, find_by_ids

SPILL_RECORDS = 10_000  # records sorted in memory before they go to a temporary run
WRITE_RECORDS = 1_000  # records written per look-up of their cases and persons
HEADER_FIELDS = ("sourceSystem", "agency")  # what each line adds to the record: its batch header
_BSON = CodecOptions(tz_aware=True)

Progress = Callable[[int], None]
Rest = tuple[list[dict[str, Any]], int]  # a case's records and where the ones after this record start


@dataclass
class ExportSummary:
    """What an export wrote, and what will not come back exactly as it was."""

    records: int = 0
    cases: int = 0
    without_case: int = 0  # records whose case is gone: not written
    reopened: int = 0  # cases without their opening record: opened again by their earliest one
    numbering_gaps: list[str] = field(default_factory=list)  # years with unused case numbers


# --- export ----------------------------------------------------------------------------------


def _opens_case(doc: dict[str, Any]) -> bool:
    """Whether the record opened its case (a case's `_id` is fixed by its opening record)."""
    return case_id_for(f"{doc['source_system']}:{doc['source_id']}") == doc["case_id"]


def _order(doc: dict[str, Any]) -> tuple[Any, ...]:
    """Case number (year, then sequence), the opening record first, then time order."""
    number = doc["case_no"]
    return number[:6], len(number), number, not _opens_case(doc), doc["occurred_at"], doc["_id"]


def _spill(docs: list[dict[str, Any]], directory: str) -> IO[bytes]:
    """Sort docs into a temporary BSON run (owner-only, unlinked at once, in a 0700 directory); rewound."""
    docs.sort(key=_order)
    handle = tempfile.TemporaryFile(dir=directory)
    for doc in docs:
        handle.write(bson.encode(doc))
    handle.seek(0)
    return handle


async def _sorted_records(
    database: Any, directory: str, np_names: dict[str, set[str]], on_read: Progress | None
) -> Iterator[dict[str, Any]]:
    """Every record, in `_order`; notes the names each name-and-phone Person appears under."""
    runs: list[Iterable[dict[str, Any]]] = []
    chunk: list[dict[str, Any]] = []
    async for doc in database.records.find({}, sort=[("_id", 1)], batch_size=READ_BATCH_SIZE):
        for party in doc.get("parties") or []:
            if party["person_id"].startswith("np:"):
                np_names[party["person_id"]].add(party["name"])
        chunk.append(doc)
        if len(chunk) >= SPILL_RECORDS:
            runs.append(bson.decode_file_iter(_spill(chunk, directory), codec_options=_BSON))
            chunk = []
            if on_read:
                on_read(SPILL_RECORDS)
    chunk.sort(key=_order)
    if on_read:
        on_read(len(chunk))
    runs.append(chunk)
    return heapq.merge(*runs, key=_order)


class _Writer:
    """Turns one case's records at a time into lines, with their parties' identities in clear."""

    def __init__(self, *, out: IO[str], keys: KeyRing, np_names: dict[str, set[str]]) -> None:
        self.out, self.keys, self.np_names = out, keys, np_names
        self.np_seen: set[str] = set()  # Persons keyed by name and phone whose first line is written
        self.summary = ExportSummary()
        self.last_number: dict[str, int] = {}

    async def write(self, database: Any, groups: list[list[dict[str, Any]]]) -> int:
        """Write these cases' records (each group one case's, opener first); returns how many."""
        cases = {c["_id"]: c for c in await find_by_ids(database.cases, [g[0]["case_id"] for g in groups])}
        person_ids = {p["person_id"] for g in groups for doc in g for p in doc.get("parties") or []}
        persons = {p["_id"]: p for p in await find_by_ids(database.people, sorted(person_ids))}
        clear = {person_id: self._decrypt(person) for person_id, person in persons.items()}  # once a batch
        written = 0
        for group in groups:
            case = cases.get(group[0]["case_id"])
            if case is None:
                self.summary.without_case += len(group)
                continue
            self._note_number(case["case_no"])
            self.summary.cases += 1
            self.summary.reopened += not _opens_case(group[0])
            opener = {"sourceSystem": group[0]["source_system"], "sourceId": group[0]["source_id"]}
            for n, doc in enumerate(group):
                line = self._line(doc, persons, clear, rest=(group, n + 1))
                if n == 0:
                    line["case"] = _case_spec(case, case["region_code"], doc.get("stated"))
                else:
                    line["caseRef"] = opener
                    if doc.get("region_code"):  # it came with a `case` block that matched this case
                        line["case"] = _case_spec(case, doc["region_code"], doc.get("stated"))
                self.out.write(json.dumps(_ordered(line), ensure_ascii=False, separators=(",", ":")) + "\n")
                written += 1
        self.summary.records += written
        return written

    def _note_number(self, number: str) -> None:
        """Remember a year whose case numbers skip one: the new database numbers its later cases anew."""
        year, sequence = number[:6], number[6:]
        if not sequence.isdigit():
            return
        if int(sequence) != self.last_number.get(year, 0) + 1 and year not in self.summary.numbering_gaps:
            self.summary.numbering_gaps.append(year)
        self.last_number[year] = int(sequence)

    def _line(self, doc: dict[str, Any], persons: dict[str, dict[str, Any]], clear: dict[str, dict[str, str]],
              rest: Rest) -> dict[str, Any]:
        """One stored record as a line, its case link still to add."""
        kind = RecordKind(doc["kind"])
        return {
            "sourceSystem": doc["source_system"],
            "agency": doc["agency_code"],
            "kind": kind.value,
            "sourceId": doc["source_id"],
            "sourceRevision": doc.get("source_revision", 0),
            "channel": doc["channel"],
            "occurredAt": _instant(doc["occurred_at"]),
            "summary": doc["summary"],
            "parties": [self._party(p, persons.get(p["person_id"]), clear.get(p["person_id"], {}), rest)
                        for p in doc.get("parties") or []],
            "visibility": doc.get("visibility") or "NORMAL",
            "refs": [{"sourceSystem": r["source_system"], "sourceId": r["source_id"]} for r in doc.get("refs") or []],
            "details": _details(kind, doc.get("details") or {}),
        }

    def _decrypt(self, person: dict[str, Any]) -> dict[str, str]:
        """A Person's ID number (or credit code), phone and address in clear, those it has."""
        try:
            return {name: self.keys.decrypt(person[f"{name}_encrypted"])
                    for name in ("id", "phone", "address") if person.get(f"{name}_encrypted")}
        except InvalidToken:
            raise BadUserInput("cannot decrypt the personal data: HUB_SECRET_KEY (or HUB_DATA_DIR/secret_key) "
                               "is not the secret this database was written with") from None

    def _party(self, party: dict[str, Any], person: dict[str, Any] | None, clear: dict[str, str],
               rest: Rest) -> dict[str, Any]:
        """The party as ingestion needs it to find the same Person again."""
        out: dict[str, Any] = {"role": party["role"], "name": party["name"]}
        if person is None:
            return out
        out["kind"] = person.get("kind") or "NATURAL"
        if "id" in clear and not self._first_seen_by_name_and_phone(party, person, clear, rest):
            out["creditCode" if person["identity_key"].startswith("cc:") else "idNumber"] = clear["id"]
        out.update({k: v for k, v in clear.items() if k != "id"})
        return out

    def _first_seen_by_name_and_phone(self, party: dict[str, Any], person: dict[str, Any],
                                      clear: dict[str, str], rest: Rest) -> bool:
        """Whether to leave the ID out here, so the Person is created by name and phone, as it was.

        A Person first known by name and phone keeps that key as its `_id` when an ID number
        arrives later. Only its first line goes without the ID, and only when a later line under
        the same name carries it (the Person is in another case, or later in this one).
        """
        person_id = person["_id"]
        if not person_id.startswith("np:") or person_id in self.np_seen:
            return False
        self.np_seen.add(person_id)
        group, start = rest
        again = len(person.get("case_ids") or []) > 1 or any(
            p["person_id"] == person_id for doc in group[start:] for p in doc.get("parties") or [])
        same_key = "phone" in clear and person_id[3:] in self.keys.hashes(
            purpose="name-phone", value=f"{party['name']}\x00{clear['phone']}")
        return again and same_key and self.np_names.get(person_id) == {party["name"]}


def _case_spec(case: dict[str, Any], region_code: str, stated: dict[str, Any] | None) -> dict[str, Any]:
    """The `case` block that opens this case again, or that the record came with (the record's region where it
    had one): what the record stated of the case, or — a record stored before statements were kept — what the
    case was opened with."""
    said = stated if stated is not None else {
        "category": case["category"], "risk_level": case.get("declared_risk_level"),
        "tags": case.get("declared_tags") or [], "responsible_person": case.get("responsible_person"),
        "deadline": case.get("deadline"), "amount_in_dispute": None}
    spec = {
        "title": case["title"], "category": said.get("category") or case["category"], "regionCode": region_code,
        "riskLevel": said.get("risk_level"), "tags": said.get("tags") or [],
        "responsiblePerson": said.get("responsible_person"),
        "deadline": deadline.isoformat() if (deadline := as_date(said.get("deadline"))) else None,
        "amountInDispute": said.get("amount_in_dispute"),
    }
    return {k: v for k, v in spec.items() if v is not None}


def _details(kind: RecordKind, stored: dict[str, Any]) -> dict[str, Any]:
    """Stored details in their wire form (dates as dates); as stored when they no longer validate."""
    try:
        return DETAILS_CLASSES[kind].model_validate(stored).model_dump(mode="json", by_alias=True, exclude_none=True)
    except ValidationError:
        return {k: _instant(v) if isinstance(v, datetime) else v for k, v in stored.items() if v is not None}


def _instant(value: datetime) -> str:
    """An instant in ISO 8601 with its UTC offset (a naive one is UTC, as the store keeps it)."""
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()


def _ordered(line: dict[str, Any]) -> dict[str, Any]:
    """The header, then the record's fields, the case link after the summary (for reading by eye)."""
    head = [*HEADER_FIELDS, "kind", "sourceId", "sourceRevision", "channel", "occurredAt", "summary",
            "case", "caseRef"]
    return {**{k: line[k] for k in head if k in line}, **{k: v for k, v in line.items() if k not in head}}


async def export_records(
    *, database: Any, keys: KeyRing, out: Path,
    on_read: Progress | None = None, on_written: Progress | None = None,
) -> ExportSummary:
    """Write every record of the database to `out` as JSON Lines; see the module docstring.

    The file appears only when complete: it is written as `<out>.partial` and renamed.
    """
    partial = out.with_name(out.name + ".partial")
    np_names: dict[str, set[str]] = defaultdict(set)
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".hub-export-") as directory, \
                files.open_private(partial, encoding="utf-8") as handle:
            writer = _Writer(out=handle, keys=keys, np_names=np_names)
            records = await _sorted_records(database, directory, np_names, on_read)
            groups: list[list[dict[str, Any]]] = []
            pending = 0
            for _, group in itertools.groupby(records, key=lambda doc: doc["case_no"]):
                groups.append(list(group))
                pending += len(groups[-1])
                if pending >= WRITE_RECORDS:
                    written = await writer.write(database, groups)
                    groups, pending = [], 0
                    if on_written:
                        on_written(written)
            written = await writer.write(database, groups)
            if on_written:
                on_written(written)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return writer.summary


# --- import ----------------------------------------------------------------------------------


async def import_export(
    *, path: Path, keys: KeyRing, batch_size: int = 500,
    match_window: timedelta = DEFAULT_MATCH_WINDOW, on_rows: Progress | None = None,
) -> ImportSummary:
    """Ingest an export: consecutive lines of one (sourceSystem, agency) form a batch, in file order.

    A batch the hub refuses as a whole (an unknown agency) rejects its lines and the import goes
    on; rejected lines go to `<name>.rejected.csv` with their line numbers, as for a ledger.
    """
    if path.suffix.lower() != ".jsonl":
        raise ValueError("without --agency, hub import reads a .jsonl file whose lines name their "
                         "sourceSystem and agency (from `hub export-records`); a ledger needs --agency")
    _, rows = files.read_file(path, source_system="-")  # unused for .jsonl: each line names its own
    summary = ImportSummary()
    rejected: list[tuple[files.FileRow, str]] = []
    pending: list[tuple[files.FileRow, dict[str, Any]]] = []
    header: tuple[Any, Any] | None = None

    async def flush() -> None:
        if pending and header is not None:
            try:
                await ingest_rows(rows=[row for row, _ in pending], records=[r for _, r in pending],
                                  source_system=header[0], agency=header[1], keys=keys, match_window=match_window,
                                  summary=summary, rejected=rejected)
            except BadUserInput as exc:  # the batch as a whole: an unknown agency
                summary.counts[RecordStatus.REJECTED] += len(pending)
                rejected.extend((row, str(exc)) for row, _ in pending)
            if on_rows:
                on_rows(len(pending))
        pending.clear()

    for row in rows:
        summary.rows += 1
        record = dict(row.record) if row.record is not None else None
        line_header = tuple(record.pop(name, None) for name in HEADER_FIELDS) if record else (None, None)
        if record is None or None in line_header:
            rejected.append((row, "; ".join(row.errors) or "the line names no sourceSystem and agency "
                             "(a ledger's lines do not: import it with --agency)"))
            summary.counts[RecordStatus.REJECTED] += 1
            if on_rows:
                on_rows(1)
            continue
        if line_header != header or len(pending) >= batch_size:
            await flush()
            header = line_header
        pending.append((row, record))
    await flush()
    if rejected:
        summary.rejected_file = files.write_rejected(path, rejected)
    return summary
