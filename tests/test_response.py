from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from aaf import aaf
from aaf._types import Receive, Scope, Send, SendEvent
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError
from aaf.response import (
    HtmlResponse,
    HttpResponse,
    JsonResponse,
    RedirectResponse,
    StreamingResponse,
)
from aaf.routing import Router
from aaf.testing import TestClient

from ._helpers import run_with_connection, serve


class Model(BaseModel):
    a: int


@dataclasses.dataclass
class Data:
    b: str


router = Router()


@router.route("/text")
async def text(connection: Connection) -> HttpResponse:
    return HttpResponse("héllo", headers={"X-Extra": "1"})


@router.route("/bytes")
async def raw(connection: Connection) -> HttpResponse:
    return HttpResponse(b"\x00\x01", headers={"Content-Type": "application/octet-stream"})


@router.route("/json/<kind>")
async def json(connection: Connection, kind: str) -> HttpResponse:
    data: dict[str, object] = {
        "model": Model(a=1),
        "models": [Model(a=1), Model(a=2)],
        "dataclass": Data(b="x"),
        "dict": {"k": [1, None, True]},
    }
    return JsonResponse(data[kind], status_code=202)


@router.route("/html")
async def html(connection: Connection) -> HtmlResponse:
    return HtmlResponse("<h1>hi</h1>")


@router.route("/redirect")
async def redirect(connection: Connection) -> RedirectResponse:
    return RedirectResponse("/somewhere/é?x=1")


@router.route("/stream")
async def stream(connection: Connection) -> StreamingResponse:
    async def parts() -> AsyncIterator[str]:
        for i in range(3):
            yield f"part {i};"

    return StreamingResponse(parts(), media_type="text/csv")


@router.route("/cookies")
async def cookies(connection: Connection) -> HttpResponse:
    response = HttpResponse("ok")
    response.set_cookie("a", "1", max_age=10, secure=True, httponly=True, samesite="Strict")
    response.delete_cookie("b")
    # A __Host- cookie is expired only by a header as Secure as the one that set it.
    response.delete_cookie("__Host-session", secure=True, samesite="none", httponly=True)
    connection.delete_resp_cookie("__Secure-theme", secure=True, path="/app", domain="a.test")
    return response


@router.route("/awaited")
async def awaited(connection: Connection) -> None:
    connection.put_resp_header("X-Before", "yes")
    await HttpResponse("sent by await", connection, status_code=201)


class CsvResponse(HttpResponse):
    media_type = "text/csv; charset=utf-8"


class NoTypeResponse(HttpResponse):
    media_type = ""


@router.route("/typed/<kind>")
async def typed(connection: Connection, kind: str) -> HttpResponse:
    if kind == "keyword":
        return HttpResponse("a,b", media_type="text/csv")
    if kind == "keyword-and-header":
        return HttpResponse("a,b", headers={"Content-Type": "text/x-mine"}, media_type="text/csv")
    if kind == "subclass":
        return CsvResponse("a,b")
    if kind == "position":  # as Starlette's Response(content, status_code, headers, media_type)
        return HttpResponse("a,b", connection, 200, None, "text/csv")
    return NoTypeResponse(b"a,b")


@pytest.fixture()
def client() -> Iterator[TestClient]:
    """A client on the module's app, its lifespan running."""
    with TestClient(aaf([router])) as started:
        yield started


def test_str_body_is_utf8_text_with_length_and_extra_headers(client: TestClient) -> None:
    response = client.get("/text")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == str(len("héllo".encode()))
    assert response.headers["x-extra"] == "1"
    assert response.text == "héllo"


