"""Backups: every collection of the hub's database out to a directory of BSON files, and back in.

A backup is a directory (docs/backup.md): `manifest.json` and `collections/<name>.bson`, each file
the collection's documents as the server sent them (raw BSON, concatenated, in `_id` order), so every
BSON type comes back exactly. Reading and writing are streamed a batch at a time, and nothing is
decoded, so memory stays flat whatever the size.

Neither store gives the hub a snapshot, so after writing the files the backup reads every collection
again and compares: when no collection changed, the files are the database as it stood at the instant
between the two passes (the manifest says `pointInTime: true` and when); when some did, the manifest
names them. The manifest is signed with a key derived from HUB_SECRET_KEY, and restore checks the
signature and every file's hash before it writes anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS
from bson.raw_bson import RawBSONDocument
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from hub.errors import BadUserInput, Conflict
from hub.keys.ring import KeyRing
from hub.people.crypto import PersonalDataKeys
from hub.store.service import store_now

FORMAT = "mediation-hub-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_DIR = "collections"
READ_BATCH = 1000  # documents per getMore: bounds memory by a batch, not by the collection
WRITE_BATCH_DOCS = 1000
WRITE_BATCH_BYTES = 8 * 1024 * 1024
CHUNK = 1024 * 1024

OnDocuments = Callable[[int], None]


@dataclass(frozen=True)
class CollectionEntry:
    """One collection in a backup: its file, what the file must hold, and how to recreate it."""

    name: str
    file: str  # relative to the backup directory
    documents: int
    bytes: int
    sha256: str
    options: dict[str, Any]  # `create` options (capped, validator, …), Extended JSON v2 canonical
    indexes: list[dict[str, Any]]  # `listIndexes` specs without `v` and `ns`, Extended JSON v2 canonical
    read_from: str  # when the first pass began and ended reading it (ISO 8601, UTC)
    read_to: str


@dataclass(frozen=True)
class Consistency:
    """What the second pass found: whether the files are one instant's database."""

    checked: bool
    point_in_time: bool
    as_of: str | None  # the instant between the two passes, when point_in_time
    changed: list[str] = field(default_factory=list)  # collections that differed (or appeared, or went)


@dataclass(frozen=True)
class Manifest:
    """The backup's table of contents (`manifest.json`)."""

    format: str
    format_version: int
    hub_version: str
    database: str
    started_at: str
    finished_at: str
    key_check: str | None  # a keyed hash of a constant: tells a restore whether its key is the backup's
    consistency: Consistency
    collections: list[CollectionEntry]
    skipped: list[str]  # views and system collections, which are not backed up
    signature: str | None = None  # keyed hash of everything above, with the same key

    @property
    def documents(self) -> int:
        """Documents in every collection together."""
        return sum(c.documents for c in self.collections)


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore wrote."""

    manifest: Manifest
    collections: int
    documents: int
    indexes: int
    dropped: int  # collections of the target database dropped first (`drop=True`)


def key_check(keys: PersonalDataKeys | KeyRing) -> str:
    """A keyed hash of a constant: equal for equal secrets (HUB_SECRET_KEY, whatever the key ring), and says
    nothing about the secret."""
    return _master(keys).hash(purpose="backup/key-check/v1", value=FORMAT)


def _master(keys: PersonalDataKeys | KeyRing) -> PersonalDataKeys:
    return keys.master_keys if isinstance(keys, KeyRing) else keys


def _signature(body: dict[str, Any], keys: PersonalDataKeys | KeyRing) -> str:
    return _master(keys).hash(purpose="backup/manifest/v1", value=json.dumps(body, sort_keys=True, ensure_ascii=False))


def _iso(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _ext(value: Any) -> Any:
    """A BSON value as plain JSON in Extended JSON v2 canonical form (types kept exactly)."""
    return json.loads(json_util.dumps(value, json_options=CANONICAL_JSON_OPTIONS))


def _unext(value: Any) -> Any:
    return json_util.loads(json.dumps(value), json_options=CANONICAL_JSON_OPTIONS)


def _create_private(path: Path) -> IO[bytes]:
    """A new file only its owner may read or write (0600, whatever the umask)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, "wb")


def _split_documents(batch: bytes) -> Iterator[memoryview]:
    """The documents of a run of concatenated BSON (each starts with its int32 length)."""
    view, offset = memoryview(batch), 0
    while offset < len(view):
        length = int.from_bytes(view[offset : offset + 4], "little")
        if length < 5 or offset + length > len(view) or view[offset + length - 1] != 0:
            raise BadUserInput(f"malformed BSON at byte {offset}")
        yield view[offset : offset + length]
        offset += length


async def _raw_batches(database: AsyncDatabase, name: str) -> AsyncIterator[bytes]:
    """A collection's documents, raw, in `_id` order (on MongoDB: the `_id` index, so each at most once)."""
    cursor = database[name].find_raw_batches({}, sort=[("_id", 1)], batch_size=READ_BATCH)
    async for batch in cursor:
        yield batch


