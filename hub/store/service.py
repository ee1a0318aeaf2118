"""Connecting to the database: the URL to use, the client, Beanie's document models."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from beanie import init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from hub.store import local


@dataclass(frozen=True)
class ServerInfo:
    """What the connected server says about itself."""

    version: str
    store_kind: str
    database_name: str


def document_models() -> list[type]:
    """Every Beanie document class of the hub, in one explicit list."""
    from hub.store.registry import DOCUMENT_MODELS

    return list(DOCUMENT_MODELS)


def resolve_url(*, settings: Settings) -> str:
    """HUB_MONGODB_URL when set; otherwise start (or reuse) the local store and return its URL."""
    if settings.mongodb_url:
        return settings.mongodb_url
    return local.start(settings).url


def open_client(*, url: str, **options: Any) -> AsyncMongoClient:
    """An async client with the hub's defaults: aware datetimes, short server selection."""
    options.setdefault("tz_aware", True)
    options.setdefault("serverSelectionTimeoutMS", 5000)
    options.setdefault("appname", "mediation-hub")
    return AsyncMongoClient(url, **options)


async def init_models(*, database: AsyncDatabase) -> None:
    """Bind every document class to database and create their indexes."""
    await init_beanie(database=database, document_models=document_models())


async def ping(*, database: AsyncDatabase, timeout: float) -> None:
    """Raise unless the server answers ping within timeout seconds."""
    await asyncio.wait_for(database.command("ping"), timeout)


async def server_info(*, database: AsyncDatabase) -> ServerInfo:
    """Version and kind (MongoDB or FerretDB) of the connected server."""
    info = await database.command("buildInfo")
    kind = "FerretDB" if "ferretdb" in info or "ferretdbVersion" in info else "MongoDB"
    return ServerInfo(version=str(info.get("version", "")), store_kind=kind, database_name=database.name)


def redact_url(url: str) -> str:
    """The URL without its password, for logs."""
    from pymongo.uri_parser import parse_uri

    try:
        parsed = parse_uri(url)
    except Exception:  # noqa: BLE001 - an unparsable URL is still not logged
        return "mongodb://<unparsable>"
    hosts = ",".join(f"{h}:{p}" for h, p in parsed["nodelist"])
    user = f"{parsed['username']}:***@" if parsed.get("username") else ""
    return f"mongodb://{user}{hosts}/"
