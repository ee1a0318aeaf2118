"""Early warning (预警): small named rules from the work plan, each with its own thresholds.

`early_warnings` reads the region's cases once (slim documents: the summary fields derived from
their records), and the case files of only those with recent petitions; every rule then runs over
that in memory. A rule is a function from the cases and the thresholds to warnings; RULES lists
them in the order reports show them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from bson import ObjectId

from hub.analytics import labels
from hub.analytics.summary import as_utc
from hub.analytics.thresholds import Thresholds
from hub.campaigns import service as campaign_service
from hub.cases.derive import REPORTING_TZ, HandoverState, as_date, handover_states
from hub.cases.models import OPEN_STATUSES, Case, CaseFile, CaseTag
from hub.records.enums import HandoverStatus, PartyRole, PetitionLevel, RecordKind, RiskLevel
from hub.errors import BadUserInput
from hub.store.service import READ_BATCH_SIZE, find_by_ids


class Severity(StrEnum):
    """How urgently a warning needs attention (红 / 橙 / 黄)."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"


SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2}


class Rule(StrEnum):
    """The early-warning rules."""

    REPEAT_PETITIONS = "REPEAT_PETITIONS"
    ESCALATED_PETITION = "ESCALATED_PETITION"
    MASS_DISPUTE = "MASS_DISPUTE"
    HIGH_RISK_WITHOUT_PLAN = "HIGH_RISK_WITHOUT_PLAN"
    PLAN_REVIEW_OVERDUE = "PLAN_REVIEW_OVERDUE"
    STALLED = "STALLED"
    HANDOVER_CHURN = "HANDOVER_CHURN"
    BACKLOG_UNASSIGNED = "BACKLOG_UNASSIGNED"
    HANDOVER_UNANSWERED = "HANDOVER_UNANSWERED"
    CAMPAIGN_OVERDUE = "CAMPAIGN_OVERDUE"
    CAMPAIGN_UNASSIGNED = "CAMPAIGN_UNASSIGNED"


RULE_LABELS = {
    Rule.REPEAT_PETITIONS: "重复信访", Rule.ESCALATED_PETITION: "越级信访", Rule.MASS_DISPUTE: "群体性纠纷",
    Rule.HIGH_RISK_WITHOUT_PLAN: "高风险未制定稳控方案", Rule.PLAN_REVIEW_OVERDUE: "稳控方案逾期未复核",
    Rule.STALLED: "久拖未决", Rule.HANDOVER_CHURN: "多次移交未受理", Rule.BACKLOG_UNASSIGNED: "积案无责任人",
    Rule.HANDOVER_UNANSWERED: "移交逾期未答复", Rule.CAMPAIGN_OVERDUE: "清仓案件逾期未化解", Rule.CAMPAIGN_UNASSIGNED: "清仓案件未明确责任",
}


@dataclass(frozen=True)
class EarlyWarning:
    """One warning: which rule fired on which case, why, and who must act."""

    rule: Rule
    severity: Severity
    case_id: ObjectId
    case_no: str
    reason: str
    agency_code: str | None
    person_id: str | None = None


@dataclass
class Scope:
    """What the rules see: the region's cases (open and closed), the petitions among them."""

    as_of: datetime
    thresholds: Thresholds
    cases: list[dict[str, Any]]
    petitions: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (case, record)
    enrolments: list[dict[str, Any]] = field(default_factory=list)  # campaign enrolments not yet cleared
    handovers: list[tuple[dict[str, Any], HandoverState]] = field(default_factory=list)  # (case, pending handover)

    @property
    def open_cases(self) -> Iterator[dict[str, Any]]:
        open_values = {s.value for s in OPEN_STATUSES}
        return (c for c in self.cases if c["status"] in open_values)

    def days_ago(self, days: int) -> datetime:
        return self.as_of - timedelta(days=days)


def _warning(rule: Rule, severity: Severity, case: Mapping[str, Any], reason: str, **extra: Any) -> EarlyWarning:
    return EarlyWarning(rule=rule, severity=severity, case_id=case["_id"], case_no=case["case_no"], reason=reason,
                   agency_code=case.get("lead_agency_code"), **extra)


