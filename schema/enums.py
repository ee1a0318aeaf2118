"""The domain's enumerations, exposed to GraphQL with descriptions users know."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import EnumMeta
from typing import TypeVar

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

from hub.agencies.models import AgencyKind as _AgencyKind
from hub.analytics import labels as zh
from hub.cases.models import CaseStatus as _CaseStatus
from hub.cases.models import CaseTag as _CaseTag
from hub.cases.models import Category as _Category
from hub.mediators.models import MediatorKind as _MediatorKind
from hub.records import enums as e
from hub.regions.models import RegionLevel as _RegionLevel

E = TypeVar("E", bound=EnumMeta)


def described_enum(
    cls: E, labels: Mapping[str, str], *, description: str, name: str | None = None,
    glosses: Mapping[str, str] | None = None,
) -> E:
    """`strawberry.enum(cls)` with each value described as "label" or "label — gloss"; raises if one has no label."""
    glosses = glosses or {}
    members = {member.value: member.name for member in cls}
    missing = [n for n in members.values() if not labels.get(n)]
    stray = sorted(set(glosses) - set(members.values()))
    if missing or stray:
        raise ValueError(f"{cls.__name__}: no label for {missing}; glosses of no value {stray}")
    wrapped = strawberry.enum(cls, name=name, description=description)
    definition: StrawberryEnumDefinition = wrapped.__strawberry_definition__  # type: ignore[attr-defined]
    described = []
    for value in definition.values:
        key = members[value.value]
        described.append(replace(value, description=f"{labels[key]} — {glosses[key]}" if key in glosses else labels[key]))
    definition.values = described
    return wrapped


Channel = described_enum(e.Channel, zh.CHANNEL, description="调解渠道 — 人民调解、行政调解、司法调解、社会调解、信访、维稳.")
RecordKind = described_enum(e.RecordKind, zh.RECORD_KIND, description="记录类型 — what fact a record states.", glosses={
    "SCREENING": "a dispute found by screening", "INTAKE": "an agency accepted the dispute",
    "MEDIATION_SESSION": "one mediation session", "AGREEMENT": "a mediation agreement was signed",
    "JUDICIAL_CONFIRMATION": "a court confirmed the agreement", "HANDOVER": "passed to another agency",
    "HANDOVER_RESPONSE": "the receiver accepted or returned a handover",
    "ESCALATION": "reported to a higher level", "REFERRAL": "to arbitration, ruling, reconsideration, litigation or reconciliation",
    "PETITION": "a petition (信访件) about the dispute", "STABILITY_ASSESSMENT": "a stability risk assessment",
    "STABILITY_PLAN": "responsible unit, person and measures", "FOLLOW_UP": "a follow-up visit after closure",
    "CLOSURE": "the case was closed",
    "DETERMINATION": "a coordination centre settled what agencies' records disagree on",
})
CaseFact = described_enum(e.CaseFact, zh.CASE_FACT, description="案件事项 — what agencies' records state about a "
                          "case and may disagree on.", glosses={
    "CATEGORY": "the category code (LABOUR …)", "RISK_LEVEL": "the risk level code (LOW … MAJOR)",
    "AMOUNT_IN_DISPUTE": "yuan", "RESPONSIBLE_PERSON": "a name", "DEADLINE": "a date, YYYY-MM-DD"})
Visibility = described_enum(
    e.Visibility, zh.VISIBILITY,
    description="NORMAL, or RESTRICTED (维稳情报: stability office and coordination centres only).",
    glosses={"NORMAL": "readable by everyone who may see the case",
             "RESTRICTED": "stability office and coordination centres only"},
)
ScreeningMode = described_enum(e.ScreeningMode, zh.SCREENING_MODE, description="排查方式: 滚动、集中、专项.", glosses={
    "ROLLING": "routine, continuous", "CENTRALISED": "a concentrated round", "SPECIAL": "aimed at one kind of dispute",
})
SessionOutcome = described_enum(e.SessionOutcome, zh.SESSION_OUTCOME, description="How a mediation session ended.",
                                glosses={"CONTINUING": "another session follows", "AGREED": "the parties agreed",
                                         "FAILED": "mediation failed"})
HandoverMode = described_enum(e.HandoverMode, zh.HANDOVER_MODE, description="移交方式 — how a case is passed on.", glosses={
    "TRANSFER": "to the agency in charge (谁主管谁负责)", "ASSIGN": "assigned to a lower body, to be done",
    "REFER": "handed over as the law requires"})
HandoverDecision = described_enum(e.HandoverDecision, zh.HANDOVER_DECISION, description="The receiver's answer.",
                                  glosses={"ACCEPTED": "it takes the case and answers for it from now on",
                                           "RETURNED": "it sends the case back to the sender, with a reason"})
HandoverStatus = described_enum(e.HandoverStatus, zh.HANDOVER_STATUS, description="移交状态 — where a handover stands.",
                                glosses={"PENDING": "not yet answered by the receiver",
                                         "ACCEPTED": "the receiver took the case", "RETURNED": "the receiver sent it back"})
ReferralTarget = described_enum(
    e.ReferralTarget, zh.REFERRAL_TARGET, description="依法引导 — 仲裁、行政裁决、行政复议、诉讼、刑事和解、和解.",
    glosses={"ARBITRATION": "labour or other arbitration", "ADMINISTRATIVE_RULING": "an administrative ruling",
             "ADMINISTRATIVE_RECONSIDERATION": "administrative reconsideration", "LITIGATION": "a lawsuit (诉调对接)",
             "CRIMINAL_RECONCILIATION": "reconciliation in a criminal case, with the procuratorate or court",
             "SETTLEMENT": "the parties settle between themselves"},
)
ReferralStatus = described_enum(
    e.ReferralStatus, zh.REFERRAL_STATUS, description="Where a referral stands: REFERRED → FILED → DECIDED.",
    glosses={"REFERRED": "referred, not yet filed by the receiving body",
             "FILED": "filed (受理/立案) by the receiving body", "DECIDED": "decided; the outcome is known"},
)
ReferralOutcome = described_enum(
    e.ReferralOutcome, zh.REFERRAL_OUTCOME, description="How the receiving body decided a referral.",
    glosses={"UPHELD": "the applicant's claim upheld", "PARTLY_UPHELD": "the claim upheld in part",
             "DISMISSED": "the claim dismissed or not accepted", "SETTLED": "settled by mediation or reconciliation",
             "WITHDRAWN": "the applicant withdrew"},
)
PetitionLevel = described_enum(
    e.PetitionLevel, zh.PETITION_LEVEL, description="The highest level a petition reached (到省进京 = PROVINCE / BEIJING).",
    glosses={"TOWNSHIP": "township (street)", "DISTRICT": "district", "CITY": "city", "PROVINCE": "province (到省)",
             "BEIJING": "Beijing (进京)"},
)
PetitionForm = described_enum(e.PetitionForm, zh.PETITION_FORM, description="来信、来访、网上信访、电话.")
RiskLevel = described_enum(e.RiskLevel, zh.RISK_LEVEL, description="风险等级, lowest first.", glosses={
    "LOW": "low", "MEDIUM": "medium", "HIGH": "high", "MAJOR": "major: the highest",
})
ClosureOutcome = described_enum(e.ClosureOutcome, zh.CLOSURE_OUTCOME, description="How a case was closed.", glosses={
    "RESOLVED": "by agreement", "FAILED": "mediation failed", "REFERRED": "to arbitration, ruling, reconsideration "
    "or litigation", "WITHDRAWN": "the applicant withdrew",
})
PartyRole = described_enum(e.PartyRole, zh.PARTY_ROLE, description="A party's role: 申请人、被申请人、信访人、第三人.")
PartyKind = described_enum(e.PartyKind, zh.PARTY_KIND, description="自然人 or 组织.", glosses={
    "NATURAL": "a natural person (居民身份证号码)", "ORGANISATION": "an organisation (统一社会信用代码)",
})
Category = described_enum(_Category, zh.CATEGORY, description="纠纷类型.")
CaseStatus = described_enum(_CaseStatus, zh.STATUS, description="Where a dispute stands.", glosses={
    "SCREENED": "found by screening, not yet accepted", "ACCEPTED": "accepted by an agency",
    "IN_MEDIATION": "mediation under way", "RESOLVED": "resolved by agreement or confirmation",
    "FAILED": "mediation failed", "REFERRED": "referred to arbitration, ruling, reconsideration or litigation",
    "CLOSED": "closed by withdrawal",
})
CaseTag = described_enum(_CaseTag, zh.CASE_TAG, description="积案、老案、难案、群体性、越级、典型案例、专项行动.", glosses={
    "BACKLOG": "backlog case", "OLD": "old case", "DIFFICULT": "difficult case", "MASS": "many parties",
    "ESCALATED": "level-skipping petition", "TYPICAL": "in the typical-case library (典型案例库)",
    "CAMPAIGN": "in a campaign (清仓消案 / 攻坚破难)",
})
AgencyKind = described_enum(_AgencyKind, zh.AGENCY_KIND, description="What sort of body an agency is.")
RegionLevel = described_enum(_RegionLevel, zh.REGION_LEVEL, description="区 → 乡镇(街道) → 村(社区) → 网格.", glosses={
    "DISTRICT": "district", "TOWNSHIP": "township (street)", "VILLAGE": "village (community)", "GRID": "grid",
})
MediatorKind = described_enum(_MediatorKind, zh.MEDIATOR_KIND, description="专职、兼职、网格员、律师、志愿者.", glosses={
    "FULL_TIME": "full-time mediator", "PART_TIME": "part-time mediator", "GRID_WORKER": "grid worker",
    "LAWYER": "lawyer", "VOLUNTEER": "volunteer",
})
