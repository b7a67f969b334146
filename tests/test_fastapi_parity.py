"""aaf answers as FastAPI does, but where README's "Differences from FastAPI" says otherwise:
random handlers, written once for each framework (path, query, header, cookie and form values,
lists, aliases, the markers' constraints, defaults, parameter models, urlencoded and multipart
forms, a provider's values, a JSON body of a model or any type marked `Body()`; return
annotations of models, aliases and containers), given the same random requests, must give the
same status and the same JSON: a 422's entries by type, place and echoed input, in the same
order.

This found 422 entries listed by where each source first appeared among the parameters (a
cookie parameter's error before the path's), where FastAPI lists path, query, header, cookie,
body; and a form model's echo without the empty values FastAPI keeps (now in the README).
"""

from __future__ import annotations

import datetime
import enum
import inspect
import random
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from types import GenericAlias
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin
from urllib.parse import quote

import fastapi
import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field, create_model
from typing_extensions import TypeIs

import aaf.params
from aaf import App, HTTPError
from aaf._types import ASGIApp
from aaf.connection import Connection
from aaf.response import HttpResponse
from aaf.testing import TestClient

from .test_semantics import TimedOrder

Handler = Callable[..., Awaitable[object]]
_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1


# A parameter's type, and texts to send for it: valid, invalid, and edge cases of each.
SENT: list[tuple[object, list[str]]] = [
    (int, ["1", "-3", "x", "", "1.0", " 2", "1e3", "0x10", "\uff11"]),
    (str, ["a", "", "\u00e9", " x "]),
    (float, ["1.5", "1", "nan", "inf", "x", "-0", "1e3", ""]),
    (bool, ["true", "1", "yes", "on", "off", "no", "0", "x", "", "True", "FALSE"]),
    (uuid.UUID, [str(uuid.UUID(int=5)), "x", "00000000000000000000000000000005", ""]),
    (datetime.date, ["2024-01-02", "2024-13-01", "x", "20240102", "1700000000"]),
    (datetime.datetime, ["2024-01-02T03:04:05", "2024-01-02", "x", "2024-01-02T03:04:05Z"]),
    (Colour, ["red", "RED", "green", ""]),
    (Literal["a", "b"], ["a", "b", "c", ""]),
    (Annotated[int, Field(ge=0, le=10)], ["0", "10", "11", "-1", "x"]),
    (Annotated[str, Field(min_length=2, max_length=3)], ["ab", "a", "abcd", ""]),
    (Annotated[str, Field(pattern=r"^[a-z]+$")], ["abc", "AB", "", "a1"]),
    (Decimal, ["1.50", "x", "1e2", "nan"]),
    (Annotated[float, Field(gt=0)], ["0", "0.1", "-1"]),
]
TEXTS = {id(kind): texts for kind, texts in SENT}
JSON_VALUES: list[object] = [1, "x", 1.5, True, None, [], {}, "2024-01-02", "red", "a", -1, 11]
MARKERS = ("query", "header", "cookie", "form")


@dataclass
class Param:
    name: str
    kind: object
    source: str  # "path", or one of MARKERS
    optional: bool = False  # `T | None = None`
    many: bool = False  # list[T]
    provided: bool = False  # a provider's parameter, not the handler's
    model: type[BaseModel] | None = None  # a parameter model marked with the source
    alias: str | None = None  # the marker's alias=
    default: object = inspect.Parameter.empty  # a default other than optional's None
    constraints: dict[str, int] = field(default_factory=dict[str, int])  # the marker's

    def annotation(self, markers: Any) -> object:
        kind: Any = self.model or (GenericAlias(list, (self.kind,)) if self.many else self.kind)
        if self.optional:
            kind = kind | None
        if self.source == "path":
            return kind
        marker = getattr(markers, self.source.capitalize())
        given: dict[str, object] = {**self.constraints}
        if self.alias is not None:
            given["alias"] = self.alias
        return Annotated[kind, marker(**given)]

    @property
    def wire(self) -> str:
        """The value's name in the request."""
        if self.alias is not None:
            return self.alias
        return self.name.replace("_", "-") if self.source == "header" else self.name


