"""Behaviour where the network matters, over a real uvicorn (and hypercorn) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from pydantic import BaseModel
from starlette.middleware.gzip import GZipMiddleware

from aaf import aaf
from aaf._types import ASGIApp, Receive, Scope, Send
from aaf.app import App
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError
from aaf.params import Cookie
from aaf.response import EventSourceResponse, FileResponse, HttpResponse, StreamingResponse
from aaf.routing import Router

from ._helpers import free_port, serve

Ended = dict[str, threading.Event]


def make_app(ended: Ended | None = None) -> App:
    """The app under test; ``ended`` gets "body", "stream" and "plain" set when those
    handlers end."""
    if ended is None:
        ended = {"body": threading.Event(), "stream": threading.Event(), "plain": threading.Event()}
    router = Router()

    @router.route("/upload", methods=["POST"])
    async def upload(connection: Connection) -> dict[str, int]:
        try:
            return {"size": len(await connection.body())}
        finally:
            ended["body"].set()

    @router.route("/endless")
    async def endless(connection: Connection) -> StreamingResponse:
        async def ticks() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"tick\n"
                    await asyncio.sleep(0.01)
            finally:
                ended["stream"].set()

        return StreamingResponse(ticks())

    @router.route("/plain")
    async def plain(connection: Connection, count: int = 0) -> StreamingResponse:
        # A plain generator, as a FastAPI app may hand StreamingResponse: each step in a
        # worker thread, where it may block.
        def lines() -> Iterator[str]:
            try:
                for i in itertools.count():
                    if count and i == count:
                        return
                    time.sleep(0.005)
                    yield f"{i} {threading.current_thread().name}\n"
            finally:
                ended["plain"].set()

        return StreamingResponse(lines(), media_type="text/plain")

    @router.route("/plain-events")
    async def plain_events(connection: Connection) -> EventSourceResponse:
        return EventSourceResponse({"n": n} for n in range(3))

    @router.route("/where")
    async def where(connection: Connection) -> dict[str, str]:
        return {
            "root_path": connection.root_path,
            "route": connection.route_path,
            "url": connection.url,
            "base": connection.base_url,
        }

    @router.route("/big")
    async def big(connection: Connection) -> str:
        return "compress me " * 500

    return aaf([router], max_body_size=1000)


def raw_request(
    base: str, data: bytes, *, close_after_send: bool = False, whole: bool = False
) -> bytes:
    """Send raw bytes to the server and read what comes back (bounded by a timeout): the
    head, or with ``whole`` all until the server closes."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        if close_after_send:
            return b""
        chunks: list[bytes] = []
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if not whole and b"\r\n\r\n" in b"".join(chunks):
                    break
        return b"".join(chunks)


@pytest.fixture()
def ended() -> Ended:
    """Events the app's handlers set when they end."""
    return {"body": threading.Event(), "stream": threading.Event(), "plain": threading.Event()}


@pytest.fixture()
def server(caplog: pytest.LogCaptureFixture, ended: Ended) -> Iterator[str]:
    with caplog.at_level(logging.WARNING), serve(make_app(ended), log_config=None) as base:
        yield base
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == [], [r.getMessage() for r in problems]


def test_declared_length_over_the_limit_is_refused_before_the_body_is_sent(server: str) -> None:
    head = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
    answer = raw_request(server, head)  # the body is never sent
    assert answer.startswith(b"HTTP/1.1 413")


def test_chunked_body_over_the_limit_is_refused_mid_stream(server: str) -> None:
    chunk = b"200\r\n" + b"x" * 0x200 + b"\r\n"
    head = b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer = raw_request(server, head + chunk * 3)  # 1536 bytes, never terminated
    assert answer.startswith(b"HTTP/1.1 413")


def test_body_within_the_limit_is_read(server: str) -> None:
    response = httpx.post(server + "/upload", content=b"x" * 1000, timeout=5)
    assert response.json() == {"size": 1000}


