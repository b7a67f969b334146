from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import cast

import pytest

from aaf import aaf
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.params import Depends
from aaf.response import HttpResponse
from aaf.routing import Router
from aaf.testing import TestClient
from aaf.views import View

router = Router()
instances: list[int] = []


@router.route("/counter")
class Counter(View):
    """Each request gets its own instance, so `self.calls` starts at zero each time."""

    calls = 0

    async def get(self, connection: Connection) -> dict[str, int]:
        instances.append(id(self))
        self.calls += 1
        return {"calls": self.calls}


@router.route("/guarded/<name>")
class Guarded(View):
    user: str

    async def before(self, connection: Connection) -> HttpResponse | None:
        token = connection.req_headers.get("authorization")
        if token is None:
            raise HTTPError(401, "Sign in first", headers={"WWW-Authenticate": "Bearer"})
        if token == "Bearer teapot":
            return HttpResponse("short and stout", status_code=418)
        self.user = token.removeprefix("Bearer ")
        return None

    async def get(self, connection: Connection, name: str) -> dict[str, str]:
        return {"user": self.user, "name": name}

    async def post(self, connection: Connection, name: str) -> str:
        return f"{self.user} posted {name}"


@pytest.fixture()
def client() -> Iterator[TestClient]:
    """A client on the module's app, its lifespan running."""
    with TestClient(aaf([router])) as started:
        yield started


def test_a_new_instance_serves_each_request(client: TestClient) -> None:
    assert client.get("/counter").json() == {"calls": 1}
    assert client.get("/counter").json() == {"calls": 1}
    assert Counter.calls == 0


def test_allowed_methods_are_read_from_the_class() -> None:
    assert Counter.allowed_methods == frozenset({"GET"})
    assert Guarded.allowed_methods == frozenset({"GET", "POST"})


def test_before_runs_first_and_sets_per_request_state(client: TestClient) -> None:
    response = client.get("/guarded/x", headers={"Authorization": "Bearer ann"})
    assert response.json() == {"user": "ann", "name": "x"}
    assert client.post("/guarded/y", headers={"Authorization": "Bearer bob"}).text == "bob posted y"


def test_before_may_raise_http_error(client: TestClient) -> None:
    response = client.get("/guarded/x")
    assert response.status_code == 401
    assert response.text == "Sign in first"
    assert response.headers["www-authenticate"] == "Bearer"


def test_before_may_answer_instead(client: TestClient) -> None:
    response = client.post("/guarded/x", headers={"Authorization": "Bearer teapot"})
    assert response.status_code == 418
    assert response.text == "short and stout"


def test_a_method_of_three_query_values_gets_each_by_its_name() -> None:
    # Three values are passed by position (a PERF path): sent in another order than the
    # method lists them, each still reaches its own parameter.
    own = Router()

    @own.route("/search")
    class Search(View):
        async def get(
            self, connection: Connection, text: str, page: int, exact: bool
        ) -> dict[str, object]:
            return {"text": text, "page": page, "exact": exact}

    with TestClient(aaf([own])) as started:
        answer = started.get("/search", params={"exact": "yes", "page": "4", "text": "cats"})
        assert answer.json() == {"text": "cats", "page": 4, "exact": True}
        missing = started.get("/search", params={"text": "cats"})
        assert missing.status_code == 422
        assert [e["loc"] for e in missing.json()["detail"]] == [
            ["query", "page"],
            ["query", "exact"],
        ]


@pytest.mark.parametrize("with_dependency", [False, True])
def test_a_before_that_returns_no_response_is_a_500_naming_before(
    with_dependency: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # Untyped code: a dict from `before` is no answer, and must not be read through `get`'s
    # return annotation (which would blame `get`, or send the dict as if `get` gave it).
    def token() -> str:
        return "t"

    class Guarded(View):
        if with_dependency:
            marker: str = Depends(token)

        async def before(self, connection: Connection) -> HttpResponse | None:
            return cast(HttpResponse, {"refused": True})

        async def get(self, connection: Connection) -> dict[str, bool]:
            return {"served": True}

    router = Router()
    router.route("/guarded")(Guarded)
    with caplog.at_level(logging.ERROR, logger="aaf"):
        answer = TestClient(aaf([router]), raise_server_exceptions=False).get("/guarded")
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
    assert "Guarded.before returned dict: return a response" in caplog.text
