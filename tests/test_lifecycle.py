# Tests of a private module reach its internals on purpose.
# pyright: reportPrivateUsage=false
"""Shutdown from the server's signal, in-process (the real SIGTERM test runs uvicorn in its own
process: tests/test_hostile.py)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from types import FrameType
from typing import cast

import httpx
import pytest

from aaf import _lifecycle, aaf
from aaf._lifecycle import Lifecycle, hook_server_signals
from aaf._types import ASGIApp, Receive, Scope, Send
from aaf.app import App
from aaf.connection import Connection
from aaf.routing import Router
from aaf.staticfiles import StaticFiles
from aaf.testing import TestClient

from ._helpers import serve


def test_the_signal_handlers_are_wrapped_once_and_still_called() -> None:
    heard: list[int] = []

    def server_handler(sig: int, frame: FrameType | None) -> None:
        heard.append(sig)

    previous = signal.signal(signal.SIGTERM, server_handler)
    try:
        hook_server_signals()
        hook_server_signals()  # a second app in the process does not wrap twice
        wrapped = signal.getsignal(signal.SIGTERM)
        assert wrapped is not server_handler and getattr(wrapped, "_aaf_hooked", False)
        told: list[str] = []
        _lifecycle._listeners.add(lambda: told.append("stop"))
        try:
            assert callable(wrapped)
            wrapped(signal.SIGTERM, None)
        finally:
            _lifecycle._listeners.clear()
        assert heard == [signal.SIGTERM] and told == ["stop"]
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.anyio
async def test_a_lifecycle_stops_what_it_tracks_and_what_comes_later() -> None:
    class Tracked:
        stopped = 0

        def stop(self) -> None:
            self.stopped += 1

    lifecycle = Lifecycle()
    lifecycle.started()
    first, second = Tracked(), Tracked()
    lifecycle.add(first)  # type: ignore[arg-type]  # anything with stop() will do here
    lifecycle._signalled()
    await asyncio.sleep(0)  # the loop runs what the signal scheduled
    assert first.stopped == 1 and lifecycle.stopping
    lifecycle.add(second)  # type: ignore[arg-type]
    assert second.stopped == 1  # a connection opened during shutdown is stopped at once
    lifecycle.discard(first)  # type: ignore[arg-type]
    lifecycle.stopped()


@pytest.mark.anyio
async def test_background_work_is_cancelled_a_grace_period_after_the_signal() -> None:
    lifecycle = Lifecycle(grace=0.1)
    quick = asyncio.ensure_future(asyncio.sleep(0.01))
    endless = asyncio.ensure_future(asyncio.sleep(3600))
    lifecycle.add_background(quick)
    lifecycle.add_background(endless)
    lifecycle.stop_all()
    await asyncio.sleep(0.3)
    assert quick.done() and not quick.cancelled()
    assert endless.cancelled()


# Mounted apps' lifespans -------------------------------------------------------------------------
def _starlette_app(events: list[str]) -> ASGIApp:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    @asynccontextmanager
    async def lifespan(app: object) -> AsyncGenerator[dict[str, str]]:
        events.append("starlette up")
        yield {"client": "starlette's client"}
        events.append("starlette down")

    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(request.state.client))

    return cast(ASGIApp, Starlette(routes=[Route("/", home)], lifespan=lifespan))


async def _requests_only(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http", "an app of requests alone"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"plain"})


async def _waits_for_a_body(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()  # a request's body, it thinks; then the next part of it, for ever
    await receive()


def _mounting_app(events: list[str], tmp_path: Path, fail: bool = False) -> App:
    inner_router = Router()

    @inner_router.get("/hi")
    async def hi(connection: Connection) -> dict[str, object]:
        return {"db": connection.app.state["db"], "state": connection.state.get("pool")}

    @asynccontextmanager
    async def inner_lifespan(app: App) -> AsyncGenerator[dict[str, object]]:
        events.append("inner up")
        if fail:
            raise ConnectionError("no database")
        app.state["db"] = "inner db"
        yield {"pool": "inner pool"}
        events.append("inner down")

    @asynccontextmanager
    async def outer_lifespan(app: App) -> AsyncGenerator[None]:
        events.append("outer up")
        try:
            yield
        finally:  # a failed start is thrown in here
            events.append("outer down")

    inner = aaf([inner_router], lifespan=inner_lifespan)
    api = Router()
    api.mount("/inner", inner)
    outer_router = Router()
    outer_router.include(api, prefix="/api")
    outer_router.mount("/again", inner)  # one app, one lifespan, however often it is mounted
    outer_router.mount("/starlette", _starlette_app(events))
    (tmp_path / "a.txt").write_text("a file")
    outer_router.mount("/static", StaticFiles(tmp_path))
    outer_router.mount("/plain", _requests_only)
    outer_router.mount("/waiting", _waits_for_a_body)
    return aaf([outer_router], lifespan=outer_lifespan)


def test_a_mounted_apps_lifespan_runs_inside_its_parents_over_uvicorn(tmp_path: Path) -> None:
    # A mounted app's lifespan never ran (as in Starlette): its startup's state was missing
    # (a 500 for every request), and its streams and WebSockets were never ended on shutdown.
    events: list[str] = []
    with serve(_mounting_app(events, tmp_path)) as base:
        assert events == ["outer up", "inner up", "starlette up"]
        answer = httpx.get(base + "/api/inner/hi", timeout=5)
        assert answer.json() == {"db": "inner db", "state": "inner pool"}
        assert httpx.get(base + "/again/hi", timeout=5).json()["db"] == "inner db"
        assert httpx.get(base + "/starlette/", timeout=5).text == "starlette's client"
        assert httpx.get(base + "/static/a.txt", timeout=5).text == "a file"
        assert httpx.get(base + "/plain", timeout=5).text == "plain"
    assert events[3:] == ["starlette down", "inner down", "outer down"]


def test_a_mounted_apps_failed_startup_fails_its_parents_undoing_what_started(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[str] = []
    app = _mounting_app(events, tmp_path, fail=True)
    with pytest.raises(RuntimeError, match=r"mounted at /api/inner failed to start: .*no database"):
        with TestClient(app):
            pass
    assert events == ["outer up", "inner up", "outer down"]
    assert "Application startup failed" in caplog.text


async def _answers_lifespan_with_a_response(scope: Scope, receive: Receive, send: Send) -> None:
    # Not the lifespan protocol: it answers whatever comes with an HTTP response.
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})


def _recording(events: list[str], name: str, *, fail_up: bool = False) -> App:
    def up() -> None:
        events.append(f"{name} up")
        if fail_up:
            raise ConnectionError(f"{name} cannot start")

    def down() -> None:
        events.append(f"{name} down")
        raise RuntimeError(f"{name} cannot stop")

    return aaf([Router()], on_startup=[up], on_shutdown=[down])


def test_each_mounted_app_is_stopped_whatever_another_says_and_a_failed_start_undoes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[str] = []
    router = Router()
    router.mount("/first", _recording(events, "first"))
    router.mount("/second", _recording(events, "second"))
    router.mount("/odd", _answers_lifespan_with_a_response)
    app = aaf([router], on_shutdown=[lambda: events.append("parent down")])
    with pytest.raises(
        RuntimeError, match=r"mounted at /second failed to shut down: .*second cannot stop"
    ):
        with TestClient(app):
            assert events == ["first up", "second up"]
    # Both stopped, in reverse, though each failed; and the parent's own shutdown ran.
    assert events == ["first up", "second up", "second down", "first down", "parent down"]

    events.clear()
    router = Router()
    router.mount("/first", _recording(events, "first"))
    router.mount("/second", _recording(events, "second", fail_up=True))
    with pytest.raises(RuntimeError, match=r"mounted at /second failed to start"):
        with TestClient(aaf([router])):
            pass
    assert events == ["first up", "second up", "first down"]  # what started is stopped


FREEZING = """
import gc
import sys

