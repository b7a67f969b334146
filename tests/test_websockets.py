"""WebSockets: the Connection side, typed WebSocketViews, the test clients, real uvicorn."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, cast

import httpx
import pytest
from pydantic import BaseModel, JsonValue
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from aaf import aaf
from aaf.app import App
from aaf.channels import InMemoryGroups
from aaf.connection import Connection
from aaf.exceptions import (
    HTTPError,
    RequestValidationError,
    WebSocketDisconnect,
    WebSocketException,
)
from aaf.params import Depends, Query
from aaf.routing import Router
from aaf.testing import AsyncTestClient, TestClient, WebSocketDenied
from aaf.views import WebSocketView

from ._helpers import BODY_MODULES, count_turns, serve
from .test_examples import load


class Move(BaseModel):
    x: int
    y: int


disconnects: list[int] = []
after_close: list[str] = []
router = Router()


@router.websocket("/echo")
async def echo(connection: Connection) -> None:
    await connection.accept(subprotocol="echo.v1", headers={"X-Server": "aaf"})
    async for text in connection.iter_text():
        await connection.send_text(text.upper())


@router.websocket("/bytes")
async def echo_bytes(connection: Connection) -> None:
    await connection.accept()
    async for data in connection.iter_bytes():
        await connection.send_bytes(data[::-1])


@router.websocket("/json")
async def echo_json(connection: Connection) -> None:
    await connection.accept()
    async for value in connection.iter_json():
        await connection.send_json({"got": value})


@router.websocket("/mistakes")
async def mistakes(connection: Connection) -> None:
    problems: list[str] = []
    try:
        await connection.send_text("too early")
    except ValueError as exc:
        problems.append(str(exc))
    await connection.accept()
    await connection.send_json(problems)
    try:
        await connection.receive_bytes()  # the client sends text: closed with 1003
    except WebSocketDisconnect as exc:
        after_close.append(f"{exc.code}")
    try:
        await connection.send_text("too late")
    except ValueError as exc:
        after_close.append(str(exc))


@router.websocket("/game/<int:table>")
class Game(WebSocketView):
    table: int

    async def on_connect(self, connection: Connection, table: int) -> None:
        if table == 13:
            raise HTTPError(403, "Unlucky table")
        self.table = table
        await connection.accept()

    async def on_receive(self, connection: Connection, data: Move) -> None:
        await connection.send_json({"table": self.table, "sum": data.x + data.y})

    async def on_disconnect(self, connection: Connection, code: int) -> None:
        disconnects.append(code)


@router.websocket("/raw")
class Raw(WebSocketView):
    async def on_receive(self, connection: Connection, data: bytes) -> None:
        await connection.send_bytes(data + b"!")


@router.websocket("/crash")
async def crash(connection: Connection) -> None:
    await connection.accept()
    raise RuntimeError("handler bug")


@pytest.fixture()
def client() -> Iterator[TestClient]:
    """A client on the module's app, its lifespan running."""
    with TestClient(aaf([router])) as started:
        yield started


def test_text_echo_with_subprotocol_and_headers(client: TestClient) -> None:
    with client.websocket_connect("/echo", subprotocols=["echo.v1"]) as ws:
        assert ws.accepted_subprotocol == "echo.v1"
        ws.send_text("hello")
        assert ws.receive_text() == "HELLO"
        ws.send_text("again")
        assert ws.receive_text() == "AGAIN"


def test_bytes_and_json_frames(client: TestClient) -> None:
    with client.websocket_connect("/bytes") as ws:
        ws.send_bytes(b"abc")
        assert ws.receive_bytes() == b"cba"
    with client.websocket_connect("/json") as ws:
        ws.send_json({"a": [1, 2]})
        assert ws.receive_json() == {"got": {"a": [1, 2]}}


def test_misuse_raises_clear_errors(client: TestClient) -> None:
    with client.websocket_connect("/mistakes") as ws:
        assert ws.receive_json() == ["Cannot send: call accept() first"]
        ws.send_text("a text frame")
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == 1003
        assert info.value.reason == "Expected a binary frame, got a text frame"
    assert after_close == ["1003", "Cannot send: the WebSocket is closed"]


def test_view_validates_typed_messages_and_path_parameters(client: TestClient) -> None:
    with client.websocket_connect("/game/7") as ws:
        ws.send_json({"x": 2, "y": "3"})
        assert ws.receive_json() == {"table": 7, "sum": 5}


