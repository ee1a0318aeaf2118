"""Connecting to the database: the URL to use, the client, Beanie's document models."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from beanie import init_beanie
from bson.codec_options import TypeRegistry
from pymongo import AsyncMongoClient, IndexModel, ReplaceOne, ReturnDocument, monitoring, uri_parser
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.read_preferences import SecondaryPreferred
from pymongo.errors import BulkWriteError, DuplicateKeyError
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from hub.store import local


# Reads that gather a response's rows ask for them in one batch, not the driver's default 101,
# so a page costs one round trip per level however many rows it holds.
READ_BATCH_SIZE = 10_000


async def bulk_write(collection: Any, ops: Sequence[Any]) -> None:
    """One unordered bulk write (the driver splits it at the server's batch limits)."""
    if ops:
        await collection.bulk_write(list(ops), ordered=False)


async def replace_by_key(collection: Any, documents: Iterable[Any], key: str) -> int:
    """Create or replace Beanie documents by a natural key (idempotent); returns how many."""
    ops = [ReplaceOne({key: getattr(d, key)}, d.model_dump(exclude={"id", "revision_id"}), upsert=True)
           for d in documents]
    await bulk_write(collection, ops)
    return len(ops)


def stored_form(document: Any) -> dict[str, Any]:
    """A Beanie document as its collection stores it: `_id`, Beanie's class id where it has one.

    Pydantic's own dump, about ten times cheaper than Beanie's encoder on the ingestion path;
    dates become midnight UTC through the client's type registry (`_encode_date`). The document
    must have its id set, and hold only BSON types (no Decimal, UUID, set or timedelta fields).
    """
    doc = document.model_dump(by_alias=True, exclude={"revision_id"})  # `id` is aliased to `_id`
    class_id = getattr(type(document), "_class_id", None)
    if class_id:
        doc["_class_id"] = class_id
    return doc


def _encode_date(value: Any) -> Any:
    """BSON has no date without a time: store one as midnight UTC (what Beanie's encoder does)."""
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    return value


def store_now() -> datetime:
    """Now, at the store's precision (milliseconds), so what a write returns equals what is read back."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


# The most ids one `$in` names; longer id sets go in slices, concurrently. It bounds each command's
# size on any server; on the local store, which checks every document it finds against the whole
# list, one query's cost grows with the square of its length (2,000 ids of 60,000: 204 ms in one
# query, about 25 ms in concurrent slices of 100 to 200, 112 ms in slices of 500).
IN_SLICE = 200


async def find_by_ids(
    collection: Any, ids: Iterable[Any], projection: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Documents by `_id` with `$in` (one query per IN_SLICE ids; no order; absent ids are left out)."""
    wanted = list(dict.fromkeys(ids))
    slices = [wanted[i : i + IN_SLICE] for i in range(0, len(wanted), IN_SLICE)]

    async def read(part: list[Any]) -> list[dict[str, Any]]:
        return await collection.find({"_id": {"$in": part}}, projection, batch_size=READ_BATCH_SIZE).to_list()

    found = await asyncio.gather(*(read(part) for part in slices))
    return [doc for part in found for doc in part]


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


# Reads that may come from a secondary (docs/operations.md, "Reads and writes"): the summaries, which count over
# many cases and may lag the primary by up to this; on a standalone server, the server itself. Case views,
# look-ups, pages, the warnings (the watch writes events from them) and every read a write depends on read the
# primary (the client's default).
ANALYTICS_READS = SecondaryPreferred(max_staleness=90)


def for_analytics(collection: AsyncCollection) -> AsyncCollection:
    """The collection, read as the analytics read: from a secondary where one is within ANALYTICS_READS's lag."""
    return collection.with_options(read_preference=ANALYTICS_READS)


def open_client(*, url: str, **options: Any) -> AsyncMongoClient:
    """An async client with the hub's defaults: aware datetimes, short server selection, and writes that a
    majority of the replica set has (so an election cannot roll them back), retried once on a failover. The URL
    may set its own `w` (`?w=1`), which then wins."""
    if "w" not in uri_parser.parse_uri(url)["options"]:
        options.setdefault("w", "majority")
    options.setdefault("retryWrites", True)
    options.setdefault("retryReads", True)
    options.setdefault("tz_aware", True)
    options.setdefault("type_registry", TypeRegistry(fallback_encoder=_encode_date))
    options.setdefault("serverSelectionTimeoutMS", 5000)
    options.setdefault("appname", "mediation-hub")
    return AsyncMongoClient(url, **options)


async def init_models(*, database: AsyncDatabase) -> None:
    """Bind every document class to database and create their missing indexes."""
    models = document_models()
    # Beanie would re-send every index of a shared collection once per subclass: we send each
    # missing index once, per collection.
    await init_beanie(database=database, document_models=models, skip_indexes=True)
    await ensure_indexes(database=database, models=models)


# Indexes an earlier version declared and this one does not: dropped where found (collection -> names).
RETIRED_INDEXES = {
    "people": ["identity_key_1"],  # was unique; concurrent batches may give two Persons one key until merged
}


async def ensure_indexes(*, database: AsyncDatabase, models: list[type]) -> None:
    """Create each model's declared indexes that its collection does not have yet, and drop retired ones."""
    for collection, names in RETIRED_INDEXES.items():
        existing = {ix["name"] async for ix in await database[collection].list_indexes()}
        for name in set(names) & existing:
            await database[collection].drop_index(name)
    wanted: dict[str, dict[str, IndexModel]] = {}  # collection -> index name -> index
    for model in models:
        collection = model.get_collection_name()
        for index in model.get_settings().indexes or []:
            wanted.setdefault(collection, {})[index.name] = index.index
    for collection, indexes in wanted.items():
        existing = {ix["name"] async for ix in await database[collection].list_indexes()}
        missing = [ix for name, ix in indexes.items() if name not in existing]
        if missing:
            await database[collection].create_indexes(missing)


async def ping(*, database: AsyncDatabase, timeout: float) -> None:
    """Raise unless the server answers ping within timeout seconds."""
    await asyncio.wait_for(database.command("ping"), timeout)


async def server_info(*, database: AsyncDatabase) -> ServerInfo:
    """Version and kind (`MongoDB`, or the local store's name) of the connected server; for display only."""
    info = await database.command("buildInfo")
    kind = str(info.get("localStore") or "MongoDB")
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


@asynccontextmanager
async def connected(*, settings: Settings, bind_models: bool = True) -> AsyncIterator[AsyncDatabase]:
    """The hub's database, for command-line tools; closed on exit.

    With every model bound and its indexes created, unless `bind_models` is false: then nothing is
    written to the database (reading an older store's, say).
    """
    url = resolve_url(settings=settings)
    client = open_client(url=url)
    try:
        database = client[settings.db]
        if bind_models:
            await init_models(database=database)
        yield database
    finally:
        await client.close()



async def reset(*, database: AsyncDatabase) -> None:
    """Drop the hub's database and bind the models again (indexes recreated)."""
    await database.client.drop_database(database.name)
    await init_models(database=database)


async def take_numbers(collection: Any, name: str, count: int = 1) -> range:
    """`count` consecutive numbers from the counter `name` (documents `{name, value}` with a unique `name`),
    from one atomic `$inc`: the numbers after the counter's value *before* the increment.

    Not the document after it: the local store builds that by reading the document again, so two concurrent
    callers may be handed the same numbers (MongoDB does not do that; asking for the one before is right on
    both). The very first call may race another's upsert of the counter: then it is asked again.
    """
    for _ in range(3):
        try:
            before = await collection.find_one_and_update(
                {"name": name}, {"$inc": {"value": count}}, upsert=True, return_document=ReturnDocument.BEFORE)
        except DuplicateKeyError:
            continue
        start = int(before["value"]) + 1 if before else 1
        return range(start, start + count)
    raise RuntimeError(f"the counter {name!r} could not be incremented")


class StoreHealth(monitoring.TopologyListener):
    """Whether the store is answering, as the driver's own monitoring sees it: down once it has answered
    and then no server is writable any more (a kill, a lost network, every member gone); up again as soon as
    the monitor reaches a writable one. Requests are refused at once while it is down (hub.middleware
    StoreUnavailable), instead of each of their store operations waiting out server selection."""

    def __init__(self) -> None:
        self.connected = False  # it answered at least once: before that, nothing is known to be down
        self.writable = True
        self.client: AsyncMongoClient | None = None  # when set, asked directly: its events arrive late

    @property
    def down(self) -> bool:
        if self.client is not None and self.connected:
            return not self.client.topology_description.has_writable_server()
        return self.connected and not self.writable

    def opened(self, event: monitoring.TopologyOpenedEvent) -> None:
        pass

    def description_changed(self, event: monitoring.TopologyDescriptionChangedEvent) -> None:
        writable = event.new_description.has_writable_server()
        self.connected = self.connected or writable
        self.writable = writable

    def closed(self, event: monitoring.TopologyClosedEvent) -> None:
        pass


def unbroken(found: Sequence[Any], *, position: int, now: datetime, gap_seconds: float,
             seq: Callable[[Any], int], at: Callable[[Any], datetime]) -> list[Any]:
    """Of `found` (read after `position`, in `seq` order), the run up to the first number still missing.

    A log whose writers take numbers first and write after (`take_numbers`, then an insert) may hold a number
    another process is still writing: a reader passing it would never see that entry. So the run stops before
    a missing number until `gap_seconds` after the next entry was written; after that the number is taken as
    never used (its writer died, or lost a race on its key) and passed.
    """
    taken: list[Any] = []
    expected = position + 1
    for item in found:
        if seq(item) != expected and now - at(item) < timedelta(seconds=gap_seconds):
            break
        taken.append(item)
        expected = seq(item) + 1
    return taken


DUPLICATE_KEY = 11000  # the server's error code for a unique key taken


async def insert_new(collection: Any, documents: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert the documents, unordered, leaving out those whose unique key another writer stored first (theirs
    stand); any other error is raised. Returns the positions of the documents this call inserted."""
    if not documents:
        return []
    try:
        await collection.insert_many(list(documents), ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(err.get("code") != DUPLICATE_KEY for err in errors):
            raise
        lost = {err["index"] for err in errors}
        return [n for n in range(len(documents)) if n not in lost]
    return list(range(len(documents)))
