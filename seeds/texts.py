"""Chinese summaries and kind-specific wording of the records a case history produces."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from seeds.names import (
    LOCATIONS,
    PETITION_FORM_WORDS,
    PETITION_LEVEL_WORDS,
    STABILITY_FACTORS,
    STABILITY_MEASURES,
)
from seeds.world import person_name

if TYPE_CHECKING:
    from seeds.histories import CaseBuilder

FACTORS = list(STABILITY_FACTORS)
_MODE_WORDS = {"ROLLING": "滚动", "CENTRALISED": "集中", "SPECIAL": "专项"}
_PROGRESS = {
    "CONTINUING": ("双方分歧较大，约定择日再调", "{resp}表示将认真考虑调解方案", "已查明基本事实，双方同意继续协商",
                   "调解员释法说理，双方情绪有所缓和"),
    "AGREED": ("经释法明理、耐心疏导，双方达成一致意见", "经多轮沟通，双方互谅互让达成一致",
               "经背靠背调解，双方就赔偿数额达成一致"),
    "FAILED": ("双方各执己见，调解未能达成一致", "{resp}拒不到场，调解无法进行", "双方对赔偿数额分歧过大，调解不成"),
}
_CLOSURES = {
    "RESOLVED": ("纠纷已化解，协议履行完毕，予以结案。", "纠纷已化解，双方无异议，予以结案。"),
    "FAILED": ("调解不成，终止调解，已告知当事人其他救济途径。",),
    "WITHDRAWN": ("申请人撤回调解申请，予以结案。", "双方自行和解，申请人撤回申请，予以结案。"),
}
_TARGET_WORDS = {"ARBITRATION": "劳动仲裁", "ADMINISTRATIVE_RULING": "行政裁决",
                 "ADMINISTRATIVE_RECONSIDERATION": "行政复议", "LITIGATION": "诉讼",
                 "CRIMINAL_RECONCILIATION": "刑事和解", "SETTLEMENT": "自行和解"}


def _pick(cb: CaseBuilder, key: str) -> str:
    """A random phrase of the case's category."""
    return str(cb.rng.choice(cb.text[key]))


def demand(cb: CaseBuilder) -> str:
    """What the applicant asks for, given the issue."""
    return str(cb.text["issues"][cb.issue][0])


def app(cb: CaseBuilder) -> str:
    """The applicant side, e.g. 张伟 or 张伟等23人."""
    first, n = cb.applicants[0].name, len(cb.applicants)
    return f"{first}等{n}人" if n > 1 else first


def resp(cb: CaseBuilder) -> str:
    """The respondent side."""
    first, n = cb.respondents[0].name, len(cb.respondents)
    return f"{first}等{n}人" if n > 1 else first


def case_in(cb: CaseBuilder) -> dict[str, Any]:
    """The `case` object that opens the case: title, category, region, and what is declared."""
    rng, v, n = cb.rng, cb.village, len(cb.applicants)
    if cb.mass and cb.category == "LABOUR":
        title = f"{resp(cb)}拖欠{n}名农民工工资纠纷"
    elif cb.mass:
        title = f"{v.name}{n}户群众与{resp(cb)}{cb.issue}纠纷"
    else:
        title = f"{cb.applicants[0].name}与{resp(cb)}{cb.issue}纠纷"
    region = rng.choice(v.grids) if rng.random() < 0.5 else v.code
    case: dict[str, Any] = {"title": title, "category": cb.category, "regionCode": region}
    if cb.risk_level:
        case["riskLevel"] = cb.risk_level
    elif cb.backlog or rng.random() < 0.1:
        case["riskLevel"] = "MEDIUM"
    if cb.tags:
        case["tags"] = list(cb.tags)
    if cb.mass or cb.backlog or rng.random() < 0.15:
        case["responsiblePerson"] = person_name(rng)
    if "CAMPAIGN" in cb.tags:
        case["deadline"] = (cb.now + timedelta(days=rng.randint(15, 75))).date().isoformat()
    return case


def screening(cb: CaseBuilder, worker: str, mode: str) -> str:
    """What the grid worker found."""
    if cb.mass:
        return (f"经网格员{worker}{_MODE_WORDS[mode]}排查发现，{app(cb)}因{cb.issue}问题与{resp(cb)}发生矛盾，"
                f"{_pick(cb, 'details')}，有群体性事件苗头，已登记并报镇（街道）大调解协调中心。")
    return (f"经网格员{worker}{_MODE_WORDS[mode]}排查发现，{app(cb)}与{resp(cb)}因{cb.issue}发生争执，"
            f"{_pick(cb, 'details')}，已登记并纳入矛盾纠纷台账跟踪。")


