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
from collections.abc import Callable
from typing import Protocol

from pydantic_core import to_json

__all__ = ["Groups", "InMemoryGroups", "Member"]

logger = logging.getLogger("aaf")
TRY_AGAIN_LATER = 1013  # RFC 6455 close code for a member that cannot keep up


class Member(Protocol):
    """Anything that can take a text frame and be closed: a WebSocket ``Connection`` is one."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class Groups(Protocol):
    """The group interface every backend offers."""

    async def join(self, group: str, member: Member) -> None:
        """Add ``member`` to ``group``; it gets every message published there from now on."""
        ...

    async def leave(self, group: str, member: Member) -> None:
        """Remove ``member`` from ``group``; leaving a group one is not in does nothing."""
        ...

    async def publish(self, group: str, message: str) -> int:
        """Send ``message`` to every member of ``group``; give how many it was queued for."""
        ...


class _Outbox:
    """One member's bounded queue of outgoing messages and the task that sends them."""

    def __init__(self, member: Member, max_queue: int, on_fail: Callable[[], None]) -> None:
        self.member = member
        self.queue: asyncio.Queue[str] = asyncio.Queue(max_queue)
        self.on_fail = on_fail
        self.task = asyncio.ensure_future(self._send_all())

    async def _send_all(self) -> None:
        try:
            while True:
                await self.member.send_text(await self.queue.get())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the member left or broke: it gets nothing more
            logger.debug("Dropping a group member that failed: %r", exc)
            self.on_fail()

    def offer(self, message: str) -> bool:
        """Queue ``message`` without waiting; ``False`` when the queue is full."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True


class InMemoryGroups:
    """Groups within one process.

    ``publish`` never waits on a member: each has a queue of at most ``max_queue`` messages
    drained by its own task, and a member whose queue is full is closed with 1013 ("try again
    later") and dropped, so one stalled client never delays the others.
    """

    def __init__(self, *, max_queue: int = 1000) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.max_queue = max_queue
        self._groups: dict[str, dict[Member, _Outbox]] = {}
        self._closing: set[asyncio.Future[None]] = set()  # kept until done, so never collected

    async def join(self, group: str, member: Member) -> None:
        """Add ``member`` to ``group``."""
        members = self._groups.setdefault(group, {})
        if member not in members:
            members[member] = _Outbox(member, self.max_queue, lambda: self._drop(group, member))

    async def leave(self, group: str, member: Member) -> None:
        """Remove ``member`` from ``group``; an empty group goes away."""
        self._drop(group, member)

    def _drop(self, group: str, member: Member) -> None:
        members = self._groups.get(group)
        if members is None:
            return
        outbox = members.pop(member, None)
        if outbox is not None:
            outbox.task.cancel()
        if not members:
            del self._groups[group]

    def members(self, group: str) -> int:
        """Count the members of ``group``."""
        return len(self._groups.get(group, ()))

    async def publish(self, group: str, message: str) -> int:
        """Queue ``message`` for every member of ``group``, never waiting; give how many got it
        queued. A member whose queue is full is closed with 1013 and dropped."""
        members = self._groups.get(group)
        if not members:
            return 0
        queued = 0
        for member, outbox in list(members.items()):
            if outbox.offer(message):
                queued += 1
            else:
                logger.info(
                    "Closing a member of group %r that fell %d messages behind",
                    group,
                    self.max_queue,
                )
                self._drop(group, member)
                closing = asyncio.ensure_future(_close_quietly(member))
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
        return queued

    async def publish_json(self, group: str, data: object) -> int:
        """Publish ``data`` as JSON (pydantic models and dataclasses too)."""
        return await self.publish(group, to_json(data).decode())


async def _close_quietly(member: Member) -> None:
    try:
        await member.close(TRY_AGAIN_LATER, "Too slow: messages were piling up")
    except Exception as exc:  # it may be gone already
        logger.debug("Closing a slow member failed: %r", exc)
