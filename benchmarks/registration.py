"""How registering routes grows with their number: per route, it should stay flat.

.venv/bin/python -m benchmarks.registration

Each route's name was checked against a list of every name made again for each route, so that
n routes took time growing as n squared: 4,000 routes spent 3 s of 9 there.
"""

from __future__ import annotations

import statistics
import time

from .openapi_build import build


def main() -> None:
    build(10)  # imports and first-call caches out of the way
    for routes in (1000, 2000, 4000, 8000):
        timings = []
        for _ in range(3):
            began = time.perf_counter()
            build(routes)
            timings.append(time.perf_counter() - began)
        took = statistics.median(timings)
        print(f"{routes:>5,} routes: {took:.2f} s, {took / routes * 1e6:.0f} µs a route")


if __name__ == "__main__":
    main()
