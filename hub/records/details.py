"""Kind-specific details of a record: one pydantic model per record kind.

The same models validate ingestion input and are stored inside the record document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.records.enums import (
    ClosureOutcome,
    PetitionForm,
    PetitionLevel,
    ReferralTarget,
    RiskLevel,
    ScreeningMode,
    SessionOutcome,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Details(BaseModel):
    """Base of every details model: unknown fields are errors, names are camelCase on the wire."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=None)


class ScreeningDetails(Details):
    """排查: how the dispute was found."""

    screening_mode: ScreeningMode = Field(alias="screeningMode")
    found_by: ShortText | None = Field(default=None, alias="foundBy", description="e.g. the grid worker")


class IntakeDetails(Details):
    """受理: the agency accepted the dispute."""

    accepted: bool = True
    reason: Text | None = None


class MediationSessionDetails(Details):
    """调解: one mediation session."""

    mediators: list[ShortText] = Field(default_factory=list)
    outcome: SessionOutcome = SessionOutcome.CONTINUING
    location: ShortText | None = None


class AgreementDetails(Details):
    """调解协议: the agreement reached."""

    agreement_no: ShortText | None = Field(default=None, alias="agreementNo")
    terms: Text
    amount: float | None = Field(default=None, ge=0, description="money involved, yuan")
    performed: bool | None = None


class JudicialConfirmationDetails(Details):
    """司法确认: a court confirmed (or refused) an agreement."""

    court_ruling_no: ShortText | None = Field(default=None, alias="courtRulingNo")
    confirmed: bool = True


class HandoverDetails(Details):
    """移交: the case passes to another agency, which may accept it."""

    to_agency: ShortText = Field(alias="toAgency", description="receiving agency code")
    reason: Text | None = None
    accepted: bool | None = None
    accepted_at: datetime | None = Field(default=None, alias="acceptedAt")


class EscalationDetails(Details):
    """上报: submitted to a higher-level coordination centre or the Party committee."""

    to_agency: ShortText | None = Field(default=None, alias="toAgency")
    reason: Text | None = None


class ReferralDetails(Details):
    """引导: referred to arbitration, administrative ruling, reconsideration or litigation."""

    target: ReferralTarget
    body: ShortText | None = Field(default=None, description="the arbitration commission, court …")


class PetitionDetails(Details):
    """信访件: a petition about the dispute."""

    petition_no: ShortText | None = Field(default=None, alias="petitionNo")
    form: PetitionForm = PetitionForm.VISIT
    level_reached: PetitionLevel = Field(default=PetitionLevel.DISTRICT, alias="levelReached")
    escalated: bool = Field(default=False, description="越级: skipped a level")
    participants: int = Field(default=1, ge=1)


class StabilityAssessmentDetails(Details):
    """风险评估: the stability risk of the dispute."""

    risk_level: RiskLevel = Field(alias="riskLevel")
    factors: list[ShortText] = Field(default_factory=list)


class StabilityPlanDetails(Details):
    """稳控方案: responsible unit, responsible person and measures."""

    responsible_unit: ShortText = Field(alias="responsibleUnit")
    responsible_person: ShortText = Field(alias="responsiblePerson")
    measures: list[Text] = Field(min_length=1)
    review_date: date | None = Field(default=None, alias="reviewDate")


class FollowUpDetails(Details):
    """回访: a follow-up visit."""

    satisfied: bool | None = None
    agreement_performed: bool | None = Field(default=None, alias="agreementPerformed")


class ClosureDetails(Details):
    """结案: the case is closed."""

    outcome: ClosureOutcome
    reason: Text | None = None
