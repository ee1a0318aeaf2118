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


def _enum_values_and_arguments() -> tuple[dict[str, object], dict[str, object]]:
    """Every enum value and every field argument of the schema, by dotted name."""
    from graphql import GraphQLEnumType, GraphQLInterfaceType, GraphQLObjectType

    from resolvers.root import build_schema

    values: dict[str, object] = {}
    arguments: dict[str, object] = {}
    for name, gtype in build_schema()._schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(gtype, GraphQLEnumType):
            values |= {f"{name}.{v}": value for v, value in gtype.values.items()}
        elif isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType)):
            arguments |= {f"{name}.{f}({a})": arg for f, field in gtype.fields.items() for a, arg in field.args.items()}
    return values, arguments


def test_every_enum_value_and_argument_has_a_description() -> None:
    values, arguments = _enum_values_and_arguments()
    assert values and arguments
    missing = [n for n, v in {**values, **arguments}.items() if not (getattr(v, "description", None) or "").strip()]
    assert missing == [], "give these a description (enum values: a label from hub/analytics/labels.py)"


def test_every_enum_value_description_starts_with_a_chinese_label() -> None:
    values, _ = _enum_values_and_arguments()
    bad = {}
    for name, value in values.items():
        label = (getattr(value, "description", None) or "").split(" — ", 1)[0]
        if not label or label != label.strip() or not ("\u4e00" <= label[0] <= "\u9fff") or len(label) > 12:
            bad[name] = label
    assert bad == {}, "an enum value's description starts with a short Chinese label, then optionally ' — ' and a gloss"
