"""The people's console, as its users work it, in Debian's Chromium with every outside address refused."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from io import BytesIO
from typing import Any

import httpx
import openpyxl
from playwright.async_api import Page, expect

from schema.relay import to_global_id
from seeds.generator import iter_batches
from tests.console.conftest import SCALE, DemoHub, sign_in

CC, PETITION_BUREAU, VILLAGE_PMC, LAWYERS = "QH-CC", "QH-XFJ", "QH-PMC-01-001", "QH-LSTJ"


def first_escalated_petitioner() -> dict[str, Any]:
    """The README's example: the petitioner of the demo's first escalated petition."""
    return next(p for b in iter_batches(scale=SCALE) for r in b["records"]
                if r["kind"] == "PETITION" and r["details"]["escalated"] for p in r["parties"] if p["role"] == "PETITIONER")


def case_with_channels(demo_hub: DemoHub, at_least: int) -> dict[str, Any]:
    """A demo case whose records came through several channels."""
    with demo_hub.db() as client:
        return client[demo_hub.database].cases.find_one({f"channels.{at_least - 1}": {"$exists": True}},
                                                        {"case_no": 1, "channels": 1, "agencies": 1})


async def select_option(page: Page, test_id: str, text: str) -> None:
    """Pick `text` in an Element Plus select."""
    await page.get_by_test_id(test_id).click()
    await page.locator(".el-select-dropdown__item:visible", has_text=text).first.click()


async def test_sign_in_shows_the_agency_and_the_expiry_then_sign_out(page: Page, demo_hub: DemoHub, shot: Any) -> None:
    await page.goto(f"{demo_hub.base}/console/")
    await expect(page).to_have_url(f"{demo_hub.base}/console/login?next=/cases")
    await shot(page, "sign-in")

    await sign_in(page, demo_hub, demo_hub.token(CC, user="张秘书", ttl=timedelta(hours=8)))

    who = page.get_by_test_id("who")
    await expect(who).to_contain_text("清河区大调解协调中心")
    await expect(who).to_contain_text("张秘书")
    await expect(page.get_by_test_id("expiry")).to_contain_text("令牌剩余 7小时")
    await page.get_by_test_id("sign-out").click()
    await expect(page.get_by_test_id("notice")).to_contain_text("已退出登录")
    await page.goto(f"{demo_hub.base}/console/cases")
    await expect(page).to_have_url(f"{demo_hub.base}/console/login?next=/cases")


async def test_a_bad_token_is_refused_with_the_reason(page: Page, demo_hub: DemoHub) -> None:
    await page.goto(f"{demo_hub.base}/console/login")
    await page.get_by_test_id("token").fill("not-a-token")
    await page.get_by_test_id("sign-in").click()
    await expect(page.locator(".el-form-item__error")).to_contain_text("登录失败：the token is malformed")


async def test_an_expired_session_goes_back_to_sign_in_with_a_message(page: Page, demo_hub: DemoHub) -> None:
    await sign_in(page, demo_hub, demo_hub.token(CC, ttl=timedelta(seconds=6)))
    await expect(page.get_by_test_id("results")).to_contain_text("案件编号")
    await asyncio.sleep(6.5)
    await page.get_by_role("menuitem", name="分析研判").click()
    await expect(page.get_by_test_id("notice")).to_contain_text("登录已过期")
    await expect(page).to_have_url(f"{demo_hub.base}/console/login?next=/analysis")


async def test_petition_bureau_sees_the_petitioners_prior_mediation_masked(page: Page, demo_hub: DemoHub,
                                                                          shot: Any) -> None:
    petitioner = first_escalated_petitioner()
    await sign_in(page, demo_hub, demo_hub.token(PETITION_BUREAU, user="窗口接待员"), at="/console/lookup")
    await page.get_by_test_id("id-number").fill(petitioner["idNumber"])
    await page.get_by_test_id("search").click()

    person_id = page.get_by_test_id("person-id").first
    await expect(person_id).to_contain_text("*")
    assert petitioner["idNumber"] not in await page.content()
    prior = page.get_by_test_id("prior-mediation")
    await expect(prior).to_contain_text("首次信访前的基层调解")
    entries = prior.get_by_test_id("timeline-entry")
    assert await entries.count() > 0
    channels = {await e.get_attribute("data-channel") for e in await entries.all()}
    assert "PETITION" not in channels and channels <= {"PEOPLES", "ADMINISTRATIVE", "JUDICIAL", "SOCIAL"}
    assert await prior.get_by_test_id("entry-agency").first.inner_text()  # each entry names who wrote it
    await expect(page.get_by_test_id("by-channel")).to_contain_text("信访")
    await shot(page, "person-lookup")


async def test_the_lookup_is_not_offered_to_other_agencies(page: Page, demo_hub: DemoHub) -> None:
    await sign_in(page, demo_hub, demo_hub.token(CC), at="/console/lookup")
    await expect(page.get_by_test_id("denied")).to_contain_text("当事人查询仅供信访部门")
    await expect(page.get_by_role("menuitem", name="分析研判")).to_be_visible()  # the menu is there, without 当事人查询
    await expect(page.get_by_role("menuitem", name="当事人查询")).to_have_count(0)


async def test_a_case_timeline_filtered_by_channel(page: Page, demo_hub: DemoHub, shot: Any) -> None:
    case = case_with_channels(demo_hub, at_least=3)
    await sign_in(page, demo_hub, demo_hub.token(CC), at=f"/console/cases/{case['case_no']}")
    timeline = page.get_by_test_id("case-timeline")
    await expect(page.get_by_test_id("case-title")).not_to_be_empty()
    entries = timeline.get_by_test_id("timeline-entry")
    await expect(entries.first).to_be_visible()
    before = {await e.get_attribute("data-channel") for e in await entries.all()}
    assert len(before) >= 3
    await shot(page, "case-view")

    await select_option(page, "t-channel", "信访" if "PETITION" in before else "人民调解")
    wanted = "PETITION" if "PETITION" in before else "PEOPLES"
    await expect(timeline).to_contain_text("全部记录")
    await expect(timeline.locator(f"[data-test=timeline-entry]:not([data-channel={wanted}])")).to_have_count(0)
    await expect(entries.first).to_be_visible()
    after = {await e.get_attribute("data-channel") for e in await entries.all()}
    assert after == {wanted}


async def test_an_agency_that_may_not_see_a_case_gets_a_sentence(page: Page, demo_hub: DemoHub, shot: Any) -> None:
    with demo_hub.db() as client:
        case = client[demo_hub.database].cases.find_one(
            {"agencies": {"$ne": LAWYERS}, "lead_agency_code": {"$ne": LAWYERS}, "handed_to": {"$ne": LAWYERS}})
    await sign_in(page, demo_hub, demo_hub.token(LAWYERS), at=f"/console/cases/{case['case_no']}")
    denied = page.get_by_test_id("denied")
    await expect(denied).to_contain_text("本单位无权查看此案件")
    await expect(page.get_by_test_id("case-title")).to_have_count(0)
    await shot(page, "case-denied")


async def test_a_summary_draws_its_charts_and_exports_excel(page: Page, demo_hub: DemoHub, shot: Any) -> None:
    await sign_in(page, demo_hub, demo_hub.token(CC), at="/console/analysis")
    chart = page.get_by_test_id("chart-townships")
    await expect(chart.locator("svg path").nth(10)).to_be_attached()  # bars drawn, not an empty frame
    for name in ("chart-categories", "chart-trend", "chart-rates"):
        await expect(page.get_by_test_id(name).locator("svg path").nth(3)).to_be_attached()
    table_rows = page.get_by_test_id("summary-table").locator(".el-table__body tr")
    await expect(table_rows.first).to_be_visible()
    groups = await table_rows.count()
    await expect(page.get_by_test_id("warnings")).to_contain_text("最严重在前")
    await shot(page, "analysis")

    async with page.expect_download() as download_info:
        await page.get_by_test_id("export").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(BytesIO(open(await download.path(), "rb").read()), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert "纠纷" in rows[0]
    assert len(rows) == 1 + groups + 1  # the header, one row per group, the total


async def test_a_grid_worker_submits_a_screening_on_a_phone(browser: Any, demo_hub: DemoHub, offline: Any,
                                                            shot: Any) -> None:
    phone = await browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    await phone.route("**/*", lambda route: route.continue_() if route.request.url.startswith(demo_hub.base)
                      else (offline.refused.append(route.request.url), route.abort())[1])
    page = await phone.new_page()
    try:
        await sign_in(page, demo_hub, demo_hub.token(VILLAGE_PMC, user="周网格员"), at="/console/screening")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        await page.get_by_test_id("s-title").fill("桃源村两户宅基地边界纠纷")
        await page.get_by_test_id("s-summary").fill("网格员走访发现两户因围墙边界发生争吵")
        await page.get_by_test_id("p0-name").fill("王小明")
        await page.get_by_test_id("p0-id").fill("510199198503120018")  # check digit should be 7
        await page.get_by_test_id("p1-name").fill("李大华")
        await page.get_by_test_id("s-submit").click()

        id_item = page.locator(".el-form-item", has=page.get_by_test_id("p0-id"))
        await expect(id_item.locator(".el-form-item__error")).to_contain_text("身份证号校验位不符")
        await shot(page, "screening-error")
        with demo_hub.db() as client:
            assert client[demo_hub.database].records.count_documents({"source_system": "HUB-CONSOLE"}) == 0

        await page.get_by_test_id("p0-id").fill("510199198503120017")
        await page.get_by_test_id("s-submit").click()
        done = page.get_by_test_id("screening-done")
        await expect(done).to_contain_text("已登记")
        await shot(page, "screening")
        case_no = (await done.inner_text()).split("案件编号")[1].split()[0]
        with demo_hub.db() as client:
            landed = client[demo_hub.database].records.find_one({"source_system": "HUB-CONSOLE"})
            assert landed is not None and landed["kind"] == "SCREENING"
            assert client[demo_hub.database].cases.find_one({"case_no": case_no})["title"] == "桃源村两户宅基地边界纠纷"
    finally:
        await phone.close()
    assert offline.refused == []


async def test_a_secretary_schedules_a_meeting_sets_its_agenda_and_completes_a_decision(
        page: Page, demo_hub: DemoHub, shot: Any) -> None:
    case = case_with_channels(demo_hub, at_least=2)
    await sign_in(page, demo_hub, demo_hub.token(CC, user="张秘书"), at="/console/meetings")
    await expect(page.get_by_test_id("meetings")).to_contain_text("联席会议")  # the demo's two meetings
    await page.get_by_test_id("schedule").click()
    await page.get_by_test_id("m-title").fill("清河区矛盾纠纷化解联席会议（测试）")
    await select_option(page, "m-participants", "清河区信访局")
    await page.keyboard.press("Escape")
    await page.get_by_test_id("m-save").click()
    await expect(page.get_by_test_id("meeting-title")).to_have_text("清河区矛盾纠纷化解联席会议（测试）")

    await page.get_by_test_id("agenda-case").fill(case["case_no"])
    await page.get_by_test_id("agenda-add").click()
    await expect(page.get_by_test_id("agenda")).to_contain_text(case["case_no"])

    await page.get_by_test_id("decision-text").fill("由区信访局牵头，十日内答复信访人")
    await select_option(page, "decision-owner", "清河区信访局")
    await page.get_by_test_id("decision-save").click()
    decisions = page.get_by_test_id("decisions")
    await expect(decisions).to_contain_text("十日内答复信访人")
    await page.get_by_test_id("decision-complete").click()
    await expect(page.get_by_test_id("decision-done")).to_contain_text("已办结")
    await expect(page.get_by_test_id("brief")).to_have_attribute("href", re.compile(r"^/reports/brief\?meeting="))
    await shot(page, "meeting")



async def test_a_centre_follows_a_campaign_and_clears_a_case_a_unit_sees_its_own(
        page: Page, demo_hub: DemoHub, shot: Any) -> None:
    with demo_hub.db() as client:
        db = client[demo_hub.database]
        enrolled = db.campaign_enrolments.count_documents({})
        open_enrolments = db.campaign_enrolments.count_documents({"cleared": False})
    assert enrolled and open_enrolments

    await sign_in(page, demo_hub, demo_hub.token(CC, user="攻坚办"), at="/console/campaigns")
    kpis = page.get_by_test_id("campaign-kpis")
    await expect(kpis).to_contain_text(f"纳入清仓{enrolled}")
    await expect(page.get_by_test_id("chart-clearance").locator("svg path").nth(3)).to_be_attached()
    await expect(page.get_by_test_id("by-township").locator(".el-table__body tr").first).to_be_visible()
    rows = page.get_by_test_id("enrolments").locator(".el-table__body tr")
    await expect(rows).to_have_count(min(open_enrolments, 50))
    await shot(page, "campaign")

    # clear the first open case, with a reason the hub refuses first (a note is required)
    await rows.first.get_by_test_id("clear").click()
    await select_option(page, "c-outcome", "依法终结")
    await page.get_by_test_id("c-save").click()
    await expect(page.get_by_test_id("c-error")).to_contain_text("note")
    await page.get_by_test_id("c-note").fill("依法作出终结处理")
    await page.get_by_test_id("c-save").click()
    await expect(rows).to_have_count(min(open_enrolments - 1, 50))
    await expect(kpis).to_contain_text("已消案")
    with demo_hub.db() as client:
        assert client[demo_hub.database].campaign_enrolments.count_documents({"cleared": False}) == open_enrolments - 1

    async with page.expect_download() as download_info:
        await page.get_by_test_id("campaign-export").click()
    workbook = openpyxl.load_workbook(BytesIO(open(await (await download_info.value).path(), "rb").read()), read_only=True)
    sheet = list(workbook["清仓台账"].iter_rows(values_only=True))
    assert sheet[0][0] == "案件编号" and len(sheet) == 1 + enrolled

    # a responsible unit (a township's, so below the district's campaign) sees only the cases it answers for
    with demo_hub.db() as client:
        db = client[demo_hub.database]
        township_units = {a["code"] for a in db.agencies.find({"region_code": {"$ne": "510199"}}, {"code": 1})}
        unit = next(e["unit_code"] for e in db.campaign_enrolments.find({"cleared": False}).sort("case_no", 1)
                    if e.get("unit_code") in township_units)
        own = db.campaign_enrolments.count_documents({"cleared": False, "unit_code": unit})
    await page.context.clear_cookies()
    await sign_in(page, demo_hub, demo_hub.token(unit), at="/console/campaigns")
    await expect(page.get_by_text("本单位包案任务")).to_be_visible()
    await expect(rows).to_have_count(own)
    await expect(page.get_by_test_id("assign")).to_have_count(0)
    await expect(page.get_by_test_id("enrol")).to_have_count(0)


async def test_a_centre_comments_on_each_township_and_publishes_a_notice_agencies_read_it(
        page: Page, demo_hub: DemoHub, shot: Any) -> None:
    await sign_in(page, demo_hub, demo_hub.token(CC, user="督查室"), at="/console/notices")
    await page.get_by_test_id("draft").click()
    await page.get_by_test_id("d-save").click()  # this month, townships only
    status = page.get_by_test_id("notice-status")
    await expect(status).to_have_text("草稿")
    ranking = page.get_by_test_id("township-ranking").locator(".el-table__body tr")
    await expect(ranking.first).to_be_visible()
    townships = await ranking.count()
    await expect(page.get_by_test_id("chart-scores").locator("svg path").nth(3)).to_be_attached()
    await expect(page.get_by_test_id("publish")).to_be_disabled()  # no 点评 yet

    for n in range(townships):
        await ranking.nth(n).get_by_test_id("comment").click()
        await page.get_by_test_id("comment-text").fill(f"第{n + 1}名，继续保持排查力度")
        await page.get_by_test_id("comment-save").click()
        await expect(ranking.nth(n)).to_contain_text(f"第{n + 1}名")
    await page.get_by_test_id("publish").click()
    await expect(status).to_have_text("已发布")
    await expect(page.get_by_test_id("comment")).to_have_count(0)  # frozen: nothing to edit
    await expect(page.get_by_test_id("notice-page")).to_be_visible()
    await shot(page, "notice")
    notice_url = page.url

    # a township's committee reads the published notice, and has no drafting
    await page.context.clear_cookies()
    await sign_in(page, demo_hub, demo_hub.token(VILLAGE_PMC), at=notice_url.split(demo_hub.base, 1)[1])
    await expect(status).to_have_text("已发布")
    await expect(ranking).to_have_count(townships)
    await expect(page.get_by_test_id("draft")).to_have_count(0)


async def test_a_case_handed_over_from_the_case_view_is_accepted_from_the_receiver_s_inbox(
        page: Page, demo_hub: DemoHub, shot: Any) -> None:
    case = case_with_channels(demo_hub, at_least=2)
    sender = case["agencies"][0]
    await sign_in(page, demo_hub, demo_hub.token(sender, user="调解员"), at=f"/console/cases/{case['case_no']}")
    await page.get_by_test_id("hand-over").click()
    await select_option(page, "ho-agency", "清河区司法局")
    await page.get_by_test_id("ho-save").click()
    await expect(page.get_by_test_id("ho-error")).to_contain_text("why")  # a handover needs its reason
    await page.get_by_test_id("ho-reason").fill("涉及法律援助,请司法局接收")
    await page.get_by_test_id("ho-save").click()
    await expect(page.get_by_test_id("case-handover").last).to_contain_text("待接收")

    await page.context.clear_cookies()
    await sign_in(page, demo_hub, demo_hub.token("QH-SFJ", user="科员"), at="/console/handovers")
    rows = page.get_by_test_id("handovers").locator(".el-table__body tr", has_text=case["case_no"])
    await expect(rows).to_have_count(1)
    await shot(page, "handovers")
    await rows.get_by_test_id("accept").click()
    await expect(rows).to_have_count(0)
    with demo_hub.db() as client:
        assert client[demo_hub.database].cases.find_one({"case_no": case["case_no"]})["lead_agency_code"] == "QH-SFJ"

async def test_a_case_handed_to_the_agency_arrives_live_in_its_inbox_and_its_messages(
        page: Page, demo_hub: DemoHub, shot: Any) -> None:
    with demo_hub.db() as client:
        case = client[demo_hub.database].cases.find_one(
            {"status": {"$in": ["ACCEPTED", "IN_MEDIATION"]}, "agencies": {"$nin": ["QH-RSJ"]}},
            {"case_no": 1, "agencies": 1})
    await sign_in(page, demo_hub, demo_hub.token("QH-RSJ", user="科员"), at="/console/handovers")
    await expect(page.get_by_test_id("bell").locator(".dot.on")).to_be_attached()  # the WebSocket is up
    rows = page.get_by_test_id("handovers").locator(".el-table__body tr", has_text=case["case_no"])
    await expect(rows).to_have_count(0)
    # The sender's own system hands it over; the receiver's page learns of it without being reloaded.
    handed = await asyncio.to_thread(httpx.post, f"{demo_hub.base}/graphql", headers={
        "Authorization": f"Bearer {demo_hub.token(case['agencies'][0])}"}, json={
        "query": "mutation($input: HandOverInput!) { handOverCase(input: $input) { id } }",
        "variables": {"input": {"caseNo": case["case_no"], "toAgency": "QH-RSJ", "reason": "涉及劳动报酬,请人社局接收"}}})
    assert not handed.json().get("errors"), handed.text
    await expect(rows).to_have_count(1)
    await expect(page.locator(".event-toast")).to_contain_text(case["case_no"])
    await page.get_by_test_id("bell").click()
    await expect(page.get_by_test_id("event").first).to_contain_text(case["case_no"])
    await expect(page.get_by_test_id("event").first).to_contain_text("案件移交本单位")
    await expect(page.locator(".el-badge__content")).to_be_hidden()  # opened: read
    await page.wait_for_timeout(400)  # the popover's fade-in, for the picture
    await shot(page, "messages")


async def test_every_page_works_with_outside_requests_blocked(page: Page, demo_hub: DemoHub, offline: Any) -> None:
    case = case_with_channels(demo_hub, at_least=2)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    await sign_in(page, demo_hub, demo_hub.token(CC))
    with demo_hub.db() as client:
        meeting = client[demo_hub.database].joint_meetings.find_one({}, {"_id": 1})
    views = {
        "/console/cases": "results", f"/console/cases/{case['case_no']}": "case-timeline",
        "/console/analysis": "chart-trend", "/console/meetings": "meetings",
        f"/console/meetings/{to_global_id('JointMeeting', str(meeting['_id']))}": "decisions",
        "/console/screening": "s-submit", "/console/campaigns": "enrolments", "/console/notices": "township-ranking", "/console/handovers": "handover-tab",
    }
    for path, marker in views.items():
        await page.goto(f"{demo_hub.base}{path}")
        await expect(page.get_by_test_id(marker)).to_be_visible()

    # GraphiQL: its editor, fonts and workers from the hub; a query run on the console's session.
    await page.goto(f"{demo_hub.base}/graphql")
    await expect(page.locator(".graphiql-query-editor")).to_contain_text("serverInfo", timeout=20_000)
    await page.locator(".graphiql-execute-button").click()
    await expect(page.locator(".graphiql-response")).to_contain_text("mongo-java-server", timeout=20_000)
    assert offline.refused == []
    assert asked and all(url.startswith((demo_hub.base, "data:", "blob:")) for url in asked), \
        [u for u in asked if not u.startswith(demo_hub.base)]
