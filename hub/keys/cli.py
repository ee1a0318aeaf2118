"""`hub keys`: rotate the key ring, follow the re-keying, retire an older key (docs/keys.md)."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import click

from hub.config import Settings

# hub.cli registers this group; its helpers are imported when a command runs, so either module may load first.


def _run(work: Any) -> Any:
    from hub.cli import reports_errors, run_with_database

    return reports_errors(run_with_database)(work)


def _secret(settings: Settings) -> str:
    """HUB_SECRET_KEY, never a made-up one (which would wrap keys no other process can read)."""
    from hub.errors import BadUserInput

    if not settings.secret_key and not (settings.data_dir / "secret_key").exists():
        raise BadUserInput("set HUB_SECRET_KEY (or HUB_DATA_DIR) to the secret the hub runs with")
    return settings.resolved_secret_key()


@click.group()
def keys() -> None:
    """The key ring: what signs tokens, hashes identifiers and encrypts personal data."""


@keys.command("rotate")
@click.option("--activate-in", type=click.FloatRange(min=0), default=None,
              help="Seconds until the new key is current; default HUB_KEYS_ACTIVATION_SECONDS (longer than "
                   "HUB_KEYS_REFRESH_SECONDS, so every running process knows the key before anyone writes with it).")
def rotate(activate_in: float | None) -> None:
    """Add a new random key to the ring. New tokens, hashes and encryption use it from its activation on; older
    tokens stay valid until they expire, and hub serve re-keys stored personal data in the background."""
    import getpass

    from hub.keys import service

    async def work(settings: Settings, database: Any) -> Any:
        wait = settings.keys_activation_seconds if activate_in is None else activate_in
        return await service.rotate(database=database, master=_secret(settings), by=getpass.getuser(),
                                    activate_in=timedelta(seconds=wait))

    key = _run(work)
    click.echo(f"key {key.id} added; current from {key.active_from.isoformat(timespec='seconds')}")


@keys.command("status")
def status() -> None:
    """Each key (current, pending, previous, retired) and what is left to re-key; exit 0 when nothing is."""
    from hub.keys import service
    from hub.keys.ring import KeyRing

    async def work(settings: Settings, database: Any) -> Any:
        ring = await KeyRing.load(database=database, master=_secret(settings))
        return await service.status(database=database, ring=ring)

    found = _run(work)
    for key in found.keys:
        since = key.retired_at if key.retired_at is not None else key.active_from
        click.echo(f"{key.id}\t{key.state}\t{since.isoformat(timespec='seconds')}")
    click.echo(f"to re-key onto {found.current}: {found.persons} person(s), {found.webhooks} webhook(s)")
    sys.exit(0 if found.rekeyed else 3)


@keys.command("rekey")
@click.option("--batch-size", type=click.IntRange(1, 5000), default=500, show_default=True)
def rekey(batch_size: int) -> None:
    """Re-key now, to the end, what is not on the current key (what hub serve does in the background)."""
    from hub.keys import rekey as rekeyer
    from hub.keys.ring import KeyRing

    async def work(settings: Settings, database: Any) -> Any:
        ring = await KeyRing.load(database=database, master=_secret(settings))
        return await rekeyer.rekey_all(ring=ring, batch_size=batch_size), ring.current.id

    done, current = _run(work)
    click.echo(f"re-keyed onto {current}: {done.persons} person(s), {done.webhooks} webhook(s); {done.merged} merged, "
               f"{done.raced} changed meanwhile, {done.unreadable} unreadable")
    if done.unreadable:
        sys.exit(1)


@keys.command("retire")
@click.argument("key_id")
@click.option("--force", is_flag=True, help="Retire it although tokens it signed may not have expired: they stop "
              "working now (a key that leaked).")
def retire(key_id: str, force: bool) -> None:
    """Take KEY_ID out of the ring: the tokens it signed stop working, the hashes made with it are dropped.
    Refused for the current key and while anything is left to re-key."""
    from hub.keys import service
    from hub.keys.ring import KeyRing

    async def work(settings: Settings, database: Any) -> Any:
        ring = await KeyRing.load(database=database, master=_secret(settings))
        return await service.retire(database=database, ring=ring, key_id=key_id, force=force)

    done = _run(work)
    click.echo(f"key {done.key_id} retired; {done.hashes} match key(s) made with it dropped")
