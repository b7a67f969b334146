"""Chat rooms over WebSockets: a typed ``WebSocketView`` and a broadcast group per room.

Run ``uvicorn --app-dir examples chat:app`` and open http://127.0.0.1:8000/ in two tabs. With
``AAF_REDIS_URL=redis://127.0.0.1:6379/0`` set, rooms go through Redis, so that
``uvicorn --workers 4`` (or several hosts) share them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from pydantic import BaseModel, Field

from aaf import App, aaf
from aaf.channels import InMemoryGroups, RedisGroups
from aaf.connection import Connection
from aaf.response import HtmlResponse
from aaf.routing import Router
from aaf.views import WebSocketView

router = Router()
REDIS_URL = os.environ.get("AAF_REDIS_URL")
groups: InMemoryGroups | RedisGroups = RedisGroups(REDIS_URL) if REDIS_URL else InMemoryGroups()


class ChatMessage(BaseModel):
    """What a client sends: validated from each JSON text frame."""

    author: str = Field(min_length=1, max_length=30)
    text: str = Field(min_length=1, max_length=500)


class Posted(ChatMessage):
    """What every member of the room receives."""

    room: str


@router.websocket("/ws/<string(maxlength=40):room>")  # a longer name: no such room
class ChatRoom(WebSocketView):
    """One member of one room."""

    room: str

    async def on_connect(self, connection: Connection, room: str) -> None:
        await connection.accept()
        self.room = room
        await groups.join(room, connection)
        await connection.send_json(Posted(author="system", text=f"welcome to {room}", room=room))

    async def on_receive(self, connection: Connection, data: ChatMessage) -> None:
        await groups.publish_json(self.room, Posted(room=self.room, **data.model_dump()))

    async def on_disconnect(self, connection: Connection, code: int) -> None:
        await groups.leave(self.room, connection)


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>aaf chat</title></head>
<body>
<h1>aaf chat</h1>
<p><input id="room" value="lobby"> <input id="author" value="guest">
<button id="join">Join</button></p>
<ul id="log"></ul>
<form id="say"><input id="text" autocomplete="off"> <button>Send</button></form>
<script>
let socket = null;
const log = (text) => {
  const li = document.createElement("li");
  li.textContent = text;
  document.getElementById("log").appendChild(li);
};
document.getElementById("join").onclick = () => {
  if (socket) socket.close();
  const room = encodeURIComponent(document.getElementById("room").value);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // Below the page's own path: served under a prefix (/chat/ or /chat), the rooms are too.
  const here = location.pathname.endsWith("/") ? location.pathname : `${location.pathname}/`;
  socket = new WebSocket(`${scheme}://${location.host}${here}ws/${room}`);
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    log(`[${message.room}] ${message.author}: ${message.text}`);
  };
  socket.onclose = (event) => log(`closed (${event.code}) ${event.reason}`);
};
document.getElementById("say").onsubmit = (event) => {
  event.preventDefault();
  const text = document.getElementById("text");
  const author = document.getElementById("author").value;
  if (socket) socket.send(JSON.stringify({author, text: text.value}));
  text.value = "";
};
</script>
</body></html>
"""


@router.route("/")
async def page(connection: Connection) -> HtmlResponse:
    return HtmlResponse(PAGE)


@asynccontextmanager
async def lifespan(app: App) -> AsyncGenerator[None]:
    if isinstance(groups, RedisGroups):
        async with groups:  # fails start-up, clearly, when Redis is unreachable
            yield
    else:
        yield


app = aaf([router], lifespan=lifespan, title="aaf chat")
