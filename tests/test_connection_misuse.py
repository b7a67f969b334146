"""What a Connection says when it is used wrongly or fed what a server should not send: a
clear error naming the mistake, never a hang or a silent wrong answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from aaf import aaf
from aaf._types import ReceiveEvent, SendEvent, WebSocketScope
from aaf.app import App
from aaf.connection import Connection
from aaf.exceptions import ClientDisconnect, HTTPError, WebSocketDisconnect
from aaf.middleware import Answer, CallNext
from aaf.params import Body, Form
from aaf.response import FileResponse, HttpResponse, StreamingResponse
from aaf.routing import Router
from aaf.testing import TestClient

from ._helpers import Recorder, http_scope, ws_scope


class Peer:
    """A scripted WebSocket client: what it sends, and everything the app sent."""

    def __init__(self, *incoming: ReceiveEvent) -> None:
        self.incoming = list(incoming)
        self.sent: list[SendEvent] = []

    async def receive(self) -> ReceiveEvent:
        return self.incoming.pop(0)

    async def send(self, message: SendEvent) -> None:
        self.sent.append(message)

    def connection(self, scope: WebSocketScope | None = None) -> Connection:
        return Connection(scope or ws_scope(), send=self.send, receive=self.receive)


@pytest.mark.parametrize(
    "length", [b"ten", b"-1", b"+3", b" 3", b"1_0", b"", b"\xd9\xa3", b"9" * 5000]
)
def test_an_invalid_content_length_is_400(length: bytes) -> None:
    connection = Recorder([b"x"]).connection(
        http_scope("POST", headers=[(b"content-length", length)])
    )
    with pytest.raises(HTTPError) as raised:
        asyncio.run(connection.body())
    assert (raised.value.status_code, raised.value.detail) == (400, "Invalid Content-Length header")


@pytest.mark.parametrize("reader", ["body", "body_iter"])
@pytest.mark.parametrize(
    ("chunks", "declared", "problem"),
    [
        ([b"abcd"], b"3", "longer"),
        ([b"ab"], b"3", "shorter"),
        ([b"ab", b"cd"], b"3", "longer"),
        ([b"a", b"b"], b"3", "shorter"),
    ],
)
def test_a_body_that_disagrees_with_its_content_length_is_400(
    reader: str, chunks: list[bytes], declared: bytes, problem: str
) -> None:
    # A server should never deliver such a body; if one does, the handler must not see it.
    async def read() -> None:
        connection = Recorder(chunks).connection(
            http_scope("POST", headers=[(b"content-length", declared)])
        )
        if reader == "body":
            await connection.body()
        else:
            async for _ in connection.body_iter():
                pass

    with pytest.raises(HTTPError) as raised:
        asyncio.run(read())
    detail = f"Request body is {problem} than its Content-Length"
    assert (raised.value.status_code, raised.value.detail) == (400, detail)


@pytest.mark.parametrize("chunks", [[b"abcd"], [b"ab", b"cd"]])
def test_a_body_past_the_limit_without_a_declared_length_is_413(chunks: list[bytes]) -> None:
    connection = Recorder(chunks).connection(http_scope("POST"))
    connection.max_body_size = 3
    with pytest.raises(HTTPError) as raised:
        asyncio.run(connection.body())
    assert raised.value.status_code == 413
    assert raised.value.detail == "Request body too large: the limit is 3 bytes"


@pytest.mark.parametrize("chunks", [[b"abc"], [b"a", b"bc"]])
def test_a_body_matching_its_length_within_the_limit_is_read_once(chunks: list[bytes]) -> None:
    async def read() -> tuple[bytes, bytes]:
        connection = Recorder(chunks).connection(
            http_scope("POST", headers=[(b"content-length", b"3")])
        )
        connection.max_body_size = 3
        return await connection.body(), await connection.body()

    assert asyncio.run(read()) == (b"abc", b"abc")


def test_invalid_json_is_400_saying_why() -> None:
    connection = Recorder([b"{nope"]).connection(http_scope("POST"))
    with pytest.raises(HTTPError) as raised:
        asyncio.run(connection.json())
    assert raised.value.status_code == 400
    assert str(raised.value.detail).startswith("Request body is not valid JSON")


@pytest.mark.parametrize(
    ("data", "reason", "where"),
    [
        (b"{nope", "Expecting property name enclosed in double quotes", 1),
        (b"[1, 2,", "Expecting value", 6),
        (b"[" * 300 + b"]" * 300, "recursion limit exceeded", 201),  # Python parses it
        (b"[" * 100_000 + b"]" * 100_000, "recursion limit exceeded", 201),  # not this
        (b"[" * 60_000, "recursion limit exceeded", 201),  # deeper than Python goes, too
    ],
)
def test_invalid_json_says_why_and_where_as_a_typed_body_would(
    data: bytes, reason: str, where: int
) -> None:
    # connection.json() said pydantic's words with its line and column for a small body
    # ("recursion limit exceeded at line 1 column 202"), the character for a large one; a
    # typed body's 422 said the same at offset 0.
    router = Router()

    @router.post("/json")
    async def read(connection: Connection) -> None:
        await connection.json()

    @router.post("/typed")
    async def typed(connection: Connection, value: Annotated[Any, Body()]) -> None: ...

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    answer = client.post("/json", content=data, headers=headers)
    assert answer.status_code == 400
    assert answer.text == f"Request body is not valid JSON: {reason} (at character {where})"
    [entry] = client.post("/typed", content=data, headers=headers).json()["detail"]
    assert (entry["loc"], entry["ctx"]) == (["body", where], {"error": reason})


def test_the_body_has_one_reader_and_http_only() -> None:
    async def two_readers() -> None:
        connection = Recorder([b"a", b"b"]).connection(http_scope("POST"))
        first = connection.body_iter()
        await anext(first)
        with pytest.raises(RuntimeError, match="already being read"):
            await anext(connection.body_iter())

    asyncio.run(two_readers())
    with pytest.raises(RuntimeError, match="A WebSocket connection has no request body"):
        asyncio.run(Peer().connection().body())


def test_the_body_read_as_a_form_is_said_so_when_its_bytes_are_asked_for() -> None:
    # A form keeps its fields and files, not the bytes: the message said "another consumer"
    # or a streamed response was reading the body.
    router = Router()

    @router.post("/login")
    async def login(connection: Connection, name: Annotated[str, Form()]) -> str:
        await connection.body()
        return name

    with pytest.raises(
        RuntimeError, match=r"was read as a form .* read connection\.body\(\) before"
    ):
        TestClient(aaf([router])).post("/login", data={"name": "ada"})


def test_a_server_message_that_is_not_the_body_is_named() -> None:
    recorder = Recorder()
    recorder.incoming = [{"type": "websocket.connect"}]
    with pytest.raises(RuntimeError, match="Expected ASGI message 'http.request'"):
        asyncio.run(recorder.connection(http_scope("POST")).body())


def test_headers_and_cookies_cannot_change_once_the_response_started() -> None:
    async def started() -> None:
        connection = Recorder().connection()
        await connection.send("x")
        with pytest.raises(ValueError, match="Cannot add header 'x-a'"):
            connection.put_resp_header("x-a", "1")
        with pytest.raises(ValueError, match="Cannot set cookie 'c'"):
            connection.put_resp_cookie("c", "1")
        await connection.finish()
        with pytest.raises(ValueError, match="already finished"):
            await connection.finish()

    asyncio.run(started())


def test_http_and_websocket_methods_refuse_the_other_kind() -> None:
    http = Recorder().connection()
    with pytest.raises(ValueError, match="This is an HTTP connection"):
        asyncio.run(http.accept())
    websocket = Peer({"type": "websocket.connect"}).connection()
    with pytest.raises(ValueError, match="This is a WebSocket connection"):
        asyncio.run(websocket.send("x"))

    async def after_accept() -> list[str]:
        # Accepted, the WebSocket has started: send() and finish() must still refuse, not
        # put an HTTP body message on it (the server would drop the connection).
        accepted = Peer({"type": "websocket.connect"}).connection()
        await accepted.accept()
        refused: list[str] = []
        for call in (accepted.send("x"), accepted.finish()):
            try:
                await call
            except ValueError as exc:
                refused.append(str(exc))
        return refused

    assert (
        asyncio.run(after_accept())
        == ["This is a WebSocket connection: use accept() and send_text()"] * 2
    )


def test_a_websocket_is_accepted_once_and_rejected_only_before() -> None:
    async def session() -> Peer:
        peer = Peer({"type": "websocket.connect"})
        connection = peer.connection()
        with pytest.raises(ValueError, match="Cannot send: call accept\\(\\) first"):
            await connection.send_text("early")
        await connection.accept(headers={"x-room": "lobby"})
        assert connection.accepted
        with pytest.raises(ValueError, match="Cannot accept a WebSocket that is connected"):
            await connection.accept()
        with pytest.raises(ValueError, match="Cannot reject a WebSocket that was already"):
            await connection.reject()
        await connection.close()
        await connection.close()  # closing twice is a no-op
        with pytest.raises(ValueError, match="Cannot send: the WebSocket is closed"):
            await connection.send_text("late")
        with pytest.raises(ValueError, match="Cannot receive"):
            await connection.receive_frame()
        return peer

    peer = asyncio.run(session())
    assert peer.sent[0] == {
        "type": "websocket.accept",
        "subprotocol": None,
        "headers": [(b"x-room", b"lobby")],
    }
    assert peer.sent[1] == {"type": "websocket.close", "code": 1000, "reason": ""}


def test_a_client_gone_before_accept_is_a_disconnect() -> None:
    connection = Peer({"type": "websocket.disconnect", "code": 1001}).connection()
    with pytest.raises(WebSocketDisconnect) as raised:
        asyncio.run(connection.accept())
    assert raised.value.code == 1001


def test_reject_with_a_status_http_has_not_is_a_value_error_and_sends_nothing() -> None:
    peer = Peer({"type": "websocket.connect"})
    connection = peer.connection(ws_scope(extensions={"websocket.http.response": {}}))
    for status in (101, 600, 0):
        with pytest.raises(ValueError, match=str(status)):
            asyncio.run(connection.reject(status))
    assert peer.sent == []
    asyncio.run(connection.reject(404))  # still refusable after the mistake
    assert peer.sent[0].get("status") == 404


def test_reject_without_the_http_response_extension_closes_1008() -> None:
    peer = Peer({"type": "websocket.connect"})
    asyncio.run(peer.connection().reject(403, "no"))
    assert peer.sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


def test_reject_with_the_extension_sends_an_http_response() -> None:
    peer = Peer({"type": "websocket.connect"})
    connection = peer.connection(ws_scope(extensions={"websocket.http.response": {}}))
    headers = {"www-authenticate": "Bearer", "Content-Length": "99", "Transfer-Encoding": "x"}
    asyncio.run(connection.reject(401, "who are you?", headers=headers))  # aaf frames the body
    assert peer.sent == [
        {
            "type": "websocket.http.response.start",
            "status": 401,
            "headers": [
                (b"www-authenticate", b"Bearer"),
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", b"12"),
            ],
        },
        {"type": "websocket.http.response.body", "body": b"who are you?"},
    ]


def test_a_server_message_that_is_not_a_frame_is_named() -> None:
    async def session() -> None:
        connection = Peer({"type": "websocket.connect"}, {"type": "websocket.connect"}).connection()
        await connection.accept()
        with pytest.raises(RuntimeError, match="Expected ASGI message 'websocket.receive'"):
            await connection.receive_frame()

    asyncio.run(session())


def test_after_stop_a_websocket_says_the_server_is_shutting_down() -> None:
    async def session() -> Peer:
        peer = Peer({"type": "websocket.connect"})
        connection = peer.connection()
        await connection.accept()
        connection.stop()
        await asyncio.sleep(0)  # the close stop() scheduled
        with pytest.raises(WebSocketDisconnect, match="Server shutting down"):
            await connection.send_text("x")
        with pytest.raises(WebSocketDisconnect, match="Server shutting down"):
            await connection.receive_frame()
        return peer

    assert asyncio.run(session()).sent[-1] == {
        "type": "websocket.close",
        "code": 1001,
        "reason": "Server shutting down",
    }


def test_state_is_made_on_first_use() -> None:
    connection = Recorder().connection()
    assert connection.state == {}
    connection.state["user"] = "ann"
    assert connection.state is connection.state


def test_head_ends_an_imperative_stream_at_its_first_send() -> None:
    async def stream(connection: Connection) -> None:
        await connection.send(b"part")  # the headers are the whole answer to HEAD
        assert connection.finished
        with pytest.raises(ClientDisconnect, match="HEAD response ends with its headers"):
            await connection.send(b"more")  # a loop ends here
        await connection.finish()  # nothing to do: not an error

    async def finished(connection: Connection) -> None:
        await connection.send(b"all", finish=True)
        with pytest.raises(ValueError, match="already finished"):  # as for any method
            await connection.send(b"more")

    for body in (stream, finished):
        recorder = Recorder()
        asyncio.run(body(recorder.connection(http_scope(method="HEAD"))))
        assert [m["type"] for m in recorder.sent] == ["http.response.start", "http.response.body"]
        assert recorder.sent[1] == {"type": "http.response.body", "body": b"", "more_body": False}


def test_reading_the_body_after_is_disconnected_says_why_it_cannot() -> None:
    # is_disconnected() hands what arrives to its watcher: the body must be read first.
    router = Router()

    @router.post("/late")
    async def late(connection: Connection) -> bytes:
        assert await connection.is_disconnected() is False
        return await connection.body()

    with pytest.raises(RuntimeError, match=r"is_disconnected\(\).*read the body before"):
        TestClient(aaf([router])).post("/late", content=b"data")


def test_a_refused_handshake_s_str_body_is_in_its_declared_charset() -> None:
    peer = Peer({"type": "websocket.connect"})
    connection = peer.connection(ws_scope(extensions={"websocket.http.response": {}}))
    headers = {"content-type": "text/plain; charset=latin-1"}
    asyncio.run(connection.reject(403, "refusé", headers=headers))
    assert peer.sent[1] == {"type": "websocket.http.response.body", "body": b"refus\xe9"}


# A server that says the client left by raising from send (ASGI 2.4: an OSError) -------------------
class _Left(OSError):
    """What uvicorn raises, ClientDisconnected, stands for: an OSError of the server's."""


