"""The checked-in SDL is the schema the code builds."""

from __future__ import annotations

from pathlib import Path

from hub.app import schema_sdl

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_checked_in_sdl_is_current() -> None:
    assert SDL.read_text(encoding="utf-8") == schema_sdl(), (
        "schema/schema.graphql is stale: run `make schema` and commit it"
    )


def test_every_public_field_has_a_description() -> None:
    from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

    from resolvers.root import build_schema

    missing = []
    for name, gtype in build_schema()._schema.type_map.items():
        if name.startswith("__") or not isinstance(
            gtype, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)
        ):
            continue
        if name not in {"Query", "Mutation"} and not gtype.description and not name.endswith(("Connection", "Edge")):
            missing.append(name)
        missing += [f"{name}.{f}" for f, field in gtype.fields.items() if not field.description]
    assert missing == []
