"""A request id per HTTP request: the caller's well-formed `X-Request-Id` or a new one, answered in the same
header, held in a contextvar for the logs (hub.logs) and set on the request's span when tracing is on; and the
access log, a line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

HEADER = b"x-request-id"
SPAN_ATTRIBUTE = "hub.request_id"
# A proxy's or a caller's id (nginx's $request_id, a UUID, a ULID): short, printable, nothing a log parser or a
# header could trip on. Anything else is replaced, not echoed.
_WELL_FORMED = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_current: ContextVar[str | None] = ContextVar("hub_request_id", default=None)
access = logging.getLogger("hub.access")
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapes: logged only when they fail


def current() -> str | None:
    """The id of the request this code runs for, or None outside a request."""
    return _current.get()


def from_headers(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's `X-Request-Id` when it is well formed, else a new one (32 hex digits)."""
    for name, value in headers:
        if name == HEADER and _WELL_FORMED.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class RequestId:
    """ASGI middleware: gives each HTTP request and WebSocket connection its id, answers it in `X-Request-Id`,
    and writes the access log's line when the request is done (the path only: a query string may carry a GET's
    GraphQL variables)."""

    def __init__(self, app: ASGIApp, *, tracing: bool = False, access_log: bool = True) -> None:
        self.app, self.tracing, self.access_log = app, tracing, access_log

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = from_headers(scope["headers"])
        token = _current.set(request_id)
        if self.tracing:
            trace.get_current_span().set_attribute(SPAN_ATTRIBUTE, request_id)
        header = (HEADER, request_id.encode("ascii"))
        status, start = 500, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] in ("http.response.start", "websocket.accept"):
                message["headers"] = [*(h for h in message.get("headers") or () if h[0].lower() != HEADER), header]
                status = message.get("status", 101)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log and scope["type"] == "http" and (status >= 400 or scope["path"] not in QUIET_PATHS):
                took = (time.perf_counter() - start) * 1000
                access.info("%s %s %d %.1f ms", scope["method"], scope["path"], status, took,
                            extra={"method": scope["method"], "path": scope["path"], "status": status,
                                   "duration_ms": round(took, 2)})
            _current.reset(token)
