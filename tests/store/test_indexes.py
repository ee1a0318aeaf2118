"""Every query the hub sends has a declared index that MongoDB would use for it.

The local store (mongo-java-server, memory backend) answers only `_id` and unique-index look-ups
from an index and scans for everything else, so running the suite on it cannot reveal a missing
index. This module drives the hub through its real operations (a seeded district ingested, then
every GraphQL query and mutation as an agency that may send it, `hub report`'s region brief,
`hub recompute`), records each command with a PyMongo CommandListener, reduces it to a *query shape*
(collection; fields under equality, `$in`/`$all`, range; `$or` branches; sort; whether a limit
follows) and checks the shape against the indexes the models declare (`Settings.indexes`), by
MongoDB's planner rules:

1. No collection scan. A shape is served when some index's first key is a field it constrains by
   equality, `$in`, `$all`, `$elemMatch` or a range (`_id` by the `_id` index); for an `$or`,
   when the fields outside it are, or when every branch is (MongoDB then scans one index per
   branch and merges). Negations, `$exists`, `$regex` and `$expr` bound nothing.
2. A page reads its rows in index order (the ESR rule). A shape with a sort *and* a limit whose
   filter holds equality fields outside any `$or` needs an index made of some of those equality
   fields (any order) followed by the sort keys in order, all in the sort's directions or all
   reversed; keyset tie-breakers count (a sort on `(opened_at, _id)` needs `_id` in the index,
   or MongoDB sorts every match in memory to return twenty). A sort without a limit (a whole,
   bounded result) and a page without such an equality (an agency's own cases, gathered by an
   `$or` of three indexes) are sorted in memory once rule 1 holds.

An empty filter passes only where the code reads everything on purpose: ALLOWED_SCANS names each
such call site and why. docs/indexes.md lists query → index; `HUB_INDEX_DOC=1` rewrites its
generated tables from the shapes this test sees.

The same run checks the sharding plan (hub.store.sharding, docs/scaling.md): a shape on a sharded collection
names its shard key's first field by equality or `$in` (a ranged key: or a range), in every branch of an `$or`,
or its call site is in ALLOWED_SCATTER; and each single-document write names the whole key, as MongoDB 7.0
needs to route it (an update or delete of one document may name `_id` instead).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from pymongo import monitoring

from hub.analytics.thresholds import Thresholds
from hub.audit import chain as audit_chain
from hub.audit import verify as audit_verify
from hub.agencies import service as agency_service
from hub.cases import service as case_service
from hub.cases.derive import district_day
from hub.changes import export as change_export, ledger as change_ledger, log as change_log
from hub.documents import service as document_service
from hub.meetings import brief as brief_service
from hub.ingest import service as ingest_service
from hub.keys.ring import KeyRing
from hub.store import sharding
from hub.store.registry import DOCUMENT_MODELS
from resolvers.root import build_schema
from seeds import generator, loader
from tests.conftest import TokenFor, act_as

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "indexes.md"
SCALE = 40  # enough for every record kind, petitions, handovers and two meetings; loads in seconds
DISTRICT = "510199"
TOWNSHIP = "510199001"
CC, PETITION_BUREAU, COURT = "QH-CC", "QH-XFJ", "QH-FY"
COMMITTEE = "QH-PMC-05"  # a township's people's mediation committee: the demo agency with the most cases


# --- recording ----------------------------------------------------------------------------------

_SOURCE_DIRS = tuple(f"{ROOT / d}{os.sep}" for d in ("hub", "resolvers", "schema", "seeds"))
_HELPERS = (f"{ROOT / 'hub' / 'store' / 'service.py'}",)  # generic helpers: their caller says more
_OPERATION: contextvars.ContextVar[str | None] = contextvars.ContextVar("index_test_operation", default=None)
_ORIGIN: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("index_test_origin", default=())


def _project_frames() -> tuple[str, ...]:
    """The hub's own frames on the stack, innermost first, as ``path:line function``."""
    out, frame, root = [], sys._getframe(1), len(str(ROOT)) + 1
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(_SOURCE_DIRS):  # called for every task and command: plain string work only
            out.append(f"{name[root:]}:{frame.f_lineno} {frame.f_code.co_qualname}")
        frame = frame.f_back
    return tuple(out)


def _task_factory(loop: asyncio.AbstractEventLoop, coro: Any, context: contextvars.Context | None = None) -> Any:
    """Tasks remember where they were created: a query sent from `asyncio.gather` names its caller."""
    if context is None:
        context = contextvars.copy_context()
        if context.get(_OPERATION) is not None:
            context.run(_ORIGIN.set, _project_frames() + _ORIGIN.get())
    return asyncio.Task(coro, loop=loop, context=context)


@dataclass(frozen=True)
class Sent:
    """One command as sent, with the operation that sent it and the hub frames it came from."""

    name: str
    command: dict[str, Any]
    operation: str
    frames: tuple[str, ...]


class QueryLog(monitoring.CommandListener):
    """The commands sent inside `during(...)` blocks (any client of this process)."""

    QUERIES = frozenset({"find", "aggregate", "count", "update", "delete", "findAndModify", "distinct"})

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        operation = _OPERATION.get()
        if operation is None or event.command_name not in self.QUERIES:
            return
        self.sent.append(Sent(event.command_name, dict(event.command), operation, _project_frames() + _ORIGIN.get()))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


QUERY_LOG = QueryLog()
monitoring.register(QUERY_LOG)  # applies to the clients the fixtures create from here on


@contextmanager
def during(operation: str) -> Iterator[None]:
    """Record the commands sent meanwhile, as sent by `operation`."""
    token = _OPERATION.set(operation)
    try:
        yield
    finally:
        _OPERATION.reset(token)


# --- query shapes -------------------------------------------------------------------------------

_RANGE_OPS = frozenset({"$gt", "$gte", "$lt", "$lte"})
_SET_OPS = frozenset({"$in", "$all"})


@dataclass(frozen=True)
class Term:
    """A conjunction: fields by how they are constrained, and `$or` groups of alternative terms."""

    eq: frozenset[str] = frozenset()
    ins: frozenset[str] = frozenset()
    ranges: frozenset[str] = frozenset()
    others: frozenset[str] = frozenset()  # constrained in ways no index bounds
    ors: tuple[tuple["Term", ...], ...] = ()

    @property
    def bounding(self) -> frozenset[str]:
        """Fields whose constraint gives an index scan bounds."""
        return self.eq | self.ins | self.ranges

    @property
    def empty(self) -> bool:
        return not (self.bounding or self.others or self.ors)

    def describe(self) -> str:
        parts = ([f"{f} =" for f in sorted(self.eq)] + [f"{f} in" for f in sorted(self.ins)]
                 + [f"{f} range" for f in sorted(self.ranges)] + [f"{f} (unbounded)" for f in sorted(self.others)])
        parts += ["or(" + " | ".join(branch.describe() for branch in group) + ")" for group in self.ors]
        return ", ".join(parts) or "{}"


def term_of(query: Mapping[str, Any]) -> Term:
    """The shape of a MongoDB filter (values dropped)."""
    eq: set[str] = set()
    ins: set[str] = set()
    ranges: set[str] = set()
    others: set[str] = set()
    ors: list[tuple[Term, ...]] = []

    def constrain(name: str, value: Any) -> None:
        if isinstance(value, Mapping) and value and all(str(k).startswith("$") for k in value):
            ops = set(value)
            if "$eq" in ops:
                eq.add(name)
            elif ops & _SET_OPS:
                ins.add(name)
            elif ops & _RANGE_OPS:
                ranges.add(name)
            elif "$elemMatch" in ops and isinstance(value["$elemMatch"], Mapping):
                for sub, sub_value in value["$elemMatch"].items():
                    if str(sub).startswith("$"):
                        constrain(name, {sub: sub_value})
                    else:
                        constrain(f"{name}.{sub}", sub_value)
            else:
                others.add(name)  # $ne, $nin, $not, $exists, $regex, $size, $type …
        elif isinstance(value, re.Pattern) or type(value).__name__ == "Regex":
            others.add(name)
        else:
            eq.add(name)  # a value, null or a whole sub-document

    def visit(part: Mapping[str, Any]) -> None:
        for key, value in part.items():
            if key == "$and":
                for sub in value:
                    visit(sub)
            elif key == "$or":
                ors.append(tuple(term_of(branch) for branch in value))
            elif str(key).startswith("$"):
                others.add(key)  # $nor, $expr, $where, $text, $comment
            else:
                constrain(key, value)

    visit(query)
    return Term(eq=frozenset(eq), ins=frozenset(ins - eq), ranges=frozenset(ranges - eq - ins),
                others=frozenset(others - eq - ins - ranges), ors=tuple(ors))


@dataclass(frozen=True)
class Shape:
    """What the planner sees of a query: collection, filter shape, sort, and whether a limit follows."""

    collection: str
    term: Term
    sort: tuple[tuple[str, int], ...] = ()
    limited: bool = False

    def describe(self) -> str:
        text = self.term.describe()
        if self.sort:
            text += "; sort " + ", ".join(f"{f} {'asc' if d > 0 else 'desc'}" for f, d in self.sort)
        if self.limited:
            text += "; limit"
        return text


def _sort(spec: Any) -> tuple[tuple[str, int], ...]:
    if not spec:
        return ()
    items = spec.items() if isinstance(spec, Mapping) else spec
    return tuple((str(f), int(d)) for f, d in items)


def shapes_of(name: str, command: Mapping[str, Any]) -> list[Shape]:
    """The query shapes of one command (an update or delete carries one per statement)."""
    collection = command.get(name)
    if not isinstance(collection, str):
        return []  # database-level aggregate and the like
    if name == "find":
        return [Shape(collection, term_of(command.get("filter") or {}), _sort(command.get("sort")),
                      bool(command.get("limit")))]
    if name == "aggregate":
        pipeline = list(command.get("pipeline") or [])
        query: Mapping[str, Any] = {}
        if pipeline and "$match" in pipeline[0]:
            query = pipeline.pop(0)["$match"]
        sort: tuple[tuple[str, int], ...] = ()
        limited = False
        if pipeline and "$sort" in pipeline[0]:
            sort = _sort(pipeline.pop(0)["$sort"])
            limited = bool(pipeline) and ("$limit" in pipeline[0] or "$skip" in pipeline[0])
        return [Shape(collection, term_of(query), sort, limited)]
    if name == "count":
        return [Shape(collection, term_of(command.get("query") or {}), (), bool(command.get("limit")))]
    if name == "distinct":
        return [Shape(collection, term_of(command.get("query") or {}))]
    if name == "findAndModify":
        return [Shape(collection, term_of(command.get("query") or {}), _sort(command.get("sort")), True)]
    if name == "update":
        return [Shape(collection, term_of(u.get("q") or {})) for u in command.get("updates") or []]
    if name == "delete":
        return [Shape(collection, term_of(d.get("q") or {}), (), d.get("limit") == 1)
                for d in command.get("deletes") or []]
    return []


# --- declared indexes and the checker -----------------------------------------------------------


