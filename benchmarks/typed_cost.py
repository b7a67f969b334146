"""The per-request cost of typed parameters: the same routes typed and untyped, and with two
cached Depends providers (one of them asked for twice), in one run.

.venv/bin/python -m benchmarks.typed_cost
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Annotated, Any

from pydantic import Field

from aaf import aaf
from aaf.connection import Connection
from aaf.params import Depends
from aaf.routing import Router

router = Router()


@router.route("/untyped/<int:item_id>")
async def untyped(connection, item_id):  # type: ignore[no-untyped-def]  # the point of the test
    return {"id": item_id}


@router.route("/typed/<int:item_id>")
async def typed(connection: Connection, item_id: int) -> dict[str, int]:
    return {"id": item_id}


@router.route("/query-by-hand")
async def by_hand(connection: Connection) -> dict[str, object]:
    query = connection.query
    return {"q": query["q"], "limit": int(query.get("limit", "20"))}


@router.route("/query-typed")
async def query_typed(
    connection: Connection, q: str, limit: Annotated[int, Field(ge=1, le=100)] = 20
) -> dict[str, object]:
    return {"q": q, "limit": limit}


class Settings:
    debug = False


async def settings() -> Settings:
    return Settings()


async def flags(settings: Settings = Depends(settings)) -> dict[str, bool]:
    return {"debug": settings.debug}


@router.route("/two-providers/<int:item_id>")
async def two_providers(
    connection: Connection,
    item_id: int,
    conf: Settings = Depends(settings),
    switches: dict[str, bool] = Depends(flags),
) -> dict[str, int]:
    return {"id": item_id}


CASES = {
    "path, untyped": ("/untyped/42", b""),
    "path, typed": ("/typed/42", b""),
    "path, 2 providers": ("/two-providers/42", b""),
    "query, by hand": ("/query-by-hand", b"q=lamp&limit=5"),
    "query, typed": ("/query-typed", b"q=lamp&limit=5"),
}


async def per_request(app: Any, path: str, query: bytes, n: int = 20_000) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }
    request = {"type": "http.request", "body": b"", "more_body": False}

    async def receive() -> dict[str, Any]:
        return request

    async def send(message: dict[str, Any]) -> None:
        return None

    began = time.perf_counter()
    for _ in range(n):
        await app(scope.copy(), receive, send)
    return (time.perf_counter() - began) / n * 1e6


async def main() -> None:
    app = aaf([router])
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(7):
        for name, (path, query) in CASES.items():
            samples[name].append(await per_request(app, path, query))
    for name, values in samples.items():
        print(f"{name:<16} {statistics.median(values):6.2f} µs per request")


if __name__ == "__main__":
    asyncio.run(main())
