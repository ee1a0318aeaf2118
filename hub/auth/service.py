"""Authentication: from an `Authorization: Bearer …` header to the calling Principal."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hub.agencies import service as agency_service
from hub.agencies.models import Agency
from hub.auth import tokens
from hub.auth.policy import Principal
from hub.errors import Unauthenticated
from hub.regions import service as region_service

DIRECTORY_TTL = 30.0  # seconds an agency directory is trusted before it is read again


@dataclass
class AgencyDirectory:
    """Agencies with their region paths, read whole and kept for a short while (a small collection).

    One per app: authentication and the `agency_by_code` loader read agencies from here, so a
    request does not scan the agencies collection on the local store.
    """

    loaded_at: float = 0.0
    agencies: dict[str, tuple[Agency, tuple[str, ...]]] = field(default_factory=dict)

    async def get(self, code: str) -> tuple[Agency, tuple[str, ...]] | None:
        """An agency and its region path; read again when stale or unknown."""
        stale = time.monotonic() - self.loaded_at > DIRECTORY_TTL
        if stale or code not in self.agencies:
            await self._load()
        return self.agencies.get(code)

    async def get_many(self, codes: list[str]) -> dict[str, Agency]:
        """Agencies by code (unknown codes are absent)."""
        if time.monotonic() - self.loaded_at > DIRECTORY_TTL or any(c not in self.agencies for c in codes):
            await self._load()
        return {c: self.agencies[c][0] for c in codes if c in self.agencies}

    async def _load(self) -> None:
        agencies = await agency_service.list_all()
        regions = await region_service.get_many_by_code(codes={a.region_code for a in agencies})
        self.agencies = {a.code: (a, tuple(regions[a.region_code].path) if a.region_code in regions
                                  else (a.region_code,)) for a in agencies}
        self.loaded_at = time.monotonic()


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise Unauthenticated("send `Authorization: Bearer <token>`; an agency gets tokens with `hub token`")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be `Bearer <token>`")
    return token.strip()


async def authenticate(*, token: str, secret: str, directory: AgencyDirectory) -> Principal:
    """The principal a valid token names; UNAUTHENTICATED when it is not valid or its agency unknown."""
    claims = tokens.verify(secret=secret, token=token)
    found = await directory.get(claims.agency_code)
    if found is None:
        raise Unauthenticated(f"the token names agency {claims.agency_code!r}, which this hub does not know")
    agency, path = found
    return Principal(agency_code=agency.code, agency_kind=agency.kind, region_path=path, user=claims.user,
                     roles=claims.roles, expires_at=claims.expires_at)
