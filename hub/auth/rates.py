"""Rate-limit counters that every hub process shares, in the store: a caller gets its limit however many
processes a balancer spreads its requests over.

Each limit ("600/minute") counts in fixed windows of its period, one document a caller and window
(`_id` "<kind>:<agency>[:<user>]:<window number>", incremented with an upsert), and judges by the sliding
window they approximate: the current window's count plus the previous window's, weighted by how much of
it still lies within one period of now (the estimate `limits`' SlidingWindowCounter makes). A finished
window's count no longer changes, so each process reads it once. A request the limit refuses is taken back
out of the count. The windows expire by a TTL index on `expire_at` (two periods after they open), and the
watch deletes the expired ones too, for a store without TTL indexes.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from limits import RateLimitItem
from pymongo import ReturnDocument

from hub.auth.models import RateWindow

FINISHED_WINDOWS_KEPT = 10_000  # finished windows' counts a process remembers (the callers of the last period)


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go ahead; if not, which limit (its index) it is over and in how many seconds to try
    again."""

    allowed: bool
    over: int | None = None
    retry_after: int = 0


@dataclass
class SharedRates:
    """The counters of one process: the store's windows, and the finished ones it has read."""

    finished: OrderedDict[str, int] = field(default_factory=OrderedDict)

    async def take(self, limits: list[tuple[RateLimitItem, tuple[str, ...]]]) -> Verdict:
        """Count one request against every limit (each with its caller's key); if any is over, none counts."""
        now = time.time()
        counted = await asyncio.gather(*(self._add(limit, key, now, 1) for limit, key in limits))
        over = [(index, window) for index, ((limit, key), (window, count)) in enumerate(zip(limits, counted))
                if await self._estimate(limit, key, window, count, now) > limit.amount]
        if not over:
            return Verdict(True)
        await asyncio.gather(*(self._add(limit, key, now, -1) for limit, key in limits))
        index, window = over[0]
        return Verdict(False, index, max(1, math.ceil((window + 1) * limits[index][0].get_expiry() - now)))

    async def _add(self, limit: RateLimitItem, key: tuple[str, ...], now: float, amount: int) -> tuple[int, int]:
        period = limit.get_expiry()
        window = int(now // period)
        expire_at = datetime.fromtimestamp((window + 2) * period, timezone.utc)
        found = await RateWindow.get_pymongo_collection().find_one_and_update(
            {"_id": window_id(limit, key, window)},
            {"$inc": {"hits": amount}, "$setOnInsert": {"expire_at": expire_at}},
            projection={"hits": 1}, upsert=True, return_document=ReturnDocument.AFTER)
        return window, int(found["hits"])

    async def _estimate(self, limit: RateLimitItem, key: tuple[str, ...], window: int, count: int,
                        now: float) -> float:
        period = limit.get_expiry()
        previous = await self._finished(window_id(limit, key, window - 1))
        still_in = 1 - (now - window * period) / period
        return count + previous * still_in

    async def _finished(self, window: str) -> int:
        if window in self.finished:
            self.finished.move_to_end(window)
            return self.finished[window]
        found = await RateWindow.get_pymongo_collection().find_one({"_id": window}, {"hits": 1})
        self.finished[window] = int(found["hits"]) if found else 0
        if len(self.finished) > FINISHED_WINDOWS_KEPT:
            self.finished.popitem(last=False)
        return self.finished[window]


def window_id(limit: RateLimitItem, key: tuple[str, ...], window: int) -> str:
    """A window document's `_id`: the limit's period, the caller, the window's number."""
    return ":".join((f"{limit.get_expiry()}s", *key, str(window)))


async def prune(*, now: datetime) -> int:
    """Delete the windows past their expiry (MongoDB's TTL monitor does too); how many."""
    result = await RateWindow.get_pymongo_collection().delete_many({"expire_at": {"$lt": now}})
    return result.deleted_count
