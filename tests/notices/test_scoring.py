"""The notice's scoring rules, pure: min-max by direction, weights renormalised over the values a unit has,
competition ranks; and the configuration read from the environment."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from pydantic import ValidationError

from hub.config import Settings
from hub.notices.indicators import (
    NoticeIndicator as I, NoticeIndicators, Weighting, competition_ranks, normalise, score_units, weighted_total,
)

RATE = Weighting(I.RESOLUTION_RATE, 2.0, True)
DAYS = Weighting(I.MEDIAN_DAYS_TO_RESOLUTION, 1.0, False)


def test_min_max_by_direction_and_all_equal_is_100() -> None:
    assert normalise({"a": 0.5, "b": 1.0, "c": 0.75}, higher_is_better=True) == {"a": 0.0, "b": 100.0, "c": 50.0}
    assert normalise({"a": 10, "b": 20, "c": None}, higher_is_better=False) == {"a": 100.0, "b": 0.0, "c": None}
    assert normalise({"a": 3, "b": 3}, higher_is_better=False) == {"a": 100.0, "b": 100.0}
    assert normalise({"a": None}, higher_is_better=True) == {"a": None}


def test_a_missing_value_is_left_out_and_the_weights_renormalised() -> None:
    # b has no resolved case: its total is its rate score alone, not dragged down by a zero
    scored = score_units({"a": {I.RESOLUTION_RATE: 0.5, I.MEDIAN_DAYS_TO_RESOLUTION: 10},
                          "b": {I.RESOLUTION_RATE: 1.0, I.MEDIAN_DAYS_TO_RESOLUTION: None},
                          "c": {I.RESOLUTION_RATE: 0.8, I.MEDIAN_DAYS_TO_RESOLUTION: 30}}, [RATE, DAYS])
    assert scored["b"].scores == {I.RESOLUTION_RATE: 100.0, I.MEDIAN_DAYS_TO_RESOLUTION: None}
    assert scored["b"].total == 100.0
    assert scored["a"].total == pytest.approx((0.0 * 2 + 100.0 * 1) / 3, abs=0.01)
    assert scored["c"].total == pytest.approx((60.0 * 2 + 0.0 * 1) / 3, abs=0.01)
    assert [scored[k].rank for k in "abc"] == [3, 1, 2]


def test_a_unit_without_any_weighted_value_has_no_score_and_no_rank() -> None:
    scored = score_units({"a": {I.RESOLUTION_RATE: 0.5}, "b": {I.RESOLUTION_RATE: None}}, [RATE])
    assert (scored["b"].total, scored["b"].rank) == (None, None)
    assert (scored["a"].total, scored["a"].rank) == (100.0, 1)
    assert weighted_total({I.RESOLUTION_RATE: 80.0}, [Weighting(I.RESOLUTION_RATE, 0.0, True)]) is None


def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    assert competition_ranks({"a": 90.0, "b": 80.0, "c": 80.0, "d": 10.0, "e": None}) == {
        "a": 1, "b": 2, "c": 2, "d": 4, "e": None}


units = st.dictionaries(
    st.sampled_from("ABCDEFG"),
    st.fixed_dictionaries({I.RESOLUTION_RATE: st.one_of(st.none(), st.floats(0, 1)),
                           I.MEDIAN_DAYS_TO_RESOLUTION: st.one_of(st.none(), st.floats(0, 200)),
                           I.TRAINING_HOURS: st.floats(0, 100)}),
    min_size=1, max_size=7)
weightings = st.lists(st.tuples(st.sampled_from([I.RESOLUTION_RATE, I.MEDIAN_DAYS_TO_RESOLUTION, I.TRAINING_HOURS]),
                                st.floats(0.5, 50), st.booleans()), min_size=1, max_size=3, unique_by=lambda t: t[0])


@settings(max_examples=300, deadline=None)
@given(units, weightings, st.data())
def test_improving_a_value_in_its_good_direction_never_lowers_the_rank(units, weighting, data) -> None:
    ws = [Weighting(i, w, h) for i, w, h in weighting]
    code = data.draw(st.sampled_from(sorted(units)))
    w = data.draw(st.sampled_from(ws))
    before = score_units(units, ws)[code]
    value = units[code][w.indicator]
    if value is None or before.rank is None:
        return
    step = data.draw(st.floats(0, 100))
    improved = {**units, code: {**units[code], w.indicator: value + step if w.higher_is_better else max(value - step, 0)}}
    after = score_units(improved, ws)[code]
    assert after.rank is not None and after.rank <= before.rank
    assert after.total is not None and after.total >= before.total


@settings(max_examples=200, deadline=None)
@given(units, weightings)
def test_scores_lie_in_0_100_and_ranks_follow_the_totals(units, weighting) -> None:
    scored = score_units(units, [Weighting(i, w, h) for i, w, h in weighting])
    totals = [s.total for s in scored.values() if s.total is not None]
    assert all(0 <= t <= 100 for t in totals)
    for a in scored.values():
        for b in scored.values():
            if a.total is not None and b.total is not None and a.total > b.total:
                assert a.rank is not None and b.rank is not None and a.rank < b.rank
    if totals:
        assert min(s.rank for s in scored.values() if s.rank is not None) == 1


def test_the_configuration_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_NOTICES__RESOLUTION_RATE__WEIGHT", "40")
    monkeypatch.setenv("HUB_NOTICES__TRAINING_HOURS__ENABLED", "false")
    monkeypatch.setenv("HUB_NOTICES__SCREENINGS_REPORTED__HIGHER_IS_BETTER", "false")
    monkeypatch.setenv("HUB_NOTICES__OVERDUE_HANDOVER_DAYS", "10")
    config = Settings().notices
    by = {w.indicator: w for w in config.weightings()}
    assert I.TRAINING_HOURS not in by
    assert (by[I.RESOLUTION_RATE].weight, by[I.RESOLUTION_RATE].higher_is_better) == (40.0, True)
    assert by[I.SCREENINGS_REPORTED].higher_is_better is False
    assert (by[I.MEDIAN_DAYS_TO_RESOLUTION].weight, by[I.MEDIAN_DAYS_TO_RESOLUTION].higher_is_better) == (15.0, False)
    assert config.overdue_handover_days == 10


def test_a_configuration_that_weighs_nothing_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one enabled indicator"):
        NoticeIndicators(**{i.value.lower(): {"enabled": False} for i in I})
    with pytest.raises(ValidationError):
        NoticeIndicators(resolution_rate={"weight": -1})
