"""Word tables of the grassroots mediation ledger (人民调解台账): headers, categories, results, dates.

Pure lookups and parsers used by `hub.ingest.files`; nothing here touches a file or a database.
Documented for users in docs/ingest-files.md — keep the two in step.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime, timedelta, timezone

from hub.cases.models import Category
from hub.records.enums import RecordKind, RiskLevel, ScreeningMode, SessionOutcome

CHINA_TZ = timezone(timedelta(hours=8))

# Logical columns that are not a single wire field.
RESULT = "result"  # 调解结果: decides the kind and details.outcome / details.terms
SOURCE_ROW = "sourceRow"  # 行号 of a re-imported rejected file: the ledger's row, for the default sourceId

_ALIASES_BY_FIELD: dict[str, str] = {
    "sourceId": "编号|案件编号|台账编号|序号|登记编号|sourceId|source id|id|no|ledger no",
    "caseNo": "案号|纠纷编号|caseNo|case no|case number",
    "case.title": "纠纷名称|案由|标题|案件名称|title|case title",
    "case.category": "纠纷类型|纠纷类别|类型|案件类型|category|dispute type|type",
    "case.regionCode": "区域代码|村社区代码|村(社区)代码|网格代码|区划代码|行政区划代码|regionCode|region code|grid code",
    "case.riskLevel": "风险等级|稳定风险等级|riskLevel|risk level|risk",
    "parties[0].name": "当事人|申请人|当事人姓名|申请人姓名|当事人名称|申请人名称|party|applicant|applicant name",
    "parties[0].idNumber": "身份证号|身份证号码|证件号码|当事人身份证号|申请人身份证号|申请人身份证号码"
    "|idNumber|id number|applicant id number",
    "parties[0].phone": "联系电话|电话|手机号|手机号码|联系方式|当事人电话|申请人电话|申请人联系电话"
    "|phone|mobile|tel|applicant phone",
    "parties[0].address": "住址|地址|家庭住址|当事人住址|申请人住址|申请人地址|address|applicant address",
    "parties[1].name": "对方当事人|被申请人|对方当事人姓名|被申请人姓名|被申请人名称|对方当事人名称"
    "|respondent|respondent name|other party",
    "parties[1].idNumber": "对方身份证号|对方身份证号码|对方证件号码|被申请人身份证号|被申请人身份证号码"
    "|被申请人证件号码|respondent id number",
    "parties[1].creditCode": "统一社会信用代码|对方统一社会信用代码|被申请人统一社会信用代码"
    "|respondent credit code|credit code",
    "parties[1].phone": "对方电话|对方联系电话|被申请人电话|被申请人联系电话|respondent phone",
    "parties[1].address": "对方住址|对方地址|被申请人住址|被申请人地址|respondent address",
    "occurredAt": "发生时间|受理时间|登记时间|调解时间|日期|受理日期|登记日期|调解日期|occurredAt|occurred at|date",
    "summary": "纠纷简要情况|简要案情|摘要|调解情况|基本情况|纠纷情况|summary|description",
    "kind": "记录类型|kind|record type|record kind",
    RESULT: "调解结果|结果|调处结果|result|outcome",
    "details.mediators": "调解员|调解人员|调解人|mediator|mediators",
    "details.terms": "协议内容|协议主要内容|terms|agreement terms",
    "details.amount": "协议金额|金额|涉及金额|涉案金额|amount",
    "details.screeningMode": "排查方式|screeningMode|screening mode",
    SOURCE_ROW: "行号|row number",
}

#: file header (any variant listed here) -> wire field. Lookup ignores case, spaces, `_`/`-`,
#: full-width forms, a trailing `*`/`:` and, failing an exact match, a parenthesised suffix.
HEADER_ALIASES: dict[str, str] = {
    alias: field for field, aliases in _ALIASES_BY_FIELD.items() for alias in aliases.split("|")
}

CATEGORY_WORDS: dict[str, Category] = {
    "征地拆迁": Category.LAND_ACQUISITION, "征地": Category.LAND_ACQUISITION, "拆迁": Category.LAND_ACQUISITION,
    "劳动": Category.LABOUR, "劳资": Category.LABOUR, "劳动争议": Category.LABOUR,
    "环境污染": Category.ENVIRONMENT, "环境": Category.ENVIRONMENT,
    "医疗": Category.MEDICAL, "医患": Category.MEDICAL,
    "交通事故": Category.TRAFFIC_ACCIDENT,
    "民间借贷": Category.PRIVATE_LENDING,
    "物业": Category.PROPERTY_MANAGEMENT, "物业管理": Category.PROPERTY_MANAGEMENT,
    "知识产权": Category.INTELLECTUAL_PROPERTY,
    "食品药品": Category.FOOD_DRUG_SAFETY,
    "邻里": Category.NEIGHBOUR, "相邻关系": Category.NEIGHBOUR,
    "婚姻家庭": Category.MARRIAGE_FAMILY, "婚姻": Category.MARRIAGE_FAMILY, "家庭": Category.MARRIAGE_FAMILY,
    "合同": Category.CONTRACT,
    "涉军": Category.MILITARY_RELATED, "退役军人": Category.MILITARY_RELATED,
    "企业改制": Category.ENTERPRISE_RESTRUCTURING, "改制": Category.ENTERPRISE_RESTRUCTURING,
    "其他": Category.OTHER, "其它": Category.OTHER,
}

KIND_WORDS: dict[str, RecordKind] = {
    "排查": RecordKind.SCREENING,
    "受理": RecordKind.INTAKE,
    "调解": RecordKind.MEDIATION_SESSION,
    "协议": RecordKind.AGREEMENT,
    "调解协议": RecordKind.AGREEMENT,
    "司法确认": RecordKind.JUDICIAL_CONFIRMATION,
    "回访": RecordKind.FOLLOW_UP,
    "结案": RecordKind.CLOSURE,
}

#: 调解结果 word -> session outcome; AGREED means "an agreement was reached".
RESULT_WORDS: dict[str, SessionOutcome] = {
    **dict.fromkeys(
        ["调解成功", "成功", "达成协议", "已达成协议", "达成", "调解达成协议", "已调解成功", "AGREED", "SUCCESS"],
        SessionOutcome.AGREED,
    ),
    **dict.fromkeys(
        ["调解不成功", "不成功", "失败", "调解失败", "未达成", "未达成协议", "调解未成功", "未成功", "FAILED"],
        SessionOutcome.FAILED,
    ),
    **dict.fromkeys(["调解中", "正在调解", "继续调解", "进行中", "待调解", "CONTINUING", ""], SessionOutcome.CONTINUING),
}

#: Free-text 调解结果: the first group with a word inside the text decides, negations first.
RESULT_MARKERS: tuple[tuple[SessionOutcome, tuple[str, ...]], ...] = (
    (SessionOutcome.FAILED, ("不成功", "未成功", "未达成", "未能达成", "没有达成", "无法达成", "失败", "破裂")),
    (SessionOutcome.AGREED, ("成功", "达成协议", "达成一致", "已达成")),
    (SessionOutcome.CONTINUING, ("调解中", "正在调解", "继续调解", "进行中")),
)

RISK_WORDS: dict[str, RiskLevel] = {
    "低": RiskLevel.LOW, "较低": RiskLevel.LOW,
    "中": RiskLevel.MEDIUM, "一般": RiskLevel.MEDIUM, "中等": RiskLevel.MEDIUM,
    "高": RiskLevel.HIGH, "较大": RiskLevel.HIGH, "较高": RiskLevel.HIGH,
    "重大": RiskLevel.MAJOR,
}

SCREENING_WORDS: dict[str, ScreeningMode] = {
    "滚动": ScreeningMode.ROLLING, "日常": ScreeningMode.ROLLING,
    "集中": ScreeningMode.CENTRALISED,
    "专项": ScreeningMode.SPECIAL,
}

_PARENTHESISED = re.compile(r"[(\[【].*?[)\]】]")
_HEADER_NOISE = re.compile(r"[\s_\-]+")
_MEDIATOR_SPLIT = re.compile(r"[、,，;；/\s]+")
_DATE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[T\s]*(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2}(?:\.\d+)?)秒?)?分?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_EXCEL_EPOCH = datetime(1899, 12, 30)


def fold(text: str) -> str:
    """NFKC-fold (full-width to half-width) and trim."""
    return unicodedata.normalize("NFKC", text).strip()


def header_key(header: str) -> str:
    """The lookup key of a header: folded, no spaces/underscores/hyphens, no `*` or `:` marks, lower-case."""
    return _HEADER_NOISE.sub("", fold(header)).strip("*:").lower()


_ALIAS_INDEX: dict[str, str] = {header_key(alias): field for alias, field in HEADER_ALIASES.items()}


def field_for_header(header: str) -> str | None:
    """The wire field a file header maps to, or None."""
    key = header_key(header)
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    stripped = header_key(_PARENTHESISED.sub("", fold(header)))
    return _ALIAS_INDEX.get(stripped) if stripped else None


def _word_key(text: str) -> str:
    """A category/result/risk word as looked up: folded, no spaces or final full stop."""
    return re.sub(r"\s+", "", fold(text)).rstrip("。.")


def _lookup(table: dict[str, object], text: str, *suffixes: str) -> object | None:
    """Look a word up as Chinese, as an enum value, or without one of the given suffixes."""
    key = _word_key(text)
    if key in table:
        return table[key]
    if key.upper() in table:
        return table[key.upper()]
    for suffix in suffixes:
        if key.endswith(suffix) and key[: -len(suffix)] in table:
            return table[key[: -len(suffix)]]
    return None


def category_for(text: str) -> Category | None:
    """纠纷类型 word (邻里, 邻里纠纷, NEIGHBOUR …) -> Category, or None when unknown."""
    found = _lookup({**CATEGORY_WORDS, **{c.value: c for c in Category}}, text, "纠纷", "类", "类纠纷")
    return found if isinstance(found, Category) else None


def kind_for(text: str) -> RecordKind | None:
    """记录类型 word (调解, 协议, AGREEMENT …) -> RecordKind, or None when unknown."""
    found = _lookup({**KIND_WORDS, **{k.value: k for k in RecordKind}}, text, "记录")
    return found if isinstance(found, RecordKind) else None


def result_for(text: str) -> SessionOutcome | None:
    """调解结果 word or sentence -> AGREED / FAILED / CONTINUING, or None when unknown."""
    found = _lookup(dict(RESULT_WORDS), text)
    if isinstance(found, SessionOutcome):
        return found
    key = _word_key(text)  # free text ("双方达成协议，分期还款"): negations are looked for first
    return next((outcome for outcome, words in RESULT_MARKERS if any(word in key for word in words)), None)


def risk_for(text: str) -> RiskLevel | None:
    """风险等级 word (低, 一般, 较大, 重大, HIGH …) -> RiskLevel, or None when unknown."""
    found = _lookup({**RISK_WORDS, **{r.value: r for r in RiskLevel}}, text, "风险")
    return found if isinstance(found, RiskLevel) else None


def screening_for(text: str) -> ScreeningMode | None:
    """排查方式 word (滚动, 集中, 专项 …) -> ScreeningMode, or None when unknown."""
    found = _lookup({**SCREENING_WORDS, **{m.value: m for m in ScreeningMode}}, text, "排查")
    return found if isinstance(found, ScreeningMode) else None


def split_mediators(text: str) -> list[str]:
    """调解员 cell -> names, split on 、,，;；/ and spaces."""
    return [name for name in _MEDIATOR_SPLIT.split(fold(text)) if name]


def parse_amount(text: str) -> float | None:
    """协议金额 cell ("12,000元", "1.5万元") -> yuan, or None when unreadable."""
    value = re.sub(r"[,，\s]|人民币|RMB|¥|￥", "", fold(text)).removesuffix("元")
    scale = 1.0
    if value.endswith("万"):
        value, scale = value[:-1], 10_000.0
    try:
        amount = float(value) * scale
    except ValueError:
        return None
    return amount if math.isfinite(amount) else None


def parse_datetime(text: str) -> str | None:
    """A ledger date ("2026/3/1", "2026年3月1日", "2026-03-01 14:30", Excel serial …) -> ISO 8601, +08:00 by default."""
    value = fold(text)
    try:
        if match := _DATE.fullmatch(value):
            year, month, day, hour, minute, second, offset = match.groups()
            sec = float(second or 0)
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(sec))
            if offset:
                zone = datetime.strptime(offset.replace("Z", "+0000").replace(":", ""), "%z").tzinfo
                return moment.replace(tzinfo=zone).isoformat()
            return moment.replace(tzinfo=CHINA_TZ).isoformat()
        if match := _COMPACT_DATE.fullmatch(value):
            return datetime(*map(int, match.groups()), tzinfo=CHINA_TZ).isoformat()
        serial = float(value)  # a date cell exported as its Excel serial number
    except ValueError:
        return None
    if not 10_000 <= serial < 2_958_466:  # 1927-05-18 .. 9999-12-31; a bare year is no date
        return None
    return (_EXCEL_EPOCH + timedelta(days=serial)).replace(tzinfo=CHINA_TZ, microsecond=0).isoformat()
