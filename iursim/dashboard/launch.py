"""Start and stop a dashboard server from Python, and find the chromium to drive it with.

Used by the browser tests and by ``benchmarks/dashboard_play.py``. Both drive Debian's
chromium through Playwright's ``executable_path``, because Playwright cannot download its own
browser on machines without a route to its download host.
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
from pathlib import Path

from iursim.dashboard.__main__ import server_environment

__all__ = ["CHROMIUM_FLAGS", "chromium_path", "free_port", "start_server", "stop_server"]

REPO = Path(__file__).resolve().parents[2]

# Headless chromium without sandbox (containers run as root), GPU or background traffic.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    """Return ``$IURSIM_CHROMIUM`` or the chromium on PATH, or None if there is none."""
    configured = os.environ.get("IURSIM_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(log_path: Path, port: int | None = None,
                 timeout: float = 90.0) -> tuple[subprocess.Popen, str]:
    """Start ``python -m iursim.dashboard`` on 127.0.0.1 in its own process group.

    Returns:
        The server process and its URL, once the server responds to HTTP requests.

    Raises:
        RuntimeError: If the server exits or does not respond within ``timeout`` seconds.
            The message contains the end of its log.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "iursim.dashboard", "--host", "127.0.0.1", "--port",
             str(port)],
            cwd=REPO, env=server_environment(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    stop_server(process)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"dashboard server did not start on {url} within {timeout:.0f} s; "
                       f"log:\n{tail}")


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
