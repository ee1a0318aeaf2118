"""The typical-case library: nominate, select or reject, search, and follow nominations."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.typical_cases import service as typical_case_service
from hub.typical_cases.models import TypicalCase, TypicalCaseStatus as Status
from resolvers.context import Context
from schema.audit import Audited
from schema.enums import Category
from schema.permissions import PolicyPermission
from schema.relay import Connection, check_first, connection, decode_cursor, encode_cursor, object_id
from schema.typical_cases import NominateTypicalCaseInput, TypicalCaseStatus, TypicalCaseType

ENTRY = "TypicalCase"


async def _entry(kwargs: dict[str, Any]) -> TypicalCase | None:
    return await typical_case_service.get(entry_id=object_id(kwargs["id"], ENTRY))  # type: ignore[arg-type]


class CanNominateCase(PolicyPermission):
    """A nomination: an agency that may see the case (policy.can_view_case)."""

    message = "your agency may nominate only a case it has a part in"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["input"].case_id)]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        found = await info.context.loaders.case_by_id.load(object_id(kwargs["input"].case_id, "Case"))
        return found is None or policy.can_view_case(principal, found.model)  # unknown: the resolver says NOT_FOUND


class CanDecideTypicalCase(PolicyPermission):
    """Selection (评选): a coordination centre at or above the case's region."""

    message = "typical cases are selected by the coordination centres of the case's region"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["id"])]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        entry = await _entry(kwargs)
        return entry is None or policy.can_analyse(principal, entry.region_path)


class CanViewTypicalCase(PolicyPermission):
    """A selected entry: every agency; one not selected: its nominator and the region's coordination centres."""

    message = "a nomination not selected is read by its nominator and the region's coordination centres"

    def targets(self, kwargs: dict[str, Any], source: Any = None) -> list[str]:
        return [str(kwargs["id"])]

    async def allowed(self, principal: policy.Principal, info: Info, kwargs: dict[str, Any],
                      source: Any = None) -> bool:
        entry = await _entry(kwargs)
        return entry is None or policy.can_read_typical_case(principal, entry)


def _ids(kwargs: dict[str, Any], result: Any) -> list[str]:
    if isinstance(result, TypicalCaseType):
        return [str(result.id)]
    if isinstance(result, list):
        return [str(e.id) for e in result]
    if isinstance(result, Connection):
        return [str(e.node.id) for e in result.edges]
    source = kwargs.get("input")
    return [str(kwargs.get("id") or getattr(source, "case_id", ""))]


ID_ARGUMENT = strawberry.argument(description="The typical case's global ID.")
REASON_ARGUMENT = strawberry.argument(description="Why (1-1,000 characters), kept with the decision.")


@strawberry.type
class TypicalCaseQuery:
    @strawberry.field(description="典型案例库 — the selected typical cases, latest selected first; readable by every "
                                  "agency (for training and 案例指导).", extensions=[Audited(targets=_ids)])
    async def typical_cases(
        self, info: Info[Context, None],
        category: Annotated[Category | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only this category.")] = None,
        keyword: Annotated[str | None, strawberry.argument(
            description="Only entries whose title or text contains it (case-insensitive, at most 50 characters).")] = None,
        first: Annotated[int | None, strawberry.argument(description="Entries per page, 1-100.")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="The `endCursor` of the previous page; the first page when omitted.")] = None,
    ) -> Connection[TypicalCaseType]:
        size = check_first(first)
        page, has_next = await typical_case_service.search(
            category=category, keyword=keyword, first=size, after=decode_cursor(after) if after else None)
        return connection(
            [TypicalCaseType.from_model(e) for e in page],
            cursors=[encode_cursor(typical_case_service.cursor_values(e)) for e in page],
            has_next=has_next, has_previous=after is not None,
            total=lambda: typical_case_service.count(category=category, keyword=keyword),
        )

    @strawberry.field(description="Nominations of a status the caller follows, latest first (at most 100): a "
                                  "coordination centre's region's, any other agency's own.",
                      extensions=[Audited(targets=_ids)])
    async def typical_case_nominations(
        self, info: Info[Context, None],
        status: Annotated[TypicalCaseStatus, strawberry.argument(  # type: ignore[valid-type]
            description="This status; NOMINATED (awaiting selection) when omitted.")] = Status.NOMINATED,
    ) -> list[TypicalCaseType]:
        found = await typical_case_service.list_nominations(principal=info.context.principal, status=Status(status))
        return [TypicalCaseType.from_model(e) for e in found]

    @strawberry.field(description="One typical case; unknown: null with NOT_FOUND. Selected: for every agency; "
                                  "otherwise for its nominator and the region's coordination centres.",
                      permission_classes=[CanViewTypicalCase], extensions=[Audited(targets=_ids)])
    async def typical_case(self, info: Info[Context, None],
                           id: Annotated[strawberry.ID, ID_ARGUMENT]) -> TypicalCaseType | None:
        entry = await typical_case_service.get_or_raise(entry_id=object_id(id, ENTRY))  # type: ignore[arg-type]
        return TypicalCaseType.from_model(entry)


@strawberry.type
class TypicalCaseMutation:
    @strawberry.mutation(description="推荐典型案例 — nominate a resolved case the agency may see, with its write-up "
                                     "(stored anonymised). Again while NOMINATED: the write-up is replaced.",
                         permission_classes=[CanNominateCase], extensions=[Audited(targets=_ids)])
    async def nominate_typical_case(
        self, info: Info[Context, None],
        input: Annotated[NominateTypicalCaseInput, strawberry.argument(
            description="The case and its write-up: title, facts, process, legal basis, lessons.")],
    ) -> TypicalCaseType:
        principal = info.context.principal
        entry = await typical_case_service.nominate(
            case_id=object_id(input.case_id, "Case"), write_up=input.to_write_up(),  # type: ignore[arg-type]
            agency_code=principal.agency_code, user=principal.user, keys=info.context.keys,
        )
        return TypicalCaseType.from_model(entry)

    @strawberry.mutation(description="入选 — select a nomination into the library (the region's coordination centres).",
                         permission_classes=[CanDecideTypicalCase], extensions=[Audited(targets=_ids)])
    async def select_typical_case(self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
                                  reason: Annotated[str, REASON_ARGUMENT]) -> TypicalCaseType:
        principal = info.context.principal
        entry = await typical_case_service.select(entry_id=object_id(id, ENTRY), reason=reason,  # type: ignore[arg-type]
                                                  agency_code=principal.agency_code, user=principal.user)
        return TypicalCaseType.from_model(entry)

    @strawberry.mutation(description="未入选 — turn a nomination down (the region's coordination centres).",
                         permission_classes=[CanDecideTypicalCase], extensions=[Audited(targets=_ids)])
    async def reject_typical_case(self, info: Info[Context, None], id: Annotated[strawberry.ID, ID_ARGUMENT],
                                  reason: Annotated[str, REASON_ARGUMENT]) -> TypicalCaseType:
        principal = info.context.principal
        entry = await typical_case_service.reject(entry_id=object_id(id, ENTRY), reason=reason,  # type: ignore[arg-type]
                                                  agency_code=principal.agency_code, user=principal.user)
        return TypicalCaseType.from_model(entry)
