"""The audit trail, for coordination centres."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from bson import ObjectId
from bson.errors import InvalidId
from strawberry.types import Info

from hub.audit import service as audit_service
from hub.auth import policy
from hub.errors import BadUserInput
from resolvers.context import Context
from schema.audit import Audited, AuditEntryType, AuditFilterInput
from schema.permissions import CanReadAudit
from schema.relay import Connection, check_first, connection, decode_cursor, encode_cursor


def _position(cursor: str) -> tuple[datetime, ObjectId]:
    try:
        at, oid = decode_cursor(cursor)
        return datetime.fromisoformat(at), ObjectId(oid)
    except (ValueError, TypeError, InvalidId):
        raise BadUserInput("`after` is not a cursor of the audit log", field="after") from None


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="审计日志 — who viewed, looked up, reported and changed what, denials included; newest first. "
                    "Coordination centres read the entries of agencies in their region. Entries are never "
                    "changed or removed.",
        permission_classes=[CanReadAudit],
        extensions=[Audited()],
    )
    async def audit_log(
        self, info: Info[Context, None],
        filter: Annotated[AuditFilterInput | None, strawberry.argument(
            description="Which entries; every entry the caller may read when omitted.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Entries per page, 1-100.")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="The `endCursor` of the previous page; the first page when omitted.")] = None,
    ) -> Connection[AuditEntryType]:
        size = check_first(first)
        search = (filter or AuditFilterInput()).to_search(policy.audit_scope(info.context.principal))
        entries, has_next = await audit_service.page(search=search, first=size,
                                                     after=_position(after) if after else None)
        return connection([AuditEntryType.from_model(e) for e in entries],
                          cursors=[encode_cursor([e.at.isoformat(), str(e.id)]) for e in entries],
                          has_next=has_next, has_previous=after is not None,
                          total=lambda: audit_service.count(search=search))
