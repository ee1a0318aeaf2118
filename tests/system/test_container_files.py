"""The image's build file, read as Docker would (no Docker engine here): the console is built and served."""

from __future__ import annotations

import re
from pathlib import Path

from hub.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
IGNORED = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()


def stages() -> dict[str, str]:
    """Each FROM stage's text, by its name (the last one is 'final')."""
    parts = re.split(r"^FROM ", DOCKERFILE, flags=re.M)[1:]
    named = {}
    for index, part in enumerate(parts):
        head = part.splitlines()[0]
        name = head.split(" AS ")[1].strip() if " AS " in head else ("final" if index == len(parts) - 1 else head)
        named[name] = part
    return named


def test_the_image_builds_the_console_from_its_lock_file() -> None:
    console = stages()["console"]
    assert console.startswith("node:20")
    assert "COPY console/package.json console/package-lock.json" in console
    assert "npm ci" in console and "npm run build" in console
    # The build types the console against the schema, so the schema goes in before the build runs.
    assert console.index("COPY schema/schema.graphql /build/schema/schema.graphql") < console.index("npm run build")


def test_the_final_image_serves_the_console_it_built() -> None:
    final = stages()["final"]
    copied = re.search(r"COPY --from=console /build/console/dist (\S+)", final)
    configured = re.search(r"HUB_CONSOLE_DIR=(\S+)", final)
    assert copied and configured and copied.group(1) == configured.group(1)
    assert Settings(_env_file=None, console_dir=configured.group(1)).console_dir == Path(copied.group(1))


def test_the_build_context_leaves_out_what_the_build_makes_but_keeps_the_sources() -> None:
    assert {"console/node_modules", "console/dist"} <= set(IGNORED)
    assert "console" not in IGNORED and "schema" not in IGNORED
