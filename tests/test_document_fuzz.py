# schemathesis's own types are loose (Any-typed decorators); pyright strict would flag every
# use of them here.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownParameterType=false, reportUntypedFunctionDecorator=false
# pyright: reportUnknownArgumentType=false, reportAttributeAccessIssue=false
"""Random handler signatures against their own API document: schemathesis makes requests the
document calls valid, and each must be served (not a 422), every response as documented. Each
bug this found was the document offering what the route refused: a list cookie, a required
list sent empty, a constrained Literal's values, a header list's empty elements, an `Any`
value as an object."""

from __future__ import annotations

import enum
import random
import uuid
from typing import Annotated, Any, Literal, NewType

import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import BaseModel
from schemathesis import Case
from schemathesis.checks import negative_data_rejection

from aaf import App
from aaf.datastructures import UploadFile
from aaf.exceptions import ConfigurationError
from aaf.params import Body, Cookie, Form, Header, Param, Query

from .test_signature_fuzz import handler_with

_UserId = NewType("_UserId", int)


class _Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class _Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class _Item(BaseModel):
    name: str = ""
    tags: list[str] = []


# Types whose schema says all that validation checks (pydantic drops a date's bounds and a
# JSON text's inner schema, which schemathesis could not honour anyway).
TYPES: list[object] = [
    int,
    str,
    bool,
    int | None,
    str | None,
    list[int],
    list[str],
    set[str],
    Literal["a", "b"],
    Literal[1, 2],
    _Colour,
    _Level,
    uuid.UUID,
    _UserId,
    Any,
    _Item,
    list[_Item],
    int | str,
    UploadFile,
    list[UploadFile],
]
MARKERS: list[type[Param] | None] = [None, Query, Query, Header, Header, Cookie, Form, Body]
CONSTRAINTS: list[dict[str, object]] = [
    {},
    {},
    {"ge": 1},
    {"le": 1},
    {"max_length": 2},
    {"min_length": 1},
    {"pattern": "^a"},
    {"alias": "x-value"},
]


def _routes(seed: int, count: int) -> list[tuple[str, list[tuple[str, object]]]]:
    """``count`` random signatures (method, parameters), the same for a seed."""
    rng = random.Random(seed)
    routes: list[tuple[str, list[tuple[str, object]]]] = []
    for _ in range(count):
        parameters: list[tuple[str, object]] = []
        for index in range(rng.randint(1, 3)):
            annotation = rng.choice(TYPES)
            marker = rng.choice(MARKERS)
            if marker is not None:
                annotation = Annotated[annotation, marker(**rng.choice(CONSTRAINTS))]  # type: ignore[arg-type]  # a drawn mix of Field's keywords
            parameters.append((f"p{index}", annotation))
        routes.append((rng.choice(["GET", "POST"]), parameters))
    return routes


def _app(seed: int) -> App:
    """One route for each random signature registration accepts."""
    app = App([])
    for index, (method, parameters) in enumerate(_routes(seed, 48)):
        handler = handler_with(parameters)
        handler.__name__ = handler.__qualname__ = f"route{index}"
        try:
            app.router.add_route(f"/r{index}", handler, methods=[method])
        except ConfigurationError:
            continue  # refused, naming the mistake
    return app


APP = _app(2026)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)


def test_most_random_signatures_are_served() -> None:
    paths = APP.openapi()["paths"]
    assert isinstance(paths, dict)
    assert len(paths) >= 10, list(paths)


# As tests/test_schemathesis.py: a repeated key gives a scalar its last value (the contract),
# which the negative-data check counts as accepting an array for a string.
@SCHEMA.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_each_request_the_document_calls_valid_is_served(case: Case[Any]) -> None:
    case.call_and_validate(excluded_checks=[negative_data_rejection])