def test_client_leaving_mid_body_leaves_no_error_and_no_task(server: str, ended: Ended) -> None:
    head = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n"
    raw_request(server, head + b"x" * 10, close_after_send=True)
    assert ended["body"].wait(5), "the handler never finished"


def test_client_leaving_mid_stream_stops_the_stream(server: str, ended: Ended) -> None:
    with httpx.Client(timeout=5) as client, client.stream("GET", server + "/endless") as response:
        lines = response.iter_lines()
        assert next(lines) == "tick"
        assert next(lines) == "tick"
    assert ended["stream"].wait(5), "the stream kept running after the client left"


def test_a_plain_generator_streams_from_worker_threads_and_closes_when_the_client_leaves(
    server: str, ended: Ended
) -> None:
    with httpx.Client(timeout=5) as client:
        lines = client.get(server + "/plain?count=3").text.splitlines()
        assert [line.split()[0] for line in lines] == ["0", "1", "2"]
        assert all(line.split()[1].startswith("aaf-sync") for line in lines), lines
        assert ended["plain"].wait(5)
        ended["plain"].clear()
        with client.stream("GET", server + "/plain") as response:  # endless
            read = response.iter_lines()
            assert next(read).startswith("0 ") and next(read).startswith("1 ")
        assert ended["plain"].wait(5), "the generator was not closed after the client left"
        ended["plain"].clear()
        head = client.head(server + "/plain")
        assert (head.status_code, head.content) == (200, b"")
        events = client.get(server + "/plain-events").text
        assert [line for line in events.splitlines() if line.startswith("data")] == [
            'data: {"n":0}',
            'data: {"n":1}',
            'data: {"n":2}',
        ]


