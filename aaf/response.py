"""Response objects: return one from a handler, or ``await`` one bound to a connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Generator, Mapping
from datetime import datetime, timedelta

from pydantic_core import to_json
from werkzeug.urls import iri_to_uri

from aaf._types import RawHeaders
from aaf.connection import Connection, SameSite, cookie_header, encode_header
from aaf.exceptions import HTTPError

__all__ = [
    "HtmlResponse",
    "HttpResponse",
    "JsonResponse",
    "RedirectResponse",
    "StreamingResponse",
]


class HttpResponse:
    """A complete response: status, headers and a body sent in one message.

    A ``str`` body goes out as ``text/plain; charset=utf-8`` unless ``headers`` name a
    content type. Return it from a handler, or bind it and await it::

        await HttpResponse("hi", connection)
    """

    media_type = "text/plain; charset=utf-8"

    def __init__(
        self,
        body: bytes | str = "",
        connection: Connection | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.body = body.encode() if isinstance(body, str) else body
        self.connection = connection
        self.status_code = status_code
        self.raw_headers: RawHeaders = self._initial_headers(headers)

    def _initial_headers(self, headers: Mapping[str, str] | None) -> RawHeaders:
        raw: RawHeaders = []
        has_type = False
        if headers:
            for key, value in headers.items():
                name, encoded = encode_header(key, value)
                if name == b"content-length":
                    continue  # aaf sets it from the body
                has_type = has_type or name == b"content-type"
                raw.append((name, encoded))
        if not has_type and self.media_type:
            raw.append((b"content-type", self.media_type.encode("latin-1")))
        return raw

    def set_header(self, key: str, value: str) -> None:
        """Add a header to the response."""
        self.raw_headers.append(encode_header(key, value))

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSite | None = None,
    ) -> None:
        """Set a cookie on the client (werkzeug's ``dump_cookie`` formats it)."""
        self.raw_headers.append(
            cookie_header(
                key,
                value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                samesite=samesite,
            )
        )

    def delete_cookie(self, key: str, *, path: str | None = "/", domain: str | None = None) -> None:
        """Expire a cookie on the client."""
        self.set_cookie(key, "", max_age=0, expires=0, path=path, domain=domain)

    async def send_to(self, connection: Connection) -> None:
        """Send this response on ``connection``."""
        body = self.body
        status = self.status_code
        if status == 204 or status == 304 or status < 200:
            # These carry no body, and 204 must not carry Content-Length (RFC 9110 8.6).
            await connection._respond(status, self.raw_headers, b"")
            return
        headers = [*self.raw_headers, (b"content-length", str(len(body)).encode())]
        await connection._respond(status, headers, body)

    def __await__(self) -> Generator[object, None, None]:
        if self.connection is None:
            raise ValueError(
                f"{type(self).__name__} has no connection to send on: pass one, "
                f"or return the response from the handler"
            )
        return self.send_to(self.connection).__await__()


class JsonResponse(HttpResponse):
    """JSON of ``data``: models, dataclasses, lists of them, dicts, anything pydantic dumps."""

    media_type = "application/json"

    def __init__(
        self,
        data: object,
        connection: Connection | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(to_json(data), connection, status_code, headers)


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
    ) -> None:
        super().__init__(b"", connection, status_code, headers)
        self.raw_headers.append(encode_header("location", iri_to_uri(url)))


class StreamingResponse(HttpResponse):
    """A body sent chunk by chunk as an async iterable produces it."""

    def __init__(
        self,
        content: AsyncIterable[bytes | str],
        connection: Connection | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        if media_type is not None:
            self.media_type = media_type
        super().__init__(b"", connection, status_code, headers)
        self.content = content

    async def send_to(self, connection: Connection) -> None:
        """Start the response, then send each chunk as it comes."""
        connection._check_http_start()
        headers = self.raw_headers
        if connection._resp_headers is not None or connection._resp_cookies is not None:
            headers = connection._pending_headers() + headers
        await connection._start(self.status_code, headers)
        # Servers drop sends after a disconnect without telling the app, so an endless stream
        # would run forever: watch for http.disconnect beside the stream and stop it then.
        stream = asyncio.ensure_future(self._stream(connection))
        watcher = asyncio.ensure_future(_wait_for_disconnect(connection))
        try:
            await asyncio.wait((stream, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
            if not stream.done():
                stream.cancel()
            await asyncio.gather(stream, watcher, return_exceptions=True)
        if stream.cancelled():
            connection.finished = True  # the client left; nothing more can reach it
            return
        exc = stream.exception()
        if exc is not None:
            raise exc

    async def _stream(self, connection: Connection) -> None:
        async for chunk in self.content:
            await connection.send(chunk)
        await connection.finish()


async def _wait_for_disconnect(connection: Connection) -> None:
    while True:
        message = await connection.asgi_receive()
        if message["type"] == "http.disconnect":
            return


def error_response(exc: HTTPError) -> HttpResponse:
    """Turn an ``HTTPError`` into the response it stands for (text or JSON detail)."""
    detail = exc.detail
    if isinstance(detail, str):
        return HttpResponse(detail, status_code=exc.status_code, headers=exc.headers)
    return JsonResponse(detail, status_code=exc.status_code, headers=exc.headers)
