"""How registering routes grows with their number: per route, it should stay flat.

.venv/bin/python -m benchmarks.registration            # aaf
.venv/bin/python -m benchmarks.registration --fastapi  # and FastAPI, the same routes

Each route's name was checked against a list of every name made again for each route, so that
n routes took time growing as n squared: 4,000 routes spent 3 s of 9 there. The first request
compiles the routers; werkzeug compiled every rule's URL builders there, now each at its first
use.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from typing import Annotated

from aaf._types import ASGIApp
from aaf.testing import TestClient

from .openapi_build import Item, build


def build_fastapi(routes: int) -> ASGIApp:
    """The routes of ``openapi_build.build`` in FastAPI: the same types, by FastAPI's means."""
    from fastapi import FastAPI, Header

    app = FastAPI()
    for i in range(routes):
        if i % 2:

            async def read(
                item_id: int,
                q: str | None = None,
                x_trace: Annotated[str | None, Header()] = None,
            ) -> Item:
                return Item(id=item_id, name="x", price=1)

            app.add_api_route(f"/r{i}/{{item_id}}", read, name=f"read{i}", methods=["GET"])
        else:

            async def write(item: Item) -> Item:
                return item

            app.add_api_route(f"/w{i}", write, name=f"write{i}", methods=["POST"])
    return app  # type: ignore[return-value]  # Starlette's scope types are looser than aaf's


def measure(name: str, make: Callable[[int], ASGIApp]) -> None:
    TestClient(make(10)).get("/")  # imports and first-call caches out of the way
    for routes in (1000, 2000, 4000, 8000):
        timings, firsts = [], []
        for _ in range(3):
            gc.collect()  # the garbage of the runs before is not this one's to collect
            began = time.perf_counter()
            app = make(routes)
            timings.append(time.perf_counter() - began)
            # The first request compiles the routers (werkzeug's map, aaf's matcher).
            gc.collect()
            began = time.perf_counter()
            TestClient(app).get("/")
            firsts.append(time.perf_counter() - began)
        took, first = statistics.median(timings), statistics.median(firsts)
        print(
            f"{name}: {routes:>5,} routes: {took:.2f} s, {took / routes * 1e6:.0f} µs a route; "
            f"the first request {first:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fastapi", action="store_true", help="FastAPI too, after aaf")
    options = parser.parse_args()
    measure("aaf", build)
    if options.fastapi:
        measure("FastAPI", build_fastapi)


if __name__ == "__main__":
    main()
