"""Webhooks (docs/webhooks.md): an agency's endpoints for events about its cases, and their delivery log."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.notifications import models as m
from schema.enums import described_enum
from schema.relay import Node, to_global_id

WebhookEventKind = described_enum(
    m.EventKind, {"CASE_HANDED_TO": "案件移交本单位", "HANDOVER_ANSWERED": "移交获答复",
                  "PETITION_ON_CASE": "案件有信访", "ESCALATED_PETITION": "案件有越级信访",
                  "WARNING_RAISED": "辖区出现预警", "DECISION_ASSIGNED": "联席会议交办事项",
                  "DEADLINE_NEAR": "期限临近"},
    name="WebhookEventKind", description="事件类型 — what a webhook is told about.",
    glosses={"CASE_HANDED_TO": "a case was handed to your agency",
             "HANDOVER_ANSWERED": "the receiver accepted or returned your agency's handover",
             "PETITION_ON_CASE": "a petition on a case your agency is involved in",
             "ESCALATED_PETITION": "an escalated (越级) petition on a case your agency is involved in",
             "WARNING_RAISED": "an early warning was raised on a case in your region (centres, the stability office) "
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
    kinds: list[WebhookEventKind] = strawberry.field(  # type: ignore[valid-type]
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
    event_kind: WebhookEventKind = strawberry.field(description="What happened.")  # type: ignore[valid-type]
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
    kinds: list[WebhookEventKind] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The kinds of event to receive; every kind when omitted or empty.")
