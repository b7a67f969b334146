"""The API document: what it says, that it is valid OpenAPI 3.1, and its pages."""

from __future__ import annotations

import enum
import importlib
import re
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import httpx
import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, Field, JsonValue

from aaf import App, Depends, aaf
from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.exceptions import ConfigurationError
from aaf.params import Body, Cookie, Form, Header, Query
from aaf.params import Path as PathMarker
from aaf.response import HtmlResponse, RedirectResponse
from aaf.routing import Router, operation
from aaf.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from aaf.testing import TestClient
from aaf.views import View

from . import _other_item
from ._helpers import serve

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Item(BaseModel):
    """An item as stored."""

    id: int
    name: str = Field(description="What the item is called", min_length=1)
    price: float = Field(gt=0, serialization_alias="unitPrice")


class NewItem(BaseModel):
    name: str
    price: float = Field(gt=0)


class Problem(BaseModel):
    detail: str


class Filters(BaseModel):
    colour: str | None = None
    sizes: list[int] = []


NO_FILTERS = Filters()
bearer = HTTPBearer(bearer_format="JWT")
api_key = APIKeyHeader(name="X-API-Key", scheme_name="ApiKey")


async def current_user(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> str:
    return credentials.credentials if credentials is not None else ""


async def paging(page: Annotated[int, Query(ge=1)] = 1) -> int:
    return page


router = Router(tags=["shop"])


@router.get("/items/<int:item_id>", responses={404: Problem})
async def get_item(
    connection: Connection,
    item_id: int,
    verbose: bool = False,
    x_trace: Annotated[str | None, Header(alias="X-Trace-Id")] = None,
    session: Annotated[str | None, Cookie()] = None,
) -> Item:
    """Read one item.

    Answers 404 when there is no such item.
    """
    return Item(id=item_id, name="lamp", price=12.5)


@router.get("/search", tags=["search"], summary="Find items")
async def search(
    connection: Connection,
    q: Annotated[str, Field(min_length=2, description="Words to look for")],
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    order: Literal["asc", "desc"] = "asc",
    filters: Annotated[Filters, Query()] = NO_FILTERS,
    page: int = Depends(paging),
) -> list[Item]:
    return []


@router.post("/items", status_code=201)
async def create(connection: Connection, item: NewItem, user: str = Depends(current_user)) -> Item:
    return Item(id=1, name=item.name, price=item.price)


@router.post("/upload")
async def upload(
    connection: Connection,
    files: Annotated[list[UploadFile], Form()],
    note: Annotated[str, Form()] = "",
) -> int:
    return len(files)


@router.post("/login")
async def login(
    connection: Connection,
    user: Annotated[str, Form()],
    password: Annotated[str, Form()],
    days: Annotated[int, Form(ge=1)] = 30,
) -> str:
    return user


@router.route("/things/<uuid:thing>")
class Thing(View):
    async def get(self, connection: Connection, thing: uuid.UUID) -> str:
        return str(thing)

    @operation(status_code=204, deprecated=True, tags=["old"])
    async def delete(
        self, connection: Connection, thing: uuid.UUID, key: str | None = Depends(api_key)
    ) -> None:
        return None


@router.get("/hidden", include_in_schema=False)
async def hidden(connection: Connection) -> str:
    return "not in the document"


@router.websocket("/ws")
async def ws(connection: Connection) -> None:
    await connection.accept()


def feature_app() -> App:
    return aaf([router], title="Shop", version="2.0.0", description="Everything aaf documents")


# The document is JSON: tests read it as such.
Document = dict[str, Any]


@pytest.fixture(scope="module")
def document() -> Document:
    return cast(Document, feature_app().openapi())


def operation_of(document: Document, path: str, method: str) -> Document:
    found: Document = document["paths"][path][method]
    return found


def documented(app: App, path: str, method: str) -> tuple[Document, Document, dict[str, Any]]:
    """``app``'s document, checked to be valid OpenAPI 3.1; its operation at ``path`` and
    ``method``; and that operation's parameters' schemas by name."""
    document = cast(Document, app.openapi())
    validate(document)
    operation = operation_of(document, path, method)
    parameters = cast(list[dict[str, Any]], operation.get("parameters", []))
    return document, operation, {p["name"]: p["schema"] for p in parameters}


def test_the_document_of_every_feature_is_valid_openapi_3_1(document: Document) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {
        "title": "Shop",
        "version": "2.0.0",
        "description": "Everything aaf documents",
    }


@pytest.mark.parametrize("name", ["items", "seed", "chat", "uploads", "notes.app"])
def test_every_example_apps_document_is_valid(name: str) -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        module = importlib.import_module(name)
    finally:
        sys.path.remove(str(EXAMPLES))
    validate(module.app.openapi())


def test_a_path_operation_in_full(document: Document) -> None:
    assert operation_of(document, "/items/{item_id}", "get") == {
        "operationId": "get_item",
        "summary": "Read one item.",
        "description": "Answers 404 when there is no such item.",
        "tags": ["shop"],
        "parameters": [
            {
                "name": "item_id",
                "in": "path",
                "required": True,
                # <int:> takes no sign, so no value below 0 reaches the handler (-1 is a 404).
                "schema": {"type": "integer", "minimum": 0, "title": "Item Id"},
            },
            {
                "name": "verbose",
                "in": "query",
                "required": False,
                "schema": {"default": False, "title": "Verbose", "type": "boolean"},
            },
            {
                "name": "X-Trace-Id",
                "in": "header",
                "required": False,
                # Text cannot be null: None is the header absent, and no default is shown.
                "schema": {"type": "string", "title": "X-Trace-Id"},
            },
            {
                "name": "session",
                "in": "cookie",
                "required": False,
                "schema": {"type": "string", "title": "Session"},
            },
        ],
        "responses": {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
            },
            "404": {
                "description": "Not Found",
                "content": {
                    # aaf's own text 404 for a value <int:> does not match (`-1`, `abc`),
                    # beside the model the route gives its own 404s.
                    "text/plain": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}},
                },
            },
            "422": {
                "description": "Validation Error",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/HTTPValidationError"}
                    }
                },
            },
        },
    }


def test_query_constraints_models_and_dependencies_become_parameters(
    document: Document,
) -> None:
    found = operation_of(document, "/search", "get")
    assert found["summary"] == "Find items" and found["tags"] == ["shop", "search"]
    parameters = {p["name"]: p for p in found["parameters"]}
    assert parameters["q"]["required"] is True
    assert parameters["q"]["description"] == "Words to look for"
    assert parameters["q"]["schema"]["minLength"] == 2
    assert parameters["limit"]["schema"]["minimum"] == 1
    assert parameters["limit"]["schema"]["maximum"] == 100
    assert parameters["order"]["schema"]["enum"] == ["asc", "desc"]
    # A Query() model's fields are parameters of their own; a provider's parameters too.
    assert {"colour", "sizes", "page"} <= set(parameters)
    assert parameters["page"]["schema"]["minimum"] == 1


