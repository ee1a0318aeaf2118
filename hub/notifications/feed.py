"""The subscriptions' feed: one reader of the outbox per hub process, fanning events out to subscribers.

`Feed` tails the outbox (`outbox.read_after`, so it never passes an event another process is still
writing) every `subscription_poll_seconds`, and at once when this process writes events
(`outbox.listen`). Each GraphQL subscription holds a `Subscriber`: a bounded queue of the events read
after it joined. A subscriber that resumes with `after` first reads what it missed from the store
(its own agency's events up to the feed's position when it joined), then the queue: no event is lost
or told twice across the seam, whichever process it reconnects to.

A subscriber that falls more than `QUEUE_SIZE` events behind is dropped (`FellBehind`); it resubscribes
with `after` set to the last `seq` it handled and loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pymongo import ASCENDING, DESCENDING

from hub.notifications import outbox
from hub.notifications.models import EventKind, OutboxEvent
from hub.store.service import store_now

log = logging.getLogger("hub.feed")

QUEUE_SIZE = 1000
PAGE = 500
START_WINDOW = 2000  # how far below the newest event a starting feed looks for a number still being written


class FellBehind(Exception):
    """The subscriber did not keep up with the feed; it resumes with `after`."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"too many events waiting; subscribe again with `after: {seq}`")
        self.seq = seq


@dataclass(eq=False)
class Subscriber:
    """One subscription's view of the feed: the events after `head`, as the feed reads them."""

    agency_code: str
    kinds: frozenset[EventKind]
    head: int  # the feed's position when it joined: what came before is read from the store
    floor: int = 0  # events up to here were handled already (`after`): never handed out again
    queue: asyncio.Queue[OutboxEvent] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))  # live ones
    behind: bool = False
    last: int = 0  # the seq of the last event handed out

    def wants(self, event: OutboxEvent) -> bool:
        """The event concerns the subscriber's agency, of a kind it asked for."""
        return self.agency_code in event.agencies and event.kind in self.kinds

    def offer(self, event: OutboxEvent) -> None:
        if self.behind or event.seq <= self.floor or not self.wants(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.behind = True  # told when it next reads

    async def missed(self, after: int) -> AsyncIterator[OutboxEvent]:
        """Its events after `after` up to `head`, from the store, in order; from then on, the live queue
        hands out nothing up to `after` either (this process's feed may lag the one it was handled on)."""
        self.floor = after
        position = after
        while position < self.head:
            page = await OutboxEvent.find(
                {"agencies": self.agency_code, "seq": {"$gt": position, "$lte": self.head},
                 "kind": {"$in": sorted(self.kinds)}}).sort(("seq", ASCENDING)).limit(PAGE).to_list()
            for event in page:
                self.last = event.seq
                yield event
            if len(page) < PAGE:
                return
            position = page[-1].seq

    async def next(self) -> OutboxEvent:
        """The next live event (waits for it); FellBehind when the queue overflowed."""
        if self.behind and self.queue.empty():
            raise FellBehind(self.last)
        while True:
            event = await self.queue.get()
            if event.seq > self.floor:  # queued before `missed` set the floor
                self.last = event.seq
                return event


class Feed:
    """The outbox as this process's subscriptions see it; started by the first subscriber."""

    def __init__(self, *, poll_seconds: float, gap_seconds: float, queue_size: int = QUEUE_SIZE) -> None:
        self.poll_seconds, self.gap_seconds, self.queue_size = poll_seconds, gap_seconds, queue_size
        self.position = 0
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._started: asyncio.Lock | None = None
        self._wake: asyncio.Event | None = None
        self._polling: asyncio.Lock | None = None

    async def start(self) -> None:
        """Begin reading after the newest event (once; later calls return at once)."""
        if self._task is not None:
            return
        self._started = self._started or asyncio.Lock()
        async with self._started:
            if self._task is not None:
                return
            self.position = await self._start_position()
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="hub-subscription-feed")

    async def _start_position(self) -> int:
        """The end of the unbroken run of events before now: not simply the newest `seq`, since a number
        below it may still be on its way from another process (it is then handed out when it lands)."""
        newest = await OutboxEvent.find({"seq": {"$gt": 0}}).sort(("seq", DESCENDING)).limit(1).to_list()
        if not newest:
            return 0
        position = max(newest[0].seq - START_WINDOW, 0)
        while page := await outbox.read_after(position, now=store_now(), gap_seconds=self.gap_seconds, limit=PAGE):
            position = page[-1].seq
            if len(page) < PAGE:
                break
        return position

    async def current(self) -> int:
        """The position up to which every event has been handed out (starting the feed if need be): a subscriber
        resuming `after` it gets everything written from now on, from the store or live."""
        await self.start()
        return self.position

    async def stop(self, *, timeout: float | None = None) -> bool:
        """Stop reading (the app's shutdown), waiting at most `timeout` seconds for the task to end (a read stuck in
        the driver may not end at once on its cancel); False if it had not ended by then."""
        if self._task is None:
            return True
        self._task.cancel()
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if done:
            self._task = None
        return bool(done)

    @asynccontextmanager
    async def subscribe(self, *, agency_code: str, kinds: Collection[EventKind]) -> AsyncIterator[Subscriber]:
        """A subscriber for the agency's events of these kinds, from the feed's position now."""
        await self.start()
        subscriber = Subscriber(agency_code=agency_code, kinds=frozenset(kinds), head=self.position,
                                queue=asyncio.Queue(self.queue_size))
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    @property
    def subscribers(self) -> int:
        """How many subscriptions of this process are attached."""
        return len(self._subscribers)

    def _offer(self, events: list[OutboxEvent]) -> None:
        # No await between moving the position and offering: a subscriber joining meanwhile reads
        # up to the old position from the store and gets the rest here, exactly once.
        for event in events:
            self.position = event.seq
            for subscriber in self._subscribers:
                subscriber.offer(event)

    async def poll(self) -> int:
        """Read what follows the position and hand it out; returns how many events were read. One poll at a
        time: two reading from the same position would hand the same events out twice."""
        self._polling = self._polling or asyncio.Lock()
        async with self._polling:
            events = await outbox.read_after(self.position, now=store_now(), gap_seconds=self.gap_seconds,
                                             limit=PAGE)
            self._offer(events)
        return len(events)

    async def _run(self) -> None:
        assert self._wake is not None
        wake = self._wake
        unlisten = outbox.listen(wake.set)
        try:
            while True:
                wake.clear()
                try:
                    if await self.poll() == PAGE:
                        continue  # more are waiting
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the feed outlives a store hiccup; no personal data in the message
                    log.warning("subscription feed round failed: %s", type(exc).__name__)
                try:
                    async with asyncio.timeout(self.poll_seconds):  # not wait_for: in 3.11 it can swallow a cancel
                        await wake.wait()
                except TimeoutError:
                    pass
        finally:
            unlisten()
