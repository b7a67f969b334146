"""A hand-written ASGI app: the physical limit each framework is compared to.

It does each scenario's work the fastest way at hand, so that no framework can do it in less:
JSON written by pydantic-core's ``to_json`` (the standard library's ``json.dumps`` took 2.8 µs
of a 4.7 µs request, and left frameworks that write with pydantic-core measured faster than
this app), the query string split by hand (``urllib.parse.parse_qsl`` took 4 µs), but the
same checks a framework makes: ``limit`` an integer from 1 to 100, else a 422.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from pydantic_core import to_json

from benchmarks.apps.common import Item

Scope = dict[str, Any]
TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
JSON = [(b"content-type", b"application/json")]


async def _send(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _query(raw: bytes) -> dict[str, str]:
    """The query string's keys and values (the last of a repeated key), unquoted only when
    something in them is escaped."""
    found: dict[str, str] = {}
    for part in raw.decode("latin-1").split("&"):
        key, _, value = part.partition("=")
        if "%" in part or "+" in part:
            key, value = unquote_plus(key), unquote_plus(value)
        found[key] = value
    return found


def build(extra_routes: int = 0) -> Any:
    """The raw app; it has no routes to scale, so `extra_routes` changes nothing."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    else:
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            return
        path = scope["path"]
        if path == "/plaintext":
            await _send(send, 200, TEXT, b"Hello, World!")
        elif path == "/json":
            await _send(send, 200, JSON, to_json({"message": "Hello, World!"}))
        elif path.startswith("/items/") and path[7:].isdigit():
            item = Item(id=int(path[7:]), name="lamp", price=12.5)
            await _send(send, 200, JSON, item.model_dump_json().encode())
        elif path.startswith("/zz/") and path[4:].isdigit():
            await _send(send, 200, JSON, to_json({"id": int(path[4:])}))
        elif path == "/search":
            query = _query(scope["query_string"])
            try:
                limit = int(query.get("limit", 20))
            except ValueError:
                limit = 0
            if not 1 <= limit <= 100 or "q" not in query:
                await _send(send, 422, TEXT, b"bad query")
                return
            await _send(send, 200, JSON, to_json({"q": query["q"], "limit": limit}))
        elif path == "/items" and scope["method"] == "POST":
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            item = Item.model_validate_json(body)
            await _send(send, 200, JSON, item.model_dump_json().encode())
        else:
            await _send(send, 404, TEXT, b"Not found")

    return app


def build_10() -> Any:
    """The app with 10 other routes, for `uvicorn --factory`."""
    return build(10)


def build_1000() -> Any:
    """The app with 1,000 other routes, for `uvicorn --factory`."""
    return build(1000)
