from __future__ import annotations

import asyncio
import datetime
import enum
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, cast
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, Map, MapAdapter, RequestRedirect, Rule, ValidationError

from aaf import aaf
from aaf._rules import CONVERTERS
from aaf._types import Receive, ReceiveEvent, Scope, Send, SendEvent
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError, WebSocketDisconnect
from aaf.params import Depends, Form, Header, Query
from aaf.response import HttpResponse, JsonResponse
from aaf.routing import NotAllowed, NotInUrl, Redirect, Router
from aaf.testing import TestClient
from aaf.views import View

from ._helpers import Recorder, http_scope, run_with_connection, ws_scope


def make_router() -> Router:
    router = Router()

    @router.route("/hello/<name>")
    async def hello(connection: Connection, name: str) -> HttpResponse:
        return HttpResponse(f"Hello, {name}")

    @router.route("/things", methods=["GET", "POST"])
    async def things(connection: Connection) -> HttpResponse:
        return HttpResponse(connection.method)

    @router.route("/dir/")
    async def directory(connection: Connection) -> HttpResponse:
        return HttpResponse("dir")

    @router.route("/items/<int:item_id>")
    class ItemView(View):
        async def get(self, connection: Connection, item_id: int) -> HttpResponse:
            return JsonResponse({"id": item_id})

        async def delete(self, connection: Connection, item_id: int) -> HttpResponse:
            return HttpResponse("deleted", status_code=202)

    return router


@pytest.fixture()
def client() -> Iterator[TestClient]:
    """A client on the module's app, its lifespan running."""
    with TestClient(aaf([make_router()])) as started:
        yield started


def test_function_route_answers_get(client: TestClient) -> None:
    response = client.get("/hello/you")
    assert response.status_code == 200
    assert response.text == "Hello, you"


def test_a_rule_ending_in_a_text_variable_takes_one_whole_segment(client: TestClient) -> None:
    assert client.get("/hello/a%20b").text == "Hello, a b"
    assert client.get("/hello/%E2%82%AC").text == "Hello, \u20ac"
    for path in ("/hello/", "/hello/x/", "/hello/x/y"):  # an empty segment, or two
        assert client.get(path, follow_redirects=False).status_code == 404, path
    merged = client.get("/hello//x", follow_redirects=False)  # werkzeug merges slashes
    assert (merged.status_code, merged.headers["location"]) == (308, "/hello/x")


def test_route_with_methods_answers_each(client: TestClient) -> None:
    assert client.get("/things").text == "GET"
    assert client.post("/things").text == "POST"


def test_view_answers_the_methods_it_defines(client: TestClient) -> None:
    assert client.get("/items/3").json() == {"id": 3}
    assert client.delete("/items/3").status_code == 202
    response = client.post("/items/3")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path", ["/hello/you", "/items/3"])
def test_head_is_answered_wherever_get_is_without_a_body(client: TestClient, path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]


@pytest.mark.parametrize(
    ("path", "allow"),
    [("/things", "GET, HEAD, OPTIONS, POST"), ("/items/1", "DELETE, GET, HEAD, OPTIONS")],
)
def test_options_is_answered_with_allow(client: TestClient, path: str, allow: str) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == allow
    assert "content-length" not in response.headers


