"""The test clients: sync and async, with the lifespan, over the public API."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import http.client
import itertools
import json
import logging
import subprocess
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import pytest
from websockets.sync.client import connect

from aaf import aaf
from aaf._types import ASGIApp, Receive, Scope, Send
from aaf.app import App
from aaf.connection import Connection
from aaf.exceptions import WebSocketDisconnect
from aaf.params import Cookie, Depends, Header
from aaf.response import EventSourceResponse, HttpResponse, RedirectResponse, ServerSentEvent
from aaf.routing import Router
from aaf.security import APIKeyHeader
from aaf.testing import AsyncTestClient, TestClient

from ._helpers import serve


def make_app(events: list[str]) -> App:
    router = Router()

    @router.route("/state")
    async def state(connection: Connection) -> dict[str, object]:
        return {"db": app.state.get("db"), "events": events}

    @router.route("/echo", methods=["POST", "PUT"])
    async def echo(connection: Connection) -> dict[str, object]:
        return {
            "method": connection.method,
            "body": (await connection.body()).decode(),
            "query": dict(connection.query),
            "header": connection.req_headers.get("x-test"),
        }

    @asynccontextmanager
    async def lifespan(app: App) -> AsyncGenerator[None]:
        events.append("lifespan enter")
        app.state["db"] = "connected"
        yield
        events.append("lifespan exit")

    app = aaf(
        [router],
        on_startup=[lambda: events.append("startup")],
        on_shutdown=[lambda: events.append("shutdown")],
        lifespan=lifespan,
    )
    return app


def test_sync_client_runs_the_lifespan_around_requests() -> None:
    events: list[str] = []
    with TestClient(make_app(events)) as client:
        assert client.get("/state").json() == {
            "db": "connected",
            "events": ["startup", "lifespan enter"],
        }
    assert events == ["startup", "lifespan enter", "lifespan exit", "shutdown"]


def test_sync_client_works_without_the_lifespan() -> None:
    events: list[str] = []
    client = TestClient(make_app(events))
    assert client.get("/state").json() == {"db": None, "events": []}


def test_sync_client_sends_body_query_and_headers() -> None:
    client = TestClient(make_app([]))
    response = client.put("/echo?a=1", content=b"payload", headers={"X-Test": "yes"})
    assert response.json() == {
        "method": "PUT",
        "body": "payload",
        "query": {"a": "1"},
        "header": "yes",
    }


keys = APIKeyHeader(name="X-Key")


def test_header_values_reach_the_app_as_over_a_server_without_spaces_around_them() -> None:
    # uvicorn's parsers strip them (RFC 9110 section 5.5), and httpx sends them: an API key
    # of " " was a key in a test and none over uvicorn.
    router = Router()

    @router.get("/")
    async def seen(
        connection: Connection,
        key: Annotated[str, Depends(keys)],
        x_tag: Annotated[list[str], Header()],
    ) -> dict[str, object]:
        return {"key": key, "tags": x_tag, "raw": connection.req_headers.get("x-key")}

    app = aaf([router])
    leading = [("X-Key", " \tk 1"), ("X-Tag", " a"), ("X-Tag", "\tb")]
    around = [("X-Key", " \tk 1\t "), ("X-Tag", " a "), ("X-Tag", "b\t")]
    blank = [("X-Key", "  "), ("X-Tag", "a")]
    seen_by_app = {"key": "k 1", "tags": ["a", "b"], "raw": "k 1"}
    with TestClient(app) as client:
        for sent in (leading, around):
            assert client.get("/", headers=sent).json() == seen_by_app
        assert client.get("/", headers=blank).status_code == 401
    # httpx refuses to send such values over a network; http.client (as curl) sends them.
    # Spaces after a value are left to the current uvicorn: on httptools, uvicorn 0.30 (the
    # oldest aaf takes, which make test-lowest runs) kept them, where h11 strips them.
    with serve(app) as base:
        for headers, status, body in ((leading, 200, seen_by_app), (blank, 401, None)):
            address = base.removeprefix("http://")
            with contextlib.closing(http.client.HTTPConnection(address, timeout=10)) as real:
                real.putrequest("GET", "/")
                for name, value in headers:
                    real.putheader(name, value)
                real.endheaders()
                answer = real.getresponse()
                assert answer.status == status
                if body is not None:
                    assert json.loads(answer.read()) == body


def test_background_work_that_fails_is_raised_in_the_test(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As Starlette's client raises a failed background task's error: a test of a handler
    # whose e-mail could not be sent passed, the error only logged.
    router = Router()

    def send_mail(to: str) -> None:
        raise ConnectionError(f"no mail server for {to}")

    @router.post("/users")
    async def sign_up(connection: Connection) -> str:
        connection.add_background(send_mail, "ann@example.com")
        return "welcome"

    app = aaf([router])
    with TestClient(app) as client, pytest.raises(ConnectionError, match="ann@example.com"):
        client.post("/users")
    quiet = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="aaf"):
        assert quiet.post("/users").text == "welcome"  # sent before the work began
    assert "Background work" in caplog.text


@pytest.mark.anyio
async def test_async_client_raises_failed_background_work() -> None:
    async def fail() -> None:
        raise KeyError("cache")

    router = Router()

    @router.get("/")
    async def home(connection: Connection) -> HttpResponse:
        return HttpResponse("hi", background=fail)

    async with AsyncTestClient(aaf([router])) as client:
        with pytest.raises(KeyError, match="cache"):
            await client.get("/")


def test_failed_startup_raises_from_the_client() -> None:
    async def fail() -> None:
        raise RuntimeError("database unreachable")

    with (
        pytest.raises(RuntimeError, match="database unreachable"),
        TestClient(aaf([Router()], on_startup=[fail])),
    ):
        pass


@pytest.mark.anyio
async def test_async_client_runs_the_lifespan_around_requests() -> None:
    events: list[str] = []
    async with AsyncTestClient(make_app(events)) as client:
        response = await client.post("/echo", content=b"async")
        assert response.json()["body"] == "async"
        assert (await client.get("/state")).json()["db"] == "connected"
    assert events[-1] == "shutdown"


# Apps that break the ASGI protocol: the test client says what went wrong ------------------------
async def start_twice(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.start", "status": 200, "headers": []})


async def body_first(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.body", "body": b"x", "more_body": False})


async def body_after_the_end(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"x", "more_body": False})
    await send({"type": "http.response.body", "body": b"y", "more_body": False})


async def websocket_message_over_http(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "websocket.accept", "subprotocol": None, "headers": []})


async def silent(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await receive()  # startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # shutdown: returns without answering


@pytest.mark.parametrize(
    ("app", "message"),
    [
        (start_twice, "sent http.response.start twice"),
        (body_first, "sent a body before http.response.start"),
        (body_after_the_end, "sent a body after the response ended"),
        (websocket_message_over_http, "Unexpected ASGI message for HTTP: 'websocket.accept'"),
        (silent, "returned without answering GET /"),
    ],
)
def test_the_client_names_a_broken_http_exchange(app: ASGIApp, message: str) -> None:
    for raising in (True, False):  # a broken exchange is the test's failure either way
        with pytest.raises(RuntimeError, match=message):
            TestClient(app, raise_server_exceptions=raising).get("/")


async def raises_before_answering(scope: Scope, receive: Receive, send: Send) -> None:
    raise LookupError("before")


async def hangs(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.Event().wait()


def test_what_reaches_the_server_gives_what_was_sent_unless_raised() -> None:
    # An error after the response started is the server's to see (aaf cannot answer it):
    # with raise_server_exceptions=False the test gets the part that went out, as from
    # Starlette's client (the error escaped it before); an app that raises before
    # answering gives the server's 500.
    router = Router()

    @router.get("/stream")
    async def stream(connection: Connection) -> None:
        await connection.send(b"first ")
        raise ValueError("mid-stream")

    app = aaf([router])
    with pytest.raises(ValueError, match="mid-stream"):
        TestClient(app).get("/stream")
    sent = TestClient(app, raise_server_exceptions=False).get("/stream")
    assert (sent.status_code, sent.content) == (200, b"first ")
    with pytest.raises(LookupError, match="before"):
        TestClient(raises_before_answering).get("/")
    refused = TestClient(raises_before_answering, raise_server_exceptions=False).get("/")
    assert (refused.status_code, refused.text) == (500, "Internal Server Error")


def events_app(left: list[str]) -> App:
    """An endless event stream that notes when its generator is closed, and a page that
    sends its body in parts, then fails."""
    router = Router()

    @router.get("/events")
    async def events(connection: Connection) -> EventSourceResponse:
        async def numbers() -> AsyncIterator[ServerSentEvent]:
            try:
                for n in itertools.count(1):
                    yield ServerSentEvent(str(n), id=str(n))
                    await asyncio.sleep(0.01)
            finally:
                left.append("closed")

        return EventSourceResponse(numbers())

    @router.get("/parts")
    async def parts(connection: Connection) -> None:
        await connection.send(b"one ")
        await connection.send(b"two ")
        raise ValueError("after two parts")

    return aaf([router])


def test_a_streamed_response_is_read_as_sent_and_can_be_left() -> None:
    # An endless stream (server-sent events) is read a part at a time, as over a network,
    # and leaving it is the client's disconnect: the generator's finally runs. Read whole,
    # it would never end: the test fails after the client's time instead of hanging.
    left: list[str] = []
    app = events_app(left)
    for client in (TestClient(app), TestClient(app).__enter__()):  # own loop, lifespan's
        data: list[str] = []
        with client.stream("GET", "/events") as response:
            assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
            for line in response.iter_lines():
                if line.startswith("data: "):
                    data.append(line.removeprefix("data: "))
                if len(data) == 3:
                    break
        assert data == ["1", "2", "3"]
        assert left == ["closed"]  # before the stream was left, not when the client closes
        left.clear()
        client.__exit__(None, None, None)
    with TestClient(app) as client, client.stream("GET", "/parts") as parts:
        chunks = parts.iter_raw()
        assert [next(chunks), next(chunks)] == [b"one ", b"two "]
        with pytest.raises(ValueError, match="after two parts"):
            next(chunks)


LEFT_OPEN = """
import asyncio, itertools
from aaf import aaf
from aaf.connection import Connection
from aaf.response import EventSourceResponse
from aaf.routing import Router
from aaf.testing import TestClient

