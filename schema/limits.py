"""Query limits: depth, aliases and tokens (strawberry's limiters) and an estimated cost (ours).

The cost of a field is 1 plus its children's cost times how many items it may return: a
connection's `first` (its maximum when `first` is a variable or absent: the worst case), and ten
for a plain list. A document over the limit is refused before anything runs, with the code
QUERY_TOO_COMPLEX.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode,
    IntValueNode, OperationDefinitionNode, SelectionSetNode, ValidationRule, get_named_type, get_nullable_type,
    is_list_type,
)
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.extensions.base_extension import SchemaExtension

from schema.relay import MAX_PAGE

LIST_FAN_OUT = 10
TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# How strawberry's limiters word their refusals (they carry no code of their own).
LIMITER_MESSAGES = ("Document contains more than", "exceeds maximum operation depth", "aliases found. Allowed:")


@dataclass(frozen=True)
class Limits:
    """The ceilings one GraphQL document must stay under."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 250_000
    max_selections: int = 2_000  # field selections once fragments are expanded


def _fan_out(field_node: FieldNode, return_type: Any) -> int:
    named = get_named_type(return_type)
    if named.name.endswith("Connection"):
        for argument in field_node.arguments or ():
            if argument.name.value == "first" and isinstance(argument.value, IntValueNode):
                return max(int(argument.value.value), 0)
        return MAX_PAGE
    if is_list_type(get_nullable_type(return_type)) and field_node.name.value not in {"edges", "nodes"}:
        return LIST_FAN_OUT
    return 1


def estimate_cost(
    schema: Any, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode], *,
    ceiling: int | None = None,
) -> int:
    """The estimated number of values an operation may resolve.

    Each fragment is costed once (nested spreads cannot blow the walk up), and the walk stops
    early once the total passes `ceiling`.
    """
    fragment_costs: dict[str, int] = {}

    def walk(selection_set: SelectionSetNode | None, parent: Any, seen: frozenset[str]) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", {})
                definition = fields.get(selection.name.value)
                if definition is None:  # __typename, or a field other rules reject
                    total += 1
                    continue
                child = walk(selection.selection_set, get_named_type(definition.type), seen)
                total += 1 + _fan_out(selection, definition.type) * child
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                total += walk(selection.selection_set,
                              schema.get_type(condition.name.value) if condition else parent, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    if name not in fragment_costs:
                        fragment_costs[name] = walk(fragment.selection_set,
                                                    schema.get_type(fragment.type_condition.name.value), seen | {name})
                    total += fragment_costs[name]
            if ceiling is not None and total > ceiling:
                return total
        return total

    root = {"query": schema.query_type, "mutation": schema.mutation_type}.get(operation.operation.value)
    return walk(operation.selection_set, root, frozenset())


def cost_rule(max_cost: int) -> type[ValidationRule]:
    """A validation rule refusing operations whose estimated cost is over max_cost."""

    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {d.name.value: d for d in self.context.document.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            cost = estimate_cost(self.context.schema, node, fragments, ceiling=max_cost)
            if cost > max_cost:
                self.report_error(GraphQLError(
                    f"the query's estimated cost is over the limit of {max_cost:,}: ask for fewer items "
                    "per page (`first`) or fewer nested lists", node, extensions={"code": TOO_COMPLEX}))

    return CostLimit


def expanded_size(document: DocumentNode) -> int:
    """How many field selections the document holds once every fragment spread is expanded (each
    fragment sized once; a spread inside its own fragment counts nothing)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    sizes: dict[str, int] = {}

    def size(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set, seen)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    if name not in sizes:
                        sizes[name] = size(fragments[name].selection_set, seen | {name})
                    total += sizes[name]
        return total

    return sum(size(d.selection_set, frozenset()) for d in document.definitions
               if isinstance(d, OperationDefinitionNode))


def has_empty_selection_set(document: DocumentNode) -> bool:
    """Whether an operation, fragment, field or inline fragment has `{}` for its selections."""
    def empty(selection_set: SelectionSetNode | None) -> bool:
        if selection_set is None:
            return False
        return not selection_set.selections or any(empty(getattr(s, "selection_set", None))
                                                   for s in selection_set.selections)

    return any(empty(getattr(d, "selection_set", None)) for d in document.definitions)


class DocumentSizeLimit(SchemaExtension):
    """Refuses, right after parsing, a document whose fragments expand past `max_selections` (and one with
    an empty selection set).

    graphql-core's own validation (and strawberry's depth limiter) walk every expanded spread, so a
    few hundred tokens of nested fragments would keep them busy for minutes; this check is linear.
    """

    def __init__(self, *, max_selections: int) -> None:
        self.max_selections = max_selections

    def on_parse(self) -> Iterator[None]:
        yield
        document = self.execution_context.graphql_document
        if document is not None and has_empty_selection_set(document):
            # graphql-core parses `{}`, which the spec's grammar forbids, and strawberry's depth limiter
            # then fails on it (max() of nothing).
            raise GraphQLError("a selection set must select at least one field",
                               extensions={"code": "GRAPHQL_VALIDATION_FAILED"})
        if document is not None and expanded_size(document) > self.max_selections:
            raise GraphQLError(f"the query expands to more than {self.max_selections:,} field selections; "
                               "use fewer or flatter fragments", extensions={"code": TOO_COMPLEX})


def limit_extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Factories of the schema extensions that enforce the limits (a fresh one per request)."""
    cost = cost_rule(limits.max_cost)
    return [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: DocumentSizeLimit(max_selections=limits.max_selections),
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: AddValidationRules([cost]),
    ]


def is_limit_refusal(error: GraphQLError) -> bool:
    """An error raised by one of strawberry's limiters (or our cost rule)."""
    extensions = error.extensions or {}
    return extensions.get("code") == TOO_COMPLEX or any(m in error.message for m in LIMITER_MESSAGES)
