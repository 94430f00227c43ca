"""The dashboard in headless chromium against a real server on 127.0.0.1.

Most tests shrink the population to 150 SMEs and the run to 12 months through the page's own
controls, so the model steps in milliseconds. The benchmark plays the baseline to month 120.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from dashboard_steps import (
    BASELINE,
    CJK,
    chart_lengths,
    download_frame,
    fill_param,
    month,
    nudge_slider,
    open_tab,
    play_to_end,
    reset,
    small_run,
    visible_headings,
    wait_month,
)

from iursim.i18n import t
from iursim.model import IURModel
from iursim.scenario import load_scenario

pytestmark = pytest.mark.browser

# The CJK fonts this project's setup installs or that Debian and Windows commonly ship.
CJK_FONT_NAMES = ("WenQuanYi", "Noto Sans CJK", "Noto Serif CJK", "Droid Sans Fallback",
                  "Microsoft YaHei", "SimHei", "Source Han")


def expected_metrics(smes: int, steps: int, seed: int = 42) -> pd.DataFrame:
    """Metrics of the baseline with the page's small settings, computed without the page."""
    scenario = load_scenario(BASELINE, [f"population.smes={smes}", f"run.steps={steps}"],
                             seed=seed)
    model = IURModel(scenario)
    for _ in range(steps):
        model.step()
    return model.metrics_frame()


def test_page_renders_chinese_without_error(new_page, tmp_path: Path) -> None:
    page = new_page()
    title = page.locator("h1")
    assert title.inner_text() == t("dash.title", "zh")
    assert page.locator(".iursim-message").count() == 0
    page.wait_for_function("title => document.title === title", arg=t("dash.title", "zh"))
    assert "runs on Solara" not in page.evaluate("() => document.body.innerText")
    assert "Traceback" not in page.evaluate("() => document.body.innerText")
    assert page.locator(".iursim-month").inner_text() == t("dash.control.month", "zh", month=0,
                                                           steps=120)
    assert len(chart_lengths(page)) >= 2

    # The fonts chromium used for the title must be CJK fonts that hold every glyph, so no
    # character falls back to a box. CSS.getPlatformFontsForNode reports them per text node.
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cjk_glyphs = sum(font["glyphCount"] for font in fonts
                     if any(name in font["familyName"] for name in CJK_FONT_NAMES))
    assert cjk_glyphs >= len(CJK.findall(t("dash.title", "zh"))), fonts

    # Ink check: distinct characters must draw distinct, non-empty bitmaps in the title's font.
    prints = page.evaluate("""() => {
        const font = getComputedStyle(document.querySelector('h1')).fontFamily;
        const canvas = document.createElement('canvas');
        canvas.width = 48; canvas.height = 48;
        const context = canvas.getContext('2d', {willReadFrequently: true});
        return ['产', '学', '研', '政', '策'].map(character => {
            context.clearRect(0, 0, 48, 48);
            context.font = `36px ${font}`;
            context.fillText(character, 4, 38);
            const pixels = context.getImageData(0, 0, 48, 48).data;
            let ink = 0, hash = 0;
            for (let i = 3; i < pixels.length; i += 4) {
                ink += pixels[i] > 0 ? 1 : 0;
                hash = (hash * 31 + pixels[i]) >>> 0;
            }
            return [ink, hash];
        });
    }""")
    assert all(ink > 20 for ink, _ in prints), prints
    assert len({digest for _, digest in prints}) == len(prints), prints

    shot = Path(os.environ.get("IURSIM_SCREENSHOT_DIR", tmp_path)) / "dashboard-zh.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_slider_change_then_reset_rebuilds_model(dashboard) -> None:
    page = dashboard
    label = page.locator(".iursim-param-policy-subsidy-rate")
    assert ": 0.3" in label.inner_text()
    # The baseline's subsidy rate is 0.3 and the slider steps by 0.01, so two presses give 0.32.
    nudge_slider(page, "policy.subsidy_rate", 2, expected=": 0.32")
    page.get_by_text(t("dash.control.pending", "zh")).wait_for()
    fill_param(page, "population.smes", "150", group="population")
    reset(page)
    page.get_by_text(t("dash.control.pending", "zh")).wait_for(state="detached")
    changed = page.locator(".iursim-changed").inner_text()
    assert f"{t('param.policy.subsidy_rate', 'zh')} = 0.32" in changed
    assert "150" in page.locator(".iursim-run-info").inner_text()


def test_step_and_play_advance_charts(dashboard) -> None:
    page = dashboard
    small_run(page)
    assert month(page) == 0
    page.locator(".iursim-step").click()
    wait_month(page, 1)
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot')._fullData[0].x.length === 2")
    play_to_end(page, 12)
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot')._fullData[0].x.length === 13")
    assert chart_lengths(page)[0] == 13
    assert page.locator(".iursim-play").is_disabled()


