"""The demo's typical-case library: resolved cases nominated by their lead agencies, three selected, one
rejected, one still awaiting selection.

Created through the typical-case service like any agency's nomination; a second run finds them and adds nothing.
"""

from __future__ import annotations

from hub.analytics import labels
from hub.cases.models import Case, CaseStatus
from hub.keys.ring import KeyRing
from hub.typical_cases import service as typical_case_service
from hub.typical_cases.models import TypicalCase, TypicalCaseStatus, WriteUp
from seeds.names import DISTRICT_CODE

DECIDER = "QH-CC"
DECIDER_USER = "区大调解协调中心案例评选小组"
PLAN = (  # what becomes of each nomination, in case-number order
    (TypicalCaseStatus.SELECTED, "事实清楚、程序规范,调解方法可复制,入选本年度优秀调解案例"),
    (TypicalCaseStatus.SELECTED, "多元联动化解的范例,适合作为调解员培训教材"),
    (TypicalCaseStatus.SELECTED, "法律适用准确,经验启示具有指导意义"),
    (TypicalCaseStatus.REJECTED, "案情较为简单,典型性不足"),
    (TypicalCaseStatus.NOMINATED, ""),
)


async def _resolved_cases() -> list[Case]:
    """The district's first resolved cases by case number (deterministic)."""
    query = {"region_path": DISTRICT_CODE, "status": CaseStatus.RESOLVED.value}
    return await Case.find(query).sort(("case_no", 1)).limit(len(PLAN)).to_list()


def _write_up(case: Case) -> WriteUp:
    """A write-up that names the parties in clear, as a mediator would draft it (the service anonymises it)."""
    names = "与".join(p.name for p in case.parties[:2]) or "双方当事人"
    category = labels.CATEGORY[case.category.value]
    return WriteUp(
        title=f"{names}{category}纠纷调解案",
        facts=f"{names}因{case.title}产生矛盾,多次协商未果,申请调解。",
        process=f"调解员分别约谈{names},释法说理、换位思考,组织双方面对面协商,最终达成调解协议并履行完毕。",
        legal_basis="《中华人民共和国人民调解法》第二十一条、第二十八条;《中华人民共和国民法典》相关规定。",
        lessons=f"{category}纠纷要早介入、早化解,注重情理法结合,及时固定调解成果。",
    )


async def load_typical_cases(*, keys: KeyRing) -> list[TypicalCase]:
    """Nominate the district's first resolved cases and decide all but the last (created once)."""
    entries = []
    for case, (outcome, reason) in zip(await _resolved_cases(), PLAN):
        assert case.id is not None
        existing = await typical_case_service.get_by_case(case_id=case.id)
        if existing is not None:
            entries.append(existing)
            continue
        nominator = case.lead_agency_code or case.agencies[0]
        entry = await typical_case_service.nominate(case_id=case.id, write_up=_write_up(case), agency_code=nominator,
                                                    user="案例推荐人", keys=keys)
        assert entry.id is not None
        if outcome is TypicalCaseStatus.SELECTED:
            entry = await typical_case_service.select(entry_id=entry.id, reason=reason, agency_code=DECIDER,
                                                      user=DECIDER_USER)
        elif outcome is TypicalCaseStatus.REJECTED:
            entry = await typical_case_service.reject(entry_id=entry.id, reason=reason, agency_code=DECIDER,
                                                      user=DECIDER_USER)
        entries.append(entry)
    return entries
