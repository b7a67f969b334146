"""The page at / and its live feed: a static page whose script reads the API and listens on
a WebSocket for notes anyone writes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from aaf.channels import Groups
from aaf.connection import Connection
from aaf.params import Depends
from aaf.response import FileResponse, HttpResponse, RedirectResponse
from aaf.routing import Router
from aaf.staticfiles import StaticFiles
from aaf.views import WebSocketView
from notes.api import FEED, get_groups

STATIC = Path(__file__).resolve().parent / "static"
router = Router()
router.mount("/static", StaticFiles(STATIC))

# The page loads its script, style and data from this origin only, so that a note's text
# that slipped into the page as markup could run nothing: no inline script, no other host
# ('self' covers the feed's ws:// and wss:// on this host). Nor may another site frame it.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@router.get("/", include_in_schema=False)
async def index(connection: Connection) -> HttpResponse:
    """The notes page (static HTML; static/notes.js does the rest). Its links are relative to
    its own URL: under a prefix, asked for without the final slash (``/notes``), it answers
    with a redirect to the URL that has it (``/notes/``), from which they resolve."""
    if not connection.path.endswith("/"):
        query = connection.scope.get("query_string", b"").decode("latin-1")
        target = quote(connection.path) + "/" + (f"?{query}" if query else "")
        return RedirectResponse(target, status_code=308)
    return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)


@router.websocket("/ws/notes")
class NoteFeed(WebSocketView):
    """One open page: its first frame is ``{"kind": "subscribed"}``, then it gets every
    NoteEvent as a JSON text frame; it sends nothing."""

    groups: Groups

    async def on_connect(
        self, connection: Connection, groups: Groups = Depends(get_groups)
    ) -> None:
        await connection.accept()
        self.groups = groups
        await groups.join(FEED, connection)
        # Subscribed (RedisGroups.join returns once Redis says so): a note written from now
        # on comes on the feed, so the list the page loads after this frame misses nothing.
        await connection.send_json({"kind": "subscribed"})

    async def on_disconnect(self, connection: Connection, code: int) -> None:
        await self.groups.leave(FEED, connection)
