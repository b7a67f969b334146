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
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from aaf._http import check_limit, json_bytes, utf8_size
from aaf.connection import Connection

if TYPE_CHECKING:
    from redis.asyncio import Redis as _Redis
    from redis.asyncio.client import PubSub as _PubSub

__all__ = ["Groups", "InMemoryGroups", "Member", "RedisGroups"]

logger: logging.Logger = logging.getLogger("aaf")
TRY_AGAIN_LATER = 1013  # RFC 6455 close code for a member that cannot keep up
_SYNC_EVERY = 1.0  # seconds between two checks that RedisGroups' subscriptions are its groups


class Member(Protocol):
    """Anything that can take a text frame and be closed: a WebSocket ``Connection`` is one."""

    async def send_text(self, data: str) -> None:
        """Send ``data`` as one text frame."""
        ...

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close with ``code`` and ``reason``: 1013 for a member whose queue is full."""
        ...


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


_TURN_EVERY = 4  # messages of a backlog sent between two turns of the event loop


class _Outbox:
    """One member's bounded queue of outgoing messages (``max_queue`` of them, ``max_bytes``
    of UTF-8 in all) and the task that sends them."""

    def __init__(
        self, member: Member, max_queue: int, max_bytes: int, on_fail: Callable[[], object]
    ) -> None:
        self.queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue(max_queue)
        self.max_bytes = max_bytes
        self.held = [0]  # the queued messages' bytes, which the sender takes off as it sends
        self.on_fail = on_fail  # drops the member from its group
        # A function of its own, not a method: the task's frame must not hold the outbox that
        # holds the task (once cancelled, its error's traceback would keep them in a cycle).
        self.task = asyncio.ensure_future(
            _send_all(self.queue, self.held, member.send_text, on_fail)
        )

    def offer(self, message: str, size: int) -> bool:
        """Queue ``message`` of ``size`` bytes without waiting; ``False`` when the queue is
        full, by count or by bytes."""
        if self.held[0] + size > self.max_bytes:
            return False
        try:
            self.queue.put_nowait((message, size))
        except asyncio.QueueFull:
            return False
        self.held[0] += size
        return True


async def _send_all(
    queue: asyncio.Queue[tuple[str, int]],
    held: list[int],
    send: Callable[[str], Awaitable[None]],
    on_fail: Callable[[], object],
) -> None:
    """Send a member's queued messages as they come, until cancelled or the member fails."""
    try:
        while True:
            message, size = await queue.get()
            held[0] -= size
            await send(message)
            # A backlog is sent without waiting (neither get nor a server's send has to),
            # so the loop would not run until it is gone: not the other members, and not
            # the server learning that this client left (asyncio then warns on every
            # write to its dead socket). Let it run every few messages.
            if queue.qsize() and queue.qsize() % _TURN_EVERY == 0:
                await asyncio.sleep(0)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the member left or broke: it gets nothing more
        logger.debug("Dropping a group member that failed: %r", exc)
        on_fail()


