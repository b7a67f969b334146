"""Rooms over RedisGroups (AAF_REDIS_URL), telling which process serves each member: for the
cross-process tests in tests/test_redis_groups.py."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from aaf import App, aaf
from aaf.channels import RedisGroups
from aaf.connection import Connection
from aaf.routing import Router

router = Router()
groups = RedisGroups(os.environ["AAF_REDIS_URL"])


@router.websocket("/rooms/<room>")
async def room(connection: Connection, room: str) -> None:
    await connection.accept()
    await groups.join(room, connection)
    await connection.send_text(f"pid {os.getpid()}")
    try:
        async for text in connection.iter_text():
            await groups.publish(room, text)
    finally:
        await groups.leave(room, connection)


@router.post("/rooms/<room>/burst")
async def burst(connection: Connection, room: str, count: int) -> int:
    for i in range(count):
        await groups.publish(room, f"{i:05d}")
    return count


@asynccontextmanager
async def lifespan(app: App) -> AsyncGenerator[None]:
    async with groups:
        yield


app = aaf([router], lifespan=lifespan)
