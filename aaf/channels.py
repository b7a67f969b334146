"""Broadcast groups: many WebSocket connections join a named group and get what is published.

``InMemoryGroups`` works within one process. The ``Groups`` protocol is what a cross-process
backend (Redis pub/sub, PostgreSQL LISTEN/NOTIFY) implements: it keeps the local members the
same way, and turns ``publish`` into a message on the shared bus that every process delivers to
its own members::

    groups = InMemoryGroups()

    @router.websocket("/rooms/<room>")
    class Room(WebSocketView):
        async def on_connect(self, connection: Connection, room: str) -> None:
            await connection.accept()
            self.room = room
            await groups.join(room, connection)

        async def on_receive(self, connection: Connection, data: str) -> None:
            await groups.publish(self.room, data)

        async def on_disconnect(self, connection: Connection, code: int) -> None:
            await groups.leave(self.room, connection)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from pydantic_core import to_json

__all__ = ["Groups", "InMemoryGroups", "Member"]

logger = logging.getLogger("aaf")


class Member(Protocol):
    """Anything that can take a text frame: a WebSocket ``Connection`` is one."""

    async def send_text(self, data: str) -> None: ...


class Groups(Protocol):
    """The group interface every backend offers."""

    async def join(self, group: str, member: Member) -> None:
        """Add ``member`` to ``group``; it gets every message published there from now on."""
        ...

    async def leave(self, group: str, member: Member) -> None:
        """Remove ``member`` from ``group``; leaving a group one is not in does nothing."""
        ...

    async def publish(self, group: str, message: str) -> int:
        """Send ``message`` to every member of ``group``; give how many got it here."""
        ...


class InMemoryGroups:
    """Groups within one process, kept in a dict of sets."""

    def __init__(self) -> None:
        self._groups: dict[str, set[Member]] = {}

    async def join(self, group: str, member: Member) -> None:
        """Add ``member`` to ``group``."""
        self._groups.setdefault(group, set()).add(member)

    async def leave(self, group: str, member: Member) -> None:
        """Remove ``member`` from ``group``; an empty group goes away."""
        members = self._groups.get(group)
        if members is None:
            return
        members.discard(member)
        if not members:
            del self._groups[group]

    def members(self, group: str) -> int:
        """Count the members of ``group``."""
        return len(self._groups.get(group, ()))

    async def publish(self, group: str, message: str) -> int:
        """Send ``message`` to every member at once; a member that fails is dropped."""
        members = list(self._groups.get(group, ()))
        results = await asyncio.gather(
            *(m.send_text(message) for m in members), return_exceptions=True
        )
        delivered = 0
        for member, result in zip(members, results, strict=True):
            if isinstance(result, BaseException):
                logger.debug("Dropping a member of group %r that failed: %r", group, result)
                await self.leave(group, member)
            else:
                delivered += 1
        return delivered

    async def publish_json(self, group: str, data: object) -> int:
        """Publish ``data`` as JSON (pydantic models and dataclasses too)."""
        return await self.publish(group, to_json(data).decode())
