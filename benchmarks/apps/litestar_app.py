"""The scenarios in Litestar, as its docs recommend."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Litestar, MediaType, get, post
from litestar.params import Parameter

from benchmarks.apps.common import Item


@get("/plaintext", media_type=MediaType.TEXT)
async def plaintext() -> str:
    return "Hello, World!"


@get("/json")
async def json() -> dict[str, str]:
    return {"message": "Hello, World!"}


@get("/items/{item_id:int}")
async def item(item_id: int) -> Item:
    return Item(id=item_id, name="lamp", price=12.5)


@get("/search")
async def search(q: str, limit: Annotated[int, Parameter(ge=1, le=100)] = 20) -> dict[str, object]:
    return {"q": q, "limit": limit}


@post("/items", status_code=200)
async def create(data: Item) -> Item:
    return data


@get("/zz/{item_id:int}")
async def target(item_id: int) -> dict[str, int]:
    return {"id": item_id}


def build(extra_routes: int = 10) -> Any:
    extras = []
    for i in range(extra_routes):

        async def extra(x: int) -> dict[str, int]:
            return {"x": x}

        extras.append(get(f"/extra{i}/{{x:int}}", name=f"extra{i}")(extra))
    return Litestar(route_handlers=[*extras, plaintext, json, item, search, create, target])


def build_10() -> Any:
    """The app with 10 other routes, for `uvicorn --factory`."""
    return build(10)


def build_1000() -> Any:
    """The app with 1,000 other routes, for `uvicorn --factory`."""
    return build(1000)
