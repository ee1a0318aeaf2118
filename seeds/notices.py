"""The demo's supervision notices (督查通报): last month's district notice, townships and agencies ranked, each
unit commented on (点评) and published; and this month's, drafted only.

Created through the notice service, like the coordination centre's own; a second run finds them and adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hub.analytics import labels
from hub.cases.derive import REPORTING_TZ
from hub.notices import service as notice_service
from hub.notices.indicators import NoticeIndicators
from hub.notices.models import RankedUnit, SupervisionNotice
from seeds.names import DISTRICT_CODE

CENTRE = "QH-CC"
CENTRE_USER = "区大调解协调中心督查组"


def _month(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def comment_for(unit: RankedUnit, ranked: int) -> str:
    """A comment (点评) that names the unit's strongest and weakest indicators, as the centre would write it."""
    scored = [v for v in unit.values if v.score is not None]
    if unit.rank is None or not scored:
        return "本期相关数据不足,未参与排名,请及时规范录入、报送数据。"
    best = max(scored, key=lambda v: v.score or 0.0)
    worst = min(scored, key=lambda v: v.score or 0.0)
    text = f"综合得分{unit.score:g}分,排名第{unit.rank}。{labels.NOTICE_INDICATOR[best.indicator]}表现突出"
    if unit.rank == 1:
        return text + ",予以通报表扬,希望保持。"
    if unit.rank > ranked // 2 and worst.indicator != best.indicator:
        return text + f";{labels.NOTICE_INDICATOR[worst.indicator]}明显偏弱,请认真分析原因,限期整改并书面报告。"
    return text + f";{labels.NOTICE_INDICATOR[worst.indicator]}仍需加强。"


async def _draft(*, first: date, last: date, rank_agencies: bool, now: datetime) -> SupervisionNotice:
    existing = await notice_service.find_for_period(region_code=DISTRICT_CODE, first_day=first, last_day=last)
    if existing is not None:
        return existing
    return await notice_service.draft(region_code=DISTRICT_CODE, first_day=first, last_day=last,
                                      rank_agencies=rank_agencies, config=NoticeIndicators(), agency_code=CENTRE,
                                      user=CENTRE_USER, now=now)


async def load_notices(*, now: datetime) -> list[SupervisionNotice]:
    """Last month's district notice, commented on and published; this month's, a draft (created once)."""
    today = now.astimezone(REPORTING_TZ).date()
    last_month = _month(today.replace(day=1) - timedelta(days=1))
    published = await _draft(first=last_month[0], last=last_month[1], rank_agencies=True, now=now)
    if published.status.value == "DRAFT":
        assert published.id is not None
        for kind in {u.kind for u in published.units}:
            units = published.of_kind(kind)
            ranked = sum(1 for u in units if u.rank is not None)
            for unit in units:
                published = await notice_service.comment(notice_id=published.id, unit_code=unit.code,
                                                         text=comment_for(unit, ranked), user=CENTRE_USER)
        published = await notice_service.publish(notice_id=published.id, agency_code=CENTRE, user=CENTRE_USER)
    this_month = _month(today)
    draft = await _draft(first=this_month[0], last=this_month[1], rank_agencies=False, now=now)
    return [published, draft]
