"""Read a ledger file (.jsonl, .csv, .xlsx) into wire-format records, row by row, without a database.

Grassroots staff keep their mediation ledgers (人民调解台账) in spreadsheets with Chinese headers;
`read_file` maps each row onto the ingestion wire format (`hub.ingest.models`). It does not validate
identity numbers or phones: the ingestion service does, and reports per row. Rows hold personal
data: nothing here logs or prints a cell, and error messages name columns, not identifiers.
See docs/ingest-files.md for the user-facing mapping.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import chain
from pathlib import Path
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from hub.ingest import ledger
from hub.ingest.ledger import HEADER_ALIASES, RESULT
from hub.people.identity import normalise_identifier
from hub.records.enums import ClosureOutcome, PartyKind, PartyRole, RecordKind, ScreeningMode, SessionOutcome

__all__ = ["HEADER_ALIASES", "FileRow", "HeaderMapping", "count_rows", "read_file", "write_rejected"]

SUFFIXES = (".jsonl", ".csv", ".xlsx")
HEADER_SCAN_ROWS = 20  # a title row ("XX村人民调解台账") may sit above the header
NUMBER_COLUMN = "行号"
REASON_COLUMN = "拒收原因"
JSON_COLUMN = "json"
_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")


@dataclass(frozen=True)
class FileRow:
    """One data row: where it is, what it said, the record it became (or why not)."""

    number: int  # 1-based row as a person sees it (spreadsheet row, header = row 1; jsonl: line)
    raw: dict[str, str]  # header -> cell text, for the rejected file
    record: dict[str, Any] | None  # wire-format record, None when the row could not be mapped
    errors: list[str]  # mapping problems, one sentence each, naming the column


@dataclass(frozen=True)
class HeaderMapping:
    """How the file's headers were understood."""

    mapped: dict[str, str]  # file header -> wire field, e.g. "当事人" -> "parties[0].name"
    unmapped: list[str]  # headers that could not be mapped: reported to the user, ignored


class _LostDigits(str):
    """Text of a numeric Excel cell that had more than 15 significant digits (an ID typed as a number)."""


def _suffix(path: Path) -> str:
    """The file's suffix, lower-case, or ValueError when it is not one we read."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"unsupported file type {path.suffix or '(none)'}; use .jsonl, .csv or .xlsx")
    return suffix


def read_file(path: Path, *, source_system: str) -> tuple[HeaderMapping, Iterator[FileRow]]:
    """Read the header now and return it with a lazy iterator of the file's data rows."""
    suffix = _suffix(path)
    if not source_system.strip():
        raise ValueError("source_system is required")
    if suffix == ".jsonl":
        return HeaderMapping(mapped={}, unmapped=[]), _jsonl_rows(path)
    open_rows: Callable[[], Iterator[list[str]]]
    if suffix == ".csv":
        encoding = _csv_encoding(path)
        delimiter = _csv_delimiter(path, encoding)
        open_rows = lambda: _csv_cells(path, encoding, delimiter)  # noqa: E731
    else:
        open_rows = lambda: _xlsx_cells(path)  # noqa: E731
    with closing(open_rows()) as rows:
        header_number, headers = _find_header(rows)
    mapping = _map_headers(headers)
    return mapping, _table_rows(open_rows, header_number, headers, mapping)


def count_rows(path: Path) -> int:
    """Roughly how many data rows the file has, for a progress bar (lines, or the sheet's max_row - 1)."""
    if _suffix(path) == ".xlsx":
        workbook = _open_workbook(path)
        try:
            sheet = workbook.worksheets[0]
            rows = sheet.max_row if sheet.max_row is not None else sum(1 for _ in sheet.iter_rows(values_only=True))
        finally:
            workbook.close()
        return max(rows - 1, 0)
    lines, last = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    lines += 1 if last not in (b"", b"\n") else 0
    return lines if path.suffix.lower() == ".jsonl" else max(lines - 1, 0)


