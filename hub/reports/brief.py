"""The joint-meeting brief (联席会议材料) and the monthly analysis report as one printable HTML page.

Everything is inline — styles and the charts' SVG — so the file can be mailed, archived or printed
as it is. `render` is pure: a `Brief` and the names of the agencies and regions it mentions in,
HTML out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from jinja2 import Environment, PackageLoader, select_autoescape

from hub.agencies import service as agency_service
from hub.analytics import labels
from hub.analytics.summary import Dimension, Figures
from hub.analytics.thresholds import Thresholds
from hub.analytics.warnings import RULE_LABELS, Rule
from hub.campaigns.service import Dimension as CampaignDimension, Progress
from hub.cases.derive import REPORTING_TZ
from hub.meetings import brief as brief_service
from hub.meetings.brief import Brief, CampaignSection
from hub.regions import service as region_service
from hub.reports import charts

_ENV = Environment(loader=PackageLoader("hub.reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)
WARNINGS_LISTED = 60  # the most severe; the chart and the counts cover them all


@dataclass(frozen=True)
class Names:
    """Display names of the agencies a brief mentions."""

    agencies: dict[str, str]
    regions: dict[str, str] = field(default_factory=dict)

    def agency(self, code: str | None) -> str:
        return self.agencies.get(code or "", code or "—")

    def region(self, code: str | None) -> str:
        return self.regions.get(code or "", code or "未知乡镇")


def _local(instant: datetime | None, fmt: str = "%Y-%m-%d") -> str:
    return instant.astimezone(REPORTING_TZ).strftime(fmt) if instant else "—"


def _rate(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "—"


def _figures_row(f: Figures) -> dict[str, Any]:
    return {
        "cases": f.cases, "accepted": f.accepted, "in_mediation": f.in_mediation, "resolved": f.resolved,
        "failed": f.failed, "referred": f.referred, "petitions": f.petitions,
        "escalated_petitions": f.escalated_petitions, "backlog": f.backlog, "rate": _rate(f.resolution_rate),
        "median_days": f"{f.median_days_to_resolution:g}" if f.median_days_to_resolution is not None else "—",
    }


def _progress_row(p: Progress) -> dict[str, Any]:
    return {"enrolled": p.enrolled, "cleared": p.cleared, "rate": _rate(p.clearance_rate), "overdue": p.overdue,
            "unassigned": p.unassigned, "escalated": p.escalated, "legacy": p.historical_legacy}


def _campaign_section(section: CampaignSection, names: Names) -> dict[str, Any]:
    c = section.campaign
    categories = "、".join(labels.CATEGORY.get(k.value, k.value) for k in c.categories) or "全部类型"
    return {
        "name": c.name, "period": f"{c.starts_on.isoformat()} 至 {c.ends_on.isoformat()}", "categories": categories,
        "total": _progress_row(section.by_township.total),
        "townships": [{"name": names.region(r.key[CampaignDimension.TOWNSHIP]), **_progress_row(r.figures)}
                      for r in section.by_township.rows],
        "kinds": [{"name": labels.BACKLOG_KIND.get(r.key[CampaignDimension.KIND] or "", "—"), **_progress_row(r.figures)}
                  for r in section.by_kind.rows],
    }


def render(brief: Brief, names: Names, *, generated_at: datetime) -> str:
    """The brief as a self-contained HTML page (Chinese)."""
    total = brief.by_category.total
    category_rows = sorted(brief.by_category.rows, key=lambda r: -r.figures.cases)
    agency_rows = [r for r in brief.by_agency.rows if r.key[Dimension.AGENCY]]
    rated = [r for r in agency_rows if r.figures.resolution_rate is not None]
    warning_counts = {rule: 0 for rule in Rule}
    for w in brief.warnings:
        warning_counts[w.rule] += 1
    months = [r.key[Dimension.MONTH] or "" for r in brief.trend.rows]
    figures = {
        "category": charts.bar_chart(
            "category", "纠纷类型分布(件)", [labels.CATEGORY.get(r.key[Dimension.CATEGORY] or "", "其他") for r in category_rows],
            [r.figures.cases for r in category_rows]),
        "resolution": charts.bar_chart(
            "resolution", "各单位调解成功率", [names.agency(r.key[Dimension.AGENCY]) for r in rated],
            [r.figures.resolution_rate or 0.0 for r in rated], horizontal=True, percent=True),
        "trend": charts.line_chart(
            "trend", "月度趋势(件)", [f"{m[:4]}年{int(m[5:])}月" if m else "—" for m in months],
            {"新增纠纷": [r.figures.cases for r in brief.trend.rows],
             "调解成功": [r.figures.resolved for r in brief.trend.rows]}),
        "warnings": charts.bar_chart(
            "warnings", "预警分布(条)", [RULE_LABELS[rule] for rule in warning_counts],
            list(warning_counts.values()), horizontal=True),
    }
    meeting = brief.meeting
    period_to = brief.period_to - timedelta(seconds=1)
    context = {
        "title": meeting.title if meeting else f"{brief.region.name}矛盾纠纷分析研判报告({_local(brief.period_from, '%Y年%m月')})",
        "kind": "联席会议材料" if meeting else "分析研判报告",
        "region": brief.region.name,
        "period": f"{_local(brief.period_from)} 至 {_local(period_to)}",
        "as_of": _local(brief.as_of, "%Y-%m-%d %H:%M"),
        "generated_at": _local(generated_at, "%Y-%m-%d %H:%M"),
        "meeting": meeting and {
            "held_on": meeting.held_on.isoformat(),
            "level": labels.MEETING_LEVEL[meeting.level],
            "convener": names.agency(meeting.convener_agency_code),
            "participants": "、".join(names.agency(c) for c in meeting.participant_agency_codes),
        },
        "total": _figures_row(total),
        "referred": [(labels.REFERRAL_TARGET.get(k, k), v) for k, v in sorted(total.referred_by_target.items())],
        "risks": [(labels.RISK_LEVEL.get(k, k), total.by_risk_level.get(k, 0)) for k in labels.RISK_LEVEL],
        "charts": figures,
        "agencies": [{"name": names.agency(r.key[Dimension.AGENCY]), **_figures_row(r.figures)} for r in agency_rows],
        "categories": [{"name": labels.CATEGORY.get(r.key[Dimension.CATEGORY] or "", "其他"), **_figures_row(r.figures)}
                       for r in category_rows],
        "agenda": [{
            "case_no": item.case.case_no, "title": item.case.title,
            "category": labels.CATEGORY.get(item.case.category, item.case.category),
            "status": labels.STATUS.get(item.case.status, item.case.status),
            "risk": labels.RISK_LEVEL.get(item.case.risk_level, item.case.risk_level),
            "lead": names.agency(item.case.lead_agency_code),
            "records": [{"at": _local(r.occurred_at), "kind": labels.RECORD_KIND.get(r.kind, r.kind),
                         "agency": names.agency(r.agency_code), "summary": r.summary} for r in item.latest_records],
            "handovers": [{"at": _local(h.occurred_at), "from": names.agency(h.agency_code),
                           "to": names.agency(getattr(h.details, "to_agency", None))} for h in item.open_handovers],
        } for item in brief.agenda],
        "decisions": [{
            "meeting": o.meeting.held_on.isoformat(), "key": o.decision.key, "text": o.decision.text,
            "owner": names.agency(o.decision.owner_agency_code), "due": o.decision.due_date.isoformat(),
            "overdue": o.overdue,
        } for o in brief.open_decisions],
        "warnings": [{
            "severity": labels.SEVERITY[w.severity], "severity_code": w.severity.value.lower(),
            "rule": RULE_LABELS[w.rule], "case_no": w.case_no, "reason": w.reason, "agency": names.agency(w.agency_code),
        } for w in brief.warnings[:WARNINGS_LISTED]],
        "campaigns": [_campaign_section(c, names) for c in brief.campaigns],
        "warnings_total": len(brief.warnings),
        "warning_counts": [(RULE_LABELS[r], n) for r, n in warning_counts.items()],
    }
    return _ENV.get_template("brief.html.j2").render(**context)


async def _names(brief: Brief) -> Names:
    townships = {r.key[CampaignDimension.TOWNSHIP] for c in brief.campaigns for r in c.by_township.rows} - {None}
    regions = await region_service.get_many_by_code(codes=townships)  # type: ignore[arg-type]
    return Names(agencies={a.code: a.name for a in await agency_service.list_all()},
                 regions={code: r.name for code, r in regions.items()})


async def meeting_report(
    *, meeting_id: PydanticObjectId, thresholds: Thresholds, now: datetime,
    visible: brief_service.Visible = brief_service.everything,
) -> str:
    """The brief of one meeting, as HTML, with the records `visible` lets through."""
    brief = await brief_service.meeting_brief(meeting_id=meeting_id, thresholds=thresholds, as_of=now,
                                              visible=visible)
    return render(brief, await _names(brief), generated_at=now)


async def region_report(*, region_code: str, month: str, thresholds: Thresholds, now: datetime) -> str:
    """A region's monthly analysis, as HTML."""
    brief = await brief_service.region_brief(region_code=region_code, month=month, thresholds=thresholds)
    return render(brief, await _names(brief), generated_at=now)
