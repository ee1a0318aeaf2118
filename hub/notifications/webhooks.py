"""Agencies' webhooks: registration, and the dispatcher that delivers outbox events to them.

`pump` is one round of the dispatcher, run by every hub process every `webhook_poll_seconds`:

1. fan out: read the outbox after this consumer's cursor (a document in `outbox_cursors`, so it
   survives restarts), create one `Delivery` per event and matching active webhook — unique by
   (webhook, event key), so two processes create it once — then advance the cursor (`$max`);
2. send: lease the due deliveries (one query finds them, one update leases those still due under the
   round's token, one reads them back: so two processes never send the same attempt at once), POST them signed, and record the result; a failure is retried
   with exponential backoff until `webhook_retry_hours` after the event, then the delivery is FAILED.

Delivery is at least once: a receiver that answered 2xx but whose answer was lost gets the event
again, with the same `X-Hub-Event-Id`, by which it deduplicates. See docs/webhooks.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from beanie import PydanticObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument

from hub.config import Settings
from hub.errors import BadUserInput, NotFound
from hub.notifications import outbox
from hub.notifications.models import (
    EPOCH, Delivery, DeliveryStatus, EventKind, OutboxCursor, OutboxEvent, Webhook,
)
from hub.keys.ring import KeyRing
from hub.store.service import find_by_ids, insert_new, store_now

log = logging.getLogger("hub.webhooks")

CONSUMER = "webhooks"
MAX_WEBHOOKS = 10  # per agency
MAX_URL = 2000
EVENTS_PER_ROUND = 500
SENDS_PER_ROUND = 100
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


# --- registration -------------------------------------------------------------------------------


def check_url(url: str, *, settings: Settings) -> str:
    """An https URL with a host; http only to this machine (127.0.0.1, localhost) outside production."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # raises on a bad port
    except ValueError:
        raise BadUserInput("the webhook URL is not a valid URL", field="url") from None
    host = (parts.hostname or "").lower()
    if len(url) > MAX_URL or not host or parts.username or parts.password or parts.fragment:
        raise BadUserInput(f"the webhook URL must name a host, have no user, password or #fragment, and be at most "
                           f"{MAX_URL} characters", field="url")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and host in LOCAL_HOSTS and settings.env != "production":
        return url
    raise BadUserInput("the webhook URL must be https (http only to 127.0.0.1 or localhost, outside production)",
                       field="url")


async def register(*, agency_code: str, user: str, url: str, kinds: Sequence[EventKind] | None,
                   settings: Settings, keys: KeyRing) -> tuple[Webhook, str]:
    """A new webhook of the agency, and its secret in clear (shown once; stored encrypted)."""
    url = check_url(url, settings=settings)
    chosen = sorted(set(kinds or list(EventKind)), key=list(EventKind).index)
    if len(await list_for_agency(agency_code=agency_code)) >= MAX_WEBHOOKS:
        raise BadUserInput(f"an agency has at most {MAX_WEBHOOKS} webhooks; delete one first", limit=MAX_WEBHOOKS)
    secret = "whsec_" + secrets.token_urlsafe(32)
    key = keys.current
    webhook = Webhook(agency_code=agency_code, url=url, secret=key.data.encrypt(secret), key_id=key.id, kinds=chosen,
                      created_at=store_now(), created_by=user)
    await webhook.insert()
    return webhook, secret


async def list_for_agency(*, agency_code: str) -> list[Webhook]:
    """The agency's active webhooks, oldest first."""
    return await Webhook.find({"agency_code": agency_code, "active": True}).sort(("created_at", ASCENDING)).to_list()


async def delete(*, agency_code: str, webhook_id: PydanticObjectId) -> Webhook:
    """Deactivate one of the agency's webhooks; its pending deliveries end FAILED. Another's: NOT_FOUND."""
    found = await Webhook.get_pymongo_collection().find_one_and_update(
        {"_id": webhook_id, "agency_code": agency_code, "active": True}, {"$set": {"active": False}},
        return_document=ReturnDocument.AFTER)
    if found is None:
        raise NotFound("no such webhook of your agency")
    await Delivery.get_pymongo_collection().update_many(
        {"webhook_id": webhook_id, "status": DeliveryStatus.PENDING.value},
        {"$set": {"status": DeliveryStatus.FAILED.value, "last_error": "webhook deleted"}})
    return Webhook.model_validate(found)


