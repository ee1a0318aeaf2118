"""Types describing the running hub itself."""

from __future__ import annotations

import strawberry

from hub.store.service import ServerInfo


@strawberry.type(name="ServerInfo", description="正在运行的平台实例 — the running hub and its database.")
class ServerInfoType:
    version: str = strawberry.field(description="The hub's version.")
    store_kind: str = strawberry.field(description="The database server: `MongoDB`, or the local store's name (`mongo-java-server …`).")
    store_version: str = strawberry.field(description="The MongoDB wire version the server reports.")
    database_name: str = strawberry.field(description="The database the hub reads and writes.")

    @classmethod
    def from_domain(cls, info: ServerInfo, *, version: str) -> "ServerInfoType":
        """Build the GraphQL type from the store's answer."""
        return cls(
            version=version,
            store_kind=info.store_kind,
            store_version=info.version,
            database_name=info.database_name,
        )
