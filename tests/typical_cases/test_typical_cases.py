"""The typical-case library over GraphQL: nominate, select or reject, search, and who may do and read what."""

from __future__ import annotations

from typing import Any

import httpx

from hub.audit.models import AuditEntry, Outcome
from hub.typical_cases.models import TypicalCase
from tests.conftest import TokenFor, act_as
from tests.graphql import first_error, gql
from tests.typical_cases.conftest import ResolvedCase, resolve_case

FIELDS = "id caseNo title facts process legalBasis lessons category status decisionReason decidedAt " \
         "nominatedBy { code } decidedBy { code } region { code }"
NOMINATE = f"""mutation($input: NominateTypicalCaseInput!) {{ nominateTypicalCase(input: $input) {{ {FIELDS} }} }}"""
SELECT = f"""mutation($id: ID!, $reason: String!) {{ selectTypicalCase(id: $id, reason: $reason) {{ {FIELDS} }} }}"""
REJECT = f"""mutation($id: ID!, $reason: String!) {{ rejectTypicalCase(id: $id, reason: $reason) {{ {FIELDS} }} }}"""
SEARCH = """query($category: Category, $keyword: String, $first: Int, $after: String) {
  typicalCases(category: $category, keyword: $keyword, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id title status } } }"""
ONE = """query($id: ID!) { typicalCase(id: $id) { id status } }"""
NOMINATIONS = """query($status: TypicalCaseStatus) { typicalCaseNominations(status: $status) { id status } }"""


def write_up(case: ResolvedCase, title: str | None = None) -> dict[str, Any]:
    """A write-up that names the parties and their identifiers in clear, as a first draft would."""
    return {
        "caseId": case.id,
        "title": title or f"{case.person_name}诉{case.company}欠薪调解案",
        "facts": f"{case.person_name}(身份证号{case.id_number},电话{case.phone},住{case.address})"
                 f"在{case.company}(统一社会信用代码{case.company_code})务工,被拖欠工资。联系人电话028-85551234。",
        "process": f"调解员约谈{case.person_name}与{case.company}负责人,释法说理。",
        "legalBasis": "《中华人民共和国劳动合同法》第三十条。",
        "lessons": "欠薪纠纷早介入、早化解。",
    }


async def error_code(http: httpx.AsyncClient, query: str, **variables: Any) -> str:
    return str((await first_error(http, query, **variables))["code"])


async def nominate(http: httpx.AsyncClient, token_for: TokenFor, case: ResolvedCase, **extra: Any) -> dict[str, Any]:
    act_as(http, token_for("PMC-A"))
    return (await gql(http, NOMINATE, input=write_up(case, **extra)))["nominateTypicalCase"]


async def selected(http: httpx.AsyncClient, token_for: TokenFor, case: ResolvedCase, **extra: Any) -> dict[str, Any]:
    entry = await nominate(http, token_for, case, **extra)
    act_as(http, token_for("CC-A"))
    return (await gql(http, SELECT, id=entry["id"], reason="调解方法可复制"))["selectTypicalCase"]


# --- nominating ---------------------------------------------------------------------------------


async def test_a_contributor_nominates_a_resolved_case_and_only_the_anonymised_text_is_kept(
    http: httpx.AsyncClient, token_for: TokenFor, resolved_case: ResolvedCase
) -> None:
    # given a case PMC-A settled; when PMC-A nominates it with a write-up naming the parties in clear
    entry = await nominate(http, token_for, resolved_case)

    # then it is NOMINATED, the parties read 张某 / 某公司 and no identifier is left, in the answer and in the store
    assert (entry["status"], entry["caseNo"], entry["nominatedBy"], entry["category"]) == (
        "NOMINATED", resolved_case.case_no, {"code": "PMC-A"}, "LABOUR")
    assert entry["title"] == "张某诉某公司欠薪调解案"
    assert entry["facts"].startswith("张某(身份证号××,电话××,住××)在某公司(统一社会信用代码××)")
    assert "028-85551234" not in entry["facts"]  # a landline nobody registered goes too
    [stored] = await TypicalCase.find_all().to_list()
    published = stored.model_dump_json()
    for secret in resolved_case.secrets:
        assert secret not in published and secret not in str(entry)


async def test_nominating_again_while_nominated_replaces_the_write_up(
    http: httpx.AsyncClient, token_for: TokenFor, resolved_case: ResolvedCase
) -> None:
    # given a nomination; when it is nominated again with another title
    first = await nominate(http, token_for, resolved_case)
    again = await nominate(http, token_for, resolved_case, title="一起欠薪纠纷的诉前化解")

    # then the same entry carries the new write-up
    assert again["id"] == first["id"] and again["title"] == "一起欠薪纠纷的诉前化解"
    assert await TypicalCase.find_all().count() == 1


