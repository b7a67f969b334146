"""What route matching costs: werkzeug bound per request, bound once, and aaf's resolve.

.venv/bin/python -m benchmarks.matching
"""

from __future__ import annotations

import timeit

from werkzeug.routing import Map, Rule

from aaf.connection import Connection
from aaf.routing import Router

RULES = [f"/extra{i}/<int:x>" for i in range(10)] + ["/plaintext", "/zz/<int:item_id>"]


def main() -> None:
    router = Router()
    for i, rule in enumerate(RULES):

        async def handler(connection: Connection, **params: object) -> None: ...

        router.add_route(rule, handler, name=f"r{i}")
    werkzeug_map = Map([Rule(rule, endpoint=f"r{i}") for i, rule in enumerate(RULES)])
    bound = werkzeug_map.bind("localhost")
    n = 100_000
    for path in ["/plaintext", "/zz/7"]:
        router.resolve(path, "GET")

        def bind_and_match(path: str = path) -> object:
            return werkzeug_map.bind("localhost", path_info=path).match(path, "GET")

        per_request = timeit.timeit(bind_and_match, number=n) / n * 1e6
        once = timeit.timeit(lambda path=path: bound.match(path, "GET"), number=n) / n * 1e6
        resolve = timeit.timeit(lambda path=path: router.resolve(path, "GET"), number=n) / n * 1e6
        print(
            f"{path:<11} bind + match {per_request:.2f} µs | match on a bound adapter "
            f"{once:.2f} µs | aaf resolve {resolve:.2f} µs"
        )


if __name__ == "__main__":
    main()
