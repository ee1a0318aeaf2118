"""The signed-in caller: who they are and what the policy lets them do (for consoles and agency systems)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.auth.policy import Principal
from schema.reference import AgencyType, RegionType


@strawberry.type(name="ViewerPermissions", description="当前用户的权限 — what the policy lets the caller do, "
                                                       "so a console shows only what it may open.")
class ViewerPermissionsType:
    look_up_persons: bool = strawberry.field(description="当事人查询: person look-up on an escalated petition (the petition bureau).")
    analyse: bool = strawberry.field(description="分析研判: summaries and early warnings of the caller's region (coordination centres).")
    manage_meetings: bool = strawberry.field(description="联席会议: schedule meetings, set agendas, record and complete decisions.")
    read_personal_data: bool = strawberry.field(description="ID numbers, credit codes, phones and addresses in clear (the `pii` role).")
    read_restricted: bool = strawberry.field(description="维稳情报: restricted records (the stability office and coordination centres).")
    read_audit: bool = strawberry.field(description="审计日志: the audit trail of the caller's region.")

    @classmethod
    def of(cls, principal: Principal) -> "ViewerPermissionsType":
        """The policy's answers for this caller."""
        return cls(
            look_up_persons=policy.can_look_up_persons(principal),
            analyse=policy.can_analyse(principal, principal.region_path),
            manage_meetings=policy.can_manage_meetings(principal, principal.region_path),
            read_personal_data=policy.sees_personal_data(principal),
            read_restricted=policy.can_read_restricted(principal),
            read_audit=policy.can_read_audit(principal),
        )


@strawberry.type(name="Viewer", description="当前用户 — the caller the token names.")
class ViewerType:
    user: str = strawberry.field(description="The user named in the token.")
    agency_code: str = strawberry.field(description="The caller's agency code.")
    roles: list[str] = strawberry.field(description="Roles beyond the agency's own rights, e.g. `pii`.")
    expires_at: datetime | None = strawberry.field(description="When the token expires.")
    may: ViewerPermissionsType = strawberry.field(description="What the policy lets the caller do.")
    region_code: strawberry.Private[str]

    @strawberry.field(description="The caller's agency.")
    async def agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.agency_code)

    @strawberry.field(description="The region the caller's agency serves.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.region_code)

    @classmethod
    def of(cls, principal: Principal) -> "ViewerType":
        """The caller as the GraphQL type."""
        return cls(user=principal.user, agency_code=principal.agency_code, roles=sorted(principal.roles),
                   expires_at=principal.expires_at, may=ViewerPermissionsType.of(principal),
                   region_code=principal.region_code)
