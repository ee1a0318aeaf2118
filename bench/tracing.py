"""What observability costs: one request mix against `hub serve` with traces off and on, and, in this process,
the parts that are always on (per-operation metrics, the request id and the access log) against the same app
without them.

    .venv/bin/python -m bench.tracing [--url mongodb://127.0.0.1:27018/ --db mediation_hub] [--scale 1000]
                                      [--rounds 40] [--warmup 3] [--parts 12] [--profile] [--secret S]

Without `--url`: a fresh local store (memory backend, `HUB_STORE_HEAP` applies) seeded with
`hub seed --scale N`, removed afterwards. With it: that database, seeded with the demo data set (the
default seed; at least 1,000 cases, whose parties' ID numbers the look-ups use).

The mix is the console's own documents (`bench/load.py`'s plan: its cases with the agencies that may view
each, page scopes, summary scopes, ID numbers), in about the proportions of `bench/locustfile.py`: per round,
4 `CaseView`, 2 `Cases` (a first page of 20), 2 `PersonLookup` (by ID number, at the petition bureau), 2
`SubmitScreening` (`ingestRecords` of 10 demo records under a source system of this run's own: new records,
on the demo's cases and people) and 1 `Analysis` (the console's four summaries of a year), one request at
a time.

Part 1, `hub serve`: three processes on the one database, HUB_LOG_FORMAT=json, rate limits off: one without
any OTEL_* setting (traces off), one with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a collector in this
process that accepts and discards (stdlib ThreadingHTTPServer on 127.0.0.1: 200 to POST /v1/traces, counting
the spans it is sent) and the SDK's defaults otherwise (BatchSpanProcessor: every 5 s or 512 spans), and one
the same but keeping one trace in ten (OTEL_TRACES_SAMPLER=parentbased_traceidratio, ..._ARG=0.1). Each
round sends the mix to each process, which of them goes first, second and third turning. Prints per operation the p50 off
and on and their ratio, the ratio of the medians of a whole round, the CPU time each process spent over all
the measured rounds (/proc utime + stime: the exporter's thread included) and the spans exported per request. With `--profile`,
py-spy samples both processes during the measured rounds and the share of their busy samples spent in
tracing (OpenTelemetry's code, protobuf, hub/tracing.py, the exporter's thread) and in the always-on parts is
printed: a share, unlike a latency, does not move with the machine's other load.

Part 2, in this process (httpx's ASGI transport, logging as `hub serve` configures it, JSON to /dev/null):
the app as built against the same app with the metrics extension and the request-id middleware (which
writes the access log) taken out, the same way, round by round. Prints the same ratios (the CPU time is this
process's, the client's included).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette

from bench.common import free_port, run_on_store
from bench.load import plan
from hub.app import create_app
from hub.config import Settings
from hub.logs import configure_logging
from hub.metrics import OperationMetrics
from hub.request_id import RequestId
from seeds import generator

SECRET = "bench-secret-of-at-least-thirty-two-bytes"
MIX = (("CaseView", 4), ("Cases", 2), ("PersonLookup", 2), ("SubmitScreening", 2), ("Analysis", 1))
BATCH_RECORDS = 10


class DiscardingCollector:
    """An OTLP/HTTP endpoint that answers 200 to every POST and counts the spans it was sent."""

    def __init__(self) -> None:
        self.spans = self.requests = 0
        self.lock = threading.Lock()
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = ExportTraceServiceRequest.FromString(body)
                count = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
                with state.lock:
                    state.spans += count
                    state.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> DiscardingCollector:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def new_batches(tag: str) -> Iterator[dict[str, Any]]:
    """The demo's batches of 10 in their order (so each record's references come before it), under source
    systems of this run's own: new records, on the demo's cases and people."""
    for batch in generator.iter_batches(scale=1000, batch_size=BATCH_RECORDS):
        def retag(system: str) -> str:
            return f"{system}-BENCH-{tag}"

        batch["sourceSystem"] = retag(batch["sourceSystem"])
        for record in batch["records"]:
            for ref in [record.get("caseRef"), *record.get("refs", [])]:
                if ref:
                    ref["sourceSystem"] = retag(ref["sourceSystem"])
        yield batch


class Mix:
    """One round's requests, as (operation, agency, variables), drawn round-robin from the plan."""

    def __init__(self, the_plan: dict[str, Any], tag: str) -> None:
        self.plan = the_plan
        self.batches = new_batches(tag)
        self.counters: dict[str, int] = defaultdict(int)
        self.rejected = 0

    def _next(self, name: str, items: list[Any]) -> Any:
        self.counters[name] += 1
        return items[self.counters[name] % len(items)]

    def round(self) -> list[tuple[str, str, dict[str, Any]]]:
        out: list[tuple[str, str, dict[str, Any]]] = []
        p = self.plan
        flt = {"region": None, "categories": None, "statuses": None, "channels": None, "agency": None,
               "riskLevels": None, "tags": None, "opened": None, "lastActivity": None, "partyName": None}
        for operation, count in MIX:
            for _ in range(count):
                if operation == "CaseView":
                    case = self._next("case", p["cases"])
                    out.append((operation, self._next("viewer", case["viewers"]), {"caseNo": case["caseNo"]}))
                elif operation == "Cases":
                    agency, _scope = self._next("page", p["page_scopes"])
                    out.append((operation, agency, {"filter": flt, "first": 20, "after": None,
                                                    "orderBy": "OPENED_AT_DESC"}))
                elif operation == "PersonLookup":
                    out.append((operation, p["petition_bureau"], {"purpose": "越级信访人员基层调解情况核查",
                                                                  "idNumber": self._next("id", p["id_numbers"])}))
                elif operation == "SubmitScreening":
                    batch = next(self.batches)
                    out.append((operation, batch["agency"], {"input": batch}))
                else:
                    agency, region, _scope = self._next("summary", p["summaries"])
                    out.append((operation, agency, {"filter": {"region": region, "period": p["period"]},
                                                    "groupBy": ["TOWNSHIP"]}))
        return out

    def check(self, operation: str, answer: dict[str, Any]) -> None:
        assert not answer.get("errors"), answer["errors"]
        if operation == "SubmitScreening":
            self.rejected += answer["data"]["ingestRecords"]["rejected"]


