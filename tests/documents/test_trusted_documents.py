"""Trusted documents: registered with `hub documents` (a process), sent by id over HTTP and the WebSocket, and
required of an agency: its free query text refused with TRUSTED_DOCUMENT_REQUIRED."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from hub.agencies import service as agency_service
from hub.app import create_app
from hub.config import Settings
from hub.documents import service as document_service
from hub.documents.models import TrustedDocument
from hub.errors import BadUserInput
from hub.middleware import CONSOLE_HEADER, TOKEN_COOKIE
from tests.conftest import TokenFor, act_as
from tests.notifications.conftest import graphql_ws, served  # noqa: F401  (the app on a real socket)
from tests.processes import hub_env, run_hub

VIEWER = "query Viewer { viewer { agencyCode } }\n"
TWO_OPERATIONS = VIEWER + "query Regions { regions { code } }\n"
UNREGISTERED = "{ viewer { user } }"
EVENTS = "subscription Events { events { key } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"
CACHE_SECONDS = 0.3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test deployment, keeping a trusted document it read for CACHE_SECONDS (the default is 5)."""
    return settings.model_copy(update={"trusted_documents_cache_seconds": CACHE_SECONDS})


def hub_documents(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`hub documents ARGS…` as a process, on the test's database."""
    return run_hub("documents", *args, env=hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db,
                                                   HUB_SECRET_KEY=settings.resolved_secret_key(),
                                                   HUB_DATA_DIR=str(settings.data_dir)))


