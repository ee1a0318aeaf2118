"""The sharding plan: which collections a sharded cluster splits, by which key, and why the rest stay whole.

A sharded cluster runs the hub unchanged: the hub connects to the `mongos` routers as it connects to a replica
set, and `hub store shard-commands | mongosh <mongos URL>` applies this plan (docs/scaling.md). The plan follows
the queries the hub sends, not the other way round: `tests/store/test_indexes.py` records every command of every
operation and checks each against the keys below (a query on a sharded collection names its key's first field
by equality or `$in`, so `mongos` sends it to the shards owning those values, or its call site is listed in
ALLOWED_SCATTER with the reason it asks every shard), and that single-document writes and upserts carry the key
as MongoDB 7.0 requires. `tests/store/test_sharding.py` checks the plan against the models: every collection is
planned, every shard-key field is in every document, and no unique index is one a sharded collection cannot keep.

Two MongoDB rules shape it. A sharded collection keeps a unique index only when the shard key is its prefix
(`_id` included: it is unique across the cluster only when it is the shard key), and a hashed key keeps none but
`_id`'s. And `mongos` routes by the shard key's fields as the filter names them: `region_path`, the field every
region-scoped filter uses, is an array, and no array can be a shard key.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass

HASHED = "hashed"


@dataclass(frozen=True)
class ShardKey:
    """A sharded collection's key, in order (a direction, or "hashed"), and why it is the key."""

    fields: tuple[tuple[str, int | str], ...]
    why: str
    # Indexes an earlier hub declared that the key cannot coexist with (a unique index it is no prefix of):
    # shard-commands drops them first where found.
    drop_first: tuple[str, ...] = ()

    @property
    def hashed(self) -> bool:
        """Whether documents are placed by a hash of the first field (even spread, no ranges)."""
        return self.fields[0][1] == HASHED

    @property
    def lead(self) -> str:
        """The first field: what a query must name for `mongos` to target it."""
        return self.fields[0][0]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    def spec(self) -> dict[str, int | str]:
        """The key as `sh.shardCollection` takes it."""
        return dict(self.fields)

    def targets(self, *, equal: Collection[str], ranged: Collection[str] = ()) -> bool:
        """Whether `mongos` sends a filter with these fields (by equality or `$in`; by a range) to the shards that
        own the values only, not to every shard.

        Equality or `$in` on the lead field: the shards owning those values. A range on the lead field of a
        ranged key: the chunks overlapping it, few when the range is narrow — a region's codes share its prefix,
        so a region-code range is a region's chunks. A hashed key places neighbours apart: a range asks every
        shard. (No key of the plan is ranged today; the rule is ready for one.)
        """
        return self.lead in equal or (not self.hashed and self.lead in ranged)

    def routes_one(self, *, equal: Collection[str]) -> bool:
        """Whether a filter names the whole key by equality: what an upsert, a findAndModify and a single delete
        need on MongoDB 7.0 to reach the one shard the document lives on."""
        return all(name in equal for name in self.names)


@dataclass(frozen=True)
class Unsharded:
    """A collection left whole on the database's primary shard, and why."""

    why: str
    # The declared unique indexes that keep it unsharded (no key can be a prefix of them all): if one goes,
    # reconsider. tests/store/test_sharding.py checks they are still declared.
    blocked_by: tuple[str, ...] = ()


def _hashed_id(why: str, *, drop_first: tuple[str, ...] = ()) -> ShardKey:
    return ShardKey((("_id", HASHED),), why, drop_first)


