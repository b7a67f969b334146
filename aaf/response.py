"""Response objects: return one from a handler, or ``await`` one bound to a connection."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import inspect
import io
import logging
import os
import re
import secrets
import threading
import time
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from stat import S_ISREG
from typing import Any, Literal, TypeVar, Union, Unpack, cast

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError
from werkzeug.urls import iri_to_uri

from aaf._annotations import union_members
from aaf._background import run_background
from aaf._files import (
    byte_range,
    content_disposition,
    guess_media_type,
    not_modified,
    precondition_failed,
    validators,
)
from aaf._http import (
    FRAMING,
    JSON_TYPE,
    LENGTHS,
    SMALL_BODY,
    TEXT_TYPE,
    WITH_BODY,
    CookieOptions,
    DeleteCookieOptions,
    RawHeaders,
    content_type_of,
    cookie_header,
    empty_framing,
    encode_header,
    json_bytes,
    length_header,
    status_problem,
    text_codec,
    utf8_text,
)
from aaf._threads import ThreadPool, pool_of
from aaf.connection import Connection
from aaf.exceptions import ClientDisconnect, HTTPError, ResponseValidationError

__all__ = [
    "FileResponse",
    "HtmlResponse",
    "HttpResponse",
    "JsonResponse",
    "RedirectResponse",
    "EventSourceResponse",
    "ServerSentEvent",
    "StreamingResponse",
]

logger: logging.Logger = logging.getLogger("aaf")
_T = TypeVar("_T")
# Turns a handler's return value into (headers, body): its content type and length.
ResultEncoder = Callable[[object], tuple[RawHeaders, bytes]]
# Work to run after a response is sent: a callable, or several (sync ones in a thread).
Background = Callable[[], object] | Sequence[Callable[[], object]]


class HttpResponse:
    """A complete response: status, headers and a body sent in one message.

    A ``str`` body goes out as ``text/plain; charset=utf-8`` unless ``headers`` name a
    content type, encoded in the charset that content type declares (UTF-8 when it declares
    none). Return it from a handler, or bind it and await it::

        await HttpResponse("hi", connection)
    """

    media_type: str = "text/plain; charset=utf-8"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _CONTENT_TYPES[cls] = _type_headers(cls.media_type)

    # Work to run once the response is sent (``background=``); none by default.
    background: tuple[Callable[[], object], ...] = ()

    def __init__(
        self,
        body: bytes | str = "",
        connection: Connection | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Background | None = None,
    ) -> None:
        # PERF: media_type and background are not keyword-only (nor are they in Starlette's
        # Response): Python 3.11 fills each keyword-only default with a dict lookup on every
        # call, 280 instructions a response (benchmarks/instructions.py, plaintext). Every
        # attribute a response's sending reads is set here, none left to the class: Python
        # 3.11 reads an instance's own attributes through a specialized instruction, a
        # class-level one through the generic lookup (benchmarks/inprocess.py --cold).
        if background is None:
            self.background = ()
        else:
            self.background = (background,) if callable(background) else tuple(background)
        # PERF: bytes, the commonest body, told apart by its type alone: isinstance() asks
        # the type's ancestry in C (benchmarks/instructions.py, plaintext).
        if type(body) is bytes:
            self.body: bytes = body
        elif isinstance(body, str):
            # In the charset its Content-Type declares (UTF-8 unless one says otherwise).
            codec = _CODECS.get(type(self)) if media_type is None and headers is None else None
            self.body = body.encode(codec or _codec(type(self), headers, media_type))
        else:
            self.body = body
        self.connection = connection
        self.status_code = status_code
        if media_type is None and headers is None:
            # PERF: the class's own headers, shared (a tuple) until one is added: no list
            # made and freed for each response (benchmarks/instructions.py, plaintext).
            # Whatever sends them sends a list of its own, one middleware may add to.
            self.raw_headers: RawHeaders | tuple[tuple[bytes, bytes], ...] = _CONTENT_TYPES[
                type(self)
            ]
        else:
            if media_type is not None:
                self.media_type = media_type
            self.raw_headers = self._initial_headers(headers)

    def _initial_headers(self, headers: Mapping[str, str] | None) -> RawHeaders:
        raw: RawHeaders = []
        has_type = False
        if headers:
            for key, value in headers.items():
                name, encoded = encode_header(key, value)
                if name in FRAMING:
                    continue  # aaf frames the body itself
                has_type = has_type or name == b"content-type"
                raw.append((name, encoded))
        if not has_type and (content_type := _encoded_type(self.media_type)) is not None:
            raw.append(content_type)
        return raw

    def set_header(self, key: str, value: str) -> None:
        """Add a header to the response (not ``Content-Length`` or ``Transfer-Encoding``:
        aaf frames the body itself, and those are left out)."""
        name, encoded = encode_header(key, value)
        if name not in FRAMING:
            self._headers_to_add_to().append((name, encoded))

    def set_cookie(self, key: str, value: str = "", **options: Unpack[CookieOptions]) -> None:
        """Set a cookie on the client: ``max_age``, ``expires``, ``path``, ``domain``, ``secure``,
        ``httponly`` and ``samesite`` as keywords (werkzeug's ``dump_cookie`` formats it).

        Raises:
            ValueError: the name is not an HTTP token, or the domain holds a semicolon, a
                comma, a space or a control character.
        """
        self._headers_to_add_to().append(cookie_header(key, value, **options))

    def _headers_to_add_to(self) -> RawHeaders:
        """This response's headers as a list of its own, made from the class's shared ones
        the first time a header is added."""
        headers = self.raw_headers
        if isinstance(headers, tuple):
            self.raw_headers = headers = [*headers]
        return headers

    def delete_cookie(self, key: str, **options: Unpack[DeleteCookieOptions]) -> None:
        """Expire a cookie on the client: ``path``, ``domain``, ``secure``, ``httponly``,
        ``samesite`` and ``partitioned`` as it was set (a browser keeps a ``__Host-`` cookie
        unless the header that expires it is ``secure`` too)."""
        self.set_cookie(key, "", max_age=0, expires=0, **options)

    async def send_to(self, connection: Connection) -> None:
        """Send this response on ``connection``, then run its background work."""
        await self._send(connection)
        if self.background:
            await run_background(self.background, connection)

    async def _send(self, connection: Connection) -> None:
        whole = self.as_whole()
        assert whole is not None  # subclasses that stream override _send
        await connection.respond_whole(*whole)

    def as_whole(self) -> tuple[int, RawHeaders, bytes] | None:
        """Give ``(status, headers, body)`` when this goes out in one piece, else ``None``."""
        body = self.body
        status = self.status_code
        if status not in WITH_BODY:
            if not 200 <= status <= 599:
                raise ValueError(status_problem(status))
            # These carry no body, and 204 must not carry Content-Length (RFC 9110 8.6); nor
            # the class's own Content-Type, which describes no body: a cache takes a 304's
            # headers into what it stored (RFC 9111 4.3.4), so text/plain would retype a
            # cached page.
            default = _encoded_type(self.media_type)
            kept = [h for h in self.raw_headers if h != default]
            return status, kept + empty_framing(status), b""
        size = len(body)
        # PERF: LENGTHS, made once (benchmarks/instructions.py, plaintext)
        return (
            status,
            [*self.raw_headers, LENGTHS[size] if size < SMALL_BODY else length_header(size)],
            body,
        )

    def __await__(self) -> Generator[object, None, None]:
        if self.connection is None:
            raise ValueError(
                f"{type(self).__name__} has no connection to send on: pass one, "
                f"or return the response from the handler"
            )
        return self.send_to(self.connection).__await__()


def _type_headers(media_type: str) -> tuple[tuple[bytes, bytes], ...]:
    """The headers a response class starts with: its Content-Type, if it has one."""
    content_type = _encoded_type(media_type)
    return () if content_type is None else (content_type,)


def _encoded_type(media_type: str) -> tuple[bytes, bytes] | None:
    """The Content-Type header of a ``media_type``: a text type without a charset says
    ``charset=utf-8``, the encoding of a ``str`` body, as Starlette's responses do (a browser
    would guess one otherwise). A ``Content-Type`` given in ``headers`` goes out as given.

    Raises:
        ValueError: the media type holds a control character (CR, LF among them) or a
            character latin-1 cannot encode, as any header value (``encode_header``).
    """
    return encode_header("content-type", utf8_text(media_type)) if media_type else None


# The Content-Type header of each response class, by class (none for an empty media_type).
_CONTENT_TYPES: dict[type[HttpResponse], tuple[tuple[bytes, bytes], ...]] = {
    HttpResponse: _type_headers(HttpResponse.media_type)
}
# The codec of a str body under each response class's own media_type, found at its first one.
_CODECS: dict[type[HttpResponse], str] = {HttpResponse: "utf-8"}


def _codec(
    cls: type[HttpResponse], headers: Mapping[str, str] | None, media_type: str | None
) -> str:
    """The codec of a ``str`` body: the charset of the Content-Type in ``headers``, else of
    ``media_type``, else of the class's own media type.

    Raises:
        ValueError: that charset is none Python can encode text in.
    """
    if headers:
        for key, value in headers.items():
            if key.lower() == "content-type":
                return text_codec(value)
    if media_type is not None:
        return text_codec(media_type)
    codec = _CODECS[cls] = text_codec(cls.media_type)
    return codec


class JsonResponse(HttpResponse):
    """JSON of ``data``: models, dataclasses, lists of them, dicts, anything pydantic dumps."""

    media_type = "application/json"

    def __init__(
        self,
        data: object,
        connection: Connection | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        background: Background | None = None,
    ) -> None:
        super().__init__(json_bytes(data), connection, status_code, headers, background=background)


class HtmlResponse(HttpResponse):
    """An HTML page."""

    media_type = "text/html; charset=utf-8"


class RedirectResponse(HttpResponse):
    """Send the client to ``url`` (307 keeps the method and body)."""

    media_type = ""

    def __init__(
        self,
        url: str,
        connection: Connection | None = None,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        *,
        background: Background | None = None,
    ) -> None:
        super().__init__(b"", connection, status_code, headers, background=background)
        self._headers_to_add_to().append(encode_header("location", iri_to_uri(url)))


class StreamingResponse(HttpResponse):
    """A body sent chunk by chunk as an iterable produces it: an async one (an async
    generator, say), or a plain one (a generator, a file), each of whose steps runs in the
    app's worker threads, as Starlette's does. Either is closed when the client leaves."""

    def __init__(
        self,
        content: AsyncIterable[bytes | str] | Iterable[bytes | str],
        connection: Connection | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        *,
        background: Background | None = None,
    ) -> None:
        _check_iterable(content, type(self).__name__)
        super().__init__(
            b"", connection, status_code, headers, background=background, media_type=media_type
        )
        self.content = content

    def as_whole(self) -> None:
        """``None``: a stream never goes out in one piece."""
        return None

    def _chunks(self, connection: Connection) -> AsyncIterable[bytes | str]:
        return _asynchronous(self.content, connection)

    async def _send(self, connection: Connection) -> None:
        # Start the response, then send each chunk as it comes.
        await _send_streamed(
            connection, self.status_code, [*self.raw_headers], self._chunks(connection)
        )


def _check_iterable(content: object, name: str) -> None:
    # Found only at the first `async for`, after the response started: the client got a
    # 200 cut short and the server an error it could no longer answer.
    if isinstance(content, str | bytes | bytearray):
        raise TypeError(
            f"{name} takes an iterable of chunks, got one {type(content).__name__}: send a "
            "whole body with HttpResponse"
        )
    if not isinstance(content, AsyncIterable | Iterable):
        raise TypeError(
            f"{name} takes an iterable of chunks (a generator, async or not), got "
            f"{type(content).__name__}"
        )


_Item = TypeVar("_Item")


def _asynchronous(
    content: AsyncIterable[_Item] | Iterable[_Item], connection: Connection
) -> AsyncIterable[_Item]:
    """``content`` as an async iterable: a plain one stepped in the app's worker threads."""
    if isinstance(content, AsyncIterable):
        return content
    return _in_threads(iter(content), pool_of(connection))


