"""Referrals tracked to their outcome (依法引导, 诉调对接): the state rules, and a revision written for an agency.

A REFERRAL record carries its state in `details`: REFERRED → FILED (受理/立案 by the receiving body)
→ DECIDED (裁决、判决、复议决定、和解 …) with an outcome. The referring agency moves it on by sending
the same record again with a higher `sourceRevision` (hub.ingest.service runs `problems` on every
REFERRAL it stores), or, without a system of its own, through `updateReferral`, which writes the
next revision of the same record here (`revise`). The rules:

- a state never goes back (DECIDED → FILED, FILED → REFERRED …); the same state again is a
  correction (of the body, the dates, the outcome); REFERRED → DECIDED directly is allowed (a
  settlement or a body that decides at once files nothing the agency hears of);
- FILED needs `filedAt`; DECIDED needs `decidedAt` and an `outcome`; an outcome only with DECIDED,
  `filedAt` not while REFERRED, `decidedAt` only with DECIDED;
- no date before the referral (its `occurredAt`), `decidedAt` not before `filedAt` (by the day, China
  time, so that a date alone is never "before" a time on the same day), none in the future.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from hub.cases import service as case_service
from hub.errors import BadUserInput, Conflict, NotFound
from hub.records import service as record_service
from hub.records.details import ReferralDetails
from hub.records.enums import RecordKind, ReferralStatus
from hub.records.models import Record, ReferralRecord

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
ORDER = {ReferralStatus.REFERRED: 0, ReferralStatus.FILED: 1, ReferralStatus.DECIDED: 2}

Problem = tuple[str, str, str]  # (path, code, message)


def _day(instant: datetime) -> date:
    return (instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)).astimezone(CHINA_TZ).date()


def stored_status(details: Mapping[str, Any] | None) -> ReferralStatus:
    """The state of a stored referral's details (a record from before states were tracked: REFERRED)."""
    return ReferralStatus((details or {}).get("status") or ReferralStatus.REFERRED)


def problems(details: ReferralDetails, *, occurred_at: datetime, previous: ReferralStatus | None = None) -> list[Problem]:
    """What is wrong with a referral's state, given the stored revision's state (None: a new record)."""
    out: list[Problem] = []
    status = details.status
    if previous is not None and ORDER[status] < ORDER[previous]:
        out.append(("details.status", "REFERRAL_STATUS_BACKWARDS",
                    f"the referral is {previous.value} already; a revision cannot take it back to {status.value}"))
    if details.outcome is not None and status is not ReferralStatus.DECIDED:
        out.append(("details.outcome", "REFERRAL_OUTCOME_WITHOUT_DECISION",
                    "an outcome goes with status DECIDED only"))
    if status is ReferralStatus.DECIDED and details.outcome is None:
        out.append(("details.outcome", "REFERRAL_OUTCOME_REQUIRED", "a DECIDED referral needs its outcome"))
    if status is ReferralStatus.FILED and details.filed_at is None:
        out.append(("details.filedAt", "REFERRAL_FILED_AT_REQUIRED", "a FILED referral needs filedAt"))
    if status is ReferralStatus.DECIDED and details.decided_at is None:
        out.append(("details.decidedAt", "REFERRAL_DECIDED_AT_REQUIRED", "a DECIDED referral needs decidedAt"))
    if status is ReferralStatus.REFERRED and details.filed_at is not None:
        out.append(("details.filedAt", "REFERRAL_DATE_WITHOUT_STATUS", "filedAt goes with FILED or DECIDED"))
    if status is not ReferralStatus.DECIDED and details.decided_at is not None:
        out.append(("details.decidedAt", "REFERRAL_DATE_WITHOUT_STATUS", "decidedAt goes with DECIDED only"))
    referred_on = _day(occurred_at)
    for path, value in (("details.filedAt", details.filed_at), ("details.decidedAt", details.decided_at)):
        if value is not None and _day(value) < referred_on:
            out.append((path, "REFERRAL_DATE_BEFORE_REFERRAL", f"{path[8:]} lies before the referral (occurredAt)"))
    if details.filed_at and details.decided_at and _day(details.decided_at) < _day(details.filed_at):
        out.append(("details.decidedAt", "REFERRAL_DECIDED_BEFORE_FILED", "decidedAt lies before filedAt"))
    return out


def _field(path: str) -> str:
    """The input field of the mutation a record path names: `details.filedAt` -> `filedAt`."""
    return path.removeprefix("details.") or "input"


async def revise(*, record_id: str, changes: Mapping[str, Any], now: datetime | None = None) -> Record:
    """Write the next revision of a stored REFERRAL with `changes` (wire names: status, body, filedAt,
    decidedAt, outcome; absent ones keep their value), in the record's own source system, and re-derive
    its case. NOT_FOUND for no such referral; BAD_USER_INPUT (`field`, `reason` = the ingestion code)
    for an illegal state; CONFLICT when another revision landed meanwhile."""
    record = await record_service.get(record_id=record_id)
    if record is None or record.kind is not RecordKind.REFERRAL:
        raise NotFound("no referral with this id")
    assert isinstance(record, ReferralRecord)
    current = record.details.model_dump(by_alias=True)
    merged = {**current, **{k: v for k, v in changes.items() if v is not None}}
    try:
        details = ReferralDetails.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        code = err["type"] if err["type"].isupper() else f"INVALID_{err['type'].upper()}"
        name = ".".join(str(p) for p in err["loc"]) or "input"
        raise BadUserInput(f"{name}: {err['msg']}", field=name, reason=code) from None
    found = problems(details, occurred_at=record.occurred_at, previous=record.details.status)
    if found:
        path, code, message = found[0]
        raise BadUserInput(message, field=_field(path), reason=code,
                           problems=[{"field": _field(p), "reason": c} for p, c, _ in found])
    revised = record.model_copy(update={
        "details": details, "source_revision": record.source_revision + 1,
        "recorded_at": now or datetime.now(timezone.utc),
    })
    result = await Record.get_pymongo_collection().replace_one(
        {"_id": record.id, "source_revision": record.source_revision}, record_service.to_document(revised))
    if result.matched_count != 1:
        raise Conflict("the referral was revised meanwhile; read it again and retry")
    await case_service.apply_records(records=[revised])
    return revised
