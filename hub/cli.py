"""The ``hub`` command line: serve, manage the local store, seed, import, export, report."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar

import click

from hub.audit import cli as audit_cli
from hub.changes import cli as changes_cli
from hub.documents import cli as documents_cli
from hub.keys import cli as keys_cli
from hub.people import cli as people_cli
from hub.store import backup_cli
from hub.config import Settings, get_settings
from hub.errors import BadUserInput, HubError
from hub.store import local as local_store
from hub.store.local import LocalStoreError

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Turn the hub's own errors into a one-line reason on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (HubError, LocalStoreError) as exc:
            click.echo(f"hub: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group()
def main() -> None:
    """Mediation Data Hub (大调解信息平台)."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (HUB_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (HUB_PORT).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (HUB_WORKERS).")
@reports_errors
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API; starts the local store when HUB_MONGODB_URL is unset."""
    import uvicorn

    from hub.app import create_app
    from hub.logs import configure_logging
    from hub.store import service as store_service

    settings = get_settings()
    configure_logging(format=settings.resolved_log_format)
    if problems := settings.production_problems():
        raise click.ClickException("refusing to start in production:\n  - " + "\n  - ".join(problems))
    store_service.resolve_url(settings=settings)  # fail early, with the store's own reason
    options: dict[str, Any] = dict(
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        ws="websockets-sansio",  # the subscriptions' WebSocket (uvicorn's legacy `websockets` one is deprecated)
        ws_max_size=settings.max_body_bytes,  # a WebSocket message is held to the same limit as a request body
        timeout_graceful_shutdown=settings.shutdown_timeout,  # a client that never closes cannot hold a stop
        proxy_headers=settings.proxy_headers,  # X-Forwarded-For/-Proto, from HUB_FORWARDED_ALLOW_IPS only
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    workers = workers or settings.workers
    if workers == 1:
        uvicorn.run(create_app(settings, process=True), **options)
        return
    # Several processes: uvicorn's supervisor binds the socket and spawns the workers, each of which builds
    # its own app (and database client, background tasks) from the environment.
    settings.resolved_secret_key()  # a generated key is written here once, not raced by the workers
    uvicorn.run("hub.app:create_worker_app", factory=True, workers=workers, **options)


@main.group()
def store() -> None:
    """Manage the local store (mongo-java-server; data, pid and log under HUB_DATA_DIR/store); print the
    sharding plan for a MongoDB cluster (shard-commands)."""


@store.command("start")
@reports_errors
def store_start() -> None:
    """Start the local store, or leave the running one alone."""
    click.echo(local_store.start(get_settings()).describe())


@store.command("stop")
@reports_errors
def store_stop() -> None:
    """Stop the local store."""
    settings: Settings = get_settings()
    stopped = local_store.stop(settings)
    click.echo("local store stopped" if stopped else "local store was not running")


@store.command("status")
@reports_errors
def store_status() -> None:
    """Say whether the local store runs; exit status 3 when it does not."""
    state = local_store.status(get_settings())
    click.echo(state.describe())
    if not state.running:
        sys.exit(3)


@store.command("shard-commands")
@click.option("--db", "database", default=None, help="The database to shard (default HUB_DB).")
def store_shard_commands(database: str | None) -> None:
    """Print the mongosh statements that shard a database by the hub's plan (docs/scaling.md); pipe them into
    mongosh connected to a mongos: `hub store shard-commands | mongosh mongodb://mongos1:27017/`."""
    from hub.store import sharding

    for line in sharding.shard_commands(database=database or get_settings().db):
        click.echo(line)


@main.command("schema")
def print_schema() -> None:
    """Print the GraphQL SDL (checked in as schema/schema.graphql)."""
    from hub.app import schema_sdl

    click.echo(schema_sdl(), nl=False)


def run_with_database(work: Callable[[Settings, Any], Any]) -> Any:
    """Run an async function of (settings, database) with the database connected and models bound."""
    import asyncio

    from hub.store import service as store_service

    settings = get_settings()

    async def runner() -> Any:
        async with store_service.connected(settings=settings) as database:
            return await work(settings, database)

    return asyncio.run(runner())


@main.command("agencies")
@reports_errors
def list_agencies() -> None:
    """List agencies: code, kind, region, name — tab-separated, one a line."""
    from hub.agencies import service as agency_service

    async def work(settings: Settings, database: Any) -> list[Any]:
        return await agency_service.list_all()

    for agency in run_with_database(work):
        click.echo(f"{agency.code}\t{agency.kind.value}\t{agency.region_code}\t{agency.name}")


@main.command("ingest-schema")
def ingest_schema() -> None:
    """Print the JSON Schema of an ingestion batch."""
    import json

    from hub.ingest.models import ingest_json_schema

    click.echo(json.dumps(ingest_json_schema(), ensure_ascii=False, indent=2))


@main.command()
@click.option("--case", "case_no", default=None, help="Only this case number.")
@reports_errors
def recompute(case_no: str | None) -> None:
    """Re-derive case summaries from their records."""
    from hub.cases import service as case_service

    async def work(settings: Settings, database: Any) -> int:
        return await case_service.recompute_all(case_no=case_no)

    changed = run_with_database(work)
    click.echo(f"recomputed; {changed} case(s) changed")


@main.group()
def outbox() -> None:
    """The outbox of events (docs/webhooks.md)."""


@outbox.command("repair")
@click.option("--since", required=True, type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
              help="Records recorded from then on (UTC), e.g. a little before a hub process died.")
@reports_errors
def outbox_repair(since: Any) -> None:
    """Write the events missing for records recorded since then (a process died between a batch's records
    and its events); events already in the outbox are left alone, so it is safe to run twice."""
    from datetime import timezone

    from hub.notifications import outbox as outbox_service

    async def work(settings: Settings, database: Any) -> tuple[int, int]:
        return await outbox_service.repair(since=since.replace(tzinfo=timezone.utc))

    examined, written = run_with_database(work)
    click.echo(f"{examined} record(s) examined; {written} missing event(s) written")


@main.group("token", invoke_without_command=True)
@click.option("--agency", default=None, help="The agency's code (see `hub agencies`).")
@click.option("--user", default=None, help="Who will use it (kept in the audit trail).")
@click.option("--role", "roles", multiple=True, type=click.Choice(["pii"]), help="Extra roles; pii: see personal data.")
@click.option("--ttl", default="8h", show_default=True, help="Lifetime: 90s, 30m, 8h, 7d (at most 30 days).")
@click.pass_context
@reports_errors
def token(ctx: click.Context, agency: str | None, user: str | None, roles: tuple[str, ...], ttl: str) -> None:
    """Issue a bearer token for one user of one agency (signed with HUB_SECRET_KEY); its id goes to stderr.

    `hub token revoke ID` revokes one."""
    if ctx.invoked_subcommand is not None:
        return
    from hub.agencies import service as agency_service
    from hub.auth import tokens
    from hub.keys.ring import KeyRing

    if not agency or not user:
        raise BadUserInput("give --agency and --user (or a subcommand: `hub token revoke ID`)")
    lifetime = tokens.parse_ttl(ttl)

    async def work(settings: Settings, database: Any) -> Any:
        ring = await KeyRing.load(database=database, master=settings.resolved_secret_key())
        return await agency_service.get_by_code(code=agency), ring

    found, ring = run_with_database(work)
    if found is None:
        raise BadUserInput(f"no agency coded {agency!r}; `hub agencies` lists them")
    issued = tokens.issue(keys=ring, agency_code=agency, user=user, roles=list(roles), ttl=lifetime)
    click.echo(issued)
    click.echo(f"token id {tokens.token_id(keys=ring, token=issued)} (`hub token revoke` it to end it early)",
               err=True)


@token.command("revoke")
@click.argument("token_id", required=False)
@click.option("--token", "value", default=None, help="The token itself, instead of its id.")
@click.option("--reason", default=None, help="Why (kept with the revocation).")
@reports_errors
def token_revoke(token_id: str | None, value: str | None, reason: str | None) -> None:
    """Revoke a token by its id (printed by `hub token`), or give the token itself with --token: every hub
    process refuses it within HUB_REVOCATION_REFRESH_SECONDS."""
    import getpass

    from hub.auth import service as auth_service
    from hub.auth import tokens
    from hub.keys.ring import KeyRing

    if (token_id is None) == (value is None):
        raise BadUserInput("give the token's id, or --token TOKEN")
    async def work(settings: Settings, database: Any) -> bool:
        nonlocal token_id
        if value is not None:
            ring = await KeyRing.load(database=database, master=settings.resolved_secret_key())
            token_id = tokens.token_id(keys=ring, token=value.strip())
        return await auth_service.revoke(token_id=str(token_id), by=getpass.getuser(), reason=reason)

    fresh = run_with_database(work)
    click.echo(f"token {token_id} revoked" if fresh else f"token {token_id} was revoked already")


@main.group()
def report() -> None:
    """Printable reports."""


@report.command("brief")
@click.option("--meeting", "meeting", default=None, help="The joint meeting's ID (GraphQL ID or 24-hex id).")
@click.option("--region", default=None, help="Region code, for a monthly analysis without a meeting.")
@click.option("--period", default=None, help="The month, YYYY-MM (with --region).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="HTML file to write.")
@reports_errors
def report_brief(meeting: str | None, region: str | None, period: str | None, out: Path) -> None:
    """Write the joint-meeting brief (or a region's monthly analysis) as one self-contained HTML file."""
    from datetime import datetime, timezone

    from hub.app import meeting_id_from
    from hub.reports import brief as report_service

    if (meeting is None) == (region is None) or (region is not None) != (period is not None):
        raise click.UsageError("give --meeting ID, or --region CODE with --period YYYY-MM")

    async def work(settings: Settings, database: Any) -> str:
        now = datetime.now(timezone.utc)
        if meeting is not None:
            return await report_service.meeting_report(
                meeting_id=meeting_id_from(meeting), thresholds=settings.warnings, now=now)
        return await report_service.region_report(
            region_code=region or "", month=period or "", thresholds=settings.warnings, now=now)

    html = run_with_database(work)
    out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out} ({len(html.encode()) // 1024} KiB)")


@report.command("notice")
@click.option("--id", "notice_id", required=True, help="The supervision notice's ID (GraphQL ID or 24-hex id).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="HTML file to write.")
@reports_errors
def report_notice(notice_id: str, out: Path) -> None:
    """Write a supervision notice (督查通报) as one self-contained HTML file."""
    from datetime import datetime, timezone

    from bson import ObjectId
    from bson.errors import InvalidId

    from hub.reports import notice as notice_report
    from schema.relay import object_id

    try:
        oid = ObjectId(notice_id)
    except InvalidId:
        oid = object_id(notice_id, "SupervisionNotice")

    async def work(settings: Settings, database: Any) -> str:
        return await notice_report.notice_report(notice_id=oid, now=datetime.now(timezone.utc))

    html = run_with_database(work)
    out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out} ({len(html.encode()) // 1024} KiB)")


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", default=None,
              help="Code of the agency whose ledger this is (see `hub agencies`); leave it out for a "
                   "`hub export-records` file, whose lines name their own.")
@click.option("--source-system", default=None, help="Sending system's name; default AGENCY:FILE-NAME.")
@click.option("--batch-size", type=click.IntRange(1, 1000), default=500, show_default=True)
@reports_errors
def import_(path: Path, agency: str | None, source_system: str | None, batch_size: int) -> None:
    """Ingest a .jsonl, .csv or .xlsx ledger, or an export; rejected rows go to <name>.rejected.csv."""
    from hub.ingest import export, files
    from hub.ingest.importer import import_file
    from hub.ingest.service import RecordStatus
    from hub.keys.ring import KeyRing

    if agency is None and source_system is not None:
        raise click.UsageError("--source-system goes with --agency (an export's lines name their own)")
    try:
        total = files.count_rows(path)
    except ValueError as exc:
        raise BadUserInput(str(exc)) from None
    system = source_system or f"{agency}:{path.stem}"

    async def work(settings: Settings, database: Any) -> Any:
        keys = await KeyRing.load(database=database, master=settings.resolved_secret_key())
        with click.progressbar(length=total, label=f"导入 {path.name}", file=sys.stderr) as bar:
            if agency is None:
                return await export.import_export(path=path, keys=keys, batch_size=batch_size,
                                                  match_window=settings.case_match_window, on_rows=bar.update)
            return await import_file(
                path=path, agency=agency, source_system=system, batch_size=batch_size,
                keys=keys, match_window=settings.case_match_window, on_rows=bar.update,
            )

    try:
        summary = run_with_database(work)
    except ValueError as exc:
        raise BadUserInput(str(exc)) from None
    if summary.unmapped_columns:
        click.echo(f"未能识别的列 (ignored): {', '.join(summary.unmapped_columns)}", err=True)
    counts = summary.counts
    click.echo(
        f"{summary.rows} rows: {counts[RecordStatus.CREATED]} created, {counts[RecordStatus.UPDATED]} updated, "
        f"{counts[RecordStatus.UNCHANGED]} unchanged, {counts[RecordStatus.REJECTED]} rejected"
    )
    if summary.rejected_file:
        click.echo(f"rejected rows and reasons: {summary.rejected_file}")


@main.command("export-records")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="The .jsonl file to write (replaced if it exists).")
@reports_errors
def export_records(out: Path) -> None:
    """Write every record as JSON Lines in the ingestion wire format, for `hub import PATH`.

    One record a line, naming its sourceSystem and agency, with its case and its parties'
    identities; `hub import` of the file into another database gives the same records, cases,
    case numbers and persons. THE FILE HOLDS PERSONAL DATA IN CLEAR (ID numbers, phones and
    addresses, decrypted with HUB_SECRET_KEY): it is created readable by its owner only (mode
    0600); keep it so, and delete it once imported. Reads with plain finds only and writes
    nothing to the database, so it also reads the old FerretDB store (HUB_MONGODB_URL).
    """
    import asyncio

    from hub.ingest import export
    from hub.keys.ring import KeyRing
    from hub.store import service as store_service

    settings = get_settings()
    if out.suffix.lower() != ".jsonl":
        raise click.UsageError("--out must name a .jsonl file (what `hub import` reads)")
    if not out.parent.is_dir():
        raise BadUserInput(f"no directory {out.parent} to write {out.name} into")
    if not settings.secret_key and not (settings.data_dir / "secret_key").exists():
        # resolved_secret_key() would make up a new secret, which decrypts nothing stored.
        raise BadUserInput("set HUB_SECRET_KEY (or HUB_DATA_DIR) to the secret the database was written with")
    async def work() -> Any:
        from pymongo.errors import PyMongoError

        # No models bound and no indexes created: the database read may be an older store's.
        async with store_service.connected(settings=settings, bind_models=False) as database:
            keys = await KeyRing.load(database=database, master=settings.resolved_secret_key())
            try:
                total = await database.records.estimated_document_count()
            except PyMongoError:  # only the progress bar needs it
                total = 0
            reading = click.progressbar(length=total, label="读取记录", file=sys.stderr)
            writing = click.progressbar(length=total, label="写出记录", file=sys.stderr)

            read_done = []

            def written(n: int) -> None:
                if not read_done:  # the records are all read and sorted before the first is written
                    reading.render_finish()
                    read_done.append(True)
                writing.update(n)

            summary = await export.export_records(database=database, keys=keys, out=out,
                                                  on_read=reading.update, on_written=written)
            writing.render_finish()
            return summary

    summary = asyncio.run(work())
    click.echo(f"wrote {out}: {summary.records} records of {summary.cases} cases (mode 0600: personal data "
               "in clear; delete it once imported)")
    if summary.numbering_gaps:
        click.echo(f"case numbers of {', '.join(y[2:] for y in summary.numbering_gaps)} have gaps: a new "
                   "database numbers that year's cases after the first gap anew", err=True)
    if summary.reopened:
        click.echo(f"{summary.reopened} case(s) lost their opening record: their earliest record opens them "
                   "again", err=True)
    if summary.without_case:
        click.echo(f"{summary.without_case} record(s) name a case that is gone: left out", err=True)


@main.command()
@click.option("--scale", type=click.IntRange(1, 1_000_000), default=2000, show_default=True, help="How many cases.")
@click.option("--seed", "seed_value", type=int, default=None, help="Random seed (default: the demo's fixed seed).")
@click.option("--reset", is_flag=True, help="Drop the database first.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has cases.")
@reports_errors
def seed(scale: int, seed_value: int | None, reset: bool, if_empty: bool) -> None:
    """Load the deterministic demo data set (清河区, a fictitious district)."""
    from hub.keys.ring import KeyRing
    from hub.store import service as store_service
    from seeds import loader
    from seeds.generator import DEFAULT_SEED

    async def work(settings: Settings, database: Any) -> Any:
        if reset:
            await store_service.reset(database=database)
        records = loader.expected_records(scale=scale)
        with click.progressbar(length=records, label=f"载入演示数据 ({scale} 件)", file=sys.stderr) as bar:
            return await loader.load(
                keys=await KeyRing.load(database=database, master=settings.resolved_secret_key()), scale=scale,
                seed=DEFAULT_SEED if seed_value is None else seed_value, if_empty=if_empty, on_batch=bar.update,
            )

    summary = run_with_database(work)
    if summary.skipped:
        click.echo("the database already has cases; nothing loaded (drop --if-empty, or use --reset)")
        return
    counts = {status.value.lower(): n for status, n in summary.counts.items()}
    click.echo(f"{summary.batches} batches: " + ", ".join(f"{n} {s}" for s, n in counts.items())
               + f"; {summary.meetings} joint meetings")
    for line in summary.rejections:
        click.echo(f"rejected {line}", err=True)
    if summary.rejections:
        sys.exit(1)


main.add_command(audit_cli.audit)
main.add_command(keys_cli.keys)
main.add_command(changes_cli.export)
main.add_command(changes_cli.changes)
main.add_command(documents_cli.documents)
main.add_command(people_cli.identities)
main.add_command(backup_cli.backup)
main.add_command(backup_cli.restore)