@dataclass
class Route:
    params: list[Param]
    body: object  # a model (unmarked), another type (marked Body()), or None
    rng: random.Random = field(repr=False)

    def path(self) -> tuple[str, str]:
        """The rule in FastAPI's spelling, and in aaf's."""
        names = [p.name for p in self.params if p.source == "path"]
        return (
            "/x" + "".join(f"/{{{n}}}" for n in names),
            "/x" + "".join(f"/<{n}>" for n in names),
        )


def _optional(kind: object) -> object:
    """``kind | None``, for a type made at run time."""
    made: Any = kind
    return made | None


def _model(rng: random.Random, name: str) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for i in range(rng.randrange(1, 4)):
        kind, _ = rng.choice(SENT)
        fields[f"m{i}"] = (kind, ...) if rng.random() < 0.6 else (_optional(kind), None)
    return create_model(name, **fields)


def _body(rng: random.Random, name: str, depth: int = 2) -> object:
    """A body's type: mostly a model, else a list, dict or optional of one, or a plain type."""
    if depth == 2 and rng.random() < 0.6:
        return _model(rng, name)
    choice = rng.randrange(5) if depth else 4
    if choice == 0:
        return GenericAlias(list, (_body(rng, name, depth - 1),))
    if choice == 1:
        return GenericAlias(dict, (str, _body(rng, name, depth - 1)))
    if choice == 2:
        return _optional(_body(rng, name, depth - 1))
    if choice == 3:
        return _model(rng, f"{name}_{depth}")
    return rng.choice(SENT)[0]


def _is_model(kind: object) -> TypeIs[type[BaseModel]]:
    return isinstance(kind, type) and issubclass(cast("type[object]", kind), BaseModel)


def _json(rng: random.Random, kind: object) -> object:
    """A JSON value for ``kind``: mostly of its shape, a value of another now and then."""
    if rng.random() < 0.08:
        return rng.choice(JSON_VALUES)
    origin, arguments = get_origin(kind), get_args(kind)
    if origin is list:
        return [_json(rng, arguments[0]) for _ in range(rng.randrange(4))]
    if origin is dict:
        return {f"k{i}": _json(rng, arguments[1]) for i in range(rng.randrange(3))}
    if origin in (Union, type(int | None)):
        return None if rng.random() < 0.3 else _json(rng, arguments[0])
    if _is_model(kind):
        names = [n for n in kind.model_fields if rng.random() < 0.85]
        return {n: rng.choice(JSON_VALUES) for n in names}
    texts = TEXTS.get(id(kind))
    return rng.choice(texts) if texts and rng.random() < 0.5 else rng.choice(JSON_VALUES)


def random_route(seed: int) -> Route:
    rng = random.Random(seed)
    body = _body(rng, f"Body{seed}") if rng.random() < 0.3 else None
    form = body is None and rng.random() < 0.3
    params: list[Param] = []
    for i in range(rng.randrange(1, 5)):
        kind, _ = rng.choice(SENT)
        source = rng.choice(["path", "query", "header", "cookie"] + (["form"] if form else []))
        if source == "path":
            params.append(Param(f"p{i}", kind, source))
            continue
        param = Param(
            f"p{i}",
            kind,
            source,
            optional=rng.random() < 0.3,
            many=source in ("query", "header", "form") and rng.random() < 0.35,
            provided=rng.random() < 0.25,
        )
        _vary(param, rng, i)
        params.append(param)
    if rng.random() < 0.3:
        source = rng.choice(["query", "header", "cookie"] + (["form"] if form else []))
        params.append(Param("qm", None, source, model=_model(rng, f"Values{seed}")))
    return Route(params, body, rng)


