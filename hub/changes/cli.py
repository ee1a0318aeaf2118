"""`hub export` (the change log after a cursor, as JSON Lines or the provincial ledger) and `hub changes`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from hub.config import Settings

# hub.cli registers these; its helpers are imported when a command runs, so either module may load first.


def _run(work: Any) -> Any:
    from hub.cli import reports_errors, run_with_database

    return reports_errors(run_with_database)(work)


@click.command("export")
@click.option("--since", "since", default=None, metavar="CURSOR",
              help="Start after this cursor (the one the previous run printed); the beginning when omitted.")
@click.option("--until", "until", default=None, metavar="CURSOR",
              help="Stop at this cursor (a re-run with the same --since and --until writes the same file); "
                   "by default, at the newest entry every writer has finished.")
@click.option("--format", "form", type=click.Choice(["jsonl", "xlsx"]), default="jsonl", show_default=True,
              help="jsonl: every entry (cases and records as written, with each case's ledger row); xlsx: the "
                   "provincial ledger, one row per case at its latest revision in the range.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="The file to write (replaced whole, mode 0600: it names the parties).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The ledger mapping (TOML); the shipped 四川省大调解工作信息管理系统 one by default.")
def export(since: str | None, until: str | None, form: str, out: Path, mapping: Path | None) -> None:
    """Write the change log after CURSOR: every created or updated case and record, in write order.

    Prints the cursor to continue from on stdout (and what was written on stderr): the next run from it
    writes what came after, so runs in turn hold every entry exactly once (docs/changes.md).
    """
    from hub.changes import export as exporter, ledger, service

    first = service.position(since, field_name="since")
    last = service.position(until, field_name="until") if until else None
    chosen = ledger.load(mapping)

    async def work(settings: Settings, database: Any) -> Any:
        return await exporter.run(out=out, form=exporter.Format(form), since=first, until=last,
                                  gap_seconds=settings.changes_gap_seconds, mapping=chosen)

    done = _run(work)
    rows = f", {done.rows} ledger rows" if form == "xlsx" else ""
    click.echo(f"wrote {out}: {done.entries} entries ({done.cases} case, {done.records} record){rows}, "
               f"entries {done.since + 1}-{done.until}; continue with --since {done.next_cursor}", err=True)
    click.echo(done.next_cursor)
    sys.stdout.flush()


@click.group("changes")
def changes() -> None:
    """The change log every case and record write goes into (docs/changes.md)."""


@changes.command("backfill")
def backfill() -> None:
    """Log every case and record not in the change log yet (a database written before it existed); idempotent."""
    from hub.changes import log

    async def work(settings: Settings, database: Any) -> Any:
        return await log.backfill()

    records, cases = _run(work)
    click.echo(f"logged {records} records and {cases} cases")
