"""Reading the change log: pages for a caller's scope (`changes`), and everything for a batch job (`hub export`)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.cases import service as case_service
from hub.changes import log
from hub.changes.models import ChangeEntity
from hub.errors import BadUserInput
from hub.store.service import store_now

CURSOR_PREFIX = "changes:"
SCAN_PAGE = 500  # entries read per round trip
SCAN_MOST = 20_000  # entries one `changes` page passes over at most looking for the caller's (then it says where it got)
MAX_FIRST = 500


def cursor(seq: int) -> str:
    """The opaque cursor after entry `seq`: where a reader continues."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{seq}".encode()).decode()


def position(value: str | None, *, field_name: str = "since") -> int:
    """The entry a cursor stands after (0, the beginning, for None); BAD_USER_INPUT for one the hub did not make."""
    if value is None or value == "":
        return 0
    try:
        text = base64.urlsafe_b64decode(value.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text[len(CURSOR_PREFIX):] if text.startswith(CURSOR_PREFIX) else ""
    if not number.isdigit():
        raise BadUserInput(f"`{field_name}` is not a cursor of the change log (one that `changes` or "
                           "`hub export` handed out)", field=field_name)
    return int(number)


@dataclass
class Page:
    """Entries after a cursor, and the cursor after the last entry passed over (the caller's or not)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    position: int = 0
    more: bool = False  # entries are known to follow (call again from `position`)


# entry and its case's access fields now (None: the case is gone) -> whether the caller may see it
Visible = Callable[[Mapping[str, Any], Mapping[str, Any] | None], bool]


async def page(*, after: int, first: int, gap_seconds: float, visible: Visible) -> Page:
    """Up to `first` entries after `after` that `visible` admits, judged by each case's access fields as they
    are now (an agency that joins a case later sees its earlier entries too)."""
    if not 0 < first <= MAX_FIRST:
        raise BadUserInput(f"`first` is 1 to {MAX_FIRST}", field="first")
    result = Page(position=after)
    scanned = 0
    while len(result.entries) < first and scanned < SCAN_MOST:
        found = await log.read_after(result.position, now=store_now(), gap_seconds=gap_seconds, limit=SCAN_PAGE)
        if not found:
            return result
        access = {d["_id"]: d for d in await case_service.access_fields(
            case_ids=list({e["case_id"] for e in found if e.get("case_id") is not None}))}
        for entry in found:
            if len(result.entries) == first:
                result.more = True
                return result
            result.position = entry["seq"]
            scanned += 1
            if entry["entity"] != ChangeEntity.VOID and visible(entry, access.get(entry.get("case_id"))):
                result.entries.append(entry)
        if len(found) < SCAN_PAGE:
            return result
    result.more = True
    return result


async def entries(*, after: int, until: int | None, gap_seconds: float) -> AsyncIterator[dict[str, Any]]:
    """Every entry after `after` (up to `until`), in order, VOID ones included (they move the cursor too)."""
    position = after
    while found := await log.read_after(position, now=store_now(), gap_seconds=gap_seconds, limit=SCAN_PAGE,
                                        until=until):
        for entry in found:
            yield entry
        position = found[-1]["seq"]
        if len(found) < SCAN_PAGE:
            return