router = Router()

@router.get("/events")
async def events(connection: Connection) -> EventSourceResponse:
    async def numbers():
        try:
            for n in itertools.count():
                yield str(n)
                await asyncio.sleep(0.01)
        finally:
            print("generator closed", flush=True)
    return EventSourceResponse(numbers())

client = TestClient(aaf([router]))  # no `with`: a loop of its own for each request
response = client.send(client.build_request("GET", "/events"), stream=True)
print(next(response.iter_lines()), flush=True)
"""


def test_a_stream_left_open_is_closed_when_the_interpreter_exits() -> None:
    # Never closed, the stream kept its loop's thread, and stopping that thread at exit
    # hung the interpreter (and a test run with it).
    done = subprocess.run(
        [sys.executable, "-c", LEFT_OPEN], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["data: 0", "generator closed"]


@pytest.mark.anyio
async def test_the_async_client_streams_responses_too() -> None:
    left: list[str] = []
    client = AsyncTestClient(events_app(left))
    data: list[str] = []
    async with client.stream("GET", "/events") as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                data.append(line.removeprefix("data: "))
            if len(data) == 2:
                break
    assert (data, left) == (["1", "2"], ["closed"])
    quiet = AsyncTestClient(events_app(left), raise_server_exceptions=False)
    assert (await quiet.get("/parts")).content == b"one two "
    with pytest.raises(TimeoutError, match="did not answer GET /events within 0.3 seconds"):
        await client.get("/events", timeout=0.3)  # read whole: endless


def test_a_requests_timeout_bounds_its_exchange() -> None:
    # httpx's timeout= was taken and ignored: every exchange had 30 seconds, so a test
    # asking for a quick answer from a slow app waited for it.
    router = Router()

    @router.get("/slow")
    async def slow(connection: Connection, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"

    app = aaf([router])
    client = TestClient(app)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="did not answer GET /slow within 0.3 seconds"):
        client.get("/slow", params={"seconds": 20}, timeout=0.3)
    assert time.monotonic() - started < 15
    assert client.get("/slow", params={"seconds": 0.1}, timeout=10).text == "done"
    with pytest.raises(TimeoutError, match="within 0.2 seconds"):
        TestClient(app, timeout=0.2).get("/slow", params={"seconds": 20})
    # A call's None is no bound, over the client's.
    assert (
        TestClient(app, timeout=0.1).get("/slow", params={"seconds": 0.5}, timeout=None).text
        == "done"
    )


_SEEN: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="test")


@pytest.mark.anyio
async def test_the_app_runs_in_a_task_of_its_own_as_under_a_server() -> None:
    # What the app sets in its context stays there, as under uvicorn (a task per request).
    router = Router()

    @router.get("/")
    async def home(connection: Connection) -> str:
        _SEEN.set("app")
        return "set"

    client = AsyncTestClient(aaf([router]))
    assert (await client.get("/")).text == "set"
    assert _SEEN.get() == "test"


@pytest.mark.anyio
async def test_a_hang_fails_the_test_whatever_the_client_is_asked() -> None:
    for raising in (True, False):
        client = AsyncTestClient(hangs, raise_server_exceptions=raising, timeout=0.05)
        with pytest.raises(TimeoutError):
            await client.get("/")  # no lifespan


def test_a_lifespan_that_fails_or_stops_answering_is_reported() -> None:
    @asynccontextmanager
    async def failing_shutdown(app: App) -> AsyncGenerator[None]:
        yield
        raise ValueError("pool would not close")

    client = TestClient(aaf([], lifespan=failing_shutdown))
    client.__enter__()
    with pytest.raises(RuntimeError, match="Application shutdown failed: .*pool would not close"):
        client.__exit__(None, None, None)
    with pytest.raises(RuntimeError, match="returned from the lifespan without answering"):
        with TestClient(silent):
            pass


async def websocket_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Accepts with a subprotocol, echoes text as bytes and bytes as text, then a wrong
    message on "bad", and returns without closing on "quit"."""
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    await receive()  # connect
    if scope["path"] == "/refuse-oddly":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        return
    await send({"type": "websocket.accept", "subprotocol": "chat", "headers": []})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        text, data = message.get("text"), message.get("bytes")
        if text == "bad":
            await send({"type": "websocket.http.response.start", "status": 200, "headers": []})
        elif text == "quit":
            return
        elif text is not None:
            await send({"type": "websocket.send", "bytes": text.encode(), "text": None})
        else:
            await send({"type": "websocket.send", "text": (data or b"").decode(), "bytes": None})


