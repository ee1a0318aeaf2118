"""`updateReferral`: a referral moved on (filed, decided) by the agency that wrote it, without a system of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.errors import BadUserInput
from hub.ingest import referrals as referral_service
from resolvers.context import Context
from schema.audit import Audited
from schema.enums import ReferralOutcome, ReferralStatus
from schema.permissions import PolicyPermission
from schema.records import ReferralRecordType, record_from_model
from schema.relay import from_global_id


def _record_key(global_id: str) -> str:
    """The record id (`sourceSystem|sourceId`) inside a Record's global ID."""
    type_name, raw = from_global_id(global_id)
    if type_name != "Record":
        raise BadUserInput(f"expected an ID of a Record, got one of a {type_name}", field="recordId")
    return raw


async def _record_and_case(info: Info, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """The record `recordId` names and its case (None, None when there is no such record)."""
    record = await info.context.record(_record_key(kwargs["record_id"]))
    if record is None:
        return None, None
    found = await info.context.loaders.case_by_id.load(record.case_id)
    return record, found.model if found is not None else None


class CanSeeRecordCase(PolicyPermission):
    """The record's case is one the caller sees (an unknown record: the resolver says NOT_FOUND)."""

    message = "your agency has no part in this case"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs.get("record_id"))]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        record, case = await _record_and_case(info, kwargs)
        return record is None or (case is not None and policy.can_view_case(principal, case))


class CanReviseReferral(PolicyPermission):
    """A referral's next revision: the agency that wrote it (policy.can_revise_record)."""

    message = "only the agency that wrote a referral updates it"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs.get("record_id"))]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        record, case = await _record_and_case(info, kwargs)
        return record is None or policy.can_revise_record(principal, record, case)


@strawberry.input(name="UpdateReferralInput", description="The referral's new state; fields left out keep their value.")
class UpdateReferralInput:
    status: ReferralStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="REFERRED → FILED → DECIDED; never back. REFERRED → DECIDED directly is allowed.")
    body: str | None = strawberry.field(default=None, description="The receiving body (arbitration commission, court …).")
    filed_at: datetime | None = strawberry.field(
        default=None, description="When the body filed it (受理/立案); required for FILED. No offset: China time.")
    decided_at: datetime | None = strawberry.field(
        default=None, description="When it was decided; required for DECIDED, not before filedAt, not in the future.")
    outcome: ReferralOutcome | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="How it was decided; required with DECIDED, refused without.")

    def changes(self) -> dict[str, Any]:
        """The given fields, by their wire names."""
        values = {"status": self.status, "body": self.body, "filedAt": self.filed_at, "decidedAt": self.decided_at,
                  "outcome": self.outcome}
        return {k: v for k, v in values.items() if v is not None}


@strawberry.type
class ReferralMutation:
    @strawberry.mutation(
        description=(
            "依法引导跟踪 — record that the receiving body filed or decided a referral, for an agency without a "
            "system of its own: writes the next revision of the same REFERRAL record (its own source system, "
            "`sourceRevision` + 1) through ingestion and re-derives the case. Only the agency that wrote it. "
            "An illegal state is BAD_USER_INPUT with `field` and `reason` (the ingestion error code, e.g. "
            "REFERRAL_STATUS_BACKWARDS); an unknown record NOT_FOUND; a revision landed meanwhile CONFLICT."
        ),
        permission_classes=[CanSeeRecordCase, CanReviseReferral],  # checked in this order
        extensions=[Audited(targets=lambda kwargs, result: [result.case_no] if result else [str(kwargs.get("record_id"))])],
    )
    async def update_referral(
        self, info: Info[Context, None],
        record_id: Annotated[strawberry.ID, strawberry.argument(description="The REFERRAL record's global ID.")],
        input: Annotated[UpdateReferralInput, strawberry.argument(
            description="The new state: status, body, filedAt, decidedAt, outcome.")],
    ) -> ReferralRecordType:
        revised = await referral_service.revise(record_id=_record_key(record_id), changes=input.changes())
        info.context.loaders.case_by_id.clear(revised.case_id)  # read before the write (the permission check)
        return record_from_model(revised)  # type: ignore[return-value]
