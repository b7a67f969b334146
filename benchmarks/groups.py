"""Fan-out: messages per second and latency (p50/p99, publish to the last member) for 1,000
members, in-memory (one process) against Redis (two processes, 500 members each).

    .venv/bin/python benchmarks/groups.py        (needs redis-server; starts its own)
"""

from __future__ import annotations

import asyncio
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aaf.channels import InMemoryGroups, RedisGroups  # noqa: E402  # run as a script
from benchmarks._procs import free_port  # noqa: E402

MESSAGES = 200
MEMBERS = 1000


class Member:
    def __init__(self, arrivals: dict[int, float]) -> None:
        self.arrivals = arrivals

    async def send_text(self, data: str) -> None:
        n = int(data.split(" ", 1)[0])
        self.arrivals[n] = max(self.arrivals.get(n, 0.0), time.time())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        return None


async def fan_out(groups: InMemoryGroups | RedisGroups, members: int) -> dict[int, float]:
    arrivals: dict[int, float] = {}
    for _ in range(members):
        await groups.join("room", Member(arrivals))
    return arrivals


async def in_memory() -> tuple[float, list[float]]:
    groups = InMemoryGroups()
    arrivals = await fan_out(groups, MEMBERS)
    sent: dict[int, float] = {}
    began = time.time()
    for n in range(MESSAGES):
        sent[n] = time.time()
        await groups.publish("room", f"{n} " + "x" * 100)
        await asyncio.sleep(0)
    while len(arrivals) < MESSAGES or time.time() - max(arrivals.values()) < 0.2:
        await asyncio.sleep(0.05)
    elapsed = max(arrivals.values()) - began
    return MESSAGES / elapsed, [arrivals[n] - sent[n] for n in range(MESSAGES)]


def redis_peer(url: str, ready: multiprocessing.Event, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    async def run() -> None:
        async with RedisGroups(url) as groups:
            arrivals = await fan_out(groups, MEMBERS // 2)
            await asyncio.sleep(0.3)
            ready.set()
            deadline = time.time() + 60
            while len(arrivals) < MESSAGES and time.time() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            results.put(arrivals)

    asyncio.run(run())


async def over_redis(url: str) -> tuple[float, list[float]]:
    ready = multiprocessing.Event()
    results: multiprocessing.Queue[dict[int, float]] = multiprocessing.Queue()
    peer = multiprocessing.Process(target=redis_peer, args=(url, ready, results))
    peer.start()
    async with RedisGroups(url) as groups:
        arrivals = await fan_out(groups, MEMBERS // 2)
        ready.wait(20)
        await asyncio.sleep(0.3)
        sent: dict[int, float] = {}
        began = time.time()
        for n in range(MESSAGES):
            sent[n] = time.time()
            await groups.publish("room", f"{n} " + "x" * 100)
        while len(arrivals) < MESSAGES:
            await asyncio.sleep(0.05)
        other = await asyncio.to_thread(results.get, True, 60)
    peer.join(30)
    last = {n: max(arrivals[n], other.get(n, 0.0)) for n in range(MESSAGES)}
    elapsed = max(last.values()) - began
    return MESSAGES / elapsed, [last[n] - sent[n] for n in range(MESSAGES)]


def line(name: str, rate: float, latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return (
        f"| {name} | {rate:,.0f} msg/s ({rate * MEMBERS:,.0f} deliveries/s) "
        f"| {q[49] * 1000:.1f} ms | {q[98] * 1000:.1f} ms |"
    )


def main() -> None:
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is missing")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        + ["--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        print(f"{MEMBERS} members, {MESSAGES} messages of ~100 bytes")
        print("| backend | throughput | fan-out p50 | fan-out p99 |\n|---|---|---|---|")
        print(line("in-memory, 1 process", *asyncio.run(in_memory())))
        print(line("Redis, 2 processes", *asyncio.run(over_redis(f"redis://127.0.0.1:{port}/0"))))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
