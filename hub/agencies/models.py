"""Agencies: every body that handles disputes and writes records into the hub."""

from __future__ import annotations

from enum import StrEnum

from beanie import Document
from pymongo import ASCENDING, IndexModel

from hub.records.enums import Channel


class AgencyKind(StrEnum):
    """What sort of body an agency is."""

    PEOPLES_MEDIATION_COMMITTEE = "PEOPLES_MEDIATION_COMMITTEE"
    ADMINISTRATIVE_DEPARTMENT = "ADMINISTRATIVE_DEPARTMENT"
    COURT = "COURT"
    JUSTICE_BUREAU = "JUSTICE_BUREAU"
    PETITION_BUREAU = "PETITION_BUREAU"
    STABILITY_OFFICE = "STABILITY_OFFICE"
    GOVERNANCE_CENTRE = "GOVERNANCE_CENTRE"
    SOCIAL_MEDIATION_ORG = "SOCIAL_MEDIATION_ORG"
    COORDINATION_CENTRE = "COORDINATION_CENTRE"


# The channel an agency's records belong to when a record does not say.
DEFAULT_CHANNEL: dict[AgencyKind, Channel] = {
    AgencyKind.PEOPLES_MEDIATION_COMMITTEE: Channel.PEOPLES,
    AgencyKind.JUSTICE_BUREAU: Channel.PEOPLES,
    AgencyKind.ADMINISTRATIVE_DEPARTMENT: Channel.ADMINISTRATIVE,
    AgencyKind.COURT: Channel.JUDICIAL,
    AgencyKind.SOCIAL_MEDIATION_ORG: Channel.SOCIAL,
    AgencyKind.PETITION_BUREAU: Channel.PETITION,
    AgencyKind.STABILITY_OFFICE: Channel.STABILITY,
    AgencyKind.GOVERNANCE_CENTRE: Channel.PEOPLES,
    AgencyKind.COORDINATION_CENTRE: Channel.PEOPLES,
}


class Agency(Document):
    """An agency with its home region and, where it has one, its parent agency."""

    code: str
    name: str
    kind: AgencyKind
    region_code: str
    parent_code: str | None = None
    # Its systems and users may send only registered GraphQL documents (docs/trusted-documents.md); set by
    # `hub documents require`, kept when reference data is loaded again.
    trusted_documents_only: bool = False

    @property
    def default_channel(self) -> Channel:
        """The channel of this agency's records unless a record says otherwise."""
        return DEFAULT_CHANNEL[self.kind]

    class Settings:
        name = "agencies"
        indexes = [
            IndexModel([("code", ASCENDING)], unique=True),
            IndexModel([("kind", ASCENDING), ("region_code", ASCENDING)]),
            IndexModel([("region_code", ASCENDING)]),  # `agencies(region:)` without a kind
        ]
