"""Handovers as a workflow: hand a case over, accept or return it, and each agency's lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.errors import BadUserInput
from hub.handovers import service as handover_service
from hub.records.enums import HandoverDecision
from resolvers.context import Context
from schema.audit import Audited
from schema.cases import HandoverType
from schema.enums import HandoverMode, HandoverStatus
from schema.relay import from_global_id


@strawberry.input(name="HandOverInput", description="转办 / 交办 / 移送 — a case, the receiving agency, why, and by when.")
class HandOverInput:
    case_no: str = strawberry.field(description="The case's number; the caller must see the case.")
    to_agency: str = strawberry.field(description="The receiving agency's code (not the caller's own).")
    mode: HandoverMode = strawberry.field(  # type: ignore[valid-type]
        default=HandoverMode.TRANSFER, description="转办 (default), 交办 or 移送.")
    reason: str = strawberry.field(description="Why (1-4,000 characters).")
    accept_by: datetime | None = strawberry.field(
        default=None, description="By when the receiver should accept or return it; default: the configured days.")


def _handover_id(global_id: str) -> str:
    type_name, raw = from_global_id(global_id)
    return raw if type_name == "Record" else ""


def _targets(kwargs: dict[str, Any], result: Any) -> list[str]:
    if isinstance(result, HandoverType):
        return [str(result.id)]
    if isinstance(result, list):
        return [str(h.id) for h in result]
    source = kwargs.get("input")
    return [str(kwargs.get("id") or getattr(source, "case_no", ""))]


def _view(info: Info, listed: list[handover_service.Listed]) -> list[HandoverType]:
    return HandoverType.of_states(info, (item.state for item in listed))


def _one(info: Info, state: Any) -> HandoverType:
    [view] = HandoverType.of_states(info, [state])
    return view


ID_ARGUMENT = strawberry.argument(description="The handover's global ID (`Handover.id`, a Record's).")
STATUS_ARGUMENT = strawberry.argument(description="Only handovers of this status; PENDING when omitted, every "
                                                  "status when null.")


@strawberry.type
class HandoverQuery:
    @strawberry.field(description="移交待办 — handovers made to the caller's agency, latest first (at most 500).",
                      extensions=[Audited(targets=_targets)])
    async def handover_inbox(
        self, info: Info[Context, None],
        status: Annotated[HandoverStatus | None, STATUS_ARGUMENT] = HandoverStatus.PENDING,  # type: ignore[valid-type]
    ) -> list[HandoverType]:
        found = await handover_service.received(principal=info.context.principal, status=status)
        return _view(info, found)

    @strawberry.field(description="The caller's agency's own handovers, latest first (at most 500).",
                      extensions=[Audited(targets=_targets)])
    async def handovers_sent(
        self, info: Info[Context, None],
        status: Annotated[HandoverStatus | None, STATUS_ARGUMENT] = HandoverStatus.PENDING,  # type: ignore[valid-type]
    ) -> list[HandoverType]:
        found = await handover_service.sent(principal=info.context.principal, status=status)
        return _view(info, found)


@strawberry.type
class HandoverMutation:
    @strawberry.mutation(description="转办 / 交办 / 移送 — hand a case the caller sees to another agency, with a reason and "
                                     "a deadline to answer; it waits for that agency to accept or return it.",
                         extensions=[Audited(targets=_targets)])
    async def hand_over_case(
        self, info: Info[Context, None],
        input: Annotated[HandOverInput, strawberry.argument(description="The case, the receiver, why, by when.")],
    ) -> HandoverType:
        state = await handover_service.hand_over(
            principal=info.context.principal, case_no=input.case_no, to_agency=input.to_agency,
            mode=input.mode, reason=input.reason, accept_by=input.accept_by, keys=info.context.keys)
        return _one(info, state)

    @strawberry.mutation(description="接收 — the receiving agency takes the case and answers for it from now on. A "
                                     "handover answered meanwhile: CONFLICT.", extensions=[Audited(targets=_targets)])
    async def accept_handover(self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT]) -> HandoverType:
        state = await handover_service.answer(principal=info.context.principal, handover_id=_handover_id(id),
                                              decision=HandoverDecision.ACCEPTED, reason=None, keys=info.context.keys)
        return _one(info, state)

    @strawberry.mutation(description="退回 — the receiving agency sends the case back to the sender, with a reason. A "
                                     "handover answered meanwhile: CONFLICT.", extensions=[Audited(targets=_targets)])
    async def return_handover(
        self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
        reason: Annotated[str, strawberry.argument(description="Why it goes back (1-4,000 characters).")],
    ) -> HandoverType:
        if not reason.strip():
            raise BadUserInput("a returned handover says why", field="reason")
        state = await handover_service.answer(principal=info.context.principal, handover_id=_handover_id(id),
                                              decision=HandoverDecision.RETURNED, reason=reason, keys=info.context.keys)
        return _one(info, state)
