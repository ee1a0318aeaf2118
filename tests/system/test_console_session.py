"""Signing in to the console: the token checked, kept in an HttpOnly cookie, accepted only where it is safe."""

from __future__ import annotations

from datetime import timedelta

import httpx
from asgi_lifespan import LifespanManager

from hub.app import create_app
from hub.config import Settings
from tests.conftest import TokenFor

FROM_CONSOLE = {"X-Hub-Console": "1", "Sec-Fetch-Site": "same-origin"}
VIEWER = {"query": "{ viewer { user agencyCode expiresAt may { analyse lookUpPersons } } }"}


async def sign_in(client: httpx.AsyncClient, token: str, **headers: str) -> httpx.Response:
    return await client.post("/console/session", json={"token": token}, headers=headers or FROM_CONSOLE)


async def test_a_good_token_becomes_an_httponly_strict_cookie_and_is_not_echoed(
        anonymous: httpx.AsyncClient, district: object, token_for: TokenFor) -> None:
    token = token_for("CC", user="张秘书", ttl=timedelta(hours=2))
    response = await sign_in(anonymous, token)
    assert response.status_code == 200
    assert response.json()["user"] == "张秘书" and token not in response.text
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert 7190 <= int(cookie.split("max-age=")[1].split(";")[0]) <= 7200
    assert "secure" not in cookie  # development over plain http


async def test_the_cookie_answers_graphql_only_with_the_console_header(
        anonymous: httpx.AsyncClient, district: object, token_for: TokenFor) -> None:
    await sign_in(anonymous, token_for("CC"))
    assert (await anonymous.post("/graphql", json=VIEWER)).status_code == 401
    body = (await anonymous.post("/graphql", json=VIEWER, headers={"X-Hub-Console": "1"})).json()
    assert body["data"]["viewer"]["agencyCode"] == "CC"
    assert body["data"]["viewer"]["may"] == {"analyse": True, "lookUpPersons": False}


async def test_a_sign_in_posted_by_another_site_is_refused(anonymous: httpx.AsyncClient, district: object,
                                                           token_for: TokenFor) -> None:
    token = token_for("CC")
    # A form on another site can send text that parses as JSON, but not the header or the JSON type.
    as_form = await anonymous.post("/console/session", content=f'{{"token":"{token}","x":"="}}',
                                   headers={"content-type": "text/plain"})
    cross_site = await sign_in(anonymous, token, **{"X-Hub-Console": "1", "Sec-Fetch-Site": "cross-site"})
    for refused in (as_form, cross_site):
        assert refused.status_code == 403 and "set-cookie" not in refused.headers


async def test_a_bad_token_or_body_is_refused_with_its_reason(anonymous: httpx.AsyncClient, district: object) -> None:
    bad = await sign_in(anonymous, "not-a-token")
    assert bad.status_code == 401 and bad.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    not_utf8 = await anonymous.post("/console/session", content=b"\xff\xfe",
                                    headers={"content-type": "application/json", **FROM_CONSOLE})
    assert not_utf8.status_code == 400


async def test_sign_out_forgets_the_cookie(anonymous: httpx.AsyncClient, district: object,
                                           token_for: TokenFor) -> None:
    await sign_in(anonymous, token_for("CC"))
    response = await anonymous.delete("/console/session")
    assert response.status_code == 204 and 'hub_token=""' in response.headers["set-cookie"]
    assert (await anonymous.post("/graphql", json=VIEWER, headers={"X-Hub-Console": "1"})).status_code == 401


async def test_in_production_the_cookie_is_secure(settings: Settings, district: object, token_for: TokenFor) -> None:
    app = create_app(settings.model_copy(update={"env": "production"}))
    async with LifespanManager(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
            response = await sign_in(client, token_for("CC"))
    assert response.status_code == 200 and "secure" in response.headers["set-cookie"].lower()
