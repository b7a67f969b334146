"""An app with a route for each kind of hostile input the tests send (tests/test_hostile.py)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from aaf import App, aaf
from aaf.channels import InMemoryGroups
from aaf.connection import Connection
from aaf.exceptions import ClientDisconnect, HTTPError
from aaf.params import Cookie, Form, Header
from aaf.response import EventSourceResponse, FileResponse, HttpResponse, JsonResponse
from aaf.routing import Router
from aaf.views import WebSocketView

from .._helpers import group_member


class Item(BaseModel):
    id: int
    name: str


class Count(BaseModel):
    count: int


class Circle(BaseModel):
    kind: Literal["circle"]
    radius: float


class Square(BaseModel):
    kind: Literal["square"]
    side: float


class Drawing(BaseModel):
    """Shapes told apart by their tag: pydantic quotes an unknown tag in the error's message
    and context."""

    shapes: list[Annotated[Circle | Square, Field(discriminator="kind")]]


def make_app(tmp: Path, events: dict[str, threading.Event]) -> App:
    """The app; ``events`` gets "stream-ended" set when an endless imperative stream ends."""
    router = Router()
    groups = InMemoryGroups(max_queue=8)
    # A member falls behind by bytes here (1 MiB: 16 of its largest messages) long before
    # its 1,000 messages.
    rooms = {"room": groups, "bigroom": InMemoryGroups(max_message_size=64 * 1024)}
    (tmp / "report.txt").write_text("report")
    (tmp / "downloads").mkdir(exist_ok=True)
    with open(os.path.join(os.fsencode(tmp / "downloads"), b"caf\xe9 \xff.txt"), "wb") as saved:
        saved.write(b"latin-1 name")  # a name in Latin-1, saved by another program

    @router.route("/ok")
    async def ok(connection: Connection) -> str:
        return "ok"

    @router.route("/items", methods=["POST"])
    async def items(connection: Connection, items: list[Item]) -> int:
        return len(items)

    @router.route("/count", methods=["POST"])
    async def count(connection: Connection, body: Count) -> int:
        return body.count

    @router.route("/drawing", methods=["POST"])
    async def drawing(connection: Connection, body: Drawing) -> int:
        return len(body.shapes)

    @router.route("/ids")
    async def ids(connection: Connection, ids: list[int]) -> int:
        return len(ids)

    @router.route("/form", methods=["POST"])
    async def form(connection: Connection, name: Annotated[str, Form()]) -> str:
        return name

    @router.route("/header/put")
    async def put_header(connection: Connection) -> str:
        connection.put_resp_header("X-Bad", "a\x01b")
        return "never"

    @router.route("/header/response")
    async def response_header(connection: Connection) -> HttpResponse:
        return HttpResponse("never", headers={"X-Bad": "a\x7fb"})

    @router.route("/header/error")
    async def error_header(connection: Connection) -> None:
        raise HTTPError(400, "bad", headers={"X-Bad": "a\nInjected: yes"})

    @router.route("/header/media-type")
    async def media_type_header(connection: Connection) -> HttpResponse:
        return HttpResponse("never", media_type="text/plain\r\nX-Bad: yes")

    # Names chosen by the client, as a careless app would let it.
    @router.route("/header/named")
    async def named_header(connection: Connection, name: str) -> HttpResponse:
        return HttpResponse("never", headers={name: "v"})

    @router.route("/cookie/named")
    async def named_cookie(connection: Connection, name: str) -> str:
        connection.put_resp_cookie(name, "v")
        return "never"

    @router.route("/cookie/domain")
    async def cookie_domain(connection: Connection, domain: str) -> HttpResponse:
        response = HttpResponse("never")
        response.set_cookie("theme", "dark", domain=domain)
        return response

    @router.route("/file")
    async def file(connection: Connection) -> FileResponse:
        return FileResponse(tmp / "report.txt", filename='r\x01\r\nép\x7f"ort.txt')

    @router.route("/disk-files")
    async def disk_files(connection: Connection) -> FileResponse:
        # A name on the disk that is not UTF-8, as os.listdir gives it (surrogateescape).
        downloads = tmp / "downloads"
        (name,) = os.listdir(downloads)
        return FileResponse(downloads / name, filename=name)

    @router.route("/forever")
    async def forever(connection: Connection) -> None:
        try:
            while True:
                await connection.send("tick\n")
                await asyncio.sleep(0.01)
        except ClientDisconnect:
            events["stream-ended"].set()
            raise

    @router.route("/late-boom")
    async def late_boom(connection: Connection) -> None:
        await connection.send("partial")
        raise RuntimeError("after the response started")

    @router.route("/session")
    async def session(
        connection: Connection,
        session: Annotated[str, Cookie()] = "",
        x_token: Annotated[str, Header()] = "",
    ) -> str:
        return f"{session}|{x_token}"

    # 5: values JSON cannot say (NaN, the infinities) in every kind of JSON aaf writes.
    odd = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}

    @router.route("/odd/response")
    async def odd_response(connection: Connection) -> JsonResponse:
        return JsonResponse(odd)

    @router.route("/odd/value")
    async def odd_value(connection: Connection) -> object:
        return [odd]

    @router.route("/odd/events")
    async def odd_events(connection: Connection) -> EventSourceResponse:
        async def one() -> AsyncIterator[object]:
            yield odd

        return EventSourceResponse(one())

    @router.websocket("/odd/ws")
    async def odd_ws(connection: Connection) -> None:
        await connection.accept()
        await connection.send_json(odd)
        await groups.join("odd", connection)
        await groups.publish_json("odd", odd)
        await connection.receive_text()  # until the client leaves

    @router.websocket("/ticks")
    async def ticks(connection: Connection) -> None:
        await connection.accept()
        while True:
            await connection.send_text("tick")
            await asyncio.sleep(0.001)

    @router.websocket("/json")
    async def json_frames(connection: Connection) -> None:
        await connection.accept()
        async for message in connection.iter_json():
            await connection.send_json({"echo": message})

    @router.websocket("/text")
    async def text_frames(connection: Connection) -> None:
        await connection.accept()
        async for message in connection.iter_text():
            await connection.send_text(message)

    for room, its_groups in rooms.items():
        router.add_websocket_route(f"/{room}", group_member(its_groups, room), name=room)

    @router.websocket("/typed")
    class Typed(WebSocketView):
        async def on_receive(self, connection: Connection, data: list[Item]) -> None:
            await connection.send_text(str(len(data)))

        async def on_invalid(self, connection: Connection, error: str) -> None:
            # How many errors the message was refused with, besides the first one's place.
            await connection.close(1007, f"{error.count('; ') + 1} errors, {error[:40]}")

    @router.route("/<any(room, bigroom):room>/publish", methods=["POST"])
    async def publish(connection: Connection, room: str, count: int, size: int) -> int:
        queued = 0
        for i in range(count):
            queued += await rooms[room].publish(room, f"{i:08d}" + "x" * size)
            await asyncio.sleep(0)  # let the members' senders run between messages
        return queued

    @router.route("/room/publish-all", methods=["POST"])
    async def publish_all(connection: Connection, count: int) -> int:
        # Awaiting nothing but the publish calls: the members' senders run only when
        # publish lets them.
        queued = 0
        for i in range(count):
            queued += await groups.publish("room", f"{i:08d}")
        return queued

    @router.route("/<any(room, bigroom):room>/members")
    async def members(connection: Connection, room: str) -> int:
        return rooms[room].members(room)

    return aaf([router], max_body_size=16 * 1024 * 1024, max_form_fields=1000)
