"""Handler plans: registration-time checks, and plans built without any connection."""

from __future__ import annotations

import dataclasses
import datetime
import json
import uuid
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Annotated, Literal

import pytest
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    Json,
    RootModel,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)
from starlette.responses import PlainTextResponse
from typing_extensions import TypedDict
from werkzeug.routing.converters import IntegerConverter
from werkzeug.routing.map import Map

from aaf import aaf
from aaf._plan import HandlerPlan, build_plan
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError
from aaf.params import Body, Cookie, Form, Header, Path, Query
from aaf.response import HttpResponse
from aaf.routing import Router, operation
from aaf.testing import TestClient
from aaf.views import View, WebSocketView


class Item(BaseModel):
    name: str


class Other(BaseModel):
    size: int


class Opaque:
    """A class pydantic has no schema for."""


def plan_with_int_variable(handler: Callable[..., Awaitable[object]], variable: str) -> HandlerPlan:
    """Build a plan as for a rule whose only variable is ``<int:variable>``."""
    converters = {variable: IntegerConverter(Map())}
    return build_plan(
        handler, qualname=handler.__name__, rule_converters=converters, is_method=False
    )


def register(rule: str, handler: object) -> None:
    Router().add_route(rule, handler)  # type: ignore[arg-type]  # each test passes a handler


def test_rule_variable_without_parameter_raises_naming_the_handler() -> None:
    async def orphan(connection: Connection) -> None: ...

    with pytest.raises(ConfigurationError, match=r"orphan.*<item_id>"):
        register("/items/<int:item_id>", orphan)


def test_converter_that_cannot_produce_the_annotation_raises() -> None:
    async def mismatch(connection: Connection, x: uuid.UUID) -> None: ...

    with pytest.raises(ConfigurationError, match=r"mismatch.*'x'.*int"):
        register("/<int:x>", mismatch)


@pytest.mark.parametrize("annotation", ["int", "float", "int | None", "Annotated[int, Path(ge=0)]"])
def test_int_converter_accepts_int_and_float_annotations(annotation: str) -> None:
    ns: dict[str, object] = {}
    exec(  # a handler whose annotation is chosen by the test
        f"async def handler(connection, x: {annotation}) -> None: ...",
        {"Annotated": Annotated, "Path": Path},
        ns,
    )
    register("/<int:x>", ns["handler"])


def test_default_string_converter_feeds_any_annotation() -> None:
    async def handler(connection: Connection, x: uuid.UUID) -> None: ...

    register("/<x>", handler)


def test_two_body_parameters_raise_as_ambiguous() -> None:
    async def two(connection: Connection, a: Item, b: Other) -> None: ...

    with pytest.raises(ConfigurationError, match=r"two.*ambiguous"):
        register("/", two)


def test_body_and_form_cannot_mix() -> None:
    async def both(connection: Connection, a: Item, b: Annotated[str, Form()]) -> None: ...

    with pytest.raises(ConfigurationError, match="cannot mix"):
        register("/", both)


def test_annotation_pydantic_cannot_validate_raises() -> None:
    async def opaque(connection: Connection, thing: Annotated[Opaque, Body()]) -> None: ...

    with pytest.raises(ConfigurationError, match=r"opaque.*'thing'"):
        register("/", opaque)


