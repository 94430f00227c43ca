"""Calibration: targets, search ranges, loss, scenario writing and reproducible fits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iursim import calibration, cli
from iursim.calibration import (
    FITTED_PARAMETERS,
    TARGETS,
    SearchRange,
    calibrate,
    loss,
    measure,
    replication_seeds,
    write_behaviour,
)
from iursim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
# A population small enough for a 12-month candidate to take well under a second.
TINY = ["population.smes=150", "population.universities=10", "population.intermediaries=4"]


def test_targets_cover_survey_figures() -> None:
    keys = {target.key for target in TARGETS}
    assert keys == {"ever_collaborated_share", "continuing_or_planning_share",
                    "commissioner_coverage", "channel_share.industry_association",
                    "channel_share.government_event", "channel_share.direct_contact"}
    survey = {target.key: target.survey for target in TARGETS}
    assert survey["ever_collaborated_share"] == pytest.approx(0.7097)
    assert survey["channel_share.direct_contact"] == pytest.approx(0.6414)


def test_measure_reads_dotted_keys() -> None:
    summary = {"ever_collaborated_share": 0.5, "channel_share": {"direct_contact": 0.25}}
    assert measure(summary, "ever_collaborated_share") == 0.5
    assert measure(summary, "channel_share.direct_contact") == 0.25


def test_loss_in_squared_points() -> None:
    exact = {target.key: target.survey for target in TARGETS}
    assert loss(exact) == 0.0
    # One target 1 point high and another 2 points low: 1^2 + 2^2 = 5.
    off = dict(exact)
    off["ever_collaborated_share"] += 0.01
    off["commissioner_coverage"] -= 0.02
    assert loss(off) == pytest.approx(5.0)


def test_fitted_parameters_are_valid() -> None:
    for search_range in FITTED_PARAMETERS:
        search_range.check()
    assert len({r.key for r in FITTED_PARAMETERS}) == len(FITTED_PARAMETERS)


@pytest.mark.parametrize("search_range", [
    SearchRange("policy.subsidy_rate", 0.1, 0.5),
    SearchRange("behaviour.need_rate", 0.5, 0.1),
    SearchRange("behaviour.need_rate", -0.1, 0.5),
    SearchRange("behaviour.candidates_per_channel", 1, 5),
])
def test_search_range_rejects_invalid(search_range: SearchRange) -> None:
    with pytest.raises(ValueError):
        search_range.check()


def test_replication_seeds_repeat_and_differ() -> None:
    seeds = replication_seeds(5, 4)
    assert seeds == replication_seeds(5, 4)
    assert len(set(seeds)) == 4
    assert seeds != replication_seeds(6, 4)
    assert all(0 <= seed < 2**63 for seed in seeds)


def test_calibrate_same_seed_same_values() -> None:
    base = load_scenario(BASELINE, TINY, steps=12)
    first = calibrate(base, budget=3, replications=1, seed=11)
    second = calibrate(base, budget=3, replications=1, seed=11)
    assert first.fitted == second.fitted
    assert first.best_loss == second.best_loss
    assert len(first.trials) == 3
    for key, value in first.fitted.items():
        low, high = first.ranges[key]
        assert low <= value <= high


def test_calibrate_other_seed_other_values() -> None:
    base = load_scenario(BASELINE, TINY, steps=12)
    first = calibrate(base, budget=2, replications=1, seed=11)
    second = calibrate(base, budget=2, replications=1, seed=12)
    assert first.fitted != second.fitted


def test_calibrate_rejects_zero_budget() -> None:
    base = load_scenario(BASELINE, TINY, steps=12)
    with pytest.raises(ValueError, match="budget"):
        calibrate(base, budget=0, replications=1, seed=1)


def test_write_behaviour_keeps_other_lines(tmp_path: Path) -> None:
    target = tmp_path / "baseline.toml"
    original = BASELINE.read_text(encoding="utf-8")
    target.write_text(original, encoding="utf-8")
    base = load_scenario(target)
    fitted = {"behaviour.need_rate": 0.123456, "behaviour.event_attendance": 0.2}
    written = write_behaviour(target, base, fitted)

    assert written.behaviour.need_rate == 0.1235
    assert written.behaviour.event_attendance == 0.2
    before = original.splitlines()
    after = target.read_text(encoding="utf-8").splitlines()
    assert len(before) == len(after)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert [new for _, new in changed] == ["need_rate = 0.1235", "event_attendance = 0.2"]
    assert load_scenario(target).policy == base.policy


def test_write_behaviour_new_file(tmp_path: Path) -> None:
    target = tmp_path / "fitted.toml"
    base = load_scenario(BASELINE)
    write_behaviour(target, base, {"behaviour.need_rate": 0.2})
    loaded = load_scenario(target)
    assert loaded.behaviour.need_rate == 0.2
    assert loaded.regions == base.regions


def test_calibrate_command_writes_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("iursim.calibration",))
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    args = ["calibrate", "--lang", "en", "--scenario", str(scenario), "--budget", "2",
            "--replications", "1", "--seed", "3", "--steps", "6", "--out", str(out),
            "--write-scenario", str(scenario)]
    for override in TINY:
        args += ["--set", override]
    assert cli.main(args) == 0

    printed = capsys.readouterr().out
    assert "candidate 2/2" in printed
    report = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert report["budget"] == 2
    assert set(report["fitted"]) == {r.key for r in FITTED_PARAMETERS}
    assert (out / "calibration.md").read_text(encoding="utf-8").startswith("# Calibration")
    assert (out / "calibration.zh-CN.md").read_text(encoding="utf-8").startswith("# 校准报告")
    rewritten = load_scenario(scenario)
    assert rewritten.behaviour.need_rate == round(report["fitted"]["behaviour.need_rate"], 4)


@pytest.mark.parametrize("lang, text", [("zh", "无效"), ("en", "invalid")])
def test_calibrate_command_rejects_zero(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str], lang: str,
                                        text: str) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("iursim.calibration",))
    status = cli.main(["calibrate", "--lang", lang, "--budget", "0"])
    assert status != 0
    assert text in capsys.readouterr().err


def test_round_budgets_split_evenly() -> None:
    assert calibration._round_budgets(10, 3) == [4, 3, 3]
    assert calibration._round_budgets(2, 3) == [1, 1]
    assert sum(calibration._round_budgets(60, 3)) == 60


def test_shrink_centres_and_clips() -> None:
    ranges = [SearchRange("behaviour.need_rate", 0.0, 0.4)]
    # Half width of 0.4 * 0.5 / 2 = 0.1 around 0.05, clipped at 0.
    (shrunk,) = calibration._shrink(ranges, {"behaviour.need_rate": 0.05}, 0.5)
    assert shrunk.low == 0.0
    assert shrunk.high == pytest.approx(0.15)


def test_calibrate_rounds_reproducible() -> None:
    base = load_scenario(BASELINE, TINY, steps=12)
    first = calibrate(base, budget=4, replications=1, seed=5, rounds=2)
    second = calibrate(base, budget=4, replications=1, seed=5, rounds=2)
    assert first.fitted == second.fitted
    assert [trial["round"] for trial in first.trials] == [1, 1, 2, 2]
    assert first.best_loss == min(trial["loss"] for trial in first.trials)
