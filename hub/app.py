"""Composition root: the Starlette app with /graphql, /reports/brief, /healthz, /readyz and /metrics."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from datetime import datetime, timedelta, timezone
from typing import Any

import strawberry
from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import PyMongoError
from strawberry.http.base import HTTPException as TransportError  # what strawberry raises to refuse a request
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from hub.config import Settings, get_settings
from hub.console import routes as console_routes
from hub.exports import routes as export_routes
from hub.audit import chain as audit_chain
from hub.audit import service as audit_service
from hub.audit.models import Outcome
from hub.auth import policy
from hub.auth.policy import Principal
from hub.auth import service as auth_service
from hub.auth.service import AgencyDirectory, Revocations
from hub.errors import BadUserInput, Forbidden, HubError, NotFound, Unauthenticated
from hub.meetings import service as meeting_service
from hub.documents import service as document_service
from hub.documents import transport as document_transport
from hub.middleware import TOKEN_COOKIE, Authentication, BodyLimit, InFlightLimit, RateLimit, StoreUnavailable, error_response
from hub.notices import service as notice_service
from hub.notifications import watch, webhooks
from hub.notifications.feed import Feed
from hub.metrics import Metrics, MetricsMiddleware, OperationMetrics
from hub import tracing
from hub.request_id import RequestId
from hub.keys import rekey
from hub.keys import service as keys_service
from hub.keys.ring import KeyRing
from hub.regions import service as region_service
from hub.reports import brief as report_service
from hub.reports import notice as notice_report_service
from hub.store import service as store_service
from resolvers.context import Context
from resolvers.root import build_schema
from schema.limits import Limits
from schema.relay import object_id

log = logging.getLogger("hub.app")


class HubGraphQL(GraphQL):
    """Strawberry's ASGI app with the hub's per-request context."""

    graphql_transport_ws_handler_class = document_transport.TrustedDocumentsWS  # subscribe by trusted document

    def __init__(self, schema: strawberry.Schema, *, settings: Settings) -> None:
        production = settings.env == "production"
        super().__init__(
            schema,
            graphql_ide=None if production else "graphiql",  # production: no GraphiQL, no introspection
            allow_queries_via_get=not production,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=20,
        )
        self.settings = settings

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Strawberry's own refusals of a request (not JSON, no query, variables not an object, …) as JSON
        errors with a code, as every other error: strawberry answers them in plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except TransportError as exc:
            response = transport_error(exc.status_code, exc.reason)
        except HubError as exc:  # a trusted document refused, or not found (execute_operation)
            response = error_response(_HTTP_STATUS.get(exc.code, 400), exc.code, exc.message)
            if GRAPHQL_RESPONSE_JSON in request.headers.get("accept", ""):
                response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
        await response(scope, receive, send)

    async def parse_http_body(self, request: Any) -> Any:
        """The GraphQL request in the body or query string; a body of JSON that is not an object (`null`, `3`,
        `"query"`) is a bad request: strawberry calls `.get` on whatever the JSON held."""
        try:
            return await super().parse_http_body(request)
        except AttributeError:
            raise TransportError(400, 'the request body must be a JSON object: {"query": "…", "variables": {…}}') from None

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL's page for a browser's GET without a query; a GET naming a trusted document is a request."""
        return "documentId" not in request.query_params and super().should_render_graphql_ide(request)

    async def execute_operation(self, request: Any, request_adapter: Any, request_data: Any, context: Any,
                                root_value: Any, sub_response: Any) -> Any:
        """The trusted document a request names by id, run in place of its text; free text refused where the
        caller's agency must send registered documents (docs/trusted-documents.md)."""
        items = request_data if isinstance(request_data, list) else [request_data]
        ids = await document_transport.http_document_ids(request, items, self.parse_json)
        for item, document_id in zip(items, ids):
            item.query = await document_transport.text_for(context, query=item.query, document_id=document_id,
                                                           operation_name=item.operation_name)
        return await super().execute_operation(request=request, request_adapter=request_adapter,
                                               request_data=request_data, context=context, root_value=root_value,
                                               sub_response=sub_response)

    def decode_json(self, data: str | bytes) -> object:
        """The request body as JSON; a body that is not UTF-8 is a bad request, not a crash."""
        try:
            return super().decode_json(data)
        except UnicodeDecodeError:
            raise TransportError(400, "the request body is not valid UTF-8 JSON") from None

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        if isinstance(request, Request):
            response.graphql_response_json = GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")
        return Context.of_request(request, response)  # type: ignore[arg-type]

    async def on_ws_connect(self, context: Context) -> None:  # type: ignore[override]
        """A WebSocket is authenticated once, by its connection_init: the `Authorization` parameter, or the
        console's session cookie (strawberry refuses a browser's handshake from another origin)."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if header is None and (cookie := context.request.cookies.get(TOKEN_COOKIE)) is not None:
            header = f"Bearer {cookie}"
        state = context.request.app.state
        try:
            context.principal = await auth_service.authenticate(
                token=auth_service.bearer_token(header if isinstance(header, str) else None),
                keys=state.keys, directory=state.agencies, revocations=state.revocations)
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"code": exc.code, "message": exc.message}) from None

    async def render_graphql_ide(self, request: Request) -> Response:  # type: ignore[override]
        """GraphiQL from the hub's own files: strawberry's page would load it from a public CDN."""
        return console_routes.graphiql_page(self.settings)

    def create_response(self, response_data: Any, sub_response: Any) -> Response:  # type: ignore[override]
        """GraphQL over HTTP: `application/graphql-response+json` when asked, with 4xx for request errors."""
        response = super().create_response(response_data, sub_response)
        if not getattr(sub_response, "graphql_response_json", False) or isinstance(response_data, list):
            return response
        response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
        status = request_error_status(response_data)
        if status is not None:
            response_data.pop("data", None)  # a request error has no data entry
            response.body = response.render(self.encode_json(response_data))
            response.headers["content-length"] = str(len(response.body))
            response.status_code = status
        return response


GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_HTTP_STATUS = {"GRAPHQL_VALIDATION_FAILED": 400, "BAD_USER_INPUT": 400, "QUERY_TOO_COMPLEX": 400,
                "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404,
                "PERSISTED_QUERY_NOT_FOUND": 400, "TRUSTED_DOCUMENT_REQUIRED": 403}


_TRANSPORT_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE"}


def transport_error(status: int, message: str) -> Response:
    """A request refused before GraphQL (malformed, wrong method or path): a JSON error with a code."""
    return error_response(status, _TRANSPORT_CODES.get(status, "BAD_REQUEST"), message)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405 (no such route, a method the route does not take), as JSON errors."""
    assert isinstance(exc, HTTPException)
    response = transport_error(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


def request_error_status(response_data: dict[str, Any]) -> int | None:
    """The 4xx status of a response that failed as a whole (no data), else None."""
    if response_data.get("data") is not None:
        return None
    for error in response_data.get("errors") or []:
        if error.get("path"):
            return None  # a field error: the request itself was fine, data is null by propagation
        status = _HTTP_STATUS.get((error.get("extensions") or {}).get("code"))
        if status:
            return status
    return None


async def healthz(request: Request) -> Response:
    """200 while the process runs."""
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    """200 when the database answers ping in time, else 503 with the reason."""
    settings: Settings = request.app.state.settings
    try:
        await store_service.ping(database=request.app.state.database, timeout=settings.ready_timeout)
    except (TimeoutError, asyncio.TimeoutError):
        reason = f"database did not answer within {settings.ready_timeout:g}s"
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    except PyMongoError as exc:
        return JSONResponse(
            {"status": "unavailable", "reason": f"database error: {type(exc).__name__}"},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})


