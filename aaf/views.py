"""Class-based views: one class per resource, one method per HTTP verb."""

from __future__ import annotations

from typing import ClassVar

from aaf._rules import HTTP_METHODS
from aaf.connection import Connection
from aaf.response import HttpResponse

__all__ = ["HTTP_METHODS", "View", "WebSocketView"]


class View:
    """A resource whose ``get``/``post``/... methods answer those HTTP methods.

    A new instance serves each request, so attributes set on ``self`` are per-request. The
    methods a class defines are read once, when the class is created::

        class ItemView(View):
            async def get(self, connection: Connection, item_id: int) -> Item: ...
    """

    allowed_methods: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.allowed_methods = frozenset(
            name.upper() for name in HTTP_METHODS if callable(getattr(cls, name, None))
        )

    async def before(self, connection: Connection) -> HttpResponse | None:
        """Run before every method handler; return a response (or raise) to answer instead."""
        return None


class WebSocketView:
    """A WebSocket endpoint with hooks for connecting, each message and leaving.

    Define any of these (the router reads them once, at registration)::

        async def on_connect(self, connection: Connection, room: str) -> None: ...
        async def on_receive(self, connection: Connection, data: Message) -> None: ...
        async def on_disconnect(self, connection: Connection, code: int) -> None: ...

    ``on_connect`` gets the path parameters and accepts the connection when not defined.
    ``on_receive``'s annotation on ``data`` decides how frames are read: ``str`` takes text
    frames, ``bytes`` binary ones, and any other type is validated by pydantic from JSON. A
    message that fails validation goes to ``on_invalid``, which closes with code 1007.
    Without ``on_receive``, frames are ignored and the session lasts until the client leaves
    (a feed that only sends).
    A new instance serves each connection. Class attributes ``db: Db = Depends(get_db)`` (or
    ``db: Annotated[Db, Depends(get_db)]`` given no value) are set on it before
    ``on_connect``, as a ``View``'s; a generator provider's cleanup runs when the session ends.
    """

    async def on_disconnect(self, connection: Connection, code: int) -> None:
        """Clean up after the client left or the connection closed. ``code`` is the code it
        closed with: the client's, or this side's (``on_invalid``'s 1007, a 1003 for the
        wrong kind of frame, a handler's own ``close``), or for an error the code the session
        is closed with next (1011; 1008 for an ``HTTPError``; a ``WebSocketException``'s)."""

    async def on_invalid(self, connection: Connection, error: str) -> None:
        """Answer a message that failed validation: close with 1007 and the error as reason."""
        await connection.close(1007, error)  # cut to the 123 bytes a close frame holds
