"""Broadcast groups, through their public interface."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
import time

import httpx
import pytest
from websockets.sync.client import connect

from aaf import aaf
from aaf.channels import InMemoryGroups
from aaf.connection import Connection
from aaf.routing import Router
from aaf.testing import TestClient
from aaf.views import WebSocketView

from ._helpers import add_late_joiner, group_member, serve


class Sink:
    """A member that records what it gets; it can fail, or stall until released."""

    def __init__(self, fail: bool = False, stall: bool = False) -> None:
        self.got: list[str] = []
        self.fail = fail
        self.released = asyncio.Event()
        if not stall:
            self.released.set()
        self.closed: tuple[int, str] | None = None

    async def send_text(self, data: str) -> None:
        if self.fail:
            raise ConnectionError("gone")
        await self.released.wait()
        self.got.append(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)


async def settle() -> None:
    """Let the members' sender tasks run."""
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.mark.anyio
async def test_groups_deliver_to_members_and_drop_failing_ones() -> None:
    groups = InMemoryGroups()
    a, b, broken = Sink(), Sink(), Sink(fail=True)
    for member in (a, b, broken):
        await groups.join("room", member)
    assert await groups.publish("room", "hi") == 3  # queued for all three
    await settle()
    assert groups.members("room") == 2  # the failing one was dropped
    await groups.leave("room", a)
    assert await groups.publish_json("room", {"n": 1}) == 1
    await settle()
    assert a.got == ["hi"] and b.got == ["hi", '{"n":1}']
    await groups.leave("room", b)
    assert groups.members("room") == 0
    assert await groups.publish("room", "nobody") == 0


@pytest.mark.anyio
async def test_a_stalled_member_is_closed_1013_and_never_delays_the_others() -> None:
    groups = InMemoryGroups(max_queue=10)
    fast, stalled = Sink(), Sink(stall=True)
    await groups.join("room", fast)
    await groups.join("room", stalled)
    for i in range(12):
        # publish never waits: a stalled member cannot hold it up
        await asyncio.wait_for(groups.publish("room", str(i)), 0.5)
        await settle()
    assert fast.got == [str(i) for i in range(12)]
    assert stalled.closed is not None and stalled.closed[0] == 1013
    assert groups.members("room") == 1


@pytest.mark.anyio
async def test_a_message_over_the_size_limit_is_refused_as_redis_groups_refuse_it() -> None:
    # Only RedisGroups had the limit: an app tested on InMemoryGroups met it first in
    # production, and a stalled member could hold max_queue messages of any size.
    groups = InMemoryGroups(max_message_size=8)
    member = Sink()
    await groups.join("room", member)
    assert await groups.publish("room", "é" * 4) == 1  # 8 bytes of UTF-8: at the limit
    with pytest.raises(ValueError, match="Message of 10 bytes is over the limit of 8"):
        await groups.publish("room", "é" * 5)
    with pytest.raises(ValueError, match="over the limit"):
        await groups.publish_json("room", {"text": "long"})
    await settle()
    assert member.got == ["éééé"]
    assert InMemoryGroups().max_message_size == 1024 * 1024


@pytest.mark.anyio
async def test_a_stalled_member_holds_at_most_max_queue_bytes_of_messages() -> None:
    # max_queue alone let one client that stopped reading hold 1,000 messages of 1 MiB, a
    # gigabyte of the server's memory; by default a member falls 16 of the largest behind.
    groups = InMemoryGroups(max_message_size=1000)
    fast, stalled = Sink(), Sink(stall=True)
    await groups.join("room", fast)
    await groups.join("room", stalled)
    for i in range(18):
        await groups.publish("room", f"{i:03}" + "x" * 997)  # 1,000 bytes each
        await settle()
    # The first went to its send (which stalls); the next 16 fill its 16,000 bytes; the
    # 18th is over them: closed 1013, as a member over max_queue is.
    assert stalled.closed is not None and stalled.closed[0] == 1013
    assert groups.members("room") == 1 and len(fast.got) == 18
    # Small messages still queue by the hundred: the bound is the bytes they hold.
    slow = Sink(stall=True)
    await groups.join("room", slow)
    for _ in range(900):
        await groups.publish("room", "small")
    assert slow.closed is None and groups.members("room") == 2
    slow.released.set()
    await settle()


