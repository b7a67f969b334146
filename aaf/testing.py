"""Drive an app in-process: a sync ``TestClient`` and an async ``AsyncTestClient``, on httpx.

::

    with TestClient(app) as client:          # runs the lifespan
        assert client.get("/hello/you").text == "Hello, you"
        with client.stream("GET", "/events") as events:  # read as sent; leave when done
            first = next(events.iter_lines())
        with client.websocket_connect("/ws") as ws:
            ws.send_text("hi")
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import threading
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import Literal, TypeVar, cast
from urllib.parse import unquote

import anyio.from_thread
import httpx
from pydantic import JsonValue

from aaf._http import utf8_size
from aaf._rules import one_string_problem
from aaf._types import (
    ASGIApp,
    HTTPScope,
    ReceiveEvent,
    SendEvent,
    WebSocketCloseEvent,
    WebSocketDisconnectEvent,
    WebSocketReceiveEvent,
    WebSocketScope,
    WebSocketSendEvent,
)
from aaf.exceptions import WebSocketDisconnect

__all__ = [
    "AsyncTestClient",
    "AsyncWebSocketSession",
    "TestClient",
    "WebSocketDenied",
    "WebSocketSession",
]

_T = TypeVar("_T")
# Seconds an HTTP exchange (all of it), or any one wait of a WebSocket session or the lifespan,
# may take before the test fails.
TIMEOUT = 30.0


class WebSocketDenied(Exception):
    """The app refused the WebSocket handshake with an HTTP response: its ``status_code``,
    ``headers`` and ``body``, read as Starlette's ``WebSocketDenialResponse`` reads them
    (``content``, ``text``, ``json()``)."""

    def __init__(
        self,
        status_code: int,
        body: bytes,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(f"WebSocket handshake denied with HTTP {status_code}")
        self.status_code = status_code
        self.body = body
        self.headers: httpx.Headers = httpx.Headers(list(headers))

    @property
    def content(self) -> bytes:
        """The response's body (``body``), as httpx names it."""
        return self.body

    @property
    def text(self) -> str:
        """The body decoded as its ``Content-Type`` says (UTF-8 unless it names another)."""
        return httpx.Response(self.status_code, headers=self.headers, content=self.body).text

    def json(self) -> JsonValue:
        """The body parsed as JSON."""
        value: JsonValue = json.loads(self.body)
        return value


# The in-process protocol: coroutines shared by the sync and async clients ------------------------
def _headers(request_headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The request's headers as a server puts them in the scope: names in lower case,
    values without the spaces and tabs around them (RFC 9110 section 5.5), which httpx
    sends and uvicorn's parsers strip (on httptools, uvicorn 0.30 kept those after a
    value)."""
    return [(k.lower(), v.strip(b" \t")) for k, v in request_headers]


# The scope extension through which the app hands the test client an exception it answered
# with a 500, so that the test can re-raise it (aaf/_errors.py fills it).
ERRORS_EXTENSION = "aaf.testing.errors"


@dataclasses.dataclass(frozen=True, slots=True)
class _Setting:
    """What a client puts in each scope it makes, besides the request: its own choices."""

    app_state: dict[str, object]  # what the lifespan left: each scope gets a copy
    raise_server_exceptions: bool
    root_path: str
    client: tuple[str, int] | None

    def __post_init__(self) -> None:
        root = self.root_path
        if root and (not root.startswith("/") or root.endswith("/")):
            raise ValueError(
                f"root_path is the path the app is mounted at, such as '/api': it starts with "
                f"'/' and does not end with one, not {root!r}"
            )


class _BrokenExchange(RuntimeError):
    """The app sent HTTP messages out of ASGI's order: the test fails, whatever it asked."""


