"""The scenarios in Falcon (ASGI), as its docs recommend."""

from __future__ import annotations

from typing import Any

import falcon
import falcon.asgi

from benchmarks.apps.common import Item


class Plaintext:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"


class Json:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"message": "Hello, World!"}


class ItemResource:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, item_id: int
    ) -> None:
        resp.media = Item(id=item_id, name="lamp", price=12.5).model_dump()


class Search:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        q = req.get_param("q", required=True)
        limit = req.get_param_as_int("limit", default=20, min_value=1, max_value=100)
        resp.media = {"q": q, "limit": limit}


class Items:
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = Item.model_validate(await req.get_media()).model_dump()


class Target:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, item_id: int
    ) -> None:
        resp.media = {"id": item_id}


class Extra:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, x: int) -> None:
        resp.media = {"x": x}


def build(extra_routes: int = 10) -> Any:
    app = falcon.asgi.App()
    for i in range(extra_routes):
        app.add_route(f"/extra{i}/{{x:int}}", Extra())
    app.add_route("/plaintext", Plaintext())
    app.add_route("/json", Json())
    app.add_route("/items/{item_id:int}", ItemResource())
    app.add_route("/search", Search())
    app.add_route("/items", Items())
    app.add_route("/zz/{item_id:int}", Target())
    return app


def build_10() -> Any:
    """The app with 10 other routes, for `uvicorn --factory`."""
    return build(10)


def build_1000() -> Any:
    """The app with 1,000 other routes, for `uvicorn --factory`."""
    return build(1000)
