"""Load: `hub serve --workers 2` under many clients at once (locust), and the hub's memory over time.

    .venv/bin/python -m bench.load --url mongodb://127.0.0.1:27700/ [--db mediation_hub] [--secret S]
        [--users 50] [--spawn-rate 10] [--minutes 5] [--workers 2] [--out /tmp/load] [--profile] [--store-pid PID]

Needs a database seeded with the demo data set (`hub seed --scale N`, the default seed). Reads from
it with PyMongo what the clients need: 5,000 cases with the agencies that may view each (the lead
agency, an agency involved, the township's and the district's coordination centres), the centres
and the township committees that page through cases, and the period of the summaries (the twelve
months to the data's last opening); regenerates from the demo generator the ID numbers of the
parties of its first 1,000 cases (its petitioners among them); takes the GraphQL documents from
the console (`console/src/graphql/*.graphql`); and issues tokens for every agency and client (each
client its own user, so no one user's or agency's rate limit is what gets measured).

Then starts `hub serve --workers N` against the database (its log in OUT/serve.log; HUB_* of
the environment, HUB_RATE_LIMIT_USER for instance, pass through), runs locust headless
(`bench/locustfile.py`: the mix and its checks are there) for `--minutes` with `--users` clients,
samples the resident memory (VmRSS) and CPU time of the supervisor, each worker and locust (and
the store, given `--store-pid`) every 10 s, and prints per operation: requests, requests/s, p50,
p99, failures; the total; the failures by reason; and RSS at the start, each minute and the end.
Everything locust wrote is in OUT (locust_stats.csv, locust_failures.csv,
locust_stats_history.csv), the samples in OUT/rss.csv.
Ingestion adds new cases to the database (source systems `<agency>-LOAD-<run>`).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from graphql import DocumentNode, FragmentDefinitionNode, FragmentSpreadNode, OperationDefinitionNode, parse, print_ast
from graphql.language import Visitor, visit
from pymongo import MongoClient

from bench.common import free_port, profiled
from hub.keys.ring import KeyRing
from hub.auth import tokens
from hub.config import PROJECT_ROOT
from seeds import generator
from seeds.world import CST

SAMPLE_SECONDS = 10
CASES = 5_000
PEOPLE_FROM_CASES = 1_000
OPERATIONS = ("CaseView", "Cases", "PersonLookup", "Analysis", "SubmitScreening")


def console_documents(names: tuple[str, ...] = OPERATIONS) -> dict[str, str]:
    """The console's operations by name, each with the fragments it spreads (and only those)."""
    definitions = [d for path in sorted((PROJECT_ROOT / "console/src/graphql").glob("*.graphql"))
                   for d in parse(path.read_text()).definitions]
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    operations = {d.name.value: d for d in definitions if isinstance(d, OperationDefinitionNode) and d.name}

    def spreads(node: object) -> set[str]:
        found: set[str] = set()

        class Spreads(Visitor):
            def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
                found.add(spread.name.value)

        visit(node, Spreads())  # type: ignore[arg-type]
        return found

    out = {}
    for name in names:
        needed: list[str] = []
        todo = sorted(spreads(operations[name]))
        while todo:
            fragment = todo.pop()
            if fragment not in needed:
                needed.append(fragment)
                todo.extend(sorted(spreads(fragments[fragment])))
        out[name] = print_ast(DocumentNode(definitions=(operations[name], *(fragments[f] for f in sorted(needed)))))
    return out


