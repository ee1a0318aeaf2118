"""The outbox of events, the consumers' cursors, agencies' webhooks and the delivery log."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class EventKind(StrEnum):
    """What happened, as an agency subscribes to it."""

    CASE_HANDED_TO = "CASE_HANDED_TO"
    HANDOVER_ANSWERED = "HANDOVER_ANSWERED"
    PETITION_ON_CASE = "PETITION_ON_CASE"
    ESCALATED_PETITION = "ESCALATED_PETITION"
    WARNING_RAISED = "WARNING_RAISED"
    DECISION_ASSIGNED = "DECISION_ASSIGNED"
    DEADLINE_NEAR = "DEADLINE_NEAR"


class OutboxEvent(Document):
    """One event, written by the write path that caused it; `_id` is its idempotency key.

    The key is fixed by the record that caused it (`handover:<record id>` …), so a replayed batch
    writes nothing twice; `seq` gives every event one total order across processes.
    """

    id: str | None = None  # type: ignore[assignment]  # the event key
    seq: int
    kind: EventKind
    case_id: PydanticObjectId | None = None  # None: an event about no one case (a meeting's decision without one)
    case_no: str | None = None
    region_path: list[str] = Field(default_factory=list)
    agencies: list[str] = Field(default_factory=list)  # the agencies it concerns
    payload: dict[str, Any] = Field(default_factory=dict)
    at: datetime

    class Settings:
        name = "outbox"
        indexes = [
            IndexModel([("seq", ASCENDING)], unique=True),
            IndexModel([("agencies", ASCENDING), ("seq", ASCENDING)]),  # a subscriber's missed events
        ]


class OutboxCursor(Document):
    """How far one consumer (e.g. "webhooks") has read the outbox; `_id` is the consumer's name."""

    id: str | None = None  # type: ignore[assignment]
    seq: int = 0
    updated_at: datetime | None = None

    class Settings:
        name = "outbox_cursors"


class Webhook(Document):
    """An HTTPS endpoint an agency registered for some kinds of event; `secret` signs each delivery."""

    agency_code: str
    url: str
    secret: str  # encrypted under the ring's key `key_id` (hub.keys; None: k0, from before keys had ids)
    kinds: list[EventKind]
    active: bool = True
    key_id: str | None = None
    created_at: datetime
    created_by: str

    class Settings:
        name = "webhooks"
        indexes = [IndexModel([("agency_code", ASCENDING), ("created_at", ASCENDING)])]


class DeliveryStatus(StrEnum):
    """Where one delivery stands."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class Delivery(Document):
    """One event to one webhook; unique by (webhook, event key), so it is created once whoever creates it."""

    webhook_id: PydanticObjectId
    agency_code: str
    event_key: str
    event_seq: int
    event_kind: EventKind
    case_no: str | None = None
    body: str  # the JSON sent, the same bytes on every attempt
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    created_at: datetime
    next_attempt_at: datetime
    lease_until: datetime = EPOCH  # a process sending it holds it until then
    lease_holder: str | None = None  # the round that leased it last
    last_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None

    class Settings:
        name = "webhook_deliveries"
        indexes = [
            IndexModel([("webhook_id", ASCENDING), ("event_key", ASCENDING)], unique=True),
            IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)]),  # the due ones, soonest first
            # An agency's delivery log, newest first (keyset on `_id`), all or of one status.
            IndexModel([("agency_code", ASCENDING), ("_id", DESCENDING)]),
            IndexModel([("agency_code", ASCENDING), ("status", ASCENDING), ("_id", DESCENDING)]),
        ]


class WatchLease(Document):
    """The watch's lease (`_id` "watch"): which process scans now, until when, and the regions baselined.

    A process scans only after claiming it (`lease_until` passed) with one `find_one_and_update`, so one
    hub process at a time writes the watch's events (hub.notifications.watch).
    """

    id: str | None = None  # type: ignore[assignment]
    lease_until: datetime = EPOCH
    holder: str | None = None  # the claiming round's random token
    baselined: list[str] = Field(default_factory=list)  # top-level regions whose warnings were recorded once
    last_scan_at: datetime | None = None

    class Settings:
        name = "watch_leases"


class RaisedWarning(Document):
    """One early warning raised now, as the watch last saw it; `_id` is `<rule>:<case_no>[:<person id>]`.

    `event_key` is the WARNING_RAISED event telling it (None: raised before the region's baseline, not
    told); `told` turns true once that event is in the outbox, so a round that died in between tells it
    again under the same key.
    """

    id: str | None = None  # type: ignore[assignment]
    region: str  # the top-level region whose scan raised it
    rule: str
    case_no: str
    person_id: str | None = None  # never sent: the event key carries `ref` instead
    ref: str | None = None  # an opaque reference for a person's warning, new each time it is raised
    raised_at: datetime
    event_key: str | None = None
    told: bool = True

    class Settings:
        name = "raised_warnings"
        indexes = [IndexModel([("region", ASCENDING)])]  # one region's raised warnings, read whole each round
