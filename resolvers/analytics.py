"""Summaries and early warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.analytics.warnings import early_warnings
from hub.errors import BadUserInput
from resolvers.context import Context
from schema.analytics import EarlyWarningType, SummaryDimension, SummaryFilterInput, SummaryType, WarningRule
from schema.audit import Audited
from schema.permissions import CanAnalyseRegion


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        description=(
            "分析研判 — cases screened, accepted, in mediation, resolved, failed, referred, escalated; petitions; "
            "risk levels; backlog; resolution rate and median days to resolution. Grouped by any combination of "
            "dimensions (none: the total only). For coordination centres, over their region and below; "
            "without `region`, the caller's region."
        ),
        permission_classes=[CanAnalyseRegion],
        extensions=[Audited(targets=lambda kwargs, result: [str(kwargs["filter"].region or "")])],
    )
    async def summary(
        self, info: Info[Context, None],
        filter: Annotated[SummaryFilterInput, strawberry.argument(description="Which cases to count.")],
        group_by: Annotated[list[SummaryDimension], strawberry.argument(  # type: ignore[valid-type]
            description="Dimensions to group by, each at most once, in the order of the groups' keys; "
                        "empty for the total only.")],
    ) -> SummaryType:
        if len(set(group_by)) != len(group_by):
            raise BadUserInput("each dimension may appear once in groupBy", field="groupBy")
        domain_filter = filter.to_domain()
        if domain_filter.region is None:
            domain_filter = replace(domain_filter, region=info.context.principal.region_code)
        return SummaryType.from_domain(await info.context.loaders.summary.load((domain_filter, tuple(group_by))))

    @strawberry.field(
        description="预警 — the early warnings the work plan's rules raise for a region's cases, most severe first. "
                    "For the region's coordination centres.",
        permission_classes=[CanAnalyseRegion],
        extensions=[Audited(targets=lambda kwargs, result: [str(kwargs["region"])])],
    )
    async def early_warnings(
        self, info: Info[Context, None],
        region: Annotated[strawberry.ID, strawberry.argument(
            description="Region code; its cases and those of the regions below it.")],
        as_of: Annotated[datetime | None, strawberry.argument(
            description="The instant the rules look from; now when omitted.")] = None,
        rules: Annotated[list[WarningRule] | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only these rules (预警规则); every rule when omitted.")] = None,
    ) -> list[EarlyWarningType]:
        found = await early_warnings(region=str(region), as_of=as_of, thresholds=info.context.settings.warnings,
                                     rules=rules)
        return [EarlyWarningType.from_domain(w) for w in found]
