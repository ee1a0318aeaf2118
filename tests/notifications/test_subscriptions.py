"""The `events` subscription over a real WebSocket (graphql-transport-ws) to the app served by uvicorn."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from websockets.exceptions import InvalidStatus

from hub.audit.models import AuditEntry
from hub.middleware import TOKEN_COOKIE
from hub.notifications import outbox
from hub.notifications.feed import Feed
from hub.notifications.models import EventKind, OutboxEvent
from hub.store.service import store_now
from tests.conftest import TokenFor
from tests.factories import batch, party, record, resident_id
from tests.notifications.conftest import Closed, GraphQLWS, graphql_ws
from tests.scenarios import ingest

EVENTS = """subscription($kinds: [EventKind!], $after: Int) { events(kinds: $kinds, after: $after) {
  key seq kind caseNo occurredAt data case { caseNo parties { person { name idNumber } } } } }"""
APPLICANT_ID = resident_id(seq=77)


async def joined(app: Starlette, count: int) -> None:
    """Wait until this many subscriptions are attached to the app's feed (a subscribe message has no answer)."""
    for _ in range(500):
        if app.state.feed.subscribers >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{app.state.feed.subscribers} subscriptions attached, not {count}")


async def hand_over(n: int, to: str = "HRSS") -> str:
    """A case PMC-A opens (an applicant with an ID number) and hands to `to`; the handover record's id."""
    await ingest(batch("PMC-A", record(f"s{n}-in", "INTAKE", parties=[party("王五", idNumber=APPLICANT_ID)]),
                       record(f"s{n}-ho", "HANDOVER", caseRef={"sourceId": f"s{n}-in"},
                              details={"toAgency": to, "reason": "属职能部门职责"})))
    return f"PMC-A-SYS|s{n}-ho"


async def event(client: GraphQLWS) -> dict[str, Any]:
    return (await client.next())["events"]  # type: ignore[no-any-return]


async def test_an_agency_hears_of_a_case_handed_to_it_and_an_agency_outside_hears_nothing(
        app: Starlette, served: str, token_for: TokenFor) -> None:
    async with graphql_ws(served, token=token_for("HRSS")) as hrss, \
            graphql_ws(served, token=token_for("PMC-B")) as outsider:
        await hrss.subscribe(EVENTS)
        await outsider.subscribe(EVENTS)
        await joined(app, 2)
        first = await hand_over(1)
        got = await event(hrss)
        assert (got["key"], got["kind"]) == (f"handover:{first}", "CASE_HANDED_TO")
        assert got["data"]["handover"] | {"acceptBy": None} == {
            "id": first, "fromAgency": "PMC-A", "toAgency": "HRSS", "mode": "TRANSFER", "reason": "属职能部门职责",
            "acceptBy": None}
        assert got["data"]["id"] == got["key"] and got["data"]["agency"] == "HRSS"
        assert got["case"]["caseNo"] == got["caseNo"]
        # The outsider's first event is the one handed to it: HRSS's never reached it.
        second = await hand_over(2, to="PMC-B")
        theirs = await event(outsider)
        assert (theirs["key"], theirs["case"]["caseNo"]) == (f"handover:{second}", theirs["caseNo"])
        assert await hrss.quiet(0.3)
    assert await AuditEntry.find({"operation": "events", "agency_code": "HRSS"}).count() == 1


async def test_personal_data_in_an_event_follows_the_subscribers_pii_role(
        app: Starlette, served: str, token_for: TokenFor) -> None:
    async with graphql_ws(served, token=token_for("HRSS", roles=["pii"])) as cleared, \
            graphql_ws(served, token=token_for("HRSS")) as plain:
        await cleared.subscribe(EVENTS)
        await plain.subscribe(EVENTS)
        await joined(app, 2)
        await hand_over(1)
        [shown] = (await event(cleared))["case"]["parties"]
        [masked] = (await event(plain))["case"]["parties"]
    assert shown["person"]["idNumber"] == APPLICANT_ID
    assert masked["person"]["idNumber"] == APPLICANT_ID[:3] + "*" * 11 + APPLICANT_ID[-4:]
    assert APPLICANT_ID not in str(masked)


