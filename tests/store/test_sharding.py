"""The sharding plan (hub.store.sharding) against the models: every collection planned, shard keys MongoDB accepts
for them, and the mongosh statements `hub store shard-commands` prints. Whether the hub's queries carry the keys
is checked in tests/store/test_indexes.py, which records them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.keys.rekey import LEASE_COLLECTION
from hub.keys.ring import COLLECTION as KEY_RING
from hub.store import sharding
from hub.store.registry import DOCUMENT_MODELS

ROOT = Path(__file__).resolve().parents[2]
SCALING = (ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
RAW_COLLECTIONS = {KEY_RING, LEASE_COLLECTION}  # written with PyMongo directly, no model


def models_of(collection: str) -> list[type]:
    return [m for m in DOCUMENT_MODELS if m.Settings.name == collection]


def declared_indexes(collection: str) -> dict[str, dict[str, Any]]:
    """Index name -> pymongo's index document, as the collection's models declare them (`_id` left out)."""
    found: dict[str, dict[str, Any]] = {}
    for model in models_of(collection):
        for index in getattr(model.Settings, "indexes", None) or []:
            found[index.document["name"]] = index.document
    return found


def unique_index_problems(collection: str, key: sharding.ShardKey) -> list[str]:
    """The declared unique indexes a collection sharded by `key` could not keep (MongoDB: the key must be a prefix
    of each, and a hashed key keeps none but `_id`'s)."""
    problems = []
    for name, index in declared_indexes(collection).items():
        fields = tuple(index["key"])
        if index.get("unique") and (key.hashed or fields[:len(key.names)] != key.names):
            problems.append(f"{collection}.{name}")
    return problems


def test_every_collection_is_sharded_or_kept_whole_for_a_reason() -> None:
    collections = {m.Settings.name for m in DOCUMENT_MODELS} | RAW_COLLECTIONS
    assert not set(sharding.SHARDED) & set(sharding.UNSHARDED)
    assert set(sharding.SHARDED) | set(sharding.UNSHARDED) == collections, (
        f"unplanned: {sorted(collections - set(sharding.SHARDED) - set(sharding.UNSHARDED))}; "
        f"no such collection: {sorted(set(sharding.SHARDED) | set(sharding.UNSHARDED) - collections)}")
    assert all(key.why for key in sharding.SHARDED.values())
    assert all(plan.why for plan in sharding.UNSHARDED.values())
    assert {c for c, _ in sharding.ALLOWED_SCATTER} <= set(sharding.SHARDED)  # scatter only where there are shards


def test_every_sharded_collection_keeps_its_unique_indexes_under_its_key() -> None:
    problems = [p for c, key in sharding.SHARDED.items() for p in unique_index_problems(c, key)]
    assert not problems, f"unique indexes the shard key is no prefix of (sh.shardCollection refuses): {problems}"
    # What shard-commands drops first is not declared any more (the hub would build it again at start-up).
    redeclared = [f"{c}.{n}" for c, key in sharding.SHARDED.items() for n in key.drop_first if n in declared_indexes(c)]
    assert not redeclared


def test_the_unique_indexes_that_keep_collections_whole_are_still_declared() -> None:
    for collection, plan in sharding.UNSHARDED.items():
        declared = declared_indexes(collection)
        stale = [name for name in plan.blocked_by if not declared.get(name, {}).get("unique")]
        assert not stale, f"{collection}: no longer a declared unique index, reconsider sharding it: {stale}"
    # The reason holds: no single key could keep them all.
    cases = sharding.UNSHARDED["cases"].blocked_by
    assert len({tuple(declared_indexes("cases")[name]["key"])[0] for name in cases}) > 1


def test_the_unique_check_tells_a_key_that_keeps_an_index_from_one_that_does_not() -> None:
    by_number = sharding.ShardKey((("case_no", 1),), "by number")
    by_hash = sharding.ShardKey((("case_no", sharding.HASHED),), "by hash")
    assert unique_index_problems("cases", by_number) == ["cases.origin_source_key_1"]
    assert unique_index_problems("cases", by_hash) == ["cases.case_no_1", "cases.origin_source_key_1"]
    assert unique_index_problems("case_files", by_hash) == []


def test_every_shard_key_field_is_in_every_document() -> None:
    for collection, key in sharding.SHARDED.items():
        for model in models_of(collection):  # records: the root and each kind's class
            for name in key.names:
                field = "id" if name == "_id" else name  # `_id`: set by the hub, or by the driver, on insert
                assert field in model.model_fields, f"{model.__name__} has no {name}"
                assert name == "_id" or model.model_fields[field].is_required(), f"{model.__name__}.{name} optional"


def test_shard_commands_shard_exactly_the_planned_collections() -> None:
    lines = list(sharding.shard_commands(database="province"))
    assert lines[1] == 'sh.enableSharding("province");'
    sharded = {}
    for number, line in enumerate(lines):
        if match := re.fullmatch(r'sh\.shardCollection\("province\.(\w+)", (\{.*\})\);', line):
            collection, spec = match.group(1), json.loads(match.group(2))
            sharded[collection] = spec
            # The key's index is built first (a collection holding documents needs it), after any drop.
            built = lines.index(f'hub.getCollection("{collection}").createIndex({match.group(2)});')
            drops = [n for n, text in enumerate(lines) if f'getCollection("{collection}").dropIndex(' in text]
            assert all(drop < built < number for drop in drops)
    assert sharded == {c: key.spec() for c, key in sharding.SHARDED.items()}
    assert any('dropIndex("source_system_1_source_id_1")' in line and "IndexNotFound" in line for line in lines)


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to check the statements' syntax")
def test_shard_commands_are_one_valid_script(tmp_path: Path) -> None:
    script = tmp_path / "shard.js"
    script.write_text("\n".join(sharding.shard_commands(database="mediation_hub")) + "\n", encoding="utf-8")
    checked = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


def test_hub_store_shard_commands_prints_the_plan_for_a_database() -> None:
    result = CliRunner().invoke(main, ["store", "shard-commands", "--db", "province"])
    assert result.exit_code == 0, result.output
    assert result.output == "\n".join(sharding.shard_commands(database="province")) + "\n"


def test_docs_scaling_gives_each_collection_s_key() -> None:
    for collection, key in sharding.SHARDED.items():
        assert re.search(rf"`{collection}`[^\n]*`{re.escape(json.dumps(key.spec()))}`", SCALING), collection
    for collection in ("cases", "changes", "case_numbers"):
        assert re.search(rf"`{collection}`[^\n]*unsharded", SCALING), collection
