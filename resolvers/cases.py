"""Case queries: one case's shared view, and case search."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.analytics.summary import as_utc
from hub.cases import search as case_search
from hub.cases import service as case_service
from hub.cases import settle as settle_service
from hub.records.enums import CaseFact as CaseFactValue
from hub.errors import BadUserInput, NotFound
from resolvers.context import Context
from schema.audit import Audited
from schema.cases import CaseFilterInput, CaseOrder, CaseType, SettleConflictInput
from schema.permissions import CanViewCase
from schema.relay import Connection, check_first, connection, decode_cursor, encode_cursor, object_id


def to_search(filter: CaseFilterInput | None) -> case_search.CaseSearch:
    """The domain search for a GraphQL filter."""
    if filter is None:
        return case_search.CaseSearch()
    opened, activity = filter.opened, filter.last_activity
    return case_search.CaseSearch(
        region=filter.region, categories=filter.categories, statuses=filter.statuses,
        channels=filter.channels, agency=filter.agency, risk_levels=filter.risk_levels, tags=filter.tags,
        opened_from=opened.from_ if opened else None, opened_to=opened.to if opened else None,
        activity_from=activity.from_ if activity else None, activity_to=activity.to if activity else None,
        party_name=filter.party_name,
    )


@strawberry.type
class CaseQuery:
    @strawberry.field(
        name="case",
        description=(
            "案件全景 — one case with its whole history. Give `id` or `caseNo`; unknown: null with NOT_FOUND. "
            "For the agencies that contributed to it, lead it or were handed it, and coordination centres above it."
        ),
        permission_classes=[CanViewCase],
        extensions=[Audited(targets=lambda kwargs, result: [result.case_no] if result else
                            [str(kwargs.get("case_no") or kwargs.get("id"))])],
    )
    async def case_(
        self, info: Info[Context, None],
        id: Annotated[strawberry.ID | None, strawberry.argument(description="The case's global ID; or give `caseNo`.")] = None,
        case_no: Annotated[str | None, strawberry.argument(
            description="The case number (案件编号), e.g. JF2026000123; or give `id`.")] = None,
        as_of: Annotated[datetime | None, strawberry.argument(
            description="The case as it stood at this moment, from the records that had happened by then (its "
                        "timeline, provenance and conflicts too); NOT_FOUND when none had. Omitted: now.")] = None,
    ) -> CaseType | None:
        if (id is None) == (case_no is None):
            raise BadUserInput("give exactly one of `id` and `caseNo`")
        loaders = info.context.loaders  # the permission check has read the case through them already
        if case_no is not None:
            case_id = await loaders.case_id_by_number.load(case_no)
            found = await loaders.case_by_id.load(case_id) if case_id is not None else None
            if found is None:
                raise NotFound(f"no case numbered {case_no!r}")
        else:
            found = await loaders.case_by_id.load(object_id(id, "Case"))  # type: ignore[arg-type]
            if found is None:
                raise NotFound(f"no case with id {id!r}")
        if as_of is None:
            return found
        at = as_utc(as_of)
        then = await case_service.as_of(case=found.model, at=at)
        if then is None:
            raise NotFound(f"case {found.case_no} had no record by {at.isoformat()}", field="asOf")
        view = CaseType.from_model(then)
        view.as_of = at
        return view

    @strawberry.field(
        description="Search the cases the caller may see. Pages are keyset-based: they never skip or repeat a case "
                    "while new cases arrive.",
        extensions=[Audited(targets=lambda kwargs, result: [e.node.case_no for e in result.edges]
                            if result else [])],
    )
    async def cases(
        self, info: Info[Context, None],
        filter: Annotated[CaseFilterInput | None, strawberry.argument(
            description="Which cases; every case the caller may see when omitted.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Cases per page, 1-100.")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="The `endCursor` of the previous page; the first page when omitted.")] = None,
        order_by: Annotated[CaseOrder, strawberry.argument(  # type: ignore[valid-type]
            description="The order of the list; latest opened first when omitted.")] = CaseOrder.OPENED_AT_DESC,
    ) -> Connection[CaseType]:
        size = check_first(first)
        sort = case_search.CaseSort(order_by.value)
        search = replace(to_search(filter), scope=policy.case_scope(info.context.principal))
        page, has_next = await case_search.list_page(
            search=search, sort=sort, first=size, after=decode_cursor(after) if after else None
        )
        return connection(
            [CaseType.from_model(c) for c in page],
            cursors=[encode_cursor(case_search.cursor_values(c, sort)) for c in page],
            has_next=has_next, has_previous=after is not None,
            total=lambda: case_search.count(search=search),
        )




@strawberry.type
class CaseMutation:
    @strawberry.mutation(
        description="认定 — a coordination centre over the case settles a fact its agencies' records disagree on "
                    "(`case { conflicts }`), with its reasons. The decision is a DETERMINATION record on the case's "
                    "timeline; the case's field follows it (`provenance` names it). Other agencies: FORBIDDEN.",
        extensions=[Audited(targets=lambda kwargs, result: [kwargs["input"].case_no])])
    async def settle_conflict(
        self, info: Info[Context, None],
        input: Annotated[SettleConflictInput, strawberry.argument(description="The case, the fact, the value, why.")],
    ) -> CaseType:
        case = await settle_service.settle(principal=info.context.principal, case_no=input.case_no,
                                           fact=CaseFactValue(input.fact), value=input.value, reason=input.reason,
                                           keys=info.context.keys)
        return CaseType.from_model(case)