def test_a_status_with_no_body_refuses_a_handler_annotated_to_return_one() -> None:
    # A 204 or 304 goes out without a body: a value the annotation promises would be dropped
    # unseen (FastAPI refuses such a route too).
    router = Router()

    async def gone(connection: Connection) -> dict[str, int]:
        return {"id": 1}

    async def same(connection: Connection) -> str | None:
        return None

    with pytest.raises(ConfigurationError) as raised:
        router.add_route("/gone", gone, methods=["DELETE"], status_code=204)  # type: ignore[aaf-route]  # what the test is about
    assert str(raised.value).endswith(
        ".gone: status_code 204 sends no body, but it returns dict[str, int]: annotate it "
        "-> None (a response object it returns keeps its own status)"
    )
    with pytest.raises(ConfigurationError, match=r"status_code 304 sends no body, but it retu"):
        router.add_route("/same", same, status_code=304)  # type: ignore[aaf-route]  # what the test is about

    class NoteView(View):
        async def get(self, connection: Connection) -> Item:
            return Item(name="n")

        @operation(status_code=204)
        async def delete(self, connection: Connection) -> Item:
            return Item(name="n")

    with pytest.raises(ConfigurationError, match=r"NoteView\.delete: status_code 204 sends no"):
        router.add_route("/notes", NoteView)  # type: ignore[aaf-route]  # what the test is about

    # What cannot be a body, or says nothing of the value, is taken.
    async def nothing(connection: Connection) -> None: ...

    async def answered(connection: Connection) -> HttpResponse | None:
        return HttpResponse("not modified", status_code=304)

    async def anything(connection: Connection) -> Annotated[object, "any"]:
        return {}

    async def unannotated(connection: Connection):  # type: ignore[no-untyped-def]  # pyright: ignore[reportUnknownParameterType]
        return {"id": 1}

    for handler in (nothing, answered, anything, unannotated):  # pyright: ignore[reportUnknownVariableType]
        router.add_route(f"/{handler.__name__}", handler, status_code=204)  # pyright: ignore[reportUnknownArgumentType, reportUnknownMemberType]
    with TestClient(aaf([router])) as client:
        for path in ("/nothing", "/anything", "/unannotated"):
            assert (client.get(path).status_code, client.get(path).content) == (204, b"")
        assert client.get("/answered").status_code == 304


class Shelf(Mapping[str, object]):
    """A mapping of its own, as Starlette's Request is: read as a JSON body."""

    def __getitem__(self, key: str) -> object:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_a_class_pydantic_cannot_validate_is_named_with_a_provider_hint() -> None:
    # pydantic's own message named neither the parameter nor the way out, and suggested
    # arbitrary_types_allowed, which no handler parameter can take; so it was for a body read
    # as one because it is a Mapping (`request: Request`, Starlette's).
    async def listing(connection: Connection, q: str, db: Opaque) -> None: ...

    async def shelved(connection: Connection, shelf: Shelf) -> None: ...

    said = {
        listing: "listing: parameter 'db' is annotated Opaque, which no query value",
        shelved: "shelved: parameter 'shelf' is annotated Shelf, which no body value",
    }
    for handler, start in said.items():
        with pytest.raises(ConfigurationError) as raised:
            register("/", handler)
        name = start.split("'")[1]
        shown = start.split("annotated ")[1].split(",")[0]
        assert str(raised.value).endswith(
            f".{start} can fill (pydantic cannot validate it); if something the app makes "
            f"fills it, give it a provider: {name}: {shown} = Depends(get_{name})"
        )


@dataclasses.dataclass
class Paging:
    page: int = 1


class Filter(TypedDict):
    name: str


class Tree(BaseModel):
    kids: list[Tree] = []


class Count(RootModel[int]):
    pass


class Loose(BaseModel):
    """A model that reads text itself, before its fields."""

    page: int = 1

    @model_validator(mode="before")
    @classmethod
    def from_text(cls, value: object) -> object:
        return {"page": value} if isinstance(value, str) else value


