"""Depends: providers of every kind, their own parameters, caching, cleanup, overrides.

The providers live at module level (annotations are resolved by name, as in FastAPI) and
record what they do in ``app.state["events"]``.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated, Any, cast

import httpx
import pydantic.dataclasses
import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aaf import App, aaf
from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.exceptions import ConfigurationError, HTTPError
from aaf.params import Body, Depends, Form, Header, Query
from aaf.routing import Router, operation
from aaf.testing import AsyncTestClient, TestClient, WebSocketDenied
from aaf.views import View, WebSocketView

from ._helpers import http_scope, run_with_connection, serve


class Db:
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False


class User(BaseModel):
    name: str


def log(connection: Connection, event: str) -> None:
    events_of(connection.app).append(event)


async def settings(connection: Connection) -> dict[str, str]:
    log(connection, "settings")
    return {"env": "test"}


def paging(
    connection: Connection, page: int = 1, size: Annotated[int, Query(alias="per_page")] = 10
) -> tuple[int, int]:
    log(connection, f"paging in {threading.current_thread().name}")
    return page, size


async def database(connection: Connection) -> AsyncIterator[Db]:
    db = Db(connection.path)
    log(connection, "db open")
    try:
        yield db
    except Exception as exc:
        log(connection, f"db rollback: {exc}")
        raise
    finally:
        db.closed = True
        log(connection, "db close")


def sync_resource(connection: Connection) -> Iterator[str]:
    log(connection, "sync open")
    yield "resource"
    log(connection, "sync close")


async def current_user(
    db: Annotated[Db, Depends(database)], x_token: Annotated[str, Header()]
) -> User:
    if x_token != "secret":
        raise HTTPError(401, "Bad token", headers={"WWW-Authenticate": "Bearer"})
    return User(name=f"alice via {db.name}")


async def require_admin(x_role: Annotated[str | None, Header()] = None) -> None:
    if x_role != "admin":
        raise HTTPError(403, "Admins only")


router = Router()


@router.get("/items/<int:item_id>")
async def item(
    connection: Connection,
    item_id: int,
    db: Db = Depends(database),
    again: Annotated[Db, Depends(database)] = Depends(database),
    page: tuple[int, int] = Depends(paging),
    conf: dict[str, str] = Depends(settings),
) -> dict[str, object]:
    log(connection, "handler")
    return {"id": item_id, "same": db is again, "page": list(page), "conf": conf}


@router.get("/me")
async def me(connection: Connection, user: User = Depends(current_user)) -> User:
    return user


@router.get("/boom")
async def boom(connection: Connection, db: Db = Depends(database)) -> None:
    raise ValueError("handler failed")


@router.get("/both")
async def both(
    connection: Connection,
    q: int,
    page: tuple[int, int] = Depends(paging),
    resource: str = Depends(sync_resource),
) -> str:
    return resource


@router.get("/uncached")
async def uncached(
    connection: Connection,
    a: dict[str, str] = Depends(settings, use_cache=False),
    b: dict[str, str] = Depends(settings, use_cache=False),
) -> int:
    return events_of(connection.app).count("settings")


@router.get("/admin", dependencies=[Depends(require_admin)])
async def admin(connection: Connection) -> str:
    return "welcome"


@router.route("/view")
class Profile(View):
    user: User = Depends(current_user)

    async def before(self, connection: Connection) -> None:
        log(connection, f"before sees {self.user.name}")

    async def get(self, connection: Connection) -> str:
        return self.user.name


@router.websocket("/ws")
async def ws(connection: Connection, user: User = Depends(current_user)) -> None:
    await connection.accept()
    await connection.send_text(user.name)
    await connection.close()


@router.websocket("/room")
class Room(WebSocketView):
    async def on_connect(self, connection: Connection, db: Db = Depends(database)) -> None:
        await connection.accept()
        await connection.send_text(f"open: {not db.closed}")


def events_of(app: App) -> list[str]:
    events: list[str] = []
    stored = app.state.setdefault("events", events)
    return cast("list[str]", stored)  # set here, always a list of str


@pytest.fixture()
def app() -> App:
    return aaf([router])


@pytest.fixture()
def client(app: App) -> Iterator[TestClient]:
    with TestClient(app) as started:
        yield started


def test_providers_of_every_kind_fill_parameters_in_both_spellings(
    client: TestClient, app: App
) -> None:
    response = client.get("/items/3?page=2&per_page=5")
    assert response.json() == {"id": 3, "same": True, "page": [2, 5], "conf": {"env": "test"}}
    events = events_of(app)
    # One call per request for a cached provider, however many parameters ask for it; the
    # plain function ran in a worker thread; cleanup came after the handler.
    assert events[0] == "db open" and events[-2:] == ["handler", "db close"]
    assert events.count("db open") == 1 and events.count("settings") == 1
    paging_event = next(e for e in events if e.startswith("paging in "))
    assert paging_event != f"paging in {threading.main_thread().name}"


def test_a_provider_error_is_that_response(client: TestClient) -> None:
    response = client.get("/me", headers={"x-token": "wrong"})
    assert response.status_code == 401 and response.text == "Bad token"
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/me", headers={"x-token": "secret"}).json() == {"name": "alice via /me"}


def test_one_422_lists_the_handlers_and_the_providers_failing_fields(
    client: TestClient, app: App
) -> None:
    response = client.get("/both?q=x&page=y&per_page=z")
    assert response.status_code == 422
    locs = sorted(e["loc"] for e in response.json()["detail"])
    assert locs == [["query", "page"], ["query", "per_page"], ["query", "q"]]
    assert events_of(app) == []  # no provider ran: validation comes first


def test_the_handlers_exception_is_thrown_in_at_the_yield(app: App) -> None:
    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert events_of(app) == ["db open", "db rollback: handler failed", "db close"]


def yields_twice() -> Iterator[int]:
    yield 1
    yield 2


async def yields_twice_async() -> AsyncIterator[int]:
    yield 1
    yield 2


def never_yields() -> Iterator[int]:
    yield from ()


async def yields_again_on_error() -> AsyncIterator[int]:
    try:
        yield 1
    except ValueError:
        yield 2  # swallows the handler's error with a second value


@pytest.mark.parametrize(
    ("provider", "status", "problem"),
    [
        (yields_twice, 200, "it yielded a second"),
        (yields_twice_async, 200, "it yielded a second"),
        (never_yields, 500, "it returned without yielding one"),
        (yields_again_on_error, 500, "it yielded a second"),
    ],
)
def test_a_generator_provider_that_does_not_yield_once_is_named(
    provider: Callable[[], Iterator[int] | AsyncIterator[int]],
    status: int,
    problem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # contextlib's "generator didn't stop" (or "didn't yield") was logged, naming nothing.
    router = Router()
    # (Typed as one kind: Depends types each kind's result on its own.)
    given = cast("Callable[[], Iterator[int]]", provider)

    @router.get("/")
    async def home(connection: Connection, value: int = Depends(given)) -> int:
        if provider is yields_again_on_error:
            raise ValueError("the handler failed")
        return value

    client = TestClient(aaf([router]), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="aaf"):
        assert client.get("/").status_code == status
    said = [str(r.exc_info[1]) for r in caplog.records if r.exc_info and r.exc_info[1]]
    assert (
        f"{provider.__qualname__}: a generator provider yields one value, its result; {problem}"
        in said
    )


def no_database() -> Iterator[int]:
    settings: dict[str, str] = {}
    try:
        settings["dsn"]
    except KeyError:
        raise RuntimeError("no database configured")  # noqa: B904  # its context is the point
    yield 1


def test_a_generator_providers_own_runtime_error_is_raised_as_it_was() -> None:
    # Only contextlib's complaints are said of the provider; its own RuntimeError keeps its
    # message and the exception it was raised in.
    router = Router()

    @router.get("/")
    async def home(connection: Connection, value: int = Depends(no_database)) -> int:
        return value

    with pytest.raises(RuntimeError, match="^no database configured$") as raised:
        TestClient(aaf([router])).get("/")
    assert isinstance(raised.value.__context__, KeyError)
    assert not raised.value.__suppress_context__


def test_sync_generators_clean_up_after_the_response(client: TestClient, app: App) -> None:
    assert client.get("/both?q=1").text == "resource"
    assert [e for e in events_of(app) if e.startswith("sync")] == ["sync open", "sync close"]


def test_use_cache_false_calls_the_provider_each_time(client: TestClient) -> None:
    assert client.get("/uncached").json() == 2


def test_route_dependencies_run_for_their_side_effects(client: TestClient) -> None:
    assert client.get("/admin").status_code == 403
    assert client.get("/admin", headers={"x-role": "admin"}).text == "welcome"


def test_router_dependencies_cover_every_route_of_the_router() -> None:
    guarded = Router(dependencies=[Depends(require_admin)])

    @guarded.get("/a")
    async def a(connection: Connection) -> str:
        return "a"

    with TestClient(aaf([guarded])) as c:
        assert c.get("/a").status_code == 403
        assert c.get("/a", headers={"x-role": "admin"}).text == "a"


async def note_outer(connection: Connection) -> None:
    log(connection, "outer")


async def note_inner(connection: Connection) -> None:
    log(connection, "inner")


async def note_route(connection: Connection) -> None:
    log(connection, "route")


def test_an_including_routers_dependencies_cover_the_included_routes_outermost_first() -> None:
    inner = Router("/in", dependencies=[Depends(note_inner)])

    @inner.get("/x", dependencies=[Depends(note_route)])
    async def x(connection: Connection) -> str:
        log(connection, "handler")
        return "x"

    guarded = Router("/admin", dependencies=[Depends(require_admin)])
    guarded.include(inner)
    noted = Router(dependencies=[Depends(note_outer)])
    noted.include(inner, prefix="/noted")

    # Added after the include: covered all the same.
    @inner.get("/y")
    async def y(connection: Connection) -> str:
        return "y"

    app = aaf([guarded, noted])
    with TestClient(app) as c:
        assert c.get("/admin/in/x").status_code == 403  # the admin check was skipped before
        assert c.get("/admin/in/y").status_code == 403
        assert c.get("/admin/in/y", headers={"x-role": "admin"}).text == "y"
        app.state["events"] = []
        assert c.get("/noted/in/x").text == "x"  # the same router, included without the check
        assert events_of(app) == ["outer", "inner", "route", "handler"]


def test_include_and_include_router_take_dependencies_and_tags_as_fastapi_does() -> None:
    # app.include_router(router, prefix=..., dependencies=[...], tags=[...]), FastAPI's
    # spelling: the dependencies run first, for that inclusion only.
    inner = Router(dependencies=[Depends(note_inner)], tags=["inner"])

    @inner.get("/x", tags=["x"])
    async def x(connection: Connection) -> str:
        log(connection, "handler")
        return "x"

    app = aaf([])
    app.include_router(inner, prefix="/admin", dependencies=[Depends(require_admin)], tags=["a"])
    top = Router()
    top.include(inner, prefix="/noted", dependencies=[Depends(note_outer)], tags=["n"])
    app.include_router(top)
    app.include_router(inner, prefix="/open")
    with TestClient(app) as c:
        assert c.get("/admin/x").status_code == 403
        assert c.get("/admin/x", headers={"x-role": "admin"}).text == "x"
        app.state["events"] = []
        assert c.get("/noted/x").text == "x"  # without the admin check
        assert events_of(app) == ["outer", "inner", "handler"]
        assert c.get("/open/x").text == "x"
    paths: Any = app.openapi()["paths"]  # JSON, read by path
    assert paths["/admin/x"]["get"]["tags"] == ["a", "inner", "x"]
    assert paths["/noted/x"]["get"]["tags"] == ["n", "inner", "x"]
    assert paths["/open/x"]["get"]["tags"] == ["inner", "x"]


def test_an_including_routers_provider_that_cannot_serve_a_route_fails_at_registration() -> None:
    async def wants_a_lock(value: threading.Lock) -> None:
        return None

    bad = Router(dependencies=[Depends(wants_a_lock)])
    inner = Router()

    @inner.get("/x")
    async def x(connection: Connection) -> str:
        return "x"

    with pytest.raises(ConfigurationError, match="which no query value can fill"):
        bad.include(inner)
    # Two levels up, and a route added below after the routers were included.
    top = Router()
    top.include(inner)
    with pytest.raises(ConfigurationError, match="which no query value can fill"):
        bad.include(top)
    outer = Router(dependencies=[Depends(note_outer)])
    outer.include(top)
    Router(dependencies=[Depends(note_route)]).include(outer)
    with pytest.raises(ConfigurationError, match="which no query value can fill"):
        Router(dependencies=[Depends(wants_a_lock)]).include(outer)
    late = Router()
    Router(dependencies=[Depends(wants_a_lock)]).include(late)
    with pytest.raises(ConfigurationError, match="which no query value can fill"):

        @late.get("/z")
        async def z(connection: Connection) -> str:
            return "z"


def test_router_dependencies_cover_websocket_routes_too() -> None:
    guarded = Router(dependencies=[Depends(require_admin)])

    @guarded.websocket("/fn")
    async def fn(connection: Connection) -> None:
        await connection.accept()
        await connection.send_text("fn")

    @guarded.websocket("/view/<int:n>")
    class Plain(WebSocketView):  # no on_connect of its own
        async def on_receive(self, connection: Connection, data: str) -> None:
            await connection.send_text(f"{data} in {connection.path_params['n']}")

    @guarded.websocket("/own", dependencies=[Depends(note_route)])
    class Own(WebSocketView):
        async def on_connect(self, connection: Connection) -> None:
            await connection.accept()
            await connection.send_text("own")

    app = aaf([guarded])
    admin = {"x-role": "admin"}
    with TestClient(app) as c:
        for path in ("/fn", "/view/1", "/own"):
            with pytest.raises(WebSocketDenied):
                with c.websocket_connect(path):
                    pass
        with c.websocket_connect("/fn", headers=admin) as session:
            assert session.receive_text() == "fn"
        with c.websocket_connect("/view/7", headers=admin) as session:
            session.send_text("hi")
            assert session.receive_text() == "hi in 7"
        app.state["events"] = []
        with c.websocket_connect("/own", headers=admin) as session:
            assert session.receive_text() == "own"
        assert events_of(app) == ["route"]


def test_app_dependencies_run_first_for_every_route_the_app_serves_over_uvicorn() -> None:
    # FastAPI's FastAPI(dependencies=[...]): the routers given, the app's own routes (made
    # after it), routers included later, WebSockets; not the API document's pages.
    given = Router(dependencies=[Depends(note_inner)])

    @given.get("/given", dependencies=[Depends(note_route)])
    async def given_route(connection: Connection) -> str:
        return "given"

    @given.websocket("/ws")
    async def ws(connection: Connection) -> None:
        await connection.accept()
        await connection.send_text("ws")

    app = aaf([given], dependencies=[Depends(require_admin), Depends(note_outer)])

    @app.get("/own")
    async def own(connection: Connection) -> str:
        return "own"

    later = Router()

    @later.get("/later")
    async def later_route(connection: Connection) -> str:
        return "later"

    app.include_router(later, "/v1", dependencies=[Depends(note_route)])
    admin = {"x-role": "admin"}
    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as client:
        for path in ("/given", "/own", "/v1/later"):
            refused = client.get(path)
            assert (refused.status_code, refused.text) == (403, "Admins only"), path
        app.state["events"] = []
        assert client.get("/given", headers=admin).text == "given"
        assert events_of(app) == ["outer", "inner", "route"]  # the app's first, in order
        app.state["events"] = []
        assert client.get("/own", headers=admin).text == "own"
        assert client.get("/v1/later", headers=admin).text == "later"
        assert events_of(app) == ["outer", "outer", "route"]
        assert client.get("/docs").status_code == 200  # the document's pages are the app's
        assert client.get("/openapi.json").status_code == 200
    with TestClient(app) as c:
        with pytest.raises(WebSocketDenied):
            with c.websocket_connect("/ws"):
                pass
        with c.websocket_connect("/ws", headers=admin) as session:
            assert session.receive_text() == "ws"
    document = cast("dict[str, Any]", app.openapi())
    for path in ("/given", "/own", "/v1/later"):
        parameters = document["paths"][path]["get"]["parameters"]
        assert [p["name"] for p in parameters] == ["x-role"], path
    assert app.url_for(own) == "/own" and app.url_for(later_route) == "/v1/later"


def test_include_refuses_a_variable_prefix_above_and_a_cycle() -> None:
    inner = Router()

    @inner.get("/x")
    async def x(connection: Connection) -> str:
        return "x"

    with pytest.raises(ConfigurationError, match=r"variables in its prefix \('/u/<int:uid>'\)"):
        Router("/u/<int:uid>").include(inner)  # x() would get uid= it does not take
    outer = Router()
    outer.include(inner)
    with pytest.raises(ConfigurationError, match="cycle"):
        inner.include(outer)


def test_view_class_attributes_are_set_before_before(client: TestClient, app: App) -> None:
    assert client.get("/view", headers={"x-token": "secret"}).text == "alice via /view"
    assert "before sees alice via /view" in events_of(app)


def test_overrides_swap_a_provider_for_tests(app: App) -> None:
    async def fake_user() -> User:
        return User(name="tester")

    app.dependency_overrides[current_user] = fake_user
    with TestClient(app) as c:
        assert c.get("/me").json() == {"name": "tester"}  # no token needed any more
    app.dependency_overrides.clear()
    with TestClient(app) as c:
        assert c.get("/me").status_code == 422  # the real provider wants x-token


class _Paging(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int = 1


class _FakePaging(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int = 7


def _paging(paging: Annotated[_Paging, Query()]) -> int:
    return paging.page


def _fake_paging(paging: Annotated[_FakePaging, Query()]) -> int:
    return paging.page * 100


def _fixed() -> int:
    return 5


def test_an_overrides_model_that_forbids_extra_keys_takes_the_routes_other_keys() -> None:
    # A query model with extra="forbid" is told the keys the route reads elsewhere (?q= is
    # the handler's, not extra); an override's model was not: ?q= was a 422 in the test.
    router = Router()

    @router.get("/items")
    async def items(connection: Connection, q: str = "", page: int = Depends(_paging)) -> str:
        return f"{q} {page}"

    @router.get("/plain")
    async def plain(connection: Connection, q: str = "", n: int = Depends(_fixed)) -> str:
        return f"{q} {n}"

    app = aaf([router])
    client = TestClient(app)
    assert client.get("/items?q=x&page=2").text == "x 2"
    app.dependency_overrides[_paging] = _fake_paging
    app.dependency_overrides[_fixed] = _fake_paging
    assert client.get("/items?q=x&page=2").text == "x 200"
    assert client.get("/items?q=x").text == "x 700"
    assert client.get("/plain?q=y&page=3").text == "y 300"  # the route had no such model
    refused = client.get("/plain?q=y&other=1").json()["detail"]
    assert [(e["type"], e["loc"]) for e in refused] == [("extra_forbidden", ["query", "other"])]


def test_websocket_handlers_and_on_connect_take_depends(client: TestClient) -> None:
    with client.websocket_connect("/ws", headers={"x-token": "secret"}) as session:
        assert session.receive_text() == "alice via /ws"
    with client.websocket_connect("/room") as session:
        assert session.receive_text() == "open: True"


def helper(value: int = Depends(lambda: 0)) -> int:
    return value


def loop(value: int = Depends(helper)) -> int:
    return value


def test_a_cycle_of_providers_is_refused_at_registration_naming_it() -> None:
    helper.__defaults__ = (Depends(loop),)  # helper -> loop -> helper
    cyclic = Router()
    with pytest.raises(ConfigurationError, match=r"cycle: loop -> helper -> loop"):

        @cyclic.get("/cycle")
        async def cycle(connection: Connection, value: int = Depends(loop)) -> int:
            return value


def test_cleanup_and_rollback_over_uvicorn() -> None:
    app = aaf([router])
    with serve(app) as base:
        assert httpx.get(base + "/items/1", timeout=5).status_code == 200
        assert httpx.get(base + "/boom", timeout=5).status_code == 500
    events = events_of(app)
    assert events[-3:] == ["db open", "db rollback: handler failed", "db close"]
    assert events[:1] == ["db open"] and "db close" in events[1:-3]


async def commit_fails() -> AsyncIterator[int]:
    yield 1
    raise HTTPError(409, "commit failed")  # too late: the client has its 200


def test_an_error_in_cleanup_after_the_response_is_logged_not_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    late = Router()

    @late.get("/late")
    async def handler(connection: Connection, n: int = Depends(commit_fails)) -> int:
        return n

    with caplog.at_level(logging.ERROR, logger="aaf"), serve(aaf([late])) as base:
        response = httpx.get(base + "/late", timeout=5)
        assert response.status_code == 200 and response.text == "1"
        assert httpx.get(base + "/late", timeout=5).status_code == 200  # still serving
    logged = [r for r in caplog.records if r.name == "aaf" and r.levelno == logging.ERROR]
    assert len(logged) == 2
    assert logged[0].getMessage() == "Exception after the response to GET /late ended"
    assert logged[0].exc_info is not None and isinstance(logged[0].exc_info[1], HTTPError)


opened: list[Db] = []


async def counted_database() -> AsyncIterator[Db]:
    db = Db("x")
    opened.append(db)
    try:
        yield db
    finally:
        db.closed = True


@pytest.mark.anyio
async def test_ten_thousand_requests_leave_no_resource_open() -> None:
    # Through the async client: the sync one's hop to its event loop thread and back took
    # three quarters of the 15 s this took.
    opened.clear()
    counting = Router()

    @counting.get("/n")
    async def n(connection: Connection, db: Db = Depends(counted_database)) -> int:
        if len(opened) % 3 == 0:
            raise HTTPError(409, "sometimes")
        return 1

    async with AsyncTestClient(aaf([counting])) as c:
        for _ in range(10_000):
            assert (await c.get("/n")).status_code in (200, 409)
    assert len(opened) == 10_000
    assert sum(1 for db in opened if not db.closed) == 0


TOKEN_CALLS: list[str] = []


async def token() -> str:
    TOKEN_CALLS.append("token")
    return "t"


async def session(t: Annotated[str, Depends(token, use_cache=False)]) -> str:
    TOKEN_CALLS.append("session")
    return "s" + t


async def repo(s: Annotated[str, Depends(session)]) -> str:
    return "r" + s


def test_an_uncached_ask_is_a_call_of_its_own_whatever_the_order_of_parameters() -> None:
    # FastAPI fills the cache with the first value made, an uncached call's too, so how many
    # calls a request makes depends on the order its parameters are written in; and each ask
    # for a cached provider calls the uncached providers below it again, then finds it cached.
    calls = TOKEN_CALLS
    router = Router()

    @router.get("/fresh-first")
    async def fresh_first(
        connection: Connection,
        fresh: Annotated[str, Depends(token, use_cache=False)],
        shared: Annotated[str, Depends(token)],
    ) -> list[str]:
        return [fresh, shared]

    @router.get("/shared-first")
    async def shared_first(
        connection: Connection,
        shared: Annotated[str, Depends(token)],
        fresh: Annotated[str, Depends(token, use_cache=False)],
    ) -> list[str]:
        return [shared, fresh]

    @router.get("/nested")
    async def nested(
        connection: Connection,
        s: Annotated[str, Depends(session)],
        r: Annotated[str, Depends(repo)],
    ) -> list[str]:
        return [s, r]

    with TestClient(aaf([router])) as client:
        for path in ("/fresh-first", "/shared-first"):
            calls.clear()
            assert client.get(path).json() == ["t", "t"]
            assert calls == ["token", "token"]  # the cached ask and the uncached one
        calls.clear()
        assert client.get("/nested").json() == ["st", "rst"]
        assert calls == ["token", "session"]  # session is cached: what it asks for runs once


# Coroutine providers and no body: the runner's fast path must answer as the general one ----------
class Conf:
    label = "conf"


CALLS: list[str] = []


async def conf() -> Conf:
    CALLS.append("conf")
    return Conf()


async def label(settings: Conf = Depends(conf)) -> str:
    CALLS.append("label")
    return settings.label


async def page_size(limit: Annotated[int, Query(ge=1)] = 10) -> int:
    return limit


async def client_of(connection: Connection) -> str:
    return connection.method


def fast_router() -> Router:
    router = Router()

    @router.get("/a/<int:item_id>")
    async def path_only(
        connection: Connection,
        item_id: int,
        settings: Conf = Depends(conf),
        name: str = Depends(label),
    ) -> dict[str, object]:
        return {"id": item_id, "label": settings.label, "name": name}

    @router.get("/b")
    async def validated(
        connection: Connection,
        q: str,
        limit: int = Depends(page_size),
        method: str = Depends(client_of),
    ) -> dict[str, object]:
        return {"q": q, "limit": limit, "method": method}

    @router.route("/v/<int:item_id>")
    class Page(View):
        name: str = Depends(label)

        async def get(self, connection: Connection, item_id: int) -> str:
            return f"{self.name} {item_id}"

    return router


def test_coroutine_providers_without_a_body_answer_as_the_general_path() -> None:
    app = aaf([fast_router()])
    with TestClient(app) as client:
        CALLS.clear()
        assert client.get("/a/3").json() == {"id": 3, "label": "conf", "name": "conf"}
        assert CALLS == ["conf", "label"]  # conf is cached: called once for two asks
        assert client.get("/b", params={"q": "x", "limit": 5}).json() == {
            "q": "x",
            "limit": 5,
            "method": "GET",
        }
        refused = client.get("/b", params={"limit": 0})
        assert refused.status_code == 422
        assert [e["loc"] for e in refused.json()["detail"]] == [["query", "limit"], ["query", "q"]]
        assert client.get("/v/4").text == "conf 4"

        class Other(Conf):
            label = "other"

        async def other() -> Conf:
            return Other()

        app.dependency_overrides[conf] = other  # the general path takes over
        assert client.get("/a/3").json() == {"id": 3, "label": "other", "name": "other"}
        app.dependency_overrides.clear()


def test_a_router_called_alone_resolves_coroutine_providers() -> None:
    router = fast_router()
    sent = run_with_connection(router, http_scope(path="/a/7"))
    assert sent[-1].get("body") == b'{"id":7,"label":"conf","name":"conf"}'


class Pages:
    """A class provider, as FastAPI's docs write them: called with its __init__'s values."""

    def __init__(self, offset: int = 0, limit: Annotated[int, Query(le=50)] = 10) -> None:
        self.offset, self.limit = offset, limit


class RoleCheck:
    """A callable instance provider, configured when the route is written."""

    def __init__(self, role: str) -> None:
        self.role = role

    def __call__(self, x_role: Annotated[str, Header()] = "") -> bool:
        return x_role == self.role


def test_depends_with_no_provider_calls_the_parameters_class() -> None:
    # FastAPI's shortcut, `commons: Annotated[CommonQueryParams, Depends()]`.
    router = Router()

    @router.get("/pages")
    async def pages(
        connection: Connection,
        p: Annotated[Pages, Depends()],
        again: Annotated[Pages, Depends()],
        fresh: Annotated[Pages, Depends(use_cache=False)],
    ) -> list[int]:
        assert p is again and p is not fresh  # cached per request, as Depends(Pages) is
        return [p.offset, p.limit]

    client = TestClient(aaf([router]))
    assert client.get("/pages", params={"offset": "5"}).json() == [5, 10]
    bad = client.get("/pages", params={"limit": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]
    # It needs a class to call: refused at registration where there is none.
    with pytest.raises(ConfigurationError, match="annotated int: name the provider"):

        @router.get("/count")
        async def count(connection: Connection, n: Annotated[int, Depends()]) -> int:
            return n

    with pytest.raises(ConfigurationError, match=r"Depends\(\) names no provider"):

        @router.get("/checked", dependencies=[Depends()])  # type: ignore[aaf-route]
        async def checked(connection: Connection) -> None: ...


def scaled(factor: int, n: int = 1) -> int:
    return factor * n


def test_classes_partials_and_callable_objects_are_providers_with_typed_parameters() -> None:
    # A class provider's parameters were read from the class's own annotations (none), so
    # `limit=x` reached __init__ as the string "x" unvalidated; a functools.partial was
    # refused ("cannot resolve its annotations").
    router = Router()

    @router.get("/pages")
    async def pages(connection: Connection, p: Pages = Depends(Pages)) -> list[int]:
        return [p.offset, p.limit]

    @router.get("/admin")
    async def admin(connection: Connection, ok: bool = Depends(RoleCheck("admin"))) -> bool:
        return ok

    @router.get("/scaled")
    async def scaled_by_three(
        connection: Connection, value: int = Depends(functools.partial(scaled, 3))
    ) -> int:
        return value

    app = aaf([router])
    client = TestClient(app)
    assert client.get("/pages", params={"offset": "5"}).json() == [5, 10]
    bad = client.get("/pages", params={"limit": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]
    assert client.get("/pages", params={"limit": "51"}).status_code == 422
    assert client.get("/admin", headers={"x-role": "admin"}).json() is True
    assert client.get("/admin").json() is False
    assert client.get("/scaled", params={"n": "2"}).json() == 6
    document = cast(
        "dict[str, dict[str, dict[str, dict[str, list[dict[str, object]]]]]]", app.openapi()
    )
    limit = document["paths"]["/pages"]["get"]["parameters"][1]
    assert limit["name"] == "limit" and limit["schema"] == {
        "type": "integer",
        "maximum": 50,
        "default": 10,
        "title": "Limit",
    }


# A View's dependencies as annotations given no value, `db: Annotated[Db, Depends(get_db)]`:
# the same as `db: Db = Depends(get_db)` (before, the attribute was never set: 500).
ANNOTATED_EVENTS: list[str] = []


async def annotated_session() -> AsyncIterator[str]:
    ANNOTATED_EVENTS.append("open")
    yield "session"
    ANNOTATED_EVENTS.append("close")


def owner_of(item_id: int) -> str:
    return f"owner of {item_id}"


class Paging:
    def __init__(self, page: int = 1) -> None:
        self.page = page


class AnnotatedBase(View):
    db: Annotated[str, Depends(annotated_session)]


class AnnotatedItem(AnnotatedBase):
    owner: Annotated[str, Depends(owner_of)]
    paging: Annotated[Paging, Depends()]
    unresolved: NotImportedAnywhere  # type: ignore[name-defined]  # noqa: F821  # a checker's name only
    plain: int = 3

    async def get(self, connection: Connection) -> dict[str, object]:
        return {"db": self.db, "owner": self.owner, "page": self.paging.page, "plain": self.plain}


def test_view_attributes_annotated_with_depends_are_filled_before_the_method() -> None:
    router = Router()
    router.add_route("/items/<int:item_id>", AnnotatedItem)
    ANNOTATED_EVENTS.clear()
    with TestClient(aaf([router])) as client:
        answer = client.get("/items/7", params={"page": 2})
        assert answer.json() == {"db": "session", "owner": "owner of 7", "page": 2, "plain": 3}
        assert ANNOTATED_EVENTS == ["open", "close"]  # the generator's cleanup ran
        # Its providers' parameters are validated as a handler's: one 422.
        refused = client.get("/items/7", params={"page": "x"})
        assert refused.status_code == 422
        assert [e["loc"] for e in refused.json()["detail"]] == [["query", "page"]]


def test_a_subclass_value_shadows_an_inherited_dependency() -> None:
    class Fixed(AnnotatedItem):
        db = "fixed"  # a plain value, as attribute lookup finds it

    router = Router()
    router.add_route("/items/<int:item_id>", Fixed)
    ANNOTATED_EVENTS.clear()
    with TestClient(aaf([router])) as client:
        assert client.get("/items/1").json()["db"] == "fixed"
    assert ANNOTATED_EVENTS == []


def test_an_annotated_attribute_depends_with_no_class_is_refused() -> None:
    class Bad(View):
        count: Annotated[int, Depends()]

        async def get(self, connection: Connection) -> int:
            return self.count

    router = Router()
    with pytest.raises(ConfigurationError, match=r"Bad.count is Depends\(\) with no provider"):
        router.add_route("/bad", Bad)


def test_a_view_attribute_whose_depends_cannot_be_resolved_is_refused() -> None:
    # This module has `from __future__ import annotations`: the annotation is a string,
    # evaluated in the module, which cannot see a provider defined in this function. It
    # was no dependency without a word: self.flag was an AttributeError, a 500 per request.
    def verbose(full: bool = False) -> bool:
        return full

    class Local(View):
        flag: Annotated[bool, Depends(verbose)]
        later: Unseen  # type: ignore[name-defined]  # noqa: F821  # pyright: ignore[reportUndefinedVariable]

        async def get(self, connection: Connection) -> bool:
            return self.flag

    with pytest.raises(
        ConfigurationError,
        match=r"Local.flag: cannot resolve its annotation 'Annotated\[bool, Depends\(verbose\)\]': "
        r"name 'verbose' is not defined \(under `from __future__ import annotations`",
    ):
        Router().add_route("/local", Local)

    # One no type names at run time, without Depends, is no dependency, as before.
    class Unresolved(View):
        later: Unseen  # type: ignore[name-defined]  # noqa: F821  # pyright: ignore[reportUndefinedVariable]

        async def get(self, connection: Connection) -> str:
            return "ok"

    router = Router()
    router.add_route("/unresolved", Unresolved)
    assert TestClient(aaf([router])).get("/unresolved").text == "ok"


def test_a_marker_as_a_view_attribute_is_refused() -> None:
    # It stayed the marker: self.page was Query(alias=None), whatever the query string held.
    class Listing(View):
        page: int = Query()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

        async def get(self, connection: Connection) -> int:
            return self.page

    # Annotated with one and given no value, nothing set it: self.terms was an AttributeError.
    class Search(View):
        terms: Annotated[str, Header(alias="x-terms")]

        async def get(self, connection: Connection) -> str:
            return self.terms

    router = Router()
    with pytest.raises(
        ConfigurationError,
        match=r"Listing\.page is Query\(\): a View's attribute is filled by Depends\(provider\) "
        r"only; read a request value as a method's parameter, page: Annotated\[T, Query\(\)\]$",
    ):
        router.add_route("/listing", Listing)
    with pytest.raises(
        ConfigurationError,
        match=r"Search\.terms is marked Header\(\): a View's attribute is filled by Depends\(",
    ):
        router.add_route("/search", Search)


class Signed(BaseModel):
    signature: str


class Order(BaseModel):
    item: str
    quantity: int = 1


def verified(signed: Signed) -> str:
    """A provider that reads the JSON body as a type of its own (a webhook's signature)."""
    return signed.signature


def note_of(note: Annotated[str, Form()]) -> str:
    return note


def counted(count: int = 0) -> int:
    return count


def test_a_body_read_as_json_by_one_and_as_a_form_by_another_is_refused() -> None:
    # No request could be both: each read would answer the other's body 415. Before, the
    # route registered, and every request to it failed.
    async def handler_form(
        connection: Connection, note: Annotated[str, Form()], sig: str = Depends(verified)
    ) -> None: ...

    def first(count: int = Depends(counted)) -> int:
        return count

    def second(count: int = Depends(counted)) -> int:
        return count

    async def handler_json(
        connection: Connection,
        order: Order,
        a: int = Depends(first),  # both read one provider, looked at once
        b: int = Depends(second),
        note: str = Depends(note_of),
    ) -> None: ...

    cases: list[tuple[Callable[..., Awaitable[None]], str, str]] = [
        (handler_form, "verified", "handler_form"),
        (handler_json, "handler_json", "note_of"),
    ]
    for handler, json_reader, form_reader in cases:
        router = Router()
        with pytest.raises(ConfigurationError) as raised:
            router.post("/orders")(handler)
            aaf([router])
        message = str(raised.value)
        assert "a JSON body parameter and Form() fields cannot mix, its providers' included" in (
            message
        )
        assert f"{json_reader} reads the body as JSON, " in message
        assert message.endswith(f"{form_reader} as a form)")

    # A router's dependency counts too, below any depth.
    async def nested(note: str = Depends(note_of)) -> str:
        return note

    guarded = Router(dependencies=[Depends(nested)])
    with pytest.raises(ConfigurationError, match=r"create reads the body as JSON, .*note_of as"):

        @guarded.post("/orders")
        async def create(connection: Connection, order: Order) -> None: ...

        aaf([guarded])


def test_a_body_read_by_the_handler_and_a_provider_as_two_types_must_be_both() -> None:
    router = Router()

    @router.post("/orders")
    async def create(
        connection: Connection, order: Order, signature: str = Depends(verified)
    ) -> dict[str, str]:
        return {"item": order.item, "signature": signature}

    app = aaf([router])
    body = cast(
        "dict[str, Any]", cast("dict[str, Any]", app.openapi())["paths"]["/orders"]["post"]
    )["requestBody"]
    # The document says what a request must hold: valid as each type that reads it.
    assert body == {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Order"},
                        {"$ref": "#/components/schemas/Signed"},
                    ]
                }
            }
        },
    }
    client = TestClient(app)
    answer = client.post("/orders", json={"item": "lamp", "signature": "s1"})
    assert answer.json() == {"item": "lamp", "signature": "s1"}
    refused = client.post("/orders", json={"item": "lamp"})
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["detail"]] == [["body", "signature"]]


