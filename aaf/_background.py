"""Work that runs after a response is sent: a response's ``background=`` and the tasks of
``Connection.add_background``. An error is logged, never sent (``aaf.testing`` raises it in
the test); the app's lifecycle waits for running work at shutdown, up to its grace period."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from aaf._threads import pool_of

if TYPE_CHECKING:
    from aaf.connection import Connection

__all__ = ["run_background"]

logger = logging.getLogger("aaf")


async def run_background(tasks: Iterable[Callable[[], object]], connection: Connection) -> None:
    """Run background work, in order, once the response is sent.

    An error is logged and the next task runs; nothing reaches the client. At shutdown the app
    waits for running work up to its grace period, then cancels it.
    """
    try:
        lifecycle = connection.app.lifecycle
    except RuntimeError:  # a connection built by hand, outside an app
        lifecycle = None
    for task in tasks:
        work = asyncio.ensure_future(_run_one(task, connection))
        if lifecycle is not None:
            lifecycle.add_background(work)
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            if not work.cancelled():
                raise
            logger.warning("Background work %r was cancelled at shutdown", task)
            return


async def _run_one(task: Callable[[], object], connection: Connection) -> None:
    try:
        if inspect.iscoroutinefunction(task):
            await task()
        else:
            result = await pool_of(connection).run(task)
            if inspect.isawaitable(result):
                await result
    except Exception as exc:
        logger.exception("Background work %r failed", task)
        # Raised in a test, as any error the app did not handle (Starlette's client raises
        # a background task's too).
        from aaf._errors import tell_test_client  # noqa: PLC0415  # it imports this module

        tell_test_client(connection, exc)
