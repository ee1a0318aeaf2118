"""A case's summary, derived from its records alone (so it can always be recomputed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hub.cases.models import CaseStatus, CaseTag
from hub.errors import BadUserInput
from hub.records.enums import ClosureOutcome, HandoverStatus, RecordKind, ReferralStatus, RiskLevel, SessionOutcome

MASS_DISPUTE_PARTIES = 10

# Months and ages are counted on the district's clock.
REPORTING_TZ = ZoneInfo("Asia/Shanghai")

_CLOSURE_STATUS = {
    ClosureOutcome.RESOLVED: CaseStatus.RESOLVED,
    ClosureOutcome.FAILED: CaseStatus.FAILED,
    ClosureOutcome.REFERRED: CaseStatus.REFERRED,
    ClosureOutcome.WITHDRAWN: CaseStatus.CLOSED,
}


def as_date(value: Any) -> date | None:
    """A date, from a date or from a datetime as the store returns dates."""
    return value.date() if isinstance(value, datetime) else value


def month_of(instant: datetime) -> str:
    """The reporting month of an instant, in the district's time zone: ``2026-11``."""
    return instant.astimezone(REPORTING_TZ).strftime("%Y-%m")


def district_day(instant: datetime | None = None) -> date:
    """The calendar day of an instant (now by default) on the district's clock."""
    return (instant or datetime.now(timezone.utc)).astimezone(REPORTING_TZ).date()


def start_of_day(day: date) -> datetime:
    """The instant (UTC) a day of the district's calendar begins."""
    return datetime.combine(day, time.min, REPORTING_TZ).astimezone(timezone.utc)


def month_days(month: str) -> tuple[date, date]:
    """The first and the last day of a month written ``YYYY-MM``; BAD_USER_INPUT (field `period`) otherwise."""
    try:
        first = datetime.strptime(month.strip(), "%Y-%m").date()
    except ValueError:
        raise BadUserInput(f"a period is a month written YYYY-MM, not {month!r}", field="period") from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def days_between(start: datetime, end: datetime) -> int:
    """Whole days from start to end."""
    return max((end - start).days, 0)


@dataclass(frozen=True)
class HandoverState:
    """Where one handover stands: PENDING until the receiver accepts or returns it.

    Accepted: a HANDOVER_RESPONSE from the receiver saying so, the handover record's own `accepted: true`
    (an agency system that records it there), or a later intake by the receiver. Returned: a
    HANDOVER_RESPONSE saying so; the case stays with whoever leads it (a pending handover never moved
    it). The first answer counts.
    """

    record: Mapping[str, Any]
    status: HandoverStatus
    answer: Mapping[str, Any] | None = None  # the response or intake record, when there is one

    @property
    def sender(self) -> str:
        return str(self.record["agency_code"])

    @property
    def receiver(self) -> str:
        return str((self.record.get("details") or {}).get("toAgency") or "")

    @property
    def answered_at(self) -> datetime | None:
        if self.answer is not None:
            return self.answer["occurred_at"]  # type: ignore[no-any-return]
        details = self.record.get("details") or {}
        return details.get("acceptedAt") if self.status == ACCEPTED else None

    def deadline(self, default_days: int) -> datetime:
        """When the receiver should have answered: `acceptBy`, else `default_days` after the handover."""
        accept_by = (self.record.get("details") or {}).get("acceptBy")
        return accept_by or self.record["occurred_at"] + timedelta(days=default_days)


PENDING, ACCEPTED, RETURNED = HandoverStatus.PENDING, HandoverStatus.ACCEPTED, HandoverStatus.RETURNED


def handover_states(records: Iterable[Mapping[str, Any]]) -> list[HandoverState]:
    """Every handover of a case with its state, in time order.

    An answer is linked to its handover by `handoverId` whatever the order the records are dated in; an intake
    counts as acceptance only after the handover. The first answer (by time, then by when it was recorded) wins.
    """
    ordered = sorted(records, key=lambda r: (r["occurred_at"], r.get("recorded_at") or r["occurred_at"]))
    states: dict[Any, HandoverState] = {}
    for rec in ordered:
        if rec["kind"] == RecordKind.HANDOVER:  # an agency system may record the acceptance on the handover itself
            accepted = (rec.get("details") or {}).get("accepted") is True
            states[rec["_id"]] = HandoverState(rec, ACCEPTED if accepted else PENDING)
    for rec in ordered:
        details = rec.get("details") or {}
        if rec["kind"] == RecordKind.HANDOVER_RESPONSE:
            state = states.get(details.get("handoverId"))
            if state is not None and state.status == PENDING and rec["agency_code"] == state.receiver:
                states[state.record["_id"]] = HandoverState(state.record, HandoverStatus(details.get("decision")), rec)
        elif rec["kind"] == RecordKind.INTAKE and details.get("accepted", True):
            for key, state in list(states.items()):
                if (state.status == PENDING and state.receiver == rec["agency_code"]
                        and rec["occurred_at"] >= state.record["occurred_at"]):
                    states[key] = HandoverState(state.record, ACCEPTED, rec)
    return sorted(states.values(), key=lambda s: s.record["occurred_at"])


