"""What FastAPI, Starlette and Django users rely on: where values come from, what goes out,
how errors look (DESIGN.md, "Where values come from, precisely" and "Return values")."""

from __future__ import annotations

import asyncio
import hashlib
import json
import pathlib
import random
import re
import shutil
import socket
import threading
import time
from base64 import b64encode
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import (
    AsyncIterator,
    Iterator,
    MutableMapping,
    MutableSequence,
    MutableSet,
    Sequence,
)
from collections.abc import Set as AbstractSet
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import httpx
import pytest
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from werkzeug.datastructures import MultiDict

from aaf import App, _forms, aaf
from aaf._types import ASGIApp
from aaf.connection import Connection
from aaf.datastructures import FormData, UploadFile
from aaf.exceptions import (
    ConfigurationError,
    HTTPError,
    RequestValidationError,
    ResponseValidationError,
    WebSocketDisconnect,
)
from aaf.params import Cookie, Depends, File, Form, Header, Query
from aaf.response import HttpResponse, JsonResponse, RedirectResponse, StreamingResponse
from aaf.routing import Router, operation
from aaf.security import HTTPBasic, HTTPBasicCredentials
from aaf.testing import TestClient, WebSocketDenied
from aaf.views import View, WebSocketView

from ._helpers import (
    BODY_MODULES,
    Recorder,
    count_turns,
    http_scope,
    multipart_part,
    serve,
)


class User(BaseModel):
    name: str
    nick: str = Field(default="", alias="nickName")


class Admin(User):
    password: str


class Row:
    """An ORM-like object: attributes, not a dict."""

    def __init__(self) -> None:
        self.name = "row"
        self.nick = "r"
        self.password = "hunter2"


class Paging(BaseModel):
    page: int = 1
    size: int = 20


class Note(BaseModel):
    title: str
    body: str


router = Router()
seen_threads: list[str] = []
disconnects: list[int] = []


@router.get("/user/<kind>")
async def user(connection: Connection, kind: str) -> User:
    if kind == "dict":
        return {"name": "d", "password": "hunter2"}  # type: ignore[return-value]  # on purpose
    if kind == "admin":
        return Admin(name="a", password="hunter2")
    if kind == "row":
        return Row()  # type: ignore[return-value]  # on purpose: validated from attributes
    return 42  # type: ignore[return-value]  # on purpose: does not fit


@router.get("/query")
async def query(connection: Connection, q: str, tags: list[str] | None = None) -> dict[str, object]:
    return {"q": q, "tags": tags}


@router.get("/headers")
async def headers(
    connection: Connection,
    x_tag: Annotated[str, Header()],
    session: Annotated[str, Cookie()],
) -> dict[str, str]:
    return {"x_tag": x_tag, "session": session, "unnamed": connection.req_cookies.get("", "")}


@router.get("/paging")
async def paging(connection: Connection, paging: Annotated[Paging, Query()]) -> Paging:
    return paging


@router.post("/form")
async def form(
    connection: Connection,
    title: Annotated[str, Form()],
    colour: Annotated[str, Form()] = "blue",
) -> dict[str, str]:
    return {"title": title, "colour": colour}


@router.post("/notes", status_code=201)
async def notes(connection: Connection, note: Note) -> Note:
    return note


def no_threes(value: int) -> int:
    if value == 3:
        raise ValueError("no threes")
    return value


class Order(BaseModel):
    count: Annotated[int, AfterValidator(no_threes)]
    price: Annotated[Decimal, Field(ge=Decimal("1.5"), max_digits=4)] = Decimal(2)
    due: Annotated[date, Field(gt=date(2020, 1, 1))] = date(2021, 1, 1)


@router.post("/orders")
async def orders(connection: Connection, order: Order) -> int:
    return order.count


@router.get("/limits")
async def limits(
    connection: Connection,
    n: Annotated[int, Query(gt=2)],
    ids: Annotated[list[int], Query(min_length=2)],
) -> int:
    return n


class Filters(BaseModel):
    kind: str
    size: int = 1


@router.get("/filters/query")
async def filters_query(connection: Connection, filters: Annotated[Filters, Query()]) -> Filters:
    return filters


@router.post("/filters/form")
async def filters_form(connection: Connection, filters: Annotated[Filters, Form()]) -> Filters:
    return filters


@router.get("/filters/header")
async def filters_header(connection: Connection, filters: Annotated[Filters, Header()]) -> Filters:
    return filters


@router.get("/filters/cookie")
async def filters_cookie(connection: Connection, filters: Annotated[Filters, Cookie()]) -> Filters:
    return filters


@router.post("/attach")
async def attach(
    connection: Connection, file: UploadFile, note: Annotated[str, Form()] = ""
) -> dict[str, str]:
    return {"file": file.filename or "", "note": note}


@router.get("/items/<int:item_id>")
async def item(connection: Connection, item_id: int) -> int:
    return item_id


@router.get("/sync")
def sync_handler(connection: Connection, n: int) -> dict[str, int]:
    seen_threads.append(threading.current_thread().name)
    return {"n": n * 2}


@router.put("/put")
async def put(connection: Connection) -> str:
    return "put"


@router.patch("/patch")
async def patch(connection: Connection) -> str:
    return "patch"


@router.delete("/delete", status_code=204)
async def delete(connection: Connection) -> None:
    return None


@router.get("/app")
async def which_app(connection: Connection) -> bool:
    return connection.app.debug is False


@router.websocket("/ws")
async def websocket(connection: Connection, token: str, x_client: Annotated[str, Header()]) -> None:
    await connection.accept()
    await connection.send_json({"token": token, "client": x_client})
    await connection.close()


@router.websocket("/view")
class Guarded(WebSocketView):
    async def on_connect(self, connection: Connection, token: Annotated[str, Query()]) -> None:
        if token != "good":
            raise HTTPError(403, "Bad token")
        await connection.accept()
        self.token = token

    async def on_disconnect(self, connection: Connection, code: int) -> None:
        disconnects.append(code)
        assert self.token == "good"  # only ever called for an accepted connection


async def as_json(connection: Connection, exc: HTTPError) -> HttpResponse:
    return JsonResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(aaf([router])) as started:
        yield started


# 1. Return values --------------------------------------------------------------------------------
def test_a_returned_dict_goes_out_through_the_annotation_without_extra_keys(
    client: TestClient,
) -> None:
    assert client.get("/user/dict").json() == {"name": "d", "nickName": ""}


def test_a_returned_dicts_keys_may_be_the_fields_names_or_their_aliases() -> None:
    # FastAPI reads the alias only ({"nick": ...} would leave nickName at its default); a
    # handler builds a dict from Python's names, and the serializer writes the wire's.
    router = Router()

    @router.get("/by/<key>")
    async def by(connection: Connection, key: str) -> User:
        return {"name": "d", key: "n"}  # type: ignore[return-value]  # validated on the way out

    with TestClient(aaf([router])) as client:
        for key in ("nick", "nickName"):
            assert client.get(f"/by/{key}").json() == {"name": "d", "nickName": "n"}


def test_a_subclass_goes_out_with_the_declared_fields_only(client: TestClient) -> None:
    assert client.get("/user/admin").json() == {"name": "a", "nickName": ""}


def test_an_object_with_attributes_is_validated_from_them(client: TestClient) -> None:
    assert client.get("/user/row").json() == {"name": "row", "nickName": "r"}


def test_a_result_that_does_not_fit_is_a_logged_500(caplog: pytest.LogCaptureFixture) -> None:
    response = TestClient(aaf([router]), raise_server_exceptions=False).get("/user/bad")
    assert response.status_code == 500 and response.text == "Internal Server Error"
    assert any(
        "does not match its return annotation" in r.getMessage()
        or (r.exc_info and "return annotation" in str(r.exc_info[1]))
        for r in caplog.records
    )
    with pytest.raises(ResponseValidationError, match="user returned a value"):
        TestClient(aaf([router])).get("/user/bad")


def test_text_bytes_and_none_annotations_are_checked_too() -> None:
    # They go out as they are when they fit (text, octets), and are a 500 when they do not,
    # as any other annotation is (a str handler returning 5 sent the JSON 5).
    router = Router()

    @router.get("/text/<kind>")
    async def text(connection: Connection, kind: str) -> str | None:
        found: object = {"str": "hi", "none": None}.get(kind, 5)
        return found  # type: ignore[return-value]  # on purpose: 5 does not fit

    @router.get("/data")
    async def data(connection: Connection) -> bytes | HttpResponse:
        return "not bytes"  # type: ignore[return-value]  # on purpose

    @router.get("/nothing")
    async def nothing(connection: Connection) -> None:
        return 5  # type: ignore[return-value]  # on purpose

    @router.get("/response")
    async def response(connection: Connection) -> HttpResponse:
        return {"a": 1}  # type: ignore[return-value]  # on purpose

    client = TestClient(aaf([router]), raise_server_exceptions=False)
    assert (client.get("/text/str").text, client.get("/text/none").status_code) == ("hi", 204)
    for path in ("/text/int", "/data", "/nothing", "/response"):
        assert client.get(path).status_code == 500, path
    strict = TestClient(aaf([router]))
    with pytest.raises(ResponseValidationError, match="instance of bytes | HttpResponse"):
        strict.get("/data")
    with pytest.raises(ResponseValidationError, match="instance of None"):
        strict.get("/nothing")


class Profile(BaseModel):
    name: str
    bio: str | None = None
    visits: int = 0


def test_exclude_options_leave_fields_out_as_fastapis_response_model_exclude() -> None:
    profiles = Router()

    @profiles.get("/none", exclude_none=True)
    async def without_none(connection: Connection) -> Profile:
        return Profile(name="ada", visits=3)

    @profiles.get("/unset", exclude_unset=True)
    async def without_unset(connection: Connection) -> Profile:
        return {"name": "ada", "bio": None}  # type: ignore[return-value]  # validated into Profile

    @profiles.get("/defaults", exclude_defaults=True)
    async def without_defaults(connection: Connection) -> list[Profile]:
        return [Profile(name="ada", bio="x"), Profile(name="bob")]

    @profiles.get("/plain")
    async def plain(connection: Connection) -> Profile:
        return Profile(name="ada")

    @profiles.route("/view", exclude_none=True)
    class Profiles(View):
        async def get(self, connection: Connection) -> Profile:
            return Profile(name="ada")

        @operation(exclude_none=False, exclude_unset=True)  # a method's own wins
        async def post(self, connection: Connection) -> Profile:
            return Profile(name="ada", bio=None)

    with TestClient(aaf([profiles])) as c:
        assert c.get("/none").json() == {"name": "ada", "visits": 3}
        assert c.get("/unset").json() == {"name": "ada", "bio": None}
        assert c.get("/defaults").json() == [{"name": "ada", "bio": "x"}, {"name": "bob"}]
        assert c.get("/plain").json() == {"name": "ada", "bio": None, "visits": 0}
        assert c.get("/view").json() == {"name": "ada", "visits": 0}
        assert c.post("/view").json() == {"name": "ada", "bio": None}


