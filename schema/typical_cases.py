"""The typical-case library (典型案例库): anonymised write-ups of resolved cases, nominated and selected."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from hub.analytics import labels
from hub.typical_cases import models as m
from schema.enums import Category, described_enum
from schema.reference import AgencyType, RegionType
from schema.relay import to_global_id

TypicalCaseStatus = described_enum(
    m.TypicalCaseStatus, labels.TYPICAL_CASE_STATUS, name="TypicalCaseStatus",
    description="评选状态 — NOMINATED until a coordination centre selects or rejects it.",
    glosses={"NOMINATED": "nominated, awaiting selection", "SELECTED": "selected into the library",
             "REJECTED": "not selected"},
)


@strawberry.type(name="TypicalCase", description="典型案例 — a resolved case written up for training and guidance "
                                                 "(案例指导). Every text is anonymised: parties read 张某 / 某公司, "
                                                 "their ID numbers, credit codes, phones and addresses are removed.")
class TypicalCaseType:
    id: strawberry.ID = strawberry.field(description="The entry's global ID.")
    case_no: str = strawberry.field(description="The case's number (the case itself stays under the case policy).")
    title: str = strawberry.field(description="标题 — title.")
    facts: str = strawberry.field(description="案情 — the facts of the dispute.")
    process: str = strawberry.field(description="调解过程 — how it was mediated.")
    legal_basis: str = strawberry.field(description="法律依据 — the legal basis.")
    lessons: str = strawberry.field(description="经验启示 — lessons for other mediators.")
    category: Category = strawberry.field(description="纠纷类型 — the case's category.")  # type: ignore[valid-type]
    status: TypicalCaseStatus = strawberry.field(description="NOMINATED, SELECTED or REJECTED.")  # type: ignore[valid-type]
    nominated_at: datetime = strawberry.field(description="When it was first nominated.")
    updated_at: datetime = strawberry.field(description="When the write-up or the decision last changed.")
    decision_reason: str | None = strawberry.field(description="Why it was selected or rejected.")
    decided_at: datetime | None = strawberry.field(description="When it was selected or rejected.")
    region_code: strawberry.Private[str]
    nominator_code: strawberry.Private[str]
    decider_code: strawberry.Private[str | None]

    @strawberry.field(description="The case's region.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.region_code)

    @strawberry.field(description="The agency that nominated it.")
    async def nominated_by(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.nominator_code)

    @strawberry.field(description="The coordination centre that selected or rejected it.")
    async def decided_by(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.decider_code) if self.decider_code else None

    @classmethod
    def from_model(cls, entry: m.TypicalCase) -> "TypicalCaseType":
        """Convert the document."""
        w = entry.write_up
        return cls(
            id=to_global_id("TypicalCase", entry.id), case_no=entry.case_no, title=w.title, facts=w.facts,
            process=w.process, legal_basis=w.legal_basis, lessons=w.lessons, category=entry.category,
            status=entry.status, nominated_at=entry.nominated_at, updated_at=entry.updated_at,
            decision_reason=entry.decision_reason, decided_at=entry.decided_at, region_code=entry.region_code,
            nominator_code=entry.nominated_by, decider_code=entry.decided_by,
        )


@strawberry.input(name="NominateTypicalCaseInput", description="推荐典型案例 — a resolved case and its write-up "
                                                                "(anonymised when stored).")
class NominateTypicalCaseInput:
    case_id: strawberry.ID = strawberry.field(description="The resolved case's global ID.")
    title: str = strawberry.field(description="标题 — title (1-100 characters).")
    facts: str = strawberry.field(description="案情 — the facts (1-5,000 characters).")
    process: str = strawberry.field(description="调解过程 — how it was mediated (1-5,000 characters).")
    legal_basis: str = strawberry.field(description="法律依据 — the legal basis (1-5,000 characters).")
    lessons: str = strawberry.field(description="经验启示 — lessons (1-5,000 characters).")

    def to_write_up(self) -> m.WriteUp:
        """The domain write-up (not yet anonymised)."""
        return m.WriteUp(title=self.title, facts=self.facts, process=self.process, legal_basis=self.legal_basis,
                         lessons=self.lessons)
