"""Middleware written as a function, `@app.middleware("http")` (aaf.middleware), over a real
uvicorn where streaming and leaving matter."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import re
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator

import httpx
import pytest
from pydantic import JsonValue
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response as StarletteResponse

from aaf import App, HTTPError
from aaf._types import ASGIApp, Receive, ReceiveEvent, Scope, Send, SendEvent
from aaf.connection import Connection
from aaf.middleware import Answer, CallNext
from aaf.params import Depends
from aaf.response import EventSourceResponse, HttpResponse, JsonResponse, ServerSentEvent
from aaf.routing import Router
from aaf.testing import AsyncTestClient, TestClient

from ._helpers import http_scope, serve


def make_app(closed: threading.Event | None = None) -> App:
    router = Router()

    @router.get("/hello")
    async def hello(connection: Connection) -> dict[str, str]:
        return {"hello": "world"}

    @router.get("/fails")
    async def fails(connection: Connection) -> str:
        raise ValueError("the handler failed")

    @router.post("/echo")
    async def echo(connection: Connection) -> bytes:
        return await connection.body()

    @router.get("/events")
    async def events(connection: Connection) -> EventSourceResponse:
        async def ticks() -> AsyncIterator[ServerSentEvent]:
            try:
                for n in range(3):
                    yield ServerSentEvent(n)
                    await asyncio.sleep(0.3)
                await asyncio.sleep(30)  # held open until the client leaves
            finally:
                if closed is not None:
                    closed.set()

        return EventSourceResponse(ticks())

    @router.websocket("/ws")
    async def ws(connection: Connection) -> None:
        await connection.accept()
        await connection.send_text("through")

    app = App([router])

    @app.middleware("http")
    async def stamped(connection: Connection, call_next: CallNext) -> Answer | HttpResponse:
        if connection.req_headers.get("x-token") == "bad":
            return JsonResponse({"detail": "bad token"}, status_code=401)
        if connection.req_headers.get("x-token") == "teapot":
            raise HTTPError(418, "short and stout")
        if connection.query.get("read") == "body":
            await connection.body()
        started = time.perf_counter()
        answer = await call_next(connection)
        answer.headers["X-Process-Time"] = f"{time.perf_counter() - started:.6f}"
        answer.headers["X-Seen"] = f"{connection.method} {connection.path}"
        return answer

    return app


def test_the_function_runs_around_each_request_and_sets_headers_on_the_answer() -> None:
    client = TestClient(make_app(), raise_server_exceptions=False)
    hello = client.get("/hello")
    assert hello.json() == {"hello": "world"}
    assert hello.headers["x-seen"] == "GET /hello"
    assert float(hello.headers["x-process-time"]) >= 0
    assert hello.headers["content-length"] == "17"  # the app's own headers kept
    # Every answer passes through it: aaf's own 404, a failing handler's 500, a body read.
    missing = client.get("/nope")
    assert (missing.status_code, missing.headers["x-seen"]) == (404, "GET /nope")
    failed = client.get("/fails")
    assert (failed.status_code, failed.headers["x-seen"]) == (500, "GET /fails")
    assert client.post("/echo", content=b"abc").text == "abc"


def test_the_function_may_answer_by_itself_or_raise() -> None:
    client = TestClient(make_app(), raise_server_exceptions=False)
    refused = client.get("/hello", headers={"x-token": "bad"})
    assert (refused.status_code, refused.json()) == (401, {"detail": "bad token"})
    assert "x-seen" not in refused.headers
    teapot = client.get("/hello", headers={"x-token": "teapot"})
    assert (teapot.status_code, teapot.text) == (418, "short and stout")
    # The body is the handler's: reading it there is a mistake said plainly, not a hang.
    read = client.get("/hello", params={"read": "body"})
    assert read.status_code == 500
    with pytest.raises(RuntimeError, match="cannot read the request body"):
        TestClient(make_app()).get("/hello", params={"read": "body"})
    # A test client still raises what a handler raised.
    with pytest.raises(ValueError, match="the handler failed"):
        TestClient(make_app()).get("/fails")


def root_app() -> App:
    """An app answering "root" at /, for a middleware of the test's."""
    app = App([])

    @app.get("/")
    async def root(connection: Connection) -> str:
        return "root"

    return app


