"""Assembles the GraphQL schema from the per-domain query and mutation classes."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from resolvers.ingest import IngestMutation
from resolvers.system import SystemQuery
from schema.errors import ErrorCodes

Query = merge_types("Query", (SystemQuery,))
Mutation = merge_types("Mutation", (IngestMutation,))


def build_schema() -> strawberry.Schema:
    """The hub's GraphQL schema."""
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=[ErrorCodes])