def test_odd_request_targets_and_unknown_paths_get_a_plain_404(server: str) -> None:
    # uvicorn hands "OPTIONS *" over with the path "*"; werkzeug reads it as "/*", which no
    # rule here matches. A 404 is answered without a Connection, HEAD without its body.
    for head in (b"OPTIONS * HTTP/1.1", b"GET * HTTP/1.1", b"GET /nowhere HTTP/1.1"):
        answer = raw_request(server, head + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 404"), (head, answer)
    response = httpx.head(server + "/nowhere", timeout=5)
    assert (response.status_code, response.headers["content-length"]) == (404, "9")
    assert response.content == b""


def test_server_root_path_is_honoured() -> None:
    # As behind a proxy that strips /api: uvicorn puts root_path in front of the path it got.
    app = make_app()
    with serve(app, root_path="/api") as base:
        response = httpx.get(base + "/where", timeout=5)
        assert response.json() == {
            "root_path": "/api",
            "route": "/where",
            "url": base + "/api/where",
            "base": base + "/api/",  # Starlette's request.base_url
        }


def test_an_absolute_form_target_is_served_as_its_path_on_both_parsers() -> None:
    # A server must accept `GET http://host/path` (RFC 9112 section 3.2.2). uvicorn on h11
    # put the whole target in the path (after the root path), which no route matched: a
    # 404 where httptools gives the path. Middleware judging by the path sees the path too.
    router = Router()

    @router.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: int, q: str = "") -> dict[str, object]:
        raw = connection.scope.get("raw_path") or b""
        return {"id": item_id, "q": q, "path": connection.path, "raw": raw.decode()}

    @router.get("/admin")
    async def admin(connection: Connection) -> str:
        return "secret"

    @router.websocket("/feed")
    async def feed(connection: Connection) -> None:
        await connection.accept()
        await connection.send_text(connection.route_path)
        await connection.close()

    async def no_admin(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        if scope["type"] == "http" and scope["path"].removeprefix(
            scope.get("root_path", "")
        ).startswith("/admin"):
            await send({"type": "http.response.start", "status": 403, "headers": []})
            await send({"type": "http.response.body", "body": b"refused"})
            return
        await app(scope, receive, send)

    def guarded(app: ASGIApp) -> ASGIApp:
        return functools.partial(no_admin, app=app)

    handshake = (
        b"\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    for http, root, middleware in itertools.product(("h11", "httptools"), ("", "/api"), (0, 1)):
        app = aaf([router], middleware=[guarded] * middleware)
        where = (http, root, middleware)
        with serve(app, http=http, root_path=root) as base:
            for target in (b"http://notes.example/items/3?q=a%20b", b"HTTPS://x:1/items/3?q=a%20b"):
                request = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close"
                answer = raw_request(base, request + b"\r\n\r\n", whole=True)
                head, _, body = answer.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200"), (where, answer)
                assert json.loads(body.split(b"\r\n")[1] if b"chunked" in head else body) == {
                    "id": 3,
                    "q": "a b",
                    "path": root + "/items/3",
                    "raw": root + "/items/3",
                }, where
            guarded_answer = raw_request(base, b"GET http://x/admin HTTP/1.1\r\nHost: x\r\n\r\n")
            assert guarded_answer.startswith(b"HTTP/1.1 403" if middleware else b"HTTP/1.1 200"), (
                where
            )
            opened = raw_request(base, b"GET ws://x/feed HTTP/1.1" + handshake)
            assert opened.startswith(b"HTTP/1.1 101"), (where, opened)


def test_links_built_on_the_connection_carry_the_root_path() -> None:
    # Behind a proxy that strips /api, and in an app mounted at /sub below it: the path a
    # client must ask for, where app.url_for gives the path below the root.
    inner = Router()

    @inner.get("/notes/<int:note_id>")
    async def note(connection: Connection, note_id: int) -> dict[str, str]:
        return {
            "own": connection.url_for(note, note_id=note_id),
            "app": connection.app.url_for(note, note_id=note_id),
        }

    outer = Router()

    @outer.post("/items")
    async def create(connection: Connection) -> None:
        connection.resp_status_code = 201
        connection.put_resp_header("location", connection.url_for(item, item_id=7, full=True))

    @outer.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: int, full: bool = False) -> int:
        return item_id

    app = aaf([outer])
    app.mount("/sub", aaf([inner]))
    with serve(app, root_path="/api") as base, httpx.Client(base_url=base, timeout=5) as client:
        created = client.post("/items")
        assert (created.status_code, created.headers["location"]) == (201, "/api/items/7?full=True")
        assert client.get("/sub/notes/3").json() == {"own": "/api/sub/notes/3", "app": "/notes/3"}
    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as client:
        assert client.post("/items").headers["location"] == "/items/7?full=True"
        assert client.get("/sub/notes/3").json()["own"] == "/sub/notes/3"


class Note(BaseModel):
    text: str


def test_a_handler_working_in_a_loop_sees_the_client_leave() -> None:
    # Starlette's request.is_disconnected(): a long poll ends when its client has gone.
    router = Router()
    left = threading.Event()
    checks: list[bool] = []

    @router.get("/poll")
    async def poll(connection: Connection) -> str:
        for _ in range(1000):  # 10 s at most
            if await connection.is_disconnected():
                left.set()
                return "gone"
            await asyncio.sleep(0.01)
        return "still here"

    @router.post("/quick")
    async def quick(connection: Connection, note: Note) -> str:
        checks.append(await connection.is_disconnected())
        return note.text

    with serve(aaf([router])) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.1)  # the handler is polling
        assert left.wait(5)
        answer = httpx.post(base + "/quick", json={"text": "hi"}, timeout=5)
        assert (answer.status_code, answer.text, checks) == (200, "hi", [False])


def test_third_party_middleware_over_uvicorn() -> None:
    gzip = functools.partial(GZipMiddleware, minimum_size=100)
    app = aaf([make_app().routers[0]], middleware=[gzip])
    with serve(app) as base:
        response = httpx.get(base + "/big", headers={"Accept-Encoding": "gzip"}, timeout=5)
        assert response.headers["content-encoding"] == "gzip"
        assert response.text == "compress me " * 500


