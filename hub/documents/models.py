"""Trusted documents: a GraphQL document registered by the hash of its text."""

from __future__ import annotations

from datetime import datetime

from beanie import Document


class TrustedDocument(Document):
    """A registered GraphQL document; `_id` is "sha256:" and the hex SHA-256 of its text's UTF-8 bytes.

    Immutable but for `agencies`: a new text is a new document. Read by `_id` only (a request naming it).
    """

    id: str  # type: ignore[assignment]
    text: str
    operations: list[str]  # the operations it defines, by name ("" for an anonymous one)
    agencies: list[str] | None = None  # the agency codes that may send it; None: every agency
    name: str | None = None  # a label: the file or manifest it came from
    added_by: str  # who ran `hub documents add` (the operating-system user)
    added_at: datetime

    def allows(self, agency_code: str | None) -> bool:
        """Whether this agency may send the document."""
        return self.agencies is None or agency_code in self.agencies

    class Settings:
        name = "trusted_documents"
