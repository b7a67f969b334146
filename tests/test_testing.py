"""The test clients: sync and async, with the lifespan, over the public API."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import pytest

from aaf import aaf
from aaf.app import App
from aaf.connection import Connection
from aaf.routing import Router
from aaf.testing import AsyncTestClient, TestClient


def make_app(events: list[str]) -> App:
    router = Router()

    @router.route("/state")
    async def state(connection: Connection) -> dict[str, object]:
        return {"db": app.state.get("db"), "events": events}

    @router.route("/echo", methods=["POST", "PUT"])
    async def echo(connection: Connection) -> dict[str, object]:
        return {
            "method": connection.method,
            "body": (await connection.body()).decode(),
            "query": dict(connection.query),
            "header": connection.req_headers.get("x-test"),
        }

    @asynccontextmanager
    async def lifespan(app: App) -> AsyncGenerator[None]:
        events.append("lifespan enter")
        app.state["db"] = "connected"
        yield
        events.append("lifespan exit")

    app = aaf(
        [router],
        on_startup=[lambda: events.append("startup")],
        on_shutdown=[lambda: events.append("shutdown")],
        lifespan=lifespan,
    )
    return app


def test_sync_client_runs_the_lifespan_around_requests() -> None:
    events: list[str] = []
    with TestClient(make_app(events)) as client:
        assert client.get("/state").json() == {
            "db": "connected",
            "events": ["startup", "lifespan enter"],
        }
    assert events == ["startup", "lifespan enter", "lifespan exit", "shutdown"]


def test_sync_client_works_without_the_lifespan() -> None:
    events: list[str] = []
    client = TestClient(make_app(events))
    assert client.get("/state").json() == {"db": None, "events": []}


def test_sync_client_sends_body_query_and_headers() -> None:
    client = TestClient(make_app([]))
    response = client.put("/echo?a=1", content=b"payload", headers={"X-Test": "yes"})
    assert response.json() == {
        "method": "PUT",
        "body": "payload",
        "query": {"a": "1"},
        "header": "yes",
    }


def test_failed_startup_raises_from_the_client() -> None:
    async def fail() -> None:
        raise RuntimeError("database unreachable")

    with (
        pytest.raises(RuntimeError, match="database unreachable"),
        TestClient(aaf([Router()], on_startup=[fail])),
    ):
        pass


@pytest.mark.anyio
async def test_async_client_runs_the_lifespan_around_requests() -> None:
    events: list[str] = []
    async with AsyncTestClient(make_app(events)) as client:
        response = await client.post("/echo", content=b"async")
        assert response.json()["body"] == "async"
        assert (await client.get("/state")).json()["db"] == "connected"
    assert events[-1] == "shutdown"
