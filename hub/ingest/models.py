"""The ingestion wire format: one batch from one agency's system, validated record by record.

The pydantic models here are the single source of the format: the GraphQL mutation, file
import and the demo data all go through them, and `hub ingest-schema` prints their JSON Schema.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hub.cases.models import CaseTag, Category
from hub.people import identity
from hub.records.enums import Channel, PartyKind, PartyRole, RecordKind, RiskLevel, Visibility
from hub.records.models import DETAILS_CLASSES

MAX_BATCH_SIZE = 1000
CLOCK_SKEW = timedelta(minutes=5)
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def _nfkc(value: Any) -> Any:
    """Full-width digits and letters to half-width, surrounding whitespace trimmed."""
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


Code = Annotated[str, BeforeValidator(_nfkc), StringConstraints(min_length=1, max_length=120)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
SystemName = Annotated[str, BeforeValidator(_nfkc), StringConstraints(min_length=1, max_length=120, pattern=r"^[^|]+$")]


class WireModel(BaseModel):
    """camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _identity_check(validator: Any, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        return validator(value)
    except identity.IdentityError as exc:
        raise PydanticCustomError(exc.code, exc.message) from None


class PartyIn(WireModel):
    """A party named by the record. Identity keys link the same person across agencies."""

    role: PartyRole
    kind: PartyKind = PartyKind.NATURAL
    name: Name
    id_number: str | None = Field(default=None, alias="idNumber", description="居民身份证号码 (GB 11643)")
    credit_code: str | None = Field(default=None, alias="creditCode", description="统一社会信用代码 (GB 32100)")
    phone: str | None = Field(default=None, description="mobile or landline with area code")
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str | None) -> str | None:
        return _identity_check(identity.validate_resident_id, value)

    @field_validator("credit_code")
    @classmethod
    def _valid_credit_code(cls, value: str | None) -> str | None:
        return _identity_check(identity.validate_credit_code, value)

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str | None) -> str | None:
        return _identity_check(identity.validate_phone, value)

    @model_validator(mode="after")
    def _keys_fit_kind(self) -> "PartyIn":
        if self.kind is PartyKind.NATURAL and self.credit_code:
            raise PydanticCustomError("CREDIT_CODE_ON_PERSON", "a natural person has an idNumber, not a creditCode")
        if self.kind is PartyKind.ORGANISATION and self.id_number:
            raise PydanticCustomError("ID_NUMBER_ON_ORGANISATION", "an organisation has a creditCode, not an idNumber")
        return self


class CaseIn(WireModel):
    """What a new case is opened with, when the record does not name an existing one; on a record that names
    its case too, what the record says of it (docs/provenance.md: a category or amount that disagrees with
    another agency's is a conflict, not a change)."""

    title: Text
    category: Category
    region_code: Code = Field(alias="regionCode", description="village/community or grid code")
    risk_level: RiskLevel | None = Field(default=None, alias="riskLevel")
    tags: list[CaseTag] = Field(default_factory=list)
    responsible_person: Name | None = Field(default=None, alias="responsiblePerson")
    deadline: date | None = None
    amount_in_dispute: float | None = Field(default=None, ge=0, allow_inf_nan=False, alias="amountInDispute",
                                            description="争议金额, yuan")


class SourceRefIn(WireModel):
    """Another record, by its source key; its case is this record's case."""

    source_system: SystemName | None = Field(default=None, alias="sourceSystem", description="default: this batch's")
    source_id: Code = Field(alias="sourceId")


class RecordBase(WireModel):
    """Fields every record carries."""

    source_id: Code = Field(alias="sourceId", description="unique within the source system")
    source_revision: int = Field(default=0, ge=0, alias="sourceRevision", description="higher replaces lower")
    channel: Channel | None = Field(default=None, description="default: from the agency's kind")
    occurred_at: datetime = Field(alias="occurredAt", description="ISO 8601; without offset means +08:00")
    summary: Text
    case_no: Code | None = Field(default=None, alias="caseNo")
    case_ref: SourceRefIn | None = Field(default=None, alias="caseRef")
    case: CaseIn | None = None
    parties: list[PartyIn] = Field(default_factory=list, max_length=200)
    visibility: Visibility = Visibility.NORMAL
    refs: list[SourceRefIn] = Field(default_factory=list, max_length=50)

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=CHINA_TZ)
        value = value.astimezone(timezone.utc)
        if value > datetime.now(timezone.utc) + CLOCK_SKEW:
            raise PydanticCustomError("TIMESTAMP_IN_FUTURE", "occurredAt lies in the future")
        return value

    @model_validator(mode="after")
    def _names_a_case(self) -> "RecordBase":
        if not (self.case_no or self.case_ref or self.case):
            raise PydanticCustomError(
                "CASE_LINK_REQUIRED", "a record needs caseNo, caseRef, or case (to open or match one)"
            )
        return self


def _record_model(kind: RecordKind) -> type[RecordBase]:
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{kind.title().replace('_', '')}RecordIn",
        __base__=RecordBase,
        kind=(Literal[kind.value], ...),  # type: ignore[valid-type]
        details=(DETAILS_CLASSES[kind], ...),
    )


RECORD_INPUTS: dict[RecordKind, type[RecordBase]] = {kind: _record_model(kind) for kind in RecordKind}
RecordIn = Annotated[Union[tuple(RECORD_INPUTS.values())], Field(discriminator="kind")]  # type: ignore[valid-type]
RECORD_ADAPTER: TypeAdapter[Any] = TypeAdapter(RecordIn)


class IngestBatch(WireModel):
    """One batch: records from one agency's system, written in that agency's name."""

    source_system: SystemName = Field(alias="sourceSystem", description="the sending system, e.g. PMC-LEDGER (no '|')")
    agency: Code = Field(description="code of the agency the records are written in the name of")
    records: list[RecordIn] = Field(max_length=MAX_BATCH_SIZE)  # type: ignore[valid-type]


def ingest_json_schema() -> dict[str, Any]:
    """The JSON Schema of an ingestion batch."""
    schema = IngestBatch.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Mediation Data Hub ingestion batch"
    return schema