# The collections that grow with cases and use; sizes per case from the demo district (docs/scaling.md).
SHARDED: dict[str, ShardKey] = {
    "case_files": _hashed_id(
        "a case's records as stored (7.7 KB a case): read and written whole by the case's `_id` — timelines, "
        "re-derivation, the brief's agenda — never by range. Its `_id` is the case's ObjectId, which grows with "
        "time: a ranged key would put every new case's file on the last chunk."),
    "records": _hashed_id(
        "every record (6.7 a case, 7.6 KB): read by its source key, its `_id` (ingestion's replays and updates, "
        "the change log, `node`), so each look-up and each batch's `$in` goes to the shards owning those keys. A "
        "region-led key cannot serve: only a case's opening record carries a region code. A ranged `_id` would "
        "not spread: it starts with the source system, whose ids usually grow as a sequence.",
        drop_first=("source_system_1_source_id_1",)),  # `_id` is record_key(source_system, source_id): no loss
    "people": _hashed_id(
        "persons (3.2 a case, 2.8 KB), by `_id`, the key each was first seen under (a keyed hash): every batch's "
        "parties, the loaders, merges. Hashed person keys, so no name, region or ID range is a hot spot."),
    "person_keys": _hashed_id(
        "match key → person (6.5 a case): `_id` is the keyed hash `personLookup` and ingestion look up, by "
        "equality or `$in` only."),
    "person_names": _hashed_id(
        "the persons of one name, by `_id` (the name), for the identity review queue: by equality only, and "
        "hashed, so the most common surnames do not crowd one chunk range."),
    "audit": _hashed_id(
        "one entry per case view, look-up, report and mutation: the collection that grows fastest, with use "
        "rather than cases. Its `_id` is an ObjectId (time-ordered): hashed, so appends spread over every shard. "
        "Its readers — `auditLog` pages, the sealer and `hub audit verify` walking `seq` — are a centre's "
        "occasional read and background walks, which ask every shard (ALLOWED_SCATTER)."),
}

_REFERENCE = "reference data, tens to hundreds of documents, read whole or by code"
_SMALL = "one document per {}: small, and read by `_id` or a short index range"

UNSHARDED: dict[str, Unsharded] = {
    "cases": Unsharded(
        "slim (2.2 KB a case, the records are in case_files): a province's decade is about 8 GB. Whole on the "
        "primary shard, every coordination centre's list, count, summary and warning reads one shard. It cannot "
        "be sharded as declared: `case_no` and `origin_source_key` are both unique (numbers; one case per opening "
        "record when batches race), and no shard key is a prefix of both. The region-led key for when it "
        "outgrows a shard, and what the hub must change first: docs/scaling.md.",
        blocked_by=("case_no_1", "origin_source_key_1")),
    "case_numbers": Unsharded("number → case, 48 bytes a case; `_id` is the case number, a sequence"),
    "changes": Unsharded(
        "the change log (13.7 KB a case): read in `seq` order, and `seq` is unique, so the only key MongoDB "
        "would accept is `{seq: 1}`, a sequence that puts every append on the last chunk. The largest collection "
        "left whole: prune what the province has received (docs/changes.md) before it must move.",
        blocked_by=("seq_1",)),
    "outbox": Unsharded("events, pruned after HUB_OUTBOX_RETENTION_DAYS; read in `seq` order (unique)",
                        blocked_by=("seq_1",)),
    "outbox_cursors": Unsharded(_SMALL.format("event consumer")),
    "webhooks": Unsharded(_SMALL.format("registered endpoint")),
    "webhook_deliveries": Unsharded("deliveries, pruned once finished and past retention; unique per webhook "
                                    "and event", blocked_by=("webhook_id_1_event_key_1",)),
    "raised_warnings": Unsharded(_SMALL.format("warning currently raised")),
    "watch_leases": Unsharded(_SMALL.format("background task (a lease)")),
    "audit_seals": Unsharded("one checkpoint per sealer round, read by `_id` range in order"),
    "audit_seal_lease": Unsharded(_SMALL.format("sealer (a lease)")),
    "revoked_tokens": Unsharded("revoked tokens within a token's life, read by `revoked_at` every few seconds"),
    "rate_windows": Unsharded("rate-limit windows, expired by a TTL index within minutes"),
    "trusted_documents": Unsharded("the registered GraphQL documents: hundreds, read by `_id` (the hash)"),
    "counters": Unsharded("a handful of sequence counters, each a `$inc` on one document",
                          blocked_by=("name_1",)),
    "regions": Unsharded(_REFERENCE, blocked_by=("code_1",)),
    "agencies": Unsharded(_REFERENCE, blocked_by=("code_1",)),
    "mediators": Unsharded(_REFERENCE, blocked_by=("code_1",)),
    "joint_meetings": Unsharded("a few meetings a month per region"),
    "supervision_notices": Unsharded("one notice a month per region"),
    "campaigns": Unsharded("a few campaigns a year per region"),
    "campaign_enrolments": Unsharded("a campaign's cases: thousands a year, unique per campaign and case",
                                     blocked_by=("campaign_id_1_case_id_1",)),
    "typical_cases": Unsharded("the nominated cases: tens a year, unique per case", blocked_by=("case_id_1",)),
    "identity_reviews": Unsharded("pairs of look-alike persons awaiting a centre: a small share of persons"),
    "hub_keys": Unsharded("the key ring: one document per key"),
    "hub_key_leases": Unsharded(_SMALL.format("re-keyer (a lease)")),
}

