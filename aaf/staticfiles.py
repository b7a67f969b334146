"""Serve a directory of files: an ASGI app to mount on a router.

::

    router.mount("/static", StaticFiles("public", html=True))
"""

from __future__ import annotations

import asyncio
import os
import stat
from urllib.parse import quote

from werkzeug.security import safe_join

from aaf._errors import answer_error
from aaf._http import local_location
from aaf._types import Receive, Scope, Send
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.response import FileResponse, HtmlResponse, RedirectResponse

__all__ = ["StaticFiles"]


class StaticFiles:
    """An ASGI app serving the files below ``directory``, and nothing outside it.

    A path that would leave the directory (``..``, absolute paths, NUL bytes, symlinks pointing
    out) answers 404 without touching the file system outside. With ``html=True`` a directory
    serves its ``index.html``, and a path that is no file answers the directory's own
    ``404.html`` (with status 404) when it has one, as Starlette's ``html`` mode does.
    """

    def __init__(self, directory: str | os.PathLike[str], *, html: bool = False) -> None:
        self.directory: str = os.path.realpath(directory)
        if not os.path.isdir(self.directory):
            raise ValueError(f"StaticFiles directory {self.directory!r} does not exist")
        self.html = html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection on its own, answering its errors by aaf's policy. Mounted on
        an aaf router, ``serve`` runs instead, so that the app's ``exception_handlers``
        answer them."""
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await Connection(scope, send=send, receive=receive).close(1000)
            return
        connection = Connection(scope, send=send, receive=receive)
        try:
            await self.serve(connection)
        except Exception as exc:
            await answer_error(connection, exc)
        finally:
            connection.release()

    async def serve(self, connection: Connection) -> None:
        """Answer one HTTP request for the file at ``connection.route_path``.

        Raises:
            HTTPError: 404 for a path that is not a file below the directory (or its
                ``index.html``), 405 for a method other than GET and HEAD.
        """
        if connection.method not in ("GET", "HEAD"):
            raise HTTPError(405, "Method Not Allowed", {"Allow": "GET, HEAD"})
        relative = connection.route_path
        # The mount's own path (/static) is "/" below it: whether a slash ends the path is
        # the client's path's to say.
        slashed = connection.path.endswith("/")
        # The file system may block (a network mount, a cold disk): never on the event loop.
        found = await asyncio.to_thread(self._lookup, relative)
        full, is_dir, has_index = found if found is not None else ("", False, False)
        if (
            found is None
            # A file is not a directory: relative links in it would resolve below it.
            or (not is_dir and slashed)
            or (is_dir and not (self.html and has_index))
        ):
            await self._not_found(connection)
            return
        if is_dir:
            if not slashed:
                # Relative links in the index page need the slash.
                # The path escaped as a path: a `?` in a name is not a query.
                query = connection.scope.get("query_string", b"")
                location = local_location(quote(connection.path) + "/", query)
                await RedirectResponse(location, status_code=308).send_to(connection)
                return
            full = os.path.join(full, "index.html")
        await FileResponse(full).send_to(connection)

    async def _not_found(self, connection: Connection) -> None:
        """404: the directory's ``404.html`` in ``html`` mode, else aaf's (an ``HTTPError``,
        for the app's exception handlers)."""
        page = await asyncio.to_thread(self._page_404) if self.html else None
        if page is None:
            raise HTTPError(404, "Not found")
        # Its text, not a FileResponse: a page standing for what is missing takes no
        # validators or ranges (a 304 or 206 of "not found" means nothing).
        await HtmlResponse(page, status_code=404).send_to(connection)

    def _page_404(self) -> bytes | None:
        full = self.resolve("404.html")  # inside the directory, as every file served
        try:
            with open(full or "", "rb") as page:
                return page.read()
        except OSError:  # none there (or a directory, or unreadable): aaf's own 404
            return None

    def _lookup(self, relative: str) -> tuple[str, bool, bool] | None:
        full = self.resolve(relative)
        if full is None:
            return None
        is_dir = stat.S_ISDIR(os.stat(full).st_mode)
        return full, is_dir, is_dir and os.path.isfile(os.path.join(full, "index.html"))

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