def test_what_it_returns_must_be_a_response_or_the_answer() -> None:
    app = root_app()

    @app.middleware("http")
    async def forgetful(connection: Connection, call_next: CallNext) -> Answer:
        await call_next(connection)
        return None  # type: ignore[return-value]  # pyright: ignore[reportReturnType]  # the mistake tested

    with pytest.raises(TypeError, match="returned None: return what call_next gave"):
        TestClient(app).get("/")
    with pytest.raises(ValueError, match='takes "http"'):
        app.middleware("websocket")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # the mistake tested


def test_headers_the_function_sets_are_checked_while_a_500_can_be_answered() -> None:
    app = root_app()

    @app.middleware("http")
    async def careless(connection: Connection, call_next: CallNext) -> Answer:
        answer = await call_next(connection)
        answer.headers["X-User"] = connection.query.get("name", "")  # as sent: a CR or 名 too
        if "status" in connection.query:
            answer.status_code = int(connection.query["status"])
        return answer

    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/", params={"name": "ada"}).headers["x-user"] == "ada"
        for params in ({"name": "ada\rX-Admin: 1"}, {"name": "名"}, {"status": "999"}):
            answer = client.get("/", params=params)
            assert (answer.status_code, answer.text) == (500, "Internal Server Error")
            assert "x-admin" not in answer.headers
        assert client.get("/", params={"status": "201"}).status_code == 201
        # A 304 made of a 200 (a conditional GET's middleware) goes out without its body.
        not_modified = client.get("/", params={"status": "304"})
        assert (not_modified.status_code, not_modified.content) == (304, b"")
        assert "content-length" not in not_modified.headers
        assert client.get("/").text == "root"  # and the connection serves on


def test_a_stream_stays_a_stream_and_leaving_closes_it() -> None:
    closed = threading.Event()
    with serve(make_app(closed)) as base, httpx.Client(base_url=base, timeout=10) as client:
        with client.stream("GET", "/events") as response:
            assert response.headers["x-seen"] == "GET /events"
            arrived: list[float] = []
            lines = response.iter_lines()
            while len(arrived) < 3:
                if next(lines).startswith("data:"):
                    arrived.append(time.monotonic())
        # Each event came as it was made, 0.3 s apart: nothing was held back.
        assert arrived[1] - arrived[0] > 0.2 and arrived[2] - arrived[1] > 0.2
        assert closed.wait(5), "leaving did not close the generator"
        assert client.get("/hello").headers["x-seen"] == "GET /hello"  # and it serves on


@pytest.mark.anyio
async def test_a_request_cancelled_while_the_function_waits_leaves_no_task() -> None:
    # The server cancels a request's coroutine when it stops: the app's task goes with it.
    handler_ended = asyncio.Event()
    router = Router()

    @router.get("/slow")
    async def slow(connection: Connection) -> str:
        try:
            await asyncio.sleep(30)
        finally:
            handler_ended.set()
        return "late"

    app = App([router])

    @app.middleware("http")
    async def waits(connection: Connection, call_next: CallNext) -> Answer:
        return await call_next(connection)

    async def receive() -> ReceiveEvent:
        await asyncio.sleep(30)
        return {"type": "http.disconnect"}

    async def send(message: SendEvent) -> None:
        pass

    scope = http_scope(path="/slow")
    request = asyncio.ensure_future(app(scope, receive, send))
    await asyncio.sleep(0.05)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await asyncio.wait_for(handler_ended.wait(), 5)


def test_websocket_sessions_pass_by_untouched() -> None:
    with TestClient(make_app()).websocket_connect("/ws") as ws:
        assert ws.receive_text() == "through"


