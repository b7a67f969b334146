"""The cost of a server-sent event: one stream of 20,000 events, sent as fast as the generator
gives them, in-process, against a raw ASGI app sending the same bytes and Starlette's
StreamingResponse of the same lines. Microseconds an event (median of 7 runs, the apps taking
turns) and the ratio to raw.

.venv/bin/python -m benchmarks.sse
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.responses import StreamingResponse as StarletteStreaming
from starlette.routing import Route

from aaf import aaf
from aaf.connection import Connection
from aaf.response import EventSourceResponse, StreamingResponse
from aaf.routing import Router
from benchmarks.inprocess import scope_for
from benchmarks.scenarios import Scenario

EVENTS = 20_000
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream; charset=utf-8")],
        }
    )
    for n in range(EVENTS):
        await send(
            {"type": "http.response.body", "body": f"data: {n}\n\n".encode(), "more_body": True}
        )
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def aaf_app(ping: float | None) -> App:
    router = Router()

    @router.get("/events")
    async def events(connection: Connection) -> EventSourceResponse:
        async def numbers() -> AsyncIterator[int]:
            for n in range(EVENTS):
                yield n

        return EventSourceResponse(numbers(), ping=ping)

    @router.get("/lines")
    async def lines(connection: Connection) -> StreamingResponse:
        async def lines() -> AsyncIterator[str]:
            for n in range(EVENTS):
                yield f"data: {n}\n\n"

        return StreamingResponse(lines(), media_type="text/event-stream")

    return aaf([router])  # type: ignore[return-value]  # an ASGI app, typed more precisely


async def _starlette_events(request: Any) -> StarletteStreaming:
    async def lines() -> AsyncIterator[str]:
        for n in range(EVENTS):
            yield f"data: {n}\n\n"

    return StarletteStreaming(lines(), media_type="text/event-stream")


APPS: dict[str, tuple[App, str]] = {
    "raw ASGI": (raw, "/events"),
    "aaf EventSourceResponse, ping=None": (aaf_app(None), "/events"),
    "aaf EventSourceResponse, ping=15 (default)": (aaf_app(15.0), "/events"),
    "aaf StreamingResponse of the lines": (aaf_app(None), "/lines"),
    "Starlette StreamingResponse of the lines": (
        Starlette(routes=[Route("/events", _starlette_events)]),  # type: ignore[arg-type]
        "/events",
    ),
}


async def per_event(app: App, path: str) -> float:
    scope = scope_for(Scenario("events", "GET", path))
    sent = 0

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # the client stays: no disconnect while the stream runs
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal sent
        sent += 1

    began = time.perf_counter()
    await app(scope, receive, send)
    elapsed = time.perf_counter() - began
    assert sent >= EVENTS, sent
    return elapsed / EVENTS * 1e6


async def main() -> None:
    samples: dict[str, list[float]] = {name: [] for name in APPS}
    for _ in range(7):
        for name, (app, path) in APPS.items():
            samples[name].append(await per_event(app, path))
    base = statistics.median(samples["raw ASGI"])
    print("| stream | µs an event | ratio to raw |")
    print("|---|---|---|")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.1f} | {median / base:.2f}x |")


if __name__ == "__main__":
    asyncio.run(main())
