"""`changes`: the change log after a cursor, for the caller's scope (docs/changes.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.changes import service
from hub.changes.models import ChangeEntity
from resolvers.context import Context
from schema.audit import Audited
from schema.changes import ChangePageType, ChangeType


def _cases(kwargs: dict[str, Any], result: Any) -> list[str]:
    return sorted({e.case_no for e in result.entries if e.case_no}) if isinstance(result, ChangePageType) else []


@strawberry.type
class ChangeQuery:
    @strawberry.field(description="变更记录 — every case and record created or updated, in write order, that the "
                                  "caller may see (its cases as `case` would show them; restricted records only "
                                  "for their readers). Read on from the returned `cursor`: nothing is missed and "
                                  "nothing comes twice. For a batch job: `hub export`.",
                      extensions=[Audited(targets=_cases)])
    async def changes(
        self, info: Info[Context, None],
        since: Annotated[str | None, strawberry.argument(
            description="The `cursor` of the previous page (or an entry's); the beginning of the log when omitted.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Entries per page, 1-500.")] = 100,
    ) -> ChangePageType:
        principal = info.context.principal
        restricted = policy.can_read_restricted(principal)

        def visible(entry: Mapping[str, Any], access: Mapping[str, Any] | None) -> bool:
            if access is None or not policy.can_view_case(principal, access):
                return False
            return (entry["entity"] == ChangeEntity.CASE or restricted
                    or entry["doc"].get("visibility") != "RESTRICTED")

        found = await service.page(after=service.position(since), first=first if first is not None else 100,
                                   gap_seconds=info.context.settings.changes_gap_seconds, visible=visible)
        return ChangePageType(entries=[ChangeType.from_entry(e, cursor=service.cursor(e["seq"])) for e in found.entries],
                              cursor=service.cursor(found.position), has_more=found.more)