@pytest.mark.anyio
async def test_max_queue_bytes_bounds_each_members_queue_and_takes_the_largest_message() -> None:
    groups = InMemoryGroups(max_message_size=10, max_queue_bytes=25)
    stalled = Sink(stall=True)
    await groups.join("room", stalled)
    for _ in range(3):  # one in its send, two queued: 20 bytes
        await groups.publish("room", "0123456789")
        await settle()
    assert groups.members("room") == 1
    await groups.publish("room", "0123456")  # 27 bytes: over
    await settle()
    assert groups.members("room") == 0
    assert stalled.closed is not None and stalled.closed[0] == 1013
    with pytest.raises(ValueError, match=r"max_queue_bytes \(5\) must be at least max_message"):
        InMemoryGroups(max_message_size=10, max_queue_bytes=5)
    with pytest.raises(ValueError, match="max_queue_bytes"):
        InMemoryGroups(max_queue_bytes=-1)
    with pytest.raises(TypeError, match="max_queue_bytes"):
        InMemoryGroups(max_queue_bytes="1")  # type: ignore[arg-type]  # what mypy refuses


def test_max_queue_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_queue"):
        InMemoryGroups(max_queue=0)
    assert InMemoryGroups(max_queue=3).max_queue == 3
    assert InMemoryGroups().max_queue == 1000
    assert InMemoryGroups().max_queue_bytes == 16 * 1024 * 1024
    assert InMemoryGroups(max_message_size=10).max_queue_bytes == 160
    assert InMemoryGroups(max_queue_bytes=20, max_message_size=10).max_queue_bytes == 20