async def _collections(database: AsyncDatabase) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The database's collections (name -> create options) and what is left out (views, system.*)."""
    found: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    async for info in await database.list_collections():
        name = info["name"]
        if name.startswith("system.") or info.get("type", "collection") != "collection":
            skipped.append(name)
        else:
            found[name] = dict(info.get("options") or {})
    return dict(sorted(found.items())), sorted(skipped)


async def _index_specs(database: AsyncDatabase, name: str) -> list[dict[str, Any]]:
    specs = []
    async for spec in await database[name].list_indexes():
        specs.append({k: v for k, v in spec.items() if k not in {"v", "ns"}})
    return sorted(specs, key=lambda s: s["name"])


async def _hash_collection(database: AsyncDatabase, name: str, on_documents: OnDocuments | None) -> str:
    digest = hashlib.sha256()
    async for batch in _raw_batches(database, name):
        digest.update(batch)
        if on_documents:
            on_documents(sum(1 for _ in _split_documents(batch)))
    return digest.hexdigest()


async def backup(
    *, database: AsyncDatabase, path: Path, hub_version: str, keys: PersonalDataKeys | KeyRing | None,
    check: bool = True, on_documents: OnDocuments | None = None, on_checked: OnDocuments | None = None,
) -> Manifest:
    """Write every collection of database to a new backup directory at path; return its manifest.

    The directory appears only when complete (it is written as `<path>.partial` and renamed). With
    `check`, every collection is read a second time to find whether the database changed meanwhile.
    """
    if path.exists():
        raise BadUserInput(f"{path} exists: a backup goes into a new directory")
    if not path.parent.is_dir():
        raise BadUserInput(f"no directory {path.parent} to write {path.name} into")
    partial = path.with_name(path.name + ".partial")
    if partial.exists():
        raise BadUserInput(f"{partial} exists (left by a backup that did not finish?): delete it first")
    os.mkdir(partial, 0o700)
    os.chmod(partial, 0o700)  # the files hold encrypted personal data and keyed hashes
    try:
        os.mkdir(partial / DATA_DIR, 0o700)
        started = store_now()
        collections, skipped = await _collections(database)
        entries = []
        for name, options in collections.items():
            entries.append(await _write_collection(database, name, options, partial, on_documents))
        first_pass_done = store_now()
        consistency = Consistency(checked=False, point_in_time=False, as_of=None)
        if check:
            again, _ = await _collections(database)
            changed = sorted(set(again) ^ set(collections))
            for entry in entries:
                if entry.name in again and await _hash_collection(database, entry.name, on_checked) != entry.sha256:
                    changed.append(entry.name)
            consistency = Consistency(checked=True, point_in_time=not changed,
                                      as_of=None if changed else _iso(first_pass_done), changed=sorted(changed))
        manifest = Manifest(
            format=FORMAT, format_version=FORMAT_VERSION, hub_version=hub_version, database=database.name,
            started_at=_iso(started), finished_at=_iso(store_now()), key_check=key_check(keys) if keys else None,
            consistency=consistency, collections=entries, skipped=skipped,
        )
        body = asdict(manifest)
        body["signature"] = _signature({k: v for k, v in body.items() if k != "signature"}, keys) if keys else None
        with _create_private(partial / MANIFEST) as handle:
            handle.write(json.dumps(body, ensure_ascii=False, indent=2).encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(partial, path)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # ours, from this run: no half backup is left
        raise
    return _manifest_from(body)


async def _write_collection(
    database: AsyncDatabase, name: str, options: dict[str, Any], directory: Path, on_documents: OnDocuments | None
) -> CollectionEntry:
    relative = f"{DATA_DIR}/{quote(name, safe='')}.bson"
    digest, documents, size = hashlib.sha256(), 0, 0
    read_from = store_now()
    indexes = await _index_specs(database, name)
    with _create_private(directory / relative) as handle:
        async for batch in _raw_batches(database, name):
            count = sum(1 for _ in _split_documents(batch))
            handle.write(batch)
            digest.update(batch)
            documents += count
            size += len(batch)
            if on_documents:
                on_documents(count)
        handle.flush()
        os.fsync(handle.fileno())
    return CollectionEntry(name=name, file=relative, documents=documents, bytes=size, sha256=digest.hexdigest(),
                           options=_ext(options), indexes=[_ext(spec) for spec in indexes],
                           read_from=_iso(read_from), read_to=_iso(store_now()))


def _manifest_from(body: dict[str, Any]) -> Manifest:
    try:
        fields = dict(body)
        fields["consistency"] = Consistency(**body["consistency"])
        fields["collections"] = [CollectionEntry(**entry) for entry in body["collections"]]
        return Manifest(**fields)
    except (KeyError, TypeError) as exc:
        raise BadUserInput(f"the manifest is not a {FORMAT} version {FORMAT_VERSION} manifest ({exc})") from None


def read_manifest(*, path: Path) -> Manifest:
    """The manifest of the backup at path (checked for form, not yet against the files)."""
    try:
        body = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadUserInput(f"{path} is not a backup: no {MANIFEST} (an unfinished one is named *.partial)") from None
    except (OSError, ValueError) as exc:
        raise BadUserInput(f"cannot read {path / MANIFEST}: {exc}") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise BadUserInput(f"{path / MANIFEST} is not a {FORMAT} manifest")
    if body.get("format_version") != FORMAT_VERSION:
        raise BadUserInput(f"backup format version {body.get('format_version')!r}; this hub reads {FORMAT_VERSION}")
    return _manifest_from(body)


def check_key(*, manifest: Manifest, keys: PersonalDataKeys | KeyRing | None) -> bool:
    """Raise unless keys are the backup's and its manifest is as written; False when there is no key to check with."""
    if keys is None or manifest.key_check is None:
        return False
    if key_check(keys) != manifest.key_check:
        raise BadUserInput("this backup was written by a hub with another HUB_SECRET_KEY: set the same secret "
                           "(nothing in it could be read, nor anyone found, with this one)")
    body = asdict(manifest)
    signature = body.pop("signature")
    if signature != _signature(body, keys):
        raise BadUserInput(f"{MANIFEST} was changed after the backup was written (its signature does not match)")
    return True


def _read_documents(path: Path) -> Iterator[bytes]:
    """The documents of a collection file, one at a time."""
    with path.open("rb", buffering=CHUNK) as handle:
        while header := handle.read(4):
            length = int.from_bytes(header, "little")
            rest = handle.read(length - 4) if length >= 5 else b""
            if len(header) < 4 or len(rest) != length - 4 or rest[-1:] != b"\x00":
                raise BadUserInput(f"{path.name}: truncated or malformed BSON")
            yield header + rest


def verify_files(*, path: Path, manifest: Manifest) -> None:
    """Raise unless every collection file has the size, hash and document count the manifest says."""
    for entry in manifest.collections:
        file = path / entry.file
        if not file.is_file():
            raise BadUserInput(f"the backup lacks {entry.file}")
        digest, documents, size = hashlib.sha256(), 0, 0
        for document in _read_documents(file):
            digest.update(document)
            documents += 1
            size += len(document)
        if (size, documents, digest.hexdigest()) != (entry.bytes, entry.documents, entry.sha256):
            raise BadUserInput(f"{entry.file} is not what the backup wrote ({documents} documents, {size} bytes, "
                               f"sha256 {digest.hexdigest()[:12]}…; the manifest says {entry.documents}, "
                               f"{entry.bytes}, {entry.sha256[:12]}…): refusing to restore")


async def restore(
    *, database: AsyncDatabase, path: Path, keys: PersonalDataKeys | KeyRing | None, drop: bool = False,
    on_documents: OnDocuments | None = None,
) -> RestoreSummary:
    """Restore the backup at path into database, which must be empty (or is dropped first, with `drop`).

    Every file is checked against the manifest (and the manifest against its signature, given the key)
    before anything is written; each collection is created with its options, filled, then indexed.
    """
    manifest = read_manifest(path=path)
    check_key(manifest=manifest, keys=keys)
    existing = [n for n in await database.list_collection_names() if not n.startswith("system.")]
    if existing and not drop:
        raise Conflict(f"database {database.name} is not empty ({len(existing)} collections: "
                       f"{', '.join(sorted(existing)[:5])}{'…' if len(existing) > 5 else ''}): restore into a new "
                       "database (--db NAME), or drop this one first (--drop)")
    verify_files(path=path, manifest=manifest)
    if existing:
        await database.client.drop_database(database.name)
    documents = indexes = 0
    for entry in manifest.collections:
        written = await _restore_collection(database, path, entry, on_documents)
        documents += written
        indexes += len(entry.indexes) - 1  # `_id_` comes with the collection
    return RestoreSummary(manifest=manifest, collections=len(manifest.collections), documents=documents,
                          indexes=indexes, dropped=len(existing))


async def _restore_collection(
    database: AsyncDatabase, path: Path, entry: CollectionEntry, on_documents: OnDocuments | None
) -> int:
    collection = await database.create_collection(entry.name, **_unext(entry.options))
    digest, written, batch, batch_bytes = hashlib.sha256(), 0, [], 0

    async def flush() -> None:
        nonlocal batch, batch_bytes, written
        if batch:
            await collection.insert_many(batch, ordered=False)
            written += len(batch)
            if on_documents:
                on_documents(len(batch))
            batch, batch_bytes = [], 0

    for document in _read_documents(path / entry.file):
        digest.update(document)
        batch.append(RawBSONDocument(document))
        batch_bytes += len(document)
        if len(batch) >= WRITE_BATCH_DOCS or batch_bytes >= WRITE_BATCH_BYTES:
            await flush()
    await flush()
    if digest.hexdigest() != entry.sha256:  # the file changed since it was checked
        raise BadUserInput(f"{entry.file} changed while it was being restored: drop database {database.name} "
                           "and restore again")
    models = []
    for spec in map(_unext, entry.indexes):
        if spec["name"] != "_id_":
            options = {k: v for k, v in spec.items() if k != "key"}
            models.append(IndexModel(list(spec["key"].items()), **options))
    if models:
        await collection.create_indexes(models)
    return written
