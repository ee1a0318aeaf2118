"""The one explicit list of document models handed to ``init_beanie``."""

from __future__ import annotations

DOCUMENT_MODELS: list[type] = []