def open_private(path: Path, **text: Any) -> IO[str]:
    """The file, new or emptied, that only its owner may read or write (mode 0600, whatever the umask)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, "w", **text)


def write_rejected(path: Path, rows: Iterable[tuple[FileRow, str]]) -> Path:
    """Write `<stem>.rejected.csv` beside the input: original columns, 行号 and 拒收原因; return its path.

    Owner-only (0600): rejected rows carry the parties' identifiers as the sender wrote them.
    """
    out = path.with_name(f"{path.stem}.rejected.csv")
    iterator = iter(rows)
    first = next(iterator, None)
    own = (NUMBER_COLUMN, REASON_COLUMN)  # replaced, not repeated, when a rejected file is re-imported
    columns = [column for column in (first[0].raw if first else {}) if column not in own]
    with open_private(out, encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, *own])
        for row, reason in chain([first] if first else [], iterator):
            original = row.raw.get(NUMBER_COLUMN, "").strip() or str(row.number)
            writer.writerow([*(row.raw.get(column, "") for column in columns), original, reason])
    return out


# --- reading ---------------------------------------------------------------------------------


def _jsonl_rows(path: Path) -> Iterator[FileRow]:
    """One FileRow per non-blank line; the line must be one JSON object (a wire-format record)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                text = line.decode("utf-8").lstrip("\ufeff").strip()
            except UnicodeDecodeError:
                yield FileRow(number, {JSON_COLUMN: ""}, None, ["the line is not UTF-8 text"])
                continue
            if not text:
                continue
            raw = {JSON_COLUMN: text}
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield FileRow(number, raw, None, [f"not valid JSON: {exc.msg} at column {exc.colno}"])
                continue
            if isinstance(value, dict):
                yield FileRow(number, raw, value, [])
            else:
                yield FileRow(number, raw, None, ["a line must hold one JSON object (a wire-format record)"])


