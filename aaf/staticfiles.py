"""Serve a directory of files: an ASGI app to mount on a router.

::

    router.mount("/static", StaticFiles("public", html=True))
"""

from __future__ import annotations

import os
import stat

from werkzeug.security import safe_join

from aaf._types import Receive, Scope, Send
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.response import FileResponse, HttpResponse, RedirectResponse, error_response

__all__ = ["StaticFiles"]


class StaticFiles:
    """An ASGI app serving the files below ``directory``, and nothing outside it.

    A path that would leave the directory (``..``, absolute paths, NUL bytes, symlinks pointing
    out) answers 404 without touching the file system outside. With ``html=True`` a directory
    serves its ``index.html``.
    """

    def __init__(self, directory: str | os.PathLike[str], *, html: bool = False) -> None:
        self.directory = os.path.realpath(directory)
        if not os.path.isdir(self.directory):
            raise ValueError(f"StaticFiles directory {self.directory!r} does not exist")
        self.html = html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await Connection(scope, send=send, receive=receive).close(1000)
            return
        connection = Connection(scope, send=send, receive=receive)
        try:
            await self._answer(connection)
        except HTTPError as exc:
            if not connection.started:
                await error_response(exc).send_to(connection)

    async def _answer(self, connection: Connection) -> None:
        if connection.method not in ("GET", "HEAD"):
            response = HttpResponse(
                "Method Not Allowed", status_code=405, headers={"Allow": "GET, HEAD"}
            )
            await response.send_to(connection)
            return
        relative = connection.route_path
        full = self.resolve(relative)
        if full is None:
            raise HTTPError(404, "Not found")
        mode = os.stat(full).st_mode
        if stat.S_ISDIR(mode):
            index = os.path.join(full, "index.html")
            if not self.html or not os.path.isfile(index):
                raise HTTPError(404, "Not found")
            if not relative.endswith("/"):
                # Relative links in the index page need the slash.
                await RedirectResponse(connection.path + "/", status_code=308).send_to(connection)
                return
            full = index
        await FileResponse(full).send_to(connection)

    def resolve(self, relative: str) -> str | None:
        """Give the real path of ``relative`` inside the directory, or ``None`` if it is not."""
        if "\x00" in relative or "\\" in relative:
            return None
        parts = [part for part in relative.split("/") if part]
        joined = safe_join(self.directory, *parts) if parts else self.directory
        if joined is None:
            return None
        real = os.path.realpath(joined)
        if os.path.commonpath([real, self.directory]) != self.directory:
            return None  # a symlink that points out of the directory
        if not os.path.exists(real):
            return None
        return real
