"""Over the network, counted: what one request costs the server process in machine
instructions, under uvicorn as `benchmarks/network.py` runs it, but under valgrind's
callgrind, so the figure does not move with the machine's load.

    benchmarks/.venv/bin/python -m benchmarks.network_counted [--frameworks raw,aaf]
        [--scenarios "plaintext,item model"] [--requests 2000]

Each app runs under uvicorn (httptools, uvloop, one worker) inside callgrind, with its
simulated caches. Per scenario: a warm-up of 300 requests, the counters zeroed, then
``--requests`` requests from four keep-alive connections (as wrk keeps its connections
open), the counters dumped. Printed per request: instructions in the server process
(uvicorn's parsing and writing, the event loop, the app; the kernel's work on the two
writes and one read is not counted, and is the same for every app), the ratio of each
app's to raw's, and misses of the simulated caches (32 KiB first-level instruction and
data caches, 1 MiB last level).

The wrk figures (`network.py`) are what a user sees; on a shared machine their rounds
spread by a fifth either way. These do not spread: a change's cost over HTTP can be
judged here, and the throughput ratio a quiet machine would show estimated (raw's
instructions over aaf's, if both ran at the same instructions per cycle; more cache
misses per request make aaf's cycles dearer than that). Needs valgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
from pathlib import Path

from benchmarks._procs import stop
from benchmarks.network import start_server
from benchmarks.scenarios import SCENARIOS, Scenario

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 300
CONNECTIONS = 4


def start(framework: str, routes: int, out: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The app under uvicorn as network.py starts it, inside callgrind (which starts Python
    30-60 times slower, so its first answer is waited for longer)."""
    valgrind = [
        "valgrind", "-q", "--tool=callgrind", "--cache-sim=yes", "--I1=32768,8,64",
        "--D1=32768,8,64", "--LL=1048576,16,64", f"--callgrind-out-file={out}",
    ]  # fmt: skip
    return start_server(framework, routes, wrapper=valgrind, wait=300)


def request_bytes(s: Scenario, path: str) -> bytes:
    target = path + (f"?{s.query.decode()}" if s.query else "")
    head = f"{s.method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if s.body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(s.body)}\r\n"
    return (head + "\r\n").encode() + s.body


async def send_requests(port: int, s: Scenario, count: int) -> None:
    """``count`` requests over CONNECTIONS keep-alive connections, one at a time on each;
    every answer read whole and its status checked."""
    paths = list(s.paths) or [s.path]
    shares = [count // CONNECTIONS + (i < count % CONNECTIONS) for i in range(CONNECTIONS)]

    async def one_connection(first: int, share: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in range(first, first + share):
                writer.write(request_bytes(s, paths[i % len(paths)]))
                await writer.drain()
                status = await reader.readline()
                if int(status.split()[1]) != s.status:
                    raise RuntimeError(f"{s.name}: {status!r}")
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
        finally:
            writer.close()

    starts = [sum(shares[:i]) for i in range(CONNECTIONS)]
    await asyncio.wait_for(
        asyncio.gather(*(one_connection(a, n) for a, n in zip(starts, shares, strict=True))),
        timeout=1800,
    )


def control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True, timeout=120)


def totals(dump: Path) -> dict[str, int]:
    events: list[str] = []
    for line in dump.read_text().splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith(("totals:", "summary:")):
            return dict(zip(events, map(int, line.split()[1:]), strict=False))
    raise RuntimeError(f"no totals in {dump}")


def measure(
    framework: str, routes: int, scenarios: list[Scenario], requests: int
) -> dict[str, tuple[float, float, float, float]]:
    """Per scenario, a request's instructions and its misses of the first-level instruction
    and data caches and of the last-level cache."""
    found: dict[str, tuple[float, float, float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server, port = start(framework, routes, Path(tmp) / "callgrind.out")
        try:
            for s in scenarios:
                asyncio.run(send_requests(port, s, WARM_UP))
                control("--zero", str(server.pid))
                asyncio.run(send_requests(port, s, requests))
                before = set(Path(tmp).iterdir())
                control("--dump", str(server.pid))
                dumps = sorted(set(Path(tmp).iterdir()) - before, key=os.path.getmtime)
                counted = totals(dumps[-1])
                found[s.name] = (
                    counted["Ir"] / requests,
                    counted["I1mr"] / requests,
                    (counted["D1mr"] + counted["D1mw"]) / requests,
                    (counted["ILmr"] + counted["DLmr"] + counted["DLmw"]) / requests,
                )
                ir, i1, d1, ll = found[s.name]
                print(
                    f"{s.name:>14} {framework:>6} {ir:>10,.0f} instructions, misses: {i1:>6,.0f}"
                    f" I1 {d1:>6,.0f} D1 {ll:>5,.1f} LL",
                    flush=True,
                )
        finally:
            stop(server)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frameworks", default="raw,aaf")
    parser.add_argument("--scenarios", help="comma-separated names; all when not given")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    scenarios = [s for s in SCENARIOS if not args.scenarios or s.name in args.scenarios.split(",")]
    frameworks = args.frameworks.split(",")
    results: dict[str, dict[str, tuple[float, float, float, float]]] = {f: {} for f in frameworks}
    for framework in frameworks:
        for routes in sorted({s.routes for s in scenarios}):
            chosen = [s for s in scenarios if s.routes == routes]
            results[framework] |= measure(framework, routes, chosen, args.requests)
    print(
        "\nOver the network under callgrind: the server process's instructions a request (in"
        " brackets the ratio to raw ASGI's), then its misses of the I1, D1 and last-level"
        " caches\n"
    )
    print(f"| scenario | {' | '.join(frameworks)} |")
    print("|" + "---|" * (len(frameworks) + 1))
    for s in scenarios:
        cells = []
        for framework in frameworks:
            ir, i1, d1, ll = results[framework][s.name]
            ratio = ""
            if "raw" in results and framework != "raw":
                ratio = f" ({ir / results['raw'][s.name][0]:.2f}x)"
            cells.append(f"{ir:,.0f}{ratio} / {i1:,.0f} / {d1:,.0f} / {ll:,.1f}")
        print(f"| {s.name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