def test_wrong_method_answers_405_with_allow(client: TestClient) -> None:
    response = client.put("/hello/x")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_missing_trailing_slash_redirects_308_keeping_the_query(client: TestClient) -> None:
    response = client.get("/dir?a=1", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/dir/?a=1"


@pytest.mark.parametrize(
    ("root_path", "path"), [("/", "/evil.example"), ("", "/files//evil.example"), ("", "//x")]
)
def test_redirects_never_point_to_another_host(root_path: str, path: str) -> None:
    router = Router()

    @router.route("/evil.example/")
    async def page(connection: Connection) -> str:
        return "page"

    @router.route("/files/<path:rest>/")
    async def files(connection: Connection, rest: str) -> str:
        return rest

    # Sent as a server would pass it; an HTTP client would read "//host" as another host.
    recorder = Recorder()
    scope = http_scope(path=path, root_path=root_path)
    asyncio.run(aaf([router])(scope, recorder.receive, recorder.send))
    start = recorder.sent[0]
    assert start["type"] == "http.response.start"
    location = dict(start.get("headers", [])).get(b"location", b"/")
    assert not location.startswith(b"//"), location


def test_unknown_path_is_404_not_found(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.text == "Not found"


def test_typed_converter_rejects_other_values_with_404(client: TestClient) -> None:
    assert client.get("/items/abc").status_code == 404


def test_routers_are_tried_in_order() -> None:
    first, second = Router(), Router()

    @first.route("/a")
    async def a1(connection: Connection) -> HttpResponse:
        return HttpResponse("first")

    @second.route("/a")
    async def a2(connection: Connection) -> HttpResponse:
        return HttpResponse("second")

    @second.route("/b")
    async def b(connection: Connection) -> HttpResponse:
        return HttpResponse("b")

    c = TestClient(aaf([first, second]))
    assert c.get("/a").text == "first"
    assert c.get("/b").text == "b"


def test_a_later_router_matching_beats_an_earlier_405() -> None:
    first, second = Router(), Router()

    @first.route("/x", methods=["POST"])
    async def post_x(connection: Connection) -> HttpResponse:
        return HttpResponse("post")

    @second.route("/x")
    async def get_x(connection: Connection) -> HttpResponse:
        return HttpResponse("get")

    c = TestClient(aaf([first, second]))
    assert c.get("/x").text == "get"
    assert c.post("/x").text == "post"
    assert c.put("/x").status_code == 405


def test_router_is_callable_on_a_connection_and_leaves_unmatched_ones_untouched() -> None:
    router = make_router()

    async def matched(conn: Connection) -> None:
        await router(conn)
        assert conn.finished

    sent = run_with_connection(matched, http_scope(path="/hello/seed"))
    assert sent[-1].get("body") == b"Hello, seed"

    async def unmatched(conn: Connection) -> None:
        await router(conn)
        assert not conn.started

    assert run_with_connection(unmatched, http_scope(path="/nope")) == []


def test_decorator_returns_the_handler_unchanged() -> None:
    router = Router()

    async def fn(connection: Connection) -> str:
        return "x"

    class V(View):
        async def get(self, connection: Connection) -> str:
            return "x"

    assert router.route("/f")(fn) is fn
    assert router.route("/v")(V) is V


def test_two_handlers_under_one_name_raise() -> None:
    router = Router()

    @router.route("/a", name="same")
    async def a(connection: Connection) -> None: ...

    async def b(connection: Connection) -> None: ...

    with pytest.raises(ConfigurationError, match="'same'"):
        router.add_route("/b", b, name="same")


def test_a_name_is_refused_wherever_the_route_is_served_beside_another_of_that_name() -> None:
    # Within one router (and at include()) a second handler under a name was refused; but a
    # route added to a router once another included it, routers given together to aaf() or
    # include_router(), and @app.get beside them were not: url_for built the first one's
    # path for both, and the document's operation ids became `index`, `index_get`.
    async def first(connection: Connection) -> str:
        return "first"

    async def second(connection: Connection) -> str:
        return "second"

    outer, inner = Router(), Router()
    outer.add_route("/x", first, name="index")
    outer.include(inner, prefix="/inner")
    with pytest.raises(ConfigurationError, match="Route name 'index' is already used by"):
        inner.add_route("/y", second, name="index")
    inner.add_route("/y", second, name="inner_index")  # named apart: served
    deeper = Router()
    inner.include(deeper, prefix="/deeper")
    with pytest.raises(ConfigurationError, match="'index'"):  # two routers up
        deeper.add_route("/z", second, name="index")

    users, items = Router(), Router()
    users.add_route("/users", first, name="index")
    items.add_route("/items", second, name="index")

    async def check() -> None: ...

    with pytest.raises(ConfigurationError, match="'index'"):
        aaf([users, items], dependencies=[Depends(check)])
    assert items._parents == users._parents == []  # pyright: ignore[reportPrivateUsage]
    unchecked = cast("list[Router]", iter([users]))  # what untyped code may pass
    assert aaf(unchecked).url_for("index") == "/users"  # an iterator, read once
    app = aaf([users])
    served = list(app.routers)
    with pytest.raises(ConfigurationError, match="'index'"):
        app.include_router(items, prefix="/v1")
    assert app.routers == served  # refused: not served either, nor included by a wrapper
    assert items._parents == []  # pyright: ignore[reportPrivateUsage]
    assert app.url_for("index") == "/users"
    shared = Router()
    shared.add_route("/again", first, name="index")  # the same handler under its name: one
    both = aaf([users, shared])
    assert both.url_for("index") == "/users"

    # Added on the app once made, beside its routers': refused as it is added. It was
    # refused at start-up only, so a test's TestClient without `with` served it.
    with pytest.raises(ConfigurationError, match="Route name 'index' is already used by"):

        @app.get("/late", name="index")
        async def late(connection: Connection) -> str:
            return "late"

    assert TestClient(app).get("/late").status_code == 404  # refused: not served
    # So is one added later to another of the app's routers (or to a router it includes).
    others = Router()
    separate = aaf([users, others])
    below = Router()
    others.include(below, prefix="/below")
    with pytest.raises(ConfigurationError, match="'index'"):
        others.add_route("/other", second, name="index")
    with pytest.raises(ConfigurationError, match="'index'"):
        below.add_route("/other", second, name="index")
    with pytest.raises(ConfigurationError, match="'index'"):
        separate.include_router(items)
    others.add_route("/other", second, name="other_index")  # named apart: served
    assert TestClient(separate).get("/other").text == "second"
    # A router served by two apps is checked against each one's others.
    third = aaf([Router(), others])
    assert third.url_for("other_index") == "/other"
    with TestClient(separate), TestClient(third):
        pass  # and both start: nothing was let through that start-up would refuse


def test_one_handler_may_serve_two_rules() -> None:
    router = Router()

    async def page(connection: Connection) -> str:
        return connection.path

    router.add_route("/one", page)
    router.add_route("/two", page)
    c = TestClient(aaf([router]))
    assert c.get("/one").text == "/one"
    assert c.get("/two").text == "/two"


def test_url_for_builds_paths_by_name() -> None:
    router = make_router()
    assert router.url_for("hello", name="a b") == "/hello/a%20b"
    assert router.url_for("ItemView", item_id=5) == "/items/5"
    app = aaf([router])
    assert app.url_for("things") == "/things"
    with pytest.raises(LookupError):
        app.url_for("missing")


def test_include_serves_a_router_under_a_prefix() -> None:
    api = Router()

    @api.route("/users/<int:user_id>")
    async def user(connection: Connection, user_id: int) -> dict[str, int]:
        return {"id": user_id}

    root = Router()
    root.include(api, prefix="/api/v1")
    c = TestClient(aaf([root]))
    assert c.get("/api/v1/users/7").json() == {"id": 7}
    assert c.get("/users/7").status_code == 404
    assert root.url_for("user", user_id=7) == "/api/v1/users/7"


def test_routes_added_to_an_included_router_later_are_served() -> None:
    api = Router(prefix="/api")
    root = Router()
    root.include(api)
    c = TestClient(aaf([root]))
    assert c.get("/api/late").status_code == 404

    @api.route("/late")
    async def late(connection: Connection) -> str:
        return "late"

    assert c.get("/api/late").text == "late"
    # A rule with values too: the matcher the app asks first is made again.
    assert c.get("/api/items/3").status_code == 404

    @api.route("/items/<int:n>")
    async def item(connection: Connection, n: int) -> int:
        return n

    assert c.get("/api/items/3").text == "3"


def test_router_prefix_applies_to_its_routes() -> None:
    router = Router(prefix="/v2")

    @router.route("/ping")
    async def ping(connection: Connection) -> str:
        return "pong"

    assert TestClient(aaf([router])).get("/v2/ping").text == "pong"


def test_include_and_mount_take_literal_prefixes_only() -> None:
    # The included routes were checked against their own rules: a variable in the prefix
    # would reach handlers that never declared it (or make werkzeug fail on every request).
    sub = Router()

    @sub.route("/<int:a>")
    async def leaf(connection: Connection, a: int) -> int:
        return a

    top = Router()
    with pytest.raises(ConfigurationError, match=r"literal prefix.*Router\(prefix='/<int:a>'\)"):
        top.include(sub, prefix="/<int:a>")
    with pytest.raises(ConfigurationError, match="literal prefix"):
        top.mount("/files/<name>", echo_scope)
    # The variables belong on the included router's own prefix, checked with each rule.
    nested = Router(prefix="/<int:group>")

    @nested.route("/<int:a>")
    async def pair(connection: Connection, group: int, a: int) -> list[int]:
        return [group, a]

    top.include(nested, prefix="/api")
    assert TestClient(aaf([top])).get("/api/1/2").json() == [1, 2]
    with pytest.raises(ConfigurationError, match="the variable <group> appears twice"):
        # The plugin refuses it too: it reads the rule under the router's prefix.
        nested.add_route("/<int:group>", leaf)  # type: ignore[aaf-route]
    # A mount matches its prefix as text: under a prefix with variables it was served at
    # "/<int:group>/files" itself, and the paths the prefix stands for were 404.
    with pytest.raises(ConfigurationError, match=r"variables in its prefix \('/<int:group>'\)"):
        nested.mount("/files", echo_scope)


async def echo_scope(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    body = f"{scope['root_path']}|{scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def test_mount_extends_root_path_and_keeps_the_full_path() -> None:
    router = Router()
    router.mount("/sub", echo_scope)
    c = TestClient(aaf([router]))
    assert c.get("/sub/deep/path").text == "/sub|/sub/deep/path"
    assert c.get("/sub").text == "/sub|/sub"
    assert c.get("/subway").status_code == 404


def test_aaf_app_mounted_in_aaf_routes_below_its_root_path() -> None:
    inner = Router()

    @inner.route("/where")
    async def where(connection: Connection) -> dict[str, str]:
        return {
            "root": connection.root_path,
            "path": connection.path,
            "route": connection.route_path,
        }

    outer = Router()
    outer.mount("/inner", aaf([inner]))
    assert TestClient(aaf([outer])).get("/inner/where").json() == {
        "root": "/inner",
        "path": "/inner/where",
        "route": "/where",
    }


RULES = [
    "/",
    "/static/page",
    "/dir/",
    "/users/<int:user_id>",
    "/users/<int:user_id>/posts/<slug>",
    "/files/<path:rest>",
    "/price/<float:amount>",
    "/ids/<uuid:ident>",
    "/pick/<any(red, green):colour>",
    "/users/me",
    "/<name>",
]
PATHS = [
    "/",
    "/static/page",
    "/dir",
    "/dir/",
    "/users/12",
    "/users/me",
    "/users/-1",
    "/users/12/posts/hi-there",
    "/files/a/b/c.txt",
    "/price/1.5",
    "/price/1",
    f"/ids/{uuid.UUID(int=5)}",
    "/ids/not-a-uuid",
    "/pick/red",
    "/pick/blue",
    "/anything",
    "/two/segments",
    "//static/page",
]


# Whole-segment rules only: the matcher's one-regex fast path serves these.
FLAT_RULES = [
    "/",
    "/static/page",
    "/dir/",
    "/users/<int:user_id>",
    "/users/<int:user_id>/posts/<slug>",
    "/price/<float:amount>",
    "/pick/<any(red, green):colour>",
    "/users/me",
    "/<name>",
    "/<name>/edit",
]


def router_and_reference(rules: list[str]) -> tuple[Router, MapAdapter]:
    """A router with ``rules`` (odd ones GET only) and werkzeug's own map of the same."""
    router = Router()
    for i, rule in enumerate(rules):

        async def handler(connection: Connection, **params: object) -> None: ...

        router.add_route(rule, handler, name=f"r{i}", methods=["GET"] if i % 2 else ["GET", "POST"])
    # aaf answers OPTIONS on every route (and HEAD where GET is, as werkzeug does too).
    reference = Map(
        [
            Rule(rule, endpoint=f"r{i}", methods=["GET", "OPTIONS", *([] if i % 2 else ["POST"])])
            for i, rule in enumerate(rules)
        ],
        converters=CONVERTERS,
    ).bind("localhost")
    return router, reference


def assert_resolves_like_werkzeug(
    router: Router, reference: MapAdapter, path: str, method: str
) -> None:
    """``Router.resolve`` (static table, matcher, werkzeug) answers what werkzeug answers."""
    outcome = router.resolve(path, method)
    try:
        endpoint, args = reference.match(path, method)
    except RequestRedirect as exc:
        assert outcome == Redirect(urlsplit(exc.new_url).path), (path, method)
    except MethodNotAllowed as exc:
        allow = sorted(exc.valid_methods or ())
        assert outcome == NotAllowed(", ".join(allow)), (path, method)
    except NotFound:
        assert outcome is None, (path, method)
    else:
        assert type(outcome) is tuple, (path, method)  # a Match
        assert (outcome[0].name, outcome[1]) == (endpoint, args), (path, method)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
@pytest.mark.parametrize("rules", [RULES, FLAT_RULES], ids=["walk", "flat"])
def test_fast_paths_give_the_same_answers_as_werkzeug(rules: list[str], method: str) -> None:
    router, reference = router_and_reference(rules)
    for path in [*PATHS, "*", "users/12", "dir", "", "/users/12/", "/users/１２", "/x/edit"]:
        assert_resolves_like_werkzeug(router, reference, path, method)


WALK_ROUTER = router_and_reference(RULES)
FLAT_ROUTER = router_and_reference(FLAT_RULES)
SEGMENTS = st.one_of(
    st.sampled_from(["users", "me", "posts", "static", "page", "dir", "files", "price", "ids",
                     "pick", "red", "blue", "edit", "12", "-1", "1.5", "", "*", "１２"]),
    st.text(alphabet="az09-._~%", max_size=3),
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    segments=st.lists(SEGMENTS, max_size=5),
    lead=st.sampled_from(["/", "", "//"]),
    method=st.sampled_from(["GET", "POST", "PUT"]),
)
def test_any_path_resolves_as_werkzeug_matches(segments: list[str], lead: str, method: str) -> None:
    path = lead + "/".join(segments)
    for router, reference in (WALK_ROUTER, FLAT_ROUTER):
        assert_resolves_like_werkzeug(router, reference, path, method)


def test_path_args_cannot_be_corrupted_by_a_handler() -> None:
    router = Router()

    @router.route("/n/<int:n>")
    async def n(connection: Connection, n: int) -> dict[str, object]:
        seen = dict(connection.path_params)
        connection.path_params["n"] = "corrupted"
        return seen

    # A static route's outcome is shared by every request for it (Router's static table).
    @router.route("/static")
    async def static(connection: Connection) -> dict[str, object]:
        seen = dict(connection.path_params)
        connection.path_params["added"] = "by a handler"
        return seen

    c = TestClient(aaf([router]))
    assert c.get("/n/1").json() == {"n": 1}
    assert c.get("/n/1").json() == {"n": 1}
    assert c.get("/static").json() == {}
    assert c.get("/static").json() == {}


def test_url_for_by_handler_puts_rule_variables_in_the_path_and_the_rest_in_the_query() -> None:
    router = Router()

    @router.get("/items/<int:item_id>")
    async def get_item(connection: Connection, item_id: int, verbose: bool = False) -> str:
        return ""

    @router.route("/users/<name>")
    class UserView(View):
        async def get(self, connection: Connection, name: str) -> str:
            return name

    app = aaf([router])
    assert app.url_for(get_item, item_id=3) == "/items/3"
    assert router.url_for(get_item, item_id=3, verbose=True) == "/items/3?verbose=True"
    assert app.url_for(UserView.get, name="ann b") == "/users/ann%20b"

    async def unrouted(connection: Connection) -> None: ...

    with pytest.raises(LookupError, match=r"No route for '.*<locals>\.unrouted' accepts"):
        app.url_for(unrouted)


def test_url_for_by_handler_tries_each_route_the_handler_serves_in_order() -> None:
    # As werkzeug (and Flask) build an endpoint served by several rules: the first, in the
    # order they were registered, that takes the parameters. Each route has a name of its
    # own here, so werkzeug's own search by name would stop at the first.
    router = Router()

    @router.get("/items/<int:item_id>")
    @router.get("/items/<int:item_id>/parts/<int:part>", name="part")
    async def item(connection: Connection, item_id: int, part: int = 0) -> str:
        return ""

    @router.route("/users/<name>", name="user")
    @router.route("/teams/<team>/users/<name>", name="member")
    class UserView(View):
        async def get(self, connection: Connection, name: str, team: str = "") -> str:
            return name

    app = aaf([router])
    assert app.url_for(item, item_id=3, part=2) == "/items/3/parts/2"
    assert app.url_for(item, item_id=3) == "/items/3"  # the second route: part is its query
    assert router.url_for(item, item_id=3) == "/items/3"
    assert app.url_for(UserView.get, name="ann", team="b") == "/teams/b/users/ann"
    assert app.url_for(UserView.get, name="ann") == "/users/ann"
    with pytest.raises(LookupError, match="accepts the parameters"):
        app.url_for(item, part=2)  # type: ignore[call-overload]  # neither route takes it

    # A value one route's converter refuses goes to the next; refused by all, the first says.
    @router.get("/pages/<int(min=1):n>")
    @router.get("/top/<int(min=1, max=9):n>", name="top")
    async def page(connection: Connection, n: int) -> str:
        return ""

    assert app.url_for(page, n=3) == "/top/3"
    assert app.url_for(page, n=30) == "/pages/30"
    with pytest.raises(ValueError, match=r"url_for\('top'\): '0' is not a value"):
        app.url_for(page, n=0)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Filters(BaseModel):
    colour: Colour = Colour.RED
    sizes: list[int] = []
    since: datetime.date | None = None


NO_FILTERS = Filters()


def test_url_for_builds_only_urls_that_lead_back_to_the_route() -> None:
    # werkzeug built /files/a/b for <name> given "a/b" (404, or another route), /n/0 for
    # <int(min=1):n>, /n/3 for 3.7, /kind/c for <any(a, b):kind>: links that a click does
    # not follow back (or follows to another item).
    router = Router()

    @router.get("/files/<name>")
    async def file(connection: Connection, name: str) -> str:
        return name

    @router.get("/n/<int(min=1):n>")
    async def number(connection: Connection, n: int) -> int:
        return n

    @router.get("/x/<float:x>")
    async def real(connection: Connection, x: float) -> float:
        return x

    @router.get("/kind/<any(a, b):kind>")
    async def kind(connection: Connection, kind: str) -> str:
        return kind

    @router.get("/code/<string(length=2):code>/<uuid:key>/<path:rest>")
    async def code(connection: Connection, code: str, key: uuid.UUID, rest: str) -> str:
        return f"{code} {key} {rest}"

    app = aaf([router])
    client = TestClient(app)
    key = uuid.UUID(int=7)
    good = [
        app.url_for(file, name="a b?#%"),
        app.url_for(file, name="..."),
        app.url_for(number, n=1),
        app.url_for("number", n=4.0),  # a whole number, however written
        app.url_for(real, x=2),
        app.url_for(kind, kind="b"),
        app.url_for(code, code="en", key=key, rest="x/y"),
    ]
    answers = [client.get(url).text for url in good]
    assert answers == ["a b?#%", "...", "1", "4", "2.0", "b", f"en {key} x/y"]
    bad: list[tuple[str, dict[str, object], str]] = [
        ("file", {"name": "a/b"}, "'a/b' .*: a <name> variable takes one path segment"),
        ("file", {"name": ""}, "'' is not a value"),
        ("number", {"n": 0}, "'0' is not a value"),
        ("number", {"n": -3}, "'-3' is not a value"),
        # int() truncates: 3.7 was /n/3, another item's link
        ("number", {"n": 3.7}, "3.7 is not a whole number, which '3' would stand for"),
        ("number", {"n": Decimal("2.5")}, "Decimal\\('2.5'\\) is not a whole number"),
        ("real", {"x": 1e20}, "'1e[+]20' is not a value"),
        ("kind", {"kind": "c"}, "'c' is not a value"),
        ("code", {"code": "eng", "key": key, "rest": "x"}, "'eng' is not a value"),
        ("code", {"code": "en", "key": "nope", "rest": "x"}, "'nope' is not a value"),
        ("code", {"code": "en", "key": key, "rest": "/x"}, "'/x' is not a value"),
        # a dot segment: a client resolves /f/.. to /, away from the route
        ("file", {"name": ".."}, "'..' .*: a '.' or '..' path segment is resolved away"),
        ("file", {"name": "."}, "'.' is not a value"),
        ("code", {"code": "en", "key": key, "rest": "x/../y"}, "'x/../y' is not a value"),
    ]
    for name, values, message in bad:
        with pytest.raises(ValueError, match=f"^url_for\\('{name}'\\): {message}"):
            app.url_for(name, **values)


def test_url_for_refuses_a_path_value_ending_in_a_slash_before_the_rules_own() -> None:
    # /folders/docs// is redirected (werkzeug's merge_slashes) to /folders/docs/, whose
    # value is "docs": a link to another folder, one slash short.
    router = Router()

    @router.get("/folders/<path:name>/")
    async def folder(connection: Connection, name: str) -> str:
        return name

    @router.websocket("/feeds/<path:name>/")
    async def feed(connection: Connection, name: str) -> None:
        await connection.accept()
        await connection.send_text(name)
        await connection.close()

    @router.get("/files/<path:name>")
    async def file(connection: Connection, name: str) -> str:
        return name

    app = aaf([router])
    client = TestClient(app, follow_redirects=False)
    assert client.get("/folders/docs//").status_code == 308
    for handler in (folder, feed):
        with pytest.raises(ValueError, match="/docs//' ends in '//', which the rule's closing"):
            app.url_for(handler, name="docs/")
    # Slashes elsewhere in the value lead back, as a value ending in one where the rule
    # ends without one.
    assert client.get(app.url_for(folder, name="a//b")).text == "a//b"
    with client.websocket_connect(app.url_for(feed, name="a/b")) as websocket:
        assert websocket.receive_text() == "a/b"
    assert client.get(app.url_for(file, name="docs/")).text == "docs/"
    assert client.get(app.url_for(file, name="docs//")).text == "docs//"


def test_url_for_refuses_path_values_that_a_rule_of_several_would_split_otherwise() -> None:
    # The first <path:> variable takes the shortest text that leaves the rest a match:
    # /pairs/a/b/c, built of "a/b" and "c", reached the handler as "a" and "b/c".
    router = Router()

    @router.get("/pairs/<path:first>/<path:second>")
    async def pair(connection: Connection, first: str, second: str) -> list[str]:
        return [first, second]

    @router.get("/pairs/x/y")
    async def fixed(connection: Connection) -> list[str]:
        return ["fixed"]

    @router.post("/joined/<path:first>/and/<path:second>")
    async def joined(connection: Connection, first: str, second: str) -> list[str]:
        return [first, second]

    @router.websocket("/feeds/<path:first>/<path:second>")
    async def feed(connection: Connection, first: str, second: str) -> None:
        await connection.accept()
        await connection.send_json([first, second])
        await connection.close()

    app = aaf([router])
    client = TestClient(app)
    assert client.get("/pairs/a/b/c").json() == ["a", "b/c"]
    for handler in (pair, feed):
        with pytest.raises(ValueError, match=r"/a/b/c' is matched as \{'first': 'a', 'second'"):
            app.url_for(handler, first="a/b", second="c")
    with pytest.raises(ValueError, match="'/pairs/x/y' is matched as another route"):
        app.url_for(pair, first="x", second="y")
    # What splits back as it was built is built.
    assert client.get(app.url_for(pair, first="a", second="b/c%2F")).json() == ["a", "b/c%2F"]
    assert client.post(app.url_for(joined, first="a/b", second="c/d")).json() == ["a/b", "c/d"]
    with client.websocket_connect(app.url_for(feed, first="é", second="f/g")) as websocket:
        assert websocket.receive_json() == ["é", "f/g"]


def test_url_for_a_websocket_route_gives_its_path() -> None:
    # werkzeug builds a WebSocket rule's URL whole: "ws://localhost/rooms/tea?token=t", the
    # host the map was bound to, and connection.url_for put the root path before it.
    router = Router()

    @router.websocket("/rooms/<room>")
    async def room(connection: Connection, room: str, token: str = "") -> None:
        await connection.accept()
        # Where a page served below /chat would tell the browser to connect.
        await connection.send_text(connection.url_for("room", room=room, token=token))

    app = aaf([router])
    assert app.url_for(room, room="tea", token="t") == "/rooms/tea?token=t"
    assert router.url_for("room", room="tea") == "/rooms/tea"
    outer = Router()
    outer.mount("/chat", app)
    with TestClient(aaf([outer])).websocket_connect("/chat/rooms/tea?token=t") as session:
        assert session.receive_text() == "/chat/rooms/tea?token=t"


def paging(
    page: Annotated[int, Query(ge=1)] = 1, per: Annotated[int, Query(alias="n")] = 20
) -> str:
    return f"page {page} of {per}"


def shop_of(shop_id: int, paged: Annotated[str, Depends(paging)]) -> str:
    return f"shop {shop_id}, {paged}"


def test_url_for_by_handler_takes_what_its_providers_read_from_the_url() -> None:
    # A rule variable read only by a provider (the "object or 404" provider) built; a paging
    # provider's query parameter was NotInUrl, though the handler reads it through it.
    router = Router()

    @router.get("/shops/<int:shop_id>/items")
    async def shop_items(connection: Connection, shop: str = Depends(shop_of), q: str = "") -> str:
        return f"{shop}, {q}"

    app = aaf([router])
    # The ParamSpec asks for `shop` and knows nothing of the providers' parameters; the mypy
    # plugin types the call as written here (tests/test_mypy_plugin.py), basedpyright cannot.
    loose = cast("Callable[..., str]", app.url_for)
    url = loose(shop_items, shop_id=7, page=2, per=50, q="lamp")
    assert url == "/shops/7/items?page=2&n=50&q=lamp"
    assert TestClient(app).get(url).text == "shop 7, page 2 of 50, lamp"
    with pytest.raises(NotInUrl, match="shop_items: 'shop' is not a path or query parameter"):
        loose(shop_items, shop_id=7, shop="s")


def test_url_for_by_handler_takes_what_the_apps_and_including_routers_providers_read() -> None:
    # Providers of the app's and an including router's `dependencies=` run for the route
    # too: url_for by handler refused their query parameters ("'lang' is not a path or query
    # parameter"), which url_for by name put in the query string.
    def language(lang: Annotated[str, Query()] = "en") -> None:
        return None

    def keyed(api_key: Annotated[str, Query()] = "") -> None:
        return None

    def region(country: Annotated[str, Query(alias="c")] = "") -> None:
        return None

    inner = Router(dependencies=[Depends(keyed)])

    @inner.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: int) -> dict[str, object]:
        return {"item": item_id, "query": dict(connection.query)}

    outer = Router()
    outer.include(inner, prefix="/shop", dependencies=[Depends(region)])
    app = aaf([outer], dependencies=[Depends(language)])
    loose = cast("Callable[..., str]", app.url_for)  # (the plugin cannot see app-wide ones)
    url = loose(item, item_id=3, lang="fr", api_key="k", country="be")
    assert url == "/shop/items/3?lang=fr&api_key=k&c=be"
    assert TestClient(app).get(url).json() == {
        "item": 3,
        "query": {"lang": "fr", "api_key": "k", "c": "be"},
    }
    with pytest.raises(NotInUrl, match="item: 'other' is not a path or query parameter"):
        loose(item, item_id=3, other=1)


def test_url_for_by_handler_writes_the_query_as_the_handler_reads_it() -> None:
    # A link to a handler is followed back to it with the values it was built from. An alias
    # was ignored (?text= where the handler reads ?q=), a Query() model was written as its
    # repr, an enum as Colour.BLUE, and a header or provider parameter went into the query.
    router = Router()

    def current_user() -> str:
        return "ann"

    @router.get("/search/<int:page>")
    async def search(
        connection: Connection,
        page: int,
        text: Annotated[str, Query(alias="q")] = "",
        colour: Colour = Colour.RED,
        day: datetime.date | None = None,
        filters: Annotated[Filters, Query()] = NO_FILTERS,
        x_token: Annotated[str, Header()] = "",
        user: str = Depends(current_user),
    ) -> dict[str, object]:
        return {
            "page": page,
            "text": text,
            "colour": colour.value,
            "day": day and day.isoformat(),
            "filters": filters.model_dump(mode="json"),
        }

    @router.route("/notes/<int:note_id>")
    class NoteView(View):
        async def get(self, connection: Connection, note_id: int, full: bool = False) -> str:
            return f"{note_id} {full}"

        async def post(
            self, connection: Connection, note_id: int, draft: Annotated[str, Form()]
        ) -> str:
            return draft

    app = aaf([router])
    url = app.url_for(
        search,
        page=2,
        text="lamp & shade",
        colour=Colour.BLUE,
        day=datetime.date(2026, 12, 1),
        filters=Filters(colour=Colour.BLUE, sizes=[3, 4]),
    )
    # (The model's colour is the query's colour: one key, which both read.)
    assert url == "/search/2?q=lamp+%26+shade&colour=blue&day=2026-12-01&sizes=3&sizes=4"
    assert TestClient(app).get(url).json() == {
        "page": 2,
        "text": "lamp & shade",
        "colour": "blue",
        "day": "2026-12-01",
        "filters": {"colour": "blue", "sizes": [3, 4], "since": None},
    }
    assert app.url_for(search, page=1, day=None) == "/search/1"  # None: left out
    # A URL cannot carry them. The ParamSpec allows them (they are the handler's
    # parameters); the mypy plugin leaves out those it reads (a provider's default; the
    # metadata of a handler defined in a function it does not read): untyped here.
    loose = cast("Callable[..., str]", app.url_for)
    with pytest.raises(NotInUrl, match="search: 'x_token' is not a path or query parameter"):
        loose(search, page=1, x_token="t")
    with pytest.raises(NotInUrl, match="search: 'user' is not a path or query parameter"):
        loose(search, page=1, user="bob")
    assert app.url_for(NoteView.get, note_id=5, full=True) == "/notes/5?full=True"
    assert TestClient(app).get(app.url_for(NoteView.get, note_id=5, full=True)).text == "5 True"
    with pytest.raises(NotInUrl, match="NoteView.post: 'draft' is not a path or query"):
        app.url_for(NoteView.post, note_id=5, draft="d")
    # By name, as Flask's url_for: what no rule variable takes goes to the query as given.
    assert app.url_for("search", page=3, anything="x") == "/search/3?anything=x"
    # Handlers are looked up in an index made on first use; a route added later is found.
    later = Router()
    router.include(later, prefix="/later")

    @later.get("/<int:n>")
    async def added(connection: Connection, n: int, q: Annotated[str, Query(alias="s")]) -> int:
        return n

    assert app.url_for(added, n=4, q="w") == "/later/4?s=w"
    with pytest.raises(LookupError, match="No route for .*unrouted"):

        async def unrouted(connection: Connection) -> None: ...

        app.url_for(unrouted)


def test_options_lists_every_method_of_routes_sharing_a_rule() -> None:
    router = Router()

    @router.get("/things")
    async def list_things(connection: Connection) -> str:
        return "list"

    @router.post("/things")
    async def add_thing(connection: Connection) -> str:
        return "add"

    @router.get("/things/<int:thing_id>")
    async def one(connection: Connection, thing_id: int) -> str:
        return "one"

    @router.delete("/things/<int:thing_id>")
    async def remove(connection: Connection, thing_id: int) -> None:
        return None

    with TestClient(aaf([router])) as client:
        for path, allow in (
            ("/things", "GET, HEAD, OPTIONS, POST"),
            ("/things/1", "DELETE, GET, HEAD, OPTIONS"),
        ):
            answer = client.options(path)
            assert (answer.status_code, answer.headers["allow"]) == (204, allow)
            refused = client.put(path)
            assert (refused.status_code, refused.headers["allow"]) == (405, allow)
        assert client.get("/things").text == "list"
        assert client.post("/things").text == "add"
        assert client.delete("/things/1").status_code == 204


def test_registration_mistakes_are_named() -> None:
    router, inner, innermost = Router(), Router(), Router()

    @innermost.get("/deep")
    async def deep(connection: Connection) -> str:
        return "deep"

    inner.include(innermost)
    router.include(inner, prefix="/in")
    with pytest.raises(ConfigurationError, match="cannot include itself"):
        router.include(router)
    with pytest.raises(ConfigurationError, match="needs a prefix"):
        router.mount("/", aaf([]))
    with pytest.raises(ConfigurationError, match="must start with '/'"):
        Router("api")
    with pytest.raises(ConfigurationError, match=r"takes Depends\(provider\) values, got 42"):
        Router(dependencies=[42])

    async def other(connection: Connection) -> str:
        return "other"

    with pytest.raises(ConfigurationError, match="'deep'"):  # a name two levels down is taken
        router.add_route("/other", other, name="deep")
    with pytest.raises(TypeError, match="as keywords"):
        router.url_for(deep, 1)  # type: ignore[call-overload]  # on purpose
    assert router.url_for(deep) == "/in/deep"


def test_a_router_called_alone_answers_websocket_errors() -> None:
    router = Router()

    @router.websocket("/ws")
    async def broken(connection: Connection) -> None:
        await connection.accept()
        raise ValueError("broken")

    peer_incoming: list[ReceiveEvent] = [{"type": "websocket.connect"}]
    sent: list[SendEvent] = []

    async def receive() -> ReceiveEvent:
        return peer_incoming.pop(0)

    async def send(message: SendEvent) -> None:
        sent.append(message)

    asyncio.run(router(Connection(ws_scope(), send=send, receive=receive)))
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.close"]
    assert sent[-1].get("code") == 1011


def test_fastapi_style_braces_in_a_rule_are_refused_with_werkzeugs_spelling() -> None:
    # To werkzeug, /items/{item_id} is literal text: the handler's item_id became a required
    # query parameter, and /items/3 a 404.
    router = Router()

    async def get_file(connection: Connection, path: str) -> str:
        return path

    rule: str = "/files/{path:path}"  # not a literal at the call: the mypy plugin says it too
    with pytest.raises(ConfigurationError) as raised:
        router.add_route(rule, get_file)
    assert str(raised.value).endswith(
        "{path:path}: aaf writes rule variables in werkzeug's syntax, <path:path>"
    )

    async def braces(connection: Connection) -> str:
        return "literal"

    router.add_route("/odd/{}", braces)  # braces around no name stay literal text
    assert TestClient(aaf([router])).get("/odd/{}").text == "literal"


def test_a_second_route_for_a_rule_and_method_is_refused() -> None:
    # The first route registered for a method wins, as in werkzeug: a second one for the same
    # rule and method would never answer, which registration used to accept in silence.
    router = Router("/api")

    @router.get("/items/<int:item_id>")
    async def read_item(connection: Connection, item_id: int) -> int:
        return item_id

    with pytest.raises(ConfigurationError, match=r"GET /api/items/<int:key> is answered by "):

        @router.get("/items/<int:key>")  # the same paths, another variable name
        async def read_again(connection: Connection, key: int) -> int:
            return key

    with pytest.raises(ConfigurationError, match="'read_item' already: 'peek' would never"):

        @router.route("/items/<int:item_id>", methods=["HEAD"])  # GET answers HEAD
        async def peek(connection: Connection, item_id: int) -> None: ...

    with pytest.raises(ConfigurationError, match="OPTIONS /api/items/<int:item_id> is answered"):

        @router.route("/items/<int:item_id>", methods=["OPTIONS"])  # every route answers it
        async def preflight(connection: Connection, item_id: int) -> None: ...

    @router.post("/items/<int:item_id>")  # another method: fine
    async def replace_item(connection: Connection, item_id: int) -> int:
        return -item_id

    @router.get("/items/<item_id>")  # another converter: werkzeug tells them apart
    async def read_named(connection: Connection, item_id: str) -> str:
        return item_id

    @router.route("/things")
    class Things(View):
        async def get(self, connection: Connection) -> str:
            return "get"

    @router.put("/things")
    async def put_things(connection: Connection) -> str:
        return "put"

    with pytest.raises(ConfigurationError, match="GET /api/things is answered by 'Things'"):

        @router.get("/things")
        async def things_again(connection: Connection) -> str:
            return "never"

    @router.websocket("/things")  # a WebSocket is no HTTP method
    async def things_feed(connection: Connection) -> None: ...

    with pytest.raises(ConfigurationError, match="WEBSOCKET /api/things is answered by"):
        router.add_websocket_route("/things", things_feed, name="feed_again")
    # An included router's routes are checked against the router's own, under its prefix.
    inner = Router()

    @inner.post("/items/<int:n>")
    async def post_item(connection: Connection, n: int) -> int:
        return n

    outer = Router()
    with pytest.raises(ConfigurationError, match="POST /api/items/<int:n> is answered by"):
        outer.include(router)
        outer.include(inner, prefix="/api")

    # A registration that failed claims nothing: tried again, it fails for its own reason.
    async def wants_a_lock(value: threading.Lock) -> None: ...

    strict, child = Router(dependencies=[Depends(wants_a_lock)]), Router()
    strict.include(child)
    for _ in range(2):
        with pytest.raises(ConfigurationError, match="which no query value can fill"):
            child.add_route("/pages", put_things)
    with pytest.raises(ConfigurationError, match="which no query value can fill"):
        strict.include(inner)
    with pytest.raises(ConfigurationError, match="which no query value can fill"):
        strict.include(inner)
    # A route added below after the include is checked where it is served too.
    top, below = Router(), Router()

    @top.get("/v1/items")
    async def top_items(connection: Connection) -> str:
        return "top"

    top.include(below, prefix="/v1")
    with pytest.raises(ConfigurationError, match="GET /v1/items is answered by 'top_items'"):

        @below.get("/items")
        async def below_items(connection: Connection) -> str:
            return "never"

    @below.post("/items")  # another method: fine, here and above
    async def below_post(connection: Connection) -> str:
        return "posted"

    assert TestClient(aaf([top])).post("/v1/items").text == "posted"
    # So is a router included below after the include: below has no GET /items, top has.
    leaf = Router()

    @leaf.get("/items")
    async def leaf_items(connection: Connection) -> str:
        return "never"

    with pytest.raises(ConfigurationError, match="GET /v1/items is answered by 'top_items'"):
        below.include(leaf)
    client = TestClient(aaf([router]))
    assert client.get("/api/items/3").json() == 3
    assert client.post("/api/items/3").json() == -3
    assert client.get("/api/items/x").text == "x"
    assert (client.get("/api/things").text, client.put("/api/things").text) == ("get", "put")


# Converters of the app's own -------------------------------------------------------------------
class HexConverter(BaseConverter):
    """Flask's docs' kind of converter: a value from text of its own shape."""

    regex = "[0-9a-f]+"

    def to_python(self, value: str) -> int:
        if len(value) > 8:
            raise ValidationError  # no match: werkzeug's way to say "not this rule"
        return int(value, 16)

    def to_url(self, value: int) -> str:
        return format(value, "x")


class Point(BaseModel):
    x: int
    y: int


class PointConverter(BaseConverter):
    """A value no text fills by itself, over segments (`/at/3/4`): not part-isolating."""

    regex = r"[0-9]+/[0-9]+"
    part_isolating = False

    def to_python(self, value: str) -> Point:
        x, y = value.split("/")
        return Point(x=int(x), y=int(y))

    def to_url(self, value: Point) -> str:
        return f"{value.x}/{value.y}"


class WordsConverter(BaseConverter):
    """A to_python with no annotation: what it gives is validated by the parameter's type."""

    regex = "[a-z]+(?:,[a-z]+)*"

    def to_python(self, value: str):  # type: ignore[no-untyped-def]  # pyright: ignore[reportIncompatibleMethodOverride, reportMissingParameterType, reportUnknownParameterType]  # as untyped code writes it
        return value.split(",")


def test_the_apps_own_converters_serve_its_own_routes() -> None:
    # Flask's app.url_map.converters["hex"] = HexConverter, for @app.get(...) routes.
    app = aaf([], converters={"hex": HexConverter})

    @app.get("/colours/<hex:rgb>")
    async def colour(connection: Connection, rgb: int) -> int:
        return rgb

    client = TestClient(app)
    assert client.get("/colours/ff").json() == 255
    assert client.get("/colours/zz").status_code == 404
    assert app.url_for(colour, rgb=255) == "/colours/ff"
    with pytest.raises(ConfigurationError, match="must be a subclass of werkzeug's BaseConverter"):
        aaf([], converters={"hex": int})  # type: ignore[dict-item]


def test_a_routers_own_converters_serve_its_rules() -> None:
    own = {"hex": HexConverter, "point": PointConverter, "words": WordsConverter}
    router = Router(converters=own)

    @router.get("/colours/<hex:rgb>")
    async def colour(connection: Connection, rgb: int) -> int:
        return rgb

    @router.get("/at/<point:where>/here")
    async def at(connection: Connection, where: Point) -> Point:
        return where

    @router.get("/tags/<words:tags>")
    async def tags(connection: Connection, tags: list[str]) -> list[str]:
        return tags

    @router.get("/counts/<words:counts>")
    async def counts(connection: Connection, counts: list[int]) -> list[int]:
        return counts

    @router.websocket("/feeds/<hex:feed>")
    async def feed(connection: Connection, feed: int) -> None:
        await connection.accept()
        await connection.send_json(feed)
        await connection.close()

    app = aaf([router])
    client = TestClient(app)
    assert client.get("/colours/ff").json() == 255
    assert client.get("/colours/zz").status_code == 404  # not its regex
    assert client.get("/colours/123456789").status_code == 404  # its ValidationError
    assert client.get("/at/3/4/here").json() == {"x": 3, "y": 4}
    assert client.get("/tags/a,b").json() == ["a", "b"]
    wrong = client.get("/counts/a,b")  # what the converter gave, validated
    assert [e["loc"] for e in wrong.json()["detail"]] == [
        ["path", "counts", 0],
        ["path", "counts", 1],
    ]
    with client.websocket_connect("/feeds/10") as ws:
        assert ws.receive_json() == 16
    # Links are built by its to_url, typed as ever.
    assert app.url_for(colour, rgb=255) == "/colours/ff"
    assert app.url_for(at, where=Point(x=1, y=2)) == "/at/1/2/here"
    # ... and, as werkzeug's here, only links that lead back to the route.
    with pytest.raises(ValueError, match="url_for\\('colour'\\): '-ff' is not a value"):
        app.url_for(colour, rgb=-255)
    # The API document shows the path value as the text it is.
    document = json.loads(json.dumps(app.openapi()))
    assert document["paths"]["/colours/{rgb}"]["get"]["parameters"][0]["schema"] == {
        "type": "string",
        "title": "Rgb",
    }


class BrokenConverter(BaseConverter):
    """A converter with a bug: its to_python fails on what its regex matches."""

    regex = "[a-z]+"

    def to_python(self, value: str) -> int:
        return {"one": 1}[value]


def test_a_converter_that_fails_is_answered_as_a_handler_that_fails() -> None:
    # It raised out of the app, past the exception handlers, to the server.
    router = Router(converters={"broken": BrokenConverter})

    @router.get("/numbers/<broken:n>")
    async def number(connection: Connection, n: int) -> int:
        return n

    @router.websocket("/feeds/<broken:n>")
    async def feed(connection: Connection, n: int) -> None:
        await connection.accept()

    caught: list[BaseException] = []

    async def failed(connection: Connection, exc: Exception) -> HttpResponse:
        caught.append(exc)
        return HttpResponse("lookup failed", status_code=500)

    app = aaf([router], exception_handlers={KeyError: failed})
    client = TestClient(app)
    assert client.get("/numbers/one").json() == 1
    answer = client.get("/numbers/two")
    assert (answer.status_code, answer.text) == (500, "lookup failed")
    assert [type(e) for e in caught] == [KeyError]
    with pytest.raises(KeyError):  # a test client raises it, as a handler's
        TestClient(aaf([router])).get("/numbers/two")
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/feeds/two"):
        pass
    assert closed.value.code == 1011


def test_a_routers_own_converter_is_checked_against_the_annotation() -> None:
    router = Router(converters={"hex": HexConverter})
    with pytest.raises(ConfigurationError) as caught:

        @router.get("/colours/<hex:rgb>")
        async def colour(connection: Connection, rgb: uuid.UUID) -> str:
            return str(rgb)

    assert str(caught.value).endswith(
        ".colour: parameter 'rgb' is annotated UUID, but its rule converter gives int"
    )
    # A router without it does not know the name.
    with pytest.raises(ConfigurationError, match="the converter 'hex' does not exist"):

        @Router().get("/colours/<hex:rgb>")
        async def plain(connection: Connection, rgb: int) -> int:
            return rgb


def test_own_converters_are_named_plainly_and_mean_one_thing_where_served_together() -> None:
    with pytest.raises(ConfigurationError, match="'int' is werkzeug's own: give HexConverter"):
        Router(converters={"int": HexConverter})
    with pytest.raises(ConfigurationError, match="must be a subclass of werkzeug's BaseConverter"):
        Router(converters={"hex": int})  # type: ignore[dict-item]  # pyright: ignore[reportArgumentType]  # what the check is for
    with pytest.raises(ConfigurationError, match="must be an identifier"):
        Router(converters={"he x": HexConverter})
    # An included router brings its converters to the router that serves its routes.
    outer, inner = Router("/api"), Router("/v1", converters={"hex": HexConverter})

    @inner.get("/colours/<hex:rgb>")
    async def colour(connection: Connection, rgb: int) -> int:
        return rgb

    outer.include(inner)
    client = TestClient(aaf([outer]))
    assert client.get("/api/v1/colours/10").json() == 16
    # One name, two converters, served together: refused at include().
    other = Router(converters={"hex": WordsConverter})
    with pytest.raises(ConfigurationError, match="'hex' means HexConverter in one router"):
        outer.include(other)
    top = Router(converters={"hex": WordsConverter})
    with pytest.raises(ConfigurationError, match="'hex' means WordsConverter in one router"):
        top.include(outer)


def test_a_number_longer_than_python_converts_is_404_on_every_matching_path() -> None:
    # However the path is written (leading slashes, which aaf's walk of the rules drops, or
    # a "//" inside, which werkzeug itself merges with a redirect), an <int:> of 4,301
    # digits (more than int() converts) is no match: a 404, never a 500; for WebSockets, a
    # refused handshake.
    router = Router()

    @router.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: int) -> int:
        return item_id

    @router.websocket("/rooms/<int:room>")
    async def room(connection: Connection, room: int) -> None:
        await connection.accept()
        await connection.send_text(str(room))

    app = aaf([router])
    digits = "9" * 4301
    for path in (f"//items/{digits}", f"/items/{digits}"):
        recorder = Recorder()
        asyncio.run(app(http_scope(path=path), recorder.receive, recorder.send))
        assert recorder.sent[0].get("status") == 404, path
    recorder = Recorder()
    asyncio.run(app(http_scope(path=f"/items//{digits}"), recorder.receive, recorder.send))
    start = recorder.sent[0]
    assert start["type"] == "http.response.start"
    assert start["status"] == 308
    assert (b"location", f"/items/{digits}".encode()) in start.get("headers", [])
    recorder = Recorder()
    asyncio.run(app(http_scope(path="//items/7"), recorder.receive, recorder.send))
    assert recorder.sent[-1].get("body") == b"7"

    def session(path: str) -> list[SendEvent]:
        peer: list[ReceiveEvent] = [{"type": "websocket.connect"}]
        sent: list[SendEvent] = []

        async def receive() -> ReceiveEvent:
            return peer.pop(0) if peer else {"type": "websocket.disconnect", "code": 1000}

        async def send(message: SendEvent) -> None:
            sent.append(message)

        asyncio.run(app(ws_scope(path), receive, send))
        return sent

    for path in (f"//rooms/{digits}", f"/rooms//{digits}"):
        assert [m["type"] for m in session(path)] == ["websocket.close"], path
    assert [m.get("text") for m in session("//rooms/7")] == [None, "7", None]


def test_a_converter_given_arguments_it_does_not_take_is_refused_at_registration() -> None:
    router = Router()

    async def item(connection: Connection, item_id: int) -> int:
        return item_id

    rule: str = "/items/<int(colour=1):item_id>"  # not a literal: the mypy plugin says it too
    with pytest.raises(ConfigurationError, match="a converter does not take the arguments given"):
        router.add_route(rule, item)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        # werkzeug kept the text 'x' as the maximum: every match compared an int with it, a 500
        ("/items/<int(max=x):item_id>", r"int\(max=\.\.\.\) takes a number, not 'x'"),
        ("/items/<int(min='5'):item_id>", r"int\(min=\.\.\.\) takes a number, not '5'"),
        ("/items/<int(max=True):item_id>", r"takes a number, not True"),
        ("/items/<float(min=low):item_id>", r"float\(min=\.\.\.\) takes a number"),
        # matched nothing at all: every request a 404
        ("/items/<int(fixed_digits=x):item_id>", r"fixed_digits=\.\.\.\) takes a whole number"),
        ("/items/<int(fixed_digits=2.5):item_id>", r"takes a whole number from 0, not 2.5"),
        ("/items/<int(min=5, max=1):item_id>", r"int\(min=5, max=1\) matches no number"),
        ("/items/<int(signed=yes):item_id>", r"int\(signed=\.\.\.\) takes True or False"),
        # cut to 2 by werkzeug
        ("/items/<string(maxlength=2.5):item_id>", r"maxlength=\.\.\.\) takes a whole number"),
        ("/items/<string(length=x):item_id>", r"length=\.\.\.\) takes a whole number"),
        # a regex werkzeug could not compile: every request to the app a 500
        ("/items/<string(minlength=3, maxlength=1):item_id>", r"matches no text"),
        # ignored by werkzeug: paths of any length matched
        (
            "/items/<path(maxlength=3):item_id>",
            r"path\(\.\.\.\) takes no arguments, given maxlength=3",
        ),
        ("/items/<uuid(4):item_id>", r"uuid\(\.\.\.\) takes no arguments, given 4"),
    ],
)
def test_converter_arguments_no_request_could_use_are_refused_at_registration(
    rule: str, message: str
) -> None:
    router = Router()

    async def item(connection: Connection, item_id: str) -> str:
        return item_id

    with pytest.raises(ConfigurationError, match=message):
        router.add_route(rule, item)


