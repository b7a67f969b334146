"""The error policy at its edges: errors after the response started or ended, exception
handlers that answer badly, and errors on WebSockets, driven as a server drives the app."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import httpx
import pytest
from pydantic import JsonValue
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from aaf import aaf
from aaf.app import App
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.response import HttpResponse
from aaf.routing import Router
from aaf.testing import TestClient

from ._helpers import Recorder, http_scope, serve


class Odd(Exception):
    pass


def make_app() -> App:
    router = Router()

    @router.get("/http-error-mid-stream")
    async def http_error_mid_stream(connection: Connection) -> None:
        await connection.send("part")
        raise HTTPError(409, "too late to say")

    @router.get("/boom-after-the-end")
    async def boom_after_the_end(connection: Connection) -> None:
        await connection.send("whole", finish=True)
        raise ValueError("after the end")

    @router.get("/odd")
    async def odd(connection: Connection) -> str:
        raise Odd("odd")

    @router.websocket("/ws/odd")
    async def ws_odd(connection: Connection) -> None:
        await connection.accept()
        raise Odd("odd in a session")

    @router.websocket("/ws/gone")
    async def ws_gone(connection: Connection) -> None:
        await connection.accept()
        await connection.close()
        raise HTTPError(403, "after close")

    async def plain_answer(connection: Connection, exc: Exception) -> HttpResponse:
        return HttpResponse("odd", status_code=418)

    return aaf([router], exception_handlers={Odd: plain_answer})


def test_an_http_error_after_the_response_started_is_logged_and_reraised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    scope = http_scope(path="/http-error-mid-stream")
    with caplog.at_level(logging.ERROR, logger="aaf"), pytest.raises(HTTPError):
        asyncio.run(make_app()(scope, recorder.receive, recorder.send))
    assert recorder.sent[-1].get("more_body") is True  # cut: the server aborts
    assert any("aborting the connection" in r.getMessage() for r in caplog.records)


def test_an_exception_after_the_response_ended_is_logged_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="aaf"):
        with TestClient(make_app(), raise_server_exceptions=False) as client:
            answer = client.get("/boom-after-the-end")
    assert (answer.status_code, answer.text) == (200, "whole")
    assert any("after the response to GET" in r.getMessage() for r in caplog.records)


def test_websocket_errors_close_the_session_whatever_the_handlers_say() -> None:
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        assert client.get("/odd").status_code == 418  # the handler answers HTTP
        with client.websocket_connect("/ws/odd") as websocket:
            with pytest.raises(Exception, match="1011"):
                websocket.receive_text()
        with client.websocket_connect("/ws/gone") as websocket:
            with pytest.raises(Exception, match="1000"):
                websocket.receive_text()


def test_a_500_handler_answers_unhandled_exceptions_which_are_still_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Starlette's spelling for the server error's own page: exception_handlers={500: ...}.
    router = Router()

    @router.get("/boom")
    async def boom(connection: Connection) -> None:
        raise RuntimeError("disk on fire")

    @router.get("/teapot")
    async def teapot(connection: Connection) -> None:
        raise HTTPError(418, "short and stout")

    async def server_error(connection: Connection, exc: Exception) -> HttpResponse:
        return HttpResponse(f"sorry: {type(exc).__name__}", status_code=500)

    app = aaf([router], exception_handlers={500: server_error})
    with caplog.at_level(logging.ERROR, logger="aaf"):
        answer = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert (answer.status_code, answer.text) == (500, "sorry: RuntimeError")
    assert [r.getMessage() for r in caplog.records] == ["Exception in handler for GET /boom"]
    with pytest.raises(RuntimeError, match="disk on fire"):  # a test still sees the error
        TestClient(app).get("/boom")
    # Other statuses are not server errors: their own answer.
    assert TestClient(app).get("/teapot").status_code == 418


def test_an_exception_handler_for_exception_is_the_500_handler_not_a_catch_all(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As Starlette's: HTTP errors keep their own answers (they were all turned into the
    # handler's 500), and the error it answers is still logged and raised in a test.
    router = Router()

    @router.get("/boom")
    async def boom(connection: Connection) -> None:
        raise RuntimeError("disk on fire")

    @router.get("/teapot")
    async def teapot(connection: Connection) -> None:
        raise HTTPError(418, "short and stout")

    @router.get("/number")
    async def number(connection: Connection, n: int) -> int:
        return n

    async def any_error(connection: Connection, exc: Exception) -> HttpResponse:
        return HttpResponse(f"sorry: {type(exc).__name__}", status_code=500)

    for key in (Exception, BaseException):
        app = aaf([router], exception_handlers={key: any_error})
        caplog.clear()
        with (
            caplog.at_level(logging.ERROR, logger="aaf"),
            TestClient(app, raise_server_exceptions=False) as client,
        ):
            answer = client.get("/boom")
            assert (answer.status_code, answer.text) == (500, "sorry: RuntimeError")
            assert [client.get(p).status_code for p in ("/teapot", "/number?n=x", "/nope")] == [
                418,
                422,
                404,
            ]
        assert [r.getMessage() for r in caplog.records] == ["Exception in handler for GET /boom"]
        with TestClient(app) as client, pytest.raises(RuntimeError, match="disk on fire"):
            client.get("/boom")


def test_a_websocket_error_before_accept_is_refused_and_logged_with_a_500_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The handler's HTTP response was dropped: nothing was logged, and uvicorn found the app
    # returned without a handshake.
    router = Router()

    @router.websocket("/early")
    async def early(connection: Connection) -> None:
        raise RuntimeError("no session for you")

    async def server_error(connection: Connection, exc: Exception) -> HttpResponse:
        return HttpResponse("sorry", status_code=500)

    app = aaf([router], exception_handlers={500: server_error, Exception: server_error})
    with (
        caplog.at_level(logging.ERROR),
        serve(app, log_config=None) as base,
        pytest.raises(InvalidStatus) as refused,
    ):
        connect(base.replace("http", "ws") + "/early", open_timeout=5)
    assert refused.value.response.status_code == 403
    assert [r.getMessage() for r in caplog.records] == [
        "Exception in handler for WebSocket /early"  # not "GET", read as an HTTP request
    ]


def test_an_http_error_whose_detail_is_not_json_is_a_500_saying_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # `detail` is typed JsonValue; untyped code can still pass an object. The log said the
    # error "has invalid headers", which sent readers to the wrong place.
    router = Router()

    class Thing:
        pass

    @router.get("/odd")
    async def odd(connection: Connection) -> None:
        raise HTTPError(400, cast("JsonValue", {"thing": Thing()}))

    client = TestClient(aaf([router]), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="aaf"):
        answer = client.get("/odd")
    assert answer.status_code == 500 and answer.text == "Internal Server Error"
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.getMessage().startswith("HTTPError(400) for GET /odd cannot be sent: ")
    assert "Thing" in record.getMessage()


def test_a_plain_def_exception_handler_is_refused_when_the_app_is_made() -> None:
    # A response is awaitable too: the handler's response was awaited with no connection to
    # send on, and every error it was meant to answer became a 500.
    def as_text(connection: Connection, exc: HTTPError) -> HttpResponse:
        return HttpResponse(str(exc.detail), status_code=exc.status_code)

    with pytest.raises(TypeError, match=r"exception handler for 404 must be an async function"):
        aaf([Router()], exception_handlers={404: as_text})  # type: ignore[aaf-handler]  # pyright: ignore[reportArgumentType]


def test_another_frameworks_http_exception_is_a_500_whose_log_says_what_to_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # From an app being ported: FastAPI's (Starlette's) HTTPException and Flask's abort(404)
    # (werkzeug's) are not aaf's, so the client gets a 500; the log says why.
    from starlette.exceptions import HTTPException
    from werkzeug.exceptions import abort

    router = Router()

    @router.get("/starlette")
    async def starlette(connection: Connection) -> None:
        raise HTTPException(404, "no such item")

    @router.get("/flask")
    async def flask(connection: Connection) -> None:
        abort(404)

    @router.get("/other")
    async def other(connection: Connection) -> None:
        raise LookupError("no such item")

    client = TestClient(aaf([router]), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="aaf"):
        for path in ("/starlette", "/flask", "/other"):
            assert client.get(path).status_code == 500
    assert [r.getMessage() for r in caplog.records] == [
        "Exception in handler for GET /starlette (HTTPException is not aaf's: raise "
        "aaf.HTTPError for that answer)",
        "Exception in handler for GET /flask (NotFound is not aaf's: raise aaf.HTTPError for "
        "that answer)",
        "Exception in handler for GET /other",
    ]


def test_a_path_in_a_log_line_cannot_forge_lines_of_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The decoded path went into the log as it came: `/x%0A...` wrote a second line, one a
    # client chose ("CRITICAL ... admin logged in"), and `%1B[` a terminal's escapes. Such
    # characters are written as Python escapes them; the rest of a path (`é`) as it is.
    router = Router()

    @router.get("/items/<name>")
    async def item(connection: Connection, name: str) -> str:
        raise LookupError(name)

    @router.websocket("/ws/<name>")
    async def session(connection: Connection, name: str) -> None:
        await connection.accept()
        raise LookupError(name)

    forged = "%0A2026-12-06%20CRITICAL%20admin%20logged%20in%1B[2J%E2%80%A8%C3%A9"
    with caplog.at_level(logging.ERROR, logger="aaf"), serve(aaf([router])) as base:
        with httpx.Client(base_url=base, timeout=5) as client:
            assert client.get(f"/items/x{forged}").status_code == 500
        with connect(base.replace("http", "ws") + f"/ws/x{forged}", open_timeout=5) as ws:
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=5)
    shown = "x\\n2026-12-06 CRITICAL admin logged in\\x1b[2J\\u2028é"
    assert [r.getMessage() for r in caplog.records] == [
        f"Exception in handler for GET /items/{shown}",
        f"Exception in handler for WebSocket /ws/{shown}",
    ]


def test_the_404_of_a_client_that_left_logs_its_path_escaped_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # aaf's own 404 (no Connection made) wrote the path as it came in its debug line.
    async def gone(message: object) -> None:
        raise OSError("the client left")

    async def nothing() -> object:
        return {"type": "http.disconnect"}

    scope = http_scope(path="/x\n2026-12-06 CRITICAL admin logged in\x1b[2J")
    with caplog.at_level(logging.DEBUG, logger="aaf"):
        asyncio.run(aaf([Router()])(scope, nothing, gone))  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [
        "Client left GET /x\\n2026-12-06 CRITICAL admin logged in\\x1b[2J before its 404: "
        "OSError('the client left')"
    ]
