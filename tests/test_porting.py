"""An app ported from FastAPI with its imports kept: FastAPI's markers in an aaf handler.

FastAPI types ``Query()``, ``Depends()`` and the others as ``Any``, so no type checker says a
word; aaf read none of them (``Depends`` and ``Query`` defaults reached the handler as its
values, a ``Header()`` in ``Annotated`` read the query string). Registration refuses them,
saying which of aaf's to import; and a ``Request``, ``Response`` or ``BackgroundTasks``
parameter, saying what aaf gives instead.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import fastapi
import pytest
import starlette.websockets

from aaf.connection import Connection
from aaf.exceptions import ConfigurationError
from aaf.params import Depends
from aaf.routing import Router
from aaf.views import View


def get_db() -> str:
    return "db"


def test_fastapis_markers_are_refused_naming_aafs() -> None:
    router = Router()

    async def by_default(connection: Connection, db: str = fastapi.Depends(get_db)) -> str:
        return db

    async def queried(connection: Connection, limit: int = fastapi.Query(10, ge=1)) -> int:
        return limit

    async def annotated(connection: Connection, x_token: Annotated[str, fastapi.Header()]) -> str:
        return x_token

    said: dict[Callable[..., Awaitable[object]], str] = {
        by_default: "by_default: parameter 'db' is marked with FastAPI's Depends(), which aaf "
        "does not read: use aaf's (from aaf.params import Depends)",
        queried: "queried: parameter 'limit' is marked with FastAPI's Query(), which aaf does "
        "not read: use aaf's (from aaf.params import Query), in the annotation: limit: "
        "Annotated[int, Query()]",
        annotated: "annotated: parameter 'x_token' is marked with FastAPI's Header(), which aaf "
        "does not read: use aaf's (from aaf.params import Header), in the annotation: x_token: "
        "Annotated[str, Header()]",
    }
    for handler, problem in said.items():
        with pytest.raises(ConfigurationError, match=re.escape(problem) + "$"):
            router.add_route(f"/{handler.__name__}", handler)


def test_fastapis_depends_as_a_view_attribute_is_refused() -> None:
    class Notes(View):
        db: str = fastapi.Depends(get_db)

        async def get(self, connection: Connection) -> str:
            return self.db

    with pytest.raises(
        ConfigurationError,
        match=re.escape(
            "Notes.db is FastAPI's Depends(), which aaf does not read: a View's attribute is "
            "filled by aaf's Depends(provider) (from aaf.params import Depends)"
        ),
    ):
        Router().add_route("/notes", Notes)


def test_fastapis_depends_in_dependencies_is_named_as_fastapis() -> None:
    # Its repr, Depends(get_db), read as aaf's own in the message.
    async def listing(connection: Connection) -> None: ...

    with pytest.raises(
        ConfigurationError,
        match=re.escape(
            "dependencies= takes Depends(provider) values, got FastAPI's Depends(), "
            "which aaf does not read (from aaf.params import Depends)"
        ),
    ):
        Router().add_route("/notes", listing, dependencies=[fastapi.Depends(get_db)])


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        (fastapi.Request, "the request is the Connection, a handler's first parameter"),
        (starlette.websockets.WebSocket, "the request is the Connection"),
        (fastapi.Response, "connection.resp_status_code = 201"),
        (fastapi.BackgroundTasks, "connection.add_background(fn, *args)"),
    ],
)
def test_fastapis_request_response_and_background_parameters_say_what_aaf_gives(
    kind: type, said: str
) -> None:
    # They read as a query or body value no text fills, and the message said to write a
    # provider for them.
    async def handler(connection: Connection, extra: Any) -> None: ...

    handler.__annotations__["extra"] = kind
    with pytest.raises(ConfigurationError, match=re.escape(said)) as refused:
        Router().add_route("/ported", handler)
    assert f"parameter 'extra' is annotated {kind.__name__} (Starlette's" in str(refused.value)

    async def provider(request: Any) -> None: ...

    provider.__annotations__["request"] = kind

    async def served(connection: Connection, value: None = Depends(provider)) -> None: ...

    with pytest.raises(ConfigurationError, match=re.escape(said)):
        Router().add_route("/provided", served)