class _LocalMembers:
    """The members this process holds, each with its bounded outbox (shared by backends)."""

    def __init__(self, max_queue: int, max_bytes: int) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.max_queue = max_queue
        self.max_bytes = max_bytes
        self._half = max_queue // 2
        self._groups: dict[str, dict[Member, _Outbox]] = {}
        self._closing: set[asyncio.Future[None]] = set()  # kept until done, so never collected

    def add(self, group: str, member: Member) -> bool:
        """Add ``member``; give whether it is the group's first member here."""
        members = self._groups.setdefault(group, {})
        first = not members
        if member not in members:
            outbox = _Outbox(
                member, self.max_queue, self.max_bytes, lambda: self.drop(group, member)
            )
            members[member] = outbox
            if isinstance(member, Connection) and member.scope["type"] == "websocket":
                # A session that ends without leave() (no on_disconnect, or a handler that
                # raised before it) would stay a member, its connection and sender held,
                # until a publish to it failed: for ever, in a group nobody publishes to.
                # Over already (joined by a task that outlived it), it is dropped here, at
                # once: the group is not new then, and no process subscribes to it for none.
                member.at_session_end(outbox.on_fail)
                return first and group in self._groups
        return first

    def drop(self, group: str, member: Member) -> bool:
        """Remove ``member``; give whether the group has no member left here."""
        members = self._groups.get(group)
        if members is None:
            return False
        outbox = members.pop(member, None)
        if outbox is not None:
            outbox.task.cancel()
            if isinstance(member, Connection):
                member.forget_session_end(outbox.on_fail)
        if not members:
            del self._groups[group]
            return True
        return False

    def count(self, group: str) -> int:
        return len(self._groups.get(group, ()))

    def groups(self) -> list[str]:
        return list(self._groups)

    async def deliver(self, group: str, message: str, size: int) -> int:
        """Queue ``message`` (``size`` bytes of UTF-8) for the local members of ``group``
        without waiting on them; close and drop a member whose queue is full, by count or by
        bytes. Give how many got it queued.

        When a member's queue is more than half full, the event loop gets a turn after, so
        that the members' senders run: a publisher that awaits nothing else (a loop of
        ``publish`` calls, or a burst of messages the Redis subscriber reads from its buffer)
        gave them none, and the queues of members that kept up filled before their senders
        sent once; they were closed 1013 as too slow, the messages lost. A sender sends at
        least one message a turn; a member whose queue fills all the same is one whose sends
        wait: slow, and dropped.
        """
        members = self._groups.get(group)
        if not members:
            return 0
        queued = 0
        crowded = False
        for member, outbox in list(members.items()):
            if outbox.offer(message, size):
                queued += 1
                crowded = crowded or outbox.queue.qsize() > self._half
            else:
                logger.info(
                    "Closing a member of group %r that fell %d messages (%d bytes) behind",
                    group,
                    outbox.queue.qsize(),
                    outbox.held[0],
                )
                self.drop(group, member)
                closing = asyncio.ensure_future(_close_quietly(member))
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
        if crowded:
            await asyncio.sleep(0)
        return queued

    def close(self) -> None:
        for group in self.groups():
            for member in list(self._groups.get(group, {})):
                self.drop(group, member)


class InMemoryGroups:
    """Groups within one process.

    ``publish`` never waits on a member: each has a queue of at most ``max_queue`` messages
    and ``max_queue_bytes`` bytes (by default 16 messages of ``max_message_size``) drained by
    its own task, and a member whose queue is full is closed with 1013 ("try again later")
    and dropped, so one stalled client never delays the others, nor holds more than that of
    the server's memory. A message over ``max_message_size`` bytes is refused, as
    ``RedisGroups`` refuses it.
    """

    def __init__(
        self,
        *,
        max_queue: int = 1000,
        max_message_size: int = 1024 * 1024,
        max_queue_bytes: int | None = None,
    ) -> None:
        check_limit("InMemoryGroups", "max_message_size", max_message_size)
        self.max_message_size = max_message_size
        self._local = _LocalMembers(
            max_queue, _queue_bytes("InMemoryGroups", max_queue_bytes, max_message_size)
        )

    @property
    def max_queue(self) -> int:
        """How many messages a member may fall behind before it is closed with 1013."""
        return self._local.max_queue

    @property
    def max_queue_bytes(self) -> int:
        """How many bytes of messages a member may fall behind before it is closed with 1013."""
        return self._local.max_bytes

    async def join(self, group: str, member: Member) -> None:
        """Add ``member`` to ``group``."""
        self._local.add(group, member)

    async def leave(self, group: str, member: Member) -> None:
        """Remove ``member`` from ``group``; an empty group goes away."""
        self._local.drop(group, member)

    def members(self, group: str) -> int:
        """Count the members of ``group``."""
        return self._local.count(group)

    async def publish(self, group: str, message: str) -> int:
        """Queue ``message`` for every member of ``group``, never waiting; give how many got it
        queued. A member whose queue is full is closed with 1013 and dropped.

        Raises:
            ValueError: the message is larger than ``max_message_size`` bytes, or is not
                UTF-8 text (it holds a lone surrogate).
        """
        size = _check_message(message, self.max_message_size)
        return await self._local.deliver(group, message, size)

    async def publish_json(self, group: str, data: object) -> int:
        """Publish ``data`` as JSON (pydantic models and dataclasses too)."""
        return await self.publish(group, json_bytes(data).decode())