def quantity_of(quantity: Annotated[int, Body()]) -> int:
    """A provider reading the whole body as a number (a FastAPI port expecting it embedded)."""
    return quantity


def counts_of(counts: Annotated[list[int], Body()] = []) -> int:  # noqa: B006  # never changed
    return len(counts)


def test_a_body_no_json_value_could_be_read_as_by_all_its_readers_is_refused() -> None:
    # An object for the handler and a number for a provider: every request was a 422. In
    # FastAPI each would be a field of the body under its name; aaf reads one body whole.
    async def handler(
        connection: Connection, order: Order, quantity: int = Depends(quantity_of)
    ) -> None: ...

    async def deeper(quantity: int = Depends(quantity_of)) -> int:
        return quantity

    async def nested(connection: Connection, order: Order, q: int = Depends(deeper)) -> None: ...

    for endpoint, reader in ((handler, "handler"), (nested, "nested")):
        router = Router()
        with pytest.raises(ConfigurationError) as raised:
            router.post("/orders")(endpoint)
        assert str(raised.value) == (
            f"{endpoint.__qualname__}: no request body can be read as Order by "
            f"{endpoint.__qualname__} (an object) and as int by quantity_of (a string, number, "
            "boolean or null): each reads the whole JSON body, not a field of it under its "
            "name as FastAPI's body parameters do; read one model with a field for each"
        ), reader

    # Types that share a value are read as both (an Order is a dict); bodies none requires
    # can be left out, which each takes.
    router = Router()

    async def as_dict(raw: Annotated[dict[str, object], Body()]) -> int:
        return len(raw)

    @router.post("/shared")
    async def shared(
        connection: Connection, order: Order, size: int = Depends(as_dict)
    ) -> list[object]:
        return [order.item, size]

    @router.post("/optional")
    async def optional(
        connection: Connection,
        order: Annotated[Order, Body()] = Order(item="none"),  # noqa: B008  # a constant
        count: int = Depends(counts_of),
    ) -> list[object]:
        return [order.item, count]

    client = TestClient(aaf([router]))
    assert client.post("/shared", json={"item": "lamp"}).json() == ["lamp", 1]
    assert client.post("/optional").json() == ["none", 0]
    assert client.post("/optional", json=[1, 2]).status_code == 422  # no Order


