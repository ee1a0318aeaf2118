"""A case's summary, derived from its records alone (so it can always be recomputed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from hub.cases.models import CaseStatus, CaseTag
from hub.records.enums import ClosureOutcome, RecordKind, RiskLevel, SessionOutcome

MASS_DISPUTE_PARTIES = 10

_CLOSURE_STATUS = {
    ClosureOutcome.RESOLVED: CaseStatus.RESOLVED,
    ClosureOutcome.FAILED: CaseStatus.FAILED,
    ClosureOutcome.REFERRED: CaseStatus.REFERRED,
    ClosureOutcome.WITHDRAWN: CaseStatus.CLOSED,
}


def _as_date(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def derive(*, case: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The derived fields of `case` from its records, taken in time order."""
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
    open_handovers: dict[str, int] = {}
    unaccepted = 0
    participants = 0

    for rec in sorted(records, key=lambda r: r["occurred_at"]):
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

        if kind is RecordKind.SCREENING:
            out["screened"] = True
        elif kind is RecordKind.INTAKE:
            out["accepted"] = True
            if details.get("accepted", True):
                lead = rec["agency_code"]
                # The receiving agency's own intake is its acceptance of a pending handover.
                open_handovers.pop(rec["agency_code"], None)
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
                open_handovers.pop(target, None)
            else:
                open_handovers[target] = open_handovers.get(target, 0) + 1
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
            out["stability_plan_review_date"] = _as_date(details.get("reviewDate"))
        elif kind is RecordKind.CLOSURE:
            outcome = ClosureOutcome(details["outcome"])
            status = _CLOSURE_STATUS[outcome]
            out["outcome"] = outcome
            out["closed_at"] = at
            if outcome is ClosureOutcome.RESOLVED:
                out["resolved_at"] = out["resolved_at"] or at

    if len(parties) + max(participants - 1, 0) >= MASS_DISPUTE_PARTIES:
        tags.add(CaseTag.MASS)
    declared_risk = case.get("declared_risk_level")
    out.update(
        status=status,
        risk_level=risk or declared_risk or RiskLevel.LOW,
        tags=sorted(tags),
        lead_agency_code=lead,
        agencies=agencies,
        channels=channels,
        parties=list(parties.values()),
        party_ids=list(parties),
        pending_handovers=sum(open_handovers.values()),
        unaccepted_handover_count=unaccepted,
    )
    return out
