"""What a function middleware (`@app.middleware("http")`, adding a header) costs a request,
in-process: aaf and FastAPI, each without and with one, interleaved rounds in one run.

benchmarks/.venv/bin/python -m benchmarks.function_middleware
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import fastapi
from fastapi.responses import PlainTextResponse
from starlette.requests import Request
from starlette.responses import Response

from aaf import App
from aaf._types import ASGIApp, ReceiveEvent, Scope, SendEvent
from aaf.connection import Connection
from aaf.middleware import Answer, CallNext
from aaf.routing import Router

SCOPE: Scope = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/",
    "raw_path": b"/",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"bench")],
    "client": ("127.0.0.1", 1),
    "server": ("127.0.0.1", 80),
}


def aaf_app(with_middleware: bool) -> ASGIApp:
    router = Router()

    @router.get("/")
    async def root(connection: Connection) -> str:
        return "hi"

    app = App([router])
    if with_middleware:

        @app.middleware("http")
        async def stamped(connection: Connection, call_next: CallNext) -> Answer:
            answer = await call_next(connection)
            answer.headers["X-A"] = "1"
            return answer

    return app


def fastapi_app(with_middleware: bool) -> ASGIApp:
    app = fastapi.FastAPI()

    @app.get("/", response_class=PlainTextResponse)
    async def root() -> str:
        return "hi"

    if with_middleware:

        @app.middleware("http")
        async def stamped(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            response = await call_next(request)
            response.headers["X-A"] = "1"
            return response

    return app  # type: ignore[return-value]  # Starlette's looser scope types


async def per_request(app: ASGIApp, n: int) -> float:
    """Microseconds a request, over ``n`` requests one after another."""

    async def receive() -> ReceiveEvent:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: SendEvent) -> None:
        pass

    started = time.perf_counter()
    for _ in range(n):
        await app(dict(SCOPE), receive, send)  # type: ignore[arg-type]  # a copy of SCOPE
    return (time.perf_counter() - started) / n * 1e6


async def main() -> None:
    apps = {
        "aaf": aaf_app(False),
        "aaf + middleware": aaf_app(True),
        "fastapi": fastapi_app(False),
        "fastapi + middleware": fastapi_app(True),
    }
    for app in apps.values():
        await per_request(app, 500)  # warm-up
    rounds: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(5):
        for name, app in apps.items():
            rounds[name].append(await per_request(app, 3000))
    median = {name: statistics.median(times) for name, times in rounds.items()}
    for name, times in rounds.items():
        print(f"{name:22s} {median[name]:7.2f} µs a request ({min(times):.2f}-{max(times):.2f})")
    added = median["aaf + middleware"] - median["aaf"]
    added_fastapi = median["fastapi + middleware"] - median["fastapi"]
    print(f"the middleware adds {added:.1f} µs to aaf, {added_fastapi:.1f} µs to FastAPI")


if __name__ == "__main__":
    asyncio.run(main())
