"""Responses at their edges: what a handler's odd results turn into, files that are not
there, headers aaf owns, and background work outside an app."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import cast

import pytest
from pydantic import BaseModel, ConfigDict, Field

from aaf import aaf
from aaf.app import App
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.response import EventSourceResponse, FileResponse, HttpResponse, StreamingResponse
from aaf.routing import Router
from aaf.testing import TestClient

from ._helpers import Recorder


class Item(BaseModel):
    name: str


def make_app(tmp_path: Path, done: list[str]) -> App:
    router = Router()

    @router.get("/bytes")
    async def raw(connection: Connection):  # type: ignore[no-untyped-def]  # no annotation on purpose
        return b"\x00\x01"

    @router.get("/text-or-item/<int:n>")
    async def text_or_item(connection: Connection, n: int) -> str | Item:
        return "plain" if n == 0 else Item(name="lamp")

    @router.get("/answered-and-returned")
    async def answered_and_returned(connection: Connection) -> str:
        await connection.send("answered", finish=True)
        return "and returned"

    @router.get("/missing")
    async def missing(connection: Connection) -> FileResponse:
        return FileResponse(tmp_path / "nowhere.txt")

    @router.get("/directory")
    async def directory(connection: Connection) -> FileResponse:
        return FileResponse(tmp_path)

    @router.get("/length")
    async def length(connection: Connection) -> HttpResponse:
        return HttpResponse("abc", headers={"Content-Length": "99", "X-Kept": "yes"})

    @router.get("/teapot")
    async def teapot(connection: Connection) -> None:
        raise HTTPError(418)

    async def teapot_answer(connection: Connection, exc: HTTPError) -> HttpResponse:
        return HttpResponse(
            "short and stout", status_code=418, background=lambda: done.append("bg")
        )

    return aaf([router], exception_handlers={418: teapot_answer})


def test_odd_results_and_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    done: list[str] = []
    with TestClient(make_app(tmp_path, done), raise_server_exceptions=False) as client:
        raw = client.get("/bytes")
        assert (raw.headers["content-type"], raw.content) == ("application/octet-stream", b"\0\1")
        assert client.get("/text-or-item/0").text == "plain"
        assert client.get("/text-or-item/1").json() == {"name": "lamp"}
        with caplog.at_level(logging.ERROR, logger="aaf"):
            answered = client.get("/answered-and-returned")
        assert answered.text == "answered"
        assert any(
            "then returned a value" in str(r.exc_info[1]) for r in caplog.records if r.exc_info
        )
        assert client.get("/missing").status_code == 404
        assert client.get("/directory").status_code == 404
        length = client.get("/length")
        assert (length.headers["content-length"], length.headers["x-kept"]) == ("3", "yes")
        teapot = client.get("/teapot")
        assert (teapot.status_code, teapot.text) == (418, "short and stout")
    assert done == ["bg"]  # the exception handler's response ran its background work


def test_background_work_runs_on_a_connection_built_by_hand() -> None:
    done: list[str] = []

    async def later() -> None:
        done.append("async")

    async def named(name: str) -> None:
        done.append(name)

    recorder = Recorder()
    # A sync callable that gives back a coroutine (a lambda around an async function): it is
    # awaited too, where Starlette would drop it unawaited.
    response = HttpResponse(
        "x", background=[later, lambda: done.append("sync"), lambda: named("lambda")]
    )
    asyncio.run(response.send_to(recorder.connection()))
    assert done == ["async", "sync", "lambda"]
    assert recorder.sent[-1] == {"type": "http.response.body", "body": b"x"}


class Aliased(BaseModel):
    item_name: str = Field(alias="itemName")


class Secret(Aliased):
    password: str


class Strict(BaseModel):
    model_config = ConfigDict(revalidate_instances="always")

    n: int = Field(ge=0)


def test_a_returned_model_goes_out_by_alias_and_as_declared() -> None:
    router = Router()

    @router.get("/exact")
    async def exact(connection: Connection) -> Aliased:
        return Aliased.model_validate({"itemName": "lamp"})

    @router.get("/subclass")
    async def subclass(connection: Connection) -> Aliased:
        return Secret.model_validate({"itemName": "lamp", "password": "hunter2"})

    @router.get("/revalidated")
    async def revalidated(connection: Connection) -> Strict:
        broken = Strict(n=1)
        broken.n = -1  # no validate_assignment: only revalidation catches it
        return broken

    with TestClient(aaf([router]), raise_server_exceptions=False) as client:
        assert client.get("/exact").json() == {"itemName": "lamp"}
        assert client.get("/subclass").json() == {"itemName": "lamp"}  # no password
        assert client.get("/revalidated").status_code == 500


class Row:  # an object with attributes, as a database row
    def __init__(self, item_name: str) -> None:
        self.item_name = item_name


def test_values_with_no_fields_are_checked_and_an_any_holding_a_model_goes_by_alias() -> None:
    # The encoder of an annotation with no fields calls pydantic without the options that
    # read fields (attributes, names, aliases); what goes out must not change for it.
    router = Router()

    @router.get("/counts")
    async def counts(connection: Connection) -> dict[str, int]:
        return cast("dict[str, int]", {"a": "1", "b": 2})  # lax: "1" is 1

    @router.get("/wrong")
    async def wrong(connection: Connection) -> dict[str, int]:
        return cast("dict[str, int]", {"a": "one"})

    @router.get("/floats")
    async def floats(connection: Connection) -> list[float] | None:
        return [1, 2.5]

    @router.get("/text")
    async def text(connection: Connection) -> int | str:
        return "plain"

    @router.get("/any")
    async def any_value(connection: Connection) -> dict[str, object]:
        return {"item": Aliased.model_validate({"itemName": "lamp"}), "n": 1}

    @router.get("/models")
    async def models(connection: Connection) -> list[Aliased]:
        return cast("list[Aliased]", [{"item_name": "by name"}, Row("from attributes")])

    @router.get("/nested")
    async def nested(connection: Connection) -> dict[str, list[Aliased]]:
        return cast("dict[str, list[Aliased]]", {"rows": [Row("lamp")]})

    with TestClient(aaf([router]), raise_server_exceptions=False) as client:
        assert client.get("/counts").json() == {"a": 1, "b": 2}
        assert client.get("/wrong").status_code == 500
        assert client.get("/floats").content == b"[1.0,2.5]"
        plain = client.get("/text")
        assert (plain.text, plain.headers["content-type"]) == ("plain", "text/plain; charset=utf-8")
        assert client.get("/any").json() == {"item": {"itemName": "lamp"}, "n": 1}
        assert client.get("/models").json() == [
            {"itemName": "by name"},
            {"itemName": "from attributes"},
        ]
        assert client.get("/nested").json() == {"rows": [{"itemName": "lamp"}]}


def test_streams_of_what_is_not_chunks_are_refused_before_the_response_starts() -> None:
    # Found at the first `async for`, once the 200 had gone out, the client would see a cut
    # response. A whole text is an iterable too, of one-character chunks: refused as well.
    for made in (StreamingResponse, EventSourceResponse):
        with pytest.raises(TypeError, match=r"got one str: send a whole body with HttpResponse"):
            made("a whole text")
        with pytest.raises(TypeError, match=r"takes an iterable of chunks .* got int"):
            made(42)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_what_an_unannotated_handler_returns_that_cannot_be_sent_is_a_500_saying_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # With a return annotation it is refused at registration (tests/test_plan.py); without
    # one it is found when returned: a 500, and the log says what to return instead.
    from starlette.responses import JSONResponse  # noqa: PLC0415  # a ported app's import

    router = Router()

    @router.get("/ported")
    async def ported(connection: Connection):  # type: ignore[no-untyped-def]  # pyright: ignore[reportUnknownParameterType]  # as a ported app's code is
        return JSONResponse({"ok": True})

    @router.get("/ported-sync")
    def ported_sync(connection: Connection):  # type: ignore[no-untyped-def]  # pyright: ignore[reportUnknownParameterType]
        return JSONResponse({"ok": True})

    class Opaque:
        """Nothing pydantic can dump."""

    @router.get("/opaque")
    async def opaque(connection: Connection):  # type: ignore[no-untyped-def]  # pyright: ignore[reportUnknownParameterType]
        return Opaque()

    with (
        TestClient(aaf([router]), raise_server_exceptions=False) as client,
        caplog.at_level(logging.ERROR, logger="aaf"),
    ):
        caplog.clear()
        answer = client.get("/opaque")
        assert (answer.status_code, answer.text) == (500, "Internal Server Error")
        [record] = [r for r in caplog.records if r.exc_info]
        assert "Unable to serialize unknown type" in str(record.exc_info and record.exc_info[1])
        for path in ("/ported", "/ported-sync"):
            caplog.clear()
            answer = client.get(path)
            assert (answer.status_code, answer.text) == (500, "Internal Server Error")
            [record] = [r for r in caplog.records if r.exc_info]
            said = str(record.exc_info[1]) if record.exc_info else ""
            assert said.startswith("The handler returned a starlette.responses.JSONResponse")
            assert "aaf.response's (HttpResponse, JsonResponse" in said
