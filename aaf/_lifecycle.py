"""Learn of the server's shutdown from its signal, and end what would keep it waiting.

uvicorn, on SIGTERM or SIGINT, stops accepting, then waits for every open response to end
before it runs the lifespan shutdown: an endless stream or a WebSocket that never closes would
keep it waiting for ever. So aaf wraps the server's signal handlers (sse-starlette hooks
uvicorn's the same way) and,
within a moment of the signal, closes open WebSockets with 1001 ("going away") and ends open
streamed responses. Whole responses are never tracked: they end by themselves.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, MutableMapping
from types import FrameType
from typing import TYPE_CHECKING

from aaf._types import ASGIApp, ASGIVersions, LifespanScope, ReceiveEvent, SendEvent

if TYPE_CHECKING:
    from aaf.connection import Connection

__all__ = ["Lifecycle", "MountedLifespan", "hook_server_signals"]

logger = logging.getLogger("aaf")
GOING_AWAY = 1001
_listeners: set[Callable[[], None]] = set()
_SignalHandler = Callable[[int, FrameType | None], None]


class Lifecycle:
    """The open streams and WebSockets of one app, ended together on shutdown."""

    def __init__(self, grace: float = 30.0) -> None:
        self.stopping: bool = False
        self.grace = grace  # seconds running background work may take once shutdown began
        self._background: set[asyncio.Future[None]] = set()
        self._open: set[Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: set[asyncio.Future[None]] = set()

    def started(self) -> None:
        """Listen for the server's signal (called once the lifespan startup is done)."""
        self._loop = asyncio.get_running_loop()
        hook_server_signals()
        _listeners.add(self._signalled)

    def stopped(self) -> None:
        """Stop listening (called at the lifespan shutdown)."""
        _listeners.discard(self._signalled)

    def add(self, connection: Connection) -> None:
        """Track a streamed response or a WebSocket until ``discard``."""
        if self.stopping:
            connection.stop()
        else:
            self._open.add(connection)

    def discard(self, connection: Connection) -> None:
        """Stop tracking ``connection``."""
        self._open.discard(connection)

    def add_background(self, work: asyncio.Future[None]) -> None:
        """Track a response's running background work until it ends."""
        self._background.add(work)
        work.add_done_callback(self._background.discard)

    async def wait_background(self) -> None:
        """Wait for running background work, up to the grace period; cancel what is left."""
        if not self._background:
            return
        pending = set(self._background)
        logger.info("Shutting down: waiting for %d background tasks", len(pending))
        _, late = await asyncio.wait(pending, timeout=self.grace)
        for work in late:
            work.cancel()

    def _signalled(self) -> None:
        # Runs inside a signal handler: hand the work to the event loop.
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.stop_all)

    def stop_all(self) -> None:
        """End every tracked stream, close every tracked WebSocket with 1001, and cancel the
        background work still running after the grace period."""
        self.stopping = True
        if self._open:
            logger.info("Shutting down: ending %d open streams and WebSockets", len(self._open))
        for connection in list(self._open):
            connection.stop()
        self._open.clear()
        if self._background:
            # The server waits for requests (and so their background work) to end: bound it.
            asyncio.get_running_loop().call_later(self.grace, self._cancel_background)

    def _cancel_background(self) -> None:
        for work in list(self._background):
            work.cancel()


def hook_server_signals() -> None:
    """Wrap the process's SIGINT and SIGTERM handlers so that listeners hear of a shutdown.

    uvicorn installs its handlers with ``signal.signal`` before it imports the app, so they
    are wrapped where they stand; each is wrapped once. Outside the main thread (a server run
    in a thread, the test client) no signal can arrive, and nothing is done.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(sig)
        if not callable(current) or getattr(current, "_aaf_hooked", False):
            continue
        signal.signal(sig, _wrapped(current))


def _wrapped(handler: Callable[[int, FrameType | None], object]) -> _SignalHandler:
    def handle(sig: int, frame: FrameType | None) -> None:
        handler(sig, frame)
        for listener in list(_listeners):
            listener()

    handle._aaf_hooked = True  # type: ignore[attr-defined]  # a marker: wrap only once
    return handle


class MountedLifespan:
    """The lifespan of an ASGI app mounted on another's routers, driven from the parent's as a
    server drives an app's: started once the parent has started, shut down before it stops.
    Its startup hooks run, what its lifespan yields reaches its requests, and its streams and
    WebSockets end on shutdown. An app that does not speak the protocol (it returns or raises
    at once, as ``StaticFiles`` returns, or asks for a message before it answers) is left
    alone, as the ASGI spec has a server leave it.
    """

    def __init__(self, app: ASGIApp, where: str) -> None:
        self.app = app
        self.where = where  # the prefix it is mounted at, for messages
        self._inbox: asyncio.Queue[ReceiveEvent] = asyncio.Queue()
        self._outbox: asyncio.Queue[SendEvent] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._answered = False  # its startup answered: it may wait for the next message

    async def startup(self, asgi: ASGIVersions, state: MutableMapping[str, object]) -> bool:
        """Start it; give whether it speaks the lifespan protocol.

        Raises:
            RuntimeError: its startup failed (with its message).
        """
        scope: LifespanScope = {"type": "lifespan", "asgi": asgi, "state": state}

        async def run() -> None:
            await self.app(scope, self._receive, self._send)

        self._task = asyncio.create_task(run())
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._next()
        if message is None:
            return False
        if message["type"] == "lifespan.startup.failed":
            raise RuntimeError(
                f"The app mounted at {self.where} failed to start: {message['message']}"
            )
        if message["type"] != "lifespan.startup.complete":
            self._task.cancel()  # not the lifespan protocol: an app of requests alone
            return False
        return True

    async def shutdown(self) -> None:
        """Shut it down.

        Raises:
            RuntimeError: its shutdown failed (with its message).
        """
        await self._inbox.put({"type": "lifespan.shutdown"})
        message = await self._next()
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task}, timeout=1.0)  # it returns once it has answered
            self._task.cancel()
        if message is not None and message["type"] == "lifespan.shutdown.failed":
            raise RuntimeError(
                f"The app mounted at {self.where} failed to shut down: {message['message']}"
            )

    async def _send(self, message: SendEvent) -> None:
        if message["type"].startswith("lifespan.startup."):
            self._answered = True  # it may ask for the shutdown message at once
        await self._outbox.put(message)

    async def _receive(self) -> ReceiveEvent:
        if self._inbox.empty() and not self._answered:
            # A second message asked for before startup was answered: an app of requests
            # waiting for a request's body. It would wait for ever; it is told no instead.
            raise RuntimeError("Not an app of the lifespan protocol")
        return await self._inbox.get()

    async def _next(self) -> SendEvent | None:
        """Its next message, or ``None`` when it ended without one (it raised, or returned)."""
        task = self._task
        assert task is not None  # set in startup
        getter = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
        if not getter.done():
            getter.cancel()
            if self._outbox.empty():
                if not task.cancelled() and (error := task.exception()) is not None:
                    logger.debug("The app mounted at %s has no lifespan: %r", self.where, error)
                return None
            return self._outbox.get_nowait()
        return getter.result()