class _Exchange:
    """One HTTP request against the app, its response read as the app sends it.

    The response is given once it starts; its body follows a chunk at a time, so a test can
    read an endless stream (server-sent events) and leave it, which the app sees as the
    client's disconnect. Read whole (``client.get``), the body ends only when the app has
    returned, background work included, as a server would have run it. The whole exchange
    has the request's read timeout (``TIMEOUT`` seconds unless the test gives one, ``None``
    for no bound), after which the test fails with ``TimeoutError``: the whole, not each
    read as over a network, so that a test reading an endless stream whole fails, not hangs.
    """

    def __init__(
        self,
        app: ASGIApp,
        request: httpx.Request,
        body: bytes,
        setting: _Setting,
    ) -> None:
        url = request.url
        raw_path, _, _ = url.raw_path.partition(b"?")
        self.scope: HTTPScope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "query_string": url.query,
            "root_path": setting.root_path,
            "headers": _headers(request.headers.raw),
            "client": setting.client,
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "extensions": {ERRORS_EXTENSION: {}},
            # What the lifespan left in its state, a copy per request, as servers give it.
            "state": dict(setting.app_state),
        }
        self.app, self.request, self.body = app, request, body
        self.raise_server_exceptions = setting.raise_server_exceptions
        self.body_sent = False
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self.started = asyncio.Event()
        self.ended = asyncio.Event()  # the last body message came
        self.gone = asyncio.Event()  # the response ended, or the test left it: disconnected
        self.task: asyncio.Task[None] | None = None
        self.limit = _read_timeout(request)
        self.deadline: float | None = None  # when the wait in progress fails; None: never

    async def receive(self) -> ReceiveEvent:
        if not self.body_sent:
            self.body_sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: SendEvent) -> None:
        if message["type"] == "http.response.start":
            if self.status is not None:
                raise _BrokenExchange("The app sent http.response.start twice")
            self.status = message["status"]
            self.headers.extend(message.get("headers", []))
            self.started.set()
        elif message["type"] == "http.response.body":
            if self.status is None:
                raise _BrokenExchange("The app sent a body before http.response.start")
            if self.ended.is_set():
                raise _BrokenExchange("The app sent a body after the response ended")
            if self.gone.is_set():
                return  # the test left the stream: dropped, as a server drops it
            self.chunks.put_nowait(message.get("body", b""))
            if not message.get("more_body", False):
                self.ended.set()
                self.gone.set()
        else:
            raise _BrokenExchange(f"Unexpected ASGI message for HTTP: {message['type']!r}")

    async def start(self) -> None:
        """Run the app until its response starts (or it returns): ``status`` and
        ``headers`` are then known, the body still to come through ``next_chunk``."""
        # The app in a task of its own, as a server runs it (its context, its cancellation).
        if self.limit is not None:
            self.deadline = asyncio.get_running_loop().time() + self.limit
        self.task = task = asyncio.ensure_future(self.app(self.scope, self.receive, self.send))
        try:
            await self._wait_for(self.started)
        except BaseException:
            await self.aclose()
            raise
        if self.status is None:  # the app returned without starting: what did it raise?
            self._raise_failure()
            if task.exception() is None:
                raise RuntimeError(
                    f"The app returned without answering {self.request.method} "
                    f"{self.request.url.path}"
                )
            # As a server answers an app that failed before its response: a 500.
            self.status = 500
            self.headers[:] = [(b"content-type", b"text/plain; charset=utf-8")]
            self.chunks.put_nowait(b"Internal Server Error")
            self.ended.set()
            self.gone.set()

    def response(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
        """The response, once started, its body read from ``stream``."""
        assert self.status is not None  # started
        return httpx.Response(
            self.status, headers=self.headers, stream=stream, request=self.request
        )

    async def next_chunk(self) -> bytes | None:
        """The next chunk of the body, or ``None`` once it has ended and the app returned.

        Raises:
            Exception: what the app raised (or answered with a 500) when the client raises
                server exceptions; ``TimeoutError`` past the exchange's time.
        """
        while self.chunks.empty() and not self.ended.is_set():
            assert self.task is not None  # started
            if self.task.done():
                break
            getter = asyncio.ensure_future(self.chunks.get())
            try:
                await self._wait_for(getter)
            finally:
                getter.cancel()
            if getter.done() and not getter.cancelled():
                return getter.result()
        if not self.chunks.empty():
            return self.chunks.get_nowait()
        # The body ended (or the app returned mid-body): wait for the app to return, its
        # background work done, and say what it raised.
        assert self.task is not None
        await self._wait_for(self.task)
        self.gone.set()
        self._raise_failure()
        return None

    async def aclose(self) -> None:
        """Leave the exchange: the app sees the client's disconnect and has the rest of the
        time to return; then it is cancelled."""
        self.gone.set()
        task = self.task
        if task is None:
            return
        if not task.done():
            # With no limit, the app still gets TIMEOUT to see the disconnect and return.
            deadline = self.deadline or asyncio.get_running_loop().time() + TIMEOUT
            remaining = max(deadline - asyncio.get_running_loop().time(), 0.0)
            await asyncio.wait({task}, timeout=remaining)
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _wait_for(self, what: asyncio.Future[_T] | asyncio.Event) -> None:
        """Wait for ``what``, or the app's return, within the exchange's time."""
        assert self.task is not None
        waited = asyncio.ensure_future(what.wait()) if isinstance(what, asyncio.Event) else what
        try:
            deadline = self.deadline
            remaining = None if deadline is None else deadline - asyncio.get_running_loop().time()
            await asyncio.wait(
                {waited, self.task},
                timeout=None if remaining is None else max(remaining, 0.0),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            if waited is not what:
                waited.cancel()
        if not waited.done() and not self.task.done():
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            raise TimeoutError(
                f"The app did not answer {self.request.method} {self.request.url.path} "
                f"within {self.limit} seconds"
            )

    def _raise_failure(self) -> None:
        """Raise what the app raised, or answered with a 500, as the client is asked to."""
        task = self.task
        failure = (
            task.exception() if task is not None and task.done() and not task.cancelled() else None
        )
        if failure is not None and (
            # What reached the server (an error after the response started, which aaf
            # cannot answer; any error of another ASGI app) is raised again; or, as a server
            # ends the response, the test gets what was sent before it (a 500 when nothing
            # was), as Starlette's client gives it. Messages out of ASGI's order fail the
            # test either way.
            self.raise_server_exceptions
            or isinstance(failure, _BrokenExchange)
            or not isinstance(failure, Exception)
        ):
            raise failure
        extensions = self.scope.get("extensions") or {}
        answered = extensions.get(ERRORS_EXTENSION, {}).get("exception")
        if self.raise_server_exceptions and isinstance(answered, BaseException):
            raise answered


def _read_timeout(request: httpx.Request) -> float | None:
    """The read timeout httpx gives ``request`` (the client's, or the call's ``timeout=``)."""
    timeout: object = request.extensions.get("timeout")
    if not isinstance(timeout, dict):
        return TIMEOUT
    read: object = cast("dict[str, object]", timeout).get("read", TIMEOUT)
    return float(read) if isinstance(read, int | float) else None


class _AsyncBody(httpx.AsyncByteStream):
    """A response's body as the app sends it (the async client)."""

    def __init__(self, exchange: _Exchange) -> None:
        self.exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.exchange.next_chunk()) is not None:
            yield chunk

    async def aclose(self) -> None:
        await self.exchange.aclose()


class _SyncBody(httpx.SyncByteStream):
    """A response's body as the app sends it, read through the portal of the app's loop,
    which stays open until the body is closed: by httpx once it is read, by the test
    (``with client.stream(...)``), or, for one left open, when it is collected or the
    interpreter exits (while the portal's thread still runs: later, stopping it would hang)."""

    def __init__(
        self,
        exchange: _Exchange,
        portal: anyio.from_thread.BlockingPortal,
        leave: Callable[[], object],
    ) -> None:
        self.exchange, self.portal = exchange, portal
        self._closing = weakref.finalize(self, _close_body, exchange, portal, leave)

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := self.portal.call(self.exchange.next_chunk)) is not None:
            yield chunk

    def close(self) -> None:
        self._closing()  # once: a finalizer runs at most once


