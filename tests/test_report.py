"""The HTML report and the survey comparison it shares with the CLI."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from iursim.chain import FORM_TABLE, CooperationForm, Tightness
from iursim.report import (
    TIGHTNESS_COLOURS,
    _form_chart,
    format_share,
    format_value,
    headline_figures,
    label,
    render_report,
    survey_comparison,
)
from iursim.runner import RunResult


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    from run_support import make_fake_result

    result = make_fake_result()
    return {lang: render_report(result, lang) for lang in ("zh", "en")}


def test_report_is_self_contained(pages: dict[str, str]) -> None:
    for page in pages.values():
        assert re.search(r"<script[^>]+src=", page) is None
        assert re.search(r"<link[^>]+href=", page) is None
        # plotly.js itself is inlined: its bundle defines the global Plotly object.
        assert "Plotly" in page
        assert len(page) > 1_000_000


def _shown(text: str, page: str) -> bool:
    # Chart titles and labels sit in plotly's JSON, which escapes non-ASCII characters.
    return text in page or json.dumps(text)[1:-1] in page


def test_report_titles_in_chinese(pages: dict[str, str]) -> None:
    page = pages["zh"]
    assert "<html lang='zh-CN'>" in page
    for text in ("iursim 运行报告", "合作形式", "遇到的障碍", "进入产学研网络的路径",
                 "寻找合作伙伴的渠道", "平台", "月份", "合作开发", "后端承接式",
                 "缺乏资金", "行业协会等机构", "紧密型", "公办", "红娘式撮合"):
        assert _shown(text, page), text


def test_report_titles_in_english(pages: dict[str, str]) -> None:
    page = pages["en"]
    for text in ("iursim run report", "Cooperation forms", "Barriers met", "Month",
                 "Joint development", "Back-end, takes over", "Lacks money", "Tight",
                 "Public", "Matchmaker"):
        assert _shown(text, page), text
    assert not _shown("合作开发", page)


def test_report_has_one_chart_per_section(pages: dict[str, str]) -> None:
    for page in pages.values():
        for div_id in ("chart-forms", "chart-barriers", "chart-paths", "chart-channels",
                       "chart-time-0", "chart-time-5"):
            assert f'id="{div_id}"' in page, div_id


def test_form_chart_groups_by_tightness() -> None:
    shares = {form.value: 0.1 for form in CooperationForm}
    figure = _form_chart(shares, "en")
    assert [trace.name for trace in figure.data] == ["Loose", "Medium", "Tight"]
    for trace, tightness in zip(figure.data, Tightness, strict=True):
        expected = [label("form", form, "en") for form in CooperationForm
                    if FORM_TABLE[form].tightness is tightness]
        assert list(trace.y) == expected
        assert trace.marker.color == TIGHTNESS_COLOURS[tightness]
    # Joint development is a medium form.
    assert "Joint development" in figure.data[1].y


def test_missing_mapping_shows_no_data(fake_result: RunResult) -> None:
    summary = {key: value for key, value in fake_result.summary.items() if key != "form_share"}
    page = render_report(dataclasses.replace(fake_result, summary=summary), "en")
    forms_section = page.split("<section id='forms'>")[1].split("</section>")[0]
    assert "No data." in forms_section
    assert "chart-forms" not in page


def test_survey_comparison_pairs_by_key() -> None:
    summary = {"ever_collaborated_share": 0.6, "commissioner_coverage": float("nan"),
               "channel_share": {"industry_association": 0.8}}
    rows = {row.key: row for row in survey_comparison(summary)}
    assert set(rows) == {"ever_collaborated_share", "commissioner_coverage",
                         "channel_industry_association", "channel_government_event",
                         "channel_direct_contact"}
    # 100 * (0.6 - 0.7097) = -10.97 percentage points.
    assert rows["ever_collaborated_share"].survey == 0.7097
    assert rows["ever_collaborated_share"].gap_points == pytest.approx(-10.97)
    # 100 * (0.8 - 0.7647) = +3.53.
    assert rows["channel_industry_association"].gap_points == pytest.approx(3.53)
    assert rows["commissioner_coverage"].model is None
    assert rows["commissioner_coverage"].gap_points is None
    assert rows["channel_direct_contact"].model is None


def test_headline_falls_back_to_last_month(fake_result: RunResult) -> None:
    summary = {"projects_started": 5}
    figures = {figure.key: figure.value
               for figure in headline_figures(dataclasses.replace(fake_result, summary=summary))}
    assert figures["projects_started"] == 5
    # State metrics come from the last metrics row; flows never do.
    assert figures["tight_form_share"] == pytest.approx(0.1)
    assert figures["collaboration_density"] == pytest.approx(0.01)
    assert "projects_succeeded" not in figures
    assert "government_spending" not in figures


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("ever_collaborated_share", 0.70971, "70.97%"),
    ("commissioner_coverage", 0.5, "50.00%"),
    ("collaboration_density", 0.001234, "0.0012"),
    ("projects_started", 12345.0, "12,345"),
    ("mean_sme_capability", 0.345, "0.34"),
    ("government_spending", None, "–"),
])
def test_format_value(key: str, value: float | None, expected: str) -> None:
    assert format_value(key, value, "en") == expected


def test_format_share_none() -> None:
    assert format_share(None, "zh") == "–"


def test_label_falls_back_to_name() -> None:
    assert label("form", CooperationForm.JOINT_DEVELOPMENT, "zh") == "合作开发"
    assert label("form", "not_a_form", "en") == "not_a_form"
