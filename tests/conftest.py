"""Session-wide store, a fresh database per test, and an in-process HTTP client.

The store is the local store (mongo-java-server, memory backend) started for the session, or,
when `HUB_TEST_MONGODB_URL` is set, that MongoDB server: the same suite runs on both.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pymongo import monitoring
from asgi_lifespan import LifespanManager
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from hub.app import create_app
from hub.auth import tokens
from hub.config import Settings
from hub.keys.ring import KeyRing
from hub.store import local as local_store
from hub.store import service as store_service
from tests.factories import load_reference_data


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TEST_MONGODB_URL = os.environ.get("HUB_TEST_MONGODB_URL") or None


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """HUB_TEST_MONGODB_URL, or one throw-away local store (memory backend) for the whole session."""
    if TEST_MONGODB_URL:
        yield TEST_MONGODB_URL
        return
    settings = Settings(data_dir=tmp_path_factory.mktemp("store"), store_port=free_port(),
                        store_backend="memory", store_heap="3g")
    status = local_store.start(settings)
    yield status.url
    local_store.stop(settings)


@pytest.fixture(scope="session")
def store_kind(store_url: str) -> str:
    """What `serverInfo.storeKind` must say for the session's store (asked of the server itself)."""
    from pymongo import MongoClient

    client: MongoClient = MongoClient(store_url)
    try:
        return str(client.admin.command("buildInfo").get("localStore") or "MongoDB")
    finally:
        client.close()


@pytest.fixture
def settings(store_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own database on the session's store."""
    return Settings(
        mongodb_url=store_url,
        db=f"test_{uuid.uuid4().hex[:12]}",
        data_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production-use",
        webhook_poll_seconds=0,  # no background dispatcher: tests run `webhooks.pump` themselves
        watch_poll_seconds=0,  # no background watch: tests run `watch.scan` themselves
        audit_seal_seconds=0,  # no background sealer: tests seal the audit trail themselves
        rate_limit_user="", rate_limit_agency="",  # tests send fast; tests/auth/test_rate_limits.py sets its own
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[AsyncDatabase]:
    """A fresh database with every model bound and indexed; dropped afterwards."""
    client = store_service.open_client(url=settings.mongodb_url or "")
    db = client[settings.db]
    await store_service.init_models(database=db)
    yield db
    await client.drop_database(settings.db)
    await client.close()


@pytest.fixture
async def app(settings: Settings, database: AsyncDatabase) -> AsyncIterator[Starlette]:
    """The hub app with its lifespan running against the test's database."""
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


TokenFor = Callable[..., str]


@pytest.fixture
def token_for(settings: Settings) -> TokenFor:
    """Issues a token of the test deployment: ``token_for("PB", roles=["pii"])``."""

    def issue(agency: str = "CC", *, roles: Sequence[str] = (), user: str = "测试员",
              ttl: timedelta = timedelta(hours=1)) -> str:
        return tokens.issue(keys=KeyRing(settings.resolved_secret_key()), agency_code=agency, user=user,
                            roles=list(roles), ttl=ttl)

    return issue


def act_as(client: httpx.AsyncClient, token: str) -> httpx.AsyncClient:
    """Make every later request of client carry token."""
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
async def anonymous(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, without a token."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


@pytest.fixture
async def http(app: Starlette, district: AsyncDatabase, token_for: TokenFor) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process as the test district's coordination centre (CC).

    Switch agency with ``act_as(http, token_for("PB"))``.
    """
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield act_as(client, token_for("CC"))


@pytest.fixture
def keys() -> KeyRing:
    """The personal-data keys of the test deployment (same secret as `settings`)."""
    return KeyRing("test-secret-key-not-for-production-use")


@pytest.fixture
async def district(database: AsyncDatabase) -> AsyncDatabase:
    """A database with the test district's regions and agencies."""
    await load_reference_data()
    return database


from tests.scenarios import escalated_petition  # noqa: E402,F401  (a fixture shared by several packages)


class CommandLog(monitoring.CommandListener):
    """Every command any client of this process sends, by name, while recording."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.point_lookups: list[str] = []  # collections read by a `find {_id: value}`
        self.recording = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.recording:
            return
        self.names.append(event.command_name)
        query = event.command.get("filter")
        if event.command_name == "find" and isinstance(query, dict) and list(query) == ["_id"] \
                and not isinstance(query["_id"], dict):
            self.point_lookups.append(event.command["find"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def clear(self) -> None:
        self.names.clear()
        self.point_lookups.clear()

    def reads(self) -> int:
        """How many find / aggregate / count round trips were recorded (getMore included)."""
        return sum(1 for n in self.names if n in {"find", "aggregate", "count", "getMore"})

    def queries(self) -> int:
        """Reads other than single-`_id` look-ups: the ones that may scan or batch many rows."""
        return self.reads() - len(self.point_lookups)


_COMMAND_LOG = CommandLog()
monitoring.register(_COMMAND_LOG)  # applies to every client created from here on


@pytest.fixture
def command_log() -> Iterator[CommandLog]:
    """Records the commands sent while the test runs."""
    _COMMAND_LOG.clear()
    _COMMAND_LOG.recording = False
    yield _COMMAND_LOG
    _COMMAND_LOG.recording = False
