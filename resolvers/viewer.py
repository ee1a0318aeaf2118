"""The signed-in caller."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.context import Context
from schema.viewer import ViewerType


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="当前用户 — who the token names, when it expires, and what the policy lets them do.")
    def viewer(self, info: Info[Context, None]) -> ViewerType:
        return ViewerType.of(info.context.principal)
