"""The ``hub`` command line: serve, manage the local store, seed, import, report."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from hub.config import Settings, get_settings
from hub.errors import HubError
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
@reports_errors
def serve(host: str | None, port: int | None) -> None:
    """Serve the API; starts the local store when HUB_MONGODB_URL is unset."""
    import uvicorn

    from hub.app import create_app
    from hub.logs import configure_logging
    from hub.store import service as store_service

    settings = get_settings()
    configure_logging()
    store_service.resolve_url(settings=settings)  # fail early, with the store's own reason
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
    )


@main.group()
def store() -> None:
    """Manage the local store (FerretDB with SQLite, under HUB_DATA_DIR)."""


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


@main.command("schema")
def print_schema() -> None:
    """Print the GraphQL SDL (checked in as schema/schema.graphql)."""
    from hub.app import schema_sdl

    click.echo(schema_sdl(), nl=False)