async def test_a_case_not_resolved_cannot_be_nominated(
    http: httpx.AsyncClient, token_for: TokenFor, open_case: ResolvedCase
) -> None:
    # given a case still open; when its mediation committee nominates it; then BAD_USER_INPUT, nothing stored
    act_as(http, token_for("PMC-A"))
    assert await error_code(http, NOMINATE, input=write_up(open_case)) == "BAD_USER_INPUT"
    assert await TypicalCase.find_all().count() == 0


async def test_an_agency_with_no_part_in_the_case_may_not_nominate_it(
    http: httpx.AsyncClient, token_for: TokenFor, resolved_case: ResolvedCase
) -> None:
    # given a case the court had no part in; when the court nominates it
    act_as(http, token_for("COURT"))
    code = await error_code(http, NOMINATE, input=write_up(resolved_case))

    # then FORBIDDEN, audited as denied, nothing stored
    assert code == "FORBIDDEN"
    denied = await AuditEntry.find({"operation": "nominateTypicalCase"}).to_list()
    assert [(e.agency_code, e.outcome, e.target_ids) for e in denied] == [
        ("COURT", Outcome.DENIED, [resolved_case.id])]
    assert await TypicalCase.find_all().count() == 0


async def test_a_coordination_centre_above_the_case_may_nominate_it(
    http: httpx.AsyncClient, token_for: TokenFor, resolved_case: ResolvedCase
) -> None:
    # given the district centre, which sees every case of the district; when it nominates the case; then it is stored
    act_as(http, token_for("CC"))
    entry = (await gql(http, NOMINATE, input=write_up(resolved_case)))["nominateTypicalCase"]
    assert (entry["status"], entry["nominatedBy"]) == ("NOMINATED", {"code": "CC"})


# --- selecting ----------------------------------------------------------------------------------


async def test_the_township_centre_selects_a_nomination_of_its_township(
    http: httpx.AsyncClient, token_for: TokenFor, resolved_case: ResolvedCase
) -> None:
    # given a nomination in township A; when township A's centre selects it
    entry = await selected(http, token_for, resolved_case)

    # then it is SELECTED with the reason, by whom and when; and the act is audited
    assert (entry["status"], entry["decisionReason"], entry["decidedBy"]) == ("SELECTED", "调解方法可复制", {"code": "CC-A"})
    assert entry["decidedAt"]
    ops = {(e.operation, e.agency_code) for e in await AuditEntry.find({"outcome": "OK"}).to_list()}
    assert {("nominateTypicalCase", "PMC-A"), ("selectTypicalCase", "CC-A")} <= ops


async def test_the_district_centre_rejects_a_nomination_and_a_decided_one_stays_decided(
    http: httpx.AsyncClient, token_for: TokenFor, resolved_case: ResolvedCase
) -> None:
    # given a nomination; when the district centre rejects it
    entry = await nominate(http, token_for, resolved_case)
    act_as(http, token_for("CC"))
    rejected = (await gql(http, REJECT, id=entry["id"], reason="典型性不足"))["rejectTypicalCase"]

    # then it is REJECTED; selecting it now, or nominating the case again, is BAD_USER_INPUT
    assert (rejected["status"], rejected["decisionReason"], rejected["decidedBy"]) == ("REJECTED", "典型性不足", {"code": "CC"})
    assert await error_code(http, SELECT, id=entry["id"], reason="再议") == "BAD_USER_INPUT"
    act_as(http, token_for("PMC-A"))
    assert await error_code(http, NOMINATE, input=write_up(resolved_case)) == "BAD_USER_INPUT"


async def test_a_centre_of_another_township_may_not_select(
    http: httpx.AsyncClient, token_for: TokenFor, resolved_case: ResolvedCase
) -> None:
    # given a nomination in township A; when township B's centre selects it; then FORBIDDEN and still NOMINATED
    entry = await nominate(http, token_for, resolved_case)
    act_as(http, token_for("CC-B"))
    assert await error_code(http, SELECT, id=entry["id"], reason="好") == "FORBIDDEN"
    assert (await TypicalCase.find_all().to_list())[0].status == "NOMINATED"


