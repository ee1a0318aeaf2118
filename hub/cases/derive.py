"""A case's summary, derived from its records alone (so it can always be recomputed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hub.cases.models import CaseStatus, CaseTag
from hub.cases.provenance import FACT_FIELDS, CaseField, Rule, determinations, highest_risk, opening_record, source
from hub.errors import BadUserInput
from hub.records.enums import CaseFact, ClosureOutcome, HandoverStatus, RecordKind, ReferralStatus, RiskLevel, SessionOutcome

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
    risk_from: Mapping[str, Any] | None = None
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
    status_from: Mapping[str, Any] | None = ordered[0] if ordered else None  # the first record finds it: SCREENED
    lead_from: Mapping[str, Any] | None = None
    escalated_from: Mapping[str, Any] | None = None
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
        if lead is None:
            lead, lead_from = rec["agency_code"], rec
        before = (status, lead)
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
                escalated_from = escalated_from or rec
            if status in (CaseStatus.RESOLVED, CaseStatus.FAILED, CaseStatus.CLOSED):
                status = CaseStatus.ACCEPTED  # a petition reopens a settled dispute
                out["closed_at"] = None
        elif kind is RecordKind.STABILITY_ASSESSMENT:
            risk, risk_from = RiskLevel(details["riskLevel"]), rec
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
        if status != before[0]:
            status_from = rec
        if lead != before[1]:
            lead_from = rec

    if len(parties) + max(participants - 1, 0) >= MASS_DISPUTE_PARTIES:  # 群体性纠纷
        tags.add(CaseTag.MASS)
    opening = opening_record(case, ordered)
    facts = _facts(case, ordered, opening, risk=(risk, risk_from))
    sources = [source(CaseField.STATUS, status_from, Rule.LATEST_RECORD),
               source(CaseField.LEAD_AGENCY, lead_from, Rule.LEAD_PRECEDENCE), *facts.pop("provenance")]
    for tag in sorted(tags):
        if tag == CaseTag.MASS:
            sources.append(source(CaseField.TAG, None, Rule.DERIVED, tag))
        elif tag == CaseTag.ESCALATED and escalated_from is not None and tag not in (case.get("declared_tags") or []):
            sources.append(source(CaseField.TAG, escalated_from, Rule.DERIVED, tag))
        else:
            sources.append(source(CaseField.TAG, opening, Rule.OPENING_RECORD, tag))
    kinds = agency_kinds or {}
    opened_at = case["opened_at"]
    out.update(
        opened_month=month_of(opened_at),
        resolution_days=days_between(opened_at, out["resolved_at"]) if out["resolved_at"] else None,
        party_count=len(parties) + max(participants - 1, 0),
        agency_kinds=sorted({kinds[a] for a in agencies if a in kinds}),
        handed_to=[a for a in handed_to if a],
    )
    out.update(facts, provenance=sources)
    out.update(
        status=status,
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


def _facts(case: Mapping[str, Any], ordered: Sequence[Mapping[str, Any]], opening: Mapping[str, Any] | None, *,
           risk: tuple[RiskLevel | None, Mapping[str, Any] | None]) -> dict[str, Any]:
    """The facts agencies state about the case, each by its rule (hub.cases.provenance), with their sources
    under `provenance`: a determination decides (the risk level: the later of it and the latest assessment);
    otherwise the opening record's statement (the risk level: the latest assessment, else the highest
    stated); otherwise what the case was opened with."""
    decided = determinations(ordered)
    said = (opening or {}).get("stated") or {}
    out: dict[str, Any] = {}
    sources: list[dict[str, Any]] = []
    plain = {"category": CaseFact.CATEGORY, "responsible_person": CaseFact.RESPONSIBLE_PERSON,
             "deadline": CaseFact.DEADLINE, "amount_in_dispute": CaseFact.AMOUNT_IN_DISPUTE}
    for name, fact in plain.items():
        field = FACT_FIELDS[fact]
        if (settled := decided.get(fact)) is not None:
            out[name] = _fact(fact, settled["details"]["value"])
            sources.append(source(field, settled, Rule.DETERMINATION))
        elif opening is not None and said.get(name) is not None:
            out[name] = as_date(said[name]) if fact is CaseFact.DEADLINE else said[name]
            sources.append(source(field, opening, Rule.OPENING_RECORD))
        elif case.get(name) is not None:  # opened before records kept their statements
            out[name] = as_date(case[name]) if fact is CaseFact.DEADLINE else case[name]
            sources.append(source(field, opening, Rule.OPENING_RECORD))
        else:
            out[name] = None
    assessed, assessment = risk
    settled = decided.get(CaseFact.RISK_LEVEL)
    if settled is not None and (assessment is None or settled["occurred_at"] >= assessment["occurred_at"]):
        out["risk_level"] = RiskLevel(settled["details"]["value"])
        sources.append(source(CaseField.RISK_LEVEL, settled, Rule.DETERMINATION))
    elif assessed is not None:
        out["risk_level"] = assessed
        sources.append(source(CaseField.RISK_LEVEL, assessment, Rule.LATEST_ASSESSMENT))
    elif (highest := highest_risk(ordered)) is not None:
        out["risk_level"] = RiskLevel(highest[0])
        sources.append(source(CaseField.RISK_LEVEL, highest[1], Rule.HIGHEST_RISK))
    elif case.get("declared_risk_level"):
        out["risk_level"] = RiskLevel(case["declared_risk_level"])
        sources.append(source(CaseField.RISK_LEVEL, opening, Rule.OPENING_RECORD))
    else:
        out["risk_level"] = RiskLevel.LOW
        sources.append(source(CaseField.RISK_LEVEL, None, Rule.DEFAULT))
    out["provenance"] = sources
    return out


def _fact(fact: CaseFact, value: str) -> Any:
    """A determination's value as the case holds it."""
    if fact is CaseFact.AMOUNT_IN_DISPUTE:
        return float(value)
    if fact is CaseFact.DEADLINE:
        return date.fromisoformat(value)
    return value
