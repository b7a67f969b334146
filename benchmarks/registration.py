"""How registering routes grows with their number: per route, it should stay flat.

.venv/bin/python -m benchmarks.registration            # aaf
.venv/bin/python -m benchmarks.registration --fastapi  # and FastAPI, the same routes
.venv/bin/python -m benchmarks.registration --shapes   # each shape of route apart

Each route's name was checked against a list of every name made again for each route, so that
n routes took time growing as n squared: 4,000 routes spent 3 s of 9 there. The first request
compiles the routers; werkzeug compiled every rule's URL builders there, now each at its first
use. Start-up (the lifespan) compiles them now: the first request after it waited 0.4 s for
2,000 routes, 1.8 s for 8,000.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from aaf._types import ASGIApp
from aaf.connection import Connection
from aaf.params import Header as AafHeader  # FastAPI's Header is used below by name
from aaf.routing import Router
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
    with TestClient(make(10)) as client:  # imports, first-call caches, aaf's gc.freeze()
        client.get("/")
    for routes in (1000, 2000, 4000, 8000):
        timings, starts, firsts = [], [], []
        for _ in range(3):
            gc.collect()  # the garbage of the runs before is not this one's to collect
            began = time.perf_counter()
            app = make(routes)
            timings.append(time.perf_counter() - began)
            # Start-up (the lifespan, as a server runs it) compiles the routers (werkzeug's
            # map, aaf's matcher); the first request after it, as a server's first.
            gc.collect()
            began = time.perf_counter()
            with TestClient(app) as client:
                starts.append(time.perf_counter() - began)
                began = time.perf_counter()
                client.get("/")
                firsts.append(time.perf_counter() - began)
        took = statistics.median(timings)
        start, first = statistics.median(starts), statistics.median(firsts)
        print(
            f"{name}: {routes:>5,} routes: {took:.2f} s, {took / routes * 1e6:.0f} µs a route; "
            f"start-up {start:.2f} s, then the first request {first * 1e3:.1f} ms"
        )


async def _bare(connection: Connection) -> None: ...


async def _path(connection: Connection, item_id: int) -> None: ...


async def _query(connection: Connection, q: str | None = None) -> None: ...


async def _read(
    connection: Connection,
    item_id: int,
    q: str | None = None,
    x_trace: Annotated[str | None, AafHeader()] = None,
) -> None: ...


async def _write(connection: Connection, item: Item) -> None: ...


# One handler of each shape, and its rule: what registering it costs, apart.
SHAPES: dict[str, tuple[str, Callable[..., Awaitable[None]], list[str]]] = {
    "no parameter": ("/b{i}", _bare, ["GET"]),
    "a path value": ("/p{i}/<int:item_id>", _path, ["GET"]),
    "a JSON body (a model)": ("/w{i}", _write, ["POST"]),
    "one optional query value": ("/q{i}", _query, ["GET"]),
    "path, query and header": ("/r{i}/<int:item_id>", _read, ["GET"]),
}


def measure_shapes(routes: int = 500) -> None:
    """Each shape's ``add_route`` alone, ``routes`` of it, the best of three."""
    for shape, (rule, handler, methods) in SHAPES.items():
        timings = []
        for _ in range(3):
            router = Router()
            gc.collect()
            began = time.perf_counter()
            for i in range(routes):
                router.add_route(rule.format(i=i), handler, methods=methods, name=f"r{i}")
            timings.append(time.perf_counter() - began)
        print(f"aaf: {shape}: {min(timings) / routes * 1e3:.2f} ms a route")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fastapi", action="store_true", help="FastAPI too, after aaf")
    parser.add_argument("--shapes", action="store_true", help="each shape of route apart")
    options = parser.parse_args()
    if options.shapes:
        measure_shapes()
        return
    measure("aaf", build)
    if options.fastapi:
        measure("FastAPI", build_fastapi)


if __name__ == "__main__":
    main()
