"""Enumerations shared by records and the cases derived from them."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """The mediation channel (调解渠道) a record belongs to."""

    PEOPLES = "PEOPLES"
    ADMINISTRATIVE = "ADMINISTRATIVE"
    JUDICIAL = "JUDICIAL"
    SOCIAL = "SOCIAL"
    PETITION = "PETITION"
    STABILITY = "STABILITY"


class RecordKind(StrEnum):
    """What fact a record states."""

    SCREENING = "SCREENING"
    INTAKE = "INTAKE"
    MEDIATION_SESSION = "MEDIATION_SESSION"
    AGREEMENT = "AGREEMENT"
    JUDICIAL_CONFIRMATION = "JUDICIAL_CONFIRMATION"
    HANDOVER = "HANDOVER"
    HANDOVER_RESPONSE = "HANDOVER_RESPONSE"
    ESCALATION = "ESCALATION"
    REFERRAL = "REFERRAL"
    PETITION = "PETITION"
    STABILITY_ASSESSMENT = "STABILITY_ASSESSMENT"
    STABILITY_PLAN = "STABILITY_PLAN"
    FOLLOW_UP = "FOLLOW_UP"
    CLOSURE = "CLOSURE"
    DETERMINATION = "DETERMINATION"  # a coordination centre settles what agencies' records disagree on


class CaseFact(StrEnum):
    """What agencies' records state about a case and may disagree on (hub.cases.provenance)."""

    CATEGORY = "CATEGORY"
    RISK_LEVEL = "RISK_LEVEL"
    AMOUNT_IN_DISPUTE = "AMOUNT_IN_DISPUTE"
    RESPONSIBLE_PERSON = "RESPONSIBLE_PERSON"
    DEADLINE = "DEADLINE"


class Visibility(StrEnum):
    """Who may read a record: everyone on the case, or stability intelligence only."""

    NORMAL = "NORMAL"
    RESTRICTED = "RESTRICTED"


class ScreeningMode(StrEnum):
    """排查方式: rolling, centralised or special screening."""

    ROLLING = "ROLLING"
    CENTRALISED = "CENTRALISED"
    SPECIAL = "SPECIAL"


class SessionOutcome(StrEnum):
    """How a mediation session ended."""

    CONTINUING = "CONTINUING"
    AGREED = "AGREED"
    FAILED = "FAILED"


class HandoverMode(StrEnum):
    """How a case is passed on: 转办 (to the agency in charge), 交办 (assigned down, to be done), 移送 (by law)."""

    TRANSFER = "TRANSFER"
    ASSIGN = "ASSIGN"
    REFER = "REFER"


class HandoverDecision(StrEnum):
    """The receiver's answer to a handover: it takes the case, or sends it back."""

    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"


class HandoverStatus(StrEnum):
    """Where a handover stands (derived from the case's records)."""

    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"


class ReferralTarget(StrEnum):
    """Where a dispute is referred when mediation is not the way."""

    ARBITRATION = "ARBITRATION"
    ADMINISTRATIVE_RULING = "ADMINISTRATIVE_RULING"
    ADMINISTRATIVE_RECONSIDERATION = "ADMINISTRATIVE_RECONSIDERATION"
    LITIGATION = "LITIGATION"
    CRIMINAL_RECONCILIATION = "CRIMINAL_RECONCILIATION"
    SETTLEMENT = "SETTLEMENT"


class ReferralStatus(StrEnum):
    """Where a referral stands at the receiving body, in order: referred, filed (受理/立案), decided."""

    REFERRED = "REFERRED"
    FILED = "FILED"
    DECIDED = "DECIDED"


class ReferralOutcome(StrEnum):
    """How the receiving body decided a referral (裁决、判决、复议决定、和解 …)."""

    UPHELD = "UPHELD"
    PARTLY_UPHELD = "PARTLY_UPHELD"
    DISMISSED = "DISMISSED"
    SETTLED = "SETTLED"
    WITHDRAWN = "WITHDRAWN"


class PetitionLevel(StrEnum):
    """The highest level a petition reached (越级: above the township/district)."""

    TOWNSHIP = "TOWNSHIP"
    DISTRICT = "DISTRICT"
    CITY = "CITY"
    PROVINCE = "PROVINCE"
    BEIJING = "BEIJING"


class PetitionForm(StrEnum):
    """How the petition arrived."""

    LETTER = "LETTER"
    VISIT = "VISIT"
    ONLINE = "ONLINE"
    PHONE = "PHONE"


class RiskLevel(StrEnum):
    """Stability risk level (风险等级), lowest first."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    MAJOR = "MAJOR"


class ClosureOutcome(StrEnum):
    """How a case was closed."""

    RESOLVED = "RESOLVED"
    FAILED = "FAILED"
    REFERRED = "REFERRED"
    WITHDRAWN = "WITHDRAWN"


class PartyRole(StrEnum):
    """A party's role in a dispute or record."""

    APPLICANT = "APPLICANT"
    RESPONDENT = "RESPONDENT"
    PETITIONER = "PETITIONER"
    THIRD_PARTY = "THIRD_PARTY"


class PartyKind(StrEnum):
    """A natural person or an organisation."""

    NATURAL = "NATURAL"
    ORGANISATION = "ORGANISATION"