# Where a sample of `hub serve` is, by its innermost frame outside the standard library (full file names).
TRACING_FILES = ("site-packages/opentelemetry/", "site-packages/google/protobuf/", "/hub/tracing.py")
ALWAYS_ON_FILES = ("/hub/request_id.py", "/hub/logs.py", "site-packages/pythonjsonlogger/")
ALWAYS_ON_FUNCTIONS = ("OperationMetrics.", "Metrics.observe_operation", "OperationNames.", "RequestId.")


def _innermost_own_frame(frames: list[str]) -> str:
    for frame in reversed(frames):
        if "site-packages/" in frame or "/work/" in frame or "/hub/" in frame:
            return frame
    return ""


# The part of tracing a sample is in, by the innermost of these functions on its stack.
TRACING_PARTS = (("StoreCommandSpans.", "command spans"), ("_traced_batch", "batch spans"),
                 ("OperationSpans.", "operation span"), ("OpenTelemetryMiddleware.", "request span"),
                 ("RequestSpans.", "request span"))


def classify(frames: list[str]) -> str:
    """"tracing: <part>" (OpenTelemetry's SDK, the instrumentation, protobuf, hub/tracing.py; the exporter's
    thread), "always on" (the per-operation metrics, the request id, the access log's line), or "rest"."""
    if any("opentelemetry/sdk/_shared_internal" in f for f in frames):
        return "tracing: exporter thread"  # the BatchSpanProcessor's: encoding and sending
    own = _innermost_own_frame(frames)
    if any(mark in own for mark in TRACING_FILES):
        names = [f.split(" (")[0] for f in reversed(frames)]
        return "tracing: " + next((part for name in names for mark, part in TRACING_PARTS if name.startswith(mark)),
                                  "other")
    if any(mark in own for mark in ALWAYS_ON_FILES):
        return "always on"
    if "prometheus_client" in own or "/hub/metrics.py" in own:
        hub = next((f for f in reversed(frames) if "/hub/" in f), "")
        return "always on" if any(name in hub for name in ALWAYS_ON_FUNCTIONS) else "rest"
    return "rest"