def test_invalid_message_closes_with_1007_and_the_reason(client: TestClient) -> None:
    with client.websocket_connect("/game/7") as ws:
        ws.send_json({"x": "two"})
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    assert info.value.code == 1007
    assert "x" in info.value.reason and "y" in info.value.reason


def test_text_frame_to_a_bytes_view_closes_1003(client: TestClient) -> None:
    with client.websocket_connect("/raw") as ws:
        ws.send_bytes(b"data")
        assert ws.receive_bytes() == b"data!"
        ws.send_text("not bytes")
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_bytes()
    assert info.value.code == 1003
    assert info.value.reason == "Expected a bytes frame, got a text frame"


def test_on_disconnect_runs_with_the_client_close_code(client: TestClient) -> None:
    disconnects.clear()
    with client.websocket_connect("/game/1") as ws:
        ws.close(4321)
    assert disconnects == [4321]


def test_http_error_before_accept_denies_the_handshake(client: TestClient) -> None:
    with pytest.raises(WebSocketDenied) as info, client.websocket_connect("/game/13"):
        pass
    assert info.value.status_code == 403
    assert info.value.body == info.value.content == b"Unlucky table"
    assert info.value.text == "Unlucky table"
    assert info.value.headers["content-type"] == "text/plain; charset=utf-8"


def test_a_denial_reads_as_starlettes_websocket_denial_response() -> None:
    # Its headers and body, read as httpx reads a response (Starlette's test client raises
    # an httpx response): a test ported from FastAPI reads `.json()` and `.headers`.
    router = Router()

    @router.websocket("/ws")
    async def refused(connection: Connection) -> None:
        await connection.reject(
            401, '{"detail": "sign in"}', {"content-type": "application/json", "x-why": "token"}
        )

    with pytest.raises(WebSocketDenied) as info, TestClient(aaf([router])).websocket_connect("/ws"):
        pass
    assert info.value.status_code == 401
    assert info.value.json() == {"detail": "sign in"}
    assert info.value.headers["x-why"] == "token"
    assert info.value.headers["content-length"] == "21"


