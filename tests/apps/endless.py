"""Endless streams and a WebSocket that never closes, for the shutdown test (run under uvicorn
in its own process, so that it gets a real SIGTERM)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aaf import aaf
from aaf.connection import Connection
from aaf.response import EventSourceResponse, StreamingResponse
from aaf.routing import Router

router = Router()


@router.route("/ready")
async def ready(connection: Connection) -> str:
    return "ready"


@router.route("/stream")
async def stream(connection: Connection) -> StreamingResponse:
    async def ticks() -> AsyncIterator[str]:
        while True:
            yield "tick\n"
            await asyncio.sleep(0.05)

    return StreamingResponse(ticks())


@router.route("/events")
async def events(connection: Connection) -> EventSourceResponse:
    async def forever() -> AsyncIterator[str]:
        while True:
            yield "tick"
            await asyncio.sleep(0.05)

    return EventSourceResponse(forever())


@router.route("/imperative")
async def imperative(connection: Connection) -> None:
    while True:
        await connection.send("tick\n")
        await asyncio.sleep(0.05)


@router.route("/poll")
async def poll(connection: Connection) -> str:
    # A long poll that answers once it must stop: the server's shutdown says so too.
    while not await connection.is_disconnected():
        await asyncio.sleep(0.05)
    return "stopped"


@router.websocket("/ws")
async def websocket(connection: Connection) -> None:
    await connection.accept()
    async for message in connection.iter_text():
        await connection.send_text(message)


app = aaf([router])

# The same app mounted on another: its streams and WebSockets end on shutdown too.
outer = Router()
outer.mount("/inner", app)
mounted = aaf([outer])
