"""Handovers as a workflow (无缝对接): hand a case over, accept it or return it, and the agencies' lists.

Every step is a record, written through ingestion in the acting agency's name like any agency system's
(so it is on the case's timeline, derived into the case, and audited by the mutation that asks for it):
a HANDOVER from the sender, then one HANDOVER_RESPONSE from the receiver. The hub's own answers share one
record key per handover (`HUB-HANDOVERS`, `answer-<handover id>`, a source system no agency may send), so of
two answers sent at once exactly one is stored; the other finds it stored and gets CONFLICT. A settled case
(resolved or closed) is neither handed over nor answered here. Agencies' own systems may send the same records
(hub/cases/derive.py `handover_states` reads them all alike).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any

from hub.auth import policy
from hub.auth.policy import Principal
from hub.cases import service as case_service
from hub.cases.derive import HandoverState, handover_states
from hub.cases.models import Case, CaseStatus
from hub.errors import BadUserInput, Conflict, Forbidden, NotFound
from hub.ingest import service as ingest_service
from hub.ingest.service import RecordStatus
from hub.keys.ring import KeyRing
from hub.records import service as record_service
from hub.records.enums import HandoverDecision, HandoverMode, HandoverStatus, RecordKind
from hub.store.service import READ_BATCH_SIZE

SOURCE_SYSTEM = "HUB-CONSOLE"  # the hub's own records, as the console's screening form writes them
# The answers' source system: reserved (`ingestRecords` refuses it), so no agency can take a handover's answer key.
ANSWER_SYSTEM = "HUB-HANDOVERS"
SETTLED = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
MAX_LISTED = 500
MODE_WORDS = {HandoverMode.TRANSFER: "转办", HandoverMode.ASSIGN: "交办", HandoverMode.REFER: "移送"}


@dataclass(frozen=True)
class Listed:
    """A handover and the case it is on."""

    state: HandoverState
    case: Case


async def _ingest(*, principal: Principal, record: dict[str, Any], keys: KeyRing,
                  system: str = SOURCE_SYSTEM) -> Any:
    outcome = await ingest_service.ingest(
        batch={"sourceSystem": system, "agency": principal.agency_code, "records": [record]}, keys=keys,
        may_join=partial(policy.can_view_case, principal))
    return outcome.results[0]


def _refused(result: Any) -> None:
    if result.errors:
        first = result.errors[0]
        raise BadUserInput(first.message, field=first.path or "input", reason=first.code)


async def _state(case_id: Any, handover_id: str) -> HandoverState | None:
    files = await case_service.get_files(ids=[case_id])
    found = files.get(case_id)
    return next((s for s in handover_states(found.records if found else []) if s.record["_id"] == handover_id), None)


async def hand_over(
    *, principal: Principal, case_no: str, to_agency: str, mode: HandoverMode, reason: str,
    accept_by: datetime | None, keys: KeyRing, now: datetime | None = None,
) -> HandoverState:
    """转办 / 交办 / 移送: pass a case the caller may see to another agency, with a reason and a deadline to answer."""
    now = now or datetime.now(timezone.utc)
    reason = reason.strip()
    if not reason:
        raise BadUserInput("a handover says why", field="reason")
    if to_agency == principal.agency_code:
        raise BadUserInput("a case is handed to another agency", field="toAgency")
    if accept_by is not None and accept_by.astimezone(timezone.utc) <= now:
        raise BadUserInput("the deadline to answer lies in the future", field="acceptBy")
    case = await case_service.get_by_case_no_or_raise(case_no=case_no)
    if not policy.can_view_case(principal, case):
        raise NotFound(f"no case numbered {case_no!r}")  # as ingestion says to an agency with no part in it
    if case.status in SETTLED:
        raise BadUserInput(f"the case is {case.status.value.lower()}; a settled case is not handed over",
                           field="caseNo", reason="CASE_SETTLED")
    files = await case_service.get_files(ids=[case.id])  # type: ignore[list-item]
    records = files[case.id].records if case.id in files else []
    if any(s.status is HandoverStatus.PENDING and s.receiver == to_agency for s in handover_states(records)):
        raise BadUserInput("the case already waits for that agency's answer", field="toAgency",
                           reason="HANDOVER_PENDING")
    details: dict[str, Any] = {"toAgency": to_agency, "mode": mode.value, "reason": reason}
    if accept_by is not None:
        details["acceptBy"] = accept_by.isoformat()
    result = await _ingest(principal=principal, keys=keys, record={
        "sourceId": f"handover-{uuid.uuid4().hex}", "kind": RecordKind.HANDOVER.value, "occurredAt": now.isoformat(),
        "summary": f"{MODE_WORDS[mode]}:{reason}", "caseNo": case_no, "details": details})
    _refused(result)
    state = await _state(case.id, result.record_id)
    assert state is not None
    return state


async def answer(
    *, principal: Principal, handover_id: str, decision: HandoverDecision, reason: str | None,
    keys: KeyRing, now: datetime | None = None,
) -> HandoverState:
    """Accept (the caller answers for the case from now on) or return (to the sender, with a reason) a handover
    made to the caller's agency. Of two answers at once, one wins; the other gets CONFLICT."""
    now = now or datetime.now(timezone.utc)
    record = await record_service.get(record_id=handover_id)
    case = await case_service.get(case_id=record.case_id) if record is not None else None
    if record is None or record.kind is not RecordKind.HANDOVER or case is None or not policy.can_view_case(principal, case):
        raise NotFound(f"no handover with id {handover_id!r}")  # the same to an agency that may not see the case
    if record.details.to_agency != principal.agency_code:  # type: ignore[attr-defined]
        raise Forbidden("only the agency a case was handed to accepts or returns it")
    if case.status in SETTLED:
        raise BadUserInput(f"the case is {case.status.value.lower()}; its handovers are settled with it",
                           field="id", reason="CASE_SETTLED")
    state = await _state(record.case_id, handover_id)
    if state is None or state.status is not HandoverStatus.PENDING:
        raise BadUserInput(f"the handover was already {state.status.value.lower() if state else 'answered'}",
                           field="id", reason="HANDOVER_ALREADY_ANSWERED")
    reason = (reason or "").strip() or None
    details: dict[str, Any] = {"handoverId": handover_id, "decision": decision.value}
    if reason:
        details["reason"] = reason
    words = "接收移交" if decision is HandoverDecision.ACCEPTED else f"退回移交:{reason or ''}"
    result = await _ingest(principal=principal, keys=keys, system=ANSWER_SYSTEM, record={
        "sourceId": f"answer-{handover_id}", "kind": RecordKind.HANDOVER_RESPONSE.value,
        "occurredAt": max(now, record.occurred_at).isoformat(), "summary": words, "caseNo": record.case_no,
        "details": details})
    if result.status is RecordStatus.UNCHANGED or any(e.code == "HANDOVER_ALREADY_ANSWERED" for e in result.errors):
        raise Conflict("the handover was answered by someone else meanwhile; read it again")
    _refused(result)
    answered = await _state(record.case_id, handover_id)
    assert answered is not None
    return answered


