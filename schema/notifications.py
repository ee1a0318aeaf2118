"""Events about an agency's cases: GraphQL subscriptions (docs/subscriptions.md) and webhooks (docs/webhooks.md)."""

from __future__ import annotations

import json
from datetime import datetime

import strawberry
from beanie import PydanticObjectId
from strawberry.scalars import JSON
from strawberry.types import Info

from hub.auth import policy
from hub.notifications import models as m
from hub.notifications.webhooks import event_body
from schema.audit import Audited
from schema.cases import CaseType
from schema.enums import described_enum
from schema.relay import Node, to_global_id

EventKindEnum = described_enum(
    m.EventKind, {"CASE_HANDED_TO": "案件移交本单位", "HANDOVER_ANSWERED": "移交获答复",
                  "PETITION_ON_CASE": "案件有信访", "ESCALATED_PETITION": "案件有越级信访",
                  "WARNING_RAISED": "辖区出现预警", "DECISION_ASSIGNED": "联席会议交办事项",
                  "DEADLINE_NEAR": "期限临近"},
    name="EventKind", description="事件类型 — what a subscription or a webhook is told about.",
    glosses={"CASE_HANDED_TO": "a case was handed to your agency",
             "HANDOVER_ANSWERED": "the receiver accepted or returned your agency's handover",
             "PETITION_ON_CASE": "a petition on a case your agency is involved in",
             "ESCALATED_PETITION": "an escalated (越级) petition on a case your agency is involved in",
             "WARNING_RAISED": "an early warning was raised on a case in your region (coordination centres) "
                               "or that your agency must act on",
             "DECISION_ASSIGNED": "a joint meeting assigned a decision to your agency",
             "DEADLINE_NEAR": "a deadline of your agency is near: a handover to accept, a meeting decision, "
                              "a campaign responsibility"},
)

WebhookDeliveryStatus = described_enum(
    m.DeliveryStatus, {"PENDING": "待投递", "DELIVERED": "已投递", "FAILED": "投递失败"},
    name="WebhookDeliveryStatus", description="投递状态 — where one delivery stands.",
    glosses={"PENDING": "not yet accepted; retried with backoff", "DELIVERED": "the endpoint answered 2xx",
             "FAILED": "given up after the retry period, or the webhook was deleted"},
)


@strawberry.type(name="Webhook", description="An HTTPS endpoint of the agency's system that receives signed events "
                                             "(docs/webhooks.md).")
class WebhookType(Node):
    url: str = strawberry.field(description="Where events are POSTed.")
    kinds: list[EventKindEnum] = strawberry.field(  # type: ignore[valid-type]
        description="The kinds of event it receives.")
    active: bool = strawberry.field(description="False once deleted.")
    created_at: datetime = strawberry.field(description="When it was registered; it receives events from then on.")
    created_by: str = strawberry.field(description="The user who registered it.")

    @classmethod
    def from_model(cls, hook: m.Webhook) -> "WebhookType":
        """Convert the document (never the secret)."""
        return cls(id=to_global_id("Webhook", hook.id), url=hook.url, kinds=list(hook.kinds), active=hook.active,
                   created_at=hook.created_at, created_by=hook.created_by)


@strawberry.type(name="WebhookRegistration", description="A new webhook and its signing secret.")
class WebhookRegistrationType:
    webhook: WebhookType = strawberry.field(description="The webhook.")
    secret: str = strawberry.field(description="The HMAC-SHA256 signing secret: shown in this answer only, keep it.")


@strawberry.type(name="WebhookDelivery", description="One event sent (or being sent) to one of the agency's webhooks.")
class WebhookDeliveryType(Node):
    webhook_id: strawberry.ID = strawberry.field(description="The webhook's global ID.")
    event_key: str = strawberry.field(description="The event's idempotency key (the `X-Hub-Event-Id` header).")
    event_seq: int = strawberry.field(description="The event's position in the hub's outbox.")
    event_kind: EventKindEnum = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    case_no: str | None = strawberry.field(description="The case it concerns (none: a meeting decision about no case).")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    attempts: int = strawberry.field(description="POSTs sent so far.")
    last_status_code: int | None = strawberry.field(description="The HTTP status of the last answer (none: no answer).")
    last_error: str | None = strawberry.field(description="Why the last attempt failed (HTTP 500, ConnectTimeout …).")
    created_at: datetime = strawberry.field(description="When the delivery was created.")
    last_attempt_at: datetime | None = strawberry.field(description="When it was last sent.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is sent next (PENDING only).")
    delivered_at: datetime | None = strawberry.field(description="When the endpoint accepted it.")

    @classmethod
    def from_model(cls, d: m.Delivery) -> "WebhookDeliveryType":
        """Convert the document."""
        return cls(id=to_global_id("WebhookDelivery", d.id), webhook_id=to_global_id("Webhook", d.webhook_id),
                   event_key=d.event_key, event_seq=d.event_seq, event_kind=d.event_kind, case_no=d.case_no,
                   status=d.status, attempts=d.attempts, last_status_code=d.last_status, last_error=d.last_error,
                   created_at=d.created_at, last_attempt_at=d.last_attempt_at,
                   next_attempt_at=d.next_attempt_at if d.status is m.DeliveryStatus.PENDING else None,
                   delivered_at=d.delivered_at)


@strawberry.input(name="RegisterWebhookInput", description="A webhook of the caller's agency.")
class RegisterWebhookInput:
    url: str = strawberry.field(description="An https URL (http only to 127.0.0.1 or localhost, outside production).")
    kinds: list[EventKindEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The kinds of event to receive; every kind when omitted or empty.")


@strawberry.type(name="HubEvent", description="事件 — one event about the subscriber's agency, as the outbox holds it "
                                              "(docs/subscriptions.md).")
class HubEventType:
    key: str = strawberry.field(description="The event's idempotency key (a webhook's `X-Hub-Event-Id`): the same "
                                            "event always has the same key, so a subscriber deduplicates by it.")
    seq: int = strawberry.field(description="The event's position in the hub's outbox: resume a subscription with "
                                            "`after` set to the last one handled.")
    kind: EventKindEnum = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    occurred_at: datetime = strawberry.field(description="When the hub wrote the event.")
    case_no: str | None = strawberry.field(description="The case it concerns (none: a meeting decision about no case).")
    data: JSON = strawberry.field(description="The event's body: exactly what a webhook receives (docs/webhooks.md). "
                                              "It names no party; ask `case` for them.")
    case_id: strawberry.Private[PydanticObjectId | None]

    @strawberry.field(name="case", description="The case's shared view as the subscriber may see it now, personal data "
                                               "masked or not by the subscriber's `pii` role, as in `case`; null when "
                                               "the event is about no case or the agency may no longer see it.",
                      extensions=[Audited(targets=lambda kwargs, result: [result.case_no] if result else [])])
    async def case_(self, info: Info) -> CaseType | None:
        if self.case_id is None:
            return None
        found = await info.context.loaders.case_by_id.load(self.case_id)
        if found is None or not policy.can_view_case(info.context.principal, found.model):
            return None
        return found  # type: ignore[no-any-return]

    @classmethod
    def from_model(cls, event: m.OutboxEvent, agency_code: str) -> "HubEventType":
        """The event as one agency receives it."""
        return cls(key=str(event.id), seq=event.seq, kind=event.kind, occurred_at=event.at, case_no=event.case_no,
                   data=json.loads(event_body(event, agency_code)), case_id=event.case_id)