def test_bodies_forms_and_uploads(document: Document) -> None:
    created = operation_of(document, "/items", "post")
    assert created["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewItem"}}},
    }
    assert "201" in created["responses"]
    uploads = operation_of(document, "/upload", "post")["requestBody"]
    schema = uploads["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["files"] == {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "minItems": 1,
    }
    assert schema["required"] == ["files"]
    login = operation_of(document, "/login", "post")["requestBody"]
    assert set(login["content"]) == {"application/x-www-form-urlencoded"}
    form = login["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["user", "password"]
    # A form field's default is shown, as a query parameter's is (it was left out).
    assert form["properties"]["days"] == {
        "type": "integer",
        "minimum": 1,
        "title": "Days",
        "default": 30,
    }


def test_outputs_use_serialization_names_and_inputs_validation(
    document: Document,
) -> None:
    schemas = document["components"]["schemas"]
    assert "unitPrice" in schemas["Item"]["properties"]
    assert schemas["Item"]["properties"]["name"]["description"] == "What the item is called"
    assert {"Item", "NewItem", "Problem", "HTTPValidationError", "ValidationError"} <= set(schemas)
    assert not [name for name in schemas if name.endswith(("_params", "_query"))]


def test_view_methods_options_security_and_what_is_left_out(
    document: Document,
) -> None:
    delete = operation_of(document, "/things/{thing}", "delete")
    assert delete["operationId"] == "Thing_delete"
    assert delete["deprecated"] is True and delete["tags"] == ["shop", "old"]
    # A path value that is not a UUID is no route's: 404, before validation.
    assert list(delete["responses"]) == ["204", "404", "401"]  # 401: the API key's own
    assert delete["security"] == [{"ApiKey": []}]
    assert operation_of(document, "/things/{thing}", "get")["parameters"][0]["schema"] == {
        "type": "string",
        "format": "uuid",
        "title": "Thing",
    }
    assert operation_of(document, "/items", "post")["security"] == [{"HTTPBearer": []}]
    schemes = document["components"]["securitySchemes"]
    assert schemes == {
        "HTTPBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    paths = document["paths"]
    assert "/hidden" not in paths and "/ws" not in paths and "/openapi.json" not in paths


def test_two_models_with_one_name_are_an_error_naming_both() -> None:
    clash = Router()

    @clash.get("/a")
    async def a(connection: Connection) -> Item:
        return Item(id=1, name="a", price=1)

    @clash.get("/b")
    async def b(connection: Connection) -> _other_item.Item:
        return _other_item.Item(code="b")

    with pytest.raises(ConfigurationError, match=r"both named 'Item'"):
        aaf([clash]).openapi()


def test_paths_that_differ_only_in_variable_names_are_one_path() -> None:
    # OpenAPI takes /items/{item_id} and /items/{id} for one path, and a document holding
    # both is invalid ("Path Templating Matching"): both were written.
    router = Router()

    @router.get("/items/<int:item_id>")
    async def read(connection: Connection, item_id: int) -> int:
        return item_id

    @router.delete("/items/<int:id>")
    async def remove(connection: Connection, id: int) -> None:  # noqa: A002  # the rule's name
        return None

    @router.get("/shops/<shop>/items/<int:n>")
    async def shop_item(connection: Connection, shop: str, n: int) -> int:
        return n

    @router.put("/shops/<name>/items/<int:item>")
    async def put_shop_item(connection: Connection, name: str, item: int) -> int:
        return item

    document = cast(Document, aaf([router]).openapi())
    validate(document)
    assert list(document["paths"]) == ["/items/{item_id}", "/shops/{shop}/items/{n}"]
    path_names = {
        (path, method): [(p["name"], p["in"]) for p in operation["parameters"]]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert path_names == {
        ("/items/{item_id}", "get"): [("item_id", "path")],
        ("/items/{item_id}", "delete"): [("item_id", "path")],  # by its place in the path
        ("/shops/{shop}/items/{n}", "get"): [("shop", "path"), ("n", "path")],
        ("/shops/{shop}/items/{n}", "put"): [("shop", "path"), ("n", "path")],
    }
    # The same method on both is two operations of one path: an error, as for one template.
    other = Router()
    other.get("/items/<int:id>")(remove)
    with pytest.raises(ConfigurationError, match=r"GET /items/\{item_id\} is two operations"):
        aaf([router, other]).openapi()


def test_two_operations_on_one_path_and_method_are_an_error_naming_both() -> None:
    # Both answer (an int goes to the first, other text to the second), but a path of the
    # document holds one operation per method: one of them would be left out unsaid.
    items = Router()

    @items.get("/items/<int:item_id>")
    async def by_number(connection: Connection, item_id: int) -> int:
        return item_id

    @items.get("/items/<item_id>")
    async def by_name(connection: Connection, item_id: str) -> str:
        return item_id

    with pytest.raises(ConfigurationError) as raised:
        aaf([items]).openapi()
    assert str(raised.value) == (
        "GET /items/{item_id} is two operations in the API document, by_number "
        "(/items/<int:item_id>) and by_name (/items/<item_id>), and a path holds one per "
        "method: leave one out with include_in_schema=False, or give them paths of their own"
    )
    # One left out, the document describes the other, and both still answer.
    quiet = Router()

    @quiet.get("/items/<item_id>", include_in_schema=False)
    async def hidden(connection: Connection, item_id: str) -> str:
        return item_id

    @quiet.get("/items/<int:item_id>")
    async def shown(connection: Connection, item_id: int) -> int:
        return item_id

    app = aaf([quiet])
    paths = cast(dict[str, dict[str, JsonValue]], app.openapi()["paths"])
    assert list(paths) == ["/items/{item_id}"]
    assert cast(dict[str, str], paths["/items/{item_id}"]["get"])["operationId"] == "shown"
    client = TestClient(app)
    assert (client.get("/items/3").json(), client.get("/items/x").text) == (3, "x")
    # A router behind another serving the same rule never answers: not documented either.
    shadowed = Router()

    @shadowed.get("/items/<int:item_id>")
    async def never(connection: Connection, item_id: int) -> int:
        return item_id

    with pytest.raises(ConfigurationError, match=r"shown \(/items/<int:item_id>\) and never"):
        aaf([quiet, shadowed]).openapi()


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(feature_app()) as started:
        yield started


def test_the_document_and_its_pages_are_served(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "Shop"
    for page, script in [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]:
        response = client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        # Nothing from another host: every URL in the page is a path on this server.
        assert not re.search(r"(src|href)=\"https?:", response.text)
        assert f"/_aaf/docs/{script}" in response.text and '"/openapi.json"' in response.text
        asset = client.get(f"/_aaf/docs/{script}")
        assert asset.status_code == 200 and len(asset.content) > 100_000
    assert client.get("/_aaf/docs/secrets.txt").status_code == 404


def test_each_page_can_be_switched_off() -> None:
    quiet = aaf([router], docs_url=None, redoc_url=None)
    with TestClient(quiet) as c:
        assert c.get("/openapi.json").status_code == 200
        assert c.get("/docs").status_code == 404 and c.get("/redoc").status_code == 404
    with TestClient(aaf([router], openapi_url=None)) as c:
        assert c.get("/openapi.json").status_code == 404 and c.get("/docs").status_code == 404


def test_pages_behind_a_proxy_prefix_point_under_it() -> None:
    # As behind a proxy that strips /api: uvicorn's root_path is put in front of every URL.
    with serve(feature_app(), root_path="/api") as base:
        page = httpx.get(base + "/docs", timeout=5).text
        assert '"/api/openapi.json"' in page and '"/api/_aaf/docs/swagger-ui.css"' in page
        served = httpx.get(base + "/openapi.json", timeout=5).json()
        assert served["info"]["title"] == "Shop"
        # "Try it out" asks under the prefix, as FastAPI's root_path_in_servers has it.
        assert served["servers"] == [{"url": "/api"}]
    # Servers the app gives come after it, unless one is it; the switch turns it off.
    listed = [{"url": "https://api.example.com"}]
    for app, expected in (
        (aaf([Router()], servers=listed), [{"url": "/api"}, *listed]),
        (aaf([Router()], servers=[{"url": "/api"}]), [{"url": "/api"}]),
        (aaf([Router()], servers=listed, root_path_in_servers=False), listed),
    ):
        with serve(app, root_path="/api") as base:
            assert httpx.get(base + "/openapi.json", timeout=5).json()["servers"] == expected
        assert app.openapi().get("servers") == app.servers  # the built document unchanged
    with serve(feature_app()) as base:
        assert "servers" not in httpx.get(base + "/openapi.json", timeout=5).json()


def test_nothing_in_a_root_path_can_end_the_pages_script() -> None:
    hostile = "/x</script><script>alert(1)</script>&"
    with serve(feature_app(), root_path=hostile) as base:
        page = httpx.get(base + "/docs", timeout=5).text
    assert "<script>alert(1)" not in page and "</script><script>" not in page
    assert '"/x\\u003c/script\\u003e\\u003cscript\\u003ealert(1)' in page


def test_a_path_values_schema_says_what_its_converter_matches() -> None:
    # werkzeug's number converters take no sign unless told: -1 is a 404, whatever the
    # parameter's type allows, so the document gives no value below 0 (schemathesis sent
    # -1 as a valid value when it did not).
    router = Router()

    @router.get("/a/<int:n>/<float:x>/<int(signed=True):offset>/<int:capped>/<uuid:key>")
    async def values(
        connection: Connection,
        n: int,
        x: float,
        offset: int,
        capped: Annotated[int, PathMarker(le=100, description="At most 100")],
        key: uuid.UUID,
    ) -> str:
        return ""

    app = aaf([router])
    document = app.openapi()
    validate(document)
    parameters = cast(
        list[dict[str, Any]],
        operation_of(cast(Document, document), "/a/{n}/{x}/{offset}/{capped}/{key}", "get")[
            "parameters"
        ],
    )
    schemas = {p["name"]: p["schema"] for p in parameters}
    assert schemas == {
        # Titled as pydantic titles the others, though it reads none of these.
        "n": {"type": "integer", "minimum": 0, "title": "N"},
        "x": {"type": "number", "minimum": 0, "title": "X"},
        "offset": {"type": "integer", "title": "Offset"},
        "capped": {"type": "integer", "maximum": 100, "title": "Capped", "minimum": 0},
        "key": {"type": "string", "format": "uuid", "title": "Key"},
    }
    client = TestClient(app)
    assert client.get(f"/a/1/1.5/-3/100/{uuid.UUID(int=1)}").status_code == 200
    assert client.get(f"/a/-1/1.5/-3/100/{uuid.UUID(int=1)}").status_code == 404
    # Which the operation documents; a route whose values any segment matches does not.
    responses = operation_of(cast(Document, document), "/a/{n}/{x}/{offset}/{capped}/{key}", "get")[
        "responses"
    ]
    assert "404" in cast(dict[str, Any], responses)

    @router.get("/b/<name>/<path:rest>")
    async def any_segment(connection: Connection, name: str, rest: str) -> str:
        return rest

    plain = operation_of(cast(Document, aaf([router]).openapi()), "/b/{name}/{rest}", "get")
    assert "404" not in cast(dict[str, Any], plain["responses"])


def test_a_converter_and_a_written_type_that_differ_are_both_said() -> None:
    router = Router()

    rule = "/c/<int:whole>/<int(max=50):bounded>/<any(a, b):choice>/<int(signed=True, min=2):at>"

    @router.get(rule)
    async def values(
        connection: Connection,
        whole: float,
        bounded: Annotated[int, PathMarker(le=100)],
        choice: Literal["a", "c"],
        at: int,
    ) -> str:
        return choice

    app = aaf([router])
    _, _, schemas = documented(app, "/c/{whole}/{bounded}/{choice}/{at}", "get")
    # A number written for an <int:>: both (only whole numbers from 0 reach it).
    assert schemas["whole"] == {
        "allOf": [{"type": "integer", "minimum": 0}, {"type": "number", "title": "Whole"}]
    }
    assert schemas["bounded"] == {
        "type": "integer",
        "maximum": 50,
        "title": "Bounded",
        "minimum": 0,
    }
    # Only "a" is both a choice of the rule and of the Literal: the one value listed.
    assert schemas["choice"] == {"enum": ["a"], "title": "Choice", "type": "string"}
    assert schemas["at"] == {"type": "integer", "minimum": 2, "title": "At"}
    client = TestClient(app)
    assert client.get("/c/1/50/a/2").text == "a"
    assert client.get("/c/1/50/b/2").status_code == 422  # the rule's, not the Literal's
    assert client.get("/c/1/50/c/2").status_code == 404  # the Literal's, not the rule's


def test_a_string_converters_lengths_are_said_with_the_parameters_own() -> None:
    # `<string(length=2):code>` matched two characters while the document let a client send
    # any: each length bound is now said, the stricter of the rule's and the type's.
    router = Router()

    @router.get("/d/<string(length=2):code>/<string(minlength=3):word>/<string(maxlength=4):tag>")
    async def lengths(
        connection: Connection,
        code: Annotated[str, PathMarker(pattern="^[A-Z]+$")],
        word: Annotated[str, PathMarker(min_length=1, max_length=5)],
        tag: Annotated[str, PathMarker(min_length=2)],
    ) -> str:
        return code + word + tag

    app = aaf([router])
    _, operation, schemas = documented(app, "/d/{code}/{word}/{tag}", "get")
    assert schemas["code"] == {
        "type": "string",
        "title": "Code",
        "pattern": "^[A-Z]+$",
        "minLength": 2,
        "maxLength": 2,
    }
    assert schemas["word"] == {"type": "string", "title": "Word", "minLength": 3, "maxLength": 5}
    assert schemas["tag"] == {"type": "string", "title": "Tag", "minLength": 2, "maxLength": 4}
    client = TestClient(app)
    assert client.get("/d/AB/abc/xy").text == "ABabcxy"
    assert client.get("/d/ABC/abc/xy").status_code == 404  # the rule's bound, as documented
    assert client.get("/d/AB/abcdef/xy").status_code == 422  # the type's
    assert "404" in cast(dict[str, Any], operation["responses"])


def test_an_any_converters_values_are_listed_as_the_type_takes_them() -> None:
    # Before, <any(...)> under a number was the allOf of a string's enum and a number, which
    # no value is: a client built from the document could send nothing.
    router = Router()

    @router.get("/scale/<any('1', '2.5', x, '01'):factor>")
    async def scale(connection: Connection, factor: float) -> float:
        return factor

    @router.get("/size/<any(s, m, xl):size>")
    async def size(connection: Connection, size: Annotated[str, PathMarker(max_length=1)]) -> str:
        return size

    @router.get("/any/<any(s, m):size>")
    async def any_size(connection: Connection, size: str) -> str:
        return size

    app = aaf([router])
    document = cast(Document, app.openapi())
    validate(document)

    def schema_of(path: str) -> object:
        operation = operation_of(document, path, "get")
        return cast(list[dict[str, Any]], operation["parameters"])[0]["schema"]

    # Each value once (01 is 1), those the type takes, as JSON, in the rule's sorted order.
    assert schema_of("/scale/{factor}") == {"enum": [1.0, 2.5], "title": "Factor", "type": "number"}
    assert schema_of("/size/{size}") == {
        "enum": ["m", "s"],
        "maxLength": 1,
        "title": "Size",
        "type": "string",
    }
    assert schema_of("/any/{size}") == {  # handed over
        "type": "string",
        "enum": ["m", "s"],
        "title": "Size",
    }
    client = TestClient(app)
    assert [client.get(f"/scale/{v}").status_code for v in ("1", "01", "2.5", "x")] == [
        200,
        200,
        200,
        422,
    ]
    assert client.get("/size/xl").status_code == 422


def test_an_any_converter_none_of_whose_values_the_type_takes_is_refused() -> None:
    async def scale(connection: Connection, factor: float) -> float:
        return factor

    with pytest.raises(ConfigurationError) as raised:
        Router().add_route("/scale/<any(half, double):factor>", scale)  # type: ignore[aaf-route]  # what the test is about
    assert str(raised.value).endswith(
        ".scale: parameter 'factor' is annotated float, which none of the values its rule "
        "converter matches (any(double, half)) is valid for"
    )
    # werkzeug reads an unquoted number in any(...) as a number, then fails on it.
    with pytest.raises(ConfigurationError, match=r"any\(\.\.\.\) matches text: quote a value"):
        Router().add_route("/scale/<any(1, 2):factor>", scale)  # type: ignore[aaf-route]  # what the test is about


class _Level(enum.IntEnum):
    low = 1
    mid = 2
    high = 3


def test_the_values_constraints_leave_of_a_literal_an_enum_or_a_bool_are_listed() -> None:
    # pydantic writes these schemas without the constraints (the pattern dropped) or with
    # its own names, which JSON Schema does not read ("ge": 2 beside an enum's $ref): the
    # document offered values every request of which was a 422.
    router = Router()

    @router.post("/levels/<level>")
    async def levels(
        connection: Connection,
        level: Annotated[_Level, PathMarker(ge=2)],
        sort: Annotated[Literal["asc", "desc", "rank"], Query(pattern="^(asc|desc)$")] = "asc",
        page: Annotated[Literal[1, 2, 3] | None, Query(le=2)] = None,
        strict: Annotated[bool, Header(gt=0)] = True,
        theme: Annotated[Literal["dark", "light"], Form(max_length=4)] = "dark",
        shown: Annotated[_Level, Query(title="Shown")] = _Level.low,
    ) -> list[object]:
        return [level, sort, page, strict, theme]

    app = aaf([router])
    _, operation, schemas = documented(app, "/levels/{level}", "post")
    assert schemas["level"] == {"$ref": "#/components/schemas/_Level", "enum": [2, 3]}
    # A title constrains nothing: the enum's own schema says its values.
    assert schemas["shown"] == {
        "$ref": "#/components/schemas/_Level",
        "title": "Shown",
        "default": 1,
    }
    assert schemas["sort"] == {
        "enum": ["asc", "desc"],
        "type": "string",
        "title": "Sort",
        "default": "asc",
    }
    assert schemas["page"]["enum"] == [1, 2] and "le" not in schemas["page"]
    assert schemas["strict"] == {
        "title": "Strict",
        "type": "boolean",
        "enum": [True],
        "default": True,
    }
    body = cast(dict[str, Any], operation["requestBody"])
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["theme"]["enum"] == ["dark"]
    # As served: what is listed is taken, what is not is a 422.
    client = TestClient(app)
    assert client.post("/levels/2?sort=desc&page=2").json() == [2, "desc", 2, True, "dark"]
    assert client.post("/levels/1").status_code == 422
    assert client.post("/levels/3?sort=rank").status_code == 422
    assert client.post("/levels/3?page=3").status_code == 422
    assert client.post("/levels/3", headers={"strict": "false"}).status_code == 422
    assert client.post("/levels/3", data={"theme": "light"}).status_code == 422


@pytest.mark.parametrize(
    ("annotation", "said"),
    [
        (
            Annotated[Literal["asc", "desc"], Query(pattern="^r")],
            "Query(pattern=...) leaves none of the values of Literal['asc', 'desc']",
        ),
        (Annotated[_Level, Query(gt=3)], "Query(gt=...) leaves none of the values of _Level"),
        (Annotated[bool, Header(lt=0)], "Header(lt=...) leaves none of the values of bool"),
        (
            Annotated[_Level, Body(multiple_of=4)],
            "Body(multiple_of=...) leaves none of the values of _Level",
        ),
    ],
)
def test_constraints_that_leave_no_value_are_refused(annotation: object, said: str) -> None:
    async def handler(connection: Connection, value: object) -> None: ...

    handler.__annotations__ = {"connection": Connection, "value": annotation, "return": None}
    with pytest.raises(ConfigurationError) as raised:
        Router().add_route("/", handler)
    assert str(raised.value).endswith(f".handler: parameter 'value': {said}")


def test_the_values_a_json_bodys_constraints_leave_are_listed() -> None:
    # A body was left out: Body(ge=2) on an enum documented every member, and a constraint
    # that left none registered a route every request of which was a 422.
    router = Router()

    @router.post("/levels")
    async def levels(connection: Connection, level: Annotated[_Level, Body(ge=2)]) -> int:
        return level

    @router.post("/optional")
    async def optional(
        connection: Connection, level: Annotated[_Level | None, Body(gt=3)] = None
    ) -> None: ...  # a JSON null is still a value it takes

    app = aaf([router])
    document = cast(Document, app.openapi())
    validate(document)

    def body_of(path: str) -> object:
        body = cast(dict[str, Any], operation_of(document, path, "post")["requestBody"])
        return body["content"]["application/json"]["schema"]

    assert body_of("/levels") == {"$ref": "#/components/schemas/_Level", "enum": [2, 3]}
    assert body_of("/optional") == {
        "anyOf": [{"$ref": "#/components/schemas/_Level"}, {"type": "null"}],
        "enum": [None],
    }
    client = TestClient(app)
    assert client.post("/levels", json=3).json() == 3
    assert client.post("/levels", json=1).status_code == 422
    assert client.post("/optional", json=None).status_code == 204
    assert client.post("/optional", json=3).status_code == 422


def test_a_tuples_length_holds_beside_a_length_constraint() -> None:
    # pydantic wrote Body(min_length=1) over a tuple[int, int]'s own length (minItems 1):
    # [0] was valid by the document and a 422 by the app. Both bounds hold.
    router = Router()

    @router.post("/pairs")
    async def pairs(
        connection: Connection,
        pair: Annotated[tuple[int, int], Body(min_length=1)],
        more: Annotated[tuple[int, int] | None, Query(max_length=5)] = None,
    ) -> None: ...

    app = aaf([router])
    document = cast(Document, app.openapi())
    validate(document)
    operation = operation_of(document, "/pairs", "post")
    body = cast(dict[str, Any], operation["requestBody"])
    pair = body["content"]["application/json"]["schema"]
    assert (pair["minItems"], pair["maxItems"]) == (2, 2)
    [more] = cast(list[dict[str, Any]], operation["parameters"])
    assert (more["schema"]["minItems"], more["schema"]["maxItems"]) == (2, 2)
    client = TestClient(app)
    assert client.post("/pairs", json=[0]).status_code == 422
    assert client.post("/pairs", json=[0, 1]).status_code == 204


class _Tagged(BaseModel):
    tags: list[str]
    colours: list[str] = []


def test_a_required_list_from_repeated_keys_takes_at_least_one() -> None:
    # An empty list is no key sent, which a required value is missing: the document said
    # any array, and a client that sent none was answered 422.
    router = Router()

    @router.post("/find")
    async def find(
        connection: Connection,
        ids: Annotated[list[int], Query()],
        langs: Annotated[list[str] | None, Header()],
        keys: Annotated[list[bytes] | None, Header()],
        tagged: Annotated[_Tagged, Query()],
        sizes: Annotated[list[int], Form()],
        pages: Annotated[list[int], Query()] = [],  # noqa: B006  # never changed
    ) -> None: ...

    app = aaf([router])
    _, operation, schemas = documented(app, "/find", "post")
    assert [name for name in schemas if schemas[name].get("minItems") == 1] == [
        "ids",
        "tags",
        "langs",
        "keys",
    ]
    # A header's empty elements are ignored (`en, , fr` is two): each has a character (and
    # no comma, test_a_header_lists_items_are_documented_as_what_comes_back_whole).
    assert schemas["langs"]["items"] == {"type": "string", "minLength": 1, "pattern": ELEMENT}
    # bytes too: a header's are text, not a file that may be empty.
    assert schemas["keys"]["items"] == {
        "type": "string",
        "format": "binary",
        "minLength": 1,
        "pattern": ELEMENT,
    }
    body = cast(dict[str, Any], operation["requestBody"])
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["sizes"]["minItems"] == 1
    client = TestClient(app)
    answer = client.post("/find?tags=a", data={"sizes": ["1"]}, headers={"langs": "en"})
    assert answer.status_code == 422  # ids: none sent
    assert answer.json()["detail"][0]["loc"] == ["query", "ids"]


# What a header list's text items match: no comma, no quote, no space at either end.
ELEMENT = r'^[^\s,"\x1c-\x1f\x85](?:[^,"]*[^\s,"\x1c-\x1f\x85])?$'


def test_a_header_lists_items_are_documented_as_what_comes_back_whole() -> None:
    # A client joins a header list's items with commas (OpenAPI's `simple` style) and the
    # app reads the line back at each comma outside a quoted string, each element trimmed:
    # an item holding a comma came back as two, one holding a quote took the ones after
    # it, and schemathesis's lists of max_length=2 were refused as lists of three.
    router = Router()

    @router.get("/tags")
    async def tags(
        connection: Connection,
        tag: Annotated[list[str], Header(max_length=2)],
        codes: Annotated[list[Annotated[str, Field(pattern="^[a-z]")]] | None, Header()] = None,
    ) -> list[str]:
        return tag

    app = aaf([router])
    _, _, schemas = documented(app, "/tags", "get")
    items = schemas["tag"]["items"]
    assert items == {"type": "string", "minLength": 1, "pattern": ELEMENT}
    # An item's own pattern is kept beside it.
    coded = schemas["codes"]["items"]
    assert (coded["pattern"], coded["allOf"]) == ("^[a-z]", [{"pattern": ELEMENT}])
    with TestClient(app) as client:
        for sent in (["a"], ["a b", "c"], ["é", "x-y=z;q"], ["a,b", "c"], ["a", ' "b']):
            answer = client.get("/tags", headers={b"tag": ",".join(sent).encode("latin-1")})
            whole = all(re.fullmatch(ELEMENT, item) for item in sent)
            # As documented, it comes back as sent; else it does not.
            assert (answer.status_code == 200 and answer.json() == sent) == whole, sent


def test_a_tuples_items_read_from_text_are_documented_as_a_lists_are() -> None:
    # What the document says of a list's items read from text held for a list only: a
    # tuple's (prefixItems) were left as pydantic wrote them, so an empty string was a
    # valid item, which a form or a header list ignores (one item short: a 422), and an
    # `Any` item was any JSON, `None` one too.
    router = Router()

    @router.post("/pair")
    async def pair(
        connection: Connection,
        head: Annotated[tuple[int, str], Header()],
        form: Annotated[tuple[int, str], Form()],
        query: Annotated[tuple[Any, int | None], Query()],
    ) -> None: ...

    app = aaf([router])
    _, operation, schemas = documented(app, "/pair", "post")
    text = {"type": "string", "minLength": 1}
    assert schemas["head"]["prefixItems"] == [{"type": "integer"}, {**text, "pattern": ELEMENT}]
    assert schemas["query"]["prefixItems"] == [{"type": "string"}, {"type": "integer"}]
    body = cast(dict[str, Any], operation["requestBody"])
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["form"]["prefixItems"] == [{"type": "integer"}, text]
    # What the document now refuses, the app does.
    with TestClient(app) as client:
        for head, form_sent, status in (
            ("1,a", ["1", "a"], 204),
            ("1,", ["1", "a"], 422),
            ("1,a", ["1", ""], 422),
        ):
            answer = client.post(
                "/pair",
                params=[("query", "x"), ("query", "1")],
                headers={"head": head},
                data={"form": form_sent},
            )
            assert answer.status_code == status, (head, form_sent, answer.text)


def test_a_default_json_cannot_show_is_left_out() -> None:
    # Bytes that are not UTF-8 made the whole document fail to build (UnicodeDecodeError).
    router = Router()

    @router.get("/raw")
    async def raw(
        connection: Connection,
        q: bytes = b"\xff",
        token: Annotated[bytes, Header()] = b"ok",
    ) -> None: ...

    _, _, schemas = documented(aaf([router]), "/raw", "get")
    assert "default" not in schemas["q"]
    assert schemas["token"]["default"] == "ok"


class _Note(BaseModel):
    text: str


def test_each_kind_of_value_a_union_returns_is_documented_as_it_goes_out() -> None:
    # Before, `-> Note | None` left out the 204 its None answers, `-> int | str` called a str
    # JSON (it goes out as text), `-> bytes` had no content, and a response class in a union
    # with a model was dropped.
    router = Router()

    @router.get("/maybe")
    async def maybe(connection: Connection) -> _Note | None:
        return None

    @router.get("/either")
    async def either(connection: Connection) -> int | str:
        return "text"

    @router.get("/raw")
    async def raw(connection: Connection) -> bytes:
        return b"\x00"

    @router.post("/page", status_code=201)
    async def page(connection: Connection) -> HtmlResponse | _Note:
        return HtmlResponse("<p>made</p>")

    app = aaf([router])
    document = cast(Document, app.openapi())
    validate(document)

    def responses(path: str, method: str = "get") -> dict[str, Any]:
        return cast(dict[str, Any], operation_of(document, path, method)["responses"])

    note = {"$ref": "#/components/schemas/_Note"}
    assert responses("/maybe") == {
        "200": {"description": "OK", "content": {"application/json": {"schema": note}}},
        "204": {"description": "No Content"},
    }
    assert responses("/either")["200"]["content"] == {
        "text/plain": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "integer"}},
    }
    assert responses("/raw")["200"]["content"] == {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }
    # The page goes out as made (200, HTML); a returned note with the route's 201.
    assert responses("/page", "post") == {
        "200": {"description": "OK", "content": {"text/html": {"schema": {"type": "string"}}}},
        "201": {"description": "Created", "content": {"application/json": {"schema": note}}},
    }
    client = TestClient(app)
    assert client.get("/maybe").status_code == 204
    answer = client.get("/either")
    assert answer.headers["content-type"].startswith("text/plain") and answer.text == "text"
    assert client.get("/raw").headers["content-type"] == "application/octet-stream"
    made = client.post("/page")
    assert made.status_code == 200 and made.headers["content-type"].startswith("text/html")


class _Login(BaseModel):
    model_config = {"extra": "forbid"}
    user: str
    password: str


def test_a_form_model_that_forbids_extra_fields_says_so() -> None:
    # A client built from the document sent fields of its own, each a 422 extra_forbidden.
    router = Router()

    @router.post("/login")
    async def login(connection: Connection, form: Annotated[_Login, Form()]) -> str:
        return form.user

    app = aaf([router])
    document = cast(Document, app.openapi())
    validate(document)
    body = cast(dict[str, Any], operation_of(document, "/login", "post")["requestBody"])
    schema = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert schema["additionalProperties"] is False
    client = TestClient(app)
    assert client.post("/login", data={"user": "u", "password": "p"}).text == "u"
    extra = client.post("/login", data={"user": "u", "password": "p", "remember": "1"})
    assert extra.json()["detail"][0]["type"] == "extra_forbidden"


class _Loose(BaseModel):
    anything: Any = None


def test_a_value_of_any_type_read_from_text_is_documented_as_text() -> None:
    # pydantic writes Any as {}, which offered objects and arrays that a query string, a
    # header or a form cannot send as one value: a client built from the document sent
    # none, and a required one was a 422.
    router = Router()

    @router.post("/loose")
    async def loose(
        connection: Connection,
        q: Any,
        many: Annotated[list[object], Query()],
        model: Annotated[_Loose, Header()],
        note: Annotated[Any, Form()],
    ) -> None: ...

    app = aaf([router])
    _, operation, schemas = documented(app, "/loose", "post")
    assert schemas["q"] == {"title": "Q", "type": "string"}
    assert schemas["many"]["items"] == {"type": "string"}
    assert schemas["anything"]["type"] == "string"
    body = cast(dict[str, Any], operation["requestBody"])
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["note"]["type"] == "string"


def test_a_pattern_on_a_value_of_any_type_is_documented() -> None:
    # pydantic checks a pattern on Any in a later step of a chain, which its JSON schema
    # leaves out: "x" was valid by the document and a 422 from the app (schemathesis found
    # it on tests/test_document_fuzz.py's signatures of another seed).
    router = Router()

    @router.get("/patterned")
    async def patterned(
        connection: Connection,
        code: Annotated[Any, Query(pattern="^a")],
        token: Annotated[object, Header(pattern="^t", max_length=8)],
        session: Annotated[Any, Cookie(pattern="^s", min_length=2)],
    ) -> None: ...

    app = aaf([router])
    _, _, schemas = documented(app, "/patterned", "get")
    assert schemas["code"] == {"title": "Code", "type": "string", "pattern": "^a"}
    assert schemas["token"] == {"title": "Token", "type": "string", "pattern": "^t", "maxLength": 8}
    assert schemas["session"] == {
        "title": "Session",
        "type": "string",
        "pattern": "^s",
        "minLength": 2,
    }
    # What the document says is what the app does.
    with TestClient(app) as client:
        for code, token, session, refused in (
            ("ab", "tok", "s1", None),
            ("x", "tok", "s1", "string_pattern_mismatch"),
            ("ab", "x", "s1", "string_pattern_mismatch"),
            ("ab", "tok", "x1", "string_pattern_mismatch"),
        ):
            answer = client.get(
                "/patterned",
                params={"code": code},
                headers={"token": token, "cookie": f"session={session}"},
            )
            if refused is None:
                assert answer.status_code == 204, answer.text
            else:
                assert answer.status_code == 422
                assert answer.json()["detail"][0]["type"] == refused


class _Measured(BaseModel):
    size: Annotated[int | float, Field(le=5, multiple_of=0.5)]


def test_bounds_on_a_union_of_numbers_are_written_as_json_schema_names_them() -> None:
    # pydantic checks them in validators of its own and wrote them as `gt`, `lt`, `le`,
    # `multiple_of`, which JSON Schema does not know: 0 was valid by the document.
    router = Router()

    @router.post("/measure")
    async def measure(
        connection: Connection,
        body: _Measured,
        weight: Annotated[int | float, Query(gt=0, lt=10)],
        scale: Annotated[float | int | None, Header(ge=1)] = None,
    ) -> None: ...

    app = aaf([router])
    document, _, schemas = documented(app, "/measure", "post")
    assert schemas["weight"] == {
        "title": "Weight",
        "anyOf": [{"type": "integer"}, {"type": "number"}],
        "exclusiveMinimum": 0,
        "exclusiveMaximum": 10,
    }
    assert schemas["scale"]["minimum"] == 1 and "ge" not in schemas["scale"]
    components = cast(dict[str, Any], document["components"])
    size = components["schemas"]["_Measured"]["properties"]["size"]
    assert (size["maximum"], size["multipleOf"]) == (5, 0.5)
    assert {"le", "multiple_of"}.isdisjoint(size)
    # What the document says is what the app does.
    with TestClient(app) as client:
        for weight, size_sent, status in (
            ("5", 2.5, 204),
            ("0", 2.5, 422),
            ("10", 2.5, 422),
            ("5", 5.5, 422),
            ("5", 1.2, 422),
        ):
            answer = client.post(f"/measure?weight={weight}", json={"size": size_sent})
            assert answer.status_code == status, (weight, size_sent, answer.text)


class _Unfinished(BaseModel):
    """A model naming one that never exists."""

    tree: Nowhere | None = None  # type: ignore[name-defined]  # noqa: F821  # the test's point  # pyright: ignore[reportUndefinedVariable]


def test_a_response_model_pydantic_cannot_build_is_said_at_registration() -> None:
    # Before, the route was taken and the document failed at its first request (a 500).
    async def lookup(connection: Connection) -> None: ...

    for responses in ({404: _Unfinished}, {404: {"model": _Unfinished}}):
        with pytest.raises(ConfigurationError) as raised:
            Router().get("/lookup", responses=responses)(lookup)
        assert str(raised.value) == (
            "responses[404]: pydantic cannot build the model _Unfinished yet: name 'Nowhere' "
            "is not defined; define it before the route is registered"
        )


def test_converters_repeated_ids_odd_statuses_and_defaults() -> None:
    router = Router()

    def shared(limit: Annotated[int, Query(ge=1)] = 10) -> int:
        return limit

    def twice(a: int = Depends(shared), b: int = Depends(shared)) -> int:
        return a + b

    @router.get("/files/<path:rest>", operation_id="fetch", responses={299: None})
    async def files(connection: Connection, rest: str, n: int = Depends(twice)) -> str:
        return rest

    @router.get("/kind/<any(cats, dogs):kind>/<int(min=1, max=9):page>", operation_id="fetch")
    async def kind(
        connection: Connection,
        kind: str,
        page: int,
        old: Annotated[str | None, Query(), Field(deprecated=True)] = None,
        seen: Annotated[frozenset[int], Query()] = frozenset({3}),
    ) -> str:
        return kind

    @router.post("/upload")
    async def upload(
        connection: Connection, file: Annotated[UploadFile | None, Form()] = None
    ) -> str:
        return ""

    document = aaf([router]).openapi()
    validate(document)
    paths = cast(dict[str, Any], document["paths"])
    fetch = paths["/files/{rest}"]["get"]
    assert fetch["operationId"] == "fetch"
    assert paths["/kind/{kind}/{page}"]["get"]["operationId"] == "fetch_get"  # made unique
    assert fetch["responses"]["299"]["description"] == "Response"
    limit = [p for p in fetch["parameters"] if p["name"] == "limit"]
    assert len(limit) == 1 and limit[0]["schema"]["default"] == 10  # one provider, read once
    by_name = {p["name"]: p for p in paths["/kind/{kind}/{page}"]["get"]["parameters"]}
    assert by_name["kind"]["schema"] == {
        "type": "string",
        "enum": ["cats", "dogs"],
        "title": "Kind",
    }
    assert by_name["page"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 9,
        "title": "Page",
    }
    assert by_name["old"]["deprecated"] is True
    assert by_name["seen"]["schema"]["default"] == [3]
    assert paths["/files/{rest}"]["get"]["parameters"][0]["schema"] == {
        "type": "string",
        "title": "Rest",
    }
    form = paths["/upload"]["post"]["requestBody"]
    assert form["required"] is False


def test_the_document_s_pages_answer_beside_the_app_s_routes() -> None:
    router = Router()

    @router.post("/docs")
    async def post_docs(connection: Connection) -> str:
        return "posted"

    with TestClient(aaf([router])) as client:
        assert client.post("/docs").text == "posted"
        page = client.get("/docs")  # the app's POST route does not hide the page
        assert page.status_code == 200 and "swagger" in page.text.lower()
        assert client.get("/_aaf/docs/swagger-ui.css").status_code == 200
        assert set(client.get("/openapi.json").json()["paths"]) == {"/docs"}
        assert client.get("/nowhere").status_code == 404


def test_the_pages_own_redirects_still_happen() -> None:
    # The document's router skips paths outside its URLs; these are inside, or merge into them.
    with TestClient(aaf([router], docs_url="/api-docs/"), follow_redirects=False) as client:
        moved = client.get("/api-docs")
        assert moved.status_code == 308 and moved.headers["location"].endswith("/api-docs/")
        assert client.get("/api-docs/").status_code == 200
        # werkzeug merges the doubled slash of a static rule and matches, as without aaf.
        assert client.get("http://testserver//openapi.json").status_code == 200
        assert client.get("/api-doc").status_code == 404


def test_bodiless_statuses_document_no_content() -> None:
    router = Router()

    @router.get("/gone", status_code=204)
    async def gone(connection: Connection) -> object:
        return {}  # dropped on the wire: a 204 has no body

    @router.get("/same", status_code=304)
    async def same(connection: Connection) -> object:
        return ""

    document = aaf([router]).openapi()
    validate(document)
    assert operation_of(document, "/gone", "get")["responses"]["204"] == {
        "description": "No Content"
    }
    assert operation_of(document, "/same", "get")["responses"]["304"] == {
        "description": "Not Modified"
    }


def test_a_handler_returning_none_documents_the_status_it_answers() -> None:
    router = Router()

    @router.delete("/plain")
    async def plain(connection: Connection) -> None:
        return None

    @router.post("/created", status_code=201)
    async def created(connection: Connection) -> None:
        return None

    app = aaf([router])
    client = TestClient(app)
    document = app.openapi()
    assert list(operation_of(document, "/plain", "delete")["responses"])[0] == "204"
    assert client.delete("/plain").status_code == 204
    assert list(operation_of(document, "/created", "post")["responses"])[0] == "201"
    assert client.post("/created").status_code == 201


def test_form_routes_document_the_400_of_a_body_that_cannot_be_parsed() -> None:
    router = Router()

    @router.post("/upload")
    async def upload(connection: Connection, f: Annotated[UploadFile, Form()]) -> int:
        return 1

    @router.post("/fields")
    async def fields(connection: Connection, name: Annotated[str, Form()]) -> int:
        return 1

    @router.post("/json")
    async def json_body(connection: Connection, item: dict[str, int]) -> int:
        return 1

    document = aaf([router]).openapi()
    validate(document)
    for path in ("/upload", "/fields"):
        broken = operation_of(document, path, "post")["responses"]["400"]
        assert broken["description"] == "Malformed form body"
    assert "400" not in operation_of(document, "/json", "post")["responses"]
    # And a broken multipart body is what gets it.
    answer = TestClient(aaf([router])).post(
        "/upload", content=b"--B\r\n", headers={"content-type": "multipart/form-data; boundary=B"}
    )
    assert answer.status_code == 400 and answer.text.startswith("Malformed multipart body")


def test_an_including_routers_tags_and_security_reach_the_included_operations() -> None:
    bearer = HTTPBearer()
    users = Router("/users", tags=["users"])

    @users.get("/me", tags=["me"])
    async def me(connection: Connection) -> str:
        return "me"

    api = Router("/api", tags=["api"], dependencies=[Depends(bearer)])
    api.include(users)
    document = cast(Document, aaf([api]).openapi())
    validate(document)
    found = operation_of(document, "/api/users/me", "get")
    assert found["tags"] == ["api", "users", "me"]
    assert found["security"] == [{"HTTPBearer": []}]
    # The included router on its own: its own tags, no security.
    alone = operation_of(cast(Document, aaf([users]).openapi()), "/users/me", "get")
    assert alone["tags"] == ["users", "me"] and "security" not in alone


def test_router_and_include_options_show_every_route_below_as_fastapi_does() -> None:
    # FastAPI's APIRouter(responses=, deprecated=, include_in_schema=) and include_router's
    # same options: responses beside the routes' own (theirs win for a status both give),
    # deprecated when any router above says so, left out when any router above says so.
    class Unauthorized(BaseModel):
        message: str

    items = Router("/items", responses={404: Problem, 401: None})
    assert Router(tags=["a", "b"]).tags == ("a", "b")

    @items.get("/<int:item_id>", responses={404: None})
    async def item(connection: Connection, item_id: int) -> str:
        return "lamp"

    old = Router("/old", deprecated=True)

    @old.get("/thing")
    async def thing(connection: Connection) -> str:
        return "thing"

    internal = Router("/internal")

    @internal.get("/stats")
    async def stats(connection: Connection) -> dict[str, int]:
        return {"requests": 1}

    api = Router("/api")
    api.include(items, responses={401: Unauthorized, 403: None})
    api.include(old)
    api.include(internal, include_in_schema=False)
    app = aaf([api])
    admin = Router("/admin")

    @admin.get("/users")
    async def users(connection: Connection) -> list[str]:
        return []

    app.include_router(admin, deprecated=True, tags=["admin"], responses={403: Problem})
    document = cast(Document, app.openapi())
    validate(document)
    responses = operation_of(document, "/api/items/{item_id}", "get")["responses"]
    assert set(responses) == {"200", "401", "403", "404"}
    # The route's own entry wins over its router's: no model, only aaf's own text 404 (a
    # value <int:> does not match).
    assert responses["404"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
    assert "content" not in responses["401"]  # the router's own wins over an including one's
    assert "content" not in responses["403"]
    assert "deprecated" not in operation_of(document, "/api/items/{item_id}", "get")
    assert operation_of(document, "/api/old/thing", "get")["deprecated"] is True
    assert "/api/internal/stats" not in document["paths"]
    found = operation_of(document, "/admin/users", "get")
    assert found["deprecated"] is True and found["tags"] == ["admin"]
    assert found["responses"]["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    # Left out of the document, still served; the routers on their own show their own.
    with TestClient(app) as client:
        assert client.get("/api/internal/stats").json() == {"requests": 1}
        assert client.get("/api/old/thing").text == "thing"
    alone = cast(Document, aaf([items, internal]).openapi())
    assert "/internal/stats" in alone["paths"]
    assert set(operation_of(alone, "/items/{item_id}", "get")["responses"]) == {"200", "401", "404"}
    assert "deprecated" not in operation_of(
        cast(Document, aaf([admin]).openapi()), "/admin/users", "get"
    )


def test_a_view_methods_responses_add_to_the_routes_and_its_routers() -> None:
    router = Router(responses={401: None})

    @router.route("/things/<int:thing_id>", responses={404: Problem})
    class ThingView(View):
        async def get(self, connection: Connection, thing_id: int) -> str:
            return "thing"

        @operation(responses={409: Problem})
        async def put(self, connection: Connection, thing_id: int) -> str:
            return "put"

    document = cast(Document, aaf([router]).openapi())
    validate(document)
    path = "/things/{thing_id}"
    assert set(operation_of(document, path, "get")["responses"]) == {"200", "401", "404"}
    assert set(operation_of(document, path, "put")["responses"]) == {"200", "401", "404", "409"}


def test_operation_under_a_functions_route_decorator_is_its_options() -> None:
    # It was read on View methods only: on a function, silently nothing (a 200, no summary).
    router = Router()

    @router.post("/items", tags=["items"])
    @operation(status_code=201, summary="Make an item", tags=["writes"], responses={409: None})
    async def make(connection: Connection) -> dict[str, int]:
        return {"id": 1}

    app = aaf([router])
    answer = TestClient(app).post("/items")
    assert (answer.status_code, answer.json()) == (201, {"id": 1})
    found = operation_of(cast(Document, app.openapi()), "/items", "post")
    assert (found["summary"], found["tags"]) == ("Make an item", ["items", "writes"])
    assert sorted(found["responses"]) == ["201", "409"]  # nothing it reads can fail: no 422


def test_openapi_extra_is_written_over_the_operation_as_fastapi_does() -> None:
    # FastAPI's "advanced configuration": a body the handler reads by hand, declared in the
    # document, and an extension; mappings are merged, not replaced.
    router = Router()
    schema: dict[str, JsonValue] = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    }

    @router.post(
        "/raw",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/x-yaml": {"schema": schema}},
            },
            "x-code-samples": [{"lang": "shell", "source": "curl -X POST /raw"}],
            "responses": {"200": {"description": "The name, read from YAML"}},
        },
    )
    async def raw(connection: Connection) -> str:
        return (await connection.body()).decode().removeprefix("name: ")

    @router.route("/things")
    class Things(View):
        @operation(openapi_extra={"x-internal": True})
        async def get(self, connection: Connection) -> str:
            return "things"

    app = aaf([router])
    document = cast(Document, app.openapi())
    validate(document)
    found = operation_of(document, "/raw", "post")
    assert found["requestBody"] == {
        "required": True,
        "content": {"application/x-yaml": {"schema": schema}},
    }
    assert found["x-code-samples"] == [{"lang": "shell", "source": "curl -X POST /raw"}]
    assert found["responses"]["200"] == {
        "description": "The name, read from YAML",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
    assert operation_of(document, "/things", "get")["x-internal"] is True
    with TestClient(app) as client:
        answer = client.post(
            "/raw", content=b"name: lamp", headers={"content-type": "application/x-yaml"}
        )
        assert answer.text == "lamp"


def test_a_response_written_as_fastapis_mapping_goes_into_the_document() -> None:
    # {"model": ..., "description": ..., "content": ...}: merged into what the route answers
    # with that status (a second media type beside its JSON), else an entry of its own.
    router = Router()

    @router.get(
        "/items/<int:item_id>",
        responses={
            200: {"content": {"image/png": {}}, "description": "The item, or its picture"},
            404: {"model": Problem, "description": "No such item"},
            410: {"description": "Gone for good", "headers": {"X-Gone": {"schema": {}}}},
        },
    )
    async def item(connection: Connection, item_id: int) -> Problem:
        return Problem(detail="lamp")

    document = cast(Document, aaf([router]).openapi())
    validate(document)
    responses = operation_of(document, "/items/{item_id}", "get")["responses"]
    assert responses["200"]["description"] == "The item, or its picture"
    assert responses["200"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}},
        "image/png": {},
    }
    assert responses["404"] == {
        "description": "No such item",
        "content": {
            # aaf's own 404 for a value <int:> does not match, beside the route's model.
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}},
        },
    }
    assert responses["410"] == {
        "description": "Gone for good",
        "headers": {"X-Gone": {"schema": {}}},
    }


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        ({404: {"descripton": "No such item"}}, "responses[404] has 'descripton'"),
        ({404: {"description": 404}}, "responses[404]['description'] must be a string"),
        ({"404": None}, "responses takes HTTP statuses (100-599) as keys, got '404'"),
        ({700: None}, "got 700"),
        ({True: None}, "got True"),
    ],
)
def test_a_response_entry_that_is_not_one_is_refused_at_registration(
    responses: dict[Any, object], message: str
) -> None:
    router = Router()
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        router.get("/x", responses=responses)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        Router(responses=responses)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        aaf([]).include_router(router, responses=responses)


