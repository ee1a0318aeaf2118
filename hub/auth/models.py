"""Revoked tokens: ids that are refused before their expiry, on every hub process."""

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
