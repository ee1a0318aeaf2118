"""The audit trail: append-only, one entry per case view, lookup, report and mutation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel


class Outcome(StrEnum):
    """How the audited request ended."""

    OK = "OK"
    DENIED = "DENIED"
    FAILED = "FAILED"


class AuditEntry(Document):
    """Who did what, when, to which case or person, why, and how it ended. Never updated or deleted."""

    at: datetime
    agency_code: str
    region_path: list[str]  # the acting agency's region, for coordination centres' views
    user: str
    operation: str
    target_ids: list[str] = Field(default_factory=list)
    purpose: str | None = None
    outcome: Outcome
    reason: str | None = None  # the error code or denial, when not OK

    class Settings:
        name = "audit"
        indexes = [
            IndexModel([("at", DESCENDING)]),
            # Newest first, keyset-paged on (at, _id): the tie-breaker is in the index, so a page is read
            # in index order for a region (every audit read) or one agency in it.
            IndexModel([("agency_code", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("region_path", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)]),
        ]
