"""How close to raw ASGI any Python framework can get: a framework's bare skeleton, measured.

The skeleton has only what every framework of aaf's shape must do per request, and nothing
else: a connection object for the handler, a route table lookup, the handler called as a
coroutine and returning a response object, the response's length encoded and its two messages
sent, errors caught. No HEAD handling, no headers merged, no parameters, no middleware, no
lifecycle. It answers plaintext and the 404, beside the raw app and aaf, in the in-process
harness (`benchmarks/inprocess.py`), interleaved:

    benchmarks/.venv/bin/python -m benchmarks.floor [--reps 7] [--seconds 0.2]

Where even the skeleton takes more than twice raw's time, no framework of this shape written in
Python reaches 2x there: the raw app does the whole job in one coroutine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks.apps import aaf_app, raw
from benchmarks.inprocess import per_request, start
from benchmarks.scenarios import SCENARIOS

Message = dict[str, Any]
TEXT = (b"content-type", b"text/plain; charset=utf-8")


class Connection:
    __slots__ = ("app", "path_params", "receive", "scope", "send")

    def __init__(self, scope: Message, receive: Any, send: Any, app: object) -> None:
        self.scope, self.receive, self.send, self.app = scope, receive, send, app
        self.path_params: dict[str, object] = {}


class Response:
    __slots__ = ("body", "status")

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status = body, status


async def plaintext(connection: Connection) -> Response:
    return Response(b"Hello, World!")


Handler = Callable[[Connection], Awaitable[Response]]


class Skeleton:
    def __init__(self, routes: dict[str, Handler]) -> None:
        self.routes = routes

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await receive()
                await send({"type": "lifespan.startup.complete"})
                await receive()
                await send({"type": "lifespan.shutdown.complete"})
            return
        handler = self.routes.get(scope["path"])
        if handler is None:
            await send_whole(send, 404, b"Not found")
            return
        try:
            response = await handler(Connection(scope, receive, send, self))
        except Exception:
            await send_whole(send, 500, b"Internal Server Error")
            return
        await send_whole(send, response.status, response.body)


async def send_whole(send: Any, status: int, body: bytes) -> None:
    headers = [TEXT, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def main_async(reps: int, seconds: float) -> None:
    apps = {"raw": raw.build(10), "skeleton": Skeleton({"/plaintext": plaintext})}
    apps["aaf"] = aaf_app.build(10)
    tasks = [await start(app) for app in apps.values()]
    print("| scenario | " + " | ".join(apps) + " |")
    print("|---|" + "---|" * len(apps))
    for scenario in (s for s in SCENARIOS if s.name in ("plaintext", "not found")):
        for app in apps.values():  # warm-up
            await per_request(app, scenario, seconds / 4)
        samples: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(reps):
            for name, app in apps.items():
                samples[name].append(await per_request(app, scenario, seconds))
        medians = {name: statistics.median(values) for name, values in samples.items()}
        cells = [f"{medians['raw']:.2f} µs"] + [
            f"{medians[name]:.2f} µs ({medians[name] / medians['raw']:.2f}x)"
            for name in apps
            if name != "raw"
        ]
        print(f"| {scenario.name} | " + " | ".join(cells) + " |")
    for task, inbox in tasks:
        await inbox.put({"type": "lifespan.shutdown"})
        task.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main_async(args.reps, args.seconds))


if __name__ == "__main__":
    main()
