"""`hub backup PATH` and `hub restore PATH`: the command-line side of hub/store/backup.py (docs/backup.md).

hub/cli.py registers both commands on `hub`; `python -m hub.store.backup_cli backup|restore …` runs
them without it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hub.config import Settings, get_settings

T = TypeVar("T")

# `hub backup` exits with this when the backup is complete but the database changed while it was read.
NOT_POINT_IN_TIME = 3


def _reporting(work: Callable[[], T]) -> T:
    """Run work with the hub's error reporting (one line on stderr, exit status 1)."""
    from hub.cli import reports_errors  # at call time: hub.cli imports this module to register the commands

    return reports_errors(work)()


def _existing_keys(settings: Settings) -> Any:
    """The deployment's personal-data keys, or None when no secret is configured (never a new one)."""
    from hub.people.crypto import PersonalDataKeys

    if not settings.secret_key and not (settings.data_dir / "secret_key").exists():
        return None  # resolved_secret_key() would make up a new secret, which matches nothing stored
    return PersonalDataKeys(settings.resolved_secret_key())


def _run(settings: Settings, work: Callable[[Any], Any]) -> Any:
    """Run an async function of the database, connected without binding models or creating indexes."""
    from hub.store import service as store_service

    async def runner() -> Any:
        async with store_service.connected(settings=settings, bind_models=False) as database:
            return await work(database)

    return asyncio.run(runner())


@click.command("backup")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-check", is_flag=True,
              help="Skip the second read that tells whether the database changed during the backup.")
def backup(path: Path, no_check: bool) -> None:
    """Write every collection of the database to a new directory PATH (docs/backup.md).

    Encrypted personal data and keyed hashes, as stored: the files are created 0600 in a 0700
    directory. Exit status 3 when the backup is complete but the database changed while it was read.
    """
    from hub import __version__
    from hub.store import backup as backup_service

    def work() -> Any:
        settings = get_settings()
        keys = _existing_keys(settings)
        if keys is None:
            click.echo("no HUB_SECRET_KEY (nor HUB_DATA_DIR/secret_key): the manifest is not signed", err=True)

        async def with_database(database: Any) -> Any:
            total = 0
            for name in await database.list_collection_names():
                total += await database[name].estimated_document_count()
            with click.progressbar(length=total, label="备份", file=sys.stderr) as written, \
                    click.progressbar(length=0 if no_check else total, label="核对", file=sys.stderr) as checked:
                return await backup_service.backup(
                    database=database, path=path, hub_version=__version__, keys=keys, check=not no_check,
                    on_documents=written.update, on_checked=checked.update)

        return _run(settings, with_database)

    manifest = _reporting(work)
    size = sum(c.bytes for c in manifest.collections)
    click.echo(f"wrote {path}: {len(manifest.collections)} collections, {manifest.documents} documents, "
               f"{size / 2**20:.1f} MiB (owner-only; as secret as HUB_SECRET_KEY, which it does not hold)")
    consistency = manifest.consistency
    if consistency.point_in_time:
        click.echo(f"checked: the database as it stood at {consistency.as_of}")
    elif consistency.checked:
        click.echo(f"the database changed while it was read ({', '.join(consistency.changed)}): each document is "
                   "whole, but the files are not one instant's database; stop the writers (hub serve, imports) "
                   "and back up again", err=True)
        sys.exit(NOT_POINT_IN_TIME)
    else:
        click.echo("not checked (--no-check): consistent only if nothing wrote to the database meanwhile")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--db", "db_name", default=None, help="Database to restore into (default HUB_DB); it must be empty.")
@click.option("--drop", is_flag=True, help="Drop the database first if it is not empty (after the backup checks out).")
def restore(path: Path, db_name: str | None, drop: bool) -> None:
    """Restore the backup at PATH into an empty database, checking every file's hash first."""
    from hub.store import backup as backup_service

    def work() -> Any:
        settings = get_settings()
        if db_name:
            settings = settings.model_copy(update={"db": db_name})
        keys = _existing_keys(settings)
        if keys is None:
            click.echo("no HUB_SECRET_KEY (nor HUB_DATA_DIR/secret_key): the manifest's signature is not checked, "
                       "and the hub will need the backup's secret to serve it", err=True)
        manifest = backup_service.read_manifest(path=path)
        backup_service.check_key(manifest=manifest, keys=keys)  # before the progress bar: a wrong key is the usual slip
        total = manifest.documents

        async def with_database(database: Any) -> Any:
            with click.progressbar(length=total, label="恢复", file=sys.stderr) as bar:
                return await backup_service.restore(database=database, path=path, keys=keys, drop=drop,
                                                    on_documents=bar.update)

        return settings.db, _run(settings, with_database)

    name, summary = _reporting(work)
    if summary.dropped:
        click.echo(f"dropped database {name} ({summary.dropped} collections) first")
    made = summary.manifest
    click.echo(f"restored {path} into {name}: {summary.collections} collections, {summary.documents} documents, "
               f"{summary.indexes} indexes (backup of {made.started_at}, hub {made.hub_version})")
    if not made.consistency.point_in_time:
        click.echo("the backup is not a checked point-in-time copy (see its manifest's consistency)", err=True)


if __name__ == "__main__":
    click.Group(commands=[backup, restore])()
