"""In-process benchmark: each app driven directly on one event loop, no server, no network.

A prebuilt scope (copied per request, as a server makes a new one), a receive that returns the
body, a send that discards. Each app's answer is checked once before timing. Prints
microseconds per request (median of the repetitions) and the ratio to the raw ASGI app.

    benchmarks/.venv/bin/python -m benchmarks.inprocess [--reps 5] [--seconds 0.2] [--cold]

With ``--cold`` every request is followed by a copy of 1 MiB (read and written: the whole of
this machine's 2 MiB L2 cache per core), so each request starts with cold caches, as it does
under a server where the kernel, the event loop and the HTTP parser run in between; the
time of the copy (measured beside each app, with an app that does nothing) is taken off.
An app's cost here is as much the memory it touches (code, functions, objects) as the
instructions it runs; this is the figure that tracks the network run's ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import statistics
import time
from typing import Any

from benchmarks.scenarios import FRAMEWORKS, SCENARIOS, Scenario

Message = dict[str, Any]


def scope_for(s: Scenario) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
    if s.body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(s.body)).encode()),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": s.method,
        "scheme": "http",
        "path": s.path,
        "raw_path": s.path.encode(),
        "query_string": s.query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def start(app: Any) -> tuple[asyncio.Task[None], asyncio.Queue[Message]]:
    """Run the app's lifespan startup (BlackSheep and Litestar need it)."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    message = await asyncio.wait_for(outbox.get(), 10)
    assert message["type"] == "lifespan.startup.complete", message
    return task, inbox


async def answer(app: Any, s: Scenario) -> tuple[int, bytes]:
    sent: list[Message] = []
    request = {"type": "http.request", "body": s.body, "more_body": False}

    async def receive() -> Message:
        return request

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope_for(s), receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


async def nothing(scope: Any, receive: Any, send: Any) -> None:
    """An app that does nothing: the time of the harness itself, taken off in ``--cold``."""


FLUSH = bytearray(1 << 20)


async def per_request(app: Any, s: Scenario, seconds: float, cold: bool = False) -> float:
    """Microseconds per request, timing batches until ``seconds`` have passed (with ``cold``,
    a 1 MiB copy after each request)."""
    scope = scope_for(s)
    request = {"type": "http.request", "body": s.body, "more_body": False}

    async def receive() -> Message:
        return request

    async def send(message: Message) -> None:
        return None

    count, elapsed = 0, 0.0
    # Scopes built before timing: a varied scenario pays for no string work of its own.
    scopes = [scope | {"path": p, "raw_path": p.encode()} for p in s.paths] or [scope]
    gc.collect()
    while elapsed < seconds:
        began = time.perf_counter()
        if cold:
            for i in range(200):
                await app(scopes[(count + i) % len(scopes)].copy(), receive, send)
                bytes(FLUSH)
        else:
            for i in range(200):
                await app(scopes[(count + i) % len(scopes)].copy(), receive, send)
        elapsed += time.perf_counter() - began
        count += 200
    return elapsed / count * 1e6


async def main_async(
    reps: int, seconds: float, frameworks: list[str], cold: bool = False
) -> dict[str, dict[str, float]]:
    apps: dict[tuple[str, int], Any] = {}
    tasks = []
    for name in frameworks:
        module = importlib.import_module(
            f"benchmarks.apps.{name}_app" if name != "raw" else "benchmarks.apps.raw"
        )
        for routes in sorted({s.routes for s in SCENARIOS}):
            app = module.build(routes)
            tasks.append(await start(app))
            apps[name, routes] = app
    for name in frameworks:
        for s in SCENARIOS:
            status, body = await answer(apps[name, s.routes], s)
            if status != s.status or not s.check(body):
                raise SystemExit(f"{name} answered {s.name} wrongly: {status} {body[:200]!r}")
    samples: dict[str, dict[str, list[float]]] = {
        n: {s.name: [] for s in SCENARIOS} for n in frameworks
    }
    for s in SCENARIOS:
        for name in frameworks:  # warm-up
            await per_request(apps[name, s.routes], s, seconds / 4, cold)
        for _ in range(reps):  # interleaved, so drift hits every framework alike
            floor = await per_request(nothing, s, seconds, cold) if cold else 0.0
            for name in frameworks:
                took = await per_request(apps[name, s.routes], s, seconds, cold)
                samples[name][s.name].append(took - floor)
    for task, inbox in tasks:
        await inbox.put({"type": "lifespan.shutdown"})
        task.cancel()
    return {n: {k: statistics.median(v) for k, v in per.items()} for n, per in samples.items()}


def table(results: dict[str, dict[str, float]]) -> str:
    names = list(results)
    header = f"| scenario | {' | '.join(names)} |"
    lines = [header, "|" + "---|" * (len(names) + 1)]
    for s in SCENARIOS:
        raw = results["raw"][s.name] if "raw" in results else None
        cells = []
        for name in names:
            value = results[name][s.name]
            cells.append(
                f"{value:.1f} µs" + (f" ({value / raw:.2f}x)" if raw and name != "raw" else "")
            )
        lines.append(f"| {s.name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--cold", action="store_true", help="cold caches: see above")
    args = parser.parse_args()
    if {"aaf", "other"} <= set(args.frameworks.split(",")):
        # One process imports one `aaf`: both columns would be the same checkout.
        raise SystemExit(
            "aaf and other share one process here: run `--frameworks raw,aaf` in each "
            "checkout instead, in turns (benchmarks/README.md)"
        )
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results = asyncio.run(
        main_async(args.reps, args.seconds, args.frameworks.split(","), args.cold)
    )
    caches = ", caches cold (a 1 MiB copy between requests, its time taken off)"
    print(f"In-process{caches if args.cold else ''}, µs per request (median), ratio to raw ASGI")
    print("in brackets\n")
    print(table(results))


if __name__ == "__main__":
    main()
