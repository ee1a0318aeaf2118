"""The demo's backlog-clearance campaign (攻坚破难·清仓消案), replayed from its start to the demo's day.

The district centre launches it 75 days before the demo's day for the work plan's eight key categories,
enrols the open backlog cases it then finds in them, and names a responsible unit (the department in charge, else
the first mediating agency) for all but every eighth (those raise 清仓案件未明确责任 warnings). Every fifth goes up to the coordination centre, every
tenth on to the party committee and government; every third is cleared, half of those settled by an
agreement the unit records first; a quarter have a deadline already past (逾期). Everything goes
through the campaign service (and ingestion, for the agreements) at the moment it happened; a second
run finds the campaign and adds nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from hub.agencies import service as agency_service
from hub.agencies.models import AgencyKind
from hub.campaigns import service as campaign_service
from hub.campaigns.models import BacklogKind, Campaign, ClearanceOutcome, Enrolment
from hub.cases.derive import REPORTING_TZ
from hub.cases.models import OPEN_STATUSES, Case, CaseStatus, CaseTag, Category
from hub.ingest import service as ingest_service
from hub.keys.ring import KeyRing
from seeds.names import DEPARTMENT_OF, DISTRICT_CODE

CENTRE, CENTRE_USER = "QH-CC", "区大调解协调中心攻坚办"
NAME = "清河区2026年矛盾纠纷攻坚破难·清仓消案专项行动"
CATEGORIES = [Category.LAND_ACQUISITION, Category.LABOUR, Category.ENVIRONMENT, Category.PRIVATE_LENDING,
              Category.INTELLECTUAL_PROPERTY, Category.FOOD_DRUG_SAFETY, Category.MILITARY_RELATED,
              Category.ENTERPRISE_RESTRUCTURING]
ENROLLED = 40  # at most
UNIT_KINDS = {AgencyKind.PEOPLES_MEDIATION_COMMITTEE.value, AgencyKind.ADMINISTRATIVE_DEPARTMENT.value,
              AgencyKind.SOCIAL_MEDIATION_ORG.value, AgencyKind.COURT.value}
RESPONSIBLE = ("张建国", "李秀英", "王志强", "刘芳", "陈德明", "杨丽", "赵永胜", "黄桂兰")
MEASURES = {
    BacklogKind.NAIL: "落实包案领导,每周上门走访,释法明理,依法处置无理诉求",
    BacklogKind.HARD_BONE: "成立工作专班,会同相关部门逐项核查政策,制定一案一策化解方案",
    BacklogKind.OLD: "调阅历史档案,查清来龙去脉,组织联合调解",
    BacklogKind.DIFFICULT: "邀请专家库调解员和律师参与,开展联合调解",
    BacklogKind.ACCUMULATED: "明确专人跟进,限期组织双方调解",
}


def _kind(case: Case, at: datetime) -> BacklogKind:
    """A classification from what the case shows (as a centre's 甄别 would start from)."""
    if case.petition_count:
        return BacklogKind.NAIL
    if case.category in (Category.LAND_ACQUISITION, Category.ENTERPRISE_RESTRUCTURING):
        return BacklogKind.HARD_BONE
    if case.opened_at < at - timedelta(days=365):
        return BacklogKind.OLD
    if CaseTag.DIFFICULT in case.tags:
        return BacklogKind.DIFFICULT
    return BacklogKind.ACCUMULATED


def _at(day: datetime, hour: int = 10) -> datetime:
    return datetime.combine(day.astimezone(REPORTING_TZ).date(), time(hour), REPORTING_TZ)


async def _backlog(at: datetime, backlog_days: int) -> list[Case]:
    query = {"region_path": DISTRICT_CODE, "status": {"$in": [s.value for s in OPEN_STATUSES]},
             "category": {"$in": [c.value for c in CATEGORIES]}, "opened_at": {"$lte": at}}
    found = await Case.find(query).sort(("case_no", 1)).to_list()
    cutoff = at - timedelta(days=backlog_days)
    return [c for c in found if campaign_service.is_backlog(c, cutoff=cutoff)][:ENROLLED]


async def _settle(case: Case, unit: str, at: datetime, keys: KeyRing) -> None:
    """The unit records the agreement that settles the case (so that it is cleared as resolved)."""
    batch = {"sourceSystem": f"{unit}:攻坚清仓", "agency": unit, "records": [{
        "sourceId": f"campaign-agreement-{case.case_no}", "kind": "AGREEMENT", "occurredAt": at.isoformat(),
        "summary": "经攻坚化解,双方达成调解协议", "caseNo": case.case_no,
        "details": {"terms": "双方就争议事项达成一致,按协议约定分期履行"}}]}
    outcome = await ingest_service.ingest(batch=batch, keys=keys)
    assert not outcome.results[0].errors, outcome.results[0].errors


async def load_campaigns(*, now: datetime, keys: KeyRing, backlog_days: int = 90) -> Campaign:
    """The district's campaign with its enrolled cases, as they stand on the demo's day (created once)."""
    start = _at(now - timedelta(days=75), 9)
    for existing in await campaign_service.list_for_region(region_code=DISTRICT_CODE):
        if existing.name == NAME:
            return existing
    campaign = await campaign_service.create(
        name=NAME, region_code=DISTRICT_CODE, starts_on=start.date(), ends_on=start.date() + timedelta(days=121),
        categories=CATEGORIES, agency_code=CENTRE, user=CENTRE_USER, now=start)
    assert campaign.id is not None
    enrol_at = start + timedelta(days=3)
    cases = await _backlog(enrol_at, backlog_days)
    if not cases:  # a tiny demo (`hub seed --scale 1`) has no backlog yet
        return campaign
    outcomes = await campaign_service.enrol(
        campaign_id=campaign.id, agency_code=CENTRE, user=CENTRE_USER, backlog_days=backlog_days, now=enrol_at,
        entries=[campaign_service.NewEnrolment(
            case_no=c.case_no, kind=_kind(c, enrol_at),
            historical_legacy=c.opened_at < enrol_at - timedelta(days=730) or c.category is Category.ENTERPRISE_RESTRUCTURING,
            note=f"立案{(enrol_at - c.opened_at).days}天未化解") for c in cases])
    by_no = {c.case_no: c for c in cases}
    kinds = await agency_service.kinds()
    for i, outcome in enumerate(outcomes):
        assert outcome.enrolment is not None, outcome.errors
        case = by_no[outcome.case_no]
        await _replay(i, outcome.enrolment, case, _unit(case, kinds), campaign, start, now, keys)
    return campaign


def _unit(case: Case, kinds: dict[str, str]) -> str:
    """The unit that answers for the case: the department in charge of its category (谁主管谁负责) when it took
    part, else the first mediating agency that handled it (属地管理), else its lead agency."""
    department = DEPARTMENT_OF.get(case.category.value)
    if department in case.agencies:
        return department  # type: ignore[return-value]
    for code in case.agencies:
        if kinds.get(code) in UNIT_KINDS:
            return code
    return case.lead_agency_code or case.agencies[0]


async def _replay(i: int, enrolment: Enrolment, case: Case, unit: str, campaign: Campaign, start: datetime,
                  now: datetime, keys: KeyRing) -> None:
    """One enrolled case's history: responsibility, escalations, clearance, by the plan in the module's doc."""
    if i % 8 == 7:
        return  # still without a responsible unit
    assert enrolment.id is not None
    assigned_at = start + timedelta(days=7)
    deadline = (start + timedelta(days=60)).date() if i % 4 == 0 else campaign.ends_on - timedelta(days=10)
    await campaign_service.assign(
        enrolment_id=enrolment.id, unit_code=unit, person=RESPONSIBLE[i % len(RESPONSIBLE)],
        measures=MEASURES[enrolment.kind], deadline=deadline, agency_code=CENTRE, user=CENTRE_USER, now=assigned_at)
    if i % 5 == 1:
        await campaign_service.escalate(enrolment_id=enrolment.id, reason="涉及多个部门职责,本级无力化解",
                                        agency_code=unit, user="责任单位", now=start + timedelta(days=20))
    if i % 10 == 1:
        await campaign_service.escalate(enrolment_id=enrolment.id, reason="涉及政策调整,确有重大困难,报区委区政府协调",
                                        agency_code=CENTRE, user=CENTRE_USER, now=start + timedelta(days=35))
    if i % 3 == 0:
        cleared_at = min(start + timedelta(days=40 + i), now - timedelta(hours=1))
        if i % 2 == 0:
            await _settle(case, unit, cleared_at - timedelta(hours=2), keys)
            refreshed = await Case.get(case.id)
            resolved = refreshed is not None and refreshed.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
            outcome = ClearanceOutcome.RESOLVED if resolved else ClearanceOutcome.CONCLUDED
            note = "双方达成调解协议,已履行" if resolved else "依法作出终结处理"
        elif case.petition_count:
            outcome, note = ClearanceOutcome.PETITION_ENDED, "信访人书面承诺息诉罢访"
        else:
            outcome, note = ClearanceOutcome.CONCLUDED, "依法作出终结处理,告知当事人救济途径"
        await campaign_service.clear(enrolment_id=enrolment.id, outcome=outcome, note=note, agency_code=unit,
                                     user="责任单位", now=cleared_at)
