"""The cost of building a link among 1,000 routes: ``url_for`` by name and by handler (the
first route registered and the last), with a query value, in one run.

.venv/bin/python -m benchmarks.url_for
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from aaf import aaf
from aaf.connection import Connection
from aaf.routing import Router

ROUTES = 1000


def make_handler(index: int) -> Callable[..., object]:
    async def handler(connection: Connection, item_id: int, q: str = "") -> int:
        return item_id

    handler.__name__ = handler.__qualname__ = f"handler_{index}"
    return handler


def main() -> None:
    router = Router()
    handlers = [make_handler(i) for i in range(ROUTES)]
    for index, handler in enumerate(handlers):
        router.add_route(f"/r{index}/items/<int:item_id>", handler)
    app = aaf([router])
    targets: dict[str, object] = {
        "by name": f"handler_{ROUTES - 1}",
        "by handler (first)": handlers[0],
        "by handler (last)": handlers[-1],
    }
    for label, target in targets.items():
        build = app.url_for
        build(target, item_id=1, q="x")  # type: ignore[call-overload]  # a name or a handler
        runs: list[float] = []
        for _ in range(7):
            count = 200
            started = time.perf_counter()
            for _ in range(count):
                build(target, item_id=1, q="x")  # type: ignore[call-overload]
            runs.append((time.perf_counter() - started) / count * 1e6)
        print(f"{label:<20} {statistics.median(runs):7.1f} µs per url_for")


if __name__ == "__main__":
    main()
