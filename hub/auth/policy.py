"""The one authorisation policy: who may see and do what. Every check in the API calls these.

- An agency that contributed a record to a case, leads it, or was handed it sees the case in full.
- A coordination centre sees every case in its region and below (a township centre nothing
  outside its township).
- The petition bureau may look a person up, stating why (the purpose goes into the audit trail).
- Any other agency gets FORBIDDEN on the case and does not find it in lists.
- Restricted records (stability intelligence) are for the stability office and coordination
  centres only.
- An agency pushes records in its own name only, and revises (`updateReferral`) only its own.
- Summaries, early warnings and joint meetings belong to coordination centres (for their region
  and below); a meeting's participants may read it and its brief.
- The audit trail is read by coordination centres (entries of agencies in their region).
- Mediators are appointed (选聘) by the justice bureau and coordination centres whose region holds
  the mediator's; their training is recorded by those and by the mediator's own agency.
- Backlog-clearance campaigns are created, and cases enrolled in them, by the coordination centres of
  the campaign's region. An enrolled case is then managed where it lies (属地): the centres of the
  case's region (a township's among them) assign its responsibility; those centres and its responsible
  unit escalate and clear it, and only a centre takes it past the centre to the party committee and
  government. A campaign and its figures are read by every agency of its region; its enrolments by
  the centres (a township centre: its township's), each unit those it answers for, and each agency
  those of the cases it sees (on the case).
- ID numbers, credit codes, phones and addresses are masked unless the user holds the `pii` role.
- Supervision notices are drafted, commented on and published by a coordination centre at or above
  their region; drafts are read by those, published ones also by every agency within the region.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.agencies.models import AgencyKind
from hub.auth.tokens import Role

MEDIATOR_MANAGERS = frozenset({AgencyKind.JUSTICE_BUREAU, AgencyKind.COORDINATION_CENTRE})
RESTRICTED_READERS = frozenset({AgencyKind.STABILITY_OFFICE, AgencyKind.COORDINATION_CENTRE})
LOOKUP_AGENCIES = frozenset({AgencyKind.PETITION_BUREAU})
MIN_PURPOSE = 4  # characters


@dataclass(frozen=True)
class Principal:
    """The caller: an agency (with its kind and region path), a user, the user's roles."""

    agency_code: str
    agency_kind: AgencyKind
    region_path: tuple[str, ...]
    user: str
    roles: frozenset[str]
    expires_at: datetime | None = None  # the token's expiry
    token_id: str | None = None  # the token's id, for revocation

    @property
    def region_code(self) -> str:
        return self.region_path[-1]

    @property
    def is_coordination_centre(self) -> bool:
        return self.agency_kind is AgencyKind.COORDINATION_CENTRE


def covers_region(principal: Principal, region_path: Sequence[str]) -> bool:
    """A region lies in the caller's region (its path passes through the caller's region)."""
    return principal.region_code in region_path


def _field(case: Any, name: str) -> Any:
    return case.get(name) if isinstance(case, Mapping) else getattr(case, name, None)


def can_view_case(principal: Principal, case: Any) -> bool:
    """The case in full: contributed to, leads, was handed it; or a coordination centre above it.

    `case` is a Case or a mapping of its fields (see hub.cases.service.ACCESS_FIELDS).
    """
    if principal.is_coordination_centre:
        return covers_region(principal, _field(case, "region_path") or [])
    code = principal.agency_code
    return (code in (_field(case, "agencies") or []) or code == _field(case, "lead_agency_code")
            or code in (_field(case, "handed_to") or []))


def case_scope(principal: Principal) -> dict[str, Any]:
    """The filter that restricts case lists to what the caller may see (`can_view_case` as a query)."""
    if principal.is_coordination_centre:
        return {"region_path": principal.region_code}
    code = principal.agency_code
    return {"$or": [{"agencies": code}, {"lead_agency_code": code}, {"handed_to": code}]}


def can_read_restricted(principal: Principal) -> bool:
    """Stability intelligence: the stability office and coordination centres."""
    return principal.agency_kind in RESTRICTED_READERS


def visible_records(principal: Principal, records: Iterable[Any]) -> list[Any]:
    """The records of a case the caller may read."""
    if can_read_restricted(principal):
        return list(records)
    return [r for r in records if str(r.visibility) != "RESTRICTED"]


def can_look_up_persons(principal: Principal) -> bool:
    """Person look-up (the petition bureau's, on an escalated petition)."""
    return principal.agency_kind in LOOKUP_AGENCIES


def purpose_is_stated(purpose: str | None) -> bool:
    """A look-up's purpose is a sentence, not a blank."""
    return bool(purpose) and len(purpose.strip()) >= MIN_PURPOSE  # type: ignore[union-attr]


def can_ingest_as(principal: Principal, agency_code: str) -> bool:
    """Records are pushed in the caller's own agency's name only."""
    return principal.agency_code == agency_code


def can_revise_record(principal: Principal, record: Any, case: Any) -> bool:
    """A new revision of a stored record (`updateReferral`): by the agency that wrote it, in its name, on a
    case it sees, and only a record it may read."""
    return (can_ingest_as(principal, record.agency_code) and can_view_case(principal, case)
            and bool(visible_records(principal, [record])))


