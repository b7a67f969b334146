"""Streams that await nothing but their sends, for tests/test_hostile.py (run under uvicorn in
its own process: a server such a stream holds for ever is then killed, not the test run)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aaf import aaf
from aaf.connection import Connection
from aaf.response import EventSourceResponse, StreamingResponse
from aaf.routing import Router

router = Router()
stopped: dict[str, int] = {}  # how many times each stream ended


def _ended(name: str) -> None:
    stopped[name] = stopped.get(name, 0) + 1


@router.route("/ready")
async def ready(connection: Connection) -> str:
    return "ready"


@router.route("/stopped")
async def how_many_stopped(connection: Connection) -> dict[str, int]:
    return stopped


@router.route("/imperative")
async def imperative(connection: Connection) -> None:
    try:
        while True:
            await connection.send(b"tick\n")
    finally:
        _ended("imperative")


async def ticks(name: str) -> AsyncIterator[str]:
    try:
        while True:
            yield "tick"
    finally:
        _ended(name)


@router.route("/stream")
async def stream(connection: Connection) -> StreamingResponse:
    return StreamingResponse(ticks("stream"))


@router.route("/events")
async def events(connection: Connection) -> EventSourceResponse:
    return EventSourceResponse(ticks("events"))


@router.websocket("/ws")
async def websocket(connection: Connection) -> None:
    await connection.accept()
    try:
        while True:
            await connection.send_text("tick")
    finally:
        _ended("ws")


app = aaf([router])