async def _in_threads(iterator: Iterator[_Item], pool: ThreadPool) -> AsyncIterator[_Item]:
    """Each item of ``iterator`` got in a worker thread (a plain generator may block: a file
    read, a database cursor); the iterator closed (a generator's ``finally`` run) in one too
    when this ends early, once the step a thread may still be taking is done."""
    step: asyncio.Future[object] | None = None
    try:
        while True:
            step = pool.run(next, iterator, _EXHAUSTED)
            item = await asyncio.shield(step)  # a cancelled wait leaves the thread's step be
            if item is _EXHAUSTED:
                return
            yield cast("_Item", item)
    finally:
        if step is not None and not step.done():
            await asyncio.wait((step,))
        close = getattr(iterator, "close", None)
        if close is not None:
            await pool.run(close)


_EXHAUSTED = object()


class FileResponse(HttpResponse):
    """A file from disk, streamed in chunks, with validators and byte ranges.

    Sends ``ETag`` and ``Last-Modified``; answers 412 to an ``If-Match`` or
    ``If-Unmodified-Since`` the file no longer meets (a download resumed from a changed file),
    304 to a matching ``If-None-Match`` or ``If-Modified-Since`` and 206 to a satisfiable
    ``Range`` (416 otherwise), several ranges as one ``multipart/byteranges`` body, as
    Starlette's does (a GET or HEAD answered 200 only: a POST, or a file sent as an error
    page, ignores them). With
    ``filename`` the client is told to download it under that name (to show it under that
    name, ``content_disposition_type="inline"``, as in Starlette). Servers that offer the
    ``http.response.pathsend`` extension send the file themselves.
    """

    chunk_size = 64 * 1024

    def __init__(
        self,
        path: str | os.PathLike[str],
        filename: str | None = None,
        media_type: str | None = None,
        connection: Connection | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        background: Background | None = None,
        content_disposition_type: Literal["attachment", "inline"] = "attachment",
    ) -> None:
        self.path: str = os.fspath(path)
        self.filename = filename
        media_type = media_type or guess_media_type(filename or self.path)
        super().__init__(
            b"", connection, status_code, headers, background=background, media_type=media_type
        )
        if filename is not None:
            inline = content_disposition_type == "inline"
            self.set_header("Content-Disposition", content_disposition(filename, inline))

    def as_whole(self) -> None:
        """``None``: a file is read as it is sent (and may be a part of it, or a 304)."""
        return None

    async def _send(self, connection: Connection) -> None:
        # Answer with the file, a part of it, or 304/416, as the request asks.
        try:
            stat = await asyncio.to_thread(os.stat, self.path)
        except OSError:
            raise HTTPError(404, "Not found") from None
        if not S_ISREG(stat.st_mode):
            raise HTTPError(404, "Not found")
        found = validators(stat)
        headers = [
            *self.raw_headers,
            (b"etag", found.etag.encode()),
            (b"last-modified", found.last_modified.encode()),
            (b"accept-ranges", b"bytes"),
        ]
        request = connection.req_headers
        # Conditions and ranges are defined for reading the file as it is: a GET or HEAD
        # answered 200 (RFC 9110 sections 13.1 and 14.2). A POST that answers with a file, or
        # a custom error page served with its own status, ignores them.
        plain_read = connection.method in ("GET", "HEAD") and self.status_code == 200
        if plain_read and precondition_failed(
            found, request.get("if-match"), request.get("if-unmodified-since")
        ):
            await connection.respond_whole(412, [LENGTHS[0]], b"")
            return
        if plain_read and not_modified(
            found, request.get("if-none-match"), request.get("if-modified-since")
        ):
            kept = [(k, v) for k, v in headers if k in (b"etag", b"last-modified")]
            await connection.respond_whole(304, kept, b"")
            return
        size = stat.st_size
        asked = request.get("range") if plain_read else None
        span = byte_range(asked, request.get("if-range"), size, found)
        if span is False:
            # An empty body, framed: without a length the server would send it chunked.
            headers = [(b"content-range", f"bytes */{size}".encode()), LENGTHS[0]]
            await connection.respond_whole(416, headers, b"")
            return
        status, start, stop = self.status_code, 0, size
        if isinstance(span, list) and len(span) > 1:
            await self._send_parts(connection, headers, span, size)
            return
        if isinstance(span, list):
            status, [(start, stop)] = 206, span
            headers.append((b"content-range", f"bytes {start}-{stop - 1}/{size}".encode()))
        headers.append((b"content-length", str(stop - start).encode()))
        extensions = connection.scope.get("extensions") or {}
        if connection.method == "HEAD":
            await connection.respond_whole(status, headers, b"")
        elif status != 206 and "http.response.pathsend" in extensions:
            await connection.respond_path(status, headers, os.path.abspath(self.path))
        else:
            chunks = _file_chunks(self.path, start, stop, self.chunk_size)
            await _send_streamed(connection, status, headers, chunks)

    async def _send_parts(
        self,
        connection: Connection,
        headers: RawHeaders,
        spans: list[tuple[int, int]],
        size: int,
    ) -> None:
        """Answer several ranges as one ``multipart/byteranges`` body (RFC 9110 section
        14.6): each part its own type and ``Content-Range``, the whole length known."""
        boundary = secrets.token_hex(16)
        kind = content_type_of(headers)
        if kind is None:
            kind = b"application/octet-stream"
        heads = [
            b"--%s\r\ncontent-type: %s\r\ncontent-range: bytes %d-%d/%d\r\n\r\n"
            % (boundary.encode(), kind, start, stop - 1, size)
            for start, stop in spans
        ]
        closing = b"--%s--\r\n" % boundary.encode()
        length = sum(
            len(h) + stop - start + 2 for h, (start, stop) in zip(heads, spans, strict=True)
        )
        headers = [(k, v) for k, v in headers if k != b"content-type"]
        headers += [
            (b"content-type", b"multipart/byteranges; boundary=" + boundary.encode()),
            (b"content-length", str(length + len(closing)).encode()),
        ]
        if connection.method == "HEAD":
            await connection.respond_whole(206, headers, b"")
            return

        async def parts() -> AsyncIterator[bytes]:
            for head, (start, stop) in zip(heads, spans, strict=True):
                yield head
                # Closed here when the client leaves mid-part: its file with it, not later.
                async with contextlib.aclosing(
                    _file_chunks(self.path, start, stop, self.chunk_size)
                ) as chunks:
                    async for chunk in chunks:
                        yield chunk
                yield b"\r\n"
            yield closing

        await _send_streamed(connection, 206, headers, parts())


