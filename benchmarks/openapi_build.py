"""How long building the API document takes for 1,000 routes (it is built once, on first use).

.venv/bin/python -m benchmarks.openapi_build
"""

from __future__ import annotations

import statistics
import time
from typing import Annotated

from pydantic import BaseModel, Field

from aaf import App, aaf
from aaf.connection import Connection
from aaf.params import Header
from aaf.routing import Router


class Item(BaseModel):
    id: int
    name: str = Field(min_length=1)
    price: float = Field(gt=0)


def build(routes: int = 1000) -> App:
    router = Router()
    for i in range(routes):
        if i % 2:

            async def read(
                connection: Connection,
                item_id: int,
                q: str | None = None,
                x_trace: Annotated[str | None, Header()] = None,
            ) -> Item:
                return Item(id=item_id, name="x", price=1)

            router.add_route(f"/r{i}/<int:item_id>", read, name=f"read{i}")
        else:

            async def write(connection: Connection, item: Item) -> Item:
                return item

            router.add_route(f"/w{i}", write, methods=["POST"], name=f"write{i}")
    return aaf([router])


def main() -> None:
    timings = []
    for _ in range(5):
        app = build()
        began = time.perf_counter()
        document = app.openapi()
        timings.append(time.perf_counter() - began)
    paths = document["paths"]
    assert isinstance(paths, dict) and len(paths) == 1000
    print(
        f"1,000 routes: the document builds in {statistics.median(timings) * 1000:.0f} ms "
        f"(median of 5; min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
