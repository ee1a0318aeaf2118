"""The per-request context handed to every resolver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase
from starlette.requests import Request

from hub.audit import chain as audit_chain
from hub.audit import service as audit_service
from hub.audit.models import Outcome
from hub.auth.policy import Principal
from hub.config import Settings
from hub.meetings.models import JointMeeting
from hub.records import service as record_service
from hub.records.models import Record
from hub.keys.ring import KeyRing
from resolvers.loaders import Loaders
from schema.relay import from_global_id


@dataclass
class Context:
    """What resolvers reach as ``info.context``."""

    request: Request  # or, for a subscription, the WebSocket (both are Starlette HTTPConnections)
    response: Any
    settings: Settings
    database: AsyncDatabase
    keys: KeyRing
    principal: Principal
    loaders: Loaders = field(default_factory=Loaders)
    audited: set[tuple[Any, ...]] = field(default_factory=set)
    connection_params: dict[str, Any] | None = None  # a WebSocket's connection_init payload

    @classmethod
    def of_request(cls, request: Request, response: Any = None) -> "Context":
        """The context of one GraphQL execution for this request: over HTTP, and for the exports."""
        state = request.app.state
        return cls(request=request, response=response, settings=state.settings, database=state.database,
                   keys=state.keys, principal=getattr(request.state, "principal", None),  # None: GraphiQL's page
                   loaders=Loaders(state.agencies))

    async def audit(self, operation: str, *, targets: Sequence[str] = (), outcome: Outcome = Outcome.OK,
                    purpose: str | None = None, reason: str | None = None) -> None:
        """Append to the audit trail as the caller, once per request for the same act (aliases repeat it)."""
        act = (operation, tuple(targets), outcome, purpose, reason)
        if act in self.audited:
            return
        self.audited.add(act)
        await audit_service.append(principal=self.principal, operation=operation, targets=targets,
                                   outcome=outcome, purpose=purpose, reason=reason,
                                   key=audit_chain.key_for(self.keys.master))

    async def record(self, record_id: str) -> Record | None:
        """A record by its id (`sourceSystem|sourceId`), typed by kind."""
        return await record_service.get(record_id=record_id)

    async def meeting(self, global_id: str | None) -> JointMeeting | None:
        """A meeting by its GraphQL ID (None when there is no such meeting or the ID is not one)."""
        if global_id is None:
            return None
        type_name, raw = from_global_id(global_id)
        if type_name != "JointMeeting" or not ObjectId.is_valid(raw):
            return None
        return await self.loaders.meeting_by_id.load(ObjectId(raw))