@contextlib.contextmanager
def spied(pid: int, out: Path) -> Iterator[dict[str, float]]:
    """Sample process pid with py-spy (all its threads) while the block runs; then the share of its busy
    samples that `classify` puts in each class."""
    spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--format", "raw",
                            "--rate", "200", "--full-filenames", "--nonblocking", "--output", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shares: dict[str, float] = {}
    time.sleep(1.0)  # py-spy attaches
    try:
        yield shares
    finally:
        spy.send_signal(2)
        spy.wait(timeout=60)
    counts: dict[str, int] = defaultdict(int)
    for line in out.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if any("selectors.py" in f and "select" in f for f in frames[-2:]):
            continue  # the event loop waiting
        counts[classify(frames)] += int(n)
    total = sum(counts.values())
    shares.update({name: n / total for name, n in counts.items()} if total else {})


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def hub_process(args: argparse.Namespace, log: Path, **env: str) -> Iterator[tuple[httpx.Client, int]]:
    """`hub serve` on a free port against the benchmark's database, with `env` on top: a client and its pid."""
    port = free_port()
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "OTEL_"))}
    variables |= {"HUB_MONGODB_URL": args.url, "HUB_DB": args.db, "HUB_PORT": str(port), "HUB_SECRET_KEY": args.secret,
                  "HUB_LOG_FORMAT": "json", "HUB_RATE_LIMIT_USER": "", "HUB_RATE_LIMIT_AGENCY": "", **env}
    with log.open("ab") as out:
        server = subprocess.Popen([str(Path(sys.executable).with_name("hub")), "serve"], env=variables,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if http.get("/readyz").status_code == 200:
                        break
                time.sleep(0.1)
            yield http, server.pid
    finally:
        server.terminate()
        server.wait(timeout=60)


Samples = dict[str, dict[str, list[float]]]  # variant -> operation (or "round") -> seconds


def report(title: str, samples: Samples, base: str, other: str, cpu_of: str) -> None:
    """p50 per operation and of a whole round, and the CPU time of all the rounds, with the ratios."""
    print(title)
    labels = {"round": "whole round (11 requests)"}
    for operation in [name for name, _ in MIX] + ["round"]:
        a, b = statistics.median(samples[base][operation]), statistics.median(samples[other][operation])
        print(f"  {labels.get(operation, operation):28s} {base} p50 {a * 1000:7.1f} ms   {other} p50 {b * 1000:7.1f} ms"
              f"   ratio {b / a:.3f}   ({len(samples[base][operation])} samples each)")
    a, b = sum(samples[base]["cpu"]), sum(samples[other]["cpu"])  # a sum: /proc counts in 10 ms ticks
    print(f"  CPU over the measured rounds ({cpu_of}): {base} {a:.2f} s, {other} {b:.2f} s, ratio {b / a:.3f}")


SAMPLED = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}


