"""The strictly typed wrapper around one ASGI connection: its scope, receive and send."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import logging
import re
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Literal, Never, ParamSpec, TypeVar, Unpack, cast
from urllib.parse import quote

from pydantic import JsonValue
from pydantic_core import from_json
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.sansio.utils import get_current_url, get_host

from aaf._background import run_background
from aaf._entries import FULL_REPORT_SIZE
from aaf._forms import FormLimits, parse_form
from aaf._http import (
    FRAMING,
    LENGTHS,
    SINGLE,
    WITH_BODY,
    CookieOptions,
    DeleteCookieOptions,
    RawHeaders,
    check_close_code,
    content_type_of,
    cookie_value,
    empty_framing,
    encode_header,
    json_bytes,
    length_header,
    parse_cookies,
    parse_query,
    status_problem,
    text_codec,
    utf8_size,
)
from aaf._types import HTTPScope, Receive, ReceiveEvent, Send, SendEvent, WebSocketScope
from aaf._urls import UrlBuilding
from aaf.datastructures import FormData
from aaf.exceptions import ClientDisconnect, HTTPError, WebSocketDisconnect

if TYPE_CHECKING:
    from aaf.app import App

__all__ = ["Connection", "ConnectionType", "WebSocketState"]

T = TypeVar("T")
P = ParamSpec("P")
_FORM_LIMITS = FormLimits()


# The most request header bytes (names and values) aaf reads: servers such as uvicorn with
# httptools take any size, and parsing megabytes of cookies would hold up every other client.
# Browsers send a few KiB; h11 and Node.js refuse more than 16 KiB, nginx 32 KiB by default.
MAX_HEADER_BYTES = 64 * 1024


def _check_header_size(size: int) -> None:
    if size > MAX_HEADER_BYTES:
        raise HTTPError(
            431, f"Request headers too large: the limit is {MAX_HEADER_BYTES} bytes in all"
        )


logger: logging.Logger = logging.getLogger("aaf")


def _call_at_end(callback: Callable[[], object]) -> None:
    try:
        callback()
    except Exception:
        logger.exception("A callback at the end of a WebSocket session failed")


_UNREAD = object()  # json() not called yet (JSON's null is None)
# Sends between two turns of the event loop that a streamed body or a WebSocket gives (see
# Connection._turn_due): so many writes at most reach a socket the client has left before the
# server sees that it has. 16 costs a stream of small chunks a few percent (every 8: 12%).
_TURN_EVERY = 16


class ConnectionType(enum.Enum):
    """Which ASGI protocol a connection speaks."""

    HTTP = "HTTP"
    WebSocket = "WebSocket"


class WebSocketState(enum.Enum):
    """Where a WebSocket connection is in its life, as the application sees it."""

    CONNECTING = 0
    CONNECTED = 1
    CLOSED = 2


class Connection(UrlBuilding):
    """One HTTP request or WebSocket session, readable and answerable.

    ``scope``, ``asgi_send`` and ``asgi_receive`` stay public so a handler can hand the whole
    connection to another ASGI app: ``await other(conn.scope, conn.asgi_receive, conn.asgi_send)``.
    Parsed request data (query, headers, cookies, url) is computed on first use and kept.
    """

    # PERF: class-level defaults instead of work in __init__; most requests touch few of these
    # (benchmarks/inprocess.py, plaintext scenario).
    _query: MultiDict[str, str] | None = None
    _pairs: list[tuple[str, str]] | None = None
    _req_headers: Headers | None = None
    _req_cookies: MultiDict[str, str] | None = None
    _resp_headers: Headers | None = None
    _path_params: dict[str, object] | None = None  # see path_params
    _body: bytes | None = None
    _form: FormData | None = None
    _body_started = False
    # The request's first Content-Type as it came, noted when its body began to be read.
    _body_type: bytes | None = None
    _ws_state = WebSocketState.CONNECTING
    _connect_read = False  # the handshake's websocket.connect message was taken
    resp_status_code: int | None = None
    started: bool = False
    finished: bool = False
    max_body_size: int | None = None
    max_message_size: int | None = None  # of a WebSocket message received; the app sets it
    _watcher: asyncio.Future[None] | None = None
    _stop: asyncio.Event | None = None  # set when a streamed response must end
    _client_left = False
    _stopped = False  # by the server's shutdown
    _closing: asyncio.Future[None] | None = None
    _accepted = False
    _head_cut = False  # a HEAD response ended by its first send, which did not finish it
    _holding = False  # a form's files, a watcher or the app's lifecycle: release() has work
    _json: object = _UNREAD  # what json() parsed
    _large_json = False  # json() parsed a large body: the app frees it a slice at a time
    _leftovers: object = None  # what a large body's reading left, for the app to free in slices
    _background: list[Callable[[], object]] | None = None  # add_background's, to run
    _close_code: int | None = None  # a WebSocket's: see close_code
    _text_codec: str | None = None  # of a str body sent in parts (see _find_text_codec)
    _sent_headers: Sequence[tuple[bytes, bytes]] = ()  # a started response's, as they went out
    _sends = 0  # sends since the last that gave the event loop a turn (see _turn_due)
    _at_end: dict[Callable[[], object], None] | None = None  # see at_session_end
    _released = False  # release() ran: a WebSocket session's end was called back

    def __init__(
        self,
        scope: HTTPScope | WebSocketScope,
        receive: Receive,
        send: Send,
        app: App | None = None,
    ) -> None:
        # Positional in ASGI's order, or by keyword. The app makes an HTTP request's
        # connection without calling this (PERF, App.__call__): it sets the same attributes in
        # the same order, which keeps the instances' shared key layout; change both together
        # (test_app.py checks them).
        self.scope = scope
        self._app = app
        self.asgi_send: Send = send
        self.asgi_receive: Receive = receive
        self._head = scope["type"] == "http" and scope["method"] == "HEAD"
        # PERF: what every response reads, set here: Python 3.11 reads an instance's own
        # attributes through a specialized instruction, and a class-level default through the
        # generic lookup, several times the instructions (benchmarks/inprocess.py --cold).
        self.started = False
        self.resp_status_code = None
        self._resp_headers = None
        self._holding = False

    # Request -----------------------------------------------------------------------------------
    @property
    def path_params(self) -> dict[str, object]:
        """The values the route's rule took from the path, by name (the converters' values:
        ``{"item_id": 3}``); the connection's own, empty for a rule without variables."""
        params = self._path_params
        if params is None:
            # PERF: made on first use: most handlers take their values as parameters
            # (benchmarks/instructions.py, plaintext).
            params = self._path_params = {}
        return params

    @path_params.setter
    def path_params(self, params: dict[str, object]) -> None:
        self._path_params = params

    @property
    def type(self) -> ConnectionType:
        """``ConnectionType.HTTP`` or ``ConnectionType.WebSocket``."""
        return ConnectionType.HTTP if self.scope["type"] == "http" else ConnectionType.WebSocket

    @property
    def method(self) -> str:
        """The request method; a WebSocket handshake is a ``GET``."""
        scope = self.scope
        return scope["method"] if scope["type"] == "http" else "GET"

    @property
    def path(self) -> str:
        """The decoded request path, including ``root_path`` as the ASGI spec says."""
        return self.scope["path"]

    @property
    def root_path(self) -> str:
        """The path the application is mounted at."""
        return self.scope.get("root_path", "")

    @property
    def route_path(self) -> str:
        """The path below ``root_path``: what the routers match against."""
        return route_path(self.scope)

    @property
    def scheme(self) -> str:
        """``http``, ``https``, ``ws`` or ``wss``."""
        return self.scope.get("scheme") or ("http" if self.scope["type"] == "http" else "ws")

    @property
    def client(self) -> tuple[str, int] | None:
        """The client's ``(host, port)``, when the server knows it."""
        return self.scope.get("client")

    @property
    def url(self) -> str:
        """The full URL the client asked for, rebuilt from the scope and the Host header."""
        host = self._host()
        path = self.scope["path"]
        root = self.root_path
        if root and path.startswith(root):
            path = path[len(root) :]
        return get_current_url(self.scheme, host, root, path, self.scope.get("query_string", b""))

    @property
    def base_url(self) -> str:
        """The app's own URL as the client reaches it, ending in ``/``: the scheme, the Host
        header and the root path, as Starlette's ``request.base_url`` (for whole links, an
        e-mail's: ``connection.base_url + app.url_for(...).lstrip("/")``). The Host header is
        the client's to choose: allow the app's hosts (Starlette's ``TrustedHostMiddleware``)
        where a client reaches it with any."""
        return get_current_url(self.scheme, self._host(), self.root_path)

    def _host(self) -> str:
        """The host the client asked for: the Host header, else the server's address."""
        return get_host(self.scheme, self.req_headers.get("host"), self.scope.get("server"))

    def _build_url(self, target: object, params: dict[str, object]) -> str:
        """``url_for`` on a connection: the path of one of the app's routes as this client
        reaches it, ``app.url_for``'s below the root path the app is served under
        (``uvicorn --root-path``, or the prefix it is mounted at), for links and ``Location``
        headers. Flask's ``url_for`` in a request; Starlette's ``request.url_for`` gives the
        whole URL (``connection.url`` has the scheme and host)."""
        return quote(self.root_path) + self.app._build_url(target, params)  # pyright: ignore[reportPrivateUsage]  # one implementation

    @property
    def query(self) -> MultiDict[str, str]:
        """The query string: split on ``&`` first, then each key and value decoded once."""
        if self._query is None:
            self._query = MultiDict(self.query_pairs)
        return self._query

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        """The query string as decoded ``(key, value)`` pairs, in the order sent."""
        if self._pairs is None:
            self._pairs = parse_query(self.scope.get("query_string", b""))
        return self._pairs

    @property
    def req_headers(self) -> Headers:
        """The request headers, latin-1 decoded as HTTP defines; odd bytes never raise.

        Raises:
            HTTPError: 431 when they hold more than ``MAX_HEADER_BYTES`` in all.
        """
        if self._req_headers is None:
            raw = self.scope["headers"]
            _check_header_size(sum(len(k) + len(v) for k, v in raw))
            headers = Headers()
            # werkzeug's Headers.add refuses CR/LF in values; a request header is what the client
            # sent and must be readable whatever it holds, so fill the list directly.
            headers._list = [  # pyright: ignore[reportPrivateUsage]
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in raw
            ]
            self._req_headers = headers
        return self._req_headers

    @property
    def req_cookies(self) -> Mapping[str, str]:
        """The request cookies by name (the first of a repeated name, the most specific one
        RFC 6265 sends first); a malformed Cookie header yields what parses.

        Raises:
            HTTPError: 431 when the cookies hold more than ``MAX_HEADER_BYTES``.
        """
        if self._req_cookies is None:
            # HTTP/2 may split cookies over several headers; RFC 9113 8.2.3 joins them with "; ".
            raw = b"; ".join(v for k, v in self.scope["headers"] if k == b"cookie")
            _check_header_size(len(raw))
            self._req_cookies = MultiDict(parse_cookies(raw.decode("utf-8", errors="replace")))
        return self._req_cookies

    @property
    def app(self) -> App:
        """The ``App`` serving this connection (Starlette's ``request.app``).

        Raises:
            RuntimeError: the connection was built by hand, outside an app.
        """
        if self._app is None:
            raise RuntimeError("This connection is not served by an aaf App")
        return self._app

    @property
    def state(self) -> MutableMapping[str, object]:
        """A per-request dict for the handler, its providers and the middleware around the app
        to share values (``connection.state["user"] = ...`` in middleware, read in the
        handler), as Starlette's ``request.state``: the ASGI scope's ``"state"``, which the
        server makes for each request (uvicorn copies its lifespan state into it)."""
        state = self.scope.get("state")
        if state is None:
            state = self.scope["state"] = dict[str, object]()
        return state

    @property
    def session(self) -> dict[str, JsonValue]:
        """The session a session middleware around the app keeps in the scope's
        ``"session"``, as Starlette's ``request.session`` and Flask's ``session``: with
        Starlette's ``app.add_middleware(SessionMiddleware, secret_key=...)``, a dict of JSON
        values kept in a signed cookie and saved with the response when it changed.

        Raises:
            RuntimeError: there is no session middleware around the app.
        """
        session = self.scope.get("session")
        if session is None:
            raise RuntimeError(
                "connection.session needs a session middleware around the app, such as "
                "Starlette's: app.add_middleware(SessionMiddleware, secret_key=...)"
            )
        return session

    # Request body ------------------------------------------------------------------------------
    async def body_iter(self) -> AsyncIterator[bytes]:
        """Yield the request body chunk by chunk as the server delivers it.

        Raises:
            HTTPError: 413 past ``max_body_size``, 400 when the body disagrees with its declared
                ``Content-Length``.
            ClientDisconnect: the client left before the body ended.
        """
        if self._body is not None:
            yield self._body
            return
        declared, limit = self._start_body(), self.max_body_size
        received, more = 0, True
        while more:
            chunk, more = self._take(await self.asgi_receive(), received, declared, limit)
            received += len(chunk)
            if chunk:
                yield chunk

    async def body(self) -> bytes:
        """Read the whole request body; once read it is kept.

        Raises:
            HTTPError: as ``body_iter`` says.
            ClientDisconnect: the client left before the body ended.
        """
        body = self._body
        if body is None:
            declared = self._start_body()
            # PERF: the callable read, then called: Python 3.11 specializes neither a method
            # call on an instance's own attribute nor the lookup in its class it makes first
            # (benchmarks/instructions.py, post model).
            receive = self.asgi_receive
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                # PERF: most bodies come in one message: its checks inline, no generator, no
                # list (benchmarks/instructions.py, post model). _start_body kept a declared
                # length within the limit.
                body = message.get("body", b"")
                if declared is not None:
                    if len(body) != declared:
                        raise HTTPError(400, _LENGTH_PROBLEM[len(body) > declared])
                elif (limit := self.max_body_size) is not None and len(body) > limit:
                    raise _too_large(limit)
            else:
                limit = self.max_body_size
                body, more = self._take(message, 0, declared, limit)
                chunks = [body]
                received = len(body)
                while more:
                    chunk, more = self._take(await self.asgi_receive(), received, declared, limit)
                    received += len(chunk)
                    chunks.append(chunk)
                body = b"".join(chunks)
            self._body = body
        return body

    def _start_body(self) -> int | None:
        """Check that the body may be read now; give its declared length (within
        ``max_body_size``: past it, 413). PERF: one value, not a tuple (benchmarks/
        instructions.py, post model)."""
        if self._body_started:
            if self._form is not None:
                raise RuntimeError(
                    "The request body was read as a form (connection.form(), or Form() "
                    "parameters), which keeps its fields and files, not its bytes: read "
                    "connection.body() before the form, or read the form"
                )
            raise RuntimeError(
                "The request body is already being read by another consumer, or a streamed "
                "response or is_disconnected() began watching for the client first (read the "
                "body before them)"
            )
        if self.scope["type"] != "http":
            raise RuntimeError("A WebSocket connection has no request body")
        self._body_started = True
        declared = None
        kind = None
        # PERF: the first Content-Type noted on the way, for a JSON body's check: one pass
        # over the headers, not two (benchmarks/instructions.py, post model).
        for key, value in self.scope["headers"]:
            if key == b"content-length":
                if declared is not None:
                    continue
                # Digits only (RFC 9110 8.6): int() would also take "+3", " 3" and "1_0".
                # ValueError: more digits than int() converts (sys.int_info).
                try:
                    if not value.isdigit():
                        raise ValueError(value)
                    declared = int(value)
                except ValueError:
                    raise HTTPError(400, "Invalid Content-Length header") from None
            elif key == b"content-type" and kind is None:
                kind = value
        self._body_type = kind
        limit = self.max_body_size
        if limit is not None and declared is not None and declared > limit:
            raise _too_large(limit)
        return declared

    @staticmethod
    def _take(
        message: ReceiveEvent, received: int, declared: int | None, limit: int | None
    ) -> tuple[bytes, bool]:
        """One body message, checked against the declared length and the limit, given what
        came before; gives its chunk and whether more follows."""
        if message["type"] == "http.disconnect":
            raise ClientDisconnect("The client disconnected before the request body ended")
        if message["type"] != "http.request":
            raise RuntimeError(f"Expected ASGI message 'http.request', got {message['type']!r}")
        chunk = message.get("body", b"")
        received += len(chunk)
        if declared is not None and received > declared:
            raise HTTPError(400, _LENGTH_PROBLEM[True])
        if limit is not None and received > limit:
            raise _too_large(limit)
        more = message.get("more_body", False)
        if not more and declared is not None and received < declared:
            raise HTTPError(400, _LENGTH_PROBLEM[False])
        return chunk, more

    async def json(self) -> JsonValue:
        """Parse the request body as JSON.

        The value is kept: a second call gives the same one, as Starlette's ``request.json()``.

        Raises:
            HTTPError: 400 when the body is not valid JSON.
        """
        if self._json is not _UNREAD:
            return cast("JsonValue", self._json)
        body = await self.body()
        # Imported here: _extract carries out plans on connections. Past 64 KiB, a list or
        # an object is parsed a slice of items at a time, as a typed body is validated, and
        # freed a slice at a time once the request is done (``_take_large_json``).
        from aaf._extract import BOM, json_in_slices, parse_json  # noqa: PLC0415

        if body.startswith(BOM):  # skipped as a typed body's is (and Starlette's json.loads)
            body = body[len(BOM) :]
        if len(body) > FULL_REPORT_SIZE:
            value = await json_in_slices(body)
            self._holding = self._large_json = True
        else:
            value = parse_json(body)
        self._json = value
        return value

    def _take_large_json(self) -> object:
        """Give up the large value ``json()`` parsed, for the app to free a slice at a time."""
        value, self._json, self._large_json = self._json, _UNREAD, False
        return value

    def _keep_leftovers(self, value: object) -> None:
        """Hold what a large body's reading left, for the app to free a slice at a time once
        the request is done: what it validated before it was refused (400,000 models let go
        at once after the 422, 50 ms), the set a frozenset body was made from."""
        self._leftovers = value
        self._holding = True

    def _take_leftovers(self) -> object:
        value, self._leftovers = self._leftovers, None
        return value

    async def form(self) -> FormData:
        """Parse an urlencoded or multipart body into fields and uploaded files; once parsed
        it is kept.

        Uploads spool to temporary files past 1 MiB; the app closes them when the request ends.
        """
        if self._form is None:
            limits = self._app.form_limits if self._app is not None else _FORM_LIMITS
            content_type = self.req_headers.get("content-type")
            self._holding = True
            self._form = await parse_form(content_type, self.body_iter(), limits)
        return self._form

    def release(self) -> None:
        """Close a parsed form's files and stop watching the connection; the app calls this
        when the request or session ends."""
        if self._form is not None:
            self._form.close()
        if self._watcher is not None:
            # Let go of it too: cancelled, it keeps its CancelledError, whose traceback holds
            # the frame that holds this connection (a cycle, its body among what it keeps).
            self._watcher.cancel()
            self._watcher = None
        if self._app is not None and (self._stop is not None or self._accepted):
            self._app.lifecycle.discard(self)
        self._released = True
        if self._at_end is not None:
            callbacks, self._at_end = self._at_end, None
            for callback in callbacks:
                _call_at_end(callback)

    # Ending streams ----------------------------------------------------------------------------
    # Servers drop what is sent after the client left without telling the app, so a streaming
    # loop would go on for ever: while a streamed response is open, a task reads `receive` for
    # http.disconnect, and `send` raises ClientDisconnect once it came, or once the server is
    # shutting down (see aaf/_lifecycle.py).
    def _watch_disconnect(self) -> None:
        if self._stop is not None or (self._body_started and self._body is None):
            return  # a body being read sees the disconnect itself
        self._body_started = True  # what arrives from now on is the watcher's
        self._holding = True
        self._stop = asyncio.Event()
        self._watcher = asyncio.ensure_future(self._read_until_disconnect())
        if self._app is not None:
            self._app.lifecycle.add(self)

    async def _read_until_disconnect(self) -> None:
        while (await self.asgi_receive())["type"] != "http.disconnect":
            pass
        self._gone()

    def _gone(self) -> None:
        """The client left (the server said so, or a send to it failed): what streams to it
        ends, as when the server shuts down."""
        self._client_left = True
        if self._stop is not None:
            self._stop.set()

    @property
    def client_gone(self) -> bool:
        """Whether the client left while a streamed response was open."""
        return self._client_left

    @property
    def should_stop(self) -> bool:
        """Whether a streamed response must end: its client left, or the server is shutting
        down (what ``wait_stopped`` waits for; ``is_disconnected`` starts watching too)."""
        return self._client_left or self._stopped

    async def is_disconnected(self) -> bool:
        """Whether this request should stop: the client left, or the server is shutting down
        (Starlette's ``request.is_disconnected()``, for a handler that works in a loop before
        it answers). The first call starts watching for the client leaving: read the request
        body before it, since what arrives after is the watcher's."""
        self._watch_disconnect()
        await asyncio.sleep(0)  # the watcher's turn: a disconnect the server already has
        return self.should_stop

    async def wait_stopped(self) -> None:
        """Wait until a streamed response must end: the client left, or the server is
        shutting down (for ever if neither happens)."""
        self._watch_disconnect()
        if self._stop is None:  # a body is being read; nothing to watch
            await asyncio.Event().wait()
        else:
            await self._stop.wait()

    def stop(self) -> None:
        """End this connection because the server is shutting down: a streamed response stops
        (``send`` raises ``ClientDisconnect``), a WebSocket is closed with 1001."""
        self._stopped = True
        if self._stop is not None:
            self._stop.set()
        if self._ws_state is WebSocketState.CONNECTED and self._closing is None:
            self._closing = asyncio.ensure_future(self.close(1001, "Server shutting down"))

    # HTTP response -----------------------------------------------------------------------------
    def add_background(
        self, task: Callable[P, object], /, *args: P.args, **kwargs: P.kwargs
    ) -> None:
        """Run ``task(*args, **kwargs)`` once the response is sent, whatever sends it (a
        returned value, a response object, ``send``), as FastAPI's ``BackgroundTasks``.

        Tasks run in the order added, before a response's own ``background=``; a sync one in
        the app's worker threads. An error there is logged, never sent. Nothing runs when the
        request fails (an exception, ``HTTPError`` included, or the client leaving).

        Raises:
            ValueError: the response is finished, or this is a WebSocket connection.
        """
        if self.scope["type"] != "http":
            raise ValueError(
                "add_background runs work after an HTTP response; a WebSocket handler can "
                "start its own task"
            )
        if self.finished:
            raise ValueError("Cannot add background work: the response is finished")
        bound = functools.partial(task, *args, **kwargs) if args or kwargs else task
        if self._background is None:
            self._background = []
            self.asgi_send = self._send_then_work(self.asgi_send)
        self._background.append(bound)

    def _send_then_work(self, send: Send) -> Send:
        # Routes that never add work pay nothing: only a connection that has some sends
        # through this. It holds the connection weakly: the connection holds it (asgi_send),
        # and the cycle would keep the connection, its body among it, until a collection came.
        connection = weakref.ref(self)

        async def send_then_work(message: SendEvent) -> None:
            await send(message)
            if message["type"] == "http.response.body":
                ended = not message.get("more_body", False)
            else:
                ended = message["type"] == "http.response.pathsend"
            if ended and (this := connection()) is not None and this._background:
                tasks, this._background = this._background, []
                await run_background(tasks, this)

        return send_then_work

    @property
    def resp_headers(self) -> Headers:
        """Headers that go out when the response starts."""
        if self._resp_headers is None:
            self._resp_headers = Headers()
        return self._resp_headers

    def put_resp_header(self, key: str, value: str) -> None:
        """Add a response header; one a response carries once (``Content-Type``,
        ``Location``, ``ETag``: ``SINGLE``) replaces what was put before under its name,
        as a list header (``Vary``, ``Set-Cookie``) does not.

        Raises:
            ValueError: the response already started, or the header is not valid.
        """
        if self.started:
            raise ValueError(f"Cannot add header {key!r}: the response has already started")
        name, _ = encode_header(key, value)
        if name in SINGLE:
            # Two went out: Chrome fails a response with two Location headers, and a cache
            # keeps either ETag.
            self.resp_headers.set(key, value)
        else:
            self.resp_headers.add(key, value)

    def put_resp_cookie(self, key: str, value: str = "", **options: Unpack[CookieOptions]) -> None:
        """Set a cookie on the response: ``max_age``, ``expires``, ``path``, ``domain``,
        ``secure``, ``httponly`` and ``samesite`` as keywords (werkzeug's ``dump_cookie``).

        Raises:
            ValueError: the response already started, the name is not an HTTP token, or the
                domain holds a semicolon, a comma, a space or a control character.
        """
        if self.started:
            raise ValueError(f"Cannot set cookie {key!r}: the response has already started")
        # Among the headers set here, as Starlette's response.headers holds its cookies: one
        # thing for a response to merge (PERF: one test, benchmarks/instructions.py).
        self.put_resp_header("set-cookie", cookie_value(key, value, **options))

    def delete_resp_cookie(self, key: str, **options: Unpack[DeleteCookieOptions]) -> None:
        """Expire a cookie on the client: ``path``, ``domain``, ``secure``, ``httponly``,
        ``samesite`` and ``partitioned`` as it was set (a browser keeps a ``__Host-`` cookie
        unless the header that expires it is ``secure`` too)."""
        self.put_resp_cookie(key, "", max_age=0, expires=0, **options)

    def _pending_headers(
        self, framed: bool = False, own: Sequence[tuple[bytes, bytes]] = ()
    ) -> RawHeaders:
        """The headers and cookies set on the connection, encoded, then ``own``, the
        response's. ``framed``: the response carries aaf's own ``Content-Length``, so any set
        by hand (or a ``Transfer-Encoding``) is left out: two framings would have the client
        read the body wrong. A header sent once (``Content-Type``, ``Location``, ``ETag``:
        ``SINGLE``) set on the connection is the handler's word, so the response's own (a
        returned value's default type, a redirect's target) is left out: with two, a client
        may take either, or fail the response."""
        headers: RawHeaders = []
        replaced: set[bytes] = set()
        if self._resp_headers is not None:
            for key, value in self._resp_headers.items():
                name, encoded = encode_header(key, value)
                if not (framed and name in FRAMING):
                    headers.append((name, encoded))
                    if name in SINGLE:
                        replaced.add(name)
        if replaced:
            own = [header for header in own if header[0] not in replaced]
        headers.extend(own)
        return headers

    def _check_http_start(self) -> None:
        if self.scope["type"] != "http":
            raise ValueError("This is a WebSocket connection: use accept() and send_text()")
        if self.started:
            raise ValueError("The response has already started; it cannot start twice")

    async def start_resp(self) -> None:
        """Send the status line and headers (status 200 unless set)."""
        await self.respond_start(self.resp_status_code or 200, [])

    # The send path -----------------------------------------------------------------------------
    # Every HTTP response aaf sends goes through these three methods, which merge the headers
    # and cookies set on the connection, keep `started`/`finished` true to what went out, and
    # drop bodies for HEAD. Response classes call them; handlers rarely need to.
    async def respond_whole(self, status: int, headers: RawHeaders, body: bytes) -> None:
        """Send a complete response (start and body) in two messages.

        ``headers`` are already encoded and must carry ``Content-Length`` where the status
        allows a body. For a HEAD request the body is dropped, the headers kept.
        """
        # PERF: the fast path of every returned response (benchmarks/inprocess.py,
        # plaintext); the checks run only when something is unusual.
        if self.started or self.scope["type"] != "http":
            self._check_http_start()  # raises the right error
        if self._resp_headers is not None:
            headers = self._pending_headers(framed=True, own=headers)
        self.started = True
        self.finished = True
        self.resp_status_code = status
        send = self.asgi_send
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if self._head else body})
        except OSError as exc:  # a server that raises on a send after the client left
            raise self._left(exc) from exc

    async def respond_start(self, status: int, headers: RawHeaders) -> None:
        """Start a response whose body follows through ``send``, ``finish`` or ``respond_path``."""
        self._check_http_start()
        if not 200 <= status <= 599:
            raise ValueError(status_problem(status))
        if self._resp_headers is not None:
            framed = any(name == b"content-length" for name, _ in headers)
            headers = self._pending_headers(framed, own=headers)
        self.started = True
        self.resp_status_code = status
        self._sent_headers = headers  # read by a str sent later, for its charset
        await self._to_server({"type": "http.response.start", "status": status, "headers": headers})

    async def respond_path(self, status: int, headers: RawHeaders, path: str) -> None:
        """Let the server send the file at ``path`` as the whole body (``http.response.pathsend``,
        which the caller checked the server offers)."""
        await self.respond_start(status, headers)
        self.finished = True
        await self._to_server({"type": "http.response.pathsend", "path": path})

    async def send(self, data: bytes | str = b"", finish: bool = False) -> None:
        """Send part of the response body, starting the response first if needed.

        A first ``send`` with ``finish=True`` sets ``Content-Length`` and goes out as one body
        message. For a HEAD request the first ``send`` ends the response with its headers.

        Raises:
            ValueError: the response is finished, this is a WebSocket connection, or ``data``
                is a body for a status that has none (204, 205, 304).
            ClientDisconnect: the client left (or the server is shutting down) while the
                response streamed; for HEAD, any ``send`` after the first.
        """
        if self.finished:
            if self._head_cut:  # it ended with its headers: a stream's loop must stop
                raise ClientDisconnect("A HEAD response ends with its headers")
            raise ValueError("Cannot send: the response is already finished")
        status = self.resp_status_code or 200
        if data and status not in WITH_BODY and 200 <= status <= 599:
            # A body there would be read as the start of the next response on the connection.
            raise ValueError(f"A {status} response has no body; cannot send {len(data)} bytes")
        headers: RawHeaders = []
        if isinstance(data, str):
            if not self.started and (
                self._resp_headers is None or "content-type" not in self._resp_headers
            ):
                headers.append((b"content-type", b"text/plain; charset=utf-8"))
                self._text_codec = "utf-8"
            # In the charset the response's Content-Type declares, found at the first str.
            data = data.encode(self._text_codec or self._find_text_codec())
        if not self.started:
            if finish:  # none on a 204 or 304 (RFC 9110 8.6), 0 on a 205
                headers += (
                    [length_header(len(data))] if status in WITH_BODY else empty_framing(status)
                )
            await self.respond_start(status, headers)  # refuses a WebSocket not yet accepted
        elif self._accepted:
            self._check_http_start()  # an accepted WebSocket: raises, naming the right calls
        if self._head and not finish:
            finish = self._head_cut = True  # nothing of the body goes out: the headers are all
        if finish:
            self.finished = True
        elif self._watcher is None:
            self._watch_disconnect()
        if self._stop is not None and self._stop.is_set():
            raise ClientDisconnect(
                "The client left; nothing more can reach it"
                if self._client_left
                else "The server is shutting down"
            )
        try:
            await self.asgi_send(
                {
                    "type": "http.response.body",
                    "body": b"" if self._head else data,
                    "more_body": not finish,
                }
            )
        except OSError as exc:  # servers that raise on a send after the client left
            raise self._left(exc) from exc
        if not finish and self._turn_due():
            await asyncio.sleep(0)

    async def _to_server(self, message: SendEvent) -> None:
        """Send ``message`` to the server, a send it refuses being the client's leaving
        (``_left``). The fast paths (``respond_whole``, a streamed ``send``) say it inline."""
        try:
            await self.asgi_send(message)
        except OSError as exc:
            raise self._left(exc) from exc

    def _left(self, exc: OSError) -> ClientDisconnect:
        """What a send the server refused (``exc``, an ``OSError``: the client left, as ASGI
        2.4 has servers say) raises instead: a ``ClientDisconnect``, the normal end of a
        request, logged at debug, never a server error. Said to the stream's watcher too: a
        send from another task (an event stream's ping) may be the one that finds out, while
        the stream waits for its next chunk."""
        self._gone()
        return ClientDisconnect("The client left; nothing more can reach it")

    def _turn_due(self) -> bool:
        """Whether a send (of a streamed body, or a WebSocket message) should give the event
        loop a turn now: every ``_TURN_EVERY`` sends.

        A send to a client that keeps up never waits, and once the client has left no send
        waits at all: the server learns that it left only on a turn of the loop, which a loop
        of sends that awaits nothing else never gave. It sent to nobody for ever, and every
        other client of the process waited for ever (asyncio warning at each write to the
        dead socket); a client reading as fast as it came held up every other until the
        stream ended.
        """
        self._sends += 1
        if self._sends < _TURN_EVERY:
            return False
        self._sends = 0
        return True

    def _find_text_codec(self) -> str:
        """The codec of the ``str`` parts of the body: the charset of the Content-Type that
        went out (or, before the start, that was set on the connection), else UTF-8.

        Raises:
            ValueError: that charset is none Python can encode text in.
        """
        declared: str | bytes | None
        if self.started:
            declared = content_type_of(self._sent_headers)
        else:  # set with put_resp_header, as send found
            declared = self._resp_headers.get("content-type") if self._resp_headers else None
        codec = self._text_codec = text_codec(declared)
        return codec

    async def finish(self) -> None:
        """End the response; with nothing sent yet, answer 204 No Content."""
        if self.finished:
            if self._head_cut:  # a HEAD response that ended at its first send
                return
            raise ValueError("Cannot finish: the response is already finished")
        if not self.started:
            status = self.resp_status_code or 204
            # An empty body: said by its length where the status has one, not by chunks.
            framing = [LENGTHS[0]] if status in WITH_BODY else empty_framing(status)
            await self.respond_start(status, framing)
        elif self._accepted:
            self._check_http_start()  # an accepted WebSocket: raises, naming the right calls
        self.finished = True
        await self._to_server({"type": "http.response.body", "body": b"", "more_body": False})

    # WebSocket ---------------------------------------------------------------------------------
    @property
    def close_code(self) -> int | None:
        """How this WebSocket closed: the code of the side that closed first (this one's
        ``close``, or the client's when it left); ``None`` while it is open."""
        return self._close_code

    @property
    def accepted(self) -> bool:
        """Whether this WebSocket was accepted (it may have closed since)."""
        return self._accepted

    def at_session_end(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` once this WebSocket session is over: the handler (and a view's
        ``on_disconnect``) returned or raised, however the session ended. Callbacks run in
        the order given, each once; an error in one is logged. Given when the session is
        over already (by a task that outlived it), it is called at once. The groups of
        ``aaf.channels`` drop a member this way when its session ends without ``leave()``.

        Raises:
            ValueError: this is an HTTP request, not a WebSocket session.
        """
        if self.scope["type"] != "websocket":
            raise ValueError("at_session_end is for WebSocket sessions")
        if self._released:
            _call_at_end(callback)  # over already (given by a task that outlived it): now
            return
        if self._at_end is None:
            self._at_end = {}
        self._at_end[callback] = None

    def forget_session_end(self, callback: Callable[[], object]) -> None:
        """Take back a callback given to ``at_session_end`` (nothing when it was not given)."""
        if self._at_end is not None:
            self._at_end.pop(callback, None)

    @property
    def ws_state(self) -> WebSocketState:
        """Whether the WebSocket is connecting, connected or closed."""
        return self._ws_state

    def _ws_scope(self) -> WebSocketScope:
        scope = self.scope
        if scope["type"] != "websocket":
            raise ValueError("This is an HTTP connection: WebSocket methods do not apply")
        return scope

    async def accept(
        self, subprotocol: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Accept the WebSocket handshake, choosing ``subprotocol`` among those the client
        offered (``connection.scope["subprotocols"]``).

        Raises:
            ValueError: the connection was already accepted or closed, the client did not
                offer ``subprotocol`` (its browser would fail the connection), or a header
                holds control characters.
        """
        scope = self._ws_scope()
        if self._ws_state is not WebSocketState.CONNECTING:
            raise ValueError(f"Cannot accept a WebSocket that is {self._ws_state.name.lower()}")
        offered = list(scope.get("subprotocols") or ())
        if subprotocol is not None and subprotocol not in offered:
            raise ValueError(
                f"The client did not offer the subprotocol {subprotocol!r} (it offered "
                f"{', '.join(map(repr, offered)) or 'none'})"
            )
        # Headers first: a bad one raises before the handshake's message is taken, and the
        # error that follows can still refuse the handshake.
        raw = [encode_header(k, v) for k, v in headers.items()] if headers else []
        raw.extend(self._pending_headers())
        message = await self._read_connect()
        if message is not None and message["type"] == "websocket.disconnect":
            self._ws_state = WebSocketState.CLOSED
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason") or "")
        try:
            await self.asgi_send(
                {"type": "websocket.accept", "subprotocol": subprotocol, "headers": raw}
            )
        except OSError as exc:  # the client left during the handshake (ASGI 2.4's OSError)
            self._ws_state = WebSocketState.CLOSED
            raise WebSocketDisconnect(1006, "The client left during the handshake") from exc
        self._ws_state = WebSocketState.CONNECTED
        self.started = True
        self._accepted = True
        self._holding = True
        if self._app is not None:
            self._app.lifecycle.add(self)

    async def _read_connect(self) -> ReceiveEvent | None:
        """Take the handshake's ``websocket.connect`` message, the first time only: a second
        receive would wait for the client's first frame, which never comes before accept."""
        if self._connect_read:
            return None
        self._connect_read = True
        return await self.asgi_receive()

    async def reject(
        self,
        status_code: int = 403,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Refuse the WebSocket handshake with an HTTP response.

        Uses the ``websocket.http.response`` extension where the server offers it; elsewhere
        the connection is closed with 1008 (policy violation) before it is accepted, which the
        server turns into an HTTP 403.
        """
        scope = self._ws_scope()
        if self._ws_state is not WebSocketState.CONNECTING:
            raise ValueError("Cannot reject a WebSocket that was already accepted or closed")
        if not 200 <= status_code <= 599:
            raise ValueError(status_problem(status_code))
        if "websocket.http.response" not in (scope.get("extensions") or {}):
            await self.close(1008)
            return
        encoded = [encode_header(k, v) for k, v in headers.items()] if headers else []
        declared = content_type_of(encoded)
        # Text in the charset its Content-Type declares, if one does.
        data = body.encode(text_codec(declared)) if isinstance(body, str) else body
        await self._read_connect()
        raw = [(k, v) for k, v in encoded if k not in FRAMING]  # aaf frames the body
        if isinstance(body, str) and declared is None:
            raw.append((b"content-type", b"text/plain; charset=utf-8"))
        raw.append(length_header(len(data)))
        self._ws_state = WebSocketState.CLOSED
        self.started = self.finished = True
        with contextlib.suppress(OSError):  # a client that left first needs no refusal
            await self.asgi_send(
                {"type": "websocket.http.response.start", "status": status_code, "headers": raw}
            )
            await self.asgi_send({"type": "websocket.http.response.body", "body": data})

    async def receive_frame(self) -> tuple[str | None, bytes | None]:
        """Receive one frame as ``(text, None)`` or ``(None, bytes)``.

        Raises:
            WebSocketDisconnect: the client left, or the message was larger than
                ``max_message_size`` (the connection is then closed with 1009).
        """
        self._ws_scope()
        if self._ws_state is not WebSocketState.CONNECTED:
            if self._stopped:
                raise WebSocketDisconnect(1001, "Server shutting down")
            raise ValueError("Cannot receive: the WebSocket is not accepted, or already closed")
        message = await self.asgi_receive()
        if message["type"] == "websocket.disconnect":
            self._ws_state = WebSocketState.CLOSED
            self.finished = True
            code = message.get("code", 1000)
            if self._close_code is None:
                self._close_code = code
            raise WebSocketDisconnect(code, message.get("reason") or "")
        if message["type"] != "websocket.receive":
            raise RuntimeError(
                f"Expected ASGI message 'websocket.receive', got {message['type']!r}"
            )
        text, data = message.get("text"), message.get("bytes")
        limit = self.max_message_size
        if limit is not None:
            size = utf8_size(text) if text is not None else len(data or b"")  # as sent
            if size > limit:
                # Parsed, a message of megabytes holds the event loop for every client.
                await self._refuse(1009, f"Message too big: the limit is {limit} bytes")
        return text, data

    async def receive_text(self) -> str:
        """Receive one text frame.

        Raises:
            WebSocketDisconnect: the client left, or the frame was binary (the connection is
                then closed with 1003).
        """
        text, _ = await self.receive_frame()
        if text is None:
            await self._refuse(1003, "Expected a text frame, got a binary frame")
        return text

    async def receive_bytes(self) -> bytes:
        """Receive one binary frame.

        Raises:
            WebSocketDisconnect: the client left, or the frame was text (the connection is
                then closed with 1003).
        """
        _, data = await self.receive_frame()
        if data is None:
            await self._refuse(1003, "Expected a binary frame, got a text frame")
        return data

    async def receive_json(self, mode: Literal["text", "binary"] | None = None) -> JsonValue:
        """Receive one frame (text or binary; only that kind with ``mode``, as Starlette's
        ``receive_json(mode=...)`` reads) and parse it as JSON.

        Raises:
            WebSocketDisconnect: the client left, the frame was not JSON (the connection is
                then closed with 1007 and the parser's message as reason), or not of the
                ``mode`` given (closed with 1003).
        """
        text, data = await self.receive_frame()
        if mode is not None and (text is None) != (mode == "binary"):
            got = "binary" if text is None else "text"
            await self._refuse(1003, f"Expected a {mode} frame of JSON, got a {got} frame")
        raw = text if text is not None else (data or b"")
        # Imported here: _extract carries out plans on connections.
        from aaf._extract import json_in_slices, parse_json  # noqa: PLC0415

        if len(raw) > FULL_REPORT_SIZE:
            # PERF: a list or an object a slice of items at a time, as connection.json()
            # parses a large body (1.2 MB of 45,000 objects held the event loop 16-25 ms).
            try:
                return await json_in_slices(
                    raw.encode() if isinstance(raw, str) else raw, _NOT_JSON
                )
            except HTTPError as exc:
                await self._refuse(1007, str(exc.detail))
        try:
            value: JsonValue = from_json(raw)
        except ValueError:
            # Said as for a large message: the reason and the character it was found at.
            try:
                parse_json(raw.encode() if isinstance(raw, str) else raw, _NOT_JSON)
            except HTTPError as exc:
                await self._refuse(1007, str(exc.detail))
            raise  # pydantic-core refused what it then took: not expected
        return value

    async def _refuse(self, code: int, reason: str) -> Never:
        """Close with ``code`` for a frame the app cannot take, and end the session."""
        reason = _close_reason(reason)
        await self.close(code, reason)
        raise WebSocketDisconnect(code, reason)

    async def _ws_send(self, text: str | None, data: bytes | None) -> None:
        self._ws_scope()
        if self._ws_state is not WebSocketState.CONNECTED:
            if self._stopped:
                raise WebSocketDisconnect(1001, "Server shutting down")
            raise ValueError(
                "Cannot send: call accept() first"
                if self._ws_state is WebSocketState.CONNECTING
                else "Cannot send: the WebSocket is closed"
            )
        try:
            if text is not None:
                await self.asgi_send({"type": "websocket.send", "text": text})
            else:
                await self.asgi_send({"type": "websocket.send", "bytes": data})
        except OSError as exc:
            # The client closed while we sent (uvicorn raises ClientDisconnected, an OSError):
            # the normal end of a session, not an error of the app.
            self._ws_state = WebSocketState.CLOSED
            self.finished = True
            raise WebSocketDisconnect(1006, "The client left while a message was sent") from exc
        if self._turn_due():  # a loop of sends would not let the server see the client leave
            await asyncio.sleep(0)

    async def send_text(self, data: str) -> None:
        """Send one text frame.

        Raises:
            TypeError: ``data`` is not text (untyped code; servers differ on what they do
                with bytes there: a binary frame, or a failed connection).
        """
        if not isinstance(data, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(
                f"send_text takes str, got {type(data).__name__}: send_bytes sends bytes"
            )
        await self._ws_send(data, None)

    async def send_bytes(self, data: bytes) -> None:
        """Send one binary frame.

        Raises:
            TypeError: ``data`` is not bytes (untyped code).
        """
        if not isinstance(data, bytes | bytearray | memoryview):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(
                f"send_bytes takes bytes, got {type(data).__name__}: send_text sends text"
            )
        await self._ws_send(None, bytes(data))

    async def send_json(self, data: object, mode: Literal["text", "binary"] = "text") -> None:
        """Send a value as JSON in one text frame, or a binary one with ``mode="binary"`` (as
        Starlette's ``send_json`` takes it); pydantic models and dataclasses too."""
        encoded = json_bytes(data)
        if mode == "binary":
            await self._ws_send(None, encoded)
        else:
            await self._ws_send(encoded.decode(), None)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the WebSocket; before ``accept`` this rejects the handshake. A ``reason`` is
        cut to the 123 bytes a close frame holds.

        Raises:
            ValueError: ``code`` is not one an endpoint may send (RFC 6455 section 7.4:
                1000-1003, 1007-1014, 3000-4999).
        """
        self._ws_scope()
        check_close_code(code)
        if self._ws_state is WebSocketState.CLOSED:
            return
        reason = _close_reason(reason)
        if self._ws_state is WebSocketState.CONNECTING:
            # Take the connect message (once) so the server sees a proper rejection.
            await self._read_connect()
        self._ws_state = WebSocketState.CLOSED
        self.finished = True
        if self._close_code is None:
            self._close_code = code
        # A client that left first has nothing to be closed: the session is over all the
        # same (uvicorn raises ClientDisconnected, an OSError, until it has said so).
        with contextlib.suppress(OSError):
            await self.asgi_send({"type": "websocket.close", "code": code, "reason": reason})

    def iter_text(self) -> AsyncIterator[str]:
        """Yield text frames until the client leaves."""
        return _until_disconnect(self.receive_text)

    def iter_bytes(self) -> AsyncIterator[bytes]:
        """Yield binary frames until the client leaves."""
        return _until_disconnect(self.receive_bytes)

    def iter_json(self) -> AsyncIterator[JsonValue]:
        """Yield JSON messages until the client leaves."""
        return _until_disconnect(self.receive_json)


async def _until_disconnect(receive: Callable[[], Awaitable[T]]) -> AsyncIterator[T]:
    try:
        while True:
            yield await receive()
    except WebSocketDisconnect:
        return


_NOT_JSON = "Invalid JSON: "  # the start of the close reason for a message that is not JSON

# A body that disagrees with its Content-Length, by whether it is the longer.
_LENGTH_PROBLEM = {
    True: "Request body is longer than its Content-Length",
    False: "Request body is shorter than its Content-Length",
}


def _too_large(limit: int) -> HTTPError:
    # The rest of the body is never read, so the connection cannot be reused (RFC 9112 9.6).
    return HTTPError(
        413, f"Request body too large: the limit is {limit} bytes", {"Connection": "close"}
    )


def route_path(scope: HTTPScope | WebSocketScope) -> str:
    """The path of ``scope`` below its ``root_path``: what the routers match against."""
    path = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :] or "/"
    return path


# An absolute-form request target's scheme and authority (`http://notes.example`), before
# its path; the scheme in any case, as RFC 3986 section 3.1 reads it.
_ABSOLUTE = re.compile(r"(?i:https?|wss?)://[^/?#]*")
_ABSOLUTE_BYTES = re.compile(_ABSOLUTE.pattern.encode())

_Scope = TypeVar("_Scope", HTTPScope, WebSocketScope)


def origin_form(scope: _Scope) -> _Scope | None:
    """``scope`` again with the path of its absolute-form request target, or ``None`` when
    its path is no such target.

    A server must accept ``GET http://notes.example/notes HTTP/1.1`` (RFC 9112 section
    3.2.2), and the ASGI spec lets it pass the target on whole: uvicorn on h11 puts
    ``http://notes.example/notes`` in ``path`` (after the ``root_path``) and ``raw_path``,
    which no route matches, where on httptools it gives ``/notes``. The authority is left
    to the ``Host`` header, which such a client sends too."""
    root = scope.get("root_path", "")
    path = scope["path"]
    target = path[len(root) :] if root and path.startswith(root) else path
    found = _ABSOLUTE.match(target)
    if found is None:
        return None
    origin = scope.copy()
    origin["path"] = path[: len(path) - len(target)] + (target[found.end() :] or "/")
    raw = scope.get("raw_path")
    raw_root = root.encode("utf-8", "surrogateescape")
    if raw is not None:
        raw_target = raw[len(raw_root) :] if raw.startswith(raw_root) else raw
        raw_found = _ABSOLUTE_BYTES.match(raw_target)
        if raw_found is not None:
            origin["raw_path"] = raw[: len(raw) - len(raw_target)] + (
                raw_target[raw_found.end() :] or b"/"
            )
    return origin


def _close_reason(reason: str) -> str:
    """``reason`` cut to the 123 bytes of UTF-8 a close frame holds (RFC 6455 section 5.5),
    never inside a character. What UTF-8 cannot encode (a lone surrogate, from a file name
    decoded with ``surrogateescape``) is ``?``: a close never fails for its reason (from a
    ``WebSocketException``, the error reached the server)."""
    if reason.isascii():  # PERF: the usual; a byte a character
        return reason if len(reason) <= 123 else reason[:123]
    encoded = reason.encode(errors="replace")
    return encoded[:123].decode(errors="ignore")
