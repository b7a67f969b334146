"""A small in-memory items API: one typed ``View`` per resource.

Run it with ``make run`` and try::

    curl -s localhost:8000/items
    curl -s -X POST localhost:8000/items -H 'content-type: application/json' \\
         -d '{"name": "lamp", "price": 12.5}'
    curl -s 'localhost:8000/items/1?fields=name'
    curl -s 'localhost:8000/search?q=la&limit=5'
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from aaf import aaf
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.params import Header
from aaf.response import HttpResponse
from aaf.routing import Router, operation
from aaf.views import View

router = Router()


class NewItem(BaseModel):
    """What a client sends to create or replace an item."""

    name: str = Field(min_length=1, max_length=100)
    price: float = Field(gt=0, allow_inf_nan=False)  # 1e999 is infinity to pydantic


class Item(NewItem):
    """An item as stored and served."""

    id: int


ITEMS: dict[int, Item] = {}


@router.route("/items")
class ItemList(View):
    """The collection: list and create."""

    async def get(self, connection: Connection) -> list[Item]:
        return list(ITEMS.values())

    @operation(status_code=201)
    async def post(self, connection: Connection, item: NewItem) -> Item:
        new = Item(id=max(ITEMS, default=0) + 1, **item.model_dump())
        ITEMS[new.id] = new
        connection.put_resp_header("Location", connection.url_for(ItemDetail.get, item_id=new.id))
        return new


@router.route("/items/<int:item_id>", responses={404: None})
class ItemDetail(View):
    """One item: read (optionally a subset of fields), replace, delete."""

    item: Item

    async def before(self, connection: Connection) -> HttpResponse | None:
        item_id = connection.path_params["item_id"]
        found = ITEMS.get(item_id) if isinstance(item_id, int) else None
        if found is None:
            raise HTTPError(404, f"No item {item_id}")
        self.item = found
        return None

    async def get(
        self, connection: Connection, item_id: int, fields: list[str] | None = None
    ) -> dict[str, object]:
        data = self.item.model_dump()
        if fields:
            data = {key: value for key, value in data.items() if key in fields}
        return data

    async def put(
        self,
        connection: Connection,
        item_id: int,
        item: NewItem,
        x_request_id: Annotated[str | None, Header()] = None,
    ) -> Item:
        if x_request_id is not None:
            connection.put_resp_header("X-Request-Id", x_request_id)
        updated = Item(id=item_id, **item.model_dump())
        ITEMS[item_id] = updated
        return updated

    @operation(status_code=204)
    async def delete(self, connection: Connection, item_id: int) -> None:
        del ITEMS[item_id]


@router.route("/search")
async def search(
    connection: Connection,
    q: str,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    order: Literal["asc", "desc"] = "asc",
) -> list[Item]:
    found = sorted(
        (item for item in ITEMS.values() if q.lower() in item.name.lower()),
        key=lambda item: item.name,
        reverse=order == "desc",
    )
    return found[:limit]


app = aaf([router])