async def send(http: httpx.AsyncClient, **body: Any) -> httpx.Response:
    """POST /graphql with this body, asking for application/graphql-response+json."""
    return await http.post("/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE})


def code_of(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def register(app: Starlette, text: str, *agencies: str) -> str:
    """A document registered in-process (the CLI's own path is tested below); its id."""
    [added] = await document_service.add(candidates=[document_service.Candidate(text=text, source="test")],
                                         schema=app.state.schema._schema, agencies=list(agencies) or None, by="test")
    return added.document.id


async def test_a_file_registered_by_the_cli_runs_by_its_id_and_by_apollos_hash(
        http: httpx.AsyncClient, settings: Settings, tmp_path: Path) -> None:
    # Given a file of two operations registered by `hub documents add`
    path = tmp_path / "agency-system.graphql"
    path.write_text(TWO_OPERATIONS, encoding="utf-8")
    added = hub_documents(settings, "add", str(path))
    assert added.returncode == 0, added.stderr
    document_id = document_service.document_id_of(TWO_OPERATIONS)
    assert added.stdout.split("\t")[:2] == [document_id, "added"]

    # When it is sent by id (GraphQL over HTTP), by Apollo's persisted-query hash, and by GET
    by_id = await send(http, documentId=document_id, operationName="Viewer")
    by_hash = await send(http, operationName="Regions", extensions={
        "persistedQuery": {"version": 1, "sha256Hash": document_id.removeprefix("sha256:")}})
    by_get = await http.get("/graphql", params={"documentId": document_id, "operationName": "Viewer"})

    # Then each runs the registered operation it names
    assert by_id.status_code == 200 and by_id.json() == {"data": {"viewer": {"agencyCode": "CC"}}}
    assert by_hash.status_code == 200 and {"code": "510199"} in by_hash.json()["data"]["regions"]
    assert by_get.json() == by_id.json()
    # and the CLI lists it, open to every agency, and finds it known when it is added again
    listed = hub_documents(settings, "list").stdout.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [[document_id, "*", "Viewer,Regions"]]
    assert hub_documents(settings, "add", str(path)).stdout.split("\t")[:2] == [document_id, "unchanged"]


async def test_an_unregistered_id_is_refused_with_persisted_query_not_found(http: httpx.AsyncClient) -> None:
    unknown = document_service.document_id_of(UNREGISTERED)
    for response in (await send(http, documentId=unknown),
                     await send(http, extensions={"persistedQuery": {"version": 1, "sha256Hash": unknown[7:]}}),
                     await send(http, documentId="no-such-document")):
        assert response.status_code == 400
        assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        assert code_of(response) == "PERSISTED_QUERY_NOT_FOUND", response.json()
        assert "hub documents add" in response.json()["errors"][0]["message"]
    # An id sent with text that is not its document's is a bad request, not a way round the registry
    mismatched = await send(http, query=UNREGISTERED, documentId=document_service.document_id_of(VIEWER))
    assert (mismatched.status_code, code_of(mismatched)) == (400, "BAD_USER_INPUT")


async def test_an_agency_that_requires_trusted_documents_is_refused_free_text_but_runs_its_documents(
        http: httpx.AsyncClient, app: Starlette, settings: Settings, token_for: TokenFor, tmp_path: Path) -> None:
    # Given PMC-A required to send trusted documents, and VIEWER registered for it alone
    path = tmp_path / "viewer.graphql"
    path.write_text(VIEWER, encoding="utf-8")
    assert hub_documents(settings, "add", str(path), "--agency", "PMC-A").returncode == 0
    required = hub_documents(settings, "require", "--agency", "PMC-A")
    assert required.returncode == 0, required.stderr
    assert "registered documents only" in required.stdout
    document_id = document_service.document_id_of(VIEWER)
    pmc_a = token_for("PMC-A")
    act_as(http, pmc_a)

    # When it sends free text, then its document by id and as the document's own text
    refused = await send(http, query=UNREGISTERED)
    by_id = await send(http, documentId=document_id)
    same_text = await send(http, query=VIEWER)

    # Then the free text is refused with a code that says what to do, and its document runs either way
    assert refused.status_code == 403 and code_of(refused) == "TRUSTED_DOCUMENT_REQUIRED"
    assert "documentId" in refused.json()["errors"][0]["message"]
    assert by_id.json() == same_text.json() == {"data": {"viewer": {"agencyCode": "PMC-A"}}}
    # The console's session is the same agency's token: its header and cookie are no way round the rule
    http.headers.pop("Authorization")
    console = await http.post("/graphql", json={"query": UNREGISTERED},
                              headers={CONSOLE_HEADER: "1", "cookie": f"{TOKEN_COOKIE}={pmc_a}"})
    assert code_of(console) == "TRUSTED_DOCUMENT_REQUIRED"

    # Another agency, without the requirement, still sends free text; PMC-A's document is not its own
    act_as(http, token_for("PMC-B"))
    free = await send(http, query=UNREGISTERED)
    assert free.status_code == 200 and free.json()["data"]["viewer"]["user"]
    others = await send(http, documentId=document_id)
    assert (others.status_code, code_of(others)) == (403, "FORBIDDEN")
    assert "PMC-B" in others.json()["errors"][0]["message"]


async def test_the_setting_requires_documents_of_every_agency_or_of_none(settings: Settings, district: Any,
                                                                         token_for: TokenFor) -> None:
    await agency_service.set_trusted_documents_only(code="PMC-A", required=True)
    answers = {}
    for mode in ("all", "off"):
        application = create_app(settings.model_copy(update={"trusted_documents": mode}))
        async with LifespanManager(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
                answers[mode] = [await send(act_as(client, token_for(agency)), query=UNREGISTERED)
                                 for agency in ("CC", "PMC-A")]
    assert [code_of(r) for r in answers["all"]] == ["TRUSTED_DOCUMENT_REQUIRED"] * 2
    assert [r.status_code for r in answers["off"]] == [200, 200]


async def test_a_manifest_with_a_wrong_hash_is_refused_by_key_and_nothing_of_it_is_added(
        http: httpx.AsyncClient, settings: Settings, tmp_path: Path) -> None:
    good = document_service.document_id_of(VIEWER)
    wrong_key = "0" * 64
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({good.removeprefix("sha256:"): VIEWER, wrong_key: UNREGISTERED}), encoding="utf-8")

    refused = hub_documents(settings, "add", "--manifest", str(manifest))

    assert refused.returncode == 1
    assert wrong_key in refused.stderr and "not the SHA-256" in refused.stderr and good not in refused.stderr
    assert await TrustedDocument.get(good) is None
    # Mended, the same manifest registers both, and its documents run by id
    manifest.write_text(json.dumps({good: VIEWER, document_service.document_id_of(UNREGISTERED): UNREGISTERED}),
                        encoding="utf-8")
    added = hub_documents(settings, "add", "--manifest", str(manifest))
    assert added.returncode == 0, added.stderr
    assert [line.split("\t")[1] for line in added.stdout.splitlines()] == ["added", "added"]
    assert (await send(http, documentId=good)).json() == {"data": {"viewer": {"agencyCode": "CC"}}}


async def test_a_file_that_does_not_validate_against_the_schema_is_refused(
        database: Any, settings: Settings, tmp_path: Path) -> None:
    good, bad, broken = tmp_path / "good.graphql", tmp_path / "bad.graphql", tmp_path / "broken.graphql"
    good.write_text(VIEWER, encoding="utf-8")
    bad.write_text("query Bad { viewer { noSuchField } }", encoding="utf-8")
    broken.write_text("query Broken { viewer { ", encoding="utf-8")

    invalid = hub_documents(settings, "add", str(good), str(bad))
    unparsed = hub_documents(settings, "add", str(broken))

    assert invalid.returncode == 1 and f"hub: {bad} does not validate against the hub's schema" in invalid.stderr
    assert "noSuchField" in invalid.stderr and "line 1, column 22" in invalid.stderr
    assert unparsed.returncode == 1 and f"{broken} is not a GraphQL document" in unparsed.stderr
    assert await TrustedDocument.find({}).count() == 0  # the good file neither: all are checked first


async def test_a_removed_document_stops_working_within_the_cache_bound(
        http: httpx.AsyncClient, app: Starlette, settings: Settings) -> None:
    document_id = await register(app, VIEWER)
    assert (await send(http, documentId=document_id)).status_code == 200  # read, and kept CACHE_SECONDS

    removed = hub_documents(settings, "remove", document_id)
    assert removed.returncode == 0, removed.stderr
    await asyncio.sleep(CACHE_SECONDS)

    gone = await send(http, documentId=document_id)
    assert (gone.status_code, code_of(gone)) == (400, "PERSISTED_QUERY_NOT_FOUND")
    again = hub_documents(settings, "remove", document_id)
    assert again.returncode == 1 and "no trusted document" in again.stderr


async def test_the_websocket_takes_a_document_by_id_and_refuses_free_text_of_an_agency_that_requires_them(
        app: Starlette, served: str, token_for: TokenFor) -> None:  # noqa: F811
    await agency_service.set_trusted_documents_only(code="PMC-A", required=True)
    document_id = await register(app, EVENTS, "PMC-A")
    async with graphql_ws(served, token=token_for("PMC-A")) as client:
        await client.ws.send(json.dumps({"id": "free", "type": "subscribe", "payload": {"query": UNREGISTERED}}))
        refused = await client.message()
        await client.ws.send(json.dumps({"id": "by-id", "type": "subscribe", "payload": {"documentId": document_id}}))
        for _ in range(500):  # a subscribe has no answer until an event: wait for it to join the feed
            if app.state.feed.subscribers:
                break
            await asyncio.sleep(0.01)
        joined = app.state.feed.subscribers
    assert refused["id"] == "free" and refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
    assert joined == 1


def test_the_console_documents_are_read_from_codegens_output() -> None:
    code = ("export const ViewerFieldsFragmentDoc = new TypedDocumentString(`\n    fragment F on Viewer { user }\n"
            "    `, {\"fragmentName\":\"F\"});\nexport const ViewerDocument = new TypedDocumentString(`\n    "
            "query Viewer {\n  viewer { ...F }\n}\n    fragment F on Viewer { user }`) as unknown;\n")
    [found] = document_service.from_codegen(code=code, source="generated.ts")
    assert found.text == "\n    query Viewer {\n  viewer { ...F }\n}\n    fragment F on Viewer { user }"
    assert found.source == "generated.ts Viewer"
    with pytest.raises(BadUserInput, match="holds no"):
        document_service.from_codegen(code="export const x = 1", source="other.ts")
