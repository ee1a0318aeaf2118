"""GET /exports/campaign.xlsx?id=ID: a campaign's 清仓台账, one row per enrolled case, as Excel.

Like the other exports it pages through the API's own query (`campaignEnrolments`) as the caller, so a
coordination centre gets every enrolled case and a responsible unit its own, and the query's audit
entries are written as over /graphql.
"""

from __future__ import annotations

from datetime import date
from typing import IO, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hub.analytics import labels
from hub.config import Settings
from hub.exports import routes
from hub.exports.workbook import Column, Result, Sheet, local_time

DAY_FORMAT = "yyyy-mm-dd"
COLUMNS = (
    Column("案件编号", 16), Column("乡镇(街道)", 12), Column("纠纷类型", 12), Column("甄别分类", 9), Column("历史遗留", 9),
    Column("甄别意见", 28), Column("责任层级", 12), Column("责任单位", 26), Column("责任人", 10), Column("化解措施", 36),
    Column("化解时限", 12, DAY_FORMAT), Column("当前层级", 14), Column("状态", 10), Column("消案结果", 14),
    Column("消案说明", 28), Column("消案时间", 17), Column("纳入时间", 17),
)
ENROLMENTS = """
query ExportCampaign($id: ID!, $first: Int!, $after: String, $withTotal: Boolean!) {
  campaignEnrolments(id: $id, first: $first, after: $after) {
    totalCount @include(if: $withTotal)
    pageInfo { hasNextPage endCursor }
    nodes {
      caseNo category kind historicalLegacy note stage cleared overdue enrolledAt
      region { name parent { name level } level }
      responsibility { level person measures deadline unit { name } }
      clearance { outcome note at }
    }
  }
}
"""


def _township(region: Result | None) -> str | None:
    """The case's township: its region, or the region above a village."""
    if not region:
        return None
    if region["level"] == "TOWNSHIP":
        return str(region["name"])
    parent = region.get("parent")
    return str(parent["name"]) if parent and parent["level"] == "TOWNSHIP" else None


def enrolment_row(node: Result) -> list[Any]:
    """One `CampaignEnrolment` as the cells under COLUMNS."""
    r, c = node["responsibility"] or {}, node["clearance"] or {}
    state = "已消案" if node["cleared"] else "逾期" if node["overdue"] else "在办"
    return [
        node["caseNo"], _township(node["region"]), labels.CATEGORY.get(node["category"]),
        labels.BACKLOG_KIND.get(node["kind"]), "是" if node["historicalLegacy"] else "否", node["note"] or None,
        labels.RESPONSIBILITY_LEVEL.get(r.get("level") or "", "未明确"), (r.get("unit") or {}).get("name"),
        r.get("person"), r.get("measures"), date.fromisoformat(r["deadline"]) if r.get("deadline") else None,
        labels.ESCALATION_STAGE.get(node["stage"]), state, labels.CLEARANCE_OUTCOME.get(c.get("outcome") or ""),
        c.get("note"), local_time(c.get("at")), local_time(node["enrolledAt"]),
    ]


async def _write_campaign(request: Request, file: IO[bytes]) -> routes.Written:
    campaign_id = request.query_params.get("id", "").strip()
    if not campaign_id:
        raise routes.Refused(400, "BAD_USER_INPUT", "give ?id=ID, a campaign's ID")
    settings: Settings = request.app.state.settings
    sheet = Sheet("清仓台账", COLUMNS)
    written, total = await routes.write_pages(routes.runner(request), ENROLMENTS, {"id": campaign_id},
                                              "campaignEnrolments", enrolment_row, sheet,
                                              max(settings.export_max_rows, 1))
    await run_in_threadpool(sheet.save, file)
    return routes.Written(rows=written, headers={"X-Hub-Export-Total": str(total), "X-Hub-Export-Rows": str(written)})


async def campaign_export(request: Request) -> Response:
    """GET /exports/campaign.xlsx?id=<campaign ID>: the campaign's 清仓台账 the caller may read."""
    return await routes.export(request, kind="campaign", title="清仓台账", write=_write_campaign)