def test_no_body_statuses_carry_no_content_type_of_their_own() -> None:
    # A 304 for a cached page went out with text/plain, which a cache takes into the page's
    # stored headers (RFC 9111 4.3.4). A type given in headers still goes out.
    bare = Router()

    @bare.get("/cached")
    async def cached(connection: Connection) -> HttpResponse:
        return HttpResponse(status_code=304, headers={"ETag": '"v1"'})

    @bare.get("/gone")
    async def gone(connection: Connection) -> HtmlResponse:
        return HtmlResponse(status_code=204)

    @bare.get("/value")
    async def value(connection: Connection) -> dict[str, int]:
        connection.resp_status_code = 304  # a value's JSON type describes no body either
        return {"v": 1}

    @bare.get("/typed")
    async def typed_empty(connection: Connection) -> HttpResponse:
        return HttpResponse(status_code=204, headers={"Content-Type": "text/x-mine"})

    client = TestClient(aaf([bare]))
    cached_answer = client.get("/cached")
    assert cached_answer.status_code == 304 and cached_answer.headers["etag"] == '"v1"'
    for answer in (cached_answer, client.get("/gone"), client.get("/value")):
        assert "content-type" not in answer.headers and "content-length" not in answer.headers
    assert client.get("/typed").headers["content-type"] == "text/x-mine"


def test_a_205_sends_no_body_and_says_so_with_a_zero_length() -> None:
    # RFC 9110 15.3.6: a server must not send content with 205 Reset Content. A body given
    # went out; and an empty one without a Content-Length went out chunked.
    bare = Router()

    @bare.post("/response")
    async def response(connection: Connection) -> HttpResponse:
        return HttpResponse("dropped", status_code=205)

    @bare.post("/route", status_code=205)
    async def route(connection: Connection) -> None: ...

    @bare.post("/set")
    async def set_status(connection: Connection) -> dict[str, int]:
        connection.resp_status_code = 205
        return {"dropped": 1}

    @bare.post("/finished")
    async def finished(connection: Connection) -> None:
        connection.resp_status_code = 205
        await connection.finish()

    @bare.post("/sent")
    async def sent(connection: Connection) -> None:
        connection.resp_status_code = 205
        with pytest.raises(ValueError, match="A 205 response has no body"):
            await connection.send(b"x", finish=True)
        await connection.send(b"", finish=True)

    with serve(aaf([bare])) as base, httpx.Client(base_url=base) as client:
        for path in ("/response", "/route", "/set", "/finished", "/sent"):
            answer = client.post(path)
            assert answer.status_code == 205, path
            assert answer.headers.get("content-length") == "0", path
            assert "transfer-encoding" not in answer.headers and answer.content == b"", path
    with pytest.raises(ConfigurationError, match="status_code 205 sends no body"):
        bare.post("/value", status_code=205)(set_status)  # type: ignore[aaf-route]  # what the test is about


def test_given_content_type_wins(client: TestClient) -> None:
    response = client.get("/bytes")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == b"\x00\x01"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        # A text type says the charset a str body is encoded in, as Starlette's responses
        # do (a browser guessed one); a Content-Type header goes out as given.
        ("keyword", "text/csv; charset=utf-8"),
        ("keyword-and-header", "text/x-mine"),
        ("subclass", "text/csv; charset=utf-8"),
        ("position", "text/csv; charset=utf-8"),
        ("none", None),
    ],
)
def test_media_type_by_keyword_or_by_class(
    client: TestClient, kind: str, expected: str | None
) -> None:
    response = client.get(f"/typed/{kind}")
    assert response.headers.get("content-type") == expected
    assert response.text == "a,b"
    assert response.headers["content-length"] == "3"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("model", {"a": 1}),
        ("models", [{"a": 1}, {"a": 2}]),
        ("dataclass", {"b": "x"}),
        ("dict", {"k": [1, None, True]}),
    ],
)
def test_json_response_serializes_what_pydantic_can(
    client: TestClient, kind: str, expected: object
) -> None:
    response = client.get(f"/json/{kind}")
    assert response.status_code == 202
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected


def test_html_response(client: TestClient) -> None:
    response = client.get("/html")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == "<h1>hi</h1>"