# Types no text (or list of texts) can be valid for: before, each route answered every request
# 422 (the value is text; a dataclass or dict wants an object).
# Each with its type as a message shows it, as mypy does: without its markers.
UNFILLABLE: list[tuple[str, object, str]] = [
    ("query", Annotated[Paging, Query()], "Paging"),
    ("query", Annotated[dict[str, int], Query()], "dict[str, int]"),
    ("query", Annotated[list[list[int]], Query()], "list[list[int]]"),
    ("query", Annotated[list[Item], Query()], "list[Item]"),
    ("query", Annotated[Item | None, Query()], "Item | None"),  # a whole model is the model alone
    ("query", Annotated[Counter[str], Query()], "Counter[str]"),
    ("header", Annotated[OrderedDict[str, int], Header()], "OrderedDict[str, int]"),
    # An Iterable is not a collection a repeated key fills: one text, iterated ("12" was 1, 2).
    ("query", Annotated[Iterable[int], Query()], "Iterable[int]"),
    ("query", Annotated[Tree | None, Query()], "Tree | None"),  # a recursive one
    ("header", Annotated[Paging, Header()], "Paging"),
    ("header", Annotated[Filter, Header()], "Filter"),
    ("cookie", Annotated[dict[str, str], Cookie()], "dict[str, str]"),
    # A cookie is one text (a repeated one gives its first): a list of texts is none.
    ("cookie", Annotated[list[str], Cookie()], "list[str]"),
    ("cookie", Annotated[set[int] | None, Cookie()], "set[int] | None"),
    ("cookie", Annotated[tuple[int, int], Cookie()], "tuple[int, int]"),
    ("form", Annotated[Paging, Form()], "Paging"),
    (
        "form",
        Annotated[dict[str, int] | list[dict[str, int]], Form()],
        "dict[str, int] | list[dict[str, int]]",
    ),
]


@pytest.mark.parametrize(("source", "annotation", "shown"), UNFILLABLE)
def test_a_type_no_text_can_fill_is_refused_at_registration(
    source: str, annotation: object, shown: str
) -> None:
    async def handler(connection: Connection, v: object) -> None: ...

    handler.__annotations__ = {"connection": Connection, "v": annotation, "return": None}
    with pytest.raises(ConfigurationError) as raised:
        register("/", handler)
    message = str(raised.value)
    assert f"handler: parameter 'v' is annotated {shown}, which" in message
    one = "one text" if source == "cookie" else "text"
    assert f"which no {source} value can fill: a {source} value is {one}" in message
    assert "Json[...]" in message and "Depends" in message
    # An unmarked list of lists, say, is the query's: where the body is meant, the message
    # says how to say so.
    assert ("Body()" in message) is (source == "query")


class _Seen(BaseModel):
    theme: str = "light"
    seen: list[str] = []


class _Near(BaseModel):
    q: str = ""
    near: dict[str, float] = {}


class _Traced(BaseModel):
    trace: Paging | None = None


class _Grid(BaseModel):
    rows: list[list[int]] = []


# A model marked Query(), Header(), Cookie() or Form() is filled field by field from text: a
# field no text fills answered 422 to every request that sent it (the list field of a cookie
# model even when sent as the document says).
UNFILLABLE_FIELDS: list[tuple[str, object, str, str, str]] = [
    ("cookie", Annotated[_Seen, Cookie()], "_Seen", "seen", "list[str]"),
    ("query", Annotated[_Near, Query()], "_Near", "near", "dict[str, float]"),
    ("header", Annotated[_Traced, Header()], "_Traced", "trace", "Paging | None"),
    ("form", Annotated[_Grid, Form()], "_Grid", "rows", "list[list[int]]"),
]


@pytest.mark.parametrize(("source", "annotation", "model", "field", "shown"), UNFILLABLE_FIELDS)
def test_a_model_field_no_text_can_fill_is_refused_at_registration(
    source: str, annotation: object, model: str, field: str, shown: str
) -> None:
    async def handler(connection: Connection, v: object) -> None: ...

    handler.__annotations__ = {"connection": Connection, "v": annotation, "return": None}
    with pytest.raises(ConfigurationError) as raised:
        register("/", handler)
    one = "one text" if source == "cookie" else "text"
    assert str(raised.value).endswith(
        f".handler: parameter 'v' is the model {model} marked {source.capitalize()}(), whose "
        f"field {field!r} is annotated {shown}, which no {source} value can fill: a {source} "
        f"value is {one}. Json[...] (pydantic) reads JSON text into it; a "
        "field_validator(mode='before') can parse the text its own way"
    )