def _close_body(
    exchange: _Exchange, portal: anyio.from_thread.BlockingPortal, leave: Callable[[], object]
) -> None:
    try:
        portal.call(exchange.aclose)
    finally:
        leave()


async def _next_message(
    outbox: asyncio.Queue[SendEvent], task: asyncio.Task[None]
) -> SendEvent | None:
    """Wait for the app's next message; ``None`` if it returned first (what it raised, raises)."""
    getter = asyncio.ensure_future(outbox.get())
    await asyncio.wait({getter, task}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if getter.done():
        return getter.result()
    getter.cancel()
    if task.done():
        task.result()  # re-raise what the app raised
        return None
    raise TimeoutError(f"The app sent nothing within {TIMEOUT} seconds")


class _Lifespan:
    def __init__(self, app: ASGIApp, app_state: dict[str, object]) -> None:
        self.app = app
        self.app_state = app_state  # the client's: each request gets a copy
        self.inbox: asyncio.Queue[ReceiveEvent] = asyncio.Queue()
        self.outbox: asyncio.Queue[SendEvent] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        async def send(message: SendEvent) -> None:
            await self.outbox.put(message)

        self.task = asyncio.ensure_future(
            self.app(
                {
                    "type": "lifespan",
                    "asgi": {"version": "3.0", "spec_version": "2.4"},
                    "state": self.app_state,
                },
                self.inbox.get,
                send,
            )
        )
        await self.inbox.put({"type": "lifespan.startup"})
        message = await self._next()
        if message["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"Application startup failed: {message['message']}")

    async def shutdown(self) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        message = await self._next()
        if self.task is not None:
            await asyncio.wait_for(self.task, TIMEOUT)
        if message["type"] == "lifespan.shutdown.failed":
            raise RuntimeError(f"Application shutdown failed: {message['message']}")

    async def _next(self) -> SendEvent:
        assert self.task is not None  # set in startup
        message = await _next_message(self.outbox, self.task)
        if message is None:
            raise RuntimeError("The app returned from the lifespan without answering")
        return message


class _WebSocketCore:
    """One WebSocket session against the app, on the app's event loop."""

    def __init__(
        self,
        app: ASGIApp,
        request: httpx.Request,
        subprotocols: Sequence[str],
        setting: _Setting,
    ) -> None:
        url = request.url
        raw_path, _, _ = url.raw_path.partition(b"?")
        secure = url.scheme in ("https", "wss")
        self.scope: WebSocketScope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if secure else "ws",
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "query_string": url.query,
            "root_path": setting.root_path,
            "headers": _headers(request.headers.raw),
            "client": setting.client,
            "server": (url.host, url.port or (443 if secure else 80)),
            "subprotocols": list(subprotocols),
            "extensions": {"websocket.http.response": {}},
            "state": dict(setting.app_state),
        }
        self.app = app
        self.to_app: asyncio.Queue[ReceiveEvent] = asyncio.Queue()
        self.from_app: asyncio.Queue[SendEvent] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.closed: bool = False
        self.accepted_subprotocol: str | None = None
        self.accepted_headers: list[tuple[bytes, bytes]] = []

    async def connect(self) -> None:
        async def send(message: SendEvent) -> None:
            if message["type"] == "websocket.send" and (text := message.get("text")):
                # Text no frame can carry (a lone surrogate) raises at the app's send, as
                # on uvicorn.
                utf8_size(text)
            await self.from_app.put(message)

        self.task = asyncio.ensure_future(self.app(self.scope, self.to_app.get, send))
        await self.to_app.put({"type": "websocket.connect"})
        message = await self._next()
        if message["type"] == "websocket.accept":
            self.accepted_subprotocol = message.get("subprotocol")
            self.accepted_headers = list(message.get("headers", []))
            return
        self.closed = True
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason") or "")
        if message["type"] == "websocket.http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
            body = b""
            while True:
                part = await self._next()
                if part["type"] != "websocket.http.response.body":
                    break
                body += part.get("body", b"")
                if not part.get("more_body", False):
                    break
            raise WebSocketDenied(status, body, headers)
        raise RuntimeError(f"Expected websocket.accept or websocket.close, got {message['type']!r}")

    async def _next(self) -> SendEvent:
        assert self.task is not None  # set in connect
        message = await _next_message(self.from_app, self.task)
        if message is None:
            self.closed = True
            raise WebSocketDisconnect(1006, "The app returned without closing the WebSocket")
        return message

    async def message(self) -> WebSocketSendEvent | WebSocketCloseEvent:
        """The app's next message: a frame, or its close."""
        if self.closed:
            raise WebSocketDisconnect(1006, "The WebSocket is closed")
        message = await self._next()
        if message["type"] == "websocket.close":
            self.closed = True
            return message
        if message["type"] != "websocket.send":
            raise RuntimeError(f"Expected websocket.send, got {message['type']!r}")
        return message

    async def receive(self) -> tuple[str | None, bytes | None]:
        message = await self.message()
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason") or "")
        return message.get("text"), message.get("bytes")

    async def send_message(self, message: WebSocketReceiveEvent | WebSocketDisconnectEvent) -> None:
        """Send the app an ASGI message, as Starlette's session's ``send`` does."""
        if message["type"] == "websocket.disconnect":
            await self.close(message.get("code", 1000), message.get("reason") or "")
            return
        if message["type"] != "websocket.receive":
            raise ValueError(
                f"Expected websocket.receive or websocket.disconnect, got {message['type']!r}"
            )
        text, data = message.get("text"), message.get("bytes")
        if (text is None) == (data is None):
            raise ValueError("A websocket.receive message holds either text or bytes")
        await self.send(text, data)

    async def send(self, text: str | None, data: bytes | None) -> None:
        if text is not None:
            utf8_size(text)  # no frame carries a lone surrogate: raised here, as by a client
            await self.to_app.put({"type": "websocket.receive", "text": text})
        else:
            await self.to_app.put({"type": "websocket.receive", "bytes": data})

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.task is None:
            return
        if not self.task.done():
            await self.to_app.put({"type": "websocket.disconnect", "code": code, "reason": reason})
            await asyncio.wait({self.task}, timeout=TIMEOUT)
        self.closed = True
        if self.task.done() and not self.task.cancelled():
            self.task.result()


def _text(text: str | None, data: bytes | None) -> str:
    if text is None:
        raise TypeError("Expected a text frame, got a binary frame")
    return text


def _bytes(text: str | None, data: bytes | None) -> bytes:
    if data is None:
        raise TypeError("Expected a binary frame, got a text frame")
    return data


# Which kind of frame a session's JSON goes in, as Starlette's test client's `mode` says.
FrameMode = Literal["text", "binary"]


def _json_frame(data: object, mode: FrameMode) -> tuple[str | None, bytes | None]:
    text = json.dumps(data)
    return (None, text.encode()) if mode == "binary" else (text, None)


def _json(mode: FrameMode, text: str | None, data: bytes | None) -> JsonValue:
    value: JsonValue = json.loads(_bytes(text, data) if mode == "binary" else _text(text, data))
    return value


# The sync client ---------------------------------------------------------------------------------
class _SyncTransport(httpx.BaseTransport):
    def __init__(
        self,
        app: ASGIApp,
        portal: Callable[[], contextlib.AbstractContextManager[anyio.from_thread.BlockingPortal]],
        setting: _Setting,
    ) -> None:
        self.app = app
        self.portal = portal
        self.setting = setting

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        # The portal (the app's loop) stays open until the body is read or closed.
        using = self.portal()
        portal = using.__enter__()
        try:
            exchange = _Exchange(self.app, request, body, self.setting)  # bound on first use
            portal.call(exchange.start)
        except BaseException:
            using.__exit__(None, None, None)
            raise
        return exchange.response(
            _SyncBody(exchange, portal, lambda: using.__exit__(None, None, None))
        )


class WebSocketSession:
    """A WebSocket session of the sync ``TestClient``."""

    def __init__(self, core: _WebSocketCore, portal: anyio.from_thread.BlockingPortal) -> None:
        self._core = core
        self._portal = portal

    @property
    def accepted_subprotocol(self) -> str | None:
        """The subprotocol the app chose in ``accept``."""
        return self._core.accepted_subprotocol

    @property
    def extra_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers the app gave in ``accept`` (Starlette's session's name)."""
        return list(self._core.accepted_headers)

    def send(self, message: WebSocketReceiveEvent | WebSocketDisconnectEvent) -> None:
        """Send the app an ASGI message: ``{"type": "websocket.receive", "text": ...}`` (or
        ``"bytes"``), or ``{"type": "websocket.disconnect", "code": ...}``, which leaves."""
        self._portal.call(self._core.send_message, message)

    def receive(self) -> WebSocketSendEvent | WebSocketCloseEvent:
        """The app's next ASGI message, a close included (``{"type": "websocket.close",
        "code": 1000, "reason": ""}``), as Starlette's session gives it; ``receive_text``
        and the others raise ``WebSocketDisconnect`` for a close instead."""
        return self._portal.call(self._core.message)

    def send_text(self, data: str) -> None:
        """Send a text frame; text UTF-8 cannot encode (a lone surrogate) raises
        ``UnicodeEncodeError``, as a WebSocket client library does."""
        self._portal.call(self._core.send, data, None)

    def send_bytes(self, data: bytes) -> None:
        """Send a binary frame."""
        self._portal.call(self._core.send, None, data)

    def send_json(self, data: object, mode: FrameMode = "text") -> None:
        """Send a value as JSON in a text frame (a binary one with ``mode="binary"``)."""
        self._portal.call(self._core.send, *_json_frame(data, mode))

    def receive_text(self) -> str:
        """Receive a text frame; a close from the app raises ``WebSocketDisconnect``."""
        return _text(*self._portal.call(self._core.receive))

    def receive_bytes(self) -> bytes:
        """Receive a binary frame."""
        return _bytes(*self._portal.call(self._core.receive))

    def receive_json(self, mode: FrameMode = "text") -> JsonValue:
        """Receive a text frame (a binary one with ``mode="binary"``) and parse it as JSON."""
        return _json(mode, *self._portal.call(self._core.receive))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Leave, telling the app with ``code`` (and ``reason``)."""
        self._portal.call(self._core.close, code, reason)


