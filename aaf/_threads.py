"""Where plain ``def`` code runs: an app's own pool of worker threads.

Sync handlers, providers and background work run here rather than in asyncio's default pool,
for two reasons. That pool holds ``min(32, cpu count + 4)`` threads, 6 on a two-core machine,
where FastAPI and Starlette let 40 run at once (anyio's default limit); and aaf reads files in
it (``FileResponse``, ``StaticFiles``), so six slow sync handlers stalled every download. Here
user code gets ``max_threads`` of its own, and files keep theirs.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from aaf.connection import Connection

__all__ = ["MAX_THREADS", "ThreadPool", "pool_of"]

# As many threads as FastAPI and Starlette run sync code in at once (anyio's default limiter).
MAX_THREADS = 40

P = ParamSpec("P")
T = TypeVar("T")


class ThreadPool:
    """A pool of up to ``max_threads`` worker threads, started on first use; threads are
    made as work needs them and reused once idle."""

    def __init__(self, max_threads: int = MAX_THREADS) -> None:
        if max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, got {max_threads}")
        self.max_threads = max_threads
        self._executor: ThreadPoolExecutor | None = None

    def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> asyncio.Future[T]:
        """Call ``fn`` in a worker thread with the caller's context variables (as
        ``asyncio.to_thread`` does); give a future of its result."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.max_threads, thread_name_prefix="aaf-sync")
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return asyncio.get_running_loop().run_in_executor(self._executor, call)

    def shutdown(self) -> None:
        """Let running work finish without waiting for it; a later ``run`` starts anew."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None


# For connections built by hand, outside an app.
_SHARED = ThreadPool()


def pool_of(connection: Connection) -> ThreadPool:
    """The pool of the app serving ``connection``."""
    try:
        return connection.app.threads
    except RuntimeError:  # a connection built by hand
        return _SHARED
