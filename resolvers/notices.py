"""Supervision notices (督查通报): draft, refresh, comment on each unit (点评), publish; read and list."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.notices import service as notice_service
from hub.notices.models import NoticeStatus as Status
from hub.notices.models import SupervisionNotice
from resolvers.context import Context
from schema.audit import Audited
from schema.notices import NOTICE, DraftSupervisionNoticeInput, NoticeStatus, SupervisionNoticeType
from schema.permissions import PolicyPermission
from schema.relay import object_id


async def _notice(kwargs: dict[str, Any]) -> SupervisionNotice | None:
    return await notice_service.get(notice_id=object_id(kwargs["id"], NOTICE))  # type: ignore[arg-type]


class CanDraftNotice(PolicyPermission):
    """Drafting: a coordination centre at or above the notice's region."""

    message = "a region's supervision notices are drafted by its coordination centres"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["input"].region)]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        path = await info.context.loaders.region_path_by_code.load(str(kwargs["input"].region))
        return path is None or policy.can_manage_notice(principal, path)  # unknown: the resolver says why


class CanManageNotice(PolicyPermission):
    """Refreshing, commenting, publishing: a coordination centre at or above the notice's region."""

    message = "a notice is refreshed, commented on and published by the coordination centres of its region"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["id"])]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        notice = await _notice(kwargs)
        return notice is None or policy.can_manage_notice(principal, notice.region_path)


class CanReadNotice(PolicyPermission):
    """A draft: its region's coordination centres; a published notice: also every agency within its region."""

    message = "a draft notice is read by its region's coordination centres; a published one by the region's agencies"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["id"])]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        notice = await _notice(kwargs)
        return notice is None or policy.can_read_notice(principal, notice)


def _ids(kwargs: dict[str, Any], result: Any) -> list[str]:
    if isinstance(result, SupervisionNoticeType):
        return [str(result.id)]
    if isinstance(result, list):
        return [str(n.id) for n in result]
    source = kwargs.get("input")
    return [str(kwargs.get("id") or getattr(source, "region", ""))]


ID_ARGUMENT = strawberry.argument(description="The supervision notice's global ID.")


@strawberry.type
class NoticeQuery:
    @strawberry.field(description="督查通报 — the notices the caller may read, latest period first (at most 100): a "
                                  "coordination centre's region's (drafts too), and the published notices of the "
                                  "regions the caller's agency lies in.", extensions=[Audited(targets=_ids)])
    async def supervision_notices(
        self, info: Info[Context, None],
        region: Annotated[str | None, strawberry.argument(
            description="Only notices of this region and the regions below it (a region code).")] = None,
        status: Annotated[NoticeStatus | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only this status (DRAFT or PUBLISHED); any when omitted.")] = None,
    ) -> list[SupervisionNoticeType]:
        found = await notice_service.list_notices(principal=info.context.principal, region_code=region,
                                                  status=Status(status) if status is not None else None)
        return [SupervisionNoticeType.from_model(n) for n in found]

    @strawberry.field(description="One supervision notice; unknown: null with NOT_FOUND. A draft for its region's "
                                  "coordination centres; published, also for every agency within its region.",
                      permission_classes=[CanReadNotice], extensions=[Audited(targets=_ids)])
    async def supervision_notice(self, info: Info[Context, None],
                                 id: Annotated[strawberry.ID, ID_ARGUMENT]) -> SupervisionNoticeType | None:
        notice = await notice_service.get_or_raise(notice_id=object_id(id, NOTICE))  # type: ignore[arg-type]
        return SupervisionNoticeType.from_model(notice)


@strawberry.type
class NoticeMutation:
    @strawberry.mutation(description="起草督查通报 — draft a notice of a region over a period; its figures are computed "
                                     "at once with the configured indicators (the region's coordination centres).",
                         permission_classes=[CanDraftNotice], extensions=[Audited(targets=_ids)])
    async def draft_supervision_notice(
        self, info: Info[Context, None],
        input: Annotated[DraftSupervisionNoticeInput, strawberry.argument(
            description="The region, the period (a month, or from and to), a title, whether agencies are ranked.")],
    ) -> SupervisionNoticeType:
        principal, settings = info.context.principal, info.context.settings
        first_day, last_day = notice_service.parse_period(month=input.period, first_day=input.from_,
                                                          last_day=input.to)
        notice = await notice_service.draft(
            region_code=input.region, first_day=first_day, last_day=last_day, rank_agencies=input.rank_agencies,
            config=settings.notices, agency_code=principal.agency_code, user=principal.user, title=input.title)
        return SupervisionNoticeType.from_model(notice)

    @strawberry.mutation(description="Recompute a draft's figures with the current data and configuration; comments "
                                     "are kept. A published notice is frozen: BAD_USER_INPUT.",
                         permission_classes=[CanManageNotice], extensions=[Audited(targets=_ids)])
    async def refresh_supervision_notice(self, info: Info[Context, None],
                                         id: Annotated[strawberry.ID, ID_ARGUMENT]) -> SupervisionNoticeType:
        notice = await notice_service.refresh(notice_id=object_id(id, NOTICE),  # type: ignore[arg-type]
                                              config=info.context.settings.notices)
        return SupervisionNoticeType.from_model(notice)

    @strawberry.mutation(description="点评 — write (or replace) the coordination centre's comment on one ranked unit "
                                     "of a draft.", permission_classes=[CanManageNotice],
                         extensions=[Audited(targets=_ids)])
    async def comment_on_notice_unit(
        self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
        unit_code: Annotated[str, strawberry.argument(
            description="The unit's code: a township's region code or an agency's code.")],
        comment: Annotated[str, strawberry.argument(description="点评 — the comment (1-1,000 characters).")],
    ) -> SupervisionNoticeType:
        notice = await notice_service.comment(notice_id=object_id(id, NOTICE), unit_code=unit_code,  # type: ignore[arg-type]
                                              text=comment, user=info.context.principal.user)
        return SupervisionNoticeType.from_model(notice)

    @strawberry.mutation(description="发布 — publish a draft whose every unit has a comment; it is frozen from then on "
                                     "(its figures no longer change when data arrives).",
                         permission_classes=[CanManageNotice], extensions=[Audited(targets=_ids)])
    async def publish_supervision_notice(self, info: Info[Context, None],
                                         id: Annotated[strawberry.ID, ID_ARGUMENT]) -> SupervisionNoticeType:
        principal = info.context.principal
        notice = await notice_service.publish(notice_id=object_id(id, NOTICE),  # type: ignore[arg-type]
                                              agency_code=principal.agency_code, user=principal.user)
        return SupervisionNoticeType.from_model(notice)
