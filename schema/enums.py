"""The domain's enumerations, exposed to GraphQL with descriptions users know."""

from __future__ import annotations

import strawberry

from hub.agencies.models import AgencyKind as _AgencyKind
from hub.cases.models import CaseStatus as _CaseStatus
from hub.cases.models import CaseTag as _CaseTag
from hub.cases.models import Category as _Category
from hub.mediators.models import MediatorKind as _MediatorKind
from hub.records import enums as e
from hub.regions.models import RegionLevel as _RegionLevel

Channel = strawberry.enum(e.Channel, description="调解渠道 — 人民调解、行政调解、司法调解、社会调解、信访、维稳.")
RecordKind = strawberry.enum(e.RecordKind, description="记录类型 — what fact a record states.")
Visibility = strawberry.enum(e.Visibility, description="NORMAL, or RESTRICTED (维稳情报: stability office and coordination centres only).")
ScreeningMode = strawberry.enum(e.ScreeningMode, description="排查方式: 滚动、集中、专项.")
SessionOutcome = strawberry.enum(e.SessionOutcome, description="How a mediation session ended.")
ReferralTarget = strawberry.enum(e.ReferralTarget, description="仲裁、行政裁决、行政复议、诉讼.")
PetitionLevel = strawberry.enum(e.PetitionLevel, description="The highest level a petition reached (到省进京 = PROVINCE / BEIJING).")
PetitionForm = strawberry.enum(e.PetitionForm, description="来信、来访、网上信访、电话.")
RiskLevel = strawberry.enum(e.RiskLevel, description="风险等级, lowest first.")
ClosureOutcome = strawberry.enum(e.ClosureOutcome, description="How a case was closed.")
PartyRole = strawberry.enum(e.PartyRole, description="A party's role: 申请人、被申请人、信访人、第三人.")
PartyKind = strawberry.enum(e.PartyKind, description="自然人 or 组织.")
Category = strawberry.enum(_Category, description="纠纷类型.")
CaseStatus = strawberry.enum(_CaseStatus, description="Where a dispute stands.")
CaseTag = strawberry.enum(_CaseTag, description="积案、老案、难案、群体性、越级、典型案例、专项行动.")
AgencyKind = strawberry.enum(_AgencyKind, description="What sort of body an agency is.")
RegionLevel = strawberry.enum(_RegionLevel, description="区 → 乡镇(街道) → 村(社区) → 网格.")
MediatorKind = strawberry.enum(_MediatorKind, description="专职、兼职、网格员、律师、志愿者.")