def test_unknown_path_is_refused_before_accept(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/nowhere"):
        pass


@pytest.mark.parametrize("path", ["//echo", "/echo//", "/echo/"])
def test_a_path_werkzeug_would_redirect_is_refused_as_it_decides(
    client: TestClient, path: str
) -> None:
    # Doubled slashes are left to werkzeug's own matching, which redirects them (merging the
    # slashes): a WebSocket cannot follow a redirect, so the session is refused.
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(path):
        pass
    with client.websocket_connect("/echo", subprotocols=["echo.v1"]) as ws:
        ws.send_text("still here")
        assert ws.receive_text() == "STILL HERE"


def test_handler_exception_is_logged_and_closes_1011(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="aaf"), client.websocket_connect("/crash") as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == 1011
    assert any("handler bug" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


@pytest.mark.anyio
async def test_async_client_websocket() -> None:
    async with (
        AsyncTestClient(aaf([router])) as aclient,
        aclient.websocket_connect("/game/2") as ws,
    ):
        await ws.send_json({"x": 1, "y": 1})
        assert await ws.receive_json() == {"table": 2, "sum": 2}


# The chat example ------------------------------------------------------------------------------
def chat_app() -> tuple[App, InMemoryGroups]:
    module = load("chat")
    app, groups = module.app, module.groups
    assert isinstance(app, App) and isinstance(groups, InMemoryGroups)
    return app, groups


def test_chat_page_and_room_through_the_test_client() -> None:
    app, _ = chat_app()
    with TestClient(app) as c:
        page = c.get("/")
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "new WebSocket" in page.text
        with c.websocket_connect("/ws/tea") as ws:
            welcome = ws.receive_json()
            assert isinstance(welcome, dict) and welcome["text"] == "welcome to tea"
            ws.send_json({"author": "ann", "text": "hi"})
            assert ws.receive_json() == {"author": "ann", "text": "hi", "room": "tea"}
        # A room name of any length used to reach on_connect, whose welcome then broke the
        # 500-character limit of a message: a 1011 with a traceback. Now the rule refuses it.
        with pytest.raises(WebSocketDisconnect), c.websocket_connect("/ws/" + "x" * 5000):
            pass
        with c.websocket_connect("/ws/" + "x" * 40) as ws:
            assert ws.receive_json() == {
                "author": "system",
                "text": "welcome to " + "x" * 40,
                "room": "x" * 40,
            }


async def wait_for(condition: object, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not callable(condition) or not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


def test_chat_over_uvicorn_two_clients_invalid_message_and_a_vanishing_client(
    client: TestClient,
) -> None:
    app, groups = chat_app()

    async def scenario(base: str) -> None:
        url = base.replace("http://", "ws://")
        async with connect(url + "/ws/lobby") as ann, connect(url + "/ws/lobby") as bob:
            for ws in (ann, bob):
                assert json.loads(await asyncio.wait_for(ws.recv(), 5))["author"] == "system"
            assert groups.members("lobby") == 2
            await ann.send(json.dumps({"author": "ann", "text": "hello bob"}))
            for ws in (ann, bob):
                got = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert got == {"author": "ann", "text": "hello bob", "room": "lobby"}
            await bob.send(json.dumps({"author": "", "text": "x"}))
            with pytest.raises(ConnectionClosed) as info:
                await asyncio.wait_for(bob.recv(), 5)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1007
            await wait_for(lambda: groups.members("lobby") == 1)
            # A client that vanishes without a closing handshake is dropped from its group.
            carl = await connect(url + "/ws/lobby")
            await asyncio.wait_for(carl.recv(), 5)
            assert groups.members("lobby") == 2
            carl.transport.abort()
            await wait_for(lambda: groups.members("lobby") == 1)

    with serve(app) as base:
        asyncio.run(asyncio.wait_for(scenario(base), 30))


def test_handshake_denial_over_uvicorn() -> None:
    async def scenario(base: str) -> None:
        url = base.replace("http://", "ws://")
        with pytest.raises(InvalidStatus) as info:
            async with connect(url + "/game/13"):
                pass
        assert info.value.response.status_code == 403
        with pytest.raises(InvalidStatus) as missing:
            async with connect(url + "/nowhere"):
                pass
        assert missing.value.response.status_code == 403

    with serve(aaf([router])) as base:
        asyncio.run(asyncio.wait_for(scenario(base), 30))


def test_a_refused_handshake_says_which_value_over_uvicorn() -> None:
    typed = Router()

    @typed.websocket("/typed")
    async def handler(connection: Connection, n: Annotated[int, Query(ge=1)]) -> None:
        await connection.accept()

    async def scenario(base: str) -> None:
        with pytest.raises(InvalidStatus) as info:
            async with connect(base.replace("http://", "ws://") + "/typed?n=0"):
                pass
        assert info.value.response.status_code == 403
        assert info.value.response.body == (
            b"Invalid handshake parameters: query.n: Input should be greater than or equal to 1"
        )

    with serve(aaf([typed])) as base:
        asyncio.run(asyncio.wait_for(scenario(base), 30))


def test_a_bad_accept_or_reject_header_refuses_the_handshake_at_once_over_uvicorn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # accept() took the handshake's message and then refused the header; the error's close
    # waited to take that message again, and the client hung until its own timeout.
    odd = Router()

    @odd.websocket("/accept")
    async def bad_accept(connection: Connection) -> None:
        await connection.accept(headers={"x-note": "one\r\ninjected: two"})

    @odd.websocket("/reject")
    async def bad_reject(connection: Connection) -> None:
        await connection.reject(400, "no", headers={"x-note": "one\r\ninjected: two"})

    async def scenario(base: str) -> list[int]:
        statuses: list[int] = []
        for path in ("/accept", "/reject"):
            with pytest.raises(InvalidStatus) as info:
                async with connect(base.replace("http://", "ws://") + path, open_timeout=5):
                    pass
            statuses.append(info.value.response.status_code)
        return statuses

    with caplog.at_level(logging.ERROR, logger="aaf"), serve(aaf([odd])) as base:
        statuses = asyncio.run(asyncio.wait_for(scenario(base), 30))
    assert statuses == [403, 403]  # what the server makes of a close before accept
    assert sum("control characters" in str(r.exc_info) for r in caplog.records) == 2


def test_http_error_after_accept_closes_with_1008() -> None:
    strict = Router()

    @strict.websocket("/strict")
    async def strict_handler(connection: Connection) -> None:
        await connection.accept()
        if await connection.receive_text() != "password":
            raise HTTPError(403, "Wrong password")

    with TestClient(aaf([strict])).websocket_connect("/strict") as ws:
        ws.send_text("guess")
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    assert info.value.code == 1008 and info.value.reason == "Wrong password"


def test_a_handler_that_returns_ends_the_session_with_1000_over_uvicorn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # uvicorn drops the TCP connection when the app returns: the client saw an abnormal
    # closure (1006, "no close frame received or sent"), as a browser's onclose would.
    brief = Router()

    @brief.websocket("/hello")
    async def hello(connection: Connection) -> None:
        await connection.accept()
        await connection.send_text("hello")

    @brief.websocket("/late")
    async def late(connection: Connection) -> None:
        await connection.accept()
        await asyncio.sleep(0.3)  # the client has left by now

    async def main(host: str) -> None:
        async with connect(f"ws://{host}/hello", open_timeout=5) as ws:
            assert await asyncio.wait_for(ws.recv(), 5) == "hello"
            with pytest.raises(ConnectionClosed) as info:
                await asyncio.wait_for(ws.recv(), 5)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1000
        async with connect(f"ws://{host}/late", open_timeout=5):
            pass
        await asyncio.sleep(0.6)

    caplog.set_level(logging.DEBUG, logger="aaf")
    with serve(aaf([brief])) as url:
        asyncio.run(main(url.removeprefix("http://")))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.records
    with TestClient(aaf([brief])).websocket_connect("/hello") as ws:
        assert ws.receive_text() == "hello"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1000


def test_websocket_reaches_an_aaf_app_mounted_under_a_prefix() -> None:
    outer = Router()
    outer.mount("/inner", aaf([router]))
    with TestClient(aaf([outer])).websocket_connect("/inner/echo", subprotocols=["echo.v1"]) as ws:
        ws.send_text("deep")
        assert ws.receive_text() == "DEEP"


def test_accepting_a_subprotocol_the_client_did_not_offer_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The client must fail a connection whose server picked a subprotocol it did not offer
    # (RFC 6455 4.1): websockets raises NegotiationError, browsers close. aaf says why first.
    picky = Router()

    @picky.websocket("/chat")
    async def chat(connection: Connection) -> None:
        await connection.accept(subprotocol="chat.v2")
        await connection.send_text("hi")

    client = TestClient(aaf([picky]), raise_server_exceptions=False)
    with client.websocket_connect("/chat", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.accepted_subprotocol == "chat.v2" and ws.receive_text() == "hi"
    with caplog.at_level(logging.ERROR, logger="aaf"), pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/chat", subprotocols=["chat.v1"]):
            pass
    assert info.value.code == 1011  # refused, the error logged
    assert [str(r.exc_info[1]) for r in caplog.records if r.exc_info] == [
        "The client did not offer the subprotocol 'chat.v2' (it offered 'chat.v1')"
    ]


def test_close_reasons_are_cut_to_what_a_frame_holds_and_codes_checked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A close frame holds 123 bytes of reason: 120 characters of "é" are 240 bytes.
    router = Router()
    long_reason = "é" * 120

    @router.websocket("/error")
    async def error(connection: Connection) -> None:
        await connection.accept()
        await connection.receive_text()
        raise HTTPError(403, long_reason)

    @router.websocket("/close")
    async def close(connection: Connection) -> None:
        await connection.accept()
        with pytest.raises(ValueError, match="1005 is not a close code"):
            await connection.close(1005)  # reserved: never sent on the wire
        await connection.close(4000, long_reason)

    # A lone surrogate (a file name decoded with surrogateescape, in the reason): UTF-8
    # cannot encode it, and the close raised; from a WebSocketException, into the server.
    @router.websocket("/refused")
    async def refused(connection: Connection) -> None:
        await connection.accept()
        raise WebSocketException(4000, "no \udcff.txt")

    @router.websocket("/surrogate")
    async def surrogate(connection: Connection) -> None:
        await connection.accept()
        await connection.close(4001, "no \udcff.txt")

    async def scenario(url: str) -> list[tuple[int, str]]:
        seen: list[tuple[int, str]] = []
        for path in ("/error", "/close", "/refused", "/surrogate"):
            async with connect(url + path) as ws:
                if path == "/error":
                    await ws.send("hi")
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.recv()
                assert closed.value.rcvd is not None, path
                seen.append((closed.value.rcvd.code, closed.value.rcvd.reason))
        return seen

    with serve(aaf([router]), log_config=None) as base:
        url = base.replace("http://", "ws://")
        seen = asyncio.run(asyncio.wait_for(scenario(url), 30))
    assert seen == [
        (1008, "é" * 61),  # 122 bytes: no character cut in two
        (4000, "é" * 61),
        (4000, "no ?.txt"),  # as UTF-8 writes what it cannot encode
        (4001, "no ?.txt"),
    ]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(("limit", "refused"), [(8, True), (9, False), (None, False)])
def test_max_message_size_caps_text_and_bytes_alike(limit: int | None, refused: bool) -> None:
    router = Router()

    @router.websocket("/size")
    async def size(connection: Connection) -> None:
        await connection.accept()
        text = await connection.receive_text()
        data = await connection.receive_bytes()
        await connection.send_text(f"{text}|{len(data)}")

    with (
        TestClient(aaf([router], max_message_size=limit)) as client,
        client.websocket_connect("/size") as ws,
    ):
        ws.send_text("ééé")  # 3 characters, 6 bytes: within every limit here
        ws.send_bytes(b"x" * 9)
        if refused:
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert (info.value.code, info.value.reason) == (
                1009,
                "Message too big: the limit is 8 bytes",
            )
        else:
            assert ws.receive_text() == "ééé|9"


class Line(BaseModel):
    id: int
    name: str


def test_a_large_typed_message_is_read_a_slice_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # A typed message up to max_message_size (1 MiB) was validated in one call: 45,000 models
    # held other clients 35-100 ms. Past 64 KiB it is read as a large body is, and refused
    # in the same words as a small one.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.websocket("/lines")
    class Lines(WebSocketView):
        async def on_receive(self, connection: Connection, data: list[Line]) -> None:
            await connection.send_text(f"{len(data)} {data[-1].id}")

    client = TestClient(aaf([router]))
    lines = [{"id": i, "name": f"line {i}"} for i in range(25_000)]  # 0.8 MB
    with client.websocket_connect("/lines") as session:
        session.send_text(json.dumps(lines))
        assert session.receive_text() == "25000 24999"
        assert len(turns) >= 5
        session.send_bytes(json.dumps(lines).encode())  # JSON in a binary frame too
        assert session.receive_text() == "25000 24999"
    refusals = [
        ([*lines[:20_000], {"id": "x", "name": "n"}], "20000.id: Input should be a valid integer"),
        ({"lines": lines}, "message: Input should be a valid array"),
        (lines, "message: Invalid JSON: "),  # cut below
        # Not JSON is what is wrong, though an item before the cut is wrong too.
        ([{"id": "x", "name": "n"}, *lines], "message: Invalid JSON: Expecting"),
    ]
    for value, reason in refusals:
        text = json.dumps(value)
        if reason.startswith("message: Invalid JSON"):
            text = text[:-1]
        turns.clear()
        with client.websocket_connect("/lines") as session:
            session.send_text(text)
            with pytest.raises(WebSocketDisconnect) as closed:
                session.receive_text()
        assert closed.value.code == 1007
        assert closed.value.reason.startswith(reason), closed.value.reason
        assert len(turns) >= 5


def test_a_large_json_message_is_parsed_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # receive_json() parsed a message of up to 1 MiB in one call (16-25 ms for 45,000
    # objects); past 64 KiB a list or an object is parsed as connection.json() parses a
    # large body.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.websocket("/echo")
    async def echo(connection: Connection) -> None:
        await connection.accept()
        async for message in connection.iter_json():
            assert isinstance(message, list)
            await connection.send_text(str(len(message)))

    client = TestClient(aaf([router]))
    lines = [{"id": i, "name": f"line {i}"} for i in range(25_000)]
    with client.websocket_connect("/echo") as session:
        session.send_text(json.dumps(lines))
        assert session.receive_text() == "25000"
        assert len(turns) >= 5
        session.send_text(json.dumps(lines)[:-1])
        with pytest.raises(WebSocketDisconnect) as closed:
            session.receive_text()
    assert closed.value.code == 1007
    assert closed.value.reason.startswith("Invalid JSON: ")


def test_websocket_exception_closes_with_its_code_over_uvicorn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Starlette's and FastAPI's way to end a session with a code of the app's choosing:
    # before accept the handshake is refused, after it the close frame carries the code.
    guarded = Router()

    async def token_of(connection: Connection, token: str = "") -> str:
        if token != "secret":
            raise WebSocketException(4401, "Sign in first")
        return token

    @guarded.websocket("/before")
    async def before(connection: Connection, token: str = Depends(token_of)) -> None:
        await connection.accept()
        await connection.send_text("welcome")

    @guarded.websocket("/after")
    async def after(connection: Connection) -> None:
        await connection.accept()
        if await connection.receive_text() != "ping":
            raise WebSocketException(reason="Say ping")  # 1008, policy violation
        await connection.send_text("pong")

    @guarded.websocket("/view")
    class Counter(WebSocketView):
        async def on_receive(self, connection: Connection, data: str) -> None:
            raise WebSocketException(4000, f"no {data}")

    @guarded.get("/http")
    async def over_http(connection: Connection) -> str:
        raise WebSocketException(4000, "not a WebSocket")

    async def scenario(base: str) -> list[object]:
        url = base.replace("http://", "ws://")
        seen: list[object] = []
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url + "/before", open_timeout=5):
                pass
        seen.append(refused.value.response.status_code)
        async with connect(url + "/before?token=secret", open_timeout=5) as session:
            seen.append(await asyncio.wait_for(session.recv(), 5))
        for path, message in (("/after", "pong?"), ("/view", "thing")):
            async with connect(url + path, open_timeout=5) as session:
                await session.send(message)
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(session.recv(), 5)
                assert closed.value.rcvd is not None
                seen.append((closed.value.rcvd.code, closed.value.rcvd.reason))
        return seen

    with caplog.at_level(logging.DEBUG, logger="aaf"), serve(aaf([guarded])) as base:
        seen = asyncio.run(asyncio.wait_for(scenario(base), 30))
        with httpx.Client(base_url=base, timeout=5) as client:
            assert client.get("/http").status_code == 500  # a server error over HTTP
    assert seen == [403, "welcome", (1008, "Say ping"), (4000, "no thing")]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["Exception in handler for GET /http"]
    with pytest.raises(ValueError, match="1005 is not a close code an endpoint may send"):
        WebSocketException(1005)


def test_sending_the_wrong_kind_of_frame_data_is_a_type_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Untyped code: bytes given to send_text went to the server, which sent them as a binary
    # frame (websockets) or failed the connection (wsproto); now the app's error, said.
    wrong = Router()
    raised: list[str] = []

    @wrong.websocket("/wrong")
    async def send_wrong(connection: Connection) -> None:
        await connection.accept()
        send_text = cast("Callable[[object], Awaitable[None]]", connection.send_text)
        send_bytes = cast("Callable[[object], Awaitable[None]]", connection.send_bytes)
        for send, data in ((send_text, b"bytes"), (send_bytes, "text")):
            try:
                await send(data)
            except TypeError as exc:
                raised.append(str(exc))
        await connection.send_bytes(b"ok")
        await connection.close()

    with TestClient(aaf([wrong])) as client, client.websocket_connect("/wrong") as session:
        assert session.receive_bytes() == b"ok"
    assert raised == [
        "send_text takes str, got bytes: send_bytes sends bytes",
        "send_bytes takes bytes, got str: send_text sends text",
    ]


class _Model(BaseModel):
    n: int


def test_on_disconnect_is_told_the_code_the_session_closed_with_over_uvicorn() -> None:
    # on_disconnect was told 1000 whenever the client had not closed first: after on_invalid's
    # 1007, a 1003 for the wrong kind of frame, the handler's own close(4000), and an error
    # (which closes 1011, 1008 for an HTTPError, a WebSocketException's own code).
    told: list[int] = []
    router = Router()

    @router.websocket("/json")
    class Json(WebSocketView):
        async def on_receive(self, connection: Connection, data: _Model) -> None:
            if data.n == 1:
                await connection.close(4000, "done")
            elif data.n == 2:
                raise HTTPError(403, "not yours")
            elif data.n == 3:
                raise WebSocketException(4002, "custom")
            elif data.n == 4:
                raise RuntimeError("a bug")

        async def on_disconnect(self, connection: Connection, code: int) -> None:
            told.append(code)

    closed_with: list[int | None] = []  # connection.close_code, read where a user reads it

    @router.websocket("/text")
    class Text(WebSocketView):
        async def on_receive(self, connection: Connection, data: str) -> None:
            await connection.send_text(data)

        async def on_disconnect(self, connection: Connection, code: int) -> None:
            told.append(code)
            closed_with.append(connection.close_code)

    async def session(path: str, frame: str | bytes) -> int | None:
        async with connect(base.replace("http", "ws") + path, open_timeout=5) as ws:
            await ws.send(frame)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            return closed.value.rcvd.code if closed.value.rcvd else None

    async def client_closes() -> None:
        async with connect(base.replace("http", "ws") + "/text", open_timeout=5) as ws:
            await ws.send("hi")
            assert await asyncio.wait_for(ws.recv(), 5) == "hi"
            await ws.close(4100)

    sent: list[tuple[str, str | bytes]] = [
        ("/json", '{"n": "x"}'),
        ("/json", '{"n": 1}'),
        ("/json", '{"n": 2}'),
        ("/json", '{"n": 3}'),
        ("/json", '{"n": 4}'),
        ("/text", b"binary"),
    ]
    with serve(aaf([router])) as base:
        closed = [asyncio.run(session(path, frame)) for path, frame in sent]
        asyncio.run(client_closes())
        deadline = time.monotonic() + 5
        while len(told) < 7 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert closed == [1007, 4000, 1008, 4002, 1011, 1003]
    assert told == [1007, 4000, 1008, 4002, 1011, 1003, 4100]
    assert closed_with == [1003, 4100]  # this side's 1003, then the client's own close


def test_a_validation_error_after_accept_closes_the_session_1008_saying_what_failed() -> None:
    # Before accept it refuses the handshake (403); after, it was dropped without a close: the
    # session stayed open with nothing serving it, until the server cut it (1006).
    router = Router()
    told: list[int] = []

    @router.websocket("/checked")
    class Checked(WebSocketView):
        async def on_receive(self, connection: Connection, data: str) -> None:
            entry: dict[str, JsonValue] = {"type": "missing", "loc": ["query", "n"]}
            raise RequestValidationError([{**entry, "msg": "Field required", "input": None}])

        async def on_disconnect(self, connection: Connection, code: int) -> None:
            told.append(code)

    async def session() -> tuple[int, str]:
        async with connect(base.replace("http", "ws") + "/checked", open_timeout=5) as ws:
            await ws.send("x")
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None
            return closed.value.rcvd.code, closed.value.rcvd.reason

    with serve(aaf([router])) as base:
        assert asyncio.run(session()) == (1008, "query.n: Field required")
    assert told == [1008]


def test_json_frames_take_starlettes_mode_over_uvicorn() -> None:
    # Connection.send_json and receive_json take Starlette's mode= ("text" or "binary"): a
    # handler ported from Starlette was a TypeError. Without it, receive_json takes either.
    router = Router()

    @router.websocket("/json")
    async def json_frames(connection: Connection) -> None:
        await connection.accept()
        await connection.send_json({"in": "binary"}, mode="binary")
        await connection.send_json({"in": "text"})
        assert await connection.receive_json(mode="binary") == {"a": 1}
        assert await connection.receive_json() == {"b": 2}  # a text frame: either kind
        await connection.receive_json(mode="binary")  # a text frame: closed 1003

    async def session() -> tuple[list[str | bytes], int, str]:
        async with connect(base.replace("http", "ws") + "/json", open_timeout=5) as ws:
            frames = [await asyncio.wait_for(ws.recv(), 5) for _ in range(2)]
            await ws.send(b'{"a": 1}')
            await ws.send('{"b": 2}')
            await ws.send('{"c": 3}')
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            rcvd = closed.value.rcvd
            assert rcvd is not None
            return frames, rcvd.code, rcvd.reason

    with serve(aaf([router])) as base:
        frames, code, reason = asyncio.run(session())
    assert frames == [b'{"in":"binary"}', '{"in":"text"}']
    assert (code, reason) == (1003, "Expected a binary frame of JSON, got a text frame")
