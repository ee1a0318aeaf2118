"""Trusted documents: registering GraphQL documents by hash, and the text a request may run (docs/trusted-documents.md)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, Source, parse, validate
from pymongo.errors import DuplicateKeyError

from hub.agencies import service as agency_service
from hub.agencies.models import Agency
from hub.documents.models import TrustedDocument
from hub.errors import BadUserInput, Forbidden, PersistedQueryNotFound, TrustedDocumentRequired

PREFIX = "sha256:"
_ID = re.compile(r"sha256:[0-9a-f]{64}")
MAX_CACHED = 4096  # documents one process keeps; past it, the expired go, then all (ids sent at random fill it)
# The documents of graphql-codegen's typed-document-node output in documentMode 'string' (the console's
# src/graphql/generated.ts): each operation's text, fragments inlined, exactly as the client sends it.
_TYPED_DOCUMENT = re.compile(r"export const (\w+)Document = new TypedDocumentString\(`(.*?)`", re.S)


class Outcome(StrEnum):
    """What `add` did with one document."""

    ADDED = "added"
    UPDATED = "updated"  # known already: more agencies may now send it
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Candidate:
    """A document to register: its text exactly as clients send it, and where it came from."""

    text: str
    source: str  # the file (or file and key) named in messages and kept as the document's label


@dataclass(frozen=True)
class Added:
    """One document `add` registered, or found registered."""

    document: TrustedDocument
    outcome: Outcome


def document_id_of(text: str) -> str:
    """A document's id: "sha256:" and the hex SHA-256 of its text's UTF-8 bytes."""
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _where(error: GraphQLError) -> str:
    location = (error.locations or [None])[0]
    return f"line {location.line}, column {location.column}: " if location else ""


def check(*, candidate: Candidate, schema: GraphQLSchema) -> list[str]:
    """The operation names of a document that parses and validates against the schema; BAD_USER_INPUT naming
    its source and the problems otherwise."""
    try:
        parsed = parse(Source(candidate.text, candidate.source))
    except GraphQLError as exc:
        raise BadUserInput(f"{candidate.source} is not a GraphQL document: {_where(exc)}{exc.message}") from None
    errors = validate(schema, parsed)
    if errors:
        shown = "; ".join(f"{_where(e)}{e.message}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise BadUserInput(f"{candidate.source} does not validate against the hub's schema: {shown}{more}")
    operations = [d.name.value if d.name else "" for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise BadUserInput(f"{candidate.source} defines no operation: fragments alone cannot be sent")
    return operations


def from_manifest(*, manifest: object, source: str) -> list[Candidate]:
    """The documents of a persisted-documents manifest: `{"<hash>": "<text>"}` (GraphQL Codegen's, Apollo's
    persisted queries), or Apollo's `{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body"}]}`.
    Each key must be its text's SHA-256 (hex, with or without "sha256:"): BAD_USER_INPUT naming those that are not."""
    if isinstance(manifest, dict) and manifest.get("format") == "apollo-persisted-query-manifest":
        operations = manifest.get("operations")
        entries = [(op.get("id"), op.get("body")) for op in operations if isinstance(op, dict)] \
            if isinstance(operations, list) else []
    elif isinstance(manifest, dict):
        entries = list(manifest.items())
    else:
        raise BadUserInput(f'{source}: a manifest is a JSON object, {{"<sha256 hex>": "<document text>", …}}')
    if not entries:
        raise BadUserInput(f"{source} holds no documents")
    wrong = [f"{key!r} (not a document's text)" if not isinstance(text, str) else f"{key!r} (the text's is {document_id_of(text)})"
             for key, text in entries
             if not isinstance(text, str) or not isinstance(key, str) or PREFIX + key.lower().removeprefix(PREFIX)
             != document_id_of(text)]
    if wrong:
        raise BadUserInput(f"{source}: {len(wrong)} key(s) are not the SHA-256 of their document; nothing was added: "
                           + "; ".join(wrong[:10]) + (" …" if len(wrong) > 10 else ""))
    return [Candidate(text=text, source=f"{source} {key}") for key, text in entries]  # type: ignore[misc]


def from_codegen(*, code: str, source: str) -> list[Candidate]:
    """The operations of graphql-codegen's typed-document-node output (`documentMode: 'string'`), e.g. the
    console's src/graphql/generated.ts: each text exactly as the client sends it (fragments are not sent alone)."""
    found = [Candidate(text=text, source=f"{source} {name}") for name, text in _TYPED_DOCUMENT.findall(code)]
    if not found:
        raise BadUserInput(f"{source} holds no `export const …Document = new TypedDocumentString(`…`)`: not "
                           "graphql-codegen's typed-document-node output with documentMode 'string'")
    if any("\\" in c.text or "${" in c.text for c in found):
        raise BadUserInput(f"{source}: a document holds a template-literal escape; register its text another way")
    return found


def _merged(known: list[str] | None, more: list[str] | None) -> list[str] | None:
    if known is None or more is None:
        return None  # open to every agency stays so; a document added for all becomes so
    return sorted(set(known) | set(more))