def test_redirect_is_307_with_an_encoded_location(client: TestClient) -> None:
    response = client.get("/redirect", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/somewhere/%C3%A9?x=1"


def test_streaming_response_sends_each_part(client: TestClient) -> None:
    response = client.get("/stream")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "content-length" not in response.headers
    assert response.text == "part 0;part 1;part 2;"


def test_response_cookies(client: TestClient) -> None:
    cookies = client.get("/cookies").headers.get_list("set-cookie")
    # The connection's first, then the response's own.
    assert cookies[0].startswith("__Secure-theme=;")
    cookies = cookies[1:] + cookies[:1]
    assert cookies[0].startswith("a=1;")
    for attribute in ["Max-Age=10", "Secure", "HttpOnly", "SameSite=Strict", "Path=/"]:
        assert attribute in cookies[0]
    assert cookies[1].startswith("b=;") and "Max-Age=0" in cookies[1]
    expired = [c for c in cookies if c.startswith(("__Host-session=;", "__Secure-theme=;"))]
    assert len(expired) == 2
    for attribute in ["Max-Age=0", "Secure", "HttpOnly", "SameSite=None", "Path=/"]:
        assert attribute in next(c for c in expired if c.startswith("__Host-"))
    for attribute in ["Max-Age=0", "Secure", "Path=/app", "Domain=a.test", "SameSite=Lax"]:
        assert attribute in next(c for c in expired if c.startswith("__Secure-"))


def test_awaited_response_keeps_headers_set_on_the_connection(client: TestClient) -> None:
    response = client.get("/awaited")
    assert response.status_code == 201
    assert response.text == "sent by await"
    assert response.headers["x-before"] == "yes"


def test_awaiting_a_response_without_a_connection_raises() -> None:
    async def body(conn: Connection) -> None:
        with pytest.raises(ValueError, match="no connection"):
            await HttpResponse("x")

    run_with_connection(body)


def test_response_header_with_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="CR, LF"):
        HttpResponse("x", headers={"X-Bad": "a\r\nInjected: 1"})


def test_sending_a_response_after_the_connection_started_raises() -> None:
    async def body(conn: Connection) -> None:
        await conn.send("first")
        with pytest.raises(ValueError, match="already started"):
            await HttpResponse("second", conn)

    run_with_connection(body)


@pytest.mark.parametrize("size", [0, 1, 9, 10, 1023, 1024, 1025, 70_000])
def test_content_length_is_the_body_length_at_every_size(size: int) -> None:
    # Lengths below 1 KiB come from a table made once (aaf._http.LENGTHS), the rest are built.
    sized = Router()

    @sized.route("/response")
    async def response(connection: Connection) -> HttpResponse:
        return HttpResponse(b"x" * size)

    @sized.route("/value")
    async def value(connection: Connection) -> str:
        return "x" * size

    @sized.route("/sent")
    async def sent(connection: Connection) -> None:
        await connection.send(b"x" * size, finish=True)

    with TestClient(aaf([sized])) as sized_client:
        for path in ("/response", "/value", "/sent"):
            answer = sized_client.get(path)
            assert answer.headers["content-length"] == str(size), path
            assert answer.content == b"x" * size, path


shared = Router()


@shared.route("/own/<kind>")
async def own_headers(connection: Connection, kind: str) -> HttpResponse:
    # Each response class starts from headers its instances share until one adds to them.
    made: dict[str, HttpResponse] = {
        "plain": HttpResponse("a"),
        "csv": CsvResponse("a"),
        "html": HtmlResponse("a"),
        "redirect": RedirectResponse("/elsewhere"),
    }
    response = made[kind]
    if connection.query.get("add"):
        response.set_header("X-Added", kind)
        response.set_cookie("added", kind)
    return response


@shared.route("/streamed")
async def streamed(connection: Connection) -> StreamingResponse:
    return StreamingResponse(iter([b"one", b"two"]))