def repeat_petitions(scope: Scope) -> Iterator[EarlyWarning]:
    """重复信访: one petitioner petitioned `repeat_petitions` times or more within the window."""
    t = scope.thresholds
    since = scope.days_ago(t.repeat_window_days)
    by_person: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for case, record in scope.petitions:
        if since <= record["occurred_at"] <= scope.as_of:
            for party in record.get("parties") or []:
                if party.get("role") == PartyRole.PETITIONER.value:
                    by_person[party["person_id"]].append((case, record))
    for person_id, petitions in sorted(by_person.items()):
        if len(petitions) < t.repeat_petitions:
            continue
        case, latest = max(petitions, key=lambda p: p[1]["occurred_at"])
        name = next(p["name"] for p in latest["parties"] if p["person_id"] == person_id)
        cases = len({c["_id"] for c, _ in petitions})
        severity = Severity.CRITICAL if len(petitions) >= 2 * t.repeat_petitions else Severity.HIGH
        yield _warning(Rule.REPEAT_PETITIONS, severity, case,
                       f"信访人{name}在{t.repeat_window_days}天内信访{len(petitions)}次(涉及{cases}件纠纷)",
                       person_id=person_id)


def escalated_petition(scope: Scope) -> Iterator[EarlyWarning]:
    """越级信访: an open case with an escalated petition within the window."""
    since = scope.days_ago(scope.thresholds.escalated_window_days)
    open_ids = {c["_id"] for c in scope.open_cases}
    latest: dict[ObjectId, tuple[dict[str, Any], dict[str, Any]]] = {}
    for case, record in scope.petitions:
        details = record.get("details") or {}
        if case["_id"] in open_ids and details.get("escalated") and since <= record["occurred_at"] <= scope.as_of:
            if case["_id"] not in latest or latest[case["_id"]][1]["occurred_at"] < record["occurred_at"]:
                latest[case["_id"]] = (case, record)
    high_levels = {PetitionLevel.PROVINCE.value, PetitionLevel.BEIJING.value}
    for case, record in latest.values():
        level = (record.get("details") or {}).get("levelReached") or PetitionLevel.DISTRICT.value
        severity = Severity.CRITICAL if level in high_levels else Severity.HIGH
        when = record["occurred_at"].date().isoformat()
        yield _warning(Rule.ESCALATED_PETITION, severity, case, f"{when}越级信访(到达{labels.PETITION_LEVEL.get(level, level)}),纠纷尚未化解")


def mass_dispute(scope: Scope) -> Iterator[EarlyWarning]:
    """群体性纠纷: an open case with `mass_parties` parties or more."""
    for case in scope.open_cases:
        if int(case.get("party_count") or 0) >= scope.thresholds.mass_parties:
            yield _warning(Rule.MASS_DISPUTE, Severity.HIGH, case, f"涉及{case['party_count']}人,属群体性纠纷")


def high_risk_without_plan(scope: Scope) -> Iterator[EarlyWarning]:
    """高风险未制定稳控方案: risk HIGH or MAJOR, open, and no stability-control plan."""
    for case in scope.open_cases:
        risk = case.get("risk_level")
        if risk in (RiskLevel.HIGH.value, RiskLevel.MAJOR.value) and not case.get("has_stability_plan"):
            severity = Severity.CRITICAL if risk == RiskLevel.MAJOR.value else Severity.HIGH
            label = "重大" if risk == RiskLevel.MAJOR.value else "高"
            yield _warning(Rule.HIGH_RISK_WITHOUT_PLAN, severity, case, f"风险等级为{label},尚未制定稳控方案")


def plan_review_overdue(scope: Scope) -> Iterator[EarlyWarning]:
    """稳控方案逾期未复核: an open case whose plan's review date has passed."""
    today = scope.as_of.date()
    for case in scope.open_cases:
        review = as_date(case.get("stability_plan_review_date"))
        if case.get("has_stability_plan") and review is not None and review < today:
            yield _warning(Rule.PLAN_REVIEW_OVERDUE, Severity.MEDIUM, case,
                           f"稳控方案应于{review.isoformat()}复核,已逾期{(today - review).days}天")


def stalled(scope: Scope) -> Iterator[EarlyWarning]:
    """久拖未决: an open case with no record for `stalled_days`."""
    cutoff = scope.days_ago(scope.thresholds.stalled_days)
    for case in scope.open_cases:
        last = case.get("last_activity_at")
        if last is not None and last < cutoff:
            yield _warning(Rule.STALLED, Severity.MEDIUM, case, f"已{(scope.as_of - last).days}天无新的办理记录")


