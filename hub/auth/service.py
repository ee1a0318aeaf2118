"""Authentication: from an `Authorization: Bearer …` header to the calling Principal."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from hub.agencies import service as agency_service
from hub.agencies.models import Agency
from hub.auth import tokens
from hub.auth.models import RevokedToken
from hub.auth.policy import Principal
from hub.errors import Unauthenticated
from hub.keys.ring import KeyRing
from hub.regions import service as region_service

DIRECTORY_TTL = 30.0  # seconds an agency directory is trusted before it is read again


@dataclass
class AgencyDirectory:
    """Agencies with their region paths, read whole and kept for `refresh_seconds` (HUB_DIRECTORY_REFRESH_SECONDS),
    so a change another process (or an operator) makes to an agency is seen within that time; an unknown code is
    read again at once.

    One per app: authentication and the `agency_by_code` loader read agencies from here, so a
    request does not scan the agencies collection on the local store.
    """

    refresh_seconds: float = DIRECTORY_TTL
    loaded_at: float = 0.0
    agencies: dict[str, tuple[Agency, tuple[str, ...]]] = field(default_factory=dict)

    async def get(self, code: str) -> tuple[Agency, tuple[str, ...]] | None:
        """An agency and its region path; read again when stale or unknown."""
        stale = time.monotonic() - self.loaded_at > self.refresh_seconds
        if stale or code not in self.agencies:
            await self._load()
        return self.agencies.get(code)

    async def get_many(self, codes: list[str]) -> dict[str, Agency]:
        """Agencies by code (unknown codes are absent)."""
        if time.monotonic() - self.loaded_at > self.refresh_seconds or any(c not in self.agencies for c in codes):
            await self._load()
        return {c: self.agencies[c][0] for c in codes if c in self.agencies}

    async def _load(self) -> None:
        agencies = await agency_service.list_all()
        regions = await region_service.get_many_by_code(codes={a.region_code for a in agencies})
        self.agencies = {a.code: (a, tuple(regions[a.region_code].path) if a.region_code in regions
                                  else (a.region_code,)) for a in agencies}
        self.loaded_at = time.monotonic()


@dataclass
class Revocations:
    """The ids of revoked tokens, read again every `refresh_seconds` (one small indexed read), so a
    revocation takes effect on every hub process within that time. One per app."""

    refresh_seconds: float = 2.0
    loaded_at: float = float("-inf")
    revoked: frozenset[str] = frozenset()
    _reading: asyncio.Lock | None = None

    async def is_revoked(self, token_id: str | None) -> bool:
        """Whether the token of this id was revoked (a token without an id cannot be)."""
        if time.monotonic() - self.loaded_at > self.refresh_seconds:
            self._reading = self._reading or asyncio.Lock()
            async with self._reading:  # one read for all the requests that find the list stale at once
                if time.monotonic() - self.loaded_at > self.refresh_seconds:
                    self.revoked = await revoked_ids()
                    self.loaded_at = time.monotonic()
        return token_id is not None and token_id in self.revoked


async def revoked_ids() -> frozenset[str]:
    """The ids revoked within a token's longest life (an older one's token has expired anyway)."""
    since = datetime.now(timezone.utc) - tokens.MAX_TTL
    found = RevokedToken.get_pymongo_collection().find({"revoked_at": {"$gte": since}}, {"_id": 1})
    return frozenset([str(d["_id"]) async for d in found])


async def revoke(*, token_id: str, by: str, reason: str | None = None) -> bool:
    """Revoke a token by its id; False when it was revoked already."""
    result = await RevokedToken.get_pymongo_collection().update_one(
        {"_id": token_id}, {"$setOnInsert": {"revoked_at": datetime.now(timezone.utc), "revoked_by": by,
                                            "reason": reason}}, upsert=True)
    return result.upserted_id is not None


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise Unauthenticated("send `Authorization: Bearer <token>`; an agency gets tokens with `hub token`")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be `Bearer <token>`")
    return token.strip()


async def authenticate(*, token: str, keys: KeyRing, directory: AgencyDirectory,
                       revocations: Revocations) -> Principal:
    """The principal a valid token names; UNAUTHENTICATED when it is not valid, revoked, or its agency unknown."""
    claims = tokens.verify(keys=keys, token=token)
    if await revocations.is_revoked(claims.token_id):
        raise Unauthenticated("the token has been revoked; ask for a new one (`hub token`)")
    found = await directory.get(claims.agency_code)
    if found is None:
        raise Unauthenticated(f"the token names agency {claims.agency_code!r}, which this hub does not know")
    agency, path = found
    return Principal(agency_code=agency.code, agency_kind=agency.kind, region_path=path, user=claims.user,
                     roles=claims.roles, expires_at=claims.expires_at, token_id=claims.token_id)
