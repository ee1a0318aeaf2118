"""Traces: `hub serve` with an OTLP endpoint exports request → operation → loader batches → MongoDB commands to a
collector, carrying the request id and none of the caller's values; without an endpoint nothing is set up."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from opentelemetry import trace
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto
from starlette.applications import Starlette

from hub import tracing
from hub.app import create_app
from hub.config import Settings
from tests.conftest import TokenFor, free_port
from tests.observability.collector import Collector, Span
from tests.processes import hub_serve
from tests.scenarios import EscalatedPetition

LOOKUP = """query PetitionerCheck($idNumber: String!) {
  personLookup(idNumber: $idNumber, purpose: "越级信访人员基层调解情况核查") {
    found cases { caseNo channels } priorGrassrootsMediation { kind agency { code name } } } }"""
PHONE_LOOKUP = """query PhoneCheck($name: String!, $phone: String!) {
  personLookup(name: $name, phone: $phone, purpose: "越级信访人员基层调解情况核查") { found } }"""
REQUEST_ID = "petition-check-0001"


def ancestors(span: Span, by_id: dict[str, Span]) -> list[Span]:
    """The span's parents up to its trace's root, nearest first."""
    found = []
    while span.parent_id in by_id:
        span = by_id[span.parent_id]
        found.append(span)
    return found


def json_lines(log: Path) -> list[dict]:
    """The JSON objects among the log's lines."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


async def test_a_request_is_traced_from_http_to_the_store_without_the_callers_values(
        escalated_petition: EscalatedPetition, settings: Settings, token_for: TokenFor, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    secret_id, phone = escalated_petition.petitioner_id, escalated_petition.petitioner_phone
    port = free_port()
    with Collector() as collector, hub_serve(settings, port, log, OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
                                             OTEL_BSP_SCHEDULE_DELAY="100", OTEL_SERVICE_NAME="hub-under-test",
                                             OTEL_RESOURCE_ATTRIBUTES="deployment.environment=test",
                                             HUB_LOG_FORMAT="json"):
        headers = {"Authorization": f"Bearer {token_for('PB')}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            answer = http.post("/graphql", json={"query": LOOKUP, "variables": {"idNumber": secret_id}},
                               headers={"X-Request-Id": REQUEST_ID})
            # A GET carries its variables in the query string: the request span must not keep it.
            by_get = http.get("/graphql", params={"query": PHONE_LOOKUP,
                                                  "variables": json.dumps({"name": "周八", "phone": phone})})
        assert answer.status_code == 200 and answer.json()["data"]["personLookup"]["found"], answer.text
        assert answer.headers["x-request-id"] == REQUEST_ID
        assert by_get.json()["data"]["personLookup"]["found"], by_get.text

        spans = collector.wait_for(lambda found: sum(s.kind == SpanProto.SPAN_KIND_SERVER for s in found) >= 2)
        time.sleep(1.5)  # the background tasks' polls (webhooks every second) run meanwhile: none may be a trace
        spans = collector.spans()

    request = next(s for s in spans if s.attributes.get("hub.request_id") == REQUEST_ID)
    assert request.kind == SpanProto.SPAN_KIND_SERVER and request.name == "POST /graphql"
    assert request.parent_id == "" and request.scope == "opentelemetry.instrumentation.asgi"
    assert request.resource["service.name"] == "hub-under-test"
    assert request.resource["deployment.environment"] == "test"

    trace_spans = [s for s in spans if s.trace_id == request.trace_id]
    by_id = {s.span_id: s for s in trace_spans}
    [operation] = [s for s in trace_spans if s.name == "query PetitionerCheck"]
    assert operation.parent_id == request.span_id
    assert operation.attributes["graphql.operation.name"] == "PetitionerCheck"
    assert operation.attributes["graphql.operation.type"] == "query"

    commands = [s for s in trace_spans if s.scope == "hub.store"]
    under_operation = [s for s in commands if operation in ancestors(s, by_id)]
    assert {s.attributes["db.mongodb.collection"] for s in under_operation} >= {"people", "cases"}
    assert all(s.attributes["db.system"] == "mongodb" and s.attributes["db.name"] == settings.db for s in commands)
    batches = [s for s in trace_spans if s.name.startswith("dataloader ")]
    assert batches and all(s.parent_id == operation.span_id for s in batches)
    assert all(s.attributes["hub.dataloader.keys"] >= 2 for s in batches)  # a one-key load is no batch
    # Every command span belongs to a traced request: the polls outside requests start no trace of their own.
    all_ids = {s.span_id for s in spans}
    assert all(s.parent_id in all_ids for s in spans if s.scope == "hub.store")

    exported = b"".join(collector.bodies)
    assert secret_id.encode() not in exported and phone.encode() not in exported
    assert "周八".encode() not in exported
    get_span = next(s for s in spans if s.kind == SpanProto.SPAN_KIND_SERVER and s.attributes.get("http.method") == "GET")
    assert "?" not in get_span.attributes["http.url"]

    # The access log's line of that request carries the same request id and the trace's id.
    [line] = [entry for entry in json_lines(log) if entry.get("request_id") == REQUEST_ID]
    assert line["logger"] == "hub.access" and line["status"] == 200
    assert line["trace_id"] == request.trace_id
    assert secret_id not in log.read_text()


async def test_without_an_endpoint_nothing_traces(district: object, settings: Settings, token_for: TokenFor,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)

    def traced_parts(app: Starlette) -> list[object]:
        listeners = app.state.database.client.options.event_listeners
        return [*(m for m in app.user_middleware if m.cls is tracing.RequestSpans),
                *(e for e in app.state.schema.extensions if isinstance(getattr(e, "__self__", None), tracing.Tracing)),
                *(li for li in listeners if isinstance(li, tracing.StoreCommandSpans))]

    async def ask(app: Starlette) -> httpx.Response:
        async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                           base_url="http://hub.test") as http:
            response = await http.post("/graphql", json={"query": "query Agencies { agencies { code region { name } } }"},
                                       headers={"Authorization": f"Bearer {token_for('CC')}"})
            assert len(traced_parts(app)) == (0 if app.state.tracing is None else 3)
            return response

    with Collector() as collector:
        untraced = create_app(settings)
        response = await ask(untraced)
        assert untraced.state.tracing is None
        assert response.status_code == 200 and len(response.headers["x-request-id"]) == 32  # the id is there still
        assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"  # nothing global installed

        # The same app with an endpoint: the parts are there and spans arrive (so the checks above can fail).
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
        traced = create_app(settings)
        assert traced.state.tracing is not None
        await ask(traced)  # its lifespan's end flushes the spans
        assert {s.name for s in collector.spans()} >= {"POST /graphql", "query Agencies", "dataloader region_by_code"}
        assert collector.paths and set(collector.paths) == {"/v1/traces"}
        assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"


def test_the_environment_decides_whether_to_trace() -> None:
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert tracing.enabled(endpoint)
    assert tracing.enabled({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert not tracing.enabled({})
    assert not tracing.enabled({**endpoint, "OTEL_SDK_DISABLED": "true"})
    assert not tracing.enabled({**endpoint, "OTEL_TRACES_EXPORTER": "none"})
