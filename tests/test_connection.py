from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl, unquote_to_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aaf._http import parse_query, unquote_bytes
from aaf._types import ReceiveEvent, SendEvent
from aaf.app import App
from aaf.connection import Connection, ConnectionType
from aaf.exceptions import ClientDisconnect, HTTPError
from aaf.testing import TestClient

from ._helpers import Recorder, http_scope, run_with_connection

TEXT = b"text/plain; charset=utf-8"  # what a str sent without a content type says


def test_request_properties_come_from_the_scope() -> None:
    scope = http_scope(
        "POST", "/api/items", b"a=1", [(b"host", b"example.com:8080")], root_path="/api"
    )
    conn = Recorder().connection(scope)
    assert conn.type is ConnectionType.HTTP
    assert conn.method == "POST"
    assert conn.path == "/api/items"
    assert conn.root_path == "/api"
    assert conn.route_path == "/items"
    assert conn.scheme == "http"
    assert conn.client == ("127.0.0.1", 1234)
    assert conn.url == "http://example.com:8080/api/items?a=1"
    assert conn.base_url == "http://example.com:8080/api/"


def test_query_is_split_before_each_part_is_decoded() -> None:
    conn = Recorder().connection(http_scope(query_string=b"a=%26b&c=d%3De&e=&plus=a+b&a=2"))
    assert conn.query.get("a") == "&b"
    assert conn.query.getlist("a") == ["&b", "2"]
    assert conn.query["c"] == "d=e"
    assert conn.query["e"] == ""
    assert conn.query["plus"] == "a b"


def test_query_with_invalid_utf8_never_raises() -> None:
    conn = Recorder().connection(http_scope(query_string=b"name=%ff%fe&x=\xff"))
    assert conn.query["name"] == "\ufffd\ufffd"
    assert "x" in conn.query


def test_query_is_parsed_once() -> None:
    conn = Recorder().connection(http_scope(query_string=b"a=1"))
    assert conn.query is conn.query


def test_headers_are_latin1_and_odd_bytes_never_raise() -> None:
    scope = http_scope(headers=[(b"x-name", b"caf\xe9"), (b"x-odd", b"a\r\nb\x00\xff")])
    conn = Recorder().connection(scope)
    assert conn.req_headers["X-Name"] == "café"
    assert conn.req_headers["x-odd"] == "a\r\nb\x00ÿ"


@pytest.mark.parametrize(
    "header",
    [b"a=1; b=2", b"a=1;;; =x; b", b'a="unterminated; b=2', b"\xff\xfe=\x00", b"=;=;=", b""],
)
def test_malformed_cookie_header_never_raises(header: bytes) -> None:
    conn = Recorder().connection(http_scope(headers=[(b"cookie", header)]))
    cookies = conn.req_cookies
    assert len(cookies) <= header.count(b"=")  # only what parses, nothing invented


def test_cookies_are_read_by_name() -> None:
    conn = Recorder().connection(http_scope(headers=[(b"cookie", b"session=abc; theme=dark")]))
    assert conn.req_cookies["session"] == "abc"
    assert conn.req_cookies["theme"] == "dark"


def test_body_is_read_in_chunks_and_kept() -> None:
    async def body(conn: Connection) -> None:
        assert await conn.body() == b"hello world"
        assert await conn.body() == b"hello world"
        assert [c async for c in conn.body_iter()] == [b"hello world"]
        await conn.send("ok", finish=True)

    run_with_connection(body, chunks=[b"hello", b" ", b"world"])


def test_body_iter_yields_each_chunk() -> None:
    async def body(conn: Connection) -> None:
        assert [c async for c in conn.body_iter()] == [b"a", b"b"]

    run_with_connection(body, chunks=[b"a", b"b"])


def test_json_parses_the_body() -> None:
    async def body(conn: Connection) -> None:
        assert await conn.json() == {"a": [1, 2]}

    run_with_connection(body, chunks=[b'{"a": [1, 2]}'])


