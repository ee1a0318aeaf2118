"""Logs: JSON lines from `hub serve` (HUB_LOG_FORMAT=json), each request's line with the request id it was
answered with, taken from a well-formed `X-Request-Id` or made anew; personal data masked."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from hub.logs import RedactingFilter, RequestContext, TextLines
from tests.conftest import TokenFor, free_port
from tests.factories import resident_id
from tests.processes import hub_serve

AGENCIES = {"query": "query Agencies { agencies { code } }"}
NEW_ID = re.compile(r"[0-9a-f]{32}")


async def test_each_request_is_logged_as_json_with_the_request_id_it_was_answered_with(
        district: AsyncDatabase, settings: Settings, token_for: TokenFor, tmp_path: Path) -> None:
    log, port, secret = tmp_path / "serve.log", free_port(), resident_id(seq=77)
    with hub_serve(settings, port, log, HUB_LOG_FORMAT="json"), \
            httpx.Client(base_url=f"http://127.0.0.1:{port}",
                         headers={"Authorization": f"Bearer {token_for('CC')}"}) as http:
        given = http.post("/graphql", json=AGENCIES, headers={"X-Request-Id": "agency-sys:7f3a.01"})
        made = http.post("/graphql", json=AGENCIES)
        refused = http.post("/graphql", json=AGENCIES, headers={"X-Request-Id": "two words"})
        too_long = http.post("/graphql", json=AGENCIES, headers={"X-Request-Id": "a" * 129})
        unknown = http.get(f"/people/{secret}")
        unauthenticated = httpx.post(f"http://127.0.0.1:{port}/graphql", json=AGENCIES,
                                     headers={"X-Request-Id": "no-token-1"})
        http.get("/healthz")
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]  # every line is JSON

    assert given.headers["x-request-id"] == "agency-sys:7f3a.01"
    for response in (made, refused, too_long, unknown):
        assert NEW_ID.fullmatch(response.headers["x-request-id"])
    assert unauthenticated.status_code == 401 and unauthenticated.headers["x-request-id"] == "no-token-1"
    access = {line["request_id"]: line for line in lines if line["logger"] == "hub.access"}
    assert set(access) == {r.headers["x-request-id"] for r in (given, made, refused, too_long, unknown,
                                                                 unauthenticated)}  # /healthz's 200: not logged
    line = access["agency-sys:7f3a.01"]
    assert {k: line[k] for k in ("level", "method", "path", "status")} == {
        "level": "INFO", "method": "POST", "path": "/graphql", "status": 200}
    assert line["duration_ms"] > 0 and line["time"].endswith("+00:00") and "trace_id" not in line  # tracing off
    assert access["no-token-1"]["status"] == 401
    missing = access[unknown.headers["x-request-id"]]
    assert missing["status"] == 404 and secret not in missing["path"] and missing["path"].startswith("/people/510")
    assert secret not in log.read_text()


async def test_text_lines_end_with_the_request_id(http: httpx.AsyncClient) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(TextLines())
    handler.addFilter(RedactingFilter())
    handler.addFilter(RequestContext())
    access = logging.getLogger("hub.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        response = await http.post("/graphql", json=AGENCIES, headers={"X-Request-Id": "console-42"})
    finally:
        access.removeHandler(handler)
        access.setLevel(level)

    assert response.headers["x-request-id"] == "console-42"
    [line] = out.getvalue().splitlines()
    assert re.fullmatch(r"\S+ \S+ INFO hub\.access: POST /graphql 200 [0-9.]+ ms request_id=console-42", line), line
