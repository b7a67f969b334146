"""Typed parameters: every source, every kind of failure, and the 422 shape."""

from __future__ import annotations

import dataclasses
import enum
import functools
import json as json_module
import re
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import PurePath
from typing import Annotated, Any, Literal, NewType, cast

import httpx
import pytest
from annotated_types import Ge, MaxLen
from pydantic import AwareDatetime, BaseModel, Field, Json, Secret, SecretStr, StringConstraints
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from aaf import aaf
from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.exceptions import ConfigurationError
from aaf.params import Body, Cookie, Depends, File, Form, Header, Path, Query
from aaf.routing import Router
from aaf.security import APIKeyHeader, APIKeyQuery
from aaf.testing import TestClient
from aaf.views import View, WebSocketView

from ._helpers import serve
from .test_openapi import Document, operation_of


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class Item(BaseModel):
    id: int
    name: str
    price: float = Field(gt=0)


class Filters(BaseModel):
    q: str
    tags: list[str] = []
    page: int = 1


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Pair(TypedDict):
    a: int
    b: str


router = Router()


@router.route("/query")
async def query(  # type: ignore[no-untyped-def]  # `untyped` is left bare on purpose
    connection: Connection,
    q: str,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    flag: bool = False,
    when: datetime | None = None,
    colour: Colour = Colour.RED,
    order: Literal["asc", "desc"] = "asc",
    ident: uuid.UUID | None = None,
    tags: list[int] | None = None,
    untyped="default",  # unannotated means str  # pyright: ignore[reportMissingParameterType]
) -> dict[str, object]:
    return {
        "q": q,
        "limit": limit,
        "flag": flag,
        "when": when,
        "colour": colour,
        "order": order,
        "ident": ident,
        "tags": tags,
        "untyped": untyped,
    }


@router.route("/aliased")
async def aliased(
    connection: Connection, page_size: Annotated[int, Query(alias="page-size")] = 10
) -> int:
    return page_size


@router.route("/filters")
async def filters(connection: Connection, f: Annotated[Filters, Query()]) -> Filters:
    return f


@router.route("/path/<item_id>/<int:n>/<uuid:u>")
async def path(connection: Connection, item_id: int, n: int, u: uuid.UUID) -> list[object]:
    return [item_id, n, str(u)]


@router.route("/untyped/<int:number>/<name>")
async def untyped_path(connection, number=10, name="x"):  # type: ignore[no-untyped-def]  # noqa: ANN001
    return {"number": number, "type": type(number).__name__, "name": name}


@router.route("/headers")
async def headers(
    connection: Connection,
    x_token: Annotated[str, Header()],
    x_count: Annotated[int, Header(alias="X-Number")] = 0,
    accept_language: Annotated[list[str] | None, Header()] = None,
) -> list[object]:
    return [x_token, x_count, accept_language]


@router.route("/cookies")
async def cookies(
    connection: Connection,
    session: Annotated[str, Cookie()],
    visits: Annotated[int, Cookie()] = 0,
) -> list[object]:
    return [session, visits]


@router.route("/items", methods=["POST"], status_code=201)
async def create(connection: Connection, item: Item) -> Item:
    return item


@router.route("/items/optional", methods=["POST"])
async def optional_body(connection: Connection, item: Item | None = None) -> str:
    return "none" if item is None else item.name


@router.route("/many", methods=["POST"])
async def many(connection: Connection, items: list[Item]) -> int:
    return len(items)


@router.route("/point", methods=["POST"])
async def point(connection: Connection, p: Point) -> Point:
    return p


@router.route("/pair", methods=["POST"])
async def pair(connection: Connection, p: Pair) -> Pair:
    return p


@router.route("/scalar", methods=["POST"])
async def scalar(connection: Connection, n: Annotated[int, Body()]) -> int:
    return n * 2


@router.route("/form", methods=["POST"])
async def form(
    connection: Connection,
    name: Annotated[str, Form()],
    age: Annotated[int, Form()],
    tags: Annotated[list[str], Form()] = [],  # noqa: B006  # aaf copies it for each request
) -> list[object]:
    return [name, age, tags]


class Public(BaseModel):
    name: str


class Private(Public):
    secret: str


@router.route("/filtered")
async def filtered(connection: Connection) -> Public:
    return Private(name="n", secret="s")


@router.route("/filtered-list")
async def filtered_list(connection: Connection) -> list[Public]:
    return [Private(name="a", secret="s")]


@router.route("/text")
async def text(connection: Connection) -> str:
    return "plain"


@router.route("/nothing")
async def nothing(connection: Connection) -> None:
    return None


@router.route("/mixed/<int:item_id>")
class Mixed(View):
    async def put(
        self,
        connection: Connection,
        item_id: int,
        item: Item,
        verbose: bool = False,
        x_request_id: Annotated[str | None, Header()] = None,
    ) -> dict[str, object]:
        return {"item_id": item_id, "item": item, "verbose": verbose, "rid": x_request_id}


@pytest.fixture()
def client() -> Iterator[TestClient]:
    """A client on the module's app, its lifespan running."""
    with TestClient(aaf([router])) as started:
        yield started


def detail(response: object) -> list[dict[str, Any]]:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    for error in body["detail"]:
        assert (
            {"loc", "msg", "type", "input"} <= set(error) <= {"loc", "msg", "type", "input", "ctx"}
        )
    items: list[dict[str, Any]] = body["detail"]
    return items


def test_query_values_are_coerced(client: TestClient) -> None:
    ident = uuid.uuid4()
    response = client.get(
        "/query",
        params={
            "q": "x",
            "limit": "5",
            "flag": "true",
            "when": "2024-01-02T03:04:05",
            "colour": "green",
            "order": "desc",
            "ident": str(ident),
            "tags": ["1", "2"],
            "untyped": "u",
        },
    )
    assert response.json() == {
        "q": "x",
        "limit": 5,
        "flag": True,
        "when": "2024-01-02T03:04:05",
        "colour": "green",
        "order": "desc",
        "ident": str(ident),
        "tags": [1, 2],
        "untyped": "u",
    }


def test_query_defaults_make_parameters_optional(client: TestClient) -> None:
    body = client.get("/query?q=x").json()
    assert body["limit"] == 20 and body["tags"] is None and body["untyped"] == "default"


def test_every_failing_query_field_is_listed(client: TestClient) -> None:
    errors = detail(client.get("/query?limit=abc&flag=maybe&order=up&tags=1&tags=x&colour=blue"))
    by_loc = {tuple(e["loc"]): e for e in errors}
    assert set(by_loc) == {
        ("query", "q"),
        ("query", "limit"),
        ("query", "flag"),
        ("query", "colour"),
        ("query", "order"),
        ("query", "tags", 1),
    }
    assert by_loc[("query", "q")]["type"] == "missing"
    assert by_loc[("query", "limit")]["type"] == "int_parsing"
    assert by_loc[("query", "limit")]["input"] == "abc"


def test_constraint_failure_answers_422(client: TestClient) -> None:
    errors = detail(client.get("/query?q=x&limit=500"))
    assert errors[0]["loc"] == ["query", "limit"]
    assert errors[0]["type"] == "less_than_equal"


def test_query_alias_names_the_wire_key(client: TestClient) -> None:
    assert client.get("/aliased?page-size=3").json() == 3
    assert detail(client.get("/aliased?page-size=x"))[0]["loc"] == ["query", "page-size"]


def test_an_alias_given_with_pydantics_field_names_the_wire_key() -> None:
    # Before, Field(alias=...) in the annotation was dropped: ?query=x fell to the default.
    router = Router()

    @router.get("/search")
    async def search(
        connection: Connection,
        q: Annotated[str, Field(alias="query")] = "none",
        token: Annotated[str | None, Field(alias="X-Key"), Header()] = None,
    ) -> list[str | None]:
        return [q, token]

    app = aaf([router])
    client = TestClient(app)
    assert client.get("/search?query=x", headers={"x-key": "k"}).json() == ["x", "k"]
    assert client.get("/search?q=y").json() == ["none", None]
    parameters = operation_of(app.openapi(), "/search", "get")["parameters"]
    assert [p["name"] for p in parameters] == ["query", "X-Key"]
    assert app.url_for(search, q="z") == "/search?query=z"


def test_json_text_of_a_list_is_one_value_not_a_repeated_key() -> None:
    # Json[list[int]] was read as a list parameter (every ?ids= value collected), so pydantic's
    # Json got a list and every request was 422 json_type.
    router = Router()

    @router.get("/pick")
    async def pick(
        connection: Connection,
        ids: Json[list[int]],
        tags: Annotated[Json[list[str]], Header()],
        more: Json[list[int]] | None = None,
    ) -> list[object]:
        return [ids, tags, more]

    client = TestClient(aaf([router]))
    answer = client.get("/pick?ids=[1,2]&more=[3]", headers={"tags": '["a"]'})
    assert answer.json() == [[1, 2], ["a"], [3]]
    (entry,) = client.get("/pick?ids=[1,2&x=1", headers={"tags": "[]"}).json()["detail"]
    assert (entry["type"], entry["loc"]) == ("json_invalid", ["query", "ids"])


