"""The indicators a supervision notice (督查通报) ranks units on, their configuration, and the scoring.

Everything here is pure: the figures come in, normalised scores, totals and ranks go out. The
rules (docs/notices.md):

- per indicator, each unit's value is normalised to 0-100 across the ranked units of its kind,
  min-max, by the indicator's direction (the best value gets 100, the worst 0; all equal: 100);
- a unit without a value for an indicator (no resolved case for the median, no case at all for
  the petitions per 100 cases, no mediator for the training hours) is left out of it, and its
  total is the weighted mean over the indicators it has a value for (its weights renormalised);
  a unit without a value on every weighted indicator has no score and no rank;
- ranks follow the total, descending, ties (to two decimals) sharing a rank: 1, 2, 2, 4.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

SCORE_DECIMALS = 2  # totals are compared, shown and stored to this many decimals


class NoticeIndicator(StrEnum):
    """What a notice ranks units on."""

    SCREENINGS_REPORTED = "SCREENINGS_REPORTED"
    RESOLUTION_RATE = "RESOLUTION_RATE"
    MEDIAN_DAYS_TO_RESOLUTION = "MEDIAN_DAYS_TO_RESOLUTION"
    BACKLOG_CLEARED = "BACKLOG_CLEARED"
    OVERDUE_HANDOVERS = "OVERDUE_HANDOVERS"
    ESCALATED_PETITIONS_PER_100 = "ESCALATED_PETITIONS_PER_100"
    TRAINING_HOURS = "TRAINING_HOURS"


# Each indicator's natural direction (higher is better?) and default weight.
DEFAULTS: dict[NoticeIndicator, tuple[bool, float]] = {
    NoticeIndicator.SCREENINGS_REPORTED: (True, 15.0),
    NoticeIndicator.RESOLUTION_RATE: (True, 25.0),
    NoticeIndicator.MEDIAN_DAYS_TO_RESOLUTION: (False, 15.0),
    NoticeIndicator.BACKLOG_CLEARED: (True, 15.0),
    NoticeIndicator.OVERDUE_HANDOVERS: (False, 10.0),
    NoticeIndicator.ESCALATED_PETITIONS_PER_100: (False, 10.0),
    NoticeIndicator.TRAINING_HOURS: (True, 10.0),
}


class IndicatorSetting(BaseModel):
    """One indicator's knobs (``HUB_NOTICES__<INDICATOR>__ENABLED / __WEIGHT / __HIGHER_IS_BETTER``);
    unset: the indicator's default (DEFAULTS)."""

    enabled: bool = True
    weight: float | None = Field(default=None, ge=0)
    higher_is_better: bool | None = None


class NoticeIndicators(BaseModel):
    """The notices' configuration (settings: ``HUB_NOTICES__…``), documented in docs/notices.md."""

    screenings_reported: IndicatorSetting = Field(default_factory=IndicatorSetting)
    resolution_rate: IndicatorSetting = Field(default_factory=IndicatorSetting)
    median_days_to_resolution: IndicatorSetting = Field(default_factory=IndicatorSetting)
    backlog_cleared: IndicatorSetting = Field(default_factory=IndicatorSetting)
    overdue_handovers: IndicatorSetting = Field(default_factory=IndicatorSetting)
    escalated_petitions_per_100: IndicatorSetting = Field(default_factory=IndicatorSetting)
    training_hours: IndicatorSetting = Field(default_factory=IndicatorSetting)
    overdue_handover_days: int = Field(default=7, ge=1, description="a handover pending longer than this is overdue")

    @model_validator(mode="after")
    def _something_weighs(self) -> "NoticeIndicators":
        if not any(w.weight > 0 for w in self.weightings()):
            raise ValueError("supervision notices need at least one enabled indicator with a weight above 0")
        return self

    def weightings(self) -> list["Weighting"]:
        """The enabled indicators, in the enum's order, with their resolved weight and direction."""
        out = []
        for indicator in NoticeIndicator:
            setting: IndicatorSetting = getattr(self, indicator.value.lower())
            if not setting.enabled:
                continue
            higher, weight = DEFAULTS[indicator]
            out.append(Weighting(
                indicator=indicator, weight=weight if setting.weight is None else float(setting.weight),
                higher_is_better=higher if setting.higher_is_better is None else setting.higher_is_better))
        return out


@dataclass(frozen=True)
class Weighting:
    """An indicator as a notice uses it: its weight and its direction."""

    indicator: NoticeIndicator
    weight: float
    higher_is_better: bool


@dataclass(frozen=True)
class Scored:
    """One unit's normalised score per indicator (None: no value, left out), its total and rank."""

    scores: dict[NoticeIndicator, float | None]
    total: float | None
    rank: int | None


Values = Mapping[NoticeIndicator, float | None]


def normalise(values: Mapping[str, float | None], *, higher_is_better: bool) -> dict[str, float | None]:
    """Each unit's value as 0-100 across the units by direction (min-max); all equal: 100; no value: None."""
    present = {k: v for k, v in values.items() if v is not None}
    if not present:
        return {k: None for k in values}
    low, high = min(present.values()), max(present.values())
    out: dict[str, float | None] = {}
    for key, value in values.items():
        if value is None:
            out[key] = None
        elif high == low:
            out[key] = 100.0
        else:
            share = (value - low) / (high - low)
            out[key] = 100.0 * (share if higher_is_better else 1.0 - share)
    return out


def weighted_total(scores: Mapping[NoticeIndicator, float | None], weightings: Sequence[Weighting]) -> float | None:
    """The weighted mean of the scores a unit has, weights renormalised over them; None when none weighs."""
    pairs = [(scores.get(w.indicator), w.weight) for w in weightings]
    weight = sum(wt for score, wt in pairs if score is not None)
    if weight <= 0:
        return None
    return round(sum(score * wt for score, wt in pairs if score is not None) / weight, SCORE_DECIMALS)


def competition_ranks(totals: Mapping[str, float | None]) -> dict[str, int | None]:
    """Rank by total, descending; equal totals share a rank and the next rank skips (1, 2, 2, 4); no total: None."""
    ranked = sorted((t, k) for k, t in totals.items() if t is not None)
    ordered = [t for t, _ in sorted(ranked, key=lambda p: -p[0])]
    return {k: (None if t is None else 1 + sum(1 for other in ordered if other > t)) for k, t in totals.items()}


def score_units(units: Mapping[str, Values], weightings: Sequence[Weighting]) -> dict[str, Scored]:
    """Normalise, total and rank the units (of one kind) on the indicators."""
    scores: dict[str, dict[NoticeIndicator, float | None]] = {code: {} for code in units}
    for w in weightings:
        normalised = normalise({code: values.get(w.indicator) for code, values in units.items()},
                               higher_is_better=w.higher_is_better)
        for code, score in normalised.items():
            scores[code][w.indicator] = None if score is None else round(score, SCORE_DECIMALS)
    totals = {code: weighted_total(s, weightings) for code, s in scores.items()}
    ranks = competition_ranks(totals)
    return {code: Scored(scores=scores[code], total=totals[code], rank=ranks[code]) for code in units}