def test_tags_metadata_and_servers_go_into_the_document() -> None:
    # FastAPI's openapi_tags (descriptions, and the order Swagger UI shows them in) and servers.
    tagged = Router(tags=["items"])

    @tagged.get("/items")
    async def items(connection: Connection) -> list[str]:
        return []

    tags: list[dict[str, JsonValue]] = [
        {"name": "items", "description": "What the shop sells."},
        {"name": "users", "externalDocs": {"url": "https://example.com/users"}},
    ]
    servers: list[dict[str, JsonValue]] = [
        {"url": "https://api.example.com", "description": "Live"}
    ]
    document = aaf([tagged], openapi_tags=tags, servers=servers).openapi()
    validate(document)
    assert document["tags"] == tags
    assert document["servers"] == servers
    assert "tags" not in aaf([tagged]).openapi()  # none given, none written


def test_the_info_object_takes_what_fastapi_names() -> None:
    app = aaf(
        [],
        title="Shop",
        version="2.1",
        summary="Sells lamps.",
        description="Everything **the shop** sells.",
        terms_of_service="https://example.com/terms",
        contact={"name": "Ada", "url": "https://example.com", "email": "ada@example.com"},
        license_info={"name": "Apache 2.0", "identifier": "Apache-2.0"},
    )
    document = app.openapi()
    validate(document)
    assert document["info"] == {
        "title": "Shop",
        "summary": "Sells lamps.",
        "description": "Everything **the shop** sells.",
        "termsOfService": "https://example.com/terms",
        "contact": {"name": "Ada", "url": "https://example.com", "email": "ada@example.com"},
        "license": {"name": "Apache 2.0", "identifier": "Apache-2.0"},
        "version": "2.1",
    }
    assert aaf([]).openapi()["info"] == {"title": "aaf", "version": "0.1.0"}