def test_a_body_read_as_one_type_by_the_handler_and_a_provider_is_documented_once() -> None:
    def quantity_of(order: Order) -> int:
        return order.quantity

    router = Router()

    @router.post("/orders")
    async def create(connection: Connection, order: Order, n: int = Depends(quantity_of)) -> int:
        return n

    document = cast("dict[str, Any]", aaf([router]).openapi())
    body = document["paths"]["/orders"]["post"]["requestBody"]
    assert body == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
    }


def test_a_value_read_by_the_handler_and_a_provider_is_documented_as_both_read_it() -> None:
    # Each reader validates the value as its own type: the document says what a request must
    # send to pass both, not whichever reader the document met last.
    def limited(limit: Annotated[int, Query(le=10)] = 5) -> int:
        return limit

    def optional_token(token: Annotated[str | None, Header()] = None) -> str:
        return token or ""

    def same_page(page: int = 1) -> int:
        return page

    router = Router()

    @router.get("/orders")
    async def orders(
        connection: Connection,
        token: Annotated[str, Header()],
        limit: Annotated[int, Query(ge=1)] = 20,
        page: int = 1,
        capped: int = Depends(limited),
        maybe: str = Depends(optional_token),
        same: int = Depends(same_page),
    ) -> dict[str, int]:
        return {"limit": limit, "capped": capped}

    app = aaf([router])
    document = cast("dict[str, Any]", app.openapi())
    parameters = {p["name"]: p for p in document["paths"]["/orders"]["get"]["parameters"]}
    assert parameters["limit"] == {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {
            "allOf": [
                {"minimum": 1, "title": "Limit", "type": "integer", "default": 20},
                {"maximum": 10, "title": "Limit", "type": "integer", "default": 5},
            ]
        },
    }
    # Required, as the handler requires it, though the provider would do without.
    assert parameters["token"]["required"] is True
    # One schema where the two read it alike.
    assert parameters["page"]["schema"] == {"title": "Page", "type": "integer", "default": 1}
    client = TestClient(app)
    assert client.get("/orders?limit=7", headers={"token": "t"}).json() == {
        "limit": 7,
        "capped": 7,
    }
    refused = client.get("/orders?limit=50", headers={"token": "t"})
    assert [e["type"] for e in refused.json()["detail"]] == ["less_than_equal"]
    assert client.get("/orders?limit=7").status_code == 422  # the handler's token is missing


