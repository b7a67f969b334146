"""Random handler signatures: registration accepts or refuses (a ConfigurationError, never
another exception), an accepted route's API document is valid OpenAPI, and no request to it
is answered 500. Each bug this found was a type, marker and constraint mix registration let
through to fail at every request (`Query(max_length=3)` on a `NewType` of `int`)."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import enum
import inspect
import logging
import pathlib
import re
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal, NewType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from pydantic import AwareDatetime, BaseModel, Field, Json, Secret, SecretStr
from typing_extensions import TypedDict

from aaf import App
from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.exceptions import ConfigurationError
from aaf.params import Body, Cookie, Depends, File, Form, Header, Param, Path, Query
from aaf.testing import TestClient

_UserId = NewType("_UserId", int)


class _Colour(enum.Enum):
    RED = "red"


class _Level(enum.IntEnum):
    LOW = 1


class _Item(BaseModel):
    name: str = ""
    tags: list[str] = []


class _Tree(BaseModel):
    """A model holding itself: in a list, and in a union without a tag."""

    name: str = ""
    children: list[_Tree] = []
    either: _Item | _Tree | None = None


class _Leaf(BaseModel):
    kind: Literal["leaf"] = "leaf"


class _Branch(BaseModel):
    """A model holding itself in a union told apart by a tag."""

    kind: Literal["branch"] = "branch"
    left: Annotated[_Leaf | _Branch, Field(discriminator="kind")] = _Leaf()


@dataclasses.dataclass
class _Folder:
    name: str = ""
    parent: _Folder | None = None


class _Thread(TypedDict, total=False):
    text: str
    replies: list[_Thread]


def _page_of(page: int = 1) -> int:
    return page


# Each as it would be written in a handler's signature (the values are runtime types).
TYPES: list[object] = [
    int,
    str,
    float,
    bool,
    int | None,
    list[int],
    list[str],
    Literal["a", "b"],
    Literal[1, 2],
    _Colour,
    _Level,
    datetime.date,
    datetime.datetime,
    datetime.timedelta,
    uuid.UUID,
    Decimal,
    bytes,
    _UserId,
    Any,
    object,
    _Item,
    _Item | None,
    list[_Item],
    dict[str, int],
    tuple[int, int],
    set[str],
    UploadFile,
    list[UploadFile],
    UploadFile | None,
    Json[list[int]],
    Json[Any],  # type: ignore[misc]  # Json is generic to pydantic, not to mypy
    int | str,
    # Types pydantic compares a constraint to only at a request (a 500 until registration
    # knew their kinds): collections written by what they do, a path, a complex number, a
    # date of pydantic's.
    collections.deque[int],
    Sequence[int],
    Mapping[str, int],
    pathlib.Path,
    complex,
    AwareDatetime,
    SecretStr,
    Secret[int],
    re.Pattern[str],
    # Types that hold themselves: planning how a large body is read followed each back into
    # itself for ever (a RecursionError at registration) until it knew the types around it.
    _Tree,
    _Branch,
    _Folder,
    _Thread,
]
# Weighted to the mixes that registration must judge: a marker with a constraint.
MARKERS: list[type[Param] | None] = [None, Query, Query, Header, Cookie, Form, File, Body, Path]
CONSTRAINTS: list[dict[str, object]] = [
    {},
    {"ge": 1},
    {"le": 5},
    {"gt": 0},
    {"max_length": 3},
    {"min_length": 1},
    {"pattern": "^a"},
    {"multiple_of": 2},
    {"max_digits": 2},
    {"allow_inf_nan": False},
]
VALUES = ["1", "2", "x", "", "red", "2020-01-01", "[1]", "P1D", "a", "-1", "1.5", "nan"]


@st.composite
def _parameter(draw: st.DrawFn, name: str) -> tuple[str, object]:
    annotation = draw(st.sampled_from(TYPES))
    marker = draw(st.sampled_from(MARKERS))
    if draw(st.integers(0, 9)) == 0:
        return name, Annotated[annotation, Depends(_page_of)]
    if marker is None:
        return name, annotation
    return name, Annotated[annotation, marker(**draw(st.sampled_from(CONSTRAINTS)))]  # type: ignore[arg-type]  # a drawn mix of Field's keywords


@st.composite
def _route(draw: st.DrawFn) -> tuple[str, list[tuple[str, object]], str]:
    count: int = draw(st.sampled_from([0, 1, 1, 1, 2, 3]))
    names = [f"p{i}" for i in range(count)]
    parameters = [draw(_parameter(name)) for name in names]
    rule = "/r"
    in_rule: bool = draw(st.booleans())
    if names and in_rule:
        converter = draw(st.sampled_from(["", "int:", "float:", "path:", "uuid:"]))
        rule = f"/r/<{converter}{draw(st.sampled_from(names))}>"
    return rule, parameters, draw(st.sampled_from(["GET", "POST"]))


def handler_with(parameters: list[tuple[str, object]]) -> Any:
    """A handler taking the connection and ``parameters`` (name, annotation), keyword-only,
    that answers what it was given (tests/test_document_fuzz.py builds its routes so too)."""

    async def handler(connection: Connection, **values: object) -> dict[str, str]:
        return {name: repr(value)[:20] for name, value in values.items()}

    signature = [inspect.Parameter("connection", inspect.Parameter.POSITIONAL_ONLY)]
    signature += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
        for name, annotation in parameters
    ]
    handler.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]  # read by inspect
    handler.__annotations__ = {"connection": Connection, **dict(parameters)}
    return handler


@pytest.fixture(autouse=True)
def _errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="aaf")


def _served_without_a_500(
    rule: str,
    parameters: list[tuple[str, object]],
    method: str,
    values: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Register the route; when it is accepted, check its document and send it requests
    with ``values`` in every source: none may be answered 500 or log an error."""
    app = App([])
    try:
        app.router.add_route(rule, handler_with(parameters), methods=[method])
    except ConfigurationError:
        return  # refused, naming the mistake: what registration is for
    validate(app.openapi())
    names = [name for name, _ in parameters]
    client = TestClient(app, raise_server_exceptions=False)
    caplog.clear()
    for value in values:
        sent = dict.fromkeys(names, value)
        path = rule.split("<")[0] + (value or "x" if "<" in rule else "")
        cookies = "; ".join(f"{name}={value}" for name in names)
        answers = [client.request(method, path, params=sent, headers={**sent, "cookie": cookies})]
        if method == "POST":
            answers += [
                client.request(method, path, data=sent),
                client.request(method, path, json={"name": value}),
                client.request(method, path, files=dict.fromkeys(names, ("f.txt", b"1"))),
            ]
        for answer in answers:
            assert answer.status_code < 500, (rule, parameters, value, answer.text)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize("marker", [Query, Header, Cookie, Form, File, Body, Path])
def test_every_type_and_constraint_a_marker_takes_is_refused_or_served(
    marker: type[Param], caplog: pytest.LogCaptureFixture
) -> None:
    # One parameter of each type, given each constraint: where the constraint cannot apply,
    # pydantic's TypeError was a 500 at every request (registration must say so instead).
    rule = "/r/<p0>" if marker is Path else "/r"
    method = "GET" if marker in (Query, Header, Cookie, Path) else "POST"
    for annotation in TYPES:
        for constraint in CONSTRAINTS:
            parameter = ("p0", Annotated[annotation, marker(**constraint)])  # type: ignore[arg-type]  # each of Field's keywords
            _served_without_a_500(rule, [parameter], method, ["1", "x", "[1]"], caplog)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(route=_route(), values=st.lists(st.sampled_from(VALUES), min_size=3, max_size=3))
def test_a_random_signature_is_refused_or_served_without_a_500(
    route: tuple[str, list[tuple[str, object]], str],
    values: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    rule, parameters, method = route
    _served_without_a_500(rule, parameters, method, values[:3], caplog)
