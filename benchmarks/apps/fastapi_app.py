"""The scenarios in FastAPI, as its docs recommend."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import PlainTextResponse

from benchmarks.apps.common import Item


def build(extra_routes: int = 10) -> Any:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for i in range(extra_routes):

        async def extra(x: int) -> dict[str, int]:
            return {"x": x}

        app.add_api_route(f"/extra{i}/{{x}}", extra, name=f"extra{i}")

    @app.get("/plaintext", response_class=PlainTextResponse)
    async def plaintext() -> str:
        return "Hello, World!"

    @app.get("/json")
    async def json() -> dict[str, str]:
        return {"message": "Hello, World!"}

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> Item:
        return Item(id=item_id, name="lamp", price=12.5)

    @app.get("/search")
    async def search(q: str, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, object]:
        return {"q": q, "limit": limit}

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    @app.get("/zz/{item_id}")
    async def target(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    return app


def build_10() -> Any:
    """The app with 10 other routes, for `uvicorn --factory`."""
    return build(10)


def build_1000() -> Any:
    """The app with 1,000 other routes, for `uvicorn --factory`."""
    return build(1000)
