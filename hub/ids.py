"""Global IDs (`Type:raw` in URL-safe base64), as the GraphQL API names objects and events carry them.

Here, below the schema, so the domain (an event's payload) names objects exactly as the API does.
"""

from __future__ import annotations

import base64
from typing import Any

from hub.errors import BadUserInput


def global_id(type_name: str, raw_id: Any) -> str:
    """`Type:raw` in URL-safe base64: opaque to clients, stable for the hub."""
    return base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode().rstrip("=")


def parse_global_id(value: str) -> tuple[str, str]:
    """(type name, raw id) of a global id; BAD_USER_INPUT when it is not one of ours."""
    try:
        padded = value + "=" * (-len(value) % 4)
        type_name, raw = base64.urlsafe_b64decode(padded.encode()).decode().split(":", 1)
    except (ValueError, UnicodeDecodeError):
        raise BadUserInput(f"{value!r} is not a valid ID") from None
    return type_name, raw