# A default for a parameter of each type, where one is given.
DEFAULTS: dict[object, object] = {
    int: 5,
    str: "d",
    float: 0.5,
    bool: True,
    uuid.UUID: uuid.UUID(int=1),
    datetime.date: datetime.date(2020, 1, 1),
    datetime.datetime: datetime.datetime(2020, 1, 1),
    Colour: Colour.RED,
    Decimal: Decimal(1),
}


def _vary(param: Param, rng: random.Random, i: int) -> None:
    """Give ``param`` at random an alias, its marker's constraints and a default."""
    if rng.random() < 0.4:
        alias = rng.choice([f"P-{i}x", f"P{i}Cap", f"p.{i}", f"p {i}"])
        if param.source == "header":
            alias = alias.replace(".", "-").replace(" ", "-")
        elif param.source == "cookie":
            alias = alias.replace(" ", "_")
        param.alias = alias
    if param.many:
        if rng.random() < 0.3:
            param.constraints[rng.choice(["min_length", "max_length"])] = rng.choice([1, 2])
    elif any(param.kind is kind for kind in (int, float, Decimal)) and rng.random() < 0.4:
        param.constraints[rng.choice(["ge", "gt", "le", "lt"])] = rng.choice([0, 1, 10])
    elif param.kind is str and rng.random() < 0.4:
        param.constraints[rng.choice(["min_length", "max_length"])] = rng.choice([1, 2])
    if not param.optional and rng.random() < 0.25:
        param.default = [] if param.many else DEFAULTS.get(param.kind, param.default)


def _described(value: object) -> object:
    """A value as the handlers answer it: its type's name and text, so that both frameworks
    write the same JSON whatever they would make of the value itself."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_described(v) for v in cast("list[object]", value)]
    if isinstance(value, BaseModel):
        return {k: _described(v) for k, v in value}
    if isinstance(value, enum.Enum):
        return ["enum", str(value.value)]
    return [type(value).__name__, str(value)]


def _function(
    parameters: list[inspect.Parameter],
    answer: Callable[[dict[str, object]], object],
    returns: object = inspect.Signature.empty,
) -> Handler:
    """A handler (or provider) of ``parameters``, returning ``returns``, that answers what
    ``answer`` makes of its values."""

    async def handler(*connection: object, **values: object) -> object:
        values.pop("connection", None)  # aaf's, given by position or by name
        return answer(values)

    setattr(handler, "__signature__", inspect.Signature(parameters, return_annotation=returns))  # noqa: B010
    handler.__annotations__ = {p.name: p.annotation for p in parameters}
    if returns is not inspect.Signature.empty:
        handler.__annotations__["return"] = returns
    return handler


def handler_for(route: Route, markers: Any, for_aaf: bool) -> Handler:
    """The route's handler for FastAPI (``markers`` its module) or aaf: its values, its
    provider's and its body, each described."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    connection = [inspect.Parameter("connection", _POSITIONAL, annotation=Connection)]
    first = connection if for_aaf else []

    def parameter(param: Param) -> inspect.Parameter:
        default = None if param.optional else param.default
        return inspect.Parameter(
            param.name, keyword, annotation=param.annotation(markers), default=default
        )

    provided = [parameter(p) for p in route.params if p.provided]
    own = [parameter(p) for p in route.params if not p.provided]
    provider = _function(first + provided, _described_all)
    if provided:
        depends = aaf.params.Depends if for_aaf else fastapi.Depends
        own.append(
            inspect.Parameter("given", keyword, annotation=Annotated[object, depends(provider)])
        )
    if _is_model(route.body):
        own.append(inspect.Parameter("body", keyword, annotation=route.body))
    elif route.body is not None:
        body: Any = route.body  # a type made at run time
        marked = Annotated[body, markers.Body()]
        own.append(inspect.Parameter("body", keyword, annotation=marked))
    return _function(first + own, _described_all)


def _described_all(values: dict[str, object]) -> object:
    given = values.pop("given", None)
    return {"values": {k: _described(v) for k, v in values.items()}, "given": given}