def plan(args: argparse.Namespace, out: Path) -> dict:
    """Everything the clients need, read from the database and the generator."""
    db = MongoClient(args.url, tz_aware=True)[args.db]
    agencies = list(db.agencies.find({}, {"_id": 0, "code": 1, "kind": 1, "region_code": 1}))
    centres = [a for a in agencies if a["kind"] == "COORDINATION_CENTRE"]
    district = min(centres, key=lambda a: len(a["region_code"]))
    townships = {a["region_code"]: a["code"] for a in centres if a is not district}
    committees = [a["code"] for a in agencies if a["kind"] == "PEOPLES_MEDIATION_COMMITTEE"
                  and a["region_code"] in townships]
    rows = list(db.cases.find({}, {"_id": 0, "case_no": 1, "region_path": 1, "lead_agency_code": 1, "agencies": 1}))
    rng = random.Random(1)
    cases = []
    for row in rng.sample(rows, min(CASES, len(rows))):
        viewers = [row.get("lead_agency_code"), rng.choice(row.get("agencies") or [None]),
                   next((townships[r] for r in row.get("region_path", []) if r in townships), None), district["code"]]
        cases.append({"caseNo": row["case_no"], "viewers": list(dict.fromkeys(v for v in viewers if v))})
    last = next(db.cases.find({}, {"opened_at": 1}).sort("opened_at", -1).limit(1))["opened_at"].astimezone(CST)
    end = (last.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    period = {"from": end.replace(year=end.year - 1).astimezone(timezone.utc).isoformat(),
              "to": end.astimezone(timezone.utc).isoformat()}
    petitioners, others = set(), set()
    for batch in generator.iter_batches(scale=PEOPLE_FROM_CASES):
        for record in batch["records"]:
            for party in record.get("parties", []):
                if party.get("idNumber"):
                    (petitioners if party["role"] == "PETITIONER" else others).add(party["idNumber"])
    # Half the look-ups are of petitioners (the petition window's case), half of any other party.
    id_numbers = sorted(petitioners) * max(1, len(others) // max(1, len(petitioners))) + sorted(others)
    ttl = timedelta(minutes=args.minutes + 60)
    issued = {a["code"]: [tokens.issue(keys=KeyRing(args.secret), agency_code=a["code"], user=f"压测用户{n:02d}", roles=[],
                                       ttl=ttl) for n in range(args.users)] for a in agencies}
    summaries = [(district["code"], district["region_code"], "district")] * len(townships)
    summaries += [(code, region, "township") for region, code in sorted(townships.items())]
    pages = [(district["code"], "district centre")] * len(townships)
    pages += [(code, "township centre") for code in sorted(townships.values())]
    pages += [(code, "committee") for code in sorted(committees)]
    return {
        "tag": datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S"),
        "clients": args.users,
        "documents": console_documents(),
        "cases": cases,
        "page_scopes": pages,
        "summaries": summaries,
        "period": period,
        "id_numbers": id_numbers,
        "petition_bureau": next(a["code"] for a in agencies if a["kind"] == "PETITION_BUREAU"),
        "tokens": issued,
        "outcomes": str(out / "outcomes.json"),
        "data": {"cases": len(rows), "records": db.records.estimated_document_count(),
                 "people": db.people.estimated_document_count()},
    }


def workers_of(pid: int) -> list[int]:
    """The processes uvicorn's supervisor `pid` spawned (multiprocessing's `spawn_main`)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        with contextlib.suppress(FileNotFoundError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def stop(server: subprocess.Popen) -> list[int]:
    """SIGTERM, then SIGKILL for the supervisor and its workers if it has not stopped within 60 s;
    returns the pids killed."""
    workers = workers_of(server.pid) if server.poll() is None else []
    server.terminate()
    try:
        server.wait(timeout=60)
        return []
    except subprocess.TimeoutExpired:
        stuck = [pid for pid in workers_of(server.pid) or workers if Path(f"/proc/{pid}").exists()]
        for pid in stuck:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.kill()
        server.wait(timeout=10)
        return [*stuck, server.pid]


def sample(pid: int) -> tuple[float, float]:
    """(VmRSS in MiB, CPU seconds user + system) of a running process; NaN when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return float("nan"), float("nan")
    rss = next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")),
               float("nan"))  # a zombie has none
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args: argparse.Namespace) -> None:
    """Prepare, serve, load, sample, report."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    the_plan = plan(args, out)
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(the_plan, ensure_ascii=False))
    plan_path.chmod(0o600)  # it holds tokens
    data = the_plan["data"]
    print(f"data: {data['cases']:,} cases, {data['records']:,} records, {data['people']:,} persons; plan ready in "
          f"{time.monotonic() - started:.0f} s ({len(the_plan['cases'])} cases to view, "
          f"{len(set(the_plan['id_numbers']))} ID numbers, summaries of {the_plan['period']['from']} to "
          f"{the_plan['period']['to']})", flush=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HUB_MONGODB_URL": args.url, "HUB_DB": args.db, "HUB_PORT": str(port),
           "HUB_SECRET_KEY": args.secret, "HUB_WORKERS": str(args.workers)}
    if args.tracemalloc:  # bench/memtrace/sitecustomize.py: a snapshot of each process every minute
        env |= {"PYTHONTRACEMALLOC": "1", "HUB_BENCH_SNAPSHOTS": str(out / "tracemalloc"),
                "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "bench/memtrace"), env.get("PYTHONPATH", "")])}
    venv = Path(sys.executable).parent
    serve_log = out / "serve.log"
    offset = serve_log.stat().st_size if serve_log.exists() else 0
    with serve_log.open("ab") as log:
        server = subprocess.Popen([str(venv / "hub"), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Every worker started (else the first clients' keep-alive connections all land on the first one up).
        for _ in range(1200):
            with serve_log.open("rb") as f:
                f.seek(offset)
                up = f.read().count(b"Application startup complete")
            if up >= args.workers:
                break
            if server.poll() is not None:
                raise SystemExit(f"hub serve stopped; see {serve_log}")
            time.sleep(0.1)
        else:
            raise SystemExit(f"hub serve did not get ready; see {serve_log}")
        if httpx.get(f"{base}/readyz", timeout=10).status_code != 200:
            raise SystemExit(f"hub serve is not ready; see {serve_log}")
        workers = workers_of(server.pid) if args.workers > 1 else [server.pid]
        bureau = the_plan["petition_bureau"]
        check = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {the_plan['tokens'][bureau][0]}"},
                           json={"query": the_plan["documents"]["PersonLookup"],
                                 "variables": {"purpose": "压测前核对", "idNumber": the_plan["id_numbers"][0]}},
                           timeout=120).json()
        if not (check.get("data") or {}).get("personLookup", {}).get("found"):
            raise SystemExit(f"the first ID number is not found (not the demo's default seed?): {check}")
        processes = {"supervisor": server.pid} if args.workers > 1 else {}
        processes |= {f"worker {n + 1}" if args.workers > 1 else "hub serve": pid for n, pid in enumerate(workers)}
        with (out / "locust.log").open("wb") as locust_log:
            locust = subprocess.Popen(
                [str(venv / "locust"), "-f", str(PROJECT_ROOT / "bench/locustfile.py"), "--headless",
                 "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.minutes * 60:.0f}s",
                 "--host", base, "--csv", str(out / "locust"),
                 "--csv-full-history", "--stop-timeout", "30", "--only-summary", "--loglevel", "WARNING"],
                env={**os.environ, "LOAD_PLAN": str(plan_path)}, stdout=locust_log, stderr=subprocess.STDOUT)
        processes["locust"] = locust.pid
        if args.store_pid:
            processes["store"] = args.store_pid
        samples: list[dict[str, float]] = []
        with contextlib.ExitStack() as spies:
            shares = [spies.enter_context(profiled(pid, out / f"spy-{pid}.txt")) for pid in workers] \
                if args.profile else []
            load_started = time.monotonic()
            while True:
                row = {"t": round(time.monotonic() - load_started, 1)}
                for name, pid in processes.items():
                    row[f"{name} rss"], row[f"{name} cpu"] = sample(pid)
                samples.append(row)
                if locust.poll() is not None:
                    break
                time.sleep(SAMPLE_SECONDS - (time.monotonic() - load_started) % SAMPLE_SECONDS)
    finally:
        stuck = stop(server)
    with (out / "rss.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(samples[0]))
        writer.writeheader()
        writer.writerows(samples)
    with serve_log.open("rb") as f:
        f.seek(offset)
        errors = [line for line in f.read().decode(errors="replace").splitlines() if " ERROR " in line]
    report(out, samples, processes, args, shares)
    if args.tracemalloc:
        traced(out / "tracemalloc", workers)
    if stuck:
        print(f"\nhub serve did not stop within 60 s of SIGTERM; killed {stuck}")
    print(f"\nhub serve's log: {len(errors)} ERROR lines" + "".join(f"\n  {e[:200]}" for e in errors[:5]))


def traced(directory: Path, workers: list[int]) -> None:
    """What tracemalloc saw in each worker: the Python heap a minute by minute, and the lines whose allocations
    grew most between the first minute's snapshot and the last."""
    import tracemalloc

    for pid in workers:
        snaps = sorted(directory.glob(f"{pid}-*.snap"), key=lambda p: int(p.stem.split("-")[1]))
        if len(snaps) < 2:
            continue
        loaded = [tracemalloc.Snapshot.load(str(p)) for p in snaps]
        sizes = [sum(s.size for s in snap.statistics("filename")) / 2**20 for snap in loaded]
        print(f"\nworker {pid}, Python heap traced (MiB) at " + ", ".join(
            f"{p.stem.split('-')[1]} s {size:.0f}" for p, size in zip(snaps, sizes)))
        for stat in loaded[-1].compare_to(loaded[0], "lineno")[:12]:
            frame = stat.traceback[0]
            print(f"  {stat.size_diff / 2**20:+8.1f} MiB ({stat.size / 2**20:7.1f} MiB, {stat.count_diff:+,} blocks)  "
                  f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}")


