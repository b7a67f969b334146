"""An HTML form submitted by a real headless Chromium to aaf under uvicorn: what a browser
sends for inputs left empty (every text input, a file input with no file chosen) counts as
absent, and a chosen file arrives as an upload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from selenium import webdriver
from selenium.webdriver.common.by import By

from aaf import App, aaf
from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.params import Form
from aaf.response import HtmlResponse
from aaf.routing import Router

from ._browser import browser, script, waiting
from ._helpers import serve

__all__ = ["browser"]  # the fixture, used by name

PAGE = """<!doctype html>
<title>Report</title>
<form method="post" action="/report" enctype="multipart/form-data">
  <input name="title" id="title">
  <input name="tag" id="tag">
  <input type="file" name="attachment" id="attachment">
  <button id="send">Send</button>
</form>
"""


def form_app() -> App:
    router = Router()

    @router.get("/")
    async def page(connection: Connection) -> HtmlResponse:
        return HtmlResponse(PAGE)

    @router.post("/report")
    async def report(
        connection: Connection,
        title: Annotated[str, Form()],
        tag: Annotated[str, Form()] = "untagged",
        attachment: UploadFile | None = None,
    ) -> str:
        if attachment is None:
            return f"{title}|{tag}|no file"
        return f"{title}|{tag}|{attachment.filename}:{len(attachment.read())}"

    return aaf([router])


def submit(driver: webdriver.Chrome, base: str, title: str, file: Path | None = None) -> str:
    driver.get(base + "/")
    driver.find_element(By.ID, "title").send_keys(title)
    if file is not None:
        driver.find_element(By.ID, "attachment").send_keys(str(file))
    driver.find_element(By.ID, "send").click()
    waiting(driver, 10, navigating=True).until(
        lambda d: (
            "/report" in d.current_url and script(d, "return document.readyState") == "complete"
        )
    )
    return driver.find_element(By.TAG_NAME, "body").text


def test_a_browser_form_with_empty_inputs_and_no_file_chosen(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"twelve bytes")
    with serve(form_app()) as base:
        # Chromium sends the empty tag input and the file input with no file chosen (a part
        # with an empty file name and no content): both count as absent.
        assert submit(browser, base, "first") == "first|untagged|no file"
        assert submit(browser, base, "second", notes) == "second|untagged|notes.txt:12"
        # The required title left empty: 422, naming it.
        text = submit(browser, base, "")
        assert '"type":"missing"' in text and '"loc":["body","title"]' in text