def meeting_id_from(text: str) -> ObjectId:
    """A meeting's id from its GraphQL ID or the bare 24-hex id (as `hub report` accepts either)."""
    try:
        return ObjectId(text)
    except InvalidId:
        return object_id(text, "JointMeeting")


async def _report(request: Request, principal: Principal, now: datetime) -> tuple[str, list[str]]:
    """The report a GET /reports/brief asks for, checked against the policy; HTML and audit targets."""
    settings: Settings = request.app.state.settings
    params = request.query_params
    if "meeting" in params:
        meeting = await meeting_service.get_or_raise(meeting_id=meeting_id_from(params["meeting"]))
        if not policy.can_view_meeting(principal, meeting):
            raise Forbidden("only the meeting's participants and its region's coordination centres may read it")
        html = await report_service.meeting_report(meeting_id=meeting.id, thresholds=settings.warnings, now=now,
                                                   visible=partial(policy.visible_records, principal))
        return html, [str(meeting.id)]
    if "region" in params and "period" in params:
        region = await region_service.get_by_code(code=params["region"])
        if region is None:
            raise NotFound(f"no region coded {params['region']!r}")
        if not policy.can_analyse(principal, region.path):
            raise Forbidden("a region's analysis is for its coordination centres")
        html = await report_service.region_report(region_code=region.code, month=params["period"],
                                                  thresholds=settings.warnings, now=now)
        return html, [f"{region.code}:{params['period']}"]
    raise BadUserInput("give ?meeting=ID, or ?region=CODE&period=YYYY-MM")


