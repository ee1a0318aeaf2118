"""Malformed HTTP requests, built as raw bytes, sent over a socket, and the answers read back as bytes.

`requests()` draws one request of a kind: broken JSON, wrong content types, huge headers, invalid UTF-8 in the
body or the query string, bad variables, oversized bodies, GETs with odd query strings, WebSocket upgrades
that are junk, wrong methods and paths, bodies that are JSON but not a GraphQL request, bad credentials.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from urllib.parse import quote

from hypothesis import strategies as st

QUERY = "query($n: Int) { cases(first: $n) { totalCount } }"


@dataclass(frozen=True)
class Raw:
    """One request: its kind, the bytes of its head (request line and headers) and of its body."""

    kind: str
    head: bytes
    body: bytes = b""

    def to_bytes(self) -> bytes:
        return self.head + b"\r\n" + self.body


@dataclass(frozen=True)
class Answer:
    """What came back: status (0: the connection closed without an answer), headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def head(method: str | bytes, target: str | bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    m = method.encode() if isinstance(method, str) else method
    t = target.encode() if isinstance(target, str) else target
    lines = [m + b" " + t + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n"


def post(kind: str, body: bytes, token: bytes, content_type: bytes | None = b"application/json",
         extra: list[tuple[bytes, bytes]] | None = None, length: int | None = None) -> Raw:
    headers = [(b"Authorization", b"Bearer " + token)] + ([(b"Content-Type", content_type)] if content_type else [])
    headers += [(b"Content-Length", str(len(body) if length is None else length).encode())] + (extra or [])
    return Raw(kind, head("POST", "/graphql", headers), body)


def get(kind: str, target: bytes | str, token: bytes, extra: list[tuple[bytes, bytes]] | None = None,
        method: str | bytes = "GET") -> Raw:
    headers = [(b"Authorization", b"Bearer " + token), (b"Accept", b"application/json")] + (extra or [])
    return Raw(kind, head(method, target, headers))


_CONTENT_TYPES = (b"text/plain", b"application/xml", b"multipart/form-data; boundary=xyz", b"multipart/form-data",
                  b"application/x-www-form-urlencoded", b"", b"application/json; charset=latin-1", b"*/*",
                  b"application/graphql", b"application/json, text/html", b"\xff\xfe", b"a" * 300)
_JSON_NOT_REQUESTS = ("[]", "[{}]", '[{"query": "{ __typename }"}]', '"query"', "123", "null", "true", "{}",
                      '{"query": 123}', '{"query": null}', '{"query": ["x"]}', '{"query": {"a": 1}}',
                      '{"query": "{ __typename }", "operationName": 5}', '{"query": "{ __typename }", "extensions": 1}',
                      '{"query": "{ __typename }", "operationName": "nope"}', '{"query": ""}', '{"query": "   "}',
                      '{"query": "subscription { events { key } }"}', '{"query": "{}"}', '{"query": "{ cases { } }"}')
_BAD_VARIABLES = ('"x"', "[]", "1", "true", '{"n": "ten"}', '{"n": 1e400}', '{"n": 99999999999999}', '{"n": [1]}',
                  '{"n": {"$gt": 1}}', '{"n": null, "m": 1}', '"{\\"n\\": 1}"', '{"n": 1.5}')


def _truncations(text: str) -> st.SearchStrategy[bytes]:
    data = text.encode()
    return st.integers(min_value=0, max_value=len(data) - 1).map(lambda n: data[:n])


def requests(token: str) -> st.SearchStrategy[Raw]:
    """One malformed request of any kind (the token is valid unless the kind is about credentials)."""
    tok = token.encode()
    valid = json.dumps({"query": QUERY, "variables": {"n": 1}})
    broken_json = st.one_of(st.binary(max_size=200), _truncations(valid),
                            st.text(max_size=80).map(lambda t: ("{" + t).encode())).map(
        lambda b: post("broken JSON", b, tok))
    wrong_type = st.tuples(st.sampled_from(_CONTENT_TYPES), st.sampled_from([valid.encode(), b"query=%7B%7D", b"--xyz\r\n"])).map(
        lambda t: post("wrong content type", t[1], tok, t[0] or None))
    huge_headers = st.one_of(
        st.integers(min_value=8_000, max_value=300_000).map(
            lambda n: post("huge header", valid.encode(), tok, extra=[(b"X-Junk", b"a" * n)])),
        st.integers(min_value=100, max_value=3_000).map(
            lambda n: post("many headers", valid.encode(), tok, extra=[(b"X-H%d" % i, b"v") for i in range(n)])),
        st.integers(min_value=5_000, max_value=100_000).map(
            lambda n: Raw("huge header", head("POST", "/graphql", [(b"Authorization", b"Bearer " + tok + b"a" * n),
                                                                      (b"Content-Type", b"application/json"),
                                                                      (b"Content-Length", b"2")]), b"{}")))
    invalid_utf8_body = st.binary(min_size=1, max_size=20).map(
        lambda junk: post("invalid UTF-8 body", b'{"query": "{ cases { totalCount } }", "x": "' + b"\xff\xfe" + junk + b'"}', tok))
    invalid_utf8_string = st.just(post("invalid UTF-8 body", b'{"query": "{ case(caseNo: \\"\xc3\x28\xa0\xa1\\") { id } }"}', tok))
    invalid_utf8_query = st.one_of(
        st.binary(min_size=1, max_size=20).map(lambda junk: get("invalid UTF-8 query string",
                                                                b"/graphql?query=" + quote(junk).encode(), tok)),
        st.binary(min_size=1, max_size=20).map(lambda junk: get("invalid UTF-8 query string",
                                                                b"/graphql?query=%7B%20" + junk.replace(b" ", b"") + b"%7D", tok)),
        st.just(get("invalid UTF-8 query string", b"/graphql?query=%ff%fe&variables=%c3%28", tok)))
    bad_variables = st.sampled_from(_BAD_VARIABLES).map(
        lambda v: post("bad variables", ('{"query": %s, "variables": %s}' % (json.dumps(QUERY), v)).encode(), tok))
    oversized = st.one_of(
        st.integers(min_value=4 * 1024 * 1024 + 1, max_value=2**40).map(
            lambda n: post("oversized body (declared)", b"{}", tok, length=n)),
        st.just(post("oversized body (sent)", b'{"query": "' + b"a" * (4 * 1024 * 1024 + 10) + b'"}', tok)),
        st.just(Raw("oversized body (chunked)", head("POST", "/graphql", [
            (b"Authorization", b"Bearer " + tok), (b"Content-Type", b"application/json"),
            (b"Transfer-Encoding", b"chunked")]),
            (b"%x\r\n" % (1024 * 1024) + b"a" * (1024 * 1024) + b"\r\n") * 5 + b"0\r\n\r\n")))
    odd_get = st.one_of(
        st.sampled_from([
            "/graphql", "/graphql?", "/graphql?query=", "/graphql?query=%7B", "/graphql?query={__typename}&query=x",
            "/graphql?variables=notjson&query=%7B__typename%7D", "/graphql?query=%7B__typename%7D&variables=%5B%5D",
            "/graphql?query=%7B__typename%7D&extensions=%7Bjunk", "/graphql?query=mutation%7BdeleteWebhook(id:%22x%22)%7D",
            "/graphql?query=%7B__typename%7D&operationName=%00", "/graphql?%%%", "/graphql?query=%7B__typename%7D#frag",
            "/graphql?query=" + "%7B" * 5000, "/graphql?" + "a=1&" * 3000, "/graphql?query=%7B__typename%7D&variables=%7B%22n%22%3A1",
            "/graphql;x=1", "/graphql/", "//graphql", "/graphql?query=subscription%7Bevents%7Bkey%7D%7D",
        ]).map(lambda t: get("odd GET", t, tok)),
        st.text(max_size=60).map(lambda t: get("odd GET", "/graphql?query=" + quote(t) + "&variables=" + quote(t), tok)))
    ws = [(b"Upgrade", b"websocket"), (b"Connection", b"Upgrade")]
    ws_junk = st.sampled_from([
        [*ws], [*ws, (b"Sec-WebSocket-Version", b"13")], [*ws, (b"Sec-WebSocket-Key", b"junk"), (b"Sec-WebSocket-Version", b"99")],
        [*ws, (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="), (b"Sec-WebSocket-Version", b"13"),
         (b"Sec-WebSocket-Protocol", b"nonsense")],
        [*ws, (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="), (b"Sec-WebSocket-Version", b"13")],
        [(b"Upgrade", b"h2c"), (b"Connection", b"Upgrade, HTTP2-Settings"), (b"HTTP2-Settings", b"AAMAAABkAAQAAP__")],
        [(b"Upgrade", b"\xff\xfe"), (b"Connection", b"Upgrade")],
    ]).flatmap(lambda headers: st.sampled_from(["/graphql", "/healthz", "/nowhere"]).map(
        lambda path: Raw("WebSocket upgrade junk", head("GET", path, [(b"Authorization", b"Bearer " + tok), *headers]),
                         b"\x81\x05hello")))
    wrong_method = st.tuples(st.sampled_from(["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "G\xc3T"]),
                             st.sampled_from(["/graphql", "/reports/brief", "/metrics", "/nowhere", "/console/session"])).map(
        lambda t: get("wrong method or path", t[1], tok, method=t[0].encode("latin-1", "replace")))
    not_requests = st.sampled_from(_JSON_NOT_REQUESTS).map(lambda b: post("JSON but not a GraphQL request", b.encode(), tok))
    credentials = st.one_of(st.binary(max_size=60), st.text(max_size=60).map(str.encode)).map(
        lambda junk: Raw("bad credentials", head("POST", "/graphql", [
            (b"Authorization", b"Bearer " + junk.replace(b"\r", b"").replace(b"\n", b"")),
            (b"Content-Type", b"application/json"), (b"Content-Length", b"27")]), b'{"query": "{ __typename }"}'))
    broken_http = st.sampled_from([b"GARBAGE\r\n\r\n", b"GET /graphql HTTP/9.9\r\n\r\n", b"\x00\x01\x02\r\n\r\n",
                                   b"POST /graphql HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                                   b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
                                   b"GET /graphql HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"]).map(
        lambda b: Raw("broken HTTP", b.rstrip(b"\r\n") + b"\r\n"))
    return st.one_of(broken_json, wrong_type, huge_headers, invalid_utf8_body, invalid_utf8_string, invalid_utf8_query,
                     bad_variables, oversized, odd_get, ws_junk, wrong_method, not_requests, credentials, broken_http)


def send(port: int, request: Raw, *, timeout: float = 30) -> Answer:
    """Send the bytes, read to the end (every request asks `Connection: close`), parse the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request.to_bytes())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (413, 400) and closed before the whole body was sent
        chunks = []
        try:
            while data := sock.recv(65536):
                chunks.append(data)
        except ConnectionResetError:
            pass
    raw = b"".join(chunks)
    if not raw:
        return Answer(0, {}, b"")
    top, _, body = raw.partition(b"\r\n\r\n")
    lines = top.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return Answer(status, headers, body)