def part_one(args: argparse.Namespace, the_plan: dict[str, Any], tmp: Path) -> None:
    """`hub serve` with traces off, on, and on for one request in ten (the sampler)."""
    mix = Mix(the_plan, f"p1{int(time.time())}")
    variants = ("off", "on", "sampled")
    samples: Samples = {variant: defaultdict(list) for variant in variants}
    shares: dict[str, dict[str, float]] = {}
    with DiscardingCollector() as collector, DiscardingCollector() as sampled_collector, \
            contextlib.ExitStack() as spies, \
            hub_process(args, tmp / "off.log") as (off, off_pid), \
            hub_process(args, tmp / "on.log", OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint) as (on, on_pid), \
            hub_process(args, tmp / "sampled.log", OTEL_EXPORTER_OTLP_ENDPOINT=sampled_collector.endpoint,
                        **SAMPLED) as (sampled, sampled_pid):
        servers = {"off": (off, off_pid), "on": (on, on_pid), "sampled": (sampled, sampled_pid)}
        tokens = the_plan["tokens"]

        def run_round(variant: str, requests: list[tuple[str, str, dict[str, Any]]], record: bool) -> None:
            http, pid = servers[variant]
            before, started = cpu_seconds(pid), time.perf_counter()
            for operation, agency, variables in requests:
                start = time.perf_counter()
                answer = http.post("/graphql", json={"query": the_plan["documents"][operation],
                                                     "operationName": operation, "variables": variables},
                                   headers={"Authorization": f"Bearer {tokens[agency][0]}"}).json()
                if record:
                    samples[variant][operation].append(time.perf_counter() - start)
                mix.check(operation, answer)
            if record:
                samples[variant]["round"].append(time.perf_counter() - started)
                samples[variant]["cpu"].append(cpu_seconds(pid) - before)

        for n in range(args.warmup + args.rounds):
            if n == args.warmup and args.profile:
                shares = {variant: spies.enter_context(spied(pid, tmp / f"spy-{variant}.txt"))
                          for variant, (_, pid) in servers.items()}
            requests = mix.round()
            order = variants[n % 3:] + variants[:n % 3]  # each first, second and third in turn
            for variant in order:  # the same reads to each; each its own new batches
                run_round(variant, requests if variant == order[0] else _with_new_batches(requests, mix),
                          record=n >= args.warmup)
        time.sleep(6)  # the last batch of spans: the processor exports every 5 s
        spans, sampled_spans = collector.spans, sampled_collector.spans
        spies.close()
    report("part 1: hub serve, traces off / on (OTLP to a discarding collector)", samples, "off", "on",
           "hub serve, its exporter's thread included")
    report("         traces off / on for one request in ten (OTEL_TRACES_SAMPLER=parentbased_traceidratio, 0.1)",
           samples, "off", "sampled", "hub serve, its exporter's thread included")
    rounds = args.warmup + args.rounds
    for variant, found in shares.items():
        tracing = {name.split(": ")[1]: share for name, share in found.items() if name.startswith("tracing")}
        print(f"  py-spy, {variant}: of its busy samples, tracing {sum(tracing.values()) * 100:.1f} %, the always-on "
              f"parts {found.get('always on', 0) * 100:.1f} %")
        if tracing:
            print("    tracing by part: " + ", ".join(f"{name} {share * 100:.1f} %"
                                                    for name, share in sorted(tracing.items(), key=lambda kv: -kv[1])))
    requests = rounds * sum(c for _, c in MIX)
    print(f"  spans exported: {spans} in {rounds} rounds, {spans / requests:.1f} a request "
          f"({sampled_spans / requests:.1f} sampled); records rejected: {mix.rejected}")


def _with_new_batches(requests: list[tuple[str, str, dict[str, Any]]],
                      mix: Mix) -> list[tuple[str, str, dict[str, Any]]]:
    """The same round with the ingestion requests given batches of their own (a batch is ingested once)."""
    out = []
    for operation, agency, variables in requests:
        if operation == "SubmitScreening":
            batch = next(mix.batches)
            out.append((operation, batch["agency"], {"input": batch}))
        else:
            out.append((operation, agency, variables))
    return out


def without_always_on_parts(app: Starlette) -> Starlette:
    """The app without the metrics extension and the request-id middleware (and so without the access log)."""
    app.user_middleware = [m for m in app.user_middleware if m.cls is not RequestId]
    schema = app.state.schema
    schema.extensions = [e for e in schema.extensions if getattr(e, "func", None) is not OperationMetrics]
    return app


