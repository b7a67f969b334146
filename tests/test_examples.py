"""Every example in examples/ runs: imported as a user would, driven through its routes."""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from aaf.app import App
from aaf.testing import TestClient

from ._helpers import import_file, serve

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` afresh."""
    return import_file(EXAMPLES / f"{name}.py", f"example_{name}")


def app_of(name: str) -> App:
    app = load(name).app
    assert isinstance(app, App)
    return app


def test_every_example_has_a_test() -> None:
    tested = {"seed", "items", "chat", "uploads"}
    assert {path.stem for path in EXAMPLES.glob("*.py")} <= tested


def test_seed_hello_echo_and_count() -> None:
    with TestClient(app_of("seed")) as client:
        assert client.get("/hello/tom").text == "Hello, tom"
        assert client.post("/echo", content=b"ping").content == b"ping"
        response = client.get("/count/2")
        assert response.text == "count 0\ncount 1\n"
        assert client.get("/count/x").status_code == 404


def test_seed_count_streams_chunk_by_chunk_over_uvicorn() -> None:
    with serve(app_of("seed")) as base, httpx.Client(base_url=base, timeout=10) as client:
        arrivals: list[tuple[float, bytes]] = []
        start = time.monotonic()
        with client.stream("GET", "/count/3") as response:
            assert response.status_code == 200
            assert "content-length" not in response.headers
            for chunk in response.iter_raw():
                arrivals.append((time.monotonic() - start, chunk))
        body = b"".join(chunk for _, chunk in arrivals)
        assert body == b"count 0\ncount 1\ncount 2\n"
        first_at = next(at for at, chunk in arrivals if chunk)
        # The handler sleeps a second between lines: the first line must arrive long before
        # the last, not all of them at the end.
        assert arrivals[-1][0] - first_at > 1.5


def test_seed_echo_over_uvicorn_has_content_length() -> None:
    with serve(app_of("seed")) as base:
        response = httpx.post(base + "/echo", content=b"x" * 1000, timeout=10)
        assert response.content == b"x" * 1000
        assert response.headers["content-length"] == "1000"


@pytest.fixture()
def items() -> TestClient:
    module = load("items")
    module.ITEMS.clear()
    return TestClient(module.app)


def test_items_crud(items: TestClient) -> None:
    assert items.get("/items").json() == []
    created = items.post("/items", json={"name": "lamp", "price": 12.5})
    assert created.status_code == 201
    assert created.headers["location"] == "/items/1"
    assert created.json() == {"id": 1, "name": "lamp", "price": 12.5}
    assert items.get("/items/1").json() == {"id": 1, "name": "lamp", "price": 12.5}
    assert items.get("/items/1?fields=name&fields=id").json() == {"id": 1, "name": "lamp"}
    replaced = items.put(
        "/items/1", json={"name": "desk", "price": 99}, headers={"X-Request-Id": "r1"}
    )
    assert replaced.json() == {"id": 1, "name": "desk", "price": 99.0}
    assert replaced.headers["x-request-id"] == "r1"
    assert items.delete("/items/1").status_code == 204
    missing = items.get("/items/1")
    assert missing.status_code == 404
    assert missing.text == "No item 1"


def test_items_bad_input_answers_422(items: TestClient) -> None:
    response = items.post("/items", json={"name": "", "price": -1})
    assert response.status_code == 422
    locs = [error["loc"] for error in response.json()["detail"]]
    assert locs == [["body", "name"], ["body", "price"]]
    # JSON's 1e999 is infinity to pydantic, which would go out as "price": null.
    infinite = items.post(
        "/items",
        content=b'{"name": "a", "price": 1e999}',
        headers={"content-type": "application/json"},
    )
    assert infinite.status_code == 422
    assert infinite.json()["detail"][0]["type"] == "finite_number"


def test_items_search(items: TestClient) -> None:
    for name in ["lamp", "clamp", "desk"]:
        items.post("/items", json={"name": name, "price": 1})
    assert [i["name"] for i in items.get("/search?q=amp").json()] == ["clamp", "lamp"]
    assert [i["name"] for i in items.get("/search?q=amp&order=desc&limit=1").json()] == ["lamp"]
    bad = items.get("/search?q=amp&limit=0&order=up")
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["detail"]] == [["query", "limit"], ["query", "order"]]
    assert items.get("/search").json()["detail"][0]["loc"] == ["query", "q"]
