"""The scenarios in Starlette, as its docs recommend (no built-in validation)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from benchmarks.apps.common import Item


async def plaintext(request: Request) -> Response:
    return PlainTextResponse("Hello, World!")


async def json(request: Request) -> Response:
    return JSONResponse({"message": "Hello, World!"})


async def item(request: Request) -> Response:
    return JSONResponse(
        Item(id=request.path_params["item_id"], name="lamp", price=12.5).model_dump()
    )


async def search(request: Request) -> Response:
    q = request.query_params["q"]
    limit = int(request.query_params.get("limit", 20))
    return JSONResponse({"q": q, "limit": limit})


async def create(request: Request) -> Response:
    created = Item.model_validate(await request.json())
    return JSONResponse(created.model_dump())


async def target(request: Request) -> Response:
    return JSONResponse({"id": request.path_params["item_id"]})


async def extra(request: Request) -> Response:
    return JSONResponse({"x": request.path_params["x"]})


def build(extra_routes: int = 10) -> Any:
    routes = [Route(f"/extra{i}/{{x:int}}", extra) for i in range(extra_routes)]
    routes += [
        Route("/plaintext", plaintext),
        Route("/json", json),
        Route("/items/{item_id:int}", item),
        Route("/search", search),
        Route("/items", create, methods=["POST"]),
        Route("/zz/{item_id:int}", target),
    ]
    return Starlette(routes=routes)


def build_10() -> Any:
    """The app with 10 other routes, for `uvicorn --factory`."""
    return build(10)


def build_1000() -> Any:
    """The app with 1,000 other routes, for `uvicorn --factory`."""
    return build(1000)
