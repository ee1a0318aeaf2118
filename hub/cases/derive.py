"""A case's summary, derived from its records alone (so it can always be recomputed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.cases.models import CaseStatus, CaseTag
from hub.records.enums import ClosureOutcome, RecordKind, RiskLevel, SessionOutcome

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


def days_between(start: datetime, end: datetime) -> int:
    """Whole days from start to end."""
    return max((end - start).days, 0)


def pending_handovers(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Handovers not yet taken up: no acceptance on the record, and no later intake by the receiver."""
    pending: dict[str, list[Mapping[str, Any]]] = {}
    for rec in sorted(records, key=lambda r: r["occurred_at"]):
        details = rec.get("details") or {}
        if rec["kind"] == RecordKind.HANDOVER:
            target = details.get("toAgency")
            if details.get("accepted") is True:
                pending.pop(target, None)
            else:
                pending.setdefault(target, []).append(rec)
        elif rec["kind"] == RecordKind.INTAKE and details.get("accepted", True):
            pending.pop(rec["agency_code"], None)
    return sorted((r for rs in pending.values() for r in rs), key=lambda r: r["occurred_at"])


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
        "petition_count": 0,
        "escalated_petition_count": 0,
        "screened": False,
        "accepted": False,
        "has_stability_plan": False,
        "stability_plan_review_date": None,
    }
    unaccepted = 0
    participants = 0
    handed_to: list[str] = []

    ordered = sorted(records, key=lambda r: r["occurred_at"])
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
            target = details.get("toAgency")
            if details.get("accepted") is True:
                lead = target
            else:
                unaccepted += 1
        elif kind is RecordKind.REFERRAL:
            status = CaseStatus.REFERRED
            out["referral_target"] = details.get("target")
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
        pending_handovers=len(pending_handovers(ordered)),
        unaccepted_handover_count=unaccepted,
    )
    return out