def test_a_form_field_read_by_the_handler_and_a_provider_is_listed_once_as_both_read_it() -> None:
    def short_note(
        note: Annotated[str, Form(max_length=3)],
        title: Annotated[str, Form()] = "untitled",
        file: UploadFile | None = None,
    ) -> str:
        return note

    router = Router()

    @router.post("/notes")
    async def add(
        connection: Connection,
        note: Annotated[str, Form()],
        title: Annotated[str, Form()] = "untitled",
        file: UploadFile | None = None,
        short: str = Depends(short_note),
    ) -> str:
        return note

    app = aaf([router])
    body = cast("dict[str, Any]", app.openapi())["paths"]["/notes"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    # Read alike by both: one schema each.
    assert schema["properties"]["title"]["default"] == "untitled"
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}
    # Required once (JSON Schema's `required` holds each name once), valid as both readers.
    assert schema["required"] == ["note"]
    assert schema["properties"]["note"] == {
        "allOf": [
            {"title": "Note", "type": "string", "minLength": 1},
            {"maxLength": 3, "title": "Note", "type": "string", "minLength": 1},
        ]
    }
    client = TestClient(app)
    assert client.post("/notes", data={"note": "abc"}).text == "abc"
    assert client.post("/notes", data={"note": "abcd"}).json()["detail"][0]["type"] == (
        "string_too_long"
    )