def test_sync_websocket_sessions_check_frames_and_messages() -> None:
    client = TestClient(websocket_app)
    with client.websocket_connect("/") as websocket:
        assert websocket.accepted_subprotocol == "chat"
        websocket.send_bytes(b"hi")
        assert websocket.receive_text() == "hi"
        websocket.send_text("hi")
        with pytest.raises(TypeError, match="Expected a text frame, got a binary frame"):
            websocket.receive_text()
        websocket.send_bytes(b"hi")
        with pytest.raises(TypeError, match="Expected a binary frame, got a text frame"):
            websocket.receive_bytes()
        websocket.send_text("bad")
        with pytest.raises(RuntimeError, match="Expected websocket.send, got"):
            websocket.receive_bytes()
    with client.websocket_connect("/") as websocket:
        websocket.send_text("quit")
        with pytest.raises(WebSocketDisconnect, match="returned without closing"):
            websocket.receive_text()
        with pytest.raises(WebSocketDisconnect, match="The WebSocket is closed"):
            websocket.receive_text()
    with pytest.raises(RuntimeError, match="Expected websocket.accept or websocket.close"):
        with client.websocket_connect("/refuse-oddly"):
            pass
    # One string is a sequence of letters to a type checker: "c, h, a, t" was offered.
    with pytest.raises(TypeError, match=r"subprotocols='chat' is one string; give a list"):
        with client.websocket_connect("/", subprotocols="chat"):
            pass


