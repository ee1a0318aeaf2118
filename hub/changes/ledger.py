"""The provincial ledger: the hub's case fields mapped to the columns of 四川省大调解工作信息管理系统's
矛盾纠纷排查调处台账, by a versioned mapping file (`ledgers/sichuan-v1.toml`; docs/changes.md)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub.agencies.models import Agency
from hub.analytics import labels
from hub.cases.derive import REPORTING_TZ, as_date
from hub.errors import BadUserInput
from hub.regions.models import Region

DEFAULT_MAPPING = Path(__file__).with_name("ledgers") / "sichuan-v1.toml"


@dataclass(frozen=True)
class Names:
    """Agency and region names by code, read once per export."""

    agencies: Mapping[str, str]
    regions: Mapping[str, str]

    @classmethod
    async def load(cls) -> Names:
        agencies = {a["code"]: a["name"] for a in await Agency.get_pymongo_collection().find(
            {}, {"code": 1, "name": 1}).to_list()}
        regions = {r["code"]: r["name"] for r in await Region.get_pymongo_collection().find(
            {}, {"code": 1, "name": 1}).to_list()}
        return cls(agencies, regions)

    def agency(self, code: str | None) -> str | None:
        return self.agencies.get(code, code) if code else None

    def region(self, code: str | None) -> str | None:
        return self.regions.get(code, code) if code else None

    def township(self, case: Mapping[str, Any]) -> str | None:
        return self.region(case.get("township_code"))


def _party_names(case: Mapping[str, Any], names: Names) -> list[str]:
    return [p["name"] for p in case.get("parties") or []]


def _parties(case: Mapping[str, Any], names: Names) -> list[str]:
    return [f"{p['name']}({labels.PARTY_ROLE.get(p['role'], p['role'])})" for p in case.get("parties") or []]


def _plain(name: str) -> Callable[[Mapping[str, Any], Names], Any]:
    return lambda case, names: case.get(name)


# The hub fields a column may be filled from: each from a case document as stored, and the names above.
FIELDS: dict[str, Callable[[Mapping[str, Any], Names], Any]] = {
    **{name: _plain(name) for name in (
        "case_no", "title", "category", "status", "outcome", "risk_level", "tags", "opened_at", "last_activity_at",
        "resolved_at", "closed_at", "party_count", "lead_agency_code", "region_code", "responsible_person",
        "deadline", "record_count", "revision", "petition_count", "escalated_petition_count", "referral_target",
        "referral_status", "referral_outcome")},
    "party_names": _party_names,
    "parties": _parties,
    "lead_agency": lambda case, names: names.agency(case.get("lead_agency_code")),
    "agencies": lambda case, names: [names.agency(a) for a in case.get("agencies") or []],
    "region": lambda case, names: names.region(case.get("region_code")),
    "township": lambda case, names: names.township(case),
}
LABELS: dict[str, Mapping[str, str]] = {
    "category": labels.CATEGORY, "status": labels.STATUS, "outcome": labels.CLOSURE_OUTCOME,
    "risk_level": labels.RISK_LEVEL, "tags": labels.CASE_TAG, "referral_target": labels.REFERRAL_TARGET,
    "referral_status": labels.REFERRAL_STATUS, "referral_outcome": labels.REFERRAL_OUTCOME,
}


class LedgerColumn(BaseModel):
    """One column of the ledger."""

    model_config = ConfigDict(extra="forbid")

    header: str = Field(min_length=1)
    field: str
    label: bool = False
    format: Literal["date", "datetime"] | None = None
    join: str | None = None
    width: float = Field(default=14, gt=0, le=255)

    @model_validator(mode="after")
    def _known(self) -> LedgerColumn:
        if self.field not in FIELDS:
            raise ValueError(f"unknown field {self.field!r}; the fields are: {', '.join(sorted(FIELDS))}")
        if self.label and self.field not in LABELS:
            raise ValueError(f"{self.field!r} has no labels; these do: {', '.join(sorted(LABELS))}")
        return self

    def value(self, case: Mapping[str, Any], names: Names) -> Any:
        """The cell: a date, a date-time on the district's clock (without zone, as Excel holds it), a number
        or text; None when the case has no value."""
        value = FIELDS[self.field](case, names)
        many = isinstance(value, list)
        items = value if many else [value]
        if self.label:
            table = LABELS[self.field]
            items = [table.get(v, v) if v is not None else None for v in items]
        items = [_formatted(v, self.format) for v in items]
        if not many:
            return items[0]
        return (self.join if self.join is not None else "、").join(str(v) for v in items if v is not None)


def _formatted(value: Any, form: str | None) -> Any:
    if isinstance(value, datetime):
        local = value.astimezone(REPORTING_TZ).replace(tzinfo=None)
        return local.date() if form == "date" else local.replace(microsecond=0)
    if isinstance(value, date) and form == "date":
        return as_date(value)
    return value


class LedgerMapping(BaseModel):
    """A mapping file: its name and version, the sheet's title, the columns in order."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    sheet: str = Field(min_length=1, max_length=31)  # Excel's limit on a sheet's title
    columns: list[LedgerColumn] = Field(min_length=1)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def row(self, case: Mapping[str, Any], names: Names) -> list[Any]:
        return [c.value(case, names) for c in self.columns]

    def record(self, case: Mapping[str, Any], names: Names) -> dict[str, Any]:
        """The row as header -> value (the `ledger` of a JSON Lines entry)."""
        return dict(zip(self.headers, self.row(case, names)))



def load(path: Path | None = None) -> LedgerMapping:
    """The mapping in `path` (the shipped Sichuan one by default); BAD_USER_INPUT saying what is wrong in it."""
    source = path or DEFAULT_MAPPING
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadUserInput(f"cannot read the mapping {source}: {exc.strerror}", field="mapping") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadUserInput(f"the mapping {source} is not valid TOML: {exc}", field="mapping") from None
    try:
        return LedgerMapping.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors())
        raise BadUserInput(f"the mapping {source} is not right: {problems}", field="mapping") from None

