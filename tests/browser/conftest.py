"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against pytest-django's live server.

They skip, saying so, only where Chromium is not installed (.ci/run installs it). Screenshots go to
test-artifacts/screenshots/ for people to look at.
"""
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make there are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium):
    contexts = []

    def make(viewport=DESKTOP, locale="en-GB"):
        context = chromium.new_context(viewport=viewport, locale=locale, timezone_id="Asia/Kathmandu")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def demo_live(transactional_db, live_server):
    from demo.glo_act import seed

    seed(password="glo-act-demo-2026")
    return live_server


def nav_link(page, name):
    """A link of the header's navigation; on a phone (or under More on a desktop) its menu is opened first."""
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).locator("visible=true")
    if not link.count():
        menus = page.locator("nav details > summary").locator("visible=true")
        for index in range(menus.count()):
            menus.nth(index).click()
            if link.count():
                break
    return link.first