def test_converter_arguments_of_the_right_kind_still_work() -> None:
    router = Router()

    @router.get("/n/<int(min=1, max=10):n>")
    async def number(connection: Connection, n: int) -> int:
        return n

    @router.get("/d/<int(fixed_digits=4):year>")
    async def year(connection: Connection, year: int) -> int:
        return year

    @router.get("/s/<int(signed=True):delta>")
    async def delta(connection: Connection, delta: int) -> int:
        return delta

    @router.get("/f/<float(min=0.5, max=2):scale>")
    async def scale(connection: Connection, scale: float) -> float:
        return scale

    @router.get("/c/<string(length=2):code>")
    async def code(connection: Connection, code: str) -> str:
        return code

    @router.get("/w/<string(minlength=2, maxlength=3):word>")
    async def word(connection: Connection, word: str) -> str:
        return word

    client = TestClient(aaf([router]))
    assert [client.get(f"/n/{n}").status_code for n in (0, 1, 10, 11)] == [404, 200, 200, 404]
    assert client.get("/d/2024").json() == 2024 and client.get("/d/24").status_code == 404
    assert client.get("/s/-3").json() == -3
    assert client.get("/f/1.5").json() == 1.5 and client.get("/f/2.5").status_code == 404
    assert client.get("/c/fr").text == "fr" and client.get("/c/fra").status_code == 404
    assert [client.get(f"/w/{w}").status_code for w in ("a", "ab", "abc", "abcd")] == [
        404,
        200,
        200,
        404,
    ]


