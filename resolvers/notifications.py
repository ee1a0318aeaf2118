"""Events for the caller's agency: the `events` subscription (docs/subscriptions.md), and its webhooks —
register, list, delete, and the delivery log (docs/webhooks.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime, timezone
from typing import Annotated, Any

import strawberry
from bson import ObjectId
from bson.errors import InvalidId
from strawberry.types import Info

from hub.errors import BadUserInput, Unauthenticated
from hub.notifications import outbox, webhooks as webhook_service
from hub.notifications.feed import FellBehind
from hub.notifications.models import DeliveryStatus as Status, EventKind
from resolvers.context import Context
from resolvers.loaders import Loaders
from schema.audit import Audited
from schema.notifications import (
    EventKindEnum, HubEventType, RegisterWebhookInput, WebhookDeliveryStatus, WebhookDeliveryType, WebhookRegistrationType, WebhookType,
)
from schema.relay import Connection, check_first, connection, decode_cursor, encode_cursor, object_id


def _ids(kwargs: dict[str, Any], result: Any) -> list[str]:
    if isinstance(result, WebhookRegistrationType):
        return [str(result.webhook.id)]
    if isinstance(result, WebhookType):
        return [str(result.id)]
    if isinstance(result, list):
        return [str(w.id) for w in result]
    if isinstance(result, Connection):
        return [e.node.event_key for e in result.edges]
    return [str(kwargs.get("id") or getattr(kwargs.get("input"), "url", ""))]


def _after(after: str | None) -> ObjectId | None:
    if after is None:
        return None
    values = decode_cursor(after)
    try:
        [raw] = values
        return ObjectId(raw)
    except (ValueError, TypeError, InvalidId):
        raise BadUserInput("`after` is not a cursor of this list", field="after") from None


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="事件位置 — the outbox's position now: subscribe to `events` with `after` set to it "
                                  "and every event from this moment on arrives, however long the subscription takes "
                                  "to set up (a page that has just read its lists misses nothing written since).")
    async def events_position(self, info: Info[Context, None]) -> int:
        return await info.context.request.app.state.feed.current()

    @strawberry.field(description="The caller's agency's active webhooks, oldest first (never their secrets).",
                      extensions=[Audited(targets=_ids)])
    async def webhooks(self, info: Info[Context, None]) -> list[WebhookType]:
        found = await webhook_service.list_for_agency(agency_code=info.context.principal.agency_code)
        return [WebhookType.from_model(h) for h in found]

    @strawberry.field(description="投递日志 — the caller's agency's webhook deliveries, newest first.",
                      extensions=[Audited(targets=_ids)])
    async def webhook_deliveries(
        self, info: Info[Context, None],
        status: Annotated[WebhookDeliveryStatus | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only deliveries of this status.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Deliveries per page, 1-100.")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="The `endCursor` of the previous page; the first page when omitted.")] = None,
    ) -> Connection[WebhookDeliveryType]:
        size = check_first(first)
        agency = info.context.principal.agency_code
        wanted = Status(status) if status is not None else None
        page, has_next = await webhook_service.deliveries(agency_code=agency, status=wanted, first=size,
                                                          after=_after(after))  # type: ignore[arg-type]
        return connection([WebhookDeliveryType.from_model(d) for d in page],
                          cursors=[encode_cursor([str(d.id)]) for d in page], has_next=has_next,
                          has_previous=after is not None,
                          total=lambda: webhook_service.count_deliveries(agency_code=agency, status=wanted))


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Register a webhook of the caller's agency: signed events about its cases are "
                                     "POSTed to it (docs/webhooks.md). The answer holds the signing secret, once.",
                         extensions=[Audited(targets=_ids)])
    async def register_webhook(
        self, info: Info[Context, None],
        input: Annotated[RegisterWebhookInput, strawberry.argument(description="The URL and the kinds of event.")],
    ) -> WebhookRegistrationType:
        principal = info.context.principal
        kinds = [EventKind(k) for k in input.kinds] if input.kinds else None
        hook, secret = await webhook_service.register(
            agency_code=principal.agency_code, user=principal.user, url=input.url, kinds=kinds,
            settings=info.context.settings, keys=info.context.keys)
        return WebhookRegistrationType(webhook=WebhookType.from_model(hook), secret=secret)

    @strawberry.mutation(description="Delete one of the caller's agency's webhooks; its pending deliveries end FAILED. "
                                     "Another agency's: NOT_FOUND.", extensions=[Audited(targets=_ids)])
    async def delete_webhook(
        self, info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The webhook's global ID.")],
    ) -> WebhookType:
        hook = await webhook_service.delete(agency_code=info.context.principal.agency_code,
                                            webhook_id=object_id(id, "Webhook"))  # type: ignore[arg-type]
        return WebhookType.from_model(hook)


REVOCATION_CHECK = 2.0  # seconds a quiet subscription waits before it looks at its token again


def _fresh(info: Info[Context, None]) -> None:
    """A clean slate for resolving the next event: loaders that read the store anew, audit acts anew."""
    info.context.loaders = Loaders(info.context.request.app.state.agencies)
    info.context.audited = set()


@strawberry.type(name="Subscription", description="事件订阅 — what a client hears of as it happens, over a WebSocket "
                                                "(graphql-transport-ws; docs/subscriptions.md).")
class EventSubscription:
    @strawberry.subscription(
        description="事件订阅 — events about the caller's agency, as they happen: a case handed to it, an answer to "
                    "its handover, a petition or escalated petition on a case it is involved in, a warning raised in "
                    "its region, a meeting decision assigned to it, a deadline near. Only the caller's own agency's: "
                    "there is no argument to name another. Over WebSocket (graphql-transport-ws), authenticated by "
                    "the connection's `Authorization` parameter (docs/subscriptions.md). Ends when the token expires or is "
                    "revoked.")
    async def events(
        self, info: Info[Context, None],
        kinds: Annotated[list[EventKindEnum] | None, strawberry.argument(  # type: ignore[valid-type]
            description="The kinds of event to receive; every kind when omitted or empty.")] = None,
        after: Annotated[int | None, strawberry.argument(
            description="Resume: first the agency's events after this `seq` (the last one handled before a "
                        "disconnection), then live ones. Omitted: from now on.")] = None,
    ) -> AsyncGenerator[HubEventType, None]:
        principal = info.context.principal
        if after is not None and after < 0:
            raise BadUserInput("`after` is a `seq`, 0 or more", field="after")
        if after is not None and after < (pruned := await outbox.pruned_through()):
            raise BadUserInput(f"events up to seq {pruned} are past their retention and gone; subscribe without "
                               f"`after` (and read the cases anew) or with `after` ≥ {pruned}", field="after",
                               prunedThrough=pruned)
        wanted = [EventKind(k) for k in kinds] if kinds else list(EventKind)
        await info.context.audit("events", targets=[str(k) for k in wanted])
        feed = info.context.request.app.state.feed
        async with feed.subscribe(agency_code=principal.agency_code, kinds=wanted) as subscriber:
            if after is not None:
                async for event in subscriber.missed(after):
                    _fresh(info)
                    yield HubEventType.from_model(event, principal.agency_code)
            expires = principal.expires_at
            revocations = info.context.request.app.state.revocations
            while True:
                left = (expires - datetime.now(timezone.utc)).total_seconds() if expires else REVOCATION_CHECK
                if left <= 0:
                    raise Unauthenticated("the token has expired; subscribe again with a new one")
                if await revocations.is_revoked(principal.token_id):
                    raise Unauthenticated("the token has been revoked; subscribe again with a new one")
                try:
                    async with asyncio.timeout(min(left, REVOCATION_CHECK)):  # not wait_for: it can swallow a cancel
                        event = await subscriber.next()
                except TimeoutError:
                    continue  # look at the token again
                except FellBehind as exc:
                    raise BadUserInput(str(exc), field="after", resumeAfter=exc.seq) from None
                _fresh(info)
                yield HubEventType.from_model(event, principal.agency_code)