async def brief_report(request: Request) -> Response:
    """GET /reports/brief?meeting=ID, or ?region=CODE&period=YYYY-MM: the printable brief as HTML (audited)."""
    principal: Principal = request.state.principal
    targets = [request.query_params.get("meeting") or request.query_params.get("region") or ""]
    try:
        html, targets = await _report(request, principal, datetime.now(timezone.utc))
    except HubError as exc:
        outcome = Outcome.DENIED if isinstance(exc, Forbidden) else Outcome.FAILED
        await audit_service.append(key=request.app.state.audit_key, principal=principal, operation="report", targets=targets, outcome=outcome,
                                   reason=exc.code)
        return error_response(_HTTP_STATUS.get(exc.code, 400), exc.code, exc.message)
    except Exception:
        await audit_service.append(key=request.app.state.audit_key, principal=principal, operation="report", targets=targets, outcome=Outcome.FAILED,
                                   reason="INTERNAL_SERVER_ERROR")
        raise
    await audit_service.append(key=request.app.state.audit_key, principal=principal, operation="report", targets=targets, outcome=Outcome.OK)
    return HTMLResponse(html)


async def notice_report(request: Request) -> Response:
    """GET /reports/notice?id=ID: a supervision notice's printable page as HTML (policy-checked, audited)."""
    principal: Principal = request.state.principal
    targets = [request.query_params.get("id") or ""]
    try:
        if "id" not in request.query_params:
            raise BadUserInput("give ?id=ID, a supervision notice's ID", field="id")
        notice = await notice_service.get_or_raise(notice_id=object_id(targets[0], "SupervisionNotice"))
        if not policy.can_read_notice(principal, notice):
            raise Forbidden("a draft notice is read by its region's coordination centres; a published one by the "
                            "region's agencies")
        html = notice_report_service.render(notice, generated_at=datetime.now(timezone.utc))
    except HubError as exc:
        outcome = Outcome.DENIED if isinstance(exc, Forbidden) else Outcome.FAILED
        await audit_service.append(key=request.app.state.audit_key, principal=principal, operation="report", targets=targets, outcome=outcome,
                                   reason=exc.code)
        return error_response(_HTTP_STATUS.get(exc.code, 400), exc.code, exc.message)
    await audit_service.append(key=request.app.state.audit_key, principal=principal, operation="report", targets=targets, outcome=Outcome.OK)
    return HTMLResponse(html)


