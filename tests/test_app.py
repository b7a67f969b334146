"""The application: lifespan, middleware, errors and limits, through the public API."""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, cast

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from aaf import aaf
from aaf._types import ASGIApp, Receive, ReceiveEvent, Scope, Send, SendEvent
from aaf.app import App
from aaf.connection import Connection
from aaf.exceptions import HTTPError, RequestValidationError
from aaf.params import Depends, Query
from aaf.response import HttpResponse, JsonResponse, StreamingResponse
from aaf.routing import Router
from aaf.staticfiles import StaticFiles
from aaf.testing import TestClient
from aaf.views import View

from ._helpers import Recorder, http_scope, run_with_connection, serve

router = Router()


class Pair(BaseModel):
    a: int
    b: int


class Aliased(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    first_name: str = Field(alias="firstName")
    note: str | None = None


class Shouted(str):
    """A str of another class: a -> str handler's value the encoder sends, not the app."""


class LargerPair(Pair):
    c: int


class AppError(Exception):
    pass


class SpecificError(AppError):
    pass


@router.route("/http-error/<kind>")
async def http_error(connection: Connection, kind: str) -> None:
    if kind == "text":
        raise HTTPError(403, "Go away", headers={"X-Reason": "test"})
    if kind == "json":
        raise HTTPError(409, {"conflict": ["a", "b"]})
    raise HTTPError(404)


@router.route("/boom")
async def boom(connection: Connection) -> None:
    raise RuntimeError("secret internals")


@router.route("/app-error/<kind>")
async def app_error(connection: Connection, kind: str) -> None:
    raise SpecificError(kind) if kind == "specific" else AppError(kind)


@router.route("/late-boom")
async def late_boom(connection: Connection) -> None:
    await connection.send("partial ")
    raise RuntimeError("after start")


@router.route("/stream-boom")
async def stream_boom(connection: Connection) -> StreamingResponse:
    async def parts() -> AsyncIterator[bytes]:
        yield b"first "
        raise RuntimeError("mid-stream")

    return StreamingResponse(parts())


@router.route("/upload", methods=["POST"])
async def upload(connection: Connection) -> dict[str, int]:
    return {"size": len(await connection.body())}


@router.route("/small", methods=["POST"], max_body_size=5)
async def small(connection: Connection) -> dict[str, int]:
    return {"size": len(await connection.body())}


@router.route("/number")
async def number(connection: Connection, n: int) -> int:
    return n


@router.route("/big", methods=["POST"])
async def big(connection: Connection) -> str:
    return "x" * 5000


async def on_app_error(connection: Connection, exc: AppError) -> HttpResponse:
    return HttpResponse(f"app error: {exc}", status_code=400)


async def on_specific(connection: Connection, exc: SpecificError) -> HttpResponse:
    return HttpResponse(f"specific: {exc}", status_code=418)


async def on_validation(connection: Connection, exc: RequestValidationError) -> HttpResponse:
    return JsonResponse({"errors": len(exc.errors)}, status_code=400)


def make_app(debug: bool = False, max_body_size: int | None = 100) -> App:
    return aaf(
        [router],
        exception_handlers={
            AppError: on_app_error,
            SpecificError: on_specific,
            RequestValidationError: on_validation,
        },
        max_body_size=max_body_size,
        debug=debug,
    )


@pytest.fixture()
def client() -> Iterator[TestClient]:
    """A client on the module's app, its lifespan running."""
    with TestClient(make_app()) as started:
        yield started


def test_http_error_with_text_detail_and_headers(client: TestClient) -> None:
    response = client.get("/http-error/text")
    assert response.status_code == 403
    assert response.text == "Go away"
    assert response.headers["x-reason"] == "test"


def test_http_error_with_json_detail(client: TestClient) -> None:
    response = client.get("/http-error/json")
    assert response.status_code == 409
    assert response.json() == {"conflict": ["a", "b"]}


def test_http_error_without_detail_sends_the_status_phrase(client: TestClient) -> None:
    assert client.get("/http-error/none").text == "Not Found"


def test_unhandled_exception_is_logged_and_answered_500_without_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="aaf"):
        response = TestClient(make_app(), raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert "secret internals" not in response.text
    record = next(r for r in caplog.records if r.name == "aaf")
    assert record.exc_info is not None and "secret internals" in str(record.exc_info[1])


def test_debug_mode_answers_500_with_the_traceback() -> None:
    response = TestClient(make_app(debug=True), raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert "RuntimeError: secret internals" in response.text
    assert "Traceback" in response.text


def test_most_specific_exception_handler_wins(client: TestClient) -> None:
    assert client.get("/app-error/general").text == "app error: general"
    specific = client.get("/app-error/specific")
    assert specific.status_code == 418
    assert specific.text == "specific: specific"


def test_exception_handler_can_replace_the_422_answer(client: TestClient) -> None:
    response = client.get("/number?n=abc")
    assert response.status_code == 400
    assert response.json() == {"errors": 1}


def test_exception_after_the_response_started_is_logged_and_reraised_to_the_server(
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    recorder = Recorder()
    with caplog.at_level(logging.ERROR, logger="aaf"), pytest.raises(RuntimeError, match="after"):
        asyncio.run(app(http_scope(path="/late-boom"), recorder.receive, recorder.send))
    # The body was never ended: the server aborts the connection, so the client sees a cut.
    assert [m["type"] for m in recorder.sent] == ["http.response.start", "http.response.body"]
    assert recorder.sent[-1].get("more_body") is True
    assert any("after start" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_exception_mid_stream_is_logged_and_reraised_to_the_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    recorder = Recorder()
    with caplog.at_level(logging.ERROR, logger="aaf"), pytest.raises(RuntimeError, match="mid"):
        asyncio.run(app(http_scope(path="/stream-boom"), recorder.receive, recorder.send))
    assert recorder.sent[-1].get("more_body") is True
    assert any("mid-stream" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_declared_body_over_the_limit_answers_413(client: TestClient) -> None:
    response = client.post("/upload", content=b"x" * 101)
    assert response.status_code == 413
    assert "100 bytes" in response.text
    assert client.post("/upload", content=b"x" * 100).json() == {"size": 100}


def test_route_limit_overrides_the_app_limit(client: TestClient) -> None:
    assert client.post("/small", content=b"x" * 6).status_code == 413
    assert client.post("/small", content=b"x" * 5).json() == {"size": 5}


def test_app_without_a_limit_reads_any_size() -> None:
    unlimited = TestClient(make_app(max_body_size=None))
    assert unlimited.post("/upload", content=b"x" * 10_000).json() == {"size": 10_000}


def test_non_numeric_content_length_answers_400() -> None:
    app = make_app()
    recorder = Recorder([b"abc"])
    scope = http_scope("POST", "/upload", headers=[(b"content-length", b"three")])
    asyncio.run(app(scope, recorder.receive, recorder.send))
    start = recorder.sent[0]
    assert start["type"] == "http.response.start" and start["status"] == 400


# Lifespan --------------------------------------------------------------------------------------
async def drive_lifespan(app: App) -> list[SendEvent]:
    inbox: list[ReceiveEvent] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[SendEvent] = []

    async def receive() -> ReceiveEvent:
        return inbox.pop(0)

    async def send(message: SendEvent) -> None:
        sent.append(message)

    await asyncio.wait_for(
        app({"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.4"}}, receive, send),
        5,
    )
    return sent


def test_startup_failure_is_reported_with_its_message() -> None:
    def fail() -> None:
        raise ValueError("no database")

    sent = asyncio.run(drive_lifespan(aaf([router], on_startup=[fail])))
    assert sent == [{"type": "lifespan.startup.failed", "message": "ValueError: no database"}]


def test_lifespan_context_and_hooks_run_in_order() -> None:
    events: list[str] = []

    async def async_hook() -> None:
        events.append("async startup")

    @asynccontextmanager
    async def lifespan(app: App) -> AsyncGenerator[None]:
        events.append("enter")
        app.state["pool"] = "ready"
        yield
        events.append("exit")

    app = aaf(
        [router],
        on_startup=[lambda: events.append("sync startup"), async_hook],
        on_shutdown=[lambda: events.append("shutdown")],
        lifespan=lifespan,
    )
    sent = asyncio.run(drive_lifespan(app))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == ["sync startup", "async startup", "enter", "exit", "shutdown"]
    assert app.state == {"pool": "ready"}


def test_a_mapping_the_lifespan_yields_goes_into_app_state_over_uvicorn() -> None:
    # Starlette's and FastAPI's lifespan state: `yield {"client": ...}`; it was dropped.
    shared = Router()

    @shared.get("/greeting")
    async def greeting(connection: Connection) -> str:
        return str(connection.app.state["greeting"])

    @asynccontextmanager
    async def lifespan(app: App) -> AsyncGenerator[dict[str, str]]:
        yield {"greeting": "hello"}

    with serve(aaf([shared], lifespan=lifespan)) as base:
        assert httpx.get(base + "/greeting", timeout=5).text == "hello"


def test_a_lifespan_yielding_something_else_fails_start_up_saying_so() -> None:
    @asynccontextmanager
    async def lifespan(app: App) -> AsyncGenerator[object]:
        yield 42

    app = aaf([router], lifespan=lifespan)  # type: ignore[arg-type]  # what is checked here
    sent = asyncio.run(drive_lifespan(app))
    assert sent == [
        {
            "type": "lifespan.startup.failed",
            "message": "TypeError: The lifespan yielded 42: yield nothing, or a mapping of "
            "names to objects for app.state",
        }
    ]


def test_a_lifespan_not_made_a_context_manager_is_refused_when_the_app_is_made() -> None:
    # Starlette's deprecated spelling: the generator function itself, undecorated. Taken,
    # start-up failed later with "'async_generator' object has no attribute '__aenter__'".
    async def lifespan(app: App) -> AsyncIterator[None]:
        yield

    with pytest.raises(TypeError, match=r"lifespan=.*lifespan is a generator function: deco"):
        aaf([router], lifespan=lifespan)  # type: ignore[arg-type]  # what is checked here


def test_shutdown_failure_is_reported() -> None:
    def fail() -> None:
        raise RuntimeError("flush failed")

    sent = asyncio.run(drive_lifespan(aaf([router], on_shutdown=[fail])))
    assert sent[-1] == {"type": "lifespan.shutdown.failed", "message": "RuntimeError: flush failed"}


def test_handlers_added_after_the_app_is_made_answer_as_given_ones() -> None:
    # Starlette's add_exception_handler and FastAPI's @app.exception_handler decorator.
    app = aaf([router])

    @app.exception_handler(SpecificError)
    async def specific(connection: Connection, exc: SpecificError) -> HttpResponse:
        return HttpResponse(f"added: {exc}", status_code=418)

    async def not_found(connection: Connection, exc: HTTPError) -> HttpResponse:
        return HttpResponse(f"nothing at {connection.path}", status_code=404)

    app.add_exception_handler(404, not_found)
    assert specific.__name__ == "specific"  # the decorator gives the function back
    with TestClient(app) as c:
        answer = c.get("/app-error/specific")
        assert (answer.status_code, answer.text) == (418, "added: specific")
        assert c.get("/nowhere").text == "nothing at /nowhere"

    def synchronous(connection: Connection, exc: AppError) -> HttpResponse:
        return HttpResponse("never")

    with pytest.raises(TypeError, match="must be an async function"):
        app.add_exception_handler(AppError, synchronous)  # type: ignore[arg-type]  # refused


def test_include_router_serves_its_routes_after_the_apps_own() -> None:
    # FastAPI's app.include_router(router, prefix=...): the document shows them too.
    items = Router()

    @items.get("/items/<int:item_id>")
    async def read_item(connection: Connection, item_id: int) -> dict[str, int]:
        return {"id": item_id}

    shadowed = Router()

    # Left out of the document: two routes for one operation would be an error there.
    @shadowed.get("/number", include_in_schema=False)
    async def shadowed_number(connection: Connection) -> str:
        return "never"

    app = aaf([router])
    assert "/v1/items/{item_id}" not in app.openapi()["paths"]  # type: ignore[operator]  # JSON
    app.include_router(items, prefix="/v1")
    app.include_router(shadowed)
    with TestClient(app) as c:
        assert c.get("/v1/items/3").json() == {"id": 3}
        assert c.get("/number?n=2").json() == 2  # the app's own router answers first
        assert "/v1/items/{item_id}" in c.get("/openapi.json").json()["paths"]
        with pytest.raises(RuntimeError, match="after the app has started"):
            app.include_router(Router())


def test_the_first_router_answers_first_as_routers_are_included_and_routes_added() -> None:
    # App.__call__ looks up its first router's static paths itself (a PERF path): included
    # first, a router's own /docs wins over the API document's; a route added after a
    # request is served, the earlier ones still.
    own = Router()

    @own.get("/docs")
    async def docs(connection: Connection) -> HttpResponse:
        return HttpResponse("mine")

    app = aaf([])
    client = TestClient(app)
    assert "swagger" in client.get("/docs").text.lower()
    app.include_router(own)
    assert client.get("/docs").text == "mine"

    @own.get("/later")
    async def later(connection: Connection) -> HttpResponse:
        return HttpResponse("added")

    assert client.get("/later").text == "added"
    assert client.get("/docs").text == "mine"
    assert client.post("/docs").status_code == 405


def test_mount_hands_a_prefix_to_another_app(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hello")
    app = aaf([router])
    app.mount("/static", StaticFiles(tmp_path))
    with TestClient(app) as c:
        assert c.get("/static/hello.txt").text == "hello"
        assert c.get("/number?n=1").json() == 1


def test_routes_on_the_app_itself_as_fastapi_writes_them() -> None:
    app = aaf([router])
    assert app.router is app.router  # one, made on first use

    @app.get("/")
    async def root(connection: Connection) -> dict[str, str]:
        return {"message": "Hello World"}

    @app.post("/echo", status_code=201)
    async def echo(connection: Connection, text: str) -> str:
        return text

    @app.websocket("/ws")
    async def socket(connection: Connection) -> None:
        await connection.accept()
        await connection.send_text("hi")
        await connection.close()

    @app.put("/things/<int:thing_id>")
    async def put_thing(connection: Connection, thing_id: int) -> str:
        return f"put {thing_id}"

    @app.patch("/things/<int:thing_id>")
    async def patch_thing(connection: Connection, thing_id: int) -> str:
        return f"patch {thing_id}"

    @app.delete("/things/<int:thing_id>", status_code=204)
    async def delete_thing(connection: Connection, thing_id: int) -> None:
        return None

    @app.route("/either", methods=["GET", "POST"])
    async def either(connection: Connection) -> str:
        return connection.method

    with TestClient(app) as c:
        assert c.put("/things/3").text == "put 3"
        assert c.patch("/things/3").text == "patch 3"
        assert c.delete("/things/3").status_code == 204
        assert (c.get("/either").text, c.post("/either").text) == ("GET", "POST")
        assert c.get("/").json() == {"message": "Hello World"}
        answer = c.post("/echo?text=back")
        assert (answer.status_code, answer.text) == (201, "back")
        assert c.get("/number?n=4").json() == 4  # the routers given to the app still answer
        with c.websocket_connect("/ws") as ws:
            assert ws.receive_text() == "hi"
        assert "/" in c.get("/openapi.json").json()["paths"]
    assert app.url_for(root) == "/" and app.url_for(echo, text="x") == "/echo?text=x"


# Middleware ------------------------------------------------------------------------------------
class Tag:
    """A pure-ASGI middleware that adds a header naming itself, to show the order."""

    def __init__(self, app: ASGIApp, name: str = "tag") -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagged(message: SendEvent) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-order", self.name.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, tagged)


def test_middleware_runs_outermost_first() -> None:
    app = aaf(
        [router],
        middleware=[functools.partial(Tag, name="outer"), functools.partial(Tag, name="inner")],
    )
    response = TestClient(app).get("/http-error/text")
    assert response.headers.get_list("x-order") == ["inner", "outer"]


def test_middleware_wraps_a_subclass_of_the_app_and_its_own_call() -> None:
    served: list[str] = []

    class Counting(App):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            served.append(scope["type"])
            await super().__call__(scope, receive, send)

    app = Counting([router], middleware=[functools.partial(Tag, name="outer")])
    other = Counting([router], middleware=[functools.partial(Tag, name="again")])
    assert isinstance(app, Counting)
    assert type(app) is type(other)  # one subclass per class
    response = TestClient(app).get("/http-error/text")
    assert response.headers.get_list("x-order") == ["outer"]
    assert served == ["http"]  # the subclass's own __call__ ran, inside the middleware
    plain = TestClient(Counting([router])).get("/http-error/text")
    assert "x-order" not in plain.headers
    assert served == ["http", "http"]
    # The class of an app with middleware builds apps too, with middleware or without.
    again = type(app)([router], middleware=[functools.partial(Tag, name="again")])
    assert TestClient(again).get("/http-error/text").headers.get_list("x-order") == ["again"]
    alone = type(app)([router])
    assert type(alone) is Counting
    assert "x-order" not in TestClient(alone).get("/http-error/text").headers


def test_third_party_middleware_from_starlette() -> None:
    app = aaf(
        [router],
        middleware=[
            # Starlette types its scopes as MutableMapping[str, Any], not aaf's TypedDicts.
            functools.partial(CORSMiddleware, allow_origins=["https://a.example"]),
            functools.partial(GZipMiddleware, minimum_size=100),
        ],
    )
    with TestClient(app) as c:
        response = c.post(
            "/big", headers={"Accept-Encoding": "gzip", "Origin": "https://a.example"}
        )
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["access-control-allow-origin"] == "https://a.example"
        assert response.text == "x" * 5000


def test_add_middleware_wraps_outside_what_the_app_has_until_it_starts() -> None:
    # Starlette's app.add_middleware(Cls, **options): the last added is the outermost.
    app = aaf([router], middleware=[functools.partial(Tag, name="given")])
    app.add_middleware(Tag, name="added first")
    app.add_middleware(Tag, name="added last")
    app.add_middleware(CORSMiddleware, allow_origins=["https://a.example"])
    with TestClient(app) as c:
        response = c.get("/http-error/text", headers={"Origin": "https://a.example"})
        assert response.headers.get_list("x-order") == ["given", "added first", "added last"]
        assert response.headers["access-control-allow-origin"] == "https://a.example"
        with pytest.raises(RuntimeError, match="after the app has started"):
            app.add_middleware(Tag, name="too late")
    plain = aaf([router])
    plain.add_middleware(Tag)  # an app made without middleware takes it too
    assert TestClient(plain).get("/http-error/text").headers.get_list("x-order") == ["tag"]
    with pytest.raises(TypeError, match="not an ASGI app"):
        plain.add_middleware(lambda app: 42)


class AppendsInPlace(Tag):
    """Adds its header to the list the message holds, as some middleware does."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagged(message: SendEvent) -> None:
            if message["type"] == "http.response.start":
                headers = cast(list[tuple[bytes, bytes]], message.get("headers"))
                headers.append((b"x-order", b"in"))
            await send(message)

        await self.app(scope, receive, tagged)


def test_a_404_is_answered_afresh_each_time_under_middleware_that_adds_headers() -> None:
    # A 404 goes out without a Connection; a header list shared between responses would grow
    # with each one under middleware that adds to it.
    app = aaf([router], middleware=[AppendsInPlace])
    with TestClient(app) as c:
        for _ in range(3):
            response = c.get("/nowhere")
            assert response.status_code == 404
            assert response.text == "Not found"
            assert response.headers.get_list("x-order") == ["in"]
            assert response.headers.get_list("content-length") == ["9"]
        head = c.head("/nowhere")
        assert head.status_code == 404
        assert head.content == b""
        assert head.headers["content-length"] == "9"


def test_mounted_app_that_never_answers_gets_500_and_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    mounting = Router()
    mounting.mount("/silent", silent)
    with caplog.at_level(logging.ERROR, logger="aaf"):
        response = TestClient(aaf([mounting]), raise_server_exceptions=False).get("/silent/x")
    assert response.status_code == 500
    assert any(
        "returned without answering" in str(r.exc_info[1]) for r in caplog.records if r.exc_info
    )


def test_handler_that_leaves_its_response_unfinished_is_ended_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unfinished = Router()

    @unfinished.route("/half")
    async def half(connection: Connection) -> None:
        await connection.send("started ")

    with caplog.at_level(logging.WARNING, logger="aaf"):
        response = TestClient(aaf([unfinished])).get("/half")
    assert response.status_code == 200 and response.text == "started "
    assert any(
        "half" in r.getMessage() and "not finished" in r.getMessage() for r in caplog.records
    )


def test_a_stream_ended_because_its_client_left_is_finished_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Starlette's loop, `while not await request.is_disconnected()`, returns once the client
    # has gone: nothing is left to finish, and nothing was forgotten.
    streaming = Router()
    stopped: list[bool] = []

    @streaming.route("/ticks")
    async def ticks(connection: Connection) -> None:
        await connection.start_resp()
        stopped.append(connection.should_stop)
        while not await connection.is_disconnected():
            await connection.send("tick ")
            await asyncio.sleep(0.01)
        stopped.append(connection.should_stop)

    with caplog.at_level(logging.DEBUG, logger="aaf"):
        with TestClient(aaf([streaming])).stream("GET", "/ticks") as response:
            assert next(response.iter_text()).startswith("tick")
        # Leaving the stream waited for the handler's return.
    assert stopped == [False, True]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


class Broken(Exception):
    pass


class Refused(Exception):
    pass


def failing_routes() -> Router:
    """Routes raising what the tests' exception handlers take."""
    failing = Router()

    @failing.route("/broken")
    async def broken(connection: Connection) -> None:
        raise Broken

    @failing.route("/refused")
    async def refused(connection: Connection) -> None:
        raise Refused

    @failing.route("/missing")
    async def missing(connection: Connection) -> None:
        raise HTTPError(404, "No such thing")

    return failing


async def bad_handler(connection: Connection, exc: Exception) -> HttpResponse:
    raise KeyError("handler bug")


def test_failing_exception_handler_is_logged_and_answered_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = failing_routes()

    async def refusing_handler(connection: Connection, exc: Refused) -> HttpResponse:
        raise HTTPError(451, "Unavailable here")

    app = aaf([failing], exception_handlers={Broken: bad_handler, Refused: refusing_handler})
    with caplog.at_level(logging.ERROR, logger="aaf"):
        client = TestClient(app, raise_server_exceptions=False)
        assert client.get("/broken").status_code == 500
        refused_response = client.get("/refused")
    assert refused_response.status_code == 451 and refused_response.text == "Unavailable here"
    assert any("Exception handler for Broken failed" in r.getMessage() for r in caplog.records)


def test_what_a_failing_exception_handler_raises_is_the_apps_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As Starlette's ServerErrorMiddleware answers what its exception handlers raise: an app
    # that makes every error JSON keeps doing so when one of its handlers fails.
    failing = failing_routes()

    async def server_error(connection: Connection, exc: Exception) -> HttpResponse:
        return JsonResponse({"error": type(exc).__name__}, status_code=500)

    async def failing_server_error(connection: Connection, exc: Exception) -> HttpResponse:
        raise ValueError("the 500 handler's own bug")

    app = aaf(
        [failing], exception_handlers={Broken: bad_handler, 404: bad_handler, 500: server_error}
    )
    with caplog.at_level(logging.ERROR, logger="aaf"):
        client = TestClient(app, raise_server_exceptions=False)
        for path in ("/broken", "/missing", "/nowhere"):
            response = client.get(path)
            assert (response.status_code, response.json()) == (500, {"error": "KeyError"})
    assert any("Exception handler for Broken failed" in r.getMessage() for r in caplog.records)
    with pytest.raises(KeyError, match="handler bug"):  # and raised in a test, as ever
        TestClient(app).get("/broken")
    # The server error's own handler failing: the plain 500, logged.
    app = aaf([failing], exception_handlers={Broken: bad_handler, Exception: failing_server_error})
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="aaf"):
        response = TestClient(app, raise_server_exceptions=False).get("/broken")
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    assert any("Exception handler for KeyError failed" in r.getMessage() for r in caplog.records)


def test_router_called_on_its_own_answers_http_errors() -> None:
    standalone = Router()

    @standalone.route("/teapot")
    async def teapot(connection: Connection) -> None:
        raise HTTPError(418, "I'm a teapot")

    async def body(connection: Connection) -> None:
        await standalone(connection)

    sent = run_with_connection(body, http_scope(path="/teapot"))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 418


def test_the_test_client_raises_what_the_app_answered_with_a_500() -> None:
    with pytest.raises(RuntimeError, match="secret internals"):
        TestClient(make_app()).get("/boom")


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="CPython's allocator")
def test_the_apps_coroutine_fits_the_small_object_allocator() -> None:
    # Each request makes one coroutine of App.__call__, whose size grows with the method's
    # local names: past 512 bytes CPython takes it from malloc rather than its own pools,
    # 170 to 300 instructions a request more (benchmarks/instructions.py, plaintext). At
    # 2026-12-04: 512 bytes on Python 3.11, 504 on 3.12 and 3.13.
    async def receive() -> ReceiveEvent:
        raise AssertionError("never awaited")

    async def send(event: SendEvent) -> None:
        raise AssertionError("never awaited")

    coroutine = aaf([])(http_scope("GET", "/"), receive, send)
    try:
        assert sys.getsizeof(coroutine) <= 512
    finally:
        coroutine.close()


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_apps_connection_is_made_as_connection_init_makes_one(method: str) -> None:
    # App.__call__ sets Connection.__init__'s attributes itself (a PERF path): the same
    # names, in the same order (the instances' shared key layout), with the same values.
    seen: list[dict[str, object]] = []
    kinds: list[type[Connection]] = []
    own = Router()

    @own.route("/seen", methods=["GET", "HEAD"])
    async def record(connection: Connection) -> None:
        seen.append(dict(vars(connection)))
        kinds.append(type(connection))

    app = aaf([own])
    scope = http_scope(method, "/seen")

    async def receive() -> ReceiveEvent:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(event: SendEvent) -> None:
        pass

    asyncio.run(app(scope, receive, send))
    made = dict(vars(Connection(scope, receive, send, app)))
    assert len(seen) == 1
    got = seen[0]
    assert list(got) == [*made, "max_body_size"]  # the route's limit, set after
    del got["max_body_size"]
    assert got == made
    assert got["_head"] is (method == "HEAD")
    # Made without Connection.__init__, yet a Connection by every check a user makes.
    (kind,) = kinds
    assert issubclass(kind, Connection)
    assert repr(kind) == "<class 'aaf.connection.Connection'>"


def test_a_connection_reads_its_routes_body_limit_else_its_apps() -> None:
    own = Router()
    limits: list[int | None] = []

    @own.post("/own", max_body_size=5)
    @own.post("/apps")
    async def limit(connection: Connection) -> str:
        limits.append(connection.max_body_size)
        return (await connection.body()).decode()

    client = TestClient(aaf([own], max_body_size=8))
    assert client.post("/own", content=b"12345").text == "12345"
    assert client.post("/own", content=b"123456").status_code == 413
    assert client.post("/apps", content=b"12345678").text == "12345678"
    assert client.post("/apps", content=b"123456789").status_code == 413
    assert limits == [5, 5, 8, 8]
    # Made by hand, a connection has no app: no limit until one is set.
    connection = Recorder().connection()
    assert connection.max_body_size is None
    connection.max_body_size = 3
    assert connection.max_body_size == 3


def _awaited_directly_or_by_the_runner() -> tuple[App, Router, list[str]]:
    """Handlers the app awaits itself (App.__call__'s PERF path), each as a test of what
    their runner sends too; ``done`` records background work."""
    own = Router()
    done: list[str] = []

    @own.route("/plain", methods=["GET", "HEAD", "POST"])
    async def plain(connection: Connection) -> HttpResponse:
        return HttpResponse("plain")

    @own.get("/typed")
    async def typed(connection: Connection) -> HttpResponse:
        return HttpResponse(b"<p>", headers={"content-type": "text/html"}, status_code=201)

    @own.get("/header")
    async def header(connection: Connection) -> HttpResponse:
        connection.put_resp_header("x-set", "on the connection")
        return HttpResponse("merged")

    @own.get("/cookie")
    async def cookie(connection: Connection) -> HttpResponse:
        connection.put_resp_cookie("session", "abc")
        return HttpResponse("with a cookie")

    @own.get("/empty")
    async def empty(connection: Connection) -> HttpResponse:
        return HttpResponse(status_code=304)

    @own.get("/large")
    async def large(connection: Connection) -> HttpResponse:
        return HttpResponse(b"x" * 5000)  # past the Content-Length headers made once

    @own.get("/no-content")
    async def no_content(connection: Connection) -> HttpResponse:
        return HttpResponse(b"dropped", status_code=204)

    @own.get("/bad-status")
    async def bad_status(connection: Connection) -> HttpResponse:
        return HttpResponse("never sent", status_code=99)

    @own.get("/json")
    async def as_json(connection: Connection) -> JsonResponse:
        return JsonResponse({"a": 1}, status_code=202)

    @own.get("/stream")
    async def stream(connection: Connection) -> StreamingResponse:
        return StreamingResponse([b"a", b"b"])

    @own.get("/value")
    async def value(connection: Connection) -> dict[str, int]:
        return {"n": 1}

    @own.get("/nothing")
    async def nothing(connection: Connection) -> None:
        return None

    @own.get("/number/<int:n>")
    async def number(connection: Connection, n: int) -> int:
        return n * 2

    @own.get("/later")
    async def later(connection: Connection) -> HttpResponse:
        return HttpResponse("now", background=lambda: done.append("after"))

    @own.get("/connection-later")
    async def connection_later(connection: Connection) -> HttpResponse:
        connection.add_background(done.append, "after")
        return HttpResponse("now")

    @own.get("/answered")
    async def answered(connection: Connection) -> HttpResponse:
        await connection.send("itself", finish=True)
        return HttpResponse("twice")

    @own.get("/status")
    async def status(connection: Connection) -> str:
        connection.resp_status_code = 203
        return "set"

    # With one path value, taken by position after the connection.
    @own.get("/header/<int:n>")
    async def header_value(connection: Connection, n: int) -> dict[str, int]:
        connection.put_resp_header("x-set", "on the connection")
        return {"n": n}

    @own.get("/status/<int:n>")
    async def status_value(connection: Connection, n: int) -> int:
        connection.resp_status_code = 203
        return n

    @own.get("/nothing/<int:n>")
    async def nothing_value(connection: Connection, n: int) -> None:
        return None

    @own.get("/wrong/<int:n>")
    async def wrong(connection: Connection, n: int) -> dict[str, int]:
        return cast("dict[str, int]", {"n": "not a number"})  # a 500, logged

    @own.get("/lying/<int:n>")
    async def lying(connection: Connection, n: int) -> dict[str, int]:
        # A response where the annotation says data: sent as it is, as its runner sends it.
        return cast("dict[str, int]", HttpResponse(f"{n} as text", status_code=202))

    @own.get("/stream/<int:n>")
    async def stream_value(connection: Connection, n: int) -> StreamingResponse:
        return StreamingResponse([b"a"] * n)

    @own.get("/later/<int:n>")
    async def later_value(connection: Connection, n: int) -> HttpResponse:
        return HttpResponse(str(n), background=lambda: done.append("after"))

    @own.get("/answered/<int:n>")
    async def answered_value(connection: Connection, n: int) -> int:
        await connection.send("itself", finish=True)
        return n

    @own.get("/model/<int:n>", status_code=201)
    async def model(connection: Connection, n: int) -> Pair:
        return Pair(a=n, b=n + 1)

    @own.get("/no-content/<int:n>", status_code=204)
    async def no_content_value(connection: Connection, n: int) -> None:
        return None

    # Each way the app encodes a returned value itself (EncoderParts): plain data validated
    # then dumped, by alias where it may hold a model; a model's instance, another value
    # validated into it; a value that may go out as text.
    @own.get("/aliased/<int:n>")
    async def aliased(connection: Connection, n: int) -> dict[str, object]:
        return {"n": n, "person": Aliased(firstName="Ada")}

    @own.get("/aliased-wrong/<int:n>")
    async def aliased_wrong(connection: Connection, n: int) -> dict[str, object]:
        return cast("dict[str, object]", [n])  # a 500, logged

    @own.get("/filtered/<int:n>")
    async def filtered(connection: Connection, n: int) -> Pair:
        return cast("Pair", {"a": n, "b": 1, "password": "never sent"})

    @own.get("/larger/<int:n>")
    async def larger(connection: Connection, n: int) -> Pair:
        return LargerPair(a=n, b=1, c=2)  # sent as the declared model

    @own.get("/filtered-wrong/<int:n>")
    async def filtered_wrong(connection: Connection, n: int) -> Pair:
        return cast("Pair", {"a": "not a number"})  # a 500, logged

    @own.get("/person/<int:n>", exclude_none=True)
    async def person(connection: Connection, n: int) -> Aliased:
        return Aliased(firstName="Ada" * n)

    @own.get("/text-or-value/<int:n>")
    async def text_or_value(connection: Connection, n: int) -> str | dict[str, int]:
        return "text" if n % 2 else {"n": n}

    # Text, a -> str handler's (EncoderParts kind 4): encoded by the app when it is a str,
    # by the encoder otherwise (a subclass, a value of another type, headers set).
    @own.get("/text")
    async def text(connection: Connection) -> str:
        return "Hello, World!"

    @own.get("/text/<int:n>")
    async def text_value(connection: Connection, n: int) -> str | None:
        return None if n == 0 else "é" * n  # past the Content-Length headers made once

    @own.get("/text-subclass")
    async def text_subclass(connection: Connection) -> str:
        return Shouted("quiet")

    @own.get("/text-wrong")
    async def text_wrong(connection: Connection) -> str:
        return cast("str", b"bytes")  # a 500, logged

    @own.get("/text-surrogate")
    async def text_surrogate(connection: Connection) -> str:
        return "\ud800"  # no UTF-8 for it: a 500, logged

    @own.get("/text-header")
    async def text_header(connection: Connection) -> str:
        connection.put_resp_header("x-set", "on the connection")
        return "merged"

    @own.get("/text-created", status_code=201)
    async def text_created(connection: Connection) -> str:
        return "made"

    # Taken otherwise: by the runner, whose answers the app's must match all the same.
    @own.get("/pair/<int:a>/<int:b>")
    async def pair(connection: Connection, a: int, b: int) -> Pair:
        return Pair(a=a, b=b)

    @own.get("/keyword/<int:n>")
    async def keyword(connection: Connection, *, n: int) -> int:
        return n

    # Views: a new instance a request.
    @own.route("/view")
    class Counted(View):
        count = 0

        async def get(self, connection: Connection) -> int:
            self.count += 1
            return self.count

        async def post(self, connection: Connection) -> HttpResponse:
            return HttpResponse("posted", status_code=201)

    @own.route("/view/<int:n>")
    class Numbered(View):
        async def get(self, connection: Connection, n: int) -> Pair:
            return Pair(a=n, b=type(self).__name__.count("N"))

        async def delete(self, connection: Connection, n: int) -> None:
            return None

    @own.route("/before/<int:n>")
    class Before(View):
        async def before(self, connection: Connection) -> HttpResponse | None:
            connection.put_resp_header("x-before", "ran")
            return None

        async def get(self, connection: Connection, n: int) -> int:
            return n

    # Arguments extracted: from the query, a body, both; a list body freed gradually.
    @own.get("/search")
    async def search(connection: Connection, q: str, limit: int = 20) -> dict[str, object]:
        return {"q": q, "limit": limit}

    @own.post("/pairs")
    async def create(connection: Connection, pair: Pair) -> Pair:
        return pair

    @own.post("/pairs/<int:n>")
    async def create_many(connection: Connection, n: int, pairs: list[Pair]) -> list[Pair]:
        return pairs[:n]

    @own.route("/found/<int:n>")
    class Found(View):
        async def get(self, connection: Connection, n: int, q: str) -> dict[str, object]:
            return {"n": n, "q": q}

        async def post(self, connection: Connection, n: int, pair: Pair) -> HttpResponse:
            return HttpResponse(str(n * (pair.a + pair.b)), status_code=201)

    # Providers, coroutine functions that read no body: the app awaits them too.
    async def settings() -> dict[str, int]:
        return {"scale": 10}

    async def scaled(connection: Connection, conf: dict[str, int] = Depends(settings)) -> int:
        connection.put_resp_header("x-scaled", "yes")
        return conf["scale"]

    async def page(size: Annotated[int, Query(ge=1)] = 5) -> int:
        return size

    async def noted() -> None:
        done.append("noted")

    async def refused(connection: Connection) -> None:
        raise HTTPError(403, "No entry")

    @own.get("/deps/<int:n>")
    async def deps(
        connection: Connection,
        n: int,
        conf: dict[str, int] = Depends(settings),
        factor: int = Depends(scaled),
    ) -> dict[str, int]:
        return {"n": n * factor, "scale": conf["scale"]}

    @own.get("/deps-query", dependencies=[Depends(noted)])
    async def deps_query(
        connection: Connection, q: str, size: int = Depends(page)
    ) -> dict[str, object]:
        return {"q": q, "size": size}

    @own.get("/deps-refused", dependencies=[Depends(refused)])
    async def deps_refused(connection: Connection) -> str:
        return "never"

    @own.route("/deps-view/<int:n>")
    class WithProviders(View):
        async def get(self, connection: Connection, n: int, factor: int = Depends(scaled)) -> int:
            return n * factor

    @own.route("/deps-attribute/<int:n>")
    class WithAttribute(View):
        factor: int = Depends(scaled)

        async def get(self, connection: Connection, n: int) -> int:
            return n * self.factor

    return aaf([own]), own, done


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/plain"),
        ("HEAD", "/plain"),
        ("POST", "/plain"),
        ("OPTIONS", "/plain"),
        ("GET", "/typed"),
        ("GET", "/header"),
        ("GET", "/cookie"),
        ("GET", "/empty"),
        ("GET", "/large"),
        ("HEAD", "/large"),
        ("GET", "/no-content"),
        ("GET", "/bad-status"),
        ("GET", "/json"),
        ("GET", "/stream"),
        ("GET", "/value"),
        ("HEAD", "/value"),
        ("GET", "/nothing"),
        ("GET", "/number/21"),
        ("GET", "/later"),
        ("GET", "/connection-later"),
        ("GET", "/answered"),
        ("GET", "/status"),
        ("GET", "/header/3"),
        ("HEAD", "/header/3"),
        ("GET", "/status/3"),
        ("GET", "/nothing/3"),
        ("GET", "/wrong/3"),
        ("GET", "/lying/3"),
        ("GET", "/stream/3"),
        ("GET", "/later/3"),
        ("GET", "/answered/3"),
        ("GET", "/model/3"),
        ("HEAD", "/model/3"),
        ("GET", "/no-content/3"),
        ("GET", "/aliased/3"),
        ("GET", "/aliased-wrong/3"),
        ("GET", "/filtered/3"),
        ("HEAD", "/filtered/3"),
        ("GET", "/larger/3"),
        ("GET", "/filtered-wrong/3"),
        ("GET", "/person/2"),
        ("GET", "/text-or-value/3"),
        ("GET", "/text-or-value/4"),
        ("GET", "/text"),
        ("HEAD", "/text"),
        ("GET", "/text/3"),
        ("GET", "/text/5000"),
        ("HEAD", "/text/5000"),
        ("GET", "/text/0"),
        ("GET", "/text-subclass"),
        ("GET", "/text-wrong"),
        ("GET", "/text-surrogate"),
        ("GET", "/text-header"),
        ("GET", "/text-created"),
        ("GET", "/pair/3/4"),
        ("GET", "/keyword/3"),
        ("GET", "/view"),
        ("HEAD", "/view"),
        ("POST", "/view"),
        ("OPTIONS", "/view"),
        ("GET", "/view/3"),
        ("DELETE", "/view/3"),
        ("GET", "/before/3"),
        ("GET", "/search?q=lamp"),
        ("GET", "/search?q=lamp&limit=3&limit=4"),
        ("GET", "/search?limit=x"),
        ("HEAD", "/search?q=lamp"),
        ("POST", "/pairs"),
        ("POST", "/pairs?wrong"),
        ("POST", "/pairs?empty"),
        ("POST", "/pairs?bom"),
        ("POST", "/pairs?text"),
        ("POST", "/pairs/1"),
        ("GET", "/found/3?q=lamp"),
        ("GET", "/found/3"),
        ("POST", "/found/3"),
        ("GET", "/deps/3"),
        ("HEAD", "/deps/3"),
        ("GET", "/deps-query?q=lamp"),
        ("GET", "/deps-query?q=lamp&size=2"),
        ("GET", "/deps-query?q=lamp&size=0"),
        ("GET", "/deps-refused"),
        ("GET", "/deps-view/3"),
        ("GET", "/deps-attribute/3"),
    ],
)
def test_a_handler_the_app_awaits_itself_answers_as_its_runner_does(method: str, path: str) -> None:
    # App.__call__ awaits a handler with nothing to extract itself, and sends a whole
    # response from its own frame (a PERF path): what goes out must be what the handler's
    # runner sends, reached here through the router called on a connection.
    def answer(through_the_app: bool) -> tuple[list[SendEvent], list[str]]:
        app, own, done = _awaited_directly_or_by_the_runner()
        sent: list[SendEvent] = []

        async def send(event: SendEvent) -> None:
            sent.append(event)
            if event["type"] == "http.response.body" and not event.get("more_body"):
                done.append("body sent")

        received = False
        bodies = {
            "/pairs": b'{"a": 1, "b": 2}',
            "/pairs?wrong": b'{"a": "x", "b": 2}',
            "/pairs?bom": b'\xef\xbb\xbf{"a": 1, "b": 2}',
            "/pairs?text": b'{"a": 1, "b": 2}',
            "/pairs/1": b'[{"a": 1, "b": 2}, {"a": 3, "b": 4}]',
            "/found/3": b'{"a": 1, "b": 2}' if method == "POST" else b"",
        }
        sent_body = bodies.get(path, b"")

        async def receive() -> ReceiveEvent:  # the body, then nothing until the end
            nonlocal received
            if received:
                await asyncio.Event().wait()
            received = True
            return {"type": "http.request", "body": sent_body, "more_body": False}

        target, _, query = path.partition("?")
        kind = b"text/plain" if path.endswith("?text") else b"application/json"
        typed = [(b"content-type", kind)] if sent_body else []
        scope = http_scope(method, target, query.encode(), typed)
        if through_the_app:
            asyncio.run(app(scope, receive, send))
        else:
            asyncio.run(own(Connection(scope, receive, send, app)))
        return sent, done

    direct, runner = answer(True), answer(False)
    assert direct == runner
    start = direct[0][0]
    assert start["type"] == "http.response.start"
    failing = path in (
        "/bad-status",
        "/wrong/3",
        "/aliased-wrong/3",
        "/filtered-wrong/3",
        "/text-wrong",
        "/text-surrogate",
    )
    invalid = path in ("/search?limit=x", "/found/3", "/deps-query?q=lamp&size=0")
    invalid = invalid and method == "GET"
    assert start["status"] == (500 if failing else 422 if invalid else start["status"])
    refused = {"/pairs?wrong": 422, "/pairs?empty": 422, "/pairs?text": 415}
    assert start["status"] == refused.get(path, start["status"])
    assert start["status"] < 400 or failing or invalid or path in refused or path == "/deps-refused"
    if path.startswith("/deps-query"):  # a side effect's provider, unless the input failed
        assert ("noted" in direct[1]) is (not invalid)
    if "later" in path:
        assert direct[1] == ["body sent", "after"]
    body = b"".join(e.get("body", b"") for e in direct[0] if e["type"] == "http.response.body")
    expected = {
        ("GET", "/view"): b"1",  # a new instance: its count starts again
        ("GET", "/view/3"): b'{"a":3,"b":1}',
        ("GET", "/model/3"): b'{"a":3,"b":4}',
        ("HEAD", "/model/3"): b"",
        ("GET", "/header/3"): b'{"n":3}',
        ("GET", "/aliased/3"): b'{"n":3,"person":{"firstName":"Ada","note":null}}',
        ("GET", "/filtered/3"): b'{"a":3,"b":1}',
        ("HEAD", "/filtered/3"): b"",
        ("GET", "/larger/3"): b'{"a":3,"b":1}',
        ("GET", "/person/2"): b'{"firstName":"AdaAda"}',
        ("GET", "/text-or-value/3"): b"text",
        ("GET", "/text-or-value/4"): b'{"n":4}',
        ("GET", "/text"): b"Hello, World!",
        ("HEAD", "/text"): b"",
        ("GET", "/text/3"): "ééé".encode(),
        ("GET", "/text/5000"): ("é" * 5000).encode(),
        ("HEAD", "/text/5000"): b"",
        ("GET", "/text/0"): b"",
        ("GET", "/text-subclass"): b"quiet",
        ("GET", "/text-header"): b"merged",
        ("GET", "/text-created"): b"made",
        ("GET", "/pair/3/4"): b'{"a":3,"b":4}',
        ("GET", "/keyword/3"): b"3",
        ("GET", "/no-content/3"): b"",
        ("GET", "/lying/3"): b"3 as text",
        ("GET", "/search?q=lamp"): b'{"q":"lamp","limit":20}',
        ("GET", "/search?q=lamp&limit=3&limit=4"): b'{"q":"lamp","limit":4}',
        ("HEAD", "/search?q=lamp"): b"",
        ("POST", "/pairs"): b'{"a":1,"b":2}',
        ("POST", "/pairs?bom"): b'{"a":1,"b":2}',
        ("POST", "/pairs/1"): b'[{"a":1,"b":2}]',
        ("GET", "/found/3?q=lamp"): b'{"n":3,"q":"lamp"}',
        ("POST", "/found/3"): b"9",
        ("GET", "/deps/3"): b'{"n":30,"scale":10}',
        ("HEAD", "/deps/3"): b"",
        ("GET", "/deps-query?q=lamp"): b'{"q":"lamp","size":5}',
        ("GET", "/deps-query?q=lamp&size=2"): b'{"q":"lamp","size":2}',
        ("GET", "/deps-refused"): b"No entry",
        ("GET", "/deps-view/3"): b"30",
        ("GET", "/deps-attribute/3"): b"30",
    }
    if (method, path) in expected:
        assert body == expected[method, path]
    texts = {"/text", "/text/3", "/text/5000", "/text-subclass", "/text-header", "/text-created"}
    if path in texts:
        status = 201 if path == "/text-created" else 200
        assert start["status"] == status
        headers = start.get("headers", [])
        assert (b"content-type", b"text/plain; charset=utf-8") in headers
        length = len(expected["GET", path])  # GET's, for HEAD too
        assert (b"content-length", str(length).encode()) in headers
    if path == "/text/0":
        assert start["status"] == 204 and body == b""
    set_on_connection = {
        "/text-header": (b"x-set", b"on the connection"),
        "/header/3": (b"x-set", b"on the connection"),
        "/before/3": (b"x-before", b"ran"),
        "/deps/3": (b"x-scaled", b"yes"),
        "/deps-view/3": (b"x-scaled", b"yes"),
    }
    if path in set_on_connection:
        assert set_on_connection[path] in start.get("headers", [])


def test_the_app_awaits_handlers_with_plain_providers_itself_unless_overridden() -> None:
    # Coroutine providers that read no body are awaited from the app's frame (a PERF path
    # the comparison above checks); a View's attribute provider, and any route while the
    # app overrides providers, go the runner's way, which resolves overrides.
    app, own, done = _awaited_directly_or_by_the_runner()
    awaited = {}
    for path in ("/deps/3", "/deps-query", "/deps-refused", "/deps-view/3", "/deps-attribute/3"):
        found = own.resolve(path, "GET")
        assert type(found) is tuple
        awaited[path] = "GET" in found[0].direct or "GET" in found[0].direct_rest
    assert awaited == {
        "/deps/3": True,
        "/deps-query": True,
        "/deps-refused": True,
        "/deps-view/3": True,
        "/deps-attribute/3": False,
    }

    async def fixed() -> dict[str, int]:
        return {"scale": 2}

    client = TestClient(app)
    assert client.get("/deps/3").json() == {"n": 30, "scale": 10}
    app.dependency_overrides[settings_of(own)] = fixed
    assert client.get("/deps/3").json() == {"n": 6, "scale": 2}
    assert client.get("/deps-query?q=a").json() == {"q": "a", "size": 5}
    app.dependency_overrides.clear()
    assert client.get("/deps/3").json() == {"n": 30, "scale": 10}
    assert done.count("noted") == 1


def settings_of(router: Router) -> Callable[..., object]:
    """The provider the /deps routes read their settings from."""
    found = router.resolve("/deps/3", "GET")
    assert type(found) is tuple
    (dependency,) = [d for d in found[0].plans["GET"].dependencies if d.name == "conf"]
    return dependency.provider


def test_an_exception_handler_whose_response_cannot_be_sent_answers_500_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A status no response can have (untyped code, or arithmetic gone wrong) is found when
    # the answer is sent: a 500 instead, and the reason in the log.
    own = Router()

    @own.get("/boom")
    async def fails(connection: Connection) -> str:
        raise AppError("nope")

    async def bad_answer(connection: Connection, exc: AppError) -> HttpResponse:
        return HttpResponse("sorry", status_code=99)

    app = aaf([own], exception_handlers={AppError: bad_answer})
    with caplog.at_level(logging.ERROR, logger="aaf"):
        answer = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert answer.status_code == 500
    assert "Invalid response for GET /boom" in caplog.text and "99" in caplog.text


@pytest.mark.parametrize("returned", [None, {"detail": "sorry"}])
def test_an_exception_handler_that_returns_no_response_answers_500_logged(
    returned: object, caplog: pytest.LogCaptureFixture
) -> None:
    # Untyped code: a handler that forgot its `return`, or returned a dict as a handler may.
    # The server must not see the mistake as an exception of its own.
    own = Router()

    @own.get("/boom")
    async def fails(connection: Connection) -> str:
        raise AppError("nope")

    async def no_answer(connection: Connection, exc: Exception) -> HttpResponse:
        return cast(HttpResponse, returned)

    app = aaf([own], exception_handlers={AppError: no_answer, 405: no_answer})
    with caplog.at_level(logging.ERROR, logger="aaf"):
        client = TestClient(app, raise_server_exceptions=False)
        answers = [client.get("/boom"), client.post("/boom")]  # a raised error, and aaf's 405
    assert [(a.status_code, a.text) for a in answers] == [(500, "Internal Server Error")] * 2
    kind = type(returned).__name__
    for name in ("AppError", "HTTPError"):
        assert f"The exception handler for {name} returned {kind}, not a response" in caplog.text
    with pytest.raises(TypeError, match=f"returned {kind}, not a response"):
        TestClient(app).get("/boom")


def test_an_exception_handler_keyed_by_neither_a_class_nor_a_status_is_refused() -> None:
    # `@app.exception_handler` without its key took the function as the key and put a
    # decorator in its place: nothing answered, no error. Text or an instance never matched.
    async def answer(connection: Connection, exc: Exception) -> HttpResponse:
        return HttpResponse("handled", status_code=500)

    app = aaf([])
    with pytest.raises(
        TypeError, match=r"write @app.exception_handler\(ValueError\) .*got .*answer"
    ):
        app.exception_handler(answer)  # type: ignore[call-overload]  # what is checked here
    add = cast("Callable[[object, object], None]", app.add_exception_handler)
    make = cast("Callable[..., App]", aaf)
    for key in ("404", ValueError(), True):
        with pytest.raises(TypeError, match="an exception class or an HTTP status code"):
            add(key, answer)
        with pytest.raises(TypeError, match="an exception class or an HTTP status code"):
            make([], exception_handlers={key: answer})
    assert app.exception_handlers == {}


def test_an_app_made_with_no_routers_takes_its_routes_after_as_fastapis_does() -> None:
    # `FastAPI()`, then `app.include_router(...)` and `@app.get(...)`: `App()` did not run.
    users = Router("/users")

    @users.get("/<name>")
    async def user(connection: Connection, name: str) -> dict[str, str]:
        return {"name": name}

    app = App()
    app.include_router(users, prefix="/v1")

    @app.get("/")
    async def root(connection: Connection) -> str:
        return "root"

    client = TestClient(app)
    assert client.get("/v1/users/ann").json() == {"name": "ann"}
    assert client.get("/").text == "root"
    assert client.get("/nowhere").status_code == 404
    assert app.url_for(user, name="bo") == "/v1/users/bo"
    assert set(app.openapi()["paths"]) == {"/", "/v1/users/{name}"}  # type: ignore[arg-type]


def test_a_router_given_where_a_list_of_routers_goes_is_named() -> None:
    make = cast("Callable[..., App]", aaf)
    with pytest.raises(
        TypeError, match=r"aaf\(\) takes a list of routers: write aaf\(\[router\]\)"
    ):
        make(Router())
    # One middleware or hook, not in a list: "'type' object is not reversible" before.
    for keyword, value in (("middleware", GZipMiddleware), ("on_startup", print)):
        with pytest.raises(TypeError, match=rf"aaf\({keyword}=\.\.\.\) takes a list"):
            make([Router()], **{keyword: value})
