"""The pages of the chat and uploads examples in a real headless Chromium under uvicorn, as a
user opens them: at the root of a site, and under a prefix (``/chat/``, ``/uploads/``), as
behind a proxy that strips it (``uvicorn --root-path``), where every link, form and
WebSocket of the page must stay below the prefix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from aaf import App, aaf
from aaf.routing import Router

from ._browser import browser, save_screenshot, script, waiting
from ._helpers import serve
from .test_examples import load

__all__ = ["browser"]  # the fixture, used by name

Prefix = Literal["", "/chat", "/uploads"]


def served_under(app: App, prefix: str) -> App:
    """``app`` as a proxy passing ``--root-path prefix`` serves it: mounted at ``prefix`` on an
    app of its own (the mounted app sees the same scope), or as it is at the root."""
    if not prefix:
        return app
    router = Router()
    router.mount(prefix, app)
    return aaf([router], openapi_url=None, docs_url=None, redoc_url=None)


def log_lines(driver: webdriver.Chrome) -> list[str]:
    lines = script(
        driver, "return [...document.querySelectorAll('#log li')].map(li => li.textContent)"
    )
    assert isinstance(lines, list)
    return [str(line) for line in lines]  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]  # JSON from the page


def join(driver: webdriver.Chrome, room: str, author: str) -> None:
    room_input = driver.find_element(By.ID, "room")
    room_input.clear()
    room_input.send_keys(room)
    author_input = driver.find_element(By.ID, "author")
    author_input.clear()
    author_input.send_keys(author)
    driver.find_element(By.ID, "join").click()
    welcome = f"[{room}] system: welcome to {room}"
    waiting(driver, 10).until(lambda d: welcome in log_lines(d))


@pytest.mark.parametrize(("prefix", "page"), [("", "/"), ("/chat", "/chat/"), ("/chat", "/chat")])
def test_two_tabs_of_the_chat_page_talk_in_one_room(
    browser: webdriver.Chrome, prefix: Prefix, page: str
) -> None:
    with serve(served_under(load("chat").app, prefix)) as base:
        browser.get(base + page)
        first = browser.current_window_handle
        join(browser, "tea", "ann")
        browser.switch_to.new_window("tab")
        browser.get(base + page)
        join(browser, "tea", "bob")
        browser.find_element(By.ID, "text").send_keys("hello ann")
        browser.find_element(By.ID, "say").submit()
        said = "[tea] bob: hello ann"
        waiting(browser, 10).until(lambda d: said in log_lines(d))
        browser.switch_to.window(first)
        try:
            waiting(browser, 10).until(lambda d: said in log_lines(d))
        except Exception:
            save_screenshot(browser, "chat-page")
            raise
        assert log_lines(browser) == ["[tea] system: welcome to tea", said]


@pytest.fixture()
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "uploads"
    monkeypatch.setenv("AAF_UPLOAD_DIR", str(directory))
    yield directory


@pytest.mark.parametrize(("prefix", "page"), [("", "/"), ("/uploads", "/uploads/")])
def test_the_uploads_page_uploads_a_file_and_sets_its_theme(
    browser: webdriver.Chrome, upload_dir: Path, tmp_path: Path, prefix: Prefix, page: str
) -> None:
    chosen = tmp_path / "my notes.txt"
    chosen.write_bytes(b"line\n" * 100)
    with serve(served_under(load("uploads").app, prefix)) as base:
        browser.get(base + page)
        browser.find_element(By.NAME, "file").send_keys(str(chosen))
        browser.find_element(By.NAME, "description").send_keys("lines")
        browser.find_element(By.CSS_SELECTOR, "form[enctype] button").click()
        waiting(browser, 10, navigating=True).until(
            lambda d: '"name":"my_notes.txt"' in str(script(d, "return document.body.innerText"))
        )
        assert browser.current_url == base + prefix + "/upload"
        assert (upload_dir / "my_notes.txt").read_bytes() == b"line\n" * 100

        browser.get(base + page)
        assert browser.find_element(By.TAG_NAME, "body").get_attribute("class") == "light"
        Select(browser.find_element(By.NAME, "theme")).select_by_visible_text("dark")
        browser.find_element(By.CSS_SELECTOR, "form:not([enctype]) button").click()
        waiting(browser, 10, navigating=True).until(
            lambda d: script(d, "return document.body.className") == "dark"
        )
        assert browser.current_url == base + page  # the page again, from the theme's 303
