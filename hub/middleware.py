"""ASGI middleware in front of every route: request body size, authentication, then rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from limits import parse as parse_limit
from pymongo.errors import AutoReconnect
from starlette.requests import Request
from starlette.responses import JSONResponse

from hub.auth import service as auth_service
from hub.auth.rates import SharedRates
from hub.errors import Unauthenticated
from hub.keys.ring import KeyRing

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})
TOKEN_COOKIE = "hub_token"  # a browser's session: set by POST /console/session (HttpOnly, SameSite=Strict)
COOKIE_PATHS = ("/reports/", "/exports/")  # pages and downloads a browser opens by address (GET only)
# The console's requests to /graphql name themselves with this header. A page on another site cannot send
# it without a CORS preflight, which the hub never grants, so the cookie cannot be ridden from outside.
CONSOLE_HEADER = "x-hub-console"


def error_response(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """A GraphQL-shaped error body, so GraphQL clients and people read the same thing."""
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status,
                        headers=headers or None)


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413 PAYLOAD_TOO_LARGE, whether declared or streamed."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        declared = Request(scope).headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "PAYLOAD_TOO_LARGE",
                                  f"the request body is over {self.limit:,} bytes; send smaller batches")
        await response(scope, receive, send)


class Authentication:
    """Every request but the health checks (and the GraphiQL page itself) carries a valid bearer token.

    The principal lands in ``request.state.principal``. Missing, malformed, badly signed or expired
    tokens, and tokens for an unknown agency, get 401 UNAUTHENTICATED.
    """

    def __init__(self, app: ASGIApp, *, keys: KeyRing, directory: auth_service.AgencyDirectory,
                 revocations: auth_service.Revocations, ide_enabled: bool) -> None:
        self.app, self.keys, self.directory, self.ide_enabled = app, keys, directory, ide_enabled
        self.revocations = revocations

    def _is_public(self, request: Request) -> bool:
        if request.url.path in PUBLIC_PATHS:
            return True
        path = request.url.path
        # The console's files, and its sign-in and sign-out (which check the token themselves).
        if path == "/console" or path.startswith("/console/"):
            return True
        # The GraphiQL page is a static page; the token goes in its headers pane for each query.
        return (self.ide_enabled and request.method == "GET" and path == "/graphql"
                and "text/html" in request.headers.get("accept", "") and "query" not in request.query_params
                and "documentId" not in request.query_params)

    @staticmethod
    def _cookie_token(request: Request) -> str | None:
        """The session cookie, where a browser may use it: GETs of reports and exports, the console's GraphQL."""
        token = request.cookies.get(TOKEN_COOKIE)
        if token is None:
            return None
        if request.method == "GET" and request.url.path.startswith(COOKIE_PATHS):
            return token
        if request.url.path == "/graphql" and request.headers.get(CONSOLE_HEADER) == "1":
            return token
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self._is_public(request):
            await self.app(scope, receive, send)
            return
        header = request.headers.get("authorization")
        if header is None and (cookie := self._cookie_token(request)) is not None:
            header = f"Bearer {cookie}"
        try:
            token = auth_service.bearer_token(header)
            principal = await auth_service.authenticate(token=token, keys=self.keys, directory=self.directory,
                                                        revocations=self.revocations)
        except Unauthenticated as exc:
            response = error_response(401, exc.code, exc.message, **{"WWW-Authenticate": 'Bearer realm="mediation-hub"'})
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


class RateLimit:
    """Per user and per agency request limits (`HUB_RATE_LIMIT_USER`, `HUB_RATE_LIMIT_AGENCY`, e.g.
    "600/minute"), counted in the store and so shared by every hub process (hub/auth/rates.py: a sliding window
    over fixed ones): over either, 429 RATE_LIMITED with `Retry-After`. Runs after authentication; requests
    without a principal (health checks, the console's files) are not counted, nor are refused ones.
    """

    def __init__(self, app: ASGIApp, *, per_user: str, per_agency: str) -> None:
        self.app = app
        self.limits = [(kind, parse_limit(text)) for kind, text in (("user", per_user), ("agency", per_agency))
                       if text]
        self.rates = SharedRates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get("state", {}).get("principal") if scope["type"] == "http" else None
        if principal is None or not self.limits:
            await self.app(scope, receive, send)
            return
        keys = {"user": ("user", principal.agency_code, principal.user), "agency": ("agency", principal.agency_code)}
        verdict = await self.rates.take([(limit, keys[kind]) for kind, limit in self.limits])
        if not verdict.allowed:
            kind, limit = self.limits[verdict.over or 0]
            wait = verdict.retry_after
            response = error_response(429, "RATE_LIMITED", f"more than {limit} requests for this {kind}; "
                                      f"try again in {wait} s", **{"Retry-After": str(wait)})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class InFlightLimit:
    """At most `limit` HTTP requests of this process are worked on at once (HUB_MAX_IN_FLIGHT); the rest wait
    their turn, first come first served, for up to `wait` seconds (HUB_QUEUE_TIMEOUT), then get 503 OVERLOADED
    with Retry-After. A worker's memory is set by the requests it holds at once (docs/reliability.md, "Load"):
    a waiting request holds its scope only. The health checks and /metrics never wait, and a WebSocket (a
    subscription, open for hours) is not a request in flight.
    """

    EXEMPT = PUBLIC_PATHS | {"/metrics"}

    def __init__(self, app: ASGIApp, *, limit: int, wait: float) -> None:
        self.app, self.wait = app, wait
        self.slots = asyncio.Semaphore(limit) if limit > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.slots is None or scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.wait):
                await self.slots.acquire()
        except TimeoutError:
            response = error_response(503, "OVERLOADED", f"the hub is busy: this request waited {self.wait:g} s "
                                      "for its turn; try again shortly", **{"Retry-After": "5"})
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()


class StoreUnavailable:
    """A request that fails because the store is not answering (PyMongo's AutoReconnect family: connection
    refused or lost, no server within HUB_READY_TIMEOUT) gets 503 UNAVAILABLE with Retry-After, never a 500;
    while the driver knows the store is down (`health`), every request but the health checks gets it at once.

    GraphQL turns such errors into `UNAVAILABLE` field errors itself (schema/errors.py); this covers the rest:
    authentication's reads, the reports and exports.
    """

    def __init__(self, app: ASGIApp, *, health: Any) -> None:
        self.app, self.health = app, health  # hub.store.service.StoreHealth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.health.down and scope["path"] not in PUBLIC_PATHS:  # known down: say so at once
            await self._unavailable(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except AutoReconnect:
            if started:
                raise  # too late to answer otherwise
            await self._unavailable(scope, receive, send)

    @staticmethod
    async def _unavailable(scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(503, "UNAVAILABLE", "the database is not answering; try again shortly",
                                  **{"Retry-After": "5"})
        await response(scope, receive, send)
