"""The mypy plugin `aaf.mypy`: what registration refuses, mypy reports first, in the same words.

Each case is a small module. mypy checks them all in one run with the plugin enabled; then
each is imported for real, and registration must refuse exactly the cases the plugin
reported, with the same message. Incremental mode, the daemon and the oldest supported mypy
are run too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple, cast

import pytest

import aaf
from aaf import App
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError, HTTPError
from aaf.mypy import AafPlugin, plugin
from aaf.response import HttpResponse
from aaf.testing import TestClient

from ._helpers import import_file
from ._typecheck import basedpyright_errors, mypy_errors, mypy_in_process

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CONFIG = "[mypy]\nstrict = True\nplugins = aaf.mypy\n"

PRELUDE = """\
from __future__ import annotations

import uuid
from collections.abc import Iterator
from collections.abc import Callable
from typing import Annotated, Any, Literal, NewType, ParamSpec, TypeVar

from pydantic import BaseModel

from aaf.connection import Connection
from aaf.params import Depends, Header, Query, Security, SecurityScopes
from aaf.routing import Router, operation
from aaf.views import View, WebSocketView

router = Router()
UserId = NewType("UserId", int)
P = ParamSpec("P")
R = TypeVar("R")


def item_id_of(item_id: int) -> int:
    return item_id


def nested(value: int = Depends(item_id_of)) -> int:
    return value


class Item(BaseModel):
    name: str
