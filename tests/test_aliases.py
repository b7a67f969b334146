"""Type aliases (``type ItemId = int``, and typing_extensions' ``TypeAliasType`` before 3.12)
are seen through wherever aaf reads an annotation, as pydantic sees through them.

They were opaque: ``item_id: ItemId`` on ``<int:item_id>`` was refused ("annotated ItemId,
but its rule converter gives int"), a list alias read one query value, a body model's alias
was read from the query string, and a ``str`` alias returned went out as JSON.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from typing import Annotated, cast

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType, TypeVar

from aaf import aaf
from aaf.connection import Connection
from aaf.params import Depends, Query
from aaf.routing import Router
from aaf.testing import TestClient
from aaf.views import View, WebSocketView

from .test_openapi import Document, operation_of

T = TypeVar("T")
ItemId = TypeAliasType("ItemId", int)
Positive = TypeAliasType("Positive", Annotated[int, Field(gt=0)])
Tags = TypeAliasType("Tags", list[str])
Many = TypeAliasType("Many", list[T], type_params=(T,))
Text = TypeAliasType("Text", str)
MaybeName = TypeAliasType("MaybeName", str | None)


class Item(BaseModel):
    name: str


ItemBody = TypeAliasType("ItemBody", Item)


class Filters(BaseModel):
    tags: Tags = []
    ids: Many[int] = []


def paging(page: Positive = 1) -> int:
    return page


router = Router()


@router.get("/items/<int:item_id>")
async def get_item(
    connection: Connection,
    item_id: ItemId,
    n: Positive = 1,
    tags: Tags | None = None,
    ids: Many[int] | None = None,
    name: MaybeName = None,
    page: int = Depends(paging),
) -> dict[str, object]:
    return {"id": item_id, "n": n, "tags": tags, "ids": ids, "name": name, "page": page}


@router.post("/items")
async def post_item(connection: Connection, item: ItemBody | None = None) -> Item | None:
    return item


@router.get("/filters")
async def filters(connection: Connection, found: Annotated[Filters, Query()]) -> Filters:
    return found


@router.get("/text")
async def text(connection: Connection) -> Text:
    return "plain"


@router.route("/views/<int:item_id>")
class ItemView(View):
    page: Annotated[int, Depends(paging)]

    async def get(self, connection: Connection, item_id: ItemId) -> int:
        return item_id * 100 + self.page


@router.websocket("/shout")
class Shout(WebSocketView):
    async def on_receive(self, connection: Connection, data: Text) -> None:
        await connection.send_text(data.upper())


def test_type_aliases_are_seen_through_wherever_a_value_is_read() -> None:
    client = TestClient(aaf([router]))
    answer = client.get(
        "/items/3", params={"n": 2, "tags": ["a", "b"], "ids": [1, 2], "name": "x", "page": 4}
    )
    assert answer.json() == {
        "id": 3,
        "n": 2,
        "tags": ["a", "b"],
        "ids": [1, 2],
        "name": "x",
        "page": 4,
    }
    refused = client.get("/items/3", params={"n": 0, "page": 0})
    assert sorted((e["loc"][1], e["type"]) for e in refused.json()["detail"]) == [
        ("n", "greater_than"),
        ("page", "greater_than"),
    ]
    assert client.post("/items", json={"name": "lamp"}).json() == {"name": "lamp"}
    assert client.post("/items").status_code == 204
    assert client.get("/filters", params={"tags": ["a", "b"], "ids": [1, 2]}).json() == {
        "tags": ["a", "b"],
        "ids": [1, 2],
    }
    plain = client.get("/text")
    assert (plain.headers["content-type"], plain.text) == ("text/plain; charset=utf-8", "plain")
    assert client.get("/views/3", params={"page": 2}).json() == 302
    with client.websocket_connect("/shout") as session:
        session.send_text("hi")
        assert session.receive_text() == "HI"
    document = cast(Document, aaf([router]).openapi())
    parameters = operation_of(document, "/items/{item_id}", "get")["parameters"]
    assert {p["name"]: p["in"] for p in parameters} == {
        "item_id": "path",
        "n": "query",
        "tags": "query",
        "ids": "query",
        "name": "query",
        "page": "query",
    }
    assert {p["name"]: p["schema"] for p in parameters}["n"] == {
        "exclusiveMinimum": 0,
        "title": "N",
        "type": "integer",
        "default": 1,
    }


STATEMENTS = """
from typing import Annotated

from pydantic import BaseModel, Field

from aaf.connection import Connection
from aaf.params import Body
from aaf.routing import Router


class Item(BaseModel):
    name: str


type ItemId = int
type Positive = Annotated[int, Field(gt=0)]
type Pair[T] = list[T]
type Tree = list[Tree] | int
type Branches = dict[str, Branches] | int
type NewItem = Item

router = Router()


@router.get("/items/<int:item_id>")
async def get_item(
    connection: Connection, item_id: ItemId, n: Positive = 1, ids: Pair[int] = []
) -> list[int]:
    return [item_id, n, *ids]


@router.post("/items")
async def post_item(connection: Connection, item: NewItem) -> Item:
    return item