def intake(cb: CaseBuilder, handler: str, source: str | None = None) -> str:
    """Why the agency accepted the dispute."""
    kind, wish = cb.w.agency_kinds[handler], demand(cb)
    if source:
        return f"接收{cb.w.agency_names[source]}移交的{app(cb)}与{resp(cb)}{cb.issue}纠纷，经审查予以受理。"
    if kind == "ADMINISTRATIVE_DEPARTMENT":
        return f"{app(cb)}反映{resp(cb)}{cb.issue}问题，要求{wish}。经审查属于本部门职责范围，依法受理行政调解。"
    if kind == "COURT":
        return f"{app(cb)}起诉{resp(cb)}{cb.issue}纠纷，经双方同意，立案前委派诉前调解。"
    if kind == "SOCIAL_MEDIATION_ORG":
        return f"{app(cb)}与{resp(cb)}因{cb.issue}发生纠纷，申请第三方调解，要求{wish}，本组织予以受理。"
    return f"{app(cb)}申请调解，称与{resp(cb)}因{cb.issue}发生纠纷，要求{wish}。经审查符合受理条件，予以受理。"


def location(cb: CaseBuilder, handler: str) -> str:
    """Where a session of this agency takes place."""
    if handler == "QH-JJDD":
        return "交通事故处理中心调解室"
    places = LOCATIONS.get(cb.w.agency_kinds[handler], ("调解室",))
    return str(cb.rng.choice(places))


def session(cb: CaseBuilder, k: int, mediators: list[str], place: str, outcome: str) -> str:
    """One mediation session and how it went."""
    progress = str(cb.rng.choice(_PROGRESS[outcome])).format(resp=resp(cb))
    return f"第{k}次调解：调解员{'、'.join(mediators)}在{place}组织双方调解，{progress}。"


def terms(cb: CaseBuilder) -> tuple[str, int | None]:
    """Agreement terms and the money involved (None when the terms name no sum)."""
    rng = cb.rng
    template, low, high = rng.choice(cb.text["issues"][cb.issue][1])
    amount = int(round(rng.uniform(low, high), -2)) * (len(cb.applicants) if cb.mass else 1)
    text = template.format(app=app(cb), resp=resp(cb), amount=amount, days=rng.choice((3, 6, 10, 15, 30)))
    return text, (amount if high else None)


def agreement_no(cb: CaseBuilder, handler: str, t: datetime) -> str:
    """The agreement's number in the style of its channel."""
    n = cb.rng.randint(1, 999)
    prefix = {"COURT": "川0199民调", "ADMINISTRATIVE_DEPARTMENT": "清行调", "SOCIAL_MEDIATION_ORG": "清社调"}
    return f"（{t.year}）{prefix.get(cb.w.agency_kinds[handler], '清人调')}字第{n:04d}号"


def agreement(cb: CaseBuilder, kind: str, text: str) -> str:
    """The agreement reached."""
    if kind == "COURT":
        return f"经法院主持调解，双方自愿达成协议并制作民事调解书：{text}。"
    return f"经调解，{app(cb)}与{resp(cb)}自愿达成调解协议：{text}。"


def confirmation(cb: CaseBuilder, confirmed: bool) -> str:
    """The court's ruling on the agreement."""
    if confirmed:
        return f"经审查，{app(cb)}与{resp(cb)}达成的调解协议符合法律规定，裁定确认有效，具有强制执行力。"
    return f"经审查，{app(cb)}与{resp(cb)}达成的调解协议部分内容违反法律规定，裁定驳回司法确认申请。"


def follow_up(cb: CaseBuilder, performed: bool, satisfied: bool) -> str:
    """A follow-up visit."""
    done = "协议已履行完毕" if performed else f"协议尚未完全履行，已督促{resp(cb)}履行"
    mood = cb.rng.choice(("表示满意", "表示基本满意")) if satisfied else "仍有异议"
    return f"回访{cb.applicants[0].name}：{done}，当事人对调解结果{mood}。"


def closure_reason(cb: CaseBuilder, outcome: str, target: str | None) -> str:
    """Why the case is closed."""
    if outcome == "REFERRED":
        return f"当事人已通过{_TARGET_WORDS.get(target or '', '其他法定')}途径主张权利，本单位终止调解并结案。"
    return str(cb.rng.choice(_CLOSURES[outcome]))