def _check_message(message: str, limit: int) -> int:
    """Refuse a message no member could be sent: over ``limit`` bytes, or text with no UTF-8
    (a lone surrogate, from bytes decoded with ``surrogateescape``, say). Queued, the latter
    failed every member's send, and each was dropped from the group, its WebSocket open and
    told nothing: the whole group lost for one message. Give its size in bytes."""
    try:
        size = utf8_size(message)
    except UnicodeEncodeError as exc:
        raise ValueError(f"A group message must be UTF-8 text: {exc}") from None
    if size > limit:
        raise ValueError(f"Message of {size} bytes is over the limit of {limit}")
    return size


def _queue_bytes(owner: str, given: int | None, max_message_size: int) -> int:
    """A member's queue's bound in bytes: ``given``, else 16 messages of the largest size.
    Without one, a stalled member held ``max_queue`` messages of any size: 1,000 of 1 MiB,
    a gigabyte, for one client that stopped reading.

    Raises:
        ValueError: ``given`` is less than ``max_message_size``: a message of that size
            could never be queued, and would close every member.
    """
    if given is None:
        return 16 * max_message_size
    check_limit(owner, "max_queue_bytes", given)
    if given < max_message_size:
        raise ValueError(
            f"{owner}: max_queue_bytes ({given}) must be at least max_message_size "
            f"({max_message_size}), or a message of that size would close every member"
        )
    return given


# A URL's password: after the user name's colon, up to the last "@" of the part before the
# path; or a query string's password= (redis-py takes either).
_PASSWORD = re.compile(r"^([a-z0-9+.-]+://[^/?#]*?:)[^/?#]*(?=@)|(?<=[?&]password=)[^&#]*", re.I)


def _shown(url: str) -> str:
    """``url`` as logs and errors show it: its password, if it has one, as ``***``.

    >>> _shown("redis://app:secret@cache:6379/0")
    'redis://app:***@cache:6379/0'
    """
    return _PASSWORD.sub(lambda found: (found.group(1) or "") + "***", url)


async def _close_quietly(member: Member) -> None:
    try:
        await member.close(TRY_AGAIN_LATER, "Too slow: messages were piling up")
    except Exception as exc:  # it may be gone already
        logger.debug("Closing a slow member failed: %r", exc)