def handover_churn(scope: Scope) -> Iterator[EarlyWarning]:
    """多次移交未受理: handed between agencies more than `unaccepted_handovers` times without acceptance, or
    returned by receivers more than that many times."""
    limit = scope.thresholds.unaccepted_handovers
    for case in scope.open_cases:
        count = int(case.get("unaccepted_handover_count") or 0)
        returned = int(case.get("returned_handover_count") or 0)
        if returned > limit:
            yield _warning(Rule.HANDOVER_CHURN, Severity.HIGH, case, f"移交后被退回{returned}次,无单位接收")
        elif count > limit and not case.get("accepted"):
            yield _warning(Rule.HANDOVER_CHURN, Severity.HIGH, case, f"在部门间移交{count}次,均未受理")


def backlog_unassigned(scope: Scope) -> Iterator[EarlyWarning]:
    """积案无责任人: a backlog case (tagged, or open past `backlog_days`) with no responsible person."""
    cutoff = scope.days_ago(scope.thresholds.backlog_days)
    for case in scope.open_cases:
        backlog = CaseTag.BACKLOG.value in (case.get("tags") or []) or case["opened_at"] < cutoff
        if backlog and not case.get("responsible_person"):
            yield _warning(Rule.BACKLOG_UNASSIGNED, Severity.MEDIUM, case,
                           f"已立案{(scope.as_of - case['opened_at']).days}天,属积案,未明确责任人")


def handover_unanswered(scope: Scope) -> Iterator[EarlyWarning]:
    """移交逾期未答复: a handover neither accepted nor returned by its deadline (`acceptBy`, else
    `handover_answer_days` after it); the receiver is the agency to act."""
    open_ids = {c["_id"] for c in scope.open_cases}
    for case, state in scope.handovers:
        deadline = as_utc(state.deadline(scope.thresholds.handover_answer_days))
        if case["_id"] in open_ids and deadline is not None and deadline < scope.as_of:
            days = (scope.as_of - deadline).days
            yield EarlyWarning(rule=Rule.HANDOVER_UNANSWERED, severity=Severity.HIGH, case_id=case["_id"],
                               case_no=case["case_no"], agency_code=state.receiver,
                               reason=f"{state.record['occurred_at'].astimezone(REPORTING_TZ):%Y-%m-%d}移交,"
                                      f"应于{deadline.astimezone(REPORTING_TZ):%Y-%m-%d}前接收或退回,已逾期{days}天")


def _enrolment_warning(rule: Rule, severity: Severity, enrolment: Mapping[str, Any], reason: str,
                       agency_code: str | None) -> EarlyWarning:
    return EarlyWarning(rule=rule, severity=severity, case_id=enrolment["case_id"], case_no=enrolment["case_no"],
                        reason=reason, agency_code=agency_code)


def campaign_overdue(scope: Scope) -> Iterator[EarlyWarning]:
    """清仓案件逾期未化解: an enrolled case not cleared by its responsibility's deadline (the district's day)."""
    today = scope.as_of.astimezone(REPORTING_TZ).date()
    for enrolment in scope.enrolments:
        deadline = as_date(enrolment.get("deadline"))
        if deadline is not None and deadline < today:
            days = (today - deadline).days
            severity = Severity.CRITICAL if days > scope.thresholds.campaign_overdue_critical_days else Severity.HIGH
            person = (enrolment.get("responsibility") or {}).get("person") or "—"
            yield _enrolment_warning(Rule.CAMPAIGN_OVERDUE, severity, enrolment,
                                     f"攻坚清仓案件应于{deadline.isoformat()}前化解(责任人{person}),已逾期{days}天",
                                     enrolment.get("unit_code"))


def campaign_unassigned(scope: Scope) -> Iterator[EarlyWarning]:
    """清仓案件未明确责任: enrolled `campaign_assign_days` ago or more, and still no responsible unit."""
    cutoff = scope.days_ago(scope.thresholds.campaign_assign_days)
    for enrolment in scope.enrolments:
        if enrolment.get("responsibility") is None and as_utc(enrolment["enrolled_at"]) <= cutoff:
            days = (scope.as_of - as_utc(enrolment["enrolled_at"])).days  # type: ignore[operator]
            yield _enrolment_warning(Rule.CAMPAIGN_UNASSIGNED, Severity.MEDIUM, enrolment,
                                     f"纳入攻坚清仓{days}天,尚未明确责任单位和责任人", None)


