"""What one group member that stops reading costs the server: a WebSocket client joins a room
and reads nothing while another sends messages of 1 MiB, which the room relays, over a real
uvicorn. Prints the server's peak RSS and whether the stalled member was dropped, for the
default `max_queue_bytes` (16 messages of `max_message_size`) and for a bound that never
bites (what `max_queue` of 1,000 messages alone allowed).

    .venv/bin/python benchmarks/stalled_member.py [--messages 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._procs import free_port, stop, wait_up  # noqa: E402  # run as a script
from benchmarks.hostile import peak_rss_mib  # noqa: E402

APP = """
import os
from aaf import aaf
from aaf.channels import InMemoryGroups
from aaf.connection import Connection
from aaf.routing import Router

bound = os.environ.get("STALLED_QUEUE_BYTES")
groups = InMemoryGroups(max_queue_bytes=int(bound) if bound else None)
router = Router()


@router.get("/")
async def up(connection: Connection) -> str:
    return "up"


@router.get("/members")
async def members(connection: Connection) -> int:
    return groups.members("room")


@router.websocket("/room")
async def room(connection: Connection) -> None:
    await connection.accept()
    await groups.join("room", connection)
    try:
        async for text in connection.iter_text():
            await groups.publish("room", text)
    finally:
        await groups.leave("room", connection)


app = aaf([router], max_message_size=2 * 1024 * 1024)
"""


def run(bound: int | None, messages: int, folder: Path) -> tuple[float, str]:
    """The server's peak RSS in MiB, and what became of the stalled member (the sender
    has left the room by then: a room of none means the stalled one was dropped)."""
    (folder / "stalled_app.py").write_text(APP)
    port = free_port()
    env = {**os.environ}
    env.pop("STALLED_QUEUE_BYTES", None)
    if bound is not None:
        env["STALLED_QUEUE_BYTES"] = str(bound)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(folder), "stalled_app:app"]
        + ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        + ["--ws-max-size", str(4 * 1024 * 1024)],
        env=env,
    )
    try:
        wait_up(server, f"http://127.0.0.1:{port}/", "uvicorn")
        url = f"ws://127.0.0.1:{port}/room"
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # reads nothing
        stalled.sendall(
            b"GET /room HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        time.sleep(0.5)
        message = "x" * (1024 * 1024 - 8)
        with connect(url, max_size=None, open_timeout=10) as sender:
            for i in range(messages):
                sender.send(f"{i:07} " + message)
                sender.recv(timeout=30)  # its own copy: the room relayed it
        time.sleep(0.5)
        rss = peak_rss_mib(server.pid)
        with urlopen(f"http://127.0.0.1:{port}/members", timeout=5) as answer:
            members = int(answer.read())
        stalled.close()
        ended = "dropped (closed 1013)" if members == 0 else "still a member, its queue held"
        return rss, ended
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aaf-stalled-"))  # the app's module, then gone
    rows = [("default max_queue_bytes (16 MiB)", None), ("max_queue_bytes 2 GiB", 2**31)]
    try:
        for name, bound in rows:
            rss, ended = run(bound, options.messages, folder)
            print(
                f"{name}: {options.messages} messages of 1 MiB, server peak RSS {rss:.0f} "
                f"MiB; the stalled member: {ended}"
            )
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