def closing_app() -> App:
    """Accepts with a header, echoes text in upper case and bytes reversed, and closes with
    4000 on "close"."""
    router = Router()

    @router.websocket("/")
    async def echo(connection: Connection) -> None:
        await connection.accept(headers={"x-room": "lobby"})
        while True:
            text, data = await connection.receive_frame()
            if text == "close":
                await connection.close(4000, "asked to")
                return
            if text is not None:
                await connection.send_text(text.upper())
            else:
                await connection.send_bytes((data or b"")[::-1])

    return aaf([router])


def test_sync_websocket_sessions_give_and_take_asgi_messages_as_starlettes_do() -> None:
    # Starlette's session's receive() gives the app's message, a close as well, and
    # send(message) takes a raw one; a test ported from it used them.
    with TestClient(closing_app()).websocket_connect("/") as websocket:
        assert websocket.extra_headers == [(b"x-room", b"lobby")]
        websocket.send({"type": "websocket.receive", "text": "hi"})
        assert websocket.receive() == {"type": "websocket.send", "text": "HI"}
        websocket.send({"type": "websocket.receive", "bytes": b"ab"})
        assert websocket.receive() == {"type": "websocket.send", "bytes": b"ba"}
        with pytest.raises(ValueError, match="either text or bytes"):
            websocket.send({"type": "websocket.receive"})
        with pytest.raises(ValueError, match="Expected websocket.receive or websocket.disconn"):
            websocket.send({"type": "websocket.connect"})  # type: ignore[misc, arg-type]  # pyright: ignore[reportArgumentType]
        websocket.send_text("close")
        closed = {"type": "websocket.close", "code": 4000, "reason": "asked to"}
        assert websocket.receive() == closed
        with pytest.raises(WebSocketDisconnect, match="The WebSocket is closed"):
            websocket.receive()
    left: list[int] = []
    router = Router()

    @router.websocket("/")
    async def until_left(connection: Connection) -> None:
        await connection.accept()
        async for _ in connection.iter_text():
            pass
        left.append(connection.close_code or 0)

    with TestClient(aaf([router])).websocket_connect("/") as websocket:
        websocket.send({"type": "websocket.disconnect", "code": 4001})
    assert left == [4001]