WORDS: tuple[str, ...] = ("lamp",)  # any sequence of examples, not only a list[object]


def test_markers_take_what_the_document_shows_and_can_hide_a_parameter() -> None:
    router = Router()

    @router.post("/search")
    async def search(
        connection: Connection,
        q: Annotated[
            str, Query(title="Words", examples=WORDS, deprecated=True, description="Old")
        ] = "",
        step: Annotated[int, Query(multiple_of=5)] = 10,
        trace: Annotated[str | None, Query(include_in_schema=False)] = None,
        x_internal: Annotated[str | None, Header(include_in_schema=False)] = None,
        debug: Annotated[str | None, Cookie(include_in_schema=False)] = None,
        name: Annotated[str, Form()] = "-",
        secret: Annotated[str | None, Form(include_in_schema=False)] = None,
        attachment: Annotated[UploadFile | None, Form(include_in_schema=False)] = None,
    ) -> dict[str, object]:
        return {
            "q": q,
            "step": step,
            "trace": trace,
            "internal": x_internal,
            "debug": debug,
            "name": name,
            "secret": secret,
            "file": attachment and attachment.filename,
        }

    app = aaf([router])
    document: Document = cast("Document", app.openapi())
    validate(document)
    operation = operation_of(document, "/search", "post")
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"q", "step"}  # trace, x-internal and debug are hidden
    assert parameters["q"]["deprecated"] is True
    assert parameters["q"]["description"] == "Old"
    assert parameters["q"]["schema"]["title"] == "Words"
    assert parameters["q"]["schema"]["examples"] == ["lamp"]
    assert parameters["step"]["schema"]["multipleOf"] == 5
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(form["properties"]) == {"name"}  # the hidden field and upload are left out
    client = TestClient(app)
    # Hidden or not, every parameter is read; the constraints hold.
    answer = client.post(
        "/search?q=a&step=15&trace=t",
        headers={"x-internal": "i", "cookie": "debug=d"},
        data={"name": "n", "secret": "s"},
        files={"attachment": ("a.txt", b"x")},
    )
    assert answer.json() == {
        "q": "a",
        "step": 15,
        "trace": "t",
        "internal": "i",
        "debug": "d",
        "name": "n",
        "secret": "s",
        "file": "a.txt",
    }
    refused = client.post("/search?step=7")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["type"] == "multiple_of"