def _decodes(path: Path, encoding: str) -> bool:
    """True when the whole file decodes in the encoding (read in chunks, nothing kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _csv_encoding(path: Path) -> str:
    """utf-8-sig when the file is UTF-8 (BOM or not), else GB18030 (Chinese Excel's 'CSV')."""
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(path, encoding):
            return encoding
    raise ValueError("cannot read the CSV file as UTF-8 or GB18030 text; save it as 'CSV UTF-8'")


def _csv_delimiter(path: Path, encoding: str) -> str:
    """A tab when the first non-blank line has tabs and no commas, else a comma."""
    with path.open(encoding=encoding, newline="") as handle:
        for line in handle:
            if line.strip():
                return "\t" if "\t" in line and "," not in line else ","
    return ","


def _csv_cells(path: Path, encoding: str, delimiter: str) -> Iterator[list[str]]:
    """Every CSV record as a list of cell texts (one record = one spreadsheet row)."""
    with path.open(encoding=encoding, newline="") as handle:
        yield from csv.reader(handle, delimiter=delimiter)


def _open_workbook(path: Path) -> Any:
    """The workbook, read-only with cached formula values; ValueError when it is no .xlsx or has no sheet."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as exc:
        raise ValueError("cannot open the file as an Excel workbook (.xlsx); an .xls renamed will not do") from exc
    if not workbook.worksheets:
        workbook.close()
        raise ValueError("the workbook has no worksheet")
    return workbook


def _xlsx_cells(path: Path) -> Iterator[list[str]]:
    """Every row of the first worksheet, from row 1, as cell texts."""
    workbook = _open_workbook(path)
    try:
        for values in workbook.worksheets[0].iter_rows(min_row=1, values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """An Excel cell value as the text a person sees (dates as 2026-03-01 [14:30])."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return _LostDigits(f"{value:.0f}") if abs(value) >= 1e15 else str(int(value))
    return str(value)


def _find_header(rows: Iterator[list[str]]) -> tuple[int, list[str]]:
    """(row number, header names): the first row with two known headers, else the first non-empty row."""
    first: tuple[int, list[str]] | None = None
    for number, cells in enumerate(rows, 1):
        if number > HEADER_SCAN_ROWS:
            break
        if not any(cell.strip() for cell in cells):
            continue
        first = first or (number, cells)
        if sum(ledger.field_for_header(cell) is not None for cell in cells if cell.strip()) >= 2:
            return number, _header_names(cells)
    return (first[0], _header_names(first[1])) if first else (0, [])


def _header_names(cells: list[str]) -> list[str]:
    """Header cells trimmed; trailing blanks dropped, blank ones named 列C, repeats numbered 电话(2)."""
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        name = name or f"列{get_column_letter(index + 1)}"
        seen[name] = seen.get(name, 0) + 1
        names[index] = name if seen[name] == 1 else f"{name}({seen[name]})"
    return names


def _map_headers(headers: list[str]) -> HeaderMapping:
    """Map each header to its wire field; the rest are unmapped."""
    mapped: dict[str, str] = {}
    unmapped: list[str] = []
    for header in headers:
        field = ledger.field_for_header(header)
        if field is None:
            unmapped.append(header)
        else:
            mapped[header] = field
    return HeaderMapping(mapped=mapped, unmapped=unmapped)


def _table_rows(
    open_rows: Callable[[], Iterator[list[str]]], header_number: int, headers: list[str], mapping: HeaderMapping
) -> Iterator[FileRow]:
    """Data rows below the header, mapped; completely empty rows skipped."""
    if not headers:
        return
    with closing(open_rows()) as rows:
        for number, cells in enumerate(rows, 1):
            if number <= header_number or not any(cell.strip() for cell in cells):
                continue
            raw = {name: cells[index] if index < len(cells) else "" for index, name in enumerate(headers)}
            yield map_row(number, raw, mapping)


# --- mapping ---------------------------------------------------------------------------------


def map_row(number: int, raw: dict[str, str], mapping: HeaderMapping) -> FileRow:
    """Turn one ledger row (header -> text) into a wire-format record, or collect why it cannot be."""
    values: dict[str, tuple[str, str]] = {}  # field -> (header, text): first non-empty column wins
    errors: list[str] = []
    for header, field in mapping.mapped.items():
        text = raw.get(header, "")
        if isinstance(text, _LostDigits):
            errors.append(
                f"{header}: Excel stored this as a number and kept only 15 digits; "
                "format the column as text and type the value again"
            )
        elif text.strip() and field not in values:
            values[field] = (header, text.strip())

    def get(field: str) -> str:
        """The row's text for a field, or ''."""
        return values.get(field, ("", ""))[1]

    def read(field: str, parse: Callable[[str], Any], what: str) -> Any:
        """Parse a field's text; on failure note '<header>: cannot read '<text>' as <what>'."""
        if not (text := get(field)):
            return None
        result = parse(text)
        if result is None:
            shown = text if len(text) <= 30 else text[:30] + "…"
            errors.append(f"{values[field][0]}: cannot read '{shown}' as {what}")
        return result

    row_id = get(ledger.SOURCE_ROW) or str(number)  # a re-imported rejected file keeps the ledger's row
    record: dict[str, Any] = {"sourceId": get("sourceId") or f"row-{row_id}"}
    outcome = read(RESULT, ledger.result_for, "a mediation result (调解成功, 调解不成功 or 调解中)")
    kind = read("kind", ledger.kind_for, "a record type (排查, 受理, 调解, 协议, 司法确认, 回访, 结案)")
    if kind is None and not get("kind"):
        kind = RecordKind.AGREEMENT if outcome is SessionOutcome.AGREED else RecordKind.MEDIATION_SESSION
    if occurred := read("occurredAt", ledger.parse_datetime, "a date"):
        record["occurredAt"] = occurred
    kind_header = values.get("kind", ("记录类型", ""))[0]
    details = _details(kind, kind_header, outcome, get, read, errors) if kind else {}

    title = get("case.title")
    if case_no := get("caseNo"):
        record["caseNo"] = case_no
    else:
        case: dict[str, Any] = {}
        category = read("case.category", ledger.category_for, "a dispute category")
        if not title and get("case.category"):
            title = get("case.category") if get("case.category").endswith("纠纷") else get("case.category") + "纠纷"
        title = title or get("summary")[:50]
        case.update({"title": title} if title else {})
        case.update({"category": category.value} if category else {})
        case.update({"regionCode": get("case.regionCode")} if get("case.regionCode") else {})
        if risk := read("case.riskLevel", ledger.risk_for, "a risk level (低, 中, 高, 重大)"):
            case["riskLevel"] = risk.value
        record["case"] = case
    summary = get("summary") or title
    if summary:
        record["summary"] = summary
    if parties := _parties(get):
        record["parties"] = parties
    if kind:
        record["kind"] = kind.value
        record["details"] = details
    return FileRow(number=number, raw=raw, record=None if errors else record, errors=errors)


def _details(
    kind: RecordKind,
    kind_header: str,
    outcome: SessionOutcome | None,
    get: Callable[[str], str],
    read: Callable[[str, Callable[[str], Any], str], Any],
    errors: list[str],
) -> dict[str, Any]:
    """The kind's details from the result, mediators, terms, amount and screening-mode columns."""
    details: dict[str, Any] = {}
    if kind is RecordKind.AGREEMENT:
        if outcome is SessionOutcome.FAILED:
            errors.append(f"{kind_header}: the row is an agreement (协议) but its 调解结果 says mediation failed")
        if terms := get("details.terms") or get(RESULT):
            details["terms"] = terms
        amount = read("details.amount", ledger.parse_amount, "an amount in yuan")
        if amount is not None:
            details["amount"] = amount
    elif kind is RecordKind.MEDIATION_SESSION:
        details["outcome"] = (outcome or SessionOutcome.CONTINUING).value
        if mediators := ledger.split_mediators(get("details.mediators")):
            details["mediators"] = mediators
    elif kind is RecordKind.SCREENING:
        mode = read("details.screeningMode", ledger.screening_for, "a screening mode (滚动, 集中, 专项)")
        details["screeningMode"] = (mode or ScreeningMode.ROLLING).value
    elif kind is RecordKind.CLOSURE:
        closure = {SessionOutcome.AGREED: ClosureOutcome.RESOLVED, SessionOutcome.FAILED: ClosureOutcome.FAILED}
        if outcome in closure:
            details["outcome"] = closure[outcome].value
        elif not get(RESULT) or outcome is SessionOutcome.CONTINUING:
            errors.append(f"{kind_header}: a closure (结案) needs a 调解结果 saying whether mediation succeeded")
    return details


def _parties(get: Callable[[str], str]) -> list[dict[str, Any]]:
    """Applicant and respondent from their columns; an 18-character non-ID key is a credit code."""
    parties: list[dict[str, Any]] = []
    for index, role in enumerate((PartyRole.APPLICANT, PartyRole.RESPONDENT)):
        fields = ("name", "idNumber", "creditCode", "phone", "address")
        party = {name: get(f"parties[{index}].{name}") for name in fields if get(f"parties[{index}].{name}")}
        if not party:
            continue
        if "creditCode" not in party and _is_credit_code(party.get("idNumber", "")):
            party["creditCode"] = party.pop("idNumber")
        kind = PartyKind.ORGANISATION if "creditCode" in party else PartyKind.NATURAL
        parties.append({"role": role.value, "kind": kind.value, **party})
    return parties


def _is_credit_code(text: str) -> bool:
    """18 characters and not shaped like a resident ID (17 digits then a digit or X)."""
    key = normalise_identifier(text)
    return len(key) == 18 and not _RESIDENT_ID.fullmatch(key)