@pytest.mark.anyio
async def test_async_websocket_sessions_give_and_take_asgi_messages() -> None:
    async with AsyncTestClient(closing_app()) as client:
        async with client.websocket_connect("/") as websocket:
            assert websocket.extra_headers == [(b"x-room", b"lobby")]
            await websocket.send({"type": "websocket.receive", "text": "hi"})
            assert await websocket.receive() == {"type": "websocket.send", "text": "HI"}
            await websocket.send({"type": "websocket.disconnect", "code": 1001})


@pytest.mark.anyio
async def test_async_websocket_sessions_send_and_receive_every_kind() -> None:
    async with AsyncTestClient(websocket_app) as client:
        async with client.websocket_connect("/") as websocket:
            assert websocket.accepted_subprotocol == "chat"
            await websocket.send_bytes(b"hi")
            assert await websocket.receive_text() == "hi"
            await websocket.send_text("hi")
            assert await websocket.receive_bytes() == b"hi"
            await websocket.send_bytes(b'{"a": 1}')
            assert await websocket.receive_json() == {"a": 1}
            await websocket.close(1001)


def test_text_utf_8_cannot_encode_fails_where_it_would_over_a_real_websocket() -> None:
    # A frame's text is UTF-8 on the wire: a lone surrogate (a file name decoded with
    # surrogateescape, say) is refused at the app's send, as uvicorn refuses it, and at the
    # test's, as a client library refuses it (websockets' then drops the connection too);
    # it never reaches the other side.
    router = Router()

    @router.websocket("/echo")
    async def echo(connection: Connection) -> None:
        await connection.accept()
        try:
            await connection.send_text("a\ud800b")
        except UnicodeEncodeError as exc:
            await connection.send_text(f"refused at {exc.start}")
        async for text in connection.iter_text():
            await connection.send_text(f"got {text}")

    app = aaf([router])
    with serve(app) as base, connect(base.replace("http", "ws") + "/echo") as real:
        assert real.recv(timeout=5) == "refused at 1"
        real.send("ok")
        assert real.recv(timeout=5) == "got ok"
    with TestClient(app) as client, client.websocket_connect("/echo") as websocket:
        assert websocket.receive_text() == "refused at 1"
        with pytest.raises(UnicodeEncodeError):
            websocket.send_text("x\udfff")
        websocket.send_text("ok")
        assert websocket.receive_text() == "got ok"


def handshake_app() -> App:
    """Sets a session cookie at /login; its WebSocket tells what the handshake carried."""
    router = Router()

    @router.post("/login")
    async def login(connection: Connection) -> HttpResponse:
        answer = HttpResponse(b"in")
        answer.set_cookie("session", "s3cret")
        return answer

    @router.websocket("/ws")
    async def ws(
        connection: Connection,
        session: Annotated[str | None, Cookie()] = None,
        x_team: Annotated[str | None, Header()] = None,
        extra: Annotated[str | None, Header()] = None,
    ) -> None:
        await connection.accept()
        scope = connection.scope
        await connection.send_json(
            {
                "session": session,
                "team": x_team,
                "extra": extra,
                "host": connection.req_headers.get("host"),
                "upgrade": connection.req_headers.get("upgrade"),
                "scheme": scope["scheme"],
                "server": list(scope["server"] or ()),
                "query": scope["query_string"].decode(),
            }
        )
        await connection.close()

    return aaf([router])


