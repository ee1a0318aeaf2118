"""The identity review queue (docs/identity-review.md): list, merge, keep apart, undo."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.errors import BadUserInput
from hub.people import review as review_service
from hub.people.models import ReviewStatus
from resolvers.context import Context
from schema.audit import Audited
from schema.people import IdentityReviewType, ReviewStatusEnum
from schema.permissions import CanReviewIdentities
from schema.relay import Connection, check_first, connection, decode_cursor, encode_cursor

ID_ARGUMENT = strawberry.argument(description="The review's id.")
REASON_ARGUMENT = strawberry.argument(description="Why (1-2,000 characters): kept with the decision and audited.")


def _targets(kwargs: dict[str, Any], result: Any) -> list[str]:
    if isinstance(result, IdentityReviewType):
        return [str(result.id), *result.person_ids]
    if isinstance(result, Connection):
        return [str(e.node.id) for e in result.edges]
    return [str(kwargs.get("id") or "")]


def _after(after: str | None) -> tuple[datetime, str] | None:
    if after is None:
        return None
    values = decode_cursor(after)
    try:
        at, key = values
        return datetime.fromisoformat(at), str(key)
    except (ValueError, TypeError):
        raise BadUserInput("`after` is not a cursor of this list", field="after") from None


def _by(info: Info[Context, None]) -> dict[str, str]:
    principal = info.context.principal
    return {"agency": principal.agency_code, "user": principal.user}


@strawberry.type
class IdentityReviewQuery:
    @strawberry.field(description="身份研判 — pairs of persons the matching left apart that look like one (the same name "
                                  "with a similar phone, ID numbers two characters apart, the same name twice in one "
                                  "case), for the coordination centres whose region holds one of their cases; newest "
                                  "first.", permission_classes=[CanReviewIdentities], extensions=[Audited(targets=_targets)])
    async def identity_reviews(
        self, info: Info[Context, None],
        status: Annotated[ReviewStatusEnum | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only reviews in this state (OPEN: those waiting).")] = None,
        first: Annotated[int | None, strawberry.argument(description="Reviews per page, 1-100.")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="The `endCursor` of the previous page; the first page when omitted.")] = None,
    ) -> Connection[IdentityReviewType]:
        size = check_first(first)
        region = info.context.principal.region_code
        wanted = ReviewStatus(status) if status is not None else None
        page, more = await review_service.page(region_code=region, status=wanted, first=size, after=_after(after))
        return connection([IdentityReviewType.from_model(r) for r in page],
                          cursors=[encode_cursor([r.found_at.isoformat(), r.id]) for r in page], has_next=more,
                          has_previous=after is not None,
                          total=lambda: review_service.count(region_code=region, status=wanted))


@strawberry.type
class IdentityReviewMutation:
    @strawberry.mutation(description="合并 — the pair is one person: the Person that stays takes the other's cases, "
                                     "look-up keys and identifiers (personLookup finds it under either); undoable "
                                     "exactly with `undoIdentityMerge`.", permission_classes=[CanReviewIdentities],
                         extensions=[Audited(targets=_targets)])
    async def merge_identities(self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
                               reason: Annotated[str, REASON_ARGUMENT]) -> IdentityReviewType:
        return IdentityReviewType.from_model(await review_service.merge(
            review_id=str(id), region_code=info.context.principal.region_code, by=_by(info), reason=reason))

    @strawberry.mutation(description="确认为不同人 — the pair is two people: they stay apart and the pair is never "
                                     "queued again.", permission_classes=[CanReviewIdentities],
                         extensions=[Audited(targets=_targets)])
    async def keep_identities_apart(self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
                                    reason: Annotated[str, REASON_ARGUMENT]) -> IdentityReviewType:
        return IdentityReviewType.from_model(await review_service.keep_apart(
            review_id=str(id), region_code=info.context.principal.region_code, by=_by(info), reason=reason))

    @strawberry.mutation(description="撤销合并 — take a merge back exactly: each Person has its own cases, keys and "
                                     "records again (those written since under the merged one stay with it).",
                         permission_classes=[CanReviewIdentities], extensions=[Audited(targets=_targets)])
    async def undo_identity_merge(self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
                                  reason: Annotated[str, REASON_ARGUMENT]) -> IdentityReviewType:
        return IdentityReviewType.from_model(await review_service.undo(
            review_id=str(id), region_code=info.context.principal.region_code, by=_by(info), reason=reason))
