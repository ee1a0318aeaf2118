"""The audit trail: append-only, one entry per case view, lookup, report and mutation."""

from __future__ import annotations

from datetime import datetime

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel


class AuditEntry(Document):
    """Who did what, when, to which case or person, why, and how it ended."""

    at: datetime
    agency_code: str | None
    user: str | None
    operation: str
    target_ids: list[str] = Field(default_factory=list)
    purpose: str | None = None
    outcome: str

    class Settings:
        name = "audit"
        indexes = [
            IndexModel([("at", DESCENDING)]),
            IndexModel([("agency_code", ASCENDING), ("at", DESCENDING)]),
        ]