_STEPS: list[str] = []


async def alone_session() -> AsyncIterator[str]:
    _STEPS.append("open")
    yield "session"
    _STEPS.append("close")


def alone_page(size: int = 10) -> int:
    return size


def test_a_router_called_alone_solves_its_routes_dependencies() -> None:
    # The seed's `await router(connection)`, with no app around it: providers run (and clean
    # up) as under an app, with no overrides to look up.
    router = Router()
    _STEPS.clear()

    @router.get("/rows")
    async def rows(
        connection: Connection,
        db: Annotated[str, Depends(alone_session)],
        size: Annotated[int, Depends(alone_page)],
    ) -> dict[str, object]:
        return {"db": db, "size": size}

    sent = run_with_connection(router, http_scope(path="/rows", query_string=b"size=3"))
    assert sent[0].get("status") == 200
    assert sent[-1].get("body") == b'{"db":"session","size":3}'
    assert _STEPS == ["open", "close"]
    refused = run_with_connection(router, http_scope(path="/rows", query_string=b"size=x"))
    assert refused[0].get("status") == 422


_SESSION_EVENTS: list[str] = []


async def _session_db(room: str) -> AsyncIterator[str]:
    _SESSION_EVENTS.append(f"open {room}")
    try:
        yield f"db of {room}"
    finally:
        _SESSION_EVENTS.append("close")


