"""Who says so: the record each derived case field comes from and by which rule, and what agencies' records
disagree on (docs/provenance.md).

`derive` (hub.cases.derive) settles each field by a rule and keeps the deciding record's id beside it, in the
case's `provenance`. `conflicts` reads the same records for the facts agencies state about a case — its
category, risk level, amount in dispute, responsible person and deadline — and lists each value with the
records stating it, when the agencies' latest statements differ. A coordination centre settles one with a
DETERMINATION record (认定), which from then on decides the fact (for the risk level: until a later assessment).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic_core import PydanticCustomError

from hub.records.details import fact_value
from hub.records.enums import CaseFact, RecordKind


class CaseField(StrEnum):
    """A derived case field whose source `provenance` names."""

    STATUS = "STATUS"
    RISK_LEVEL = "RISK_LEVEL"
    CATEGORY = "CATEGORY"
    LEAD_AGENCY = "LEAD_AGENCY"
    RESPONSIBLE_PERSON = "RESPONSIBLE_PERSON"
    DEADLINE = "DEADLINE"
    AMOUNT_IN_DISPUTE = "AMOUNT_IN_DISPUTE"
    TAG = "TAG"  # one entry per tag


class Rule(StrEnum):
    """How a field's value was chosen among the records."""

    OPENING_RECORD = "OPENING_RECORD"  # stated by the record that opened the case
    LATEST_RECORD = "LATEST_RECORD"  # set by the latest record of a kind that moves it (status)
    LATEST_ASSESSMENT = "LATEST_ASSESSMENT"  # the latest stability assessment (risk level)
    HIGHEST_RISK = "HIGHEST_RISK"  # no assessment: the highest risk any record states
    LEAD_PRECEDENCE = "LEAD_PRECEDENCE"  # the first record's agency, then who accepted it or took a handover
    DETERMINATION = "DETERMINATION"  # settled by a coordination centre's determination (认定)
    DERIVED = "DERIVED"  # computed from several records (a mass dispute: the parties counted)
    DEFAULT = "DEFAULT"  # no record says it (risk level LOW)


RISK_ORDER = ("LOW", "MEDIUM", "HIGH", "MAJOR")
FACT_FIELDS = {CaseFact.CATEGORY: CaseField.CATEGORY, CaseFact.RISK_LEVEL: CaseField.RISK_LEVEL,
               CaseFact.AMOUNT_IN_DISPUTE: CaseField.AMOUNT_IN_DISPUTE,
               CaseFact.RESPONSIBLE_PERSON: CaseField.RESPONSIBLE_PERSON, CaseFact.DEADLINE: CaseField.DEADLINE}
_STATED = {CaseFact.CATEGORY: "category", CaseFact.RISK_LEVEL: "risk_level",
           CaseFact.AMOUNT_IN_DISPUTE: "amount_in_dispute", CaseFact.RESPONSIBLE_PERSON: "responsible_person",
           CaseFact.DEADLINE: "deadline"}


def source(name: CaseField, record: Mapping[str, Any] | None, rule: Rule, tag: str | None = None) -> dict[str, Any]:
    """One provenance entry, as the case stores it."""
    entry: dict[str, Any] = {"field": name.value, "record_id": record["_id"] if record else None, "rule": rule.value}
    if tag is not None:
        entry["tag"] = tag
    return entry


def _text(fact: CaseFact, value: Any) -> str | None:
    """A stated value in the form a determination's value takes (a code, an amount, an ISO date, a name)."""
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        value = value.date().isoformat() if hasattr(value, "date") else value.isoformat()
    try:
        return fact_value(fact, str(getattr(value, "value", value)))
    except PydanticCustomError:  # stored before it was checked: shown as it is
        return str(value)


def stated(record: Mapping[str, Any], fact: CaseFact) -> str | None:
    """What the record says of the fact, if anything: its `case` part, or a stability assessment's risk level."""
    if fact is CaseFact.RISK_LEVEL and record["kind"] == RecordKind.STABILITY_ASSESSMENT:
        return _text(fact, (record.get("details") or {}).get("riskLevel"))
    return _text(fact, (record.get("stated") or {}).get(_STATED[fact]))


def determinations(ordered: Sequence[Mapping[str, Any]]) -> dict[CaseFact, Mapping[str, Any]]:
    """The latest determination of each fact, from records in time order."""
    latest: dict[CaseFact, Mapping[str, Any]] = {}
    for record in ordered:
        if record["kind"] == RecordKind.DETERMINATION:
            latest[CaseFact((record.get("details") or {})["fact"])] = record
    return latest


def opening_record(case: Mapping[str, Any], ordered: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The record that opened the case (its source key is the case's origin)."""
    origin = case.get("origin_source_key")
    return next((r for r in ordered if f"{r['source_system']}:{r['source_id']}" == origin), None)


@dataclass
class FactValue:
    """One value of a fact, and the records (each agency's latest statement of the fact) that state it."""

    value: str
    records: list[Mapping[str, Any]] = field(default_factory=list)


@dataclass
class Conflict:
    """Agencies' latest statements of one fact that differ; `settled_by` is the determination made after them."""

    fact: CaseFact
    values: list[FactValue]
    settled_by: Mapping[str, Any] | None = None


def conflicts(records: Iterable[Mapping[str, Any]]) -> list[Conflict]:
    """The facts the agencies' records disagree on, in CaseFact order; each value in the order first stated."""
    ordered = sorted(records, key=lambda r: (r["occurred_at"], r["_id"]))
    decided = determinations(ordered)
    found = []
    for fact in CaseFact:
        latest: dict[str, tuple[str, Mapping[str, Any]]] = {}  # agency -> its latest statement
        for record in ordered:
            if (value := stated(record, fact)) is not None:
                latest.pop(record["agency_code"], None)
                latest[record["agency_code"]] = (value, record)
        values: dict[str, FactValue] = {}
        for value, record in sorted(latest.values(), key=lambda vr: (vr[1]["occurred_at"], vr[1]["_id"])):
            values.setdefault(value, FactValue(value)).records.append(record)
        if len(values) < 2:
            continue
        last = max(r["occurred_at"] for v in values.values() for r in v.records)
        settle = decided.get(fact)
        found.append(Conflict(fact, list(values.values()),
                              settle if settle is not None and settle["occurred_at"] >= last else None))
    return found


def highest_risk(ordered: Sequence[Mapping[str, Any]]) -> tuple[str, Mapping[str, Any]] | None:
    """The highest risk level any record's `case` part states, and the first record stating it."""
    best: tuple[str, Mapping[str, Any]] | None = None
    for record in ordered:
        level = _text(CaseFact.RISK_LEVEL, (record.get("stated") or {}).get("risk_level"))
        if level in RISK_ORDER and (best is None or RISK_ORDER.index(level) > RISK_ORDER.index(best[0])):
            best = (level, record)
    return best
