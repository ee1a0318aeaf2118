"""What counting referral states costs the summary pipeline, sent with PyMongo directly.

    .venv/bin/python -m bench.referral_pipeline --url mongodb://127.0.0.1:27400/ [--db mediation_hub] [--runs 5]

Times three versions of the district summary by township (`hub.analytics.summary.pipeline`): as the hub
sends it (the first `$group` also keyed by the case's latest referral target, status and outcome); the
same without that key (no referral states); and without the key but with one `$sum`/`$cond`
accumulator per (target, status, outcome) state, the alternative design. Prints the medians and ratios.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from typing import Any

from pymongo import MongoClient

from hub.analytics.summary import Dimension, SummaryFilter, pipeline
from hub.records.enums import ReferralOutcome, ReferralStatus, ReferralTarget

REFERRAL_KEYS = ("rt", "rs", "ro")


def without_referral_key(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pipeline with its first `$group` no longer keyed by the referral state."""
    out = copy.deepcopy(stages)
    first = next(s for s in out if "$group" in s)["$group"]
    for key in REFERRAL_KEYS:
        first["_id"].pop(key)
    return out


def with_accumulators(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pipeline without the key, counting each referral state with an accumulator of its own."""
    out = without_referral_key(stages)
    states = [(t.value, s.value, o) for t in ReferralTarget for s in ReferralStatus
              for o in ([x.value for x in ReferralOutcome] if s is ReferralStatus.DECIDED else [None])]
    first = next(s for s in out if "$group" in s)["$group"]
    for n, (target, status, outcome) in enumerate(states):
        first[f"referral_{n}"] = {"$sum": {"$cond": [{"$and": [
            {"$eq": ["$referral_target", target]},
            {"$eq": [{"$ifNull": ["$referral_status", ReferralStatus.REFERRED.value]}, status]},
            {"$eq": [{"$ifNull": ["$referral_outcome", None]}, outcome]}]}, 1, 0]}}
    return out


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", default="mediation_hub")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    db = MongoClient(args.url, tz_aware=True)[args.db]
    flt = SummaryFilter(region="510199")
    sent = pipeline(filter=flt, group_by=(Dimension.TOWNSHIP,), cutoff=flt.backlog_cutoff())
    versions = {"as the hub sends it (keyed by referral state)": sent, "no referral states": without_referral_key(sent),
                "one accumulator per state": with_accumulators(sent)}
    times: dict[str, list[float]] = {name: [] for name in versions}
    for _ in range(args.runs):
        for name, stages in versions.items():
            started = time.perf_counter()
            list(db.cases.aggregate(stages))
            times[name].append(time.perf_counter() - started)
    base = statistics.median(times["no referral states"])
    print(f"data: {db.cases.estimated_document_count()} cases")
    for name, samples in times.items():
        print(f"{name}: median {statistics.median(samples) * 1000:.0f} ms ({statistics.median(samples) / base:.2f}x)")


if __name__ == "__main__":
    main()
