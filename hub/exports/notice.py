"""GET /exports/notice.xlsx?id=ID: a supervision notice's ranking as Excel (督查通报).

Like the other exports, it runs the API's own GraphQL document (`supervisionNotice`) as the caller,
so the notice's permission class and audit apply. One sheet per ranked kind: 乡镇(街道)排名, and
单位排名 when the notice ranks agencies. Columns: 排名, the unit, each indicator's value, 综合得分, 点评.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hub.exports import routes
from hub.exports.workbook import PERCENT_FORMAT

NOTICE = """
query ExportNotice($id: ID!) {
  supervisionNotice(id: $id) {
    title status periodFrom periodTo rankAgencies
    indicators { indicator label }
    townships { ...ExportUnit }
    agencies { ...ExportUnit }
  }
}

fragment ExportUnit on NoticeUnit { code name rank score comment values { indicator value } }
"""
SHEETS = (("townships", "乡镇(街道)排名", "乡镇(街道)"), ("agencies", "单位排名", "单位"))


def _text(value: Any) -> Any:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _sheet(book: Workbook, title: str, unit_header: str, indicators: Sequence[dict[str, Any]],
           units: Sequence[dict[str, Any]]) -> None:
    sheet = book.create_sheet(title)
    headers = ["排名", unit_header, "代码", *(i["label"] for i in indicators), "综合得分", "点评"]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for unit in units:
        by = {v["indicator"]: v["value"] for v in unit["values"]}
        sheet.append([unit["rank"], _text(unit["name"]), unit["code"], *(by.get(i["indicator"]) for i in indicators),
                      unit["score"], _text(unit["comment"])])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a comment starting with `=` stays text, never a formula
    rate = next((n for n, i in enumerate(indicators) if i["indicator"] == "RESOLUTION_RATE"), None)
    if rate is not None:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=4 + rate, max_col=4 + rate):
            cell.number_format = PERCENT_FORMAT
    for index, header in enumerate(headers, 1):
        sheet.column_dimensions[get_column_letter(index)].width = 60 if header == "点评" else max(8, 2.2 * len(header) + 2)
    sheet.freeze_panes = "C2"


def workbook_of(notice: dict[str, Any]) -> Workbook:
    """The notice's workbook: a sheet per ranked kind."""
    book = Workbook()
    book.remove(book.active)
    for key, title, unit_header in SHEETS:
        if key == "agencies" and not notice["rankAgencies"]:
            continue
        _sheet(book, title, unit_header, notice["indicators"], notice[key])
    return book


async def _write_notice(request: Request, file: IO[bytes]) -> routes.Written:
    notice_id = request.query_params.get("id", "").strip()
    if not notice_id:
        raise routes.Refused(400, "BAD_USER_INPUT", "give ?id=ID, a supervision notice's ID")
    notice = (await routes.runner(request)(NOTICE, {"id": notice_id}))["supervisionNotice"]
    book = workbook_of(notice)
    await run_in_threadpool(book.save, file)
    count = len(notice["townships"]) + len(notice["agencies"])
    return routes.Written(rows=count, headers={"X-Hub-Export-Rows": str(count), "X-Hub-Notice-Status": notice["status"]})


async def notice_export(request: Request) -> Response:
    """GET /exports/notice.xlsx?id=ID: the ranking of one supervision notice the caller may read."""
    return await routes.export(request, kind="notice", title="督查通报", write=_write_notice)