# Server-sent events -----------------------------------------------------------------------------
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


@dataclasses.dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One event of an ``EventSourceResponse`` (the HTML standard's text/event-stream).

    ``data`` is a string (split over ``data:`` lines at its line breaks), or anything pydantic
    dumps (models, dicts, lists), sent as JSON. ``event`` and ``id`` may not hold line breaks
    (``id`` not NUL either): a client cannot smuggle a field in through them. ``retry`` tells
    the browser how many milliseconds to wait before it reconnects; ``comment`` adds ``:``
    lines that browsers ignore.

    Raises:
        ValueError: ``event`` or ``id`` holds CR, LF (or NUL), ``retry`` is not a whole
            number >= 0, ``data`` is bytes that are not UTF-8, or text holds a lone surrogate.
    """

    data: object = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        for name, value in (("event", self.event), ("id", self.id)):
            if value is not None and ("\r" in value or "\n" in value or "\0" in value):
                raise ValueError(f"A server-sent event's {name} may not hold CR, LF or NUL")
        retry = cast("object", self.retry)  # the type says int; untyped callers pass anything
        if retry is not None and (type(retry) is bool or not isinstance(retry, int) or retry < 0):
            # (what browsers take: digits alone; "retry: 1.5" or "retry: True" is ignored)
            raise ValueError(
                f"A server-sent event's retry is a whole number of milliseconds >= 0, not {retry!r}"
            )
        if isinstance(self.data, bytes):  # the stream is UTF-8 text: said here, not mid-stream
            try:
                self.data.decode()
            except UnicodeDecodeError as exc:
                raise ValueError(f"A server-sent event's data bytes must be UTF-8: {exc}") from None
        texts = (
            ("data", self.data),
            ("event", self.event),
            ("id", self.id),
            ("comment", self.comment),
        )
        for name, text in texts:
            if isinstance(text, str) and not text.isascii():
                _utf_8(name, text)

    def encode(self) -> bytes:
        """The event as it goes on the wire, ending with its blank line."""
        lines: list[str] = []
        if self.comment is not None:
            lines += [f": {line}" for line in _LINE_BREAKS.split(self.comment)]
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {int(self.retry)}")  # an IntEnum's digits too
        if self.data is not None:
            text = (
                self.data
                if isinstance(self.data, str)
                else self.data.decode()
                if isinstance(self.data, bytes)
                else json_bytes(self.data).decode()
            )
            lines += [f"data: {line}" for line in _LINE_BREAKS.split(text)]
        return ("\n".join(lines) + "\n\n").encode()


def _utf_8(name: str, text: str) -> None:
    """Refuse text the event stream cannot carry: a lone surrogate (from bytes decoded with
    ``surrogateescape``, say) has no UTF-8, and failed mid-stream, cutting it."""
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise ValueError(f"A server-sent event's {name} must be UTF-8 text: {exc}") from None


class EventSourceResponse(StreamingResponse):
    """A stream of server-sent events for a browser's ``EventSource``.

    ``content`` yields ``ServerSentEvent`` items, or plain data (a string, a model, a dict),
    each sent as one event. A ``: ping`` comment goes out after ``ping`` seconds without an
    event (``None``: never) so that proxies keep the connection open; the headers ask proxies
    not to buffer. When the client leaves, or the server shuts down, the generator is closed
    (its ``finally`` runs). Read the browser's ``Last-Event-ID`` as a typed header parameter::

        async def events(
            connection: Connection,
            last_event_id: Annotated[int | None, Header(alias="Last-Event-ID")] = None,
        ) -> EventSourceResponse: ...
    """

    media_type = "text/event-stream; charset=utf-8"

    def __init__(
        self,
        content: AsyncIterable[object] | Iterable[object],
        connection: Connection | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        ping: float | None = 15.0,
        background: Background | None = None,
    ) -> None:
        _check_iterable(content, "EventSourceResponse")
        if ping is not None and not ping > 0:  # 0 (or NaN) sent pings as fast as it could
            raise ValueError(
                f"EventSourceResponse(ping={ping!r}): ping is how many seconds without an "
                "event before a ping comment goes out, more than 0 (or None: never)"
            )
        merged = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **(headers or {})}
        super().__init__((), connection, status_code, merged, background=background)
        self.source = content
        self.ping = ping

    def _chunks(self, connection: Connection) -> AsyncIterable[bytes | str]:
        return _events(_asynchronous(self.source, connection))

    async def _send(self, connection: Connection) -> None:
        await _send_streamed(
            connection,
            self.status_code,
            [*self.raw_headers],
            self._chunks(connection),
            ping=self.ping,
        )


async def _events(content: AsyncIterable[object]) -> AsyncIterator[bytes]:
    # Iterated by the stream's task, as a StreamingResponse's chunks are: one task steps the
    # app's generator from its first event to its last, so a timeout, a cancel scope or a
    # context variable in it spans its events (pings come from a task of their own).
    try:
        async for item in content:
            yield _event_bytes(item)
    finally:
        if isinstance(content, AsyncGenerator):
            await content.aclose()  # the app's generator gets its finally run


def _event_bytes(item: object) -> bytes:
    """``item`` as the event it stands for: ``ServerSentEvent(item).encode()``, without making
    the event for plain data (benchmarks/sse.py, ping=None: 3.0 -> 0.9 µs an event)."""
    kind = type(item)
    if kind is str:
        text = cast("str", item)
        if "\n" not in text and "\r" not in text:
            with contextlib.suppress(UnicodeEncodeError):  # else the event says what is wrong
                return b"data: " + text.encode() + b"\n\n"
    elif kind is not ServerSentEvent and kind is not bytes and item is not None:
        return b"data: " + json_bytes(item) + b"\n\n"  # JSON holds no raw line break
    return (item if isinstance(item, ServerSentEvent) else ServerSentEvent(item)).encode()


async def _file_chunks(
    path: str, start: int, stop: int, chunk_size: int
) -> AsyncGenerator[bytes, None]:
    file = _FileInThreads(path)
    try:
        await file.open_at(start)
        remaining = stop - start
        while remaining > 0:
            data = await file.read(min(chunk_size, remaining))
            if not data:
                # Shorter than its response said (it changed as it was sent): ended here, the
                # body would look whole to a server that does not count it, and to one that
                # does the cause would be its own error about lengths.
                raise RuntimeError(
                    f"{path!r} ended {remaining} bytes short of the {stop - start} its response "
                    "declared: the file changed while it was sent"
                )
            remaining -= len(data)
            yield data
    finally:
        file.close()


class _FileInThreads:
    """A file opened and read in worker threads, closed once, by whoever is last.

    The stream is cancelled when the client leaves, maybe while a thread opens or reads the
    file: the file must then be neither left open nor closed under that read. A thread that
    finds the file abandoned when its call is over closes it; otherwise ``close`` does.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._file: io.BufferedReader | None = None
        self._lock = threading.Lock()
        self._busy = False  # a thread's call is running
        self._abandoned = False

    async def open_at(self, start: int) -> None:
        def open_and_seek() -> None:
            self._file = open(self.path, "rb")  # noqa: SIM115  # closed by close() or a thread
            self._file.seek(start)

        await self._run(open_and_seek)

    async def read(self, size: int) -> bytes:
        file = self._file
        assert file is not None  # opened first
        return await self._run(functools.partial(file.read, size))

    async def _run(self, call: Callable[[], _T]) -> _T:
        self._busy = True  # one call at a time: the previous one has returned
        # Shielded: a call cancelled before its thread took it would never run, and never
        # clear _busy, so the file would be closed by no one.
        running = asyncio.get_running_loop().run_in_executor(None, self._in_thread, call)
        return await asyncio.shield(running)

    def _in_thread(self, call: Callable[[], _T]) -> _T:
        try:
            return call()
        finally:
            with self._lock:
                self._busy = False
                if self._abandoned:
                    self._close_now()

    def close(self) -> None:
        with self._lock:
            self._abandoned = True
            if not self._busy:
                self._close_now()

    def _close_now(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


async def _send_streamed(
    connection: Connection,
    status: int,
    headers: RawHeaders,
    content: AsyncIterable[bytes | str],
    *,
    ping: float | None = None,
) -> None:
    await connection.respond_start(status, headers)
    if connection.method == "HEAD":
        # The headers are the whole answer: nothing of the body would reach the client, and
        # an endless stream would hold the connection (and its next request) for ever.
        await connection.finish()
        if isinstance(content, AsyncGenerator):
            await content.aclose()
        return
    # Servers drop sends after a disconnect without telling the app, so an endless stream
    # would run forever: stop it as soon as the client leaves, even while it waits.
    stream = asyncio.ensure_future(
        _stream(connection, content) if ping is None else _pinged(connection, content, ping)
    )
    watcher = asyncio.ensure_future(connection.wait_stopped())
    try:
        await asyncio.wait((stream, watcher), return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not stream.done():
            stream.cancel()
        await asyncio.gather(stream, watcher, return_exceptions=True)
    if stream.cancelled():
        if connection.client_gone:
            connection.finished = True  # nothing more can reach the client
        elif not connection.finished:
            await connection.finish()  # the server is shutting down: end the body cleanly
        return
    exc = stream.exception()
    if exc is not None:
        try:
            raise exc
        finally:  # this frame, in the error's traceback, must not hold the error: a cycle
            del exc, stream


async def _stream(connection: Connection, content: AsyncIterable[bytes | str]) -> None:
    try:
        async for chunk in content:
            await connection.send(chunk)
        await connection.finish()
    finally:
        # A generator left at a `yield` when the client left still gets its `finally` run.
        if isinstance(content, AsyncGenerator):
            await content.aclose()


_CLOCK_RESOLUTION = time.get_clock_info("monotonic").resolution


class _Idle:
    """When a pinged stream last sent something, and the turn to send (its lock)."""

    __slots__ = ("since", "turn")

    def __init__(self) -> None:
        self.since = asyncio.get_running_loop().time()
        self.turn = asyncio.Lock()


async def _pinged(connection: Connection, content: AsyncIterable[bytes | str], ping: float) -> None:
    """``_stream``, with a ``: ping`` comment sent by a task of its own after ``ping`` seconds
    with nothing sent. This task iterates ``content`` as ``_stream`` does; a turn (a lock no
    one holds but while sending, so taking it costs no wait) keeps the two sends apart."""
    idle = _Idle()
    pinger = asyncio.ensure_future(_ping(connection, idle, ping))
    loop = asyncio.get_running_loop()
    try:
        async for chunk in content:
            async with idle.turn:
                await connection.send(chunk)
            idle.since = loop.time()
        async with idle.turn:
            await connection.finish()
    finally:
        pinger.cancel()
        await asyncio.gather(pinger, return_exceptions=True)
        if isinstance(content, AsyncGenerator):
            await content.aclose()


async def _ping(connection: Connection, idle: _Idle, ping: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(max(idle.since + ping - loop.time(), 0.0))
        # A timer may run up to the clock's resolution early (asyncio's own rule): due then.
        if idle.since + ping - loop.time() > _CLOCK_RESOLUTION:
            continue  # something went out meanwhile
        async with idle.turn:
            if connection.finished:
                return
            try:
                await connection.send(b": ping\n\n")
            except ClientDisconnect:
                return  # the stream hears of it too, and stops
            except Exception:  # the server's: said, then the stream's next send meets it
                logger.exception("Sending a ping to an event stream failed; no more pings")
                return
        idle.since = loop.time()


def error_response(exc: HTTPError) -> HttpResponse:
    """Turn an ``HTTPError`` into the response it stands for (text or JSON detail)."""
    detail = exc.detail
    if isinstance(detail, str):
        return HttpResponse(detail, status_code=exc.status_code, headers=exc.headers)
    return JsonResponse(detail, status_code=exc.status_code, headers=exc.headers)


# Results: what a handler returned, sent as a response -------------------------------------------
_OCTETS = (b"content-type", b"application/octet-stream")


def _dump_any(value: object) -> tuple[RawHeaders, bytes]:
    if isinstance(value, str):
        content_type, body = TEXT_TYPE, value.encode()
    elif isinstance(value, bytes):
        content_type, body = _OCTETS, value
    else:
        try:
            content_type, body = JSON_TYPE, json_bytes(value)
        except PydanticSerializationError:
            kind = type(value)
            if is_asgi_class(kind):  # Starlette's JSONResponse, say, from an app being ported
                shown = f"{kind.__module__}.{kind.__qualname__}"
                problem = f"The handler returned a {shown}, {OTHER_FRAMEWORKS_RESPONSE}"
                raise TypeError(problem) from None
            raise
    return [content_type, length_header(len(body))], body


OTHER_FRAMEWORKS_RESPONSE = (
    "another framework's response, which aaf does not send: return one of "
    "aaf.response's (HttpResponse, JsonResponse, HtmlResponse, RedirectResponse, "
    "StreamingResponse, FileResponse)"
)


def is_asgi_class(kind: object) -> bool:
    """A class whose instances are ASGI apps (``async def __call__(scope, receive, send)``)."""
    # The method the class defines, not the class's own call (which makes an instance).
    call = inspect.getattr_static(kind, "__call__", None) if isinstance(kind, type) else None
    return inspect.iscoroutinefunction(call) and len(inspect.signature(call).parameters) == 4


def result_encoder(
    annotation: object,
    qualname: str = "handler",
    *,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
) -> ResultEncoder:
    """Build the encoder of a handler's results from its return annotation, once.

    No annotation, ``Any`` and ``object`` dump the value as it is; so do ``str`` and ``bytes``
    (and a union of them), for a value of that type, while any other value does not fit them
    (nor ``None``, nor an annotation of response classes only). Any other type **validates**
    the value (dicts, other models and objects with
    attributes alike) and serializes it through the annotation by alias, so a declared model
    decides what goes out: a ``password`` key never leaks, and a value that does not fit is a
    ``ResponseValidationError`` (a 500, logged), never a 200 with unchecked data. The
    ``exclude_*`` options leave fields out of what goes out, as pydantic's dump does.

    Raises:
        PydanticSchemaGenerationError: pydantic cannot serialize the annotation.
    """
    if annotation is None or annotation is Any or annotation is object:
        return _dump_any
    members = union_members(annotation)
    data_members: list[object] = [
        m
        for m in members
        if not (isinstance(m, type) and issubclass(m, HttpResponse)) and m is not type(None)
    ]
    if not data_members or all(m is str or m is bytes for m in data_members):
        kinds = tuple(cast("list[type]", data_members))
        return _as_is(kinds, " | ".join(_type_name(m) for m in members), qualname)
    text_allowed = str in data_members
    # A union with response classes serializes only its data members.
    target: object = (
        annotation if len(data_members) == len(members) else Union[tuple(data_members)]  # noqa: UP007  # pyright: ignore[reportUnknownArgumentType]
    )
    adapter: TypeAdapter[object] = TypeAdapter(target)  # type: ignore[arg-type]  # a runtime annotation
    # PERF: the core validator and serializer directly, skipping TypeAdapter's wrappers
    # (0.6 µs a call, benchmarks/typed_cost.py); an instance of the model is not revalidated.
    validate = adapter.validator.validate_python
    dump = adapter.serializer.to_json
    if exclude_unset or exclude_defaults or exclude_none:
        dump = functools.partial(
            dump,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )
    # PERF: an instance of exactly the declared model is what validation would give back
    # (pydantic does not revalidate instances unless the model asks): dump it straight away
    # (benchmarks/inprocess.py, item model).
    exact: type | None = (
        target
        if isinstance(target, type)
        and issubclass(target, BaseModel)
        and target.model_config.get("revalidate_instances", "never") == "never"
        else None
    )

    # PERF: the core's calls without the options nothing in the annotation reads (0.1 µs
    # each, benchmarks/instructions.py, json and search query): attributes, names and
    # aliases mean nothing to a value with no fields, and validating into Any reads none;
    # an Any may hold a model, written by alias.
    fields = not _plain(adapter.core_schema, _PLAIN_SCHEMAS | {"any"})  # a model has fields
    by_alias = fields or not _plain(adapter.core_schema, _PLAIN_SCHEMAS)

    def encode(value: object) -> tuple[RawHeaders, bytes]:
        if type(value) is exact:
            content_type, body = JSON_TYPE, dump(value, by_alias=True)
        elif text_allowed and isinstance(value, str):
            content_type, body = TEXT_TYPE, value.encode()
        else:
            try:
                checked = (
                    validate(value, from_attributes=True, by_alias=True, by_name=True)
                    if fields
                    else validate(value)
                )
            except ValidationError as exc:
                raise ResponseValidationError(qualname, exc) from None
            content_type = JSON_TYPE
            body = dump(checked, by_alias=True) if by_alias else dump(checked)
        # PERF: length_header inline, a call less per request (benchmarks/instructions.py,
        # item model); LENGTHS says why the table.
        size = len(body)
        return [content_type, LENGTHS[size] if size < SMALL_BODY else length_header(size)], body

    if exact is not None or (not text_allowed and not fields):
        # What the app may call itself (see encoder_parts).
        kind: Literal[1, 2, 3] = 3 if exact is not None else 2 if by_alias else 1
        _PARTS[encode] = EncoderParts(kind, validate, dump, exact)
    return encode


@dataclasses.dataclass(frozen=True, slots=True)
class EncoderParts:
    """The parts of an encoder (result_encoder) that the app may call itself, each way
    giving the body the encoder gives, sent as JSON (kinds 1 to 3) or text (4):

    - ``kind`` 1: every value validated, then dumped: ``dump(validate(value))``; 2: the
      same, ``by_alias=True`` passed to ``dump``; 3: a model's encoder, ``exact``, whose
      other values the encoder itself validates; 0: none of these (the encoder is called);
    - ``exact``: the model whose instances are dumped as they are, ``dump(value,
      by_alias=True)``, when ``type(value) is exact`` (kind 3);
    - kind 4: text (a ``-> str`` handler), no parts: a ``str`` itself goes out as its UTF-8
      with ``text/plain; charset=utf-8``; any other value is the encoder's.

    A value that does not fit fails ``validate`` with a ``ValidationError``, where the
    encoder raises its ``ResponseValidationError``."""

    kind: Literal[0, 1, 2, 3, 4]
    validate: Callable[[object], object]
    dump: Callable[..., bytes]
    exact: type | None


_PARTS: weakref.WeakKeyDictionary[ResultEncoder, EncoderParts] = weakref.WeakKeyDictionary()


def no_part(value: object) -> bytes:
    """Stands for the validator and serializer of an encoder that has none (EncoderParts
    kinds 0 and 4)."""
    raise AssertionError("an encoder's part is called only when it has it")


def encoder_parts(encode: ResultEncoder) -> EncoderParts | None:
    """The parts of ``encode`` the app may call itself (see EncoderParts); None when it has
    none (a value that may go out as text or as data, a value with fields validated from
    attributes, bytes, an encoder not made by result_encoder)."""
    return _PARTS.get(encode)


# Core schema types of values that hold no fields: nothing an alias, a field's name or an
# object's attributes could change in their validation or serialization.
_PLAIN_SCHEMAS = frozenset(
    {
        "bool", "bytes", "date", "datetime", "decimal", "dict", "float", "frozenset", "int",
        "list", "literal", "none", "nullable", "set", "str", "time", "timedelta", "tuple",
        "union", "uuid",
    }
)  # fmt: skip


def _plain(schema: object, plain: frozenset[str]) -> bool:
    """Whether a core schema holds only types in ``plain`` (and nothing else that has a
    type: a model, a dataclass, a TypedDict, a function, a reference, ...)."""
    if isinstance(schema, dict):
        found = cast("dict[str, object]", schema)
        kind = found.get("type")
        if isinstance(kind, str) and kind not in plain:
            return False
        return all(_plain(value, plain) for value in found.values())
    if isinstance(schema, list | tuple):
        return all(_plain(value, plain) for value in cast("list[object]", schema))
    return True


def _as_is(kinds: tuple[type, ...], expected: str, qualname: str) -> ResultEncoder:
    """The encoder of results annotated ``str`` or ``bytes`` (or only ``None`` and response
    classes, which a value to encode never is): a value of ``kinds`` goes out as it is,
    any other does not fit (a ``ResponseValidationError``: a 500, logged)."""

    def encode(value: object) -> tuple[RawHeaders, bytes]:
        if isinstance(value, kinds):
            return _dump_any(value)
        context = {"class": expected}
        line = {"type": "is_instance_of", "loc": (), "input": value, "ctx": context}
        problem = ValidationError.from_exception_data("return value", [line])  # type: ignore[list-item]  # pydantic's InitErrorDetails, as a dict
        raise ResponseValidationError(qualname, problem)

    if kinds == (str,):  # text: what the app may encode itself (see EncoderParts, kind 4)
        _PARTS[encode] = EncoderParts(4, no_part, no_part, None)
    return encode


def _type_name(kind: object) -> str:
    return "None" if kind is type(None) else getattr(kind, "__name__", repr(kind))


def respond_as_set(connection: Connection, headers: RawHeaders, body: bytes) -> Awaitable[None]:
    """Send a returned value, encoded as ``headers`` and ``body``, with the status the handler
    set on the connection instead of its route's (``connection.resp_status_code = 201``, as
    FastAPI's ``response.status_code``); a 204, 205 or 304 without the body.

    Raises:
        ValueError: the status set is not one a response can have.
    """
    status = connection.resp_status_code
    assert status is not None  # the runner checked
    if status not in WITH_BODY:
        if not 200 <= status <= 599:
            raise ValueError(status_problem(status))
        # RFC 9110 8.6: no Content-Length on a 204; a 304's would describe a body not sent,
        # and so would its Content-Type, which a cache would take into a stored page.
        headers = [h for h in headers if h[0] != b"content-length" and h[0] != b"content-type"]
        headers += empty_framing(status)
        body = b""
    return connection.respond_whole(status, headers, body)


async def send_result(
    connection: Connection, result: object, qualname: str, none_status: int = 204
) -> None:
    """Send what the handler ``qualname`` returned, other than a value to encode while the
    response has not started (the runner sends that itself): a response as it is, ``None``
    as ``none_status`` with no body (the route's: 204 unless it declares another), or the
    status the handler set, or nothing more when the handler answered itself; a value after
    the handler started answering is a mistake."""
    if isinstance(result, HttpResponse):
        await result.send_to(connection)
    elif result is None:
        if connection.started and not connection.finished:
            # A stream whose client left (or that the shutdown ended) has been left rightly.
            if not connection.should_stop:
                logger.warning(
                    "%s returned with its response started but not finished; aaf ended it",
                    qualname,
                )
        elif connection.resp_status_code is None:
            connection.resp_status_code = none_status  # what finish() answers
        if not connection.finished:
            await connection.finish()
    else:
        raise RuntimeError(
            f"{qualname} started the response itself and then returned a value; "
            "return None after answering through the connection"
        )
