"""A hand-written ASGI app: the physical limit each framework is compared to."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

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
            await _send(send, 200, JSON, json.dumps({"message": "Hello, World!"}).encode())
        elif path.startswith("/items/") and path[7:].isdigit():
            item = Item(id=int(path[7:]), name="lamp", price=12.5)
            await _send(send, 200, JSON, item.model_dump_json().encode())
        elif path.startswith("/zz/") and path[4:].isdigit():
            await _send(send, 200, JSON, json.dumps({"id": int(path[4:])}).encode())
        elif path == "/search":
            query = dict(parse_qsl(scope["query_string"].decode()))
            try:
                limit = int(query.get("limit", 20))
            except ValueError:
                await _send(send, 422, TEXT, b"bad limit")
                return
            await _send(send, 200, JSON, json.dumps({"q": query["q"], "limit": limit}).encode())
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