def test_a_header_added_to_one_response_is_on_no_other() -> None:
    with TestClient(aaf([shared])) as client:
        for kind in ["plain", "csv", "html", "redirect"]:
            added = client.get(f"/own/{kind}?add=1", follow_redirects=False)
            assert added.headers["x-added"] == kind
            assert added.headers["set-cookie"].startswith(f"added={kind};")
            again = client.get(f"/own/{kind}", follow_redirects=False)
            assert "x-added" not in again.headers
            assert "set-cookie" not in again.headers
        assert client.get("/own/csv").headers["content-type"] == "text/csv; charset=utf-8"
        redirected = client.get("/own/redirect", follow_redirects=False)
        assert redirected.headers.get_list("location") == ["/elsewhere"]


def test_middleware_may_add_to_the_headers_it_is_sent() -> None:
    # What aaf sends is a list of its own for each response, as ASGI middleware expects
    # (Starlette's GZipMiddleware edits it in place): nothing added reaches another response.
    app = aaf([shared])

    async def stamping(scope: Scope, receive: Receive, send: Send) -> None:
        async def stamped(event: SendEvent) -> None:
            if event["type"] == "http.response.start":
                headers = event.get("headers")
                assert isinstance(headers, list)
                headers.append((b"x-stamp", b"1"))
            await send(event)

        await app(scope, receive, stamped)

    with TestClient(stamping) as client:
        for _ in range(2):
            for path in ["/own/plain", "/own/csv", "/streamed"]:
                response = client.get(path)
                assert response.status_code == 200
                assert response.headers.get_list("x-stamp") == ["1"]
        assert client.get("/streamed").text == "onetwo"


def test_a_body_is_kept_as_bytes_or_encoded_from_str() -> None:
    assert HttpResponse(b"\xff").body == b"\xff"
    assert HttpResponse("é").body == "é".encode()

    class Text(str):
        pass

    assert HttpResponse(Text("é")).body == "é".encode()


class Latin1Text(HttpResponse):
    media_type = "text/plain; charset=iso-8859-1"


def test_a_str_body_is_encoded_in_the_charset_its_content_type_declares() -> None:
    # A str body went out as UTF-8 whatever charset the response declared: a client read
    # "cafÃ©" for "café". It is encoded as declared now (as Django does), UTF-8 by default.
    router = Router()
    csv_type = "text/csv; charset=windows-1252"

    @router.get("/headers")
    async def by_headers(connection: Connection) -> HttpResponse:
        return HttpResponse("café;€", headers={"Content-Type": csv_type})

    @router.get("/media-type")
    async def by_media_type(connection: Connection) -> HtmlResponse:
        return HtmlResponse("<p>café</p>", media_type='text/html; charset="ISO-8859-1"')

    @router.get("/class")
    async def by_class(connection: Connection) -> Latin1Text:
        return Latin1Text("café")

    @router.get("/parts")
    async def in_parts(connection: Connection) -> None:
        connection.put_resp_header("content-type", csv_type)
        await connection.send("café;")
        await connection.send("€", finish=True)

    parts: list[bytes | str] = ["café", b";", "€"]

    @router.get("/stream")
    async def streamed(connection: Connection) -> StreamingResponse:
        return StreamingResponse(iter(parts), media_type=csv_type)

    @router.get("/default")
    async def default(connection: Connection) -> None:
        await connection.send("café")
        await connection.send("!", finish=True)

    @router.get("/unknown")
    async def unknown(connection: Connection) -> HttpResponse:
        return HttpResponse("café", media_type="text/plain; charset=x-no-such")

    @router.get("/unknown-bytes")
    async def unknown_bytes(connection: Connection) -> HttpResponse:
        return HttpResponse(b"caf\xe9", media_type="text/plain; charset=x-no-such")

    with TestClient(aaf([router]), raise_server_exceptions=False) as client:
        for path in ("/headers", "/parts", "/stream"):
            answer = client.get(path)
            assert answer.headers["content-type"] == csv_type
            assert answer.content == "café;€".encode("cp1252")
            assert answer.text == "café;€"
        assert client.get("/media-type").content == "<p>café</p>".encode("latin-1")
        answer = client.get("/class")
        assert answer.content == b"caf\xe9" and answer.text == "café"
        answer = client.get("/default")
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert answer.content == "café!".encode()
        assert client.get("/unknown").status_code == 500
        assert client.get("/unknown-bytes").content == b"caf\xe9"
    with pytest.raises(ValueError, match="charset Python cannot encode text in"):
        HttpResponse("café", media_type="text/plain; charset=hex")
    with pytest.raises(UnicodeEncodeError):  # said where the body is made, not sent wrong
        HttpResponse("€", media_type="text/plain; charset=latin-1")


