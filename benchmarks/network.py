"""Over the network: each app under uvicorn (1 worker, httptools, uvloop, no access log) on
127.0.0.1, loaded with wrk at 64 connections, every framework in one run, interleaved.

    benchmarks/.venv/bin/python -m benchmarks.network [--seconds 5] [--warmup 2] [--rounds 1]

Prints requests per second (median over rounds) with the ratio to the raw ASGI app, and p99.
Rounds of 5 s after 2 s of warm-up by default: on this project's shared 2-core machine, 3 s
rounds after 1 s spread aaf's per-round ratio to raw over 0.86-1.02 on post model (9 rounds),
5 s after 2 s over 0.93-0.93 (5 rounds, the same hour).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks._procs import free_port, stop, wait_up
from benchmarks.scenarios import FRAMEWORKS, SCENARIOS, Scenario

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# One core for the server, the other for wrk, so they do not take turns on one.
PIN_SERVER = ["taskset", "-c", "1"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
PIN_CLIENT = ["taskset", "-c", "0"] if PIN_SERVER else []


def start_server(
    framework: str, routes: int, wrapper: list[str] = PIN_SERVER, wait: float = 30
) -> tuple[subprocess.Popen[bytes], int]:
    """The app under uvicorn, run through ``wrapper`` (a CPU pin, or valgrind); up to ``wait``
    seconds for its first answer."""
    module = "benchmarks.apps.raw" if framework == "raw" else f"benchmarks.apps.{framework}_app"
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", f"{module}:build_{routes}",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--http", "httptools",
        "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(wrapper + command, cwd=ROOT)
    wait_up(server, f"http://127.0.0.1:{port}/plaintext", framework, wait)
    return server, port


def wrk(port: int, s: Scenario, seconds: float) -> tuple[float, float]:
    """Run wrk once; give requests per second and p99 latency in milliseconds."""
    url = f"http://127.0.0.1:{port}{s.path}" + (f"?{s.query.decode()}" if s.query else "")
    command = [*PIN_CLIENT, "wrk", "-t1", "-c64", f"-d{max(1, round(seconds))}s", "--latency", url]
    if s.method == "POST":
        command[-1:-1] = ["-s", str(HERE / "post.lua")]
    elif s.paths:
        command[-1:-1] = ["-s", str(HERE / "varied.lua")]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out and s.status == 200:
        raise RuntimeError(f"unexpected statuses from port {port} on {s.name}:\n{out}")
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--scenarios", help="comma-separated names; all when not given")
    args = parser.parse_args()
    scenarios = [s for s in SCENARIOS if not args.scenarios or s.name in args.scenarios.split(",")]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    frameworks = args.frameworks.split(",")
    # A SIGTERM still stops the servers this script started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    servers: dict[tuple[str, int], tuple[subprocess.Popen[bytes], int]] = {}
    rps: dict[str, dict[str, list[float]]] = {
        f: {s.name: [] for s in scenarios} for f in frameworks
    }
    p99: dict[str, dict[str, list[float]]] = {
        f: {s.name: [] for s in scenarios} for f in frameworks
    }
    try:
        for framework in frameworks:
            for routes in sorted({s.routes for s in scenarios}):
                servers[framework, routes] = start_server(framework, routes)
        for _ in range(args.rounds):
            for s in scenarios:
                for framework in frameworks:  # interleaved: one framework after another
                    port = servers[framework, s.routes][1]
                    wrk(port, s, args.warmup)
                    got_rps, got_p99 = wrk(port, s, args.seconds)
                    rps[framework][s.name].append(got_rps)
                    p99[framework][s.name].append(got_p99)
                    print(
                        f"{s.name:>14} {framework:>11} {got_rps:>9.0f} req/s  p99 {got_p99:.2f} ms",
                        flush=True,
                    )
    finally:
        for server, _ in servers.values():
            stop(server)
    print(
        f"\nOver the network, requests per second (median of {args.rounds} rounds; in brackets the "
        "median per-round ratio to raw ASGI, then the lowest and highest) and p99 latency "
        "(median, then its ratio to raw's median)\n"
    )
    names = frameworks
    print(f"| scenario | {' | '.join(names)} |")
    print("|" + "---|" * (len(names) + 1))
    for s in scenarios:
        cells = []
        for name in names:
            value = statistics.median(rps[name][s.name])
            latency = statistics.median(p99[name][s.name])
            ratio = latency_ratio = ""
            if "raw" in rps and name != "raw":
                # The ratio within each round (the two ran seconds apart), then the median and
                # the spread: steadier than a ratio of medians on a shared, noisy machine.
                ratios = [
                    mine / raw
                    for mine, raw in zip(rps[name][s.name], rps["raw"][s.name], strict=True)
                ]
                ratio = f" ({statistics.median(ratios):.2f}; {min(ratios):.2f}-{max(ratios):.2f})"
                latency_ratio = f" ({latency / statistics.median(p99['raw'][s.name]):.1f}x)"
            cells.append(f"{value:,.0f}{ratio}, p99 {latency:.1f} ms{latency_ratio}")
        print(f"| {s.name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