# 2. Repeated keys --------------------------------------------------------------------------------
def test_a_repeated_query_key_gives_a_scalar_its_last_value(client: TestClient) -> None:
    body = client.get("/query?q=first&q=last&tags=a&tags=b").json()
    assert body == {"q": "last", "tags": ["a", "b"]}


def test_a_repeated_header_or_cookie_gives_the_first(client: TestClient) -> None:
    response = client.get(
        "/headers",
        headers=[("x-tag", "one"), ("x-tag", "two"), ("cookie", "session=s1; session=s2; x")],
    )
    assert response.json() == {"x_tag": "one", "session": "s1", "unnamed": "x"}


class OnlySession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session: str


def test_a_cookie_chunk_with_neither_name_nor_value_is_no_cookie() -> None:
    # A bare "=" between semicolons was a cookie named "" holding "": a Cookie() model that
    # forbids other keys answered 422 where Starlette's parser (FastAPI's) skips the chunk.
    # A value with no name is still a cookie named "" (what `document.cookie = "x"` sends).
    app = App()

    @app.get("/strict")
    async def strict(connection: Connection, cookies: Annotated[OnlySession, Cookie()]) -> str:
        return repr(sorted(connection.req_cookies.items()))

    client = TestClient(app)
    response = client.get("/strict", headers={"cookie": "=; session=s1; = ;;"})
    assert response.status_code == 200 and response.text == "[('session', 's1')]"
    response = client.get("/strict", headers={"cookie": 'session=s1; x; ""'})
    assert response.status_code == 422
    assert [entry["loc"] for entry in response.json()["detail"]] == [["cookie", ""]]


def test_a_cookie_is_read_as_utf8_and_a_header_as_iso_8859_1(client: TestClient) -> None:
    # README, "Differences from FastAPI": browsers send a cookie a page set to "é" as its
    # UTF-8 bytes, which Starlette reads as ISO-8859-1 ("Ã©"); headers are read so by both.
    sent = [(b"x-tag", "é".encode()), (b"cookie", "session=é".encode())]
    response = client.get("/headers", headers=sent)
    assert response.json() == {"x_tag": "Ã©", "session": "é", "unnamed": ""}