def random_request(route: Route) -> tuple[str, dict[str, Any]]:
    """A request for ``route``: its path and httpx's arguments. Nothing README lists as a
    difference is sent: no repeated cookie, no comma in a header read as a list, no empty
    form value for a form model or a list."""
    rng = route.rng
    path = "/x"
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    cookies: dict[str, str] = {}
    form: dict[str, list[str]] = {}
    has_form_model = any(p.model is not None and p.source == "form" for p in route.params)

    def put(source: str, key: str, text: str, many: bool = False) -> None:
        if source == "query":
            query.append((key, text))
        elif source == "header":
            if text and text.strip() == text and text.isascii() and "," not in text:
                headers.append((key.replace("_", "-"), text))
        elif source == "cookie":
            if (
                text
                and text.isascii()
                and not any(c in text for c in ' ;,"\\')
                and key not in cookies
            ):
                cookies[key] = text
        elif text or not (has_form_model or many):
            form.setdefault(key, []).append(text)

    for param in route.params:
        if param.source == "path":
            texts = [t for t in TEXTS[id(param.kind)] if t]
            path += "/" + quote(rng.choice(texts), safe="")
            continue
        if rng.random() < 0.2:
            continue  # absent
        if param.model is not None:
            for name, info in param.model.model_fields.items():
                if rng.random() < 0.8:
                    kind = info.annotation
                    if get_origin(kind) in (Union, type(int | None)):
                        kind = get_args(kind)[0]
                    put(param.source, name, rng.choice(TEXTS[id(kind)]))
            continue
        for _ in range(rng.choice([1, 2, 3]) if param.many else 1):
            put(param.source, param.wire, rng.choice(TEXTS[id(param.kind)]), param.many)
    arguments: dict[str, Any] = {"params": query, "headers": headers}
    if cookies:
        headers.append(("cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
    if route.body is not None:
        arguments["json"] = _json(rng, route.body)
    elif form:
        arguments["data"] = form
        if rng.random() < 0.5:  # as multipart/form-data, with a file no parameter reads
            arguments["files"] = {UNREAD_FILE: ("u.txt", b"u", "text/plain")}
    return path, arguments


UNREAD_FILE = "upload"  # a form's file part that no parameter reads


def compared(answer: httpx.Response) -> object:
    """What is compared of an answer: its status and JSON, a 422's entries by type, place and
    echoed input (their messages may differ, README says where). A header or cookie model's
    missing field echoes null in aaf (README), and a model given anything but an object is
    `model_type` where FastAPI says `model_attributes_type` (README). A form model's echo of
    the file no parameter reads is left out: each framework writes its own upload object."""
    content = answer.json()
    if answer.status_code == 422:
        return [
            (
                "model_type" if e["type"] == "model_attributes_type" else e["type"],
                e["loc"],
                None
                if e["type"] == "missing" and e["loc"][0] in ("header", "cookie")
                else _without_unread_file(e.get("input")),
            )
            for e in content["detail"]
        ]
    return answer.status_code, content


def _without_unread_file(echoed: object) -> object:
    if isinstance(echoed, dict):
        return {k: v for k, v in cast("dict[str, object]", echoed).items() if k != UNREAD_FILE}
    return echoed


def both(fastapi_app: fastapi.FastAPI, app: App) -> tuple[TestClient, TestClient]:
    """A client of each app: aaf's for both, one way of sending for the two."""
    theirs = TestClient(cast("ASGIApp", fastapi_app), raise_server_exceptions=False)
    return theirs, TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("first", range(0, 240, 40))
def test_random_handlers_answer_random_requests_as_fastapi_does(first: int) -> None:
    for seed in range(first, first + 40):
        route = random_route(seed)
        theirs, ours = fastapi.FastAPI(), App()
        rule_theirs, rule_ours = route.path()
        theirs.post(rule_theirs)(handler_for(route, fastapi, for_aaf=False))
        ours.post(rule_ours)(handler_for(route, aaf.params, for_aaf=True))
        fastapi_client, client = both(theirs, ours)
        for _ in range(8):
            path, arguments = random_request(route)
            expected = compared(fastapi_client.post(path, **arguments))
            assert compared(client.post(path, **arguments)) == expected, (seed, route, arguments)


# Return annotations, and values to return through them (valid, invalid, and converted).
RETURNED: list[tuple[object, list[object]]] = [
    (int, [0, 5, -3, "7", 1.0, 1.5, "x"]),
    (float, [1.5, 2, "1.5"]),
    (bool, [True, False, 1, "yes"]),
    (uuid.UUID, [uuid.UUID(int=3), str(uuid.UUID(int=4)), "x"]),
    (datetime.datetime, [datetime.datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T00:00:00", 0]),
    (datetime.date, [datetime.date(2024, 1, 2), "2024-01-02"]),
    (datetime.timedelta, [datetime.timedelta(seconds=90), 3]),
    (Decimal, [Decimal("1.50"), 1, "2.5"]),
    (Colour, [Colour.RED, "red", "blue"]),
    (Level, [Level.LOW, 1, 2]),
    (Literal["a", "b"], ["a", "c"]),
    (Any, [1, "x", [1], {"a": 1}]),
]


class _Returns:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.models = 0

    def kind(self, depth: int) -> object:
        rng = self.rng
        if depth <= 0 or rng.random() < 0.4:
            return rng.choice(RETURNED)[0]
        choice = rng.randrange(6)
        if choice == 0:
            return GenericAlias(list, (self.kind(depth - 1),))
        if choice == 1:
            return GenericAlias(dict, (str, self.kind(depth - 1)))
        if choice == 2:
            return _optional(self.kind(depth - 1))
        if choice == 3:
            return GenericAlias(tuple, (self.kind(depth - 1), self.kind(depth - 1)))
        return self.model(depth - 1)

    def model(self, depth: int) -> type[BaseModel]:
        rng = self.rng
        self.models += 1
        fields: dict[str, Any] = {}
        for i in range(rng.randrange(1, 4)):
            kind = self.kind(depth)
            if rng.random() < 0.3:
                fields[f"f{i}"] = (kind, Field(None if rng.random() < 0.5 else ..., alias=f"F{i}A"))
            else:
                fields[f"f{i}"] = (kind, ...) if rng.random() < 0.7 else (_optional(kind), None)
        config = ConfigDict(populate_by_name=rng.random() < 0.5)
        return create_model(f"Out{self.models}", __config__=config, **fields)

    def value(self, kind: object) -> object:
        """A value to return as ``kind``: mostly one that fits, a dict by the wire's names
        for a model (README: aaf takes the fields' own names too), an instance, or not."""
        rng = self.rng
        if rng.random() < 0.04:
            return rng.choice([1, [], {}])
        for returned, choices in RETURNED:
            if kind is returned or kind == returned:
                return rng.choice(choices)
        origin, arguments = get_origin(kind), get_args(kind)
        if origin is list:
            return [self.value(arguments[0]) for _ in range(rng.randrange(3))]
        if origin is dict:
            return {f"k{i}": self.value(arguments[1]) for i in range(rng.randrange(3))}
        if origin in (Union, type(int | None)):
            return self.value(rng.choice(arguments))
        if origin is tuple:
            return tuple(self.value(a) for a in arguments)
        if kind is type(None):
            return None
        assert isinstance(kind, type) and issubclass(kind, BaseModel)
        values = {
            info.alias or name: self.value(info.annotation)
            for name, info in kind.model_fields.items()
            if rng.random() < 0.9
        }
        if rng.random() < 0.5:
            try:
                return kind.model_validate(values)
            except ValueError:
                return values
        if rng.random() < 0.2:
            values["password"] = "never sent"
        return values


@pytest.mark.parametrize("first", range(0, 300, 100))
def test_random_return_values_go_out_as_fastapis_response_model_sends_them(first: int) -> None:
    box: list[object] = [None]  # what the handlers return, set before each request
    for seed in range(first, first + 100):
        make = _Returns(seed)
        kind = make.kind(3) if make.rng.random() < 0.5 else make.model(2)
        theirs, ours = fastapi.FastAPI(), App()
        theirs.get("/r")(_returning(kind, box, False))
        ours.get("/r")(_returning(kind, box, True))
        fastapi_client, client = both(theirs, ours)
        for _ in range(6):
            value = make.value(kind)
            if value is None or isinstance(value, str):
                continue  # README: None answers 204, a str is text
            box[0] = value
            expected, answer = fastapi_client.get("/r"), client.get("/r")
            assert answer.status_code == expected.status_code, (seed, kind, value)
            if expected.status_code == 200:
                assert answer.json() == expected.json(), (seed, kind, value)


def _returning(kind: object, box: list[object], for_aaf: bool) -> Handler:
    """A handler annotated ``-> kind`` returning what ``box`` holds."""
    parameters = [inspect.Parameter("connection", _POSITIONAL, annotation=Connection)]
    return _function(parameters if for_aaf else [], lambda values: box[0], returns=kind)


def test_the_500_handler_answers_before_exceptions_and_for_a_raised_500() -> None:
    # Pins a row of the README's differences, against FastAPI's own behaviour: found by a
    # differential run of random exception handlers against Starlette's. FastAPI keeps the
    # later of a 500 handler and an Exception handler, and its 500 handler never sees an
    # HTTPException(500), which its default handler answers.
    from fastapi.responses import PlainTextResponse

    def theirs_tagged(
        tag: str,
    ) -> Callable[[fastapi.Request, Exception], Coroutine[Any, Any, PlainTextResponse]]:
        async def handler(request: fastapi.Request, exc: Exception) -> PlainTextResponse:
            return PlainTextResponse(tag, status_code=299)

        return handler

    def ours_tagged(tag: str) -> Callable[[Connection, Exception], Awaitable[HttpResponse]]:
        async def handler(connection: Connection, exc: Exception) -> HttpResponse:
            return HttpResponse(tag, status_code=299)

        return handler

    theirs = fastapi.FastAPI(
        exception_handlers={500: theirs_tagged("500"), Exception: theirs_tagged("Exception")}
    )
    ours = App(
        [], exception_handlers={500: ours_tagged("500"), Exception: ours_tagged("Exception")}
    )

    @theirs.get("/fails")
    async def their_fails() -> None:
        raise RuntimeError("x")

    @theirs.get("/500")
    async def their_500() -> None:
        raise fastapi.HTTPException(500, "raised")

    @ours.get("/fails")
    async def fails(connection: Connection) -> None:
        raise RuntimeError("x")

    @ours.get("/500")
    async def raised_500(connection: Connection) -> None:
        raise HTTPError(500, "raised")

    their_client = TestClient(cast(ASGIApp, theirs), raise_server_exceptions=False)
    our_client = TestClient(ours, raise_server_exceptions=False)
    assert their_client.get("/fails").text == "Exception"  # the later of the two
    assert our_client.get("/fails").text == "500"  # the status's, wherever it stands
    answered = their_client.get("/500")
    assert (answered.status_code, answered.json()) == (500, {"detail": "raised"})
    answered = our_client.get("/500")
    assert (answered.status_code, answered.text) == (299, "500")


# Starlette 1.10 (pinned) asks for httpx2 beside its client; the httpx it takes is the same.
@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")
def test_websocket_sessions_and_denials_read_as_starlettes_do() -> None:
    # One script, through Starlette's test client (FastAPI's) and aaf's, on one aaf app:
    # what a test ported from FastAPI reads from `receive()` and `extra_headers` is the same.
    from starlette.testclient import TestClient as StarletteClient

    from .test_testing import closing_app

    def script(websocket: Any) -> list[object]:  # noqa: ANN401  # either client's session
        seen: list[object] = [websocket.extra_headers]
        websocket.send({"type": "websocket.receive", "text": "hi"})
        seen.append(websocket.receive())
        websocket.send({"type": "websocket.receive", "bytes": b"ab"})
        seen.append(websocket.receive())
        websocket.send_text("close")
        seen.append(websocket.receive())
        return seen

    with StarletteClient(cast(Any, closing_app())).websocket_connect("/") as theirs:
        their_script = script(theirs)
    with TestClient(closing_app()).websocket_connect("/") as ours:
        assert script(ours) == their_script
    assert their_script[-1] == {"type": "websocket.close", "code": 4000, "reason": "asked to"}
    # A refused handshake: Starlette's client raises an httpx response, aaf's WebSocketDenied;
    # both read the same.
    from starlette.testclient import WebSocketDenialResponse

    from aaf.routing import Router
    from aaf.testing import WebSocketDenied

    router = Router()

    @router.websocket("/ws")
    async def refused(connection: Connection) -> None:
        await connection.reject(401, '{"detail": "no"}', {"content-type": "application/json"})

    def denial(error: Any) -> tuple[object, ...]:  # noqa: ANN401  # either client's
        return (error.status_code, error.headers.multi_items(), error.content, error.json())

    with (
        pytest.raises(WebSocketDenialResponse) as their_denial,
        StarletteClient(cast(Any, App([router]))).websocket_connect("/ws"),
    ):
        pass
    with (
        pytest.raises(WebSocketDenied) as our_denial,
        TestClient(App([router])).websocket_connect("/ws"),
    ):
        pass
    assert denial(our_denial.value) == denial(their_denial.value)


def test_what_a_json_body_takes_differs_from_fastapi_where_the_readme_says() -> None:
    # README, "Differences from FastAPI": aaf reads a body in pydantic's JSON mode, FastAPI
    # validates the object json.loads made. Found by the random handlers given timedelta and
    # Decimal fields: every other value they tried is taken or refused alike.
    async def order(order: TimedOrder) -> dict[str, str]:
        return {"wait": str(order.wait), "price": str(order.price)}

    async def ours(connection: Connection, order: TimedOrder) -> dict[str, str]:
        return {"wait": str(order.wait), "price": str(order.price)}

    theirs, app = fastapi.FastAPI(), App()
    theirs.post("/orders")(order)
    app.post("/orders")(ours)
    fastapi_client, client = both(theirs, app)
    sent: dict[str, object] = {"wait": True, "price": 10.0}
    assert fastapi_client.post("/orders", json=sent).json() == {"wait": "0:00:01", "price": "10.0"}
    assert client.post("/orders", json=sent).status_code == 422
    sent = {"wait": 1, "price": 10.0}
    assert fastapi_client.post("/orders", json=sent).json()["price"] == "10.0"
    assert client.post("/orders", json=sent).json()["price"] == "10"
    alike: list[dict[str, object]] = [
        {"wait": 1.5, "price": 1.25},
        {"wait": "PT2S", "price": "1.0"},
    ]
    for sent in alike:
        assert client.post("/orders", json=sent).json() == (
            fastapi_client.post("/orders", json=sent).json()
        )


def test_a_path_parameters_schema_is_titled_as_fastapi_titles_it() -> None:
    # `item_id: int` on `<int:item_id>` is a value the converter alone reads: its schema had
    # no title, where FastAPI's (and aaf's for every value pydantic reads) has "Item Id".
    async def item(item_id: int, part_no: str, key: uuid.UUID) -> dict[str, str]:
        return {}

    async def ours(
        connection: Connection, item_id: int, part_no: str, key: uuid.UUID
    ) -> dict[str, str]:
        return {}

    theirs, app = fastapi.FastAPI(), App()
    theirs.get("/items/{item_id}/{part_no}/{key}")(item)
    app.get("/items/<int:item_id>/<part_no>/<uuid:key>")(ours)

    def titles(document: dict[str, Any]) -> dict[str, object]:
        (operation,) = document["paths"].values()
        return {p["name"]: p["schema"].get("title") for p in operation["get"]["parameters"]}

    expected = {"item_id": "Item Id", "part_no": "Part No", "key": "Key"}
    assert titles(theirs.openapi()) == expected
    assert titles(cast(dict[str, Any], app.openapi())) == expected
