"""Bearer tokens: every request but the health checks carries one; bad ones get 401 UNAUTHENTICATED."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import jwt
import pytest

from hub.keys.ring import KeyRing
from hub.auth import tokens
from hub.config import Settings
from tests.conftest import TokenFor
from tests.processes import hub_env, run_hub

SERVER_INFO = {"query": "{ serverInfo { storeKind } }"}


def _expired(settings: Settings) -> str:
    long_ago = datetime.now(timezone.utc) - timedelta(hours=9)
    return tokens.issue(keys=KeyRing(settings.resolved_secret_key()), agency_code="CC", user="u", roles=[],
                        ttl=timedelta(hours=8), now=long_ago)


def _foreign(settings: Settings) -> str:
    return tokens.issue(keys=KeyRing("another-hub's-secret-of-at-least-32-bytes"), agency_code="CC", user="u", roles=[], ttl=timedelta(hours=1))


def _unsigned(settings: Settings) -> str:
    return jwt.encode({"iss": tokens.ISSUER, "sub": "u", "agency": "CC", "iat": 0, "exp": 4102444800},
                      key=None, algorithm="none")  # type: ignore[arg-type]


def _unknown_agency(settings: Settings) -> str:
    return tokens.issue(keys=KeyRing(settings.resolved_secret_key()), agency_code="NOPE", user="u", roles=[],
                        ttl=timedelta(hours=1))


BAD_HEADERS = {
    "missing": lambda s: None,
    "not a bearer": lambda s: "Basic dXNlcjpwYXNz",
    "empty bearer": lambda s: "Bearer ",
    "malformed": lambda s: "Bearer not.a.jwt",
    "badly signed": lambda s: f"Bearer {_foreign(s)}",
    "unsigned": lambda s: f"Bearer {_unsigned(s)}",
    "expired": lambda s: f"Bearer {_expired(s)}",
    "unknown agency": lambda s: f"Bearer {_unknown_agency(s)}",
}


@pytest.mark.parametrize("case", list(BAD_HEADERS))
async def test_bad_credentials_get_401(case: str, anonymous: httpx.AsyncClient, settings: Settings,
                                       district: object) -> None:
    header = BAD_HEADERS[case](settings)
    headers = {"Authorization": header} if header else {}
    for response in (await anonymous.post("/graphql", json=SERVER_INFO, headers=headers),
                     await anonymous.get("/metrics", headers=headers),
                     await anonymous.get("/reports/brief", params={"region": "510199", "period": "2026-03"},
                                         headers=headers)):
        assert response.status_code == 401, (case, response.request.url)
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_health_checks_and_the_graphiql_page_need_no_token(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/healthz")).status_code == 200
    assert (await anonymous.get("/readyz")).status_code == 200
    page = await anonymous.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    # … but a query sent from that page does.
    assert (await anonymous.get("/graphql", params={"query": "{ serverInfo { storeKind } }"})).status_code == 401


async def test_a_valid_token_is_accepted(
    anonymous: httpx.AsyncClient, token_for: TokenFor, district: object, store_kind: str
) -> None:
    response = await anonymous.post("/graphql", json=SERVER_INFO, headers={"Authorization": f"Bearer {token_for()}"})
    assert response.json() == {"data": {"serverInfo": {"storeKind": store_kind}}}


async def test_a_browser_may_carry_its_token_in_a_cookie_for_reports(
    anonymous: httpx.AsyncClient, token_for: TokenFor, district: object
) -> None:
    anonymous.cookies.set("hub_token", token_for("CC"))
    page = await anonymous.get("/reports/brief", params={"region": "510199", "period": "2026-03"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # The cookie opens the reports only: GraphQL requests, by POST or GET, and metrics carry the header.
    assert (await anonymous.post("/graphql", json=SERVER_INFO)).status_code == 401
    assert (await anonymous.get("/graphql", params=SERVER_INFO)).status_code == 401
    assert (await anonymous.get("/metrics")).status_code == 401


def test_hub_token_issues_what_the_hub_accepts(settings: Settings, district: object, tmp_path: Path) -> None:
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db, HUB_DATA_DIR=str(tmp_path),
                  HUB_SECRET_KEY=settings.resolved_secret_key())
    issued = run_hub("token", "--agency", "PB", "--user", "信访局值班员", "--role", "pii", "--ttl", "2h", env=env)
    assert issued.returncode == 0, issued.stderr
    claims = tokens.verify(keys=KeyRing(settings.resolved_secret_key()), token=issued.stdout.strip())
    assert (claims.agency_code, claims.user, claims.roles) == ("PB", "信访局值班员", frozenset({"pii"}))
    lifetime = claims.expires_at - datetime.now(timezone.utc)
    assert timedelta(hours=1, minutes=59) < lifetime <= timedelta(hours=2)

    unknown = run_hub("token", "--agency", "NOPE", "--user", "x", env=env)
    assert unknown.returncode == 1 and "NOPE" in unknown.stderr and not unknown.stdout
    forever = run_hub("token", "--agency", "PB", "--user", "x", "--ttl", "90d", env=env)
    assert forever.returncode == 1 and "30 days" in forever.stderr
    role = run_hub("token", "--agency", "PB", "--user", "x", "--role", "admin", env=env)
    assert role.returncode == 2 and "admin" in role.stderr
