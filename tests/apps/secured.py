"""An app of security schemes, View methods with their own options, providers and response
classes, for schemathesis to check what its document says against what it answers
(tests/test_schemathesis.py): 401s and their challenges, statuses a method declares, the
responses a router adds, redirects, HTML and streams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from pydantic import BaseModel, Field

from aaf import Depends, aaf
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.params import Query
from aaf.response import HtmlResponse, JsonResponse, RedirectResponse, StreamingResponse
from aaf.routing import Router, operation
from aaf.security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from aaf.views import View


class Item(BaseModel):
    id: int
    name: str = Field(min_length=1)


class Problem(BaseModel):
    message: str


bearer = HTTPBearer()
basic = HTTPBasic(auto_error=False)
header_key = APIKeyHeader(name="X-Key")
query_key = APIKeyQuery(name="key", auto_error=False)
cookie_key = APIKeyCookie(name="sid")


def user(credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> str:
    return credentials.credentials


def paging(
    page: Annotated[int, Query(ge=1)] = 1, size: Annotated[int, Query(ge=1, le=50)] = 10
) -> tuple[int, int]:
    return page, size


router = Router(responses={404: Problem})


@router.route("/items/<int:item_id>")
class Items(View):
    who: str = Depends(user)

    async def get(self, connection: Connection, item_id: int) -> Item:
        if item_id > 100:
            raise HTTPError(404, {"message": "no such item"})
        return Item(id=item_id, name="lamp")

    @operation(status_code=201, responses={409: Problem})
    async def put(self, connection: Connection, item_id: int, item: Item) -> Item:
        if item.name == "taken":
            raise HTTPError(409, {"message": "taken"})
        return item

    async def delete(self, connection: Connection, item_id: int) -> None:
        return None


@router.get("/list")
async def listing(
    connection: Connection,
    pages: Annotated[tuple[int, int], Depends(paging)],
    key: Annotated[str, Depends(header_key)],
) -> list[Item]:
    return [Item(id=i, name="n") for i in range(pages[1])]


@router.get("/optional")
async def optional(
    connection: Connection,
    login: Annotated[HTTPBasicCredentials | None, Depends(basic)],
    key: Annotated[str | None, Depends(query_key)],
) -> dict[str, object]:
    return {"login": login is not None, "key": key}


@router.get("/session")
async def session(connection: Connection, sid: Annotated[str, Depends(cookie_key)]) -> str:
    return sid


@router.get("/page")
async def page(connection: Connection) -> HtmlResponse:
    return HtmlResponse("<p>page</p>")


@router.get("/old")
async def old(connection: Connection) -> RedirectResponse:
    return RedirectResponse("/page")


@router.get("/stream")
async def stream(connection: Connection) -> StreamingResponse:
    async def lines() -> AsyncIterator[bytes]:
        yield b"a\n"

    return StreamingResponse(lines(), media_type="text/plain")


@router.get("/raw")
async def raw(connection: Connection) -> JsonResponse:
    return JsonResponse({"a": 1})


@router.post("/accepted", status_code=202)
async def accepted(connection: Connection) -> None:
    return None


app = aaf([router])
