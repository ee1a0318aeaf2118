"""Trusted documents on the wire: the document a GraphQL request names, over HTTP and over the WebSocket.

A request names one by `{"documentId": "sha256:…"}` (GraphQL over HTTP's trusted documents) or by Apollo's
`{"extensions": {"persistedQuery": {"sha256Hash": "…"}}}`; the hub runs the registered text. Where the caller's
agency must send registered documents (hub.documents.service.is_required), free text is refused unless it is a
registered document's own text, over HTTP and in a WebSocket's subscribe message alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from hub.documents import service as document_service
from hub.errors import BadUserInput, HubError

log = logging.getLogger("hub.documents")


def named_id(payload: Mapping[str, Any], extensions: object) -> str | None:
    """The document id a request names: its `documentId`, else Apollo's `extensions.persistedQuery.sha256Hash`."""
    value = payload.get("documentId")
    if value is None and isinstance(extensions, Mapping):
        persisted = extensions.get("persistedQuery")
        if isinstance(persisted, Mapping) and persisted.get("sha256Hash") is not None:
            digest = persisted["sha256Hash"]
            value = document_service.PREFIX + digest.lower() if isinstance(digest, str) else digest
    if value is not None and not isinstance(value, str):
        raise BadUserInput('documentId is a string, "sha256:" and the hex SHA-256 of the document\'s text')
    return value


async def http_document_ids(request: Request, items: Sequence[GraphQLRequestData],
                            decode: Callable[[bytes], object]) -> list[str | None]:
    """The document id each GraphQL request of an HTTP request names (strawberry's parse keeps no `documentId`)."""
    raw: object = None
    if request.method == "GET":
        raw = request.query_params
    elif "json" in request.headers.get("content-type", ""):
        body = await request.body()  # read once already: Starlette keeps it
        if b'"documentId"' in body:  # decoded again only then (an ingestion batch is large)
            raw = decode(body)
    raws = raw if isinstance(raw, list) else [raw] * len(items)
    return [named_id(r if isinstance(r, Mapping) else {}, item.extensions) for r, item in zip(raws, items)]


async def text_for(context: Any, *, query: object, document_id: str | None, operation_name: object) -> str | None:
    """The text a request of this context (resolvers.context.Context) runs; the hub's errors when it may not."""
    if query is not None and not isinstance(query, str):
        raise BadUserInput("the query is a string: the GraphQL document's text")
    state = context.request.app.state
    mode = state.settings.trusted_documents
    principal = context.principal
    code = principal.agency_code if principal is not None else None
    agency = None
    if mode == "per-agency" and code is not None and query is not None:
        found = await state.agencies.get(code)  # the agency directory, read again every HUB_DIRECTORY_REFRESH_SECONDS
        agency = found[0] if found else None
    required = principal is not None and document_service.is_required(mode=mode, agency=agency)
    resolved = await document_service.resolve(registry=state.documents, agency_code=code, required=required,
                                              query=query, document_id=document_id)
    if resolved.document is not None:  # never the variables: they can hold personal data
        log.info("agency %s runs trusted document %s (operation %s)", code, resolved.document.id,
                 operation_name if isinstance(operation_name, str) else "-")
    return resolved.query


class TrustedDocumentsWS(BaseGraphQLTransportWSHandler):  # type: ignore[type-arg]
    """graphql-transport-ws whose subscribe messages may name a trusted document, and may not send free text for
    an agency that must send registered documents: refused with an `error` message carrying the code."""

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload")
        # Before the acknowledgement, or with an id in use, strawberry closes the socket: left to it.
        if self.connection_acknowledged and isinstance(payload, dict) and message.get("id") not in self.operations:
            try:
                text = await text_for(self.context, query=payload.get("query"),
                                      document_id=named_id(payload, payload.get("extensions")),
                                      operation_name=payload.get("operationName"))
            except HubError as exc:
                await self.send_message({"id": message["id"], "type": "error", "payload": [
                    {"message": exc.message, "extensions": {**exc.extensions, "code": exc.code}}]})
                return
            if text is not None:
                payload["query"] = text
        await super().handle_subscribe(message)