async def add(*, candidates: Sequence[Candidate], schema: GraphQLSchema, agencies: Sequence[str] | None,
              by: str) -> list[Added]:
    """Register documents for these agencies (None: every agency); all are checked before any is written. Adding
    a known document again adds the agencies to those that may send it."""
    codes = sorted(set(agencies)) if agencies else None
    if codes:
        unknown = sorted(set(codes) - set(await agency_service.get_many_by_code(codes=codes)))
        if unknown:
            raise BadUserInput(f"no agency coded {', '.join(unknown)}; `hub agencies` lists them")
    checked = [(c, check(candidate=c, schema=schema)) for c in candidates]
    done: dict[str, Added] = {}
    for candidate, operations in checked:
        document = TrustedDocument(id=document_id_of(candidate.text), text=candidate.text, operations=operations,
                                   agencies=codes, name=candidate.source, added_by=by,
                                   added_at=datetime.now(timezone.utc))
        if document.id in done:  # the same text twice in one go
            continue
        try:
            await document.insert()
            done[document.id] = Added(document, Outcome.ADDED)
            continue
        except DuplicateKeyError:
            pass
        known = await get(document_id=document.id)
        if known is None:  # removed meanwhile
            await document.insert()
            done[document.id] = Added(document, Outcome.ADDED)
            continue
        merged = _merged(known.agencies, codes)
        if merged == known.agencies:
            done[document.id] = Added(known, Outcome.UNCHANGED)
            continue
        await TrustedDocument.get_pymongo_collection().update_one({"_id": known.id}, {"$set": {"agencies": merged}})
        done[document.id] = Added(known.model_copy(update={"agencies": merged}), Outcome.UPDATED)
    return list(done.values())


async def get(*, document_id: str) -> TrustedDocument | None:
    """One document by its id, or None."""
    return await TrustedDocument.get(document_id)


async def list_all() -> list[TrustedDocument]:
    """Every registered document, oldest first."""
    return sorted(await TrustedDocument.find({}).to_list(), key=lambda d: (d.added_at, d.id))


async def remove(*, document_id: str) -> bool:
    """Remove a document (every process refuses it within HUB_TRUSTED_DOCUMENTS_CACHE_SECONDS); False: unknown."""
    result = await TrustedDocument.get_pymongo_collection().delete_one({"_id": document_id})
    return result.deleted_count == 1


@dataclass
class Registry:
    """Trusted documents by id as this process last read them, each kept `ttl` seconds, a missing one too. One per
    app. A document's text never changes (its id is its hash); a removed one, or new agencies, show within `ttl`."""

    ttl: float = 5.0
    entries: dict[str, tuple[float, TrustedDocument | None]] = field(default_factory=dict)

    async def get(self, document_id: str) -> TrustedDocument | None:
        """The document of this id, or None (an id not of the form "sha256:<64 hex>" is never looked up)."""
        if not _ID.fullmatch(document_id):
            return None
        now = time.monotonic()
        kept = self.entries.get(document_id)
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        found = await get(document_id=document_id)
        if len(self.entries) >= MAX_CACHED:
            self.entries = {k: v for k, v in self.entries.items() if now - v[0] < self.ttl}
            if len(self.entries) >= MAX_CACHED:
                self.entries.clear()
        self.entries[document_id] = (now, found)
        return found


def is_required(*, mode: str, agency: Agency | None) -> bool:
    """Whether a caller of this agency must send registered documents (HUB_TRUSTED_DOCUMENTS)."""
    return mode == "all" or (mode == "per-agency" and agency is not None and agency.trusted_documents_only)


@dataclass(frozen=True)
class Resolved:
    """What a request runs: its text (None: it sent none), and the trusted document it names or sent, if any."""

    query: str | None
    document: TrustedDocument | None = None


def _allowed(document: TrustedDocument, agency_code: str | None) -> TrustedDocument:
    if not document.allows(agency_code):
        raise Forbidden(f"trusted document {document.id} is registered for other agencies, not {agency_code}: "
                        f"`hub documents add --agency {agency_code}` adds it")
    return document


async def resolve(*, registry: Registry, agency_code: str | None, required: bool, query: str | None,
                  document_id: str | None) -> Resolved:
    """The text a request runs: the document it names by id, or its own text. Where trusted documents are required,
    its text must be a registered document's (the same text, so the same hash) that its agency may send."""
    if query is not None:
        own = document_id_of(query)
        if document_id is not None and document_id != own:
            raise BadUserInput(f"the documentId sent, {document_id}, is not the query's ({own}): send one or the other")
        if not required:
            return Resolved(query)
        document = await registry.get(own)
        if document is None:
            raise TrustedDocumentRequired(
                f"agency {agency_code} sends registered documents only, and this query's text is not one: send "
                '{"documentId": "sha256:…", "variables": {…}} of a document `hub documents add` registered')
        return Resolved(document.text, _allowed(document, agency_code))
    if document_id is None:
        return Resolved(None)
    document = await registry.get(document_id)
    if document is None:
        raise PersistedQueryNotFound(f"no trusted document {document_id} is registered on this hub: `hub documents "
                                     'add` registers one (its id is "sha256:" and the hex SHA-256 of its text)')
    return Resolved(document.text, _allowed(document, agency_code))
