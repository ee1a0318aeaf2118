"""GET /exports/cases.xlsx, /exports/summary.xlsx (and, in their own modules, a notice's and a campaign's sheets):
Excel downloads for the console's users.

There is no second data path: each export runs the API's own GraphQL documents through the app's
schema as the caller, so the fields' permission classes and audit entries apply as they do over
/graphql, and one more audit entry records the export itself. The workbook is written into a
temporary file while the pages arrive and sent only once it is complete, so every error is still
answered as JSON with its status.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from hub.audit import service as audit_service
from hub.audit.models import Outcome
from hub.cases.derive import REPORTING_TZ
from hub.config import Settings
from hub.exports import workbook
from hub.exports.workbook import Sheet
from hub.middleware import error_response
from resolvers.context import Context
from schema.relay import MAX_PAGE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = MAX_PAGE  # cases per GraphQL page: the most `cases` hands out
CHUNK_BYTES = 64 * 1024
SPOOL_BYTES = 1024 * 1024  # a workbook up to this size stays in memory; a larger one moves to an unnamed file
_STATUS = {"BAD_USER_INPUT": 400, "GRAPHQL_VALIDATION_FAILED": 400, "QUERY_TOO_COMPLEX": 400,
           "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "UNAVAILABLE": 503}


class Refused(Exception):
    """An export that cannot be made, answered with this status and a GraphQL-shaped error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Written:
    """What an export wrote into its file: the data rows, and headers that describe them."""

    rows: int
    headers: dict[str, str] = field(default_factory=dict)


