# Tests of a private module reach its internals on purpose.
# pyright: reportPrivateUsage=false
"""Shutdown from the server's signal, in-process (the real SIGTERM test runs uvicorn in its own
process: tests/test_hostile.py)."""

from __future__ import annotations

import asyncio
import signal
from types import FrameType

import pytest

from aaf import _lifecycle
from aaf._lifecycle import Lifecycle, hook_server_signals


def test_the_signal_handlers_are_wrapped_once_and_still_called() -> None:
    heard: list[int] = []

    def server_handler(sig: int, frame: FrameType | None) -> None:
        heard.append(sig)

    previous = signal.signal(signal.SIGTERM, server_handler)
    try:
        hook_server_signals()
        hook_server_signals()  # a second app in the process does not wrap twice
        wrapped = signal.getsignal(signal.SIGTERM)
        assert wrapped is not server_handler and getattr(wrapped, "_aaf_hooked", False)
        told: list[str] = []
        _lifecycle._listeners.add(lambda: told.append("stop"))
        try:
            assert callable(wrapped)
            wrapped(signal.SIGTERM, None)
        finally:
            _lifecycle._listeners.clear()
        assert heard == [signal.SIGTERM] and told == ["stop"]
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.anyio
async def test_a_lifecycle_stops_what_it_tracks_and_what_comes_later() -> None:
    class Tracked:
        stopped = 0

        def stop(self) -> None:
            self.stopped += 1

    lifecycle = Lifecycle()
    lifecycle.started()
    first, second = Tracked(), Tracked()
    lifecycle.add(first)  # type: ignore[arg-type]  # anything with stop() will do here
    lifecycle._signalled()
    await asyncio.sleep(0)  # the loop runs what the signal scheduled
    assert first.stopped == 1 and lifecycle.stopping
    lifecycle.add(second)  # type: ignore[arg-type]
    assert second.stopped == 1  # a connection opened during shutdown is stopped at once
    lifecycle.discard(first)  # type: ignore[arg-type]
    lifecycle.stopped()


@pytest.mark.anyio
async def test_background_work_is_cancelled_a_grace_period_after_the_signal() -> None:
    lifecycle = Lifecycle(grace=0.1)
    quick = asyncio.ensure_future(asyncio.sleep(0.01))
    endless = asyncio.ensure_future(asyncio.sleep(3600))
    lifecycle.add_background(quick)
    lifecycle.add_background(endless)
    lifecycle.stop_all()
    await asyncio.sleep(0.3)
    assert quick.done() and not quick.cancelled()
    assert endless.cancelled()