def handover_reason(cb: CaseBuilder, receiver: str) -> str:
    """Why the dispute goes to the receiver."""
    return f"该纠纷涉及{cb.text['domain']}，依据“谁主管、谁负责”原则由{cb.w.agency_names[receiver]}调处。"


def handover(cb: CaseBuilder, receiver: str) -> str:
    """The handover itself."""
    return f"{app(cb)}与{resp(cb)}{cb.issue}纠纷经调解未果，移交{cb.w.agency_names[receiver]}处理，相关材料一并移送。"


def handover_returned(cb: CaseBuilder, receiver: str) -> str:
    """The receiver's answer sending a handover back."""
    return f"{cb.w.agency_names[receiver]}经审查认为{cb.issue}纠纷不属本单位职责，退回移交单位。"


def handover_return_reason(cb: CaseBuilder, receiver: str) -> str:
    """Why the receiver sends it back."""
    return f"{cb.issue}纠纷不属{cb.w.agency_names[receiver]}法定职责范围，建议由属地或主管部门处理。"


def escalation(cb: CaseBuilder) -> str:
    """Submitting a dispute the township cannot resolve."""
    return f"{app(cb)}与{resp(cb)}{cb.issue}纠纷经多次调解未能化解，属本级无力化解的疑难矛盾，提交区大调解协调中心。"


def escalation_reason(cb: CaseBuilder) -> str:
    """Why it is escalated."""
    return cb.rng.choice(("涉及多个部门职责，需统筹协调", "当事人诉求强烈，存在越级上访风险", "积案久调未决，需联动化解"))


def referral(cb: CaseBuilder, target: str, body: str) -> str:
    """Where the parties are pointed."""
    if target == "ARBITRATION":
        return f"调解不成，引导{app(cb)}向{body}申请劳动仲裁，并告知仲裁时效。"
    if target == "LITIGATION":
        return f"调解不成，告知{app(cb)}可依法向{body}提起诉讼，并协助准备起诉材料。"
    if target == "CRIMINAL_RECONCILIATION":
        return f"涉嫌交通肇事，引导{app(cb)}与{resp(cb)}在{body}主持下依法进行刑事和解。"
    if target == "SETTLEMENT":
        return f"经释法说理，{app(cb)}与{resp(cb)}同意自行协商和解，调解员跟踪和解进展。"
    return f"当事人对补偿决定有异议，引导其依法申请{_TARGET_WORDS[target]}，由{body}处理。"


def petition(cb: CaseBuilder, level: str, form: str, escalated: bool, size: int) -> str:
    """A petition about the dispute."""
    who = cb.applicants[0].name + (f"等{size}人" if size > 1 else "")
    wish = demand(cb)
    if escalated:
        return f"{who}越级赴{PETITION_LEVEL_WORDS[level]}上访，反映与{resp(cb)}的{cb.issue}问题长期未解决，要求{wish}。"
    return f"{who}以{PETITION_FORM_WORDS[form]}形式反映与{resp(cb)}的{cb.issue}纠纷，要求{wish}。"


def assessment(cb: CaseBuilder, level: str, factors: list[str]) -> str:
    """The stability risk assessment."""
    word = {"HIGH": "高风险", "MAJOR": "重大风险"}[level]
    return f"经评估，该纠纷涉及{len(cb.applicants)}人，{'、'.join(factors)}，稳定风险等级评定为{word}。"


def plan(cb: CaseBuilder, t: datetime) -> dict[str, Any]:
    """A stability-control plan: responsible unit and person, measures, review date."""
    rng = cb.rng
    unit = f"{cb.village.township_name}人民政府" if rng.random() < 0.6 else cb.w.agency_names[cb.department or "QH-CC"]
    return {"responsibleUnit": unit, "responsiblePerson": person_name(rng),
            "measures": rng.sample(list(STABILITY_MEASURES), rng.randint(2, 4)),
            "reviewDate": (t + timedelta(days=rng.randint(30, 120))).date()}


def plan_summary(details: dict[str, Any]) -> str:
    """The plan in one sentence."""
    return (f"制定稳控方案，明确{details['responsibleUnit']}为责任单位、{details['responsiblePerson']}为责任人，"
            f"落实{details['measures'][0]}等稳控措施。")
