"""The per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from starlette.requests import Request

from hub.config import Settings
from hub.people.crypto import PersonalDataKeys
from resolvers.loaders import Loaders


@dataclass
class Context:
    """What resolvers reach as ``info.context``."""

    request: Request
    response: Any
    settings: Settings
    database: AsyncDatabase
    keys: PersonalDataKeys
    loaders: Loaders = field(default_factory=Loaders)
