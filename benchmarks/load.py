"""Load test: a real uvicorn on 127.0.0.1, 64 concurrent connections, a mix of routes.

Reports unexpected statuses (must be zero), throughput and the server's memory after warm-up
and at the end; then a million requests on paths never seen before (item ids and 404s), after
which the server's memory must be where it was (aaf keeps nothing per path). Run with
`make load` (or `.venv/bin/python benchmarks/load.py --requests N --distinct N`).
Needs nothing beyond the project's .venv: the client is a small raw HTTP/1.1 one.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._procs import free_port, stop, wait_up  # noqa: E402  # run as a script

HERE = Path(__file__).resolve().parent
# (method, path, json body, expected status): the last five fail on purpose.
MIX: list[tuple[str, str, object, int]] = [
    ("GET", "/plaintext", None, 200),
    ("GET", "/items/42", None, 200),
    ("GET", "/search?q=lamp&limit=5", None, 200),
    ("POST", "/items", {"id": 1, "name": "desk", "price": 99.5}, 201),
    ("POST", "/items", {"id": "x", "price": -1}, 422),
    ("GET", "/search?limit=abc", None, 422),
    ("GET", "/missing", None, 404),
    ("DELETE", "/plaintext", None, 405),
    ("GET", "/unavailable", None, 503),
]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS line")


def encode(method: str, path: str, body: object) -> bytes:
    """Build one keep-alive HTTP/1.1 request."""
    payload = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(payload)}\r\n"
    if body is not None:
        head += "Content-Type: application/json\r\n"
    return head.encode() + b"\r\n" + payload


MIX_REQUESTS = [encode(method, path, body) for method, path, body, _ in MIX]


async def read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) != b"\r\n":
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


Pick = Callable[[int], tuple[bytes, int, str]]  # request n -> (bytes, expected status, label)


def mixed(n: int) -> tuple[bytes, int, str]:
    """The mix above, in turn."""
    method, path, _, expected = MIX[n % len(MIX)]
    return MIX_REQUESTS[n % len(MIX)], expected, f"{method} {path}"


def distinct(n: int) -> tuple[bytes, int, str]:
    """A path no request before used: an item id, or a path nothing matches."""
    if n % 2:
        return encode("GET", f"/nowhere/{n}", None), 404, "GET /nowhere/<n>"
    return encode("GET", f"/items/{n}", None), 200, "GET /items/<n>"


async def drive(
    port: int, total: int, concurrency: int, pick: Pick = mixed
) -> tuple[int, dict[str, int], float]:
    """Send ``total`` requests over ``concurrency`` keep-alive connections; count surprises.

    A small raw HTTP/1.1 client: httpx's async pool would be the bottleneck at 64 connections.
    """
    counter = itertools.count()
    unexpected: dict[str, int] = {}

    async def worker() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        done = 0
        try:
            while (n := next(counter)) < total:
                request, expected, label = pick(n)
                writer.write(request)
                status = await read_response(reader)
                if status != expected:
                    key = f"{label} -> {status}"
                    unexpected[key] = unexpected.get(key, 0) + 1
                done += 1
        finally:
            writer.close()
            await writer.wait_closed()
        return done

    start = time.perf_counter()
    counts = await asyncio.wait_for(
        asyncio.gather(*(worker() for _ in range(concurrency))), timeout=1200
    )
    return sum(counts), unexpected, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=30_000)
    parser.add_argument("--warmup", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--distinct", type=int, default=1_000_000, help="then this many never-repeated paths"
    )
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(HERE),
            "loadapp:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(server, base + "/plaintext", "uvicorn", 20)
        start_rss = rss_kib(server.pid)
        asyncio.run(drive(port, args.warmup, args.concurrency))
        warm_rss = rss_kib(server.pid)
        done, unexpected, elapsed = asyncio.run(drive(port, args.requests, args.concurrency))
        end_rss = rss_kib(server.pid)
        many, odd, many_elapsed = asyncio.run(
            drive(port, args.distinct, args.concurrency, distinct)
        )
        distinct_rss = rss_kib(server.pid)
    finally:
        stop(server)
    growth = (end_rss - warm_rss) / warm_rss * 100
    distinct_growth = (distinct_rss - end_rss) / end_rss * 100
    print(
        f"requests          {done} at concurrency {args.concurrency} "
        f"({len(MIX)} routes, 5 failing on purpose)"
    )
    print(f"unexpected        {sum(unexpected.values())} {unexpected or ''}")
    print(f"throughput        {done / elapsed:,.0f} req/s over {elapsed:.1f} s")
    print(
        f"server RSS        start {start_rss} KiB, after warm-up {warm_rss} KiB, end {end_rss} KiB"
    )
    print(f"growth after warm-up  {growth:+.2f} % (limit 5 %)")
    print(
        f"distinct paths    {many} never repeated (half 200, half 404), "
        f"{many / many_elapsed:,.0f} req/s, unexpected {sum(odd.values())} {odd or ''}"
    )
    print(f"server RSS        after them {distinct_rss} KiB ({distinct_growth:+.2f} %, limit 5 %)")
    ok = not unexpected and not odd and growth < 5 and distinct_growth < 5
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