@dataclass(frozen=True)
class Index:
    """One index of a collection: its key pattern in order, and whether it is unique."""

    name: str
    keys: tuple[tuple[str, Any], ...]
    unique: bool = False

    def describe(self) -> str:
        return "(" + ", ".join(f"{f} {d}" for f, d in self.keys) + ")" + (" unique" if self.unique else "")


ID_INDEX = Index("_id_", (("_id", 1),), unique=True)


def declared_indexes(models: Sequence[type] = DOCUMENT_MODELS) -> dict[str, list[Index]]:
    """Every collection's indexes as the models declare them (`_id` first), once per collection."""
    found: dict[str, dict[str, Index]] = {}
    for model in models:
        settings = model.Settings  # as declared (subclasses of a root share its collection and indexes)
        indexes = found.setdefault(settings.name, {ID_INDEX.name: ID_INDEX})
        for declared in getattr(settings, "indexes", None) or []:
            document = declared.document  # every model declares pymongo IndexModels
            indexes[document["name"]] = Index(document["name"], tuple(document["key"].items()),
                                              bool(document.get("unique")))
    return {collection: list(indexes.values()) for collection, indexes in found.items()}


def _directional(direction: Any) -> bool:
    return direction in (1, -1)


def provides_sort(index: Index, eq: frozenset[str], sort: Sequence[tuple[str, int]]) -> bool:
    """Some of the equality fields (at least one), then the sort keys in order, same or all reversed."""
    keys = index.keys
    for split in range(1, len(keys) - len(sort) + 1):
        if not all(f in eq for f, _ in keys[:split]):
            break
        rest = keys[split:split + len(sort)]
        if all(_directional(d) for _, d in rest) and [f for f, _ in rest] == [f for f, _ in sort]:
            signs = {d * s for (_, d), (_, s) in zip(rest, sort)}
            if len(signs) == 1:
                return True
    return False


def _usable_prefix(index: Index, term: Term, sort: Sequence[tuple[str, int]]) -> int:
    """How many leading keys of the index the query uses: equalities, then sort keys, then one range."""
    keys, n = index.keys, 0
    while n < len(keys) and keys[n][0] in term.eq | term.ins:
        n += 1
    for sort_field, _ in sort:
        if n < len(keys) and keys[n][0] == sort_field:
            n += 1
        else:
            break
    if n < len(keys) and keys[n][0] in term.ranges:
        n += 1
    return n


@dataclass(frozen=True)
class Verdict:
    """Whether the declared indexes serve a shape, by which index(es), or what is missing."""

    served: bool
    how: str  # "_id", "ESR", "bounded", "or", "scan"
    indexes: tuple[str, ...] = ()
    problem: str = ""


def check(shape: Shape, indexes: Sequence[Index]) -> Verdict:
    """Rule 1 (no collection scan) and rule 2 (a page in index order) of the module docstring."""
    found = _bounded(shape.term, shape.sort, indexes)
    if found is None and shape.term.empty:
        return Verdict(False, "scan", problem="an empty filter reads the whole collection; if that is the point, "
                                              "name the call site in ALLOWED_SCANS with the reason")
    if found is None:
        constrained = sorted(shape.term.bounding | shape.term.others) or ["nothing outside its $or"]
        unserved = [branch.describe() for group in shape.term.ors for branch in group
                    if _bounded(branch, (), indexes) is None]
        branches = f"; $or branches no index serves: {' | '.join(unserved)}" if unserved else ""
        return Verdict(False, "scan", problem=f"no index starts with a field it constrains "
                                              f"({', '.join(constrained)}){branches}")
    how, names = found
    if shape.sort and shape.limited and shape.term.eq:
        ordered = [ix for ix in indexes if provides_sort(ix, shape.term.eq, shape.sort)]
        if not ordered:
            wanted = ", ".join(f"{f} {d}" for f, d in shape.sort)
            return Verdict(False, how, names, problem=(
                f"a page: no index is (some of {', '.join(sorted(shape.term.eq))}) then ({wanted}); "
                "MongoDB would sort every match in memory"))
        best = max(ordered, key=lambda ix: (_usable_prefix(ix, shape.term, shape.sort), -len(ix.keys)))
        return Verdict(True, "ESR", (best.name,))
    return Verdict(True, how, names)


def _bounded(term: Term, sort: Sequence[tuple[str, int]], indexes: Sequence[Index]) -> tuple[str, tuple[str, ...]] | None:
    """The index that bounds the term's scan (rule 1), or one per branch of an `$or`; None: a scan."""
    usable = [ix for ix in indexes if ix.keys[0][0] in term.bounding]
    if usable:
        best = max(usable, key=lambda ix: (_usable_prefix(ix, term, sort), ix.unique, -len(ix.keys)))
        return ("_id" if best is ID_INDEX else "bounded"), (best.name,)
    for group in term.ors:
        branches = [_bounded(branch, sort, indexes) for branch in group]
        if all(b is not None for b in branches):
            return "or", tuple(dict.fromkeys(name for b in branches for name in b[1]))  # type: ignore[index]
    return None


# --- deliberate full scans ----------------------------------------------------------------------

# (collection, call site) -> why reading every document is the point. Only empty filters qualify.
ALLOWED_SCANS: dict[tuple[str, str], str] = {
    ("cases", "hub/cases/service.py recompute_all"):
        "`hub recompute` re-derives every case, walking the `_id` index in order, 500 ids a batch",
    ("agencies", "hub/agencies/service.py kinds"):
        "every agency's kind, for deriving cases' agency kinds: reference data, tens of documents",
    ("agencies", "hub/agencies/service.py list_all"):
        "the agency directory (hub.auth.service.AgencyDirectory, kept 30 s), `agencies` without arguments, "
        "`mediators(region:)` and the report's names: reference data read whole",
    ("mediators", "hub/mediators/service.py list_all"):
        "`mediators` without arguments lists the whole roster (reference data, hundreds); "
        "`node(Mediator)` reads it too, to pick one code (docs/indexes.md, notes)",
    ("outbox_cursors", "hub/notifications/outbox.py prune"):
        "every consumer's cursor, to prune only what all have read: one document per consumer",
    ("cases", "hub/changes/log.py backfill"):
        "`hub changes backfill` walks every case in `_id` order, 500 a batch (the first batch has no bound yet)",
    ("records", "hub/changes/log.py backfill"):
        "`hub changes backfill` walks every record in `_id` order, 500 a batch (the first batch has no bound yet)",
    ("agencies", "hub/changes/ledger.py load"):
        "`hub export`: every agency's name, for the ledger (reference data, tens of documents)",
    ("regions", "hub/changes/ledger.py load"):
        "`hub export`: every region's name, for the ledger (reference data, hundreds of documents)",
    ("trusted_documents", "hub/documents/service.py list_all"):
        "`hub documents list`: every registered document, for an operator (tens to hundreds)",
    ("cases", "seeds/loader.py load"):
        "`hub seed --if-empty` asks whether any case exists: `$limit: 1` stops at the first document",
}


def call_site(frames: Sequence[str]) -> str:
    """The innermost hub frame that is not a generic helper, as ``path function``."""
    helpers = tuple(str(Path(h).relative_to(ROOT)) for h in _HELPERS)
    for frame in frames:
        if not frame.startswith(helpers):
            path, _, qualname = frame.partition(" ")
            function = qualname.split(".<locals>")[0].rsplit(".", 1)[-1]  # a comprehension is its function's
            return f"{path.rsplit(':', 1)[0]} {function}"
    return "(no hub frame)"


@dataclass
class Seen:
    """One distinct shape: how it is served, who sent it, from where."""

    shape: Shape
    verdict: Verdict
    sites: set[str] = field(default_factory=set)
    frames: set[str] = field(default_factory=set)
    operations: set[str] = field(default_factory=set)


def judge(sent: Sequence[Sent], indexes: Mapping[str, Sequence[Index]]) -> dict[Shape, Seen]:
    """Every distinct shape sent, with its verdict; an empty filter passes where every site sending it may scan."""
    seen: dict[Shape, Seen] = {}
    for command in sent:
        for shape in shapes_of(command.name, command.command):
            entry = seen.get(shape)
            if entry is None:
                entry = seen[shape] = Seen(shape, check(shape, indexes.get(shape.collection, [ID_INDEX])))
            entry.sites.add(call_site(command.frames))
            entry.frames.add(" ← ".join(command.frames[:3]) or "(no hub frame)")
            entry.operations.add(command.operation)
    for entry in seen.values():
        allowed = [ALLOWED_SCANS.get((entry.shape.collection, site)) for site in sorted(entry.sites)]
        if not entry.verdict.served and entry.shape.term.empty and all(allowed):
            entry.verdict = Verdict(True, "allowed scan", problem="; ".join(dict.fromkeys(allowed)))  # type: ignore[arg-type]
    return seen


# --- shard targeting (hub.store.sharding) --------------------------------------------------------


def routed(term: Term, key: sharding.ShardKey) -> bool:
    """Whether `mongos` sends the term to the shards owning its key values only (ShardKey.targets); an `$or` is
    targeted when each of its branches is (mongos routes each and asks the union)."""
    if key.targets(equal=term.eq | term.ins, ranged=term.ranges):
        return True
    return any(all(routed(branch, key) for branch in group) for group in term.ors)


def scattered(seen: Mapping[Shape, Seen]) -> list[Seen]:
    """The shapes on a sharded collection that ask every shard."""
    return [entry for entry in seen.values()
            if (key := sharding.plan_for(entry.shape.collection)) is not None and not routed(entry.shape.term, key)]


def _single_writes(name: str, command: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str]]:
    """A write command's filters that address one document: (filter, "upsert" | "findAndModify" | "one")."""
    if name == "findAndModify":
        return [(command.get("query") or {}, "upsert" if command.get("upsert") else "findAndModify")]
    if name == "update":
        return [(u.get("q") or {}, "upsert" if u.get("upsert") else "one")
                for u in command.get("updates") or [] if u.get("upsert") or not u.get("multi")]
    if name == "delete":
        return [(d.get("q") or {}, "one") for d in command.get("deletes") or [] if d.get("limit") == 1]
    return []


def unroutable_writes(sent: Sequence[Sent]) -> list[str]:
    """Single-document writes to a sharded collection that MongoDB 7.0 refuses: an upsert, a findAndModify or
    a single update or delete whose filter does not name the whole shard key by equality (the last two may
    name `_id` by equality instead: mongos then asks every shard for it)."""
    problems = []
    for command in sent:
        collection = command.command.get(command.name)
        key = sharding.plan_for(collection) if isinstance(collection, str) else None
        if key is None:
            continue
        for query, kind in _single_writes(command.name, command.command):
            equal = term_of(query).eq
            if not (key.routes_one(equal=equal) or (kind == "one" and "_id" in equal)):
                problems.append(f"{collection}: {kind} on {term_of(query).describe()} from {call_site(command.frames)}"
                                f" (key {key.spec()})")
    return sorted(set(problems))


# --- the checker itself -------------------------------------------------------------------------


