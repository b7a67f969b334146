"""Headless Chromium for the browser tests: Debian's chromium and chromedriver, driven by
selenium with no download at run time (SE_OFFLINE). Outside CI a machine without them skips
these tests; in CI (CI=true) a missing browser fails the run."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


def browser_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def require_browser() -> None:
    """Skip (outside CI) or fail (in CI) when Chromium is not installed."""
    if not browser_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: `make test` installs chromium and chromium-driver")
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")


@contextlib.contextmanager
def chromium() -> Generator[webdriver.Chrome]:
    """Start one headless Chromium with its own profile; quit it on leaving."""
    require_browser()
    os.environ["SE_OFFLINE"] = "true"
    profile = tempfile.mkdtemp(prefix="aaf-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def browser() -> Iterator[webdriver.Chrome]:
    """A headless Chromium, closed after the test."""
    with chromium() as driver:
        yield driver


def save_screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Write a screenshot under var/test-artifacts/ (kept out of git) and give its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))  # pyright: ignore[reportUnknownMemberType]
    return path


def waiting(
    driver: webdriver.Chrome, seconds: float, poll: float = 0.5, *, navigating: bool = False
) -> WebDriverWait[webdriver.Chrome]:
    """A wait on ``driver`` that asks again when an element it read was replaced meanwhile
    (a script drawing a list again): selenium raises ``StaleElementReferenceException``
    there, which failed a wait that would have passed a moment later. ``navigating``: the
    page is being left for another (a form's submit), whose document may not be there yet
    when asked (Chromium's "Node with given id does not belong to the document"), so any
    error of the driver is asked again; both failed the uploads page's theme form."""
    ignored = WebDriverException if navigating else StaleElementReferenceException
    return WebDriverWait(driver, seconds, poll_frequency=poll, ignored_exceptions=(ignored,))


def script(driver: webdriver.Chrome, code: str) -> object:
    """Run JavaScript in the page and give its result (JSON-like; selenium types it Any)."""
    result: object = driver.execute_script(code)  # pyright: ignore[reportUnknownMemberType]
    return result
