"""Events in the outbox and their delivery by signed webhooks, against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from beanie import PydanticObjectId
from pymongo.asynchronous.database import AsyncDatabase

from hub.app import create_app
from hub.config import Settings
from hub.errors import BadUserInput
from hub.notifications import outbox, webhooks
from hub.notifications.models import Delivery, DeliveryStatus, EventKind, OutboxCursor, OutboxEvent
from hub.keys.ring import KeyRing
from hub.store.service import store_now
from tests.conftest import TokenFor, act_as
from tests.factories import batch, record
from tests.graphql import first_error, gql
from tests.notifications.conftest import Receiver
from tests.processes import hub_env, run_hub
from tests.scenarios import ingest

REGISTER = """mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) {
  secret webhook { id url kinds active createdBy } } }"""
WEBHOOKS = """{ webhooks { id url kinds } }"""
DELETE = """mutation($id: ID!) { deleteWebhook(id: $id) { id active } }"""
LOG = """query($status: WebhookDeliveryStatus, $first: Int, $after: String) {
  webhookDeliveries(status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { eventKey eventKind caseNo status attempts lastStatusCode lastError deliveredAt nextAttemptAt webhookId } } }"""


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """The test's settings with retries a few tens of milliseconds apart."""
    return settings.model_copy(update={"webhook_backoff_base": 0.05, "webhook_backoff_cap": 0.2,
                                       "webhook_timeout": 5.0})


async def pump_until(settings: Settings, keys: KeyRing, done: Any, *, rounds: int = 200) -> None:
    for _ in range(rounds):
        await webhooks.pump(settings=settings, keys=keys)
        if await done():
            return
        await asyncio.sleep(0.03)
    raise AssertionError("the dispatcher did not get there")


async def register(http: httpx.AsyncClient, url: str, kinds: list[str] | None = None) -> dict[str, Any]:
    return (await gql(http, REGISTER, input={"url": url, "kinds": kinds}))["registerWebhook"]


async def a_case_handed_to_hrss(n: int = 1) -> tuple[str, str]:
    """A case PMC-A opened and handed to HRSS: (case number, handover record id)."""
    [outcome] = await ingest(batch("PMC-A", record(f"w{n}-in", "INTAKE"),
                                   record(f"w{n}-ho", "HANDOVER", caseRef={"sourceId": f"w{n}-in"})))
    return outcome.results[0].case_no or "", f"PMC-A-SYS|w{n}-ho"


# --- the outbox ---------------------------------------------------------------------------------


async def test_a_replayed_batch_writes_its_events_once(district: AsyncDatabase) -> None:
    the_batch = batch("PMC-A", record("r-in", "INTAKE"), record("r-ho", "HANDOVER", caseRef={"sourceId": "r-in"}))
    await ingest(the_batch)
    await ingest(the_batch)
    events = await OutboxEvent.find({}).to_list()
    assert [(e.id, e.kind, e.agencies, e.seq) for e in events] == [
        ("handover:PMC-A-SYS|r-ho", "CASE_HANDED_TO", ["HRSS"], 1)]
    assert events[0].payload["handover"]["fromAgency"] == "PMC-A" and "parties" not in json.dumps(events[0].payload)


