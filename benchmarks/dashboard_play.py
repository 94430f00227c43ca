"""Time the dashboard's Play button on the baseline, in headless chromium.

Starts ``python -m iursim.dashboard`` on a free port of 127.0.0.1, opens the page in Debian's
chromium through Playwright, presses Play at the "as fast as possible" speed and waits until
the page shows month 120. Each repeat uses a fresh page, so a fresh session and model.

Usage:
    .venv/bin/python benchmarks/dashboard_play.py [--repeats 3] [--screenshot PATH]

Prints one JSON object: page load and Play times per repeat, the machine's CPU count and load
average, and the versions involved. The acceptance bound is Play to month 120 within 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from iursim.dashboard.launch import CHROMIUM_FLAGS, chromium_path, start_server, stop_server
from iursim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
LIMIT_SECONDS = 60.0


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def chromium_version(executable: str) -> str:
    """Return ``chromium --version`` output, or an empty string if it fails."""
    try:
        result = subprocess.run([executable, "--version"], capture_output=True, text=True,
                                timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh pages to time")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="also save a full-page screenshot of the first page at month 120")
    args = parser.parse_args()

    executable = chromium_path()
    if executable is None:
        print("error: chromium not found; install Debian's chromium or set IURSIM_CHROMIUM",
              file=sys.stderr)
        return 1
    last_month = load_scenario(REPO / "scenarios" / "baseline.toml").run.steps
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        process, url = start_server(Path(folder) / "server.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                                     args=CHROMIUM_FLAGS)
                context = browser.new_context(viewport={"width": 1500, "height": 1100})
                for repeat in range(args.repeats):
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(url)
                    page.locator(".iursim-month[data-month='0']").wait_for(timeout=180_000)
                    loaded = time.perf_counter()
                    page.locator(".iursim-play").click()
                    page.locator(f".iursim-month[data-month='{last_month}']").wait_for(
                        timeout=600_000)
                    played = time.perf_counter()
                    runs.append({"load_seconds": round(loaded - started, 2),
                                 "play_seconds": round(played - loaded, 2)})
                    if repeat == 0 and args.screenshot is not None:
                        args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(args.screenshot), full_page=True)
                    page.close()
                browser.close()
        finally:
            stop_server(process)

    plays = [run["play_seconds"] for run in runs]
    report = {
        "benchmark": "dashboard Play, baseline to month 120, speed 'as fast as possible'",
        "months": last_month,
        "runs": runs,
        "play_seconds_max": max(plays),
        "limit_seconds": LIMIT_SECONDS,
        "within_limit": max(plays) <= LIMIT_SECONDS,
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "chromium": chromium_version(executable),
    }
    print(json.dumps(report, indent=2))
    return 0 if report["within_limit"] else 1


if __name__ == "__main__":
    sys.exit(main())
