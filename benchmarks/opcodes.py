"""Bytecodes one request runs, by function: where a framework's Python work on a request
goes, a count that does not move with the machine's load.

    benchmarks/.venv/bin/python -m benchmarks.opcodes [--frameworks raw,aaf]
        [--scenario plaintext] [--lines]

Each app is driven in-process as in `benchmarks/inprocess.py` (the same scope), warmed up
with 200 requests so that Python's specializing interpreter has settled, then one more
request is traced opcode by opcode (`sys.settrace` with `f_trace_opcodes`). Printed per
framework: the bytecodes run in each function, the most first; with ``--lines``, by
source line in the order of the files, each with the names of the bytecodes it ran (what
a change to a line would save). Code in C (pydantic-core,
the dict and list types) runs no bytecodes, so `benchmarks/instructions.py` is the measure
of a request's whole cost; this says which Python lines it is spent on.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dis
import importlib
import sys
from types import FrameType
from typing import Any

from benchmarks.inprocess import scope_for, start
from benchmarks.scenarios import SCENARIOS

WARM_UP = 200


# Where one bytecode ran: its file, function, line (0: a jump the compiler added) and name.
Where = tuple[str, str, int, str]


async def count(framework: str, scenario: str) -> collections.Counter[Where]:
    """Bytecodes run by one request of ``scenario`` on ``framework``'s app, by where they ran."""
    module = importlib.import_module(
        "benchmarks.apps.raw" if framework == "raw" else f"benchmarks.apps.{framework}_app"
    )
    found = next(s for s in SCENARIOS if s.name == scenario)
    app = module.build(found.routes)
    await start(app)
    scope = scope_for(found)
    if found.paths:
        scope |= {"path": found.paths[0], "raw_path": found.paths[0].encode()}
    request = {"type": "http.request", "body": found.body, "more_body": False}

    async def receive() -> dict[str, Any]:
        return request

    async def send(message: dict[str, Any]) -> None:
        return None

    for _ in range(WARM_UP):
        await app(scope.copy(), receive, send)
    counts: collections.Counter[Where] = collections.Counter()

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode" and frame.f_code.co_name not in ("receive", "send"):
            code = frame.f_code
            op = dis.opname[code.co_code[frame.f_lasti]]
            file = code.co_filename.rsplit("/", 1)[-1]
            counts[file, code.co_qualname, frame.f_lineno or 0, op] += 1
        return trace

    sys.settrace(trace)
    try:
        await app(scope.copy(), receive, send)
    finally:
        sys.settrace(None)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frameworks", default="raw,aaf")
    parser.add_argument("--scenario", default="plaintext")
    parser.add_argument("--lines", action="store_true", help="by source line: see above")
    args = parser.parse_args()
    for framework in args.frameworks.split(","):
        counts = asyncio.run(count(framework, args.scenario))
        print(f"{framework}, {args.scenario}: {sum(counts.values())} bytecodes")
        if not args.lines:
            by_function: collections.Counter[str] = collections.Counter()
            for (file, function, _, _), n in counts.items():
                by_function[f"{file}:{function}"] += n
            for name, n in by_function.most_common():
                print(f"  {n:5d}  {name}")
            continue
        # Each line's bytecodes by name, in the order each first ran, "xN" when it ran N times.
        by_line: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for (file, _, line, op), n in counts.items():
            by_line.setdefault((file, line), []).append((op, n))
        for (file, line), ops in sorted(by_line.items()):
            names = " ".join(op if n == 1 else f"{op}x{n}" for op, n in ops)
            print(f"  {sum(n for _, n in ops):4d}  {file}:{line}  {names}")


if __name__ == "__main__":
    main()