def _member(token: Annotated[str, Query()] = "") -> str:
    if token != "t":
        raise HTTPError(403, "no token")
    return "ada"


def test_a_websocket_views_attributes_are_filled_before_on_connect_for_the_session() -> None:
    # A WebSocketView's `db: Db = Depends(get_db)` was never filled: the session's instance
    # kept the Depends object itself (and its rule variables counted as unused). Filled as a
    # View's now, before on_connect; a generator's cleanup waits for the session's end.
    events = _SESSION_EVENTS
    events.clear()
    router = Router()

    @router.websocket("/rooms/<room>")
    class Room(WebSocketView):
        db: str = Depends(_session_db)
        user: Annotated[str, Depends(_member)]

        async def on_connect(
            self, connection: Connection, again: str = Depends(_session_db)
        ) -> None:
            events.append(f"connect {self.user} {self.db is again}")
            await connection.accept()

        async def on_receive(self, connection: Connection, data: str) -> None:
            await connection.send_text(f"{data} via {self.db}")

        async def on_disconnect(self, connection: Connection, code: int) -> None:
            events.append(f"disconnect {code}")

    @router.websocket("/feeds/<room>")
    class Feed(WebSocketView):  # no on_connect of its own: accepted once they are filled
        db: str = Depends(_session_db)

        async def on_receive(self, connection: Connection, data: str) -> None:
            await connection.send_text(f"{data} via {self.db}")

    with TestClient(aaf([router])) as client:
        with client.websocket_connect("/rooms/lobby?token=t") as session:
            session.send_text("hi")
            assert session.receive_text() == "hi via db of lobby"
            assert events == ["open lobby", "connect ada True"]
        with client.websocket_connect("/feeds/news") as session:
            session.send_text("hi")
            assert session.receive_text() == "hi via db of news"
        with pytest.raises(WebSocketDenied), client.websocket_connect("/rooms/lobby"):
            pass
    assert events == ["open lobby", "connect ada True", "disconnect 1000", "close"] + [
        "open news",
        "close",
    ] + ["open lobby", "close"]  # refused: what was opened before the refusal is closed


