"""A dashboard server on 127.0.0.1 and headless Debian chromium, both started by the tests.

Playwright cannot download its own browser on these machines, so it drives the system's
``/usr/bin/chromium`` (or ``$IURSIM_CHROMIUM``) through ``executable_path``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from iursim.dashboard.__main__ import server_environment

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_SECONDS = 60


def chromium_path() -> str | None:
    """Return the chromium executable to drive, or None if there is none."""
    configured = os.environ.get("IURSIM_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(log_path: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``python -m iursim.dashboard`` in its own process group and wait until it answers.

    Raises:
        RuntimeError: If the server exits or does not answer within the start timeout; the
            message holds the end of its log.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "iursim.dashboard", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO, env=server_environment(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    stop_server(process)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"dashboard server did not start on {url}; log:\n{tail}")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server's process group: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


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


@pytest.fixture
def new_page(browser, dashboard_url: str) -> Iterator[Callable[..., object]]:
    """Open the dashboard in a fresh browser context (its own cookies, so its own session).

    After the test, every request any of the pages made must have gone to the server, and no
    page may have thrown an uncaught JavaScript error.
    """
    contexts = []
    outside: list[str] = []
    page_errors: list[str] = []
    server = urlparse(dashboard_url).netloc

    def open_page(**options: object) -> object:
        context = browser.new_context(viewport={"width": 1500, "height": 1100},
                                      accept_downloads=True, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)

        def record(request) -> None:
            parsed = urlparse(request.url)
            if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != server:
                outside.append(request.url)

        page.on("request", record)
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.goto(dashboard_url)
        page.locator(".iursim-month").wait_for(timeout=90_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
    assert page_errors == [], f"uncaught errors in the page: {page_errors[:3]}"