async def deliveries(*, agency_code: str, status: DeliveryStatus | None, first: int,
                     after: PydanticObjectId | None) -> tuple[list[Delivery], bool]:
    """A page of the agency's delivery log, newest first (keyset on `_id`), and whether more follow."""
    query: dict[str, Any] = {"agency_code": agency_code}
    if status is not None:
        query["status"] = status.value
    if after is not None:
        query["_id"] = {"$lt": after}
    found = await Delivery.find(query).sort(("_id", DESCENDING)).limit(first + 1).to_list()
    return found[:first], len(found) > first


async def count_deliveries(*, agency_code: str, status: DeliveryStatus | None) -> int:
    """How many deliveries the agency's log holds (of that status)."""
    query: dict[str, Any] = {"agency_code": agency_code}
    if status is not None:
        query["status"] = status.value
    return await Delivery.get_pymongo_collection().count_documents(query)


# --- signing ------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256, keyed by the secret, of `<timestamp>.<body>`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, *, timestamp: str, body: bytes, signature_header: str, tolerance: int = 300,
           now: float | None = None) -> bool:
    """What a receiver checks (docs/webhooks.md): the signature, and a timestamp at most `tolerance` s old."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs((now or time.time()) - stamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), signature_header)


def event_body(event: OutboxEvent, agency_code: str) -> str:
    """The JSON delivered for an event to one agency (the same bytes on every attempt)."""
    return json.dumps({"id": event.id, "seq": event.seq, "kind": str(event.kind), "occurredAt": event.at.isoformat(),
                       "agency": agency_code, "caseNo": event.case_no, **event.payload},
                      ensure_ascii=False, separators=(",", ":"))


def backoff(attempts: int, settings: Settings) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base · 2^(attempts-1), at most the cap."""
    return min(settings.webhook_backoff_cap, settings.webhook_backoff_base * 2 ** max(attempts - 1, 0))


# --- the dispatcher -----------------------------------------------------------------------------


@dataclass
class PumpResult:
    """What one round did."""

    events: int = 0  # outbox events read past the cursor
    created: int = 0  # deliveries created
    attempts: int = 0  # POSTs sent
    delivered: int = 0
    failed: int = 0  # given up (or webhook gone)


async def fan_out(*, settings: Settings, now: datetime, consumer: str = CONSUMER) -> tuple[int, int]:
    """Deliveries for the events after the cursor; the cursor advanced. Returns (events, deliveries created)."""
    cursors = OutboxCursor.get_pymongo_collection()
    cursor = await cursors.find_one({"_id": consumer})
    position = int(cursor["seq"]) if cursor else 0
    taken = await outbox.read_after(position, now=now, gap_seconds=settings.webhook_gap_seconds,
                                    limit=EVENTS_PER_ROUND)
    if not taken:
        return 0, 0
    agencies = sorted({a for e in taken for a in e.agencies})
    hooks = await Webhook.find({"agency_code": {"$in": agencies}, "active": True}).to_list()
    documents = []
    for event in taken:
        for hook in hooks:
            if hook.agency_code in event.agencies and event.kind in hook.kinds and hook.created_at <= event.at:
                documents.append(Delivery(
                    webhook_id=hook.id, agency_code=hook.agency_code, event_key=event.id, event_seq=event.seq,  # type: ignore[arg-type]
                    event_kind=event.kind, case_no=event.case_no, body=event_body(event, hook.agency_code),
                    created_at=now, next_attempt_at=now,
                ).model_dump(by_alias=True, exclude={"id", "revision_id"}))
    created = len(await insert_new(Delivery.get_pymongo_collection(), documents))  # another process's stand
    await cursors.update_one({"_id": consumer}, {"$max": {"seq": taken[-1].seq}, "$set": {"updated_at": now}},
                             upsert=True)
    return len(taken), created


async def _claim(*, now: datetime, lease: timedelta, limit: int) -> list[dict[str, Any]]:
    """Lease up to `limit` due deliveries, soonest first, in three queries whatever `limit`: find the
    candidates, lease those still due under this round's token (each document's update is atomic, so of two
    processes racing for one exactly one gets it), read back the ones leased."""
    collection = Delivery.get_pymongo_collection()
    due = {"status": DeliveryStatus.PENDING.value, "next_attempt_at": {"$lte": now}, "lease_until": {"$lte": now}}
    ids = [d["_id"] for d in await collection.find(due, {"_id": 1}).sort("next_attempt_at", ASCENDING)
           .limit(limit).to_list()]
    if not ids:
        return []
    token = secrets.token_hex(8)
    await collection.update_many({"_id": {"$in": ids}, **due}, {"$set": {"lease_until": now + lease,
                                                                          "lease_holder": token}})
    return await collection.find({"_id": {"$in": ids}, "lease_holder": token}).to_list()


