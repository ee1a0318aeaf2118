"""File import: a ledger (.jsonl / .csv / .xlsx) through the same ingestion service as the API."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pymongo.errors import ConnectionFailure

from hub.errors import Unavailable
from hub.ingest import files
from hub.ingest import service as ingest_service
from hub.ingest.service import DEFAULT_MATCH_WINDOW, RecordOutcome, RecordStatus
from hub.keys.ring import KeyRing

log = logging.getLogger(__name__)

# How long one batch is retried while the store does not answer (a restart, a failover), and the waits
# between tries. A retry is a replay: the records already written come back UNCHANGED (and are folded into
# their cases if the lost try had not done so yet), so nothing is written twice.
RETRY_FOR_SECONDS = 120.0
RETRY_FIRST_WAIT, RETRY_LONGEST_WAIT = 0.5, 8.0


@dataclass
class ImportSummary:
    """What an import did, for the closing summary."""

    rows: int = 0
    counts: dict[RecordStatus, int] = field(default_factory=lambda: {s: 0 for s in RecordStatus})
    unmapped_columns: list[str] = field(default_factory=list)
    rejected_file: Path | None = None


def reason(outcome: RecordOutcome) -> str:
    """One line saying why a record was rejected."""
    return "; ".join(f"{e.path or '记录'}: {e.message} ({e.code})" for e in outcome.errors)


async def ingest_rows(
    *,
    rows: Sequence[files.FileRow],
    records: Sequence[dict[str, Any]],
    source_system: str,
    agency: str,
    keys: KeyRing,
    match_window: timedelta,
    summary: ImportSummary,
    rejected: list[tuple[files.FileRow, str]],
    retry_for: float = RETRY_FOR_SECONDS,
) -> None:
    """Ingest the records of these rows as one batch; count each outcome and keep each rejection.

    A connection error (the store down or restarting) retries the whole batch, with growing waits, for up to
    `retry_for` seconds; then Unavailable.
    """
    batch = {"sourceSystem": source_system, "agency": agency, "records": list(records)}
    give_up_at, wait = time.monotonic() + retry_for, RETRY_FIRST_WAIT
    while True:
        try:
            outcome = await ingest_service.ingest(batch=batch, keys=keys, match_window=match_window)
            break
        except ConnectionFailure as exc:
            if time.monotonic() + wait > give_up_at:
                raise Unavailable(
                    f"the store did not answer for {retry_for:.0f}s ({type(exc).__name__}); import the file "
                    "again once it is back: the rows already written come back unchanged"
                ) from None
            log.warning("store unreachable (%s); retrying a batch of %d rows in %.1fs",
                        type(exc).__name__, len(records), wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, RETRY_LONGEST_WAIT)
    for row, result in zip(rows, outcome.results, strict=True):
        summary.counts[result.status] += 1
        if result.status is RecordStatus.REJECTED:
            rejected.append((row, reason(result)))


async def import_file(
    *,
    path: Path,
    agency: str,
    source_system: str,
    keys: KeyRing,
    batch_size: int = 500,
    match_window: timedelta = DEFAULT_MATCH_WINDOW,
    on_rows: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Ingest every row of the file in batches; rejected rows go to `<name>.rejected.csv`."""
    mapping, rows = files.read_file(path, source_system=source_system)
    summary = ImportSummary(unmapped_columns=list(mapping.unmapped))
    rejected: list[tuple[files.FileRow, str]] = []
    pending: list[files.FileRow] = []

    async def flush() -> None:
        mappable = [r for r in pending if r.record is not None]
        for row in pending:
            if row.record is None:
                rejected.append((row, "; ".join(row.errors)))
                summary.counts[RecordStatus.REJECTED] += 1
        if mappable:
            await ingest_rows(rows=mappable, records=[r.record for r in mappable], source_system=source_system,
                              agency=agency, keys=keys, match_window=match_window, summary=summary,
                              rejected=rejected)
        if on_rows:
            on_rows(len(pending))
        summary.rows += len(pending)
        pending.clear()

    for row in rows:
        pending.append(row)
        if len(pending) >= batch_size:
            await flush()
    await flush()
    if rejected:
        summary.rejected_file = files.write_rejected(path, rejected)
    return summary