class _SeenParsed(BaseModel):
    """The cookie's one text split by the model's own validator."""

    seen: list[str] = []
    near: Json[dict[str, float]] = {}

    @field_validator("seen", mode="before")
    @classmethod
    def split(cls, value: object) -> object:
        return value.split(".") if isinstance(value, str) else value


class _Many(BaseModel):
    tag: list[str] = []
    ids: tuple[int, ...] = ()


def test_model_fields_text_fills_are_taken() -> None:
    router = Router()

    @router.get("/")
    async def handler(
        connection: Connection,
        cookies: Annotated[_SeenParsed, Cookie()],
        query: Annotated[_Many, Query()],
        headers: Annotated[_Many, Header()],
        loose: Annotated[Loose, Cookie()],
    ) -> list[object]:
        return [cookies.seen, cookies.near, query.tag, query.ids, headers.ids, loose.page]

    cookies = {"seen": "a.b", "near": '{"x": 1.5}', "page": "3"}
    client = TestClient(aaf([router]), cookies=cookies)
    response = client.get(
        "/", params={"tag": ["x", "y"], "ids": ["1", "2"]}, headers={"ids": "4, 5"}
    )
    assert response.json() == [["a", "b"], {"x": 1.5}, ["x", "y"], [1, 2], [4, 5], 3]


class _Waiting(BaseModel):
    """A model naming one defined after it (pydantic finishes it once that exists)."""

    after: _DefinedAfter | None = None


class _Dangling(BaseModel):
    """A model naming one that never exists."""

    tree: Nowhere | None = None  # type: ignore[name-defined]  # noqa: F821  # the test's point  # pyright: ignore[reportUndefinedVariable]


class _DefinedAfter(BaseModel):
    size: int = 1


@pytest.mark.parametrize(
    "annotation",
    [_Dangling, list[_Dangling], Annotated[_Dangling, Query()], Annotated[_Dangling, Header()]],
)
def test_a_model_pydantic_cannot_build_yet_is_said_at_registration(annotation: object) -> None:
    # Before, a TypeError ('MockCoreSchema' object is not an instance of 'dict') or
    # pydantic's own error escaped, naming neither the handler nor the parameter.
    async def handler(connection: Connection, value: object) -> None: ...

    handler.__annotations__ = {"connection": Connection, "value": annotation, "return": None}
    with pytest.raises(ConfigurationError) as raised:
        register("/", handler)
    message = str(raised.value)
    assert ".handler: parameter 'value' is annotated " in message
    assert message.endswith(
        "whose model _Dangling pydantic cannot build yet: name 'Nowhere' is not defined; "
        "define it before the route is registered (or call _Dangling.model_rebuild() once "
        "it is)"
    )


def test_a_websocket_message_model_pydantic_cannot_build_yet_is_said_at_registration() -> None:
    class Session(WebSocketView):
        async def on_receive(self, connection: Connection, data: _Dangling) -> None: ...

    with pytest.raises(ConfigurationError) as raised:
        Router().add_websocket_route("/ws", Session)
    assert "Session.on_receive: parameter 'data' is annotated _Dangling, whose model" in str(
        raised.value
    )


def test_a_model_naming_one_defined_after_it_is_finished_at_registration() -> None:
    router = Router()

    @router.post("/")
    async def handler(connection: Connection, waiting: _Waiting) -> int:
        return waiting.after.size if waiting.after else 0

    client = TestClient(aaf([router]))
    assert client.post("/", json={"after": {"size": 3}}).json() == 3


