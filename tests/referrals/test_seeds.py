"""The demo data shows referrals in every state and to every target, consistently and deterministically."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from hub.ingest.models import RECORD_ADAPTER
from hub.ingest.referrals import problems
from seeds.generator import generate

NOW = datetime(2026, 11, 15, 8, 0, tzinfo=timezone.utc)


def referrals(**kwargs: object) -> list[dict[str, object]]:
    return [r for b in generate(**kwargs).batches for r in b["records"] if r["kind"] == "REFERRAL"]  # type: ignore[arg-type]


def test_every_state_target_and_outcome_appears_and_each_referral_is_consistent() -> None:
    found = referrals(scale=2000, now=NOW)

    states = Counter(r["details"].get("status", "REFERRED") for r in found)  # type: ignore[union-attr]
    assert set(states) == {"REFERRED", "FILED", "DECIDED"} and min(states.values()) >= 20, states
    assert {r["details"]["target"] for r in found} == {  # type: ignore[index]
        "ARBITRATION", "ADMINISTRATIVE_RULING", "ADMINISTRATIVE_RECONSIDERATION", "LITIGATION",
        "CRIMINAL_RECONCILIATION", "SETTLEMENT"}
    assert {r["details"].get("outcome") for r in found} == {  # type: ignore[union-attr]
        None, "UPHELD", "PARTLY_UPHELD", "DISMISSED", "SETTLED", "WITHDRAWN"}
    for raw in found:
        parsed = RECORD_ADAPTER.validate_python(raw)  # no date in the future either (validated against the clock)
        assert problems(parsed.details, occurred_at=parsed.occurred_at) == [], raw
        for name in ("filedAt", "decidedAt"):
            if name in raw["details"]:  # type: ignore[operator]
                assert datetime.fromisoformat(raw["details"][name]) < NOW  # type: ignore[index]


def test_the_referrals_are_generated_alike_every_time() -> None:
    assert referrals(scale=300, now=NOW) == referrals(scale=300, now=NOW)