def test_model_marked_query_takes_the_whole_query_string(client: TestClient) -> None:
    response = client.get("/filters?q=lamp&tags=a&tags=b&page=2")
    assert response.json() == {"q": "lamp", "tags": ["a", "b"], "page": 2}
    errors = detail(client.get("/filters?page=x"))
    assert [e["loc"] for e in errors] == [["query", "q"], ["query", "page"]]


def test_path_values_are_validated_against_annotations(client: TestClient) -> None:
    u = uuid.uuid4()
    assert client.get(f"/path/7/8/{u}").json() == [7, 8, str(u)]
    errors = detail(client.get(f"/path/seven/8/{u}"))
    assert errors == [
        {
            "loc": ["path", "item_id"],
            "msg": errors[0]["msg"],
            "type": "int_parsing",
            "input": "seven",
        }
    ]


def test_path_marks_a_rule_variable_with_constraints_and_a_description() -> None:
    # FastAPI's Path(ge=1): the constraints validate the converted value (422 at `path`), the
    # description goes into the document, and a provider may constrain the variable too.
    router = Router()

    @router.get("/pages/<int:number>/<slug>")
    async def page(
        connection: Connection,
        number: Annotated[int, Path(ge=1, le=10, description="The page")],
        slug: Annotated[str, Path(min_length=3)],
    ) -> list[object]:
        return [number, slug]

    async def positive(shelf: Annotated[int, Path(gt=0)]) -> int:
        return shelf * 2

    @router.get("/shelves/<int:shelf>")
    async def shelf(connection: Connection, doubled: int = Depends(positive)) -> int:
        return doubled

    app = aaf([router])
    client = TestClient(app)
    assert client.get("/pages/3/abc").json() == [3, "abc"]
    errors = detail(client.get("/pages/11/ab"))
    assert [(e["loc"], e["type"], e["input"]) for e in errors] == [
        (["path", "number"], "less_than_equal", 11),
        (["path", "slug"], "string_too_short", "ab"),
    ]
    assert client.get("/shelves/4").json() == 8
    assert [e["loc"] for e in detail(client.get("/shelves/0"))] == [["path", "shelf"]]
    parameters = operation_of(app.openapi(), "/pages/{number}/{slug}", "get")["parameters"]
    assert parameters[0]["description"] == "The page"
    assert (parameters[0]["schema"]["minimum"], parameters[0]["schema"]["maximum"]) == (1, 10)
    assert parameters[1]["schema"]["minLength"] == 3


def test_path_is_for_rule_variables_and_only_path_is() -> None:
    router = Router()

    async def not_in_rule(connection: Connection, page: Annotated[int, Path()]) -> int:
        return page

    async def queried(connection: Connection, page: Annotated[int, Query()]) -> int:
        return page

    with pytest.raises(ConfigurationError, match=r"'page' is marked Path\(\), but the rule has"):
        router.add_route("/pages", not_in_rule)
    with pytest.raises(ConfigurationError, match=r"mark it Path\(\), not Query\(\)"):
        router.add_route("/pages/<int:page>", queried)


def test_a_marker_given_as_the_default_is_refused_not_passed_as_the_value() -> None:
    # FastAPI's spelling, `title: str = Form()`, made the marker the parameter's default: the
    # handler was given Form(alias=None) as the title when the form had none, and the value
    # was read from the query string (the source of an unmarked str).
    router = Router()
    markers: list[Callable[[], object]] = [Query, Header, Cookie, Form, File, Body, Path]
    for marker in markers:
        name = cast("type", marker).__name__

        async def handler(connection: Connection, value: str = marker()) -> str:  # type: ignore[assignment]  # pyright: ignore[reportArgumentType]
            return value

        with pytest.raises(
            ConfigurationError,
            match=re.escape(
                f"handler: parameter 'value' has {name}() as its default; aaf reads {name}() "
                f"from the annotation: value: Annotated[str, {name}()], with a default value, "
                "if any, after it"
            ),
        ):
            router.add_route("/values", handler)

    # pydantic's Field() the same way: typed Any, so no type checker said anything, the
    # handler was given the FieldInfo when the query had no limit, and ge=1 checked nothing.
    async def page(connection: Connection, limit: int = Field(10, ge=1)) -> int:
        return limit

    with pytest.raises(
        ConfigurationError,
        match=re.escape(
            "page: parameter 'limit' has Field() as its default; aaf reads Field() from the "
            "annotation: limit: Annotated[int, Field()], with a default value, if any, after it"
        ),
    ):
        router.add_route("/page", page)  # type: ignore[aaf-route]  # what the test is about

    def paging(limit: int | None = Query(ge=1)) -> int:  # type: ignore[assignment]  # pyright: ignore[reportArgumentType]
        return limit or 10

    async def listed(connection: Connection, limit: int = Depends(paging)) -> int:
        return limit

    with pytest.raises(ConfigurationError, match=r"\.paging: parameter 'limit' has Query\(\) as"):
        router.add_route("/notes", listed)  # type: ignore[aaf-route]  # what the test is about

    class NoteView(View):
        async def get(self, connection: Connection, q=Query()) -> str:  # type: ignore[no-untyped-def]  # noqa: B008  # pyright: ignore[reportMissingParameterType, reportUnknownParameterType]
            return str(q)  # pyright: ignore[reportUnknownArgumentType]

    with pytest.raises(ConfigurationError, match=r"q: Annotated\[str, Query\(\)\]"):
        router.add_route("/view", NoteView)  # type: ignore[aaf-route]  # what the test is about
    with pytest.raises(ConfigurationError, match=r"\.chat: parameter 'token' has Query\(\)"):

        @router.websocket("/chat")  # type: ignore[aaf-route]  # what the test is about
        async def chat(connection: Connection, token: str = Query()) -> None:  # type: ignore[assignment]  # pyright: ignore[reportArgumentType]
            await connection.close()


def two_marker_source() -> int:
    return 7


def test_a_parameter_given_two_markers_is_refused_naming_both() -> None:
    # The first was read and the other passed over without a word (FastAPI refuses them).
    router = Router()

    async def two(connection: Connection, x: Annotated[int, Query(), Header()] = 1) -> int:
        return x

    async def provided(
        connection: Connection, x: Annotated[int, Query(), Depends(two_marker_source)] = 1
    ) -> int:
        return x

    async def annotated_and_default(
        connection: Connection,
        x: Annotated[int, Depends(two_marker_source)] = Depends(lambda: 8),  # noqa: B008
    ) -> int:
        return x

    async def said_twice(
        connection: Connection,
        x: Annotated[int, Depends(two_marker_source)] = Depends(two_marker_source),  # noqa: B008
    ) -> int:
        return x

    for handler, marks in [
        (two, "Query() and Header()"),
        (provided, "Query() and Depends()"),
        (annotated_and_default, "Depends() and Depends()"),
    ]:
        with pytest.raises(ConfigurationError) as raised:
            router.add_route("/x", handler)
        assert str(raised.value) == (
            f"{handler.__qualname__}: parameter 'x' is marked {marks}: give it one, which says "
            "where its value comes from"
        )
    # The same provider in both places says one thing: served.
    router.add_route("/same", said_twice)
    assert TestClient(aaf([router])).get("/same").json() == 7


# Every source marker by name, called as users call them (with what type checkers refuse too).
MARKERS: dict[str, Callable[..., object]] = {
    "Query": Query,
    "Header": Header,
    "Cookie": Cookie,
    "Form": Form,
    "File": File,
    "Body": Body,
    "Path": Path,
}


def test_a_keyword_a_marker_does_not_take_is_a_type_error_not_ignored() -> None:
    # Before, pydantic's Field() kept unknown keywords as schema extras: Query(gte=1) checked
    # nothing and let -4 through. Type checkers refuse these calls; so does the marker now.
    for name, marker in MARKERS.items():
        with pytest.raises(
            TypeError, match=rf"^{name}\(\) got an unexpected keyword argument 'gte' \("
        ):
            marker(gte=1)
    said = {
        "default": "give the default as the parameter's",
        "regex": "pydantic's name for it is pattern=",
        "embed": "a body is one model",
        # pydantic 1's and FastAPI's old names
        "example": "write examples=\\[...\\], a list",
        "min_items": "pydantic's name for it is min_length=",
        "max_items": "pydantic's name for it is max_length=",
        # pydantic's (and FastAPI's) two aliases: aaf's markers have one, the wire's name
        "validation_alias": "the value's name on the wire is alias=",
        "serialization_alias": "the value's name on the wire is alias=",
    }
    for keyword, how in said.items():
        with pytest.raises(TypeError, match=f"'{keyword}': {how}"):
            MARKERS["Body"](**{keyword: True})
    with pytest.raises(TypeError, match="'alias': the rule names a path value"):
        MARKERS["Path"](alias="other")
    with pytest.raises(TypeError, match="'include_in_schema': a path value is always"):
        MARKERS["Path"](include_in_schema=False)
    every = Query(
        alias="q",
        include_in_schema=False,
        description="d",
        title="t",
        examples=[1],
        deprecated=True,
        gt=0,
        ge=1,
        lt=10,
        le=9,
        multiple_of=1,
        min_length=1,
        max_length=2,
        pattern="x",
    )
    assert len(every.field) == 12
    # Shown as written (it showed the alias alone: Body(alias='p'), a constraint unseen).
    assert repr(Query()) == "Query()"
    assert repr(MARKERS["Body"](alias="p", multiple_of=2)) == "Body(alias='p', multiple_of=2)"
    assert repr(Header(ge=1, include_in_schema=False)) == "Header(ge=1, include_in_schema=False)"


