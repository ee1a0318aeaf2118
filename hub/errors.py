"""Errors a caller can cause, each with the code GraphQL clients see in ``extensions.code``."""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """Base of every error the API reports with a code and a message a person can act on."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class BadUserInput(HubError):
    """The request is malformed or breaks a validation rule."""

    code = "BAD_USER_INPUT"


class NotFound(HubError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "NOT_FOUND"


class Conflict(HubError):
    """The write clashes with the current state."""

    code = "CONFLICT"


class Unauthenticated(HubError):
    """No valid credentials came with the request."""

    code = "UNAUTHENTICATED"


class Forbidden(HubError):
    """The caller is known but not allowed to do this."""

    code = "FORBIDDEN"


class Unavailable(HubError):
    """A dependency (the database) is not answering."""

    code = "UNAVAILABLE"


class PersistedQueryNotFound(HubError):
    """The request names a trusted document by an id this hub has no document for."""

    code = "PERSISTED_QUERY_NOT_FOUND"


class TrustedDocumentRequired(HubError):
    """The caller's agency may send only registered (trusted) documents, and this request's text is not one."""

    code = "TRUSTED_DOCUMENT_REQUIRED"
