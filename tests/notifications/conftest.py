"""Real parts for the notification tests: an HTTP receiver for webhooks, the app served over a real socket
(subscriptions need a WebSocket), and a graphql-transport-ws client."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"


# --- a webhook receiver -------------------------------------------------------------------------


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that answers 500 to the first `failures` requests of each path, then 200."""

    url: str = ""
    failures: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                earlier = sum(1 for r in state.requests if r["path"] == self.path)
                state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            code = 500 if earlier < state.failures else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


# --- the app on a real socket -------------------------------------------------------------------


@pytest.fixture
async def served(app: Starlette, district: Any) -> AsyncIterator[str]:
    """The test's app (its lifespan already running) served by uvicorn on 127.0.0.1: its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning",
                                           ws="websockets-sansio"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task


# --- a graphql-transport-ws client --------------------------------------------------------------


class Closed(Exception):
    """The server closed the WebSocket."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code, self.reason = code, reason


@dataclass
class GraphQLWS:
    """One graphql-transport-ws connection; `subscribe` starts operations, `next` reads their results."""

    ws: ClientConnection
    serial: int = 0

    async def subscribe(self, query: str, **variables: Any) -> str:
        self.serial += 1
        op = str(self.serial)
        await self.ws.send(json.dumps({"id": op, "type": "subscribe",
                                       "payload": {"query": query, "variables": variables}}))
        return op

    async def message(self, timeout: float = 10) -> dict[str, Any]:
        """The next message that is not a ping (pings are answered)."""
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout)
            except Exception as exc:
                if type(exc).__name__.startswith("ConnectionClosed"):
                    raise Closed(self.ws.close_code, self.ws.close_reason or "") from None
                raise
            message = json.loads(raw)
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            return message  # type: ignore[no-any-return]

    async def next(self, timeout: float = 10) -> dict[str, Any]:
        """The data of the next result (a `next` message without errors)."""
        message = await self.message(timeout)
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message["payload"]["errors"]
        return message["payload"]["data"]  # type: ignore[no-any-return]

    async def quiet(self, seconds: float) -> bool:
        """Nothing arrives for `seconds`."""
        try:
            message = await self.message(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"expected nothing, got {message}")


@asynccontextmanager
async def graphql_ws(base: str, *, token: str | None = None, params: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None, origin: str | None = None) -> AsyncIterator[GraphQLWS]:
    """A connection to `ws://<base>/graphql`, initialised with the token (or `params`) and acknowledged."""
    payload = params if params is not None else ({"Authorization": f"Bearer {token}"} if token else {})
    async with connect(f"ws://{base}/graphql", subprotocols=[PROTOCOL], additional_headers=headers,  # type: ignore[list-item]
                       origin=origin, open_timeout=10) as ws:  # type: ignore[arg-type]
        client = GraphQLWS(ws)
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = await client.message()
        assert ack["type"] == "connection_ack", ack
        yield client