@pytest.mark.parametrize(
    ("key", "options", "said"),
    [
        ("sid", {"samesite": "none"}, "samesite='none' but not secure=True"),
        ("__Secure-sid", {}, "the __Secure- prefix but is not set with secure=True"),
        ("__Host-sid", {"samesite": "strict"}, "the __Host- prefix but is not set with secure"),
        (
            "__host-sid",
            {"secure": True, "domain": "a.test"},
            "__Host- prefix but is set with a domain",
        ),
        ("__Host-sid", {"secure": True, "path": "/app"}, "a path other than '/'"),
    ],
)
def test_a_cookie_browsers_would_drop_is_refused_where_it_is_set(
    key: str, options: dict[str, Any], said: str
) -> None:
    # The browser stores none of these and says nothing (a sign-in that works on one machine
    # and not behind HTTPS, a logout whose expiring header is dropped): refused in the handler.
    router = Router()

    @router.get("/on-connection")
    async def on_connection(connection: Connection) -> str:
        connection.put_resp_cookie(key, "1", **options)
        return "set"

    @router.get("/on-response")
    async def on_response(connection: Connection) -> HttpResponse:
        response = HttpResponse("set")
        response.set_cookie(key, "1", **options)
        return response

    @router.get("/expired")
    async def expired(connection: Connection) -> str:
        connection.delete_resp_cookie(key, **options)
        return "expired"

    secured: dict[str, Any] = {**options, "secure": True, "domain": None, "path": None}

    @router.get("/secured")
    async def made_secure(connection: Connection) -> str:  # Secure and host-only: set
        connection.put_resp_cookie(key, "1", **secured)
        return "set"

    client = TestClient(aaf([router]))
    for path in ("/on-connection", "/on-response", "/expired"):
        with pytest.raises(ValueError, match=f"Cookie {key!r} .*{re.escape(said)}"):
            client.get(path)
    [cookie] = client.get("/secured").headers.get_list("set-cookie")
    assert cookie.startswith(f"{key}=1;") and "; Secure" in cookie


def test_a_cookies_expires_given_as_a_number_is_seconds_from_now() -> None:
    # As Starlette reads it (and so FastAPI's users): werkzeug reads a Unix time, so
    # `expires=3600` wrote a date in 1970 and the browser dropped the cookie at once.
    import email.utils
    import time

    router = Router()

    @router.get("/set")
    async def set_cookies(connection: Connection) -> HttpResponse:
        connection.put_resp_cookie("on_connection", "1", expires=3600)
        response = HttpResponse("set")
        response.set_cookie("on_response", "2", expires=90.5)
        return response

    with TestClient(aaf([router])) as client:
        before = time.time()
        headers = client.get("/set").headers.get_list("set-cookie")
    assert len(headers) == 2
    for header, seconds in zip(sorted(headers), (3600, 90.5), strict=True):
        written = header.split("Expires=")[1].split(";")[0]
        expires = email.utils.parsedate_to_datetime(written).timestamp()
        assert before + seconds - 5 <= expires <= before + seconds + 5, header
