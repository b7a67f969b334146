"""The scenarios in BlackSheep, as its docs recommend."""

from __future__ import annotations

import logging
from typing import Any

from blacksheep import Application, FromJSON, Response, json, text

from benchmarks.apps.common import Item


def build(extra_routes: int = 10) -> Any:
    app = Application(show_error_details=False)
    # No per-request log lines for handled 404s, as with uvicorn's --no-access-log elsewhere
    # (BlackSheep sets its logger to INFO when the app is made, so this comes after).
    logging.getLogger("blacksheep.server").setLevel(logging.WARNING)
    get, post = app.router.get, app.router.post
    for i in range(extra_routes):

        async def extra(x: int) -> Response:
            return json({"x": x})

        get(f"/extra{i}/{{int:x}}")(extra)

    @get("/plaintext")
    async def plaintext() -> Response:
        return text("Hello, World!")

    @get("/json")
    async def json_view() -> Response:
        return json({"message": "Hello, World!"})

    @get("/items/{int:item_id}")
    async def item(item_id: int) -> Response:
        return json(Item(id=item_id, name="lamp", price=12.5).model_dump())

    @get("/search")
    async def search(q: str, limit: int = 20) -> Response:
        return json({"q": q, "limit": limit})

    @post("/items")
    async def create(data: FromJSON[Item]) -> Response:
        return json(data.value.model_dump())

    @get("/zz/{int:item_id}")
    async def target(item_id: int) -> Response:
        return json({"id": item_id})

    return app


def build_10() -> Any:
    """The app with 10 other routes, for `uvicorn --factory`."""
    return build(10)


def build_1000() -> Any:
    """The app with 1,000 other routes, for `uvicorn --factory`."""
    return build(1000)
