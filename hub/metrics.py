"""Prometheus metrics: HTTP requests, GraphQL operations by name, the store's health; exported at /metrics.
Their names and labels are listed in docs/operations.md."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from graphql import get_operation_ast
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext

KNOWN_PATHS = frozenset({"/graphql", "/healthz", "/readyz", "/metrics", "/reports/brief"})
# Operation names come from the callers' documents: a label takes a GraphQL name of at most 64 characters, and
# only the first `max_operations` distinct ones a process sees; the rest are counted as "other".
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
ANONYMOUS, OTHER = "anonymous", "other"
# GraphQL operations are mostly faster than whole requests' tails: finer buckets at the low end.
OPERATION_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class OperationNames:
    """The `operation` label of an operation's name: itself while the process has seen fewer than `limit` names
    (and it is a GraphQL name), "other" after that, "anonymous" for an operation with no name."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def label(self, name: str | None) -> str:
        if name is None:
            return ANONYMOUS
        if name in self.seen:
            return name
        if not OPERATION_NAME.fullmatch(name):
            return OTHER
        with self.lock:
            if len(self.seen) >= self.limit:
                return OTHER
            self.seen.add(name)
        return name


class Metrics:
    """One registry per app, so several apps in one process (tests) do not collide."""

    def __init__(self, *, max_operations: int = 100) -> None:
        self.registry = CollectorRegistry()
        self.operation_names = OperationNames(max_operations)
        self.operations = Counter(
            "hub_graphql_operations_total",
            "GraphQL queries and mutations by operation name and type.",
            ["operation", "type"],
            registry=self.registry,
        )
        self.operation_latency = Histogram(
            "hub_graphql_operation_duration_seconds",
            "GraphQL operation latency, parsing to result, by operation name and type.",
            ["operation", "type"],
            registry=self.registry,
            buckets=OPERATION_BUCKETS,
        )
        self.operation_errors = Counter(
            "hub_graphql_operation_errors_total",
            "GraphQL operations whose result held an error with this extensions.code (once per code and operation).",
            ["operation", "type", "code"],
            registry=self.registry,
        )
        self.store_up = Gauge(
            "hub_store_up",
            "1 while the driver's monitoring sees a writable store, 0 once it has lost it.",
            registry=self.registry,
        )
        self.requests = Counter(
            "hub_http_requests_total",
            "HTTP requests by method, path and status.",
            ["method", "path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hub_http_request_duration_seconds",
            "HTTP request latency by method and path.",
            ["method", "path"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

    def endpoint(self, request: Request) -> Response:
        """The /metrics handler."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def watch_store(self, down: Callable[[], bool]) -> None:
        """`hub_store_up` asks `down()` at each scrape (the app's StoreHealth)."""
        self.store_up.set_function(lambda: 0.0 if down() else 1.0)

    def observe_operation(self, context: ExecutionContext, seconds: float) -> None:
        """Count and time one GraphQL execution, and each error code its result holds."""
        kind, name = operation_of(context)
        if kind == "subscription":
            return  # a subscription's life is not an operation's latency (subscriptions are counted nowhere yet)
        labels = (self.operation_names.label(name), kind)
        self.operations.labels(*labels).inc()
        self.operation_latency.labels(*labels).observe(seconds)
        for code in error_codes(context):
            self.operation_errors.labels(*labels, code).inc()


def operation_of(context: ExecutionContext) -> tuple[str, str | None]:
    """An execution's operation type ("unknown" for a document that did not parse) and name (None if unnamed)."""
    if context.graphql_document is not None:
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        if operation is not None:
            return operation.operation.value, operation.name.value if operation.name else None
    return "unknown", None


def error_codes(context: ExecutionContext) -> list[str]:
    """The distinct `extensions.code`s of an execution's errors, sorted ("UNCODED" for one without)."""
    result = context.result
    errors = result.errors if result is not None else context.pre_execution_errors
    return sorted({str((e.extensions or {}).get("code") or "UNCODED") for e in errors or ()})


class OperationMetrics(SchemaExtension):
    """Records each GraphQL operation in the app's Metrics: listed first among the schema's extensions, it exits
    last, after ErrorCodes has given every error its code."""

    def __init__(self, *, metrics: Metrics, execution_context: Any = None) -> None:
        self.metrics = metrics

    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.metrics.observe_operation(self.execution_context, time.perf_counter() - start)


class MetricsMiddleware:
    """Counts and times every HTTP request (ASGI middleware, streaming-safe)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in KNOWN_PATHS else "other"
        method = scope["method"]
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.latency.labels(method, path).observe(time.perf_counter() - start)
            self.metrics.requests.labels(method, path, str(status)).inc()
