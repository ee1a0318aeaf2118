"""The audit trail on fields: `Audited` appends an entry for every call of the field it extends,
and `AuditEntry` / `AuditFilter` read it (coordination centres)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types import Info

from hub.analytics import labels
from hub.audit import models as m
from hub.audit.service import AuditSearch
from hub.errors import Forbidden, HubError
from schema.enums import described_enum
from schema.relay import Node, to_global_id
from schema.reference import AgencyType

Targets = Callable[[dict[str, Any], Any], list[str]]


class Audited(FieldExtension):
    """Appends an audit entry, named after the field, once it resolves: OK, or FAILED with the error's code.

    Denials are audited by the permission class that refuses them (and never reach here).
    """

    def __init__(self, targets: Targets | None = None) -> None:
        self.targets = targets or (lambda kwargs, result: [])

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any) -> Any:
        purpose = kwargs.get("purpose")
        try:
            result = await next_(source, info, **kwargs)
        except Forbidden:
            raise
        except HubError as exc:
            await info.context.audit(info.field_name, targets=self.targets(kwargs, None), outcome=m.Outcome.FAILED,
                                     purpose=purpose, reason=exc.code)
            raise
        except Exception:
            await info.context.audit(info.field_name, targets=self.targets(kwargs, None), outcome=m.Outcome.FAILED,
                                     purpose=purpose, reason="INTERNAL_SERVER_ERROR")
            raise
        await info.context.audit(info.field_name, targets=self.targets(kwargs, result), purpose=purpose)
        return result


AuditOutcome = described_enum(m.Outcome, labels.AUDIT_OUTCOME, name="AuditOutcome",
                              description="OK, DENIED (by the policy) or FAILED.",
                              glosses={"OK": "done", "DENIED": "refused by the access policy",
                                       "FAILED": "an error stopped it"})


@strawberry.type(name="AuditEntry", description="审计记录 — who did what, when, to which case or person, why, and how it ended.")
class AuditEntryType(Node):
    at: datetime = strawberry.field(description="When.")
    user: str = strawberry.field(description="The user named by the token.")
    operation: str = strawberry.field(description="What was done: case, personLookup, ingestRecords, report, ….")
    target_ids: list[str] = strawberry.field(description="Case numbers, person ids, meeting ids … it concerned.")
    purpose: str | None = strawberry.field(description="The stated purpose (person look-ups).")
    outcome: AuditOutcome = strawberry.field(description="How it ended.")  # type: ignore[valid-type]
    reason: str | None = strawberry.field(description="Why it was denied or failed.")
    agency_code: strawberry.Private[str]

    @strawberry.field(description="The agency that acted.")
    async def agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.agency_code)

    @classmethod
    def from_model(cls, e: m.AuditEntry) -> "AuditEntryType":
        """Convert the document."""
        return cls(id=to_global_id("AuditEntry", e.id), at=e.at, user=e.user, operation=e.operation,
                   target_ids=e.target_ids, purpose=e.purpose, outcome=e.outcome, reason=e.reason,
                   agency_code=e.agency_code)


@strawberry.input(name="AuditFilter", description="Which audit entries to list; all given conditions hold.")
class AuditFilterInput:
    agency: str | None = strawberry.field(default=None, description="This agency (code) acted.")
    operation: str | None = strawberry.field(default=None, description="This operation.")
    outcome: AuditOutcome | None = strawberry.field(default=None, description="This outcome.")  # type: ignore[valid-type]
    target: str | None = strawberry.field(default=None, description="It concerned this case number or id.")
    since: datetime | None = strawberry.field(default=None, description="On or after.")
    until: datetime | None = strawberry.field(default=None, description="Before.")

    def to_search(self, scope: dict[str, Any]) -> AuditSearch:
        """The domain search, within scope."""
        return AuditSearch(scope=scope, agency=self.agency, operation=self.operation, outcome=self.outcome,
                           target=self.target, since=self.since, until=self.until)