def test_a_forms_pairs_come_in_the_order_the_body_sent_them() -> None:
    # As Starlette's FormData gives them: the pairs of a repeated key were grouped (werkzeug's
    # multidict order), so a form of rows (item, qty, item, qty) lost which went with which.
    app = App()

    @app.post("/pairs")
    async def pairs(connection: Connection) -> list[list[str]]:
        form = await connection.form()
        return [
            [key, value if isinstance(value, str) else f"file {value.filename}"]
            for key, value in form.multi_items()
        ]

    client = TestClient(app)
    sent = client.post("/pairs", content=b"item=a&qty=1&item=b&qty=2", headers=FORM)
    assert sent.json() == [["item", "a"], ["qty", "1"], ["item", "b"], ["qty", "2"]]
    sent = client.post(
        "/pairs",
        data={"item": ["a", "b"], "qty": "1"},
        files=[("item", ("x.txt", b"x")), ("note", ("n.txt", b"n"))],
    )
    # httpx sends the data fields first, in its own order, then the files.
    assert sent.json() == [
        ["item", "a"],
        ["item", "b"],
        ["qty", "1"],
        ["item", "file x.txt"],
        ["note", "file n.txt"],
    ]
    raw = (
        b"--b\r\nContent-Disposition: form-data; name=item\r\n\r\na\r\n"
        b'--b\r\nContent-Disposition: form-data; name=item; filename="x.txt"\r\n\r\nx\r\n'
        b"--b\r\nContent-Disposition: form-data; name=qty\r\n\r\n1\r\n"
        b"--b\r\nContent-Disposition: form-data; name=item\r\n\r\nb\r\n--b--\r\n"
    )
    sent = client.post(
        "/pairs", content=raw, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert sent.json() == [["item", "a"], ["item", "file x.txt"], ["qty", "1"], ["item", "b"]]


def test_a_form_built_or_changed_by_hand_gives_its_text_pairs_then_its_files() -> None:
    upload = UploadFile(filename="x.txt")
    made = FormData(MultiDict([("a", "1"), ("b", "2"), ("a", "3")]), MultiDict([("f", upload)]))
    assert made.multi_items() == [("a", "1"), ("a", "3"), ("b", "2"), ("f", upload)]
    app = App()

    @app.post("/changed")
    async def changed(connection: Connection) -> list[list[list[str]]]:
        form = await connection.form()
        seen = [[[key, str(value)] for key, value in form.multi_items()]]
        form.fields.setlist("c", ["4"])  # one more pair than the body sent
        seen.append([[key, str(value)] for key, value in form.multi_items()])
        form.fields.pop("c")
        form.fields.setlist("b", [])
        form.fields.add("d", "5")  # as many pairs, but not the body's
        seen.append([[key, str(value)] for key, value in form.multi_items()])
        return seen

    sent = TestClient(app).post("/changed", content=b"a=1&b=2&a=3", headers=FORM)
    assert sent.json() == [
        [["a", "1"], ["b", "2"], ["a", "3"]],
        [["a", "1"], ["a", "3"], ["b", "2"], ["c", "4"]],
        [["a", "1"], ["a", "3"], ["d", "5"]],
    ]


def test_a_repeated_form_key_gives_the_last(client: TestClient) -> None:
    response = client.post("/form", content=b"title=a&title=b", headers=FORM)
    assert response.json() == {"title": "b", "colour": "blue"}


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")
    page: int = 1


def test_a_repeated_key_no_field_of_a_whole_model_reads_keeps_every_value() -> None:
    # As FastAPI fills a parameter model: a key the model has no field for gives its one
    # value, or every value when repeated, so that `extra="allow"` loses nothing sent.
    router = Router()

    @router.get("/query")
    async def query(connection: Connection, open: Annotated[Open, Query()]) -> Open:
        return open

    @router.post("/form")
    async def form(connection: Connection, open: Annotated[Open, Form()]) -> Open:
        return open

    client = TestClient(aaf([router]))
    assert client.get("/query?tag=a&tag=b&page=2&page=3&one=x").json() == {
        "page": 3,
        "tag": ["a", "b"],
        "one": "x",
    }
    answer = client.post("/form", content=b"tag=a&page=2&tag=&tag=b&page=4", headers=FORM)
    assert answer.json() == {"page": 4, "tag": ["a", "b"]}
    # An empty value is absent for the whole form model, an extra key's too (FastAPI gives
    # the extra its ""; README, "Differences from FastAPI").
    answer = client.post("/form", content=b"page=&note=&one=x", headers=FORM)
    assert answer.json() == {"page": 1, "one": "x"}
    # And a 422 echoes them so.
    assert client.get("/query?page=x&tag=a&tag=b").json()["detail"][0]["input"] == "x"
    missing = TestClient(aaf([_needs_a_name()])).get("/need?tag=a&tag=b").json()["detail"]
    assert missing[0]["input"] == {"tag": ["a", "b"]}


class Named(BaseModel):
    name: str


def _needs_a_name() -> Router:
    router = Router()

    @router.get("/need")
    async def need(connection: Connection, named: Annotated[Named, Query()]) -> Named:
        return named

    return router


# 3, 4. Defaults ----------------------------------------------------------------------------------
def test_a_query_model_with_defaults_accepts_an_empty_query(client: TestClient) -> None:
    assert client.get("/paging").json() == {"page": 1, "size": 20}
    assert client.get("/paging?page=3").json() == {"page": 3, "size": 20}


FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_an_empty_form_value_counts_as_absent(client: TestClient) -> None:
    response = client.post("/form", content=b"title=t&colour=", headers=FORM)
    assert response.json() == {"title": "t", "colour": "blue"}
    errors = client.post("/form", content=b"title=&colour=red", headers=FORM).json()["detail"]
    assert errors == [
        {"type": "missing", "loc": ["body", "title"], "msg": "Field required", "input": None}
    ]


class Basket(BaseModel):
    qty: int = 1
    notes: list[str] = []


def test_each_empty_value_of_a_repeated_form_key_is_dropped_before_it_is_read() -> None:
    # A blank input does not erase a filled one of the same name, and a list of numbers is
    # not wrong for a blank input among them (FastAPI takes the last value, "" meaning
    # absent, and keeps "" in a list: `qty=3&qty=` is its default, `sizes=4&sizes=` a 422).
    router = Router()

    @router.post("/order")
    async def order(
        connection: Connection,
        qty: Annotated[int, Form()] = 1,
        sizes: Annotated[list[int], Form()] = [],  # noqa: B006  # pydantic copies defaults
    ) -> dict[str, object]:
        return {"qty": qty, "sizes": sizes}

    @router.post("/model")
    async def model(connection: Connection, basket: Annotated[Basket, Form()]) -> Basket:
        return basket

    client = TestClient(aaf([router]))
    answer = client.post("/order", content=b"qty=3&qty=&sizes=4&sizes=&sizes=5", headers=FORM)
    assert answer.json() == {"qty": 3, "sizes": [4, 5]}
    multipart = client.post("/order", files=[("qty", (None, "3")), ("qty", (None, ""))])
    assert multipart.json() == {"qty": 3, "sizes": []}
    answer = client.post("/model", content=b"qty=2&qty=&notes=a&notes=&notes=b", headers=FORM)
    assert answer.json() == {"qty": 2, "notes": ["a", "b"]}
    assert client.post("/model", content=b"qty=&notes=", headers=FORM).json() == {
        "qty": 1,
        "notes": [],
    }


def test_a_file_name_with_windows_folders_is_cut_to_its_last_part_as_fastapi_cuts_it() -> None:
    router = Router()

    @router.post("/upload")
    async def upload(connection: Connection, file: UploadFile) -> str | None:
        return file.filename

    client = TestClient(aaf([router]))
    for sent, kept in (
        ("C:\\fakepath\\photo.jpg", "photo.jpg"),
        ("\\\\server\\share\\photo.jpg", "photo.jpg"),
        ("../photo.jpg", "../photo.jpg"),  # as sent: secure_filename before using it as a path
        ("photo.jpg", "photo.jpg"),
    ):
        assert client.post("/upload", files={"file": (sent, b"x")}).text == kept


def test_backslashes_in_part_names_are_read_as_browsers_send_them() -> None:
    # Browsers and curl send a backslash as it is (only `"` is escaped, as %22); werkzeug
    # read each as an escape: `a\b.txt` arrived as `ab.txt`, Windows folders were lost
    # before they could be cut, and `filename="x\"` was no file at all. httpx doubles
    # them, which is still read as one.
    router = Router()

    @router.post("/parts")
    async def parts(connection: Connection) -> dict[str, str | None]:
        form = await connection.form()
        return {
            key: value if isinstance(value, str) else f"file {value.filename}"
            for key, value in form.items()
        }

    client = TestClient(aaf([router]))

    def sent(*dispositions: bytes) -> object:
        body = b"".join(
            b"--B\r\nContent-Disposition: form-data; " + d + b"\r\n\r\nv\r\n" for d in dispositions
        )
        response = client.post(
            "/parts",
            content=body + b"--B--\r\n",
            headers={"content-type": "multipart/form-data; boundary=B"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    assert sent(b'name="a\\b"', b'name="c\\"') == {"a\\b": "v", "c\\": "v"}
    assert sent(b'name="up"; filename="x\\"') == {"up": "file x\\"}
    assert sent(b'name="up"; filename="C:\\docs\\a.txt"') == {"up": "file a.txt"}
    assert sent(b'name="up"; filename="a\\\\b \\"q\\".txt"') == {"up": 'file a\\b "q".txt'}
    assert sent(b'name="x%22y"') == {'x"y': "v"}  # a browser's escaped quote, as before
    # Spaces around "=" (outside RFC 9110's grammar, taken by python-multipart): a name.
    assert sent(b'name = "spaced"') == {"spaced": "v"}
    assert sent(b"name=token\\; other") == {"token\\": "v"}  # a token: no quotes, no escapes
    # RFC 5987's filename* wins, as werkzeug reads it; a parameter past a broken one is
    # werkzeug's to find (here the name).
    star = b'name="up"; filename="a\\b"; filename*=UTF-8\'\'%E2%82%AC.txt'
    assert sent(star) == {"up": "file \u20ac.txt"}
    assert sent(b'name="n\\"; =broken') == {"n\\": "v"}
    assert client.post("/parts", files={"f": ("a\\b.txt", b"x")}).json() == {"f": "file a\\b.txt"}


def test_file_names_werkzeug_misread_are_read_as_the_client_meant_them() -> None:
    # RFC 8187's filename* wins over filename when it holds a name; werkzeug took one that
    # holds none (empty, no charset, a charset no form may use) for the name itself: a
    # file named "UTF-8''" where the client sent filename="x.txt".
    router = Router()

    @router.post("/parts")
    async def parts(connection: Connection) -> dict[str, str]:
        form = await connection.form()
        return {k: v if isinstance(v, str) else f"file {v.filename}" for k, v in form.items()}

    client = TestClient(aaf([router]))

    def sent(disposition: str) -> object:
        body = f"--B\r\nContent-Disposition: form-data; {disposition}\r\n\r\nv\r\n--B--\r\n"
        response = client.post(
            "/parts",
            content=body.encode("latin-1"),
            headers={"content-type": "multipart/form-data; boundary=B"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    assert sent('name="f"; filename="x.txt"; filename*=UTF-8\'\'') == {"f": "file x.txt"}
    assert sent('name="f"; filename="x.txt"; filename*=utf-7\'\'%2B') == {"f": "file x.txt"}
    assert sent('name="f"; filename="x.txt"; FILENAME*=bogus') == {"f": "file x.txt"}
    # With no filename to fall back on, it is a field, as python-multipart (Starlette's) has it.
    assert sent("name=\"f\"; filename*=UTF-8''") == {"f": "v"}
    assert sent('name="f"; filename*=bogus') == {"f": "v"}
    # A name it does hold wins, in either charset an RFC 8187 recipient reads, "+" kept.
    assert sent('name="f"; filename="e.txt"; filename*=UTF-8\'en\'%E2%82%AC+1.txt') == {
        "f": "file \u20ac+1.txt"
    }
    assert sent('name="f"; filename*="ISO-8859-1\'\'%E9.txt"') == {"f": "file \u00e9.txt"}
    assert sent("name=\"f\"; filename*=UTF-8''%FF.txt") == {"f": "file \ufffd.txt"}
    # Spaces around the "=" of a filename (RFC 2616's implied whitespace, which
    # python-multipart takes): werkzeug read no file name, and the upload arrived as a text
    # field holding the file's bytes.
    assert sent('name="f"; filename= "a.txt"') == {"f": "file a.txt"}
    assert sent('name="f"; filename = b.txt') == {"f": "file b.txt"}
    assert sent('name="f";filename ="c.txt"') == {"f": "file c.txt"}
    assert sent('name="filename"') == {"filename": "v"}  # the word alone names no file
    # Unquoted values outside RFC 7230's token (curl and browsers quote; hand-made clients do
    # not): read up to the ";" as python-multipart does; werkzeug stopped at the first such
    # character, a file named ".." or a field named "a".
    assert sent("name=f; filename=../x.txt") == {"f": "file ../x.txt"}
    assert sent("name=f; filename=my notes.txt ") == {"f": "file my notes.txt"}
    assert sent("name=a b") == {"a b": "v"}
    assert sent("name=a/b; filename=c") == {"a/b": "file c"}
    assert sent('name=f; filename="a=b c.txt"') == {"f": "file a=b c.txt"}
    assert sent("name=plain-token.1") == {"plain-token.1": "v"}
    # An unquoted %22 reads as a quote whatever else the header holds (it was one only
    # when werkzeug's reading was kept, here cut at the space).
    assert sent("name=f; filename=a%22.txt") == {"f": 'file a".txt'}
    assert sent("name=a b; filename=a%22.txt") == {"a b": 'file a".txt'}


def test_a_form_content_type_is_read_in_any_case(client: TestClient) -> None:
    # RFC 9110 8.3.1: type and subtype are case-insensitive, as aaf reads a JSON body's;
    # an upper-case form type answered 415 (Starlette reads it).
    for content_type in (
        "APPLICATION/X-WWW-FORM-URLENCODED",
        "Application/X-Www-Form-Urlencoded; Charset=UTF-8",
    ):
        response = client.post("/form", content=b"title=t", headers={"content-type": content_type})
        assert response.status_code == 200, (content_type, response.text)
    files = {"title": (None, b"t")}
    request = client.build_request("POST", "/form", files=files)
    body = request.read()
    boundary = request.headers["content-type"].partition("boundary=")[2]
    response = client.post(
        "/form",
        content=body,
        headers={"content-type": f"MULTIPART/FORM-DATA; BOUNDARY={boundary}"},
    )
    assert response.status_code == 200, response.text


def test_a_form_route_given_no_body_answers_422_missing(client: TestClient) -> None:
    response = client.post("/form")
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "title"]]


# 5. JSON bodies ----------------------------------------------------------------------------------
def test_a_json_body_without_a_content_type_is_415(client: TestClient) -> None:
    response = client.post("/notes", content=b'{"title": "t", "body": "b"}')
    assert response.status_code == 415 and "no content type" in response.text


def test_a_json_body_in_another_charset_is_415(client: TestClient) -> None:
    response = client.post(
        "/notes",
        content='{"title": "é", "body": "b"}'.encode("latin-1"),
        headers={"content-type": "application/json; charset=latin-1"},
    )
    assert response.status_code == 415
    # US-ASCII is UTF-8 (its text is the same bytes in both): taken, as a form names it.
    for charset in ("us-ascii", '"US-ASCII"', "ascii"):
        response = client.post(
            "/notes",
            content=b'{"title": "t", "body": "b"}',
            headers={"content-type": f"application/json; charset={charset}"},
        )
        assert response.status_code == 201, charset


def test_json_content_type_parameters_other_than_charset_are_let_be(client: TestClient) -> None:
    # A version or profile parameter says nothing of the encoding: UTF-8, as RFC 8259 says.
    for content_type in ("application/json; version=2", 'application/json;profile="x"; q'):
        response = client.post(
            "/notes",
            content='{"title": "é", "body": "b"}'.encode(),
            headers={"content-type": content_type},
        )
        assert response.status_code == 201, content_type
        assert response.json() == {"title": "é", "body": "b"}


def test_a_utf8_bom_before_json_is_skipped(client: TestClient) -> None:
    response = client.post(
        "/notes",
        content=b'\xef\xbb\xbf{"title": "t", "body": "b"}',
        headers={"content-type": "Application/JSON; charset=UTF-8"},
    )
    assert response.status_code == 201 and response.json() == {"title": "t", "body": "b"}


def test_a_json_body_is_judged_by_the_first_content_type_wherever_it_comes(
    client: TestClient,
) -> None:
    # The first Content-Type counts, before or after the Content-Length, as werkzeug's
    # Headers.get reads it; a BOM is skipped under the plain type too.
    note = b'{"title": "t", "body": "b"}'
    length = ("content-length", str(len(note)))
    json_type, text_type = ("content-type", "application/json"), ("content-type", "text/plain")
    for headers, status in [
        ([json_type, text_type, length], 201),
        ([text_type, json_type, length], 415),
        ([length, json_type], 201),
        ([length, text_type, json_type], 415),
        ([length, ("content-type", "application/problem+json")], 201),
    ]:
        response = client.post("/notes", content=note, headers=headers)
        assert response.status_code == status, headers
    # The first Content-Length counts too (a server refuses two that differ; the app's
    # reading does not depend on it).
    twice = [json_type, length, ("content-length", "5")]
    assert client.post("/notes", content=note, headers=twice).status_code == 201
    bom = client.post("/notes", content=b"\xef\xbb\xbf" + note, headers=[json_type])
    assert bom.status_code == 201 and bom.json() == {"title": "t", "body": "b"}


def test_an_empty_body_without_a_content_type_is_422_missing(client: TestClient) -> None:
    response = client.post("/notes")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "missing"


# 6. ASCII digits ---------------------------------------------------------------------------------
def test_int_rule_variables_take_ascii_digits_only(client: TestClient) -> None:
    assert client.get("/items/12").json() == 12
    assert client.get("/items/１２").status_code == 404
    assert client.get("/items/٣").status_code == 404


def test_float_rule_variables_take_werkzeugs_form_and_plain_ones_any_number() -> None:
    # README, "Differences from FastAPI": <float:> as in Flask; <x> with `x: float` as FastAPI.
    router = Router()

    @router.get("/typed/<float:x>")
    async def typed(connection: Connection, x: float) -> float:
        return x

    @router.get("/plain/<x>")
    async def plain(connection: Connection, x: float) -> float:
        return x

    client = TestClient(aaf([router]))
    assert client.get("/typed/1.5").json() == 1.5
    for number in ("1", "-1.5", "1e5"):
        assert client.get(f"/typed/{number}").status_code == 404
        assert client.get(f"/plain/{number}").json() == float(number)
    assert client.get("/plain/abc").json()["detail"][0]["type"] == "float_parsing"


def test_a_typed_converters_value_is_what_a_422_echoes() -> None:
    # README, "Differences from FastAPI": werkzeug converted the segment before validation.
    router = Router()

    @router.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: Annotated[int, Field(gt=10)]) -> int:
        return item_id

    @router.get("/plain/<item_id>")
    async def plain(connection: Connection, item_id: Annotated[int, Field(gt=10)]) -> int:
        return item_id

    client = TestClient(aaf([router]))
    for path in ("/items/05", "/items/5"):
        (entry,) = client.get(path).json()["detail"]
        assert (entry["loc"], entry["type"], entry["input"]) == (
            ["path", "item_id"],
            "greater_than",
            5,
        )
    (entry,) = client.get("/plain/05").json()["detail"]
    assert entry["input"] == "05"  # an untyped rule variable is text until pydantic reads it


# 7. 422 shapes -----------------------------------------------------------------------------------
def test_missing_query_and_header_values_echo_null(client: TestClient) -> None:
    assert client.get("/query").json()["detail"] == [
        {"type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": None}
    ]


async def scoped_token(
    connection: Connection, t: Annotated[int, Header()], scope: Annotated[int, Query()]
) -> int:
    return t


def test_errors_are_listed_by_where_they_come_from_as_fastapi_lists_them() -> None:
    # FastAPI's order: a provider's errors first, then the path, query, header and cookie
    # values, then the body, each in the order of the parameters. They were listed in the
    # order their sources first appear among the parameters (a cookie before the path).
    local = Router()

    @local.post("/mixed/<p>")
    async def mixed(
        connection: Connection,
        c: Annotated[int, Cookie()],
        user: User,
        h: Annotated[int, Header()],
        p: int,
        q: int,
        checked: Annotated[int, Depends(scoped_token)],
    ) -> None: ...

    @local.get("/twice", dependencies=[Depends(scoped_token)])
    async def twice(connection: Connection, t: Annotated[int, Depends(scoped_token)]) -> int:
        return t

    @local.post("/form/<p>")
    async def form(
        connection: Connection,
        c: Annotated[int, Cookie()],
        f: Annotated[int, Form()],
        h: Annotated[int, Header()],
        p: int,
        q: int,
    ) -> None: ...

    with TestClient(aaf([local])) as client:
        headers = {"h": "x", "t": "x", "cookie": "c=x"}
        answer = client.post("/mixed/x?q=x&scope=x", json={"name": 1}, headers=headers)
        assert [tuple(e["loc"]) for e in answer.json()["detail"]] == [
            ("query", "scope"),
            ("header", "t"),
            ("path", "p"),
            ("query", "q"),
            ("header", "h"),
            ("cookie", "c"),
            ("body", "name"),
        ]
        answer = client.post("/form/x?q=x", data={"f": "y"}, headers=headers)
        assert [tuple(e["loc"]) for e in answer.json()["detail"]] == [
            ("path", "p"),
            ("query", "q"),
            ("header", "h"),
            ("cookie", "c"),
            ("body", "f"),
        ]
        # A provider asked for twice (the route's and a parameter's) is validated once: its
        # errors are listed once (README; FastAPI lists them for each ask).
        answer = client.get("/twice?scope=x", headers={"t": "x"})
        assert [tuple(e["loc"]) for e in answer.json()["detail"]] == [
            ("query", "scope"),
            ("header", "t"),
        ]


def test_a_missing_part_of_a_value_echoes_the_value_as_sent() -> None:
    # FastAPI: a parameter missing is input null; a tuple's second member missing echoes
    # what was sent for the tuple (as a body field missing echoes the enclosing object).
    local = Router()

    @local.get("/pair")
    async def pair(
        connection: Connection, x: Annotated[tuple[int, int], Query()]
    ) -> dict[str, object]:
        return {"x": x}

    with TestClient(aaf([local])) as client:
        assert client.get("/pair?x=1").json()["detail"] == [
            {"type": "missing", "loc": ["query", "x", 1], "msg": "Field required", "input": ["1"]}
        ]
        assert client.get("/pair").json()["detail"] == [
            {"type": "missing", "loc": ["query", "x"], "msg": "Field required", "input": None}
        ]
        assert client.get("/pair?x=1&x=2").json() == {"x": [1, 2]}


def test_a_missing_body_field_echoes_the_enclosing_object(client: TestClient) -> None:
    response = client.post("/notes", json={"title": "t"})
    assert response.json()["detail"] == [
        {
            "type": "missing",
            "loc": ["body", "body"],
            "msg": "Field required",
            "input": {"title": "t"},
        }
    ]


def test_a_body_that_is_not_json_is_reported_as_fastapi_does(client: TestClient) -> None:
    response = client.post(
        "/notes", content=b'{"title": "t",, }', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "json_invalid",
            "loc": ["body", 14],
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": "Expecting property name enclosed in double quotes"},
        }
    ]


def test_a_body_that_is_not_json_is_listed_after_the_other_wrong_values() -> None:
    # README, "Differences from FastAPI": FastAPI parses the body before it reads anything
    # else and answers its error alone; bytes that are not UTF-8 are its 400 "There was an
    # error parsing the body".
    router = Router()

    @router.post("/notes")
    async def add(connection: Connection, note: Note, limit: Annotated[int, Query()]) -> int:
        return limit

    client = TestClient(aaf([router]))
    typed = {"content-type": "application/json"}
    for data in (b'{"title": "t",, }', b'{"title": "\xff"}'):
        answer = client.post("/notes?limit=x", content=data, headers=typed)
        assert answer.status_code == 422
        assert [(e["type"], e["loc"][0]) for e in answer.json()["detail"]] == [
            ("int_parsing", "query"),
            ("json_invalid", "body"),  # at Python's place, or pydantic's for those bytes
        ]
        answer = client.post("/notes?limit=1", content=data, headers=typed)
        assert [e["type"] for e in answer.json()["detail"]] == ["json_invalid"]


def test_each_entry_carries_its_context_as_fastapi_writes_it(client: TestClient) -> None:
    # The limit that was broken, for a client to phrase its own message: query and body alike.
    assert client.get("/limits?n=1&ids=4").json()["detail"] == [
        {
            "type": "greater_than",
            "loc": ["query", "n"],
            "msg": "Input should be greater than 2",
            "input": "1",
            "ctx": {"gt": 2},
        },
        {
            "type": "too_short",
            "loc": ["query", "ids"],
            "msg": "List should have at least 2 items after validation, not 1",
            "input": ["4"],
            "ctx": {"field_type": "List", "min_length": 2, "actual_length": 1},
        },
    ]
    detail = client.post("/orders", json={"count": 3, "price": "1.2", "due": "2019-05-01"})
    assert [(e["loc"], e["type"], e["ctx"]) for e in detail.json()["detail"]] == [
        # A validator's exception as its message (FastAPI writes {}), a Decimal limit as a
        # number and a date as ISO text (as FastAPI writes them).
        (["body", "count"], "value_error", {"error": "no threes"}),
        (["body", "price"], "greater_than_equal", {"ge": 1.5}),
        (["body", "due"], "greater_than", {"gt": "2020-01-01"}),
    ]
    entry = client.post("/orders", json={"count": 1, "price": "123.45"}).json()["detail"][0]
    assert entry["type"] == "decimal_max_digits" and entry["ctx"] == {"max_digits": 4}
    # An entry without context (a missing value) has no ctx key, as in FastAPI.
    assert "ctx" not in client.get("/limits").json()["detail"][0]


def test_a_field_missing_from_a_query_or_form_model_echoes_what_was_sent(
    client: TestClient,
) -> None:
    missing = {"type": "missing", "msg": "Field required", "input": {"size": "2", "other": "x"}}
    response = client.get("/filters/query?size=2&other=x")
    assert response.json()["detail"] == [{**missing, "loc": ["query", "kind"]}]
    response = client.post("/filters/form", data={"size": "2", "other": "x"})
    assert response.json()["detail"] == [{**missing, "loc": ["body", "kind"]}]
    # A header or cookie model's would be every header (a proxy's own among them) and every
    # cookie (HttpOnly ones too): null, as for a single value.
    response = client.get("/filters/header", headers={"size": "2", "authorization": "Bearer s"})
    assert response.json()["detail"][0]["input"] is None
    response = client.get("/filters/cookie", headers={"cookie": "size=2; session=secret"})
    assert response.json()["detail"] == [
        {"type": "missing", "loc": ["cookie", "kind"], "msg": "Field required", "input": None}
    ]


def test_text_where_a_file_goes_and_a_file_where_text_goes_are_said(client: TestClient) -> None:
    # Not "Field required": the client sent something, of the wrong kind (FastAPI's entries).
    response = client.post("/attach", data={"file": "just text"})
    reason = "Expected UploadFile, received: <class 'str'>"
    assert response.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "file"],
            "msg": f"Value error, {reason}",
            "input": "just text",
            "ctx": {"error": reason},
        }
    ]
    response = client.post(
        "/attach", files={"file": ("a.txt", b"a"), "note": ("n.txt", b"n", "text/plain")}
    )
    assert response.json()["detail"] == [
        {
            "type": "string_type",
            "loc": ["body", "note"],
            "msg": "Input should be a valid string",
            "input": "<UploadFile: 'n.txt' ('text/plain')>",
        }
    ]
    assert client.post("/attach", files={"file": ("a.txt", b"a")}).json() == {
        "file": "a.txt",
        "note": "",
    }


