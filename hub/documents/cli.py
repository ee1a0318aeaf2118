"""`hub documents`: register the GraphQL documents agency systems send, list and remove them, and require them of an
agency (docs/trusted-documents.md)."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Any

import click

from hub.config import Settings
from hub.errors import BadUserInput, NotFound

# hub.cli registers this group; its helpers are imported when a command runs, so either module may load first.
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _run(work: Any) -> Any:
    from hub.cli import reports_errors, run_with_database

    return reports_errors(run_with_database)(work)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise BadUserInput(f"{path} is not UTF-8 text") from None


def _candidates(files: tuple[Path, ...], manifests: tuple[Path, ...], codegen: tuple[Path, ...]) -> list[Any]:
    from hub.documents import service

    found = [service.Candidate(text=_read(path), source=str(path)) for path in files]
    for path in manifests:
        try:
            manifest = json.loads(_read(path))
        except json.JSONDecodeError as exc:
            raise BadUserInput(f"{path} is not JSON: {exc}") from None
        found += service.from_manifest(manifest=manifest, source=str(path))
    for path in codegen:
        found += service.from_codegen(code=_read(path), source=str(path))
    return found


@click.group()
def documents() -> None:
    """Trusted documents: the GraphQL documents agency systems register by hash and send by id."""


@documents.command("add")
@click.argument("files", nargs=-1, type=_FILE)
@click.option("--manifest", "manifests", multiple=True, type=_FILE,
              help='A persisted-documents manifest, {"<sha256 hex>": "<document text>", …} (GraphQL Codegen\'s, or '
                   "Apollo's persisted-query manifest); every key must be its text's SHA-256.")
@click.option("--codegen", multiple=True, type=_FILE,
              help="graphql-codegen's typed-document-node output in documentMode 'string' (the console's "
                   "console/src/graphql/generated.ts): each operation in it, as the client sends it.")
@click.option("--agency", "agencies", multiple=True, metavar="CODE",
              help="An agency that may send them (repeat for more); default: every agency.")
def add(files: tuple[Path, ...], manifests: tuple[Path, ...], codegen: tuple[Path, ...],
        agencies: tuple[str, ...]) -> None:
    """Register GraphQL documents by the SHA-256 of their text: each FILE whole, as one document (clients send a
    file of several operations whole, with an operationName), and each document of a manifest. Every one must
    validate against the hub's schema, or none is added. Prints each id, what was done, and where it came from."""
    from hub.app import build_schema
    from hub.documents import service

    if not (files or manifests or codegen):
        raise click.UsageError("give FILE.graphql …, --manifest M.json or --codegen generated.ts")

    async def work(settings: Settings, database: Any) -> Any:
        candidates = _candidates(files, manifests, codegen)
        return await service.add(candidates=candidates, schema=build_schema()._schema, agencies=list(agencies) or None,
                           by=getpass.getuser())

    for added in _run(work):
        click.echo(f"{added.document.id}\t{added.outcome.value}\t{added.document.name}")


@documents.command("list")
def list_() -> None:
    """List the registered documents: id, the agencies that may send them (* for every one), operations, when and
    by whom added, label — tab-separated, one a line."""
    from hub.documents import service

    async def work(settings: Settings, database: Any) -> list[Any]:
        return await service.list_all()

    for document in _run(work):
        click.echo("\t".join([document.id, ",".join(document.agencies) if document.agencies is not None else "*",
                              ",".join(name or "(anonymous)" for name in document.operations),
                              document.added_at.strftime("%Y-%m-%dT%H:%M:%SZ"), document.added_by,
                              document.name or ""]))


@documents.command("remove")
@click.argument("document_id", metavar="ID")
def remove(document_id: str) -> None:
    """Remove a document: every hub process refuses its id within HUB_TRUSTED_DOCUMENTS_CACHE_SECONDS."""
    from hub.documents import service

    async def work(settings: Settings, database: Any) -> float:
        if not await service.remove(document_id=document_id):
            raise NotFound(f"no trusted document {document_id}; `hub documents list` lists them")
        return settings.trusted_documents_cache_seconds

    within = _run(work)
    click.echo(f"removed {document_id}; every hub process refuses it within {within:g} s")


@documents.command("require")
@click.option("--agency", "agencies", multiple=True, required=True, metavar="CODE",
              help="The agency (repeat for more).")
@click.option("--off", is_flag=True, help="Let the agency send free query text again.")
def require(agencies: tuple[str, ...], off: bool) -> None:
    """Make an agency's systems and users send registered documents only (HUB_TRUSTED_DOCUMENTS=per-agency, the
    default); every hub process applies it within HUB_DIRECTORY_REFRESH_SECONDS."""
    from hub.agencies import service as agency_service

    async def work(settings: Settings, database: Any) -> str:
        unknown = sorted(set(agencies) - set(await agency_service.get_many_by_code(codes=agencies)))
        if unknown:
            raise BadUserInput(f"no agency coded {', '.join(unknown)}; `hub agencies` lists them")
        for code in agencies:
            await agency_service.set_trusted_documents_only(code=code, required=not off)
        return settings.trusted_documents

    mode = _run(work)
    for code in agencies:
        click.echo(f"agency {code}: {'free query text allowed' if off else 'registered documents only'}")
    if mode != "per-agency":
        click.echo(f"note: HUB_TRUSTED_DOCUMENTS={mode} here, and a hub with it set so ignores the agencies' "
                   "setting", err=True)
    sys.stdout.flush()
