"""Revoked tokens (ids refused before their expiry, on every hub process) and the rate limits' windows."""

from __future__ import annotations

from datetime import datetime

from beanie import Document
from pymongo import ASCENDING, IndexModel


class RevokedToken(Document):
    """A token revoked by `hub token revoke`; `_id` is the token's id (its `jti`)."""

    id: str | None = None  # type: ignore[assignment]
    revoked_at: datetime
    revoked_by: str  # who ran the command (the operating-system user)
    reason: str | None = None

    class Settings:
        name = "revoked_tokens"
        # The refresh reads the ids revoked within a token's longest life (older ones have expired anyway).
        indexes = [IndexModel([("revoked_at", ASCENDING)])]


class RateWindow(Document):
    """One caller's requests in one window of one limit's period."""

    id: str  # type: ignore[assignment]
    hits: int
    expire_at: datetime

    class Settings:
        name = "rate_windows"
        # MongoDB deletes a window once past expire_at; the watch's prune reads the same index.
        indexes = [IndexModel([("expire_at", ASCENDING)], expireAfterSeconds=0)]
