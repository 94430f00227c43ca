"""A dashboard server on 127.0.0.1 and headless Debian chromium, both started by the tests.

Playwright cannot download its own browser on these machines, so it drives the system's
``/usr/bin/chromium`` (or ``$IURSIM_CHROMIUM``) through ``executable_path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import pytest
from dashboard_steps import restore_baseline

from iursim.dashboard.launch import CHROMIUM_FLAGS, chromium_path, start_server, stop_server


@pytest.fixture(scope="session")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a dashboard server that lives for the test session."""
    log_path = tmp_path_factory.mktemp("dashboard") / "server.log"
    process, url = start_server(log_path)
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless chromium for the session."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium not found: install Debian's chromium package or set "
                    "IURSIM_CHROMIUM (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def shared_context(browser) -> Iterator[object]:
    """A browser context reused by the tests, so chromium's cache keeps Solara's scripts.

    Every page still gets its own Solara kernel and therefore its own dashboard state.
    """
    context = browser.new_context(viewport={"width": 1500, "height": 1100},
                                  accept_downloads=True)
    try:
        yield context
    finally:
        context.close()


def watch_requests(page, server: str, outside: list[str], page_errors: list[str]) -> None:
    """Record requests to any host but ``server`` and uncaught errors of ``page``."""

    def record(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != server:
            outside.append(request.url)

    page.on("request", record)
    page.on("pageerror", lambda error: page_errors.append(str(error)))


@pytest.fixture(scope="module")
def shared_page(shared_context, dashboard_url: str) -> Iterator[object]:
    """One dashboard page for the tests of a module that start from the baseline preset.

    Opening a page costs several seconds of Solara start-up, so tests that only need a clean
    baseline share this page; :func:`dashboard` restores the baseline before each of them.
    """
    outside: list[str] = []
    page_errors: list[str] = []
    page = shared_context.new_page()
    page.set_default_timeout(60_000)
    watch_requests(page, urlparse(dashboard_url).netloc, outside, page_errors)
    page.goto(dashboard_url)
    page.locator(".iursim-month").wait_for(timeout=120_000)
    yield page
    page.close()
    assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
    assert page_errors == [], f"uncaught errors in the page: {page_errors[:3]}"


@pytest.fixture
def dashboard(shared_page) -> object:
    """The shared page, back in Chinese on the overview with the baseline preset rebuilt."""
    restore_baseline(shared_page)
    return shared_page


@pytest.fixture
def new_page(browser, shared_context, dashboard_url: str) -> Iterator[Callable[..., object]]:
    """Open the dashboard in a new page, in the shared context or an isolated one.

    After the test, every request any of the pages made must have gone to the server, and no
    page may have thrown an uncaught JavaScript error.
    """
    pages = []
    contexts = []
    outside: list[str] = []
    page_errors: list[str] = []
    server = urlparse(dashboard_url).netloc

    def open_page(isolated: bool = False) -> object:
        context = shared_context
        if isolated:
            context = browser.new_context(viewport={"width": 1500, "height": 1100},
                                          accept_downloads=True)
            contexts.append(context)
        page = context.new_page()
        pages.append(page)
        page.set_default_timeout(60_000)
        watch_requests(page, server, outside, page_errors)
        page.goto(dashboard_url)
        page.locator(".iursim-month").wait_for(timeout=120_000)
        return page

    yield open_page
    for page in pages:
        page.close()
    for context in contexts:
        context.close()
    assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
    assert page_errors == [], f"uncaught errors in the page: {page_errors[:3]}"
