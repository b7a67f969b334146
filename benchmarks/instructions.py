"""Machine instructions per request, counted by valgrind: a figure that does not move with the
machine's load, for judging a change to the request path on a shared, noisy machine.

    benchmarks/.venv/bin/python -m benchmarks.instructions [--frameworks raw,aaf]
        [--scenarios "plaintext,item model"] [--requests 20000]

Each app is driven in-process as in `benchmarks/inprocess.py` (same scopes, same warm-up of
2,000 requests) under `valgrind --tool=cachegrind`, twice: once with no requests after the
warm-up and once with ``--requests``; the difference, divided by their number, is the cost of
one request. Printed per request: instructions, and misses of a small (8 KiB) first-level
instruction cache, a measure of how much code a request runs through (what a server's own
work evicts between requests; see `inprocess.py --cold`). Two runs at a time, one per core.
Needs valgrind (`apt-get install valgrind`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.inprocess import scope_for, start
from benchmarks.scenarios import SCENARIOS, Scenario

ROOT = Path(__file__).resolve().parent.parent
CACHES = ["--I1=8192,2,64", "--D1=8192,2,64", "--LL=262144,8,64"]
WARM_UP = 2000


def _scenario(name: str) -> Scenario:
    return next(s for s in SCENARIOS if s.name == name)


async def _drive(framework: str, scenario: Scenario, requests: int) -> None:
    module = importlib.import_module(
        "benchmarks.apps.raw" if framework == "raw" else f"benchmarks.apps.{framework}_app"
    )
    app = module.build(scenario.routes)
    await start(app)
    scope = scope_for(scenario)
    scopes = [scope | {"path": p, "raw_path": p.encode()} for p in scenario.paths] or [scope]
    request = {"type": "http.request", "body": scenario.body, "more_body": False}

    async def receive() -> dict[str, Any]:
        return request

    async def send(message: dict[str, Any]) -> None:
        return None

    for count in (WARM_UP, requests):
        for i in range(count):
            await app(scopes[i % len(scopes)].copy(), receive, send)


def _counts(framework: str, scenario: str, requests: int) -> list[int]:
    """Cachegrind's totals (instructions, I1 misses, ...) for one child run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cachegrind.out"
        command = [
            "valgrind", "--tool=cachegrind", "--cache-sim=yes", *CACHES,
            f"--cachegrind-out-file={out}", sys.executable, "-m", "benchmarks.instructions",
            "--child", framework, scenario, str(requests),
        ]  # fmt: skip
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=1800)
        for line in out.read_text().splitlines():
            if line.startswith("summary:"):
                return [int(n) for n in line.split()[1:]]
    raise RuntimeError(f"cachegrind wrote no summary for {framework} {scenario}")


def per_request(framework: str, scenario: str, requests: int) -> tuple[float, float]:
    """(instructions, I1 misses) per request: the run with requests less the one without."""
    with ThreadPoolExecutor(2) as pool:
        empty, full = pool.map(lambda n: _counts(framework, scenario, n), (0, requests))
    return (full[0] - empty[0]) / requests, (full[1] - empty[1]) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frameworks", default="raw,aaf")
    parser.add_argument("--scenarios", help="comma-separated names; all when not given")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        framework, scenario, requests = args.child
        asyncio.run(_drive(framework, _scenario(scenario), int(requests)))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is missing: apt-get install valgrind")
    os.environ.setdefault("PYTHONHASHSEED", "0")  # the same dict layouts in every run
    names = args.scenarios.split(",") if args.scenarios else [s.name for s in SCENARIOS]
    frameworks = args.frameworks.split(",")
    print("Per request, counted by valgrind: instructions (ratio to raw ASGI) / misses of an")
    print("8 KiB instruction cache\n")
    print("| scenario | " + " | ".join(frameworks) + " |")
    print("|---|" + "---|" * len(frameworks))
    for name in names:
        found = {f: per_request(f, name, args.requests) for f in frameworks}
        raw = found["raw"][0] if "raw" in found else None
        cells = [
            f"{ir:,.0f}"
            + (f" ({ir / raw:.2f}x)" if raw and framework != "raw" else "")
            + f" / {misses:,.0f}"
            for framework, (ir, misses) in found.items()
        ]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