def test_a_body_marked_include_in_schema_false_is_left_out_of_the_document() -> None:
    router = Router()

    @router.post("/hook")
    async def hook(
        connection: Connection, event: Annotated[NewItem, Body(include_in_schema=False)]
    ) -> str:
        return event.name

    app = aaf([router])
    assert "requestBody" not in operation_of(cast("Document", app.openapi()), "/hook", "post")
    assert TestClient(app).post("/hook", json={"name": "n", "price": 1}).text == "n"


LAMP: dict[str, JsonValue] = {"summary": "A lamp", "value": {"name": "lamp", "price": 12.5}}


def test_named_examples_go_to_the_parameter_and_the_body() -> None:
    # FastAPI's openapi_examples: OpenAPI Example Objects by name, which Swagger UI lists.
    router = Router()

    @router.post("/items")
    async def create(
        connection: Connection,
        item: Annotated[Item, Body(openapi_examples={"lamp": LAMP})],
        q: Annotated[
            str,
            Query(openapi_examples={"short": {"value": "la"}, "long": {"value": "lamps"}}),
        ] = "",
        x_tag: Annotated[str, Header(openapi_examples={"one": {"value": "a"}})] = "",
    ) -> Item:
        return item

    document = cast("Document", aaf([router]).openapi())
    validate(document)
    operation = operation_of(document, "/items", "post")
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["q"]["examples"] == {"short": {"value": "la"}, "long": {"value": "lamps"}}
    assert parameters["x-tag"]["examples"] == {"one": {"value": "a"}}
    body = operation["requestBody"]["content"]["application/json"]
    assert body["examples"] == {"lamp": LAMP}
    with pytest.raises(TypeError, match=r"Query\(openapi_examples=\.\.\.\) takes"):
        Query(openapi_examples={"bad": {"val": 1}})
    with pytest.raises(TypeError, match="a form is one schema in the API document"):
        Form(openapi_examples={"x": {"value": 1}})  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="a path value's examples go in examples="):
        PathMarker(openapi_examples={"x": {"value": 1}})  # type: ignore[call-arg]