@contextlib.contextmanager
def _loop_in_a_thread() -> Generator[anyio.from_thread.BlockingPortal]:
    """An event loop in a daemon thread, and the portal to call into it, as anyio's
    ``start_blocking_portal`` gives them; but some of its releases run the loop in a thread
    the interpreter waits for at exit, before a stream left open could be closed (at exit,
    by its finalizer), so the exit waited for ever."""
    started: concurrent.futures.Future[anyio.from_thread.BlockingPortal] = (
        concurrent.futures.Future()
    )

    async def serve() -> None:
        async with anyio.from_thread.BlockingPortal() as portal:
            started.set_result(portal)
            await portal.sleep_until_stopped()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported to the caller waiting below
            if not started.done():
                started.set_exception(exc)

    thread = threading.Thread(target=run, name="aaf TestClient loop", daemon=True)
    thread.start()
    portal = started.result()
    try:
        yield portal
    finally:
        with contextlib.suppress(RuntimeError):  # stopped already
            portal.call(portal.stop)
        thread.join()


class TestClient(httpx.Client):
    """A sync httpx client that calls the app in-process; ``with`` runs its lifespan.

    An exception the app answered with a 500 is raised again in the test, as Starlette's
    client does; ``raise_server_exceptions=False`` gives the 500 response instead (and for
    an exception after the response started, which only the server sees, what was sent
    before it). Redirects
    are followed, as Starlette's client follows them (``follow_redirects=False`` to see them).
    ``client.stream(...)`` reads a response as the app sends it; leaving it early is the
    client's disconnect, as over a network. ``timeout`` seconds (or a call's ``timeout=``)
    bound each exchange: past them the test fails with ``TimeoutError`` rather than hanging.
    ``root_path`` is the scope's, as ``uvicorn --root-path`` gives it: the app served under a
    prefix (``client.get("/api/items")`` reaches the route ``/items``); ``client`` is the
    address the app sees (``connection.client``), ``None`` for none.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        headers: Mapping[str, str] | None = None,
        raise_server_exceptions: bool = True,
        follow_redirects: bool = True,
        cookies: Mapping[str, str] | None = None,
        timeout: float | None = TIMEOUT,
        root_path: str = "",
        client: tuple[str, int] | None = ("127.0.0.1", 50000),
    ) -> None:
        self.app = app
        self._portal_cm: (
            contextlib.AbstractContextManager[anyio.from_thread.BlockingPortal] | None
        ) = None
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._lifespan: _Lifespan | None = None
        # What the app's lifespan keeps in its scope's "state" (ASGI's lifespan state): each
        # request's scope gets a copy, as uvicorn gives it.
        self.app_state: dict[str, object] = {}
        self._setting = _Setting(self.app_state, raise_server_exceptions, root_path, client)
        super().__init__(
            transport=_SyncTransport(app, self._use_portal, self._setting),
            base_url=base_url,
            headers=headers,
            cookies=dict(cookies) if cookies is not None else None,
            follow_redirects=follow_redirects,
            timeout=timeout,
        )

    @contextlib.contextmanager
    def _use_portal(self) -> Generator[anyio.from_thread.BlockingPortal]:
        # Inside `with client:` every call shares the lifespan's event loop; outside, each call
        # gets a loop of its own that ends with it, so no thread outlives the test.
        if self._portal is not None:
            yield self._portal
        else:
            with _loop_in_a_thread() as portal:
                yield portal

    def __enter__(self) -> TestClient:
        self._portal_cm = _loop_in_a_thread()
        self._portal = portal = self._portal_cm.__enter__()
        self._lifespan = portal.call(self._new_lifespan)
        portal.call(self._lifespan.startup)
        return self

    async def _new_lifespan(self) -> _Lifespan:
        return _Lifespan(self.app, self.app_state)

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            if self._lifespan is not None and self._portal is not None:
                self._portal.call(self._lifespan.shutdown)
        finally:
            self._lifespan = None
            super().__exit__(exc_type, exc_value, traceback)
            if self._portal_cm is not None:
                self._portal_cm.__exit__(None, None, None)
            self._portal_cm = self._portal = None

    @contextlib.contextmanager
    def websocket_connect(
        self,
        path: str,
        subprotocols: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | Sequence[str]] | None = None,
    ) -> Generator[WebSocketSession]:
        """Open a WebSocket session with the app at ``path`` (``params``, when given, its
        query string, as a request's), sending the client's headers and cookies as its
        requests do."""
        request = _handshake(self, path, headers, subprotocols, params)
        with self._use_portal() as portal:
            core = portal.call(_new_core, self.app, request, subprotocols, self._setting)
            portal.call(core.connect)
            try:
                yield WebSocketSession(core, portal)
            finally:
                portal.call(core.close, 1000)


def _handshake(
    client: httpx.Client | httpx.AsyncClient,
    path: str,
    headers: Mapping[str, str] | None,
    subprotocols: Sequence[str],
    params: Mapping[str, str | Sequence[str]] | None = None,
) -> httpx.Request:
    """The opening handshake as the client would send it: its base URL, default headers and
    cookies (a session cookie a login set), then the upgrade headers, as Starlette's does."""
    if isinstance(subprotocols, str):  # a sequence of letters to a type checker
        raise TypeError(one_string_problem("subprotocols", subprotocols))
    upgrade = httpx.Headers(headers)
    for name, value in (
        ("connection", "upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-key", "testserver=="),
        ("sec-websocket-version", "13"),
    ):
        upgrade.setdefault(name, value)
    if subprotocols:
        upgrade.setdefault("sec-websocket-protocol", ", ".join(subprotocols))
    return client.build_request("GET", path, headers=upgrade, params=params)


async def _new_core(
    app: ASGIApp,
    request: httpx.Request,
    subprotocols: Sequence[str],
    setting: _Setting,
) -> _WebSocketCore:
    return _WebSocketCore(app, request, subprotocols, setting)


# The async client --------------------------------------------------------------------------------
class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, app: ASGIApp, setting: _Setting) -> None:
        self.app = app
        self.setting = setting

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        exchange = _Exchange(self.app, request, body, self.setting)
        await exchange.start()
        return exchange.response(_AsyncBody(exchange))


