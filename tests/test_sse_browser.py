"""Server-sent events in a real headless Chromium: its EventSource reads the stream (apart
from tests/test_sse.py, which `make test-lowest` runs without selenium)."""

from __future__ import annotations

from selenium import webdriver

from ._browser import browser, script, waiting
from .test_sse import events, log, server

__all__ = ["browser", "events", "log", "server"]  # the fixtures, used by name


def test_a_browser_eventsource_receives_three_events(
    server: str, browser: webdriver.Chrome
) -> None:
    browser.get(server + "/page")
    waiting(browser, 15).until(
        lambda d: script(d, "return document.querySelectorAll('#got li').length") == 3
    )
    got = script(
        browser, "return [...document.querySelectorAll('#got li')].map(li => li.textContent)"
    )
    assert got == ["1:1", "2:2", "3:3"]
