"""Bearer tokens: signed JWTs naming an agency, a user, roles and an expiry (HS256).

A token is signed with the current key of the ring (hub.keys.ring) and names it in its header (`kid`); one
without a `kid` was signed before keys had ids, with `HUB_SECRET_KEY` itself (`k0`). It verifies while its key
is in the ring: a rotation leaves older tokens valid until they expire; retiring their key ends them."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING

import jwt

from hub.errors import BadUserInput, Unauthenticated

if TYPE_CHECKING:
    from hub.keys.ring import KeyRing

ALGORITHM = "HS256"
ISSUER = "mediation-hub"
MAX_TTL = timedelta(days=30)


class Role(StrEnum):
    """What a user may do beyond what their agency may see."""

    PII = "pii"  # see ID numbers, phones and addresses in clear


@dataclass(frozen=True)
class Claims:
    """What a valid token says."""

    agency_code: str
    user: str
    roles: frozenset[str]
    expires_at: datetime
    token_id: str | None = None  # `jti`: what `hub token revoke` names (None: a token issued before ids)


def parse_ttl(text: str) -> timedelta:
    """``8h``, ``30m``, ``7d`` or ``90s`` as a duration (at most 30 days)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not match:
        raise BadUserInput(f"a lifetime is a number and a unit (s, m, h, d), e.g. 8h; not {text!r}", field="ttl")
    amount, unit = int(match.group(1)), match.group(2)
    ttl = timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    if not timedelta(0) < ttl <= MAX_TTL:
        raise BadUserInput("a token lives between 1 second and 30 days", field="ttl")
    return ttl


def issue(*, keys: KeyRing, agency_code: str, user: str, roles: list[str], ttl: timedelta,
          now: datetime | None = None) -> str:
    """A token signed with the ring's current key, which it names."""
    issued = now or datetime.now(timezone.utc)
    key = keys.current_at(issued)
    payload = {"iss": ISSUER, "sub": user, "agency": agency_code, "roles": sorted(set(roles)),
               "iat": issued, "exp": issued + ttl, "jti": new_token_id()}
    return jwt.encode(payload, key.secret, algorithm=ALGORITHM, headers={"kid": key.id})


def _secret(keys: KeyRing, token: str) -> str:
    """The secret of the key the token names; UNAUTHENTICATED when the ring has no such key (any more)."""
    from hub.keys.ring import MASTER_ID

    try:
        kid = jwt.get_unverified_header(token).get("kid", MASTER_ID)
    except jwt.InvalidTokenError:
        raise Unauthenticated("the token is malformed") from None
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise Unauthenticated("the token was signed with a key this hub no longer accepts (retired, or "
                              "another hub's); ask for a new one (`hub token`)")
    return key.secret


def new_token_id() -> str:
    """A token's id: 16 hex digits, random."""
    return secrets.token_hex(8)


def token_id(*, keys: KeyRing, token: str) -> str:
    """The id of a token this hub signed (expired or not); UNAUTHENTICATED when it is not one, or has none."""
    secret = _secret(keys, token)
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"verify_exp": False})
    except jwt.InvalidTokenError:
        raise Unauthenticated("the token is not one this hub signed") from None
    if not isinstance(payload.get("jti"), str):
        raise Unauthenticated("the token has no id (issued before tokens had one): it lasts until it expires")
    return str(payload["jti"])


def verify(*, keys: KeyRing, token: str) -> Claims:
    """The claims of a token signed with a key of the ring that has not expired; UNAUTHENTICATED otherwise."""
    secret = _secret(keys, token)
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                             options={"require": ["exp", "iat", "sub", "iss"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired; ask for a new one (`hub token`)") from None
    except jwt.InvalidSignatureError:
        raise Unauthenticated("the token's signature is not valid for this hub") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("the token is malformed") from None
    agency, roles = payload.get("agency"), payload.get("roles", [])
    if not isinstance(agency, str) or not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthenticated("the token is malformed")
    jti = payload.get("jti")
    return Claims(agency_code=agency, user=str(payload["sub"]), roles=frozenset(roles),
                  expires_at=datetime.fromtimestamp(payload["exp"], timezone.utc),
                  token_id=jti if isinstance(jti, str) else None)
