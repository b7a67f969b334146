"""Endpoints at their edges: handlers registration refuses (with what it says), and the
cleanup of dependencies when WebSocket handlers fail."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import cast

import pytest

from aaf import aaf
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError, WebSocketDisconnect
from aaf.params import Depends
from aaf.response import HttpResponse
from aaf.routing import Handler, Router, WebSocketHandler
from aaf.testing import TestClient
from aaf.views import View, WebSocketView

EVENTS: list[str] = []


async def tracked() -> AsyncIterator[str]:
    EVENTS.append("open")
    try:
        yield "resource"
    except Exception as exc:
        EVENTS.append(f"thrown in: {exc}")
        raise
    finally:
        EVENTS.append("closed")


class Gate(View):
    resource: str = Depends(tracked)

    async def before(self, connection: Connection) -> HttpResponse | None:
        return HttpResponse("closed gate", status_code=403)

    async def get(self, connection: Connection) -> str:
        return "never"


class Failing(WebSocketView):
    async def on_connect(self, connection: Connection, resource: str = Depends(tracked)) -> None:
        raise ValueError("on_connect failed")


class Deaf(WebSocketView):
    """No on_receive: frames are ignored until the client leaves."""

    async def on_connect(self, connection: Connection) -> None:
        await connection.accept()
        await connection.send_text("hello")


async def failing(connection: Connection, resource: str = Depends(tracked)) -> None:
    await connection.accept()
    raise ValueError("handler failed")


def test_before_answers_and_dependencies_still_close() -> None:
    EVENTS.clear()
    router = Router()
    router.add_route("/gate", Gate)
    with TestClient(aaf([router])) as client:
        answer = client.get("/gate")
    assert (answer.status_code, answer.text) == (403, "closed gate")
    assert EVENTS == ["open", "closed"]


def test_websocket_dependencies_see_the_error_that_ended_the_session() -> None:
    router = Router()
    router.add_websocket_route("/fn", failing)
    router.add_websocket_route("/view", Failing)
    router.add_websocket_route("/deaf", Deaf)
    with TestClient(aaf([router]), raise_server_exceptions=False) as client:
        for path, message in (("/fn", "handler failed"), ("/view", "on_connect failed")):
            EVENTS.clear()
            with pytest.raises(WebSocketDisconnect):
                with client.websocket_connect(path) as websocket:
                    websocket.receive_text()
            assert EVENTS == ["open", f"thrown in: {message}", "closed"]
        with client.websocket_connect("/deaf") as websocket:
            assert websocket.receive_text() == "hello"
            websocket.send_text("ignored")
            websocket.send_bytes(b"ignored too")


class AsyncOnly(WebSocketView):
    def on_receive(self, connection: Connection, data: str) -> None: ...


class Unresolved(WebSocketView):
    async def on_receive(self, connection: Connection, data: NoSuchType) -> None: ...  # type: ignore[name-defined]  # noqa: F821  # pyright: ignore[reportUndefinedVariable]


class TwoData(WebSocketView):
    async def on_receive(self, connection: Connection, data: str, more: str) -> None: ...


class Unvalidatable(WebSocketView):
    async def on_receive(self, connection: Connection, data: Connection) -> None: ...


class SyncGoodbye(WebSocketView):  # awaited at the end of the session: a TypeError there
    def on_disconnect(self, connection: Connection, code: int) -> None: ...  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]


class SyncInvalid(WebSocketView):
    def on_invalid(self, connection: Connection, error: str) -> None: ...  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]


@pytest.mark.parametrize(
    ("view", "error", "message"),
    [
        (AsyncOnly, TypeError, "AsyncOnly.on_receive must be an async function"),
        (Unresolved, ConfigurationError, "Unresolved.on_receive: cannot resolve"),
        (TwoData, ConfigurationError, r"TwoData.on_receive must take \(self, connection, data\)"),
        (Unvalidatable, ConfigurationError, "Unvalidatable.on_receive: pydantic cannot validate"),
        (SyncGoodbye, TypeError, "SyncGoodbye.on_disconnect must be an async function"),
        (SyncInvalid, TypeError, "SyncInvalid.on_invalid must be an async function"),
    ],
)
def test_on_receive_is_checked_at_registration(
    view: type[WebSocketView], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Router().add_websocket_route("/ws", view)


def test_a_plain_def_before_is_refused_at_registration() -> None:
    # Awaited before every method: each request was a 500 ("object NoneType can't be used
    # in 'await' expression").
    class Checked(View):
        def before(self, connection: Connection) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
            return None

        async def get(self, connection: Connection) -> str:
            return "ok"

    with pytest.raises(TypeError, match=r"Checked.before must be an async function"):
        Router().add_route("/checked", Checked)


def test_what_is_not_a_handler_is_refused_at_registration() -> None:
    router = Router()
    with pytest.raises(TypeError, match="must be an async function or a View subclass"):
        router.add_route("/x", cast(Handler, 42))
    with pytest.raises(TypeError, match="must be an async function or a WebSocketView"):
        router.add_websocket_route("/ws", cast(WebSocketHandler, 42))
    with pytest.raises(ConfigurationError, match="a View answers the methods it defines"):
        router.add_route("/gate", Gate, methods=["GET"])


def test_a_path_value_reaches_the_handler_however_it_takes_it() -> None:
    # One path value goes by position where the handler's next parameter takes it, by
    # keyword otherwise: a keyword-only one, a wrapper taking keywords only, a sync handler,
    # a view method, and two values.
    router = Router()

    def keywords_only(
        fn: Callable[..., Awaitable[str]],
    ) -> Callable[..., Awaitable[str]]:
        @functools.wraps(fn)
        async def wrapper(connection: Connection, **values: object) -> str:
            return "wrapped " + await fn(connection, **values)

        return wrapper

    @router.get("/positional/<int:n>")
    async def positional(connection: Connection, n: int) -> str:
        return f"positional {n + 1}"

    @router.get("/keyword/<int:n>")
    async def keyword(connection: Connection, *, n: int) -> str:
        return f"keyword {n + 1}"

    @router.get("/wrapped/<int:n>")
    @keywords_only
    async def wrapped(connection: Connection, n: int) -> str:
        return f"{n + 1}"

    @router.get("/sync/<int:n>")
    def sync(connection: Connection, n: int) -> str:
        return f"sync {n + 1}"

    @router.route("/view/<int:n>")
    class Counter(View):
        async def get(self, connection: Connection, n: int) -> str:
            return f"view {n + 1}"

    @router.get("/two/<int:a>/<b>")
    async def two(connection: Connection, b: str, a: int) -> str:
        return f"two {a + 1} {b}"

    with TestClient(aaf([router])) as client:
        assert client.get("/positional/1").text == "positional 2"
        assert client.get("/keyword/1").text == "keyword 2"
        assert client.get("/wrapped/1").text == "wrapped 2"
        assert client.get("/sync/1").text == "sync 2"
        assert client.get("/view/1").text == "view 2"
        assert client.get("/two/1/x").text == "two 2 x"