def test_a_bytes_form_field_takes_a_files_content_as_fastapis_file() -> None:
    router = Router()

    @router.post("/files")
    async def files(
        connection: Connection,
        data: Annotated[bytes, File()],
        more: Annotated[list[bytes] | None, File()] = None,
        upload: Annotated[UploadFile | None, File()] = None,  # File() is Form() for uploads
    ) -> dict[str, object]:
        name = upload.filename if upload is not None else None
        return {"data": data.hex(), "more": [m.decode() for m in more or []], "upload": name}

    app = aaf([router])
    client = TestClient(app)
    parts = [
        ("data", ("a.bin", b"\x00\xff")),
        ("more", ("x.txt", b"12")),
        ("more", ("y.txt", b"345")),
        ("upload", ("u.txt", b"u")),
    ]
    assert client.post("/files", files=parts).json() == {
        "data": "00ff",
        "more": ["12", "345"],
        "upload": "u.txt",
    }
    # A plain field of that name is a value as ever; a file part with nothing in it (what a
    # browser sends for a file input left empty) counts as absent, as an empty value does.
    assert client.post("/files", data={"data": "abc"}).json()["data"] == "616263"
    empty = client.post("/files", files={"data": ("", b"")})
    assert [(e["loc"], e["type"]) for e in detail(empty)] == [(["body", "data"], "missing")]
    body = operation_of(app.openapi(), "/files", "post")["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["data"]["format"] == "binary"
    assert schema["required"] == ["data"]


def test_a_form_of_bytes_alone_is_documented_as_multipart() -> None:
    router = Router()

    @router.post("/raw")
    async def raw(connection: Connection, data: Annotated[bytes, File()]) -> int:
        return len(data)

    body = operation_of(aaf([router]).openapi(), "/raw", "post")["requestBody"]
    assert list(body["content"]) == ["multipart/form-data"]


def test_unannotated_path_parameter_keeps_the_converter_value(client: TestClient) -> None:
    assert client.get("/untyped/5/bob").json() == {"number": 5, "type": "int", "name": "bob"}


def test_headers_by_name_alias_and_list(client: TestClient) -> None:
    response = client.get(
        "/headers",
        headers=[
            ("X-Token", "t"),
            ("X-Number", "4"),
            ("Accept-Language", "en"),
            ("Accept-Language", "fr"),
        ],
    )
    assert response.json() == ["t", 4, ["en", "fr"]]
    errors = detail(client.get("/headers", headers={"X-Number": "many"}))
    assert [e["loc"] for e in errors] == [["header", "x-token"], ["header", "X-Number"]]


def test_cookies_are_typed(client: TestClient) -> None:
    assert client.get("/cookies", headers={"Cookie": "session=s1; visits=3"}).json() == ["s1", 3]
    errors = detail(client.get("/cookies", headers={"Cookie": "visits=lots"}))
    assert [e["loc"] for e in errors] == [["cookie", "session"], ["cookie", "visits"]]


def test_json_body_model_with_route_status_code(client: TestClient) -> None:
    response = client.post("/items", json={"id": 1, "name": "a", "price": 2})
    assert response.status_code == 201
    assert response.json() == {"id": 1, "name": "a", "price": 2.0}


def test_body_errors_list_every_field_under_body(client: TestClient) -> None:
    errors = detail(client.post("/items", json={"id": "x", "price": 0}))
    assert [e["loc"] for e in errors] == [["body", "id"], ["body", "name"], ["body", "price"]]


def test_body_that_is_not_json_answers_json_invalid(client: TestClient) -> None:
    errors = detail(
        client.post("/items", content=b"{nope", headers={"Content-Type": "application/json"})
    )
    assert errors[0]["type"] == "json_invalid"
    assert errors[0]["loc"][0] == "body"


def test_json_body_with_another_content_type_answers_415(client: TestClient) -> None:
    response = client.post("/items", content=b'{"id": 1}', headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_vendor_json_content_type_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/items",
        content=b'{"id": 1, "name": "a", "price": 1}',
        headers={"Content-Type": "application/vnd.api+json"},
    )
    assert response.status_code == 201


def test_missing_required_body_answers_422_missing(client: TestClient) -> None:
    errors = detail(client.post("/items"))
    assert errors == [{"loc": ["body"], "msg": "Field required", "type": "missing", "input": None}]


def test_optional_body_may_be_left_out(client: TestClient) -> None:
    assert client.post("/items/optional").text == "none"
    assert client.post("/items/optional", json={"id": 1, "name": "n", "price": 1}).text == "n"


def test_list_dataclass_typeddict_and_marked_scalar_bodies(client: TestClient) -> None:
    assert client.post("/many", json=[{"id": 1, "name": "a", "price": 1}] * 3).json() == 3
    assert detail(client.post("/many", json=[{"id": 1}]))[0]["loc"] == ["body", 0, "name"]
    assert client.post("/point", json={"x": 1, "y": 2}).json() == {"x": 1, "y": 2}
    assert client.post("/pair", json={"a": "1", "b": "x"}).json() == {"a": 1, "b": "x"}
    assert client.post("/scalar", json=21).json() == 42


def test_urlencoded_form_fields(client: TestClient) -> None:
    response = client.post("/form", data={"name": "ann", "age": "30", "tags": ["a", "b"]})
    assert response.json() == ["ann", 30, ["a", "b"]]
    errors = detail(client.post("/form", data={"age": "old"}))
    assert [e["loc"] for e in errors] == [["body", "name"], ["body", "age"]]


def test_form_parameter_with_a_json_body_answers_415(client: TestClient) -> None:
    assert client.post("/form", json={"name": "a"}).status_code == 415


def test_return_annotation_filters_what_goes_out(client: TestClient) -> None:
    assert client.get("/filtered").json() == {"name": "n"}
    assert client.get("/filtered-list").json() == [{"name": "a"}]


def test_str_goes_out_as_text_and_none_as_204(client: TestClient) -> None:
    response = client.get("/text")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "plain"
    assert client.get("/nothing").status_code == 204


def test_view_method_mixes_path_body_query_and_header(client: TestClient) -> None:
    response = client.put(
        "/mixed/3?verbose=1", json={"id": 1, "name": "a", "price": 1}, headers={"X-Request-Id": "r"}
    )
    assert response.json() == {
        "item_id": 3,
        "item": {"id": 1, "name": "a", "price": 1.0},
        "verbose": True,
        "rid": "r",
    }
    errors = detail(
        client.put("/mixed/3?verbose=perhaps", json={"id": "x", "name": "a", "price": 1})
    )
    assert [e["loc"] for e in errors] == [["query", "verbose"], ["body", "id"]]


@pytest.mark.parametrize(
    "query",
    [
        "q=%ff",
        "q=" + "x" * 10000,
        "q=a&q=b",
        "q=%00",
        "limit=1e10&q=x",
        "limit=%00&q=x",
        "when=yesterday&q=x",
    ],
)
def test_odd_query_strings_answer_2xx_or_422(client: TestClient, query: str) -> None:
    assert client.get("/query?" + query).status_code in (200, 422)


class Login(BaseModel):
    username: str
    password: str
    remember: bool = False
    scopes: list[str] = []


def test_a_model_marked_form_is_filled_from_the_whole_form() -> None:
    # As FastAPI's form models: the form's fields are the model's.
    router = Router()

    @router.post("/login")
    async def login(connection: Connection, data: Annotated[Login, Form()]) -> Login:
        return data

    client = TestClient(aaf([router]))
    filled = client.post(
        "/login",
        content=b"username=ann&password=pw&remember=on&scopes=a&scopes=b&password=pw2",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert filled.json() == {
        "username": "ann",
        "password": "pw2",  # a repeated key: the last value, as for single fields
        "remember": True,
        "scopes": ["a", "b"],
    }
    multipart = client.post("/login", files={"username": (None, "bob"), "password": (None, "x")})
    assert multipart.json()["username"] == "bob"
    missing = client.post("/login", data={"username": "ann", "password": ""})  # empty: absent
    assert missing.status_code == 422
    assert [e["loc"] for e in missing.json()["detail"]] == [["body", "password"]]
    body = operation_of(aaf([router]).openapi(), "/login", "post")["requestBody"]
    schema = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(schema["properties"]) == {"username", "password", "remember", "scopes"}
    assert set(schema["required"]) == {"username", "password"}


class Caller(BaseModel):
    x_token: str
    x_tags: list[str] = []
    accept_language: str = "en"


class Session(BaseModel):
    session: str
    theme: str = "light"


def test_models_marked_header_or_cookie_are_filled_from_every_header_or_cookie() -> None:
    # As FastAPI's header and cookie models: x_token reads the header x-token; a repeated
    # header or cookie gives the first value, a list field takes every one.
    router = Router()

    @router.get("/who")
    async def who(
        connection: Connection,
        caller: Annotated[Caller, Header()],
        session: Annotated[Session, Cookie()],
    ) -> list[object]:
        return [caller.model_dump(), session.model_dump()]

    client = TestClient(aaf([router]))
    headers = [
        ("X-Token", "first"),
        ("X-Token", "second"),
        ("X-Tags", "a"),
        ("X-Tags", "b"),
        ("Cookie", "session=s1; theme=dark; session=s2"),
    ]
    answer = client.get("/who", headers=headers)
    assert answer.json() == [
        {"x_token": "first", "x_tags": ["a", "b"], "accept_language": "en"},
        {"session": "s1", "theme": "dark"},
    ]
    missing = client.get("/who")
    assert missing.status_code == 422
    assert [e["loc"] for e in missing.json()["detail"]] == [
        ["header", "x-token"],  # the header, as FastAPI and the document name it
        ["cookie", "session"],
    ]
    parameters = operation_of(aaf([router]).openapi(), "/who", "get")["parameters"]
    assert {(p["in"], p["name"], p["required"]) for p in parameters} == {
        ("header", "x-token", True),
        ("header", "x-tags", False),
        ("header", "accept-language", False),
        ("cookie", "session", True),
        ("cookie", "theme", False),
    }


class AliasedPaging(BaseModel):
    model_config = {"extra": "allow"}
    page: list[int] = Field(default=[], alias="p")
    sort: str = Field(default="", alias="s")


def test_a_query_models_aliased_fields_are_read_by_their_aliases_alone() -> None:
    # A field with an alias reads that key only (pydantic's reading): its name is another
    # key, given to an extra="allow" model as any other, every value when repeated, as
    # FastAPI gives it. Before, `page` counted as the list field's key (one value in a
    # list) and `sort` as a field's (its last value only).
    router = Router()

    @router.get("/items")
    async def items(
        connection: Connection, paging: Annotated[AliasedPaging, Query()]
    ) -> dict[str, object]:
        return paging.model_dump(by_alias=True)

    answer = TestClient(aaf([router])).get("/items?page=1&sort=a&sort=b&p=2&s=x")
    assert answer.json() == {"p": [2], "s": "x", "page": "1", "sort": ["a", "b"]}


class Forwarded(BaseModel):
    model_config = {"extra": "allow"}
    x_user: str = ""
    hops: list[int] = Field(default=[], alias="X-Hop_Count")


class Underscored(BaseModel):
    x_user: str = ""


class Strictly(BaseModel):
    model_config = {"extra": "forbid"}
    x_user: str = ""
    host: str = ""  # without it, refused: every request carries one


class _Closed(BaseModel):
    model_config = {"extra": "forbid"}
    x_tag: str = ""


def test_a_header_model_that_forbids_extra_headers_is_refused() -> None:
    # Every HTTP/1.1 request carries Host (and clients add User-Agent, Accept, ...): such a
    # model answered every request 422, as FastAPI's does.
    async def tagged(connection: Connection, headers: Annotated[_Closed, Header()]) -> None: ...

    with pytest.raises(ConfigurationError) as raised:
        Router().add_route("/tagged", tagged)
    assert str(raised.value).endswith(
        "tagged: parameter 'headers': the header model _Closed forbids extra keys "
        "(extra='forbid'), but every request carries headers it does not read (Host, and "
        "what the client adds): every request would be a 422; leave extra at 'ignore' and "
        "check the headers you refuse in a provider"
    )


def test_a_header_models_fields_read_their_headers_by_name_and_nothing_else() -> None:
    # A field reads the header named by its alias as written (in any case), else its name
    # with `-` for `_` (its name itself under convert_underscores=False), as FastAPI reads a
    # header model; a 422 and the document name that header. Before, each header's name was
    # made `x_user` and compared with the fields: an aliased field was never filled, and
    # `X_User` (a header a proxy drops, or passes beside the `X-User` it sets after checking
    # who is calling) filled x_user, the first of the two winning.
    router = Router()

    @router.get("/who")
    async def who(
        connection: Connection,
        seen: Annotated[Forwarded, Header()],
        key: Annotated[str, Depends(APIKeyHeader(name="X-Key"))],
    ) -> dict[str, object]:
        return seen.model_dump(by_alias=True)

    @router.get("/strict")
    async def strictly(
        connection: Connection,
        seen: Annotated[Strictly, Header()],
        key: Annotated[str, Depends(APIKeyHeader(name="X-Key"))],
    ) -> str:
        return key

    @router.get("/raw")
    async def raw(
        connection: Connection, seen: Annotated[Underscored, Header(convert_underscores=False)]
    ) -> str:
        return seen.x_user

    app = aaf([router])
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        sent = [("X_User", "mallory"), ("X-User", "alice"), ("x-hop_count", "1, 2"), ("X-Key", "k")]
        answer = client.get("/who", headers=sent)
        assert answer.status_code == 200, answer.text
        got = answer.json()
        assert (got["x_user"], got["X-Hop_Count"]) == ("alice", [1, 2])
        # Headers no field reads go to an extra="allow" model by their names, as FastAPI's;
        # `X_User` is not one of them.
        assert got["user-agent"].startswith("python-httpx")
        assert "mallory" not in got.values()
        # A model refusing what it does not read is not given the scheme's header (nor
        # `X_User`, dropped as for any header model).
        strict = client.get("/strict", headers={"X-Key": "k", "X_User": "m"}).json()["detail"]
        assert {e["loc"][1] for e in strict} == {
            "accept",
            "accept-encoding",
            "user-agent",
            "connection",
        }
        alone = client.get("/who", headers={"X_User": "mallory", "X-Key": "k"}).json()
        assert alone["x_user"] == ""
        wrong = client.get("/who", headers={"X-Hop_Count": "1, x", "X-Key": "k"}).json()
        assert [(e["loc"], e["input"]) for e in wrong["detail"]] == [
            (["header", "X-Hop_Count", 1], "x")
        ]
        assert client.get("/raw", headers={"X_User": "bob", "X-User": "eve"}).text == "bob"
    document = app.openapi()
    names = [p["name"] for p in operation_of(document, "/who", "get")["parameters"]]
    assert names == ["x-user", "X-Hop_Count"]
    assert [p["name"] for p in operation_of(document, "/raw", "get")["parameters"]] == ["x_user"]


def test_an_unmarked_dict_or_list_of_dicts_is_the_json_body() -> None:
    # No query value is a mapping: an unmarked dict was taken for a query parameter, and every
    # request answered 422 "missing" for it (FastAPI reads it from the body).
    router = Router()

    @router.post("/scores")
    async def scores(connection: Connection, payload: dict[str, int], top: int = 1) -> int:
        return sorted(payload.values())[-top]

    @router.post("/rows")
    async def rows(connection: Connection, payload: list[dict[str, str]]) -> int:
        return len(payload)

    app = aaf([router])
    client = TestClient(app)
    assert client.post("/scores", json={"a": 1, "b": 5}).json() == 5
    wrong = client.post("/scores", json={"a": "x"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "a"]
    assert client.post("/rows", json=[{"k": "v"}, {}]).json() == 2
    body = operation_of(app.openapi(), "/scores", "post")["requestBody"]
    assert body["content"]["application/json"]["schema"]["type"] == "object"


def test_a_header_marked_convert_underscores_false_reads_its_name_as_written() -> None:
    router = Router()

    @router.get("/headers")
    async def headers(
        connection: Connection,
        x_token: Annotated[str | None, Header()] = None,
        x_raw: Annotated[str | None, Header(convert_underscores=False)] = None,
    ) -> dict[str, str | None]:
        return {"token": x_token, "raw": x_raw}

    client = TestClient(aaf([router]))
    sent = [("x-token", "dashes"), ("x_token", "under"), ("x-raw", "dashes"), ("x_raw", "under")]
    assert client.get("/headers", headers=sent).json() == {"token": "dashes", "raw": "under"}
    assert client.get("/headers", headers=[("x-raw", "dashes")]).json() == {
        "token": None,
        "raw": None,
    }
    document = cast("Document", aaf([router]).openapi())
    names = [p["name"] for p in operation_of(document, "/headers", "get")["parameters"]]
    assert names == ["x-token", "x_raw"]


def test_markers_take_fastapis_number_constraints_and_schema_extras() -> None:
    # FastAPI's Query(allow_inf_nan=False), Query(max_digits=, decimal_places=) and
    # json_schema_extra: pydantic's own, checked as every other constraint is.
    router = Router()

    @router.get("/price")
    async def price(
        connection: Connection,
        amount: Annotated[Decimal, Query(max_digits=5, decimal_places=2)],
        rate: Annotated[float, Query(allow_inf_nan=False)] = 1.0,
        region: Annotated[str, Header(json_schema_extra={"x-internal": True})] = "eu",
    ) -> dict[str, str]:
        return {"amount": str(amount), "rate": str(rate), "region": region}

    app = aaf([router])
    client = TestClient(app)
    assert client.get("/price?amount=123.45&rate=0.5").json() == {
        "amount": "123.45",
        "rate": "0.5",
        "region": "eu",
    }
    for query, kind in (
        ("amount=1234.56", "decimal_max_digits"),
        ("amount=1234.5", "decimal_whole_digits"),
        ("amount=1.234", "decimal_max_places"),
        ("amount=1&rate=inf", "finite_number"),
        ("amount=1&rate=NaN", "finite_number"),
    ):
        refused = client.get(f"/price?{query}")
        assert refused.status_code == 422, query
        assert [e["type"] for e in refused.json()["detail"]] == [kind], query
    with pytest.raises(
        TypeError, match="argument .strict.: a query, header, cookie, form or path value is text"
    ):
        Query(strict=True)  # type: ignore[call-arg]
    parameters = {
        p["name"]: p
        for p in operation_of(cast("Document", app.openapi()), "/price", "get")["parameters"]
    }
    assert parameters["region"]["schema"]["x-internal"] is True


class _Filters(BaseModel):
    q: str | None = None
    limit: int = 10


@dataclasses.dataclass
class _Point:
    x: int


class _Shape(enum.Enum):
    ROUND = "round"


_Count = NewType("_Count", int)
_JSON_ANY: object = Json[Any]  # type: ignore[misc]  # Json is generic to pydantic, not to mypy


class _Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@pytest.mark.parametrize(
    ("annotation", "marker", "message"),
    [
        (str, Query(ge=1), "Query(ge=...) cannot constrain str, text; text takes max_length="),
        (str | None, Header(gt=0), "Header(gt=...) cannot constrain str, text"),
        (int, Query(max_length=2), "Query(max_length=...) cannot constrain int, a number"),
        (float, Cookie(pattern="^1"), "Cookie(pattern=...) cannot constrain float, a number"),
        (list[int], Query(ge=1), "Query(ge=...) cannot constrain list[int], a collection; a"),
        (bytes, Form(ge=1), "Form(ge=...) cannot constrain bytes, bytes"),
        (_Filters, Body(ge=1), "Body(ge=...) cannot constrain _Filters, a model; constrain"),
        (_Point, Body(max_length=2), "Body(max_length=...) cannot constrain _Point, a model"),
        (_Filters, Query(max_length=3), "Query(max_length=...) cannot constrain _Filters"),
        # Each below was a TypeError in pydantic at every request, a 500.
        (int, Query(max_digits=3), "Query(max_digits=...) cannot constrain int, a number; a"),
        (_Count, Query(max_length=2), "Query(max_length=...) cannot constrain _Count, a number"),
        (Literal["a", "b"], Query(ge=1), "Query(ge=...) cannot constrain Literal['a'], text"),
        (
            uuid.UUID,
            Header(max_length=36),
            "Header(max_length=...) cannot constrain UUID, a UUID; a UUID takes none",
        ),
        (
            _Shape,
            Query(max_length=5),
            "Query(max_length=...) cannot constrain _Shape, an enum member; an enum",
        ),
        (
            datetime,
            Query(max_length=5),
            "Query(max_length=...) cannot constrain datetime, a date or time; a",
        ),
        (Any, Query(gt=0), "Query(gt=...) cannot constrain Any, text; text takes"),
        (object, Form(ge=1), "Form(ge=...) cannot constrain object, text or a file; text or"),
        (Any, Form(max_length=3), "Form(max_length=...) cannot constrain Any, text or a file"),
        (Any, Body(min_length=1), "Body(min_length=...) cannot constrain Any, any JSON value"),
        (_JSON_ANY, Query(max_length=3), "Query(max_length=...) cannot constrain Any, any JSON"),
        # Types pydantic compared at the first request (a 500 each time): a date of its own,
        # collections written by what they do, a path, a complex number.
        (
            AwareDatetime,
            Query(max_length=5),
            "Query(max_length=...) cannot constrain AwareDatetime, a date or time; a",
        ),
        (Sequence[int], Query(ge=1), "Query(ge=...) cannot constrain Sequence[int], a collection"),
        (deque[int], Body(gt=0), "Body(gt=...) cannot constrain deque[int], a collection"),
        (PurePath, Query(pattern="^/"), "Query(pattern=...) cannot constrain PurePath, a file"),
        (complex, Query(ge=0), "Query(ge=...) cannot constrain complex, a complex number; a"),
        (SecretStr, Form(pattern="[0-9]"), "Form(pattern=...) cannot constrain SecretStr, secret"),
        (Secret[int], Query(ge=0), "Query(ge=...) cannot constrain Secret[int], a secret value"),
        (
            re.Pattern[str],
            Query(max_length=9),
            "Query(max_length=...) cannot constrain Pattern[str], a compiled pattern",
        ),
        # pydantic's own refusal, where the constraint's value is of the wrong type.
        (date, Query(ge=1), "pydantic cannot validate it: ValueError: 'ge' must be coercible"),
        (date, Body(gt=0), "pydantic cannot validate it: ValueError: 'gt' must be coercible"),
    ],
)
def test_a_constraint_the_type_cannot_take_is_refused_at_registration(
    annotation: Any, marker: Any, message: str
) -> None:
    # pydantic would check it by comparing each value ("abc" >= 1): a TypeError, a 500 at
    # every request, for a mistake registration can name.
    async def find(connection: Connection, x: object) -> str:
        return "found"

    # Made here: under `from __future__ import annotations`, a local in an annotation is not
    # found again.
    find.__annotations__ = {"connection": Connection, "x": Annotated[annotation, marker]}
    with pytest.raises(ConfigurationError, match=re.escape(f"find: parameter 'x': {message}")):
        Router().add_route("/find", find, methods=["POST"])


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (
            Annotated[int, Field(max_length=3)],
            "Field(max_length=...) cannot constrain int, a number; a number takes",
        ),
        (Annotated[str, Field(gt=0), Query()], "Field(gt=...) cannot constrain str, text"),
        (Annotated[str | None, Ge(1)], "Ge(ge=...) cannot constrain str, text; text takes"),
        (Annotated[int, MaxLen(2)], "MaxLen(max_length=...) cannot constrain int, a number"),
        (
            Annotated[float, StringConstraints(pattern="^1")],
            "StringConstraints(pattern=...) cannot constrain float, a number",
        ),
        (Annotated[_Filters, Field(max_length=3)], "Field(max_length=...) cannot constrain"),
    ],
)
def test_a_constraint_written_in_the_annotation_is_judged_as_a_markers_is(
    annotation: Any, message: str
) -> None:
    # `Annotated[int, Field(max_length=3)]` was left to pydantic: a TypeError, a 500 at
    # every request, for the mistake a marker's constraint is refused for at registration.
    async def find(connection: Connection, x: object) -> str:
        return "found"

    find.__annotations__ = {"connection": Connection, "x": annotation}
    with pytest.raises(ConfigurationError, match=re.escape(f"find: parameter 'x': {message}")):
        Router().add_route("/find", find)
    path = Router()

    async def at(connection: Connection, x: object) -> str:
        return "found"

    at.__annotations__ = {"connection": Connection, "x": Annotated[int, Field(pattern="^1")]}
    with pytest.raises(ConfigurationError, match="Field\\(pattern=...\\) cannot constrain int"):
        path.add_route("/at/<x>", at)


class _Scored(BaseModel):
    score: Annotated[int | str, Field(gt=0)] = 1


class _Noted(BaseModel):
    note: Annotated[Any, Field(max_length=20)] = ""


class _Tagged(BaseModel):
    tags: list[Annotated[str | int, Field(max_length=3)]] = []


class _Dated(BaseModel):
    when: Annotated[date | int, Field(ge=0)] = 0


class _Coded(BaseModel):
    code: Annotated[Any, Field(pattern="^[a-z]+$")] = "a"


@dataclasses.dataclass
class _Counted:
    count: Annotated[int | str, Field(lt=10)] = 0


class _Fine(BaseModel):
    # What pydantic compares safely: numbers of two kinds, an IntEnum's and a Literal's
    # numbers, a str enum's or a list's length, `None` apart from its bound.
    ratio: Annotated[int | float, Field(gt=0)] = 1
    level: Annotated[Literal[1, 2, 3], Field(ge=2)] = 2
    size: Annotated[str | list[int], Field(max_length=3)] = ""
    limit: Annotated[int | None, Field(ge=1)] = None
    note: Annotated[str, Field(pattern="^[a-z]*$")] = ""


@pytest.mark.parametrize(
    ("model", "marker", "refused", "field", "said"),
    [
        (_Scored, None, {"score": "abc"}, "score", "gt= applies to str there"),
        (_Scored, Query(), {"score": "abc"}, "score", "gt= applies to str there"),
        (_Noted, None, {"note": 5}, "note", "max_length= applies to values of any type there"),
        (_Tagged, None, {"tags": [1234]}, "tags", "max_length= applies to int there"),
        (_Dated, None, {"when": "2020-01-01"}, "when", "ge= applies to date there"),
        (_Coded, None, {"code": 5}, "code", "pattern= applies to values of any type there"),
    ],
)
def test_a_models_constraint_pydantic_cannot_compare_a_value_with_is_refused(
    model: type[BaseModel], marker: Any, refused: dict[str, object], field: str, said: str
) -> None:
    # pydantic checks such a constraint by comparing each value ("abc" > 0), and raises
    # TypeError where it cannot: not a 422, a 500 for what a client sent. Registration says
    # so, as it does for a parameter's own constraint.
    with pytest.raises(TypeError, match="Unable to apply constraint"):
        model.model_validate(refused)

    async def save(connection: Connection, x: object) -> str:
        return "saved"

    save.__annotations__ = {
        "connection": Connection,
        "x": Annotated[model, marker] if marker else model,
    }
    with pytest.raises(ConfigurationError) as raised:
        Router().add_route("/save", save, methods=["POST"])
    message = str(raised.value)
    assert f".save: parameter 'x', field {field}: {said}" in message, message
    assert "Annotated[int, Field(gt=0)] | str" in message


def test_a_dataclass_bodys_constraint_pydantic_cannot_compare_is_refused() -> None:
    async def count(connection: Connection, counted: _Counted) -> None: ...

    with pytest.raises(ConfigurationError, match="'counted', field count: lt= applies to str"):
        Router().add_route("/count", count, methods=["POST"])


def test_a_websocket_messages_constraint_pydantic_cannot_compare_is_refused() -> None:
    class Room(WebSocketView):
        async def on_receive(self, connection: Connection, data: _Scored) -> None: ...

    with pytest.raises(ConfigurationError, match="parameter 'data', field score: gt= applies"):
        Router().websocket("/room")(Room)


def test_a_models_constraints_pydantic_compares_safely_are_served() -> None:
    router = Router()

    @router.post("/fine")
    async def fine(connection: Connection, body: _Fine) -> _Fine:
        return body

    @router.get("/fine")
    async def fine_query(connection: Connection, query: Annotated[_Fine, Query()]) -> _Fine:
        return query

    client = TestClient(aaf([router]))
    sent = {"ratio": 0.5, "level": 3, "size": [1, 2], "limit": None, "note": "ab"}
    assert client.post("/fine", json=sent).json() == sent
    assert client.post("/fine", json={"ratio": 0}).status_code == 422
    assert client.post("/fine", json={"size": "abcd"}).status_code == 422
    assert client.get("/fine?ratio=2&level=2&limit=3").json()["limit"] == 3
    assert client.get("/fine?ratio=-1").status_code == 422


def test_constraints_written_in_the_annotation_that_fit_still_apply() -> None:
    router = Router()

    @router.get("/fine/<int:n>")
    async def fine(
        connection: Connection,
        n: Annotated[int, Field(le=9)],
        limit: Annotated[int, Field(gt=0, multiple_of=5)] = 10,
        word: Annotated[str, MaxLen(3), StringConstraints(pattern="^[a-z]+$")] = "abc",
        ids: Annotated[list[int], Field(max_length=2), Query()] = [],  # noqa: B006  # a default never changed
    ) -> list[object]:
        return [n, limit, word, ids]

    with TestClient(aaf([router])) as client:
        assert client.get("/fine/3?limit=15&word=ab&ids=1").json() == [3, 15, "ab", [1]]
        refused = client.get("/fine/30?limit=7&word=ABCD&ids=1&ids=2&ids=3")
        assert [e["loc"] for e in refused.json()["detail"]] == [
            ["path", "n"],
            ["query", "limit"],
            ["query", "word"],
            ["query", "ids"],
        ]


@pytest.mark.parametrize(
    ("keywords", "named"),
    [
        ({"description": "The filters"}, "description="),
        ({"alias": "f"}, "alias="),
        ({"openapi_examples": {"lamps": {"value": {"q": "lamp"}}}}, "openapi_examples="),
        ({"examples": [{"q": "lamp"}], "deprecated": True}, "examples=, deprecated="),
    ],
)
def test_a_model_marked_query_refuses_what_would_apply_to_none_of_its_fields(
    keywords: dict[str, Any], named: str
) -> None:
    # Each field is a parameter of its own: the marker's words would be silently dropped.
    async def search(connection: Connection, x: object) -> str:
        return "found"

    search.__annotations__ = {"connection": Connection, "x": Annotated[_Filters, Query(**keywords)]}
    with pytest.raises(ConfigurationError, match=re.escape(f"Query({named}...) applies to no")):
        Router().add_route("/search", search)


def test_constraints_the_type_takes_still_apply() -> None:
    router = Router()

    @router.get("/fine")
    async def fine(
        connection: Connection,
        level: Annotated[_Level, Query(ge=2)],
        flag: Annotated[bool, Query(gt=0)],
        word: Annotated[str, Query(max_length=3, pattern="^[a-z]+$")],
        ids: Annotated[list[int], Query(max_length=2)],
        price: Annotated[Decimal, Query(max_digits=4, decimal_places=2)],
        share: Annotated[Fraction, Query(ge=1)],  # a type aaf leaves to pydantic
        since: Annotated[AwareDatetime, Query()],
        few: Annotated[Sequence[int], Query(max_length=2)],
        size: Annotated[Literal["s", "m"], Query(max_length=1)],
        filters: Annotated[_Filters, Query(include_in_schema=False)],
    ) -> list[object]:
        return [level, flag, word, ids, str(price), str(share), size, filters.limit, list(few)]

    with TestClient(aaf([router])) as client:
        query = "level=2&flag=true&word=abc&ids=1&ids=2&price=12.5&share=3/2&size=m"
        query += "&since=2024-01-01T00:00:00Z&few=7"
        assert client.get(f"/fine?{query}&limit=3").json() == [
            2,
            True,
            "abc",
            [1, 2],
            "12.5",
            "3/2",
            "m",
            3,
            [7],
        ]
        naive = client.get(f"/fine?{query.replace('T00:00:00Z', 'T00:00:00')}")
        assert naive.status_code == 422
        assert naive.json()["detail"][0]["loc"] == ["query", "since"]
        too_low = client.get(f"/fine?{query.replace('level=2', 'level=1')}")
        assert too_low.status_code == 422
        assert too_low.json()["detail"][0]["loc"] == ["query", "level"]
        too_many = client.get(f"/fine?{query}&ids=3")
        assert too_many.status_code == 422
        assert too_many.json()["detail"][0]["type"] == "too_long"


def test_literals_of_integers_and_booleans_take_their_text_from_every_source() -> None:
    # pydantic compares a Literal's values with the text as it is ("2" is not 2), so a query
    # value documented as the integers 1, 2 or 3 was refused whatever was sent (as FastAPI
    # still refuses it). Each source's text now names the value it spells.
    router = Router()

    @router.post("/versions/<v>")
    async def versions(
        connection: Connection,
        v: Literal[1, 2],
        lit: Literal[1, 2, 3] = 1,
        steps: list[Literal[-1, 5]] | None = None,
        strict: Literal[True] | None = None,
        either: Literal["a", 1] = "a",
        tier: Annotated[Literal[10, 20] | None, Header()] = None,
        level: Annotated[Literal[0, 1], Cookie()] = 0,
        size: Annotated[Literal[7, 9], Form()] = 7,
    ) -> dict[str, object]:
        return {
            "v": v,
            "lit": lit,
            "steps": steps,
            "strict": strict,
            "either": either,
            "tier": tier,
            "level": level,
            "size": size,
        }

    app = aaf([router])
    client = TestClient(app, cookies={"level": "1"})
    answer = client.post(
        "/versions/2?lit=3&steps=5&steps=-1&strict=true&either=1",
        headers={"tier": "20"},
        data={"size": "9"},
    )
    assert answer.json() == {
        "v": 2,
        "lit": 3,
        "steps": [5, -1],
        "strict": True,
        "either": 1,
        "tier": 20,
        "level": 1,
        "size": 9,
    }
    # A text value that is also one of the literals is itself.
    assert client.post("/versions/1?either=a").json()["either"] == "a"
    refused = client.post("/versions/3?lit=4&strict=false")
    assert [(e["loc"], e["input"], e["type"]) for e in refused.json()["detail"]] == [
        (["path", "v"], "3", "literal_error"),
        (["query", "lit"], "4", "literal_error"),
        (["query", "strict"], "false", "literal_error"),
    ]
    # The document offers the numbers, as before.
    parameters = operation_of(cast(Document, app.openapi()), "/versions/{v}", "post")["parameters"]
    lit = next(p for p in cast("list[dict[str, Any]]", parameters) if p["name"] == "lit")
    assert lit["schema"] == {"enum": [1, 2, 3], "title": "Lit", "type": "integer", "default": 1}


class Layout(BaseModel):
    columns: Literal[1, 2, 3] = 1
    compact: Literal[True] | None = None
    widths: list[Literal[50, 100]] = []
    pair: tuple[int, Literal[0, 1]] | None = None
    zoom: Literal[1, 2] = Field(default=1, alias="zoom-level")


def test_a_models_literal_integers_and_booleans_read_from_text_take_their_spelling() -> None:
    # A model marked Query(), Header(), Cookie() or Form(): its fields' Literal numbers take
    # their text as a parameter's do. Before, every value was a 422 (FastAPI's too), though
    # the document offers the numbers.
    router = Router()

    @router.post("/layout")
    async def layout(
        connection: Connection,
        query: Annotated[Layout, Query()],
        headers: Annotated[Layout, Header()],
        form: Annotated[Layout, Form()],
    ) -> dict[str, object]:
        return {"query": query, "headers": headers, "form": form}

    app = aaf([router])
    client = TestClient(app)
    answer = client.post(
        "/layout?columns=3&compact=true&widths=100&widths=50&pair=7&pair=1&zoom-level=2",
        headers={"columns": "2", "compact": "1"},
        data={"columns": "02", "widths": ["50"]},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "query": {
            "columns": 3,
            "compact": True,
            "widths": [100, 50],
            "pair": [7, 1],
            "zoom-level": 2,
        },
        "headers": {"columns": 2, "compact": True, "widths": [], "pair": None, "zoom-level": 1},
        "form": {"columns": 2, "compact": None, "widths": [50], "pair": None, "zoom-level": 1},
    }
    refused = client.post("/layout?columns=4&widths=50&widths=75&pair=x&pair=2&compact=no")
    assert [(e["loc"], e["input"], e["type"]) for e in refused.json()["detail"]] == [
        (["query", "columns"], "4", "literal_error"),
        (["query", "compact"], "no", "literal_error"),
        (["query", "widths", 1], "75", "literal_error"),
        (["query", "pair", 0], "x", "int_parsing"),
        (["query", "pair", 1], "2", "literal_error"),
    ]
    parameters = operation_of(cast(Document, app.openapi()), "/layout", "post")["parameters"]
    columns = next(p for p in cast("list[dict[str, Any]]", parameters) if p["name"] == "columns")
    assert columns["schema"]["enum"] == [1, 2, 3]


class Strict(BaseModel):
    model_config = {"extra": "forbid"}
    page: int = 1
    size: int = Field(default=10, alias="page-size")


class StrictHeaders(BaseModel):
    model_config = {"extra": "forbid"}
    host: str = ""
    x_hops: list[int] = []


def test_a_model_that_forbids_extra_keys_is_not_given_the_routes_other_values() -> None:
    # A query value another parameter (or a provider) of the route reads is the route's, and
    # listed in its document: not extra to a model with extra="forbid" (FastAPI refuses it).
    router = Router()

    def version_of(v: int = 1) -> int:
        return v

    @router.get("/items")
    async def items(
        connection: Connection,
        paging: Annotated[Strict, Query()],
        sort: str = "name",
        version: int = Depends(version_of),
    ) -> dict[str, object]:
        return {"page": paging.page, "size": paging.size, "sort": sort, "version": version}

    @router.get("/hops")
    async def hops(
        connection: Connection,
        seen: Annotated[StrictHeaders, Header()],
        x_token: Annotated[str, Header()] = "",
    ) -> dict[str, object]:
        return {"hops": seen.x_hops, "token": x_token}

    key = APIKeyQuery(name="api-key")

    @router.get("/keyed")
    async def keyed(
        connection: Connection, paging: Annotated[Strict, Query()], given: str = Depends(key)
    ) -> dict[str, object]:
        return {"page": paging.page, "key": given}

    client = TestClient(aaf([router]))
    # A security scheme's key is the route's too (it reads it by hand, not as a parameter).
    assert client.get("/keyed?page=3&api-key=k").json() == {"page": 3, "key": "k"}
    answer = client.get("/items?page=2&page-size=5&sort=date&v=3")
    assert answer.json() == {"page": 2, "size": 5, "sort": "date", "version": 3}
    refused = client.get("/items?page=2&other=1")
    assert [(e["type"], e["loc"]) for e in refused.json()["detail"]] == [
        ("extra_forbidden", ["query", "other"])
    ]
    allowed = {"host": "testserver", "x-token": "t", "x-hops": "1"}
    got = client.get("/hops", headers=allowed)  # httpx adds its own headers: forbidden
    assert got.status_code == 422
    extra = {e["loc"][1] for e in got.json()["detail"]}
    assert "x-token" not in extra and "x-hops" not in extra and "accept" in extra


class Hops(BaseModel):
    x_hops: list[int] = []
    x_name: str = ""


def test_a_header_read_as_a_list_takes_comma_separated_elements_and_ignores_empty_ones() -> None:
    # RFC 9110: `X-Ids: 1, 2` is the lines `X-Ids: 1` and `X-Ids: 2`, as OpenAPI's `simple`
    # style (a header array's) writes it; an empty element (an empty line: how a client
    # sends no ids) is ignored.
    router = Router()

    @router.get("/ids")
    async def ids(
        connection: Connection,
        hops: Annotated[Hops, Header()],
        x_ids: Annotated[list[int] | None, Header()] = None,
    ) -> dict[str, object]:
        return {"ids": x_ids, "hops": hops.x_hops, "name": hops.x_name}

    @router.get("/tags")
    async def etags(connection: Connection, if_match: Annotated[list[str], Header()]) -> list[str]:
        return if_match

    client = TestClient(aaf([router]))
    sent = [("x-ids", "1, 2"), ("x-ids", "3"), ("x-hops", "4,5"), ("x-name", "a, b")]
    assert client.get("/ids", headers=sent).json() == {
        "ids": [1, 2, 3],
        "hops": [4, 5],
        "name": "a, b",  # not a list: the line as it came
    }
    empty = [("x-ids", ""), ("x-hops", ""), ("x-hops", " , ")]
    assert client.get("/ids", headers=empty).json() == {"ids": None, "hops": [], "name": ""}
    # A comma in a quoted string is the element's (entity tags may hold one), quotes kept.
    tags = client.get("/tags", headers={"if-match": '"a,b", W/"c" , "d\\",e"'}).json()
    assert tags == ['"a,b"', 'W/"c"', '"d\\",e"']
    (entry,) = client.get("/ids", headers={"x-ids": "1,x"}).json()["detail"]
    assert (entry["loc"], entry["input"]) == (["header", "x-ids", 1], "x")


def test_a_query_only_route_reads_the_query_as_one_that_reads_more_does() -> None:
    # A route whose only parameters are query values of one value each is read the short way
    # (each key's last value straight to the validator); beside a header, the general way.
    # Both give the same values and the same 422s.
    router = Router()

    @router.get("/short/<int:page>")
    async def short(
        connection: Connection,
        page: int,
        q: str,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        tag: Annotated[str | None, Query(alias="tag-name")] = None,
    ) -> list[object]:
        return [page, q, limit, tag]

    @router.get("/general/<int:page>")
    async def general(
        connection: Connection,
        page: int,
        q: str,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        tag: Annotated[str | None, Query(alias="tag-name")] = None,
        agent: Annotated[str, Header(alias="x-agent")] = "",
    ) -> list[object]:
        return [page, q, limit, tag]

    client = TestClient(aaf([router]))
    queries = [
        "q=lamp", "q=lamp&limit=5", "q=a&q=b&limit=1&limit=7", "q=x+y&tag-name=%26%F0%9F%90%8D",
        "q=%ff", "q=&limit=", "limit=5", "", "q=lamp&limit=0", "q=lamp&limit=abc&tag-name",
        "q=1&tag_name=alias-only&&", "=&q=v&limit=100", "q=lamp&limit=5.0", "Q=upper",
    ]  # fmt: skip
    for query in queries:
        fast, slow = client.get(f"/short/3?{query}"), client.get(f"/general/3?{query}")
        assert (fast.status_code, fast.json()) == (slow.status_code, slow.json()), query
    assert client.get("/short/3?q=a&q=b&limit=1&limit=7").json() == [3, "b", 7, None]
    assert client.get("/short/3?limit=0").json()["detail"][0]["loc"] == ["query", "q"]


def test_a_json_body_reaches_the_handler_by_position_or_by_name() -> None:
    # A handler whose one argument is its JSON body gets it by position when it takes it
    # right after the connection (a PERF path), else by name: every way answers the same.
    router = Router()

    @router.post("/positional")
    async def positional(connection: Connection, item: Item) -> str:
        return f"positional {item.name}"

    @router.post("/keyword-only")
    async def keyword_only(connection: Connection, *, item: Item) -> str:
        return f"keyword-only {item.name}"

    @router.post("/optional")
    async def optional(connection: Connection, item: Item | None = None) -> str:
        return f"optional {'none' if item is None else item.name}"

    @router.post("/large")
    async def large(connection: Connection, items: list[Item]) -> str:
        return f"large {len(items)}"

    @router.post("/sync")
    def sync(connection: Connection, item: Item) -> str:
        return f"sync {item.name}"

    def logged(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:  # takes the body by name
            assert "item" in kwargs
            return await fn(*args, **kwargs)

        return wrapper

    @router.post("/wrapped")
    @logged
    async def wrapped(connection: Connection, item: Item) -> str:
        return f"wrapped {item.name}"

    @router.route("/view")
    class Items(View):
        async def post(self, connection: Connection, item: Item) -> str:
            return f"view {item.name}"

    item = {"id": 1, "name": "lamp", "price": 2}
    with TestClient(aaf([router])) as client:
        for path in ["positional", "keyword-only", "optional", "sync"]:
            assert client.post(f"/{path}", json=item).text == f"{path} lamp"
        assert client.post("/wrapped", json=item).text == "wrapped lamp"
        assert client.post("/view", json=item).text == "view lamp"
        assert client.post("/optional").text == "optional none"
        many = [item] * 2000  # past the size read in slices
        assert len(json_module.dumps(many)) > 64 * 1024
        assert client.post("/large", json=many).text == "large 2000"
        refused = client.post("/positional", json={"id": "x"})
        assert refused.status_code == 422
        assert {tuple(e["loc"]) for e in refused.json()["detail"]} == {
            ("body", "id"),
            ("body", "name"),
            ("body", "price"),
        }


def test_query_values_reach_the_handler_by_position_or_by_name() -> None:
    # A handler that reads only query values (and path values) gets two or three of them by
    # position when it takes them all so (a PERF path), else by name: every way answers the
    # same, defaults filled.
    router = Router()

    @router.get("/two")
    async def two(connection: Connection, q: str, limit: int = 20) -> str:
        return f"two {q} {limit}"

    @router.get("/three/<int:shelf>")
    async def three(connection: Connection, limit: int, shelf: int, q: str = "all") -> str:
        return f"three {q} {limit} {shelf}"

    @router.get("/keyword")
    async def keyword(connection: Connection, q: str, *, limit: int = 20) -> str:
        return f"keyword {q} {limit}"

    @router.get("/four")
    async def four(connection: Connection, a: int, b: int, c: int, d: int = 4) -> str:
        return f"four {a + b + c + d}"

    @router.get("/sync")
    def sync(connection: Connection, q: str, limit: int = 20) -> str:
        return f"sync {q} {limit}"

    @router.route("/view")
    class Search(View):
        async def get(self, connection: Connection, q: str, limit: int = 20) -> str:
            return f"view {q} {limit}"

    with TestClient(aaf([router])) as client:
        assert client.get("/two?q=x").text == "two x 20"
        assert client.get("/two?limit=3&q=x").text == "two x 3"
        assert client.get("/three/7?limit=2").text == "three all 2 7"
        assert client.get("/three/7?q=y&limit=2").text == "three y 2 7"
        assert client.get("/keyword?q=x&limit=5").text == "keyword x 5"
        assert client.get("/four?a=1&b=2&c=3").text == "four 10"
        assert client.get("/sync?q=x").text == "sync x 20"
        assert client.get("/view?q=x&limit=9").text == "view x 9"
        refused = client.get("/two?limit=many")
        assert refused.status_code == 422
        assert [e["loc"] for e in refused.json()["detail"]] == [["query", "q"], ["query", "limit"]]


def test_a_markers_examples_are_a_list_not_one_string() -> None:
    # `examples="abc"` type-checks (a string is a Sequence[object]) and the document showed
    # the examples "a", "b" and "c".
    with pytest.raises(TypeError, match=r"Query\(examples='abc'\) takes a list of examples"):
        Query(examples="abc")
    with pytest.raises(TypeError, match=r"Header\(examples=b'x'\) takes a list"):
        Header(examples=b"x")
    assert Query(examples=("a", "b")).field["examples"] == ["a", "b"]


def test_a_default_given_to_the_marker_by_position_says_what_to_write() -> None:
    # FastAPI's old spelling, `q: str = Query(None)` or `item_id: int = Path(...)`, was a bare
    # "Param.__init__() takes 1 positional argument but 2 were given". Type checkers refuse it
    # too (the position takes Never).
    for name, marker in MARKERS.items():
        with pytest.raises(
            TypeError,
            match=rf"^{name}\(None\) takes no default by position \(FastAPI's old spelling\); "
            rf"give it as the parameter's: `q: Annotated\[str \| None, {name}\(\)\] = None`",
        ):
            marker(None, max_length=3)
        with pytest.raises(TypeError, match=rf"^{name}\(\.\.\.\) takes no default.*required"):
            marker(...)


def test_a_default_given_to_the_marker_says_what_to_write_with_that_default() -> None:
    # FastAPI's `Query(default=3)` and `Query([1])`: the advice shows the default given, of
    # its type, not an example of another.
    for name, marker in MARKERS.items():
        with pytest.raises(TypeError) as keyword:
            marker(default=3)
        assert str(keyword.value) == (
            f"{name}() got an unexpected keyword argument 'default': give the default as the "
            f"parameter's: `q: Annotated[int, {name}()] = 3`"
        )
        with pytest.raises(
            TypeError, match=re.escape(f"`q: Annotated[list[int], {name}()] = [1]`")
        ):
            marker([1])
    with pytest.raises(
        TypeError, match=re.escape("`q: Annotated[tuple[str, ...], Query()] = ('a',)`")
    ):
        Query(default=("a",))  # type: ignore[call-arg]
    with pytest.raises(
        TypeError, match=re.escape("a copy of: `q: Annotated[list[int], Query()] = []`")
    ):
        Query(default_factory=list)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("marker", "alias", "says"),
    [
        (Header, "x token", "reads the header 'x token', a name no request can send"),
        (Header, "x-tok:en", "a header's name is letters, digits"),
        (Header, "x-jeton-é", "reads the header 'x-jeton-é'"),
        (Cookie, "a;b", "reads the cookie 'a;b', a name no request can send"),
        (Cookie, "session=1", "holds no ';' or '='"),
        (Cookie, " session", "starts and ends with no space"),
    ],
)
def test_an_alias_no_request_can_send_is_refused_at_registration(
    marker: type[Header] | type[Cookie], alias: str, says: str
) -> None:
    # The parameter was never given a value: servers refuse a header name that is not a
    # token, and a Cookie header is split at ';' and '=' and trimmed. Now registration says so.
    router = Router()

    async def read(connection: Connection, value: str = "") -> str:
        return value

    # Given as objects: the module's annotations are text, and these names are local.
    read.__annotations__["value"] = Annotated[str, marker(alias=alias)]
    with pytest.raises(ConfigurationError, match=re.escape(says)):
        router.add_route("/read", read)


def test_aliases_requests_can_send_are_read() -> None:
    router = Router()

    @router.get("/read")
    async def read(
        connection: Connection,
        token: Annotated[str, Header(alias="X-Api_Token")] = "",
        cart: Annotated[str, Cookie(alias="cart[items]")] = "",
        via_field: Annotated[str, Header(), Field(alias="X-Via")] = "",
    ) -> list[str]:
        return [token, cart, via_field]

    client = TestClient(aaf([router]))
    sent = {"x-api_token": "t", "cookie": "cart[items]=3", "x-via": "v"}
    assert client.get("/read", headers=sent).json() == ["t", "3", "v"]


def test_a_percent_sign_without_two_hex_digits_after_it_is_read_as_written() -> None:
    # aaf unquotes query strings and form bodies itself (urllib raised and caught an
    # exception for each such "%"): what reaches the handler is what urllib would give.
    router = Router()

    @router.get("/search")
    async def search(connection: Connection, q: str, r: str = "") -> list[str]:
        return [q, r]

    @router.post("/note")
    async def note(connection: Connection, text: Annotated[str, Form()]) -> str:
        return text

    client = TestClient(aaf([router]))
    query = "/search?q=100%25+off%&r=%zz%4%C3%A9"
    assert client.get(query).json() == ["100% off%", "%zz%4é"]
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert client.post("/note", content=b"text=50%+%%41%e9", headers=form).text == "50% %A\ufffd"