async def test_each_event_concerns_the_right_agencies(district: AsyncDatabase) -> None:
    case_no, handover_id = await a_case_handed_to_hrss()
    await ingest(batch("HRSS", record("ans", "HANDOVER_RESPONSE", caseNo=case_no,
                                      details={"handoverId": handover_id, "decision": "ACCEPTED"})))
    await ingest(batch("PB", record("pet", "PETITION", caseNo=case_no,
                                    details={"levelReached": "CITY", "escalated": True})))
    await ingest(batch("PB", record("pet2", "PETITION", caseNo=case_no)))
    await ingest(batch("PB", record("pet3", "PETITION", caseNo=case_no, visibility="RESTRICTED")))
    events = {e.id: (e.kind, e.agencies) for e in await OutboxEvent.find({}).sort("seq").to_list()}
    assert events == {
        f"handover:{handover_id}": ("CASE_HANDED_TO", ["HRSS"]),
        "handover-answer:HRSS-SYS|ans": ("HANDOVER_ANSWERED", ["PMC-A"]),  # the handover's sender
        "petition:PB-SYS|pet": ("ESCALATED_PETITION", ["HRSS", "PMC-A"]),  # the case's agencies, not the petitioner
        "petition:PB-SYS|pet2": ("PETITION_ON_CASE", ["HRSS", "PMC-A"]),
        # a restricted petition (stability intelligence) concerns none of them: neither may read it
    }
    assert sorted(e.seq for e in await OutboxEvent.find({}).to_list()) == [1, 2, 3, 4]


# --- registration -------------------------------------------------------------------------------


async def test_a_webhook_needs_https(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    act_as(http, token_for("HRSS"))
    for url in ("http://example.org/hook", "ftp://example.org/hook", "https://", "https://u:p@example.org/x", "nix"):
        refused = await first_error(http, REGISTER, input={"url": url})
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "url"), url
    made = await register(http, "https://hrss.example.org/hub-events", ["CASE_HANDED_TO"])
    assert made["secret"].startswith("whsec_") and made["webhook"]["kinds"] == ["CASE_HANDED_TO"]
    assert (await register(http, "http://127.0.0.1:9/x"))["webhook"]["kinds"] == [
        "CASE_HANDED_TO", "HANDOVER_ANSWERED", "PETITION_ON_CASE", "ESCALATED_PETITION", "WARNING_RAISED",
        "DECISION_ASSIGNED", "DEADLINE_NEAR"]
    with pytest.raises(BadUserInput):
        webhooks.check_url("http://127.0.0.1:9/x", settings=Settings(env="production"))
    assert "secret" not in json.dumps(await gql(http, "{ webhooks { id url } }"))


