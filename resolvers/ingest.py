"""The ingestion mutation."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.errors import BadUserInput
from hub.handovers.service import ANSWER_SYSTEM
from hub.ingest import service as ingest_service
from resolvers.context import Context
from schema.audit import Audited
from schema.ingest import IngestBatchInput, IngestResultType
from schema.permissions import CanIngestAs

RESERVED_SOURCE_SYSTEMS = frozenset({ANSWER_SYSTEM})  # written only by the hub itself


@strawberry.type
class IngestMutation:
    @strawberry.mutation(
        description=(
            "推送记录 — push a batch of records from an agency's system. Each record lands, is "
            "updated, is recognised as already stored, or is rejected with its errors; good "
            "records are never held back by bad ones. Replaying a batch changes nothing. In the "
            "caller's own agency's name only."
        ),
        permission_classes=[CanIngestAs],
        extensions=[Audited(targets=lambda kwargs, result: result.case_numbers() if result else [])],
    )
    async def ingest_records(
        self, info: Info[Context, None],
        input: Annotated[IngestBatchInput, strawberry.argument(
            description="The batch: the sending system, the agency, and at most 1,000 records.")],
    ) -> IngestResultType:
        if input.source_system in RESERVED_SOURCE_SYSTEMS:
            raise BadUserInput(f"the source system {input.source_system!r} is the hub's own", field="sourceSystem")
        outcome = await ingest_service.ingest(
            batch=input.to_wire(),
            keys=info.context.keys,
            match_window=info.context.settings.case_match_window,
            may_join=partial(policy.can_view_case, info.context.principal),
        )
        return IngestResultType.from_domain(outcome)