def test_websocket_handshakes_carry_the_clients_cookies_headers_and_host() -> None:
    # As Starlette's: a test that logs in and then opens the live feed is let in. The
    # handshake sent neither the cookie jar nor the client's headers, and always said
    # `testserver`.
    client = TestClient(handshake_app(), headers={"x-team": "blue"})
    client.post("/login")
    with client.websocket_connect("/ws?room=1", headers={"extra": "e"}) as websocket:
        assert websocket.receive_json() == {
            "session": "s3cret",
            "team": "blue",
            "extra": "e",
            "host": "testserver",
            "upgrade": "websocket",
            "scheme": "ws",
            "server": ["testserver", 80],
            "query": "room=1",
        }
    # params= is the query string, as a request's (Starlette's websocket_connect passes it on).
    with client.websocket_connect("/ws", params={"tag": ["a", "b"]}) as websocket:
        seen = websocket.receive_json()
    assert isinstance(seen, dict) and seen["query"] == "tag=a&tag=b"
    elsewhere = TestClient(handshake_app(), base_url="https://example.org:8443")
    with elsewhere.websocket_connect("/ws") as websocket:
        seen = websocket.receive_json()
    assert isinstance(seen, dict)
    assert (seen["host"], seen["scheme"], seen["server"]) == (
        "example.org:8443",
        "wss",
        ["example.org", 8443],
    )


@pytest.mark.anyio
async def test_async_websocket_handshakes_carry_the_clients_cookies() -> None:
    async with AsyncTestClient(handshake_app()) as client:
        await client.post("/login")
        async with client.websocket_connect("/ws", params={"room": "2"}) as websocket:
            seen = await websocket.receive_json()
    assert isinstance(seen, dict) and (seen["session"], seen["query"]) == ("s3cret", "room=2")
    # Cookies given to the client, as Starlette's TestClient(cookies=...) takes them.
    async with (
        AsyncTestClient(handshake_app(), cookies={"session": "given"}) as client,
        client.websocket_connect("/ws") as websocket,
    ):
        seen = await websocket.receive_json()
    assert isinstance(seen, dict) and seen["session"] == "given"
    with (
        TestClient(handshake_app(), cookies={"session": "given"}) as sync_client,
        sync_client.websocket_connect("/ws") as sync_websocket,
    ):
        seen = sync_websocket.receive_json()
    assert isinstance(seen, dict) and seen["session"] == "given"


def test_redirects_are_followed_unless_asked_not_to() -> None:
    # As Starlette's TestClient (httpx alone would stop at the 307).
    router = Router()

    @router.get("/old")
    async def old(connection: Connection) -> RedirectResponse:
        return RedirectResponse("/new")

    @router.get("/new")
    async def new(connection: Connection) -> str:
        return "new"

    app = aaf([router])
    followed = TestClient(app).get("/old")
    assert followed.status_code == 200 and followed.text == "new"
    assert [r.status_code for r in followed.history] == [307]
    kept = TestClient(app, follow_redirects=False).get("/old")
    assert kept.status_code == 307 and kept.headers["location"] == "/new"

    async def both() -> tuple[int, int]:
        async with AsyncTestClient(app) as a, AsyncTestClient(app, follow_redirects=False) as b:
            return (await a.get("/old")).status_code, (await b.get("/old")).status_code

    assert asyncio.run(both()) == (200, 307)


def _json_frames_app(left: list[tuple[int, str]]) -> App:
    router = Router()

    @router.websocket("/echo")
    async def echo(connection: Connection) -> None:
        await connection.accept()
        try:
            while True:
                text, data = await connection.receive_frame()
                if text is not None:
                    await connection.send_text(text)
                else:
                    await connection.send_bytes(data or b"")
        except WebSocketDisconnect as exc:
            left.append((exc.code, exc.reason))

    return aaf([router])