class AsyncWebSocketSession:
    """A WebSocket session of the ``AsyncTestClient``."""

    def __init__(self, core: _WebSocketCore) -> None:
        self._core = core

    @property
    def accepted_subprotocol(self) -> str | None:
        """The subprotocol the app chose in ``accept``."""
        return self._core.accepted_subprotocol

    @property
    def extra_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers the app gave in ``accept`` (Starlette's session's name)."""
        return list(self._core.accepted_headers)

    async def send(self, message: WebSocketReceiveEvent | WebSocketDisconnectEvent) -> None:
        """Send the app an ASGI message, as ``WebSocketSession.send`` does."""
        await self._core.send_message(message)

    async def receive(self) -> WebSocketSendEvent | WebSocketCloseEvent:
        """The app's next ASGI message, a close included, as ``WebSocketSession.receive``."""
        return await self._core.message()

    async def send_text(self, data: str) -> None:
        """Send a text frame; text UTF-8 cannot encode (a lone surrogate) raises
        ``UnicodeEncodeError``, as a WebSocket client library does."""
        await self._core.send(data, None)

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary frame."""
        await self._core.send(None, data)

    async def send_json(self, data: object, mode: FrameMode = "text") -> None:
        """Send a value as JSON in a text frame (a binary one with ``mode="binary"``)."""
        await self._core.send(*_json_frame(data, mode))

    async def receive_text(self) -> str:
        """Receive a text frame; a close from the app raises ``WebSocketDisconnect``."""
        return _text(*await self._core.receive())

    async def receive_bytes(self) -> bytes:
        """Receive a binary frame."""
        return _bytes(*await self._core.receive())

    async def receive_json(self, mode: FrameMode = "text") -> JsonValue:
        """Receive a text frame (a binary one with ``mode="binary"``) and parse it as JSON."""
        return _json(mode, *await self._core.receive())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Leave, telling the app with ``code`` (and ``reason``)."""
        await self._core.close(code, reason)


