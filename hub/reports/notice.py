"""The supervision notice (督查通报) as one printable HTML page: the indicators, each kind's ranking table
with a bar chart of the scores, and each unit's comment (点评); "已发布" with the publishing time, or "草稿".

Everything is inline (styles, the charts' SVG), like the brief. `render` is pure and reads only the
stored notice, so a published notice prints the same figures whenever it is printed.
"""

from __future__ import annotations

from datetime import datetime

from beanie import PydanticObjectId
from jinja2 import Environment, PackageLoader, select_autoescape

from hub.analytics import labels
from hub.cases.derive import REPORTING_TZ
from hub.notices import service as notice_service
from hub.notices.indicators import NoticeIndicator
from hub.notices.models import NoticeStatus, RankedUnit, SupervisionNotice, UnitKind
from hub.reports import charts

_ENV = Environment(loader=PackageLoader("hub.reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)
MISSING = "—"


def _local(instant: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return instant.astimezone(REPORTING_TZ).strftime(fmt) if instant else MISSING


def format_value(indicator: NoticeIndicator, value: float | None) -> str:
    """An indicator's figure as the notice prints it (the rate as a percentage)."""
    if value is None:
        return MISSING
    if indicator is NoticeIndicator.RESOLUTION_RATE:
        return f"{value:.1%}"
    return f"{value:g}"


def _score(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}"


def _rows(units: list[RankedUnit], indicators: list[NoticeIndicator]) -> list[dict[str, object]]:
    rows = []
    for unit in units:
        by = {v.indicator: v for v in unit.values}
        rows.append({
            "rank": unit.rank if unit.rank is not None else MISSING, "name": unit.name, "score": _score(unit.score),
            "comment": unit.comment,
            "cells": [{"value": format_value(i, by[i].value if i in by else None),
                       "score": _score(by[i].score if i in by else None)} for i in indicators],
        })
    return rows


def render(notice: SupervisionNotice, *, generated_at: datetime) -> str:
    """The notice as a self-contained HTML page (Chinese)."""
    indicators = [w.indicator for w in notice.indicators]
    sections = []
    for kind, key, heading, unit_header in ((UnitKind.TOWNSHIP, "townships", "乡镇(街道)", "乡镇(街道)"),
                                            (UnitKind.AGENCY, "agencies", "单位", "单位")):
        units = notice.of_kind(kind)
        if kind is UnitKind.AGENCY and not notice.rank_agencies:
            continue
        number = "二" if kind is UnitKind.TOWNSHIP else "四"
        scored = [u for u in units if u.score is not None]
        sections.append({
            "key": key, "heading": f"{number}、{heading}排名", "unit_header": unit_header,
            "comment_heading": f"{'三' if kind is UnitKind.TOWNSHIP else '五'}、{heading}点评",
            "rows": _rows(units, indicators),
            "chart": charts.bar_chart(f"{key}-scores", f"{heading}综合得分", [u.name for u in scored],
                                      [u.score or 0.0 for u in scored], horizontal=True),
        })
    published = notice.status is NoticeStatus.PUBLISHED
    context = {
        "title": notice.title, "region": notice.region_name,
        "period": f"{notice.period_from.isoformat()} 至 {notice.period_to.isoformat()}",
        "as_of": _local(notice.as_of), "computed_at": _local(notice.computed_at),
        "published": published, "stamp": labels.NOTICE_STATUS[notice.status],
        "published_at": _local(notice.published_at) if notice.published_at else None,
        "generated_at": _local(generated_at), "overdue_days": notice.overdue_handover_days,
        "indicators": [{"label": labels.NOTICE_INDICATOR[w.indicator], "weight": f"{w.weight:g}",
                        "direction": "越高越好" if w.higher_is_better else "越低越好"} for w in notice.indicators],
        "sections": sections,
    }
    return _ENV.get_template("notice.html.j2").render(**context)


async def notice_report(*, notice_id: PydanticObjectId, now: datetime) -> str:
    """One notice, as HTML (read from the stored notice: a published one never changes)."""
    return render(await notice_service.get_or_raise(notice_id=notice_id), generated_at=now)
