"""`hub seed`'s supervision notices: October's district notice commented on and published, November's drafted."""

from __future__ import annotations

import httpx

from hub.notices.models import NoticeStatus, SupervisionNotice, UnitKind
from hub.keys.ring import KeyRing
from seeds import generator, loader
from seeds.notices import load_notices
from seeds.names import DISTRICT_CODE
from tests.conftest import TokenFor, act_as

SCALE = 40
LIST = "{ supervisionNotices { title status periodFrom townships { name rank comment } agencies { code } } }"


async def test_the_demo_publishes_last_months_notice_and_drafts_this_months(
    database: object, keys: KeyRing, http: httpx.AsyncClient, token_for: TokenFor
) -> None:
    await loader.load(keys=keys, scale=SCALE)

    notices = await SupervisionNotice.find_all().sort("period_from").to_list()
    assert [(n.period_from.isoformat(), n.status) for n in notices] == [
        ("2026-10-01", NoticeStatus.PUBLISHED), ("2026-11-01", NoticeStatus.DRAFT)]
    october, november = notices
    assert october.title == "清河区矛盾纠纷多元化解工作督查通报(2026年10月)" and october.region_code == DISTRICT_CODE
    assert october.rank_agencies and october.of_kind(UnitKind.AGENCY) and not november.of_kind(UnitKind.AGENCY)
    townships = october.of_kind(UnitKind.TOWNSHIP)
    assert len(townships) >= 3 and all(u.comment for u in october.units)
    assert townships[0].rank == 1 and "排名第1" in (townships[0].comment or "")
    assert october.as_of < november.as_of  # the end of October; mid-November, the demo's today
    assert not any(u.comment for u in november.units)

    # a township's mediation committee reads the published notice, not the draft
    act_as(http, token_for("QH-PMC-05"))
    body = (await http.post("/graphql", json={"query": LIST})).json()
    assert [n["status"] for n in body["data"]["supervisionNotices"]] == ["PUBLISHED"]

    # seeded again: nothing is added or changed
    again = await load_notices(now=generator.DEFAULT_NOW)
    assert sorted(n.id for n in again) == sorted(n.id for n in notices)  # type: ignore[type-var]
    assert await SupervisionNotice.find_all().count() == 2