def test_language_switch_turns_headings_english(dashboard) -> None:
    page = dashboard
    page.locator(".iursim-lang-en").click()
    page.locator("h1", has_text=t("dash.title", "en")).wait_for()
    for tab in ("overview", "shares", "network", "chain", "compare", "export"):
        open_tab(page, tab, "en")
        page.wait_for_timeout(300)
        headings = visible_headings(page)
        assert headings, tab
        assert [text for text in headings if CJK.search(text)] == [], (tab, headings)
        body = page.evaluate("() => document.body.innerText").replace("中文", "")
        assert not CJK.search(body), (tab, CJK.findall(body)[:10])
    page.locator(".iursim-lang-zh").click()
    page.locator("h1", has_text=t("dash.title", "zh")).wait_for()
    assert any(CJK.search(text) for text in visible_headings(page))


def test_ab_comparison_shows_both_runs(dashboard) -> None:
    page = dashboard
    small_run(page)
    open_tab(page, "compare")
    controls = page.locator(".iursim-compare-controls")
    months = controls.locator(".iursim-param-run-steps input")
    months.fill("6")
    months.press("Enter")
    controls.locator(".iursim-param-policy-subsidy-rate .v-slider__thumb-container").focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    page.locator(".iursim-compare-run").click()
    table = page.locator(".iursim-compare-table")
    table.wait_for(timeout=60_000)
    rows = table.locator("tr")
    assert rows.count() >= 5
    header = rows.nth(0).inner_text()
    assert "A" in header
    assert "B" in header
    names = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData"
                          ".map(trace => trace.name)")
    assert t("dash.compare.label_a", "zh") in names
    assert t("dash.compare.label_b", "zh") in names
    lengths = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData"
                            ".map(trace => trace.x.length)")
    assert set(lengths) == {7}


def test_export_matches_model_data(dashboard) -> None:
    page = dashboard
    small_run(page)
    play_to_end(page, 12)
    open_tab(page, "export")
    expected = expected_metrics(smes=150, steps=12)
    csv, name = download_frame(page, t("dash.export.csv", "zh"))
    assert name.endswith("-month12.csv")
    pd.testing.assert_frame_equal(csv, expected, check_dtype=False)
    parquet, _ = download_frame(page, t("dash.export.parquet", "zh"), kind="parquet")
    pd.testing.assert_frame_equal(parquet, expected, check_dtype=False)
    with page.expect_download() as info:
        page.get_by_role("button", name=t("dash.export.html", "zh")).click()
    html = Path(info.value.path()).read_text(encoding="utf-8")
    assert html.count('class="plotly-graph-div"') >= 6
    assert t("dash.title", "zh") in html


def test_two_sessions_do_not_share_state(new_page) -> None:
    # Separate browser contexts have separate cookies, so the server sees two sessions; the
    # second page reuses the warm shared context to save a cold page load.
    first = new_page(isolated=True)
    second = new_page()
    small_run(first, smes=120)
    first.locator(".iursim-step").click()
    wait_month(first, 1)
    first.locator(".iursim-lang-en").click()
    first.locator("h1", has_text=t("dash.title", "en")).wait_for()
    assert month(second) == 0
    assert "120" not in second.locator(".iursim-run-info").inner_text()
    assert second.locator("h1").inner_text() == t("dash.title", "zh")
    assert first.locator("h1").inner_text() == t("dash.title", "en")


def test_reset_with_same_seed_repeats_trajectory(new_page) -> None:
    page = new_page()
    small_run(page, seed=7)
    runs = []
    for _ in range(2):
        play_to_end(page, 12)
        open_tab(page, "export")
        runs.append(download_frame(page, t("dash.export.csv", "zh"))[0])
        open_tab(page, "overview")
        reset(page)
    fresh = new_page()
    small_run(fresh, seed=7)
    play_to_end(fresh, 12)
    open_tab(fresh, "export")
    runs.append(download_frame(fresh, t("dash.export.csv", "zh"))[0])
    pd.testing.assert_frame_equal(runs[0], runs[1])
    pd.testing.assert_frame_equal(runs[0], runs[2])


def test_invalid_seed_shows_message_not_traceback(new_page) -> None:
    page = new_page()
    fill_param(page, "run.seed", "abc")
    expected = t("dash.error.not_integer", "zh", label=t("param.run.seed", "zh"), text="abc")
    page.get_by_text(expected).wait_for()
    page.locator(".iursim-reset").click()
    page.get_by_text(t("dash.error.fix_first", "zh")).wait_for()
    fill_param(page, "run.seed", "")
    page.get_by_text(t("dash.error.empty", "zh", label=t("param.run.seed", "zh"))).wait_for()
    fill_param(page, "population.smes", "-5", group="population")
    page.locator(".iursim-param-population-smes .v-messages").filter(has_text="-5").wait_for()
    assert "Traceback" not in page.evaluate("() => document.body.innerText")
    assert month(page) == 0