class RedisGroups:
    """Groups across processes and hosts, on Redis pub/sub (``pip install aaf[redis]``).

    One pub/sub connection per process, subscribed to a group's channel while this process has
    members in it; what arrives is fanned out to the local members through the same bounded
    queues as ``InMemoryGroups``; ``join`` returns once Redis has confirmed the subscription,
    so a member gets what any process publishes after it. Delivery is at most once, in
    publish order per group. When Redis goes away the subscriber reconnects with backoff and
    subscribes again (logging once per outage); what is published meanwhile is lost. A
    command Redis does not answer within ``timeout`` seconds counts as an outage; during one,
    a single publish at a time tries Redis again and the others give 0 at once, so a Redis
    that stopped answering holds at most one request at a time, for ``timeout``. At most
    ``max_connections`` publishes go to Redis at once, a connection each (the subscriber has
    its own); the others wait their turn.
    Start and close it with the app's lifespan::

        groups = RedisGroups("redis://127.0.0.1:6379/0")

        @asynccontextmanager
        async def lifespan(app: App) -> AsyncIterator[None]:
            async with groups:  # a clear error here when Redis is unreachable
                yield
    """

    def __init__(
        self,
        url: str,
        *,
        max_queue: int = 1000,
        max_message_size: int = 1024 * 1024,
        max_queue_bytes: int | None = None,
        prefix: str = "aaf:group:",
        timeout: float = 2.0,
        max_connections: int = 32,
    ) -> None:
        check_limit("RedisGroups", "max_message_size", max_message_size)
        check_limit("RedisGroups", "timeout", timeout, above=True)  # 0: sockets never wait
        check_limit("RedisGroups", "max_connections", max_connections, above=True)
        self.url = url
        self.max_connections = max_connections
        self.max_message_size = max_message_size
        self.prefix = prefix
        self.timeout = timeout
        self._local = _LocalMembers(
            max_queue, _queue_bytes("RedisGroups", max_queue_bytes, max_message_size)
        )
        self._client: _Redis | None = None
        self._pubsub: _PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._outage = False
        self._probing = False  # a publish is finding out whether Redis answers again
        self._new_turns()

    def _new_turns(self) -> None:
        """Make the lock and semaphore that take turns with Redis; ``start`` makes them again
        for its event loop: one that waited in another (a test's earlier client, a server
        started again) belongs to that loop, and asyncio refuses it in the next."""
        # One subscribe or unsubscribe at a time: redis-py before 5.1 gives a pub/sub whose
        # first two commands overlap (a join as the subscriber starts) a connection each, and
        # the one it forgets stays subscribed, unread, its messages piling up in Redis.
        self._subscribing = asyncio.Lock()
        # The commands sent at once on the client's connections (publishes, the subscriber's
        # pings), one connection each: redis-py's pool opens one for every command that
        # overlaps another and keeps it, with no bound before redis-py 8 (a burst of 500
        # publishes was 500 connections, and file descriptors) and, from 8, a bound of 100
        # past which a command fails (lost messages, and an outage that was none). Its own
        # BlockingConnectionPool before 5.1 hangs for good on a connection that fails.
        self._sending = asyncio.Semaphore(self.max_connections)
        # A group's channel -> the subscription Redis has not confirmed yet, which its joins
        # wait for (set by the subscriber as it reads the confirmation), and how many of the
        # SUBSCRIBEs sent for it are unanswered: a join after a leave whose UNSUBSCRIBE went
        # after the first one's SUBSCRIBE is subscribed by its own, the last.
        self._confirming: dict[str, asyncio.Future[None]] = {}
        self._unanswered: dict[str, int] = {}

    @property
    def max_queue(self) -> int:
        """How many messages a member may fall behind before it is closed with 1013."""
        return self._local.max_queue

    @property
    def max_queue_bytes(self) -> int:
        """How many bytes of messages a member may fall behind before it is closed with 1013."""
        return self._local.max_bytes

    async def __aenter__(self) -> RedisGroups:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Connect to Redis and start the subscriber.

        Raises:
            ConnectionError: Redis is unreachable at ``url``.
        """
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import RedisError

        # Bounded waits of our own: redis-py's defaults differ by release (none before 8),
        # and a Redis that stopped answering (frozen, cut off) would hold a publish for ever.
        client = Redis.from_url(
            self.url,
            decode_responses=True,
            # Bytes that are not UTF-8 on a group's channel (another program publishing
            # there) read as U+FFFD, as aaf reads all text: strict, the subscriber's reading
            # failed, was taken for an outage, and what came while it reconnected was lost.
            encoding_errors="replace",
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            # Never reached: `_sending` holds it to max_connections, and the subscriber has
            # one of its own.
            max_connections=self.max_connections + 1,
            # A command on a connection Redis closed (a restart closes every one the pool
            # keeps) is sent again, at once, on a new one: redis-py before 8 sent it once,
            # and the error read as a new outage once Redis was back. Once, and never on a
            # timeout (a Redis that does not answer is away), nor with redis-py 8's backoff
            # of seconds between tries, which would hold the request.
            retry=Retry(NoBackoff(), 1, (RedisConnectionError,)),
            retry_on_error=[RedisConnectionError],
        )
        try:
            await client.ping()
        except (RedisError, OSError) as exc:
            await client.aclose()
            raise ConnectionError(f"Redis is unreachable at {_shown(self.url)}: {exc}") from exc
        self._client = client
        self._pubsub = client.pubsub()
        self._new_turns()  # for this event loop
        self._reader = asyncio.create_task(self._read(), name="aaf RedisGroups subscriber")

    async def close(self) -> None:
        """Stop the subscriber and close the connections; no task is left behind."""
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        if self._pubsub is not None:
            await self._pubsub.aclose()
            self._pubsub = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._confirm_all()  # no join waits on a closed subscriber
        self._local.close()

    def _channel(self, group: str) -> str:
        return self.prefix + group

    async def join(self, group: str, member: Member) -> None:
        """Add ``member`` to ``group``, subscribing this process to it when it is the first.
        Returns once Redis has confirmed the subscription (at most ``timeout`` seconds, else
        an outage; at once during one), so that what any process publishes to ``group`` from
        then on reaches ``member``."""
        if self._local.add(group, member):
            await self._subscription(group, True)
        confirming = self._confirming.get(self._channel(group))
        if confirming is None or self._outage:
            return
        try:
            # Shielded: a join cancelled while it waits leaves the others theirs.
            await asyncio.wait_for(asyncio.shield(confirming), self.timeout)
        except TimeoutError:
            self._report_outage(
                TimeoutError(f"no confirmation of the subscription to {group!r} in time")
            )

    async def leave(self, group: str, member: Member) -> None:
        """Remove ``member``; unsubscribe when the group has no member left here."""
        if self._local.drop(group, member):
            await self._subscription(group, False)

    async def _subscription(self, group: str, wanted: bool) -> None:
        """Subscribe to ``group``'s channel, or unsubscribe. During an outage nothing is
        asked of Redis: the subscriber makes the subscriptions its groups' once it is back
        (``_sync``). A failure begins an outage. (A subscribe waits for no answer; only a
        pub/sub's first command, which connects, can wait up to ``timeout``.)"""
        if self._outage:
            return  # at once: not behind the subscriber's own try to connect
        channel = self._channel(group)
        if wanted and channel not in self._confirming:
            # Before the lock: a second member joining meanwhile waits for it too.
            self._confirming[channel] = asyncio.get_running_loop().create_future()
        async with self._subscribing:
            pubsub = self._pubsub
            if pubsub is None or self._outage:
                if pubsub is None:  # not started, or closed: nothing will confirm it
                    self._confirmed(channel)
                return
            try:
                if wanted:
                    self._asked(channel)
                    await pubsub.subscribe(channel)
                else:
                    await pubsub.unsubscribe(channel)
            except Exception as exc:
                self._report_outage(exc)

    def members(self, group: str) -> int:
        """Count the members of ``group`` in this process."""
        return self._local.count(group)

    async def publish(self, group: str, message: str) -> int:
        """Publish ``message`` to ``group`` in every process; give how many subscribed
        processes Redis handed it to (0 while Redis is away: the message is lost, or comes
        late if Redis only stopped answering for a while; never twice).

        Raises:
            ValueError: the message is larger than ``max_message_size`` bytes, or is not
                UTF-8 text (it holds a lone surrogate).
            RuntimeError: the groups were not started.
        """
        _check_message(message, self.max_message_size)
        if self._client is None:
            raise RuntimeError("RedisGroups.start() (or `async with groups`) comes first")
        probe = self._outage
        if probe:
            if self._probing:
                # Redis is away and another publish is finding out whether it is back: this
                # message is lost at once, instead of holding its request up to the timeout.
                return 0
            self._probing = True
        try:
            async with self._sending:
                if self._outage and not probe:
                    return 0  # Redis went away while this one waited for a connection
                receivers: int = await self._client.publish(self._channel(group), message)
        except Exception as exc:
            self._report_outage(exc)
            return 0
        finally:
            if probe:
                self._probing = False
        if self._outage:
            self._back()
        return receivers

    async def publish_json(self, group: str, data: object) -> int:
        """Publish ``data`` as JSON (pydantic models and dataclasses too)."""
        return await self.publish(group, json_bytes(data).decode())

    def _confirmed(self, channel: str) -> None:
        """Let the joins waiting for ``channel``'s subscription return."""
        confirming = self._confirming.pop(channel, None)
        if confirming is not None and not confirming.done():
            confirming.set_result(None)

    def _confirm_all(self) -> None:
        for channel in list(self._confirming):
            self._confirmed(channel)
        self._unanswered.clear()  # a new subscriber will not answer the old one's

    def _asked(self, *channels: str) -> None:
        """Count SUBSCRIBEs about to be sent."""
        for channel in channels:
            self._unanswered[channel] = self._unanswered.get(channel, 0) + 1

    def _answered(self, channel: str) -> None:
        """Redis confirmed a SUBSCRIBE to ``channel``: with the last one sent, the joins
        waiting for it return."""
        left = self._unanswered.pop(channel, 1) - 1
        if left > 0:
            self._unanswered[channel] = left
        else:
            self._confirmed(channel)

    def _report_outage(self, exc: BaseException) -> None:
        if not self._outage:
            self._outage = True
            # Nothing will be confirmed before the subscriber is back: the joins waiting
            # return now (what is published meanwhile is lost, as for every member).
            self._confirm_all()
            # Its class and message: redis-py 8's repr of its errors is their kind alone
            # ("network:TimeoutError", without "Timeout reading from 127.0.0.1:6379").
            logger.warning(
                "Redis at %s is unreachable: %s: %s; retrying",
                _shown(self.url),
                type(exc).__name__,
                exc,
            )

    def _back(self) -> None:
        if self._outage:
            self._outage = False
            logger.warning("Redis at %s is back", _shown(self.url))

    async def _read(self) -> None:
        delay = 0.05
        loop = asyncio.get_running_loop()
        synced = loop.time()
        while True:
            pubsub = self._pubsub
            assert pubsub is not None  # start() set it; close() cancels this task first
            try:
                if not pubsub.subscribed:
                    groups = self._local.groups()
                    if groups:
                        async with self._subscribing:
                            channels = [self._channel(g) for g in groups]
                            self._asked(*channels)
                            await pubsub.subscribe(*channels)
                    else:
                        await asyncio.sleep(0.05)
                        continue
                elif loop.time() - synced > _SYNC_EVERY:
                    async with self._subscribing:
                        await self._sync(pubsub)
                    synced = loop.time()
                message = await pubsub.get_message(timeout=_SYNC_EVERY)
                if self._outage and message is None and self._client is not None:
                    # No message proves nothing (a frozen Redis sends none either): a round
                    # trip does.
                    async with self._sending:
                        await self._client.ping()
                self._back()
                delay = 0.05
                if message is not None and message.get("type") == "subscribe":
                    self._answered(str(message["channel"]))
                elif message is not None and message.get("type") == "message":
                    channel = str(message["channel"])
                    group = channel[len(self.prefix) :]
                    data = str(message["data"])
                    # Another program may publish on the channel what publish() refuses: a
                    # stalled member would hold max_queue of them, of any size.
                    size = utf8_size(data)  # decoded by redis-py: UTF-8 (U+FFFD for the rest)
                    if size <= self.max_message_size:
                        await self._local.deliver(group, data, size)
                    else:
                        logger.warning(
                            "Dropping a message of %d bytes on group %r: over the limit of %d",
                            size,
                            group,
                            self.max_message_size,
                        )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._report_outage(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                await self._reconnect()

    async def _sync(self, pubsub: _PubSub) -> None:
        """Subscribe to the groups this process has members in, and only those. redis-py
        reconnects by itself and subscribes again to the channels it knows, which are not
        this process's groups once a subscribe or unsubscribe was lost in an outage: a member
        who joined then would never hear from the group."""
        # redis-py's own records of them (untyped attributes of its PubSub).
        known: Iterable[object] = getattr(pubsub, "channels", {})
        leaving: Iterable[object] = getattr(pubsub, "pending_unsubscribe_channels", ())
        have = {str(c) for c in known} - {str(c) for c in leaving}
        wanted = {self._channel(group) for group in self._local.groups()}
        if wanted - have:
            self._asked(*(wanted - have))
            await pubsub.subscribe(*(wanted - have))
        if have - wanted:
            await pubsub.unsubscribe(*(have - wanted))

    async def _reconnect(self) -> None:
        client = self._client
        if client is None:
            return
        old = self._pubsub
        if old is not None:
            try:
                await old.aclose()
            except Exception as exc:
                logger.debug("Closing the old subscriber failed: %r", exc)
        self._pubsub = client.pubsub()
