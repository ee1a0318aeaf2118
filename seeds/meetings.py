"""The demo's joint meetings: last month's, with decisions in every state, and this month's, with an agenda.

Created through the meetings service, like any secretary's; a second run finds them and adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from beanie import PydanticObjectId

from hub.cases.models import OPEN_STATUSES, Case
from hub.meetings import service as meeting_service
from hub.meetings.models import JointMeeting, MeetingLevel
from hub.records.enums import RiskLevel
from seeds.names import DISTRICT_CODE

CONVENER = "QH-CC"
PARTICIPANTS = ["QH-SFJ", "QH-XFJ", "QH-WWB", "QH-RSJ", "QH-ZJJ", "QH-FY", "QH-ZZZX"]
AGENDA_SIZE = 6
EARLIER_DECISIONS = (  # text, owner, days after the meeting it falls due, done
    ("人社局牵头,对欠薪类纠纷开展专项排查,逐案建立台账", "QH-RSJ", 10, True),
    ("信访局会同维稳办,对越级信访人落实包案稳控", "QH-XFJ", 15, False),
    ("法院对诉前调解成功案件及时办理司法确认", "QH-FY", 45, False),
)


async def _agenda(now: datetime) -> list[PydanticObjectId]:
    """The district's open high- and major-risk cases, by case number (deterministic)."""
    query = {"region_path": DISTRICT_CODE, "status": {"$in": [s.value for s in OPEN_STATUSES]},
             "risk_level": {"$in": [RiskLevel.HIGH.value, RiskLevel.MAJOR.value]}, "opened_at": {"$lte": now}}
    cursor = Case.get_pymongo_collection().find(query, {"case_no": 1}).sort("case_no", 1).limit(AGENDA_SIZE)
    return [c["_id"] async for c in cursor]


async def load_meetings(*, now: datetime) -> list[JointMeeting]:
    """Last month's and this month's district joint meetings (created once)."""
    today = now.date()
    earlier_day = today - timedelta(days=30)
    existing = await meeting_service.list_for_region(region_code=DISTRICT_CODE, held_from=earlier_day, held_to=today)
    if existing:
        return existing
    earlier = await _meeting(earlier_day, "清河区矛盾纠纷化解联席会议(第十次)")
    for text, owner, due_in, done in EARLIER_DECISIONS:
        assert earlier.id is not None
        _, decision = await meeting_service.record_decision(
            meeting_id=earlier.id, text=text, owner=owner, due_date=earlier_day + timedelta(days=due_in))
        if done:
            await meeting_service.complete_decision(meeting_id=earlier.id, key=decision.key, note="已建立台账")
    current = await _meeting(today, "清河区矛盾纠纷化解联席会议(第十一次)")
    agenda = await _agenda(now)
    if agenda and current.id is not None:
        current = await meeting_service.add_to_agenda(meeting_id=current.id, case_ids=agenda)
    return [current, earlier]


async def _meeting(day: date, title: str) -> JointMeeting:
    return await meeting_service.schedule(level=MeetingLevel.DISTRICT, region_code=DISTRICT_CODE, held_on=day,
                                          convener=CONVENER, participants=PARTICIPANTS, title=title)