async def test_kinds_narrow_what_arrives(app: Starlette, served: str, token_for: TokenFor) -> None:
    async with graphql_ws(served, token=token_for("PMC-A")) as sender:
        await sender.subscribe(EVENTS, kinds=["HANDOVER_ANSWERED"])
        await joined(app, 1)
        handover = await hand_over(1)
        await ingest(batch("HRSS", record("s1-ok", "HANDOVER_RESPONSE", caseRef={"sourceSystem": "PMC-A-SYS",
                                                                                  "sourceId": "s1-in"},
                                          details={"handoverId": handover, "decision": "ACCEPTED"})))
        got = await event(sender)
    assert (got["kind"], got["data"]["answer"]["decision"], got["data"]["answer"]["answeredBy"]) == (
        "HANDOVER_ANSWERED", "ACCEPTED", "HRSS")


async def test_a_subscriber_resumes_after_the_last_event_it_handled_and_misses_nothing(
        app: Starlette, served: str, token_for: TokenFor) -> None:
    token = token_for("HRSS")
    async with graphql_ws(served, token=token) as client:
        await client.subscribe(EVENTS)
        await joined(app, 1)
        keys = [f"handover:{await hand_over(1)}"]
        handled = await event(client)
    assert handled["key"] == keys[0]
    await hand_over(2, to="PMC-B")  # not HRSS's
    keys += [f"handover:{await hand_over(n)}" for n in (3, 4)]  # while it was away
    async with graphql_ws(served, token=token) as client:
        await client.subscribe(EVENTS, after=handled["seq"])
        missed = [await event(client), await event(client)]
        await joined(app, 1)
        keys.append(f"handover:{await hand_over(5)}")
        live = await event(client)
        assert await client.quiet(0.3)
    received = [handled, *missed, live]
    assert [e["key"] for e in received] == keys
    assert [e["seq"] for e in received] == sorted({e["seq"] for e in received})


async def test_a_client_that_reads_the_position_first_misses_nothing_written_while_it_subscribes(
        app: Starlette, served: str, token_for: TokenFor) -> None:
    token = token_for("HRSS")
    async with httpx.AsyncClient(base_url=f"http://{served}", headers={"Authorization": f"Bearer {token}"}) as http:
        answer = (await http.post("/graphql", json={"query": "{ eventsPosition }"})).json()
    position = answer["data"]["eventsPosition"]
    assert position == app.state.feed.position
    handed = f"handover:{await hand_over(1)}"  # the page has read its lists; its WebSocket is not up yet
    async with graphql_ws(served, token=token) as late, graphql_ws(served, token=token) as resumed:
        await late.subscribe(EVENTS)  # from "now": too late for it
        await resumed.subscribe(EVENTS, after=position)
        got = await event(resumed)
        await joined(app, 2)
        assert await late.quiet(0.3)
    assert (got["key"], got["seq"]) == (handed, position + 1)


