"""How registering routes grows with their number: per route, it should stay flat.

.venv/bin/python -m benchmarks.registration

Each route's name was checked against a list of every name made again for each route, so that
n routes took time growing as n squared: 4,000 routes spent 3 s of 9 there. The first request
compiles the routers; werkzeug compiled every rule's URL builders there, now each at its first
use.
"""

from __future__ import annotations

import gc
import statistics
import time

from aaf.testing import TestClient

from .openapi_build import build


def main() -> None:
    TestClient(build(10)).get("/")  # imports and first-call caches out of the way
    for routes in (1000, 2000, 4000, 8000):
        timings, firsts = [], []
        for _ in range(3):
            gc.collect()  # the garbage of the runs before is not this one's to collect
            began = time.perf_counter()
            app = build(routes)
            timings.append(time.perf_counter() - began)
            # The first request compiles the routers (werkzeug's map, aaf's matcher).
            gc.collect()
            began = time.perf_counter()
            TestClient(app).get("/")
            firsts.append(time.perf_counter() - began)
        took, first = statistics.median(timings), statistics.median(firsts)
        print(
            f"{routes:>5,} routes: {took:.2f} s, {took / routes * 1e6:.0f} µs a route; "
            f"the first request {first:.2f} s"
        )


if __name__ == "__main__":
    main()