def test_two_parameters_reading_one_value_are_refused() -> None:
    # One form field as a bool and as an int: the document showed one type, and a request
    # valid as it (x-value=100) was refused by the other. Found by tests/test_document_fuzz.py.
    async def handler(
        connection: Connection,
        flag: Annotated[bool, Form(alias="x-value")],
        count: Annotated[int | None, Form(alias="x-value")] = None,
    ) -> None: ...

    with pytest.raises(ConfigurationError) as raised:
        register("/", handler)
    assert str(raised.value).endswith(
        ".handler: parameters 'flag' and 'count' both read the form value 'x-value': give "
        "one of them another name or alias, or read it once"
    )


def test_a_path_variable_no_text_can_fill_is_refused() -> None:
    async def handler(connection: Connection, v: dict[str, int]) -> None: ...

    with pytest.raises(ConfigurationError, match="'v' .* which no path value can fill"):
        register("/<v>", handler)


def test_types_read_from_text_their_own_way_are_taken() -> None:
    router = Router()

    @router.get("/")
    async def handler(
        connection: Connection,
        filters: Annotated[Json[dict[str, int]], Query()],
        parsed: Annotated[dict[str, int], BeforeValidator(json.loads), Query()],
        counts: Annotated[list[Count], Query()],
        loose: Annotated[Loose | None, Header()] = None,
        pair: Annotated[tuple[int, str] | None, Query()] = None,
        tree: Annotated[Json[Tree] | None, Cookie()] = None,
    ) -> list[object]:
        return [filters, parsed, [c.root for c in counts], loose, pair, tree]

    client = TestClient(aaf([router]), cookies={"tree": '{"kids": [{}]}'})
    response = client.get(
        "/",
        params={
            "filters": '{"a": 1}',
            "parsed": '{"b": 2}',
            "counts": ["3", "4"],
            "pair": ["5", "x"],
        },
        headers={"loose": "6"},
    )
    assert response.json() == [
        {"a": 1},
        {"b": 2},
        [3, 4],
        {"page": 6},
        [5, "x"],
        {"kids": [{"kids": []}]},
    ]


def test_unresolvable_annotation_raises_naming_the_handler() -> None:
    async def broken(connection: Connection, x: Missing) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(ConfigurationError, match=r"broken.*resolve"):
        register("/", broken)  # pyright: ignore[reportUnknownArgumentType]  # on purpose


def test_view_method_errors_name_the_class_and_method() -> None:
    class Things(View):
        async def get(self, connection: Connection) -> None: ...

    with pytest.raises(ConfigurationError, match=r"Things\.get.*<thing_id>"):
        register("/things/<thing_id>", Things)


def test_view_without_methods_raises() -> None:
    class Empty(View):
        pass

    with pytest.raises(ConfigurationError, match="Empty defines none"):
        register("/", Empty)


def test_handler_without_connection_parameter_raises() -> None:
    async def lonely() -> None: ...

    with pytest.raises(ConfigurationError, match="connection"):
        register("/", lonely)


def test_plan_sorts_parameters_by_source_without_a_connection() -> None:
    async def handler(
        connection: Connection,
        item_id: int,
        q: str,
        item: Item,
        x_token: Annotated[str, Header()] = "",
    ) -> Item:
        return item

    plan = plan_with_int_variable(handler, "item_id")
    assert not plan.trivial
    assert plan.passthrough == ("item_id",)  # the int converter already gives an int
    assert [f.name for f in plan.fields["query"]] == ["q"]
    assert [(f.name, f.wire) for f in plan.fields["header"]] == [("x_token", "x-token")]
    assert plan.body is not None and plan.body.name == "item" and plan.body.required