def test_a_file_input_with_no_file_chosen_counts_as_absent(client: TestClient) -> None:
    # What a browser sends for it (tests/test_forms_browser.py sends it from Chromium): a
    # part with an empty file name and no content. A file chosen, even empty, is a file.
    def part(filename: str, content: bytes) -> bytes:
        return (
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="'
            + filename.encode()
            + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
            + content
            + b"\r\n--B--\r\n"
        )

    multipart = {"content-type": "multipart/form-data; boundary=B"}
    response = client.post("/attach", content=part("", b""), headers=multipart)
    assert response.json()["detail"][0]["type"] == "missing"
    response = client.post("/attach", content=part("empty.txt", b""), headers=multipart)
    assert response.json() == {"file": "empty.txt", "note": ""}
    response = client.post("/attach", content=part("", b"data"), headers=multipart)
    assert response.json() == {"file": "", "note": ""}


def test_a_list_of_files_and_bytes_read_from_files_take_what_was_sent() -> None:
    # Text among a list's files is said (it was dropped); a bytes field takes a chosen empty
    # file as b"" (it counted as absent), a file input with none chosen staying absent.
    local = Router()

    @local.post("/files")
    async def files(
        connection: Connection,
        files: list[UploadFile],
        data: Annotated[bytes | None, File()] = None,
    ) -> dict[str, object]:
        return {"files": [f.filename for f in files], "data": data}

    part = multipart_part
    multipart = {"content-type": "multipart/form-data; boundary=B"}
    with TestClient(aaf([local])) as client:
        body = part("files", "a.txt", b"1") + part("files", None, b"text") + b"--B--\r\n"
        (entry,) = client.post("/files", content=body, headers=multipart).json()["detail"]
        assert (entry["loc"], entry["input"]) == (["body", "files", 1], "text")  # its place
        body = part("files", "a.txt", b"1") + part("data", "empty.bin", b"") + b"--B--\r\n"
        assert client.post("/files", content=body, headers=multipart).json() == {
            "files": ["a.txt"],
            "data": "",
        }
        body = part("files", "a.txt", b"1") + part("data", "", b"") + b"--B--\r\n"
        assert client.post("/files", content=body, headers=multipart).json()["data"] is None


