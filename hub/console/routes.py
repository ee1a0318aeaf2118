"""/console: the built single-page console, its sign-in session (a cookie), and GraphiQL's page for /graphql.

Every file a page loads comes from `Settings.console_dir` (the console's Vite build): nothing from
outside the hub, so the pages work on a closed network.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from hub.audit import service as audit_service
from hub.audit.models import Outcome
from hub.auth import service as auth_service
from hub.config import Settings
from hub.errors import Unauthenticated
from hub.middleware import CONSOLE_HEADER, TOKEN_COOKIE, error_response

NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>大调解信息平台</title>
<p>控制台尚未构建 — the console has not been built: run <code>make</code> (it runs <code>npm ci</code> and the build
in <code>console/</code>), then reload.</p>"""


class Assets(StaticFiles):
    """The build's hashed files: cached for a year, since a new build gives them new names."""

    def file_response(self, full_path: str | Path, stat_result: object, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)  # type: ignore[arg-type]
        response.headers["cache-control"] = "public, max-age=31536000, immutable"
        return response


def _page(settings: Settings, name: str) -> Response:
    path = settings.console_dir / name
    if not path.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    return FileResponse(path, media_type="text/html", headers={"cache-control": "no-cache"})


async def console_page(request: Request) -> Response:
    """Any /console path: the single page, whose router shows the view the path names."""
    return _page(request.app.state.settings, "index.html")


def graphiql_page(settings: Settings) -> Response:
    """GraphiQL, bundled into the console's build (strawberry's own page loads it from a CDN)."""
    return _page(settings, "graphiql.html")


def _from_the_console(request: Request) -> bool:
    """A sign-in the console itself sent: JSON with the console's header, from this hub's own pages.

    A form on another site can post text that parses as JSON; it cannot set the header or the JSON
    content type without a CORS preflight, which the hub never grants (no login CSRF).
    """
    return (request.headers.get("content-type", "").split(";")[0].strip() == "application/json"
            and request.headers.get(CONSOLE_HEADER) == "1"
            and request.headers.get("sec-fetch-site", "same-origin") == "same-origin")


def _secure(settings: Settings, request: Request) -> bool:
    """Whether the cookie is Secure: as configured, else in production, else when the request came over https."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return settings.env == "production" or request.url.scheme == "https"


async def sign_in(request: Request) -> Response:
    """POST {"token": "..."}: check the token, keep it in the HttpOnly `hub_token` cookie until it expires."""
    settings: Settings = request.app.state.settings
    if not _from_the_console(request):
        return error_response(403, "FORBIDDEN", "sign in from the console's own page (/console/login)")
    try:
        body = json.loads(await request.body() or b"{}")
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise Unauthenticated("请输入令牌 — paste the token the operator issued (`hub token`)")
        principal = await auth_service.authenticate(token=token.strip(), keys=request.app.state.keys,
                                                    directory=request.app.state.agencies,
                                                    revocations=request.app.state.revocations)
    except ValueError:  # not JSON, or not UTF-8
        return error_response(400, "BAD_USER_INPUT", "send a JSON body: {\"token\": \"...\"}")
    except Unauthenticated as exc:
        return error_response(401, exc.code, exc.message)
    await audit_service.append(key=request.app.state.audit_key, principal=principal, operation="signIn", targets=[principal.agency_code],
                               outcome=Outcome.OK)
    expires = principal.expires_at or datetime.now(timezone.utc)
    response = JSONResponse({"user": principal.user, "agency": principal.agency_code,
                             "expiresAt": expires.isoformat()})
    max_age = max(0, math.ceil((expires - datetime.now(timezone.utc)).total_seconds()))
    response.set_cookie(TOKEN_COOKIE, token.strip(), max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=_secure(settings, request))
    return response


async def sign_out(request: Request) -> Response:
    """DELETE: forget the session cookie."""
    response = Response(status_code=204)
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def routes(settings: Settings) -> list[BaseRoute]:
    """The console's routes: the session, the built assets, and every other /console path as the page."""
    return [
        Route("/console/session", sign_in, methods=["POST"]),
        Route("/console/session", sign_out, methods=["DELETE"]),
        Mount("/console/assets", app=Assets(directory=settings.console_dir / "assets", check_dir=False)),
        Route("/console", console_page, methods=["GET"]),
        Route("/console/{path:path}", console_page, methods=["GET"]),
    ]