"""


class Case(NamedTuple):
    source: str  # after the prelude; `# <-` marks the line the error must point at
    error: str | None  # the message both mypy and registration give, None when both accept
    runtime_only: bool = False  # registration refuses what the plugin cannot see
    # The plugin reports what registration cannot check: a provider's result type against
    # the parameter's, in Annotated metadata (mypy checks `x: T = Depends(p)` itself).
    plugin_only: bool = False


_NO_TEXT = (
    "which no path value can fill: a path value is text. Json[...] (pydantic) reads JSON text "
    "into it; a provider (Depends) can build it"
)


def _no_text_from(source: str) -> str:
    """How registration (and the plugin) refuse a ``source`` value no text can fill."""
    body = "; Annotated[..., Body()] reads it from the JSON body" if source == "query" else ""
    return (
        f"which no {source} value can fill: a {source} value is "
        f"{'one text' if source == 'cookie' else 'text'}. A pydantic model marked "
        f"{source.capitalize()}() (not in a union or a list) reads several {source} values as "
        "its fields; Json[...] (pydantic) reads JSON text into it; a provider (Depends) can "
        f"build it{body}"
    )


def _forbidding(model: str) -> str:
    """How registration refuses a header model ``model`` that forbids extra keys."""
    return (
        f"traced: parameter 'headers': the header model {model} forbids extra keys "
        "(extra='forbid'), but every request carries headers it does not read (Host, and what "
        "the client adds): every request would be a 422; leave extra at 'ignore' and check the "
        "headers you refuse in a provider"
    )


# A converter of the app's own, as Flask's docs write one (indented as a case's body is).
HEX = """from werkzeug.routing import BaseConverter


        class HexConverter(BaseConverter):
            regex = "[0-9a-f]+"

            def to_python(self, value: str) -> int:
                return int(value, 16)

            def to_url(self, value: int) -> str:
                return format(value, "x")"""


# How registration (and the plugin) refuse *args and positional-only parameters.
_UNNAMED = ": aaf passes each value by its name, so *args and parameters before / are given none"


CASES: dict[str, Case] = {
    "correct_function": Case(
        """
        @router.get("/items/<int:item_id>")
        async def get_item(connection: Connection, item_id: int, q: str = "") -> Item:
            return Item(name=q)
        """,
        None,
    ),
    "handler_made_by_a_factory_typed_with_callable": Case(
        # Callable[[Connection, int], ...] names no parameters: the plugin cannot tell the
        # handler's names, so registration, which has the function, judges it.
        """
        from collections.abc import Awaitable


        async def get_item(connection: Connection, item_id: int) -> int:
            return item_id


        def made() -> Callable[[Connection, int], Awaitable[int]]:
            return get_item


        router.add_route("/items/<int:item_id>", made(), name="made")
        """,
        None,
    ),
    "lambda_handler_left_to_registration": Case(
        # mypy types a lambda's parameters from the context (Any) where registration sees
        # no annotation: the plugin leaves lambdas to registration.
        """
        router.add_route("/ping", lambda connection: "pong", name="ping")
        router.get("/items/<int:item_id>", name="item")(lambda connection, item_id: item_id)
        router.add_route("/users/<int:user_id>", lambda connection: None, name="user")  # <-
        """,
        "<lambda>: the rule variable <user_id> has no parameter of that name",
        runtime_only=True,
    ),
    "bound_method_handler_checked_as_called": Case(
        # `handlers.get_item` is called without `self`: its other parameters are checked
        # as a function's (the plugin skipped them all, reading `self` as one too many).
        """
        class Handlers:
            async def get_item(self, connection: Connection, itemid: int) -> int:
                return itemid


        handlers = Handlers()
        router.add_route("/items/<int:item_id>", handlers.get_item)  # <-
        """,
        "Handlers.get_item: the rule variable <item_id> has no parameter of that name",
    ),
    "classmethod_handler_checked_as_called": Case(
        """
        class Handlers:
            @classmethod
            async def get_item(
                cls, connection: Connection, item_id: Annotated[uuid.UUID, Query()]
            ) -> None: ...


        router.get("/items/<int:item_id>")(Handlers.get_item)  # <-
        """,
        "Handlers.get_item: parameter 'item_id' is the rule variable <item_id>, which comes "
        "from the path: mark it Path(), not Query()",
    ),
    "bound_method_handlers_that_agree": Case(
        """
        def user_agent(user_agent: Annotated[str, Header()]) -> str:
            return user_agent


        class Handlers:
            async def get_item(
                self,
                connection: Connection,
                item_id: int,
                q: Annotated[str, Query(max_length=3)] = "",
                agent: str = Depends(user_agent),
            ) -> Item:
                return Item(name=q + agent)

            @staticmethod
            async def ping(connection: Connection) -> str:
                return "pong"


        handlers = Handlers()
        router.add_route("/items/<int:item_id>", handlers.get_item)
        router.add_route("/ping", handlers.ping)
        router.add_route("/pong", Handlers.ping)
        """,
        None,
    ),
    "variable_of_the_routers_prefix_without_parameter": Case(
        # Router(prefix=...) with a variable: each of its handlers takes it (the plugin
        # checked the route's own rule alone, and said nothing).
        """
        users = Router(prefix="/users/<int:user_id>/")


        @users.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, item_id: int) -> int:
            return item_id
        """,
        "get_item: the rule variable <user_id> has no parameter of that name",
    ),
    "variable_of_the_routers_prefix_marked_path": Case(
        # A Path() marker on the prefix's variable: the plugin said the rule had no such
        # variable, where registration serves it.
        """
        from aaf.params import Path


        users = Router("/users/<int:user_id>")


        @users.get("/items")
        async def list_items(
            connection: Connection, user_id: Annotated[int, Path(ge=1)]
        ) -> int:
            return user_id


        @users.route("/profile")
        class Profile(View):
            async def get(self, connection: Connection, user_id: int) -> int:
                return user_id
        """,
        None,
    ),
    "variable_of_a_prefix_the_plugin_cannot_read_marked_path": Case(
        # A router made by a factory: its prefix is not known to the plugin, which took it
        # for "" and reported a Path() marker on the prefix's variable that registration
        # serves. What the rule's own variables are given is still checked.
        """
        from aaf.params import Path


        def org_router() -> Router:
            return Router("/orgs/<int:org>", tags=["orgs"])


        orgs = org_router()


        @orgs.get("/items")
        async def items(connection: Connection, org: Annotated[int, Path(ge=1)]) -> int:
            return org


        @orgs.route("/teams")
        class Teams(View):
            async def get(self, connection: Connection, org: Annotated[int, Path()]) -> int:
                return org


        def org_of(org: Annotated[int, Path()]) -> int:
            return org


        @orgs.get("/count")
        async def count(connection: Connection, org: int = Depends(org_of)) -> int:
            return org


        @orgs.get("/items/<int:item_id>")  # <-
        async def item(
            connection: Connection, org: Annotated[int, Path()], item_id: uuid.UUID
        ) -> int:
            return org
        """,
        "item: parameter 'item_id' is annotated UUID, but its rule converter gives int",
    ),
    "a_provider_itself_in_a_routes_dependencies": Case(
        # FastAPI's and aaf's dependencies= take Depends(...) values: `Sequence[object]` to a
        # type checker (Depends(p) is typed as what p gives), so the provider itself passed.
        """
        def check_key() -> None: ...


        @router.get("/items", dependencies=[Depends(item_id_of), check_key])  # <-
        async def items(connection: Connection) -> None: ...
        """,
        "dependencies= takes Depends(provider) values, got the provider check_key itself: "
        "write Depends(check_key)",
    ),
    "a_provider_class_itself_in_a_routers_dependencies": Case(
        """
        class CheckKey:
            def __init__(self, x_key: Annotated[str, Header()]) -> None:
                self.key = x_key


        keyed = Router(dependencies=[CheckKey])  # <-
        """,
        "dependencies= takes Depends(provider) values, got the provider CheckKey itself: "
        "write Depends(CheckKey)",
    ),
    "a_provider_itself_in_an_operations_dependencies": Case(
        """
        import functools


        @functools.cache
        def settings() -> dict[str, str]:
            return {}


        @router.route("/items")
        class Items(View):
            @operation(dependencies=(settings,))  # <-
            async def get(self, connection: Connection) -> None: ...
        """,
        "dependencies= takes Depends(provider) values, got the provider settings itself: "
        "write Depends(settings)",
    ),
    "variable_of_a_prefix_the_plugin_cannot_read_is_checked_first": Case(
        # The prefix a factory gives holds <org>, whose converter the unmarked `org: str` of
        # the route's provider does not fit: registration, which reads the prefix, refuses
        # that first. The plugin reported the route's own <item_id> (also wrong) instead:
        # another verdict than registration's (found by tests/test_plugin_fuzz.py's seed
        # 9475). After an unmarked parameter that may be the prefix's, it leaves the rest.
        """
        def org_router() -> Router:
            return Router("/orgs/<uuid:org>")


        orgs = org_router()


        def member(org: str, item_id: uuid.UUID) -> int:
            return 0


        @orgs.get("/items/<int:item_id>", dependencies=[Depends(member)])  # <-
        async def item(connection: Connection, item_id: int, org: uuid.UUID) -> int:
            return item_id
        """,
        "member: parameter 'org' is annotated str, but its rule converter gives UUID",
        runtime_only=True,
    ),
    "variable_of_a_prefix_the_plugin_cannot_read_in_an_earlier_method": Case(
        # The same in a View: registration refuses `get`'s provider (its `org` does not fit
        # the prefix's <uuid:org>) and never reaches `post`, whose own provider the plugin
        # reported instead (`<int:item_id>` read as text: wrong too, but not what
        # registration says first; tests/test_plugin_fuzz.py's seed 9592). What follows a
        # parameter that may be the prefix's is left to registration in later methods too.
        """
        def org_router() -> Router:
            return Router("/orgs/<uuid:org>")


        orgs = org_router()


        def member(org: str) -> int:
            return 0


        def as_text(item_id: str) -> int:
            return 0


        @orgs.route("/items/<int:item_id>")  # <-
        class Items(View):
            async def get(self, connection: Connection, m: int = Depends(member)) -> int:
                return m

            async def post(self, connection: Connection, t: int = Depends(as_text)) -> int:
                return t
        """,
        "member: parameter 'org' is annotated str, but its rule converter gives UUID",
        runtime_only=True,
    ),
    "variable_read_by_dependencies_of_a_router_the_plugin_cannot_read": Case(
        # A router made by a factory: its dependencies= may read any rule variable. The
        # plugin took it to have none, and reported <tenant_id> as read by nothing (and
        # refused url_for's tenant_id=) on code registration serves.
        """
        from aaf import App


        def check_tenant(tenant_id: int) -> None:
            pass


        def tenant_router() -> Router:
            return Router(dependencies=[Depends(check_tenant)])


        tenants = tenant_router()


        @tenants.get("/t/<int:tenant_id>/items")
        async def items(connection: Connection) -> list[int]:
            return []


        app = App([tenants])
        link: str = app.url_for(items, tenant_id=3)
        """,
        None,
    ),
    "variable_of_a_router_subclass_prefix_without_parameter": Case(
        # A subclass of Router that keeps its __init__ is read as a Router(...) call.
        """
        class VersionedRouter(Router):
            pass


        class TaggedRouter(Router):  # its own __init__: its arguments are not Router's
            def __init__(self, tag: str) -> None:
                super().__init__(prefix="/" + tag)


        versioned = VersionedRouter(prefix="/v<int:version>")
        tagged = TaggedRouter("<int:item_id>")


        @tagged.get("/")
        async def by_tag(connection: Connection, item_id: int) -> int:
            return item_id


        @versioned.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, item_id: int) -> int:
            return item_id
        """,
        "get_item: the rule variable <version> has no parameter of that name",
    ),
    "rule_of_final_names_checked": Case(
        # A rule built of Final names (and +) is a literal to the plugin, as a prefix is.
        """
        from typing import Final

        ITEMS: Final = "/items"
        ONE: Final[str] = ITEMS + "/<int:item_id>"
        shops = Router(prefix=ITEMS + "/<int:shop_id>")


        @shops.get(ONE + "/reviews")  # <-
        async def reviews(connection: Connection, shop_id: int, itemid: int) -> int:
            return shop_id
        """,
        "reviews: the rule variable <item_id> has no parameter of that name",
    ),
    "bound_method_provider_checked_as_called": Case(
        # `Depends(shops.shop_of)`: the method is read without its `self` (the plugin could
        # not read it at all, and said nothing).
        """
        class Shops:
            def shop_of(self, shop_id: uuid.UUID) -> str:
                return str(shop_id)


        shops = Shops()


        @router.get("/shops/<int:shop_id>")  # <-
        async def get_shop(connection: Connection, shop: str = Depends(shops.shop_of)) -> str:
            return shop
        """,
        "Shops.shop_of: parameter 'shop_id' is annotated UUID, but its rule converter gives int",
    ),
    "staticmethod_provider_read_whole": Case(
        # A staticmethod, even through an object, takes no `self`: its first parameter is
        # the rule variable, checked against the converter.
        """
        class Shops:
            @staticmethod
            def shop_of(shop_id: uuid.UUID) -> str:
                return str(shop_id)


        shops = Shops()


        @router.get("/shops/<int:shop_id>")  # <-
        async def get_shop(connection: Connection, shop: str = Depends(shops.shop_of)) -> str:
            return shop
        """,
        "Shops.shop_of: parameter 'shop_id' is annotated UUID, but its rule converter gives int",
    ),
    "classmethod_provider_named_by_its_class": Case(
        """
        class Shops:
            @classmethod
            def shop_of(cls, shop_id: uuid.UUID) -> str:
                return cls.__name__ + str(shop_id)


        @router.get("/shops/<int:shop_id>")  # <-
        async def get_shop(connection: Connection, shop: str = Depends(Shops.shop_of)) -> str:
            return shop
        """,
        "Shops.shop_of: parameter 'shop_id' is annotated UUID, but its rule converter gives int",
    ),
    "classmethod_provider_read_without_cls": Case(
        """
        class Shops:
            @classmethod
            def shop_of(cls, shop_id: int) -> str:
                return cls.__name__ + str(shop_id)

            @staticmethod
            def size_of(size: int = 10) -> int:
                return size


        shops = Shops()


        @router.get("/shops/<int:shop_id>")
        async def get_shop(
            connection: Connection,
            shop: str = Depends(Shops.shop_of),
            also: str = Depends(shops.shop_of),
            size: int = Depends(shops.size_of),
        ) -> str:
            return shop
        """,
        None,
    ),
    "misspelt_variable": Case(
        """
        @router.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, itemid: int) -> None: ...
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    "app_shortcut_checked_as_a_routers": Case(
        """
        from aaf import aaf

        app = aaf([])


        @app.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, itemid: int) -> None: ...
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    "app_shortcut_correct": Case(
        """
        from aaf import aaf

        app = aaf([])


        @app.route("/items/<int:item_id>")
        class ItemView(View):
            async def get(self, connection: Connection, item_id: int) -> Item:
                return Item(name=str(item_id))
        """,
        None,
    ),
    "path_marker_off_the_rule": Case(
        """
        from aaf.params import Path


        @router.get("/items")  # <-
        async def get_item(connection: Connection, item_id: Annotated[int, Path()]) -> None: ...
        """,
        "get_item: parameter 'item_id' is marked Path(), but the rule has no <item_id>",
    ),
    "query_marker_on_a_rule_variable": Case(
        """
        from aaf import params


        @router.get("/items/<int:item_id>")  # <-
        async def get_item(
            connection: Connection, item_id: Annotated[int, params.Query(ge=1)]
        ) -> None: ...
        """,
        "get_item: parameter 'item_id' is the rule variable <item_id>, which comes from the "
        "path: mark it Path(), not Query()",
    ),
    "marker_held_in_a_name": Case(
        """
        from aaf.params import Header

        TOKEN = Header(alias="x-token")


        @router.get("/items/<token>")  # <-
        async def get_item(connection: Connection, token: Annotated[str, TOKEN]) -> None: ...
        """,
        "get_item: parameter 'token' is the rule variable <token>, which comes from the path: "
        "mark it Path(), not Header()",
    ),
    "provider_path_marker_off_the_rule": Case(
        """
        from aaf.params import Path


        def owner_of(owner: Annotated[str, Path()]) -> str:
            return owner


        @router.get("/items")  # <-
        async def get_items(connection: Connection, owner: str = Depends(owner_of)) -> None: ...
        """,
        "owner_of: parameter 'owner' is marked Path(), but the rule has no <owner>",
    ),
    "value_where_the_status_sends_no_body": Case(
        """
        @router.delete("/items/<int:item_id>", status_code=204)  # <-
        async def delete_item(connection: Connection, item_id: int) -> Item | None: ...
        """,
        "delete_item: status_code 204 sends no body, but it returns Item | None: annotate it "
        "-> None (a response object it returns keeps its own status)",
    ),
    "value_where_an_http_status_sends_no_body": Case(
        """
        from http import HTTPStatus


        @router.put("/items", status_code=HTTPStatus.NOT_MODIFIED)  # <-
        async def put_items(connection: Connection) -> list[Item]:
            return []
        """,
        "put_items: status_code 304 sends no body, but it returns list[Item]: annotate it "
        "-> None (a response object it returns keeps its own status)",
    ),
    "view_value_where_the_operation_status_sends_no_body": Case(
        """
        from http import HTTPStatus


        @router.route("/items")  # <-
        class ItemView(View):
            async def get(self, connection: Connection) -> Item:
                return Item(name="x")

            @operation(status_code=HTTPStatus.NOT_MODIFIED)
            async def post(self, connection: Connection) -> str:
                return ""
        """,
        "ItemView.post: status_code 304 sends no body, but it returns str: annotate it -> None "
        "(a response object it returns keeps its own status)",
    ),
    "nothing_or_a_response_where_the_status_sends_no_body": Case(
        """
        from aaf.response import HttpResponse


        @router.delete("/items", status_code=204)
        async def delete_items(connection: Connection) -> None: ...


        @router.get("/items", status_code=304)
        def items(connection: Connection) -> HttpResponse | None:
            return HttpResponse("")
        """,
        None,
    ),
    # FastAPI's spelling: the marker as the default would reach the handler as the value.
    "marker_as_a_default": Case(
        """
        from aaf.params import Form


        @router.post("/notes")  # <-
        async def add_note(connection: Connection, title: str = Form(max_length=9)) -> None: ...
        """,
        "add_note: parameter 'title' has Form() as its default; aaf reads Form() from the "
        "annotation: title: Annotated[str, Form()], with a default value, if any, after it",
    ),
    "marker_as_a_default_where_mypy_accepts_it": Case(
        """
        @router.get("/notes")  # <-
        async def notes(connection: Connection, page: Any = Query()) -> None: ...
        """,
        "notes: parameter 'page' has Query() as its default; aaf reads Query() from the "
        "annotation: page: Annotated[Any, Query()], with a default value, if any, after it",
    ),
    "pydantic_field_as_a_default": Case(
        """
        from pydantic import Field


        @router.get("/notes")  # <-
        async def notes(connection: Connection, limit: int = Field(10, ge=1)) -> None: ...
        """,
        "notes: parameter 'limit' has Field() as its default; aaf reads Field() from the "
        "annotation: limit: Annotated[int, Field()], with a default value, if any, after it",
    ),
    "provider_marker_as_a_default": Case(
        """
        from aaf.params import Header


        def token_of(x_token: list[int] | None = Header()) -> str:  # type: ignore[assignment]
            return ""


        @router.get("/me")  # <-
        async def me(connection: Connection, token: str = Depends(token_of)) -> None: ...
        """,
        "token_of: parameter 'x_token' has Header() as its default; aaf reads Header() from "
        "the annotation: x_token: Annotated[list[int] | None, Header()], with a default value, "
        "if any, after it",
    ),
    "markers_where_they_belong": Case(
        """
        from aaf.params import Cookie, Header, Path


        @router.get("/items/<name>")
        async def get_item(
            connection: Connection,
            name: Annotated[str, Path(min_length=2)],
            q: Annotated[str, Query()] = "",
            agent: Annotated[str | None, Header()] = None,
            session: Annotated[str | None, Cookie()] = None,
        ) -> None: ...
        """,
        None,
    ),
    "converter_cannot_produce": Case(
        """
        @router.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, item_id: uuid.UUID) -> None: ...
        """,
        "get_item: parameter 'item_id' is annotated UUID, but its rule converter gives int",
    ),
    "converter_fits_related_types": Case(
        """
        @router.get("/a/<int:a>/<int:b>/<int:c>/<int:d>/<uuid:e>/<float:f>/<int:g>")
        async def fits(
            connection: Connection,
            a: float,
            b: int | None,
            c: Literal[1, 2],
            d: UserId,
            e: uuid.UUID,
            f: float,
            g: object,
        ) -> None: ...
        """,
        None,
    ),
    "literal_of_strings_for_int": Case(
        """
        @router.get("/a/<int:a>")  # <-
        async def literal(connection: Connection, a: Literal["x", "y"]) -> None: ...
        """,
        "literal: parameter 'a' is annotated Literal['x', 'y'], but its rule converter gives int",
    ),
    "forgot_the_connection": Case(
        """
        @router.get("/items/<int:item_id>")  # <-
        async def get_item(item_id: int) -> None: ...
        """,
        "get_item must take the connection as its first parameter, got item_id: int; "
        "add `connection: Connection` before it",
    ),
    "provider_with_args": Case(
        # A provider's *args was read as a query value named "args"; one before / was given
        # by name, a TypeError on every request. Both are refused as a handler's are.
        """
        def count(*values: str) -> int:
            return len(values)


        @router.get("/")  # <-
        async def counted(connection: Connection, n: int = Depends(count)) -> int:
            return n
        """,
        "count: parameter 'values' must be nameable" + _UNNAMED,
    ),
    "provider_with_a_positional_only_parameter": Case(
        """
        def page(number: int, /) -> int:
            return number


        @router.get("/")  # <-
        async def paged(connection: Connection, n: int = Depends(page)) -> int:
            return n
        """,
        "page: parameter 'number' must be nameable" + _UNNAMED,
    ),
    "no_parameters_at_all": Case(
        """
        @router.post("/ping")  # <-
        async def ping() -> None: ...
        """,
        "ping must take the connection as its first parameter",
    ),
    "args_cannot_be_filled": Case(
        """
        @router.get("/")  # <-
        async def star(connection: Connection, *values: str) -> None: ...
        """,
        "star: parameter 'values' must be nameable" + _UNNAMED,
    ),
    "variable_read_by_a_dependency": Case(
        """
        @router.get("/items/<int:item_id>")
        async def get_item(connection: Connection, value: int = Depends(nested)) -> None: ...
        """,
        None,
    ),
    # A parameter a provider gives is not the path value of its name (registration took the
    # name for a reader, and the path value was dropped unseen), in either spelling.
    "variable_named_by_a_provided_parameter": Case(
        """
        def label_of(name: str = "") -> str:
            return name


        @router.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, item_id: str = Depends(label_of)) -> None: ...
        """,
        "get_item: the rule variable <item_id> fills no parameter: parameter 'item_id' is given "
        "by its provider (Depends), not by the path; rename one of them",
    ),
    "variable_named_by_an_annotated_provided_parameter": Case(
        """
        def count_of(n: int = 0) -> int:
            return n


        def total_of(item_id: Annotated[int, Depends(count_of)]) -> int:
            return item_id


        @router.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, total: int = Depends(total_of)) -> None: ...
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    # A marker in Annotated hides nothing else: the plugin reads through it (it was silent).
    "marked_path_value_no_text_fills": Case(
        """
        from aaf.params import Path


        @router.get("/spans/<span>")  # <-
        async def spans(
            connection: Connection, span: Annotated[tuple[int, int], Path(max_length=2)]
        ) -> None: ...
        """,
        "spans: parameter 'span' is annotated tuple[int, int], which no path value can fill: "
        "a path value is text. Json[...] (pydantic) reads JSON text into it; a provider "
        "(Depends) can build it",
    ),
    "variable_unread_beside_marked_values": Case(
        """
        from aaf.params import Header


        @router.get("/items/<item_id>")  # <-
        async def items(connection: Connection, tag: Annotated[str, Header()] = "") -> None: ...
        """,
        "items: the rule variable <item_id> has no parameter of that name",
    ),
    "variable_read_by_an_annotated_dependency": Case(
        """
        @router.get("/items/<int:item_id>")
        async def get_item(
            connection: Connection, value: Annotated[int, Depends(item_id_of)]
        ) -> None: ...
        """,
        None,
    ),
    # Annotated[T, Depends(p)]: the metadata mypy drops is read from the source.
    "annotated_provider_of_another_type": Case(
        """
        async def user_name(token: str = "") -> str:
            return token


        @router.get("/me")  # <-
        async def me(connection: Connection, user: Annotated[int, Depends(user_name)]) -> int:
            return user
        """,
        "me: parameter 'user' is annotated int, but Depends(user_name) gives str",
        plugin_only=True,
    ),
    "annotated_providers_of_each_kind_that_fit": Case(
        """
        from collections.abc import AsyncIterator

        from aaf import params
        from aaf.security import HTTPAuthorizationCredentials, HTTPBearer

        bearer = HTTPBearer()


        async def coroutine() -> int:
            return 1


        def generator() -> Iterator[int]:
            yield 1


        async def async_generator() -> AsyncIterator[int]:
            yield 1


        @router.get("/kinds")
        async def kinds(
            connection: Connection,
            a: Annotated[int, Depends(coroutine)],
            b: Annotated[int, Depends(generator, use_cache=False)],
            c: Annotated[float, params.Depends(async_generator)],
            d: Annotated[object, Depends(item_id_of)],
            e: Annotated[HTTPAuthorizationCredentials, Security(bearer, scopes=["me"])],
            f: Annotated[Item, Depends(Item)],
        ) -> None: ...
        """,
        None,
    ),
    "annotated_generator_of_another_type": Case(
        """
        from collections.abc import AsyncIterator


        async def session() -> AsyncIterator[str]:
            yield "db"


        @router.get("/things")  # <-
        async def things(connection: Connection, db: Annotated[bytes, Depends(session)]) -> int:
            return len(db)
        """,
        "things: parameter 'db' is annotated bytes, but Depends(session) gives str",
        plugin_only=True,
    ),
    "annotated_security_object_of_another_type": Case(
        """
        from aaf.security import HTTPBearer

        bearer = HTTPBearer()


        @router.get("/me")  # <-
        async def me(connection: Connection, token: Annotated[str, Depends(bearer)]) -> None: ...
        """,
        "me: parameter 'token' is annotated str, but Depends(bearer) gives "
        "HTTPAuthorizationCredentials",
        plugin_only=True,
    ),
    "annotated_sub_provider_of_another_type": Case(
        """
        def page() -> str:
            return "1"


        def paging(number: Annotated[int, Depends(page)]) -> int:
            return number


        @router.get("/pages")  # <-
        async def pages(connection: Connection, at: int = Depends(paging)) -> None: ...
        """,
        "paging: parameter 'number' is annotated int, but Depends(page) gives str",
        plugin_only=True,
    ),
    "annotated_provider_against_the_rule": Case(
        """
        def item_of(item_id: uuid.UUID) -> Item:
            return Item(name=str(item_id))


        @router.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, item: Annotated[Item, Depends(item_of)]) -> Item:
            return item
        """,
        "item_of: parameter 'item_id' is annotated UUID, but its rule converter gives int",
    ),
    "annotated_class_marker_leaves_a_variable_unread": Case(
        """
        class ItemRef:
            def __init__(self, item_id: int) -> None:
                self.item_id = item_id


        @router.get("/items/<int:item_id>/<int:other>")  # <-
        async def get_item(connection: Connection, ref: Annotated[ItemRef, Depends()]) -> int:
            return ref.item_id
        """,
        "get_item: the rule variable <other> has no parameter of that name",
    ),
    "view_annotated_attribute_reads_the_variable": Case(
        """
        def item_of(item_id: int) -> Item:
            return Item(name=str(item_id))


        @router.route("/items/<int:item_id>")
        class Items(View):
            item: Annotated[Item, Depends(item_of)]

            async def get(self, connection: Connection) -> Item:
                return self.item
        """,
        None,
    ),
    "view_annotated_attribute_leaves_a_variable_unread": Case(
        """
        def item_of(item_id: int) -> Item:
            return Item(name=str(item_id))


        @router.route("/items/<int:item_id>/<int:other>")  # <-
        class Items(View):
            item: Annotated[Item, Depends(item_of)]

            async def get(self, connection: Connection) -> Item:
                return self.item
        """,
        "Items.get: the rule variable <other> has no parameter of that name",
    ),
    "view_annotated_attribute_of_another_type": Case(
        """
        def user_name() -> str:
            return ""


        @router.route("/me")  # <-
        class Me(View):
            user: Annotated[int, Depends(user_name)]

            async def get(self, connection: Connection) -> int:
                return self.user
        """,
        "Me: attribute 'user' is annotated int, but Depends(user_name) gives str",
        plugin_only=True,
    ),
    "annotated_providers_the_plugin_reads_or_leaves": Case(
        """
        import functools
        from typing import TypeVar

        from aaf import params as aaf_params

        T = TypeVar("T")


        def first(items: list[T] | None = None) -> T:  # generic: left alone
            raise LookupError


        @functools.cache
        def settings() -> str:
            return "conf"


        def by_keyword() -> int:
            return 1


        @router.get("/things")
        async def things(
            connection: Connection,
            a: Annotated[int, Depends(first)],
            b: Annotated[str, Depends(settings)],
            c: Annotated[int, aaf_params.Depends(provider=by_keyword, use_cache=False)],
            d: Annotated[int, Depends(lambda: 1)],
            e: Annotated[str, "a note", Depends(settings)],
        ) -> None: ...
        """,
        None,
    ),
    "annotated_class_provider_of_another_type": Case(
        """
        @router.get("/things")  # <-
        async def things(connection: Connection, item: Annotated[int, Depends(Item)]) -> int:
            return item
        """,
        "things: parameter 'item' is annotated int, but Depends(Item) gives Item",
        plugin_only=True,
    ),
    "view_annotated_attribute_without_depends": Case(
        """
        from pydantic import Field


        @router.route("/items/<int:item_id>")  # <-
        class Items(View):
            note: Annotated[str, Field(max_length=3)]

            async def get(self, connection: Connection) -> None: ...
        """,
        "Items.get: the rule variable <item_id> has no parameter of that name",
    ),
    "annotated_provider_inside_a_function_is_left_alone": Case(
        """
        def build() -> Router:
            inner = Router()

            def user_name() -> str:
                return ""

            @inner.get("/me")
            async def me(connection: Connection, user: Annotated[int, Depends(user_name)]) -> int:
                return user

            return inner
        """,
        None,
    ),
    "variable_caught_by_kwargs": Case(
        """
        @router.get("/items/<int:item_id>")
        async def get_item(connection: Connection, **rest: object) -> None: ...
        """,
        None,
    ),
    "view_every_method": Case(
        """
        @router.route("/things/<int:thing_id>")  # <-
        class Things(View):
            async def get(self, connection: Connection, thing_id: int) -> None: ...

            async def delete(self, connection: Connection, thingid: int) -> None: ...
        """,
        "Things.delete: the rule variable <thing_id> has no parameter of that name",
    ),
    "variable_read_by_a_security_provider": Case(
        """
        @router.get("/items/<int:item_id>")
        async def get_item(
            connection: Connection, value: int = Security(nested, scopes=["items"])
        ) -> None: ...
        """,
        None,
    ),
    "security_provider_that_misreads_a_variable": Case(
        """
        def user_of(user_id: uuid.UUID, scopes: SecurityScopes) -> int:
            return 1

        @router.get("/users/<int:user_id>")  # <-
        async def get_user(
            connection: Connection, value: int = Security(user_of, scopes=["me"])
        ) -> None: ...
        """,
        "user_of: parameter 'user_id' is annotated UUID, but its rule converter gives int",
    ),
    "security_scopes_in_a_handler": Case(
        """
        @router.get("/me")  # <-
        async def me(connection: Connection, scopes: SecurityScopes) -> None: ...
        """,
        "me: parameter 'scopes' is annotated SecurityScopes, which only a provider takes (the "
        "scopes the Security(..., scopes=[...]) above it require); check them in the provider "
        "the handler's Security(...) names",
    ),
    "view_attribute_dependency": Case(
        """
        @router.route("/things/<int:item_id>")
        class Things(View):
            value: int = Depends(item_id_of)

            async def get(self, connection: Connection) -> None: ...
        """,
        None,
    ),
    "two_markers": Case(
        """
        @router.get("/things")  # <-
        async def things(
            connection: Connection, x: Annotated[int, Query(), Header()] = 1
        ) -> int:
            return x
        """,
        "things: parameter 'x' is marked Query() and Header(): give it one, which says where "
        "its value comes from",
    ),
    "marker_and_depends": Case(
        """
        def int_of() -> int:
            return 1


        def other_int() -> int:
            return 2


        @router.get("/things")  # <-
        async def things(
            connection: Connection, x: Annotated[int, Depends(int_of)] = Depends(other_int)
        ) -> int:
            return x
        """,
        "things: parameter 'x' is marked Depends() and Depends(): give it one, which says "
        "where its value comes from",
    ),
    "same_depends_twice": Case(
        """
        def int_of() -> int:
            return 1


        @router.get("/things")
        async def things(
            connection: Connection, x: Annotated[int, Depends(int_of)] = Depends(int_of)
        ) -> int:
            return x
        """,
        None,
    ),
    "function_operation_status": Case(
        """
        @router.get("/things")  # <-
        @operation(status_code=204)
        async def things(connection: Connection) -> dict[str, int]:
            return {"n": 1}
        """,
        "things: status_code 204 sends no body, but it returns dict[str, int]: annotate it "
        "-> None (a response object it returns keeps its own status)",
    ),
    # Decorators run from the bottom up: an @operation above the route decorator came after
    # the registration and changed nothing (its status, its checks) without a word.
    # Joined as written, `/api` and `items` were the route `/apiitems`, without a word.
    "rule_without_its_slash_under_a_prefix": Case(
        """
        api = Router("/api/")


        @api.get("")
        async def listed(connection: Connection) -> None: ...


        @api.websocket("feed")  # <-
        async def feed(connection: Connection) -> None: ...
        """,
        "the rule 'feed' does not start with '/': under the prefix '/api' it would be "
        "'/apifeed'; write '/feed'",
    ),
    # Flask's rule: a wrapping decorator above the route decorator wraps what the route had
    # registered already, so no request passed through it (an auth check left out), which
    # registration cannot see. One returning the function it is given (typed with a TypeVar,
    # as @operation is) or another route decorator is no wrapper.
    # Another framework's hook around a class-based view's methods, which aaf never calls:
    # Flask's `decorators = [login_required]` left the login check out without a word.
    "flask_decorators_on_a_view": Case(
        """
        def login_required(fn: Callable[P, R]) -> Callable[P, R]:
            return fn


        class Guarded(View):
            decorators = [login_required]


        @router.route("/things")  # <-
        class Things(Guarded):
            async def get(self, connection: Connection) -> None: ...
        """,
        "Things.decorators is what Flask's MethodView wraps its view in; aaf's View never "
        "reads it: run checks as dependencies=[Depends(...)] (the route's, or a method's "
        "@operation's) or in before()",
    ),
    "django_dispatch_on_a_view": Case(
        """
        @router.route("/things")  # <-
        class Things(View):
            async def dispatch(self, connection: Connection) -> None: ...

            async def get(self, connection: Connection) -> None: ...
        """,
        "Things.dispatch is what Django's View (and Flask's) calls around every method; aaf's "
        "View never reads it: run checks as dependencies=[Depends(...)] (the route's, or a "
        "method's @operation's) or in before()",
    ),
    "wrapper_above_the_route_decorator": Case(
        """
        def login_required(fn: Callable[P, R]) -> Callable[P, R]:
            return fn


        def tagged(fn: R) -> R:
            return fn


        @tagged
        @router.get("/open")
        @router.get("/opened")
        @login_required
        async def opened(connection: Connection) -> None: ...


        @login_required
        @router.get("/things")  # <-
        async def things(connection: Connection) -> None: ...
        """,
        "things: @login_required is above the route decorator, so it wraps the function "
        "after the route registered it and requests never pass through it: put the route "
        "decorator on top",
        plugin_only=True,
    ),
    "operation_above_the_route_decorator": Case(
        """
        async def deny() -> None: ...


        @operation(status_code=201, dependencies=[Depends(deny)])
        @router.post("/things")  # <-
        async def things(connection: Connection) -> None: ...
        """,
        "things: @operation(...) is above the route decorator, which registered the route "
        "before it ran, so it would change nothing: put it below the route decorator",
    ),
    "function_operation_over_route_status": Case(
        """
        @router.get("/things", status_code=204)
        @operation(status_code=200)
        async def things(connection: Connection) -> dict[str, int]:
            return {"n": 1}
        """,
        None,
    ),
    "view_static_method": Case(
        """
        @router.route("/things/<int:item_id>")  # <-
        class Things(View):
            @staticmethod
            async def get(connection: Connection, item_id: int) -> None: ...
        """,
        "Things.get is a staticmethod: a view's handlers are plain methods, taking self and "
        "then the connection (a new instance serves each request)",
    ),
    "view_class_method": Case(
        """
        @router.route("/things/<int:item_id>")  # <-
        class Things(View):
            @classmethod
            async def get(cls, connection: Connection, item_id: int) -> None: ...
        """,
        "Things.get is a classmethod: a view's handlers are plain methods, taking self and "
        "then the connection (a new instance serves each request)",
    ),
    "view_method_assigned_static": Case(
        """
        async def get_thing(connection: Connection, item_id: int) -> None: ...


        @router.route("/things/<int:item_id>")  # <-
        class Things(View):
            get = staticmethod(get_thing)
        """,
        "Things.get is a staticmethod: a view's handlers are plain methods, taking self and "
        "then the connection (a new instance serves each request)",
    ),
    "websocket_view_static_receive": Case(
        """
        @router.websocket("/rooms/<room>")  # <-
        class Room(WebSocketView):
            @staticmethod
            async def on_receive(connection: Connection, data: str) -> None: ...
        """,
        "Room.on_receive is a staticmethod: a view's handlers are plain methods, taking self "
        "and then the connection (a new instance serves each request)",
    ),
    "view_without_methods": Case(
        """
        @router.route("/things")  # <-
        class Things(View):
            pass
        """,
        "Things defines none of get, post, put, patch, delete, options, head",
    ),
    "websocket_view_on_connect": Case(
        """
        @router.websocket("/rooms/<room>")  # <-
        class Room(WebSocketView):
            async def on_connect(self, connection: Connection, rooom: str) -> None: ...
        """,
        "Room.on_connect: the rule variable <room> has no parameter of that name",
    ),
    "websocket_view_attribute_reads_the_rule_variable": Case(
        # A WebSocketView's attributes are filled by their providers before on_connect, as a
        # View's: one reading <item_id> uses it. Registration left them unset (the instance
        # kept the Depends object) and refused the rule variable as unused.
        """
        @router.websocket("/items/<int:item_id>")
        class Feed(WebSocketView):
            item_id: int = Depends(item_id_of)

            async def on_connect(self, connection: Connection) -> None: ...
        """,
        None,
    ),
    "websocket_view_attribute_of_another_type": Case(
        """
        @router.websocket("/items/<int:item_id>")  # <-
        class Feed(WebSocketView):
            item_id: Annotated[str, Depends(item_id_of)]

            async def on_connect(self, connection: Connection) -> None: ...
        """,
        "Feed: attribute 'item_id' is annotated str, but Depends(item_id_of) gives int",
        plugin_only=True,
    ),
    "websocket_view_attribute_of_another_type_without_on_connect": Case(
        """
        @router.websocket("/items/<int:item_id>")  # <-
        class Feed(WebSocketView):
            item_id: Annotated[str, Depends(item_id_of)]
        """,
        "Feed: attribute 'item_id' is annotated str, but Depends(item_id_of) gives int",
        plugin_only=True,
    ),
    "websocket_function": Case(
        """
        @router.websocket("/rooms/<room>")  # <-
        async def room(connection: Connection, rom: str) -> None: ...
        """,
        "room: the rule variable <room> has no parameter of that name",
    ),
    "add_route_call": Case(
        """
        async def get_item(connection: Connection, itemid: int) -> None: ...


        router.add_route("/items/<int:item_id>", get_item)  # <-
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    "add_route_call_of_a_routed_function": Case(
        """
        @router.get("/items/<int:itemid>")
        async def get_item(connection: Connection, itemid: int) -> None: ...


        router.add_route("/things/<int:item_id>", get_item)  # <-
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    "add_websocket_route_call_of_a_routed_function": Case(
        """
        @router.websocket("/rooms/<room>")
        async def room(connection: Connection, room: str) -> None: ...


        router.add_websocket_route("/halls/<hall>", room)  # <-
        """,
        "room: the rule variable <hall> has no parameter of that name",
    ),
    "unknown_converter": Case(
        """
        @router.get("/items/<item:item_id>")  # <-
        async def get_item(connection: Connection, item_id: int) -> None: ...
        """,
        "the rule '/items/<item:item_id>' is not valid: the converter 'item' does not exist",
    ),
    "own_converter": Case(
        f"""
        {HEX}

        hexes = Router(converters={{"hex": HexConverter}})


        @hexes.get("/colours/<hex:rgb>")
        async def colour(connection: Connection, rgb: int) -> int:
            return rgb
        """,
        None,
    ),
    "own_converter_beside_a_variable_with_no_parameter": Case(
        f"""
        {HEX}

        hexes = Router(converters={{"hex": HexConverter}})


        @hexes.get("/colours/<hex:rgb>/<int:alpha>")  # <-
        async def colour(connection: Connection, rgb: int) -> int:
            return rgb
        """,
        "colour: the rule variable <alpha> has no parameter of that name",
    ),
    "own_converter_against_the_annotation": Case(
        f"""
        {HEX}

        hexes = Router(converters={{"hex": HexConverter}})


        @hexes.get("/colours/<hex:rgb>")  # <-
        async def colour(connection: Connection, rgb: str) -> str:
            return rgb
        """,
        "colour: parameter 'rgb' is annotated str, but its rule converter gives int",
        runtime_only=True,  # the plugin does not run the converter: it may give anything
    ),
    "own_converter_of_another_router": Case(
        f"""
        {HEX}

        hexes = Router(converters={{"hex": HexConverter}})
        plain = Router()


        @plain.get("/colours/<hex:rgb>")  # <-
        async def colour(connection: Connection, rgb: int) -> int:
            return rgb
        """,
        "the rule '/colours/<hex:rgb>' is not valid: the converter 'hex' does not exist",
    ),
    "non_literal_rule_is_skipped": Case(
        """
        RULE = "/items/<int:item_id>"


        @router.get(RULE)
        async def get_item(connection: Connection, itemid: int) -> None: ...
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
        runtime_only=True,
    ),
    "view_method_with_operation": Case(
        """
        @router.route("/things/<int:thing_id>")  # <-
        class Things(View):
            @operation(status_code=201)
            async def post(self, connection: Connection, thingid: int) -> None: ...
        """,
        "Things.post: the rule variable <thing_id> has no parameter of that name",
    ),
    "view_dependency_in_a_base_class": Case(
        """
        class Base(View):
            value: int = Depends(item_id_of)


        @router.route("/things/<int:item_id>")
        class Things(Base):
            async def get(self, connection: Connection) -> None: ...
        """,
        None,
    ),
    "keyword_only_variable": Case(
        """
        @router.get("/items/<int:item_id>")
        async def get_item(connection: Connection, *, item_id: int) -> None: ...
        """,
        None,
    ),
    "positional_only_parameter": Case(
        """
        @router.get("/items")  # <-
        async def get_items(connection: Connection, q: str, /) -> None: ...
        """,
        "get_items: parameter 'q' must be nameable" + _UNNAMED,
    ),
    "malformed_rule": Case(
        """
        @router.get("/items/<int:item_id")  # <-
        async def get_item(connection: Connection, item_id: int) -> None: ...
        """,
        "the rule '/items/<int:item_id' is not valid: malformed url rule: '/items/<int:item_id'",
    ),
    # werkzeug reads an unquoted number in any(...) as a number, then fails on it.
    "any_converter_given_numbers": Case(
        """
        @router.get("/sizes/<any(1, 2):size>")  # <-
        async def sizes(connection: Connection, size: str) -> None: ...
        """,
        "the rule '/sizes/<any(1, 2):size>' is not valid: any(...) matches text: quote a value "
        "that reads as a number, any('1', '2')",
    ),
    # werkzeug reads the bare word as text, kept it and compared each request's int with it.
    "converter_argument_of_the_wrong_kind": Case(
        """
        @router.get("/items/<int(min=1, max=top):item_id>")  # <-
        async def item(connection: Connection, item_id: int) -> None: ...
        """,
        "the rule '/items/<int(min=1, max=top):item_id>' is not valid: int(max=...) takes a "
        "number, not 'top'",
    ),
    "any_converter_whose_values_the_type_refuses": Case(
        """
        @router.get("/scale/<any(half, double):factor>")  # <-
        async def scale(connection: Connection, factor: float) -> None: ...
        """,
        "scale: parameter 'factor' is annotated float, which none of the values its rule "
        "converter matches (any(double, half)) is valid for",
    ),
    "any_converter_values_in_a_view_and_a_union": Case(
        """
        @router.route("/sizes/<any(small, large):size>")  # <-
        class Sizes(View):
            async def get(self, connection: Connection, size: int | None) -> None: ...
        """,
        "Sizes.get: parameter 'size' is annotated int | None, which none of the values its "
        "rule converter matches (any(large, small)) is valid for",
    ),
    "any_converter_values_a_literal_refuses": Case(
        """
        @router.get("/sort/<any(asc, desc):order>")  # <-
        async def sort(connection: Connection, order: Literal["up", "down"]) -> None: ...
        """,
        "sort: parameter 'order' is annotated Literal['up', 'down'], which none of the values "
        "its rule converter matches (any(asc, desc)) is valid for",
    ),
    "any_converter_one_value_taken": Case(
        """
        @router.get("/pages/<any('1', last):page>")
        async def page(connection: Connection, page: int, size: Literal["a", "b"] = "a") -> None:
            pass


        @router.get("/sort/<any(asc, desc):order>")
        async def sort(connection: Connection, order: Literal["asc", "up"] | bool) -> None: ...
        """,
        None,
    ),
    "any_converter_values_an_int_literal_refuses": Case(
        """
        @router.get("/sizes/<any('3', '4'):size>")  # <-
        async def sizes(connection: Connection, size: Literal[1, 2]) -> None: ...
        """,
        "sizes: parameter 'size' is annotated Literal[1, 2], which none of the values its "
        "rule converter matches (any(3, 4)) is valid for",
        runtime_only=True,  # registration reads text into integer Literals its own way
    ),
    "class_not_a_view": Case(
        """
        @router.get("/items/<int:item_id>")  # <-
        class Items:
            async def get(self, connection: Connection, item_id: int) -> None: ...
        """,
        "Items is a class but not a View: subclass aaf.views.View",
    ),
    "websocket_view_on_an_http_route": Case(
        """
        @router.route("/rooms/<room>")  # <-
        class Room(WebSocketView):
            async def on_connect(self, connection: Connection, room: str) -> None: ...
        """,
        "Room is a WebSocketView: register it with router.websocket",
    ),
    "view_on_a_websocket_route": Case(
        """
        @router.websocket("/items/<int:item_id>")  # <-
        class Items(View):
            async def get(self, connection: Connection, item_id: int) -> None: ...
        """,
        "Items is a View, which answers HTTP: register it with router.route",
    ),
    "class_not_a_websocket_view": Case(
        """
        @router.websocket("/rooms/<room>")  # <-
        class Room:
            async def on_connect(self, connection: Connection, room: str) -> None: ...
        """,
        "Room is a class but not a WebSocketView: subclass aaf.views.WebSocketView",
    ),
    "handler_typed_callable_with_ellipsis": Case(
        """
        async def get_item(connection: Connection, item_id: int) -> None: ...


        handler: Callable[..., Any] = get_item
        router.add_route("/items/<int:item_id>", handler)
        """,
        None,
    ),
    "variable_twice": Case(
        """
        @router.get("/pairs/<int:a>/<int:a>")  # <-
        async def pair(connection: Connection, a: int) -> None: ...
        """,
        "the rule '/pairs/<int:a>/<int:a>' is not valid: the variable <a> appears twice",
    ),
    "fastapi_braces": Case(
        """
        @router.get("/items/{item_id}")  # <-
        async def get_item(connection: Connection, item_id: int) -> None: ...
        """,
        "the rule '/items/{item_id}' is not valid: {item_id} would match only the text "
        "{item_id}: aaf writes rule variables in werkzeug's syntax, <item_id> or <int:item_id>",
    ),
    "starlettes_request_as_a_parameter": Case(
        """
        from fastapi import Request

        @router.get("/items")  # <-
        async def get_items(connection: Connection, request: Request) -> None: ...
        """,
        "get_items: parameter 'request' is annotated Request (Starlette's, as FastAPI takes "
        "it), which aaf does not give: the request is the Connection, a handler's first "
        "parameter (a provider's by its annotation): `connection: Connection` (from "
        "aaf.connection import Connection), its req_headers, query, req_cookies and `await "
        "connection.body()`",
    ),
    "fastapis_background_tasks_in_a_provider": Case(
        """
        from fastapi import BackgroundTasks

        def later(tasks: BackgroundTasks) -> int:
            return 1

        @router.post("/items")  # <-
        async def add_item(connection: Connection, n: int = Depends(later)) -> None: ...
        """,
        "later: parameter 'tasks' is annotated BackgroundTasks (Starlette's, as FastAPI takes "
        "it), which aaf does not give: give the work to connection.add_background(fn, *args), "
        "which runs it once the response is sent (its arguments type-checked)",
    ),
    "rule_as_a_keyword": Case(
        """
        @router.route(rule="/items/<int:item_id>", methods=["GET"])  # <-
        async def get_item(connection: Connection, itemid: int) -> None: ...
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    "add_websocket_route_call": Case(
        """
        async def feed(connection: Connection, rom: str) -> None: ...


        router.add_websocket_route("/feeds/<room>", feed)  # <-
        """,
        "feed: the rule variable <room> has no parameter of that name",
    ),
    "websocket_view_without_on_connect": Case(
        """
        @router.websocket("/rooms/<room>")
        class Room(WebSocketView):
            async def on_receive(self, connection: Connection, data: str) -> None: ...
        """,
        None,
    ),
    "sync_handler": Case(
        """
        @router.get("/items/<int:item_id>")  # <-
        def get_item(connection: Connection, item: int) -> str:
            return ""
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    # A security scheme reads its credential from the connection: not from a rule variable
    # of its name, for registration and the plugin alike (which reads its __call__).
    "variable_named_by_a_security_object": Case(
        """
        from aaf.security import APIKeyQuery

        key = APIKeyQuery(name="item_id")


        @router.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, value: str | None = Depends(key)) -> None: ...
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    "depends_with_no_provider_marks_a_parameter": Case(
        """
        class ItemRef:
            def __init__(self, item_id: int) -> None:
                self.item_id = item_id


        @router.get("/items/<int:item_id>")
        async def get_item(connection: Connection, ref: Annotated[ItemRef, Depends()]) -> int:
            return ref.item_id
        """,
        None,
    ),
    "depends_with_no_provider_in_dependencies": Case(
        """
        @router.get("/items", dependencies=[Depends(use_cache=False)])  # <-
        async def get_items(connection: Connection) -> None: ...
        """,
        "get_items: Depends() names no provider, so it can only mark a parameter whose class "
        "it calls (Annotated[Paging, Depends()]); write Depends(provider)",
    ),
    "a_lambda_provider_is_left_to_registration": Case(
        """
        def ping(value: int = Depends(lambda: 1)) -> int:
            return value


        @router.get("/items/<int:item_id>")
        async def get_item(connection: Connection, value: int = Depends(ping)) -> None: ...
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
        runtime_only=True,
    ),
    "decorator_held_in_a_variable_is_skipped": Case(
        """
        items = router.get("/items/<int:item_id>")


        @items
        async def get_item(connection: Connection, itemid: int) -> None: ...
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
        runtime_only=True,
    ),
    "sync_websocket_function": Case(
        """
        @router.websocket("/rooms/<room>")  # <-
        def room(connection: Connection, room: str) -> None: ...  # type: ignore[type-var]
        """,
        "room must be an async function (async def): it awaits frames",
    ),
    "any_and_tuple_annotations": Case(
        """
        @router.get("/a/<int:a>/<int:b>")  # <-
        async def pair(connection: Connection, a: Any, b: tuple[int, int]) -> None: ...
        """,
        "pair: parameter 'b' is annotated tuple[int, int], but its rule converter gives int",
    ),
    "view_attribute_named_by_a_security_object": Case(
        """
        from aaf.security import APIKeyQuery

        key = APIKeyQuery(name="item_id")


        @router.route("/things/<int:item_id>")  # <-
        class Things(View):
            value: str | None = Depends(key)

            async def get(self, connection: Connection) -> None: ...
        """,
        "Things.get: the rule variable <item_id> has no parameter of that name",
    ),
    "provider_details": Case(
        """
        def decorated(func: Callable[P, R]) -> Callable[P, R]:
            return func


        @decorated
        def from_a_decorated_provider(item_id: int, **rest: object) -> int:
            return item_id


        @router.get("/items/<int:item_id>")
        async def get_item(
            connection: Connection, value: int = Depends(from_a_decorated_provider)
        ) -> None: ...
        """,
        None,
    ),
    "under_a_paramspec_decorator": Case(
        """
        import functools
        from collections.abc import Awaitable


        def login_required(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
            @functools.wraps(func)
            async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
                return await func(*args, **kwargs)

            return wrapper


        @router.get("/items/<int:item_id>")  # <-
        @login_required
        async def get_item(connection: Connection, itemid: int) -> None: ...


        @router.get("/others/<int:item_id>")
        @login_required
        async def get_other(
            connection: Connection, value: int = Depends(item_id_of), q: str = ""
        ) -> None: ...


        @router.websocket("/rooms/<int:room>")
        @login_required
        async def room(connection: Connection, room: int) -> None: ...
        """,
        # The plugin read no defaults from mypy's type of a decorated handler (it stayed silent
        # on this one), and took the Awaitable the websocket returns for a sync function.
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    "decorator_called_by_hand": Case(
        """
        async def get_item(connection: Connection, itemid: int) -> None: ...


        router.get("/items/<int:item_id>")(get_item)  # <-
        """,
        "get_item: the rule variable <item_id> has no parameter of that name",
    ),
    "missing_arguments_are_left_to_mypy": Case(
        """
        router.add_route("/items")  # type: ignore[call-arg]
        """,
        "Router.add_route() missing 1 required positional argument: 'handler'",
        runtime_only=True,
    ),
    "a_decorator_given_nothing_is_left_to_mypy": Case(
        """
        router.get("/items")()  # type: ignore[call-arg]
        """,
        "Router.route.<locals>.decorator() missing 1 required positional argument: 'handler'",
        runtime_only=True,
    ),
    "second_decorator_line": Case(
        """
        @router.get("/ok/<int:item_id>")
        @router.get("/bad/<int:other>")  # <-
        async def get_item(connection: Connection, item_id: int) -> None: ...
        """,
        "get_item: the rule variable <other> has no parameter of that name",
    ),
    # A security scheme (an object) and a class are read through __call__ and __init__.
    "security_scheme_dependency_reads_no_rule_variable": Case(
        """
        from aaf.security import HTTPAuthorizationCredentials, HTTPBearer

        bearer = HTTPBearer()


        async def current_user(
            credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        ) -> str:
            return "someone"


        @router.get("/notes/<int:note_id>")  # <-
        async def read_note(connection: Connection, user: str = Depends(current_user)) -> str:
            return user
        """,
        "read_note: the rule variable <note_id> has no parameter of that name",
    ),
    "class_provider_reads_its_init": Case(
        """
        class Pager:
            def __init__(self, page: int, size: int = 20) -> None:
                self.page, self.size = page, size


        class Sorter:
            pass


        @router.get("/pages/<int:page>")
        async def pages(connection: Connection, pager: Pager = Depends(Pager)) -> int:
            return pager.page


        @router.get("/sorted/<int:page>")  # <-
        async def by_name(connection: Connection, sorter: Sorter = Depends(Sorter)) -> int:
            return 1
        """,
        "by_name: the rule variable <page> has no parameter of that name",
    ),
    # What a route's or its router's dependencies= read counts as read (they run first).
    "side_dependency_reads_the_variable": Case(
        """
        async def member_of(room: str) -> None: ...


        @router.get("/rooms/<room>/feed", dependencies=[Depends(member_of)])
        async def feed(connection: Connection) -> None: ...


        async def chat(connection: Connection) -> None: ...


        router.add_route("/rooms/<room>/log", feed, None, None, 200, None, [Depends(member_of)])
        router.add_websocket_route("/rooms/<room>/ws", chat, dependencies=[Depends(member_of)])
        """,
        None,
    ),
    "side_dependency_reading_something_else": Case(
        """
        async def signed_in(user: str = "") -> None: ...


        @router.get("/rooms/<room>/feed", dependencies=[Depends(signed_in)])  # <-
        async def feed(connection: Connection) -> None: ...
        """,
        "feed: the rule variable <room> has no parameter of that name",
    ),
    # A View method's (or a function's) @operation(dependencies=[...]) run for it: what they
    # read counts as read, and they are checked against the rule (the plugin did not read
    # them: `delete` was reported, `bad_owner` was not).
    "operation_dependency_reads_the_variable": Case(
        """
        async def owner_of(shop_id: int) -> None: ...


        @router.route("/shops/<int:shop_id>")
        class Shop(View):
            async def get(self, connection: Connection, shop_id: int) -> None: ...

            @operation(status_code=204, dependencies=[Depends(owner_of)])
            async def delete(self, connection: Connection) -> None: ...


        @router.get("/shops/<int:shop_id>/plain")
        @operation(dependencies=[Depends(owner_of)])
        async def plain(connection: Connection) -> None: ...
        """,
        None,
    ),
    "operation_dependency_reading_something_else": Case(
        """
        async def signed_in(user: str = "") -> None: ...


        @router.route("/shops/<int:shop_id>")  # <-
        class Shop(View):
            async def get(self, connection: Connection, shop_id: int) -> None: ...

            @operation(dependencies=[Depends(signed_in)])
            async def delete(self, connection: Connection) -> None: ...
        """,
        "Shop.delete: the rule variable <shop_id> has no parameter of that name",
    ),
    "operation_dependency_of_the_wrong_type": Case(
        """
        async def bad_owner(shop_id: str) -> None: ...


        @router.get("/shops/<int:shop_id>")  # <-
        @operation(dependencies=[Depends(bad_owner)])
        async def shop(connection: Connection, shop_id: int) -> None: ...
        """,
        "bad_owner: parameter 'shop_id' is annotated str, but its rule converter gives int",
    ),
    "operation_dependencies_held_in_a_variable_are_not_seen": Case(
        """
        async def owner_of(shop_id: int) -> None: ...


        checks = [Depends(owner_of)]


        @router.route("/shops/<int:shop_id>")
        class Shop(View):
            @operation(dependencies=checks)
            async def delete(self, connection: Connection) -> None: ...
        """,
        None,
    ),
    "router_dependency_reads_the_variable": Case(
        """
        async def member_of(room: str) -> None: ...


        rooms = Router(dependencies=[Depends(member_of)])


        @rooms.websocket("/rooms/<room>/ws")
        class Chat(WebSocketView):
            async def on_connect(self, connection: Connection) -> None: ...


        @rooms.get("/rooms/<room>/feed")
        async def feed(connection: Connection) -> None: ...
        """,
        None,
    ),
    "annotated_router_dependency_reads_the_variable": Case(
        # `rooms: Router = Router(...)`: an annotated assignment makes the router too.
        """
        async def member_of(room: str) -> None: ...


        rooms: Router = Router(dependencies=[Depends(member_of)])


        @rooms.get("/rooms/<room>/feed")
        async def feed(connection: Connection) -> None: ...
        """,
        None,
    ),
    "router_dependency_reading_something_else": Case(
        """
        async def signed_in(user: str = "") -> None: ...


        rooms = Router(dependencies=[Depends(signed_in)])


        @rooms.route("/rooms/<room>/feed")  # <-
        class Feed(View):
            async def get(self, connection: Connection) -> None: ...
        """,
        "Feed.get: the rule variable <room> has no parameter of that name",
    ),
    "dependencies_held_in_a_variable_are_not_seen": Case(
        """
        async def signed_in(user: str = "") -> None: ...


        checks = [Depends(signed_in)]


        @router.get("/rooms/<room>/feed", dependencies=checks)
        async def feed(connection: Connection) -> None: ...
        """,
        "feed: the rule variable <room> has no parameter of that name",
        runtime_only=True,
    ),
    # A path value is text: a type only an object or a mapping fills makes every request a 422.
    "path_value_a_mapping": Case(
        """
        @router.get("/points/<point>")  # <-
        async def get_point(connection: Connection, point: dict[str, int]) -> None: ...
        """,
        "get_point: parameter 'point' is annotated dict[str, int], " + _NO_TEXT,
    ),
    "path_value_a_typed_dict_or_none": Case(
        """
        from typing_extensions import TypedDict  # pydantic's choice before Python 3.12


        class Point(TypedDict):
            x: int


        @router.get("/points/<point>")  # <-
        async def get_point(connection: Connection, point: Point | None) -> None: ...
        """,
        "get_point: parameter 'point' is annotated Point | None, " + _NO_TEXT,
    ),
    "path_value_a_dataclass_in_a_view": Case(
        """
        import dataclasses


        @dataclasses.dataclass
        class Point:
            x: int


        @router.route("/points/<point>")  # <-
        class PointView(View):
            async def get(self, connection: Connection, point: Point) -> None: ...
        """,
        "PointView.get: parameter 'point' is annotated Point, " + _NO_TEXT,
    ),
    "path_value_a_model_or_a_list": Case(
        """
        @router.get("/items/<path:item>")  # <-
        async def get_item(connection: Connection, item: Item | list[str]) -> None: ...
        """,
        "get_item: parameter 'item' is annotated Item | list[str], " + _NO_TEXT,
    ),
    # Other collections: a Sequence takes a text first and then refuses it ("sequence_str").
    "path_value_a_sequence": Case(
        """
        from collections.abc import Sequence


        @router.get("/items/<items>")  # <-
        async def get_items(connection: Connection, items: Sequence[int]) -> None: ...
        """,
        "get_items: parameter 'items' is annotated Sequence[int], " + _NO_TEXT,
    ),
    "path_value_a_deque": Case(
        """
        from collections import deque


        @router.get("/items/<items>")  # <-
        async def get_items(connection: Connection, items: deque[int] | None) -> None: ...
        """,
        "get_items: parameter 'items' is annotated deque[int] | None, " + _NO_TEXT,
    ),
    "path_value_a_counter": Case(
        """
        from collections import Counter


        @router.get("/words/<words>")  # <-
        async def count(connection: Connection, words: Counter[str]) -> None: ...
        """,
        "count: parameter 'words' is annotated Counter[str], " + _NO_TEXT,
    ),
    "path_value_a_default_dict": Case(
        """
        from collections import defaultdict


        @router.get("/words/<words>")  # <-
        async def count(connection: Connection, words: defaultdict[str, int]) -> None: ...
        """,
        "count: parameter 'words' is annotated defaultdict[str, int], " + _NO_TEXT,
    ),
    "path_value_an_abstract_set": Case(
        """
        from collections.abc import Set


        @router.get("/tags/<tags>")  # <-
        async def tagged(connection: Connection, tags: Set[str]) -> None: ...
        """,
        "tagged: parameter 'tags' is annotated AbstractSet[str], " + _NO_TEXT,
    ),
    "path_values_text_can_fill": Case(
        """
        from pydantic import BeforeValidator, Json, RootModel, model_validator

        Ids = Json[list[int]]


        class Name(RootModel[str]):
            pass


        class Parsed(BaseModel):
            x: int

            @model_validator(mode="before")
            @classmethod
            def split(cls, value: object) -> object:
                return {"x": value}


        def parse(value: object) -> object:
            return {"x": value}


        @router.get("/a/<a>/<b>/<c>/<d>/<e>/<f>/<g>")
        async def fills(
            connection: Connection,
            a: Json[dict[str, int]],
            b: Ids,
            c: Name,
            d: Parsed,
            e: Annotated[dict[str, int], BeforeValidator(parse)],
            f: dict[str, int] | int,
            g: tuple[str, ...] | str,
        ) -> None: ...
        """,
        None,
    ),
    # A provider's own parameters meet the rule as a handler's do, however deep it sits.
    "provider_converter_cannot_produce": Case(
        """
        def item_of(item_id: uuid.UUID) -> Item:
            return Item(name=str(item_id))


        @router.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, item: Item = Depends(item_of)) -> None: ...
        """,
        "item_of: parameter 'item_id' is annotated UUID, but its rule converter gives int",
    ),
    "sub_provider_takes_no_text": Case(
        """
        def inner(point: dict[str, int]) -> int:
            return len(point)


        def outer(value: int = Depends(inner)) -> int:
            return value


        @router.route("/points/<point>")  # <-
        class Points(View):
            async def get(self, connection: Connection, value: int = Depends(outer)) -> None: ...
        """,
        "inner: parameter 'point' is annotated dict[str, int], " + _NO_TEXT,
    ),
    # A query, header, cookie or form value is text too (a list of texts, for a collection).
    "query_value_a_mapping": Case(
        """
        @router.get("/points")  # <-
        async def points(
            connection: Connection, near: Annotated[dict[str, int], Query()]
        ) -> None: ...
        """,
        "points: parameter 'near' is annotated dict[str, int], " + _no_text_from("query"),
    ),
    "header_value_a_list_of_lists": Case(
        """
        from aaf.params import Header


        @router.route("/grid")  # <-
        class Grid(View):
            async def get(
                self, connection: Connection, rows: Annotated[list[list[int]], Header()]
            ) -> None: ...
        """,
        "Grid.get: parameter 'rows' is annotated list[list[int]], " + _no_text_from("header"),
    ),
    "cookie_value_a_dataclass_or_none_described": Case(
        """
        import dataclasses

        from pydantic import Field

        from aaf.params import Cookie


        @dataclasses.dataclass
        class Session:
            user: str


        @router.get("/me")  # <-
        async def me(
            connection: Connection,
            session: Annotated[Session | None, Field(description="who"), Cookie()] = None,
        ) -> None: ...
        """,
        "me: parameter 'session' is annotated Session | None, " + _no_text_from("cookie"),
    ),
    # A cookie is one text (a repeated one gives its first): no list of texts fills it.
    "cookie_value_a_list": Case(
        """
        from aaf.params import Cookie


        @router.get("/prefs")  # <-
        async def prefs(
            connection: Connection, seen: Annotated[list[str] | None, Cookie()] = None
        ) -> None: ...
        """,
        "prefs: parameter 'seen' is annotated list[str] | None, " + _no_text_from("cookie"),
    ),
    "cookie_value_a_fixed_tuple": Case(
        """
        from aaf.params import Cookie


        @router.get("/spot")  # <-
        async def spot(
            connection: Connection, at: Annotated[tuple[int, int], Cookie()]
        ) -> None: ...
        """,
        "spot: parameter 'at' is annotated tuple[int, int], " + _no_text_from("cookie"),
    ),
    "cookie_model_with_a_list_field": Case(
        """
        from pydantic import BaseModel

        from aaf.params import Cookie


        class Prefs(BaseModel):
            theme: str = "light"
            seen: list[str] = []


        @router.get("/prefs")  # <-
        async def prefs(connection: Connection, prefs: Annotated[Prefs, Cookie()]) -> None: ...
        """,
        "prefs: parameter 'prefs' is the model Prefs marked Cookie(), whose field 'seen' is "
        "annotated list[str], which no cookie value can fill: a cookie value is one text. "
        "Json[...] (pydantic) reads JSON text into it; a field_validator(mode='before') can "
        "parse the text its own way",
    ),
    # A model or a list of them: each the same model (pydantic defines it once, referred to
    # twice; registration counted the second reference as text it could take).
    "query_value_a_model_or_a_list_of_them": Case(
        """
        @router.get("/items")  # <-
        async def find(
            connection: Connection, like: Annotated[Item | list[Item], Query()]
        ) -> None: ...
        """,
        "find: parameter 'like' is annotated Item | list[Item], " + _no_text_from("query"),
    ),
    # An uploaded file comes in a multipart form, never in the query, a header or the path.
    # A model marked Query() is filled field by field: each field must be one text fills.
    "query_model_field_no_text_fills": Case(
        """
        class Base(BaseModel):
            page: int = 1
            filters: dict[str, str] = {}


        class Search(Base):
            q: str = ""


        @router.get("/search")  # <-
        async def search(connection: Connection, params: Annotated[Search, Query()]) -> None: ...
        """,
        "search: parameter 'params' is the model Search marked Query(), whose field 'filters' "
        "is annotated dict[str, str], which no query value can fill: a query value is text. "
        "Json[...] (pydantic) reads JSON text into it; a field_validator(mode='before') can "
        "parse the text its own way",
    ),
    # Every request carries Host (and what the client adds): a header model that forbids
    # extra keys refuses them all, unless it reads Host.
    "header_model_forbidding_extra_keys": Case(
        """
        from pydantic import ConfigDict

        from aaf.params import Header


        class Common(BaseModel, extra="forbid"):
            x_trace: str = ""


        class Traced(Common):
            model_config = ConfigDict(str_strip_whitespace=True)
            user_agent: str = ""


        @router.get("/traced")  # <-
        async def traced(connection: Connection, headers: Annotated[Traced, Header()]) -> None: ...
        """,
        "traced: parameter 'headers': the header model Traced forbids extra keys "
        "(extra='forbid'), but every request carries headers it does not read (Host, and what "
        "the client adds): every request would be a 422; leave extra at 'ignore' and check the "
        "headers you refuse in a provider",
    ),
    "header_model_forbidding_extra_keys_reading_host": Case(
        """
        from pydantic import ConfigDict, Field

        from aaf.params import Header


        class Strict(BaseModel):
            model_config = ConfigDict(extra="forbid")
            host: str
            user_agent: str = ""


        class Aliased(BaseModel):
            model_config = dict(extra="forbid")
            server: str = Field(alias="Host")  # the plugin does not read aliases: left alone


        @router.get("/strict")
        async def strict(
            connection: Connection,
            strict: Annotated[Strict, Header()],
            aliased: Annotated[Aliased, Header()],
        ) -> None: ...
        """,
        None,
    ),
    # A header model's config the plugin cannot read from the source (a name, a call of the
    # app's, a constant): it says nothing, and registration refuses the model as it is.
    "header_model_forbidding_through_a_shared_config": Case(
        """
        from typing import Final

        from pydantic import ConfigDict

        from aaf.params import Header

        EXTRA: Final = "forbid"
        SHARED = ConfigDict(extra="forbid")


        def settings() -> ConfigDict:
            return ConfigDict(extra="forbid")


        class Shared(BaseModel):
            model_config = SHARED
            x_trace: str = ""


        @router.get("/traced")
        async def traced(connection: Connection, headers: Annotated[Shared, Header()]) -> None: ...
        """,
        _forbidding("Shared"),
        runtime_only=True,
    ),
    "header_model_forbidding_through_a_function": Case(
        """
        from typing import Final

        from pydantic import ConfigDict

        from aaf.params import Header

        EXTRA: Final = "forbid"
        SHARED = ConfigDict(extra="forbid")


        def settings() -> ConfigDict:
            return ConfigDict(extra="forbid")


        class Made(BaseModel):
            model_config = settings()
            x_trace: str = ""


        @router.get("/traced")
        async def traced(connection: Connection, headers: Annotated[Made, Header()]) -> None: ...
        """,
        _forbidding("Made"),
        runtime_only=True,
    ),
    "header_model_forbidding_through_a_constant": Case(
        """
        from typing import Final

        from pydantic import ConfigDict

        from aaf.params import Header

        EXTRA: Final = "forbid"
        SHARED = ConfigDict(extra="forbid")


        def settings() -> ConfigDict:
            return ConfigDict(extra="forbid")


        class Fixed(BaseModel):
            model_config = ConfigDict(extra=EXTRA)
            x_trace: str = ""


        @router.get("/traced")
        async def traced(connection: Connection, headers: Annotated[Fixed, Header()]) -> None: ...
        """,
        _forbidding("Fixed"),
        runtime_only=True,
    ),
    "header_model_forbidding_through_a_class_keyword_constant": Case(
        """
        from typing import Final

        from pydantic import ConfigDict

        from aaf.params import Header

        EXTRA: Final = "forbid"
        SHARED = ConfigDict(extra="forbid")


        def settings() -> ConfigDict:
            return ConfigDict(extra="forbid")


        class Keyword(BaseModel, extra=EXTRA):
            x_trace: str = ""


        @router.get("/traced")
        async def traced(connection: Connection, headers: Annotated[Keyword, Header()]) -> None: ...
        """,
        _forbidding("Keyword"),
        runtime_only=True,
    ),
    # What reads text its own way, or is no field, is left alone, as registration takes it.
    "query_model_fields_read_their_own_way": Case(
        """
        from typing import ClassVar

        from pydantic import BeforeValidator, ConfigDict, Json, field_validator


        class Validated(BaseModel):
            filters: dict[str, str] = {}

            @field_validator("filters", mode="before")
            @classmethod
            def parse(cls, value: object) -> object:
                return dict(pair.split(":", 1) for pair in str(value).split(","))


        class Metadata(BaseModel):
            filters: Annotated[dict[str, str], BeforeValidator(lambda v: {"k": v})] = {}


        class Parsed(BaseModel):
            filters: Json[dict[str, str]] = {}
            known: ClassVar[dict[str, str]] = {}
            _cache: dict[str, str] = {}
            pair: tuple[int, int] = (0, 0)
            tags: list[str] = []


        class Configured(BaseModel):
            model_config = ConfigDict(extra="ignore")
            size: int = 0


        @router.get("/search")
        async def search(
            connection: Connection,
            validated: Annotated[Validated, Query()],
            metadata: Annotated[Metadata, Query()],
            parsed: Annotated[Parsed, Query()],
            configured: Annotated[Configured, Query()],
        ) -> None: ...
        """,
        None,
    ),
    "query_value_an_upload": Case(
        """
        from aaf.datastructures import UploadFile


        @router.post("/avatar")  # <-
        async def avatar(connection: Connection, image: Annotated[UploadFile, Query()]) -> None: ...
        """,
        "avatar: parameter 'image' is annotated UploadFile, an uploaded file, which no query "
        "value can be: files come in a multipart form; mark it File()",
    ),
    "header_value_uploads": Case(
        """
        from aaf.datastructures import UploadFile
        from aaf.params import Header


        @router.post("/photos")  # <-
        async def photos(
            connection: Connection, images: Annotated[list[UploadFile] | None, Header()] = None
        ) -> None: ...
        """,
        "photos: parameter 'images' is annotated list[UploadFile] | None, an uploaded file, "
        "which no header value can be: files come in a multipart form; mark it File()",
    ),
    "body_value_uploads": Case(
        """
        from aaf.datastructures import UploadFile
        from aaf.params import Body


        @router.post("/photos")  # <-
        async def photos(
            connection: Connection, images: Annotated[list[UploadFile] | None, Body()] = None
        ) -> None: ...
        """,
        "photos: parameter 'images' is annotated list[UploadFile] | None, an uploaded file, "
        "which no JSON body value can be: files come in a multipart form; mark it File()",
    ),
    # Registration refuses the upload before it counts bodies: the same words first.
    "body_value_uploads_after_a_model_body": Case(
        """
        from aaf.datastructures import UploadFile
        from aaf.params import Body


        @router.post("/photos")  # <-
        async def photos(
            connection: Connection, item: Item, images: Annotated[list[UploadFile], Body()]
        ) -> None: ...
        """,
        "photos: parameter 'images' is annotated list[UploadFile], an uploaded file, "
        "which no JSON body value can be: files come in a multipart form; mark it File()",
    ),
    "path_value_an_upload": Case(
        """
        from aaf.datastructures import UploadFile


        @router.post("/files/<name>")  # <-
        async def store(connection: Connection, name: UploadFile) -> None: ...
        """,
        "store: parameter 'name' is annotated UploadFile, an uploaded file, which no path "
        "value can be: files come in a multipart form; mark it File()",
    ),
    "form_value_a_list_of_models": Case(
        """
        from aaf.params import Form


        @router.post("/items")  # <-
        async def add(connection: Connection, items: Annotated[list[Item], Form()]) -> None: ...
        """,
        "add: parameter 'items' is annotated list[Item], " + _no_text_from("form"),
    ),
    "provider_query_value_a_tuple_of_mappings": Case(
        """
        def boxes_of(boxes: Annotated[tuple[dict[str, int], ...], Query()]) -> int:
            return len(boxes)


        @router.get("/boxes")  # <-
        async def boxes(connection: Connection, count: int = Depends(boxes_of)) -> None: ...
        """,
        "boxes_of: parameter 'boxes' is annotated tuple[dict[str, int], ...], "
        + _no_text_from("query"),
    ),
    # A marker's constraints must suit the type (pydantic would compare "abc" >= 1 at the
    # first request), and a model read field by field takes no alias or description.
    "query_constraint_on_text": Case(
        """
        @router.get("/search")  # <-
        async def search(connection: Connection, q: Annotated[str, Query(ge=1)]) -> None: ...
        """,
        "search: parameter 'q': Query(ge=...) cannot constrain str, text; text takes "
        "max_length=, min_length=, pattern=",
    ),
    "header_length_on_a_number_or_none": Case(
        """
        from aaf.params import Header


        @router.get("/items")  # <-
        async def items(
            connection: Connection,
            limit: Annotated[int | None, Header(description="at most", max_length=3)] = None,
        ) -> None: ...
        """,
        "items: parameter 'limit': Header(max_length=...) cannot constrain int, a number; "
        "a number takes allow_inf_nan=, ge=, gt=, le=, lt=, multiple_of=",
    ),
    # Digits are a Decimal's: pydantic counted an int's with a TypeError, a 500 each time.
    "digits_of_an_int": Case(
        """
        @router.get("/items")  # <-
        async def items(connection: Connection, n: Annotated[int, Query(max_digits=3)]) -> None: ...
        """,
        "items: parameter 'n': Query(max_digits=...) cannot constrain int, a number; "
        "a number takes allow_inf_nan=, ge=, gt=, le=, lt=, multiple_of=",
    ),
    # A NewType is its base; so is a Literal's text or numbers (pydantic left them a 500).
    "length_of_a_newtype_of_int": Case(
        """
        @router.get("/users")  # <-
        async def users(
            connection: Connection, user: Annotated[UserId, Query(max_length=3)]
        ) -> None: ...
        """,
        "users: parameter 'user': Query(max_length=...) cannot constrain UserId, a number; "
        "a number takes allow_inf_nan=, ge=, gt=, le=, lt=, multiple_of=",
    ),
    "bound_on_literal_text": Case(
        """
        @router.get("/sorted")  # <-
        async def ordered(
            connection: Connection, order: Annotated[Literal["asc", "desc"], Query(ge=1)]
        ) -> None: ...
        """,
        "ordered: parameter 'order': Query(ge=...) cannot constrain Literal['asc'], text; "
        "text takes max_length=, min_length=, pattern=",
    ),
    "length_of_a_uuid": Case(
        """
        from aaf.params import Header


        @router.get("/things")  # <-
        async def things(
            connection: Connection, key: Annotated[uuid.UUID, Header(max_length=36)]
        ) -> None: ...
        """,
        "things: parameter 'key': Header(max_length=...) cannot constrain UUID, a UUID; "
        "a UUID takes none",
    ),
    # Collections written by what they do, a deque, a path, a complex number: pydantic
    # compared each to the bound at the first request (a 500); both now name the mistake.
    "bound_on_a_sequence": Case(
        """
        from collections.abc import Sequence


        @router.get("/items")  # <-
        async def items(
            connection: Connection, ids: Annotated[Sequence[int], Query(ge=1)]
        ) -> None: ...
        """,
        "items: parameter 'ids': Query(ge=...) cannot constrain Sequence[int], a collection; "
        "a collection takes max_length=, min_length=",
    ),
    "bound_on_a_mapping_body": Case(
        """
        from collections.abc import Mapping

        from aaf.params import Body


        @router.post("/counts")  # <-
        async def counts(
            connection: Connection, n: Annotated[Mapping[str, int], Body(ge=1)]
        ) -> None: ...
        """,
        "counts: parameter 'n': Body(ge=...) cannot constrain Mapping[str, int], a collection; "
        "a collection takes max_length=, min_length=",
    ),
    "bound_on_a_deque": Case(
        """
        import collections


        @router.get("/items")  # <-
        async def items(
            connection: Connection, ids: Annotated[collections.deque[int], Query(gt=0)]
        ) -> None: ...
        """,
        "items: parameter 'ids': Query(gt=...) cannot constrain deque[int], a collection; "
        "a collection takes max_length=, min_length=",
    ),
    "length_of_a_path": Case(
        """
        import pathlib


        @router.get("/files")  # <-
        async def files(
            connection: Connection, where: Annotated[pathlib.Path, Query(max_length=99)]
        ) -> None: ...
        """,
        "files: parameter 'where': Query(max_length=...) cannot constrain Path, a file path; "
        "a file path takes none",
    ),
    "bound_on_a_complex_number": Case(
        """
        @router.get("/roots")  # <-
        async def roots(connection: Connection, z: Annotated[complex, Query(ge=0)]) -> None: ...
        """,
        "roots: parameter 'z': Query(ge=...) cannot constrain complex, a complex number; "
        "a complex number takes none",
    ),
    "pattern_on_secret_text": Case(
        """
        from pydantic import SecretStr

        from aaf.params import Form


        @router.post("/login")  # <-
        async def login(
            connection: Connection,
            password: Annotated[SecretStr, Form(min_length=8, pattern="[0-9]")],
        ) -> None: ...
        """,
        "login: parameter 'password': Form(pattern=...) cannot constrain SecretStr, secret "
        "text; secret text takes max_length=, min_length=",
    ),
    "bound_on_a_secret_value": Case(
        """
        from pydantic import Secret


        @router.get("/pins")  # <-
        async def pins(
            connection: Connection, pin: Annotated[Secret[int], Query(ge=0)]
        ) -> None: ...
        """,
        "pins: parameter 'pin': Query(ge=...) cannot constrain Secret[int], a secret value; "
        "a secret value takes none",
    ),
    "length_of_secret_text": Case(
        """
        from pydantic import SecretStr

        from aaf.params import Form


        @router.post("/login")
        async def login(
            connection: Connection, password: Annotated[SecretStr, Form(min_length=8)]
        ) -> None: ...
        """,
        None,
    ),
    "length_of_a_compiled_pattern": Case(
        """
        import re


        @router.get("/grep")  # <-
        async def grep(
            connection: Connection, expr: Annotated[re.Pattern[str], Query(max_length=99)]
        ) -> None: ...
        """,
        "grep: parameter 'expr': Query(max_length=...) cannot constrain Pattern[str], a "
        "compiled pattern; a compiled pattern takes none",
    ),
    "length_of_a_sequence": Case(
        """
        from collections.abc import Sequence


        @router.get("/items")
        async def items(
            connection: Connection, ids: Annotated[Sequence[int], Query(max_length=3)] = ()
        ) -> None: ...
        """,
        None,
    ),
    "length_of_a_plain_enum_member": Case(
        """
        import enum


        class Shape(enum.Enum):
            ROUND = "round"


        @router.get("/shapes")  # <-
        async def shapes(
            connection: Connection, shape: Annotated[Shape, Query(max_length=5)]
        ) -> None: ...
        """,
        "shapes: parameter 'shape': Query(max_length=...) cannot constrain Shape, an enum member; "
        "an enum member takes none",
    ),
    "length_of_a_date": Case(
        """
        import datetime


        @router.get("/days")  # <-
        async def days(
            connection: Connection, day: Annotated[datetime.date, Query(min_length=8)]
        ) -> None: ...
        """,
        "days: parameter 'day': Query(min_length=...) cannot constrain date, a date or time; "
        "a date or time takes ge=, gt=, le=, lt=",
    ),
    # A query value is text, so Any is given text: a bound compared "7" with 1.
    "bound_on_any_from_the_query": Case(
        """
        @router.get("/anything")  # <-
        async def anything(connection: Connection, v: Annotated[Any, Query(gt=0)]) -> None: ...
        """,
        "anything: parameter 'v': Query(gt=...) cannot constrain Any, text; "
        "text takes max_length=, min_length=, pattern=",
    ),
    # The body gives Any whatever JSON value came: no constraint suits them all.
    "bound_on_any_from_the_body": Case(
        """
        from aaf.params import Body


        @router.post("/anything")  # <-
        async def anything(connection: Connection, v: Annotated[Any, Body(gt=0)]) -> None: ...
        """,
        "anything: parameter 'v': Body(gt=...) cannot constrain Any, any JSON value; "
        "any JSON value takes none",
    ),
    # A form gives Any a file where one was sent: no constraint suits both.
    "length_of_any_from_a_form": Case(
        """
        from aaf.params import Form


        @router.post("/anything")  # <-
        async def anything(
            connection: Connection, v: Annotated[Any, Form(max_length=3)]
        ) -> None: ...
        """,
        "anything: parameter 'v': Form(max_length=...) cannot constrain Any, text or a file; "
        "text or a file takes none",
    ),
    "body_length_on_a_model": Case(
        """
        from aaf.params import Body


        @router.post("/items")  # <-
        async def add(connection: Connection, item: Annotated[Item, Body(max_length=2)]) -> None:
            ...
        """,
        "add: parameter 'item': Body(max_length=...) cannot constrain Item, a model; "
        "constrain the model's fields with Field(...) instead",
    ),
    "path_bound_on_text": Case(
        """
        from aaf.params import Path


        @router.get("/users/<name>")  # <-
        async def user(connection: Connection, name: Annotated[str, Path(ge=-1)]) -> None: ...
        """,
        "user: parameter 'name': Path(ge=...) cannot constrain str, text; text takes "
        "max_length=, min_length=, pattern=",
    ),
    "provider_pattern_on_bytes": Case(
        """
        from aaf.params import Cookie


        def token_of(token: Annotated[bytes, Cookie(pattern="^t")]) -> bytes:
            return token


        @router.get("/me")  # <-
        async def me(connection: Connection, token: bytes = Depends(token_of)) -> None: ...
        """,
        "token_of: parameter 'token': Cookie(pattern=...) cannot constrain bytes, bytes; "
        "bytes takes max_length=, min_length=",
    ),
    "query_model_given_an_alias_and_a_description": Case(
        """
        class Paging(BaseModel):
            page: int = 1


        @router.get("/items")  # <-
        async def items(
            connection: Connection,
            paging: Annotated[Paging, Query(description="Which page", alias="p")],
        ) -> None: ...
        """,
        "items: parameter 'paging': Query(alias=, description=...) applies to no field of "
        "Paging, which is read field by field (each one a parameter of its own in the API "
        "document): give its fields Field(...) instead; Query() on a model takes "
        "include_in_schema= only",
    ),
    # One JSON body a request: two parameters reading it (FastAPI would embed them), a body
    # beside a form, or a body in a WebSocket session are refused; so is a generator handler.
    "two_models_in_the_body": Case(
        """
        class User(BaseModel):
            id: int


        @router.post("/items")  # <-
        async def add(connection: Connection, item: Item, user: User) -> None: ...
        """,
        "add: two body parameters ('item' and 'user') are ambiguous; combine them into one model",
    ),
    "a_model_and_a_list_of_mappings_in_the_body": Case(
        """
        @router.route("/items")  # <-
        class Items(View):
            async def post(
                self,
                connection: Connection,
                q: Literal["a", "b"],
                item: Item | None = None,
                extra: list[dict[str, int]] | None = None,
            ) -> None: ...
        """,
        "Items.post: two body parameters ('item' and 'extra') are ambiguous; combine them into "
        "one model",
    ),
    "a_body_marker_beside_a_model": Case(
        """
        from aaf.params import Body


        @router.post("/items")  # <-
        async def add(
            connection: Connection, count: Annotated[int, Body()], item: Item
        ) -> None: ...
        """,
        "add: two body parameters ('count' and 'item') are ambiguous; combine them into one model",
    ),
    "a_body_beside_a_form_field": Case(
        """
        from aaf.params import Form


        @router.post("/items")  # <-
        async def add(
            connection: Connection, item: Item, note: Annotated[str, Form()]
        ) -> None: ...
        """,
        "add: a JSON body parameter and Form() fields cannot mix",
    ),
    "a_provider_reading_a_body_beside_an_upload": Case(
        """
        from aaf.datastructures import UploadFile


        def stored(item: Item, files: list[UploadFile]) -> int:
            return len(files)


        @router.post("/items")  # <-
        async def add(connection: Connection, count: int = Depends(stored)) -> None: ...
        """,
        "stored: a JSON body parameter and Form() fields cannot mix",
    ),
    "a_websocket_reading_a_model": Case(
        """
        @router.websocket("/chat")  # <-
        async def chat(connection: Connection, settings: Item) -> None: ...
        """,
        "chat: parameter 'settings' reads a request body; WebSocket handlers take path, query, "
        "header and cookie parameters (mark a model Query())",
    ),
    # Its providers' too, at any depth, and one the route runs for its side effects: each
    # closed every session with 1011 (a RuntimeError: no request body).
    "a_websocket_whose_provider_reads_a_model": Case(
        """
        from aaf.params import Form


        def settings_of(settings: Item) -> Item:
            return settings


        def signed(settings: Item = Depends(settings_of)) -> bool:
            return True


        def checked(token: Annotated[str, Form()]) -> None: ...


        @router.websocket("/chat", dependencies=[Depends(checked)])  # <-
        async def chat(connection: Connection, ok: bool = Depends(signed)) -> None: ...
        """,
        "chat: its provider checked reads a request body, which a WebSocket session has none "
        "of; its providers take path, query, header and cookie parameters, as its handler does",
    ),
    "a_generator_handler": Case(
        """
        from collections.abc import AsyncIterator


        @router.get("/feed")  # <-
        async def feed(connection: Connection) -> AsyncIterator[str]:
            yield "a"
        """,
        "feed is a generator: a handler returns its response; to stream, return "
        "StreamingResponse(...) or EventSourceResponse(...) of a generator",
    ),
    "a_generator_view_method": Case(
        """
        @router.route("/feed")  # <-
        class Feed(View):
            def get(self, connection: Connection) -> Iterator[str]:
                yield "a"
        """,
        "Feed.get is a generator: a handler returns its response; to stream, return "
        "StreamingResponse(...) or EventSourceResponse(...) of a generator",
    ),
    # The body read as JSON by one of a route's functions and as a form by another, at any
    # depth of providers, beside the route's and a View's own: each names the first by name.
    "a_form_handler_with_a_provider_reading_json": Case(
        """
        from aaf.params import Form


        def item_of(item: Item) -> str:
            return item.name


        def named(name: str = Depends(item_of)) -> str:
            return name


        @router.post("/items")  # <-
        async def create(
            connection: Connection, note: Annotated[str, Form()], name: str = Depends(named)
        ) -> None: ...
        """,
        "create: a JSON body parameter and Form() fields cannot mix, its providers' included "
        "(item_of reads the body as JSON, create as a form)",
    ),
    "a_json_handler_with_route_and_view_providers_reading_forms": Case(
        """
        from aaf.datastructures import UploadFile
        from aaf.params import Form


        def signed(signature: Annotated[str, Form()]) -> None: ...


        def uploaded(file: UploadFile) -> int:
            return 0


        @router.route("/items", dependencies=[Depends(signed)])  # <-
        class Items(View):
            size: int = Depends(uploaded)

            async def post(self, connection: Connection, item: Item) -> None: ...
        """,
        "Items.post: a JSON body parameter and Form() fields cannot mix, its providers' "
        "included (Items.post reads the body as JSON, signed as a form)",
    ),
    "providers_reading_the_body_one_way": Case(
        """
        from aaf.params import Form


        def item_of(item: Item) -> str:
            return item.name


        def signed(signature: Annotated[str, Form()]) -> str:
            return signature


        @router.post("/items")
        async def create(
            connection: Connection, item: Item, name: str = Depends(item_of)
        ) -> None: ...


        @router.post("/signed")
        async def sign(
            connection: Connection, note: Annotated[str, Form()], s: str = Depends(signed)
        ) -> None: ...
        """,
        None,
    ),
    # The one JSON body read whole by a route's functions as types no JSON value is of both
    # (an object and a number), when one of them requires it: every request would be a 422.
    "a_body_read_as_a_model_and_as_a_number": Case(
        """
        from aaf.params import Body


        def quantity_of(quantity: Annotated[int, Body()]) -> int:
            return quantity


        def doubled(quantity: int = Depends(quantity_of)) -> int:
            return 2 * quantity


        @router.post("/items")  # <-
        async def create(
            connection: Connection, item: Item, n: int = Depends(doubled)
        ) -> None: ...
        """,
        "create: no request body can be read as Item by create (an object) and as int by "
        "quantity_of (a string, number, boolean or null): each reads the whole JSON body, not "
        "a field of it under its name as FastAPI's body parameters do; read one model with a "
        "field for each",
    ),
    "a_view_body_read_as_an_object_and_as_a_list": Case(
        """
        from collections.abc import Mapping

        from aaf.params import Body


        def sizes_of(sizes: Annotated[list[int] | None, Body()]) -> int:
            return len(sizes or ())


        @router.route("/items")  # <-
        class Items(View):
            count: int = Depends(sizes_of)

            async def post(self, connection: Connection, item: Mapping[str, int]) -> None: ...
        """,
        "Items.post: no request body can be read as Mapping[str, int] by Items.post (an "
        "object) and as list[int] | None by sizes_of (an array or a string, number, boolean or "
        "null): each reads the whole JSON body, not a field of it under its name as FastAPI's "
        "body parameters do; read one model with a field for each",
    ),
    "a_body_read_as_a_dataclass_and_as_a_root_models_list": Case(
        """
        import dataclasses

        from pydantic import RootModel

        from aaf.params import Body


        @dataclasses.dataclass
        class Point:
            x: int = 0


        class Rows(RootModel[list[int]]):
            pass


        def rows_of(rows: Annotated[Rows, Body()]) -> int:
            return len(rows.root)


        @router.post("/points")  # <-
        async def create(
            connection: Connection, point: Point, n: int = Depends(rows_of)
        ) -> None: ...
        """,
        "create: no request body can be read as Point by create (an object) and as Rows by "
        "rows_of (an array): each reads the whole JSON body, not a field of it under its name "
        "as FastAPI's body parameters do; read one model with a field for each",
    ),
    "bodies_read_as_types_a_value_suits": Case(
        """
        from pydantic import field_validator, model_validator

        from aaf.params import Body


        class Checked(BaseModel):
            name: str

            @field_validator("name")
            @classmethod
            def stripped(cls, value: str) -> str:
                return value.strip()


        class Loose(BaseModel):
            name: str

            @model_validator(mode="before")
            @classmethod
            def named(cls, value: object) -> object:
                return value if isinstance(value, dict) else {"name": str(value)}


        def raw_of(raw: Annotated[dict[str, object], Body()]) -> int:
            return len(raw)


        def maybe(count: Annotated[int | None, Body()]) -> int:
            return count or 0


        def counted(count: Annotated[int, Body()] = 0) -> int:
            return count


        def loose(count: Annotated[int, Body()]) -> int:
            return count


        @router.post("/shared")
        async def shared(
            connection: Connection, item: Checked, n: int = Depends(raw_of)
        ) -> None: ...


        @router.post("/null")
        async def null(
            connection: Connection, item: Item | None, n: int = Depends(maybe)
        ) -> None: ...


        @router.post("/optional")
        async def optional(
            connection: Connection, item: Item = Item(name="none"), n: int = Depends(counted)
        ) -> None: ...


        @router.post("/loose")
        async def as_loose(
            connection: Connection, item: Loose, n: int = Depends(loose)
        ) -> None: ...
        """,
        None,
    ),
    # A status no response can have, given as a literal to the route or a View method.
    "a_status_below_200": Case(
        """
        @router.post("/items", status_code=100)  # <-
        async def create(connection: Connection) -> None: ...
        """,
        "create: status_code 100 is not a response's status (200 to 599)",
    ),
    "a_status_past_599_by_position": Case(
        """
        @router.route("/items", ["POST"], None, 600)  # <-
        async def create(connection: Connection) -> None: ...
        """,
        "create: status_code 600 is not a response's status (200 to 599)",
    ),
    "a_status_given_to_add_route": Case(
        """
        async def create(connection: Connection) -> None: ...


        router.add_route("/items", create, status_code=0)  # <-
        """,
        "create: status_code 0 is not a response's status (200 to 599)",
    ),
    "a_routes_status_a_view_method_does_not_override": Case(
        """
        @router.route("/items", status_code=99)  # <-
        class Items(View):
            @operation(status_code=201)
            async def post(self, connection: Connection) -> None: ...

            async def get(self, connection: Connection) -> None: ...
        """,
        "Items.get: status_code 99 is not a response's status (200 to 599)",
    ),
    "a_view_methods_own_status": Case(
        """
        @router.route("/items")  # <-
        class Items(View):
            @operation(status_code=0)
            async def post(self, connection: Connection) -> None: ...
        """,
        "Items.post: status_code 0 is not a response's status (200 to 599)",
    ),
    "statuses_that_are_fine_or_not_literals": Case(
        """
        CREATED = 201


        @router.route("/items", status_code=99)
        class Items(View):
            @operation(status_code=201)
            async def post(self, connection: Connection) -> None: ...


        @router.post("/other", status_code=CREATED)
        async def create(connection: Connection) -> None: ...


        @router.route("/more")
        class More(View):
            @operation(status_code=CREATED)
            async def post(self, connection: Connection) -> None: ...
        """,
        None,
    ),
    # FastAPI's docs name a parameter's metadata once, in a type alias (`SessionDep =
    # Annotated[Session, Depends(get_session)]`): mypy expands the alias and drops the
    # metadata; the plugin reads it from the alias's source, as Python expands it.
    "field_constraint_the_type_takes_not": Case(
        """
        from pydantic import Field


        @router.get("/items")  # <-
        async def get_items(
            connection: Connection, ids: Annotated[list[int], Field(ge=1)]
        ) -> None: ...
        """,
        "get_items: parameter 'ids': Field(ge=...) cannot constrain list[int], a collection; a "
        "collection takes max_length=, min_length=",
    ),
    "field_constraint_after_the_markers": Case(
        # A value read from the request: its marker's constraints are checked first.
        """
        from pydantic import Field


        @router.get("/items")  # <-
        async def get_items(
            connection: Connection, q: Annotated[str, Field(gt=0), Query(ge=1)]
        ) -> None: ...
        """,
        "get_items: parameter 'q': Query(ge=...) cannot constrain str, text; text takes "
        "max_length=, min_length=, pattern=",
    ),
    "field_constraint_on_a_rule_variable_first": Case(
        # A rule variable's: the Field's first, after the converter.
        """
        from pydantic import Field

        from aaf.params import Path


        @router.get("/items/<item_id>")  # <-
        async def get_item(
            connection: Connection, item_id: Annotated[str, Path(ge=1), Field(gt=0)]
        ) -> None: ...
        """,
        "get_item: parameter 'item_id': Field(gt=...) cannot constrain str, text; text takes "
        "max_length=, min_length=, pattern=",
    ),
    "field_alone_hides_no_text_reading": Case(
        """
        from pydantic import Field


        @router.get("/items/<item>")  # <-
        async def get_item(
            connection: Connection, item: Annotated[Item, Field(title="x")]
        ) -> None: ...
        """,
        "get_item: parameter 'item' is annotated Item, which no path value can fill: a path "
        "value is text. Json[...] (pydantic) reads JSON text into it; a provider (Depends) can "
        "build it",
    ),
    "rest_takes_the_variables_as_its_annotation_says": Case(
        # `**rest` is given the rule variables no parameter names (Flask's way), each a path
        # value its annotation must take.
        """
        @router.get("/items/<name>/<int:item_id>")
        async def get_item(connection: Connection, name: str, **rest: int) -> None: ...


        @router.get("/users/<int:user_id>")  # <-
        async def get_user(connection: Connection, **rest: str) -> None: ...
        """,
        "get_user: parameter 'user_id' is annotated str, but its rule converter gives int",
    ),
    "alias_marker_on_a_rule_variable": Case(
        """
        from aaf.params import Header

        Token = Annotated[str, Header()]


        @router.get("/items/<item_id>")  # <-
        async def get_item(connection: Connection, item_id: Token) -> None: ...
        """,
        "get_item: parameter 'item_id' is the rule variable <item_id>, which comes from the "
        "path: mark it Path(), not Header()",
    ),
    "alias_path_marker_without_its_variable": Case(
        """
        from typing import TypeAlias

        from aaf.params import Path

        ItemId: TypeAlias = Annotated[int, Path(gt=0)]
        Named = ItemId


        @router.get("/items")  # <-
        async def get_item(connection: Connection, item_id: Named) -> None: ...
        """,
        "get_item: parameter 'item_id' is marked Path(), but the rule has no <item_id>",
    ),
    "alias_flattened_into_annotated": Case(
        """
        ItemDep = Annotated[int, Depends(item_id_of)]


        @router.get("/items/<int:item_id>")  # <-
        async def get_item(
            connection: Connection, item: Annotated[ItemDep, Depends(item_id_of)]
        ) -> None: ...
        """,
        "get_item: parameter 'item' is marked Depends() and Depends(): give it one, which says "
        "where its value comes from",
    ),
    "alias_made_by_type_alias_type": Case(
        # typing_extensions' TypeAliasType, the `type` statement's before Python 3.12.
        """
        from typing_extensions import TypeAliasType

        from aaf.params import Header

        Token = TypeAliasType("Token", value=Annotated[str, Header()])
        ItemDep = TypeAliasType("ItemDep", Annotated[int, Depends(item_id_of)])


        @router.get("/items/<int:item_id>")
        async def get_item(connection: Connection, item: ItemDep, token: Token) -> None: ...


        @router.get("/users/<token>")  # <-
        async def get_user(connection: Connection, token: Token) -> None: ...
        """,
        "get_user: parameter 'token' is the rule variable <token>, which comes from the "
        "path: mark it Path(), not Header()",
    ),
    "alias_type_checked_as_written_out": Case(
        """
        from aaf.params import Cookie

        Ids = Annotated[list[int], Cookie()]


        @router.get("/items")  # <-
        async def get_items(connection: Connection, ids: Ids) -> None: ...
        """,
        "get_items: parameter 'ids' is annotated list[int], which no cookie value can fill: a "
        "cookie value is one text. A pydantic model marked Cookie() (not in a union or a list) "
        "reads several cookie values as its fields; Json[...] (pydantic) reads JSON text into "
        "it; a provider (Depends) can build it",
    ),
    "alias_in_a_class_left_to_registration": Case(
        # An alias that is a class's attribute is not read (the plugin reads a module's
        # top-level names): registration refuses the marker on the rule variable.
        """
        from aaf.params import Header


        class Kinds:
            Token = Annotated[str, Header()]


        @router.get("/users/<token>")  # <-
        async def get_user(connection: Connection, token: Kinds.Token) -> None: ...
        """,
        "get_user: parameter 'token' is the rule variable <token>, which comes from the "
        "path: mark it Path(), not Header()",
        runtime_only=True,
    ),
    "alias_provider_of_another_type": Case(
        """
        NameDep = Annotated[str, Depends(item_id_of)]


        @router.get("/items/<int:item_id>")  # <-
        async def get_item(connection: Connection, name: NameDep) -> None: ...
        """,
        "get_item: parameter 'name' is annotated str, but Depends(item_id_of) gives int",
        plugin_only=True,
    ),
    "aliases_used_as_registration_reads_them": Case(
        """
        from aaf.params import Path

        ItemDep = Annotated[int, Depends(item_id_of)]
        ItemId = Annotated[int, Path(gt=0)]
        Ids = list[int]
        Limit = Annotated[int, Query(le=100)]


        @router.get("/items/<int:item_id>")
        async def get_item(
            connection: Connection, item_id: ItemId, item: ItemDep, ids: Ids, limit: Limit = 10
        ) -> None: ...


        @router.route("/things/<int:item_id>")
        class Things(View):
            item: ItemDep

            async def get(self, connection: Connection) -> None: ...
        """,
        None,
    ),
    "one_body_beside_other_sources": Case(
        """
        from aaf.datastructures import UploadFile
        from aaf.params import Body, Form, Header

        QueryItem = Annotated[Item, Query()]


        class Paging(BaseModel):
            page: int = 1


        def body_count(item: Item) -> int:
            return 1


        @router.post("/items/<int:item_id>")
        async def add(
            connection: Connection,
            item_id: int,
            item: Item,
            q: str,
            tags: list[str],
            ids: Annotated[list[int], Query()],
            paging: Annotated[Paging, Query()],
            token: Annotated[str, Header()],
            found: QueryItem,
            count: int = Depends(body_count),
        ) -> None: ...


        @router.post("/forms")
        async def form(
            connection: Connection,
            name: Annotated[str, Form()],
            file: UploadFile,
            files: list[UploadFile],
            paging: Annotated[Paging, Form()],
        ) -> None: ...


        @router.post("/one")
        async def one(connection: Connection, value: Annotated[int, Body(ge=1)] = 1) -> None: ...


        @router.websocket("/chat/<room>")
        async def chat(
            connection: Connection, room: str, paging: Annotated[Paging, Query()], q: str = ""
        ) -> None: ...
        """,
        None,
    ),
    "query_bound_on_a_pair": Case(
        """
        @router.get("/spans")  # <-
        async def spans(
            connection: Connection, span: Annotated[tuple[int, int], Query(ge=1)]
        ) -> None: ...
        """,
        "spans: parameter 'span': Query(ge=...) cannot constrain tuple[int, int], a collection; "
        "a collection takes max_length=, min_length=",
    ),
    "body_length_on_a_typed_dict": Case(
        """
        from typing_extensions import TypedDict

        from aaf.params import Body


        class Point(TypedDict):
            x: int


        @router.post("/points")  # <-
        async def add(
            connection: Connection,
            point: Annotated[Point, Body(json_schema_extra={"x": 1}, max_length=1)],
        ) -> None: ...
        """,
        "add: parameter 'point': Body(max_length=...) cannot constrain Point, a model; "
        "constrain the model's fields with Field(...) instead",
    ),
    "sources_mypy_sees_as_registration_does": Case(
        """
        from typing import NamedTuple, Optional, Union

        from pydantic import Field


        class Span(NamedTuple):
            start: int
            stop: int


        @router.post("/items")
        async def add(
            connection: Connection,
            item: Optional[Item],
            n: Annotated[int, Field(gt=0)],
            span: Union[Span, None] = None,
            names: "list[str] | None" = None,
        ) -> None: ...
        """,
        None,
    ),
    "providers_in_a_cycle": Case(
        """
        def first(value: Annotated[int, Depends(second)]) -> int:
            return value


        def second(value: Annotated[int, Depends(first)]) -> int:
            return value


        @router.get("/loop")  # <-
        async def loop(connection: Connection, value: Annotated[int, Depends(first)]) -> None: ...
        """,
        "Dependency cycle: first -> second -> first; a provider cannot depend on itself",
    ),
    "a_class_provider_depending_on_itself": Case(
        """
        class Again:
            def __init__(self, again: Annotated[Again, Depends()]) -> None:
                self.again = again


        @router.get("/again")  # <-
        async def again(connection: Connection, value: Annotated[Again, Depends()]) -> None: ...
        """,
        "Dependency cycle: Again -> Again; a provider cannot depend on itself",
    ),
    # What the plugin cannot see, it leaves to registration: a type alias or a name in the
    # metadata (which may hold a marker), a marker's keyword given by a name.
    "bodies_behind_what_the_plugin_cannot_see": Case(
        """
        from pydantic import Field

        Ids = list[int]
        POSITIVE = Field(gt=0)


        class User(BaseModel):
            id: int


        @router.post("/a")  # <-
        async def a(
            connection: Connection,
            ids: Ids,
            n: Annotated[int, POSITIVE],
            item: Item,
            user: User,
        ) -> None: ...
        """,
        "a: two body parameters ('item' and 'user') are ambiguous; combine them into one model",
        runtime_only=True,
    ),
    "a_marker_inside_a_union_hides_the_source": Case(
        """
        @router.post("/b")  # <-
        async def b(
            connection: Connection, item: Item, other: Annotated[Item, Query()] | None = None
        ) -> None: ...
        """,
        "b: two body parameters ('item' and 'other') are ambiguous; combine them into one model",
        runtime_only=True,
    ),
    "a_query_model_described_by_a_name": Case(
        """
        DESCRIPTION = "Which page"


        class Paging(BaseModel):
            page: int = 1


        @router.get("/items")  # <-
        async def items(
            connection: Connection, paging: Annotated[Paging, Query(description=DESCRIPTION)]
        ) -> None: ...
        """,
        "items: parameter 'paging': Query(description=...) applies to no field of Paging, "
        "which is read field by field (each one a parameter of its own in the API document): "
        "give its fields Field(...) instead; Query() on a model takes include_in_schema= only",
        runtime_only=True,
    ),
    "marker_keywords_that_suit": Case(
        """
        import datetime
        import enum
        from decimal import Decimal

        from aaf.params import Body, Header, Path

        MOST = 100


        class Color(enum.IntEnum):
            RED = 1


        class Paging(BaseModel):
            page: int = 1


        @router.get("/a/<int:n>")
        async def suits(
            connection: Connection,
            n: Annotated[int, Path(ge=-1, description="n")],
            q: Annotated[str, Query(max_length=5, pattern="^a", examples=["ab"])],
            limit: Annotated[int, Query(ge=1, le=MOST)],
            ids: Annotated[list[int], Query(max_length=3)],
            paging: Annotated[Paging, Query(include_in_schema=False, alias="", description=None)],
            user: Annotated[UserId, Query(ge=1)],
            color: Annotated[Color, Query(ge=1)],
            price: Annotated[Decimal, Header(max_digits=3, decimal_places=1)],
            tags: Annotated[str | list[str], Query(max_length=2)],
            level: Annotated[Literal[1, 2], Query(le=2)],
            since: Annotated[datetime.datetime, Query(ge=0)],
            body: Annotated[list[Any], Body(max_length=3)],
        ) -> None: ...
        """,
        None,
    ),
    "marked_values_text_can_fill": Case(
        """
        from collections.abc import Sequence

        from pydantic import BeforeValidator, Field, Json

        from aaf.datastructures import UploadFile
        from aaf.params import Cookie, File, Form, Header


        def parse(value: object) -> object:
            return {"x": value}


        class Paging(BaseModel):
            page: int = 1


        @router.post("/a")
        async def fills(
            connection: Connection,
            paging: Annotated[Paging, Query()],
            ids: Annotated[list[int], Query()],
            tags: Annotated[Sequence[str] | None, Query()],
            pair: Annotated[tuple[int, str], Query()],
            either: Annotated[int | list[int], Query(), Field(description="one or more")],
            parsed: Annotated[dict[str, int], BeforeValidator(parse), Query()],
            json: Annotated[Json[dict[str, int]], Header()],
            flags: Annotated[tuple[bool, ...], Header()],
            seen: Annotated[int | list[int], Cookie()],
            form: Annotated[Item, Form()],
            upload: Annotated[UploadFile, Form()],
            uploads: Annotated[list[UploadFile], File()],
        ) -> None: ...
        """,
        None,
    ),
    "class_provider_converter_cannot_produce": Case(
        """
        class Page:
            def __init__(self, page: uuid.UUID, size: int = 10) -> None:
                self.page, self.size = page, size


        @router.get("/pages/<int:page>")  # <-
        async def pages(connection: Connection, page: Page = Depends(Page)) -> None: ...
        """,
        "Page: parameter 'page' is annotated UUID, but its rule converter gives int",
    ),
    "providers_that_fit_their_rule": Case(
        """
        class Page:
            def __init__(self, page: int, size: int = 10) -> None:
                self.page, self.size = page, size


        def by_path(path: str, page: Page = Depends(Page)) -> str:
            return path


        @router.get("/pages/<int:page>/<path:path>")
        async def pages(connection: Connection, path: str = Depends(by_path)) -> None: ...
        """,
        None,
    ),
    "side_and_attribute_providers_meet_the_rule_too": Case(
        """
        def owner_of(item_id: uuid.UUID) -> None: ...


        def fits(item_id: int) -> int:
            return item_id


        @router.route("/items/<int:item_id>", dependencies=[Depends(fits), Depends(owner_of)])  # <-
        class Things(View):
            value: int = Depends(fits)

            async def get(self, connection: Connection) -> None: ...
        """,
        "owner_of: parameter 'item_id' is annotated UUID, but its rule converter gives int",
    ),
    "a_view_attributes_provider_meets_the_rule": Case(
        """
        class Point:
            def __init__(self, point: list[str]) -> None:
                self.point = point


        @router.route("/points/<point>")  # <-
        class Points(View):
            where: Point = Depends(Point)

            async def get(self, connection: Connection) -> None: ...
        """,
        "Point: parameter 'point' is annotated list[str], " + _NO_TEXT,
    ),
}


class Reported(NamedTuple):
    line: int
    message: str


def run_mypy(
    directory: Path, files: list[Path], *extra: str, env: dict[str, str] | None = None
) -> str:
    """mypy in a fresh process, from ``directory`` with the plugin's config (exit 0 or 1)."""
    result = subprocess.run(
        [PYTHON, "-m", "mypy", "--config-file", "mypy.ini", *extra, *map(str, files)],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.stdout


def aaf_route_errors(stdout: str, file: Path) -> list[Reported]:
    found: list[Reported] = []
    pattern = re.compile(rf"(?:.*/)?{re.escape(file.name)}:(\d+): error: (.*)  \[aaf-route\]$")
    for line in stdout.splitlines():
        match = pattern.match(line)
        if match:
            found.append(Reported(int(match[1]), match[2]))
    return found


def marked_line(source: str) -> int:
    for number, line in enumerate(source.splitlines(), 1):
        if "# <-" in line:
            return number
    raise AssertionError("the case marks no line")


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("plugin")
    (directory / "mypy.ini").write_text(CONFIG)
    for name, case in CASES.items():
        (directory / f"case_{name}.py").write_text(PRELUDE + textwrap.dedent(case.source))
    files = [directory / f"case_{name}.py" for name in CASES]
    config = ["--config-file", str(directory / "mypy.ini")]
    cache = ["--cache-dir", str(directory / ".mypy_cache")]  # a cold cache: every hook runs
    return directory, mypy_in_process([*config, *cache, *map(str, files)])[0]


def registration_error(path: Path) -> str | None:
    """Import the module for real; the message registration refuses it with, if it does."""
    try:
        import_file(path, path.stem, keep=False)
    except (ConfigurationError, TypeError) as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_plugin_reports_what_registration_refuses(checked: tuple[Path, str], name: str) -> None:
    directory, stdout = checked
    case = CASES[name]
    path = directory / f"case_{name}.py"
    reported = aaf_route_errors(stdout, path)
    if case.error is None or case.runtime_only:
        assert reported == [], stdout
    else:
        line = marked_line(PRELUDE + textwrap.dedent(case.source))
        assert reported == [Reported(line, case.error)], stdout
    # The same rules at registration: the same verdict, in the same words.
    assert registration_error(path) == (None if case.plugin_only else case.error)


def test_only_the_cases_meant_to_fail_fail(checked: tuple[Path, str]) -> None:
    _, stdout = checked
    failing = {line.split(":")[0] for line in stdout.splitlines() if ": error:" in line}
    expected = {
        f"case_{name}.py"
        for name, case in CASES.items()
        if case.error is not None and not case.runtime_only
    }
    assert {Path(f).name for f in failing} == expected, stdout


TWO_MODULES = {
    "handlers.py": """\
        from aaf.connection import Connection


        async def get_item(connection: Connection, itemid: int) -> None: ...


        async def user_name(token: str = "") -> str:
            return token
        """,
    "routes.py": """\
        from typing import Annotated

        from aaf.connection import Connection
        from aaf.params import Depends
        from aaf.routing import Router

        from handlers import get_item, user_name

        router = Router()
        router.add_route("/items/<int:item_id>", get_item)


        @router.get("/users/<int:user_id>")
        async def get_user(connection: Connection, userid: int) -> None: ...


        @router.get("/me")
        async def me(connection: Connection, user: Annotated[int, Depends(user_name)]) -> int:
            return user
        """,
}
EXPECTED_TWO = [
    "routes.py:10: error: get_item: the rule variable <item_id> has no parameter of that name"
    "  [aaf-route]",
    "routes.py:13: error: get_user: the rule variable <user_id> has no parameter of that name"
    "  [aaf-route]",
    # Annotated metadata, read from the source; the provider's type from the other module.
    "routes.py:17: error: me: parameter 'user' is annotated int, but Depends(user_name) gives"
    " str  [aaf-route]",
]


def write_two(directory: Path) -> list[Path]:
    (directory / "mypy.ini").write_text(CONFIG)
    for name, source in TWO_MODULES.items():
        (directory / name).write_text(textwrap.dedent(source))
    return [directory / "routes.py", directory / "handlers.py"]


def errors_of(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if ": error:" in line]


def mypy_here(directory: Path, files: list[Path]) -> str:
    """mypy in this process (so that the plugin's coverage is measured), with the plugin's
    config and a cache in ``directory``: a second call reads unchanged modules from it."""
    config = ["--config-file", str(directory / "mypy.ini")]
    cache = ["--cache-dir", str(directory / ".mypy_cache")]
    stdout, stderr, status = mypy_in_process([*config, *cache, *map(str, files)])
    assert status in (0, 1), stdout + stderr
    return stdout


def full_then_cached(
    directory: Path, files: list[Path], edited: Path, source: str
) -> Iterator[str]:
    """mypy's output (in this process) on a full run, then on the next one, with ``edited``
    (written as ``source``) changed so that the other modules come from mypy's cache."""
    for edit in ("", "\n# edited: the other modules come from mypy's cache\n"):
        edited.write_text(source + edit)
        yield mypy_here(directory, files)


def test_incremental_runs_report_the_same_and_follow_edits(tmp_path: Path) -> None:
    files = write_two(tmp_path)
    first = run_mypy(tmp_path, files)
    assert errors_of(first) == EXPECTED_TWO
    # The second run reads both modules from mypy's cache.
    assert errors_of(run_mypy(tmp_path, files)) == EXPECTED_TWO
    # Fixing the handler in its own module clears the error reported in the other.
    handlers = tmp_path / "handlers.py"
    handlers.write_text(handlers.read_text().replace("itemid", "item_id"))
    assert errors_of(run_mypy(tmp_path, files)) == EXPECTED_TWO[1:]
    assert errors_of(run_mypy(tmp_path, files)) == EXPECTED_TWO[1:]


def test_a_provider_read_from_the_cache_is_no_crash(tmp_path: Path) -> None:
    # A provider in a module mypy read from its cache has no arguments to read (the attribute
    # is not even set): the plugin crashed mypy ("INTERNAL ERROR") on the next run after an
    # edit of the routes. It reads such a provider from its module's source: the next run
    # reports what the first did.
    (tmp_path / "mypy.ini").write_text(CONFIG)
    (tmp_path / "providers.py").write_text(
        textwrap.dedent(
            """\
            async def get_user(token: str = "") -> str:
                return token
            """
        )
    )
    routes = tmp_path / "routes.py"
    routes.write_text(
        textwrap.dedent(
            """\
            from aaf.connection import Connection
            from aaf.params import Depends
            from aaf.routing import Router

            from providers import get_user

            router = Router()


            @router.get("/items/<int:item_id>")
            async def get_item(connection: Connection, user: str = Depends(get_user)) -> str:
                return user
            """
        )
    )
    files = [routes, tmp_path / "providers.py"]
    expected = (
        "routes.py:10: error: get_item: the rule variable <item_id> has no parameter of that"
        " name  [aaf-route]"
    )
    assert errors_of(run_mypy(tmp_path, files)) == [expected]
    routes.write_text(routes.read_text() + "\n")  # re-checked, its provider from the cache
    again = run_mypy(tmp_path, files)
    assert "INTERNAL ERROR" not in again and errors_of(again) == [expected], again


def test_the_daemon_reports_the_same_and_follows_edits(tmp_path: Path) -> None:
    files = write_two(tmp_path)
    status = tmp_path / "dmypy.json"
    dmypy = [PYTHON, "-m", "mypy.dmypy", "--status-file", str(status)]

    def run() -> list[str]:
        result = subprocess.run(
            [
                *dmypy,
                "run",
                "--timeout",
                "120",
                "--",
                "--config-file",
                "mypy.ini",
                *map(str, files),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode in (0, 1), result.stdout + result.stderr
        return errors_of(result.stdout)

    try:
        assert run() == EXPECTED_TWO
        assert run() == EXPECTED_TWO
        routes = tmp_path / "routes.py"
        routes.write_text(routes.read_text().replace("userid", "user_id"))
        assert run() == [EXPECTED_TWO[0], EXPECTED_TWO[2]]
        # The provider changed in its own module: the handler's metadata is read again.
        handlers = tmp_path / "handlers.py"
        handlers.write_text(
            handlers.read_text().replace("-> str", "-> int").replace("return token", "return 1")
        )
        assert run() == EXPECTED_TWO[:1]
    finally:
        subprocess.run([*dmypy, "stop"], cwd=tmp_path, capture_output=True, timeout=60, check=False)


OLDEST = "1.20.2"


def test_the_oldest_supported_mypy_reports_the_same(tmp_path: Path) -> None:
    # mypy alone, on top of this environment (aaf, pydantic and mypy's own dependencies).
    target = ROOT / "var" / f"mypy-{OLDEST}"
    if not (target / "mypy").is_dir():
        subprocess.run(
            [PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
            + [f"mypy=={OLDEST}"],
            check=True,
            timeout=300,
        )
    env = {**os.environ, "PYTHONPATH": str(target)}
    version = subprocess.run(
        [PYTHON, "-m", "mypy", "--version"], env=env, capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith(f"mypy {OLDEST}")
    files = write_two(tmp_path)
    assert errors_of(run_mypy(tmp_path, files, env=env)) == EXPECTED_TWO
    # url_for's signature hook too (the checker's get_expression_type, a ParamSpec's parts).
    program = tmp_path / "links.py"
    program.write_text(URL_FOR_PROGRAM)
    reported = errors_of(run_mypy(tmp_path, [program], env=env))
    assert {int(line.split(":")[1]) for line in reported} == URL_FOR_ERRORS, reported
    # And the providers of the routes' and routers' `dependencies=`.
    (tmp_path / "routes.py").write_text(SIDE_ROUTES)
    (tmp_path / "links.py").write_text(SIDE_LINKS)
    reported = errors_of(
        run_mypy(tmp_path, [tmp_path / "routes.py", tmp_path / "links.py"], env=env)
    )
    assert [int(line.split(":")[1]) for line in reported] == SIDE_ERRORS, reported
    # And the calls in Annotated metadata, checked by the checker's own expression checker.
    (tmp_path / "wrong.py").write_text(METADATA_CALLS_WRONG)
    (tmp_path / "right.py").write_text(METADATA_CALLS_RIGHT)
    reported = errors_of(
        run_mypy(tmp_path, [tmp_path / "wrong.py", tmp_path / "right.py"], env=env)
    )
    assert sorted({int(line.split(":")[1]) for line in reported}) == METADATA_CALLS_LINES
    # And each exception handler against its key, each middleware (a constructor's hooks).
    (tmp_path / "handlers.py").write_text(HANDLERS_PROGRAM)
    (tmp_path / "middleware.py").write_text(MIDDLEWARE_PROGRAM)
    apps = [tmp_path / "handlers.py", tmp_path / "middleware.py"]
    reported = errors_of(run_mypy(tmp_path, apps, env=env))
    assert reported == errors_of(run_mypy(tmp_path, apps))  # the newest mypy's, word for word
    assert [int(line.split(":")[1]) for line in reported] == [
        *HANDLERS_LINES,
        MIDDLEWARE_PROGRAM.splitlines().index("        5,  # <- list-item") + 1,
    ], reported


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ("1.20.0", True),
        ("2.4.1", True),
        ("2.4.1+dev.abc", True),
        ("1.19.1", False),
        ("2.5.0", False),
    ],
)
def test_unsupported_mypy_releases_are_refused_plainly(version: str, supported: bool) -> None:
    if supported:
        assert plugin(version) is AafPlugin
    else:
        with pytest.raises(RuntimeError, match=rf"supports mypy 1\.20 to 2\.4, not {version}"):
            plugin(version)


URL_FOR_PROGRAM = """\
from typing import Annotated

from pydantic import BaseModel

from aaf import App, Depends, Header, Query
from aaf.connection import Connection
from aaf.routing import Router
from aaf.views import View

router = Router()


class Item(BaseModel):
    name: str


def get_db() -> str:
    return "db"


@router.get("/items/<int:item_id>")
async def item(
    connection: Connection,
    item_id: int,
    db: Annotated[str, Depends(get_db)],
    token: Annotated[str, Header()],
    q: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> str:
    return db


@router.post("/items")
async def create(connection: Connection, item: Item, tag: str) -> str:
    return tag


@router.get("/plain/<int:n>")
async def plain(connection: Connection, n: int, q: str = "") -> int:
    return n


@router.route("/view/<int:item_id>")
class ItemView(View):
    async def get(
        self, connection: Connection, item_id: int, x_key: Annotated[str, Header()]
    ) -> int:
        return item_id


def paging(page: int = 1, size: int = 20) -> tuple[int, int]:
    return page, size


def shop_of(shop_id: int, paged: Annotated[tuple[int, int], Depends(paging)]) -> str:
    return f"shop {shop_id}"


# The rule variable is read by a provider only (the "object or 404" provider).
@router.get("/shops/<int:shop_id>/items")
async def shop_items(connection: Connection, shop: str = Depends(shop_of), q: str = "") -> str:
    return shop


def item_or_404(item_id: int) -> str:
    return f"item {item_id}"


@router.route("/things/<int:item_id>")
class ThingView(View):
    thing: str = Depends(item_or_404)  # the View's attribute alone reads the rule variable
    paged: Annotated[tuple[int, int], Depends(paging)]

    async def get(self, connection: Connection) -> str:
        return self.thing


app = App([router])
built = [
    app.url_for(item, item_id=3),
    app.url_for(item, item_id=3, q="a", page=2),
    router.url_for(create, tag="t"),
    app.url_for(plain, n=1),
    app.url_for(ItemView.get, item_id=1),
    app.url_for("item", item_id=3),
    app.url_for(shop_items, shop_id=7, page=2, q="lamp"),
    app.url_for(ThingView.get, item_id=8, size=5),
]
app.url_for(item, itemid=3)  # E
app.url_for(item, item_id="3")  # E
app.url_for(item)  # E
app.url_for(item, item_id=3, token="x")  # E
app.url_for(plain, n="x")  # E
app.url_for(ItemView.get, item_id="1")  # E
app.url_for(create)  # E
app.url_for(shop_items, shop_id="7")  # E
app.url_for(shop_items, shop_id=7, pages=2)  # E
app.url_for(shop_items, shop_id=7, shop="s")  # E
app.url_for(ThingView.get, item_id=8, thing="t")  # E
app.url_for(shop_items, page=2)  # E
app.url_for(ThingView.get, size=5)  # E
"""


URL_FOR_ERRORS = {
    number for number, line in enumerate(URL_FOR_PROGRAM.splitlines(), 1) if line.endswith("# E")
}


def test_url_for_by_handler_asks_only_for_what_a_url_carries(tmp_path: Path) -> None:
    # The ParamSpec overloads asked for every parameter, a required header, body or provider
    # too, which url_for refuses (NotInUrl): such a handler could be named only by its route
    # name. The plugin types the call by the path and query parameters, the others left out.
    (tmp_path / "mypy.ini").write_text(CONFIG)
    program = tmp_path / "links.py"
    program.write_text(URL_FOR_PROGRAM)
    # In this process, so that the coverage of the hook is measured (the oldest mypy's run
    # below is a process of its own).
    config = ["--config-file", str(tmp_path / "mypy.ini")]
    cache = ["--cache-dir", str(tmp_path / ".mypy_cache")]
    reported = errors_of(mypy_in_process([*config, *cache, str(program)])[0])
    assert {int(line.split(":")[1]) for line in reported} == URL_FOR_ERRORS, reported
    assert all("[call-overload]" in line for line in reported), reported
    # Run, each builds its path; the lines the plugin refuses are the ones that fail.
    namespace: dict[str, object] = {}
    # As the file runs: without this module's `from __future__ import annotations`.
    source = URL_FOR_PROGRAM.split("app.url_for(item, itemid")[0]
    exec(compile(source, "links", "exec", dont_inherit=True), namespace)
    assert namespace["built"] == [
        "/items/3",
        "/items/3?q=a&page=2",
        "/items?tag=t",
        "/plain/1",
        "/view/1",
        "/items/3",
        "/shops/7/items?page=2&q=lamp",
        "/things/8?size=5",
    ]


def test_a_change_of_the_rules_alone_is_checked_again(tmp_path: Path) -> None:
    # mypy's snapshot of a plugin hashes the plugin's own module: an aaf whose rules changed
    # (a new release, aaf._rules alone edited) gave the results cached under the old rules.
    # The plugin reports a digest of the modules its rules live in, so mypy checks again.
    library = tmp_path / "lib"
    shutil.copytree(
        Path(aaf.__file__).parent,
        library / "aaf",
        ignore=shutil.ignore_patterns("__pycache__", "static"),
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "mypy.ini").write_text(CONFIG)
    routes = project / "routes.py"
    routes.write_text(
        textwrap.dedent(
            """\
            from aaf.connection import Connection
            from aaf.routing import Router

            router = Router()


            @router.get("/items/<int:item_id>")
            async def get_item(connection: Connection) -> str:
                return ""
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(library)}
    said = "has no parameter of that name"
    first = errors_of(run_mypy(project, [routes], env=env))
    assert len(first) == 1 and said in first[0], first
    rules = library / "aaf" / "_rules.py"
    assert said in rules.read_text()
    rules.write_text(rules.read_text().replace(said, "names no parameter (reworded)"))
    again = errors_of(run_mypy(project, [routes], env=env))
    assert len(again) == 1 and "names no parameter (reworded)" in again[0], again


SIDE_ROUTES = """\
from typing import Annotated

from aaf import Depends, Header, Query
from aaf.connection import Connection
from aaf.routing import Router
from aaf.views import View


def region(area: str = "eu") -> str:
    return area


def signed(api_key: str) -> None:
    return None


def paging(page: int = 1) -> int:
    return page


router = Router(dependencies=[Depends(region)])
loose = Router()
CHECKS = [Depends(signed)]


@router.get("/reports/<int:year>", dependencies=[Depends(signed)])
async def report(connection: Connection, year: int) -> int:
    return year


@router.route("/books/<int:book_id>", None, None, 200, None, [Depends(paging)])
class BookView(View):
    async def get(self, connection: Connection, book_id: int) -> int:
        return book_id


@loose.get("/held/<int:n>", dependencies=CHECKS)
async def held(connection: Connection, n: int) -> int:
    return n


def get_db() -> str:
    return "db"


def tenant_of(tenant_id: int) -> int:
    return tenant_id


tenants = Router("/t/<int:tenant_id>")
PREFIX = "/d"
dynamic = Router(PREFIX)  # a prefix the plugin cannot read: its variables are not known


def year_of(year: int) -> int:
    return year


@loose.get("/archive/<int:year>")
@loose.get("/old/<int:year>/all")  # two routes, both with <year>
async def archive(connection: Connection, year_value: int = Depends(year_of)) -> int:
    return year_value


@dynamic.get("/items/<int:year>")
async def dynamic_items(connection: Connection, year_value: int = Depends(year_of)) -> int:
    return year_value


@tenants.get("/stock")  # the prefix's variable, read by a provider
async def stock(connection: Connection, tenant: int = Depends(tenant_of)) -> int:
    return tenant


@loose.get("/notes/<int:note_id>")
async def note(
    connection: Connection,
    note_id: int,
    db: Annotated[str, Depends(get_db)],
    token: Annotated[str, Header()],
    page: Annotated[int, Query(ge=1)] = 1,
    other: str = Depends(get_db),
) -> str:
    return db
"""

SIDE_LINKS = """\
from aaf import App, Depends
from aaf.connection import Connection
from routes import (
    BookView,
    archive,
    dynamic,
    dynamic_items,
    held,
    loose,
    note,
    report,
    router,
    stock,
    tenants,
    year_of,
)

app = App([router, loose, tenants, dynamic])


@app.get("/direct/<int:year>")
async def direct(connection: Connection, year_value: int = Depends(year_of)) -> int:
    return year_value


built = [
    app.url_for(report, year=2026),
    app.url_for(report, year=2026, api_key="k", area="us"),
    app.url_for(BookView.get, book_id=1, page=2, area="us"),
    app.url_for(held, n=1, api_key="k"),
    app.url_for(note, note_id=1, page=2),
    app.url_for(stock, tenant_id=4),
    app.url_for(archive, year=2020),
    app.url_for(direct, year=2021),
    app.url_for(dynamic_items, year=2022),
]
app.url_for(report, year=2026, apikey="k")  # E
app.url_for(report, year="2026", api_key="k")  # E
app.url_for(BookView.get, book_id=1, pages=2)  # E
app.url_for(held, n="1")  # E
app.url_for(note, note_id=1, token="t")  # E
app.url_for(note, note_id=1, other="o")  # E
app.url_for(stock)  # E
app.url_for(archive)  # E
app.url_for(direct)  # E
"""

SIDE_ERRORS = [n for n, line in enumerate(SIDE_LINKS.splitlines(), 1) if line.endswith("# E")]


def test_url_for_takes_what_the_routes_and_routers_dependencies_read(tmp_path: Path) -> None:
    # A provider in a route's or a router's `dependencies=` that reads the query string
    # (an API key, a region) fills from url_for's keywords at run time, but the plugin typed
    # url_for by the handler's own parameters: `url_for(report, year=2026, api_key="k")` was
    # a type error. Those providers' parameters are taken now (read from the source, so from
    # a module in mypy's cache too); a list the plugin cannot read (a variable) lets any other
    # keyword through rather than refuse what may be right. And a handler from mypy's cache,
    # which keeps neither its arguments nor its line, is read from its source: the plugin
    # asked for its Annotated provider and header (`url_for(note, note_id=1, page=2)` was a
    # type error on the second run only).
    (tmp_path / "mypy.ini").write_text(CONFIG)
    (tmp_path / "routes.py").write_text(SIDE_ROUTES)
    links = tmp_path / "links.py"
    links.write_text(SIDE_LINKS)
    expected = SIDE_ERRORS
    files = [tmp_path / "routes.py", links]
    for output in full_then_cached(tmp_path, files, links, SIDE_LINKS):
        reported = errors_of(output)
        assert [int(line.split(":")[1]) for line in reported] == expected, reported
        assert all("[call-overload]" in line for line in reported), reported
    namespace: dict[str, object] = {}
    sys.path.insert(0, str(tmp_path))
    try:
        exec(
            compile(SIDE_LINKS.split("app.url_for(report, year=2026, apikey")[0], "links", "exec"),
            namespace,
        )
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("routes", None)
    assert namespace["built"] == [
        "/reports/2026",
        "/reports/2026?api_key=k&area=us",
        "/books/1?page=2&area=us",
        "/held/1?api_key=k",
        "/notes/1?page=2",
        "/t/4/stock",
        "/old/2020/all",
        "/direct/2021",
        "/d/items/2022",
    ]
    # The variable's list: any keyword goes (the plugin cannot read what it holds).
    links.write_text(SIDE_LINKS + 'app.url_for(held, n=1, anything="x")\n')
    assert len(errors_of(mypy_here(tmp_path, files))) == len(expected)


def test_url_for_of_handlers_in_another_module_on_full_and_incremental_runs(
    tmp_path: Path,
) -> None:
    # mypy keeps no class body of a module once it has checked it, and a module from its
    # cache keeps neither its functions' arguments nor their lines: `url_for(ThingView.get,
    # item_id=8, size=5)` (the View's attributes read the rule variable and the paging) was
    # refused on every run from another module, and `url_for(item, item_id=3)` (a required
    # Annotated provider and header) on every run after the first. Both are read from the
    # source now: the same lines are refused as when everything is in one module.
    head, tail = URL_FOR_PROGRAM.split("app = App([router])\n")
    (tmp_path / "mypy.ini").write_text(CONFIG)
    (tmp_path / "handlers.py").write_text(head)
    links_source = (
        "from aaf import App\n"
        "from handlers import ItemView, ThingView, create, item, plain, router, shop_items\n"
        "\n"
        "app = App([router])\n" + tail
    )
    expected = [n for n, line in enumerate(links_source.splitlines(), 1) if line.endswith("# E")]
    assert len(expected) == len(URL_FOR_ERRORS)
    links = tmp_path / "links.py"
    files = [tmp_path / "handlers.py", links]
    for output in full_then_cached(tmp_path, files, links, links_source):
        reported = errors_of(output)
        assert [int(line.split(":")[1]) for line in reported] == expected, reported


def route_errors_on_each_run(directory: Path, base: str, routes: str) -> Iterator[list[Reported]]:
    """The aaf-route errors reported in ``routes.py`` (which imports ``base.py``) on a full
    run, then on the next one, with ``base.py`` from mypy's cache."""
    (directory / "mypy.ini").write_text(CONFIG)
    (directory / "base.py").write_text(base)
    path = directory / "routes.py"
    for output in full_then_cached(directory, [directory / "base.py", path], path, routes):
        yield aaf_route_errors(output, path)


ROUTER_BASE = """\
from aaf import Depends
from aaf.routing import Router


def tenant(tenant_id: int) -> int:
    return tenant_id


router = Router(dependencies=[Depends(tenant)])
"""

ROUTER_ROUTES = """\
from aaf.connection import Connection
from base import router


@router.get("/t/<int:tenant_id>/items")
async def items(connection: Connection) -> int:
    return 1


@router.get("/u/<int:user_id>/items")  # <-
async def bad(connection: Connection) -> int:
    return 1
"""


def test_a_routers_dependencies_in_another_module_are_read_on_every_run(tmp_path: Path) -> None:
    # The router's provider reads the rule variable, so registration takes `items`; but the
    # plugin read the router's `Router(...)` from mypy's tree of its module, which holds no
    # statements once mypy has checked it (or read it from its cache): `items` was reported
    # on a full run, and nothing at all (not even `bad`) on the next. Read from the source,
    # each run reports `bad` alone, as registration does.
    for reported in route_errors_on_each_run(tmp_path, ROUTER_BASE, ROUTER_ROUTES):
        assert [r.line for r in reported] == [marked_line(ROUTER_ROUTES)], reported
        assert "<user_id> has no parameter" in reported[0].message
    namespace: dict[str, object] = {}
    exec(compile(ROUTER_BASE, "base", "exec"), namespace)
    exec("from aaf.connection import Connection", namespace)
    first_route = ROUTER_ROUTES.split("\n\n\n")[1]
    exec(compile(first_route, "routes", "exec"), namespace)  # registers: no error
    with pytest.raises(ConfigurationError, match="<user_id> has no parameter"):
        exec(compile(ROUTER_ROUTES.split("\n\n\n")[2], "routes", "exec"), namespace)


VIEW_BASE = """\
from typing import Annotated

from aaf import Depends
from aaf.views import View


def get_name() -> str:
    return "name"


def get_page(page: int = 1) -> int:
    return page


def item_or_404(item_id: int) -> str:
    return f"item {item_id}"


class Base(View):
    count: Annotated[int, Depends(get_name)]
    page: int = Depends(get_page)
    found = Depends(item_or_404)  # reads the rule variable
"""

VIEW_ROUTES = """\
from aaf.connection import Connection
from aaf.routing import Router
from base import Base

router = Router()


@router.route("/things/<int:item_id>")  # <-
class Things(Base):
    async def get(self, connection: Connection) -> int:
        return self.count
"""


def test_a_base_views_providers_in_another_module_are_checked_on_every_run(
    tmp_path: Path,
) -> None:
    # A View's base class from another module has no body in mypy's tree once mypy checked
    # that module (nor from its cache): its `count: Annotated[int, Depends(get_name)]`, a
    # provider of str, went unreported. Read from the source, it is reported at the route.
    for reported in route_errors_on_each_run(tmp_path, VIEW_BASE, VIEW_ROUTES):
        assert reported == [
            Reported(
                marked_line(VIEW_ROUTES),
                "Base: attribute 'count' is annotated int, but Depends(get_name) gives str",
            )
        ], reported


OPERATION_BASE = """\
from http import HTTPStatus

from aaf.connection import Connection
from aaf.routing import operation
from aaf.views import View


class Base(View):
    @operation(status_code=201)
    async def post(self, connection: Connection) -> int:
        return 1

    @operation(status_code=HTTPStatus.NO_CONTENT)
    async def delete(self, connection: Connection) -> int:
        return 1
"""

OPERATION_ROUTES = """\
from aaf.routing import Router
from base import Base

router = Router()


@router.route("/things", status_code=204)  # <-
class Things(Base):
    pass
"""


def test_a_base_views_operation_status_in_another_module_is_read_on_every_run(
    tmp_path: Path,
) -> None:
    # A base View's `@operation(status_code=201)` is its method's status instead of the
    # route's 204. mypy's cache keeps no decorators: on the run after the first, the plugin
    # took the route's 204 and refused `post -> int`, which registration takes. Read from the
    # source, each run reports `delete` alone (its own 204, HTTPStatus spelt), as
    # registration does.
    said = "Things.delete: status_code 204 sends no body, but it returns int"
    for reported in route_errors_on_each_run(tmp_path, OPERATION_BASE, OPERATION_ROUTES):
        assert [r.line for r in reported] == [marked_line(OPERATION_ROUTES)], reported
        assert reported[0].message.startswith(said), reported
    namespace: dict[str, object] = {}
    exec(compile(OPERATION_BASE, "base", "exec"), namespace)
    exec("from aaf.routing import Router\nrouter = Router()", namespace)
    with pytest.raises(ConfigurationError, match=said):
        exec(compile(OPERATION_ROUTES.split("\n\n\n")[1], "routes", "exec"), namespace)


OPERATION_DEPENDENCIES_BASE = """\
from aaf.connection import Connection
from aaf.params import Depends
from aaf.routing import operation
from aaf.views import View


async def owner_of(shop_id: int) -> None: ...


async def signed_in(user: str = "") -> None: ...


class Base(View):
    @operation(dependencies=[Depends(owner_of)])
    async def delete(self, connection: Connection) -> None: ...

    @operation(dependencies=[Depends(signed_in)])
    async def put(self, connection: Connection) -> None: ...
"""

OPERATION_DEPENDENCIES_ROUTES = """\
from aaf.routing import Router
from base import Base

router = Router()


@router.route("/shops/<int:shop_id>")  # <-
class Shop(Base):
    pass
"""


def test_a_base_views_operation_dependencies_in_another_module_are_read_on_every_run(
    tmp_path: Path,
) -> None:
    # A base View's `@operation(dependencies=[...])`, from mypy's cache on the second run
    # (which keeps no decorators), read from the source: `delete`'s provider reads the rule
    # variable, `put`'s does not, on each run as at registration.
    said = "Shop.put: the rule variable <shop_id> has no parameter of that name"
    for reported in route_errors_on_each_run(
        tmp_path, OPERATION_DEPENDENCIES_BASE, OPERATION_DEPENDENCIES_ROUTES
    ):
        assert [r.line for r in reported] == [marked_line(OPERATION_DEPENDENCIES_ROUTES)]
        assert reported[0].message == said, reported
    namespace: dict[str, object] = {}
    exec(compile(OPERATION_DEPENDENCIES_BASE, "base", "exec"), namespace)
    exec("from aaf.routing import Router\nrouter = Router()", namespace)
    with pytest.raises(ConfigurationError, match=said):
        exec(compile(OPERATION_DEPENDENCIES_ROUTES.split("\n\n\n")[1], "routes", "exec"), namespace)


ALIAS_BASE = """\
from typing import Annotated

from aaf.params import Depends, Header, Path


class Db:
    pass


async def get_db() -> Db:
    return Db()


def item_of(item_id: int, size: int = 10) -> int:
    return item_id * size


DbDep = Annotated[Db, Depends(get_db)]
ItemDep = Annotated[int, Depends(item_of)]
Token = Annotated[str, Header()]
ItemId = Annotated[int, Path(gt=0)]
"""

ALIAS_ROUTES = """\
import base
from aaf.connection import Connection
from aaf.routing import Router
from aaf.views import View
from base import DbDep, ItemDep, Token

router = Router()


@router.get("/notes/<int:item_id>")
async def note(
    connection: Connection, item_id: base.ItemId, db: DbDep, x_token: Token, q: str = ""
) -> str:
    return q


@router.route("/things/<int:item_id>")
class Thing(View):
    item: ItemDep

    async def get(self, connection: Connection, db: DbDep) -> str:
        return ""


@router.get("/other")  # <-
async def other(connection: Connection, item_id: base.ItemId) -> str:
    return ""


router.url_for(note, item_id=3, q="x")
router.url_for(note, item_id=3, x_token="t")  # E
router.url_for(Thing.get, item_id=3, size=2)
router.url_for(Thing.get, size=2)  # E
"""


def test_type_aliases_of_another_module_are_read_on_every_run(tmp_path: Path) -> None:
    # `DbDep = Annotated[Db, Depends(get_db)]`, as FastAPI's docs write a dependency once:
    # mypy expands the alias and drops its metadata, so the plugin took `db: DbDep` and
    # `x_token: Token` for query parameters (`url_for(note, item_id=3)` asked for both), the
    # View's `item: ItemDep` for no provider (its rule variable reported as read by nothing)
    # and the Path() of `base.ItemId` for nothing. Read from the alias's module's source.
    (tmp_path / "mypy.ini").write_text(CONFIG)
    (tmp_path / "base.py").write_text(ALIAS_BASE)
    routes = tmp_path / "routes.py"
    expected = [n for n, line in enumerate(ALIAS_ROUTES.splitlines(), 1) if line.endswith("# E")]
    route_error = Reported(
        marked_line(ALIAS_ROUTES),
        "other: parameter 'item_id' is marked Path(), but the rule has no <item_id>",
    )
    files = [tmp_path / "base.py", routes]
    for output in full_then_cached(tmp_path, files, routes, ALIAS_ROUTES):
        assert aaf_route_errors(output, routes) == [route_error], output
        calls = [line for line in errors_of(output) if "[aaf-route]" not in line]
        assert [int(line.split(":")[1]) for line in calls] == expected, output


TYPE_STATEMENT = """\
from typing import Annotated

from aaf.connection import Connection
from aaf.params import Depends, Header
from aaf.routing import Router

router = Router()


def item_of(item_id: int) -> int:
    return item_id


type ItemDep = Annotated[int, Depends(item_of)]
type Token = Annotated[str, Header()]


@router.get("/items/<int:item_id>")
async def get_item(connection: Connection, item: ItemDep, token: Token) -> int:
    return item


@router.get("/users/<token>")  # <-
async def get_user(connection: Connection, token: Token) -> None: ...


router.url_for(get_item, item_id=1)
router.url_for(get_item, item_id=1, token="t")  # E
"""


@pytest.mark.skipif(
    sys.version_info < (3, 12),
    reason="the type statement does not parse before Python 3.12 (make test-pythons runs it)",
)
def test_the_type_statement_of_python_3_12_is_read_too(tmp_path: Path) -> None:
    (tmp_path / "mypy.ini").write_text(CONFIG)
    path = tmp_path / "statement.py"
    path.write_text(TYPE_STATEMENT)
    output = mypy_here(tmp_path, [path])
    assert aaf_route_errors(output, path) == [
        Reported(
            marked_line(TYPE_STATEMENT),
            "get_user: parameter 'token' is the rule variable <token>, which comes from the "
            "path: mark it Path(), not Header()",
        )
    ], output
    calls = [line for line in errors_of(output) if "[aaf-route]" not in line]
    expected = [n for n, line in enumerate(TYPE_STATEMENT.splitlines(), 1) if line.endswith("# E")]
    assert [int(line.split(":")[1]) for line in calls] == expected, output


ADDED_ROUTES = """\
from aaf.connection import Connection
from aaf.params import Depends
from aaf.routing import Router

from handlers import elsewhere


def check_key(api_key: str = "") -> None: ...


def shop(shop_id: int) -> int:
    return shop_id


router = Router()


async def report(connection: Connection, year: int) -> int:
    return year


async def items(connection: Connection, s: int = Depends(shop)) -> int:
    return s


router.add_route("/reports/<int:year>", report, dependencies=[Depends(check_key)])
router.add_route(rule="/shops/<int:shop_id>/items", handler=items)
router.add_route("/elsewhere", elsewhere, dependencies=[Depends(check_key)])

router.url_for(report, year=2026, api_key="k")
router.url_for(report, year=2026, apikey="k")  # E
router.url_for(items, shop_id=3)
router.url_for(items)  # E
router.url_for(elsewhere, tenant_id=1, api_key="k")
"""

ADDED_HANDLERS = """\
from aaf.connection import Connection
from aaf.params import Depends


def tenant(tenant_id: int = 0) -> int:
    return tenant_id


async def elsewhere(connection: Connection, t: int = Depends(tenant)) -> int:
    return t
"""


def url_for_calls_agree(
    directory: Path, imported: tuple[str, str], calling: tuple[str, str]
) -> None:
    """The module ``calling`` (name, source) holds ``url_for`` calls, one a line, those mypy
    must refuse marked ``# E``; it imports the module ``imported``. mypy reports exactly
    those on a full run and on the next, with ``imported`` from its cache; then, imported
    without them, each call fails at run time exactly when it is marked."""
    (directory / "mypy.ini").write_text(CONFIG)
    (directory / f"{imported[0]}.py").write_text(imported[1])
    path = directory / f"{calling[0]}.py"
    lines = calling[1].splitlines()
    expected = [n for n, line in enumerate(lines, 1) if line.endswith("# E")]
    files = [directory / f"{imported[0]}.py", path]
    for output in full_then_cached(directory, files, path, calling[1]):
        reported = errors_of(output)
        assert [int(line.split(":")[1]) for line in reported] == expected, output
    # At run time, the same calls: those refused fail, the others build their URLs.
    calls = [line for line in lines if ".url_for(" in line]
    path.write_text("\n".join(line for line in lines if line not in calls))
    sys.path.insert(0, str(directory))
    try:
        module = import_file(path, calling[0], keep=False)
    finally:
        sys.path.remove(str(directory))
        sys.modules.pop(imported[0], None)
    for call in calls:
        try:
            eval(call.partition("  #")[0], vars(module))  # noqa: S307 - the test's own lines
            failed = False
        except LookupError:  # NotInUrl, or no route takes the parameters given
            failed = True
        assert failed == call.endswith("# E"), call


def test_url_for_reads_the_add_route_calls_that_register_a_handler(tmp_path: Path) -> None:
    # A handler registered by `router.add_route(rule, handler, dependencies=[...])` in its
    # module: the providers there read URL parameters too (`url_for(report, year=2026,
    # api_key="k")` was a type error), and the rule's variables are required. A handler
    # registered in a module other than its own (`elsewhere`) takes any other keyword, as the
    # plugin does not look for its routes there (and at run time every line without `# E`
    # builds its URL): `api_key=` was refused.
    url_for_calls_agree(tmp_path, ("handlers", ADDED_HANDLERS), ("routes", ADDED_ROUTES))


OPERATION_VIEWS = """\
from aaf.connection import Connection
from aaf.params import Depends
from aaf.routing import Router, operation
from aaf.views import View

router = Router()


async def owner_of(shop_id: int, api_key: str = "") -> None: ...


@router.route("/shops/<int:shop_id>")
class Shop(View):
    async def get(self, connection: Connection, shop_id: int) -> None: ...

    @operation(dependencies=[Depends(owner_of)])
    async def delete(self, connection: Connection) -> None: ...


@router.get("/plain/<int:shop_id>")
@operation(dependencies=[Depends(owner_of)])
async def plain(connection: Connection) -> None: ...
"""

OPERATION_LINKS = """\
from operation_views import Shop, plain, router

router.url_for(Shop.delete, shop_id=1, api_key="k")
router.url_for(Shop.delete, shop_id=1)
router.url_for(Shop.delete)  # E
router.url_for(Shop.delete, shop_id=1, apikey="k")  # E
router.url_for(Shop.get, shop_id=1, api_key="k")  # E
router.url_for(plain, shop_id=2, api_key="k")
router.url_for(plain)  # E
"""


def test_url_for_takes_what_an_operations_dependencies_read(tmp_path: Path) -> None:
    # `url_for(Shop.delete, shop_id=1)` was a type error: the method takes no `shop_id`,
    # its `@operation(dependencies=[...])` provider reads it (required: a rule variable) and
    # `api_key` from the query string; `Shop.get` runs no such provider. On a full run and
    # with the views from mypy's cache, and at run time the same calls build or fail.
    url_for_calls_agree(
        tmp_path, ("operation_views", OPERATION_VIEWS), ("operation_links", OPERATION_LINKS)
    )


SERVED_VIEWS = """\
from aaf.connection import Connection
from aaf.routing import Router

router = Router()


@router.get("/items/<int:item_id>")
async def item(connection: Connection, item_id: int) -> int:
    return item_id
"""

SERVED_MAIN = """\
from aaf import Depends, aaf
from aaf.routing import Router

import served_views


def token_of(token: str = "") -> None: ...


def region_of(region: str = "eu") -> None: ...


api = Router("/api")
api.include(served_views.router, dependencies=[Depends(region_of)])
app = aaf([api], dependencies=[Depends(token_of)])
plain = Router()
plain.include(served_views.router)

app.url_for(served_views.item, item_id=1, token="t", region="us")
app.url_for(served_views.item, item_id=1, tokn="t")  # E
api.url_for(served_views.item, item_id=1, region="us")
api.url_for(served_views.item, item_id=1, token="t")  # E
plain.url_for(served_views.item, item_id=1, region="us")  # E
served_views.router.url_for(served_views.item, item_id=1)
"""


def test_url_for_takes_what_the_app_and_the_inclusions_it_is_called_on_run(
    tmp_path: Path,
) -> None:
    # `app.url_for(item, item_id=1, token="t")` was a type error where the app's
    # `dependencies=[...]` read `token` (FastAPI's bigger-applications layout), and so was a
    # value an inclusion's provider reads: the plugin reads the app or router url_for is
    # called on, its `dependencies=` and its module's include calls, down the routers they
    # include; another router does not run them. At run time, the same calls.
    url_for_calls_agree(tmp_path, ("served_views", SERVED_VIEWS), ("served_main", SERVED_MAIN))


KEYWORDS_BASE = """\
from aaf.connection import Connection
from aaf.routing import Router

router = Router()


@router.get("/items/<int:item_id>/<name>")
async def item(connection: Connection, item_id: int, *, q: str = "", **rest: str) -> int:
    return item_id
"""

KEYWORDS_LINKS = """\
from base import item, router

router.url_for(item, item_id=1, name="lamp", q="x")
router.url_for(item, item_id=1)  # E
router.url_for(item, itemid=1, name="lamp")  # E
router.url_for(item, item_id=1, name="lamp", size=2)  # E
"""


def test_url_for_a_handler_taking_other_keywords_asks_for_the_variables_they_take(
    tmp_path: Path,
) -> None:
    # `**rest` is given the rule variables no parameter names (`name` here): mypy's
    # ParamSpec refused every url_for of such a handler, the correct one too. Its named
    # parameters are typed, and the rule variables `**rest` takes are required, as its
    # annotation says; from mypy's cache too (where the function keeps no arguments: read
    # from the source in the signature's order).
    (tmp_path / "mypy.ini").write_text(CONFIG)
    (tmp_path / "base.py").write_text(KEYWORDS_BASE)
    links = tmp_path / "links.py"
    expected = [n for n, line in enumerate(KEYWORDS_LINKS.splitlines(), 1) if line.endswith("# E")]
    files = [tmp_path / "base.py", links]
    for output in full_then_cached(tmp_path, files, links, KEYWORDS_LINKS):
        assert [int(line.split(":")[1]) for line in errors_of(output)] == expected, output
    module = import_file(tmp_path / "base.py", "base", keep=False)
    url = module.router.url_for(module.item, item_id=1, name="lamp", q="x")
    assert url == "/items/1/lamp?q=x"
    for given in ({"item_id": 1}, {"item_id": 1, "name": "lamp", "size": 2}):
        with pytest.raises(LookupError):
            module.router.url_for(module.item, **given)


def test_a_bound_method_in_another_module_is_checked_on_every_run(tmp_path: Path) -> None:
    # A method passed bound (`handlers.get_item`) is called without `self`: on a full run and
    # with its module read from mypy's cache (no arguments kept: its source read instead),
    # its Annotated metadata and defaults (a provider reading a rule variable) are lined up
    # with the parameters it is called with.
    (tmp_path / "mypy.ini").write_text(CONFIG)
    handlers = tmp_path / "handlers.py"
    handlers.write_text(
        textwrap.dedent(
            """\
            from typing import Annotated
            from uuid import UUID

            from aaf.connection import Connection
            from aaf.params import Depends, Query


            def agent() -> str:
                return "x"


            def owner(user_id: UUID) -> str:
                return str(user_id)


            class Handlers:
                async def get_item(
                    self,
                    connection: Connection,
                    item_id: Annotated[int, Query()],
                    who: str = Depends(agent),
                ) -> str:
                    return who

                async def get_user(
                    self, connection: Connection, user_id: int, who: str = Depends(owner)
                ) -> str:
                    return who
            """
        )
    )
    routes = tmp_path / "routes.py"
    source = textwrap.dedent(
        """\
        from aaf.routing import Router

        from handlers import Handlers

        router = Router()
        handlers = Handlers()
        router.add_route("/items/<int:item_id>", handlers.get_item)
        router.add_route("/users/<int:user_id>", handlers.get_user)
        """
    )
    expected = [
        "routes.py:7: error: Handlers.get_item: parameter 'item_id' is the rule variable"
        " <item_id>, which comes from the path: mark it Path(), not Query()  [aaf-route]",
        "routes.py:8: error: owner: parameter 'user_id' is annotated UUID, but its rule"
        " converter gives int  [aaf-route]",
    ]
    for stdout in full_then_cached(tmp_path, [routes, handlers], routes, source):
        assert [line.replace(f"{tmp_path}/", "") for line in errors_of(stdout)] == expected


def test_routers_an_app_factory_makes_are_read_as_a_modules_are(tmp_path: Path) -> None:
    # A router a function makes (a local name it binds once) is read as a module's is: its
    # prefix and dependencies=. One bound twice is not read: nothing is said of what its
    # prefix or providers may hold (the plugin took either for empty, and reported a Path()
    # marker on a prefix's variable, or a variable a router's provider reads, on code that
    # registration serves).
    (tmp_path / "mypy.ini").write_text(CONFIG)
    program = tmp_path / "factories.py"
    source = textwrap.dedent(
        """\
        from typing import Annotated

        from aaf.connection import Connection
        from aaf.params import Depends, Path
        from aaf.routing import Router


        def tenant_of(tenant: int) -> int:
            return tenant


        def create_orgs() -> Router:
            orgs = Router("/orgs/<int:org>")

            @orgs.get("/items")
            async def items(connection: Connection, org: Annotated[int, Path()]) -> int:
                return org

            @orgs.get("/teams")
            async def teams(connection: Connection) -> int:
                return 0

            return orgs


        def create_rebound(flag: bool) -> Router:
            rebound = Router()
            if flag:
                rebound = Router("/t/<int:tenant>", dependencies=[Depends(tenant_of)])

            @rebound.get("/stock/<int:item_id>")
            async def stock(
                connection: Connection, item_id: int, tenant: Annotated[int, Path()]
            ) -> int:
                return tenant

            return rebound


        class Holder:  # a class's router: not read
            router = Router("/h/<int:org>")


        @Holder.router.get("/items")
        async def held(connection: Connection, org: Annotated[int, Path()]) -> int:
            return org
        """
    )
    program.write_text(source)
    reported = errors_of(mypy_here(tmp_path, [program]))
    assert reported == [
        f"{program}:19: error: teams: the rule variable <org> has no parameter of that name"
        "  [aaf-route]"
    ], reported
    namespace: dict[str, object] = {}
    exec(compile(source, "factories", "exec"), namespace)
    with pytest.raises(ConfigurationError, match=r"\.teams: the rule variable <org> has no"):
        cast("Callable[[], object]", namespace["create_orgs"])()
    # The branch taken reads every variable: registration serves both routes.
    cast("Callable[[bool], object]", namespace["create_rebound"])(True)


def test_routers_and_apps_the_plugin_cannot_read_leave_their_variables_to_registration(
    tmp_path: Path,
) -> None:
    # A router made with **options (or *args) hides its prefix and dependencies=, and an
    # app made so, by a factory or in a function (what it includes there), its
    # dependencies=: the plugin took them for empty, and reported a Path() marker on the
    # prefix's variable, a variable the router's provider reads, and a url_for given what
    # the app's provider reads, on code that runs.
    (tmp_path / "mypy.ini").write_text(CONFIG)
    program = tmp_path / "splats.py"
    source = textwrap.dedent(
        """\
        from typing import Annotated, Any

        from aaf import App
        from aaf.connection import Connection
        from aaf.params import Depends, Path
        from aaf.routing import Router


        def check_tenant(tenant: int) -> None:
            pass


        def lang_of(lang: str = "en") -> str:
            return lang


        PREFIX: dict[str, Any] = {"prefix": "/t/<int:tenant>"}
        DEPENDENCIES: dict[str, Any] = {"dependencies": [Depends(check_tenant)]}
        splat = Router(**PREFIX)
        guarded = Router("/g/<int:tenant>", **DEPENDENCIES)


        @splat.get("/items")
        async def items(connection: Connection, tenant: Annotated[int, Path()]) -> int:
            return tenant


        @guarded.get("/stock")
        async def stock(connection: Connection) -> int:
            return 0


        OPTIONS: dict[str, Any] = {"dependencies": [Depends(lang_of)]}
        app = App([splat, guarded], **OPTIONS)


        def create_app() -> App:
            return App([splat, guarded], dependencies=[Depends(lang_of)])


        made = create_app()
        links = [app.url_for(items, tenant=1, lang="fr"), made.url_for(stock, tenant=2, lang="de")]


        plain = Router()


        @plain.get("/pages/<int:number>")
        async def page(connection: Connection, number: int) -> int:
            return number


        def local_links() -> list[str]:
            local = App([plain], dependencies=[Depends(lang_of)])
            return [local.url_for(page, number=3, lang="it")]
        """
    )
    program.write_text(source)
    assert errors_of(mypy_here(tmp_path, [program])) == []
    namespace: dict[str, object] = {}
    exec(compile(source, "splats", "exec"), namespace)
    assert namespace["links"] == ["/t/1/items?lang=fr", "/g/2/stock?lang=de"]
    assert cast("Callable[[], list[str]]", namespace["local_links"])() == ["/pages/3?lang=it"]


def test_a_local_router_is_read_only_where_its_function_binds_its_name_once() -> None:
    # What the plugin reads a function's local router from: a name bound by one plain
    # assignment in its scope, and by nothing else there (a loop, an `except ... as`, a
    # nested function's `nonlocal`); a nested function's own names are its own.
    import ast

    from aaf._mypy_source import _locals_of  # pyright: ignore[reportPrivateUsage]

    source = textwrap.dedent(
        """\
        def create():
            a = Router("/a")
            b = Router()
            b = Router("/b")
            c = Router()
            try:
                pass
            except ValueError as c:
                pass
            d = Router()
            for d in []:
                pass
            e = Router()

            def change():
                nonlocal e
                e = Router("/e")

            f: Router = Router("/f")
            g = h = Router()
            [i := Router() for _ in ()]
            j = Router()

            def inner():
                j = Router("/j")

            k = Router()
            import k
            m = Router()
            n = lambda m: m
        """
    )
    assert sorted(_locals_of(ast.parse(source))) == [
        ("a", 2),
        ("f", 19),
        ("j", 22),
        ("j", 25),
        ("m", 29),
        ("n", 30),
    ]


def test_url_for_reads_rules_and_prefixes_made_of_final_names(tmp_path: Path) -> None:
    # url_for by handler asks for the rule variables a provider reads when the rule (or its
    # router's prefix) is built of Final names, as for a literal; it made them optional.
    (tmp_path / "mypy.ini").write_text(CONFIG)
    program = tmp_path / "links.py"
    source = textwrap.dedent(
        """\
        from typing import Final

        from aaf import aaf
        from aaf.connection import Connection
        from aaf.params import Depends
        from aaf.routing import Router

        SHOPS: Final = "/shops/<int:shop_id>"
        ITEM: Final = "/items/<int:item_id>"
        shops = Router(prefix=SHOPS)


        def shop_of(shop_id: int) -> int:
            return shop_id


        @shops.get(ITEM + "/reviews")
        async def reviews(
            connection: Connection, item_id: int, shop: int = Depends(shop_of)
        ) -> int:
            return item_id


        app = aaf([shops])
        built = [app.url_for(reviews, shop_id=1, item_id=2)]
        app.url_for(reviews, shop_id=1)
        app.url_for(reviews, item_id=2)
        """
    )
    program.write_text(source)
    reported = errors_of(mypy_here(tmp_path, [program]))
    assert [int(line.split(":")[1]) for line in reported] == [26, 27], reported
    assert all("[call-overload]" in line for line in reported), reported
    namespace: dict[str, object] = {}
    exec(compile(source.split("app.url_for(reviews, shop_id=1)\n")[0], "links", "exec"), namespace)
    assert namespace["built"] == ["/shops/1/items/2/reviews"]


OVERRIDES_PROGRAM = """\
from collections.abc import AsyncIterator, Iterator

from aaf import aaf
from aaf.connection import Connection
from aaf.params import Depends
from aaf.routing import Router
from aaf.security import HTTPAuthorizationCredentials, HTTPBearer
from aaf.testing import TestClient


class Db:
    name = "real"


class FakeDb(Db):
    name = "fake"


def get_db() -> Iterator[Db]:
    yield Db()


async def get_user(db: Db = Depends(get_db)) -> str:
    return "ann"


async def fake_db() -> AsyncIterator[FakeDb]:
    yield FakeDb()


def lucky() -> int:
    return 7


router = Router()
bearer = HTTPBearer()


@router.get("/")
async def home(
    connection: Connection,
    db: Db = Depends(get_db),
    user: str = Depends(get_user),
    token: HTTPAuthorizationCredentials = Depends(bearer),
) -> str:
    return f"{db.name} {user} {token.credentials}"


class Settings:
    debug = False


class Loud(Settings):
    debug = True


class Registry:
    dependency_overrides: dict[object, object] = {}


app = aaf([router])
untouched: dict[object, object] = {}
untouched[get_db] = lucky  # another dict: not checked
Registry().dependency_overrides[get_db] = lucky  # not an app's: not checked
app.dependency_overrides[Settings] = Loud  # a class for a class
app.dependency_overrides[get_db] = fake_db
app.dependency_overrides[get_user] = lambda: "bob"
app.dependency_overrides[bearer] = lambda: HTTPAuthorizationCredentials(
    scheme="Bearer", credentials="t"
)
served = TestClient(app).get("/").text
app.dependency_overrides[get_db] = lucky
app.dependency_overrides[get_user] = lambda: 3
app.dependency_overrides[bearer] = lambda: "t"
app.dependency_overrides[Settings] = Db
"""


def test_a_dependency_override_must_give_what_its_provider_gives(tmp_path: Path) -> None:
    # FastAPI types dependency_overrides as a dict of any callables: an override giving
    # another type (an int for a Db) type-checks and fails in the handler. The plugin holds
    # an override to its provider's type, whatever the form of either (a generator, a
    # coroutine function, a lambda, a security scheme object); other dicts are left alone.
    (tmp_path / "mypy.ini").write_text(CONFIG)
    program = tmp_path / "overrides.py"
    program.write_text(OVERRIDES_PROGRAM)
    reported = [
        line.replace(f"{tmp_path}/", "") for line in errors_of(mypy_here(tmp_path, [program]))
    ]
    assert reported == [
        "overrides.py:72: error: the override of get_db gives int, not the Db that get_db"
        " gives (and the parameters it fills take)  [aaf-override]",
        "overrides.py:73: error: the override of get_user gives int, not the str that"
        " get_user gives (and the parameters it fills take)  [aaf-override]",
        "overrides.py:74: error: the override of bearer gives str, not the"
        " HTTPAuthorizationCredentials that bearer gives (and the parameters it fills take)"
        "  [aaf-override]",
        "overrides.py:75: error: the override of Settings gives Db, not the Settings that"
        " Settings gives (and the parameters it fills take)  [aaf-override]",
    ]
    # The overrides it accepts serve the app as written.
    namespace: dict[str, object] = {}
    exec(
        compile(
            OVERRIDES_PROGRAM.split("app.dependency_overrides[get_db] = lucky")[0], "o", "exec"
        ),
        namespace,
    )
    assert namespace["served"] == "fake bob t"


def test_url_for_takes_any_keyword_for_a_provider_it_cannot_read(tmp_path: Path) -> None:
    # A provider the plugin cannot read (one a factory made) may take query values: url_for
    # by handler refused them (`size=3`), where it builds `/b?size=3`. A bound method is read
    # (its `page` taken as the provider's).
    (tmp_path / "mypy.ini").write_text(CONFIG)
    program = tmp_path / "links.py"
    source = textwrap.dedent(
        """\
        from collections.abc import Callable

        from aaf import aaf
        from aaf.connection import Connection
        from aaf.params import Depends
        from aaf.routing import Router


        class Pager:
            def page_of(self, page: int = 1) -> int:
                return page


        def paginator(most: int) -> Callable[[int], int]:
            def size_of(size: int = 10) -> int:
                return min(size, most)

            return size_of


        pager = Pager()
        router = Router()


        @router.get("/a")
        async def a(connection: Connection, page: int = Depends(pager.page_of)) -> int:
            return page


        @router.get("/b")
        async def b(connection: Connection, size: int = Depends(paginator(50))) -> int:
            return size


        app = aaf([router])
        built = [app.url_for(a, page=2), app.url_for(b, size=3)]
        """
    )
    program.write_text(source)
    assert errors_of(mypy_here(tmp_path, [program])) == []
    namespace: dict[str, object] = {}
    exec(compile(source, "links", "exec"), namespace)
    assert namespace["built"] == ["/a?page=2", "/b?size=3"]


def test_an_edit_the_plugin_reads_in_another_module_checks_its_users_again(
    tmp_path: Path,
) -> None:
    # mypy checks a module again when what it imports changes its types: a router's prefix
    # gaining a variable, or a provider's Annotated metadata, changes none, and the module
    # registering routes on it kept the last run's verdict. The plugin reports the sources it
    # read there with the module's cache, so an edit of them checks the module again.
    (tmp_path / "mypy.ini").write_text(CONFIG)
    base = tmp_path / "base.py"
    routes = tmp_path / "routes.py"
    routes.write_text(
        textwrap.dedent(
            """\
            from aaf.connection import Connection
            from aaf.params import Depends

            from base import owner, router


            @router.get("/items")
            async def items(connection: Connection, who: int = Depends(owner)) -> int:
                return who
            """
        )
    )
    base_source = textwrap.dedent(
        """\
        from typing import Annotated

        from aaf.params import Query
        from aaf.routing import Router

        router = Router(prefix="/users")


        def owner(user: Annotated[int, Query()] = 0) -> int:
            return 7
        """
    )
    missing = (
        "routes.py:7: error: items: the rule variable <user_id> has no parameter of that name"
        "  [aaf-route]"
    )
    marked = (
        "routes.py:7: error: owner: parameter 'user_id' is the rule variable <user_id>, which"
        " comes from the path: mark it Path(), not Query()  [aaf-route]"
    )
    edits: list[tuple[str, list[str]]] = [
        (base_source, []),
        (base_source.replace('"/users"', '"/users/<int:user_id>"'), [missing]),
        (  # the provider takes the variable, in metadata that mypy does not keep
            base_source.replace('"/users"', '"/users/<int:user_id>"').replace(
                "user: Annotated", "user_id: Annotated"
            ),
            [marked],
        ),
        (base_source, []),
    ]
    for source, expected in edits:
        base.write_text(source)
        for _ in range(2):  # the edit, then a run with nothing changed
            reported = errors_of(mypy_here(tmp_path, [routes, base]))
            assert [line.replace(f"{tmp_path}/", "") for line in reported] == expected, source


# mypy drops Annotated metadata unread, so a misspelt keyword in a marker's call passed it,
# where pyright reports it and the module fails at import. The plugin checks those calls as
# mypy checks any, at the call's line: `# <- code` marks each line and the code expected.
METADATA_CALLS_WRONG = """\
from typing import Annotated

from pydantic import Field

from aaf.connection import Connection
from aaf.params import Body, Depends, Header, Path, Query
from aaf.routing import Router
from aaf.views import View

router = Router()
Page = Annotated[int, Query(gte=1)]  # <- call-arg


class Db: ...


def get_db(trace: Annotated[str, Header(min_lenght=3)] = "") -> Db:  # <- call-arg
    return Db()


@router.put("/items/<int:item_id>")
async def update(
    connection: Connection,
    item_id: Annotated[int, Path(ge="1")],  # <- arg-type
    body: Annotated[dict[str, int], Body(embed=True)],  # <- call-arg
    q: Annotated[str | None, Query(regex="^a")] = None,  # <- call-arg
    page: Page = 1,
    old: Annotated[int, Query(3)] = 3,  # <- arg-type
    size: Annotated[int, Field(gte=1)] = 10,  # <- call-overload
    db: Annotated[Db, Depends(get_db, use_cach=False)] = Db(),  # <- call-overload
) -> None: ...


@router.get("/again")
async def again(connection: Connection, page: Page = 1) -> None:  # the alias: said once
    pass


@router.route("/view")
class Items(View):
    db: Annotated[Db, Depends(get_db, cache=False)]  # <- call-overload

    async def get(self, c: Connection, n: Annotated[int, Query(lte=4)] = 0) -> None:  # <- call-arg
        pass


@router.websocket("/ws")
async def ws(c: Connection, token: Annotated[str, Query(min_len=3)]) -> None:  # <- call-arg
    pass


@router.get("/examples")
async def eg(c: Connection, n: Annotated[int, Query(examples={1, 2})] = 0) -> None:  # <- arg-type
    pass
"""

METADATA_CALLS_LINES = [
    number for number, line in enumerate(METADATA_CALLS_WRONG.splitlines(), 1) if "# <- " in line
]

# Every form those calls take, which must stay accepted.
METADATA_CALLS_RIGHT = """\
import functools
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.params import Body, Cookie, Depends, File, Form, Header, Path, Query, Security
from aaf.routing import Router
from aaf.security import HTTPAuthorizationCredentials, HTTPBearer

router = Router()
bearer = HTTPBearer()
LIMIT = 10
PATTERN: str = "^[a-z]+$"


class Item(BaseModel):
    name: str = Field(min_length=1)


class Common:
    def __init__(self, q: str | None = None) -> None:
        self.q = q


OPTIONS: dict[str, Any] = {"description": "Any options"}
NAMED = Query(alias="named")


def get_limit(limit: Annotated[int, Query(ge=1, le=LIMIT, description="Page size")] = 5) -> int:
    return limit


@functools.cache
def get_settings() -> dict[str, str]:
    return {}


@router.post("/items/<int:item_id>")
async def create(
    connection: Connection,
    item_id: Annotated[int, Path(ge=-1, le=+1000, title="Id", examples=[1, 2])],
    item: Annotated[
        Item,
        Body(
            examples=[{"name": "x"}],
            json_schema_extra={"x-a": [1, None, "x", 1.5, True]},
            openapi_examples={"one": {"summary": "One", "value": {"name": "x"}}},
        ),
    ],
    credentials: Annotated[HTTPAuthorizationCredentials, Security(bearer, scopes=["items"])],
    common: Annotated[Common, Depends()],
    limit: Annotated[int, Depends(get_limit, use_cache=False)],
    settings: Annotated[dict[str, str], Depends(get_settings)],
    explicit: Annotated[Common, Depends(Common)],
    options: Annotated[int, Query(le=LIMIT, examples=[b"1", len, str(1)], **OPTIONS)],
    named: Annotated[int, AfterValidator(abs), NAMED],
    q: Annotated[str | None, Query(alias="item-query", pattern=PATTERN, deprecated=True)] = None,
    ratio: Annotated[float, Field(..., gt=-1.5, allow_inf_nan=False)] = 0.5,
    trace: Annotated[str | None, Header(convert_underscores=False, include_in_schema=False)] = None,
    session: Annotated[str | None, Cookie(max_length=64)] = None,
    tags: Annotated[list[str], Field(default_factory=list, max_length=LIMIT)] = [],
) -> None: ...


@router.post("/upload")
async def upload(
    connection: Connection,
    file: Annotated[UploadFile, File(description="A file")],
    note: Annotated[str, Form(min_length=1)],
) -> None: ...
"""


def test_calls_in_annotated_metadata_are_type_checked_as_pyright_checks_them(
    tmp_path: Path,
) -> None:
    files = {"wrong": METADATA_CALLS_WRONG, "right": METADATA_CALLS_RIGHT}
    found = mypy_errors(tmp_path, files)
    assert found["right"] == []
    lines = METADATA_CALLS_WRONG.splitlines()
    expected = [(n, lines[n - 1].rpartition("# <- ")[2]) for n in METADATA_CALLS_LINES]
    reported = sorted(
        {(int(line.split(":")[1]), line.rpartition("[")[2].rstrip("]")) for line in found["wrong"]}
    )
    assert reported == expected, found["wrong"]
    assert any('Unexpected keyword argument "gte" for "Query"' in e for e in found["wrong"])
    # The alias used twice is one error; pyright reports each wrong call too, on those lines.
    assert sum(":11: " in e for e in found["wrong"]) == 1
    pyright = basedpyright_errors(tmp_path, files)
    assert pyright["right"] == []
    assert {int(e.split(":")[0]) for e in pyright["wrong"]} == {n for n, _ in expected}
    # And the module fails at import, at the first of them, as it would for the user.
    with pytest.raises(TypeError, match="unexpected keyword argument 'gte'"):
        import_file(tmp_path / "wrong.py", "metadata_calls_wrong", keep=False)


# exception_handlers= maps each key to any handler (a mapping's type cannot tie a value to its
# key), so a handler taking another exception than its key sends passed; the plugin checks each
# entry of a literal mapping, and add_exception_handler(500, ...), which its overloads pass.
HANDLERS_PROGRAM = """\
from aaf import App, HTTPError
from aaf.connection import Connection
from aaf.response import HttpResponse


class Conflict(Exception): ...


async def on_http(connection: Connection, exc: HTTPError) -> HttpResponse:
    return HttpResponse(str(exc.detail), status_code=exc.status_code)


async def on_any(connection: Connection, exc: Exception) -> HttpResponse:
    return HttpResponse("oops", status_code=500)


async def on_key(connection: Connection, exc: KeyError) -> HttpResponse:
    return HttpResponse("key", status_code=400)


async def on_lookup(connection: Connection, exc: LookupError) -> HttpResponse:
    return HttpResponse("lookup", status_code=400)


class OnConflict:
    async def __call__(self, connection: Connection, exc: Conflict) -> HttpResponse:
        return HttpResponse("conflict", status_code=409)


app = App(
    exception_handlers={
        HTTPError: on_http,
        KeyError: on_lookup,
        404: on_http,
        500: on_any,
        BaseException: on_any,
        422: on_any,
        LookupError: on_key,  # <- takes KeyError, but answers LookupError
        405: on_key,  # <- takes KeyError, but answers status 405 (an HTTPError)
        Exception: on_http,  # <- takes HTTPError, but answers Exception (every exception
    }
)
# (Objects apart: mypy 1.20 joins them and functions in one dict to `object`.)
objects = App(
    exception_handlers={
        Conflict: OnConflict(),
        ValueError: OnConflict(),  # <- handler takes Conflict, but answers ValueError
    }
)
app.add_exception_handler(500, on_any)
app.add_exception_handler(500, on_http)  # <- takes HTTPError, but answers status 500 (every


class Sub(App): ...


Sub().add_exception_handler(500, on_http)  # <- on_http takes HTTPError, but answers status 500


@app.exception_handler(409)
async def conflicted(connection: Connection, exc: HTTPError) -> HttpResponse:
    return HttpResponse("409", status_code=409)


async def no_exception(connection: Connection) -> HttpResponse:
    return HttpResponse("none")


def not_handlers() -> App:  # (not called: the app refuses them when made)
    return App(
        exception_handlers={
            KeyError: no_exception,  # <- no_exception for KeyError is
            404: "not found",  # <- handler for status 404 (an HTTPError) is str, not an async
        }
    )
"""


# Starlette's middleware, each in a functools.partial, in one list: mypy 1.20 joined the
# two partials to `object` and refused the list (mypy 2 reads the parameter's type first).
MIDDLEWARE_PROGRAM = """\
import functools

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from aaf import App

app = App(
    middleware=[
        functools.partial(CORSMiddleware, allow_origins=["https://a.example"]),
        functools.partial(GZipMiddleware, minimum_size=100),
    ]
)
wrong = App(
    middleware=[
        functools.partial(CORSMiddleware, allow_origins=["https://a.example"]),
        5,  # <- list-item
    ]
)
"""

HANDLERS_LINES = [n for n, line in enumerate(HANDLERS_PROGRAM.splitlines(), 1) if "# <- " in line]


def test_an_exception_handler_must_take_what_its_key_sends_it(tmp_path: Path) -> None:
    found = mypy_errors(tmp_path, {"handlers": HANDLERS_PROGRAM})["handlers"]
    lines = HANDLERS_PROGRAM.splitlines()
    expected = [
        (number, line.rpartition("# <- ")[2])
        for number, line in enumerate(lines, 1)
        if "# <- " in line
    ]
    reported = [(int(e.split(":")[1]), e.split(": error: ")[1]) for e in found]
    assert [n for n, _ in reported] == [n for n, _ in expected], found
    for (_, message), (_, words) in zip(reported, expected, strict=True):
        assert words in message and message.endswith("[aaf-handler]"), message
    # What the plugin says each key sends is what the app sends: a status's handler gets the
    # HTTPError (aaf's own 405 too), 500's and Exception's any other exception.
    module = import_file(tmp_path / "handlers.py", "handlers_program", keep=False)
    app = cast(App, module.app)
    seen: list[type[BaseException]] = []

    async def record(connection: Connection, exc: Exception) -> HttpResponse:
        seen.append(type(exc))
        return HttpResponse("seen")

    for key in (405, 500):
        app.add_exception_handler(key, record)

    @app.get("/only-get")
    async def only_get(connection: Connection) -> None:
        raise KeyError("x")  # a LookupError: goes to KeyError's handler (on_lookup)

    @app.get("/fails")
    async def fails(connection: Connection) -> None:
        raise RuntimeError("x")

    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/only-get").text == "seen"
    assert client.get("/only-get").text == "lookup"
    assert client.get("/fails").text == "seen"
    assert seen == [HTTPError, RuntimeError]
