"""The page at / and its live feed: a static page whose script reads the API and listens on
a WebSocket for notes anyone writes."""

from __future__ import annotations

from pathlib import Path

from aaf.channels import Groups
from aaf.connection import Connection
from aaf.params import Depends
from aaf.response import FileResponse
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
async def index(connection: Connection) -> FileResponse:
    """The notes page (static HTML; static/notes.js does the rest)."""
    return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)


@router.websocket("/ws/notes")
class NoteFeed(WebSocketView):
    """One open page: it gets every NoteEvent as a JSON text frame, and sends nothing."""

    groups: Groups

    async def on_connect(
        self, connection: Connection, groups: Groups = Depends(get_groups)
    ) -> None:
        await connection.accept()
        self.groups = groups
        await groups.join(FEED, connection)

    async def on_disconnect(self, connection: Connection, code: int) -> None:
        await self.groups.leave(FEED, connection)
