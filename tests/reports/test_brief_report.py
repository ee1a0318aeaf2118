"""The printable brief: served over HTTP, written by `hub report`, rendered by headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx

from hub.config import Settings
from tests.factories import DISTRICT, T0, batch, days, record
from tests.processes import hub_env, run_hub
from tests.scenarios import EscalatedPetition, ingest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


@dataclass
class Page(HTMLParser):
    """What a rendered page holds: each chart's mark count, each table's body rows, the text."""

    charts: dict[str, int] = field(default_factory=dict)
    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    _chart: str | None = None
    _table: str | None = None
    _in_body: bool = False
    _row: list[str] | None = None

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg" and a.get("data-chart"):
            self._chart = a["data-chart"]
            self.charts[self._chart] = 0
        elif self._chart and tag in {"path", "rect", "use", "polyline"}:
            self.charts[self._chart] += 1
        elif tag == "table":
            self._table = (a.get("class") or "").split()[-1]
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._row:
            self._row[-1] += data.strip()


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM, "Debian's chromium is not installed: run `make test`, which installs it"
    return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
                          capture_output=True, text=True, timeout=90)


async def _prepare(http: httpx.AsyncClient, case_no: str) -> str:
    """A resolved neighbour dispute beside the case; an earlier meeting with an open decision; today's
    meeting with the case on its agenda."""
    await ingest(batch("PMC-A", record("n-1", "INTAKE", at=T0 + days(3), case={
        "title": "邻里漏水纠纷", "category": "NEIGHBOUR", "regionCode": "510199001002"}),
        record("n-2", "AGREEMENT", at=T0 + days(8), caseRef={"sourceId": "n-1"})))
    async def gql(query: str, **variables: Any) -> dict[str, Any]:
        body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    schedule = """mutation($d: Date!) { scheduleJointMeeting(input: {level: DISTRICT, region: "510199", heldOn: $d,
      convener: "CC", participants: ["HRSS", "PB", "COURT", "PMC-A"]}) { id } }"""
    earlier = (await gql(schedule, d="2026-02-20"))["scheduleJointMeeting"]["id"]
    await gql("""mutation($m: ID!) { recordDecision(input: {meetingId: $m, text: "信访局做好稳控工作",
      ownerAgency: "PB", dueDate: "2026-03-31"}) { decision { key } } }""", m=earlier)
    meeting = (await gql(schedule, d="2026-04-15"))["scheduleJointMeeting"]["id"]
    case_id = (await gql("query($n: String!) { case(caseNo: $n) { id } }", n=case_no))["case"]["id"]
    await gql("mutation($m: ID!, $c: ID!) { addToAgenda(meetingId: $m, caseIds: [$c]) { id } }", m=meeting, c=case_id)
    return meeting


async def test_the_brief_renders_in_chromium_with_its_charts_and_tables(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition, tmp_path: Path
) -> None:
    meeting = await _prepare(http, escalated_petition.case_no)
    response = await http.get("/reports/brief", params={"meeting": meeting})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = tmp_path / "brief.html"
    html.write_text(response.text, encoding="utf-8")
    # Self-contained: no script, and nothing fetched from elsewhere (styles and charts are inline).
    assert not re.search(r"<script|<link|@import|(src|href)=\"(https?:)?//|url\((?!#)", response.text)

    rendered = chromium("--dump-dom", html.as_uri(), tmp=tmp_path)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    page = Page()
    page.feed(rendered.stdout)

    assert set(page.charts) == {"category", "resolution", "trend", "warnings"}
    assert all(marks >= 5 for marks in page.charts.values()), page.charts
    [agenda] = page.tables["agenda"]
    assert agenda[0] == escalated_petition.case_no and "周八等拖欠工资纠纷" in agenda[1]
    assert "信访" in agenda[4] and "维稳办" in agenda[4]  # latest records, with their agencies' names
    [decision] = page.tables["decisions"]
    assert decision[2:] == ["信访局做好稳控工作", "清河区信访局", "2026-03-31", "逾期未落实"]
    # Warnings are today's: the escalated petition is months old by now; the 13-person dispute is not.
    assert ["橙色", "群体性纠纷", escalated_petition.case_no] in [row[:3] for row in page.tables["warnings"]]
    text = "".join(page.text)
    assert "联席会议材料" in text and "清河区大调解协调中心" in text

    shot, pdf = tmp_path / "brief.png", tmp_path / "brief.pdf"
    assert chromium("--window-size=1000,2000", f"--screenshot={shot}", html.as_uri(), tmp=tmp_path).returncode == 0
    assert chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri(), tmp=tmp_path).returncode == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.read_bytes().count(b"/Type /Page") >= 2


async def test_bad_report_requests_get_codes(http: httpx.AsyncClient, district: object) -> None:
    def code(response: httpx.Response) -> str:
        return response.json()["errors"][0]["extensions"]["code"]

    assert code(await http.get("/reports/brief")) == "BAD_USER_INPUT"
    missing = await http.get("/reports/brief", params={"meeting": "650000000000000000000000"})
    assert missing.status_code == 404 and code(missing) == "NOT_FOUND"
    month = await http.get("/reports/brief", params={"region": DISTRICT, "period": "2026-13"})
    assert month.status_code == 400 and code(month) == "BAD_USER_INPUT"


async def test_hub_report_writes_a_region_month_without_a_meeting(
    settings: Settings, escalated_petition: EscalatedPetition, tmp_path: Path
) -> None:
    out = tmp_path / "march.html"
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db, HUB_DATA_DIR=str(tmp_path))
    done = run_hub("report", "brief", "--region", DISTRICT, "--period", "2026-03", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))
    assert "清河区矛盾纠纷分析研判报告(2026年03月)" in "".join(page.text)
    assert "agenda" not in page.tables and "decisions" not in page.tables
    assert any(row[0] == "清河区人力资源和社会保障局" and row[1] == "1" for row in page.tables["by-agency"])
    assert [row[:2] for row in page.tables["by-category"]] == [["劳动争议", "1"]]

    refused = run_hub("report", "brief", "--region", DISTRICT, "--out", str(out), env=env)
    assert refused.returncode == 2 and "--period" in refused.stderr


async def test_hub_report_names_a_bad_meeting_id(settings: Settings, district: object, tmp_path: Path) -> None:
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db, HUB_DATA_DIR=str(tmp_path))
    done = run_hub("report", "brief", "--meeting", "not-an-id", "--out", str(tmp_path / "x.html"), env=env)
    assert done.returncode == 1 and "not a valid ID" in done.stderr
    assert not (tmp_path / "x.html").exists()
