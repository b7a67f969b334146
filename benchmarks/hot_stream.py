"""A stream that awaits nothing but its sends, over a real uvicorn on 127.0.0.1: how long a
client reading as fast as it comes takes to get 200,000 chunks of 11 bytes, and how long a
request from a second client waits meanwhile, for a raw ASGI app, aaf (``StreamingResponse``
and ``connection.send``) and Starlette's ``StreamingResponse``, the apps taking turns.

    .venv/bin/python -m benchmarks.hot_stream [--rounds 3] [--loop uvloop]

A send to a client that keeps up never waits, so such a stream gives the event loop no turn
unless the framework gives it one (aaf: every 16th send); the second client's wait shows it.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.request import urlopen

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.responses import StreamingResponse as StarletteStreaming
from starlette.routing import Route

from aaf import aaf
from aaf.connection import Connection
from aaf.response import StreamingResponse
from aaf.routing import Router
from benchmarks._procs import free_port, stop, wait_up

CHUNKS = 200_000
CHUNK = b"data: tick\n"


async def chunks() -> AsyncIterator[bytes]:
    for _ in range(CHUNKS):
        yield CHUNK


async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if scope["path"] == "/stream":
        for _ in range(CHUNKS):
            await send({"type": "http.response.body", "body": CHUNK, "more_body": True})
    await send({"type": "http.response.body", "body": b"pong"})


router = Router()


@router.get("/stream")
async def aaf_stream(connection: Connection) -> StreamingResponse:
    return StreamingResponse(chunks())


@router.get("/send")
async def aaf_send(connection: Connection) -> None:
    for _ in range(CHUNKS):
        await connection.send(CHUNK)
    await connection.finish()


@router.get("/ping")
async def aaf_ping(connection: Connection) -> str:
    return "pong"


aaf_app = aaf([router])


async def starlette_stream(request: Request) -> StarletteStreaming:
    return StarletteStreaming(chunks())


async def starlette_ping(request: Request) -> PlainTextResponse:
    return PlainTextResponse("pong")


starlette_app = Starlette(
    routes=[Route("/stream", starlette_stream), Route("/ping", starlette_ping)]
)

# (label, app, path of the stream)
CASES = [
    ("raw ASGI", "raw", "/stream"),
    ("aaf StreamingResponse", "aaf_app", "/stream"),
    ("aaf connection.send", "aaf_app", "/send"),
    ("Starlette StreamingResponse", "starlette_app", "/stream"),
]


def start(app: str, loop: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", f"benchmarks.hot_stream:{app}", "--host", "127.0.0.1",
        "--port", str(port), "--http", "httptools", "--loop", loop, "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command)
    wait_up(server, f"http://127.0.0.1:{port}/ping", app)
    return server, port


def one_round(port: int, path: str) -> tuple[float, float]:
    """The stream's download time, and the longest a ping waited while it ran (seconds)."""
    started = threading.Event()
    took: list[float] = []

    def download() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            begin = time.perf_counter()
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            while sock.recv(1 << 20):
                started.set()
            took.append(time.perf_counter() - begin)

    reader = threading.Thread(target=download)
    reader.start()
    started.wait(30)
    waits: list[float] = []
    while reader.is_alive() and len(waits) < 20:
        begin = time.perf_counter()
        with urlopen(f"http://127.0.0.1:{port}/ping", timeout=30) as answer:
            answer.read()
        waits.append(time.perf_counter() - begin)
        time.sleep(0.01)
    reader.join(60)
    return took[0], max(waits, default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loop", default="auto", help="uvicorn's --loop (uvloop where installed)")
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in CASES}
    for _ in range(args.rounds):
        for label, app, path in CASES:
            server, port = start(app, args.loop)
            try:
                results[label].append(one_round(port, path))
            finally:
                stop(server)
    raw_time = statistics.median(took for took, _ in results["raw ASGI"])
    print(
        f"| {CHUNKS:,} chunks of {len(CHUNK)} bytes | stream, s | ratio to raw "
        "| longest wait of another request, ms |"
    )
    print("|---|---|---|---|")
    for label, rounds in results.items():
        took = statistics.median(t for t, _ in rounds)
        wait = statistics.median(w for _, w in rounds)
        print(f"| {label} | {took:.2f} | {took / raw_time:.2f}x | {wait * 1000:.1f} |")


if __name__ == "__main__":
    main()
