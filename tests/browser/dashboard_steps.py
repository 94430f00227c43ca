"""What a user does on the dashboard, as Playwright steps shared by the browser tests."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from iursim.dashboard.controls import css_class
from iursim.i18n import t

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.toml"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def month(page) -> int:
    """Return the month the page shows."""
    return int(page.locator(".iursim-month").get_attribute("data-month"))


def wait_month(page, value: int, timeout: float = 60_000) -> None:
    """Wait until the page shows month ``value``."""
    page.locator(f".iursim-month[data-month='{value}']").wait_for(timeout=timeout)


def fill_param(page, key: str, text: str, group: str | None = None) -> None:
    """Type ``text`` into the text field of parameter ``key`` and confirm it with Enter."""
    if group is not None:
        page.locator(f".iursim-group-{group}").click()
    field = page.locator(f".{css_class(key)} input")
    field.fill(text)
    field.press("Enter")


def nudge_slider(page, key: str, presses: int, expected: str) -> None:
    """Move the slider of ``key`` by ``presses`` steps with the arrow keys.

    The slider sends its value to the server after the key presses, so this waits until the
    label, which the server renders, shows ``expected``.
    """
    control = page.locator(f".{css_class(key)}")
    control.locator(".v-slider__thumb-container").focus()
    key_name = "ArrowRight" if presses > 0 else "ArrowLeft"
    for _ in range(abs(presses)):
        page.keyboard.press(key_name)
    control.filter(has_text=expected).wait_for()


def reset(page) -> None:
    """Press Reset and wait until the page shows month 0 with no pending-settings note."""
    page.locator(".iursim-reset").click()
    wait_month(page, 0)


def small_run(page, smes: int = 150, steps: int = 12, seed: int | None = None) -> None:
    """Set a small population, the run length and optionally the seed, then Reset."""
    fill_param(page, "population.smes", str(smes), group="population")
    fill_param(page, "run.steps", str(steps))
    if seed is not None:
        fill_param(page, "run.seed", str(seed))
    reset(page)
    page.locator(".iursim-run-info").filter(has_text=f"{smes:,}".replace(",", "")).wait_for()
    page.locator(".iursim-month", has_text=str(steps)).wait_for()


def choose_preset(page, label: str) -> None:
    """Pick ``label`` in the preset menu, which loads it and rebuilds the model."""
    page.locator(".iursim-preset").click()
    page.get_by_role("option", name=label, exact=True).click()


def restore_baseline(page) -> None:
    """Bring a used page back to Chinese, the overview tab and a fresh baseline model.

    The preset menu fires only on a change, so the declared defaults are picked first.
    """
    page.locator(".iursim-lang-zh").click()
    page.locator("h1", has_text=t("dash.title", "zh")).wait_for()
    open_tab(page, "overview")
    choose_preset(page, t("dash.control.preset_defaults", "zh"))
    page.locator(".iursim-preset", has_text=t("dash.control.preset_defaults", "zh")).wait_for()
    choose_preset(page, "baseline")
    page.locator(".iursim-preset", has_text="baseline").wait_for()
    page.locator(".iursim-month[data-month='0']").wait_for()
    page.locator(".iursim-changed").wait_for(state="detached")


def play_to_end(page, steps: int, timeout: float = 60_000) -> None:
    """Press Play and wait for the last month."""
    page.locator(".iursim-play").click()
    wait_month(page, steps, timeout)


def open_tab(page, key: str, lang: str = "zh") -> None:
    """Open the tab whose label is ``dash.tab.<key>``."""
    page.get_by_role("tab", name=t(f"dash.tab.{key}", lang)).click()


def chart_lengths(page) -> list[int]:
    """Return the number of x values of the first trace of every plotly chart on the page."""
    # _fullData contains decoded arrays, while data keeps plotly's base64 typed-array encoding.
    return page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
        .map(plot => {
            const trace = plot._fullData && plot._fullData[0];
            return trace && trace.x ? trace.x.length : 0;
        })""")


def download_frame(page, label: str, kind: str = "csv") -> tuple[pd.DataFrame, str]:
    """Click the download button ``label`` and read the file as a frame; return it and its name."""
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    download = info.value
    data = Path(download.path()).read_bytes()
    if kind == "csv":
        frame = pd.read_csv(io.BytesIO(data))
    else:
        frame = pd.read_parquet(io.BytesIO(data))
    return frame, download.suggested_filename


def visible_headings(page) -> list[str]:
    """Return the text of every visible heading, tab label and chart title on the page."""
    return page.evaluate("""() => {
        const nodes = document.querySelectorAll('h1, h2, h3, h4, [role=tab], .gtitle');
        return Array.from(nodes)
            .filter(node => node.getClientRects().length > 0)
            .map(node => node.textContent.trim())
            .filter(text => text.length > 0);
    }""")
