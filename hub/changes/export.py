"""`hub export`: the change log after a cursor, for a batch job — the provincial system's upload above all.

Each run reads the entries after `--since` (the beginning when omitted) up to `--until` or the end of the
unbroken run, writes them to a temporary file beside `--out` and renames it into place (a run cut short
leaves no half-written file), and hands back the cursor to continue from. Entries hold each case and record
as written, so a run from the same cursor to the same end writes the same file (JSON Lines: byte for byte;
a workbook: the same cells), and consecutive runs, each from the cursor the last one gave, together hold
every entry once (docs/changes.md).

The file names the parties of each case: it is created with mode 0600, and nothing here logs a value.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from bson import ObjectId

from hub.changes import service
from hub.changes.ledger import LedgerMapping, Names
from hub.changes.models import ChangeEntity
from hub.exports.workbook import Column, Sheet

INTERNAL = ("_class_id",)  # the document mapper's own field, not the hub's


class Format(StrEnum):
    JSONL = "jsonl"
    XLSX = "xlsx"


@dataclass
class Exported:
    """What a run wrote, and where the next one starts."""

    since: int
    until: int  # the last entry passed (written, or VOID): the next run's `since`
    entries: int = 0  # lines written (JSON Lines) / entries read (a workbook keeps each case's latest row)
    cases: int = 0
    records: int = 0
    rows: int = 0  # the workbook's ledger rows

    @property
    def next_cursor(self) -> str:
        return service.cursor(self.until)


def plain(value: Any) -> Any:
    """A stored value as JSON: ids as strings, instants and days in ISO 8601."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items() if k not in INTERNAL}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def line(entry: Mapping[str, Any], mapping: LedgerMapping, names: Names) -> str:
    """One entry as a JSON line: where it is, what it holds, and for a case its ledger row."""
    body: dict[str, Any] = {
        "cursor": service.cursor(entry["seq"]), "seq": entry["seq"], "key": entry["_id"], "entity": entry["entity"],
        "at": plain(entry["at"]), "caseNo": entry.get("case_no"), "revision": entry.get("revision", 0),
        "doc": plain(entry["doc"]),
    }
    if entry["entity"] == ChangeEntity.CASE:
        body["ledger"] = {"mapping": mapping.version, **plain(mapping.record(entry["doc"], names))}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


async def run(*, out: Path, form: Format, since: int, until: int | None, gap_seconds: float,
              mapping: LedgerMapping) -> Exported:
    """Write the entries after `since` (to `until`) into `out`; what was written and the cursor to go on from."""
    names = await Names.load()
    result = Exported(since=since, until=since)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as file:
            if form is Format.JSONL:
                await _jsonl(file, result, since=since, until=until, gap_seconds=gap_seconds, mapping=mapping,
                             names=names)
            else:
                await _xlsx(file, result, since=since, until=until, gap_seconds=gap_seconds, mapping=mapping,
                            names=names)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return result


def _count(result: Exported, entry: Mapping[str, Any]) -> bool:
    result.until = entry["seq"]
    if entry["entity"] == ChangeEntity.VOID:
        return False
    result.entries += 1
    if entry["entity"] == ChangeEntity.CASE:
        result.cases += 1
    else:
        result.records += 1
    return True


async def _jsonl(file: IO[bytes], result: Exported, *, since: int, until: int | None, gap_seconds: float,
                 mapping: LedgerMapping, names: Names) -> None:
    async for entry in service.entries(after=since, until=until, gap_seconds=gap_seconds):
        if _count(result, entry):
            file.write(line(entry, mapping, names).encode() + b"\n")


async def _xlsx(file: IO[bytes], result: Exported, *, since: int, until: int | None, gap_seconds: float,
                mapping: LedgerMapping, names: Names) -> None:
    """The ledger: one row per case, at its latest revision in the range, in the order of those entries."""
    latest: dict[Any, Mapping[str, Any]] = {}  # case id -> its document at its latest revision
    async for entry in service.entries(after=since, until=until, gap_seconds=gap_seconds):
        if _count(result, entry) and entry["entity"] == ChangeEntity.CASE:
            held = latest.get(entry["case_id"])
            if held is None or held["revision"] <= entry["revision"]:
                latest.pop(entry["case_id"], None)  # re-inserted: rows follow their latest entry
                latest[entry["case_id"]] = entry["doc"]
    sheet = Sheet(mapping.sheet, [Column(c.header, c.width, "yyyy-mm-dd" if c.format == "date" else None)
                                  for c in mapping.columns])
    try:
        for doc in latest.values():
            sheet.append(mapping.row(doc, names))
        result.rows = len(latest)
        about = sheet.workbook.create_sheet("导出说明")
        for label, value in (("台账", mapping.name), ("映射版本", mapping.version),
                             ("起始游标 (--since)", service.cursor(since)), ("截止游标 (--until)", result.next_cursor),
                             ("案件行数", result.rows), ("变更条目", result.entries)):
            about.append([label, value])
        sheet.save(file)
    except BaseException:
        sheet.discard()
        raise
