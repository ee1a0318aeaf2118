"""OpenTelemetry traces: the HTTP request (opentelemetry-instrumentation-asgi), its GraphQL operation, the
operation's DataLoader batches and the MongoDB commands under them (a PyMongo command listener), exported over
OTLP (HTTP/protobuf).

On only when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`):
otherwise `from_environment` returns None and the app installs nothing, no middleware, no extension, no command
listener. The `OTEL_*` variables are the SDK's own settings (service name and resource attributes, sampler, batch
processor, exporter headers and timeout); the SDK reads them when `from_environment` builds its parts.

What a span never holds: a GraphQL variable, an argument, the document's text, a URL's query string, a MongoDB
filter or an error message (any of them may quote personal data). Operations are named and typed, documents are
named by their SHA-256, commands by their name, collection and database, errors by their code.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.trace import SpanKind, StatusCode, Tracer
from pymongo import monitoring
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension

from hub.metrics import error_codes, operation_of

log = logging.getLogger("hub.tracing")

DEFAULT_SERVICE_NAME = "mediation-hub"
# Probes and scrapes would be a trace each, every few seconds; the console's static files are not the API.
UNTRACED_PATHS = ("/healthz$", "/readyz$", "/metrics$", "/console/assets/")
_QUERY = "hub.untraced_query_string"  # where RequestSpans keeps the query string the request span does not see


def enabled(environ: Mapping[str, str]) -> bool:
    """Whether the environment asks for traces: an OTLP endpoint, and the SDK and its exporter not turned off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


class Tracing:
    """One app's tracer provider (its own, not the global one: several apps in one process stay apart) and the
    pieces that start spans with it."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer("hub")

    def extension(self) -> OperationSpans:
        """A schema extension instance for one execution (strawberry calls this per operation)."""
        return OperationSpans(tracer=self.tracer)

    def command_listener(self) -> StoreCommandSpans:
        """The MongoDB command listener to hand the app's client (`event_listeners=`)."""
        return StoreCommandSpans(self.provider.get_tracer("hub.store"))

    def shutdown(self, *, timeout: float) -> None:
        """Export what is left, waiting at most `timeout` seconds, and stop the exporter (blocking: a thread)."""
        self.provider.force_flush(timeout_millis=int(timeout * 1000))
        self.provider.shutdown()


def from_environment(environ: Mapping[str, str] | None = None) -> Tracing | None:
    """The app's tracing when the environment asks for it (see `enabled`), else None."""
    environ = os.environ if environ is None else environ
    if not enabled(environ):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf") != "http/protobuf":
        log.warning("OTEL_EXPORTER_OTLP_PROTOCOL=%s ignored: the hub exports over http/protobuf",
                    environ["OTEL_EXPORTER_OTLP_PROTOCOL"])
    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    provider = SdkTracerProvider(resource=resource, shutdown_on_exit=False)  # the lifespan shuts it down
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return Tracing(provider)


class RequestSpans:
    """ASGI middleware: the official OpenTelemetry ASGI middleware's server span for each HTTP request (not the
    WebSockets: a subscription's connection lives for hours), without its per-message spans, and without the
    query string: a GraphQL GET carries its variables there."""

    def __init__(self, app: Any, *, tracing: Tracing) -> None:
        self.app = app
        self.traced = OpenTelemetryMiddleware(self._restore_query, excluded_urls=",".join(UNTRACED_PATHS),
                                              tracer_provider=tracing.provider, meter_provider=NoOpMeterProvider(),
                                              exclude_spans=["receive", "send"])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("query_string"):
            scope = {**scope, "query_string": b"", _QUERY: scope["query_string"]}
        await self.traced(scope, receive, send)

    async def _restore_query(self, scope: Any, receive: Any, send: Any) -> None:
        if _QUERY in scope:
            scope = {**scope, "query_string": scope[_QUERY]}
        await self.app(scope, receive, send)