def can_analyse(principal: Principal, region_path: Sequence[str]) -> bool:
    """Summaries and early warnings of a region: a coordination centre at or above it."""
    return principal.is_coordination_centre and covers_region(principal, region_path)


def can_manage_meetings(principal: Principal, region_path: Sequence[str]) -> bool:
    """Schedule a meeting, set its agenda, record and close decisions."""
    return can_analyse(principal, region_path)


def can_view_meeting(principal: Principal, meeting: Any) -> bool:
    """A meeting and its brief: its region's coordination centres and its participants."""
    return can_analyse(principal, meeting.region_path) or principal.agency_code in meeting.participant_agency_codes


def can_read_audit(principal: Principal) -> bool:
    """The audit trail: coordination centres."""
    return principal.is_coordination_centre


def audit_scope(principal: Principal) -> dict[str, Any]:
    """The audit entries the caller may read: those of agencies in its region."""
    return {"region_path": principal.region_code}


def can_appoint_mediator(principal: Principal, region_path: Sequence[str]) -> bool:
    """Appoint, renew or dismiss a mediator: the justice bureau or a coordination centre over their region."""
    return principal.agency_kind in MEDIATOR_MANAGERS and covers_region(principal, region_path)


def can_record_training(principal: Principal, region_path: Sequence[str], agency_code: str) -> bool:
    """Record a mediator's training: those who may appoint them, and the mediator's own agency."""
    return can_appoint_mediator(principal, region_path) or principal.agency_code == agency_code


def sees_personal_data(principal: Principal) -> bool:
    """Clear ID numbers, credit codes, phones and addresses."""
    return Role.PII.value in principal.roles


def can_read_typical_case(principal: Principal, entry: Any) -> bool:
    """A typical case: selected ones are for every agency (training); others for the nominator and the region's centres."""
    return (str(entry.status) == "SELECTED" or entry.nominated_by == principal.agency_code
            or can_analyse(principal, entry.region_path))


def typical_case_scope(principal: Principal) -> dict[str, Any]:
    """The nominations the caller follows (`can_read_typical_case` as a query, selected ones aside): a
    coordination centre its region's, any other agency its own."""
    if principal.is_coordination_centre:
        return {"region_path": principal.region_code}
    return {"nominated_by": principal.agency_code}


def can_run_campaign(principal: Principal, region_path: Sequence[str]) -> bool:
    """Create a campaign, enrol cases, assign responsibility: a coordination centre at or above the region."""
    return can_analyse(principal, region_path)


def can_view_campaign(principal: Principal, campaign: Any) -> bool:
    """A campaign and its figures: its region's coordination centres and every agency inside its region."""
    return can_analyse(principal, campaign.region_path) or campaign.region_code in principal.region_path


def enrolment_scope(principal: Principal, campaign: Any) -> dict[str, Any] | None:
    """The enrolments of a campaign the caller lists: all for its centres; for a centre below them, its region's
    and those it answers for; for any other agency of the region, those it answers for; None: none."""
    if can_analyse(principal, campaign.region_path):
        return {}
    if campaign.region_code not in principal.region_path:
        return None
    own = {"unit_code": principal.agency_code}
    return {"$or": [{"region_path": principal.region_code}, own]} if principal.is_coordination_centre else own


def can_read_enrolment(principal: Principal, enrolment: Any, case: Any = None) -> bool:
    """One enrolment: the centres of the case's region, its responsible unit, and whoever sees its case."""
    return (can_analyse(principal, enrolment.region_path) or principal.agency_code == enrolment.unit_code
            or (case is not None and can_view_case(principal, case)))


def can_escalate(principal: Principal, enrolment: Any) -> bool:
    """Up one stage: from the unit by the unit or a centre of the case's region; from the centre, by a centre."""
    if can_analyse(principal, enrolment.region_path):
        return True
    return str(enrolment.stage) == "UNIT" and principal.agency_code == enrolment.unit_code


def can_clear(principal: Principal, enrolment: Any) -> bool:
    """消案: the responsible unit or a coordination centre of the case's region."""
    return can_analyse(principal, enrolment.region_path) or principal.agency_code == enrolment.unit_code


def can_manage_notice(principal: Principal, region_path: Sequence[str]) -> bool:
    """Draft, refresh, comment on (点评) and publish a supervision notice: a coordination centre at or above its region."""
    return can_analyse(principal, region_path)


def can_read_notice(principal: Principal, notice: Any) -> bool:
    """A notice: a draft for its region's coordination centres; a published one also for every agency
    whose own region lies within the notice's region."""
    if can_manage_notice(principal, notice.region_path):
        return True
    return str(notice.status) == "PUBLISHED" and notice.region_code in principal.region_path


def notice_scope(principal: Principal) -> dict[str, Any]:
    """`can_read_notice` as a query: a coordination centre's region's notices, and the published notices
    of the regions the caller lies in."""
    published = {"status": "PUBLISHED", "region_code": {"$in": list(principal.region_path)}}
    if principal.is_coordination_centre:
        return {"$or": [{"region_path": principal.region_code}, published]}
    return published