def test_a_query_only_plan_validates_straight_into_the_keyword_arguments() -> None:
    # Its validator gives the handler's keyword arguments, defaults filled as they are (the
    # object given, as the general way hands it over); what pydantic would copy (an
    # unhashable default) or another source keeps the plan on the general way.
    given = Opaque()

    async def short(
        connection: Connection,
        item_id: int,
        q: str,
        kept: object = given,
        limit: Annotated[int, Query(alias="max", ge=1)] = 20,
    ) -> None: ...

    async def unhashable(connection: Connection, item_id: int, q: object = []) -> None: ...  # noqa: B006  # the case

    async def beside_a_header(
        connection: Connection, item_id: int, q: str, x_token: Annotated[str, Header()] = ""
    ) -> None: ...

    plan = plan_with_int_variable(short, "item_id")
    assert plan.query_kwargs is not None and plan.passthrough == ("item_id",)
    kwargs = plan.query_kwargs.validate_python({"q": "lamp", "limit": "7", "other": "x"})
    assert kwargs == {"q": "lamp", "kept": given, "limit": 20} and kwargs["kept"] is given
    assert plan.query_kwargs.validate_python({"q": "a", "max": "7"})["limit"] == 7
    with pytest.raises(ValidationError):
        plan.query_kwargs.validate_python({"q": "a", "max": "0"})
    assert plan_with_int_variable(unhashable, "item_id").query_kwargs is None
    assert plan_with_int_variable(beside_a_header, "item_id").query_kwargs is None

    router = Router()
    router.add_route("/<int:item_id>", short)
    seen: list[dict[str, object]] = []

    @router.get("/seen/<int:item_id>")
    async def record(
        connection: Connection, item_id: int, q: str, kept: object = given, limit: int = 20
    ) -> None:
        seen.append({"item_id": item_id, "q": q, "kept": kept, "limit": limit})

    client = TestClient(aaf([router]))
    assert client.get("/seen/4?q=a&limit=9&q=b").status_code == 204
    assert client.get("/seen/5?q=c").status_code == 204
    assert seen == [
        {"item_id": 4, "q": "b", "kept": given, "limit": 9},
        {"item_id": 5, "q": "c", "kept": given, "limit": 20},
    ]
    assert seen[1]["kept"] is given


def test_plan_for_untyped_path_handler_is_trivial() -> None:
    async def seed(connection, number=10):  # type: ignore[no-untyped-def]  # the seed's style
        return None

    plan = plan_with_int_variable(seed, "number")  # pyright: ignore[reportUnknownArgumentType]  # untyped on purpose
    assert plan.trivial and plan.validator is None


def test_a_handler_without_the_connection_is_told_so_not_about_rule_variables() -> None:
    async def forgot(item_id: int) -> None: ...

    with pytest.raises(ConfigurationError, match=r"forgot must take the connection.*item_id: int"):
        register("/items/<int:item_id>", forgot)

    async def untyped(item_id):  # type: ignore[no-untyped-def]  # pyright: ignore[reportMissingParameterType]
        ...

    with pytest.raises(ConfigurationError, match=r"untyped must take the connection.*item_id"):
        register("/items/<int:item_id>", untyped)  # pyright: ignore[reportUnknownArgumentType]


def test_a_generator_handler_is_refused_saying_how_to_stream() -> None:
    router = Router()

    async def ticks(connection: Connection) -> AsyncIterator[int]:
        yield 1

    def lines(connection: Connection) -> Iterator[str]:
        yield "a"

    for handler in (ticks, lines):
        with pytest.raises(ConfigurationError, match="is a generator: .*StreamingResponse"):
            router.add_route("/" + handler.__name__, handler)