async def test_an_agency_sees_and_deletes_only_its_own_webhooks(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    act_as(http, token_for("HRSS"))
    made = (await register(http, "https://hrss.example.org/a"))["webhook"]
    act_as(http, token_for("COURT"))
    assert (await gql(http, WEBHOOKS))["webhooks"] == []
    assert (await first_error(http, DELETE, id=made["id"]))["code"] == "NOT_FOUND"
    act_as(http, token_for("HRSS"))
    assert [w["id"] for w in (await gql(http, WEBHOOKS))["webhooks"]] == [made["id"]]
    assert (await gql(http, DELETE, id=made["id"]))["deleteWebhook"] == {"id": made["id"], "active": False}
    assert (await gql(http, WEBHOOKS))["webhooks"] == []


# --- delivery -----------------------------------------------------------------------------------


async def test_a_delivery_is_retried_until_accepted_signed_and_keyed(
    http: httpx.AsyncClient, token_for: TokenFor, fast: Settings, keys: KeyRing, receiver: Receiver
) -> None:
    receiver.failures = 2
    act_as(http, token_for("HRSS"))
    secret = (await register(http, f"{receiver.url}/hrss", ["CASE_HANDED_TO"]))["secret"]
    act_as(http, token_for("COURT"))
    await register(http, f"{receiver.url}/court")  # every kind, but the case is not the court's
    case_no, handover_id = await a_case_handed_to_hrss()

    async def delivered() -> bool:
        return await Delivery.find({"status": "DELIVERED"}).count() == 1

    await pump_until(fast, keys, delivered)
    [delivery] = await Delivery.find({}).to_list()
    assert (delivery.status, delivery.attempts, delivery.last_status, delivery.agency_code) == (
        DeliveryStatus.DELIVERED, 3, 200, "HRSS")
    sent = receiver.on("/hrss")
    assert len(sent) == 3 and receiver.on("/court") == []
    assert len({r["body"] for r in sent}) == 1  # the same body every time
    for attempt, request in enumerate(sent, start=1):
        headers = request["headers"]
        assert headers["X-Hub-Event-Id"] == f"handover:{handover_id}" and headers["X-Hub-Attempt"] == str(attempt)
        assert headers["Content-Type"] == "application/json"
        assert webhooks.verify(secret, timestamp=headers["X-Hub-Timestamp"], body=request["body"],
                               signature_header=headers["X-Hub-Signature"])
        assert not webhooks.verify("whsec_wrong", timestamp=headers["X-Hub-Timestamp"], body=request["body"],
                                   signature_header=headers["X-Hub-Signature"])
    body = json.loads(sent[0]["body"])
    assert (body["id"], body["kind"], body["caseNo"], body["agency"], body["handover"]["toAgency"]) == (
        f"handover:{handover_id}", "CASE_HANDED_TO", case_no, "HRSS", "HRSS")

    act_as(http, token_for("HRSS"))
    log = (await gql(http, LOG))["webhookDeliveries"]
    [entry] = log["nodes"]
    assert (log["totalCount"], entry["eventKey"], entry["eventKind"], entry["caseNo"], entry["status"],
            entry["attempts"], entry["lastStatusCode"], entry["lastError"], entry["nextAttemptAt"]) == (
        1, f"handover:{handover_id}", "CASE_HANDED_TO", case_no, "DELIVERED", 3, 200, None, None)
    assert (await gql(http, LOG, status="FAILED"))["webhookDeliveries"]["totalCount"] == 0
    act_as(http, token_for("COURT"))
    assert (await gql(http, LOG))["webhookDeliveries"]["nodes"] == []

    # A restart: nothing in memory, the cursor in the store; nothing is sent again.
    assert (await OutboxCursor.get("webhooks")).seq == 1  # type: ignore[union-attr]
    again = await webhooks.pump(settings=fast, keys=keys)
    assert (again.events, again.created, again.attempts) == (0, 0, 0) and len(receiver.requests) == 3


async def test_two_dispatchers_deliver_each_event_once_per_webhook(
    http: httpx.AsyncClient, token_for: TokenFor, fast: Settings, keys: KeyRing, receiver: Receiver
) -> None:
    act_as(http, token_for("HRSS"))
    await register(http, f"{receiver.url}/one")
    await register(http, f"{receiver.url}/two", ["CASE_HANDED_TO"])
    for n in range(3):
        await a_case_handed_to_hrss(n)
    for _ in range(3):
        await asyncio.gather(*(webhooks.pump(settings=fast, keys=keys) for _ in range(2)))
    assert await Delivery.find({"status": "DELIVERED"}).count() == 6
    for path in ("/one", "/two"):
        keys_sent = [r["headers"]["X-Hub-Event-Id"] for r in receiver.on(path)]
        assert sorted(keys_sent) == sorted(set(keys_sent)) and len(keys_sent) == 3


async def test_a_delivery_never_accepted_ends_failed_and_paging_the_log(
    http: httpx.AsyncClient, token_for: TokenFor, fast: Settings, keys: KeyRing, receiver: Receiver
) -> None:
    receiver.failures = 1000
    short = fast.model_copy(update={"webhook_retry_hours": 0.3 / 3600})  # give up after 0.3 s
    act_as(http, token_for("HRSS"))
    await register(http, f"{receiver.url}/down")
    for n in range(3):
        await a_case_handed_to_hrss(n)

    async def all_failed() -> bool:
        return await Delivery.find({"status": "FAILED"}).count() == 3

    await pump_until(short, keys, all_failed)
    assert all(d.attempts >= 1 and d.last_status == 500 and d.last_error == "HTTP 500"
               for d in await Delivery.find({}).to_list())
    first = (await gql(http, LOG, status="FAILED", first=2))["webhookDeliveries"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] and len(first["nodes"]) == 2
    rest = (await gql(http, LOG, status="FAILED", first=2, after=first["pageInfo"]["endCursor"]))["webhookDeliveries"]
    assert len(rest["nodes"]) == 1 and not rest["pageInfo"]["hasNextPage"]
    assert {n["eventKey"] for n in first["nodes"] + rest["nodes"]} == {
        f"handover:PMC-A-SYS|w{n}-ho" for n in range(3)}


async def test_backoff_doubles_up_to_the_cap(settings: Settings) -> None:
    assert [webhooks.backoff(n, settings) for n in range(1, 12)] == [
        10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]


async def test_the_app_runs_the_dispatcher_in_the_background(
    fast: Settings, database: AsyncDatabase, keys: KeyRing, token_for: TokenFor, receiver: Receiver
) -> None:
    from tests.factories import load_reference_data

    await load_reference_data()
    app = create_app(fast.model_copy(update={"webhook_poll_seconds": 0.05}))
    async with LifespanManager(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
            act_as(http, token_for("HRSS"))
            await register(http, f"{receiver.url}/bg")
            await a_case_handed_to_hrss()
            for _ in range(200):
                if receiver.on("/bg"):
                    break
                await asyncio.sleep(0.03)
    assert len(receiver.on("/bg")) == 1


async def test_the_outbox_and_the_delivery_log_are_pruned_past_their_retention_once_read(
        district: AsyncDatabase) -> None:
    now = store_now()
    old, young = now - timedelta(days=40), now - timedelta(days=1)
    for seq, at in ((1, old), (2, old), (3, young)):
        await OutboxEvent(id=f"e{seq}", seq=seq, kind=EventKind.CASE_HANDED_TO, agencies=["HRSS"], at=at).insert()
    await OutboxCursor(id="webhooks", seq=1).insert()  # the dispatcher has read event 1 only
    hook = PydanticObjectId()
    for key, status, at in (("d1", DeliveryStatus.DELIVERED, old), ("d2", DeliveryStatus.FAILED, old),
                            ("d3", DeliveryStatus.PENDING, old), ("d4", DeliveryStatus.DELIVERED, young)):
        await Delivery(webhook_id=hook, agency_code="HRSS", event_key=key, event_seq=1,
                       event_kind=EventKind.CASE_HANDED_TO, body="{}", status=status, created_at=at,
                       next_attempt_at=at).insert()
    assert await outbox.prune(before=now - timedelta(days=30)) == (1, 2)
    assert sorted(e.seq for e in await OutboxEvent.find({}).to_list()) == [2, 3]  # unread, young
    assert sorted(d.event_key for d in await Delivery.find({}).to_list()) == ["d3", "d4"]  # pending, young


async def test_repair_writes_the_events_a_crash_between_records_and_outbox_lost(
        district: AsyncDatabase, settings: Settings) -> None:
    before = store_now()
    await a_case_handed_to_hrss(1)
    await a_case_handed_to_hrss(2)
    # As if the process died after writing the second batch's records, before their events.
    await OutboxEvent.get_pymongo_collection().delete_one({"_id": "handover:PMC-A-SYS|w2-ho"})
    examined, written = await outbox.repair(since=before)
    assert (examined, written) == (2, 1)  # two handovers recorded since; one event was missing
    assert await OutboxEvent.get_pymongo_collection().count_documents({"_id": "handover:PMC-A-SYS|w2-ho"}) == 1
    assert await outbox.repair(since=before) == (2, 0)  # safe to run again
    assert await outbox.repair(since=store_now() + timedelta(seconds=1)) == (0, 0)

    await OutboxEvent.get_pymongo_collection().delete_one({"_id": "handover:PMC-A-SYS|w1-ho"})
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db, HUB_DATA_DIR=str(settings.data_dir),
                  HUB_SECRET_KEY=settings.resolved_secret_key())
    done = await asyncio.to_thread(run_hub, "outbox", "repair", "--since", before.strftime("%Y-%m-%dT%H:%M"), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2 record(s) examined; 1 missing event(s) written"