class Unbalanced(BaseConverter):
    regex = "[a-z"  # no closing bracket


def test_a_converter_whose_regex_does_not_compile_is_refused_at_registration() -> None:
    # werkzeug compiles the rules at the first request: every request to the app was a 500.
    router = Router(converters={"word": Unbalanced})

    async def word(connection: Connection, text: str) -> str:
        return text

    with pytest.raises(ConfigurationError, match=r"Unbalanced, has a regex that does not compile"):
        router.add_route("/words/<word:text>", word)


class UnknownReturn(BaseConverter):
    """A converter whose return annotation names something its module does not define."""

    regex = "[a-z]+"

    def to_python(self, value: str) -> Undefined:  # type: ignore[name-defined]  # noqa: F821  # pyright: ignore[reportUndefinedVariable]  # on purpose
        return value.upper()


def test_a_converter_whose_return_type_cannot_be_read_is_checked_by_the_parameter() -> None:
    # Nothing is known of what it gives: the parameter's annotation validates it.
    router = Router(converters={"shout": UnknownReturn})

    @router.get("/hello/<shout:name>")
    async def hello(connection: Connection, name: str) -> str:
        return f"hello {name}"

    assert TestClient(aaf([router])).get("/hello/you").text == "hello YOU"


@pytest.mark.parametrize(
    "shortcut", ["route", "get", "post", "put", "patch", "delete", "websocket"]
)
def test_a_route_decorator_without_its_rule_is_a_type_error(shortcut: str) -> None:
    # `@router.get` without `("/path")` was given the function as its rule and put a
    # decorator in the function's place: no route, no error, and a 404 to puzzle over.
    router = Router()

    async def home(connection: Connection) -> str:
        return "hi"

    decorate = cast("Callable[[object], object]", getattr(router, shortcut))
    with pytest.raises(
        TypeError, match=r"rule comes first, as text: .* \(got .*home as the rule\)"
    ):
        decorate(home)
    app_decorate = cast("Callable[[object], object]", getattr(aaf([]), shortcut))
    with pytest.raises(TypeError, match="rule comes first"):
        app_decorate(home)