def pending_handovers(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Handovers not yet answered: neither accepted nor returned by the receiver."""
    return [s.record for s in handover_states(records) if s.status == PENDING]


def derive(
    *, case: Mapping[str, Any], records: Iterable[Mapping[str, Any]], agency_kinds: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The derived fields of `case` from its records, taken in time order.

    `agency_kinds` maps agency codes to their kinds, for the case's `agency_kinds`.
    """
    status = CaseStatus.SCREENED
    risk: RiskLevel | None = None
    tags = set(case.get("declared_tags") or [])
    lead: str | None = None
    agencies: list[str] = []
    channels: list[str] = []
    parties: dict[Any, dict[str, Any]] = {}
    out: dict[str, Any] = {
        "record_count": 0,
        "last_activity_at": None,
        "resolved_at": None,
        "closed_at": None,
        "outcome": None,
        "referral_target": None,
        "referral_status": None,
        "referral_outcome": None,
        "petition_count": 0,
        "escalated_petition_count": 0,
        "screened": False,
        "accepted": False,
        "has_stability_plan": False,
        "stability_plan_review_date": None,
    }
    participants = 0
    handed_to: list[str] = []

    ordered = sorted(records, key=lambda r: r["occurred_at"])
    handovers = handover_states(ordered)
    answers = {s.answer["_id"]: s for s in handovers if s.answer is not None and s.answer["kind"] == RecordKind.HANDOVER_RESPONSE}
    for rec in ordered:
        kind = RecordKind(rec["kind"])
        details = rec.get("details") or {}
        at = rec["occurred_at"]
        out["record_count"] += 1
        out["last_activity_at"] = at
        if rec["agency_code"] not in agencies:
            agencies.append(rec["agency_code"])
        if rec["channel"] not in channels:
            channels.append(rec["channel"])
        for party in rec.get("parties") or []:
            parties.setdefault(party["person_id"], dict(party))
        lead = lead or rec["agency_code"]
        if kind in (RecordKind.HANDOVER, RecordKind.ESCALATION) and details.get("toAgency") not in handed_to:
            handed_to.append(details["toAgency"])

        if kind is RecordKind.SCREENING:
            out["screened"] = True
        elif kind is RecordKind.INTAKE:
            out["accepted"] = True
            if details.get("accepted", True):
                lead = rec["agency_code"]
                if status is CaseStatus.SCREENED:
                    status = CaseStatus.ACCEPTED
        elif kind is RecordKind.MEDIATION_SESSION:
            outcome = details.get("outcome")
            status = CaseStatus.FAILED if outcome == SessionOutcome.FAILED else CaseStatus.IN_MEDIATION
        elif kind is RecordKind.AGREEMENT:
            status = CaseStatus.RESOLVED
            out["resolved_at"] = out["resolved_at"] or at
        elif kind is RecordKind.JUDICIAL_CONFIRMATION:
            if details.get("confirmed", True):
                status = CaseStatus.RESOLVED
                out["resolved_at"] = out["resolved_at"] or at
        elif kind is RecordKind.HANDOVER:
            if details.get("accepted") is True:
                lead = details.get("toAgency")
        elif kind is RecordKind.HANDOVER_RESPONSE:
            answered = answers.get(rec["_id"])
            if answered is not None and answered.status == ACCEPTED:  # the receiver takes the case
                lead = answered.receiver
        elif kind is RecordKind.REFERRAL:
            status = CaseStatus.REFERRED
            out["referral_target"] = details.get("target")
            # The latest referral's state; one from before states were tracked is REFERRED.
            out["referral_status"] = details.get("status") or ReferralStatus.REFERRED.value
            out["referral_outcome"] = details.get("outcome")
        elif kind is RecordKind.PETITION:
            out["petition_count"] += 1
            participants = max(participants, int(details.get("participants") or 1))
            if details.get("escalated"):
                out["escalated_petition_count"] += 1
                tags.add(CaseTag.ESCALATED)
            if status in (CaseStatus.RESOLVED, CaseStatus.FAILED, CaseStatus.CLOSED):
                status = CaseStatus.ACCEPTED  # a petition reopens a settled dispute
                out["closed_at"] = None
        elif kind is RecordKind.STABILITY_ASSESSMENT:
            risk = RiskLevel(details["riskLevel"])
        elif kind is RecordKind.STABILITY_PLAN:
            out["has_stability_plan"] = True
            out["stability_plan_review_date"] = as_date(details.get("reviewDate"))
        elif kind is RecordKind.CLOSURE:
            outcome = ClosureOutcome(details["outcome"])
            status = _CLOSURE_STATUS[outcome]
            out["outcome"] = outcome
            out["closed_at"] = at
            if outcome is ClosureOutcome.RESOLVED:
                out["resolved_at"] = out["resolved_at"] or at

    if len(parties) + max(participants - 1, 0) >= MASS_DISPUTE_PARTIES:  # 群体性纠纷
        tags.add(CaseTag.MASS)
    declared_risk = case.get("declared_risk_level")
    kinds = agency_kinds or {}
    opened_at = case["opened_at"]
    out.update(
        opened_month=month_of(opened_at),
        resolution_days=days_between(opened_at, out["resolved_at"]) if out["resolved_at"] else None,
        party_count=len(parties) + max(participants - 1, 0),
        agency_kinds=sorted({kinds[a] for a in agencies if a in kinds}),
        handed_to=[a for a in handed_to if a],
    )
    out.update(
        status=status,
        risk_level=risk or declared_risk or RiskLevel.LOW,
        tags=sorted(tags),
        lead_agency_code=lead,
        agencies=agencies,
        channels=channels,
        parties=list(parties.values()),
        party_ids=list(parties),
        pending_handovers=sum(1 for h in handovers if h.status == PENDING),
        unaccepted_handover_count=sum(1 for h in handovers if h.status != ACCEPTED),
        returned_handover_count=sum(1 for h in handovers if h.status == RETURNED),
    )
    return out
