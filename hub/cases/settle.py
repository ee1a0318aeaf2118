"""认定: a coordination centre settles a fact its agencies' records disagree on (docs/provenance.md).

The decision is a DETERMINATION record, written through ingestion in the centre's name like every other
record, so it is on the case's timeline, in the change log and the audit trail, and the case's field follows
it (hub.cases.derive)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from functools import partial

from pydantic_core import PydanticCustomError

from hub.analytics import labels
from hub.auth import policy
from hub.auth.policy import Principal
from hub.cases import service as case_service
from hub.cases.models import Case
from hub.errors import BadUserInput, Forbidden, NotFound
from hub.handovers.service import SOURCE_SYSTEM
from hub.ingest import service as ingest_service
from hub.keys.ring import KeyRing
from hub.records.details import fact_value
from hub.records.enums import CaseFact, RecordKind


async def settle(*, principal: Principal, case_no: str, fact: CaseFact, value: str, reason: str, keys: KeyRing,
                 now: datetime | None = None) -> Case:
    """Record the centre's determination of `fact` on the case; the case as it stands after it."""
    reason = reason.strip()
    if not reason:
        raise BadUserInput("a determination gives its reasons", field="reason")
    try:
        value = fact_value(fact, value)
    except PydanticCustomError as exc:
        raise BadUserInput(exc.message(), field="value", reason="BAD_FACT_VALUE") from None
    case = await case_service.get_by_case_no_or_raise(case_no=case_no)
    if not policy.can_view_case(principal, case):
        raise NotFound(f"no case numbered {case_no!r}")
    if not policy.can_analyse(principal, case.region_path):
        raise Forbidden("only a coordination centre over the case's region settles what its agencies disagree on")
    now = now or datetime.now(timezone.utc)
    outcome = await ingest_service.ingest(
        batch={"sourceSystem": SOURCE_SYSTEM, "agency": principal.agency_code, "records": [{
            "sourceId": f"determination-{uuid.uuid4().hex}", "kind": RecordKind.DETERMINATION.value,
            "occurredAt": now.isoformat(), "caseNo": case_no,
            "summary": f"认定{labels.CASE_FACT[fact]}:{value}(理由:{reason})"[:4000],
            "details": {"fact": fact.value, "value": value, "reason": reason}}]},
        keys=keys, may_join=partial(policy.can_view_case, principal))
    result = outcome.results[0]
    if result.errors:
        first = result.errors[0]
        raise BadUserInput(first.message, field=first.path or "input", reason=first.code)
    return await case_service.get_by_case_no_or_raise(case_no=case_no)