def test_dependencies_are_a_list_not_one_depends() -> None:
    # `dependencies=Depends(check)` failed with "'Dependency' object is not iterable" (the
    # app's, only once it was used); it names the list to write instead.
    def check() -> None: ...

    with pytest.raises(TypeError, match=r"dependencies= takes a list: dependencies=\[Depends"):
        aaf([], dependencies=Depends(check))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"dependencies= takes a list"):
        Router(dependencies=Depends(check))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"dependencies= takes a list"):

        @Router().get("/a", dependencies=Depends(check))  # type: ignore[arg-type]
        async def handler(connection: Connection) -> None: ...


async def note_method(connection: Connection) -> None:
    log(connection, "method")


async def open_method_resource(connection: Connection) -> AsyncIterator[None]:
    log(connection, "method open")
    yield
    log(connection, "method close")


def test_a_view_methods_operation_takes_dependencies_of_its_own() -> None:
    # `@operation(dependencies=[...])` on one method (a View's delete for admins only) was a
    # TypeError. They run after the route's and its router's, before the method's own
    # providers; the other methods do not run them, and the API document shows each
    # method's own (its security scheme on that method alone).
    guarded = Router("/in", dependencies=[Depends(note_inner)])

    @guarded.route("/items/<int:item_id>", dependencies=[Depends(note_route)])
    class Item(View):
        async def get(self, connection: Connection, item_id: int) -> str:
            log(connection, "get")
            return "item"

        @operation(status_code=204, dependencies=[Depends(require_admin), Depends(note_method)])
        async def delete(self, connection: Connection, item_id: int) -> None:
            log(connection, "delete")

    @guarded.get("/plain")
    @operation(dependencies=[Depends(open_method_resource)])
    async def plain(connection: Connection, settings: dict[str, str] = Depends(settings)) -> str:
        log(connection, "plain")
        return "plain"

    app = aaf([guarded])
    with TestClient(app) as c:
        app.state["events"] = []
        assert c.get("/in/items/1").text == "item"
        assert events_of(app) == ["inner", "route", "get"]
        app.state["events"] = []
        assert c.delete("/in/items/1").status_code == 403
        assert events_of(app) == ["inner", "route"]
        app.state["events"] = []
        assert c.delete("/in/items/1", headers={"x-role": "admin"}).status_code == 204
        assert events_of(app) == ["inner", "route", "method", "delete"]
        app.state["events"] = []
        assert c.get("/in/plain").text == "plain"
        assert events_of(app) == [
            "inner", "method open", "settings", "plain", "method close"
        ]  # fmt: skip
        url = app.url_for(Item.delete, item_id=3)
        assert url == "/in/items/3"
    paths = cast("dict[str, dict[str, object]]", app.openapi()["paths"])
    parameters = paths["/in/items/{item_id}"]
    read = {
        method: [p["name"] for p in cast("list[dict[str, str]]", operation["parameters"])]
        for method, operation in cast("dict[str, dict[str, object]]", parameters).items()
    }
    assert read == {"get": ["item_id"], "delete": ["item_id", "x-role"]}


