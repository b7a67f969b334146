"""The notes API through the in-process TestClient (database: an in-memory SQLite)."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import time
from pathlib import Path

import httpx

from aaf.testing import TestClient
from notes.app import create_app
from notes.tests.conftest import notes_server


def sign_up(client: TestClient, name: str = "ann") -> dict[str, str]:
    response = client.post("/api/users", json={"name": name})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_sign_up_gives_a_token_and_a_taken_name_is_409(client: TestClient) -> None:
    first = client.post("/api/users", json={"name": "ann"})
    assert first.status_code == 201
    assert first.json()["name"] == "ann" and len(first.json()["token"]) >= 32
    again = client.post("/api/users", json={"name": "ann"})
    assert again.status_code == 409
    assert again.json() == {"detail": "the name 'ann' is taken"}
    bad = client.post("/api/users", json={"name": "no spaces"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "name"]


def test_writing_needs_a_valid_bearer_token(client: TestClient) -> None:
    note = {"title": "milk"}
    missing = client.post("/api/notes", json=note)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/notes", json=note, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "unknown or missing token"}
    # Who asks is checked before what they ask for: a rewrite or delete without a token is
    # 401 whether the note exists or not (schemathesis's "ST401" check found a 404 first).
    created = client.post("/api/notes", json=note, headers=sign_up(client)).json()
    for note_id in (created["id"], 9999):
        assert client.delete(f"/api/notes/{note_id}").status_code == 401
        assert client.put(f"/api/notes/{note_id}", json=note).status_code == 401
        bad_token = {"Authorization": "Bearer nope"}
        assert client.delete(f"/api/notes/{note_id}", headers=bad_token).status_code == 401


def test_create_read_rewrite_delete(client: TestClient) -> None:
    ann = sign_up(client)
    created = client.post("/api/notes", json={"title": "milk", "body": "2 l"}, headers=ann)
    assert created.status_code == 201
    note = created.json()
    assert note["title"] == "milk" and note["body"] == "2 l" and note["author"] == "ann"
    assert client.get(f"/api/notes/{note['id']}").json() == note

    rewritten = client.put(
        f"/api/notes/{note['id']}", json={"title": "oat milk", "body": "1 l"}, headers=ann
    )
    assert rewritten.status_code == 200
    assert rewritten.json() == {**note, "title": "oat milk", "body": "1 l"}

    deleted = client.delete(f"/api/notes/{note['id']}", headers=ann)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = client.get(f"/api/notes/{note['id']}")
    assert gone.status_code == 404
    assert gone.json() == {"detail": f"note {note['id']} does not exist"}


def test_errors_are_json_with_the_right_status(client: TestClient) -> None:
    ann, bob = sign_up(client, "ann"), sign_up(client, "bob")
    note = client.post("/api/notes", json={"title": "milk"}, headers=ann).json()
    repeated = client.post("/api/notes", json={"title": "milk"}, headers=ann)
    assert repeated.status_code == 409
    assert repeated.json() == {"detail": "you already have a note titled 'milk'"}
    # Another author may use the same title, but not touch ann's note.
    assert client.post("/api/notes", json={"title": "milk"}, headers=bob).status_code == 201
    foreign = client.delete(f"/api/notes/{note['id']}", headers=bob)
    assert foreign.status_code == 403
    assert foreign.json() == {"detail": f"note {note['id']} is ann's"}
    assert client.put("/api/notes/999", json={"title": "x"}, headers=ann).status_code == 404
    empty = client.post("/api/notes", json={"title": ""}, headers=ann)
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "title"]
    assert client.get("/api/notes/abc").status_code == 404  # <int:note_id> does not match
    # Beyond SQLite's 64-bit integers: no such note, never a 500 from the driver.
    huge = client.get(f"/api/notes/{2**63}")
    assert huge.status_code == 404
    assert huge.json() == {"detail": f"note {2**63} does not exist"}
    assert client.delete(f"/api/notes/{10**30}", headers=ann).status_code == 404


def test_paging_newest_first(client: TestClient) -> None:
    ann = sign_up(client)
    for number in range(5):
        client.post("/api/notes", json={"title": f"note {number}"}, headers=ann)
    page = client.get("/api/notes", params={"limit": 2, "offset": 1}).json()
    assert [n["title"] for n in page["items"]] == ["note 3", "note 2"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    too_many = client.get("/api/notes", params={"limit": 1000})
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["query", "limit"]
    far = client.get("/api/notes", params={"offset": 2**63})
    assert far.status_code == 422
    assert far.json()["detail"][0]["loc"] == ["query", "offset"]


def test_the_feed_sends_every_change_to_open_pages(client: TestClient) -> None:
    ann = sign_up(client)
    with client.websocket_connect("/ws/notes") as feed:
        # First: subscribed, so the list a page loads now misses no note the feed will not bring.
        assert feed.receive_json() == {"kind": "subscribed"}
        note = client.post("/api/notes", json={"title": "milk"}, headers=ann).json()
        assert feed.receive_json() == {"kind": "created", "note": note}
        client.delete(f"/api/notes/{note['id']}", headers=ann)
        assert feed.receive_json() == {"kind": "deleted", "note": note}


def test_the_document_lists_the_operations_and_the_bearer_scheme(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert set(document["paths"]) == {"/api/users", "/api/notes", "/api/notes/{note_id}"}
    assert set(document["paths"]["/api/notes/{note_id}"]) == {"get", "put", "delete"}
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    create = document["paths"]["/api/notes"]["post"]
    assert create["security"] == [{"HTTPBearer": []}]
    assert {"201", "401", "409", "422"} <= set(create["responses"])
    assert client.get("/docs").status_code == 200


def test_the_page_and_its_assets_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'self'; ")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<script src="static/notes.js">' in page.text
    assert client.get("/static/notes.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404
    missing = client.get("/static/nope.js")  # the app's handler answers the mount's errors too
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found"}


def test_the_page_is_served_under_a_path_prefix(tmp_path: Path) -> None:
    # Behind a proxy that strips /notes (uvicorn --root-path /notes), as TestClient's
    # root_path gives it: the page's links are relative, so the page is asked for with its
    # final slash, and without it is sent there.
    with TestClient(create_app(database=tmp_path / "notes.sqlite3"), root_path="/notes") as client:
        moved = client.get("/notes?from=mail", follow_redirects=False)
        assert moved.status_code == 308 and moved.headers["location"] == "/notes/?from=mail"
        page = client.get("/notes/")
        assert page.status_code == 200 and '<script src="static/notes.js">' in page.text
        assert 'href="/' not in page.text and 'src="/' not in page.text
        script = client.get("/notes/static/notes.js").text
        assert 'fetch("api/notes' in script and 'fetch("/' not in script
        assert client.get("/notes/api/notes").json()["total"] == 0
        assert "/notes/openapi.json" in client.get("/notes/docs").text


def test_notes_are_kept_in_the_sqlite_file_across_restarts(tmp_path: Path) -> None:
    database = tmp_path / "var" / "notes.sqlite3"
    with TestClient(create_app(database=database)) as client:
        ann = sign_up(client)
        client.post("/api/notes", json={"title": "kept"}, headers=ann)
    assert database.exists()
    with TestClient(create_app(database=database)) as client:
        assert [n["title"] for n in client.get("/api/notes").json()["items"]] == ["kept"]


def test_the_file_keeps_digests_of_tokens_never_the_tokens(tmp_path: Path) -> None:
    database = tmp_path / "notes.sqlite3"
    with TestClient(create_app(database=database)) as client:
        ann = sign_up(client)
        token = ann["Authorization"].removeprefix("Bearer ")
        assert client.post("/api/notes", json={"title": "t"}, headers=ann).status_code == 201
    stored = database.read_bytes()
    assert token.encode() not in stored
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored
    with TestClient(create_app(database=database)) as client:  # the token still works
        assert client.post("/api/notes", json={"title": "u"}, headers=ann).status_code == 201


def test_a_database_from_before_hashing_is_upgraded_in_place(tmp_path: Path) -> None:
    database = tmp_path / "notes.sqlite3"
    with sqlite3.connect(database) as old:  # the schema tokens were kept in as they are
        old.execute("CREATE TABLE users (name TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE)")
        old.execute("INSERT INTO users VALUES ('ann', 'an-old-plain-token-of-32-chars-xx')")
    old.close()
    with TestClient(create_app(database=database)) as client:
        ann = {"Authorization": "Bearer an-old-plain-token-of-32-chars-xx"}
        created = client.post("/api/notes", json={"title": "after"}, headers=ann)
        assert created.status_code == 201 and created.json()["author"] == "ann"
    assert b"an-old-plain-token" not in database.read_bytes()


def test_concurrent_writers_share_the_database_without_errors(server: str) -> None:
    # One aiosqlite connection serves every request: without taking turns, a commit met
    # another request's statement in progress ("cannot commit transaction"): a 500.
    async def scenario() -> list[int]:
        async with httpx.AsyncClient(base_url=server, timeout=30) as client:
            tokens: list[dict[str, str]] = []
            for name in ("ann", "bob", "cid", "dee"):
                answer = await client.post("/api/users", json={"name": name})
                tokens.append({"Authorization": f"Bearer {answer.json()['token']}"})

            async def write(headers: dict[str, str], number: int) -> list[int]:
                made = await client.post(
                    "/api/notes", json={"title": f"n{number}"}, headers=headers
                )
                read = await client.get("/api/notes", params={"limit": 5})
                gone = await client.delete(f"/api/notes/{made.json()['id']}", headers=headers)
                return [made.status_code, read.status_code, gone.status_code]

            results = await asyncio.gather(
                *(write(headers, number) for headers in tokens for number in range(40))
            )
            return [status for statuses in results for status in statuses]

    statuses = asyncio.run(scenario())
    assert len(statuses) == 4 * 40 * 3
    assert set(statuses) == {200, 201, 204}, sorted(set(statuses))


def test_a_refused_write_leaves_the_file_free_for_other_processes(tmp_path: Path) -> None:
    # Two uvicorn processes on one SQLite file, as `--workers 2` runs the app. A write
    # refused with 409 must not leave its transaction open: it held the file's write lock
    # until that process wrote again, and every other process's write waited out SQLite's
    # busy timeout and failed ("database is locked", a 500).
    database = tmp_path / "notes.sqlite3"
    with notes_server(database) as first, notes_server(database) as second:
        ann = httpx.post(first + "/api/users", json={"name": "ann"}, timeout=10)
        assert ann.status_code == 201, ann.text
        taken = httpx.post(first + "/api/users", json={"name": "ann"}, timeout=10)
        assert taken.status_code == 409, taken.text
        started = time.monotonic()
        bob = httpx.post(second + "/api/users", json={"name": "bob"}, timeout=30)
        assert bob.status_code == 201, bob.text
        assert time.monotonic() - started < 2.0  # not after a busy timeout
        headers = {"Authorization": f"Bearer {bob.json()['token']}"}
        notes = [
            httpx.post(second + "/api/notes", json={"title": "same"}, headers=headers, timeout=10)
            for _ in range(2)
        ]
        assert [note.status_code for note in notes] == [201, 409]  # now on the second process
        cid = httpx.post(first + "/api/users", json={"name": "cid"}, timeout=30)
        assert cid.status_code == 201, cid.text