Writer = Callable[[Request, IO[bytes]], Awaitable[Written]]
Run = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def runner(request: Request) -> Run:
    """Runs GraphQL documents through the app's schema as the caller, in one context for the whole export."""
    context = Context.of_request(request)

    async def run(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        result = await request.app.state.schema.execute(document, variable_values=variables, context_value=context)
        if result.errors:  # a sheet with holes would mislead: any error refuses the export
            error = result.errors[0]
            code = (error.extensions or {}).get("code", "INTERNAL_SERVER_ERROR")
            raise Refused(_STATUS.get(code, 500), code, error.message)
        return dict(result.data or {})

    return run


def json_object(request: Request, name: str, input_type: str) -> dict[str, Any] | None:
    """The query parameter `name` as the JSON object of a GraphQL input; None when absent or empty."""
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise Refused(400, "BAD_USER_INPUT", f"`{name}` must be a JSON object: the GraphQL {input_type} input, "
                                             "with its camelCase field names")
    return value


async def write_pages(run: Run, document: str, variables: dict[str, Any], key: str,
                      row: Callable[[dict[str, Any]], list[Any]], sheet: Sheet, limit: int) -> tuple[int, int]:
    """Page through the connection `key` of `document` into `sheet`, up to `limit` rows, noting a cut in a last
    row; the rows written and the connection's total. The document takes `$first`, `$after` and `$withTotal`."""
    written = 0
    try:
        page = (await run(document, {**variables, "first": min(PAGE_SIZE, limit), "withTotal": True}))[key]
        total: int = page["totalCount"]
        while True:
            rows = [row(node) for node in page["nodes"][: limit - written]]
            await run_in_threadpool(sheet.extend, rows)  # openpyxl serialises each row as it comes: off the loop
            written += len(rows)
            if written >= limit or not rows or not page["pageInfo"]["hasNextPage"]:
                break
            page = (await run(document, {**variables, "first": min(PAGE_SIZE, limit - written),
                                         "after": page["pageInfo"]["endCursor"], "withTotal": False}))[key]
        if written < total:
            sheet.append([workbook.truncation_note(written, total)])
    except Exception:  # not on cancellation, when a worker thread may still be writing the sheet
        sheet.discard()
        raise
    return written, total


async def _write_cases(request: Request, file: IO[bytes]) -> Written:
    """Page through `cases` into the 案件 sheet, up to `export_max_rows`, noting a cut in a last row."""
    settings: Settings = request.app.state.settings
    variables = {"filter": json_object(request, "filter", "CaseFilter"),
                 "orderBy": request.query_params.get("orderBy") or "OPENED_AT_DESC"}
    sheet = Sheet("案件", workbook.CASE_COLUMNS)
    written, total = await write_pages(runner(request), workbook.CASES, variables, "cases", workbook.case_row, sheet,
                                       max(settings.export_max_rows, 1))
    await run_in_threadpool(sheet.save, file)  # zipping thousands of rows: off the event loop
    return Written(rows=written, headers={"X-Hub-Export-Total": str(total), "X-Hub-Export-Rows": str(written)})


async def _write_summary(request: Request, file: IO[bytes]) -> Written:
    """Run `summary` once into the 分析研判 sheet: a row per group, then the total."""
    group_by = [d.strip() for d in request.query_params.get("groupBy", "").split(",") if d.strip()]
    variables = {"filter": json_object(request, "filter", "SummaryFilter") or {}, "groupBy": group_by}
    summary = (await runner(request)(workbook.SUMMARY, variables))["summary"]
    sheet = Sheet("分析研判", workbook.summary_columns(group_by))
    try:
        await run_in_threadpool(sheet.extend, workbook.summary_rows(summary, group_by))
    except Exception:  # not on cancellation, when a worker thread may still be writing the sheet
        sheet.discard()
        raise
    await run_in_threadpool(sheet.save, file)
    rows = len(summary["groups"])
    return Written(rows=rows, headers={"X-Hub-Export-Rows": str(rows)})


async def _chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    """The file's bytes in chunks; the file is closed (and so gone) at the end or when the client leaves."""
    try:
        while chunk := await run_in_threadpool(file.read, CHUNK_BYTES):
            yield chunk
    finally:
        file.close()


def content_disposition(fallback: str, title: str, now: datetime) -> str:
    """`attachment` with an ASCII name for old clients and the dated Chinese name (RFC 6266) for the rest."""
    name = f"{title}-{now.astimezone(REPORTING_TZ):%Y%m%d}.xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


async def export(request: Request, *, kind: str, title: str, write: Writer) -> Response:
    """Write an export into a temporary file and stream it back; audited once, whichever way it ends."""
    principal = request.state.principal
    file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        written = await write(request, file)
    except Refused as exc:
        file.close()
        outcome = Outcome.DENIED if exc.code == "FORBIDDEN" else Outcome.FAILED
        await audit_service.append(key=request.app.state.audit_key, principal=principal, operation="export", targets=[kind], outcome=outcome,
                                   reason=exc.code)
        return error_response(exc.status, exc.code, exc.message)
    except Exception:
        file.close()
        await audit_service.append(key=request.app.state.audit_key, principal=principal, operation="export", targets=[kind], outcome=Outcome.FAILED,
                                   reason="INTERNAL_SERVER_ERROR")
        raise
    except BaseException:
        file.close()
        raise
    await audit_service.append(key=request.app.state.audit_key, principal=principal, operation="export", targets=[kind, f"rows:{written.rows}"],
                               outcome=Outcome.OK)
    size = file.seek(0, os.SEEK_END)
    file.seek(0)
    headers = {"Content-Disposition": content_disposition(f"{kind}.xlsx", title, datetime.now(REPORTING_TZ)),
               "Content-Length": str(size), "Cache-Control": "no-store", **written.headers}
    return StreamingResponse(_chunks(file), media_type=XLSX, headers=headers)


async def cases_export(request: Request) -> Response:
    """GET /exports/cases.xlsx?filter=<CaseFilter JSON>&orderBy=<CaseOrder>: the cases the caller may see."""
    return await export(request, kind="cases", title="案件检索", write=_write_cases)


async def summary_export(request: Request) -> Response:
    """GET /exports/summary.xlsx?filter=<SummaryFilter JSON>&groupBy=<dimensions, comma-separated>: 分析研判."""
    return await export(request, kind="summary", title="分析研判", write=_write_summary)


def routes() -> list[BaseRoute]:
    """The export routes, for the app's route list."""
    from hub.exports.campaign import campaign_export  # these build on this module
    from hub.exports.notice import notice_export

    return [
        Route("/exports/cases.xlsx", cases_export, methods=["GET"]),
        Route("/exports/summary.xlsx", summary_export, methods=["GET"]),
        Route("/exports/notice.xlsx", notice_export, methods=["GET"]),
        Route("/exports/campaign.xlsx", campaign_export, methods=["GET"]),
    ]
