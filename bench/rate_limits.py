"""What shared rate limits cost: two `hub serve` processes on one database, one counting every request in the
store (HUB_RATE_LIMIT_USER and HUB_RATE_LIMIT_AGENCY set, high enough never to refuse), one with no limits.

    .venv/bin/python -m bench.rate_limits [--url mongodb://127.0.0.1:27018/ --db mediation_hub] [--scale 200]
                                          [--rounds 30] [--secret S]

Without `--url`: a fresh local store (memory backend) seeded with `hub seed --scale N`, removed afterwards.
Each round sends to each process, the order of the two alternating, one request at a time: 20 `viewer`
queries (the lightest authenticated request: the limits' two counter upserts are the largest share of it) and
5 case views with their timelines (a typical read). Prints per kind the p50 with the limits off and on, their
ratio (of the medians over every round), and the rate windows the store holds afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from pymongo import MongoClient

from bench.common import bearer, free_port, run_on_store

VIEWER = {"query": "{ viewer { agency { code } } }"}
CASE = """query($no: String!) { case(caseNo: $no) { caseNo title status parties { role person { name } }
  timeline(first: 50) { edges { node { kind occurredAt agency { name } } } } } }"""
HUB = Path(sys.executable).with_name("hub")
ON = "1000000/minute"  # counted, never refused


@contextlib.contextmanager
def serving(args: argparse.Namespace, limit: str) -> Iterator[httpx.Client]:
    """`hub serve` against the benchmark's database with these rate limits (empty: none)."""
    port = free_port()
    env = {**os.environ, "HUB_MONGODB_URL": args.url, "HUB_DB": args.db, "HUB_PORT": str(port),
           "HUB_SECRET_KEY": args.secret, "HUB_RATE_LIMIT_USER": limit, "HUB_RATE_LIMIT_AGENCY": limit,
           "HUB_WATCH_POLL_SECONDS": "0", "HUB_WEBHOOK_POLL_SECONDS": "0", "HUB_AUDIT_SEAL_SECONDS": "0"}
    server = subprocess.Popen([str(HUB), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if http.get("/readyz").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise SystemExit("hub serve did not get ready within 60 s")
                time.sleep(0.1)
            yield http
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(args: argparse.Namespace) -> None:
    db = MongoClient(args.url, tz_aware=True)[args.db]
    if db.cases.estimated_document_count() == 0:
        subprocess.run([str(HUB), "seed", "--scale", str(args.scale)], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "HUB_MONGODB_URL": args.url, "HUB_DB": args.db, "HUB_SECRET_KEY": args.secret})
    viewed = [(c["case_no"], c["lead_agency_code"]) for c in
              db.cases.find({}, {"case_no": 1, "lead_agency_code": 1}).limit(50)]
    centre = bearer(args.secret, "QH-CC")
    leads = {agency: bearer(args.secret, agency) for _, agency in viewed}
    samples: dict[tuple[str, str], list[float]] = {(kind, mode): [] for kind in ("viewer", "case view")
                                                  for mode in ("off", "on")}
    with serving(args, "") as off, serving(args, ON) as on:
        servers = {"off": off, "on": on}
        for round_no in range(args.rounds):
            order = ("off", "on") if round_no % 2 == 0 else ("on", "off")
            for mode in order:
                http = servers[mode]
                for _ in range(20):
                    started = time.perf_counter()
                    answer = http.post("/graphql", json=VIEWER, headers=centre)
                    samples["viewer", mode].append(time.perf_counter() - started)
                    assert answer.status_code == 200, answer.text
                for case_no, agency in viewed[round_no % 10 * 5:][:5]:
                    started = time.perf_counter()
                    answer = http.post("/graphql", json={"query": CASE, "variables": {"no": case_no}},
                                       headers=leads[agency])
                    samples["case view", mode].append(time.perf_counter() - started)
                    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    print(f"{args.rounds} rounds, {len(samples['viewer', 'on'])} viewer queries and {len(samples['case view', 'on'])} "
          "case views to each process\n")
    print("| request | p50, no limits | p50, shared limits | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for kind in ("viewer", "case view"):
        off_ms, on_ms = (statistics.median(samples[kind, mode]) * 1000 for mode in ("off", "on"))
        print(f"| {kind} | {off_ms:.2f} ms | {on_ms:.2f} ms | {on_ms / off_ms:.2f} |")
    print(f"\nrate windows in the store: {db.rate_windows.count_documents({})}")


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None)
    parser.add_argument("--db", default="mediation_hub")
    parser.add_argument("--scale", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--secret", default=os.environ.get("HUB_SECRET_KEY", "bench-secret-of-at-least-thirty-two-bytes"))
    run_on_store(parser.parse_args(), run)


if __name__ == "__main__":
    main()
