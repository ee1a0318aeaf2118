"""Supervision notices (督查通报): townships and agencies ranked on declared indicators, commented on (点评),
published and frozen."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from hub.analytics import labels
from hub.notices import indicators as ind
from hub.notices import models as m
from schema.enums import described_enum
from schema.reference import AgencyType, RegionType
from schema.relay import to_global_id

NOTICE = "SupervisionNotice"

NoticeIndicator = described_enum(
    ind.NoticeIndicator, labels.NOTICE_INDICATOR, name="NoticeIndicator",
    description="通报指标 — what a notice ranks units on (definitions, directions and weights: docs/notices.md).",
    glosses={
        "SCREENINGS_REPORTED": "cases opened in the period that a screening (排查) reported; higher is better",
        "RESOLUTION_RATE": "resolved ÷ concluded, of the cases opened in the period (0-1); higher is better",
        "MEDIAN_DAYS_TO_RESOLUTION": "median days from opening to resolution of those resolved; lower is better",
        "BACKLOG_CLEARED": "campaign enrolments cleared (消案) in the period; higher is better",
        "OVERDUE_HANDOVERS": "handovers still not taken up N days after they were made, at the period's end; "
                             "lower is better",
        "ESCALATED_PETITIONS_PER_100": "escalated petitions per 100 cases opened in the period; lower is better",
        "TRAINING_HOURS": "mediators' training hours in the period; higher is better",
    },
)
NoticeStatus = described_enum(
    m.NoticeStatus, labels.NOTICE_STATUS, name="NoticeStatus",
    description="通报状态 — DRAFT while figures and comments may change; PUBLISHED: frozen.",
    glosses={"DRAFT": "figures may be refreshed, units commented on", "PUBLISHED": "published and frozen"},
)
NoticeUnitKind = described_enum(
    m.UnitKind, labels.NOTICE_UNIT_KIND, name="NoticeUnitKind",
    description="排名对象 — a township (street) of the region, or an agency in it.",
    glosses={"TOWNSHIP": "a township or street of the notice's region", "AGENCY": "an agency based in the region "
                                                                              "(coordination centres aside)"},
)


@strawberry.type(name="NoticeIndicatorWeighting", description="An indicator as the notice was computed with it: "
                                                               "weight and direction (a snapshot of the configuration).")
class NoticeIndicatorWeightingType:
    indicator: NoticeIndicator = strawberry.field(description="The indicator.")  # type: ignore[valid-type]
    label: str = strawberry.field(description="Its Chinese name (指标名称).")
    weight: float = strawberry.field(description="Its weight in the total score.")
    higher_is_better: bool = strawberry.field(description="true: a higher value scores better; false: a lower one.")


@strawberry.type(name="NoticeIndicatorValue", description="A unit's figure on one indicator and its 0-100 score.")
class NoticeIndicatorValueType:
    indicator: NoticeIndicator = strawberry.field(description="The indicator.")  # type: ignore[valid-type]
    value: float | None = strawberry.field(description="The figure; null when the unit has none (then it is left "
                                                        "out of this indicator).")
    score: float | None = strawberry.field(description="The figure normalised to 0-100 across the ranked units "
                                                        "(min-max, by the indicator's direction).")


@strawberry.type(name="NoticeUnit", description="排名对象 — one township or agency of a notice: figures, score, "
                                                 "rank and the coordination centre's comment (点评).")
class NoticeUnitType:
    kind: NoticeUnitKind = strawberry.field(description="TOWNSHIP or AGENCY.")  # type: ignore[valid-type]
    code: str = strawberry.field(description="The region code of a township, the agency code of an agency.")
    name: str = strawberry.field(description="Its name.")
    rank: int | None = strawberry.field(description="排名 — 1 is best; ties share a rank (1, 2, 2, 4); null when the "
                                                    "unit has no value on any weighted indicator.")
    score: float | None = strawberry.field(description="综合得分 — the weighted mean of its indicator scores (0-100).")
    comment: str | None = strawberry.field(description="点评 — the coordination centre's comment.")
    commented_at: datetime | None = strawberry.field(description="When the comment was last written.")
    values: list[NoticeIndicatorValueType] = strawberry.field(description="Its figure on each of the notice's "
                                                                           "indicators, in the notice's order.")

    @classmethod
    def from_model(cls, unit: m.RankedUnit) -> "NoticeUnitType":
        """Convert one ranked unit."""
        return cls(kind=unit.kind, code=unit.code, name=unit.name, rank=unit.rank, score=unit.score,
                   comment=unit.comment, commented_at=unit.commented_at,
                   values=[NoticeIndicatorValueType(indicator=v.indicator, value=v.value, score=v.score)
                           for v in unit.values])


@strawberry.type(name="SupervisionNotice", description="督查通报 — a region's townships (and agencies) ranked on the "
                                                        "declared indicators over a period, with the coordination "
                                                        "centre's comments (通报点评). Published: frozen.")
class SupervisionNoticeType:
    id: strawberry.ID = strawberry.field(description="The notice's global ID.")
    title: str = strawberry.field(description="标题 — title.")
    period_from: date = strawberry.field(description="The period's first day.")
    period_to: date = strawberry.field(description="The period's last day (included).")
    rank_agencies: bool = strawberry.field(description="Whether agencies are ranked besides the townships.")
    status: NoticeStatus = strawberry.field(description="DRAFT or PUBLISHED.")  # type: ignore[valid-type]
    indicators: list[NoticeIndicatorWeightingType] = strawberry.field(
        description="The indicators, weights and directions it was computed with.")
    overdue_handover_days: int = strawberry.field(description="How many days a pending handover had to be old to "
                                                              "count as overdue.")
    townships: list[NoticeUnitType] = strawberry.field(description="The townships, by rank.")
    agencies: list[NoticeUnitType] = strawberry.field(description="The agencies, by rank (empty unless rankAgencies).")
    as_of: datetime = strawberry.field(description="The moment the figures describe: the period's end, or when they "
                                                   "were computed if that came first.")
    computed_at: datetime = strawberry.field(description="When the figures were computed.")
    created_at: datetime = strawberry.field(description="When it was drafted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    published_at: datetime | None = strawberry.field(description="When it was published (frozen).")
    report_url: str = strawberry.field(description="The printable page: GET this path (HTML; print to PDF).")
    excel_url: str = strawberry.field(description="The Excel sheet of the ranking: GET this path.")
    region_code: strawberry.Private[str]
    creator_code: strawberry.Private[str]
    publisher_code: strawberry.Private[str | None]

    @strawberry.field(description="The notice's region.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.region_code)

    @strawberry.field(description="The coordination centre that drafted it.")
    async def created_by(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.creator_code)

    @strawberry.field(description="The coordination centre that published it.")
    async def published_by(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.publisher_code) if self.publisher_code else None

    @classmethod
    def from_model(cls, notice: m.SupervisionNotice) -> "SupervisionNoticeType":
        """Convert the document."""
        global_id = to_global_id(NOTICE, notice.id)
        return cls(
            id=global_id, title=notice.title, period_from=notice.period_from, period_to=notice.period_to,
            rank_agencies=notice.rank_agencies, status=notice.status,
            indicators=[NoticeIndicatorWeightingType(indicator=w.indicator, label=labels.NOTICE_INDICATOR[w.indicator],
                                                     weight=w.weight, higher_is_better=w.higher_is_better)
                        for w in notice.indicators],
            overdue_handover_days=notice.overdue_handover_days,
            townships=[NoticeUnitType.from_model(u) for u in notice.of_kind(m.UnitKind.TOWNSHIP)],
            agencies=[NoticeUnitType.from_model(u) for u in notice.of_kind(m.UnitKind.AGENCY)],
            as_of=notice.as_of, computed_at=notice.computed_at, created_at=notice.created_at,
            updated_at=notice.updated_at, published_at=notice.published_at,
            report_url=f"/reports/notice?id={global_id}", excel_url=f"/exports/notice.xlsx?id={global_id}",
            region_code=notice.region_code, creator_code=notice.created_by, publisher_code=notice.published_by,
        )


@strawberry.input(name="DraftSupervisionNoticeInput", description="起草督查通报 — a region and a period: a month, or "
                                                                   "from and to dates.")
class DraftSupervisionNoticeInput:
    region: str = strawberry.field(description="The region's code (a district: its townships are ranked).")
    period: str | None = strawberry.field(default=None, description="A month, YYYY-MM (or give from and to).")
    from_: date | None = strawberry.field(default=None, name="from", description="The period's first day (with to).")
    to: date | None = strawberry.field(default=None, description="The period's last day, included (with from).")
    title: str | None = strawberry.field(default=None, description="标题 (1-100 characters); default: "
                                                                  "<region>矛盾纠纷多元化解工作督查通报(<period>).")
    rank_agencies: bool = strawberry.field(default=False, description="Rank the region's agencies too (coordination "
                                                                      "centres aside).")
