"""Supervision notices (督查通报, 定期进行通报点评): a region's townships (and agencies) ranked on declared
indicators over a period, commented on (点评) by the coordination centre, and published, frozen.

A notice holds its figures: the configuration it was computed with, every unit's values, scores and
rank, and the comments. A draft is recomputed on request; a published notice never changes.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from hub.notices.indicators import NoticeIndicator


class NoticeStatus(StrEnum):
    """DRAFT while figures and comments may change; PUBLISHED once frozen."""

    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"


class UnitKind(StrEnum):
    """What a ranked unit is."""

    TOWNSHIP = "TOWNSHIP"
    AGENCY = "AGENCY"


class IndicatorWeighting(BaseModel):
    """An indicator as the notice was computed with it (a snapshot of the configuration)."""

    indicator: NoticeIndicator
    weight: float
    higher_is_better: bool


class IndicatorValue(BaseModel):
    """A unit's figure on one indicator, and its normalised score (None: no value, left out)."""

    indicator: NoticeIndicator
    value: float | None = None
    score: float | None = None


class RankedUnit(BaseModel):
    """One township or agency of the notice: its figures, total score, rank, and the centre's comment (点评)."""

    kind: UnitKind
    code: str
    name: str
    values: list[IndicatorValue] = Field(default_factory=list)
    score: float | None = None
    rank: int | None = None
    comment: str | None = None
    commented_by_user: str | None = None
    commented_at: datetime | None = None

    def value_of(self, indicator: NoticeIndicator) -> IndicatorValue | None:
        """The unit's figure on an indicator, if the notice has that indicator."""
        return next((v for v in self.values if v.indicator == indicator), None)


class SupervisionNotice(Document):
    """One notice of a region over a period [period_from, period_to] (whole days, the district's clock)."""

    title: str
    region_code: str
    region_name: str
    region_path: list[str]
    period_from: date
    period_to: date  # the last day included
    rank_agencies: bool = False
    status: NoticeStatus = NoticeStatus.DRAFT
    indicators: list[IndicatorWeighting]
    overdue_handover_days: int
    units: list[RankedUnit] = Field(default_factory=list)  # townships first, then agencies; each by rank
    as_of: datetime  # the figures' moment: the period's end, or when computed if that came first
    computed_at: datetime
    created_by: str
    created_by_user: str
    created_at: datetime
    updated_at: datetime
    published_by: str | None = None
    published_by_user: str | None = None
    published_at: datetime | None = None

    def of_kind(self, kind: UnitKind) -> list[RankedUnit]:
        """The ranked units of a kind, in rank order."""
        return [u for u in self.units if u.kind is kind]

    class Settings:
        name = "supervision_notices"
        use_revision = True  # two coordinators editing one draft: the second gets CONFLICT
        indexes = [
            # `supervisionNotices(region:, status:)`: a region's notices, latest period first.
            IndexModel([("region_path", ASCENDING), ("status", ASCENDING), ("period_from", DESCENDING),
                        ("_id", DESCENDING)]),
            IndexModel([("region_path", ASCENDING), ("period_from", DESCENDING), ("_id", DESCENDING)]),
            # The published notices of the regions above an agency (its readable ones, policy.notice_scope):
            # few, read in period order, the region codes (`$in`) checked on the way.
            IndexModel([("status", ASCENDING), ("period_from", DESCENDING), ("_id", DESCENDING)]),
            # A region's notice of a period (the seeds find theirs).
            IndexModel([("region_code", ASCENDING), ("period_from", ASCENDING), ("period_to", ASCENDING)]),
        ]
