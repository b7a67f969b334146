"""The scenarios every app answers, and how each answer is checked."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from benchmarks.apps.common import ITEM_BODY

FRAMEWORKS = ["raw", "aaf", "falcon", "blacksheep", "starlette", "fastapi", "litestar"]


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""
    status: int = 200
    check: Callable[[bytes], bool] = lambda body: True
    routes: int = 10  # other routes registered beside the ones the scenarios use
    # When set, requests cycle through these paths instead of `path` (real traffic does not
    # repeat one URL); `path` is the one the answer is checked on.
    paths: tuple[str, ...] = ()


# 5,000 distinct ids on GET /items/<int:id>, shuffled so that no two neighbours repeat a prefix.
VARIED_IDS = tuple(f"/items/{(i * 7919) % 5000 + 1000}" for i in range(5000))


def json_is(expected: object) -> Callable[[bytes], bool]:
    return lambda body: json.loads(body) == expected


SCENARIOS = [
    Scenario("plaintext", "GET", "/plaintext", check=lambda body: body == b"Hello, World!"),
    Scenario("json", "GET", "/json", check=json_is({"message": "Hello, World!"})),
    Scenario(
        "item model", "GET", "/items/42", check=json_is({"id": 42, "name": "lamp", "price": 12.5})
    ),
    Scenario(
        "search query",
        "GET",
        "/search",
        b"q=lamp&limit=5",
        check=json_is({"q": "lamp", "limit": 5}),
    ),
    Scenario(
        "post model",
        "POST",
        "/items",
        body=ITEM_BODY,
        check=json_is({"id": 1, "name": "desk", "price": 99.5}),
    ),
    Scenario(
        "varied ids",
        "GET",
        "/items/1000",
        check=json_is({"id": 1000, "name": "lamp", "price": 12.5}),
        paths=VARIED_IDS,
    ),
    Scenario("not found", "GET", "/missing", status=404),
    Scenario("10 routes", "GET", "/zz/7", check=json_is({"id": 7}), routes=10),
    Scenario("1000 routes", "GET", "/zz/7", check=json_is({"id": 7}), routes=1000),
]