def state_app() -> App:
    """Values set for one request by middleware around the app (a function's and a plain
    ASGI one's) and by the lifespan, read by the handler and its provider."""

    @contextlib.asynccontextmanager
    async def lifespan(app: App) -> AsyncGenerator[dict[str, object]]:
        yield {"greeting": "hello"}

    def request_ids(app: ASGIApp) -> ASGIApp:
        counter = itertools.count(1)

        async def with_id(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                scope.setdefault("state", {})["request_id"] = next(counter)
            await app(scope, receive, send)

        return with_id

    app = App([], lifespan=lifespan, middleware=[request_ids])

    @app.middleware("http")
    async def signed_in(connection: Connection, call_next: CallNext) -> Answer:
        connection.state["user"] = connection.req_headers.get("x-user", "nobody")
        return await call_next(connection)

    async def user_of(connection: Connection) -> str:
        return str(connection.state["user"])

    @app.get("/")
    async def home(connection: Connection, user: str = Depends(user_of)) -> dict[str, object]:
        state = connection.state
        seen = {key: state.get(key) for key in ("greeting", "request_id", "user", "mine")}
        state["mine"] = "set by the handler"  # this request's only
        return {**seen, "provider": user}

    @app.websocket("/ws")
    async def greet(connection: Connection) -> None:
        await connection.accept()
        await connection.send_text(str(connection.state.get("greeting")))

    return app


def test_state_set_around_the_app_reaches_the_handler_over_uvicorn() -> None:
    # Starlette's request.state: middleware sets it, the handler reads it; the lifespan's
    # yielded mapping is in every request's. Before, each Connection had a dict of its own.
    with serve(state_app()) as base, httpx.Client(base_url=base, timeout=5) as client:
        first = client.get("/", headers={"x-user": "ada"}).json()
        second = client.get("/").json()
    assert first == {
        "greeting": "hello",
        "request_id": 1,
        "user": "ada",
        "mine": None,
        "provider": "ada",
    }
    assert second == {**first, "request_id": 2, "user": "nobody", "provider": "nobody"}
    with TestClient(state_app()) as client:
        assert client.get("/", headers={"x-user": "bo"}).json() == {
            **first,
            "user": "bo",
            "provider": "bo",
        }
        assert client.get("/").json()["mine"] is None
        with client.websocket_connect("/ws") as session:
            assert session.receive_text() == "hello"  # a WebSocket's scope has it too

    async def in_the_async_client() -> dict[str, object]:
        async with AsyncTestClient(state_app()) as client:
            async with client.websocket_connect("/ws") as session:
                assert await session.receive_text() == "hello"
            answer: dict[str, object] = (await client.get("/")).json()
            return answer

    assert asyncio.run(in_the_async_client())["greeting"] == "hello"


def test_starlettes_request_state_set_in_its_middleware_reaches_the_handler() -> None:
    # A Starlette BaseHTTPMiddleware writes request.state.user into the scope's state, which
    # is what connection.state reads.
    class SignedIn(BaseHTTPMiddleware):
        async def dispatch(
            self, request: Request, call_next: RequestResponseEndpoint
        ) -> StarletteResponse:
            request.state.user = request.headers.get("x-user", "nobody")
            return await call_next(request)

    app = App([])
    app.add_middleware(SignedIn)

    @app.get("/")
    async def home(connection: Connection) -> str:
        return str(connection.state["user"])

    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/", headers={"x-user": "ada"}).text == "ada"
        assert client.get("/").text == "nobody"


def session_app() -> App:
    router = Router()

    @router.post("/login/<name>")
    async def login(connection: Connection, name: str) -> str:
        connection.session["user"] = name
        return "signed in"

    @router.get("/me")
    async def me(connection: Connection) -> dict[str, JsonValue]:
        visits = connection.session.get("visits", 0)
        assert isinstance(visits, int)
        connection.session["visits"] = visits + 1
        return {"user": connection.session.get("user"), "visits": visits + 1}

    @router.post("/logout")
    async def logout(connection: Connection) -> None:
        connection.session.clear()

    @router.websocket("/ws")
    async def who(connection: Connection) -> None:
        await connection.accept()
        await connection.send_json({"user": connection.session.get("user")})
        await connection.close()

    app = App([router])
    app.add_middleware(SessionMiddleware, secret_key="not-a-real-secret", same_site="strict")
    return app


def test_connection_session_is_starlettes_session_middlewares_over_uvicorn() -> None:
    # Flask's session and Starlette's request.session: a signed cookie, changed by the
    # handler, sent back with the response.
    with serve(session_app()) as base, httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/me").json() == {"user": None, "visits": 1}
        assert client.post("/login/ada").text == "signed in"
        assert "session" in client.cookies
        assert client.get("/me").json() == {"user": "ada", "visits": 2}
        # A cookie signed with another key is no session: a new one starts.
        forged = httpx.Client(base_url=base, timeout=5, cookies={"session": "e30=.forged.sig"})
        with forged:
            assert forged.get("/me").json() == {"user": None, "visits": 1}
        assert client.post("/logout").status_code == 204
        assert client.get("/me").json() == {"user": None, "visits": 1}


def test_connection_session_on_a_websocket_and_without_the_middleware() -> None:
    with TestClient(session_app()) as client:
        client.post("/login/grace")
        with client.websocket_connect("/ws") as ws:
            assert ws.receive_json() == {"user": "grace"}
    bare = Router()

    @bare.get("/me")
    async def me(connection: Connection) -> str:
        return str(connection.session)

    with TestClient(App([bare]), raise_server_exceptions=False) as client:
        answer = client.get("/me")
        assert answer.status_code == 500
    with pytest.raises(RuntimeError, match="connection.session needs a session middleware"):
        _ = Connection(http_scope(), _no_receive, _no_send).session


async def _no_receive() -> ReceiveEvent:
    raise AssertionError("not read")


async def _no_send(event: SendEvent) -> None:
    raise AssertionError("not sent")


def test_mistakes_in_a_middleware_function_are_500s_that_say_what_was_wrong() -> None:
    twice, through_connection = root_app(), root_app()

    @twice.middleware("http")
    async def again(connection: Connection, call_next: CallNext) -> Answer:
        first = await call_next(connection)
        assert repr(first) == "<Answer 200>"
        return await call_next(connection)

    @through_connection.middleware("http")
    async def sends(connection: Connection, call_next: CallNext) -> Answer:
        await connection.send("answered here")
        return await call_next(connection)

    for app, message in (
        (twice, "call_next() runs the app once per request"),
        (through_connection, "answers by returning a response"),
    ):
        assert TestClient(app, raise_server_exceptions=False).get("/").status_code == 500
        with pytest.raises(RuntimeError, match=re.escape(message)):
            TestClient(app).get("/")


def test_a_stream_the_function_replaces_is_stopped_not_left_running() -> None:
    # call_next started the handler's stream; the function answers something else: the
    # stream's task is cancelled (its finally runs), nothing is left behind.
    stopped = threading.Event()
    router = Router()

    @router.get("/stream")
    async def stream(connection: Connection) -> None:
        try:
            await connection.send("first")
            for _ in range(1000):
                await connection.send("more")
                await asyncio.sleep(0.01)
        finally:
            stopped.set()

    app = App([router])

    @app.middleware("http")
    async def replace(connection: Connection, call_next: CallNext) -> HttpResponse:
        answer = await call_next(connection)
        return HttpResponse(f"replaced {answer.status_code}")

    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/stream").text == "replaced 200"
        assert stopped.wait(5)


class Faulty:
    """ASGI middleware inside the function's, failing as the path says: raising before its
    answer starts or after, or returning without one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/":
            await self.app(scope, receive, send)
        elif scope["path"] == "/before":
            raise ValueError("failed before answering")
        elif scope["path"] == "/after":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"part", "more_body": True})
            raise ValueError("failed after the start")
        # "/nothing": returns without an answer


def test_what_the_app_below_fails_with_reaches_the_function_or_the_server() -> None:
    app = root_app()
    app.add_middleware(Faulty)
    seen: list[str] = []

    @app.middleware("http")
    async def watch(connection: Connection, call_next: CallNext) -> Answer:
        try:
            answer = await call_next(connection)
        except Exception as exc:
            seen.append(f"{type(exc).__name__}: {exc}")
            raise
        answer.headers["X-Watched"] = "1"
        return answer

    lenient = TestClient(app, raise_server_exceptions=False)
    assert lenient.get("/").headers["x-watched"] == "1"
    # Before the start, call_next raises it, and the app's policy answers (a 500).
    for path in ("/before", "/nothing"):
        assert lenient.get(path).status_code == 500
    assert seen == [
        "ValueError: failed before answering",
        "RuntimeError: The app returned without sending a response",
    ]
    with pytest.raises(ValueError, match="failed before answering"):
        TestClient(app).get("/before")
    # After the start, the answer has gone out: the server is told, as without the function.
    with pytest.raises(ValueError, match="failed after the start"):
        TestClient(app).get("/after")


def test_starlettes_trusted_host_middleware_keeps_links_to_the_hosts_it_allows() -> None:
    # connection.base_url is the Host header the client sent, as Starlette's and Flask's are:
    # a password-reset link built from it points wherever a client says. The deployment
    # notes send users to Starlette's TrustedHostMiddleware; over uvicorn, as they run it.
    router = Router()

    @router.get("/reset")
    async def reset(connection: Connection) -> str:
        return connection.base_url + connection.url_for("reset").lstrip("/")

    app = App(
        [router],
        middleware=[
            functools.partial(TrustedHostMiddleware, allowed_hosts=["notes.example", "127.0.0.1"])
        ],
    )
    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/reset").text == f"{base}/reset"
        asked = client.get("/reset", headers={"Host": "notes.example"})
        assert asked.text == "http://notes.example/reset"
        poisoned = client.get("/reset", headers={"Host": "attacker.example"})
        assert (poisoned.status_code, poisoned.text) == (400, "Invalid host header")
