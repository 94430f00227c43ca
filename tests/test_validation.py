"""Validation: interval arithmetic, acceptance logic, patterns, and a guard on the baseline.

The guard runs 6 replications of the full baseline, where docs/validation.md uses 30. It
checks the 3-point error bound and the patterns. The interval criterion needs the 30
replications of ``iursim validate``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from iursim.calibration import TARGETS
from iursim.chain import FORMS
from iursim.scenario import load_scenario
from iursim.validation import (
    MAX_ERROR,
    check_patterns,
    check_targets,
    mean_interval,
    render_document,
    validate,
)

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
GUARD_REPLICATIONS = 6


def test_mean_interval_by_hand() -> None:
    # Values 1, 2, 3: mean 2, sample sd 1, t(0.975, 2 df) = 4.3027, half width 4.3027 / sqrt 3.
    mean, low, high = mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert low == pytest.approx(2.0 - 4.3027 / math.sqrt(3), abs=1e-3)
    assert high == pytest.approx(2.0 + 4.3027 / math.sqrt(3), abs=1e-3)


def test_mean_interval_single_value() -> None:
    assert mean_interval([0.4]) == (0.4, 0.4, 0.4)


def _summary(shift: float = 0.0, **extra: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {"channel_share": {}}
    for target in TARGETS:
        if target.key.startswith("channel_share."):
            summary["channel_share"][target.key.split(".")[1]] = target.survey + shift
        else:
            summary[target.key] = target.survey + shift
    summary.update(extra)
    return summary


def test_targets_pass_at_survey_values() -> None:
    results = check_targets([_summary(-0.001), _summary(0.001), _summary(0.0)])
    assert all(row.passed for row in results)
    assert all(abs(row.error) < 1e-9 for row in results)


def test_targets_fail_beyond_three_points() -> None:
    results = check_targets([_summary(0.035), _summary(0.036), _summary(0.034)])
    assert not any(row.passed for row in results)


def test_targets_fail_when_survey_outside_interval() -> None:
    # Mean 2 points high with a tight interval: within 3 points, but the survey value lies
    # more than 1 point below the interval.
    results = check_targets([_summary(0.0199), _summary(0.02), _summary(0.0201)])
    assert not any(row.passed for row in results)
    assert all(abs(row.error) <= MAX_ERROR for row in results)


def _pattern_summary(loose: float, tight: float, back: float, front: float,
                     matchmaker_life: int) -> dict[str, Any]:
    forms = {form.value: 0.05 for form in FORMS}
    forms["joint_development"] = 0.3
    return {
        "loose_form_share": loose, "tight_form_share": tight, "form_share": forms,
        "path_share": {"front_end": front, "mid_stream": 1 - back - front, "back_end": back},
        "platform_lifespans": {"matchmaker_a": matchmaker_life, "matchmaker_b": matchmaker_life,
                               "whole_process": 120, "public": 120},
        "barrier_side_share": {"supply": 0.4, "firm": 0.3},
    }


def test_patterns_hold_on_clear_cases() -> None:
    scenario = load_scenario(BASELINE)
    summaries = [_pattern_summary(0.5 + 0.01 * i, 0.1, 0.5, 0.1, 30) for i in range(5)]
    results = {p.key: p for p in check_patterns(summaries, scenario)}
    assert set(results) == {"loose_over_tight", "joint_development_most_common",
                            "back_end_most_common", "front_end_rarest",
                            "matchmakers_survive_less", "barriers_supply_side",
                            "barriers_firm_side"}
    for key, result in results.items():
        assert result.holds, key


def test_patterns_fail_on_reversed_cases() -> None:
    scenario = load_scenario(BASELINE)
    summaries = [_pattern_summary(0.1, 0.5 + 0.01 * i, 0.1, 0.5, 120) for i in range(5)]
    results = {p.key: p for p in check_patterns(summaries, scenario)}
    assert not results["loose_over_tight"].holds
    assert not results["back_end_most_common"].holds
    assert not results["front_end_rarest"].holds
    assert not results["matchmakers_survive_less"].holds


@pytest.fixture(scope="module")
def baseline_validation() -> Any:
    scenario = load_scenario(BASELINE)
    return validate(scenario, replications=GUARD_REPLICATIONS, seed=99, source="baseline")


@pytest.mark.slow
def test_baseline_targets_within_three_points(baseline_validation: Any) -> None:
    for row in baseline_validation.targets:
        assert abs(row.error) <= MAX_ERROR, f"{row.key}: error {100 * row.error:+.2f} points"


@pytest.mark.slow
@pytest.mark.parametrize("key", ["loose_over_tight", "back_end_most_common",
                                 "front_end_rarest", "matchmakers_survive_less",
                                 "barriers_supply_side", "barriers_firm_side"])
def test_baseline_pattern_holds(baseline_validation: Any, key: str) -> None:
    pattern = next(p for p in baseline_validation.patterns if p.key == key)
    assert pattern.holds, f"{key}: {pattern}"


@pytest.mark.slow
def test_baseline_joint_development_leads(baseline_validation: Any) -> None:
    # Joint development leads technical services by about 1.5 points, so its interval over
    # a few replications may include zero. The guard checks the sign of the mean, and
    # iursim validate checks the interval over 30 replications.
    pattern = next(p for p in baseline_validation.patterns
                   if p.key == "joint_development_most_common")
    assert pattern.statistic > 0, f"{pattern}"


@pytest.mark.slow
@pytest.mark.parametrize("lang, heading", [("en", "# Validation"), ("zh", "# 基线情景")])
def test_document_renders(baseline_validation: Any, lang: str, heading: str) -> None:
    text = render_document(baseline_validation, lang, "iursim validate")
    assert text.startswith(heading)
    assert "iursim validate" in text
    assert text.count("\n| ") >= len(TARGETS) + 7