def test_an_operations_dependencies_are_checked_where_they_are_given() -> None:
    def check() -> None: ...

    with pytest.raises(TypeError, match=r"dependencies= takes a list: dependencies=\[Depends"):
        operation(dependencies=Depends(check))  # typed as check's result, None
    with pytest.raises(ConfigurationError, match="dependencies= takes Depends"):
        operation(dependencies=[check])

    async def owner_of(shop_id: str) -> None: ...

    with pytest.raises(ConfigurationError, match="owner_of: parameter 'shop_id' is annotated str"):

        @Router().route("/shops/<int:shop_id>")  # type: ignore[aaf-route]  # the plugin too
        class Shop(View):
            @operation(dependencies=[Depends(owner_of)])
            async def delete(self, connection: Connection) -> None: ...


async def refuse(connection: Connection) -> None:
    log(connection, "refused")
    raise HTTPError(403, "Admins only")


async def opened_first(connection: Connection) -> AsyncIterator[int]:
    log(connection, "opened")
    yield 1


def worked(connection: Connection, q: int = 0) -> int:
    log(connection, "worked")
    return q


def test_the_routes_dependencies_run_before_the_handlers_own_providers() -> None:
    # As in FastAPI, `dependencies=[Depends(check)]` (the app's, a router's, the route's)
    # run before the providers of the handler's parameters: the handler's providers ran
    # first, so a database session was opened (and any work done) for a request the check
    # then refused. Each kind of provider, on each path the app awaits them by.
    guarded = Router(dependencies=[Depends(refuse)])

    @guarded.get("/plain")
    async def plain(connection: Connection, one: int = Depends(settings_value)) -> int:
        return one

    @guarded.get("/generator/<int:n>")
    async def generator(connection: Connection, n: int, one: int = Depends(opened_first)) -> int:
        return n

    @guarded.get("/sync")
    async def sync(connection: Connection, q: int = Depends(worked)) -> int:
        return q

    @guarded.route("/view")
    class Guarded(View):
        async def get(self, connection: Connection, one: int = Depends(opened_first)) -> int:
            return one

    open_router = Router()

    @open_router.get("/route", dependencies=[Depends(refuse)])
    async def route(connection: Connection, q: int = Depends(worked)) -> int:
        return q

    app = aaf([guarded, open_router])
    with TestClient(app) as c:
        for path in ("/plain", "/generator/1", "/sync?q=2", "/view", "/route"):
            app.state["events"] = []
            assert c.get(path).status_code == 403, path
            assert events_of(app) == ["refused"], path


async def settings_value(connection: Connection) -> int:
    log(connection, "settings value")
    return 1


async def attribute_value(connection: Connection) -> int:
    log(connection, "attribute")
    return 1


def test_a_views_attributes_are_provided_before_the_methods_own_parameters() -> None:
    # The instance's attributes come before the method's parameters (a class-based view's
    # `self` is FastAPI's first dependency), after the route's checks: the method's own
    # providers ran first.
    router = Router(dependencies=[Depends(note_route)])

    @router.route("/ordered")
    class Ordered(View):
        value: int = Depends(attribute_value)

        async def get(self, connection: Connection, one: int = Depends(settings_value)) -> int:
            log(connection, "get")
            return self.value + one

    app = aaf([router])
    with TestClient(app) as c:
        app.state["events"] = []
        assert c.get("/ordered").json() == 2
        assert events_of(app) == ["route", "attribute", "settings value", "get"]


class Search(BaseModel):
    """FastAPI's classes as dependencies, a model: its fields are the query's values."""

    text: str = Field(alias="q", pattern="^[a-z ]+$")
    page: int = Field(1, ge=1, description="From 1")
    tags: list[str] = Field(default_factory=list)
    since: int = 0
    until: int = 100

    @field_validator("tags")
    @classmethod
    def few(cls, tags: list[str]) -> list[str]:
        if len(tags) > 2:
            raise ValueError("at most two tags")
        return tags

    @model_validator(mode="after")
    def ordered(self) -> Search:
        if self.since > self.until:
            raise ValueError("since is after until")
        return self


def test_a_model_given_to_depends_is_made_of_the_query_with_its_fields_rules() -> None:
    # Its fields' constraints were left out (the class's annotations do not hold them) and a
    # default_factory's stand-in was passed as a value; what its validators refused, and
    # those constraints then, were a 500 (FastAPI answers 500 too).
    router = Router()

    @router.get("/search")
    async def search(connection: Connection, found: Annotated[Search, Depends()]) -> Search:
        return found

    client = TestClient(aaf([router]))
    assert client.get("/search?q=lamp").json() == {
        "q": "lamp",
        "page": 1,
        "tags": [],
        "since": 0,
        "until": 100,
    }
    assert client.get("/search?q=a+b&tags=x&tags=y&page=2").json()["tags"] == ["x", "y"]

    def refused(url: str) -> list[tuple[str, list[object]]]:
        answer = client.get(url)
        assert answer.status_code == 422, answer.text
        return [(e["type"], e["loc"]) for e in answer.json()["detail"]]

    assert refused("/search?q=LAMP&page=0") == [
        ("string_pattern_mismatch", ["query", "q"]),
        ("greater_than_equal", ["query", "page"]),
    ]
    assert refused("/search?q=lamp&tags=a&tags=b&tags=c") == [("value_error", ["query", "tags"])]
    assert refused("/search?q=lamp&since=5&until=1") == [("value_error", ["query"])]
    # Documented as a model marked Query() is: by alias, with its constraints and words.
    document = cast(dict[str, Any], aaf([router]).openapi())
    parameters = {p["name"]: p for p in document["paths"]["/search"]["get"]["parameters"]}
    assert list(parameters) == ["q", "page", "tags", "since", "until"]
    assert parameters["q"]["schema"]["pattern"] == "^[a-z ]+$"
    assert parameters["page"]["description"] == "From 1"
    assert parameters["page"]["schema"]["minimum"] == 1


@pydantic.dataclasses.dataclass
class PageOptions:
    page: int = Field(1, ge=1)
    sort: list[str] = Field(default_factory=list)

    @field_validator("page")
    @classmethod
    def near(cls, page: int) -> int:
        if page > 50:
            raise ValueError("past the last page")
        return page


def test_a_pydantic_dataclass_given_to_depends_is_made_as_a_model_is() -> None:
    router = Router()

    @router.get("/pages")
    async def pages(
        connection: Connection, paging: Annotated[PageOptions, Depends()]
    ) -> PageOptions:
        return paging

    client = TestClient(aaf([router]))
    assert client.get("/pages").json() == {"page": 1, "sort": []}
    assert client.get("/pages?sort=a&page=3").json() == {"page": 3, "sort": ["a"]}
    for url, wanted in (
        ("/pages?page=0", "greater_than_equal"),
        ("/pages?page=60", "value_error"),
    ):
        answer = client.get(url)
        assert answer.status_code == 422
        assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
            (wanted, ["query", "page"])
        ]
