"""Small promises of the public API, each stated once: what a mistake says, and what a
value looks like when printed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, cast

import pytest

from aaf import aaf
from aaf._rules import converter_type, rule_converters
from aaf.channels import InMemoryGroups, RedisGroups
from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.exceptions import HTTPError
from aaf.params import Dependency, Depends, Form
from aaf.routing import Router
from aaf.staticfiles import StaticFiles
from aaf.testing import TestClient
from aaf.views import View


def provide() -> int:
    return 1


def test_depends_takes_a_function_and_prints_as_written() -> None:
    with pytest.raises(TypeError, match="Depends\\(\\) takes a function, got 42"):
        Depends(cast("type[int]", 42))
    assert repr(Dependency(provide)) == "Depends(provide)"
    assert repr(Dependency(provide, use_cache=False)) == "Depends(provide, use_cache=False)"


def test_http_errors_print_and_say_their_phrase() -> None:
    assert repr(HTTPError(404, "gone")) == "HTTPError(404, 'gone')"
    assert HTTPError(404).detail == "Not Found"
    assert HTTPError(599).detail == ""  # no phrase for a status HTTP does not name


def test_a_view_s_before_lets_the_method_answer_by_default() -> None:
    router = Router()

    @router.route("/v")
    class Plain(View):
        async def get(self, connection: Connection) -> str:
            return "method"

    assert asyncio.run(Plain().before(cast(Connection, None))) is None
    with TestClient(aaf([router])) as client:
        assert client.get("/v").text == "method"


def test_app_mistakes_are_named() -> None:
    with pytest.raises(TypeError, match="gave None, not an ASGI app"):
        aaf([], middleware=[lambda app: None])
    with pytest.raises(TypeError, match="as keywords"):
        aaf([]).url_for(provide, 1)  # type: ignore[call-overload]  # on purpose


def test_static_files_need_a_directory_and_close_websockets(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        StaticFiles(tmp_path / "nowhere")
    router = Router()
    router.mount("/static", StaticFiles(tmp_path))
    with TestClient(aaf([router])) as client:
        with pytest.raises(Exception, match="1000"):
            with client.websocket_connect("/static/x"):
                pass


def test_number_converters_with_arguments_still_give_their_type() -> None:
    converters = rule_converters("/<int(min=1):a>/<float:b>/<uuid:c>/<path:d>/<any(x, y):e>")
    assert {name: converter_type(c) for name, c in converters.items()} == {
        "a": int,
        "b": float,
        "c": uuid.UUID,
        "d": str,
        "e": str,
    }


def test_an_optional_upload_left_out_takes_its_default() -> None:
    router = Router()

    @router.post("/upload")
    async def upload(
        connection: Connection,
        name: Annotated[str, Form()],
        file: Annotated[UploadFile | None, Form()] = None,
    ) -> str:
        return f"{name}: {file.filename if file else 'no file'}"

    with TestClient(aaf([router])) as client:
        assert client.post("/upload", data={"name": "ann"}).text == "ann: no file"
        sent = client.post("/upload", data={"name": "ann"}, files={"file": ("a.txt", b"x")})
        assert sent.text == "ann: a.txt"


async def answer(connection: Connection) -> int:
    return 1


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (
            lambda: aaf([], max_body_size=-1),
            r"aaf\(max_body_size=-1\): max_body_size must be 0 or more \(None: no limit\)",
        ),
        (lambda: aaf([], max_form_fields=-5), r"max_form_fields must be 0 or more"),
        (lambda: aaf([], max_form_parts=-1), r"max_form_parts must be 0 or more"),
        (lambda: aaf([], max_form_text_size=-1), r"max_form_text_size must be 0 or more"),
        (lambda: aaf([], max_message_size=-1), r"max_message_size must be 0 or more"),
        (lambda: aaf([], shutdown_grace=float("nan")), r"shutdown_grace must be 0 or more"),
        (
            lambda: Router().route("/x", max_body_size=-1)(answer),
            r"route\(max_body_size=-1\): max_body_size must be 0 or more \(None: the app's\)",
        ),
        (lambda: InMemoryGroups(max_message_size=-1), r"max_message_size must be 0 or more"),
        (lambda: RedisGroups("redis://127.0.0.1", timeout=0), r"timeout must be more than 0"),
    ],
)
def test_limits_no_request_could_meet_are_refused_where_they_are_given(
    make: Callable[[], object], said: str
) -> None:
    # A negative body limit answered every request with a body 413, a grace of NaN waited
    # for nothing, a Redis timeout of 0 made its sockets never wait: each said nothing.
    with pytest.raises(ValueError, match=said):
        make()
    with pytest.raises(TypeError, match=r"aaf\(max_body_size='10MB'\): max_body_size must be"):
        aaf([], max_body_size="10MB")  # type: ignore[arg-type]  # untyped code's mistake
    # The bounds themselves are limits a request can meet.
    aaf([], max_body_size=0, max_form_fields=0, shutdown_grace=0, max_message_size=None)
