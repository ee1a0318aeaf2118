"""A published notice's outputs: the printable page (HTML, Chromium's PDF), the Excel sheet, `hub report notice`."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
from openpyxl import load_workbook

from hub.config import Settings
from tests.conftest import TokenFor, act_as
from tests.factories import DISTRICT, TOWNSHIP_A, TOWNSHIP_B
from tests.notices.conftest import MARCH_CLEARED_AT, clear_enrolment, gql, LIST
from tests.notices.test_notices import draft, published
from tests.processes import hub_env, run_hub
from tests.reports.test_brief_report import Page, chromium


async def test_the_printable_notice_renders_in_chromium_and_prints_to_pdf(
    http: httpx.AsyncClient, march: object, tmp_path: Path
) -> None:
    notice = await published(http, rankAgencies=True)
    response = await http.get("/reports/notice", params={"id": notice["id"]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert not re.search(r"<script|<link|@import|(src|href)=\"(https?:)?//|url\((?!#)", response.text)
    html = tmp_path / "notice.html"
    html.write_text(response.text, encoding="utf-8")

    rendered = chromium("--dump-dom", html.as_uri(), tmp=tmp_path)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    page = Page()
    page.feed(rendered.stdout)
    assert set(page.charts) == {"townships-scores", "agencies-scores"}
    assert page.charts["townships-scores"] >= 2
    rows = page.tables["townships"]
    assert [row[:2] for row in rows] == [["1", "柳林镇"], ["2", "清河街道"]]
    assert rows[0][-1] == "90.00" and rows[0][3] == "100.0%100.00"  # score; rate value over its 0-100 score
    assert any(row[1] == "清河区人力资源和社会保障局" for row in page.tables["agencies"])
    text = "".join(page.text)
    assert "清河区矛盾纠纷多元化解工作督查通报(2026年3月)" in text and "已发布" in text and "草稿" not in text and "发布时间" in text
    assert "柳林镇:继续努力" in text and "调解成功率" in text and "越低越好" in text

    pdf = tmp_path / "notice.pdf"
    assert chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri(), tmp=tmp_path).returncode == 0
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.read_bytes().count(b"/Type /Page") >= 2


async def test_a_draft_page_says_draft_and_is_for_the_centres_only(http: httpx.AsyncClient, token_for: TokenFor,
                                                                    march: object) -> None:
    notice = await draft(http)
    page = await http.get(notice["reportUrl"])
    assert page.status_code == 200 and "草稿" in page.text and "(尚未点评)" in page.text and "发布时间" not in page.text
    act_as(http, token_for("PMC-A"))
    refused = await http.get(notice["reportUrl"])
    assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await http.get(notice["excelUrl"])).status_code == 403
    act_as(http, token_for("CC"))
    for params, status, code in (({}, 400, "BAD_USER_INPUT"), ({"id": "junk"}, 400, "BAD_USER_INPUT"),
                                 ({"id": "U3VwZXJ2aXNpb25Ob3RpY2U6NjUwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"}, 404, "NOT_FOUND")):
        response = await http.get("/reports/notice", params=params)
        assert (response.status_code, response.json()["errors"][0]["extensions"]["code"]) == (status, code)


async def test_the_excel_sheet_holds_the_ranking_and_the_comments(http: httpx.AsyncClient, token_for: TokenFor,
                                                                  march: object) -> None:
    await clear_enrolment(township=TOWNSHIP_B, unit_code="PMC-B", at=MARCH_CLEARED_AT)
    notice = await published(http, rankAgencies=True)
    act_as(http, token_for("PMC-B"))  # an agency of the district reads the published notice
    response = await http.get("/exports/notice.xlsx", params={"id": notice["id"]})
    assert response.status_code == 200, response.text
    assert response.headers["x-hub-notice-status"] == "PUBLISHED"
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["乡镇(街道)排名", "单位排名"]
    sheet = book["乡镇(街道)排名"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["排名", "乡镇(街道)", "代码", "排查上报数", "调解成功率", "化解用时中位数(天)", "积案化解数",
                       "逾期未接收移交", "每百件越级信访", "调解员培训学时", "综合得分", "点评"]
    assert rows[1] == [1, "柳林镇", TOWNSHIP_A, 1, 1, 4, 0, 1, 0, 8, 75, "柳林镇:继续努力"]
    assert rows[2] == [2, "清河街道", TOWNSHIP_B, 0, 0.5, 10, 1, 0, 0, 2, 35, "清河街道:继续努力"]
    assert sheet.cell(row=2, column=5).number_format == "0.0%"
    agencies = {row[2]: row for row in ([c.value for c in r] for r in book["单位排名"].iter_rows(min_row=2))}
    assert agencies["PMC-B"][6] == 1 and agencies["HRSS"][7] == 1 and agencies["COURT"][9] is None


async def test_hub_report_notice_writes_the_page(settings: Settings, http: httpx.AsyncClient, march: object,
                                                 tmp_path: Path) -> None:
    notice = await published(http)
    [listed] = (await gql(http, LIST, region=DISTRICT, status="PUBLISHED"))["supervisionNotices"]
    assert listed["id"] == notice["id"]
    out = tmp_path / "notice.html"
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db, HUB_DATA_DIR=str(tmp_path))
    done = run_hub("report", "notice", "--id", notice["id"], "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))
    assert [row[:2] for row in page.tables["townships"]] == [["1", "柳林镇"], ["2", "清河街道"]]
    assert "agencies" not in page.tables

    bad = run_hub("report", "notice", "--id", "not-an-id", "--out", str(tmp_path / "x.html"), env=env)
    assert bad.returncode == 1 and "not a valid ID" in bad.stderr and not (tmp_path / "x.html").exists()