def test_an_uploads_file_is_the_spooled_file_as_starlettes_is(tmp_path: pathlib.Path) -> None:
    # FastAPI's `shutil.copyfileobj(upload.file, out)`: type-checked (werkzeug hands unknown
    # attributes to the stream, typed Any) and failed with a 500 at run time.
    local = Router()

    @local.post("/save")
    async def save(connection: Connection, upload: Annotated[UploadFile, File()]) -> int:
        with open(tmp_path / "saved.bin", "wb") as out:
            shutil.copyfileobj(upload.file, out)
        upload.file.seek(0)
        return len(upload.readline())

    client = TestClient(aaf([local]))
    for content in (b"one\ntwo\n", b"x" * 2_000_000):  # in memory, and spooled to disk
        answer = client.post("/save", files={"upload": ("a.bin", content)})
        assert answer.json() == len(content.split(b"\n")[0]) + (b"\n" in content)
        assert (tmp_path / "saved.bin").read_bytes() == content


def test_a_malformed_multipart_body_is_a_400_saying_what_is_wrong(client: TestClient) -> None:
    multipart = {"content-type": "multipart/form-data; boundary=B"}
    said = {
        b"not multipart": "no part: the body holds no line '--B' (its Content-Type's boundary)",
        b"--B\r\nContent-Disposition: form-da": (
            "a part's headers are cut short, or it has no Content-Disposition"
        ),
        b'--B\r\nContent-Disposition: form-data; name="note"\r\n\r\nx': (
            "it ends inside a part, before its closing line '--B--'"
        ),
        # RFC 7578 4.2: each part has a name. Before, a form model with extra="allow" was
        # given the key None (a 422 "Keys should be strings"), and form() held it.
        b'--B\r\nContent-Disposition: form-data; filename="a.txt"\r\n\r\nx\r\n--B--\r\n': (
            'a part without a name (each part\'s Content-Disposition is form-data; name="...")'
        ),
        b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--\r\n": (
            "Missing Content-Disposition header"
        ),
        # No blank line after a part's headers: werkzeug took the next part (its delimiter
        # line, its headers) as more of them, and the file was lost without a word.
        b'--B\r\nContent-Disposition: form-data; name="note"\r\nhi\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nx\r\n'
        b"--B--\r\n": (
            "a part's headers hold 'hi', which is no header (a blank line must end a part's"
            " headers)"
        ),
        # A first delimiter line mangled left its part in the preamble, lost without a word.
        b'-B\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n'
        b'--B\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--B--\r\n': (
            repr('-B\r\nContent-Disposition: form-data; name="file"\r\n\r\nx')
            + " comes before its first delimiter line"
        ),
        b'--B\r\nContent-Disposition: form-data; name="note"\r\n'
        b'Content-Disposition: form-data; name="file"; filename="a"\r\n\r\nx\r\n--B--\r\n': (
            "a part with two Content-Disposition headers"
        ),
    }
    # Blank lines before the first delimiter line are no text (a client may send some).
    blank = b"\r\n \r\n" + multipart_part("file", "a.txt", b"x") + b"--B--\r\n"
    assert client.post("/attach", content=blank, headers=multipart).status_code == 200
    for body, reason in said.items():
        response = client.post("/attach", content=body, headers=multipart)
        assert (response.status_code, response.text) == (400, f"Malformed multipart body: {reason}")
    # No body at all is an empty form, as with no content type: its required fields missing.
    response = client.post("/attach", content=b"", headers=multipart)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


