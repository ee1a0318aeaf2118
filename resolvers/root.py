"""Assembles the GraphQL schema from the per-domain query and mutation classes."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from resolvers.analytics import AnalyticsQuery
from resolvers.cases import CaseQuery
from resolvers.ingest import IngestMutation
from resolvers.meetings import MeetingMutation, MeetingQuery
from resolvers.people import PersonQuery
from resolvers.reference import ReferenceQuery
from resolvers.system import SystemQuery
from schema.errors import ErrorCodes, HubSchema
from schema.records import RECORD_TYPES

Query = merge_types("Query", (CaseQuery, PersonQuery, AnalyticsQuery, MeetingQuery, ReferenceQuery, SystemQuery))
Mutation = merge_types("Mutation", (IngestMutation, MeetingMutation))


def build_schema() -> strawberry.Schema:
    """The hub's GraphQL schema."""
    return HubSchema(
        query=Query, mutation=Mutation, extensions=[ErrorCodes], types=list(RECORD_TYPES.values())
    )