def test_a_return_type_aaf_cannot_send_is_named_at_registration() -> None:
    # Another framework's response, as in an app being ported: which classes to use instead.
    router = Router()
    with pytest.raises(ConfigurationError, match=r"ported.*another framework's.*HttpResponse"):

        @router.get("/ported")
        async def ported(connection: Connection) -> PlainTextResponse | None:
            return PlainTextResponse("hi")

    with pytest.raises(ConfigurationError, match=r"opaque_result: cannot serialize.*Opaque"):

        @router.get("/opaque")
        async def opaque_result(connection: Connection) -> Opaque:
            return Opaque()

    # A constraint of the wrong type, with pydantic's reason (its SchemaError escaped).
    with pytest.raises(ConfigurationError, match=r"day: pydantic cannot validate its return"):

        @router.get("/day")
        async def day(connection: Connection) -> Annotated[datetime.date, Field(ge=1)]:
            return datetime.date.today()

    # Unannotated (or `-> object`), the same mistake is found when it is returned: said so in
    # the log, where pydantic's "Unable to serialize unknown type" was all there was.
    @router.get("/unannotated")
    async def unannotated(connection: Connection) -> object:
        return PlainTextResponse("hi")

    with TestClient(aaf([router])) as client:
        with pytest.raises(
            TypeError,
            match=r"^The handler returned a starlette\.responses\.PlainTextResponse, another "
            r"framework's response, which aaf does not send: return one of aaf\.response's",
        ):
            client.get("/unannotated")


def test_a_spellers_literal_numbers_are_found_wherever_they_sit() -> None:
    # What makes a text-read model field take "2" for Literal[1, 2]: its literals found in
    # an Annotated, a union of several kinds, a list, a fixed tuple; other values left be.
    from typing import Annotated, Literal

    from pydantic import Field

    from aaf._plan import text_speller

    either = text_speller(Literal[1, 2] | list[Literal[3, 4]] | None)
    assert either is not None
    assert either("2") == 2 and either(["3", "x"]) == [3, "x"] and either(None) is None
    assert either("x") == "x"
    inner = text_speller(Annotated[list[Literal[True]], Field(max_length=2)])
    assert inner is not None and inner(["true", "1"]) == [True, True]
    assert inner("true") == "true"  # a list's speller: a lone text is left to pydantic
    pair = text_speller(tuple[int, Literal[0, 1]])
    assert pair is not None and pair(["5", "1", "9"]) == ["5", 1, "9"] and pair("1") == "1"
    assert text_speller(tuple[int, str]) is None
    assert text_speller(Literal["a", "b"]) is None and text_speller(int) is None


class Leaf(BaseModel):
    name: str


class Expression(BaseModel):
    """A tree whose branches are leaves or trees again, told apart by their fields."""

    left: Leaf | Expression
    right: Leaf | Expression | None = None


class Number(BaseModel):
    kind: Literal["number"]
    value: float


class Sum(BaseModel):
    """A tree told apart by a tag, as JSON expression trees usually are."""

    kind: Literal["sum"]
    left: Annotated[Number | Sum, Field(discriminator="kind")]
    right: Annotated[Number | Sum, Field(discriminator="kind")]


@dataclasses.dataclass
class Folder:
    """A dataclass holding itself, plain and in a list."""

    name: str
    parent: Folder | None = None
    children: list[Folder] = dataclasses.field(default_factory=list["Folder"])


class Comment(TypedDict):
    """A TypedDict holding itself."""

    text: str
    replies: list[Comment]
    quoted: Comment | None


def test_a_dataclass_or_typeddict_holding_itself_registers_and_reads_large_bodies() -> None:
    # A stand-in model is made for each to read a large body: a new one each time, so one
    # holding itself made stand-ins for ever, a RecursionError at registration.
    router = Router()

    @router.post("/folders")
    async def folders(connection: Connection, folder: Folder) -> Folder:
        return folder

    @router.post("/comments")
    async def comments(connection: Connection, comment: Comment) -> int:
        return len(comment["replies"])

    client = TestClient(aaf([router]))
    children = [{"name": f"f{i}", "parent": {"name": "root"}} for i in range(5000)]
    sent = {"name": "root", "parent": {"name": "up", "parent": None}, "children": children}
    answer = client.post("/folders", json=sent)
    assert answer.status_code == 200
    assert answer.json()["children"][4999] == {
        "name": "f4999",
        "parent": {"name": "root", "parent": None, "children": []},
        "children": [],
    }
    quoted: dict[str, object] = {"text": "q", "replies": [], "quoted": None}
    reply: dict[str, object] = {"text": "r", "replies": [], "quoted": quoted}
    replies: list[object] = [reply] * 3000
    thread = {"text": "t", "replies": replies, "quoted": None}
    assert client.post("/comments", json=thread).json() == 3000
    no_text: dict[str, object] = {}
    broken = client.post("/comments", json={**thread, "replies": [*replies, no_text]})
    assert broken.status_code == 422
    assert [e["loc"] for e in broken.json()["detail"]][:1] == [["body", "replies", 3000, "text"]]