def test_the_checker_tells_an_indexed_query_from_a_scan() -> None:
    indexes = [ID_INDEX, Index("region_path_1_opened_at_-1__id_-1", (("region_path", 1), ("opened_at", -1), ("_id", -1))),
               Index("region_path_1_status_1", (("region_path", 1), ("status", 1)))]
    page = Shape("cases", term_of({"$and": [{"region_path": "510199"}, {"status": {"$in": ["ACCEPTED"]}}]}),
                 (("opened_at", 1), ("_id", 1)), limited=True)
    by_status = Shape("cases", term_of({"status": {"$in": ["ACCEPTED"]}, "opened_at": {"$gte": datetime(2026, 1, 1)}}))
    unordered = Shape("cases", term_of({"region_path": "510199"}), (("status", 1), ("_id", 1)), limited=True)
    either = Shape("cases", term_of({"$or": [{"region_path": "x"}, {"agencies": "PB"}]}))

    assert check(page, indexes) == Verdict(True, "ESR", ("region_path_1_opened_at_-1__id_-1",))  # walked backwards
    assert check(Shape("cases", term_of({"_id": {"$in": [1, 2]}})), indexes).how == "_id"
    assert not check(by_status, indexes).served  # status is no index's first key: a collection scan
    assert "no index starts with" in check(by_status, indexes).problem
    assert not check(unordered, indexes).served  # bounded by region_path, but the page is sorted in memory
    assert "sort every match in memory" in check(unordered, indexes).problem
    assert not check(either, indexes).served  # one branch of the $or has no index
    assert check(either, [*indexes, Index("agencies_1", (("agencies", 1),))]).how == "or"


def test_shapes_are_read_from_every_kind_of_command() -> None:
    count = {"aggregate": "cases", "pipeline": [{"$match": {"region_path": "1"}}, {"$sort": {"at": -1}},
                                                {"$limit": 5}, {"$group": {"_id": 1}}]}
    [shape] = shapes_of("aggregate", count)
    assert shape == Shape("cases", Term(eq=frozenset({"region_path"})), (("at", -1),), True)
    update = {"update": "people", "updates": [{"q": {"_id": "k"}, "u": {}}, {"q": {"name": "x"}, "u": {}}]}
    assert [s.term.eq for s in shapes_of("update", update)] == [frozenset({"_id"}), frozenset({"name"})]
    elem = term_of({"parties": {"$elemMatch": {"person_id": "p", "role": {"$ne": "X"}}}, "tags": {"$exists": True}})
    assert elem.eq == {"parties.person_id"} and elem.others == {"parties.role", "tags"}


def test_the_shard_checker_tells_a_targeted_query_from_a_scatter_gather() -> None:
    hashed = sharding.ShardKey((("_id", sharding.HASHED),), "by id")
    region_led = sharding.ShardKey((("region_code", 1), ("_id", 1)), "by region")
    by_ids = term_of({"_id": {"$in": ["a", "b"]}, "status": "OPEN"})
    id_range = term_of({"_id": {"$gt": "a"}})
    region_range = term_of({"region_code": {"$gte": "510199", "$lt": "51019:"}, "status": "OPEN"})
    either = term_of({"$or": [{"_id": "a"}, {"_id": "b", "x": 1}]})
    half = term_of({"$or": [{"_id": "a"}, {"name": "b"}]})

    assert routed(by_ids, hashed) and routed(either, hashed)  # equality / $in on the key, each $or branch
    assert not routed(id_range, hashed)  # a hashed key places neighbours apart: every shard
    assert not routed(half, hashed)  # one branch without the key asks every shard
    assert not routed(term_of({"region_path": "510199"}), region_led)  # an array field no key can hold
    assert routed(region_range, region_led) and not routed(term_of({"_id": "x"}), region_led)
    assert routed(term_of({"region_code": {"$in": ["510199001", "510199002"]}}), region_led)


def test_single_document_writes_must_name_the_whole_shard_key() -> None:
    def sent(name: str, command: dict[str, Any]) -> Sent:
        return Sent(name, command, "test", ("hub/x.py:1 f",))

    upsert_by_id = sent("update", {"update": "people", "updates": [{"q": {"_id": "p"}, "u": {}, "upsert": True}]})
    upsert_by_name = sent("update", {"update": "people", "updates": [{"q": {"name": "n"}, "u": {}, "upsert": True}]})
    many_by_name = sent("update", {"update": "people", "updates": [{"q": {"name": "n"}, "u": {}, "multi": True}]})
    one_by_name = sent("delete", {"delete": "people", "deletes": [{"q": {"name": "n"}, "limit": 1}]})
    modify_in = sent("findAndModify", {"findAndModify": "people", "query": {"_id": {"$in": ["p"]}}})
    unsharded = sent("findAndModify", {"findAndModify": "counters", "query": {"name": "x"}, "upsert": True})

    assert unroutable_writes([upsert_by_id, many_by_name, unsharded]) == []
    assert [p.split(" from")[0] for p in unroutable_writes([upsert_by_name, one_by_name, modify_in])] == [
        "people: findAndModify on _id in", "people: one on name =", "people: upsert on name ="]


def test_no_declared_index_is_a_prefix_of_another() -> None:
    redundant = []
    for collection, indexes in declared_indexes().items():
        for short in indexes:
            for long in indexes:
                n = len(short.keys)
                if short is long or short.unique or n > len(long.keys):
                    continue
                head = long.keys[:n]
                same = head == short.keys
                flipped = all(_directional(d) for _, d in short.keys) and head == tuple((f, -d) for f, d in short.keys)
                if same or flipped:
                    redundant.append(f"{collection}: {short.describe()} is a prefix of {long.describe()}")
    assert not redundant, "\n".join(redundant)


# --- driving the hub ----------------------------------------------------------------------------

CASE = """query($caseNo: String, $id: ID) { case(caseNo: $caseNo, id: $id) {
  id caseNo status region { name } leadAgency { code } agenciesInvolved { code name }
  parties { role name person { id name } }
  timeline(first: 100) { edges { node { id kind channel agency { code } parties { person { id } } } } }
  handovers { from { code } to { code } accepted } petitions { levelReached escalated }
  currentStabilityPlan { reviewDate } } }"""
CASES = """query($filter: CaseFilter, $orderBy: CaseOrder!, $after: String, $first: Int = 5) {
  cases(filter: $filter, first: $first, orderBy: $orderBy, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id caseNo leadAgency { code } agenciesInvolved { code } parties { person { id } } } } }"""
LOOKUP = """query($idNumber: String, $creditCode: String, $name: String, $phone: String) {
  personLookup(purpose: "越级信访核查", idNumber: $idNumber, creditCode: $creditCode, name: $name, phone: $phone) {
    found persons { id name } cases { caseNo } agencies { code }
    recordsByChannel { channel records { kind agency { code } } } priorGrassrootsMediation { kind } } }"""
SUMMARY = """query($filter: SummaryFilter!, $groupBy: [SummaryDimension!]!) { summary(filter: $filter, groupBy: $groupBy) {
  total { cases backlog resolutionRate } groups { key { dimension value label } figures { cases open } } } }"""
WARNINGS = """query($asOf: DateTime, $rules: [WarningRule!]) { earlyWarnings(region: "510199", asOf: $asOf, rules: $rules) {
  rule severity caseNo case { caseNo } responsibleAgency { code } } }"""
MEETINGS = """query($from: Date, $to: Date) { jointMeetings(region: "510199", heldFrom: $from, heldTo: $to) {
  id heldOn region { name } convener { code } participants { code } agenda { caseNo }
  decisions { key status ownerAgency { code } case { caseNo } } } }"""
MEETING = """query($id: ID!) { jointMeeting(id: $id) { id title agenda { caseNo leadAgency { code } }
  decisions { key status } participants { code } } }"""
BRIEF = """query($id: ID!) { jointMeetingBrief(meetingId: $id) { periodFrom periodTo
  byAgency { groups { key { value label } figures { cases } } } byCategory { total { cases } }
  trend { groups { figures { cases } } }
  agenda { case { caseNo } latestRecords { kind } openHandovers { kind } }
  openDecisions { overdue meeting { id } decision { key } } warnings { rule caseNo } } }"""
SCHEDULE = """mutation($input: ScheduleMeetingInput!) { scheduleJointMeeting(input: $input) { id } }"""
AGENDA = """mutation($id: ID!, $cases: [ID!]!) { addToAgenda(meetingId: $id, caseIds: $cases) { id agenda { caseNo } } }"""
DECIDE = """mutation($input: RecordDecisionInput!) { recordDecision(input: $input) { decision { key } } }"""
COMPLETE = """mutation($id: ID!, $key: String!) { completeDecision(meetingId: $id, key: $key, note: "已落实") {
  decision { status } } }"""
AUDIT = """query($filter: AuditFilter, $after: String) { auditLog(filter: $filter, first: 5, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { operation targetIds agency { code } } } }"""
NODE = """query($id: ID!) { node(id: $id) { id __typename } }"""
REFERENCE = """query($kind: AgencyKind, $region: String, $parent: String, $specialty: Category, $expert: Boolean,
  $mediatorRegion: String) {
  agencies(kind: $kind, region: $region) { id code parent { code } region { code } }
  regions(parent: $parent) { id code parent { code } }
  mediators(specialty: $specialty, expert: $expert, region: $mediatorRegion) { id code agency { code } } }"""
INGEST = """mutation($input: IngestBatchInput!) { ingestRecords(input: $input) {
  created updated unchanged rejected results { status caseNo errors { path code } } } }"""
SERVER = """{ serverInfo { storeKind databaseName } }"""