async def _part_two(args: argparse.Namespace, the_plan: dict[str, Any]) -> Samples:
    settings = Settings(mongodb_url=args.url, db=args.db, secret_key=args.secret, rate_limit_user="",
                        rate_limit_agency="", webhook_poll_seconds=0, watch_poll_seconds=0, audit_seal_seconds=0,
                        rekey_poll_seconds=0, data_dir=Path(tempfile.gettempdir()) / "hub-bench-tracing")
    mix = Mix(the_plan, f"p2{int(time.time())}")
    samples: Samples = {"without": defaultdict(list), "as built": defaultdict(list)}
    apps = {"as built": create_app(settings), "without": without_always_on_parts(create_app(settings))}
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for name, app in apps.items():
            await stack.enter_async_context(LifespanManager(app, startup_timeout=120))
            clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.bench", timeout=600))
        for n in range(args.warmup + args.rounds):
            requests = mix.round()
            order = ("without", "as built") if n % 2 else ("as built", "without")
            for variant in order:
                batch_requests = requests if variant == order[0] else _with_new_batches(requests, mix)
                started, cpu = time.perf_counter(), time.process_time()
                for operation, agency, variables in batch_requests:
                    start = time.perf_counter()
                    response = await clients[variant].post(
                        "/graphql", json={"query": the_plan["documents"][operation], "operationName": operation,
                                          "variables": variables},
                        headers={"Authorization": f"Bearer {the_plan['tokens'][agency][0]}"})
                    if n >= args.warmup:
                        samples[variant][operation].append(time.perf_counter() - start)
                    mix.check(operation, response.json())
                if n >= args.warmup:
                    samples[variant]["round"].append(time.perf_counter() - started)
                    samples[variant]["cpu"].append(time.process_time() - cpu)
    samples["rejected"] = mix.rejected  # type: ignore[assignment]
    return samples


def part_two(args: argparse.Namespace, the_plan: dict[str, Any]) -> None:
    """In this process: the app as built, and without its always-on observability."""
    configure_logging(format="json")
    devnull = open(os.devnull, "w")  # noqa: SIM115 (open while the part runs)
    for handler in logging.getLogger().handlers:
        handler.setStream(devnull)  # type: ignore[attr-defined]
    try:
        samples = asyncio.run(_part_two(args, the_plan))
    finally:
        devnull.close()
    report("part 2: in-process app, without / with per-operation metrics, request id and access log",
           samples, "without", "as built", "this process, the client included")
    print(f"  records rejected: {samples['rejected']}")


def run(args: argparse.Namespace) -> None:
    """Seed when the store is new, plan the mix, run both parts."""
    if args.seed:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
               "HUB_MONGODB_URL": args.url, "HUB_DB": args.db, "HUB_SECRET_KEY": args.secret}
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).with_name("hub")), "seed", "--scale", str(args.scale)], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"seeded {args.scale} cases in {time.perf_counter() - started:.0f} s")
    with tempfile.TemporaryDirectory(prefix="hub-bench-tracing-") as tmp:
        args.users, args.minutes = 1, 60  # plan(): one token per agency, valid for the run
        the_plan = plan(args, Path(tmp))
        print(f"data: {the_plan['data']['cases']} cases, {the_plan['data']['records']} records; "
              f"{args.rounds} rounds after {args.warmup} to warm up; load average %.1f %.1f %.1f" % os.getloadavg())
        if "1" in args.parts:
            part_one(args, the_plan, Path(tmp))
        if "2" in args.parts:
            part_two(args, the_plan)
        print("load average at the end: %.1f %.1f %.1f" % os.getloadavg())


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a seeded database's server; default: a fresh local store, seeded")
    parser.add_argument("--db", default="mediation_hub")
    parser.add_argument("--scale", type=int, default=1000, help="cases to seed a fresh store with")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--parts", default="12", help="which parts to run: 1, 2 or 12")
    parser.add_argument("--profile", action="store_true", help="part 1: sample both processes with py-spy and "
                        "print the share of their CPU in tracing and in the always-on parts (`make bench`)")
    parser.add_argument("--secret", default=os.environ.get("HUB_SECRET_KEY", SECRET))
    args = parser.parse_args()
    args.seed = args.url is None
    run_on_store(args, run)


if __name__ == "__main__":
    main()
