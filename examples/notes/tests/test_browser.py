"""The notes page in a real headless Chromium, served by a real uvicorn: two pages see each
other's notes live, validation errors are shown, /docs renders the API. In CI these run."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By

from notes.db import Database
from notes.models import NewNote
from notes.tests.conftest import notes_server
from tests._browser import browser, chromium, save_screenshot, script, waiting
from tests._helpers import free_port
from tests._redis import RedisServer, redis_server

__all__ = ["browser", "redis_server"]  # fixtures, used by name


def open_page(driver: webdriver.Chrome, base: str) -> None:
    """Open the page and wait until its feed is connected."""
    driver.get(base + "/")
    waiting(driver, 10).until(lambda d: d.find_element(By.ID, "status").text == "live")


def sign_up(driver: webdriver.Chrome, name: str) -> None:
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.CSS_SELECTOR, "#signup button").click()
    waiting(driver, 5).until(
        lambda d: d.find_element(By.ID, "signed-in").text == f"signed in as {name}"
    )


def add_note(driver: webdriver.Chrome, title: str, body: str = "") -> None:
    driver.find_element(By.ID, "title").send_keys(title)
    driver.find_element(By.ID, "body").send_keys(body)
    driver.find_element(By.ID, "add").click()


def titles(driver: webdriver.Chrome) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#notes li h3")]


def wait_for_title(driver: webdriver.Chrome, title: str, seconds: float) -> float:
    """Wait until a note titled ``title`` shows; give how long it took."""
    started = time.monotonic()
    waiting(driver, seconds, poll=0.05).until(lambda d: title in titles(d))
    return time.monotonic() - started


def test_a_note_added_in_one_page_appears_in_the_other(server: str) -> None:
    with chromium() as writer, chromium() as reader:
        open_page(writer, server)
        open_page(reader, server)
        sign_up(writer, "ann")
        add_note(writer, "Buy milk", "two litres")
        assert wait_for_title(reader, "Buy milk", 2.0) < 2.0
        assert titles(writer) == ["Buy milk"]
        item = reader.find_element(By.CSS_SELECTOR, "#notes li")
        assert "two litres" in item.text and "ann" in item.text
        save_screenshot(reader, "notes-page")
        # A page opened later lists what is there already.
        open_page(reader, server)
        assert titles(reader) == ["Buy milk"]
        # The page's policy is in force: a script put into it as markup does not run (the
        # test's own script runs outside the policy; what it adds to the page does not).
        ran = script(
            reader,
            "const s = document.createElement('script');"
            "s.textContent = 'window.injected = true';"
            "document.body.appendChild(s);"
            "return window.injected === true;",
        )
        assert ran is False


def test_an_empty_title_shows_the_validation_error(browser: webdriver.Chrome, server: str) -> None:
    open_page(browser, server)
    sign_up(browser, "ann")
    add_note(browser, "")
    waiting(browser, 5).until(lambda d: d.find_element(By.ID, "note-error").text)
    assert browser.find_element(By.ID, "note-error").text == (
        "title: String should have at least 1 character"
    )
    assert titles(browser) == []


def test_docs_render_the_notes_operations(browser: webdriver.Chrome, server: str) -> None:
    browser.get(server + "/docs")
    waiting(browser, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 6)
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert paths == {"/api/users", "/api/notes", "/api/notes/{note_id}"}
    assert browser.find_elements(By.CSS_SELECTOR, ".btn.authorize")
    save_screenshot(browser, "notes-docs")


def test_the_page_works_under_a_path_prefix(tmp_path: Path) -> None:
    # Served under /notes (a proxy stripping it, uvicorn --root-path): the page's stylesheet,
    # script, API calls and feed were asked for at the root, and the page was dead.
    with (
        notes_server(tmp_path / "notes.sqlite3", prefix="/notes") as base,
        chromium() as writer,
        chromium() as reader,
    ):
        writer.get(base + "/notes")  # without the final slash: sent to the page's own URL
        assert writer.current_url == base + "/notes/"
        open_page(writer, base + "/notes")
        open_page(reader, base + "/notes")
        font = script(writer, "return getComputedStyle(document.body).fontFamily")
        assert "sans-serif" in str(font)  # the stylesheet, under the prefix
        sign_up(writer, "ann")
        add_note(writer, "Under a prefix")
        assert wait_for_title(reader, "Under a prefix", 2.0) < 2.0
        writer.find_element(By.LINK_TEXT, "/docs").click()
        waiting(writer, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 6)
        assert writer.current_url == base + "/notes/docs"


def test_two_uvicorn_processes_on_one_redis_share_the_feed(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    database = tmp_path / "notes.sqlite3"
    with (
        notes_server(database, redis_server.url) as first,
        notes_server(database, redis_server.url) as second,
        chromium() as writer,
        chromium() as reader,
    ):
        open_page(writer, first)
        open_page(reader, second)
        sign_up(writer, "ann")
        add_note(writer, "Across processes")
        assert wait_for_title(reader, "Across processes", 2.0) < 2.0


def test_a_page_whose_feed_came_back_shows_what_changed_meanwhile(tmp_path: Path) -> None:
    # The page listed the notes once, at load: after the server went away and came back, the
    # feed reconnected, and a note written meanwhile never showed, nor did one deleted go.
    database, port = tmp_path / "notes.sqlite3", free_port()
    with chromium() as page:
        with notes_server(database, port=port) as base:
            token = httpx.post(base + "/api/users", json={"name": "ann"}).json()["token"]
            ann = {"Authorization": f"Bearer {token}"}
            for title in ("Kept", "Gone"):
                httpx.post(base + "/api/notes", json={"title": title}, headers=ann)
            open_page(page, base)
            assert titles(page) == ["Gone", "Kept"]
        waiting(page, 10).until(lambda d: d.find_element(By.ID, "status").text == "reconnecting")

        async def meanwhile() -> None:  # what another server on the same database did
            db = await Database.open(database)
            try:
                await db.add_note("ann", NewNote(title="Written while away"))
                items, _ = await db.notes(10, 0)
                await db.delete_note(next(n.id for n in items if n.title == "Gone"))
            finally:
                await db.close()

        asyncio.run(meanwhile())
        with notes_server(database, port=port) as base:
            waiting(page, 10).until(lambda d: d.find_element(By.ID, "status").text == "live")
            assert titles(page) == ["Written while away", "Kept"]
            # And live again: a note written now shows without a reload.
            httpx.post(base + "/api/notes", json={"title": "After"}, headers=ann)
            wait_for_title(page, "After", 5.0)