def _server_refusing(app: App, scope: Any, refused: str) -> list[str]:
    """Run the app on ``scope`` with a server whose send raises ``_Left`` for messages of
    type ``refused`` (and any after them); give the types of the messages the app sent (the
    app itself raises nothing)."""
    sent: list[str] = []
    incoming: list[ReceiveEvent] = (
        [{"type": "websocket.connect"}]
        if scope["type"] == "websocket"
        else [{"type": "http.request", "body": b"", "more_body": False}]
    )

    async def receive() -> ReceiveEvent:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: SendEvent) -> None:
        if message["type"] == refused or refused in sent:
            sent.append(message["type"])
            raise _Left("the client left")
        sent.append(message["type"])

    async def run() -> None:
        await asyncio.wait_for(app(scope, receive, send), 5)

    asyncio.run(run())
    return sent


class _Item(BaseModel):
    name: str


def _leaving_apps(tmp_file: str) -> Router:
    router = Router()

    @router.route("/model")
    async def model(connection: Connection) -> _Item:
        return _Item(name="lamp")

    @router.route("/cookie")
    async def cookie(connection: Connection) -> HttpResponse:
        connection.put_resp_cookie("seen", "1")  # whole, merged with the connection's cookies
        return HttpResponse("hi")

    @router.route("/stream")
    async def stream(connection: Connection) -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        return StreamingResponse(parts())

    @router.route("/imperative")
    async def imperative(connection: Connection) -> None:
        await connection.send(b"a")
        await connection.finish()

    @router.route("/file")
    async def file(connection: Connection) -> FileResponse:
        return FileResponse(tmp_file)

    @router.route("/needs")
    async def needs(connection: Connection, n: int) -> int:  # asked without n: a 422
        return n

    @router.route("/teapot")
    async def teapot(connection: Connection) -> None:
        raise HTTPError(418, "short and stout")

    @router.websocket("/closed")
    async def closed(connection: Connection) -> None:
        await connection.accept()
        await connection.close(1000)

    @router.websocket("/refused")
    async def refused(connection: Connection) -> None:
        await connection.reject(403, "no")

    return router


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("/model", "http.response.start"),
        ("/model", "http.response.body"),
        ("/cookie", "http.response.body"),
        ("/stream", "http.response.start"),
        ("/stream", "http.response.body"),
        ("/imperative", "http.response.start"),
        ("/imperative", "http.response.body"),
        ("/file", "http.response.start"),
        ("/file", "http.response.pathsend"),
        ("/needs", "http.response.start"),
        ("/teapot", "http.response.body"),
        ("/nowhere", "http.response.start"),
        ("/closed", "websocket.accept"),
        ("/closed", "websocket.close"),
        ("/refused", "websocket.http.response.start"),
    ],
)
def test_a_server_saying_the_client_left_by_raising_from_send_is_no_error(
    path: str, refused: str, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # uvicorn raises ClientDisconnected (an OSError) when a WebSocket's client left before
    # the app heard of it, and ASGI 2.4 has any server do so for HTTP: the normal end of a
    # request, said at debug, as a ClientDisconnect is. It was an error with a traceback
    # ("Exception in handler", "Exception after the response ended"), and one refusing an
    # error's answer (a 422, a 404) raised it to the server.
    (tmp_path / "f.txt").write_text("file")
    router = _leaving_apps(str(tmp_path / "f.txt"))
    if path in ("/closed", "/refused"):
        scope: Any = ws_scope(path, extensions={"websocket.http.response": {}})
    else:
        scope = http_scope("GET", path)
        scope["extensions"] = {"http.response.pathsend": {}}
    with caplog.at_level("DEBUG", logger="aaf"):
        sent = _server_refusing(aaf([router]), scope, refused)
    assert refused in sent
    assert [r.getMessage() for r in caplog.records if r.levelname in ("WARNING", "ERROR")] == []
    assert any(r.getMessage().startswith("Client left") for r in caplog.records) or path in (
        "/closed",
        "/refused",
    )


@pytest.mark.parametrize("refused", ["http.response.start", "http.response.body"])
def test_a_middleware_passing_a_response_on_to_a_client_that_left_is_no_error(
    refused: str, caplog: pytest.LogCaptureFixture
) -> None:
    router = Router()

    @router.route("/")
    async def home(connection: Connection) -> str:
        return "home"

    app = aaf([router])

    @app.middleware("http")
    async def timed(connection: Connection, call_next: CallNext) -> Answer:
        answer = await call_next(connection)
        answer.headers["X-Seen"] = "1"
        return answer

    with caplog.at_level("DEBUG", logger="aaf"):
        assert refused in _server_refusing(app, http_scope("GET", "/"), refused)
    assert [r.getMessage() for r in caplog.records if r.levelname in ("WARNING", "ERROR")] == []
    assert any("Client left" in r.getMessage() for r in caplog.records)