from aaf import aaf
from aaf.connection import Connection
from aaf.routing import Router
from aaf.testing import TestClient

router = Router()


@router.get("/")
async def home(connection: Connection) -> str:
    return "home"


def start(freeze_gc: bool) -> tuple[int, int]:
    '''Start and stop an app; give the objects it froze, and the full collections it ran.'''
    gc.disable()  # only the app's own collections count
    frozen, collections = gc.get_freeze_count(), gc.get_stats()[2]["collections"]
    with TestClient(aaf(routers=[router], freeze_gc=freeze_gc)) as client:
        assert client.get("/").text == "home"
    return gc.get_freeze_count() - frozen, gc.get_stats()[2]["collections"] - collections


print(*start(sys.argv[1] == "on"), *start(True))
"""


@pytest.mark.parametrize(("first", "said"), [("on", "frozen"), ("off", "not frozen")])
def test_the_first_app_of_a_process_to_start_freezes_the_collectors_objects(
    tmp_path: Path, first: str, said: str
) -> None:
    # A server starts one app a process. A test suite starts one for each test: each start
    # ran a full collection (18 s after the mypy plugin's tests) and froze for good whatever
    # the tests before held then. Counted from what was frozen before each start (on
    # Python 3.12 some hundreds are, by what the script imports).
    script = tmp_path / "freezing.py"
    script.write_text(FREEZING)
    ran = subprocess.run(
        [sys.executable, str(script), first], capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    frozen, collections, frozen_later, collections_later = map(int, ran.stdout.split())
    if said == "frozen":
        assert frozen > 10_000 and collections == 1  # the app's routes, plans, modules
        assert (frozen_later, collections_later) == (0, 0)  # the next app: nothing
    else:  # freeze_gc=False: nothing; the next app, the first to freeze, does it
        assert (frozen, collections) == (0, 0)
        assert frozen_later > 10_000 and collections_later == 1


def test_start_up_compiles_the_routers_the_first_request_used_to() -> None:
    # benchmarks/registration.py: the first request compiled the routers (werkzeug's map,
    # aaf's matcher), 0.4 s for 2,000 routes; start-up does it now, routes added by a
    # start-up hook included, and a route added later still compiles again when asked.
    router, later = Router(), Router()

    @router.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: int) -> int:
        return item_id

    app = aaf([router, later])

    async def add_route() -> None:
        @router.get("/added/<name>")
        async def added(connection: Connection, name: str) -> str:
            return name

    def compiled(router: Router) -> bool:
        return router._compiled

    app.on_startup.append(add_route)
    assert not compiled(router) and not compiled(later)
    with TestClient(app) as client:
        assert compiled(router) and compiled(later)  # before any request
        assert client.get("/added/x").text == "x"
        assert client.get("/items/3").json() == 3

        @later.get("/after")
        async def after(connection: Connection) -> str:
            return "after"

        assert not compiled(later)
        assert client.get("/after").text == "after"