@pytest.mark.parametrize("count", [2, 40_000])  # parsed whole, and a slice at a time
def test_json_skips_a_utf_8_bom_as_a_typed_body_does(count: int) -> None:
    # A typed body skipped it, and Starlette's request.json() (json.loads) takes it:
    # connection.json() answered 400, "expected value (at character 0)".
    app = App()

    @app.post("/count")
    async def counted(connection: Connection) -> int:
        sent = await connection.json()
        assert isinstance(sent, list)
        return len(sent)

    data = b"\xef\xbb\xbf" + json.dumps([1] * count).encode()
    assert TestClient(app).post("/count", content=data).json() == count


def test_body_longer_than_declared_is_400() -> None:
    scope = http_scope("POST", headers=[(b"content-length", b"3")])

    async def body(conn: Connection) -> None:
        with pytest.raises(HTTPError) as info:
            await conn.body()
        assert info.value.status_code == 400

    run_with_connection(body, scope, chunks=[b"ab", b"cd"])


def test_body_shorter_than_declared_is_400() -> None:
    scope = http_scope("POST", headers=[(b"content-length", b"10")])

    async def body(conn: Connection) -> None:
        with pytest.raises(HTTPError) as info:
            await conn.body()
        assert info.value.status_code == 400

    run_with_connection(body, scope, chunks=[b"ab"])


def test_declared_body_over_the_limit_is_413_before_reading() -> None:
    scope = http_scope("POST", headers=[(b"content-length", b"100")])
    recorder = Recorder([b"x" * 100])

    async def body() -> None:
        conn = recorder.connection(scope)
        conn.max_body_size = 10
        with pytest.raises(HTTPError) as info:
            await conn.body()
        assert info.value.status_code == 413

    asyncio.run(body())
    assert len(recorder.incoming) == 1  # nothing was read


def test_streamed_body_over_the_limit_is_413() -> None:
    recorder = Recorder([b"x" * 6, b"x" * 6, b"x" * 6])

    async def body() -> None:
        conn = recorder.connection(http_scope("POST"))
        conn.max_body_size = 10
        with pytest.raises(HTTPError) as info:
            await conn.body()
        assert info.value.status_code == 413

    asyncio.run(body())
    assert len(recorder.incoming) == 1  # stopped reading at the chunk that crossed the limit


def test_disconnect_mid_body_raises_client_disconnect() -> None:
    recorder = Recorder([b"partial"], disconnect_after=True)

    async def body() -> None:
        conn = recorder.connection(http_scope("POST"))
        with pytest.raises(ClientDisconnect):
            await conn.body()

    asyncio.run(body())


def test_a_send_the_server_fails_after_the_client_left_is_a_client_disconnect() -> None:
    # Servers other than uvicorn (hypercorn among them) raise on a send to a client that
    # left: a streaming handler sees the same ClientDisconnect as under uvicorn.
    sent: list[SendEvent] = []

    async def send(message: SendEvent) -> None:
        if message["type"] == "http.response.body" and len(sent) == 2:
            raise ConnectionResetError("the peer is gone")
        sent.append(message)

    async def receive() -> ReceiveEvent:
        await asyncio.Event().wait()  # no disconnect message: the server only raises
        raise AssertionError("unreachable")

    async def body() -> None:
        conn = Connection(http_scope(), receive, send)
        await conn.send("first")  # the start
        with pytest.raises(ClientDisconnect, match="The client left") as info:
            await conn.send("second")
        assert isinstance(info.value.__cause__, ConnectionResetError)
        conn.release()

    asyncio.run(body())
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


def test_finished_single_send_is_one_message_with_content_length() -> None:
    async def body(conn: Connection) -> None:
        await conn.send("hello", finish=True)
        assert conn.started and conn.finished

    sent = run_with_connection(body)
    assert sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", TEXT), (b"content-length", b"5")],
        },
        {"type": "http.response.body", "body": b"hello", "more_body": False},
    ]


def test_streamed_sends_go_out_one_by_one() -> None:
    async def body(conn: Connection) -> None:
        conn.resp_status_code = 201
        conn.put_resp_header("X-Thing", "1")
        await conn.send("a")
        await conn.send(b"b")
        await conn.finish()

    sent = run_with_connection(body)
    assert sent[0] == {
        "type": "http.response.start",
        "status": 201,
        "headers": [(b"x-thing", b"1"), (b"content-type", TEXT)],
    }
    assert [m.get("body") for m in sent[1:]] == [b"a", b"b", b""]
    assert [m.get("more_body") for m in sent[1:]] == [True, True, False]