def test_statuses_may_be_http_status_members_as_fastapis_users_write_them() -> None:
    router = Router(responses={HTTPStatus.UNAUTHORIZED: None})

    @router.post("/items", status_code=HTTPStatus.CREATED, responses={HTTPStatus.CONFLICT: Problem})
    async def create(connection: Connection) -> str:
        return "made"

    document = cast(Document, aaf([router]).openapi())
    validate(document)
    assert set(operation_of(document, "/items", "post")["responses"]) == {"201", "401", "409"}
    with TestClient(aaf([router])) as client:
        assert client.post("/items").status_code == 201


def test_an_optional_form_field_is_documented_as_what_a_form_can_send() -> None:
    # A form has no null: None is an absent (or empty) field, and the text "null" would be
    # refused, as schemathesis found when the document offered it.
    router = Router()

    @router.post("/notes")
    async def add(
        connection: Connection,
        note: Annotated[str | None, Form()] = None,
        sizes: Annotated[list[int] | None, Form()] = None,
        either: Annotated[int | str | None, Form()] = None,
        tags: Annotated[list[str], Form()] = [],  # noqa: B006  # never changed
        maybe: Annotated[list[int | None] | None, Form()] = None,
    ) -> str:
        return note or ""

    app = aaf([router])
    document = cast(Document, app.openapi())
    validate(document)
    body = cast(dict[str, Any], operation_of(document, "/notes", "post")["requestBody"])
    fields = body["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]
    # No default shown either: None is not a value of the schema left.
    assert fields["note"] == {"type": "string", "title": "Note", "minLength": 1}
    assert fields["sizes"] == {"type": "array", "items": {"type": "integer"}, "title": "Sizes"}
    assert fields["either"]["anyOf"] == [{"type": "integer"}, {"type": "string", "minLength": 1}]
    # A list's empty values are dropped: each item has a character at least; and a list's
    # item is never null either (the text "null" is no None).
    assert fields["maybe"]["items"] == {"type": "integer"}
    assert fields["tags"]["items"] == {"type": "string", "minLength": 1}
    client = TestClient(app)
    assert client.post("/notes", data={"note": "n"}).text == "n"
    assert client.post("/notes", data={"sizes": "null"}).status_code == 422


def test_a_returned_response_and_a_schemes_own_401_are_documented_as_they_go_out() -> None:
    # A response the handler returns goes out as it was made (the route's status_code is for
    # returned values), and a scheme answers 401 itself: the document said 301 for a 307,
    # 201 for a 200, and nothing of the 401.
    router = Router()
    optional_bearer = HTTPBearer(auto_error=False, scheme_name="MaybeBearer")

    @router.get("/old", status_code=301)
    async def old(connection: Connection) -> RedirectResponse:
        return RedirectResponse("/new")

    @router.get("/page", status_code=201)
    async def page(connection: Connection) -> HtmlResponse:
        return HtmlResponse("<p>hi</p>")

    @router.get("/me")
    async def me(
        connection: Connection, credentials: HTTPAuthorizationCredentials = Depends(bearer)
    ) -> str:
        return credentials.credentials

    @router.get("/maybe")
    async def maybe(
        connection: Connection,
        credentials: HTTPAuthorizationCredentials | None = Depends(optional_bearer),
    ) -> str:
        return "" if credentials is None else credentials.credentials

    app = aaf([router])
    document = cast(Document, app.openapi())
    validate(document)
    client = TestClient(app)
    assert client.get("/old", follow_redirects=False).status_code == 307
    assert operation_of(document, "/old", "get")["responses"] == {
        "3XX": {
            "description": "Redirect",
            "headers": {"Location": {"description": "Where to go", "schema": {"type": "string"}}},
        }
    }
    answer = client.get("/page")
    assert (answer.status_code, answer.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert operation_of(document, "/page", "get")["responses"] == {
        "200": {"description": "OK", "content": {"text/html": {"schema": {"type": "string"}}}}
    }
    refused = client.get("/me")
    assert (refused.status_code, refused.headers["content-type"]) == (
        401,
        "text/plain; charset=utf-8",
    )
    me_responses = cast(dict[str, Any], operation_of(document, "/me", "get")["responses"])
    assert me_responses["401"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
    # A scheme that lets a request without credentials through: no credential is a choice.
    assert client.get("/maybe").text == ""
    assert operation_of(document, "/maybe", "get")["security"] == [{"MaybeBearer": []}, {}]
    assert "401" not in cast(dict[str, Any], operation_of(document, "/maybe", "get")["responses"])


def test_text_values_are_documented_as_the_text_the_app_reads() -> None:
    # A Decimal's text has pydantic's own pattern (any string was valid by the document, and
    # "" a 422); a bytes parameter is text, not binary; a required list of files takes one
    # at least (no file sent is the field missing). Schemathesis found each.
    router = Router()

    @router.post("/prices")
    async def prices(
        connection: Connection,
        files: list[UploadFile],
        price: Decimal,
        raw: bytes | None = None,
        cents: Annotated[Decimal, Query(max_digits=4, decimal_places=2)] = Decimal(1),
    ) -> dict[str, str]:
        return {"price": str(price)}

    app = aaf([router])
    document = cast(Document, app.openapi())
    validate(document)
    operation = operation_of(document, "/prices", "post")
    parameters = {
        p["name"]: p["schema"] for p in cast("list[dict[str, Any]]", operation["parameters"])
    }
    price_text = parameters["price"]["anyOf"][1]
    assert price_text["type"] == "string"
    pattern = re.compile(price_text["pattern"])
    assert all(pattern.search(text) for text in ("1", "-1.50", ".5", "1e3"))
    assert not any(pattern.search(text) for text in ("", ".", "1e", "abc", "NaN", "1e" + "9" * 19))
    assert pattern.search("1e" + "9" * 17)
    # Counted digits: the text alone, whose pattern counts them (no number's JSON can be
    # held to them: 5.07e16 has 17); a number is still read.
    assert parameters["cents"]["type"] == "string" and "anyOf" not in parameters["cents"]
    cents = re.compile(parameters["cents"]["pattern"])
    assert cents.search("12.34") and not cents.search("123.4") and not cents.search("1.234")
    assert not cents.search("1.2e-5")  # whose digits the pattern could not count
    assert parameters["raw"] == {"type": "string", "title": "Raw"}
    body = cast("dict[str, Any]", operation["requestBody"])
    files = body["content"]["multipart/form-data"]["schema"]["properties"]["files"]
    assert files == {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "minItems": 1,
    }
    with TestClient(app) as client:
        assert client.post("/prices?price=", files={"f": ("a", b"1")}).status_code == 422
        sent = client.post("/prices?price=1.5&raw=ab", files=[("files", ("a.txt", b"1"))])
        assert sent.json() == {"price": "1.5"}
        files = [("files", ("a.txt", b"1"))]
        assert client.post("/prices?price=1&cents=123", files=files).status_code == 422


def test_tags_are_a_list_not_one_string() -> None:
    # `tags="users"` type-checks (a string is a Sequence[str]) and made the tags u, s, e, r.
    from aaf.routing import operation

    router = Router()
    with pytest.raises(TypeError, match=r"tags='users' is one string; give a list"):
        router.get("/a", tags="users")
    with pytest.raises(TypeError, match=r"tags='admin' is one string"):
        Router(tags="admin")
    with pytest.raises(TypeError, match=r"tags='v1' is one string"):
        Router().include(Router(), tags="v1")
    with pytest.raises(TypeError, match=r"tags='items' is one string"):
        operation(tags="items")


class Tags(enum.Enum):
    items = "items"
    users = "users"


class Areas(enum.StrEnum):
    admin = "admin"


def test_tags_may_be_enum_members_written_as_their_values() -> None:
    # FastAPI's "tags with enums": `tags=[Tags.items]` was refused by the type checkers, and
    # a StrEnum's member (a str to them) stayed an enum member in app.openapi().
    from aaf.routing import operation

    router = Router(tags=[Areas.admin])

    @router.get("/items", tags=[Tags.items])
    async def items(connection: Connection) -> str:
        return ""

    @router.route("/users")
    class Users(View):
        @operation(tags=[Tags.users, "people"])
        async def get(self, connection: Connection) -> str:
            return ""

    app = aaf([])
    app.include_router(router, tags=[Tags.users])
    paths = cast(dict[str, Any], app.openapi())["paths"]
    assert paths["/items"]["get"]["tags"] == ["users", "admin", "items"]
    assert paths["/users"]["get"]["tags"] == ["users", "admin", "people"]
    for tags in (paths["/items"]["get"]["tags"], paths["/users"]["get"]["tags"]):
        assert all(type(tag) is str for tag in tags)


def test_a_rule_variable_typed_any_takes_its_converters_schema() -> None:
    # `number: object` on `<int:number>` is given the converter's int; the document said
    # `allOf: [integer, string]`, which no value is (Any read as text, as from a query).

    router = Router()

    @router.get("/raw/<int:number>/<uuid:key>/<name>")
    async def raw(connection: Connection, number: object, key: Any, name: Any) -> str:
        return ""

    @router.get("/rest/<float:x>")
    async def rest(connection: Connection, **others: object) -> str:
        return ""

    document = aaf([router]).openapi()
    validate(document)
    paths = cast(dict[str, Any], document["paths"])
    schemas = {
        parameter["name"]: parameter["schema"]
        for path in ("/raw/{number}/{key}/{name}", "/rest/{x}")
        for parameter in paths[path]["get"]["parameters"]
    }
    assert schemas == {
        "number": {"title": "Number", "type": "integer", "minimum": 0},
        "key": {"title": "Key", "type": "string", "format": "uuid"},
        "name": {"title": "Name", "type": "string"},
        "x": {"title": "X", "type": "number", "minimum": 0},
    }


class Shade(enum.Enum):
    LIGHT = "light"
    DARK = "dark"


class Finish(BaseModel):
    gloss: bool = False


class PaintFilters(BaseModel):
    shade: Shade | None = None
    limit: int = 10


class PaintHeaders(BaseModel):
    x_tenant: str = "main"


class PaintCookies(BaseModel):
    session: str | None = None


def test_a_model_read_whole_from_the_query_headers_or_cookies_is_no_component() -> None:
    # A Query(), Header() or Cookie() model is documented as one parameter a field, as
    # FastAPI's is: it was a component too, which nothing referred to (Swagger UI listed it
    # beside the request and response models). What its fields refer to is kept.
    app = App()

    @app.get("/paint")
    async def paint(
        connection: Connection,
        filters: Annotated[PaintFilters, Query()],
        headers: Annotated[PaintHeaders, Header()],
        cookies: Annotated[PaintCookies, Cookie()],
    ) -> str:
        return "ok"

    @app.post("/finish")
    async def finish(connection: Connection, given: Finish) -> str:
        return "ok"

    document = app.openapi()
    validate(cast("dict[str, Any]", document))
    schemas = cast("dict[str, Any]", document["components"])["schemas"]
    assert set(schemas) == {"Shade", "Finish", "HTTPValidationError", "ValidationError"}
    parameters = operation_of(cast(Document, document), "/paint", "get")["parameters"]
    assert [(p["in"], p["name"]) for p in parameters] == [
        ("query", "shade"),
        ("query", "limit"),
        ("header", "x-tenant"),
        ("cookie", "session"),
    ]
    assert parameters[0]["schema"] == {"$ref": "#/components/schemas/Shade"}
