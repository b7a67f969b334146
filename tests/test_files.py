"""FileResponse, StaticFiles, multipart uploads and cookies."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import gc
import hashlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict

from aaf import aaf
from aaf.app import App
from aaf.connection import Connection
from aaf.datastructures import FormData, UploadFile
from aaf.exceptions import ConfigurationError, HTTPError
from aaf.params import Form
from aaf.response import FileResponse, JsonResponse
from aaf.routing import Router
from aaf.staticfiles import StaticFiles
from aaf.testing import TestClient

from ._helpers import Recorder, free_port, http_scope, multipart_part, serve, uvicorn_command
from .test_examples import load

CONTENT = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "docs").mkdir(parents=True)
    (root / "data.bin").write_bytes(CONTENT)
    (root / "hello.txt").write_text("hello")
    (root / "docs" / "index.html").write_text("<h1>docs</h1>")
    for odd in ("what?", "café à"):  # names a URL must escape
        (root / odd).mkdir()
        (root / odd / "index.html").write_text(odd)
    (tmp_path / "secret.txt").write_text("top secret")
    (root / "escape").symlink_to(tmp_path / "secret.txt")
    (root / "inside").symlink_to(root / "hello.txt")
    return root


def make_app(site: Path) -> App:
    router = Router()

    @router.route("/file")
    async def file(connection: Connection) -> FileResponse:
        return FileResponse(site / "data.bin")

    @router.route("/named")
    async def named(connection: Connection) -> FileResponse:
        return FileResponse(site / "hello.txt", filename="résumé final.txt")

    @router.route("/shown")
    async def shown(connection: Connection) -> FileResponse:
        return FileResponse(site / "hello.txt", "notes.txt", content_disposition_type="inline")

    @router.route("/either", methods=["GET", "POST"])
    async def either(connection: Connection, status: int = 200) -> FileResponse:
        return FileResponse(site / "data.bin", status_code=status)

    @router.route("/gone")
    async def gone(connection: Connection) -> FileResponse:
        return FileResponse(site / "missing.bin")

    @router.route("/upload", methods=["POST"])
    async def upload(
        connection: Connection,
        files: Annotated[list[UploadFile], Form()],
        note: Annotated[str, Form()] = "",
    ) -> list[object]:
        described: list[object] = [note]
        return described + [[f.filename, f.content_type, len(f.read())] for f in files]

    router.mount("/static", StaticFiles(site, html=True))
    return aaf([router], max_body_size=50_000)


@pytest.fixture()
def client(site: Path) -> TestClient:
    return TestClient(make_app(site))


def test_file_response_has_type_length_and_validators(client: TestClient) -> None:
    response = client.get("/file")
    assert response.content == CONTENT
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == str(len(CONTENT))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"].endswith("GMT")


def test_matching_if_none_match_answers_304(client: TestClient) -> None:
    etag = client.get("/file").headers["etag"]
    response = client.get("/file", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert client.get("/file", headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since_answers_304_until_the_file_changes(
    client: TestClient, site: Path
) -> None:
    last_modified = client.get("/file").headers["last-modified"]
    assert client.get("/file", headers={"If-Modified-Since": last_modified}).status_code == 304
    later = time.time() + 10
    os.utime(site / "data.bin", (later, later))
    assert client.get("/file", headers={"If-Modified-Since": last_modified}).status_code == 200


def test_if_match_and_if_unmodified_since_the_file_no_longer_meets_answer_412(
    client: TestClient, site: Path
) -> None:
    # RFC 9110 13.2.2: a download resumed with the validators of a version that has since
    # changed must not be given parts of the new one.
    first = client.get("/file").headers
    etag, last_modified = first["etag"], first["last-modified"]
    hour_before = "Thu, 01 Jan 1970 00:00:00 GMT"
    for met in (
        {"If-Match": etag},
        {"If-Match": '"other", ' + etag},
        {"If-Match": "*"},
        {"If-Unmodified-Since": last_modified},
        {"If-Unmodified-Since": "not a date"},  # ignored, as the RFC says
        {"If-Match": etag, "If-Unmodified-Since": hour_before},  # If-Match decides
    ):
        response = client.get("/file", headers=met)
        assert (response.status_code, response.content) == (200, CONTENT), met
    ranged = client.get("/file", headers={"If-Match": etag, "Range": "bytes=0-9"})
    assert (ranged.status_code, ranged.content) == (206, CONTENT[:10])
    for failed in (
        {"If-Match": '"other"'},
        {"If-Match": "W/" + etag},  # compared strongly
        {"If-Unmodified-Since": hour_before},
        {"If-Match": '"other"', "Range": "bytes=0-9", "If-None-Match": etag},
    ):
        response = client.get("/file", headers=failed)
        assert (response.status_code, response.content) == (412, b""), failed
        assert response.headers["content-length"] == "0"
    assert client.head("/file", headers={"If-Match": '"other"'}).status_code == 412
    # A file answered to a POST, or with its own status, ignores them as it does the others.
    assert client.post("/either", headers={"If-Match": '"other"'}).status_code == 200
    static = client.get("/static/hello.txt", headers={"If-Match": '"other"'})
    assert static.status_code == 412
    later = time.time() + 10
    os.utime(site / "data.bin", (later, later))
    assert client.get("/file", headers={"If-Match": etag}).status_code == 412
    assert client.get("/file", headers={"If-Unmodified-Since": last_modified}).status_code == 412


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=10240-", None, None),
        ("bytes=-100", 10140, 10240),
        ("bytes=5000-", 5000, 10240),
    ],
)
def test_single_range_answers_206(
    client: TestClient, header: str, start: int | None, stop: int | None
) -> None:
    response = client.get("/file", headers={"Range": header})
    if start is None or stop is None:
        assert response.status_code == 416
        assert response.headers["content-range"] == "bytes */10240"
        return
    assert response.status_code == 206
    assert response.content == CONTENT[start:stop]
    assert response.headers["content-range"] == f"bytes {start}-{stop - 1}/10240"
    assert response.headers["content-length"] == str(stop - start)


def test_unsatisfiable_range_answers_416(client: TestClient) -> None:
    response = client.get("/file", headers={"Range": "bytes=20000-30000"})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */10240"


def parts_of(response: httpx.Response) -> list[tuple[str, str, bytes]]:
    """The parts of a multipart/byteranges answer, read by the standard library's parser:
    (content type, content range, bytes) each."""
    head = f"Content-Type: {response.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + response.content)
    assert message.is_multipart() and message.get_content_type() == "multipart/byteranges"
    found: list[tuple[str, str, bytes]] = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found.append((str(part["content-type"]), str(part["content-range"]), payload))
    return found


def test_several_ranges_answer_206_in_parts(client: TestClient) -> None:
    # RFC 9110 14.6, as Starlette's FileResponse answers them (aaf sent the whole file).
    response = client.get("/file", headers={"Range": "bytes=0-9, 100-199, -5"})
    assert response.status_code == 206
    assert response.headers["content-length"] == str(len(response.content))
    assert "content-range" not in response.headers
    kind = "application/octet-stream"
    assert parts_of(response) == [
        (kind, "bytes 0-9/10240", CONTENT[0:10]),
        (kind, "bytes 100-199/10240", CONTENT[100:200]),
        (kind, "bytes 10235-10239/10240", CONTENT[10235:]),
    ]
    head = client.head("/file", headers={"Range": "bytes=0-9, 100-199, -5"})
    assert (head.status_code, head.content) == (206, b"")
    assert head.headers["content-length"] == response.headers["content-length"]
    # Overlapping and adjacent ones merged (in ascending order then); one left is one range.
    merged = client.get("/file", headers={"Range": "bytes=50-99, 0-9, 5-20, 100-109"})
    assert [r for _, r, _ in parts_of(merged)] == ["bytes 0-20/10240", "bytes 50-109/10240"]
    single = client.get("/file", headers={"Range": "bytes=0-9, 5-19"})
    assert (single.status_code, single.headers["content-range"]) == (206, "bytes 0-19/10240")
    assert single.content == CONTENT[:20]
    # Unsatisfiable ones are left out; if none is left, 416.
    some = client.get("/file", headers={"Range": "bytes=20000-, 0-0"})
    assert (some.headers["content-range"], some.content) == ("bytes 0-0/10240", CONTENT[:1])
    none = client.get("/file", headers={"Range": "bytes=20000-, 30000-"})
    assert none.status_code == 416
    # More than 16 parts: the whole file, as RFC 9110 14.2 allows.
    many = ", ".join(f"{i * 10}-{i * 10 + 1}" for i in range(17))
    assert client.get("/file", headers={"Range": f"bytes={many}"}).content == CONTENT


@pytest.mark.parametrize(
    "header", ["items=0-5", "bytes=abc", "nonsense", "bytes=5-3", "bytes=-", "bytes=", "bytes= , "]
)
def test_other_ranges_get_the_whole_file(client: TestClient, header: str) -> None:
    response = client.get("/file", headers={"Range": header})
    assert response.status_code == 200
    assert response.content == CONTENT


def test_empty_list_elements_are_skipped_and_an_empty_suffix_is_unsatisfiable(
    client: TestClient,
) -> None:
    # RFC 9110 5.6.1: a list may hold empty elements; "-0" asks for the last zero bytes.
    for header in ("bytes=0-9, ", "bytes=,0-9", "bytes=0-9,,"):
        response = client.get("/file", headers={"Range": header})
        assert (response.status_code, response.content) == (206, CONTENT[:10]), header
    empty = client.get("/file", headers={"Range": "bytes=-0"})
    assert (empty.status_code, empty.headers["content-range"]) == (416, "bytes */10240")


def test_ranges_and_conditions_apply_to_a_get_answered_200_only(client: TestClient) -> None:
    # RFC 9110 14.2: GET is the only method range handling is defined for. A file answered
    # with its own status (an error page) is not the resource the validators describe.
    etag = client.get("/either").headers["etag"]
    asked = {"Range": "bytes=0-9", "If-None-Match": etag}
    assert client.get("/either", headers={"Range": "bytes=0-9"}).status_code == 206
    assert client.get("/either", headers=asked).status_code == 304
    for response in (
        client.post("/either", headers=asked),
        client.get("/either", params={"status": "404"}, headers=asked),
    ):
        assert response.content == CONTENT
        assert "content-range" not in response.headers
    assert client.post("/either", headers=asked).status_code == 200
    assert client.get("/either?status=404", headers=asked).status_code == 404
    unsatisfiable = client.post("/either", headers={"Range": "bytes=20000-"})
    assert (unsatisfiable.status_code, unsatisfiable.content) == (200, CONTENT)


def test_if_range_with_a_stale_etag_gets_the_whole_file(client: TestClient) -> None:
    etag = client.get("/file").headers["etag"]
    fresh = client.get("/file", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert fresh.status_code == 206
    stale = client.get("/file", headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == CONTENT


def test_if_range_takes_a_strong_etag_or_the_exact_date_only(client: TestClient) -> None:
    # RFC 9110 13.1.5: a weak tag never matches (it did, its W/ dropped), and a date must be
    # the Last-Modified itself (a later one matched: another version's bytes could be sent).
    first = client.get("/file")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    later = "Fri, 01 Jan 2100 00:00:00 GMT"
    for if_range, status in [
        (etag, 206),
        (modified, 206),
        ("W/" + etag, 200),
        (later, 200),
        ("not a validator", 200),
        ("", 200),  # neither a tag nor a date
    ]:
        answer = client.get("/file", headers={"Range": "bytes=0-9", "If-Range": if_range})
        assert answer.status_code == status, if_range


def test_files_are_typed_by_their_names_text_of_any_name_in_utf_8(tmp_path: Path) -> None:
    for name, content in [
        ("app.js", b"let a = 1;"),
        ("logo.svg", b"<svg/>"),
        ("notes.txt", b"notes"),
        ("blob", b"\x00\x01"),  # no extension: octets
    ]:
        (tmp_path / name).write_bytes(content)
    router = Router()
    router.mount("/s", StaticFiles(tmp_path))
    client = TestClient(aaf([router]))
    types = {
        name: client.get(f"/s/{name}").headers["content-type"]
        for name in ("app.js", "logo.svg", "notes.txt", "blob")
    }
    # application/javascript or text/javascript, as the system's mime.types says
    assert types.pop("app.js").endswith("/javascript; charset=utf-8")
    assert types == {
        "logo.svg": "image/svg+xml; charset=utf-8",
        "notes.txt": "text/plain; charset=utf-8",
        "blob": "application/octet-stream",
    }


def test_head_sends_headers_only(client: TestClient) -> None:
    response = client.head("/file")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(CONTENT))


def test_filename_sets_content_disposition(client: TestClient) -> None:
    response = client.get("/named")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="r_sum_ final.txt"')
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20final.txt" in disposition
    shown = client.get("/shown").headers["content-disposition"]
    assert shown == 'inline; filename="notes.txt"'  # content_disposition_type, as Starlette's


def test_missing_file_answers_404(client: TestClient) -> None:
    assert client.get("/gone").status_code == 404


def test_file_response_uses_pathsend_when_the_server_offers_it(site: Path) -> None:
    recorder = Recorder()
    scope = http_scope(path="/file")
    scope["extensions"] = {"http.response.pathsend": {}}
    asyncio.run(make_app(site)(scope, recorder.receive, recorder.send))
    assert recorder.sent[1] == {"type": "http.response.pathsend", "path": str(site / "data.bin")}


# StaticFiles -----------------------------------------------------------------------------------
def test_static_files_serve_files_and_index_pages(client: TestClient) -> None:
    assert client.get("/static/hello.txt").text == "hello"
    assert client.get("/static/inside").text == "hello"
    assert client.get("/static/docs/").text == "<h1>docs</h1>"
    redirect = client.get("/static/docs", follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"] == "/static/docs/"
    assert client.get("/static/nope.txt").status_code == 404
    assert client.post("/static/hello.txt").status_code == 405
    # A file is no directory (nginx and Starlette answer 404 too): served at /hello.txt/,
    # relative links in it resolved below it.
    assert client.get("/static/hello.txt/").status_code == 404


def test_an_index_redirect_escapes_the_name_and_keeps_the_query(client: TestClient) -> None:
    # A "?" in a directory's name is part of the path, not the start of a query (it was sent
    # as it is: the browser asked for /static/what with the query "/").
    for name, escaped in [("what?", "what%3F"), ("café à", "caf%C3%A9%20%C3%A0")]:
        redirect = client.get(f"/static/{escaped}?v=2", follow_redirects=False)
        assert redirect.headers["location"] == f"/static/{escaped}/?v=2"
        assert client.get(f"/static/{escaped}").text == name


def test_html_mode_answers_a_missing_path_with_the_directorys_404_page(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>home</h1>")
    router = Router()
    router.mount("/site", StaticFiles(tmp_path, html=True))
    router.mount("/plain", StaticFiles(tmp_path))
    with serve(aaf([router])) as base, httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/site/nope").text == "Not found"  # no 404.html: aaf's own
        (tmp_path / "404.html").write_text("<h1>lost</h1>")
        for path in ("/site/nope", "/site/index.html/", "/site/%2e%2e/etc/passwd"):
            missing = client.get(path)
            assert (missing.status_code, missing.text) == (404, "<h1>lost</h1>")
            assert missing.headers["content-type"] == "text/html; charset=utf-8"
            assert "etag" not in missing.headers
        head = client.head("/site/nope")
        assert (head.status_code, head.content) == (404, b"")
        assert client.get("/site/").text == "<h1>home</h1>"
        # The mount's own path is its directory's too: served there, the page's relative
        # links would resolve against "/" (it was served at /site, not sent to /site/).
        root = client.get("/site?v=1")
        assert (root.status_code, root.headers["location"]) == (308, "/site/?v=1")
        # Only in html mode, as Starlette's.
        assert client.get("/plain/nope").text == "Not found"
        # A 404.html that leads out of the directory is not served.
        (tmp_path / "404.html").unlink()
        outside = tmp_path.parent / f"{tmp_path.name}-outside.html"
        outside.write_text("secret")
        (tmp_path / "404.html").symlink_to(outside)
        assert client.get("/site/nope").text == "Not found"


async def as_json(connection: Connection, exc: HTTPError) -> JsonResponse:
    return JsonResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def test_static_files_errors_go_through_the_apps_exception_handlers(site: Path) -> None:
    # 404 and 405 are errors aaf answers itself, mounted files included (as in Starlette).
    router = Router()
    router.mount("/static", StaticFiles(site, html=True))
    app = aaf([router], exception_handlers={HTTPError: as_json})
    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as client:
        missing = client.get("/static/nope.txt")
        assert missing.status_code == 404 and missing.json() == {"error": "Not found"}
        assert client.get("/static/../secret.txt").json() == {"error": "Not found"}
        assert client.get("/static/").json() == {"error": "Not found"}  # no index.html there
        posted = client.post("/static/hello.txt")
        assert posted.status_code == 405 and posted.json() == {"error": "Method Not Allowed"}
        assert posted.headers["allow"] == "GET, HEAD"
        found = client.get("/static/hello.txt")
        assert found.status_code == 200 and found.text == "hello"
        assert client.get("/static/docs/").text == "<h1>docs</h1>"
    # On its own, StaticFiles answers them itself.
    recorder = Recorder()
    asyncio.run(StaticFiles(site)(http_scope(path="/nope.txt"), recorder.receive, recorder.send))
    assert recorder.sent[0]["type"] == "http.response.start"
    assert recorder.sent[0]["status"] == 404
    assert recorder.sent[1]["type"] == "http.response.body"
    assert recorder.sent[1]["body"] == b"Not found"


def test_a_router_called_directly_serves_its_mounted_files(site: Path) -> None:
    router = Router()
    router.mount("/static", StaticFiles(site))

    async def ask(path: str) -> Recorder:
        recorder = Recorder()
        await router(recorder.connection(http_scope(path=path)))
        return recorder

    found = asyncio.run(ask("/static/hello.txt"))
    assert found.sent[0]["type"] == "http.response.start"
    assert found.sent[0]["status"] == 200
    assert b"".join(m["body"] for m in found.sent if m["type"] == "http.response.body") == b"hello"
    missing = asyncio.run(ask("/static/nope.txt"))  # the router's own error policy answers
    assert missing.sent[0]["type"] == "http.response.start"
    assert missing.sent[0]["status"] == 404


def test_a_client_leaving_a_mounted_file_mid_stream_is_no_error(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (site / "big.bin").write_bytes(b"x" * (1024 * 1024))
    router = Router()
    router.mount("/static", StaticFiles(site))
    # The client's leaving cancels the stream wherever it is: several times over, so that
    # it lands while a worker thread opens or reads the file too. A file left open there
    # is reported when collected (a ResourceWarning, an error under pytest).
    for _ in range(20):
        recorder = Recorder(disconnect_after=True)
        with caplog.at_level("DEBUG", logger="aaf"):
            scope = http_scope(path="/static/big.bin")
            asyncio.run(aaf([router])(scope, recorder.receive, recorder.send))
        assert recorder.sent[0]["type"] == "http.response.start"
        assert recorder.sent[0]["status"] == 200
        sent = sum(len(m["body"]) for m in recorder.sent if m["type"] == "http.response.body")
        assert sent < 1024 * 1024  # it stopped when the client left
    gc.collect()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/docs/../../secret.txt",
        "/static/..%2fsecret.txt",
        "/static/%2e%2e/secret.txt",
        "/static//etc/passwd",
        "/static/" + str(Path("/etc/passwd")),
        "/static/escape",
        "/static/hello.txt\x00.png",
        "/static/..\\secret.txt",
        "/static/.",
    ],
)
def test_paths_that_leave_the_directory_answer_404(site: Path, path: str) -> None:
    # Sent as the server would decode them, bypassing client-side normalisation.
    recorder = Recorder()
    asyncio.run(make_app(site)(http_scope(path=path), recorder.receive, recorder.send))
    start = recorder.sent[0]
    assert start["type"] == "http.response.start"
    assert start["status"] == 404, path
    bodies = [m["body"] for m in recorder.sent if m["type"] == "http.response.body"]
    assert b"top secret" not in b"".join(bodies)


def test_traversal_over_uvicorn_never_reads_outside(site: Path) -> None:
    import socket

    with serve(make_app(site)) as base:
        port = int(base.rsplit(":", 1)[1])
        for raw in [
            b"/static/../secret.txt",
            b"/static/%2e%2e/secret.txt",
            b"/static/%2e%2e%2fsecret.txt",
        ]:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET " + raw + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 404"), (raw, answer[:80])
            assert b"top secret" not in answer


# Uploads ---------------------------------------------------------------------------------------
def test_multipart_uploads_arrive_as_files_with_names_and_types(client: TestClient) -> None:
    response = client.post(
        "/upload",
        data={"note": "two files"},
        files=[
            ("files", ("a.txt", b"aaa", "text/plain")),
            ("files", ("b.bin", b"b" * 2000, "application/x-b")),
        ],
    )
    assert response.json() == [
        "two files",
        ["a.txt", "text/plain", 3],
        ["b.bin", "application/x-b", 2000],
    ]


def test_missing_upload_answers_422(client: TestClient) -> None:
    response = client.post("/upload", data={"note": "x"}, files={"other": ("a", b"a")})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "files"]


def test_text_among_a_lists_files_is_said_at_its_place(client: TestClient) -> None:
    # As FastAPI says it: one entry for each text, at its index among the key's values in
    # the order they came; empty text and a file input with none chosen count as absent.
    body = b"".join(
        [
            multipart_part("files", "a.txt", b"a"),
            multipart_part("files", None, b"first text"),
            multipart_part("files", None, b""),
            multipart_part("files", "", b""),
            multipart_part("files", "b.txt", b"b"),
            multipart_part("files", None, b"second text"),
        ]
    )
    response = client.post(
        "/upload",
        content=body + b"--B--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=B"},
    )
    reason = "Expected UploadFile, received: <class 'str'>"
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "files", index],
            "msg": f"Value error, {reason}",
            "input": text,
            "ctx": {"error": reason},
        }
        for index, text in [(1, "first text"), (3, "second text")]
    ]
    # An urlencoded form has only text: each value that is not empty, at its place.
    response = client.post("/upload", data={"files": ["x", "", "y"]})
    assert [(e["loc"], e["input"]) for e in response.json()["detail"]] == [
        (["body", "files", 0], "x"),
        (["body", "files", 1], "y"),
    ]


def test_multipart_over_the_body_limit_answers_413(client: TestClient) -> None:
    response = client.post("/upload", files={"files": ("big", b"x" * 60_000)})
    assert response.status_code == 413


def test_broken_multipart_answers_400_saying_what_was_wrong(client: TestClient) -> None:
    response = client.post(
        "/upload",
        content=b"--xyz\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--xyz--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 400
    assert "Content-Disposition" in response.text
    missing = client.post("/upload", content=b"x", headers={"Content-Type": "multipart/form-data"})
    assert missing.status_code == 400 and "boundary" in missing.text


def test_large_upload_spools_to_disk(site: Path) -> None:
    router = Router()

    @router.route("/spool", methods=["POST"])
    async def spool(connection: Connection, f: Annotated[UploadFile, Form()]) -> list[object]:
        rolled = getattr(f.stream, "_rolled", None)
        return [rolled, hashlib.sha256(f.read()).hexdigest()]

    data = os.urandom(2 * 1024 * 1024)
    response = TestClient(aaf([router])).post("/spool", files={"f": ("big.bin", data)})
    assert response.json() == [True, hashlib.sha256(data).hexdigest()]


# The uploads example ---------------------------------------------------------------------------
@pytest.fixture()
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("AAF_UPLOAD_DIR", str(tmp_path / "uploads"))
    return TestClient(load("uploads").app)


def test_uploads_example_round_trip(uploads: TestClient) -> None:
    assert "Upload a file" in uploads.get("/").text
    body = b"line\n" * 1000
    stored = uploads.post(
        "/upload",
        data={"description": "lines"},
        files={"file": ("../../my notes.txt", body, "text/plain")},
    )
    assert stored.status_code == 201
    info = stored.json()
    assert info["name"] == "my_notes.txt"
    assert info["size"] == len(body) and info["sha256"] == hashlib.sha256(body).hexdigest()
    download = uploads.get(info["url"])
    assert download.content == body
    assert "attachment" in download.headers["content-disposition"]
    assert uploads.get("/files/my_notes.txt", headers={"Range": "bytes=0-4"}).content == b"line\n"
    assert uploads.get("/download/nothing").status_code == 404
    assert uploads.get("/download/" + "a" * 5000).status_code == 404  # not ENAMETOOLONG's 500


def test_uploads_example_keeps_a_long_name_short(uploads: TestClient) -> None:
    # A 300-character name was stored as it came: the file system refused it, a 500.
    long_name = "report " * 43 + ".pdf"
    stored = uploads.post("/upload", files={"file": (long_name, b"%PDF", "application/pdf")})
    assert stored.status_code == 201
    name = stored.json()["name"]
    assert len(name) == 100 and name.startswith("report_report_") and name.endswith(".pdf")
    assert uploads.get(stored.json()["url"]).content == b"%PDF"


def test_uploads_example_theme_cookie(uploads: TestClient) -> None:
    response = uploads.post("/theme", data={"theme": "dark"}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("theme=dark;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert 'class="dark"' in uploads.get("/", headers={"Cookie": "theme=dark"}).text
    assert 'class="light"' in uploads.get("/", headers={"Cookie": "theme=<script>"}).text
    refused = uploads.post("/theme", data={"theme": "x" * 10_000}, follow_redirects=False)
    assert refused.status_code == 422 and "set-cookie" not in refused.headers


# A 50 MB file over uvicorn, with the server's memory watched ------------------------------------
def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


@pytest.fixture()
def big_file_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    (tmp_path / "files").mkdir()
    with (tmp_path / "files" / "big.bin").open("wb") as out:
        for _ in range(50):
            out.write(os.urandom(1024 * 1024))
    (tmp_path / "bigapp.py").write_text(
        "from aaf import aaf\nfrom aaf.routing import Router\n"
        "from aaf.staticfiles import StaticFiles\n"
        f"router = Router()\nrouter.mount('/files', StaticFiles({str(tmp_path / 'files')!r}))\n"
        "app = aaf([router])\n"
    )
    port = free_port()
    command = uvicorn_command("--app-dir", str(tmp_path), "bigapp:app")
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.head(base + "/files/big.bin", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("uvicorn did not start") from None
                time.sleep(0.1)
        yield base, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def test_50_mb_file_streams_with_flat_memory(
    big_file_server: tuple[str, int], tmp_path: Path
) -> None:
    base, pid = big_file_server
    before = peak_rss_kib(pid)
    digest = hashlib.sha256()
    size = 0
    with (
        httpx.Client(timeout=30) as client,
        client.stream("GET", base + "/files/big.bin") as response,
    ):
        assert response.headers["content-length"] == str(50 * 1024 * 1024)
        for chunk in response.iter_raw():
            digest.update(chunk)
            size += len(chunk)
    assert size == 50 * 1024 * 1024
    assert (
        digest.hexdigest()
        == hashlib.sha256((tmp_path / "files" / "big.bin").read_bytes()).hexdigest()
    )
    # A server that read the file into memory would grow by 50 MB; chunked streaming stays flat.
    assert peak_rss_kib(pid) - before < 10 * 1024


def test_uploads_are_typed_file_storage_with_size_seek_and_tell() -> None:
    router = Router()

    @router.post("/typed")
    async def typed(connection: Connection, f: Annotated[UploadFile, Form()]) -> list[object]:
        head = f.read(3)
        f.seek(0)
        return [head.decode(), f.tell(), f.size, f.read().decode(), f.tell()]

    @router.post("/werkzeug")  # werkzeug's own name still works as an annotation
    async def werkzeug(connection: Connection, f: Annotated[FileStorage, Form()]) -> list[object]:
        return [type(f).__name__, f.filename]

    client = TestClient(aaf([router]))
    answer = client.post("/typed", files={"f": ("a.txt", b"hello world")})
    assert answer.json() == ["hel", 0, 11, "hello world", 11]
    assert client.post("/werkzeug", files={"f": ("b.txt", b"x")}).json() == ["UploadFile", "b.txt"]


def test_uploads_are_closed_once_the_request_is_answered() -> None:
    kept: list[UploadFile] = []
    router = Router()

    @router.post("/keep")
    async def keep(connection: Connection, f: Annotated[UploadFile, Form()]) -> str:
        kept.append(f)
        return "open" if not f.stream.closed else "closed"

    with TestClient(aaf([router])) as client:
        assert client.post("/keep", files={"f": ("a.txt", b"hello")}).text == "open"
    assert kept[0].stream.closed


def test_an_unmarked_upload_parameter_is_a_form_upload_as_in_fastapi() -> None:
    # FastAPI reads `file: UploadFile` as an upload; aaf tried it as a query value, and
    # registration failed with pydantic's "Unable to generate pydantic-core schema".
    router = Router()

    @router.post("/one")
    async def one(connection: Connection, f: UploadFile, note: str = "") -> list[object]:
        return [f.filename, f.read().decode(), note]

    @router.post("/many")
    async def many(
        connection: Connection, fs: list[UploadFile], extra: UploadFile | None = None
    ) -> list[object]:
        return [[f.read().decode() for f in fs], extra is None]

    app = aaf([router])
    client = TestClient(app)
    answer = client.post("/one", files={"f": ("a.txt", b"abc")}, params={"note": "n"})
    assert answer.json() == ["a.txt", "abc", "n"]
    missing = client.post("/one", data={"other": "1"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "f"]
    both = client.post("/many", files=[("fs", ("a", b"1")), ("fs", ("b", b"22"))])
    assert both.json() == [["1", "22"], True]
    body = app.openapi()["paths"]["/many"]["post"]["requestBody"]  # type: ignore[index,call-overload]
    schema = body["content"]["multipart/form-data"]["schema"]  # type: ignore[index,call-overload]
    assert schema["required"] == ["fs"]  # type: ignore[index,call-overload]


def test_uploads_example_keeps_one_whole_file_when_one_name_is_uploaded_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Six uploads of "same.bin" at once over uvicorn: written in place, the stored file was a
    # mix of them (matching none); written aside and moved in, it is one of them, whole.
    monkeypatch.setenv("AAF_UPLOAD_DIR", str(tmp_path / "uploads"))
    blobs = [os.urandom(1_000_000) for _ in range(6)]

    async def upload_all(base: str) -> tuple[set[str], bytes]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            answers = await asyncio.gather(
                *(client.post("/upload", files={"file": ("same.bin", blob)}) for blob in blobs)
            )
            stored = await client.get("/download/same.bin")
            return {answer.json()["sha256"] for answer in answers}, stored.content

    with serve(load("uploads").app) as base:
        digests, stored = asyncio.run(upload_all(base))
    assert hashlib.sha256(stored).hexdigest() in digests
    assert {hashlib.sha256(blob).hexdigest() for blob in blobs} == digests
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == ["same.bin"]  # nothing left aside


def test_url_for_builds_a_path_below_a_named_mount_over_uvicorn(site: Path) -> None:
    # Starlette's Mount(..., name="static") and url_for("static", path=...), Flask's
    # url_for("static", filename=...): the page links the file it is served beside.
    (site / "app css").mkdir()
    (site / "app css" / "site.css").write_text("body {}")
    api = Router("/api")
    api.mount("/files", StaticFiles(site), name="files")

    @api.get("/page")
    async def page(connection: Connection) -> str:
        return connection.url_for("static", path="app css/site.css")

    app = App([api])
    app.mount("/static", StaticFiles(site), name="static")
    assert app.url_for("files", path="/hello.txt") == "/api/files/hello.txt"
    assert api.url_for("files", path="hello.txt") == "/api/files/hello.txt"
    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as client:
        link = client.get("/api/page").text
        assert link == "/static/app%20css/site.css"
        assert client.get(link).text == "body {}"
    with pytest.raises(LookupError, match=r"url_for\('static'\) names a mount: give the path"):
        app.url_for("static", filename="site.css")
    # A browser resolves /static/../app.py to /app.py, and /static/a/../b to /static/b.
    for dotted in ("../app.py", "css/../site.css", "./site.css", "css/.."):
        with pytest.raises(ValueError, match=r"url_for\('static'\): .* '\.' or '\.\.' path"):
            app.url_for("static", path=dotted)
    assert app.url_for("static", path=".well-known/a..b") == "/static/.well-known/a..b"
    with pytest.raises(ConfigurationError, match="Route name 'page' is already used"):
        api.mount("/other", StaticFiles(site), name="page")


def test_a_form_read_by_hand_reads_as_starlettes_both_kinds_together() -> None:
    # `await connection.form()` in the handler, as `await request.form()` in Starlette:
    # form["key"] and form.get("key") were AttributeErrors (fields and files only).
    router = Router()

    @router.post("/form")
    async def form(connection: Connection) -> dict[str, object]:
        data = await connection.form()
        note = data["note"]
        upload = data.get("doc")

        def shown(value: str | UploadFile) -> str:
            return value if isinstance(value, str) else f"file {value.filename}"

        return {
            "note": shown(note),
            "doc": None if upload is None else shown(upload),
            "tags": [shown(tag) for tag in data.getlist("tag")],
            "keys": list(data),
            "has_missing": "missing" in data,
            "pairs": len(data.multi_items()),
            "missing": data.get("missing", "default"),
        }

    client = TestClient(aaf([router]))
    plain = client.post("/form", data={"note": "hi", "tag": ["a", "b"]})
    assert plain.json() == {
        "note": "hi",
        "doc": None,
        "tags": ["a", "b"],
        "keys": ["note", "tag"],
        "has_missing": False,
        "pairs": 3,
        "missing": "default",
    }
    files = {"doc": ("cv.txt", b"text", "text/plain"), "tag": ("t.bin", b"x", "text/plain")}
    mixed = client.post("/form", data={"note": ["first", "last"], "tag": "a"}, files=files)
    assert mixed.json() == {
        "note": "last",  # a repeated key's last value, as a Form() parameter takes it
        "doc": "file cv.txt",
        "tags": ["a", "file t.bin"],  # text, then files
        "keys": ["note", "tag", "doc"],
        "has_missing": False,
        "pairs": 5,
        "missing": "default",
    }
    with pytest.raises(KeyError):
        FormData(MultiDict(), MultiDict())["absent"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=len(CONTENT) + 50), min_size=2, max_size=8),
    suffix=st.one_of(st.none(), st.integers(min_value=1, max_value=len(CONTENT) + 50)),
)
def test_any_ranges_give_exactly_the_bytes_asked_for(
    site: Path, cuts: list[int], suffix: int | None
) -> None:
    # Ranges from sorted cut points (some past the end), a suffix perhaps: whatever the
    # answer's form (one range, parts, 416), the bytes are the file's at those places.
    points = sorted(cuts)
    pairs = list(zip(points[::2], points[1::2], strict=False))
    asked = [f"{start}-{stop}" for start, stop in pairs]
    asked += [] if suffix is None else [f"-{suffix}"]
    wanted = [
        (start, min(stop + 1, len(CONTENT))) for start, stop in pairs if start < len(CONTENT)
    ] + ([] if suffix is None else [(max(len(CONTENT) - suffix, 0), len(CONTENT))])
    with TestClient(make_app(site)) as client:
        answer = client.get("/file", headers={"Range": "bytes=" + ", ".join(asked)})
    if not wanted:
        assert answer.status_code == 416
        return
    # The parts: each run of positions some range covers, in file order (overlapping or
    # adjacent ranges make one run), found byte by byte rather than as aaf merges them.
    runs: list[list[int]] = []
    for position in sorted({i for start, stop in wanted for i in range(start, stop)}):
        if runs and runs[-1][1] == position:
            runs[-1][1] = position + 1
        else:
            runs.append([position, position + 1])
    expected = [(f"bytes {a}-{b - 1}/{len(CONTENT)}", CONTENT[a:b]) for a, b in runs]
    assert answer.status_code == 206
    if len(expected) > 1:
        assert [(r, data) for _, r, data in parts_of(answer)] == expected
    else:
        assert [(answer.headers["content-range"], answer.content)] == expected


def test_a_file_that_shrinks_while_it_is_sent_cuts_the_response_saying_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Its stream ended at the file's new end and the response was finished, its body
    # shorter than its Content-Length: whole to a server that does not count (the client
    # waiting for the rest), and to uvicorn its own error about lengths, the cause unsaid.
    path = tmp_path / "growing.log"
    path.write_bytes(b"x" * (1024 * 1024))
    router = Router()

    @router.get("/log")
    async def log(connection: Connection) -> FileResponse:
        return FileResponse(path)

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and len(sent) == 2:
            os.truncate(path, 100_000)  # rotated, say, once the first chunk went out

    async def receive() -> dict[str, object]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    with caplog.at_level(logging.ERROR, logger="aaf"), pytest.raises(RuntimeError) as raised:
        asyncio.run(aaf([router])(http_scope(path="/log"), receive, send))  # type: ignore[arg-type]
    assert str(raised.value) == (
        f"{str(path)!r} ended {1024 * 1024 - 100_000} bytes short of the {1024 * 1024} its "
        "response declared: the file changed while it was sent"
    )
    assert sent[0]["headers"] and (b"content-length", b"1048576") in sent[0]["headers"]  # type: ignore[operator]
    assert all(m.get("more_body") for m in sent[1:])  # never finished: the server aborts
    assert [r.getMessage() for r in caplog.records] == [
        "Exception after the response to GET /log started; aborting the connection"
    ]
