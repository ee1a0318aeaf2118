"""Referrals in each state, in wire format, for the referral tests."""

from __future__ import annotations

from typing import Any

from tests.factories import T0, days, record

FILED_AT = (T0 + days(5)).isoformat()
DECIDED_AT = (T0 + days(30)).isoformat()

STATES: dict[str, dict[str, Any]] = {
    "REFERRED": {"target": "LITIGATION", "body": "清河区人民法院"},
    "FILED": {"target": "LITIGATION", "body": "清河区人民法院", "status": "FILED", "filedAt": FILED_AT},
    "DECIDED": {"target": "LITIGATION", "body": "清河区人民法院", "status": "DECIDED", "filedAt": FILED_AT,
                "decidedAt": DECIDED_AT, "outcome": "UPHELD"},
}


def referral(source_id: str = "ref-1", *, revision: int = 0, details: dict[str, Any] | None = None,
             **extra: Any) -> dict[str, Any]:
    """A REFERRAL record on the case the intake `in-1` opened (or opening one), at T0 + 1 day."""
    if not any(k in extra for k in ("caseNo", "caseRef", "case")):
        extra["caseRef"] = {"sourceId": "in-1"}
    return record(source_id, "REFERRAL", at=T0 + days(1), details=details or dict(STATES["REFERRED"]),
                  sourceRevision=revision, **extra)
