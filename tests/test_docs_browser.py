"""/docs (Swagger UI) and /redoc (ReDoc) in a real headless Chromium, served by uvicorn from
assets inside the package: the pages render the app's operations, with nothing from a CDN."""

from __future__ import annotations

from typing import cast

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from aaf import aaf

from ._browser import browser, save_screenshot, script, waiting
from ._helpers import serve
from .test_openapi import feature_app
from .test_security import code_flow_app, password_app

__all__ = ["browser"]  # the fixture, used by name


def requests_made(driver: webdriver.Chrome) -> list[str]:
    entries = script(driver, "return performance.getEntriesByType('resource').map(e => e.name)")
    assert isinstance(entries, list)
    return [str(entry) for entry in cast("list[object]", entries)]


def test_swagger_ui_renders_the_operations(browser: webdriver.Chrome) -> None:
    with serve(feature_app()) as base:
        browser.get(base + "/docs")
        waiting(browser, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 6)
        paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        assert {"/items/{item_id}", "/search", "/upload"} <= paths
        assert browser.find_elements(By.CSS_SELECTOR, ".btn.authorize")  # security schemes
        save_screenshot(browser, "docs")
        assert all(url.startswith(base) for url in requests_made(browser))


def try_get_me(browser: webdriver.Chrome, wait: WebDriverWait[webdriver.Chrome], text: str) -> str:
    """Close the signed-in "Authorize" dialog, "Try it out" on GET /me, wait for ``text`` in
    its answer; give the answer's table as shown."""
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .btn-done").click()
    # Found again at each step: Swagger UI draws the operation anew as it opens.
    me = "#operations-default-me "
    browser.find_element(By.CSS_SELECTOR, me + ".opblock-summary").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, me + ".try-out__btn"))
    browser.find_element(By.CSS_SELECTOR, me + ".try-out__btn").click()
    browser.find_element(By.CSS_SELECTOR, me + ".btn.execute").click()
    table = me + ".live-responses-table"
    wait.until(lambda d: text in d.find_element(By.CSS_SELECTOR, table).text)
    return str(browser.find_element(By.CSS_SELECTOR, table).text)


def test_swagger_ui_signs_in_by_the_oauth2_password_flow(browser: webdriver.Chrome) -> None:
    # "Authorize" posts the user name and password to the scheme's tokenUrl as a form; then
    # "Try it out" on GET /me sends the token it got as a bearer.
    with serve(aaf([password_app()])) as base:
        browser.get(base + "/docs")
        wait = waiting(browser, 20)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".btn.authorize"))
        browser.find_element(By.CSS_SELECTOR, ".btn.authorize").click()
        wait.until(lambda d: d.find_elements(By.ID, "oauth_username"))
        browser.find_element(By.ID, "oauth_username").send_keys("ada")
        browser.find_element(By.ID, "oauth_password").send_keys("secret")
        browser.find_element(By.CSS_SELECTOR, ".modal-btn.auth.authorize").click()
        wait.until(lambda d: "Logout" in d.find_element(By.CSS_SELECTOR, ".modal-ux").text)
        assert "200" in try_get_me(browser, wait, "ada")
        save_screenshot(browser, "docs-oauth2")


def test_swagger_ui_signs_in_by_the_authorization_code_flow(browser: webdriver.Chrome) -> None:
    # "Authorize" opens the sign-in page in a window of its own; it sends the browser back to
    # /docs/oauth2-redirect, whose script hands the code to Swagger UI, which exchanges it
    # (with its PKCE verifier) at tokenUrl; then "Try it out" sends the token it got.
    with serve(code_flow_app()) as base:
        browser.get(base + "/docs")
        wait = waiting(browser, 20)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".btn.authorize"))
        docs_window = browser.current_window_handle
        browser.find_element(By.CSS_SELECTOR, ".btn.authorize").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".modal-btn.auth.authorize"))
        client_id = browser.find_element(By.CSS_SELECTOR, ".modal-ux input[type=text]")
        assert client_id.get_attribute("value") == "docs"  # from swagger_ui_init_oauth
        browser.find_element(By.CSS_SELECTOR, ".modal-btn.auth.authorize").click()
        # The sign-in window comes and goes by itself (the redirect page closes it).
        wait.until(lambda d: "Logout" in d.find_element(By.CSS_SELECTOR, ".modal-ux").text)
        assert browser.window_handles == [docs_window]
        assert "200" in try_get_me(browser, wait, "signed in with token-of-code0")
        save_screenshot(browser, "docs-oauth2-code")
        assert all(url.startswith(base) for url in requests_made(browser))


def test_redoc_renders_the_operations(browser: webdriver.Chrome) -> None:
    with serve(feature_app()) as base:
        browser.get(base + "/redoc")
        waiting(browser, 20).until(lambda d: "Read one item." in d.page_source)
        assert "Find items" in browser.page_source
        save_screenshot(browser, "redoc")
        assert all(url.startswith(base) for url in requests_made(browser))
