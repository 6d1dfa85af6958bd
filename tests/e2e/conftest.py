"""Playwright with Debian's Chromium against the live test server."""

import os
import shutil

import pytest

from tests.conftest import require

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; Django's ORM is used synchronously here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    require(shutil.which("chromium") is not None or os.path.exists(CHROMIUM), "a browser: Debian's chromium")
    from playwright.sync_api import expect, sync_playwright

    # The live server shares two cores with Chromium and the rest of the suite: a wait that takes 1 s
    # on a quiet machine can take several under CI's load, so expectations wait longer than 5 s.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def sign_in(page, live_server):
    def go(username: str, password: str, *, refused: bool = False):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        if refused:
            page.wait_for_load_state()
        else:
            # Signed in means we left the sign-in page; failing here names the cause, not a later step.
            page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return go


def screenshot(page, name: str) -> None:
    """Keep a picture of each page the browser tests visit, for people to look at."""
    os.makedirs("var/screenshots", exist_ok=True)
    page.screenshot(path=f"var/screenshots/{name}.png", full_page=True)