@router.post("/trees")
async def post_tree(connection: Connection, tree: Annotated[Tree, Body()]) -> Tree:
    return tree


# Unmarked: a recursive alias read whether it is the body opened it a level deeper at each
# reading, without end (a RecursionError at registration).
@router.post("/branches")
async def post_branches(connection: Connection, branches: Branches) -> Branches:
    return branches


@router.get("/depth")
async def depth(connection: Connection, tree: Tree | None = None) -> Tree | None:
    return tree
"""


def _recursive(alias: TypeAliasType, value: Callable[[TypeAliasType], object]) -> TypeAliasType:
    """``alias`` made recursive, what ``type Tree = list[Tree] | int`` makes on 3.12 (on any
    Python: its value names the alias itself, set after it is made; the attribute is
    read-only but for object's own setattr)."""
    object.__setattr__(alias, "__value__", value(alias))
    return alias


Branches = _recursive(TypeAliasType("Branches", int), lambda it: dict[str, it] | int)  # type: ignore[valid-type]  # pyright: ignore[reportInvalidTypeForm]
Nested = _recursive(TypeAliasType("Nested", int), lambda it: list[it] | int)  # type: ignore[valid-type]  # pyright: ignore[reportInvalidTypeForm]


async def _post_branches(connection: Connection, branches: object) -> object:
    return branches


async def _get_nested(connection: Connection, nested: object = None) -> object:
    return nested


# Annotated with the aliases, which type checkers cannot read (made at run time).
_post_branches.__annotations__.update(branches="Branches", **{"return": "Branches"})
_get_nested.__annotations__.update(nested="Nested | None")


def test_a_recursive_alias_unmarked_is_read_once_per_level_not_without_end() -> None:
    # Reading whether an unmarked recursive alias is the body opened it one level deeper at
    # each reading, without end: a RecursionError at registration.
    routes = Router()
    routes.post("/branches")(_post_branches)
    routes.get("/nested")(_get_nested)
    client = TestClient(aaf([routes]))
    value = {"a": {"b": 1}, "c": 2}
    assert client.post("/branches", json=value).json() == value
    assert client.post("/branches", json={"a": "x"}).status_code == 422
    assert client.get("/nested", params={"nested": [1, 2]}).json() == [1, 2]


@pytest.mark.skipif(
    tuple(sys.version_info) < (3, 12),
    reason="the type statement does not parse before Python 3.12 (make test-pythons runs it)",
)
def test_the_type_statement_of_python_3_12_is_seen_through_too() -> None:
    namespace: dict[str, object] = {"__name__": "aliases_312"}
    exec(compile(textwrap.dedent(STATEMENTS), "aliases_312", "exec", dont_inherit=True), namespace)
    routed = namespace["router"]
    assert isinstance(routed, Router)
    client = TestClient(aaf([routed]))
    assert client.get("/items/3", params={"n": 2, "ids": [4, 5]}).json() == [3, 2, 4, 5]
    assert client.get("/items/3", params={"n": 0}).status_code == 422
    assert client.post("/items", json={"name": "lamp"}).json() == {"name": "lamp"}
    assert client.post("/trees", json=[1, [2, [3]]]).json() == [1, [2, [3]]]
    branches = {"a": {"b": 1}, "c": 2}
    assert client.post("/branches", json=branches).json() == branches
    assert client.post("/branches", json={"a": "x"}).status_code == 422
    assert client.get("/depth", params={"tree": [1, 2]}).json() == [1, 2]


# Two aliases that refer to each other (what `type Forest = list[Grove] | int` and `type
# Grove = dict[str, Forest] | list[Grove]` make on 3.12).
Grove = TypeAliasType("Grove", int)
Forest = TypeAliasType("Forest", int)
_recursive(Forest, lambda it: list[Grove] | int)  # pyright: ignore[reportInvalidTypeForm]
_recursive(Grove, lambda it: dict[str, Forest] | list[it])  # type: ignore[valid-type]  # pyright: ignore[reportInvalidTypeForm]


async def _post_forest(connection: Connection, forest: object) -> object:
    return forest


async def _get_ids(connection: Connection, ids: object = None) -> object:
    return ids


_post_forest.__annotations__.update(forest="Forest", **{"return": "Forest"})
_get_ids.__annotations__.update(ids="list[ItemId] | None")


def test_aliases_that_refer_to_each_other_and_aliases_inside_a_list() -> None:
    # Mutual recursion is found through the other alias (each read once), and an alias in
    # a list's arguments (`list[ItemId]`) is read as what it names: a query list of ints.
    routes = Router()
    routes.post("/forest")(_post_forest)
    routes.get("/ids")(_get_ids)
    client = TestClient(aaf([routes]))
    value = [{"a": 1, "b": [{"c": 2}]}, [{"d": 3}]]
    assert client.post("/forest", json=value).json() == value
    assert client.post("/forest", json=4).json() == 4
    assert client.post("/forest", json=[3]).status_code == 422  # an item is a Grove
    assert client.get("/ids", params={"ids": ["1", "2"]}).json() == [1, 2]
    refused = client.get("/ids", params={"ids": ["x"]})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "ids", 0]
