"""/docs (Swagger UI) and /redoc (ReDoc) in a real headless Chromium, served by uvicorn from
assets inside the package: the pages render the app's operations, with nothing from a CDN."""

from __future__ import annotations

from typing import cast

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from ._browser import browser, save_screenshot
from ._helpers import serve
from .test_openapi import feature_app

__all__ = ["browser"]  # the fixture, used by name


def requests_made(driver: webdriver.Chrome) -> list[str]:
    entries: object = driver.execute_script(  # pyright: ignore[reportUnknownMemberType]
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert isinstance(entries, list)
    return [str(entry) for entry in cast("list[object]", entries)]


def test_swagger_ui_renders_the_operations(browser: webdriver.Chrome) -> None:
    with serve(feature_app()) as base:
        browser.get(base + "/docs")
        WebDriverWait(browser, 20).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 6
        )
        paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        assert {"/items/{item_id}", "/search", "/upload"} <= paths
        assert browser.find_elements(By.CSS_SELECTOR, ".btn.authorize")  # security schemes
        save_screenshot(browser, "docs")
        assert all(url.startswith(base) for url in requests_made(browser))


def test_redoc_renders_the_operations(browser: webdriver.Chrome) -> None:
    with serve(feature_app()) as base:
        browser.get(base + "/redoc")
        WebDriverWait(browser, 20).until(lambda d: "Read one item." in d.page_source)
        assert "Find items" in browser.page_source
        save_screenshot(browser, "redoc")
        assert all(url.startswith(base) for url in requests_made(browser))
