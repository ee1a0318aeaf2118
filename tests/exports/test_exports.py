"""GET /exports/cases.xlsx and /exports/summary.xlsx: what the workbooks hold, for whom, and how they fail."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from hub.exports import routes as export_routes
from tests.conftest import TokenFor, act_as
from tests.factories import T0, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, batch, days, party, record
from tests.scenarios import ingest

CASES_HEADER = ("案件编号", "案由", "纠纷类型", "状态", "风险等级", "标签", "渠道", "所属区域", "牵头单位", "当事人",
                "受理时间", "最近活动", "化解时间", "记录数", "信访次数")
FIGURES_HEADER = ("纠纷", "排查", "受理", "调解中", "化解", "未化解", "导入其他程序", "撤回", "在办", "越级", "群体性",
                  "信访", "越级信访", "积案", "化解率", "化解中位天数")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def opener(source_id: str, title: str, *, category: str = "LABOUR", region: str = VILLAGE_A1, at_day: int = 0,
           kind: str = "INTAKE", name: str = "甲", **extra: Any) -> dict[str, Any]:
    """A record that opens its own case (each with a distinct party, so nothing is matched)."""
    return record(source_id, kind, at=T0 + days(at_day), parties=[party(name)],
                  case={"title": title, "category": category, "regionCode": region}, **extra)


@pytest.fixture
async def three_cases(district: AsyncDatabase) -> None:
    """Two labour disputes (one resolved by agreement) and a neighbour dispute, all opened in March 2026."""
    await ingest(
        batch("PMC-A", opener("a1", "劳资A1", name="甲"),
              opener("a2", "邻里A2", category="NEIGHBOUR", region=VILLAGE_A2, at_day=2, name="乙")),
        batch("PMC-B", opener("b1", "劳资B1", region=VILLAGE_B1, at_day=4, kind="AGREEMENT", name="丙",
                              details={"terms": "一次性支付工资"})),
    )


def sheet_of(response: httpx.Response, title: str) -> Worksheet:
    """The named sheet of an xlsx response, read back with openpyxl."""
    assert response.status_code == 200, response.text
    return load_workbook(io.BytesIO(response.content))[title]


def rows_of(response: httpx.Response, title: str) -> list[tuple[Any, ...]]:
    """Every row of the named sheet, as values."""
    return list(sheet_of(response, title).iter_rows(values_only=True))


def error_code(response: httpx.Response) -> str:
    """The GraphQL-shaped error code of a refused export."""
    return str(response.json()["errors"][0]["extensions"]["code"])


async def export_cases(http: httpx.AsyncClient, **params: Any) -> httpx.Response:
    """GET /exports/cases.xlsx; a dict `filter` is sent as JSON."""
    if isinstance(params.get("filter"), dict):
        params["filter"] = json.dumps(params["filter"])
    return await http.get("/exports/cases.xlsx", params=params)


@pytest.mark.usefixtures("three_cases")
async def test_cases_export_has_the_chinese_header_and_a_row_per_visible_case(http: httpx.AsyncClient) -> None:
    # When the district's coordination centre exports every case
    response = await export_cases(http)

    # Then the sheet has the header, frozen, and the three cases latest opened first
    sheet = sheet_of(response, "案件")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == CASES_HEADER and sheet.freeze_panes == "A2"
    assert [row[1] for row in rows[1:]] == ["劳资B1", "邻里A2", "劳资A1"]
    assert response.headers["x-hub-export-total"] == "3"


@pytest.mark.usefixtures("three_cases")
async def test_case_rows_show_chinese_labels_and_shanghai_times(http: httpx.AsyncClient) -> None:
    # When the coordination centre exports the resolved case
    response = await export_cases(http, filter={"statuses": ["RESOLVED"]})

    # Then its codes read as labels and its times as Asia/Shanghai wall time (UTC+8), to the minute
    [row] = rows_of(response, "案件")[1:]
    assert row[2:5] == ("劳动争议", "调解成功", "低")
    assert row[6:10] == ("人民调解", "滨河社区", "清河街道人民调解委员会", "丙")
    opened = datetime(2026, 3, 6, 17, 0)  # T0 + 4 days, 09:00 UTC
    assert row[10:13] == (opened, opened, opened) and row[13:] == (1, 0)
    assert sheet_of(response, "案件")["K2"].number_format == "yyyy-mm-dd hh:mm"


async def test_text_that_looks_like_a_formula_stays_text(http: httpx.AsyncClient, district: AsyncDatabase) -> None:
    # Given a case whose title an agency's system sent as a spreadsheet formula
    formula = '=HYPERLINK("http://example.invalid/","点此查看")'
    await ingest(batch("PMC-A", opener("f1", formula)))

    # When the coordination centre exports it
    response = await export_cases(http)

    # Then the title is a text cell, not a live formula
    cell = sheet_of(response, "案件")["B2"]
    assert (cell.value, cell.data_type) == (formula, "s")


async def test_control_characters_an_agency_sent_do_not_break_the_export(http: httpx.AsyncClient,
                                                                         district: AsyncDatabase) -> None:
    # Given a case title with a vertical tab in it, which Excel cannot hold
    await ingest(batch("PMC-A", opener("c1", "张三\x0b李四邻里纠纷")))

    # When the coordination centre exports it
    response = await export_cases(http)

    # Then the export succeeds, with the character left out
    assert response.status_code == 200
    assert sheet_of(response, "案件")["B2"].value == "张三李四邻里纠纷"


@pytest.mark.usefixtures("three_cases")
async def test_an_agency_that_sees_no_case_gets_only_the_header(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    # Given the petition bureau, which has written about none of the cases
    act_as(http, token_for("PB"))

    # When it exports the cases
    response = await export_cases(http)

    # Then the sheet holds the header alone
    assert rows_of(response, "案件") == [CASES_HEADER]
    assert response.headers["x-hub-export-total"] == "0"


@pytest.mark.usefixtures("three_cases")
async def test_a_filter_narrows_the_cases_export(http: httpx.AsyncClient) -> None:
    # When the coordination centre exports the labour disputes, earliest first
    response = await export_cases(http, filter={"categories": ["LABOUR"]}, orderBy="OPENED_AT_ASC")

    # Then only those are in it, in that order
    assert [row[1] for row in rows_of(response, "案件")[1:]] == ["劳资A1", "劳资B1"]


@pytest.mark.usefixtures("three_cases")
async def test_cases_export_follows_the_cursor_across_pages(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given pages of two cases
    monkeypatch.setattr(export_routes, "PAGE_SIZE", 2)

    # When the coordination centre exports the three cases
    response = await export_cases(http)

    # Then every case is there once, in order, with no note
    assert [row[1] for row in rows_of(response, "案件")[1:]] == ["劳资B1", "邻里A2", "劳资A1"]


@pytest.mark.usefixtures("three_cases")
async def test_the_row_limit_cuts_the_export_with_a_note_and_the_total(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # Given an export limit of two rows
    settings.export_max_rows = 2

    # When the coordination centre exports the three cases
    response = await export_cases(http)

    # Then the sheet has two cases and says it was cut; the headers give the whole count
    rows = rows_of(response, "案件")
    assert [row[1] for row in rows[1:3]] == ["劳资B1", "邻里A2"]
    assert rows[3][0] == "（仅导出前 2 件，共 3 件）" and len(rows) == 4
    assert response.headers["x-hub-export-total"] == "3" and response.headers["x-hub-export-rows"] == "2"


@pytest.mark.usefixtures("three_cases")
async def test_export_is_an_uncached_xlsx_attachment_with_a_dated_chinese_name(http: httpx.AsyncClient) -> None:
    # When the coordination centre exports the cases
    response = await export_cases(http)

    # Then it is an attachment named cases.xlsx, or 案件检索-YYYYMMDD.xlsx where UTF-8 names are understood
    disposition = response.headers["content-disposition"]
    assert response.headers["content-type"] == XLSX and response.headers["cache-control"] == "no-store"
    assert disposition.startswith('attachment; filename="cases.xlsx"; ')
    encoded = re.search(r"filename\*=UTF-8''(\S+)$", disposition)
    assert encoded and re.fullmatch(r"案件检索-20\d{6}\.xlsx", unquote(encoded.group(1)))
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.usefixtures("three_cases")
async def test_summary_export_has_a_row_per_group_and_a_total_row(http: httpx.AsyncClient) -> None:
    # When the coordination centre exports the summary by category and month
    response = await http.get("/exports/summary.xlsx", params={"filter": "{}", "groupBy": "CATEGORY,MONTH"})

    # Then there is a row per group under the dimensions' and figures' headers, then the total
    rows = rows_of(response, "分析研判")
    assert rows[0] == ("纠纷类型", "月份", *FIGURES_HEADER)
    labour, neighbour, total = rows[1:]
    assert labour[:3] == ("劳动争议", "2026-03", 2) and labour[6] == 1 and labour[16] == 1.0
    assert neighbour[:3] == ("邻里纠纷", "2026-03", 1) and neighbour[16] is None
    assert total[:3] == ("合计", None, 3) and total[6] == 1
    assert sheet_of(response, "分析研判")["Q2"].number_format == "0.0%"


@pytest.mark.usefixtures("three_cases")
async def test_summary_export_without_groups_is_the_total_alone(http: httpx.AsyncClient) -> None:
    # When the coordination centre exports the summary with no dimension
    response = await http.get("/exports/summary.xlsx", params={"groupBy": ""})

    # Then the sheet is the header and the total row
    assert [row[:2] for row in rows_of(response, "分析研判")] == [("项目", "纠纷"), ("合计", 3)]


async def test_summary_export_is_forbidden_to_an_agency(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    # Given the petition bureau, which is no coordination centre
    act_as(http, token_for("PB"))

    # When it asks for the summary export
    response = await http.get("/exports/summary.xlsx")

    # Then the summary's permission class refuses it, as over /graphql
    assert response.status_code == 403 and error_code(response) == "FORBIDDEN"


@pytest.mark.parametrize("text", ["{not json", "[\"LABOUR\"]"])
async def test_a_filter_that_is_not_a_json_object_is_bad_user_input(http: httpx.AsyncClient, text: str) -> None:
    # When the filter is not JSON, or JSON but no object
    response = await http.get("/exports/cases.xlsx", params={"filter": text})

    # Then the export is refused, naming the parameter
    assert response.status_code == 400 and error_code(response) == "BAD_USER_INPUT"
    assert "`filter`" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("path", "params"), [
    ("/exports/cases.xlsx", {"filter": json.dumps({"categories": ["NO_SUCH_CATEGORY"]})}),
    ("/exports/cases.xlsx", {"orderBy": "SIDEWAYS"}),
    ("/exports/summary.xlsx", {"groupBy": "CATEGORY,WEATHER"}),
])
async def test_a_bad_enum_is_the_graphql_error_as_400(http: httpx.AsyncClient, path: str, params: dict[str, str]) -> None:
    # When a value is no member of its GraphQL enum
    response = await http.get(path, params=params)

    # Then GraphQL's own variable error comes back, as a 400
    assert response.status_code == 400 and error_code(response) == "BAD_USER_INPUT"
    assert "Variable '$" in response.json()["errors"][0]["message"]


async def test_an_export_without_a_token_is_unauthenticated(anonymous: httpx.AsyncClient) -> None:
    # When nobody signed in asks for the exports
    cases = await anonymous.get("/exports/cases.xlsx")
    summary = await anonymous.get("/exports/summary.xlsx")

    # Then both are 401
    assert (cases.status_code, summary.status_code) == (401, 401)
    assert error_code(cases) == "UNAUTHENTICATED"


@pytest.mark.usefixtures("three_cases")
async def test_an_export_appends_an_export_audit_entry(http: httpx.AsyncClient, database: AsyncDatabase) -> None:
    # When the coordination centre exports the cases and the summary by category
    await export_cases(http)
    await http.get("/exports/summary.xlsx", params={"groupBy": "CATEGORY"})

    # Then each export is one `export` entry naming its kind and rows, beside the fields' own entries
    entries = await database["audit"].find({"operation": "export"}).sort("at", 1).to_list()
    assert [(e["agency_code"], e["target_ids"], e["outcome"]) for e in entries] == [
        ("CC", ["cases", "rows:3"], "OK"), ("CC", ["summary", "rows:2"], "OK")]
    assert await database["audit"].count_documents({"operation": "cases"}) == 1


async def test_a_refused_export_is_audited_as_denied(
    http: httpx.AsyncClient, token_for: TokenFor, database: AsyncDatabase
) -> None:
    # When the petition bureau asks for the summary export
    await act_as(http, token_for("PB")).get("/exports/summary.xlsx")

    # Then the export is on the trail as denied
    [entry] = await database["audit"].find({"operation": "export"}).to_list()
    assert (entry["agency_code"], entry["target_ids"], entry["outcome"], entry["reason"]) == (
        "PB", ["summary"], "DENIED", "FORBIDDEN")


@pytest.mark.usefixtures("three_cases")
async def test_the_hub_token_cookie_opens_the_exports(anonymous: httpx.AsyncClient, token_for: TokenFor) -> None:
    # Given a browser signed in to the console: its token in the hub_token cookie, no Authorization header
    anonymous.cookies.set("hub_token", token_for("CC"))

    # When it opens the export links
    cases = await anonymous.get("/exports/cases.xlsx")
    summary = await anonymous.get("/exports/summary.xlsx")

    # Then both download
    assert len(rows_of(cases, "案件")) == 4
    assert rows_of(summary, "分析研判")[-1][:2] == ("合计", 3)
