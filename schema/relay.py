"""Relay plumbing: the Node interface, global ids, opaque cursors and connections."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from bson import ObjectId
from bson.errors import InvalidId

from hub.errors import BadUserInput
from hub.ids import global_id, parse_global_id

T = TypeVar("T")
MAX_PAGE = 100


def to_global_id(type_name: str, raw_id: Any) -> strawberry.ID:
    """`Type:raw` in URL-safe base64 (hub.ids): opaque to clients, stable for the hub."""
    return strawberry.ID(global_id(type_name, raw_id))


def from_global_id(value: str) -> tuple[str, str]:
    """(type name, raw id) of a global id; BAD_USER_INPUT when it is not one of ours."""
    return parse_global_id(value)


def object_id(global_id: str, expected: str) -> ObjectId:
    """The ObjectId inside a global id of the expected type."""
    type_name, raw = from_global_id(global_id)
    if type_name != expected:
        raise BadUserInput(f"expected an ID of a {expected}, got one of a {type_name}")
    try:
        return ObjectId(raw)
    except InvalidId:
        raise BadUserInput(f"{global_id!r} is not a valid ID") from None


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque cursor over the sort key values (JSON, base64)."""
    return base64.urlsafe_b64encode(json.dumps(list(values), default=str).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    """The sort key values inside a cursor; BAD_USER_INPUT for a cursor we did not make."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise BadUserInput("`after` is not a cursor this API handed out") from None
    if not isinstance(values, list):
        raise BadUserInput("`after` is not a cursor this API handed out")
    return values


def check_first(first: int | None, default: int = 20) -> int:
    """A page size between 1 and MAX_PAGE."""
    first = default if first is None else first
    if not 0 < first <= MAX_PAGE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE}", limit=MAX_PAGE)
    return first


@strawberry.interface(name="Node", description="An object with a global ID (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Global, opaque ID.")


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item of the page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item; pass as `after`.")


@strawberry.type(description="An item and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque cursor of this item.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of items (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total: strawberry.Private[Callable[[], Any] | int]

    @strawberry.field(description="How many items the whole list has (all pages).")
    async def total_count(self) -> int:
        if callable(self.total):
            return int(await self.total())
        return self.total

    @strawberry.field(description="The items of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def connection(
    items: Sequence[Any], *, cursors: Sequence[str], has_next: bool, has_previous: bool,
    total: Callable[[], Any] | int,
) -> Connection[Any]:
    """Build a connection from a page of converted items and their cursors."""
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in zip(cursors, items)],
        page_info=PageInfo(
            has_next_page=has_next, has_previous_page=has_previous,
            start_cursor=cursors[0] if cursors else None, end_cursor=cursors[-1] if cursors else None,
        ),
        total=total,
    )


def slice_connection(items: Sequence[Any], *, first: int | None, after: str | None, key: Callable[[Any], str]) -> Connection[Any]:
    """Page an in-memory list (already ordered) by a stable per-item key."""
    size = check_first(first, default=50)
    keys = [key(item) for item in items]
    start = 0
    if after is not None:
        values = decode_cursor(after)
        if len(values) != 1:
            raise BadUserInput("`after` is not a cursor of this list", field="after")
        [after_key] = values
        start = keys.index(after_key) + 1 if after_key in keys else len(items)
    page = items[start : start + size]
    return connection(
        page, cursors=[encode_cursor([k]) for k in keys[start : start + size]],
        has_next=start + size < len(items), has_previous=start > 0, total=len(items),
    )
