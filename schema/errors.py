"""Gives every GraphQL error an ``extensions.code`` and hides unexpected internals."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import strawberry

from graphql import GraphQLError
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from hub.errors import HubError, Unavailable
from schema.limits import TOO_COMPLEX, is_limit_refusal

log = logging.getLogger("hub.graphql")


def coded(error: GraphQLError) -> GraphQLError:
    """The same error with a code; internal exceptions become a generic message."""
    original = error.original_error
    if isinstance(original, (ServerSelectionTimeoutError, AutoReconnect)):
        original = Unavailable("the database is not answering; try again shortly")
    if isinstance(original, HubError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            path=error.path,
            original_error=original,
            extensions={**original.extensions, "code": original.code},
        )
    if original is None or error.path is None:
        # Before execution (syntax, validation, variable values): the caller's request is at fault.
        if is_limit_refusal(error):
            code = TOO_COMPLEX
        elif error.message.startswith("Variable "):
            code = "BAD_USER_INPUT"
        else:
            code = "GRAPHQL_VALIDATION_FAILED"
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={**(error.extensions or {}), "code": code},
        )
    log.error("unexpected error at %s: %s", error.path, type(original).__name__, exc_info=original)
    return GraphQLError(
        "internal error; it has been logged",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR"},
    )


def is_expected(error: GraphQLError) -> bool:
    """Errors the caller caused (bad documents, bad input, denials): not worth a traceback."""
    return error.path is None or error.original_error is None or isinstance(error.original_error, HubError)


class HubSchema(strawberry.Schema):
    """Logs only unexpected errors, once, without the caller's input."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            if isinstance(error.original_error, AutoReconnect):  # the store down or unreachable: no traceback
                log.warning("the database did not answer at %s: %s", error.path, type(error.original_error).__name__)
            elif not is_expected(error):
                log.error("unexpected error at %s", error.path, exc_info=error.original_error)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Queries and mutations only: a subscription is refused as a request error (its resolvers are streams,
        for `stream`). Every error carries a code, those raised outside the operation too (strawberry turns an
        exception in parsing or validation into an error after ErrorCodes has run)."""
        allowed = kwargs.get("allowed_operation_types") or (OperationType.QUERY, OperationType.MUTATION)
        kwargs["allowed_operation_types"] = tuple(t for t in allowed if t is not OperationType.SUBSCRIPTION)
        result = await super().execute(*args, **kwargs)
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [e if (e.extensions or {}).get("code") else coded(e) for e in errors]
        return result

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """Subscriptions only (the WebSocket's way in): queries and mutations go over HTTP, where each
        request is authenticated, limited and audited on its own. Every streamed result's errors carry a
        code (ErrorCodes sees only one result)."""
        kwargs["allowed_operation_types"] = (OperationType.SUBSCRIPTION,)
        return _coded_results(await super().stream(*args, **kwargs))


async def _coded_results(results: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
    try:
        async for result in results:
            errors = getattr(result, "errors", None)
            if errors:
                result.errors = [e if (e.extensions or {}).get("code") else coded(e) for e in errors]
            yield result
    finally:
        await results.aclose()


class ErrorCodes(SchemaExtension):
    """Rewrites the result's errors through :func:`coded`."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(e) for e in result.errors]