@contextlib.contextmanager
def serve_hypercorn(app: ASGIApp) -> Generator[str]:
    """Run ``app`` under hypercorn on 127.0.0.1 in a thread; yield its base URL."""
    from hypercorn.asyncio import serve as hypercorn_serve  # pyright: ignore[reportUnknownVariableType]
    from hypercorn.config import Config

    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        loop.run_until_complete(hypercorn_serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]  # hypercorn's loose types

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break
        if time.monotonic() > deadline:
            raise RuntimeError("hypercorn did not start in time")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        if not thread.is_alive():
            loop.close()


def test_the_same_app_answers_under_hypercorn() -> None:
    with serve_hypercorn(make_app()) as base, httpx.Client(base_url=base, timeout=5) as client:
        assert client.post("/upload", content=b"abc").json() == {"size": 3}
        assert client.post("/upload", content=b"x" * 2000).status_code == 413
        assert client.get("/where").json()["route"] == "/where"
        assert client.get("/nowhere").text == "Not found"
        with client.stream("GET", "/endless") as response:
            assert next(response.iter_lines()) == "tick"


def add_next(router: Router) -> None:
    """The route ``pipelined`` asks for second."""

    @router.get("/next")
    async def next_one(connection: Connection) -> str:
        return "next"


def pipelined(base: str, path: str, method: str = "GET", headers: str = "") -> bytes:
    """``method path`` (with ``headers``, lines ending in CRLF) then ``GET /next`` on one
    connection: all that came back. The second answer must start right where the first one's
    framing says the first ends."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode()
            + b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_bodiless_statuses_never_carry_a_body_on_the_wire() -> None:
    # A body after a 204 or 304 would be read as the start of the next response on the
    # connection: the client and server would disagree from then on.
    router = Router()

    # Annotated to return a value, these are refused (test_plan.py); annotated object, what
    # they return is dropped, as FastAPI drops what an unannotated handler returns.
    @router.get("/value", status_code=204)
    async def value(connection: Connection) -> object:
        return {"dropped": 1}

    @router.get("/text", status_code=304)
    async def text(connection: Connection) -> object:
        return "dropped"

    @router.get("/response")
    async def response(connection: Connection) -> HttpResponse:
        return HttpResponse("dropped", status_code=204)

    @router.get("/imperative")
    async def imperative(connection: Connection) -> None:
        connection.resp_status_code = 204
        await connection.send(b"abc", finish=True)  # a mistake: 500, nothing sent

    @router.get("/informational")
    async def informational(connection: Connection) -> HttpResponse:
        return HttpResponse("x", status_code=101)  # not a response's status: 500

    add_next(router)

    expected = {
        "/value": b"HTTP/1.1 204 ",
        "/text": b"HTTP/1.1 304 ",
        "/response": b"HTTP/1.1 204 ",
        "/imperative": b"HTTP/1.1 500 ",
        "/informational": b"HTTP/1.1 500 ",
    }
    with serve(aaf([router])) as base:
        for path, status in expected.items():
            answer = pipelined(base, path)
            first, _, rest = answer.partition(b"\r\n\r\n")
            assert first.startswith(status), (path, answer)
            if status != b"HTTP/1.1 500 ":
                assert b"content-length" not in first.lower()
                assert rest.startswith(b"HTTP/1.1 200 "), (path, answer)
            assert rest.endswith(b"\r\n\r\nnext"), (path, answer)
    with pytest.raises(ConfigurationError, match="status_code 101 is not a response's status"):
        router.add_route(
            "/switch",
            informational,
            status_code=101,  # type: ignore[aaf-route]  # the mistake tried
        )


def test_framing_headers_set_by_hand_never_contradict_aafs_own() -> None:
    # Two Content-Lengths, or one beside Transfer-Encoding, and the client (or a proxy) reads
    # the body wrong. aaf frames the bodies it sends; a Content-Length set by hand is kept
    # only for a stream aaf does not measure.
    router = Router()

    @router.get("/value")
    async def value(connection: Connection) -> dict[str, int]:
        connection.put_resp_header("Content-Length", "5")
        return {"a": 1}

    @router.get("/chunked")
    async def chunked(connection: Connection) -> HttpResponse:
        connection.put_resp_header("Transfer-Encoding", "chunked")
        return HttpResponse("hello")

    @router.get("/response")
    async def response(connection: Connection) -> HttpResponse:
        answer = HttpResponse("hello", headers={"Transfer-Encoding": "chunked"})
        answer.set_header("Content-Length", "2")
        return answer

    @router.get("/finished")
    async def finished(connection: Connection) -> None:
        connection.put_resp_header("content-length", "100")
        await connection.send(b"abc", finish=True)

    @router.get("/measured-stream")
    async def measured_stream(connection: Connection) -> None:
        connection.put_resp_header("Content-Length", "3")  # the handler knows the length
        await connection.send(b"a")
        await connection.send(b"bc", finish=True)

    add_next(router)

    bodies = {
        "/value": b'{"a":1}',
        "/chunked": b"hello",
        "/response": b"hello",
        "/finished": b"abc",
        "/measured-stream": b"abc",
    }
    with serve(aaf([router])) as base:
        for path, body in bodies.items():
            first, _, rest = pipelined(base, path).partition(b"\r\n\r\n")
            lines = first.lower().split(b"\r\n")
            lengths = [line for line in lines if line.startswith(b"content-length:")]
            assert lengths == [b"content-length: %d" % len(body)], (path, first)
            assert not [line for line in lines if line.startswith(b"transfer-encoding")], path
            assert rest.startswith(body + b"HTTP/1.1 200 "), (path, rest)
            assert rest.endswith(b"\r\n\r\nnext"), (path, rest)


def test_a_files_416_and_304_are_framed_on_the_wire(tmp_path: Path) -> None:
    # A 416 may carry a body, so without Content-Length the server frames its empty one as a
    # chunked stream; a 304 carries none and no Content-Length either.
    file = tmp_path / "data.txt"
    file.write_bytes(b"0123456789")
    router = Router()

    @router.get("/file")
    async def data(connection: Connection) -> FileResponse:
        return FileResponse(file)

    add_next(router)
    with serve(aaf([router])) as base:
        etag = httpx.get(base + "/file", timeout=5).headers["etag"]
        for status, headers in (
            (b"416", "Range: bytes=50-60\r\n"),
            (b"304", f"If-None-Match: {etag}\r\n"),
        ):
            first, _, rest = pipelined(base, "/file", headers=headers).partition(b"\r\n\r\n")
            lines = first.lower().split(b"\r\n")
            assert lines[0].startswith(b"http/1.1 " + status), first
            assert b"transfer-encoding: chunked" not in lines, first
            length = [b"content-length: 0"] if status == b"416" else []
            assert [line for line in lines if line.startswith(b"content-length")] == length
            assert rest.startswith(b"HTTP/1.1 200 ") and rest.endswith(b"next"), rest
        # Several ranges: a multipart body of the length it declares, then the next answer.
        for method in ("GET", "HEAD"):
            first, _, rest = pipelined(
                base, "/file", method, headers="Range: bytes=0-1, 5-6\r\n"
            ).partition(b"\r\n\r\n")
            lines = first.lower().split(b"\r\n")
            assert lines[0].startswith(b"http/1.1 206"), first
            [size] = [int(line.split(b":")[1]) for line in lines if b"content-length" in line]
            body = rest[:size] if method == "GET" else b""
            assert body.count(b"content-range: bytes ") == (2 if method == "GET" else 0)
            assert rest[len(body) :].startswith(b"HTTP/1.1 200 "), rest
            assert rest.endswith(b"next"), rest


def test_head_ends_a_stream_with_its_headers() -> None:
    # The client takes the headers as the whole answer to HEAD: an endless stream (events, an
    # imperative loop) must not hold the connection and the request after it for ever.
    router = Router()
    closed: list[str] = []

    async def endless(name: str) -> AsyncIterator[str]:
        try:
            while True:
                yield "tick\n"
                await asyncio.sleep(0.05)
        finally:
            closed.append(name)

    @router.get("/events")
    async def events(connection: Connection) -> EventSourceResponse:
        return EventSourceResponse(endless("events"))

    @router.get("/stream")
    async def stream(connection: Connection) -> StreamingResponse:
        return StreamingResponse(endless("stream"))

    @router.get("/loop")
    async def loop(connection: Connection) -> None:
        try:
            while True:  # ended by the ClientDisconnect of its second send
                await connection.send(b"tick\n")
                await asyncio.sleep(0.05)
        finally:
            closed.append("loop")

    add_next(router)

    with serve(aaf([router])) as base:
        for path in ("/events", "/stream", "/loop"):
            began = time.monotonic()
            answer = pipelined(base, path, method="HEAD")
            assert time.monotonic() - began < 2, path
            first, _, rest = answer.partition(b"\r\n\r\n")
            assert first.startswith(b"HTTP/1.1 200 "), (path, answer)
            assert rest.startswith(b"HTTP/1.1 200 ") and rest.endswith(b"next"), (path, rest)
        # The generators never started (nothing to clean up); the loop ended at its second
        # send, its finally run.
        deadline = time.monotonic() + 5
        while not closed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert closed == ["loop"]
        # GET still streams.
        with httpx.stream("GET", base + "/events", timeout=5) as response:
            assert next(response.iter_lines()) == "data: tick"


def test_a_status_past_599_is_a_logged_500_not_an_empty_reply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # uvicorn builds status lines from a table of 100-599: at 600 and past it, its send
    # failed with the response half made, and the client got no reply at all.
    router = Router()

    @router.get("/returned/<int:code>")
    async def returned(connection: Connection, code: int) -> HttpResponse:
        return HttpResponse("odd", status_code=code)

    @router.get("/imperative/<int:code>")
    async def imperative(connection: Connection, code: int) -> None:
        connection.resp_status_code = code
        await connection.send("odd", finish=True)

    with caplog.at_level(logging.ERROR, logger="aaf"), serve(aaf([router])) as base:
        for path in ("/returned/600", "/returned/999", "/imperative/700"):
            answer = httpx.get(base + path, timeout=5)
            assert answer.status_code == 500 and answer.text == "Internal Server Error"
        assert httpx.get(base + "/returned/599", timeout=5).status_code == 599
    refused = [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert refused == [
        "600 is not an HTTP status: a response's is 200 to 599",
        "999 is not an HTTP status: a response's is 200 to 599",
        "700 is not an HTTP status: a response's is 200 to 599",
    ]


def test_a_cookie_set_with_commas_quotes_and_accents_comes_back_as_set() -> None:
    # put_resp_cookie quotes and escapes such a value; the client's jar sends it back as it
    # came, and the Cookie parameter reads the value that was set.
    router = Router()
    value = 'say "hi", a;b \\ über'

    @router.get("/set")
    async def put(connection: Connection) -> str:
        connection.put_resp_cookie("note", value)
        return "set"

    @router.get("/get")
    async def get(connection: Connection, note: Annotated[str, Cookie()]) -> str:
        return note

    with serve(aaf([router])) as base, httpx.Client(base_url=base, timeout=5) as client:
        assert "\\054" in client.get("/set").headers["set-cookie"]  # escaped on the wire
        assert client.get("/get").text == value