def figure(value: float) -> str:
    """A whole number, or a dash for a process that was gone."""
    return "—" if value != value else f"{value:,.0f}"


def report(out: Path, samples: list[dict[str, float]], processes: dict[str, int], args: argparse.Namespace,
           shares: list[dict[str, float]]) -> None:
    """The markdown tables."""
    with (out / "locust_stats.csv").open() as f:
        stats = list(csv.DictReader(f))
    print(f"\n{args.users} clients, {args.minutes:g} min, hub serve --workers {args.workers}\n")
    print("| operation | requests | req/s | p50 ms | p99 ms | max ms | failures |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in sorted(stats, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "**all**" if row["Name"] == "Aggregated" else row["Name"]
        print(f"| {name} | {int(row['Request Count']):,} | {float(row['Requests/s']):.1f} | {row['50%']} | "
              f"{row['99%']} | {float(row['Max Response Time']):,.0f} | {int(row['Failure Count']):,} |")
    with (out / "locust_failures.csv").open() as f:
        failures = list(csv.DictReader(f))
    if failures:
        print("\nfailures:")
        for row in sorted(failures, key=lambda r: -int(r["Occurrences"])):
            print(f"- {row['Name']}: {row['Occurrences']} × {row['Error']}")
    outcomes = out / "outcomes.json"
    if outcomes.exists():
        print("\ningestion:", ", ".join(f"{k} {v:,}" for k, v in json.loads(outcomes.read_text()).items()))
    with (out / "locust_stats_history.csv").open() as f:
        history = [r for r in csv.DictReader(f) if r["Name"] == "Aggregated"]
    if history:
        t0 = int(history[0]["Timestamp"])
        counts = [(int(r["Timestamp"]) - t0, int(r["Total Request Count"])) for r in history]
        per_minute = []
        for minute in range(1, int(args.minutes) + 1):
            before = max((c for t, c in counts if t <= (minute - 1) * 60), default=0)
            upto = max((c for t, c in counts if t <= minute * 60), default=0)
            per_minute.append((upto - before) / 60)
        print("\nthroughput by minute (req/s):", " ".join(f"{r:.1f}" for r in per_minute))
    names = [n for n in processes]
    print("\n| t | " + " | ".join(f"{n} RSS MiB" for n in names) + " | "
          + " | ".join(f"{n} CPU s" for n in names) + " |")
    print("| ---: | " + " | ".join("---:" for _ in names * 2) + " |")
    marks = [samples[0]] + [next((s for s in samples if s["t"] >= m * 60 - 1), samples[-1])
                            for m in range(1, int(args.minutes) + 1)] + [samples[-1]]
    for s in dict.fromkeys(id(s) for s in marks):
        row = next(r for r in marks if id(r) == s)
        print(f"| {row['t']:.0f} s | " + " | ".join(figure(row[f"{n} rss"]) for n in names) + " | "
              + " | ".join(figure(row[f"{n} cpu"]) for n in names) + " |")
    for name in names:
        if name in ("locust", "store"):
            continue
        first, last = samples[0][f"{name} rss"], samples[-1][f"{name} rss"]
        minutes = max(samples[-1]["t"] / 60, 1e-9)
        line = f"{name}: RSS {first:.0f} → {last:.0f} MiB ({(last - first) / minutes:+.1f} MiB a minute"
        warm = next((s for s in samples if s["t"] >= 60), None)
        if warm is not None and samples[-1]["t"] - warm["t"] >= 60:  # growth once warmed up: the first minute left out
            slope = (last - warm[f"{name} rss"]) / ((samples[-1]["t"] - warm["t"]) / 60)
            line += f"; after the first minute {slope:+.1f} MiB a minute"
        print(line + ")")
    for n, share in enumerate(shares):
        print(f"\nworker {n + 1}, where its CPU went (py-spy):")
        for layer, part in share.items():
            print(f"  {part * 100:5.1f}%  {layer}")


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", default="mediation_hub")
    parser.add_argument("--secret", default=os.environ.get("HUB_SECRET_KEY"),
                        required="HUB_SECRET_KEY" not in os.environ,
                        help="HUB_SECRET_KEY the data was seeded with (default: the environment's)")
    parser.add_argument("--users", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="clients started a second (default 10)")
    parser.add_argument("--minutes", type=float, default=5, help="how long the load runs (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="hub serve's worker processes (default 2)")
    parser.add_argument("--out", default="/tmp/load", help="where locust's CSVs, the samples and the logs go")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="trace the workers' Python allocations and print, at the end, their heap minute by "
                             "minute and the lines that grew most (slower: for finding where memory goes)")
    parser.add_argument("--profile", action="store_true", help="sample each worker with py-spy (`make bench`)")
    parser.add_argument("--store-pid", type=int, default=None,
                        help="also sample this process (the store's: `hub store status` names it)")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