def test_finish_before_sending_answers_204() -> None:
    async def body(conn: Connection) -> None:
        await conn.finish()

    sent = run_with_connection(body)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 204


def test_sending_after_finish_raises() -> None:
    async def body(conn: Connection) -> None:
        await conn.send("x", finish=True)
        with pytest.raises(ValueError, match="already finished"):
            await conn.send("y")
        with pytest.raises(ValueError, match="already finished"):
            await conn.finish()

    run_with_connection(body)


def test_starting_twice_raises() -> None:
    async def body(conn: Connection) -> None:
        await conn.start_resp()
        with pytest.raises(ValueError, match="cannot start twice"):
            await conn.start_resp()

    run_with_connection(body)


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\0b"])
def test_header_value_with_cr_or_lf_raises(value: str) -> None:
    conn = Recorder().connection()
    with pytest.raises(ValueError, match="CR, LF"):
        conn.put_resp_header("X-Bad", value)


@pytest.mark.parametrize("name", ["X Bad", "X:Bad", "X\r\nBad", ""])
def test_header_name_that_is_not_a_token_raises(name: str) -> None:
    conn = Recorder().connection()
    with pytest.raises(ValueError, match="header name"):
        conn.put_resp_header(name, "v")


def test_non_latin1_header_value_raises() -> None:
    conn = Recorder().connection()
    with pytest.raises(ValueError, match="latin-1"):
        conn.put_resp_header("X-Name", "日本")


def test_cookies_go_out_as_set_cookie_headers() -> None:
    async def body(conn: Connection) -> None:
        conn.put_resp_cookie("session", "abc", max_age=60, httponly=True, samesite="Lax")
        conn.delete_resp_cookie("old")
        # Among the response headers set on the connection, as Starlette's response.headers.
        assert conn.resp_headers.getlist("Set-Cookie")[0].startswith("session=abc;")
        await conn.send("", finish=True)

    sent = run_with_connection(body)
    start = sent[0]
    assert start["type"] == "http.response.start"
    cookies = [v.decode() for k, v in start.get("headers", []) if k == b"set-cookie"]
    assert cookies[0].startswith("session=abc;")
    assert "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0] and "Max-Age=60" in cookies[0]
    assert cookies[1].startswith("old=;") and "Max-Age=0" in cookies[1]


def test_head_request_sends_no_body_but_keeps_content_length() -> None:
    async def body(conn: Connection) -> None:
        await conn.send("hello", finish=True)

    sent = run_with_connection(body, http_scope("HEAD"))
    assert sent[0].get("headers") == [(b"content-type", TEXT), (b"content-length", b"5")]
    assert sent[1].get("body") == b""


def test_path_params_and_state_are_per_connection() -> None:
    first = Recorder().connection()
    second = Recorder().connection()
    first.state["user"] = "a"
    first.path_params["x"] = 1
    assert second.state == {} and second.path_params == {}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="ab=+%2F6é& ", max_size=6),
            st.text(alphabet="ab=+%2F6é ", max_size=6),
        ),
        max_size=5,
    )
)
def test_parse_query_agrees_with_urllib(pairs: list[tuple[str, str]]) -> None:
    raw = "&".join(f"{key}={value}" for key, value in pairs).encode()
    expected = parse_qsl(raw.decode(), keep_blank_values=True, errors="replace")
    assert parse_query(raw) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from([b"%", b"+", b"a", b"F", b"f", b"0", b"9", b"g", b"\xff", b"%C3%A9"]))
)
def test_unquoting_agrees_with_urllib(pieces: list[bytes]) -> None:
    # aaf's own unquoting (a stray "%" costs it nothing, where urllib raises and catches an
    # exception for each) gives what urllib gives.
    raw = b"".join(pieces)
    assert unquote_bytes(raw) == unquote_to_bytes(raw.replace(b"+", b" "))
