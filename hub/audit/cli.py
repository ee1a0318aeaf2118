"""`hub audit`: verify the audit trail's chain, and seal it (docs/reliability.md)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any

import click

from hub.config import Settings

# hub.cli registers this group; its helpers are imported when a command runs, so either module may load first.
SINCE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _run(work: Any) -> Any:
    from hub.cli import reports_errors, run_with_database

    return reports_errors(run_with_database)(work)


@click.group()
def audit() -> None:
    """The audit trail's tamper-evident chain."""


@audit.command("verify")
@click.option("--since", type=click.DateTime(formats=SINCE_FORMATS), default=None,
              help="Only entries from then on (UTC), from the checkpoint before them; default: the whole trail.")
def verify(since: datetime | None) -> None:
    """Check every entry against its MACs and the checkpoints; exit 0 with a summary line when intact, 1 naming
    the first changed, deleted, inserted or reordered entry otherwise."""
    from hub.audit import chain, verify as verifier

    async def work(settings: Settings, database: Any) -> verifier.Verification:
        return await verifier.verify(key=chain.key_for(settings.resolved_secret_key()),
                                     since=since.replace(tzinfo=timezone.utc) if since else None)

    found = _run(work)
    click.echo(found.describe())
    if not found.intact:
        sys.exit(1)


@audit.command("seal")
@click.option("--every", type=click.FloatRange(min=1), default=None,
              help="Keep sealing, a round every this many seconds (a sidecar or a deployment without the "
                   "sealer in `hub serve`); default: one round.")
def seal(every: float | None) -> None:
    """Link the entries written since the last checkpoint into a new one (one process at a time, by a lease)."""
    import asyncio

    from hub.audit import chain

    async def work(settings: Settings, database: Any) -> None:
        key = chain.key_for(settings.resolved_secret_key())
        while True:
            done = await chain.seal(key=key, gap_seconds=settings.audit_gap_seconds)
            if not done.sealed:
                click.echo("another process holds the sealer's lease; nothing sealed")
            else:
                click.echo(f"sealed {done.entries} entries and {done.gaps} gap(s) in {done.checkpoints} "
                           f"checkpoint(s)" + (f", through {done.through}" if done.checkpoints else "")
                           + (f"; stopped: {done.stopped}" if done.stopped else ""))
            if every is None:
                return
            await asyncio.sleep(every)

    _run(work)


if __name__ == "__main__":  # `python -m hub.audit.cli verify` before hub.cli registers the group
    audit()
