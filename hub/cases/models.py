"""Cases: the unifying dispute (矛盾纠纷), its summary derived from its records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from hub.records.enums import (
    Channel, ClosureOutcome, PartyRole, ReferralOutcome, ReferralStatus, ReferralTarget, RiskLevel,
)
from hub.records.models import Record, typed_record


class Category(StrEnum):
    """纠纷类型."""

    LAND_ACQUISITION = "LAND_ACQUISITION"
    LABOUR = "LABOUR"
    ENVIRONMENT = "ENVIRONMENT"
    MEDICAL = "MEDICAL"
    TRAFFIC_ACCIDENT = "TRAFFIC_ACCIDENT"
    PRIVATE_LENDING = "PRIVATE_LENDING"
    PROPERTY_MANAGEMENT = "PROPERTY_MANAGEMENT"
    INTELLECTUAL_PROPERTY = "INTELLECTUAL_PROPERTY"
    FOOD_DRUG_SAFETY = "FOOD_DRUG_SAFETY"
    NEIGHBOUR = "NEIGHBOUR"
    MARRIAGE_FAMILY = "MARRIAGE_FAMILY"
    CONTRACT = "CONTRACT"
    MILITARY_RELATED = "MILITARY_RELATED"
    ENTERPRISE_RESTRUCTURING = "ENTERPRISE_RESTRUCTURING"
    OTHER = "OTHER"


class CaseStatus(StrEnum):
    """Where the dispute stands."""

    SCREENED = "SCREENED"
    ACCEPTED = "ACCEPTED"
    IN_MEDIATION = "IN_MEDIATION"
    RESOLVED = "RESOLVED"
    FAILED = "FAILED"
    REFERRED = "REFERRED"
    CLOSED = "CLOSED"


OPEN_STATUSES = frozenset({CaseStatus.SCREENED, CaseStatus.ACCEPTED, CaseStatus.IN_MEDIATION})


class CaseTag(StrEnum):
    """积案 / 老案 / 难案, mass dispute, escalated, typical case, campaign."""

    BACKLOG = "BACKLOG"
    OLD = "OLD"
    DIFFICULT = "DIFFICULT"
    MASS = "MASS"
    ESCALATED = "ESCALATED"
    TYPICAL = "TYPICAL"
    CAMPAIGN = "CAMPAIGN"


class CaseParty(BaseModel):
    """A party to the case and their role."""

    person_id: str
    role: PartyRole
    name: str


class Case(Document):
    """A dispute. Everything below `revision` is derived from the case's records."""

    case_no: str
    title: str
    category: Category
    region_code: str
    region_path: list[str]
    township_code: str | None = None
    origin_source_key: str
    opened_at: datetime
    declared_tags: list[CaseTag] = Field(default_factory=list)
    declared_risk_level: RiskLevel | None = None
    responsible_person: str | None = None  # derived too (hub.cases.provenance): opened with, or determined
    deadline: date | None = None  # likewise
    amount_in_dispute: float | None = None  # likewise: 争议金额, yuan
    revision: int = 0
    file_version: int = 0  # the version of the case file its derived fields were derived from

    # Derived from records (see hub.cases.derive).
    parties: list[CaseParty] = Field(default_factory=list)
    party_ids: list[str] = Field(default_factory=list)
    status: CaseStatus = CaseStatus.SCREENED
    risk_level: RiskLevel = RiskLevel.LOW
    tags: list[CaseTag] = Field(default_factory=list)
    lead_agency_code: str | None = None
    agencies: list[str] = Field(default_factory=list)
    handed_to: list[str] = Field(default_factory=list)  # agencies it was handed or escalated to
    channels: list[Channel] = Field(default_factory=list)
    record_count: int = 0
    last_activity_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: ClosureOutcome | None = None
    referral_target: ReferralTarget | None = None
    referral_status: ReferralStatus | None = None  # the latest referral's state (REFERRED → FILED → DECIDED)
    referral_outcome: ReferralOutcome | None = None  # and its outcome, once DECIDED
    petition_count: int = 0
    escalated_petition_count: int = 0
    screened: bool = False
    accepted: bool = False
    has_stability_plan: bool = False
    stability_plan_review_date: date | None = None
    pending_handovers: int = 0
    unaccepted_handover_count: int = 0
    returned_handover_count: int = 0
    # For analysis (hub.analytics): group keys no store has to compute.
    opened_month: str | None = None
    resolution_days: int | None = None
    party_count: int = 0
    agency_kinds: list[str] = Field(default_factory=list)
    # Where each derived field comes from (hub.cases.provenance): {field, record_id, rule[, tag]}.
    provenance: list[dict[str, Any]] = Field(default_factory=list)

    class Settings:
        name = "cases"
        indexes = [
            IndexModel([("case_no", ASCENDING)], unique=True),
            IndexModel([("origin_source_key", ASCENDING)], unique=True),
            IndexModel(
                [("region_code", ASCENDING), ("status", ASCENDING), ("category", ASCENDING), ("opened_at", ASCENDING)]
            ),
            # Case lists by region (the coordination centres'), one index per order, keyset tie-breaker
            # included, so a page reads its rows in index order (`cases`, OPENED_AT_* / LAST_ACTIVITY_DESC /
            # CASE_NO_ASC); the first also bounds summaries and early warnings (region path, opening time).
            IndexModel([("region_path", ASCENDING), ("opened_at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("region_path", ASCENDING), ("last_activity_at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("region_path", ASCENDING), ("case_no", ASCENDING), ("_id", ASCENDING)]),
            IndexModel([("party_ids", ASCENDING)]),
            # Case lists filtered by agency, one per order as above (for an agency that is no centre the
            # region path is not in the filter); with the next two they also bound an agency's own cases
            # (hub.auth.policy.case_scope, an `$or` of agencies / lead agency / handed to).
            IndexModel([("agencies", ASCENDING), ("opened_at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("agencies", ASCENDING), ("last_activity_at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("agencies", ASCENDING), ("case_no", ASCENDING), ("_id", ASCENDING)]),
            # Cases handed to an agency, latest activity first (its 移交待办, `handoverInbox`).
            IndexModel([("handed_to", ASCENDING), ("last_activity_at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("lead_agency_code", ASCENDING)]),
            IndexModel([("last_activity_at", DESCENDING)]),
            IndexModel([("region_path", ASCENDING), ("status", ASCENDING), ("last_activity_at", ASCENDING)]),
        ]


class CaseFile(Document):
    """A case's records as stored, in time order, under the case's own `_id`.

    Kept apart from `Case` so that lists, searches and aggregations over cases read slim
    documents, while one case's timeline is a single `_id` look-up (the records collection,
    keyed by source, would need a scan or a secondary index by case for it). Written whole, by a
    compare-and-swap on `version`, so that two batches adding records to one case at once both land.
    """

    id: PydanticObjectId | None = None  # type: ignore[assignment]  # the case's _id
    records: list[dict[str, Any]] = Field(default_factory=list)
    record_count: int = 0
    version: int = 0

    def timeline(self) -> list[Record]:
        """The case's records in time order, typed by kind."""
        return [typed_record(doc) for doc in self.records]

    class Settings:
        name = "case_files"


def file_contents(records: list[dict[str, Any]], *, version: int) -> dict[str, Any]:
    """The stored form of a case file holding these records (in time order), at this version."""
    return {"records": records, "record_count": len(records), "version": version}


class CaseNumber(Document):
    """Case number -> case, by `_id`: what a number is looked up by, and what keeps numbers unique."""

    id: str | None = None  # type: ignore[assignment]  # the case number
    case_id: PydanticObjectId

    class Settings:
        name = "case_numbers"


class CaseCounter(Document):
    """Allocates case numbers per year: ``JF<year><6-digit sequence>``."""

    name: str
    value: int = 0

    class Settings:
        name = "counters"
        indexes = [IndexModel([("name", ASCENDING)], unique=True)]
