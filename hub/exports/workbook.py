"""The export workbooks: the GraphQL documents they run, and sheets written row by row from the results.

Everything here works on the plain dicts of a GraphQL result, so a sheet shows exactly what the API
gave the caller. Times are written as Excel date-times in Asia/Shanghai (Excel has no time zones),
shown as `YYYY-MM-DD HH:MM`, so analysts can sort and filter them as dates.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from hub.analytics import labels
from hub.cases.derive import REPORTING_TZ

Result = Mapping[str, Any]

TIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
LIST_SEPARATOR = "、"
MISSING = "—"  # a group whose cases have no value along a dimension (no agency, no township)
TOTAL = "合计"


@dataclass(frozen=True)
class Column:
    """A sheet's column: its header, its width in characters, and its cells' number format."""

    header: str
    width: float
    number_format: str | None = None


CASE_COLUMNS = (
    Column("案件编号", 16), Column("案由", 32), Column("纠纷类型", 12), Column("状态", 14), Column("风险等级", 9),
    Column("标签", 20), Column("渠道", 24), Column("所属区域", 14), Column("牵头单位", 26), Column("当事人", 24),
    Column("受理时间", 17), Column("最近活动", 17), Column("化解时间", 17), Column("记录数", 8), Column("信访次数", 9),
)

CASES = """
query ExportCases($filter: CaseFilter, $orderBy: CaseOrder!, $first: Int!, $after: String, $withTotal: Boolean!) {
  cases(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount @include(if: $withTotal)
    pageInfo { hasNextPage endCursor }
    nodes {
      caseNo title category status riskLevel tags channels openedAt lastActivityAt resolvedAt
      recordCount petitionCount
      region { name }
      leadAgency { name }
      parties { name }
    }
  }
}
"""

# (header, SummaryFigures field): the summary document asks for exactly these fields.
FIGURES = (
    ("纠纷", "cases"), ("排查", "screened"), ("受理", "accepted"), ("调解中", "inMediation"), ("化解", "resolved"),
    ("未化解", "failed"), ("导入其他程序", "referred"), ("撤回", "withdrawn"), ("在办", "open"),
    ("越级", "escalated"), ("群体性", "massDisputes"), ("信访", "petitions"), ("越级信访", "escalatedPetitions"),
    ("积案", "backlog"), ("化解率", "resolutionRate"), ("化解中位天数", "medianDaysToResolution"),
)

SUMMARY = f"""
query ExportSummary($filter: SummaryFilter!, $groupBy: [SummaryDimension!]!) {{
  summary(filter: $filter, groupBy: $groupBy) {{
    total {{ ...ExportFigures }}
    groups {{ key {{ dimension value label }} figures {{ ...ExportFigures }} }}
  }}
}}

fragment ExportFigures on SummaryFigures {{ {" ".join(name for _, name in FIGURES)} }}
"""


class Sheet:
    """A workbook of one write-only sheet: a bold, frozen header row, then rows as they come.

    openpyxl streams the rows to a temporary file of its own, so memory holds one page at a time.
    """

    def __init__(self, title: str, columns: Sequence[Column]) -> None:
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title)
        self.columns = tuple(columns)
        for index, column in enumerate(self.columns, 1):  # widths and panes must precede the first row
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        self.sheet.append([self._cell(column.header, font=bold) for column in self.columns])

    def _cell(self, value: Any, *, number_format: str | None = None, font: Font | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=value)
        if number_format:
            cell.number_format = number_format
        if font:
            cell.font = font
        return cell

    def append(self, values: Sequence[Any]) -> None:
        """One row: date-times and the columns' number formats applied to their cells, text kept as text."""
        self.sheet.append([self._value_cell(index, value) for index, value in enumerate(values)])

    def _value_cell(self, index: int, value: Any) -> Any:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters an agency sent: Excel refuses them
            if not value.startswith("="):
                return value
            cell = self._cell(value)
            cell.data_type = "s"  # openpyxl would store `=…` as a formula: a title an agency sent must stay text
            return cell
        number_format = TIME_FORMAT if isinstance(value, datetime) else (
            self.columns[index].number_format if index < len(self.columns) else None)
        return self._cell(value, number_format=number_format) if number_format and value is not None else value

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        """Several rows, in order."""
        for values in rows:
            self.append(values)

    def save(self, file: IO[bytes]) -> None:
        """Write the finished workbook into file (the sheet can take no more rows)."""
        self.workbook.save(file)

    def discard(self) -> None:
        """Give up a sheet half written: saving it into a throw-away file removes openpyxl's own temporary file."""
        with suppress(Exception), tempfile.TemporaryFile() as sink:
            self.workbook.save(sink)


def _label(table: Mapping[str, str], code: str | None) -> str | None:
    return table.get(code, code) if code is not None else None


def _labels(table: Mapping[str, str], codes: Sequence[str]) -> str:
    return LIST_SEPARATOR.join(table.get(code, code) for code in codes)


def _name(item: Result | None) -> str | None:
    return item["name"] if item else None


def local_time(instant: str | None) -> datetime | None:
    """An instant from the API (ISO 8601) as Asia/Shanghai wall time to the minute, without a zone (for Excel)."""
    if instant is None:
        return None
    local = datetime.fromisoformat(instant).astimezone(REPORTING_TZ)
    return local.replace(second=0, microsecond=0, tzinfo=None)


def case_row(node: Result) -> list[Any]:
    """One `Case` of the CASES document as the cells under CASE_COLUMNS."""
    parties = dict.fromkeys(party["name"] for party in node["parties"])  # each name once, in order
    return [
        node["caseNo"], node["title"], _label(labels.CATEGORY, node["category"]), _label(labels.STATUS, node["status"]),
        _label(labels.RISK_LEVEL, node["riskLevel"]), _labels(labels.CASE_TAG, node["tags"]),
        _labels(labels.CHANNEL, node["channels"]), _name(node["region"]), _name(node["leadAgency"]),
        LIST_SEPARATOR.join(parties), local_time(node["openedAt"]), local_time(node["lastActivityAt"]),
        local_time(node["resolvedAt"]), node["recordCount"], node["petitionCount"],
    ]


def truncation_note(written: int, total: int) -> str:
    """The last row of a cases sheet cut at the export limit."""
    return f"（仅导出前 {written} 件，共 {total} 件）"


def summary_columns(group_by: Sequence[str]) -> list[Column]:
    """A column per grouping dimension (one 项目 column for the total alone), then the figures."""
    keys = [Column(labels.SUMMARY_DIMENSION.get(d, d), 12 if d == "MONTH" else 22) for d in group_by] or [Column("项目", 10)]
    figures = [Column(header, max(8.0, 2.2 * len(header) + 2),
                      PERCENT_FORMAT if name == "resolutionRate" else None) for header, name in FIGURES]
    return [*keys, *figures]


def _key_cell(key: Result) -> str:
    if key["value"] is None:
        return MISSING
    if key["dimension"] == "MONTH":
        return str(key["value"])  # YYYY-MM, which Excel sorts as it reads
    return str(key["label"] or key["value"])


def _figures(figures: Result) -> list[Any]:
    return [figures[name] for _, name in FIGURES]


def summary_rows(summary: Result, group_by: Sequence[str]) -> Iterator[list[Any]]:
    """The rows under `summary_columns`: one per group in the API's order, then the 合计 row."""
    for group in summary["groups"]:
        yield [*(_key_cell(key) for key in group["key"]), *_figures(group["figures"])]
    yield [TOTAL, *[None] * (max(len(group_by), 1) - 1), *_figures(summary["total"])]