async def test_the_nominating_agency_may_not_select_its_own_nomination(
    http: httpx.AsyncClient, token_for: TokenFor, resolved_case: ResolvedCase
) -> None:
    # given PMC-A's nomination; when PMC-A selects or rejects it; then FORBIDDEN, audited as denied
    entry = await nominate(http, token_for, resolved_case)
    assert await error_code(http, SELECT, id=entry["id"], reason="好") == "FORBIDDEN"
    assert await error_code(http, REJECT, id=entry["id"], reason="差") == "FORBIDDEN"
    denied = await AuditEntry.find({"outcome": "DENIED"}).to_list()
    assert sorted(e.operation for e in denied) == ["rejectTypicalCase", "selectTypicalCase"]


async def test_deciding_an_unknown_entry_is_not_found(http: httpx.AsyncClient, token_for: TokenFor,
                                                      resolved_case: ResolvedCase) -> None:
    # given no entry with the id; when the district centre selects it; then NOT_FOUND
    entry = await nominate(http, token_for, resolved_case)
    await TypicalCase.find_all().delete()
    act_as(http, token_for("CC"))
    assert await error_code(http, SELECT, id=entry["id"], reason="好") == "NOT_FOUND"


# --- reading ------------------------------------------------------------------------------------


async def test_every_agency_searches_the_selected_cases_by_keyword_and_category(
    http: httpx.AsyncClient, token_for: TokenFor, district: object
) -> None:
    # given two selected cases and one only nominated
    wages = await selected(http, token_for, await resolve_case(), title="ABC欠薪调解案(一)")
    await selected(http, token_for, await resolve_case(person_name="王芳"), title="劳务费调解案(二)")
    await nominate(http, token_for, await resolve_case(person_name="赵强"), title="ABC未入选")

    # when the court, which had no part in any of them, searches the library
    act_as(http, token_for("COURT"))
    everything = (await gql(http, SEARCH))["typicalCases"]
    by_keyword = (await gql(http, SEARCH, keyword="abc"))["typicalCases"]
    by_name = (await gql(http, SEARCH, keyword="王芳"))["typicalCases"]
    odd = (await gql(http, SEARCH, keyword="(.*"))["typicalCases"]
    other_category = (await gql(http, SEARCH, category="NEIGHBOUR"))["typicalCases"]
    page = (await gql(http, SEARCH, first=1))["typicalCases"]
    rest = (await gql(http, SEARCH, first=1, after=page["pageInfo"]["endCursor"]))["typicalCases"]

    # then it finds only the selected ones, latest selected first, matched case-insensitively, never by a party's name
    assert [n["title"] for n in everything["nodes"]] == ["劳务费调解案(二)", "ABC欠薪调解案(一)"]
    assert everything["totalCount"] == 2 and {n["status"] for n in everything["nodes"]} == {"SELECTED"}
    assert [n["id"] for n in by_keyword["nodes"]] == [wages["id"]] and by_keyword["totalCount"] == 1
    assert by_name["nodes"] == [] and odd["nodes"] == [] and other_category["nodes"] == []
    assert page["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
    assert [n["title"] for n in page["nodes"] + rest["nodes"]] == [n["title"] for n in everything["nodes"]]
    assert await AuditEntry.find({"operation": "typicalCases", "agency_code": "COURT"}).count() >= 1


async def test_a_nomination_not_selected_is_read_by_its_nominator_and_the_region_centres_only(
    http: httpx.AsyncClient, token_for: TokenFor, resolved_case: ResolvedCase
) -> None:
    # given a nomination of PMC-A in township A
    entry = await nominate(http, token_for, resolved_case)

    # then the nominator and township A's centre read it and list it; township B's centre and the court do not
    for agency in ("PMC-A", "CC-A", "CC"):
        act_as(http, token_for(agency))
        assert (await gql(http, ONE, id=entry["id"]))["typicalCase"]["status"] == "NOMINATED", agency
        assert [n["id"] for n in (await gql(http, NOMINATIONS))["typicalCaseNominations"]] == [entry["id"]], agency
    for agency in ("CC-B", "COURT"):
        act_as(http, token_for(agency))
        assert await error_code(http, ONE, id=entry["id"]) == "FORBIDDEN", agency
        assert (await gql(http, NOMINATIONS))["typicalCaseNominations"] == [], agency

    # and once selected, the court reads it too
    act_as(http, token_for("CC-A"))
    await gql(http, SELECT, id=entry["id"], reason="入选")
    act_as(http, token_for("COURT"))
    assert (await gql(http, ONE, id=entry["id"]))["typicalCase"]["status"] == "SELECTED"
    act_as(http, token_for("CC-A"))
    assert (await gql(http, NOMINATIONS))["typicalCaseNominations"] == []
    assert [n["status"] for n in (await gql(http, NOMINATIONS, status="SELECTED"))["typicalCaseNominations"]] == [
        "SELECTED"]
