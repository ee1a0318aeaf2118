"""`hub keys rotate` with two `hub serve` processes running: both take the new key within seconds, old tokens
keep working, the processes re-key the stored persons in the background, and after `hub keys retire` the old
tokens are refused everywhere. No clear ID number or phone reaches a log."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import jwt

from hub.config import Settings
from tests.conftest import TokenFor, free_port
from tests.processes import hub_env, hub_serve, run_hub
from tests.scenarios import EscalatedPetition

LOOKUP = {"query": """query($idNumber: String) {
  personLookup(idNumber: $idNumber, purpose: "越级信访人员基层调解情况核查") { found persons { idNumber } cases { caseNo } }
}"""}
FAST = {"HUB_KEYS_REFRESH_SECONDS": "0.5", "HUB_REKEY_POLL_SECONDS": "0.5", "HUB_WATCH_POLL_SECONDS": "0",
        "HUB_WEBHOOK_POLL_SECONDS": "0", "HUB_AUDIT_SEAL_SECONDS": "0"}


def status_of(base: str, token: str) -> int:
    return httpx.post(f"{base}/graphql", json={"query": "{ viewer { agency { code } } }"},
                      headers={"Authorization": f"Bearer {token}"}).status_code


async def until(check: object, *, within: float, what: str) -> float:
    """Seconds until `check()` is true; fail after `within`."""
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - started < within, f"{what}: not within {within} s"
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def test_a_rotation_reaches_every_process_and_the_data_is_rekeyed_in_the_background(
        escalated_petition: EscalatedPetition, settings: Settings, token_for: TokenFor, tmp_path: Path) -> None:
    petition = escalated_petition
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db, HUB_DATA_DIR=str(settings.data_dir),
                  HUB_SECRET_KEY=settings.resolved_secret_key())
    old = token_for("PB", roles=["pii"])
    ports = free_port(), free_port()
    log = tmp_path / "serve.log"
    with hub_serve(settings, ports[0], log, **FAST), hub_serve(settings, ports[1], log, **FAST):
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        before = httpx.post(f"{bases[0]}/graphql", json={**LOOKUP, "variables": {"idNumber": petition.petitioner_id}},
                            headers={"Authorization": f"Bearer {old}"}).json()
        assert "errors" not in before, before
        before = before["data"]["personLookup"]

        rotated = await asyncio.to_thread(run_hub, "keys", "rotate", "--activate-in", "2", env=env)
        assert rotated.returncode == 0 and rotated.stdout.startswith("key k1 added"), rotated.stderr
        await asyncio.sleep(2)
        issued = await asyncio.to_thread(run_hub, "token", "--agency", "PB", "--user", "窗口", "--role", "pii", env=env)
        new = issued.stdout.strip()
        assert jwt.get_unverified_header(new)["kid"] == "k1"
        took = await until(lambda: [status_of(b, new) for b in bases] == [200, 200], within=5,
                           what="the new key's token accepted by both processes")
        print(f"a k1 token accepted by both processes {took:.2f} s after its activation")
        assert [status_of(b, old) for b in bases] == [200, 200]  # the old key's tokens live on

        def rekeyed() -> bool:
            return run_hub("keys", "status", env=env).returncode == 0

        took = await until(rekeyed, within=60, what="every person re-keyed by the processes")
        print(f"re-keyed in the background within {took:.2f} s")
        refused = await asyncio.to_thread(run_hub, "keys", "retire", "k0", env=env)
        assert refused.returncode == 1 and "may be valid until" in refused.stderr
        retired = await asyncio.to_thread(run_hub, "keys", "retire", "k0", "--force", env=env)
        assert retired.returncode == 0 and retired.stdout.startswith("key k0 retired"), retired.stderr
        await until(lambda: [status_of(b, old) for b in bases] == [401, 401], within=5,
                    what="the retired key's token refused by both processes")
        after = httpx.post(f"{bases[1]}/graphql", json={**LOOKUP, "variables": {"idNumber": petition.petitioner_id}},
                           headers={"Authorization": f"Bearer {new}"}).json()["data"]["personLookup"]
        assert after == before and after["found"] and after["persons"][0]["idNumber"] == petition.petitioner_id
    shown = run_hub("keys", "status", env=env)
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("k0\tretired") and lines[1].startswith("k1\tcurrent"), shown.stdout
    assert (shown.returncode, lines[2]) == (0, "to re-key onto k1: 0 person(s), 0 webhook(s)")
    text = log.read_text(errors="replace")
    assert "re-keyed onto k1" in text
    for clear in (petition.petitioner_id, petition.petitioner_phone, petition.employer_code):
        assert clear not in text
