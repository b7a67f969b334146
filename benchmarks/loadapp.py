"""The app the load test drives: typed routes, some of them failing on purpose."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from aaf import aaf
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.response import HttpResponse
from aaf.routing import Router
from aaf.views import View

router = Router()


class Item(BaseModel):
    id: int
    name: str
    price: float = Field(gt=0)


@router.route("/plaintext")
async def plaintext(connection: Connection) -> HttpResponse:
    return HttpResponse(b"Hello, World!")


@router.route("/items/<int:item_id>")
class ItemView(View):
    async def get(self, connection: Connection, item_id: int) -> Item:
        return Item(id=item_id, name="lamp", price=12.5)


@router.route("/items", methods=["POST"], status_code=201)
async def create(connection: Connection, item: Item) -> Item:
    return item


@router.route("/search")
async def search(
    connection: Connection, q: str, limit: Annotated[int, Field(ge=1, le=100)] = 20
) -> dict[str, object]:
    return {"q": q, "limit": limit}


@router.route("/unavailable")
async def unavailable(connection: Connection) -> None:
    raise HTTPError(503, "Try later")


app = aaf([router])
