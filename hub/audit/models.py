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
    # The chain (hub.audit.chain, docs/reliability.md); None on entries written before it existed.
    seq: int | None = None  # one total order across hub processes, from one `$inc` per entry
    mac: str | None = None  # keyed MAC of the fields above, `_id` included
    seq_mac: str | None = None  # keyed MAC of (seq, mac): binds the entry to its number

    class Settings:
        name = "audit"
        indexes = [
            IndexModel([("at", DESCENDING)]),
            IndexModel([("seq", ASCENDING)]),  # the sealer's and the verifier's walk; entries without one
            # Newest first, keyset-paged on (at, _id): the tie-breaker is in the index, so a page is read
            # in index order for a region (every audit read) or one agency in it.
            IndexModel([("agency_code", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("region_path", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)]),
        ]


class AuditSeal(Document):
    """A checkpoint of the chain: the entries numbered after `prev` up to `_id`, sealed by one process.

    `chain` is the running keyed hash over every number up to `_id` (an entry's `seq_mac`, or the mark of a
    number never written); `gaps` are the numbers a writer took and never wrote (seen missing for longer than
    `audit_gap_seconds`); `legacy` counts the entries without chain fields at sealing time. `mac` covers it all.
    """

    id: int  # type: ignore[assignment]  # the last number sealed
    prev: int  # the previous checkpoint's `_id` (0: the first)
    entries: int
    gaps: list[int] = Field(default_factory=list)
    legacy: int = 0
    chain: str
    sealed_at: datetime
    mac: str

    class Settings:
        name = "audit_seals"


class AuditSealLease(Document):
    """The sealer's lease (`_id` "sealer"): one process at a time seals, until `lease_until`."""

    id: str | None = None  # type: ignore[assignment]
    lease_until: datetime
    holder: str | None = None

    class Settings:
        name = "audit_seal_lease"