def test_a_handlers_rest_keywords_take_the_rule_variables_no_parameter_names() -> None:
    # Flask's way: `**rest` is given the rule variables the handler does not name, each
    # validated as its annotation says (none: what the converter gives). They were dropped:
    # registration took the handler and every request called it with `rest` empty.
    from aaf.views import WebSocketView

    router = Router()

    @router.get("/shops/<int:shop_id>/items/<name>")
    async def item(connection: Connection, shop_id: int, q: str = "", **rest: str) -> str:
        return json.dumps([shop_id, q, rest])

    @router.get("/pages/<int:number>/<size>")
    async def page(connection: Connection, **rest: int) -> str:
        return json.dumps(rest)

    @router.route("/things/<int:thing_id>/<kind>")
    class Things(View):
        async def get(self, connection: Connection, **rest: object) -> str:
            return json.dumps(rest)

    @router.websocket("/rooms/<room>")
    class Room(WebSocketView):
        async def on_connect(self, connection: Connection, **params: str) -> None:
            await connection.accept()
            await connection.send_json(params)

    with pytest.raises(ConfigurationError, match="'user_id' is annotated str, but its rule"):

        @router.get("/users/<int:user_id>")  # type: ignore[aaf-route]  # what the test is about
        async def user(connection: Connection, **rest: str) -> None: ...

    with TestClient(aaf([router])) as client:
        assert client.get("/shops/3/items/lamp?q=x").json() == [3, "x", {"name": "lamp"}]
        assert client.get("/pages/2/50").json() == {"number": 2, "size": 50}
        refused = client.get("/pages/2/big")
        assert refused.status_code == 422
        assert [e["loc"] for e in refused.json()["detail"]] == [["path", "size"]]
        assert client.get("/things/7/lamp").json() == {"thing_id": 7, "kind": "lamp"}
        with client.websocket_connect("/rooms/lobby") as session:
            assert session.receive_json() == {"room": "lobby"}
    assert router.url_for(item, shop_id=3, name="lamp") == "/shops/3/items/lamp"


