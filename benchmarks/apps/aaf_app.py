"""The scenarios in aaf, written as its README recommends."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from aaf import aaf
from aaf.app import App
from aaf.connection import Connection
from aaf.response import HttpResponse
from aaf.routing import Router
from aaf.views import View
from benchmarks.apps.common import Item


def build(extra_routes: int = 10) -> App:
    router = Router()
    for i in range(extra_routes):

        async def extra(connection: Connection, x: int) -> dict[str, int]:
            return {"x": x}

        router.add_route(f"/extra{i}/<int:x>", extra, name=f"extra{i}")

    @router.route("/plaintext")
    async def plaintext(connection: Connection) -> HttpResponse:
        return HttpResponse(b"Hello, World!")

    @router.route("/json")
    async def json(connection: Connection) -> dict[str, str]:
        return {"message": "Hello, World!"}

    @router.route("/items/<int:item_id>")
    class ItemView(View):
        async def get(self, connection: Connection, item_id: int) -> Item:
            return Item(id=item_id, name="lamp", price=12.5)

    @router.route("/search")
    async def search(
        connection: Connection, q: str, limit: Annotated[int, Field(ge=1, le=100)] = 20
    ) -> dict[str, object]:
        return {"q": q, "limit": limit}

    @router.route("/items", methods=["POST"])
    async def create(connection: Connection, item: Item) -> Item:
        return item

    @router.route("/zz/<int:item_id>")
    async def target(connection: Connection, item_id: int) -> dict[str, int]:
        return {"id": item_id}

    return aaf([router])


def build_10() -> Any:
    """The app with 10 other routes, for `uvicorn --factory`."""
    return build(10)


def build_1000() -> Any:
    """The app with 1,000 other routes, for `uvicorn --factory`."""
    return build(1000)