async def _send(client: httpx.AsyncClient, delivery: dict[str, Any], hook: dict[str, Any] | None,
                *, settings: Settings, keys: KeyRing, result: PumpResult) -> None:
    collection = Delivery.get_pymongo_collection()
    guard = {"_id": delivery["_id"], "lease_until": delivery["lease_until"]}
    if hook is None or not hook.get("active"):
        await collection.update_one(guard, {"$set": {"status": DeliveryStatus.FAILED.value, "lease_until": EPOCH,
                                                     "last_error": "webhook deleted"}})
        result.failed += 1
        return
    body = delivery["body"].encode()
    stamp = int(time.time())
    headers = {"Content-Type": "application/json", "User-Agent": "mediation-hub-webhooks",
               "X-Hub-Event-Id": delivery["event_key"], "X-Hub-Event-Kind": delivery["event_kind"],
               "X-Hub-Timestamp": str(stamp), "X-Hub-Attempt": str(delivery["attempts"] + 1),
               "X-Hub-Signature": signature(keys.decrypt(hook["secret"]), stamp, body)}
    status: int | None = None
    error: str | None = None
    try:
        response = await client.post(hook["url"], content=body, headers=headers, timeout=settings.webhook_timeout)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.HTTPError as exc:
        error = type(exc).__name__
    result.attempts += 1
    now = store_now()
    attempts = delivery["attempts"] + 1
    update: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now, "last_status": status,
                              "last_error": error, "lease_until": EPOCH}
    if error is None:
        update.update(status=DeliveryStatus.DELIVERED.value, delivered_at=now)
        result.delivered += 1
    else:
        retry_at = now + timedelta(seconds=backoff(attempts, settings))
        created = delivery["created_at"]
        if retry_at > created + timedelta(hours=settings.webhook_retry_hours):
            update["status"] = DeliveryStatus.FAILED.value
            result.failed += 1
        else:
            update["next_attempt_at"] = retry_at
        log.info("webhook delivery %s (webhook %s) attempt %d failed: %s", delivery["_id"], hook["_id"], attempts,
                 error)
    await collection.update_one(guard, {"$set": update})


async def send_due(*, settings: Settings, keys: KeyRing, client: httpx.AsyncClient | None = None,
                   result: PumpResult | None = None) -> PumpResult:
    """Claim the deliveries due now (up to SENDS_PER_ROUND) and send them concurrently."""
    result = result or PumpResult()
    now = store_now()
    lease = timedelta(seconds=settings.webhook_timeout + 30)
    claimed = await _claim(now=now, lease=lease, limit=SENDS_PER_ROUND)
    if not claimed:
        return result
    hooks = {h["_id"]: h for h in await find_by_ids(Webhook.get_pymongo_collection(),
                                                    {d["webhook_id"] for d in claimed})}
    own = client is None
    client = client or httpx.AsyncClient(follow_redirects=False)
    try:
        await asyncio.gather(*(_send(client, d, hooks.get(d["webhook_id"]), settings=settings, keys=keys,
                                     result=result) for d in claimed))
    finally:
        if own:
            await client.aclose()
    return result


async def pump(*, settings: Settings, keys: KeyRing, client: httpx.AsyncClient | None = None) -> PumpResult:
    """One round of the dispatcher: fan the new outbox events out, then send what is due."""
    result = PumpResult()
    result.events, result.created = await fan_out(settings=settings, now=store_now())
    return await send_due(settings=settings, keys=keys, client=client, result=result)


async def run_forever(*, settings: Settings, keys: KeyRing) -> None:
    """The background dispatcher of one hub process: a round every `webhook_poll_seconds`, and at once when
    this process writes events (outbox.listen); errors logged."""
    written = asyncio.Event()
    unlisten = outbox.listen(written.set)
    try:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            while True:
                written.clear()
                try:
                    await pump(settings=settings, keys=keys, client=client)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # never let the dispatcher die; the message carries no personal data
                    log.warning("webhook dispatcher round failed: %s", type(exc).__name__)
                try:
                    async with asyncio.timeout(settings.webhook_poll_seconds):  # wait_for can swallow a cancel
                        await written.wait()
                except TimeoutError:
                    pass
    finally:
        unlisten()