def test_methods_must_be_a_list_of_method_names() -> None:
    # `methods="POST"` type-checks (a string is an Iterable[str]) and registered a route for
    # P, O, S and T: POST was a 405. It is a TypeError naming the fix, as in Flask; an
    # empty list (which answered GET) and a name that is no method are refused too.
    router = Router()

    async def handler(connection: Connection) -> str:
        return connection.method

    with pytest.raises(TypeError, match=r"methods='POST' is one string; give a list"):
        router.add_route("/a", handler, methods="POST")
    with pytest.raises(ConfigurationError, match=r"methods=\[\] answers no method"):
        router.add_route("/b", handler, methods=[])
    for wrong in ("GET POST", ""):
        with pytest.raises(ConfigurationError, match="is not an HTTP method name"):
            router.add_route("/c", handler, methods=[wrong])
    router.add_route("/d", handler, methods=("post", "PURGE"))
    with TestClient(aaf([router])) as client:
        assert client.post("/d").text == "POST"
        assert client.request("PURGE", "/d").text == "PURGE"
        assert client.get("/d").status_code == 405
        assert client.get("/a").status_code == 404  # nothing was registered


def test_fastapis_route_keywords_say_what_to_write_instead() -> None:
    # `@router.get("/items", response_model=Item)` was Python's bare "unexpected keyword
    # argument"; type checkers refuse it, and at run time it names aaf's way.
    router = Router()
    get = cast("Callable[..., object]", router.get)
    said = {
        "response_model": "the return annotation is the response model: write `-> Item`",
        "response_model_exclude_none": "write exclude_none=True",
        "response_class": "return that response",
        "response_description": r"give responses=\{200: \{'description': ...\}\}",
    }
    for keyword, how in said.items():
        with pytest.raises(TypeError, match=rf"keyword argument '{keyword}': {how}"):
            get("/items", **{keyword: None})
    with pytest.raises(TypeError, match="unexpected keyword argument 'callbacks'$"):
        get("/items", callbacks=[])


def test_flasks_url_for_keywords_are_refused_not_put_in_the_query_string() -> None:
    # `url_for("item", item_id=1, _external=True)` built "/items/1?_external=True": a route
    # name's other values go to the query string as given, Flask's keywords too.
    router = Router()

    @router.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: int) -> str:
        return ""

    app = aaf([router])
    for keyword, how in (
        ("_external", r"url_for gives the path; connection.base_url \+ app.url_for"),
        ("_scheme", "connection.base_url has the scheme"),
        ("_anchor", "add the fragment to the path"),
        ("_method", "a URL names a route"),
    ):
        for builder in (router, app):
            with pytest.raises(
                TypeError, match=rf"url_for\(\) takes no {keyword}= \(Flask's\): {how}"
            ):
                builder.url_for("item", item_id=1, **{keyword: True})
    assert app.url_for("item", item_id=1, q="x") == "/items/1?q=x"