class OperationSpans(SchemaExtension):
    """A span for each GraphQL operation, current while it runs (the store's commands and the loaders' batches
    nest under it), and a span for each batch of the request's DataLoaders (see trace_batches): not one per field,
    which would cost more than the fields."""

    def __init__(self, *, tracer: Tracer, execution_context: Any = None) -> None:
        self.tracer = tracer

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        # An exception's message may quote the caller's input: a span records the error codes, never messages.
        with self.tracer.start_as_current_span("graphql.operation", kind=SpanKind.INTERNAL, record_exception=False,
                                               set_status_on_exception=False) as span:
            loaders = getattr(context.context, "loaders", None)
            if loaders is not None:
                trace_batches(loaders, self.tracer)
            if context.query:
                span.set_attribute("hub.graphql.document.sha256", hashlib.sha256(context.query.encode()).hexdigest())
            try:
                yield
            finally:
                kind, name = operation_of(context)
                span.update_name(f"{kind} {name}" if name else kind)
                span.set_attribute("graphql.operation.type", kind)
                if name:
                    span.set_attribute("graphql.operation.name", name[:128])
                if codes := error_codes(context):
                    span.set_attribute("hub.graphql.error_codes", codes)
                    span.set_status(StatusCode.ERROR, ",".join(codes))


def trace_batches(loaders: object, tracer: Tracer) -> None:
    """Wrap each DataLoader of one request's `Loaders` so that its batches of two keys or more are spans
    (`dataloader <name>`), once: an export runs several operations with one context. A load of one key batched
    nothing: its commands sit under the operation's span, and a case view's seven such spans were a fifth of
    what tracing cost it (docs/benchmarks.md)."""
    for name, loader in vars(loaders).items():
        if isinstance(loader, DataLoader) and not getattr(loader.load_fn, "traced", False):
            loader.load_fn = _traced_batch(tracer, name, loader.load_fn)


def _traced_batch(tracer: Tracer, name: str, load_fn: Any) -> Any:
    async def batch(keys: Sequence[Any]) -> Any:
        if len(keys) == 1:
            return await load_fn(keys)
        with tracer.start_as_current_span(f"dataloader {name}", attributes={"hub.dataloader.keys": len(keys)},
                                          record_exception=False, set_status_on_exception=False) as span:
            try:
                return await load_fn(keys)
            except Exception as exc:
                span.set_status(StatusCode.ERROR, type(exc).__name__)
                raise

    batch.traced = True  # type: ignore[attr-defined]
    return batch


class StoreCommandSpans(monitoring.CommandListener):
    """A span per MongoDB command sent inside a traced request, with OpenTelemetry's database attributes
    (db.system, db.name, db.operation, db.mongodb.collection), never the command's values. Not
    opentelemetry-instrumentation-pymongo's listener: it sets six attributes one at a time, the server's address
    among them, and its spans were the largest part of tracing's cost in the request thread (docs/benchmarks.md).
    Commands outside a traced request are not traced: the background tasks' polls, every second or so, would
    each be a trace of one span."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.spans: dict[tuple[int, Any], Any] = {}  # (request id, connection) -> the command's span

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not trace.get_current_span().is_recording():
            return
        attributes = {"db.system": "mongodb", "db.name": event.database_name, "db.operation": event.command_name}
        collection = event.command.get(event.command_name)
        if isinstance(collection, str):
            attributes["db.mongodb.collection"] = collection
        self.spans[event.request_id, event.connection_id] = self.tracer.start_span(
            f"{event.database_name}.{event.command_name}", kind=SpanKind.CLIENT, attributes=attributes)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        span = self.spans.pop((event.request_id, event.connection_id), None)
        if span is not None:
            span.end()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        span = self.spans.pop((event.request_id, event.connection_id), None)
        if span is not None:  # its code name, not its message: a duplicate key's message quotes the key
            span.set_status(StatusCode.ERROR, str(event.failure.get("codeName") or "command failed"))
            span.end()
