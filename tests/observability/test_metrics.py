"""/metrics per GraphQL operation: a count and a duration histogram by operation name and type, the errors by
code, the operation names capped; and the store's health."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.config import Settings
from tests.graphql import post

AGENCIES = "query Agencies { agencies { code region { name } } }"
FORBIDDEN_LOOKUP = """query Lookup($id: String) { personLookup(idNumber: $id, purpose: "核查") { found } }"""
BROKEN = "query Broken { noSuchField }"
BAD_INPUT = "mutation Ingest($input: IngestBatchInput!) { ingestRecords(input: $input) { created } }"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test deployment, labelling at most three operation names."""
    return settings.model_copy(update={"metrics_max_operations": 3})


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, by name and labels."""
    response = await http.get("/metrics")
    assert response.status_code == 200
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_operations_are_counted_timed_and_their_errors_counted_by_code(http: httpx.AsyncClient) -> None:
    for _ in range(2):
        assert "errors" not in await post(http, AGENCIES)
    assert (await post(http, FORBIDDEN_LOOKUP, id="510199198503125015"))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await post(http, BROKEN))["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert (await post(http, BAD_INPUT, input={"agency": 3}))["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "errors" not in await post(http, "{ agencies { code } }")
    too_long = "query Tokens { " + "agencies { code } " * 1500 + "}"  # over HUB_MAX_TOKENS: refused while parsing
    assert (await post(http, too_long))["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"

    samples = await scrape(http)

    assert value(samples, "hub_graphql_operations_total", operation="Agencies", type="query") == 2
    assert value(samples, "hub_graphql_operation_duration_seconds_count", operation="Agencies", type="query") == 2
    assert value(samples, "hub_graphql_operation_duration_seconds_sum", operation="Agencies", type="query") > 0
    assert value(samples, "hub_graphql_operation_duration_seconds_bucket", operation="Agencies", type="query",
                 le="+Inf") == 2
    assert value(samples, "hub_graphql_operations_total", operation="anonymous", type="query") == 1
    errors = {(dict(labels)["operation"], dict(labels)["type"], dict(labels)["code"]): v
              for (name, labels), v in samples.items() if name == "hub_graphql_operation_errors_total"}
    assert errors == {("Lookup", "query", "FORBIDDEN"): 1, ("Broken", "query", "GRAPHQL_VALIDATION_FAILED"): 1,
                      ("other", "mutation", "BAD_USER_INPUT"): 1, ("anonymous", "unknown", "QUERY_TOO_COMPLEX"): 1}
    # Agencies, Lookup and Broken took the three names this deployment labels: Ingest is "other"; Tokens never
    # parsed, so neither its name nor its type is known.
    assert value(samples, "hub_graphql_operations_total", operation="other", type="mutation") == 1


async def test_operation_names_beyond_the_cap_are_other(http: httpx.AsyncClient) -> None:
    names = ["First", "Second", "Third", "Fourth", "Fifth", "First", "N" * 70]
    for name in names:
        assert "errors" not in await post(http, f"query {name} {{ agencies {{ code }} }}")

    samples = await scrape(http)

    counted = {dict(labels)["operation"]: v for (name, labels), v in samples.items()
               if name == "hub_graphql_operations_total"}
    assert counted == {"First": 2, "Second": 1, "Third": 1, "other": 3}


async def test_the_store_is_up_while_it_answers(http: httpx.AsyncClient) -> None:
    assert value(await scrape(http), "hub_store_up") == 1