def create_app(settings: Settings | None = None, *, process: bool = False) -> Starlette:
    """Build the hub; the lifespan opens the database client and closes it on shutdown. `process`: the app is
    `hub serve`'s own, whose process a watchdog ends if its shutdown outlasts HUB_SHUTDOWN_TIMEOUT."""
    settings = settings or get_settings()
    metrics = Metrics(max_operations=settings.metrics_max_operations)
    traces = tracing.from_environment()  # None unless an OTLP endpoint is set: then nothing traces at all

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        url = await run_in_threadpool(store_service.resolve_url, settings=settings)
        # A store that is down answers a request with UNAVAILABLE within HUB_READY_TIMEOUT, not after PyMongo's
        # default 30 s; one that hangs mid-operation, after HUB_STORE_SOCKET_TIMEOUT.
        # The heartbeat's own timeout is longer: a store that is busy, not down, answers it late, and a late answer
        # would mark it down and fail every request in flight (a 50-client load on the 100,000-case local store).
        wait_ms = int(settings.ready_timeout * 1000)
        client = store_service.open_client(url=url, serverSelectionTimeoutMS=wait_ms,
                                           connectTimeoutMS=int(settings.store_heartbeat_timeout * 1000),
                                           socketTimeoutMS=int(settings.store_socket_timeout * 1000),
                                           heartbeatFrequencyMS=1000,  # a store gone quiet is noticed within 1 s
                                           event_listeners=[app.state.store_health,
                                                            *([traces.command_listener()] if traces else [])])
        app.state.store_health.client = client
        try:
            database = client[settings.db]
            await store_service.init_models(database=database)
            await app.state.keys.refresh(database=database)
            app.state.database = database
            log.info("connected to %s database %s", store_service.redact_url(url), settings.db)
            # Background work of every process: the key ring read again, the webhook dispatcher; the re-keyer, the
            # watch and the audit trail's sealer (one process at a time each, by a lease); the subscriptions' feed
            # starts with the first subscriber.
            background = [asyncio.create_task(keys_service.keep_fresh(ring=app.state.keys, database=database,
                                                                      every=settings.keys_refresh_seconds))]
            if settings.rekey_poll_seconds > 0:
                background.append(asyncio.create_task(rekey.run_forever(ring=app.state.keys,
                                                                        every=settings.rekey_poll_seconds)))
            if settings.webhook_poll_seconds > 0:
                background.append(asyncio.create_task(webhooks.run_forever(settings=settings, keys=app.state.keys)))
            if settings.watch_poll_seconds > 0:
                background.append(asyncio.create_task(watch.run_forever(settings=settings)))
            if settings.audit_seal_seconds > 0:
                background.append(asyncio.create_task(audit_chain.run_forever(settings=settings)))
            app.state.feed = Feed(poll_seconds=settings.subscription_poll_seconds,
                                  gap_seconds=settings.webhook_gap_seconds)
            try:
                yield
            finally:
                # The stop is bounded: a task stuck in the store's socket, or in the driver, must not hold it past
                # HUB_SHUTDOWN_TIMEOUT (a two-process test once waited 30 s after "Waiting for application
                # shutdown"). A task that ignores its cancel would also hold asyncio's own teardown, which cancels
                # and awaits every task left: the watchdog ends the process if that outlasts the bound.
                if process:  # `hub serve`'s own process, not an app inside another (the tests)
                    exit_watchdog(settings.shutdown_timeout + 5)
                deadline = asyncio.get_running_loop().time() + settings.shutdown_timeout
                if not await app.state.feed.stop(timeout=settings.shutdown_timeout):
                    log.warning("stopping with the subscriptions' feed still reading")
                for task in background:
                    task.cancel()
                if background:
                    left = max(0.0, deadline - asyncio.get_running_loop().time())
                    _, stuck = await asyncio.wait(background, timeout=left)
                    if stuck:
                        log.warning("stopping with %d background task(s) still running", len(stuck))
        finally:
            try:
                async with asyncio.timeout(max(1.0, settings.shutdown_timeout / 2)):
                    await client.close()
            except TimeoutError:
                log.warning("stopping without the database client closed")
            if traces is not None:  # the spans still queued, sent within the same bound
                await run_in_threadpool(traces.shutdown, timeout=max(1.0, settings.shutdown_timeout / 2))

    limits = Limits(max_depth=settings.max_depth, max_aliases=settings.max_aliases, max_tokens=settings.max_tokens,
                    max_cost=settings.max_cost, max_selections=settings.max_selections)
    observers: list[Any] = [partial(OperationMetrics, metrics=metrics), *([traces.extension] if traces else [])]
    graphql = HubGraphQL(build_schema(limits, introspection=settings.env != "production", observers=observers),
                         settings=settings)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),  # subscriptions (graphql-transport-ws)
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            Route("/reports/brief", brief_report, methods=["GET"]),
            Route("/reports/notice", notice_report, methods=["GET"]),
            *console_routes.routes(settings),
            *export_routes.routes(),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
    )
    app.state.settings = settings
    app.state.schema = graphql.schema
    app.state.keys = KeyRing(settings.resolved_secret_key())  # HUB_SECRET_KEY's own key until the lifespan reads the ring
    app.state.audit_key = audit_chain.key_for(settings.resolved_secret_key())  # signs the audit trail's entries
    app.state.metrics = metrics
    app.state.tracing = traces
    # Added innermost first: metrics see every response (503s for a store that is down, or a request that waited
    # too long for its turn, included), the bound on requests in flight comes before anything reads the body, the
    # body limit runs before authentication, the rate limits after it.
    app.state.agencies = AgencyDirectory(refresh_seconds=settings.directory_refresh_seconds)
    app.state.revocations = Revocations(refresh_seconds=settings.revocation_refresh_seconds)
    app.state.documents = document_service.Registry(ttl=settings.trusted_documents_cache_seconds)
    app.add_middleware(RateLimit, per_user=settings.rate_limit_user, per_agency=settings.rate_limit_agency)
    app.add_middleware(Authentication, keys=app.state.keys, directory=app.state.agencies,
                       revocations=app.state.revocations, ide_enabled=settings.env != "production")
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.state.store_health = store_service.StoreHealth()
    app.add_middleware(StoreUnavailable, health=app.state.store_health)
    app.add_middleware(InFlightLimit, limit=settings.max_in_flight, wait=settings.queue_timeout)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    metrics.watch_store(lambda: app.state.store_health.down)
    # Outermost: the request id is set before anything may log, and on the request's span when there is one.
    app.add_middleware(RequestId, tracing=traces is not None, access_log=settings.access_log)
    if traces is not None:
        app.add_middleware(tracing.RequestSpans, tracing=traces)
    return app


def exit_watchdog(seconds: float) -> None:
    """End the process `seconds` from now if it is still there (a daemon thread: gone with a process that ended)."""

    def force() -> None:
        log.warning("hub serve did not end within %gs of its shutdown; exiting", seconds)
        logging.shutdown()
        os._exit(0)

    timer = threading.Timer(seconds, force)
    timer.daemon = True
    timer.start()


def create_worker_app() -> Starlette:
    """The app of one of `hub serve --workers N`'s processes (uvicorn's factory): settings from the
    environment, logs as `hub serve` writes them."""
    from hub.logs import configure_logging

    settings = get_settings()
    configure_logging(format=settings.resolved_log_format)
    return create_app(settings, process=True)


def schema_sdl() -> str:
    """The GraphQL SDL as checked in at schema/schema.graphql."""
    return build_schema().as_str().rstrip("\n") + "\n"