async def test_a_subscriber_that_falls_behind_is_told_where_to_resume(
        app: Starlette, served: str, token_for: TokenFor) -> None:
    app.state.feed.queue_size = 2
    async with graphql_ws(served, token=token_for("HRSS")) as client:
        await client.subscribe("subscription { events { key seq } }")
        await joined(app, 1)
        # Three events at once: the queue of two overflows before the subscription reads.
        await ingest(batch("PMC-A", *[r for n in (1, 2, 3) for r in (
            record(f"b{n}-in", "INTAKE"), record(f"b{n}-ho", "HANDOVER", caseRef={"sourceId": f"b{n}-in"}))]))
        messages = [await client.message() for _ in range(3)]
    assert [m["type"] for m in messages] == ["next", "next", "next"]
    delivered = [m["payload"]["data"]["events"] for m in messages[:2]]
    [error] = messages[2]["payload"]["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["resumeAfter"] == delivered[-1]["seq"]


async def test_the_subscription_ends_when_the_token_expires(app: Starlette, served: str, token_for: TokenFor) -> None:
    async with graphql_ws(served, token=token_for("HRSS", ttl=timedelta(seconds=2))) as client:
        await client.subscribe(EVENTS)
        message = await client.message(timeout=10)
    assert message["type"] == "next" and message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("params", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": 42}])
async def test_a_connection_without_a_valid_token_is_refused(served: str, params: dict[str, Any]) -> None:
    with pytest.raises(Closed) as closed:
        async with graphql_ws(served, params=params):
            pass
    assert closed.value.code == 4403


async def test_the_console_connects_with_its_session_cookie_from_its_own_origin_only(
        app: Starlette, served: str, token_for: TokenFor) -> None:
    cookie = {"Cookie": f"{TOKEN_COOKIE}={token_for('HRSS')}"}
    async with graphql_ws(served, params={}, headers=cookie, origin=f"http://{served}") as client:
        await client.subscribe(EVENTS)
        await joined(app, 1)
        handover = await hand_over(1)
        assert (await event(client))["key"] == f"handover:{handover}"
    with pytest.raises(InvalidStatus):
        async with graphql_ws(served, params={}, headers=cookie, origin="http://intruder.example"):
            pass


async def test_queries_and_mutations_are_refused_over_the_websocket(served: str, token_for: TokenFor) -> None:
    async with graphql_ws(served, token=token_for("HRSS", roles=["pii"])) as client:
        await client.subscribe("{ viewer { agency { code } } }")
        refused = await client.message()
        await client.subscribe('mutation { deleteWebhook(id: "V2ViaG9vazox") { id } }')
        refused_too = await client.message()
    for message in (refused, refused_too):
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", message
        assert "data" not in message["payload"] or not message["payload"].get("data")


async def test_a_process_whose_feed_lags_does_not_hand_out_again_what_was_handled_elsewhere(
        app: Starlette, district: Any) -> None:
    def written_elsewhere(seq: int) -> OutboxEvent:  # inserted directly: this process's feed is not woken
        return OutboxEvent(id=f"e{seq}", seq=seq, kind=EventKind.CASE_HANDED_TO, agencies=["HRSS"], at=store_now())

    feed = Feed(poll_seconds=3600, gap_seconds=30)
    await feed.start()
    for seq in (1, 2):
        await written_elsewhere(seq).insert()
    async with feed.subscribe(agency_code="HRSS", kinds=list(EventKind)) as subscriber:
        assert subscriber.head == 0  # this feed has not read them yet
        assert [e async for e in subscriber.missed(2)] == []  # the client handled both on another process
        await feed.poll()  # the feed catches up: 1 and 2 are not handed out again
        await written_elsewhere(3).insert()
        await feed.poll()
        assert (await subscriber.next()).id == "e3"
        assert subscriber.queue.empty()
    await feed.stop()


async def test_a_starting_feed_waits_for_a_number_still_being_written(app: Starlette, district: Any) -> None:
    await hand_over(1)  # seq 1
    [late] = await outbox.allocate_seqs(1)  # seq 2: a writer that has its number, its insert on the way
    await hand_over(3)  # seq 3, written
    feed = Feed(poll_seconds=60, gap_seconds=30)
    async with feed.subscribe(agency_code="HRSS", kinds=list(EventKind)) as subscriber:
        assert subscriber.head == 1  # not 3: number 2 is still coming
        await OutboxEvent(id="late", seq=late, kind=EventKind.CASE_HANDED_TO, agencies=["HRSS"],
                          at=store_now()).insert()
        await feed.poll()
        assert [(await subscriber.next()).id for _ in range(2)] == ["late", "handover:PMC-A-SYS|s3-ho"]
    await feed.stop()


async def test_resuming_before_what_was_pruned_is_refused(app: Starlette, served: str, token_for: TokenFor) -> None:
    await hand_over(1)
    await hand_over(2)
    assert await outbox.prune(before=store_now() + timedelta(seconds=1)) == (2, 0)
    async with graphql_ws(served, token=token_for("HRSS")) as client:
        await client.subscribe(EVENTS, after=1)
        message = await client.message()
    [error] = message["payload"]["errors"]
    assert (error["extensions"]["code"], error["extensions"]["prunedThrough"]) == ("BAD_USER_INPUT", 2)