def test_a_model_whose_field_is_a_union_holding_that_model_registers() -> None:
    # Planning how a large body is read followed the union back into the model for ever:
    # a RecursionError when the route was registered, with a tag or without.
    router = Router()

    @router.post("/sum")
    async def add(connection: Connection, tree: Sum) -> Sum:
        return tree

    @router.post("/sums")
    async def sums(
        connection: Connection,
        trees: Annotated[list[Annotated[Number | Sum, Field(discriminator="kind")]], Body()],
    ) -> int:
        return sum(tree.kind == "sum" for tree in trees)

    @router.post("/evaluate")
    async def evaluate(connection: Connection, expression: Expression) -> Expression:
        return expression

    @router.post("/many")
    async def many(
        connection: Connection, expressions: Annotated[list[Leaf | Expression], Body()]
    ) -> int:
        return len(expressions)

    client = TestClient(aaf([router]))
    sent = {"left": {"left": {"name": "a"}, "right": {"name": "b"}}, "right": {"name": "c"}}
    assert client.post("/evaluate", json=sent).json() == {
        "left": {"left": {"name": "a"}, "right": {"name": "b"}},
        "right": {"name": "c"},
    }
    assert client.post("/many", json=[{"name": "a"}, sent] * 3000).json() == 6000
    refused = client.post("/evaluate", json={"left": {"left": 5}})
    assert refused.status_code == 422
    one = {"kind": "number", "value": 1}
    tree = {"kind": "sum", "left": one, "right": {"kind": "sum", "left": one, "right": one}}
    assert client.post("/sum", json=tree).json() == tree
    assert client.post("/sums", json=[tree, one] * 2000).json() == 2000
    wrong = client.post("/sums", json=[tree, one] * 2000 + [{"kind": "sum", "left": one}])
    assert wrong.status_code == 422
    assert [e["loc"] for e in wrong.json()["detail"]] == [["body", 4000, "sum", "right"]]


def test_pydantics_base_model_itself_as_a_parameter_is_refused_at_registration() -> None:
    # pydantic fills BaseModel itself only from an empty object; any key was an
    # AttributeError inside pydantic, a 500 (and registration failed the same way for
    # `SerializeAsAny[BaseModel]`, with an AttributeError instead of a message).
    router = Router()
    for annotation in (BaseModel, SerializeAsAny[BaseModel], list[BaseModel]):

        async def take(connection: Connection, body: object) -> int:
            return 1

        take.__annotations__ = {"connection": Connection, "body": annotation, "return": int}
        with pytest.raises(ConfigurationError, match="pydantic's BaseModel itself has no fields"):
            router.post("/take")(take)

    class Anything(WebSocketView):
        async def on_receive(self, connection: Connection, data: BaseModel) -> None: ...

    with pytest.raises(ConfigurationError, match="parameter 'data' is annotated BaseModel"):
        router.websocket("/ws")(Anything)

    # As what a handler returns, it is the model with no fields (as FastAPI's
    # response_model=BaseModel), and a response entry of the document.
    @router.get("/nothing", responses={404: BaseModel})
    async def nothing(connection: Connection) -> BaseModel:
        return Leaf(name="kept out")

    app = aaf([router])
    assert TestClient(app).get("/nothing").json() == {}
    assert '"404"' in json.dumps(app.openapi()["paths"])
