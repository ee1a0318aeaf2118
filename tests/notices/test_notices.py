"""Supervision notices over GraphQL: the figures, who may draft, comment, publish and read, freezing, bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hub.audit.models import AuditEntry, Outcome
from hub.errors import Conflict
from hub.notices import service as notice_service
from hub.notices.models import SupervisionNotice
from schema.relay import object_id
from tests.conftest import TokenFor, act_as
from tests.factories import DISTRICT, TOWNSHIP_A, TOWNSHIP_B
from tests.notices.conftest import (
    COMMENT, DRAFT, LIST, MARCH, MARCH_CLEARED_AT, ONE, PUBLISH, REFRESH, clear_enrolment, error, gql,
    resolved_case_in_b, unit,
)


async def draft(http: httpx.AsyncClient, **input: Any) -> dict[str, Any]:
    return (await gql(http, DRAFT, input={"region": DISTRICT, "period": MARCH, **input}))["draftSupervisionNotice"]


async def comment_all(http: httpx.AsyncClient, notice: dict[str, Any]) -> dict[str, Any]:
    for u in notice["townships"] + notice["agencies"]:
        notice = (await gql(http, COMMENT, id=notice["id"], unit=u["code"], comment=f"{u['name']}:继续努力"))[
            "commentOnNoticeUnit"]
    return notice


async def published(http: httpx.AsyncClient, **input: Any) -> dict[str, Any]:
    notice = await comment_all(http, await draft(http, **input))
    return (await gql(http, PUBLISH, id=notice["id"]))["publishSupervisionNotice"]


# --- the figures ----------------------------------------------------------------------------------


async def test_a_draft_ranks_the_townships_on_every_indicator(http: httpx.AsyncClient, march: object) -> None:
    await clear_enrolment(township=TOWNSHIP_B, unit_code="PMC-B", at=MARCH_CLEARED_AT)
    notice = await draft(http)

    assert (notice["title"], notice["status"], notice["periodFrom"], notice["periodTo"]) == (
        "清河区矛盾纠纷多元化解工作督查通报(2026年3月)", "DRAFT", "2026-03-01", "2026-03-31")
    assert (notice["region"], notice["createdBy"], notice["agencies"]) == ({"code": DISTRICT}, {"code": "CC"}, [])
    assert [i["indicator"] for i in notice["indicators"]] == [
        "SCREENINGS_REPORTED", "RESOLUTION_RATE", "MEDIAN_DAYS_TO_RESOLUTION", "BACKLOG_CLEARED", "OVERDUE_HANDOVERS",
        "ESCALATED_PETITIONS_PER_100", "TRAINING_HOURS"]
    a, b = unit(notice, TOWNSHIP_A), unit(notice, TOWNSHIP_B)
    assert a["by"] == {"SCREENINGS_REPORTED": 1, "RESOLUTION_RATE": 1.0, "MEDIAN_DAYS_TO_RESOLUTION": 4,
                       "BACKLOG_CLEARED": 0, "OVERDUE_HANDOVERS": 1, "ESCALATED_PETITIONS_PER_100": 0,
                       "TRAINING_HOURS": 8}
    assert b["by"] == {"SCREENINGS_REPORTED": 0, "RESOLUTION_RATE": 0.5, "MEDIAN_DAYS_TO_RESOLUTION": 10,
                       "BACKLOG_CLEARED": 1, "OVERDUE_HANDOVERS": 0, "ESCALATED_PETITIONS_PER_100": 0,
                       "TRAINING_HOURS": 2}  # April's 10 hours are not March's
    # A best on screenings, rate, median, training (15+25+15+10), B on backlog and handovers (15+10), equal on petitions
    assert (a["score"], a["rank"]) == (75.0, 1)
    assert (b["score"], b["rank"]) == (35.0, 2)
    assert [t["code"] for t in notice["townships"]] == [TOWNSHIP_A, TOWNSHIP_B]


async def test_agencies_are_ranked_when_asked(http: httpx.AsyncClient, march: object) -> None:
    await clear_enrolment(township=TOWNSHIP_B, unit_code="PMC-B", at=MARCH_CLEARED_AT)
    notice = await draft(http, rankAgencies=True)
    codes = {u["code"] for u in notice["agencies"]}
    assert {"PMC-A", "PMC-B", "HRSS", "COURT"} <= codes and not codes & {"CC", "CC-A", "CC-B"}
    hrss, pmc_b, court = unit(notice, "HRSS"), unit(notice, "PMC-B"), unit(notice, "COURT")
    assert hrss["by"]["OVERDUE_HANDOVERS"] == 1  # the handover it has not taken up
    assert pmc_b["by"]["BACKLOG_CLEARED"] == 1 and pmc_b["by"]["TRAINING_HOURS"] == 2
    assert court["by"]["TRAINING_HOURS"] is None and court["by"]["RESOLUTION_RATE"] is None  # left out, not zero
    assert all(u["kind"] == "AGENCY" for u in notice["agencies"])


async def test_a_township_centre_drafts_its_own_township(http: httpx.AsyncClient, token_for: TokenFor,
                                                         march: object) -> None:
    act_as(http, token_for("CC-A"))
    notice = await draft(http, region=TOWNSHIP_A, period=None, **{"from": "2026-03-01", "to": "2026-03-15"})
    assert notice["title"] == "柳林镇矛盾纠纷多元化解工作督查通报(2026-03-01至2026-03-15)"
    assert [(t["code"], t["rank"], t["score"]) for t in notice["townships"]] == [(TOWNSHIP_A, 1, 100.0)]


# --- who may do what ------------------------------------------------------------------------------


@pytest.mark.parametrize("agency", ["CC-A", "COURT", "PMC-A", "JB"])
async def test_only_a_centre_at_or_above_the_region_drafts(http: httpx.AsyncClient, token_for: TokenFor,
                                                           march: object, agency: str) -> None:
    act_as(http, token_for(agency))
    found = await error(http, DRAFT, input={"region": DISTRICT, "period": MARCH})
    assert found["code"] == "FORBIDDEN"
    assert await SupervisionNotice.find_all().count() == 0
    denied = await AuditEntry.find({"operation": "draftSupervisionNotice", "outcome": Outcome.DENIED.value}).count()
    assert denied == 1


async def test_drafts_are_for_the_centres_published_notices_for_the_region(
    http: httpx.AsyncClient, token_for: TokenFor, march: object
) -> None:
    notice = await draft(http)
    for agency in ("CC-A", "PMC-A", "COURT"):
        act_as(http, token_for(agency))
        assert (await error(http, ONE, id=notice["id"]))["code"] == "FORBIDDEN"
        assert (await gql(http, LIST))["supervisionNotices"] == []
        assert (await error(http, COMMENT, id=notice["id"], unit=TOWNSHIP_A, comment="好"))["code"] == "FORBIDDEN"
        assert (await error(http, PUBLISH, id=notice["id"]))["code"] == "FORBIDDEN"
    act_as(http, token_for("CC-B"))
    assert (await error(http, REFRESH, id=notice["id"]))["code"] == "FORBIDDEN"

    act_as(http, token_for("CC"))
    await comment_all(http, notice)
    await gql(http, PUBLISH, id=notice["id"])
    for agency in ("CC-A", "PMC-A", "COURT", "HRSS"):  # every agency whose region lies in the district
        act_as(http, token_for(agency))
        assert (await gql(http, ONE, id=notice["id"]))["supervisionNotice"]["status"] == "PUBLISHED"
        assert [n["id"] for n in (await gql(http, LIST, region=DISTRICT))["supervisionNotices"]] == [notice["id"]]
        assert (await gql(http, LIST, status="DRAFT"))["supervisionNotices"] == []


async def test_a_township_notice_is_not_for_the_other_township(http: httpx.AsyncClient, token_for: TokenFor,
                                                               march: object) -> None:
    act_as(http, token_for("CC-A"))
    notice = await published(http, region=TOWNSHIP_A)
    act_as(http, token_for("PMC-A"))
    assert (await gql(http, ONE, id=notice["id"]))["supervisionNotice"]["id"] == notice["id"]
    for agency in ("PMC-B", "CC-B"):
        act_as(http, token_for(agency))
        assert (await error(http, ONE, id=notice["id"]))["code"] == "FORBIDDEN"
        assert (await gql(http, LIST))["supervisionNotices"] == []
    act_as(http, token_for("CC"))  # the district centre above it reads it, and may manage it
    assert [n["id"] for n in (await gql(http, LIST, region=TOWNSHIP_A))["supervisionNotices"]] == [notice["id"]]


# --- freezing -------------------------------------------------------------------------------------


async def test_a_published_notice_is_frozen_while_a_new_draft_sees_the_new_data(
    http: httpx.AsyncClient, march: object
) -> None:
    notice = await published(http, rankAgencies=True)
    assert notice["publishedBy"] == {"code": "CC"} and notice["publishedAt"]
    report_before = (await http.get(notice["reportUrl"])).text

    # data arrives later about March: another settled case and a cleared backlog case in township B
    await resolved_case_in_b("late")
    await clear_enrolment(township=TOWNSHIP_B, unit_code="PMC-B", at=MARCH_CLEARED_AT)

    again = (await gql(http, ONE, id=notice["id"]))["supervisionNotice"]
    assert again == notice
    report_after = (await http.get(notice["reportUrl"])).text
    strip = lambda html: html.split("生成时间")[0]  # noqa: E731  (the page's own print time aside)
    assert strip(report_after) == strip(report_before)

    fresh = await draft(http, rankAgencies=True)
    b_then, b_now = unit(notice, TOWNSHIP_B), unit(fresh, TOWNSHIP_B)
    assert (b_then["by"]["RESOLUTION_RATE"], b_now["by"]["RESOLUTION_RATE"]) == (0.5, pytest.approx(2 / 3, abs=1e-4))
    assert (b_then["by"]["BACKLOG_CLEARED"], b_now["by"]["BACKLOG_CLEARED"]) == (0, 1)
    assert unit(fresh, "PMC-B")["by"]["BACKLOG_CLEARED"] == 1 and unit(notice, "PMC-B")["by"]["BACKLOG_CLEARED"] == 0

    for mutation, extra in ((REFRESH, {}), (COMMENT, {"unit": TOWNSHIP_A, "comment": "改一下"}), (PUBLISH, {})):
        refused = await error(http, mutation, id=notice["id"], **extra)
        assert (refused["code"], refused["field"], refused["reason"]) == ("BAD_USER_INPUT", "id", "NOTICE_PUBLISHED")
        assert "frozen" in refused["message"]
    assert (await gql(http, ONE, id=notice["id"]))["supervisionNotice"] == notice


async def test_refreshing_a_draft_recomputes_and_keeps_the_comments(http: httpx.AsyncClient, march: object) -> None:
    notice = await draft(http)
    notice = (await gql(http, COMMENT, id=notice["id"], unit=TOWNSHIP_B, comment="积案化解需加快"))["commentOnNoticeUnit"]
    assert unit(notice, TOWNSHIP_B)["by"]["BACKLOG_CLEARED"] == 0
    await clear_enrolment(township=TOWNSHIP_B, unit_code="PMC-B", at=MARCH_CLEARED_AT)
    refreshed = (await gql(http, REFRESH, id=notice["id"]))["refreshSupervisionNotice"]
    b = unit(refreshed, TOWNSHIP_B)
    assert (b["by"]["BACKLOG_CLEARED"], b["comment"], refreshed["status"]) == (1, "积案化解需加快", "DRAFT")
    assert unit(refreshed, TOWNSHIP_A)["comment"] is None


async def test_two_edits_of_one_draft_the_second_gets_conflict(http: httpx.AsyncClient, march: object) -> None:
    notice = await draft(http)
    oid = object_id(notice["id"], "SupervisionNotice")
    first, second = await notice_service.get(notice_id=oid), await notice_service.get(notice_id=oid)
    assert first is not None and second is not None
    first.units[0].comment = "甲"
    await notice_service._save(first)
    second.units[0].comment = "乙"
    with pytest.raises(Conflict):
        await notice_service._save(second)
    assert unit((await gql(http, ONE, id=notice["id"]))["supervisionNotice"], TOWNSHIP_A)["comment"] == "甲"


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("input", "field"), [
    ({"region": "999999", "period": MARCH}, "region"),
    ({"region": DISTRICT, "period": "2026-13"}, "period"),
    ({"region": DISTRICT, "period": "March"}, "period"),
    ({"region": DISTRICT}, "period"),
    ({"region": DISTRICT, "period": MARCH, "from": "2026-03-01", "to": "2026-03-31"}, "period"),
    ({"region": DISTRICT, "from": "2026-03-31", "to": "2026-03-01"}, "to"),
    ({"region": DISTRICT, "from": "2025-01-01", "to": "2026-03-01"}, "to"),
    ({"region": DISTRICT, "period": "2099-01"}, "period"),
    ({"region": DISTRICT, "period": MARCH, "title": "  "}, "title"),
    ({"region": "510199001001", "period": MARCH}, "region"),  # a village: no township to rank
])
async def test_a_bad_draft_is_refused_with_its_field_and_nothing_is_stored(
    http: httpx.AsyncClient, march: object, input: dict[str, Any], field: str
) -> None:
    refused = await error(http, DRAFT, input=input)
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", field), refused
    assert await SupervisionNotice.find_all().count() == 0


async def test_bad_comments_and_publishing_are_refused_and_nothing_is_lost(http: httpx.AsyncClient,
                                                                          march: object) -> None:
    notice = (await gql(http, COMMENT, id=(await draft(http))["id"], unit=TOWNSHIP_A, comment="成绩突出"))[
        "commentOnNoticeUnit"]
    for unit_code, text, field in ((TOWNSHIP_B, "   ", "comment"), (TOWNSHIP_B, "长" * 1001, "comment"),
                                   ("510199009", "好", "unitCode")):
        refused = await error(http, COMMENT, id=notice["id"], unit=unit_code, comment=text)
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", field)
    missing = await error(http, PUBLISH, id=notice["id"])
    assert (missing["code"], missing["reason"]) == ("BAD_USER_INPUT", "COMMENTS_MISSING")
    assert "清河街道" in missing["message"]
    assert (await gql(http, ONE, id=notice["id"]))["supervisionNotice"] == notice  # unchanged, comment kept

    assert (await error(http, ONE, id="U3VwZXJ2aXNpb25Ob3RpY2U6NjUwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"))["code"] == "NOT_FOUND"
    assert (await error(http, ONE, id="not-an-id"))["code"] == "BAD_USER_INPUT"
    assert (await error(http, LIST, region="999999"))["code"] == "BAD_USER_INPUT"


async def test_publishing_twice_is_refused(http: httpx.AsyncClient, march: object) -> None:
    notice = await published(http)
    refused = await error(http, PUBLISH, id=notice["id"])
    assert (refused["code"], refused["reason"]) == ("BAD_USER_INPUT", "NOTICE_PUBLISHED")
    stored = await notice_service.get(notice_id=object_id(notice["id"], "SupervisionNotice"))
    assert stored is not None and stored.published_at is not None
    assert stored.published_at.isoformat()[:19] == notice["publishedAt"][:19]