async def _asgi_answer(
    app: ASGIApp,
    path: str,
    chunks: Sequence[bytes] = (),
    *,
    query: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> bytes:
    """What ``app`` answers a request a server hands it as it came: a POST of a body in
    ``chunks``, or a GET without any, its query string's bytes as sent."""
    recorder = Recorder([*chunks, b""])
    scope = http_scope("POST" if chunks else "GET", path, query, headers)
    await app(scope, recorder.receive, recorder.send)
    return b"".join(
        message.get("body", b"")
        for message in recorder.sent
        if message["type"] == "http.response.body"
    )


async def _multipart_answer(app: ASGIApp, chunks: list[bytes], boundary: str) -> bytes:
    """What ``app`` answers a multipart POST to /parts whose body comes in ``chunks``."""
    kind = f"multipart/form-data; boundary={boundary}".encode()
    return await _asgi_answer(app, "/parts", chunks, headers=[(b"content-type", kind)])


def test_text_beyond_ascii_sent_unescaped_reads_as_utf8() -> None:
    # README, "Differences from FastAPI": a query string or an urlencoded form with bytes
    # beyond ASCII (curl sends a URL as it is given) reads them as UTF-8; Starlette reads
    # them as ISO-8859-1 ("Ã©"). Escaped (%C3%A9), both read "é".
    app = aaf([router])
    for query in (b"q=\xc3\xa9", b"q=%C3%A9"):
        assert json.loads(asyncio.run(_asgi_answer(app, "/query", query=query)))["q"] == "é"
    urlencoded = [(b"content-type", b"application/x-www-form-urlencoded")]
    answer = asyncio.run(_asgi_answer(app, "/form", [b"title=\xc3\xa9"], headers=urlencoded))
    assert json.loads(answer)["title"] == "é"


def test_a_multipart_body_reads_the_same_wherever_the_network_cuts_it() -> None:
    # werkzeug's decoder given a piece ending inside a delimiter line ("\r\n--B-") gave the
    # line break before it as the part's last byte (werkzeug issue 3285), or the whole line
    # as data where spaces follow the delimiter: a field gained a "\r", a file a byte, or
    # the parts after it were lost, by where the network happened to cut the body.
    router = Router()

    @router.post("/parts")
    async def parts(
        connection: Connection, file: UploadFile, note: Annotated[str, Form()]
    ) -> list[str]:
        return [note, file.read().decode("latin-1")]

    app = aaf([router])
    boundary = "xyz123"
    body = (
        b"--xyz123\r\n"
        + b'Content-Disposition: form-data; name="note"\r\n\r\nhi\r\n\r\n'
        + b"--xyz123 \t\r\n"  # RFC 2046's transport padding after the delimiter
        + b'Content-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
        + b"\r\n--xyz12\r--xyz123-x\r\n"  # delimiter-like content, kept as it is
        + b"\r\n--xyz123--  \r\n"
    )
    whole = asyncio.run(_multipart_answer(app, [body], boundary))
    assert json.loads(whole) == ["hi\r\n", "\r\n--xyz12\r--xyz123-x\r\n"]
    for cut in range(len(body) + 1):
        pieces = [body[:cut], body[cut:]]
        assert asyncio.run(_multipart_answer(app, pieces, boundary)) == whole, cut
    bytewise = [body[i : i + 1] for i in range(len(body))]
    assert asyncio.run(_multipart_answer(app, bytewise, boundary)) == whole


def test_an_upload_read_in_slices_keeps_its_bytes_wherever_a_slice_ends() -> None:
    # The body is given to werkzeug's decoder 64 KiB at a time: a slice ending inside a
    # padded delimiter line lost the field after it, and cut the file short.
    router = Router()

    @router.post("/parts")
    async def parts(connection: Connection, file: UploadFile, note: Annotated[str, Form()]) -> str:
        return f"{note} {hashlib.sha256(file.read()).hexdigest()}"

    app = aaf([router])
    head = b'--B\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
    for shift in range(-12, 4):
        size = _forms.SLICE - len(head) + shift
        content = (b"ab\r\n" * size)[:size]
        body = head + content + b"\r\n--B  \r\n"
        body += b'Content-Disposition: form-data; name="note"\r\n\r\nv\r\n--B--\r\n'
        answer = asyncio.run(_multipart_answer(app, [body], "B"))
        assert answer == f"v {hashlib.sha256(content).hexdigest()}".encode(), shift


def test_random_multipart_bodies_read_the_same_however_they_are_cut() -> None:
    router = Router()

    @router.post("/parts")
    async def parts(connection: Connection) -> list[list[str]]:
        form = await connection.form()
        texts = [[key, value] for key, value in form.fields.items(multi=True)]
        files = [[key, upload.read().hex()] for key, upload in form.files.items(multi=True)]
        return texts + files

    app = aaf([router])
    rng = random.Random(3285)
    for _ in range(150):
        boundary = rng.choice(["B", "xyz123", "----WebKitFormBoundary7MA4YWxkTrZu0gW"])
        line = b"--" + boundary.encode()
        bits = [b"\r", b"\n", b"\r\n", b"-", b"--", line, line + b"-", b"a", b" ", b"\t"]
        body = b""
        for index in range(rng.randrange(1, 4)):
            content = b"".join(rng.choice(bits) for _ in range(rng.randrange(8)))
            if re.search(rb"[\r\n]" + re.escape(line), b"\r\n" + content + b"\r\n"):
                content = b"plain"  # a delimiter of its own: another body
            filename = b'; filename="a.bin"' if rng.random() < 0.5 else b""
            body += line + rng.choice([b"", b" ", b" \t "]) + b"\r\n"
            body += b'Content-Disposition: form-data; name="f%d"%s\r\n\r\n' % (index, filename)
            body += content + b"\r\n"
        body += line + b"--" + rng.choice([b"", b"\r\n", b"  \r\n"])
        whole = asyncio.run(_multipart_answer(app, [body], boundary))
        for _ in range(6):
            cuts = sorted(rng.randrange(len(body) + 1) for _ in range(rng.randrange(1, 6)))
            pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
            assert asyncio.run(_multipart_answer(app, pieces, boundary)) == whole, (body, cuts)


def test_an_upload_cut_by_the_network_inside_its_closing_line_arrives_whole() -> None:
    router = Router()

    @router.post("/size")
    async def size(connection: Connection, file: UploadFile) -> str:
        return hashlib.sha256(file.read()).hexdigest()

    content = bytes(range(256)) * 400  # 100 KiB, \r and \n among them
    head = b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
    body = head + content + b"\r\n--B--\r\n"
    request = (
        b"POST /size HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        b"Content-Type: multipart/form-data; boundary=B\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    cut = len(body) - len(b"-\r\n")  # after "\r\n--B-"
    assert body[:cut].endswith(b"\r\n--B-")
    with serve(aaf([router])) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(request + body[:cut])
            time.sleep(0.3)  # the server reads what came, and the decoder is given it
            sock.sendall(body[cut:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(hashlib.sha256(content).hexdigest().encode())


# 9. Every error through exception_handlers -------------------------------------------------------
def test_one_handler_makes_the_frameworks_own_errors_json() -> None:
    app = aaf([router], exception_handlers={HTTPError: as_json})
    with TestClient(app) as c:
        assert c.get("/nowhere").json() == {"error": "Not found"}
        response = c.post("/items/1")
        assert response.status_code == 405 and response.json() == {"error": "Method Not Allowed"}
        assert response.headers["allow"] == "GET, HEAD, OPTIONS"
        response = c.post("/notes", content=b"x", headers={"content-type": "text/plain"})
        assert response.status_code == 415 and "error" in response.json()


def test_a_string_detail_is_text_and_any_other_detail_json() -> None:
    # README, "Differences from FastAPI": FastAPI sends {"detail": ...} for both.
    errors = Router()

    @errors.get("/text")
    async def text(connection: Connection) -> None:
        raise HTTPError(409, "taken", headers={"X-Why": "name"})

    @errors.get("/data")
    async def data(connection: Connection) -> None:
        raise HTTPError(409, {"field": "name", "reason": "taken"})

    with TestClient(aaf([errors])) as c:
        response = c.get("/text")
        assert (response.status_code, response.text) == (409, "taken")
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.headers["x-why"] == "name"
        response = c.get("/data")
        assert response.status_code == 409
        assert response.json() == {"field": "name", "reason": "taken"}
        assert response.headers["content-type"] == "application/json"


def test_a_handler_keyed_by_status_code_answers_that_status() -> None:
    async def not_found(connection: Connection, exc: HTTPError) -> HttpResponse:
        return HttpResponse(f"no page at {connection.path}", status_code=404)

    with TestClient(aaf([router], exception_handlers={404: not_found})) as c:
        assert c.get("/nowhere").text == "no page at /nowhere"
        assert c.get("/items/abc").text == "no page at /items/abc"


# 10. Shortcuts and plain functions ---------------------------------------------------------------
def test_method_shortcuts_register_their_method(client: TestClient) -> None:
    assert client.put("/put").text == "put"
    assert client.patch("/patch").text == "patch"
    assert client.delete("/delete").status_code == 204
    assert client.get("/put").status_code == 405


def test_a_plain_def_handler_runs_in_a_worker_thread(client: TestClient) -> None:
    assert client.get("/sync?n=4").json() == {"n": 8}
    assert seen_threads and seen_threads[-1] != threading.main_thread().name
    assert client.get("/sync?n=x").status_code == 422


# 11. WebSocket handshakes ------------------------------------------------------------------------
def test_websocket_handlers_take_typed_query_and_header_values(client: TestClient) -> None:
    with client.websocket_connect("/ws?token=t1", headers={"x-client": "cli"}) as ws:
        assert ws.receive_json() == {"token": "t1", "client": "cli"}


def test_a_websocket_handshake_with_missing_values_is_refused_403(client: TestClient) -> None:
    with pytest.raises(WebSocketDenied) as info, client.websocket_connect("/ws"):
        pass
    assert info.value.status_code == 403
    # Which value and why, as a close reason says them (it said "Invalid handshake
    # parameters" alone).
    assert info.value.text == (
        "Invalid handshake parameters: query.token: Field required; header.x-client: Field required"
    )


def test_on_disconnect_runs_only_for_accepted_connections(client: TestClient) -> None:
    disconnects.clear()
    with pytest.raises((WebSocketDenied, WebSocketDisconnect)):
        with client.websocket_connect("/view?token=bad"):
            pass
    assert disconnects == []
    with client.websocket_connect("/view?token=good") as ws:
        ws.close(1000)
    assert disconnects == [1000]


# 13. The app -------------------------------------------------------------------------------------
def test_connection_app_is_the_app_serving_it(client: TestClient) -> None:
    assert client.get("/app").json() is True


def test_nan_and_infinity_are_null_in_json_responses() -> None:
    # FastAPI's JSONResponse refuses them (a 500); aaf writes null, as pydantic does in models.
    odd = Router()

    @odd.get("/odd")
    async def values(connection: Connection) -> JsonResponse:
        return JsonResponse({"a": float("nan"), "b": [float("inf"), float("-inf")]})

    response = TestClient(aaf([odd])).get("/odd")
    assert response.status_code == 200
    assert response.text == '{"a":null,"b":[null,null]}'


def test_an_extra_trailing_slash_is_404_and_options_is_answered(client: TestClient) -> None:
    # README, "Differences from FastAPI": werkzeug's rules, as in Flask. FastAPI redirects
    # /query/ to /query (307) and answers OPTIONS on a GET route 405.
    assert client.get("/query/", follow_redirects=False).status_code == 404
    answer = client.options("/query")
    assert (answer.status_code, answer.headers["allow"]) == (204, "GET, HEAD, OPTIONS")


def test_an_empty_path_segment_redirects_to_the_path_without_it() -> None:
    # README, "Differences from FastAPI": werkzeug's merge_slashes, as in Flask (FastAPI: 404).
    router = Router()

    @router.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: int) -> int:
        return item_id

    @router.get("/files/<path:name>")
    async def file(connection: Connection, name: str) -> str:
        return name

    client = TestClient(aaf([router]))
    moved = client.get("/items//3?x=1", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (308, "/items/3?x=1")
    assert client.get("/items//3").json() == 3
    assert client.get("/files/a//b").text == "a//b"


def test_a_status_set_on_the_connection_answers_a_returned_value() -> None:
    # FastAPI's `response.status_code = 201` with a returned value: the value still goes out
    # through the return annotation, with the status the handler chose.
    router = Router()

    @router.put("/items/<int:item_id>")
    async def put(connection: Connection, item_id: int, created: bool = False) -> User:
        if created:
            connection.resp_status_code = 201
        return {"name": f"item {item_id}", "password": "hidden"}  # type: ignore[return-value]  # filtered

    @router.get("/status/<int:status>")
    async def status(connection: Connection, status: int) -> dict[str, int]:
        connection.resp_status_code = status
        return {"status": status}

    @router.get("/own")
    async def own(connection: Connection) -> HttpResponse:
        connection.resp_status_code = 201
        return HttpResponse("its own status", status_code=200)

    async def provider() -> int:
        return 7

    @router.route("/view")
    class WithProvider(View):
        value: int = Depends(provider)

        async def post(self, connection: Connection) -> dict[str, int]:
            connection.resp_status_code = 202
            return {"value": self.value}

    client = TestClient(aaf([router]), raise_server_exceptions=False)
    assert client.put("/items/3").status_code == 200
    created = client.put("/items/3?created=true")
    assert (created.status_code, created.json()) == (201, {"name": "item 3", "nickName": ""})
    accepted = client.post("/view")
    assert (accepted.status_code, accepted.json()) == (202, {"value": 7})
    for no_body in (204, 304):
        answer = client.get(f"/status/{no_body}")
        assert (answer.status_code, answer.content) == (no_body, b"")
        assert "content-length" not in answer.headers
    assert client.get("/own").status_code == 200  # a response object keeps its own status
    assert client.get("/status/42").status_code == 500  # not a status: the handler's mistake


def test_an_urlencoded_form_over_1_mib_is_413(client: TestClient) -> None:
    # README, "Differences from FastAPI": Starlette reads an urlencoded body whole at any size.
    form = {"content-type": "application/x-www-form-urlencoded"}
    body = b"title=" + b"t" * (1024 * 1024)
    refused = client.post("/form", content=body, headers=form)
    assert refused.status_code == 413 and "max_form_text_size" in refused.text
    assert client.post("/form", content=body[:-10], headers=form).status_code == 200


def test_none_answers_the_declared_status_with_no_body() -> None:
    # FastAPI answers a declared 201 with `null`; aaf with nothing, and 204 only where the
    # route declares no status (what the API document says each answers, test_openapi.py).
    router = Router()

    async def audit() -> str:
        return "audited"

    @router.post("/things", status_code=201)
    async def create(connection: Connection) -> None:
        return None

    @router.post("/with-provider", status_code=202)
    async def queued(connection: Connection, who: str = Depends(audit)) -> None:
        return None

    @router.post("/set")
    async def set_here(connection: Connection) -> None:
        connection.resp_status_code = 201
        connection.put_resp_header("location", "/things/1")

    @router.get("/same", status_code=304)
    async def same(connection: Connection) -> None:
        return None

    @router.delete("/plain")
    async def plain(connection: Connection) -> None:
        return None

    @router.route("/view")
    class Things(View):
        @operation(status_code=201)
        async def put(self, connection: Connection) -> None:
            return None

    with serve(aaf([router])) as base, httpx.Client(base_url=base) as client:
        for method, path, status in [
            ("POST", "/things", 201),
            ("POST", "/with-provider", 202),
            ("POST", "/set", 201),
            ("PUT", "/view", 201),
        ]:
            answer = client.request(method, path)
            assert (answer.status_code, answer.content) == (status, b""), path
            assert answer.headers["content-length"] == "0", path
            assert "transfer-encoding" not in answer.headers
        assert client.post("/set").headers["location"] == "/things/1"
        for path, status in [("/same", 304), ("/plain", 204)]:
            answer = client.request("GET" if status == 304 else "DELETE", path)
            assert (answer.status_code, answer.content) == (status, b"")
            assert "content-length" not in answer.headers


def test_cookies_are_samesite_lax_unless_told_otherwise() -> None:
    # Starlette's default: a cookie is sent with another site's request only when asked for.
    router = Router()

    @router.get("/cookies")
    async def cookies(connection: Connection) -> HttpResponse:
        connection.put_resp_cookie("session", "s", httponly=True)
        connection.put_resp_cookie("shared", "x", samesite="None", secure=True)
        connection.delete_resp_cookie("old")
        response = HttpResponse("ok")
        response.set_cookie("theme", "dark")
        response.set_cookie("legacy", "1", samesite=None)  # None: no attribute at all
        # Starlette's partitioned=True (CHIPS), which werkzeug makes Secure as browsers want.
        response.set_cookie("embed", "e", samesite="None", partitioned=True)
        return response

    headers = TestClient(aaf([router])).get("/cookies").headers.get_list("set-cookie")
    by_name = {header.split("=", 1)[0]: header for header in headers}
    assert by_name["session"] == "session=s; HttpOnly; Path=/; SameSite=Lax"
    assert by_name["shared"] == "shared=x; Secure; Path=/; SameSite=None"
    assert by_name["old"].endswith("Max-Age=0; Path=/; SameSite=Lax")
    assert by_name["theme"] == "theme=dark; Path=/; SameSite=Lax"
    assert by_name["legacy"] == "legacy=1; Path=/"
    assert by_name["embed"] == "embed=e; Secure; Path=/; SameSite=None; Partitioned"


def test_a_content_type_set_on_the_connection_is_the_only_one_sent() -> None:
    # The handler's word on its body: a returned value's default type (or a response's) is
    # left out, where both went out and a client could take either.
    router = Router()

    @router.get("/csv")
    async def csv(connection: Connection) -> str:
        connection.put_resp_header("Content-Type", "text/csv; charset=utf-8")
        return "a,b"

    @router.get("/response")
    async def response(connection: Connection) -> HttpResponse:
        connection.put_resp_header("content-type", "text/csv")
        connection.put_resp_header("cache-control", "no-store")
        return HttpResponse("a,b", headers={"x-kind": "table"})

    @router.get("/stream")
    async def stream(connection: Connection) -> StreamingResponse:
        connection.put_resp_header("content-type", "text/csv")

        async def rows() -> AsyncIterator[str]:
            yield "a,b\n"

        return StreamingResponse(rows(), media_type="text/plain")

    client = TestClient(aaf([router]))
    for path in ("/csv", "/response", "/stream"):
        answer = client.get(path)
        types = [v for k, v in answer.headers.multi_items() if k == "content-type"]
        assert types in (["text/csv; charset=utf-8"], ["text/csv"]), path
        assert answer.text.startswith("a,b")
    headers = client.get("/response").headers
    assert (headers["cache-control"], headers["x-kind"]) == ("no-store", "table")


def test_a_header_sent_once_set_on_the_connection_replaces_the_responses_own() -> None:
    # Two Location (or Content-Disposition) headers fail the response in Chrome, two ETags
    # leave a cache to take either, two Access-Control-Allow-Origin fail CORS: the one set on
    # the connection goes out, as its Content-Type does. A list header (Vary, Cache-Control)
    # keeps both, which read as one list; so do cookies.
    router = Router()

    @router.get("/moved")
    async def moved(connection: Connection) -> RedirectResponse:
        connection.put_resp_header("Location", "/chosen")
        connection.put_resp_header("Vary", "Cookie")
        connection.put_resp_cookie("seen", "1")
        response = RedirectResponse("/default", headers={"Vary": "Accept"})
        response.set_cookie("theme", "dark")
        return response

    @router.get("/download")
    async def download(connection: Connection) -> HttpResponse:
        connection.put_resp_header("ETag", '"v2"')
        connection.put_resp_header("Access-Control-Allow-Origin", "https://app.example")
        return HttpResponse(
            "a,b",
            headers={
                "ETag": '"v1"',
                "Content-Disposition": "attachment",
                "Access-Control-Allow-Origin": "*",
            },
        )

    client = TestClient(aaf([router]), follow_redirects=False)
    sent = client.get("/moved").headers
    assert sent.get_list("location") == ["/chosen"]
    assert sent.get_list("vary") == ["Cookie", "Accept"]
    assert [c.split("=")[0] for c in sent.get_list("set-cookie")] == ["seen", "theme"]
    sent = client.get("/download").headers
    assert sent.get_list("etag") == ['"v2"']
    assert sent.get_list("access-control-allow-origin") == ["https://app.example"]
    assert sent.get_list("content-disposition") == ["attachment"]


def test_a_header_sent_once_put_twice_on_the_connection_goes_out_once() -> None:
    # put_resp_header added a second Content-Type or Location beside the first, and both
    # went out, as werkzeug's Headers.add keeps both: the later one replaces it now, as
    # `response.headers[name] = value` does in Starlette and Flask. A list header, and a
    # cookie, still add up.
    router = Router()

    @router.get("/report")
    async def report(connection: Connection) -> None:
        connection.put_resp_header("Content-Type", "text/plain")
        connection.put_resp_header("content-type", "text/csv; charset=utf-8")
        connection.put_resp_header("Location", "/first")
        connection.put_resp_header("LOCATION", "/second")
        connection.put_resp_header("Vary", "Accept")
        connection.put_resp_header("Vary", "Cookie")
        connection.put_resp_cookie("a", "1")
        connection.put_resp_cookie("b", "2")
        await connection.send("a,b", finish=True)

    sent = TestClient(aaf([router])).get("/report").headers
    assert sent.get_list("content-type") == ["text/csv; charset=utf-8"]
    assert sent.get_list("location") == ["/second"]
    assert sent.get_list("vary") == ["Accept", "Cookie"]
    assert [c.split("=")[0] for c in sent.get_list("set-cookie")] == ["a", "b"]


class Report(BaseModel):
    title: str
    file: UploadFile
    extras: list[UploadFile] = []
    cover: UploadFile | None = None


def test_a_form_model_takes_files_in_its_upload_fields() -> None:
    # FastAPI's form models take `file: UploadFile` fields, so does aaf's; multipart only.
    router = Router()

    @router.post("/reports")
    async def report(
        connection: Connection, report: Annotated[Report, Form()]
    ) -> dict[str, object]:
        return {
            "title": report.title,
            "file": [report.file.filename, report.file.read().decode()],
            "extras": [extra.filename for extra in report.extras],
            "cover": report.cover.filename if report.cover else None,
        }

    app = aaf([router])
    client = TestClient(app)
    answer = client.post(
        "/reports",
        data={"title": "Q3"},
        files=[
            ("file", ("q3.csv", b"a,b")),
            ("extras", ("x.txt", b"x")),
            ("extras", ("y.txt", b"y")),
        ],
    )
    assert answer.json() == {
        "title": "Q3",
        "file": ["q3.csv", "a,b"],
        "extras": ["x.txt", "y.txt"],
        "cover": None,
    }
    missing = client.post("/reports", data={"title": "Q3", "file": "text, not a file"})
    assert [(e["loc"], e["type"]) for e in missing.json()["detail"]] == [
        (["body", "file"], "is_instance_of")
    ]
    document: Any = app.openapi()  # JSON, read by path
    schema = document["paths"]["/reports"]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"
    ]
    assert schema["properties"]["file"] == {"type": "string", "format": "binary", "title": "File"}
    assert schema["properties"]["extras"]["items"] == {"type": "string", "format": "binary"}
    assert set(schema["required"]) == {"title", "file"}


def test_a_json_bodys_type_errors_are_worded_by_pydantics_json_mode() -> None:
    # README, "Differences from FastAPI": validated from its bytes, the body's errors say
    # "an object" and "an array" where FastAPI's say "a valid dictionary" and "a valid list".
    router = Router()

    @router.post("/counts")
    async def counts(connection: Connection, counts: dict[str, int]) -> int:
        return len(counts)

    @router.post("/notes-list")
    async def notes_list(connection: Connection, notes: list[Note]) -> int:
        return len(notes)

    client = TestClient(aaf([router]))
    entry = client.post("/counts", json=[1]).json()["detail"][0]
    assert (entry["type"], entry["msg"]) == ("dict_type", "Input should be an object")
    entry = client.post("/notes-list", json={}).json()["detail"][0]
    assert (entry["type"], entry["msg"]) == ("list_type", "Input should be a valid array")
    # A model given something other than an object: `model_type` naming the class, where
    # FastAPI (validating parsed objects with from_attributes) writes model_attributes_type.
    entry = client.post("/notes-list", json=["x"]).json()["detail"][0]
    assert (entry["type"], entry["msg"], entry["ctx"]) == (
        "model_type",
        "Input should be an object",
        {"class_name": "Note"},
    )


class TimedOrder(BaseModel):
    wait: timedelta = timedelta(0)
    price: Decimal = Decimal(0)


def test_a_json_body_takes_what_pydantics_json_mode_takes() -> None:
    # README, "Differences from FastAPI": validated from its bytes, a body is read as pydantic's
    # JSON mode reads it. `true` is not a timedelta there (FastAPI, validating the parsed
    # object, takes it as one second), and a Decimal from a JSON number is the number's
    # shortest form (`10.0` gives Decimal("10"), where FastAPI's float gives Decimal("10.0")).
    router = Router()

    @router.post("/orders")
    async def order(connection: Connection, order: TimedOrder) -> dict[str, str]:
        return {"wait": str(order.wait), "price": str(order.price)}

    client = TestClient(aaf([router]))
    refused = client.post("/orders", json={"wait": True})
    assert refused.status_code == 422
    assert [(e["type"], e["loc"]) for e in refused.json()["detail"]] == [
        ("time_delta_type", ["body", "wait"])
    ]
    taken = client.post("/orders", json={"wait": 90, "price": 10.0})
    assert taken.json() == {"wait": "0:01:30", "price": "10"}
    assert client.post("/orders", json={"price": "10.0"}).json()["price"] == "10.0"  # as text


def test_a_failed_request_answers_without_the_headers_and_cookies_set_for_its_answer() -> None:
    # As FastAPI drops a Response parameter's, and Django a view's response: a session cookie
    # set before a check refused the request is not set. An exception handler sets its own.
    router = Router()

    @router.post("/login")
    async def login(connection: Connection, password: str) -> str:
        connection.put_resp_cookie("session", "granted", httponly=True)
        connection.put_resp_header("x-user", "ann")
        if password != "right":
            raise HTTPError(403, "Wrong password", headers={"x-reason": "password"})
        return "welcome"

    @router.post("/crash")
    async def crash(connection: Connection) -> str:
        connection.put_resp_cookie("session", "granted")
        raise RuntimeError("a bug")

    async def teapot(connection: Connection, exc: LookupError) -> HttpResponse:
        connection.put_resp_header("x-handled", "yes")
        return HttpResponse("handled", status_code=418)

    @router.post("/lookup")
    async def lookup(connection: Connection) -> str:
        connection.put_resp_header("x-user", "ann")
        raise LookupError("missing")

    client = TestClient(
        aaf([router], exception_handlers={LookupError: teapot}), raise_server_exceptions=False
    )
    refused = client.post("/login?password=wrong")
    assert refused.status_code == 403 and refused.headers["x-reason"] == "password"
    assert "set-cookie" not in refused.headers and "x-user" not in refused.headers
    assert "set-cookie" not in client.post("/crash").headers
    handled = client.post("/lookup")
    assert (handled.status_code, handled.headers["x-handled"]) == (418, "yes")
    assert "x-user" not in handled.headers
    granted = client.post("/login?password=right")
    assert granted.headers["x-user"] == "ann" and "session=granted" in granted.headers["set-cookie"]


def test_a_validation_error_carries_the_body_as_it_came() -> None:
    # FastAPI's exc.body, for a handler of RequestValidationError that logs or echoes it.
    router = Router()

    @router.post("/notes-body")
    async def create_note(connection: Connection, note: Note) -> Note:
        return note

    @router.get("/needs-query")
    async def needs_query(connection: Connection, n: int) -> int:
        return n

    async def echo(connection: Connection, exc: RequestValidationError) -> JsonResponse:
        body = exc.body.decode() if exc.body is not None else None
        return JsonResponse({"count": len(exc.errors), "body": body}, status_code=422)

    client = TestClient(aaf([router], exception_handlers={RequestValidationError: echo}))
    sent = b'{"title": 1}'
    answer = client.post("/notes-body", content=sent, headers={"content-type": "application/json"})
    assert answer.json() == {"count": 2, "body": '{"title": 1}'}
    assert client.get("/needs-query?n=x").json() == {"count": 1, "body": None}


class Part(BaseModel):
    id: int


def test_sequences_are_read_as_fastapi_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # FastAPI takes a Sequence as it takes a list: `Sequence[Part]` is the JSON body and
    # `Sequence[int]` collects a repeated query, header or form key. aaf read the first as a
    # query value (every request 422) and the second as one value ("sequence_str").
    router = Router()

    @router.post("/parts")
    async def parts(connection: Connection, parts: Sequence[Part]) -> list[int]:
        return [part.id for part in parts]

    @router.post("/ids")
    async def ids(
        connection: Connection,
        ids: Sequence[int],
        tags: Annotated[MutableSequence[str], Header()],
        names: Annotated[Sequence[str], Form()],
    ) -> list[object]:
        return [list(ids), list(tags), list(names)]

    client = TestClient(aaf([router]))
    assert client.post("/parts", json=[{"id": 1}, {"id": 2}]).json() == [1, 2]
    answer = client.post(
        "/ids?ids=1&ids=2",
        headers=[("tags", "a"), ("tags", "b")],
        data={"names": ["x", "y"]},
    )
    assert answer.json() == [[1, 2], ["a", "b"], ["x", "y"]]
    # A large one is read a slice at a time, as a list body is.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    many = [{"id": i} for i in range(30_000)]
    assert client.post("/parts", json=many).json() == list(range(30_000))
    assert len(turns) >= 5
    wrong = client.post("/parts", json=[*many[:20_000], {"id": "x"}])
    assert [(e["type"], e["loc"]) for e in wrong.json()["detail"]] == [
        ("int_parsing", ["body", 20_000, "id"])
    ]


def test_other_collections_are_read_as_fastapi_reads_them() -> None:
    # A deque collects a repeated key as a list does (FastAPI's too), and so does a set of the
    # abc's; a mapping of any class is the JSON body. Before, each was read as one text and
    # every request answered 422 ("Input should be a valid deque", "... frozenset", "body").
    router = Router()

    @router.post("/keys")
    async def keys(
        connection: Connection,
        ids: deque[int],
        tags: Annotated[AbstractSet[str], Header()],
        names: Annotated[MutableSet[str], Form()],
    ) -> list[object]:
        return [list(ids), sorted(tags), sorted(names)]

    @router.post("/counts")
    async def counts(connection: Connection, counts: Counter[str]) -> list[object]:
        return [type(counts).__name__, counts.most_common(1)]

    @router.post("/ordered")
    async def ordered(connection: Connection, values: OrderedDict[str, int]) -> list[object]:
        return [type(values).__name__, list(values)]

    @router.post("/mutable")
    async def mutable(connection: Connection, values: MutableMapping[str, str]) -> list[str]:
        return list(values)

    @router.post("/defaults")
    async def defaults(connection: Connection, values: defaultdict[str, int]) -> int:
        return values["missing"]

    client = TestClient(aaf([router]))
    answer = client.post(
        "/keys?ids=3&ids=1",
        headers=[("tags", "b"), ("tags", "a"), ("tags", "b")],
        data={"names": ["y", "x"]},
    )
    assert answer.json() == [[3, 1], ["a", "b"], ["x", "y"]]
    assert client.post("/counts", json={"a": 1, "b": 5}).json() == ["Counter", [["b", 5]]]
    assert client.post("/ordered", json={"z": 1, "a": 2}).json() == ["OrderedDict", ["z", "a"]]
    assert client.post("/mutable", json={"b": "x"}).json() == ["b"]
    assert client.post("/defaults", json={"a": 1}).json() == 0
    wrong = client.post("/keys?ids=x", headers={"tags": "a"}, data={"names": "y"})
    assert [(e["type"], e["loc"]) for e in wrong.json()["detail"]] == [
        ("int_parsing", ["query", "ids", 0])
    ]


class Cat(BaseModel):
    kind: Literal["cat"]


class Dog(BaseModel):
    kind: Literal["dog"]
    bones: int = 0


class Picky(BaseModel):
    """A validator before the model: pydantic cannot say what text it takes."""

    kind: Literal["bird"]

    @model_validator(mode="before")
    @classmethod
    def as_sent(cls, data: object) -> object:
        return data


Pet = Annotated[Cat | Dog, Field(discriminator="kind")]
OddPet = Annotated[Cat | Picky, Field(discriminator="kind")]


def test_an_optional_union_of_models_told_apart_by_a_tag_is_the_body() -> None:
    # `Annotated[Cat | Dog, Field(discriminator=...)] | None`, unmarked, was refused as a
    # query value no text can fill; with a model pydantic cannot see into, it became a query
    # value that was never there (the handler got None). FastAPI reads it from the body.
    router = Router()

    @router.post("/maybe")
    async def maybe(connection: Connection, pet: Pet | None = None) -> Pet | None:
        return pet

    @router.post("/odd")
    async def odd_one(connection: Connection, pet: OddPet | None = None) -> str:
        return type(pet).__name__

    client = TestClient(aaf([router]))
    assert client.post("/maybe", json={"kind": "dog", "bones": 2}).json() == {
        "kind": "dog",
        "bones": 2,
    }
    assert client.post("/maybe").status_code == 204
    assert client.post("/odd", json={"kind": "bird"}).text == "Picky"
    wrong = client.post("/maybe", json={"kind": "dog", "bones": "x"}).json()["detail"]
    assert [e["loc"] for e in wrong] == [["body", "dog", "bones"]]


def test_basic_credentials_in_utf8_are_read_as_browsers_send_them() -> None:
    # FastAPI decodes Basic credentials as ASCII and answers 401 to "josé"; browsers send
    # UTF-8 (RFC 7617's charset="UTF-8"), so a user whose name has an accent could not sign in.
    basic = HTTPBasic(realm="shop")
    router = Router()

    @router.get("/me")
    async def me(
        connection: Connection, credentials: HTTPBasicCredentials = Depends(basic)
    ) -> list[str]:
        return [credentials.username, credentials.password]

    client = TestClient(aaf([router]))

    def signed_in(raw: bytes) -> httpx.Response:
        return client.get("/me", headers={"Authorization": "Basic " + b64encode(raw).decode()})

    assert signed_in("josé:pässwörd:2".encode()).json() == ["josé", "pässwörd:2"]
    # Bytes that are not UTF-8 (Latin-1's "é") are refused, as a value that is not base64 is.
    for answer in (
        signed_in(b"jos\xe9:secret"),
        client.get("/me", headers={"Authorization": "Basic %%"}),
    ):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == 'Basic realm="shop"'
        assert answer.text == "Invalid Basic credentials"


class Tag(BaseModel):
    name: str


def seen_tags(tags: Annotated[list[str], Query()] = []) -> list[str]:  # noqa: B006  # the case
    tags.append("seen")
    return tags


def test_a_left_out_parameter_gets_its_own_copy_of_a_list_or_dict_default() -> None:
    """FastAPI deep-copies a default for each request: a handler that appends to its
    ``[]`` must not hand what it appended to the next request (another client's)."""
    router = Router()

    @router.get("/query")
    async def query(
        connection: Connection,
        ids: Annotated[list[int], Query()] = [],  # noqa: B006  # the case
        header: Annotated[list[str], Header()] = [],  # noqa: B006  # the case
        given: Annotated[list[str], Depends(seen_tags)] = [],  # noqa: B006  # the case
        limit: int = 10,
    ) -> dict[str, object]:
        ids.append(1)
        header.append("h")
        return {"ids": ids, "header": header, "given": given, "limit": limit}

    @router.post("/form")
    async def form(
        connection: Connection,
        names: Annotated[list[str], Form()] = [],  # noqa: B006  # the case
        files: Annotated[list[UploadFile], File()] = [],  # noqa: B006  # the case
    ) -> dict[str, int]:
        names.append("n")
        files.append(UploadFile(filename="x.txt"))
        return {"names": len(names), "files": len(files)}

    @router.post("/tags")
    async def tags(connection: Connection, tags: list[Tag] = []) -> int:  # noqa: B006  # the case
        tags.append(Tag(name="t"))
        return len(tags)

    @router.post("/counts")
    async def counts(connection: Connection, counts: dict[str, int] = {}) -> int:  # noqa: B006  # the case
        counts[str(len(counts))] = 1
        return len(counts)

    client = TestClient(aaf(routers=[router]))
    for _ in range(2):
        assert client.get("/query").json() == {
            "ids": [1],
            "header": ["h"],
            "given": ["seen"],
            "limit": 10,
        }
        assert client.post("/form", data={"other": "1"}).json() == {"names": 1, "files": 1}
        assert client.post("/tags").json() == 1
        assert client.post("/counts").json() == 1
    # A value given is the request's own, as before.
    assert client.get("/query?ids=5&tags=a").json() == {
        "ids": [5, 1],
        "header": ["h"],
        "given": ["a", "seen"],
        "limit": 10,
    }
    assert client.post("/tags", json=[{"name": "a"}]).json() == 2


def test_a_default_that_cannot_be_copied_for_each_request_is_refused_at_registration() -> None:
    router = Router()
    uncopyable = {"rows": (row for row in range(3))}  # a generator: deepcopy() refuses it

    with pytest.raises(ConfigurationError) as refused:

        @router.post("/rows")
        async def rows(connection: Connection, rows: dict[str, Any] = uncopyable) -> int:
            return len(rows)

    assert str(refused.value).startswith(
        "test_a_default_that_cannot_be_copied_for_each_request_is_refused_at_registration."
        "<locals>.rows: parameter 'rows' has a default that cannot be copied (TypeError: "
    )
    assert "give one copy.deepcopy() takes" in str(refused.value)