# (collection, call site) -> why this query asks every shard of a sharded collection. The call site is the
# innermost hub function that sent it (tests/store/test_indexes.py call_site); an entry no query needs fails.
ALLOWED_SCATTER: dict[tuple[str, str], str] = {
    ("audit", "hub/audit/service.py page"):
        "`auditLog`: a centre's page of its region's entries, newest first; each shard returns its newest and "
        "mongos merges them. Read now and then; the appends, one per request, are what the key spreads",
    ("audit", "hub/audit/service.py count"): "`auditLog { totalCount }`: as the page, counted on every shard",
    ("audit", "hub/audit/chain.py _seal_batch"):
        "the sealer (one process, every minute) reads the entries after its checkpoint in `seq` order: every "
        "shard's, merged by mongos",
    ("audit", "hub/audit/chain.py legacy_count"): "the sealer counts entries from before the chain (`seq` null)",
    ("audit", "hub/audit/verify.py _groups"): "`hub audit verify` walks every entry in `seq` order, by design",
    ("audit", "hub/audit/verify.py _start"): "`hub audit verify --since`: the first entry since a time",
    ("people", "hub/people/service.py find_by_name"):
        "`cases(filter: {partyName})`: the persons of a name; by `_id` (person_names) it would be one shard, but "
        "this filter also drops merged persons, and names are no key of `people`",
    ("person_keys", "hub/people/merge.py move"):
        "a centre's merge moves the loser's keys (a handful, found by `person_id`): rare, and one per merge",
    ("records", "hub/people/merge.py move"):
        "a centre's merge re-points the records naming the loser (`parties.person_id`): rare, one per merge",
    ("records", "hub/cases/service.py recompute"):
        "`hub recompute`: the records of a batch of cases (`case_id`), an operator's run over everything",
    ("records", "hub/changes/log.py backfill"):
        "`hub changes backfill` walks every record in `_id` order once, by design (a hashed key has no order)",
    ("records", "hub/notifications/outbox.py repair"):
        "`hub outbox repair`: the records of some kinds since a time, an operator's run after a crash",
}


def plan_for(collection: str) -> ShardKey | None:
    """The collection's shard key, or None when it stays unsharded."""
    return SHARDED.get(collection)


def shard_commands(*, database: str) -> Iterator[str]:
    """The mongosh statements that apply the plan to `database` through a `mongos`; each may be run again.

    For each sharded collection: drop the indexes that would block it, build the shard key's index (sharding a
    collection that holds documents needs it first; building it on a live collection does not stop writes),
    then shard it. Collections not named stay on the database's primary shard.
    """
    name = json.dumps(database)
    yield f"// hub store shard-commands: the sharding plan of hub/store/sharding.py for database {name}"
    yield f"sh.enableSharding({name});"
    yield f"const hub = db.getSiblingDB({name});"
    for collection, key in SHARDED.items():
        spec = json.dumps(key.spec())
        for index in key.drop_first:
            yield (f"try {{ hub.getCollection({json.dumps(collection)}).dropIndex({json.dumps(index)}); }} "
                   "catch (e) { if (e.codeName !== 'IndexNotFound') { throw e; } }")
        yield f"hub.getCollection({json.dumps(collection)}).createIndex({spec});"
        yield f"sh.shardCollection({json.dumps(f'{database}.{collection}')}, {spec});"