def test_a_sessions_json_goes_in_the_frame_its_mode_says_and_close_takes_a_reason() -> None:
    # Starlette's test client's names take mode= ("text" or "binary") and close(code, reason):
    # a test ported from it was a TypeError. receive_json reads the kind of frame it is told.
    left: list[tuple[int, str]] = []
    with TestClient(_json_frames_app(left)) as client:
        with client.websocket_connect("/echo") as session:
            session.send_json({"a": 1}, mode="binary")
            assert session.receive_bytes() == b'{"a": 1}'
            session.send_json([1, "é"])
            assert session.receive_json() == [1, "é"]
            session.send_json({"b": 2}, mode="binary")
            assert session.receive_json(mode="binary") == {"b": 2}
            session.send_json({"c": 3}, mode="binary")
            with pytest.raises(TypeError, match="Expected a text frame, got a binary frame"):
                session.receive_json()
            session.close(4000, "done here")
    assert left == [(4000, "done here")]


@pytest.mark.anyio
async def test_the_async_sessions_json_modes_and_close_reason_alike() -> None:
    left: list[tuple[int, str]] = []
    async with AsyncTestClient(_json_frames_app(left)) as client:
        async with client.websocket_connect("/echo") as session:
            await session.send_json({"a": 1}, mode="binary")
            assert await session.receive_json(mode="binary") == {"a": 1}
            await session.send_json({"b": 2})
            with pytest.raises(TypeError, match="Expected a binary frame, got a text frame"):
                await session.receive_json(mode="binary")
            await session.close(4001, "bye")
    assert left == [(4001, "bye")]


def _mounted_app() -> App:
    router = Router()

    @router.get("/items/<int:item_id>", name="item")
    async def item(connection: Connection, item_id: int) -> dict[str, object]:
        return {
            "root": connection.root_path,
            "below": connection.route_path,
            "client": connection.client,
            "next": connection.url_for("item", item_id=item_id + 1),
        }

    @router.get("/dir/")
    async def folder(connection: Connection) -> str:
        return "dir"

    @router.websocket("/ws")
    async def ws(connection: Connection) -> None:
        await connection.accept()
        await connection.send_json([connection.root_path, connection.route_path, connection.client])
        await connection.close()

    return aaf([router])


def test_the_client_serves_the_app_under_a_root_path_and_a_chosen_address() -> None:
    # Starlette's TestClient(app, root_path=..., client=...): an app behind a proxy that
    # strips a prefix (uvicorn --root-path) is tested as it is served.
    with TestClient(_mounted_app(), root_path="/api", client=("10.1.2.3", 4321)) as client:
        got = client.get("/api/items/1")
        assert got.json() == {
            "root": "/api",
            "below": "/items/1",
            "client": ["10.1.2.3", 4321],
            "next": "/api/items/2",
        }
        # As Starlette's routing: a path that does not start with the root path is matched as is.
        assert client.get("/items/1").json()["next"] == "/api/items/2"
        moved = client.get("/api/dir", follow_redirects=False)
        assert moved.status_code == 308 and moved.headers["location"] == "/api/dir/"
        assert client.get("/api/dir").text == "dir"
        with client.websocket_connect("/api/ws") as session:
            assert session.receive_json() == ["/api", "/ws", ["10.1.2.3", 4321]]
    # The default address is 127.0.0.1; None is a scope without a client, which ASGI allows.
    assert TestClient(_mounted_app()).get("/items/1").json()["client"] == ["127.0.0.1", 50000]
    assert TestClient(_mounted_app(), client=None).get("/items/1").json()["client"] is None
    for wrong in ("api", "/api/", "/"):
        with pytest.raises(ValueError, match="root_path is the path the app is mounted at"):
            TestClient(_mounted_app(), root_path=wrong)


@pytest.mark.anyio
async def test_the_async_client_takes_a_root_path_and_an_address_too() -> None:
    async with AsyncTestClient(_mounted_app(), root_path="/v1", client=None) as client:
        got = (await client.get("/v1/items/5")).json()
        assert got == {"root": "/v1", "below": "/items/5", "client": None, "next": "/v1/items/6"}
        async with client.websocket_connect("/v1/ws") as session:
            assert await session.receive_json() == ["/v1", "/ws", None]
    with pytest.raises(ValueError, match="not 'v1'"):
        AsyncTestClient(_mounted_app(), root_path="v1")