CASE_FILTERS: dict[str, dict[str, Any]] = {  # every CaseFilter field (schema/cases.py CaseFilterInput)
    "region": {"region": TOWNSHIP},
    "categories": {"categories": ["LABOUR", "NEIGHBOUR"]},
    "statuses": {"statuses": ["ACCEPTED", "IN_MEDIATION"]},
    "channels": {"channels": ["PETITION"]},
    "agency": {"agency": COURT},
    "riskLevels": {"riskLevels": ["HIGH", "MAJOR"]},
    "tags": {"tags": ["ESCALATED"]},
    "opened": {"opened": {"from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}},
    "lastActivity": {"lastActivity": {"from": "2026-06-01T00:00:00Z"}},
    # partyName is filled in from the data (a name that occurs)
}
ORDERS = ("OPENED_AT_DESC", "OPENED_AT_ASC", "LAST_ACTIVITY_DESC", "CASE_NO_ASC")


async def gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """The data of a GraphQL request that must succeed."""
    body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def demo_parties() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """From the generated batches: a party with an ID number, one with a phone, an organisation."""
    with_id = with_phone = organisation = None
    for batch in generator.generate(scale=SCALE).batches:
        for record in batch["records"]:
            for party in record.get("parties") or []:
                with_id = with_id or (party if party.get("idNumber") else None)
                with_phone = with_phone or (party if party.get("phone") else None)
                organisation = organisation or (party if party.get("creditCode") else None)
    assert with_id and with_phone, "the demo data has no identifiable party"
    return with_id, with_phone, organisation


def first_batch() -> dict[str, Any]:
    """The first generated batch, for re-sending it over HTTP."""
    return next(generator.iter_batches(scale=SCALE))


async def drive(http: httpx.AsyncClient, token_for: TokenFor, keys: KeyRing) -> None:
    """Every operation of the hub once, as an agency that may do it."""
    with during("hub seed: ingestion of a demo district (seeds.loader.load)"):
        summary = await loader.load(keys=keys, scale=SCALE)
    assert not summary.rejections, summary.rejections
    with during("hub seed --if-empty"):
        assert (await loader.load(keys=keys, scale=SCALE, if_empty=True)).skipped

    await _ingest_over_http(http, token_for)
    act_as(http, token_for(CC))
    with during("serverInfo"):
        await gql(http, SERVER)
    case_ids, case_nos = await _cases(http, token_for)
    await _case_views(http, token_for, case_nos)
    await _lookups(http, token_for)
    await _analytics(http, token_for)
    await _meetings(http, token_for, case_ids)
    await _campaigns(http, token_for)
    await _referrals(http, token_for)
    webhook_ids = await _register_webhooks(http, token_for)
    await _handovers(http, token_for, case_nos)
    await _deliver_webhooks(http, token_for, keys, webhook_ids)
    await _watch()
    await _subscriptions()
    await _typical_cases(http, token_for)
    await _notices(http, token_for)
    await _reference_and_nodes(http, token_for, case_nos[0])
    await _audit(http, token_for, keys)
    await _reports()
    await _changes(http, token_for)
    await _provenance_and_reviews(http, token_for, keys, case_nos[0])
    await _trusted_documents(http, token_for)
    with during("hub recompute (case_service.recompute_all)"):
        await case_service.recompute_all()
    with during("hub recompute --case (case_service.recompute_all)"):
        await case_service.recompute_all(case_no=case_nos[0])


async def _ingest_over_http(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    """ingestRecords: a replayed batch, an updated record, a record by case number and one by reference."""
    batch = first_batch()
    act_as(http, token_for(batch["agency"]))
    with during("ingestRecords: a replayed batch"):
        replay = (await gql(http, INGEST, input=batch))["ingestRecords"]
    assert replay["unchanged"] == len(batch["records"]), replay
    opener = batch["records"][0]
    case_no = replay["results"][0]["caseNo"]
    at = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    follow_ups = [
        {**opener, "sourceRevision": opener.get("sourceRevision", 0) + 1, "summary": opener["summary"] + "(更正)"},
        {"sourceId": "index-test-1", "kind": "FOLLOW_UP", "occurredAt": at, "summary": "回访", "caseNo": case_no,
         "details": {"satisfied": True}},
        {"sourceId": "index-test-2", "kind": "FOLLOW_UP", "occurredAt": at, "summary": "再次回访",
         "caseRef": {"sourceId": opener["sourceId"]}, "details": {"satisfied": False}},
    ]
    with during("ingestRecords: an update, by case number, by reference"):
        result = (await gql(http, INGEST, input={**batch, "records": follow_ups}))["ingestRecords"]
    assert (result["updated"], result["created"], result["rejected"]) == (1, 2, 0), result


async def _cases(http: httpx.AsyncClient, token_for: TokenFor) -> tuple[list[str], list[str]]:
    """`cases` in every order, unfiltered and with each filter, with a second page, as a centre and an agency."""
    act_as(http, token_for(CC))
    first_page = (await gql(http, CASES, orderBy="OPENED_AT_DESC"))["cases"]["nodes"]
    party = (await gql(http, CASE, caseNo=first_page[0]["caseNo"]))["case"]["parties"][0]["name"]
    filters = {"none": None, **CASE_FILTERS, "partyName": {"partyName": party},
               "every field": {k: v for f in CASE_FILTERS.values() for k, v in f.items()}}
    for agency, who, size in ((CC, "the district centre", 5), (COMMITTEE, "a mediation committee", 2)):
        act_as(http, token_for(agency))
        for order in ORDERS:
            for name, value in filters.items():
                with during(f"cases(filter: {{{name}}}, orderBy: {order}) as {who}, two pages"):
                    page = (await gql(http, CASES, filter=value, orderBy=order, first=size))["cases"]
                    if page["pageInfo"]["hasNextPage"]:
                        await gql(http, CASES, filter=value, orderBy=order, first=size,
                                  after=page["pageInfo"]["endCursor"])
                    else:
                        assert name != "none", f"one page only of {who}'s cases: the test needs more data"
    act_as(http, token_for("QH-CC-01"))
    with during("cases as a township centre"):
        await gql(http, CASES, orderBy="OPENED_AT_DESC")
    return [c["id"] for c in first_page], [c["caseNo"] for c in first_page]


async def _case_views(http: httpx.AsyncClient, token_for: TokenFor, case_nos: list[str]) -> None:
    """`case` by number and by id, as the centre and as the case's lead agency."""
    act_as(http, token_for(CC))
    with during("case(caseNo) with timeline, parties, agencies as the district centre"):
        case = (await gql(http, CASE, caseNo=case_nos[0]))["case"]
    with during("case(id) as the district centre"):
        await gql(http, CASE, id=case["id"])
    lead = case["leadAgency"]["code"] if case["leadAgency"] else case["agenciesInvolved"][0]["code"]
    act_as(http, token_for(lead))
    with during("case(caseNo) as its lead agency"):
        await gql(http, CASE, caseNo=case_nos[0])
    act_as(http, token_for(COURT))
    with during("case(caseNo) as the court, which may have no part in it (the policy reads the case first)"):
        body = (await http.post("/graphql", json={"query": CASE, "variables": {"caseNo": case_nos[-1]}})).json()
    assert body.get("data") is not None


async def _lookups(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    """`personLookup` by ID number, by name and phone, by credit code, and for nobody."""
    with_id, with_phone, organisation = demo_parties()
    act_as(http, token_for(PETITION_BUREAU))
    with during("personLookup(idNumber) as the petition bureau"):
        assert (await gql(http, LOOKUP, idNumber=with_id["idNumber"]))["personLookup"]["found"]
    with during("personLookup(name, phone) as the petition bureau"):
        assert (await gql(http, LOOKUP, name=with_phone["name"], phone=with_phone["phone"]))["personLookup"]["found"]
    if organisation:
        with during("personLookup(creditCode) as the petition bureau"):
            await gql(http, LOOKUP, creditCode=organisation["creditCode"])
    with during("personLookup for an unknown person"):
        assert not (await gql(http, LOOKUP, name="无此人", phone="13900000000"))["personLookup"]["found"]


async def _analytics(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    """`summary` with several groupings and filters, and `earlyWarnings`."""
    act_as(http, token_for(CC))
    period = {"from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    for group_by, extra in (
        ([], {}),
        (["AGENCY"], {"period": period}),
        (["CATEGORY", "MONTH"], {"period": period, "categories": ["LABOUR", "NEIGHBOUR"]}),
        (["TOWNSHIP"], {"region": DISTRICT, "backlogDays": 30, "asOf": "2026-11-15T00:00:00Z"}),
        (["AGENCY_KIND", "CHANNEL"], {"agencies": [COURT, PETITION_BUREAU], "channels": ["PETITION"]}),
        (["AGENCY"], {"region": TOWNSHIP}),
    ):
        with during(f"summary(groupBy: {group_by or '[]'}) as the district centre"):
            await gql(http, SUMMARY, filter=extra, groupBy=group_by)
    with during("earlyWarnings(region) as the district centre"):
        await gql(http, WARNINGS)
    with during("earlyWarnings(region, asOf, rules) as the district centre"):
        await gql(http, WARNINGS, asOf="2026-11-15T00:00:00Z", rules=["REPEAT_PETITIONS", "STALLED"])


async def _meetings(http: httpx.AsyncClient, token_for: TokenFor, case_ids: list[str]) -> None:
    """Joint meetings: list, one, the brief, and every mutation."""
    act_as(http, token_for(CC))
    with during("jointMeetings(region) as the district centre"):
        meetings = (await gql(http, MEETINGS))["jointMeetings"]
    with during("jointMeetings(region, heldFrom, heldTo) as the district centre"):
        await gql(http, MEETINGS, **{"from": "2026-10-01", "to": "2026-11-30"})
    with during("jointMeeting(id) as the district centre"):
        await gql(http, MEETING, id=meetings[0]["id"])
    with during("jointMeetingBrief(meetingId) as the district centre"):
        await gql(http, BRIEF, id=meetings[0]["id"])
    act_as(http, token_for(PETITION_BUREAU))
    with during("jointMeetingBrief(meetingId) as a participant"):
        await gql(http, BRIEF, id=meetings[0]["id"])
    act_as(http, token_for(CC))
    held_on = (date(2026, 11, 15) + timedelta(days=14)).isoformat()
    with during("scheduleJointMeeting, addToAgenda, recordDecision, completeDecision as the district centre"):
        meeting = (await gql(http, SCHEDULE, input={"level": "DISTRICT", "region": DISTRICT, "heldOn": held_on,
                                                    "convener": CC, "participants": [COURT, PETITION_BUREAU]}))
        meeting_id = meeting["scheduleJointMeeting"]["id"]
        await gql(http, AGENDA, id=meeting_id, cases=case_ids[:2])
        await gql(http, DECIDE, input={"meetingId": meeting_id, "text": "法院牵头诉前调解", "ownerAgency": COURT,
                                       "dueDate": held_on, "caseId": case_ids[0]})
        await gql(http, COMPLETE, id=meeting_id, key="D1")
    with during("jointMeetingBrief(meetingId) of a meeting with an earlier one"):
        await gql(http, BRIEF, id=meeting_id)


TYPICAL_CASES = """query($category: Category, $keyword: String, $after: String) {
  typicalCases(category: $category, keyword: $keyword, first: 1, after: $after) {
    totalCount pageInfo { endCursor } nodes { id nominatedBy { code } region { code } } } }"""
TYPICAL_CASE = """query($id: ID!) { typicalCase(id: $id) { id status } }"""
NOMINATIONS = """query($status: TypicalCaseStatus) { typicalCaseNominations(status: $status) { id caseNo } }"""
REJECT_TYPICAL = """mutation($id: ID!) { rejectTypicalCase(id: $id, reason: "典型性不足") { status } }"""


async def _typical_cases(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    """The typical-case library: search (each argument, a second page), one entry, nominations, a decision."""
    act_as(http, token_for(COURT))
    with during("typicalCases as an agency, two pages"):
        page = (await gql(http, TYPICAL_CASES))["typicalCases"]
        await gql(http, TYPICAL_CASES, after=page["pageInfo"]["endCursor"])
    with during("typicalCases(category, keyword) as an agency"):
        await gql(http, TYPICAL_CASES, category="LABOUR", keyword="调解")
        await gql(http, TYPICAL_CASES, keyword="纠纷")
    with during("typicalCase(id) as an agency"):
        await gql(http, TYPICAL_CASE, id=page["nodes"][0]["id"])
    with during("typicalCaseNominations as an agency (its own)"):
        await gql(http, NOMINATIONS)
    act_as(http, token_for(CC))
    with during("typicalCaseNominations(status) as the district centre"):
        await gql(http, NOMINATIONS, status="REJECTED")
        nominated = (await gql(http, NOMINATIONS))["typicalCaseNominations"]
    with during("rejectTypicalCase as the district centre"):
        await gql(http, REJECT_TYPICAL, id=nominated[0]["id"])


NOTICES = """query($region: String, $status: NoticeStatus) {
  supervisionNotices(region: $region, status: $status) { id status } }"""
NOTICE_FIELDS = "id status reportUrl excelUrl region { code } createdBy { code } publishedBy { code } " \
                "townships { code rank } agencies { code rank }"
NOTICE = f"""query($id: ID!) {{ supervisionNotice(id: $id) {{ {NOTICE_FIELDS} }} }}"""
DRAFT_NOTICE = f"""mutation($input: DraftSupervisionNoticeInput!) {{
  draftSupervisionNotice(input: $input) {{ {NOTICE_FIELDS} }} }}"""
NOTICE_MUTATIONS = {
    "refresh": """mutation($id: ID!) { refreshSupervisionNotice(id: $id) { id } }""",
    "comment": """mutation($id: ID!, $unit: String!) {
      commentOnNoticeUnit(id: $id, unitCode: $unit, comment: "工作扎实") { id } }""",
    "publish": """mutation($id: ID!) { publishSupervisionNotice(id: $id) { id } }""",
}


CAMPAIGN_LIST = """query($on: Date) { campaigns(region: "510199", activeOn: $on) { id name } }"""
CAMPAIGN_ONE = """query($id: ID!) { campaign(id: $id) { id } node(id: $id) { id } }"""
CAMPAIGN_PROGRESS = """query($id: ID!) { campaignProgress(id: $id, groupBy: [TOWNSHIP, LEVEL, KIND]) { total { enrolled } } }"""
CAMPAIGN_ENROLMENTS = """query($id: ID!, $cleared: Boolean, $township: String, $after: String) {
  campaignEnrolments(id: $id, cleared: $cleared, township: $township, first: 2, after: $after) {
    totalCount pageInfo { endCursor } nodes { id caseNo case { caseNo } campaign { id } } } }"""
CAMPAIGN_ENROLMENT = """query($id: ID!) { campaignEnrolment(id: $id) { id } node(id: $id) { id } }"""
CAMPAIGN_TASKS = """{ campaignTasks { caseNo } }"""
CAMPAIGN_CREATE = """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }"""
CAMPAIGN_ENROL = """mutation($id: ID!, $cases: [EnrolCaseInput!]!) { enrolCampaignCases(campaignId: $id, cases: $cases) {
  results { errors { code } enrolment { id } } } }"""
CAMPAIGN_ASSIGN = """mutation($id: ID!, $input: AssignResponsibilityInput!) {
  assignCampaignResponsibility(id: $id, input: $input) { id } }"""
CAMPAIGN_ESCALATE = """mutation($id: ID!) { escalateCampaignCase(id: $id, reason: "本级无力化解") { id } }"""
CAMPAIGN_CLEAR = """mutation($id: ID!) { clearCampaignCase(id: $id, outcome: CONCLUDED, note: "依法终结") { id } }"""


async def _campaigns(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    """Campaigns: the list, one, its figures and enrolments (each filter, a second page), a unit's tasks, and
    every mutation (`hub seed` has already driven the service through a campaign's history)."""
    act_as(http, token_for(CC))
    with during("campaigns(region, activeOn) as the district centre"):
        [seeded] = (await gql(http, CAMPAIGN_LIST))["campaigns"]
        await gql(http, CAMPAIGN_LIST, on=district_day().isoformat())
    with during("campaign(id), node(id), campaignProgress(groupBy) as the district centre"):
        await gql(http, CAMPAIGN_ONE, id=seeded["id"])
        await gql(http, CAMPAIGN_PROGRESS, id=seeded["id"])
    with during("campaignEnrolments as the district centre, each filter, two pages"):
        page = (await gql(http, CAMPAIGN_ENROLMENTS, id=seeded["id"]))["campaignEnrolments"]
        await gql(http, CAMPAIGN_ENROLMENTS, id=seeded["id"], after=page["pageInfo"]["endCursor"])
        await gql(http, CAMPAIGN_ENROLMENTS, id=seeded["id"], cleared=False, township=TOWNSHIP)
    with during("campaignEnrolment(id), node(id) as the district centre"):
        await gql(http, CAMPAIGN_ENROLMENT, id=page["nodes"][0]["id"])
    act_as(http, token_for("QH-CC-01"))
    with during("campaignEnrolments as a township centre (its township's, those it answers for)"):
        await gql(http, CAMPAIGN_ENROLMENTS, id=seeded["id"])
    act_as(http, token_for(COMMITTEE))
    with during("campaignTasks, campaignEnrolments as a responsible unit"):
        await gql(http, CAMPAIGN_TASKS)
        await gql(http, CAMPAIGN_ENROLMENTS, id=seeded["id"])
    act_as(http, token_for(CC))
    today = district_day()  # the hub judges deadlines on the district's day, not the machine's
    with during("createCampaign, enrolCampaignCases as the district centre"):
        created = (await gql(http, CAMPAIGN_CREATE, input={
            "name": "索引测试专项行动", "region": DISTRICT, "startsOn": today.isoformat(),
            "endsOn": (today + timedelta(days=30)).isoformat()}))["createCampaign"]
        backlog = {"statuses": ["ACCEPTED", "IN_MEDIATION"], "opened": {"to": (today - timedelta(days=120)).isoformat()}}
        open_cases = (await gql(http, CASES, filter=backlog, orderBy="CASE_NO_ASC"))["cases"]["nodes"]
        result = await gql(http, CAMPAIGN_ENROL, id=created["id"],
                           cases=[{"caseNo": c["caseNo"], "kind": "OLD"} for c in open_cases])
    enrolment_id = next(r["enrolment"]["id"] for r in result["enrolCampaignCases"]["results"] if r["enrolment"])
    with during("assignCampaignResponsibility, escalateCampaignCase, clearCampaignCase as the district centre"):
        await gql(http, CAMPAIGN_ASSIGN, id=enrolment_id, input={
            "unitCode": COMMITTEE, "person": "王主任", "measures": "限期调解", "deadline": today.isoformat()})
        await gql(http, CAMPAIGN_ESCALATE, id=enrolment_id)
        await gql(http, CAMPAIGN_CLEAR, id=enrolment_id)


HANDOVER_FIELDS = "id status case { caseNo }"
HAND_OVER = f"""mutation($input: HandOverInput!) {{ handOverCase(input: $input) {{ {HANDOVER_FIELDS} }} }}"""
ANSWER_HANDOVER = {
    "accept": f"""mutation($id: ID!) {{ acceptHandover(id: $id) {{ {HANDOVER_FIELDS} }} }}""",
    "return": f"""mutation($id: ID!) {{ returnHandover(id: $id, reason: "不属于本单位职责") {{ {HANDOVER_FIELDS} }} }}""",
}
HANDOVER_LISTS = """query($status: HandoverStatus) { handoverInbox(status: $status) { id } handoversSent(status: $status) { id } }"""


async def _handovers(http: httpx.AsyncClient, token_for: TokenFor, case_nos: list[str]) -> None:
    """Hand two cases over, accept one and return the other; the lists in each status; a case's handovers."""
    act_as(http, token_for(CC))
    answered = []
    for case_no, how in zip(case_nos[:2], ANSWER_HANDOVER):
        with during(f"handOverCase as the district centre ({how})"):
            sent = (await gql(http, HAND_OVER, input={"caseNo": case_no, "toAgency": COURT, "reason": "诉前调解"}))
        answered.append((sent["handOverCase"]["id"], how))
    act_as(http, token_for(COURT))
    for status in ("PENDING", None, "ACCEPTED"):
        with during(f"handoverInbox, handoversSent ({status})"):
            await gql(http, HANDOVER_LISTS, status=status)
    for handover_id, how in answered:
        with during(f"{how}Handover as the receiver"):
            await gql(http, ANSWER_HANDOVER[how], id=handover_id)


REGISTER_WEBHOOK = """mutation($url: String!) { registerWebhook(input: {url: $url}) { webhook { id } } }"""
WEBHOOK_LOG = """query($status: WebhookDeliveryStatus, $after: String) { webhooks { id url }
  webhookDeliveries(status: $status, first: 1, after: $after) { totalCount pageInfo { endCursor }
  nodes { eventKey status attempts } } }"""


async def _register_webhooks(http: httpx.AsyncClient, token_for: TokenFor) -> list[str]:
    """registerWebhook as the court, which the handovers below then concern (an endpoint nobody listens on)."""
    from tests.conftest import free_port

    act_as(http, token_for(COURT))
    with during("registerWebhook"):
        made = await gql(http, REGISTER_WEBHOOK, url=f"http://127.0.0.1:{free_port()}/hub-events")
    return [made["registerWebhook"]["webhook"]["id"]]


async def _deliver_webhooks(http: httpx.AsyncClient, token_for: TokenFor, keys: KeyRing,
                            webhook_ids: list[str]) -> None:
    """The dispatcher's rounds (fan-out, a failed attempt, its retry), the delivery log, deleteWebhook."""
    from hub.config import Settings
    from hub.notifications import webhooks

    settings = Settings(webhook_backoff_base=0.01, webhook_backoff_cap=0.01, webhook_timeout=2)
    for round_ in ("the first", "a retry"):
        with during(f"the webhook dispatcher: {round_} round (webhooks.pump)"):
            result = await webhooks.pump(settings=settings, keys=keys)
        assert result.attempts, result
        await asyncio.sleep(0.05)
    act_as(http, token_for(COURT))
    for status in (None, "PENDING"):
        with during(f"webhooks, webhookDeliveries(status: {status}), two pages"):
            page = (await gql(http, WEBHOOK_LOG, status=status))["webhookDeliveries"]
            await gql(http, WEBHOOK_LOG, status=status, after=page["pageInfo"]["endCursor"])
    with during("deleteWebhook"):
        await gql(http, """mutation($id: ID!) { deleteWebhook(id: $id) { id } }""", id=webhook_ids[0])


async def _watch() -> None:
    """The watch's rounds: the baseline, then one a month later that tells new warnings and clears others."""
    from hub.config import Settings
    from hub.notifications import watch

    settings = Settings(watch_poll_seconds=0)
    for label, now in (("the baseline", datetime(2026, 11, 15, tzinfo=timezone.utc)),
                       ("a later round", datetime(2026, 12, 15, tzinfo=timezone.utc))):
        with during(f"the watch: {label} (watch.scan)"):
            result = await watch.scan(settings=settings, now=now)
        assert result.scanned and result.regions, result


async def _subscriptions() -> None:
    """A process's subscription feed: where it starts, its poll, and a resumed subscriber's missed events."""
    from hub.notifications.feed import Feed
    from hub.notifications.models import EventKind

    feed = Feed(poll_seconds=60, gap_seconds=30)
    with during("the subscriptions' feed (Feed.start, Feed.poll)"):
        await feed.start()
        await feed.stop()
    from hub.notifications import outbox

    with during("`hub outbox repair` (outbox.repair)"):
        examined, written = await outbox.repair(since=datetime(2020, 1, 1, tzinfo=timezone.utc))
        assert examined and not written
        feed.position = 0
        assert await feed.poll() > 0
    with during("a subscriber resuming with `after` (Subscriber.missed)"):
        async with feed.subscribe(agency_code="QH-RSJ", kinds=list(EventKind)) as subscriber:
            assert [e async for e in subscriber.missed(0)]
        await feed.stop()


UPDATE_REFERRAL = """mutation($id: ID!, $input: UpdateReferralInput!) { updateReferral(recordId: $id, input: $input) {
  id referralStatus case { caseNo referralStatus } } }"""


async def _referrals(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    """updateReferral: a seeded referral decided by the agency that wrote it, and refused to another agency."""
    from hub.records.models import Record
    from schema.relay import to_global_id

    stored = await Record.get_pymongo_collection().find_one({"kind": "REFERRAL", "details.status": {"$ne": "DECIDED"}})
    assert stored is not None, "the demo data has no referral left to decide"
    record_id = to_global_id("Record", stored["_id"])
    decided = {"status": "DECIDED", "decidedAt": (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(),
               "outcome": "SETTLED"}
    act_as(http, token_for(CC if stored["agency_code"] != CC else COURT))
    with during("updateReferral as an agency that did not write it (refused)"):
        body = (await http.post("/graphql", json={"query": UPDATE_REFERRAL, "variables": {"id": record_id,
                                                                                          "input": decided}})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    act_as(http, token_for(stored["agency_code"]))
    with during("updateReferral as the agency that wrote it"):
        result = (await gql(http, UPDATE_REFERRAL, id=record_id, input=decided))["updateReferral"]
    assert result["referralStatus"] == "DECIDED", result


async def _notices(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    """Supervision notices: lists with each argument, one, draft / comment / refresh / publish, the page and sheet."""
    for agency, who in ((CC, "the district centre"), ("QH-CC-01", "a township centre"), (COMMITTEE, "a committee")):
        act_as(http, token_for(agency))
        for arguments in ({}, {"region": DISTRICT}, {"status": "PUBLISHED"}, {"region": DISTRICT, "status": "DRAFT"}):
            with during(f"supervisionNotices({', '.join(arguments) or 'no arguments'}) as {who}"):
                await gql(http, NOTICES, **arguments)
    act_as(http, token_for(COMMITTEE))
    [seeded] = (await gql(http, NOTICES, status="PUBLISHED"))["supervisionNotices"]
    with during("supervisionNotice(id) as a committee (published)"):
        await gql(http, NOTICE, id=seeded["id"])
    with during("GET /reports/notice and /exports/notice.xlsx as a committee"):
        shown = (await gql(http, NOTICE, id=seeded["id"]))["supervisionNotice"]
        assert (await http.get(shown["reportUrl"])).status_code == 200
        assert (await http.get(shown["excelUrl"])).status_code == 200
    act_as(http, token_for(CC))
    with during("draftSupervisionNotice(rankAgencies) as the district centre"):
        notice = (await gql(http, DRAFT_NOTICE, input={"region": DISTRICT, "from": "2026-09-01", "to": "2026-09-30",
                                                       "rankAgencies": True}))["draftSupervisionNotice"]
    with during("commentOnNoticeUnit as the district centre"):
        for unit in notice["townships"] + notice["agencies"]:
            await gql(http, NOTICE_MUTATIONS["comment"], id=notice["id"], unit=unit["code"])
    with during("refreshSupervisionNotice as the district centre"):
        await gql(http, NOTICE_MUTATIONS["refresh"], id=notice["id"])
    with during("publishSupervisionNotice as the district centre"):
        await gql(http, NOTICE_MUTATIONS["publish"], id=notice["id"])


async def _reference_and_nodes(http: httpx.AsyncClient, token_for: TokenFor, case_no: str) -> None:
    """`agencies`, `regions`, `mediators` with each argument, and `node` of every type."""
    act_as(http, token_for(CC))
    reference: dict[str, Any] = {}
    for label, arguments in (
        ("no arguments", {}),
        ("kind / parent / specialty", {"kind": "COURT", "parent": DISTRICT, "specialty": "LABOUR"}),
        ("region / expert / region", {"region": DISTRICT, "expert": True, "mediatorRegion": TOWNSHIP}),
        ("- / - / expert only", {"kind": "COURT", "parent": TOWNSHIP, "expert": True}),
        ("kind and region / specialty and expert", {"kind": "COORDINATION_CENTRE", "region": TOWNSHIP,
                                                    "specialty": "MEDICAL", "expert": True}),
    ):
        with during(f"agencies, regions, mediators ({label})"):
            found = await gql(http, REFERENCE, **arguments)
        reference = reference or found  # ids for `node` from the unfiltered lists
    case = (await gql(http, CASE, caseNo=case_no))["case"]
    meetings = (await gql(http, MEETINGS))["jointMeetings"]
    nodes = {
        "Case": case["id"],
        "Record": case["timeline"]["edges"][0]["node"]["id"],
        "Person": case["parties"][0]["person"]["id"],
        "JointMeeting": meetings[0]["id"],
        "Agency": reference["agencies"][0]["id"],
        "Region": reference["regions"][0]["id"],
        "Mediator": reference["mediators"][0]["id"],
    }
    for type_name, node_id in nodes.items():
        with during(f"node(id) of a {type_name} as the district centre"):
            assert (await gql(http, NODE, id=node_id))["node"] is not None, type_name
    act_as(http, token_for(COURT))
    with during("node(id) of a Record as an agency (its case checked)"):
        await http.post("/graphql", json={"query": NODE, "variables": {"id": nodes["Record"]}})


async def _audit(http: httpx.AsyncClient, token_for: TokenFor, keys: KeyRing) -> None:
    """`auditLog` with each filter, and a second page; the chain sealed and verified (`hub audit`)."""
    act_as(http, token_for(CC))
    with during("auditLog as the district centre, two pages"):
        page = (await gql(http, AUDIT))["auditLog"]
        await gql(http, AUDIT, after=page["pageInfo"]["endCursor"])
    for name, value in (
        ("agency", {"agency": PETITION_BUREAU}), ("operation", {"operation": "case"}), ("outcome", {"outcome": "DENIED"}),
        ("target", {"target": DISTRICT}), ("since/until", {"since": "2026-01-01T00:00:00Z", "until": "2030-01-01T00:00:00Z"}),
        ("every field", {"agency": CC, "operation": "cases", "outcome": "OK", "since": "2026-01-01T00:00:00Z"}),
    ):
        with during(f"auditLog(filter: {{{name}}}) as the district centre"):
            page = (await gql(http, AUDIT, filter=value))["auditLog"]
            if page["pageInfo"]["hasNextPage"]:
                await gql(http, AUDIT, filter=value, after=page["pageInfo"]["endCursor"])
    act_as(http, token_for("QH-CC-01"))
    with during("auditLog as a township centre"):
        await gql(http, AUDIT)
    key = audit_chain.key_for(keys.master)
    with during("`hub audit seal` (audit_chain.seal)"):
        assert (await audit_chain.seal(key=key, gap_seconds=0)).checkpoints
    await gql(http, AUDIT)  # an entry after the checkpoint
    with during("`hub audit verify` (audit_verify.verify)"):
        assert (await audit_verify.verify(key=key)).intact
    with during("`hub audit verify --since` (audit_verify.verify)"):
        assert (await audit_verify.verify(key=key, since=datetime.now(timezone.utc) - timedelta(seconds=1))).intact


async def _reports() -> None:
    """The monthly analysis behind `hub report brief --region --period` and GET /reports/brief?region=."""
    # Gathered, not rendered: drawing the charts takes seconds and sends no query, and a meeting's
    # printable brief sends those of `jointMeetingBrief` and the agency directory, driven above.
    with during("hub report brief --region --period (hub.meetings.brief.region_brief)"):
        await brief_service.region_brief(region_code=DISTRICT, month="2026-10", thresholds=Thresholds())


CHANGES = """query($since: String) { changes(since: $since, first: 50) { cursor hasMore
  entries { seq entity caseNo case { caseNo } record { id } } } }"""


async def _changes(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    """`changes` as the district centre and as an agency, two pages each; `hub export` both ways; the backfill."""
    for agency in (CC, "QH-SFJ"):
        act_as(http, token_for(agency))
        with during(f"changes as {agency}, two pages"):
            page = (await gql(http, CHANGES))["changes"]
            await gql(http, CHANGES, since=page["cursor"])
    mapping = change_ledger.load()
    with tempfile.TemporaryDirectory() as scratch:
        for form in change_export.Format:
            with during(f"hub export --format {form}"):
                await change_export.run(out=Path(scratch) / f"all.{form}", form=form, since=0, until=None,
                                        gap_seconds=30, mapping=mapping)
    with during("hub changes backfill"):
        await change_log.backfill()


PROVENANCE = """query($caseNo: String!, $asOf: DateTime) { case(caseNo: $caseNo, asOf: $asOf) { caseNo
  provenance { field rule source { record { id } } } conflicts { fact values { value } settledBy { id } } } }"""
SETTLE = """mutation($input: SettleConflictInput!) { settleConflict(input: $input) { caseNo category } }"""
REVIEWS = """query($after: String) { identityReviews(first: 1, after: $after) { totalCount pageInfo { endCursor }
  edges { node { id status persons { name } } } } }"""
REVIEW_ACT = """mutation($id: ID!) { %s(id: $id, reason: "核实") { id status } }"""


async def _provenance_and_reviews(http: httpx.AsyncClient, token_for: TokenFor, keys: KeyRing, case_no: str) -> None:
    """A case's provenance and conflicts, now and as of a day; a conflict settled; the identity review queue."""
    act_as(http, token_for(CC))
    with during("case { provenance conflicts }, and case(asOf:)"):
        await gql(http, PROVENANCE, caseNo=case_no)
        await gql(http, PROVENANCE, caseNo=case_no, asOf=datetime.now(timezone.utc).isoformat())
    with during("settleConflict"):
        await gql(http, SETTLE, input={"caseNo": case_no, "fact": "AMOUNT_IN_DISPUTE", "value": "1000", "reason": "核实"})
    with during("ingestRecords: two look-alike parties queued for review"):
        await ingest_service.ingest(keys=keys, batch={"sourceSystem": "IDX-SYS", "agency": CC, "records": [
            {"sourceId": f"look-alike-{n}", "kind": "SCREENING", "occurredAt": "2026-05-01T09:00:00+08:00",
             "summary": "排查", "caseNo": case_no, "details": {"screeningMode": "ROLLING"},
             "parties": [{"role": "APPLICANT", "name": "测试甲", "phone": phone}]}
            for n, phone in enumerate(("13800138000", "13800138009"))]})
    with during("identityReviews, two pages"):
        page = (await gql(http, REVIEWS))["identityReviews"]
        await gql(http, REVIEWS, after=page["pageInfo"]["endCursor"])
    reviews = [e["node"]["id"] for e in page["edges"]]
    assert reviews, "the demo district has no look-alike pair to review"
    for action in ("mergeIdentities", "undoIdentityMerge", "keepIdentitiesApart"):
        with during(action):
            await gql(http, REVIEW_ACT % action, id=reviews[0])


async def _trusted_documents(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    """`hub documents add` (twice: new, then known), `require`, `list`, `remove`; a request by document id."""
    text = "query Viewer { viewer { agencyCode } }"
    candidates, schema = [document_service.Candidate(text=text, source="index test")], build_schema()._schema
    with during("hub documents add, then again for another agency"):
        [added] = await document_service.add(candidates=candidates, schema=schema, agencies=[COURT], by="test")
        await document_service.add(candidates=candidates, schema=schema, agencies=[CC], by="test")
    with during("hub documents require"):
        assert await agency_service.set_trusted_documents_only(code=COURT, required=False)
    act_as(http, token_for(CC))
    with during("a request by documentId"):
        body = (await http.post("/graphql", json={"documentId": added.document.id})).json()
        assert body == {"data": {"viewer": {"agencyCode": CC}}}, body
    with during("hub documents list"):
        assert [d.id for d in await document_service.list_all()] == [added.document.id]
    with during("hub documents remove"):
        assert await document_service.remove(document_id=added.document.id)


# --- the test -----------------------------------------------------------------------------------


async def test_every_query_the_hub_sends_has_an_index(
    http: httpx.AsyncClient, token_for: TokenFor, keys: KeyRing
) -> None:
    QUERY_LOG.sent.clear()
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    loop.set_task_factory(_task_factory)  # type: ignore[arg-type]
    try:
        await drive(http, token_for, keys)
    finally:
        loop.set_task_factory(previous)
    sent, QUERY_LOG.sent = QUERY_LOG.sent, []

    indexes = declared_indexes()
    seen = judge(sent, indexes)
    if os.environ.get("HUB_INDEX_DOC"):
        write_doc(seen, indexes)

    missing = [
        f"{s.shape.collection}: {s.shape.describe()}\n    {s.verdict.problem}\n"
        f"    sent by {sorted(s.frames)[0]}\n    during: {sorted(s.operations)[0]}"
        for s in seen.values() if not s.verdict.served
    ]
    assert not missing, f"{len(missing)} query shape(s) without a serving index:\n" + "\n".join(missing)
    used = {(s.shape.collection, site) for s in seen.values() if s.verdict.how == "allowed scan" for site in s.sites}
    stale = sorted(set(ALLOWED_SCANS) - used)
    assert not stale, f"ALLOWED_SCANS entries no query needed any more (remove them): {stale}"
    assert {s.shape.collection for s in seen.values()} >= {"cases", "records", "people", "audit", "joint_meetings"}

    # The sharding plan (hub.store.sharding): each query on a sharded collection is routed by its key, or its
    # call site says why it asks every shard; each single-document write names its document's shard.
    scatter = scattered(seen)
    unlisted = [
        f"{s.shape.collection}: {s.shape.describe()}\n    from {site}\n    during: {sorted(s.operations)[0]}"
        for s in scatter for site in sorted(s.sites) if (s.shape.collection, site) not in sharding.ALLOWED_SCATTER
    ]
    assert not unlisted, (f"{len(unlisted)} scatter-gather quer(y/ies) on sharded collections: name the shard key "
                          "or list the call site in hub.store.sharding.ALLOWED_SCATTER:\n" + "\n".join(unlisted))
    stale_scatter = sorted(set(sharding.ALLOWED_SCATTER) - {(s.shape.collection, site) for s in scatter
                                                            for site in s.sites})
    assert not stale_scatter, f"ALLOWED_SCATTER entries no query needed any more (remove them): {stale_scatter}"
    unroutable = unroutable_writes(sent)
    assert not unroutable, "single-document writes without their shard key:\n" + "\n".join(unroutable)


# --- docs/indexes.md ----------------------------------------------------------------------------

_BEGIN, _END = "<!-- generated by tests/store/test_indexes.py: begin -->", "<!-- generated: end -->"

# What each call site's queries are for, in words (the doc's first column; a new site shows its path only).
SITE_WORDS = {
    "hub/agencies/service.py get_by_code": "one agency by code (an ingestion batch's sender, `hub token`)",
    "hub/agencies/service.py get_many_by_code": "agencies by code (handover targets, meeting participants)",
    "hub/agencies/service.py kinds": "every agency's kind, when cases are re-derived",
    "hub/agencies/service.py list_all": "`agencies(kind:, region:)`; the agency directory; `mediators(region:)`",
    "hub/agencies/service.py upsert_many": "reference data loaded (`hub seed`), updated by code",
    "hub/agencies/service.py set_trusted_documents_only": "`hub documents require`: an agency's flag, by code",
    "hub/documents/service.py add": "`hub documents add`: a document inserted; one known already read and its "
                                    "agencies updated, by `_id`",
    "hub/documents/service.py get": "a trusted document by id (a request naming it; each process keeps it a few s)",
    "hub/documents/service.py list_all": "`hub documents list`",
    "hub/documents/service.py remove": "`hub documents remove`, by `_id`",
    "hub/audit/service.py count": "`auditLog { totalCount }`",
    "hub/audit/service.py page": "a page of `auditLog`, newest first",
    "hub/audit/chain.py allocate": "an audit entry's number: one `$inc` on its counter",
    "hub/audit/chain.py allocated": "the last audit number taken (`hub audit verify`)",
    "hub/audit/chain.py legacy_count": "audit entries predating the chain (their `seq` is null)",
    "hub/audit/chain.py latest_seal": "the newest checkpoint of the audit chain",
    "hub/audit/chain.py _claim": "the audit sealer's lease, claimed",
    "hub/audit/chain.py seal": "the audit sealer's lease, kept until the next round",
    "hub/audit/chain.py _seal_batch": "the audit entries after the newest checkpoint, by number",
    "hub/audit/verify.py _start": "`hub audit verify --since`: the first entry since then, the checkpoint before it",
    "hub/audit/verify.py _groups": "`hub audit verify`: the entries by number",
    "hub/audit/verify.py verify": "`hub audit verify`: the checkpoints after its start",
    "hub/cases/service.py _write": "a case's derived fields, its case file, written back by `_id`",
    "hub/cases/service.py apply_records": "the cases and case files a batch touches",
    "hub/cases/service.py _fold": "the cases and case files a re-derivation reads (a batch, `hub recompute`, a merge)",
    "hub/auth/service.py revoked_ids": "tokens revoked since a process last looked (each process, every few seconds)",
    "hub/people/review.py queue_similar": "a batch's parties, their namesakes (`name`), the pairs already queued",
    "hub/people/review.py page": "a page of `identityReviews`, newest first, by the centre's region (and status)",
    "hub/people/review.py count": "`identityReviews { totalCount }`",
    "hub/people/review.py get": "one review by id, in the centre's region",
    "hub/people/review.py _decide": "a review's decision, once (`findAndModify` on its status)",
    "hub/people/review.py merge": "a merged review's log, written",
    "hub/people/merge.py merge_reviewed": "a centre's merge: the pair's roots, the loser marked",
    "hub/people/merge.py move": "a merge: the two Persons, the loser's keys, the records naming it",
    "hub/people/merge.py undo": "a merge undone: the two Persons, keys and records put back",
    "hub/cases/service.py as_of": "`case(asOf:)`: the case file, by `_id`",
    "hub/changes/log.py append": "the change log: the keys already logged; a number per new entry (`$inc`)",
    "hub/changes/log.py read_after": "the change log after a cursor (`changes`, `hub export`), in order",
    "hub/changes/log.py log_cases": "the change log: the cases a batch re-derived, as stored",
    "hub/changes/log.py log_records": "the change log: the records a batch stored, as stored",
    "hub/changes/log.py backfill": "`hub changes backfill`: every record and case, by `_id`, 500 at a time",
    "hub/changes/ledger.py load": "`hub export`: every agency's and region's name, for the ledger",
    "hub/people/merge.py roots": "the persons a merge leads to (`merged_into` followed), by `_id`",
    "hub/people/merge.py settle": "persons a batch named that a concurrent merge moved",
    "hub/people/service.py write_persons": "a batch's new and changed persons, written by `_id`",
    "hub/people/service.py person_ids_by_key": "match key → person (`personLookup`, ingestion)",
    "hub/cases/service.py get_files": "case files: timelines, the brief's agenda, `personLookup`",
    "hub/cases/service.py recompute": "`hub recompute`: a batch of cases, their files and records",
    "hub/cases/service.py find_numbers": "case ids by number (`case(caseNo:)`, records pushed by caseNo)",
    "hub/cases/service.py get_by_case_no_or_raise": "one case by number (`hub recompute --case`)",
    "hub/cases/service.py access_fields": "the policy's fields of the cases a batch names",
    "hub/cases/service.py find_open_with_parties": "open cases of a batch's parties (matching a new record to a case)",
    "hub/cases/service.py find_opened": "cases a batch's records already opened (a replay)",
    "hub/cases/service.py get_many": "cases by id (the request's loader)",
    "hub/cases/service.py get": "one case by id (`node`)",
    "hub/cases/service.py recompute_all": "`hub recompute` (`--case`: one case)",
    "hub/cases/search.py list_page": "a page of `cases`, by the caller's scope, filter and order",
    "hub/cases/search.py count": "`cases { totalCount }`",
    "hub/analytics/summary.py _aggregate": "`summary`, the brief's figures: the aggregation's `$match`",
    "hub/analytics/warnings.py load_scope": "`earlyWarnings`, the brief's warnings: the region's cases",
    "hub/meetings/service.py add_to_agenda": "the region paths of the cases put on an agenda",
    "hub/meetings/service.py _save": "a meeting saved (replace, checked against its revision)",
    "hub/meetings/service.py get": "one meeting (`jointMeeting`, the brief, `node`)",
    "hub/meetings/service.py get_many": "meetings by id (permission checks)",
    "hub/meetings/service.py list_for_region": "`jointMeetings`; the brief's previous meeting and open decisions",
    "hub/mediators/service.py list_all": "`mediators(specialty:, expert:, region:)`; `node(Mediator)`",
    "hub/mediators/service.py upsert_many": "reference data loaded (`hub seed`), replaced by code",
    "hub/people/service.py case_ids_of": "the cases of a batch's parties",
    "hub/people/service.py find_by_keys": "`personLookup`: the persons its keys find",
    "hub/people/service.py get_many": "persons by id (the request's loader)",
    "hub/people/service.py resolve": "a batch's parties: known persons read, new ones upserted, by `_id`",
    "hub/people/service.py link_cases": "each party's case list updated, by `_id`",
    "hub/people/service.py find_by_name": "`cases(filter: {partyName})`: the persons of that name",
    "hub/people/service.py person_ids_by_key": "match key → person (`personLookup`, ingestion)",
    "hub/records/service.py find_keys": "stored records by source key (ingestion: replays, updates, caseRef)",
    "hub/records/service.py get": "one record (`node`, its permission check)",
    "hub/records/service.py write": "an updated record replaced by `_id`",
    "hub/ingest/referrals.py revise": "`updateReferral`: the next revision replaced by `_id` and the revision it read",
    "hub/regions/service.py get_by_code": "one region (meetings, the brief)",
    "hub/regions/service.py get_many_by_code": "regions by code (loaders, the directory, new cases' regions)",
    "hub/regions/service.py list_children": "`regions(parent:)`",
    "hub/regions/service.py upsert_many": "reference data loaded (`hub seed`), replaced by code",
    "hub/cases/service.py allocate_numbers": "case numbers allocated (`findAndModify` with `$inc`)",
    "seeds/loader.py load": "`hub seed --if-empty`: is there any case?",
    "seeds/meetings.py _agenda": "`hub seed`: the demo meeting's agenda",
    "hub/typical_cases/service.py get": "one typical case (`typicalCase`, the permission checks of its mutations)",
    "hub/typical_cases/service.py get_by_case": "a case's nomination (`nominateTypicalCase`, `hub seed`)",
    "hub/typical_cases/service.py nominate": "a nomination saved (insert, or replaced by `_id`)",
    "hub/typical_cases/service.py _decide": "a decision saved (replaced by `_id`)",
    "hub/typical_cases/service.py search": "a page of `typicalCases` (selected; category; keyword regex over the text)",
    "hub/typical_cases/service.py count": "`typicalCases { totalCount }`",
    "hub/typical_cases/service.py list_nominations": "`typicalCaseNominations`: a centre's region's, an agency's own",
    "hub/typical_cases/service.py parties_of": "the persons of a nominated case (their clear data, to remove it)",
    "seeds/typical_cases.py _resolved_cases": "`hub seed`: the resolved demo cases nominated",
    "hub/campaigns/service.py create": "a campaign inserted",
    "hub/campaigns/service.py get": "one campaign (`campaign`, its figures and list, the permission checks)",
    "hub/campaigns/service.py list_for_region": "`campaigns(region:, activeOn:)`; the brief's campaign section",
    "hub/campaigns/service.py _cases_by_number": "`enrolCampaignCases`: the named cases, by number then `_id`",
    "hub/campaigns/service.py enrol": "an enrolment inserted (the unique campaign/case index refuses a second)",
    "hub/campaigns/service.py get_enrolment": "one enrolment (its mutations and their permission checks, `node`)",
    "hub/campaigns/service.py _save": "an enrolment saved (replace, checked against its revision)",
    "hub/campaigns/service.py list_enrolments": "a page of `campaignEnrolments` (a centre's all, a unit's own)",
    "hub/campaigns/service.py count_enrolments": "`campaignEnrolments { totalCount }`",
    "hub/campaigns/service.py tasks_of": "`campaignTasks`: a unit's own enrolled cases, nearest deadline first",
    "hub/campaigns/service.py progress": "`campaignProgress`, the brief's section: a campaign's enrolments",
    "hub/campaigns/service.py open_in_region": "early warnings: the region's enrolments not yet cleared",
    "hub/campaigns/service.py cleared_counts": "a supervision notice's backlog cleared in its period",
    "seeds/campaigns.py _backlog": "`hub seed`: the district's open cases in the campaign's categories",
    "seeds/campaigns.py _replay": "`hub seed`: a settled case read again",
    "hub/handovers/service.py _listed": "`handoverInbox` / `handoversSent`: an agency's cases handed to it / its own",
    "hub/handovers/service.py _state": "a handover's state: its case file, by `_id`",
    "hub/handovers/service.py hand_over": "`handOverCase`: the case by number, its file",
    "hub/handovers/service.py answer": "`acceptHandover` / `returnHandover`: the handover record by `_id`",
    "hub/ingest/service.py _check_handover_answers": "an answer's case file (the handover it answers)",
    "hub/notices/service.py get": "one supervision notice (`supervisionNotice`, its mutations, page and sheet)",
    "hub/notices/service.py _save": "a notice saved (replace, checked against its revision)",
    "hub/notices/service.py list_notices": "`supervisionNotices`: a centre's region's, published ones above an agency",
    "hub/notices/service.py overdue_handovers": "a notice's overdue handovers: the region's cases ever handed over",
    "hub/notices/service.py find_for_period": "`hub seed`: the demo notices of a month, found again",
    "hub/notifications/outbox.py events_for": "the cases (and answered handovers) of a batch's events, by `_id`",
    "hub/notifications/outbox.py append": "a batch's event keys already in the outbox, by `_id`",
    "hub/notifications/outbox.py allocate_seqs": "outbox sequence numbers allocated (`findAndModify` with `$inc`)",
    "hub/notifications/webhooks.py fan_out": "the dispatcher: its cursor, the events after it, their agencies' webhooks",
    "hub/notifications/webhooks.py _claim": "the dispatcher claims a due delivery (a lease, `findAndModify`)",
    "hub/notifications/webhooks.py _send": "a delivery attempt's result, by `_id` and lease",
    "hub/notifications/webhooks.py send_due": "the webhooks of the claimed deliveries, by `_id`",
    "hub/notifications/webhooks.py list_for_agency": "`webhooks`; `registerWebhook`'s limit per agency",
    "hub/notifications/webhooks.py delete": "`deleteWebhook`: the webhook, its pending deliveries",
    "hub/notifications/webhooks.py deliveries": "a page of `webhookDeliveries`, newest first",
    "hub/notifications/webhooks.py count_deliveries": "`webhookDeliveries { totalCount }`",
    "hub/notifications/outbox.py read_after": "the events after a consumer's position, in order",
    "hub/notifications/outbox.py prune": "the watch prunes what every consumer has read, past its retention: the "
                                         "cursors, old events, finished deliveries",
    "hub/notifications/outbox.py repair": "`hub outbox repair`: the records of kinds that cause events, recorded "
                                          "since a time",
    "hub/notifications/feed.py start": "a process's subscription feed starts after the newest event",
    "hub/notifications/feed.py missed": "a subscription resuming with `after`: the agency's events it missed",
    "hub/meetings/service.py decision_event": "DECISION_ASSIGNED: the decision's case number",
    "hub/notifications/watch.py claim": "the watch claims its lease (`findAndModify` on `lease_until`, upsert)",
    "hub/notifications/watch.py release": "the watch keeps its lease until the next round",
    "hub/notifications/watch.py mark_baselined": "the watch: a region's warnings recorded once (its baseline)",
    "hub/notifications/watch.py top_regions": "the watch: the top-level regions",
    "hub/notifications/watch.py watch_warnings": "the watch: a region's raised warnings, the new ones stored, the "
                                                 "cleared ones removed; the cases of new ones, by `_id`",
    "hub/notifications/watch.py scan": "the watch: raised warnings marked told once their events are in",
    "hub/notifications/watch.py handover_deadlines": "the watch: the cases of handovers whose deadline is near",
    "hub/notifications/watch.py decision_deadlines": "the watch: open meeting decisions falling due soon",
    "hub/notifications/watch.py campaign_deadlines": "the watch: enrolments whose responsibility deadline is near",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _constraints(term: Term) -> list[str]:
    return ([f"{f} =" for f in sorted(term.eq)] + [f"{f} in" for f in sorted(term.ins)]
            + [f"{f} range" for f in sorted(term.ranges)] + [f"{f} (unbounded)" for f in sorted(term.others)])


def _is_cursor(group: tuple[Term, ...]) -> bool:
    """A keyset cursor: `(k after v) or (k = v and _id after id)`."""
    return any("_id" in branch.ranges for branch in group)


def merged(shapes: Sequence[Shape]) -> str:
    """Shapes that one call site sends and one index serves, in one line: what they share, what varies."""
    parts = [set(_constraints(s.term)) | {"or(" + " | ".join(b.describe() for b in g) + ")"
                                          for g in s.term.ors if not _is_cursor(g)} for s in shapes]
    common = set.intersection(*parts)
    optional = set.union(*parts) - common
    text = ", ".join(sorted(common, key=lambda c: (c.startswith("or("), c))) or "{}"
    if optional:
        text += "; with any of: " + ", ".join(sorted(optional, key=lambda c: (c.startswith("or("), c)))
    sorts = list(dict.fromkeys(s.sort for s in shapes if s.sort))
    if sorts:
        text += "; sort " + " / ".join(", ".join(f"{f} {'asc' if d > 0 else 'desc'}" for f, d in sort)
                                       for sort in sorts)
    if any(s.limited for s in shapes):
        text += "; limit"
    if any(_is_cursor(g) for s in shapes for g in s.term.ors):
        text += "; later pages add the keyset cursor"
    return text


def render(seen: Mapping[Shape, Seen], indexes: Mapping[str, Sequence[Index]]) -> str:
    """The generated part of docs/indexes.md: per collection, call site and serving index, then unused indexes."""
    by_name = {(c, ix.name): ix for c, ixs in indexes.items() for ix in ixs}
    groups: dict[tuple[str, tuple[str, ...], str, tuple[str, ...]], list[Seen]] = {}
    for entry in seen.values():
        key = (entry.shape.collection, tuple(sorted(entry.sites)), entry.verdict.how, entry.verdict.indexes)
        groups.setdefault(key, []).append(entry)
    notes = {"_id": "", "ESR": " — equality, then the sort: a page in index order",
             "or": " — one per `$or` branch", "bounded": "", "allowed scan": ""}
    lines: list[str] = []
    for collection in sorted({c for c, *_ in groups}):
        lines += [f"#### `{collection}`", "", "| query | sent by | query shapes | served by |", "|---|---|---|---|"]
        for (_, sites, how, names), entries in sorted((k, v) for k, v in groups.items() if k[0] == collection):
            if how == "allowed scan":
                served = "deliberate full scan"
            else:
                served = " / ".join(by_name[collection, n].describe() for n in names) + notes[how]
            words = "; ".join(dict.fromkeys(SITE_WORDS[site] for site in sites if site in SITE_WORDS))
            lines.append(f"| {_cell(words)} | {'<br>'.join(f'`{site}`' for site in sites)} | "
                         f"{_cell(merged([e.shape for e in entries]))} | {_cell(served)} |")
        lines.append("")
    used = {(s.shape.collection, n) for s in seen.values() for n in s.verdict.indexes}
    unused = [f"- `{c}` {ix.describe()}" for c, ixs in sorted(indexes.items()) for ix in ixs
              if (c, ix.name) not in used and not ix.unique]
    lines += ["#### Deliberate full scans", "",
              *(f"- `{c}` from `{site}`: {why}" for (c, site), why in sorted(ALLOWED_SCANS.items())), "",
              "#### Declared, but the chosen index of no query above", "", *(unused or ["- none"]), ""]
    return "\n".join(lines)


def write_doc(seen: Mapping[Shape, Seen], indexes: Mapping[str, Sequence[Index]]) -> None:
    """Replace the generated tables of docs/indexes.md (the prose around them is kept)."""
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(_BEGIN)
    _, _, tail = rest.partition(_END)
    DOC.write_text(f"{head}{_BEGIN}\n\n{render(seen, indexes)}\n{_END}{tail}", encoding="utf-8")