RULES: dict[Rule, Callable[[Scope], Iterable[EarlyWarning]]] = {
    Rule.REPEAT_PETITIONS: repeat_petitions,
    Rule.ESCALATED_PETITION: escalated_petition,
    Rule.MASS_DISPUTE: mass_dispute,
    Rule.HIGH_RISK_WITHOUT_PLAN: high_risk_without_plan,
    Rule.PLAN_REVIEW_OVERDUE: plan_review_overdue,
    Rule.STALLED: stalled,
    Rule.HANDOVER_CHURN: handover_churn,
    Rule.BACKLOG_UNASSIGNED: backlog_unassigned,
    Rule.HANDOVER_UNANSWERED: handover_unanswered,
    Rule.CAMPAIGN_OVERDUE: campaign_overdue,
    Rule.CAMPAIGN_UNASSIGNED: campaign_unassigned,
}

_FIELDS = ("case_no", "status", "opened_at", "last_activity_at", "lead_agency_code", "risk_level", "tags",
           "has_stability_plan", "stability_plan_review_date", "party_count", "unaccepted_handover_count",
           "accepted", "responsible_person", "petition_count", "pending_handovers", "returned_handover_count")



AS_OF_RANGE = (datetime(1900, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc))


async def load_scope(*, region: str, as_of: datetime, thresholds: Thresholds) -> Scope:
    """The region's cases, the petitions of those active within the petition windows, the handovers still
    pending, and the campaign enrolments not yet cleared."""
    query = {"region_path": region, "opened_at": {"$lte": as_of}}
    cursor = Case.get_pymongo_collection().find(query, {f: 1 for f in _FIELDS}, batch_size=READ_BATCH_SIZE)
    cases = await cursor.to_list()
    window = as_of - timedelta(days=max(thresholds.repeat_window_days, thresholds.escalated_window_days))
    petitioned = {c["_id"]: c for c in cases
                  if c.get("petition_count") and c.get("last_activity_at") and c["last_activity_at"] >= window}
    handing = {c["_id"]: c for c in cases if c.get("pending_handovers")}
    files = await find_by_ids(CaseFile.get_pymongo_collection(), list(petitioned.keys() | handing.keys()))
    petitions = [(petitioned[f["_id"]], record) for f in files if f["_id"] in petitioned
                 for record in f.get("records", []) if record["kind"] == RecordKind.PETITION.value]
    handovers = [(handing[f["_id"]], state) for f in files if f["_id"] in handing
                 for state in handover_states(r for r in f.get("records", []) if r["occurred_at"] <= as_of)
                 if state.status is HandoverStatus.PENDING]
    enrolments = [e for e in await campaign_service.open_in_region(region_code=region)
                  if as_utc(e["enrolled_at"]) <= as_of]  # type: ignore[operator]
    return Scope(as_of=as_of, thresholds=thresholds, cases=cases, petitions=petitions, enrolments=enrolments,
                 handovers=handovers)


async def early_warnings(
    *, region: str, as_of: datetime | None = None, thresholds: Thresholds | None = None,
    rules: Iterable[Rule] | None = None,
) -> list[EarlyWarning]:
    """Every warning the rules raise for the region's cases at `as_of` (now by default), most severe first."""
    try:
        as_of = as_utc(as_of) or datetime.now(timezone.utc)
        in_range = AS_OF_RANGE[0] <= as_of <= AS_OF_RANGE[1]
    except OverflowError:  # 0001-01-01T00:00+08:00 has no UTC
        in_range = False
    if not in_range:
        # The rules look back and ahead by their windows: year 1 or 9999 would overflow the arithmetic.
        raise BadUserInput(f"asOf must lie between {AS_OF_RANGE[0].year} and {AS_OF_RANGE[1].year}", field="asOf")
    scope = await load_scope(region=region, as_of=as_of, thresholds=thresholds or Thresholds())
    found = [w for rule in (rules or RULES) for w in RULES[rule](scope)]
    order = list(RULES)
    return sorted(found, key=lambda w: (SEVERITY_ORDER[w.severity], order.index(w.rule), w.case_no))