def test_a_client_gone_mid_backlog_is_dropped_without_writes_to_its_dead_socket(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A backlog went out without a turn of the event loop, so uvicorn never heard that the
    # client had left: every message was written to a dead socket, and asyncio warned
    # "socket.send() raised exception." for each (thousands under a chat's churn).
    groups = InMemoryGroups()
    router = Router()

    router.add_websocket_route("/room", group_member(groups, "room"))

    @router.post("/burst")
    async def burst(connection: Connection, count: int) -> int:
        time.sleep(0.3)  # the loop held: the client's reset is not read before the burst
        for number in range(count):
            await groups.publish("room", f"message {number}")
        return count

    with caplog.at_level(logging.WARNING), serve(aaf([router])) as base:
        url = base.replace("http://", "ws://") + "/room"
        with connect(url) as healthy, connect(url) as gone:
            healthy.send("joined?")  # each handler is past join() once its first frame is read
            gone.send("joined?")
            time.sleep(0.2)
            answers: list[int] = []
            poster = threading.Thread(
                target=lambda: answers.append(
                    httpx.post(base + "/burst", params={"count": 300}, timeout=10).json()
                )
            )
            poster.start()
            time.sleep(0.1)  # the server is in its blocking sleep now
            raw = gone.socket  # abort: a reset, no close frame
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()
            poster.join(10)
            assert answers == [300]
            received = [healthy.recv(timeout=5) for _ in range(300)]
        assert received[-1] == "message 299"
    warned = [r for r in caplog.records if "socket.send() raised exception" in r.getMessage()]
    assert warned == []


def test_a_member_whose_session_ended_without_leave_is_dropped_at_once() -> None:
    # A member that never called leave() (no on_disconnect, or a handler that raised before
    # its leave) stayed in its group, its connection and sender task held, until a publish
    # to it failed: for a group nobody publishes to, for ever, one more per session.
    groups = InMemoryGroups()
    router = Router()

    @router.websocket("/feed")
    class Feed(WebSocketView):
        async def on_connect(self, connection: Connection) -> None:
            await connection.accept()
            await groups.join("feed", connection)
            await groups.join("other", connection)

    @router.websocket("/reads")
    async def reads(connection: Connection) -> None:
        await connection.accept()
        await groups.join("feed", connection)
        while True:  # the client leaving raises WebSocketDisconnect here: no leave() runs
            await connection.receive_text()

    @router.websocket("/switches")
    async def switches(connection: Connection) -> None:
        await connection.accept()
        async for room in connection.iter_text():
            await groups.join(room, connection)
            await groups.leave(room, connection)  # left: nothing is held for the session

    @router.get("/members")
    async def members(connection: Connection) -> dict[str, int]:
        return {"feed": groups.members("feed"), "other": groups.members("other")}

    @router.post("/publish")
    async def publish(connection: Connection) -> int:
        return await groups.publish("feed", "still here")

    with serve(aaf([router])) as base:
        url = base.replace("http://", "ws://")
        for _ in range(20):
            with connect(url + "/feed") as feed, connect(url + "/reads") as reading:
                feed.send("hello")
                reading.send("hello")
                with connect(url + "/switches") as switching:
                    for room in ("a", "b", "a"):
                        switching.send(room)
        deadline = time.monotonic() + 5
        counts = httpx.get(base + "/members").json()
        while counts != {"feed": 0, "other": 0} and time.monotonic() < deadline:
            time.sleep(0.05)
            counts = httpx.get(base + "/members").json()
        assert counts == {"feed": 0, "other": 0}
        # A member that is still connected stays, through the others' comings and goings.
        with connect(url + "/feed") as staying:
            with connect(url + "/feed"):
                pass
            deadline = time.monotonic() + 5
            while httpx.get(base + "/members").json()["feed"] != 1:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert httpx.post(base + "/publish").json() == 1
            assert staying.recv(timeout=5) == "still here"


def test_a_member_joined_by_a_task_after_its_session_ended_is_dropped_at_once() -> None:
    # A task that outlived its session (given the connection, it joined a group once some
    # wait was over) added a member whose end had been called back already: it stayed, its
    # sender held, until a publish to it failed; in a group nobody publishes to, for ever.
    groups = InMemoryGroups()
    router = Router()
    told: list[str] = []

    def ask_for_the_end(connection: Connection) -> None:
        connection.at_session_end(lambda: told.append("over"))  # over: called at once

    add_late_joiner(router, groups, ask_for_the_end)
    with TestClient(aaf([router])) as client:
        with client.websocket_connect("/ws"):
            pass
        assert client.get("/members").json() == 0
    assert told == ["over"]


def test_at_session_end_calls_back_once_in_order_after_on_disconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []
    app = aaf()

    def first() -> None:
        calls.append("first")

    def broken() -> None:
        raise RuntimeError("a broken callback")

    @app.websocket("/ws")
    class Session(WebSocketView):
        async def on_connect(self, connection: Connection) -> None:
            await connection.accept()
            connection.at_session_end(first)
            connection.at_session_end(broken)
            connection.at_session_end(lambda: calls.append("last"))
            connection.at_session_end(first)  # given twice: called once, where it was first
            forgotten = lambda: calls.append("forgotten")  # noqa: E731
            connection.at_session_end(forgotten)
            connection.forget_session_end(forgotten)
            connection.forget_session_end(lambda: None)  # never given: nothing happens

        async def on_disconnect(self, connection: Connection, code: int) -> None:
            calls.append("on_disconnect")

    @app.get("/http")
    async def http(connection: Connection) -> str:
        with pytest.raises(ValueError, match="for WebSocket sessions"):
            connection.at_session_end(first)
        return "refused"

    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        with client.websocket_connect("/ws"):
            assert calls == []
        assert calls == ["on_disconnect", "first", "last"]
        assert client.get("/http").text == "refused"
    assert [r.getMessage() for r in caplog.records] == [
        "A callback at the end of a WebSocket session failed"
    ]


def test_a_message_with_no_utf_8_is_refused_and_the_group_keeps_its_members() -> None:
    # A lone surrogate (a file name decoded with surrogateescape, say) was queued: every
    # member's send failed on it, and each was dropped from the group, its WebSocket open
    # and never told: the whole group lost for one message.
    groups = InMemoryGroups()
    router = Router()
    router.add_websocket_route("/room", group_member(groups, "room"))

    @router.post("/publish")
    async def publish(connection: Connection, text: str, surrogate: bool = False) -> str:
        try:
            return str(await groups.publish("room", text + ("\udcff" if surrogate else "")))
        except ValueError as exc:
            return str(exc)

    with serve(aaf([router])) as base:
        url = base.replace("http://", "ws://") + "/room"
        with connect(url) as first, connect(url) as second:
            first.send("joined?")  # each handler is past join() once its first frame is read
            second.send("joined?")
            time.sleep(0.2)
            refused = httpx.post(base + "/publish", params={"text": "é", "surrogate": True})
            assert refused.text.startswith("A group message must be UTF-8 text: ")
            assert httpx.post(base + "/publish", params={"text": "still here"}).text == "2"
            assert first.recv(timeout=5) == second.recv(timeout=5) == "still here"
