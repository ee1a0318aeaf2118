"""Kind-specific details of a record: one pydantic model per record kind.

The same models validate ingestion input and are stored inside the record document.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from hub.records.enums import (
    CaseFact,
    ClosureOutcome,
    HandoverDecision,
    HandoverMode,
    PetitionForm,
    PetitionLevel,
    ReferralOutcome,
    ReferralStatus,
    ReferralTarget,
    RiskLevel,
    ScreeningMode,
    SessionOutcome,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


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
    """移交: the case passes to another agency, which accepts it or returns it (HANDOVER_RESPONSE), by `acceptBy`.

    `accepted` / `acceptedAt`: an agency system that records the acceptance on the handover itself."""

    to_agency: ShortText = Field(alias="toAgency", description="receiving agency code")
    mode: HandoverMode = Field(default=HandoverMode.TRANSFER, description="转办, 交办 or 移送")
    reason: Text | None = None
    accept_by: datetime | None = Field(default=None, alias="acceptBy", description="answer by then")
    accepted: bool | None = None
    accepted_at: datetime | None = Field(default=None, alias="acceptedAt")


class HandoverResponseDetails(Details):
    """移交答复: the receiving agency accepts the handover (and becomes responsible) or returns it, with a reason."""

    handover_id: ShortText = Field(alias="handoverId", description="the handover record's id in the hub")
    decision: HandoverDecision
    reason: Text | None = None

    @model_validator(mode="after")
    def _returned_with_reason(self) -> "HandoverResponseDetails":
        if self.decision is HandoverDecision.RETURNED and not self.reason:
            raise PydanticCustomError("REASON_REQUIRED", "a returned handover says why (details.reason)")
        return self


class EscalationDetails(Details):
    """上报: submitted to a higher-level coordination centre or the Party committee."""

    to_agency: ShortText | None = Field(default=None, alias="toAgency")
    reason: Text | None = None


class ReferralDetails(Details):
    """引导 (依法引导、诉调对接): referred to arbitration, administrative ruling, reconsideration, litigation,
    criminal reconciliation or settlement, and tracked to its outcome: REFERRED → FILED → DECIDED.

    The state travels in new revisions of the same record (hub.ingest.referrals checks them); a record
    without `status` (the hub's older ones) is REFERRED. Times without an offset are China time.
    """

    target: ReferralTarget
    body: ShortText | None = Field(default=None, description="the receiving body: arbitration commission, court …")
    status: ReferralStatus = ReferralStatus.REFERRED
    filed_at: datetime | None = Field(default=None, alias="filedAt", description="受理/立案 by the receiving body")
    decided_at: datetime | None = Field(default=None, alias="decidedAt", description="裁决/判决/决定/和解")
    outcome: ReferralOutcome | None = Field(default=None, description="how it was decided; with DECIDED only")

    @field_validator("filed_at", "decided_at")
    @classmethod
    def _china_time_not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # as occurredAt: no offset means +08:00 (stored ones carry UTC)
            value = value.replace(tzinfo=_CHINA_TZ)
        value = value.astimezone(timezone.utc)
        if value > datetime.now(timezone.utc) + timedelta(minutes=5):
            raise PydanticCustomError("TIMESTAMP_IN_FUTURE", "the date lies in the future")
        return value


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


class DeterminationDetails(Details):
    """认定: a coordination centre settles a fact its agencies' records disagree on, with its reasons. The
    value is the fact's own: a category or risk level code, an amount in yuan, a date (YYYY-MM-DD), a name."""

    fact: CaseFact
    value: ShortText
    reason: Text

    @model_validator(mode="after")
    def _value_fits(self) -> "DeterminationDetails":
        self.value = fact_value(self.fact, self.value)
        return self


def fact_value(fact: CaseFact, value: str) -> str:
    """A fact's value as stored (a code, an amount, an ISO date, a name); a ValueError saying what it must be."""
    from hub.cases.models import Category  # hub.cases.models imports the records' models, which import this

    text = value.strip()
    if fact is CaseFact.CATEGORY:
        if text not in Category.__members__:
            raise PydanticCustomError("BAD_FACT_VALUE", "a category is one of " + ", ".join(Category.__members__))
    elif fact is CaseFact.RISK_LEVEL:
        if text not in RiskLevel.__members__:
            raise PydanticCustomError("BAD_FACT_VALUE", "a risk level is one of " + ", ".join(RiskLevel.__members__))
    elif fact is CaseFact.AMOUNT_IN_DISPUTE:
        try:
            amount = float(text)
        except ValueError:
            amount = -1.0
        if not amount >= 0 or amount == float("inf"):
            raise PydanticCustomError("BAD_FACT_VALUE", "an amount in dispute is a number of yuan, 0 or more")
        text = f"{amount:g}" if amount < 1e15 else str(amount)
    elif fact is CaseFact.DEADLINE:
        try:
            text = date.fromisoformat(text).isoformat()
        except ValueError:
            raise PydanticCustomError("BAD_FACT_VALUE", "a deadline is a date, YYYY-MM-DD") from None
    return text
