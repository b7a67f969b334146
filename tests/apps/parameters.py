"""An app with a route for each way a parameter or a body can be declared, for schemathesis
to check every request its document calls valid against what the app does
(tests/test_schemathesis.py). Found by it: Literal integers refused, <int:> values below 0
documented, and the 404 of a converter that does not match left out of the document; a
model that forbids extra keys refusing the route's other query values, a header array sent
as OpenAPI writes it (`X-Ids: 1,2`), a Decimal's text left to any string (its digits and
exponent uncounted), a bytes parameter documented as binary, and no file at all a valid
required list of files."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from aaf import aaf
from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.params import Body, Cookie, File, Form, Header, Path, Query
from aaf.routing import Router
from aaf.views import View


class Color(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


class Paging(BaseModel):
    page: int = Field(default=1, ge=1)
    size: int = Field(default=10, le=100)
    sort: Literal["asc", "desc"] = "asc"
    per_row: Literal[2, 3, 4] = 3
    dense: list[Literal[True]] = []


class Strict(BaseModel):
    model_config = {"extra": "forbid"}
    since: datetime.datetime | None = None
    level: int = Field(default=1, alias="the-level")


class Tracing(BaseModel):
    x_trace: str | None = None
    x_count: int = 0
    x_hops: list[int] = []
    x_level: Literal[0, 1] | None = None


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    price: float = Field(gt=0)
    tags: list[str] = []
    color: Color = Color.RED
    when: datetime.date | None = None


class Stored(BaseModel):
    id: uuid.UUID
    item: Item


router = Router()


@router.get("/query")
async def query(
    connection: Connection,
    paging: Annotated[Paging, Query()],
    ids: list[int] | None = None,
    color: Color | None = None,
    day: datetime.date | None = None,
    flag: bool = False,
    aliased: Annotated[str, Query(alias="aliased-q", max_length=8)] = "x",
    ratio: float = 1.5,
    version: Literal[1, 2, 3] = 1,
) -> dict[str, object]:
    return {"page": paging.page, "ids": ids, "version": version, "aliased": aliased}


@router.get("/headers")
async def headers(
    connection: Connection,
    tracing: Annotated[Tracing, Header()],
    session: Annotated[str | None, Cookie()] = None,
    visits: Annotated[int, Cookie(ge=0)] = 0,
) -> dict[str, object]:
    return {"trace": tracing.x_trace, "session": session, "visits": visits}


@router.route("/items/<uuid:item_id>")
class ItemView(View):
    async def get(self, connection: Connection, item_id: uuid.UUID) -> Stored:
        return Stored(id=item_id, item=Item(name="lamp", price=1.5))

    async def put(self, connection: Connection, item_id: uuid.UUID, item: Item) -> Stored:
        return Stored(id=item_id, item=item)

    async def delete(self, connection: Connection, item_id: uuid.UUID) -> None:
        return None


@router.post("/items", status_code=201)
async def create(connection: Connection, item: Item, dry: bool = False) -> Stored:
    return Stored(id=uuid.UUID(int=1), item=item)


@router.get("/numbers/<int:count>/<float:ratio>/<path:rest>")
async def numbers(
    connection: Connection, count: Annotated[int, Path(le=1000)], ratio: float, rest: str
) -> dict[str, object]:
    return {"count": count, "ratio": ratio, "rest": rest}


@router.post("/form")
async def form(
    connection: Connection,
    name: Annotated[str, Form(max_length=5)],
    quantity: Annotated[int, Form(ge=1)] = 1,
    sizes: Annotated[list[int] | None, Form()] = None,
    file: UploadFile | None = None,
) -> dict[str, object]:
    return {"name": name, "quantity": quantity, "file": file.filename if file else None}


@router.post("/bytes")
async def raw(
    connection: Connection, data: Annotated[bytes, File()], note: Annotated[str, Form()] = ""
) -> dict[str, object]:
    return {"size": len(data), "note": note}


@router.post("/optional")
async def optional(connection: Connection, item: Item | None = None) -> dict[str, bool]:
    return {"given": item is not None}


@router.put("/list")
async def many(connection: Connection, items: list[Item]) -> list[Item]:
    return items


@router.patch("/mapping")
async def mapping(connection: Connection, values: dict[str, int]) -> dict[str, int]:
    return values


@router.post("/scalar")
async def scalar(connection: Connection, n: Annotated[int, Body(ge=0)]) -> int:
    return n


@router.get("/strict")
async def strict(
    connection: Connection,
    strict: Annotated[Strict, Query()],
    price: decimal.Decimal | None = None,
    cents: Annotated[decimal.Decimal, Query(max_digits=4, decimal_places=2)] = decimal.Decimal(1),
    raw: bytes | None = None,
    ids: Annotated[list[int] | None, Header()] = None,
) -> dict[str, object]:
    return {"price": price, "cents": cents, "ids": ids}


class Priced(BaseModel):
    price: decimal.Decimal = Field(max_digits=8, decimal_places=2)
    discount: decimal.Decimal | None = None


@router.post("/priced")
async def priced(connection: Connection, item: Priced) -> Priced:
    return item


@router.post("/files")
async def files(
    connection: Connection, files: list[UploadFile], note: Annotated[str | None, Form()] = None
) -> dict[str, int]:
    return {"files": len(files)}


@router.get("/text")
async def text(connection: Connection) -> str:
    return "hi"


@router.get("/nothing")
async def nothing(connection: Connection) -> None:
    return None


app = aaf([router])
