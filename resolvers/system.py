"""Queries about the running hub."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub import __version__
from hub.store import service as store_service
from resolvers.context import Context
from schema.system import ServerInfoType


@strawberry.type
class SystemQuery:
    @strawberry.field(description="The running hub, its version and the database it is connected to.")
    async def server_info(self, info: Info[Context, None]) -> ServerInfoType:
        result = await store_service.server_info(database=info.context.database)
        return ServerInfoType.from_domain(result, version=__version__)