async def _listed(query: Mapping[str, Any], keep: Any, principal: Principal) -> list[Listed]:
    query = {**query, "status": {"$nin": sorted(s.value for s in SETTLED)}}
    cursor = Case.get_pymongo_collection().find(dict(query), batch_size=READ_BATCH_SIZE).sort(
        [("last_activity_at", -1), ("_id", -1)])
    cases = {d["_id"]: Case.model_validate(d) for d in await cursor.limit(MAX_LISTED).to_list()}
    files = await case_service.get_files(ids=list(cases))
    readable = policy.can_read_restricted(principal)
    found = [Listed(state=s, case=cases[case_id]) for case_id, f in files.items()
             for s in handover_states(f.records)
             if keep(s) and (readable or s.record.get("visibility") != "RESTRICTED")]
    return sorted(found, key=lambda item: item.state.record["occurred_at"], reverse=True)[:MAX_LISTED]


async def received(*, principal: Principal, status: HandoverStatus | None = HandoverStatus.PENDING) -> list[Listed]:
    """移交待办: handovers made to the agency (of a status) on cases not settled, latest first (at most 500)."""
    agency_code = principal.agency_code
    query: dict[str, Any] = {"handed_to": agency_code}
    if status is HandoverStatus.PENDING:
        query["pending_handovers"] = {"$gt": 0}
    return await _listed(query, lambda s: s.receiver == agency_code and (status is None or s.status is status),
                         principal)


async def sent(*, principal: Principal, status: HandoverStatus | None = HandoverStatus.PENDING) -> list[Listed]:
    """The agency's own handovers (of a status) on cases not settled, latest first (at most 500)."""
    agency_code = principal.agency_code
    query: dict[str, Any] = {"agencies": agency_code}
    if status is HandoverStatus.PENDING:
        query["pending_handovers"] = {"$gt": 0}
    return await _listed(query, lambda s: s.sender == agency_code and (status is None or s.status is status),
                         principal)