class AsyncTestClient(httpx.AsyncClient):
    """An async httpx client that calls the app in-process; ``async with`` runs its lifespan.

    Like ``TestClient``, it raises again an exception the app answered with a 500,
    ``client.stream(...)`` reads a response as the app sends it, and ``root_path`` and
    ``client`` are the scope's.
    """

    __test__ = False

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        headers: Mapping[str, str] | None = None,
        raise_server_exceptions: bool = True,
        follow_redirects: bool = True,
        cookies: Mapping[str, str] | None = None,
        timeout: float | None = TIMEOUT,
        root_path: str = "",
        client: tuple[str, int] | None = ("127.0.0.1", 50000),
    ) -> None:
        self.app = app
        self._lifespan: _Lifespan | None = None
        self.app_state: dict[str, object] = {}  # as TestClient's
        self._setting = _Setting(self.app_state, raise_server_exceptions, root_path, client)
        super().__init__(
            transport=_AsyncTransport(app, self._setting),
            base_url=base_url,
            headers=headers,
            cookies=dict(cookies) if cookies is not None else None,
            follow_redirects=follow_redirects,
            timeout=timeout,
        )

    async def __aenter__(self) -> AsyncTestClient:
        self._lifespan = _Lifespan(self.app, self.app_state)
        await self._lifespan.startup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            if self._lifespan is not None:
                await self._lifespan.shutdown()
        finally:
            self._lifespan = None
            await super().__aexit__(exc_type, exc_value, traceback)

    @contextlib.asynccontextmanager
    async def websocket_connect(
        self,
        path: str,
        subprotocols: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | Sequence[str]] | None = None,
    ) -> AsyncGenerator[AsyncWebSocketSession]:
        """Open a WebSocket session with the app at ``path`` (``params``, when given, its
        query string, as a request's), sending the client's headers and cookies as its
        requests do."""
        request = _handshake(self, path, headers, subprotocols, params)
        core = _WebSocketCore(self.app, request, subprotocols, self._setting)
        await core.connect()
        try:
            yield AsyncWebSocketSession(core)
        finally:
            await core.close(1000)
