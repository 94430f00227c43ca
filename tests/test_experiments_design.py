"""Experiment files: validation before any run, design points and per-run seeds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from iursim.experiments.design import (
    ExperimentError,
    load_experiment,
    parse_experiment,
    run_seed,
)

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "experiments").glob("*.toml"))
QUICK = sorted((REPO / "experiments" / "quick").glob("*.toml"))

HEADER = '[experiment]\nreplications = 3\nseed = 11\n'


def parse(text: str):
    return parse_experiment(tomllib.loads(text), "bad.toml", REPO)


def error_of(text: str) -> ExperimentError:
    with pytest.raises(ExperimentError) as caught:
        parse(text)
    return caught.value


# Each case: file text, then fragments the English and the Chinese message must both contain
# (the key, the value and the allowed range).
BAD_FILES = {
    "unknown axis key": (HEADER + '[axes]\n"policy.subsidy_rat" = [0.1, 0.2]\n',
                         ["axes.policy.subsidy_rat", "[0.1, 0.2]", "policy.subsidy_rate"]),
    "empty value list": (HEADER + '[axes]\n"policy.subsidy_rate" = []\n',
                         ["axes.policy.subsidy_rate", "0 <= value <= 1"]),
    "value above range": (HEADER + '[axes]\n"policy.subsidy_rate" = [0.2, 1.5]\n',
                          ["axes.policy.subsidy_rate", "1.5", "0 <= value <= 1"]),
    "value below range": (HEADER + '[axes]\n"population.smes" = [100, -5]\n',
                          ["axes.population.smes", "-5", "0 <= value <= 1e+06"]),
    "wrong value type": (HEADER + '[axes]\n"policy.talent_zone" = ["yes"]\n',
                         ["axes.policy.talent_zone", "'yes'", "true or false"]),
    "replications zero": ('[experiment]\nreplications = 0\nseed = 1\n',
                          ["experiment.replications", "0", "value >= 1"]),
    "replications negative": ('[experiment]\nreplications = -2\nseed = 1\n',
                              ["experiment.replications", "-2", "value >= 1"]),
    "set out of range": (HEADER + '[set]\n"run.steps" = 5000\n',
                         ["set.run.steps", "5000", "0 <= value <= 1200"]),
    "point out of range": (HEADER + '[[points]]\nlabel = "a"\n"policy.subsidy_rate" = 2.0\n',
                           ["points.0.policy.subsidy_rate", "2.0", "0 <= value <= 1"]),
    "sensitivity range too wide": (
        HEADER + '[sensitivity]\nmethod = "morris"\nsamples = 2\n[sensitivity.parameters]\n'
        '"policy.subsidy_rate" = [0.0, 2.0]\n"behaviour.need_rate" = "declared"\n',
        ["sensitivity.parameters.policy.subsidy_rate", "[0.0, 2.0]", "0 <= value <= 1"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_names_key_value_range(case: str) -> None:
    text, fragments = BAD_FILES[case]
    error = error_of(text)
    for lang in ("en", "zh"):
        message = error.message(lang)
        for fragment in fragments:
            assert fragment in message, f"{lang}: {fragment!r} missing from {message!r}"


def test_bad_file_messages_differ_by_language() -> None:
    error = error_of(BAD_FILES["empty value list"][0])
    assert "empty value list" in error.message("en")
    assert "取值列表为空" in error.message("zh")


@pytest.mark.parametrize("text, kind", [
    ("[experiment]\nseed = 1\n", "missing_field"),
    ("[experiment]\nreplications = 2\n", "missing_field"),
    ("[experiments]\nreplications = 2\nseed = 1\n", "unknown_table"),
    (HEADER + "[set]\n\"population.smes\" = 100\n[set2]\n", "unknown_table"),
    (HEADER + '[axes]\n"policy.subsidy_rate" = 0.2\n', "not_a_list"),
    (HEADER + '[axes]\n"policy.subsidy_rate" = [0.2, 0.2]\n', "duplicate_value"),
    (HEADER + 'scenario = "nowhere.toml"\n', "missing_scenario"),
    (HEADER + '[outputs]\nevery = 0\n', "out_of_range"),
    (HEADER + '[axes]\n"policy.subsidy_rate" = [0.2]\n[sensitivity]\nmethod = "sobol"\n'
     'samples = 4\n[sensitivity.parameters]\n"policy.subsidy_rate" = [0, 1]\n'
     '"behaviour.need_rate" = [0, 0.1]\n', "design_conflict"),
])
def test_bad_file_kind(text: str, kind: str) -> None:
    assert error_of(text).kind == kind


def test_missing_experiment_file(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError) as caught:
        load_experiment(tmp_path / "absent.toml")
    assert caught.value.kind == "missing_file"


def test_full_factorial_order_and_count() -> None:
    experiment = parse(HEADER + '[axes]\n"policy.subsidy_rate" = [0.0, 0.5]\n'
                       '"policy.commissioners_per_100_smes" = [0, 2, 4]\n')
    points = [overrides for _, overrides in experiment.design_points()]
    assert len(points) == 6
    # The last axis varies fastest, and ints given for a float parameter become floats.
    assert points[0] == {"policy.subsidy_rate": 0.0, "policy.commissioners_per_100_smes": 0.0}
    assert points[1]["policy.commissioners_per_100_smes"] == 2.0
    assert points[3] == {"policy.subsidy_rate": 0.5, "policy.commissioners_per_100_smes": 0.0}
    assert len(experiment.runs()) == 18


def test_points_crossed_with_axes_fill_base_values() -> None:
    experiment = parse(HEADER + '[set]\n"policy.talent_zone" = false\n'
                       '[[points]]\nlabel = "base"\n'
                       '[[points]]\nlabel = "zone"\n"policy.talent_zone" = true\n'
                       '[axes]\n"policy.subsidy_rate" = [0.1, 0.2]\n')
    points = experiment.design_points()
    assert [label for label, _ in points] == ["base", "base", "zone", "zone"]
    assert points[0][1] == {"policy.talent_zone": False, "policy.subsidy_rate": 0.1}
    assert points[3][1] == {"policy.talent_zone": True, "policy.subsidy_rate": 0.2}
    assert experiment.design_keys() == ["policy.talent_zone", "policy.subsidy_rate"]


def test_replications_never_share_a_seed() -> None:
    experiment = parse(HEADER.replace("3", "20") + '[axes]\n"policy.subsidy_rate" = [0.1, 0.2]\n')
    runs = experiment.runs()
    seeds = [spec.seed for spec in runs]
    assert len(set(seeds)) == len(seeds)
    for point in (0, 1):
        point_seeds = [spec.seed for spec in runs if spec.point_id == point]
        assert len(set(point_seeds)) == 20


def test_run_seed_is_spawned_child() -> None:
    children = np.random.SeedSequence(11).spawn(5)
    for index, child in enumerate(children):
        expected = int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
        assert run_seed(11, index) == expected
    assert 0 <= run_seed(11, 4) <= 2**63 - 1


def test_same_file_gives_same_runs() -> None:
    text = HEADER + '[axes]\n"policy.subsidy_rate" = [0.1, 0.2]\n'
    first, second = parse(text), parse(text)
    assert [(s.run_id, s.seed, s.overrides) for s in first.runs()] == [
        (s.run_id, s.seed, s.overrides) for s in second.runs()]
    assert first.fingerprint() == second.fingerprint()
    changed = parse(text.replace("seed = 11", "seed = 12"))
    assert changed.fingerprint() != first.fingerprint()


def test_run_scenario_carries_seed_and_overrides() -> None:
    experiment = parse(HEADER + '[set]\n"population.smes" = 150\n'
                       '[axes]\n"policy.subsidy_rate" = [0.1, 0.2]\n')
    spec = experiment.runs()[4]
    scenario = experiment.scenario_for(spec)
    assert scenario.run.seed == spec.seed
    assert scenario.population.smes == 150
    assert scenario.policy.subsidy_rate == 0.2


def test_morris_design_size_and_rounding() -> None:
    experiment = parse(HEADER + '[sensitivity]\nmethod = "morris"\nsamples = 3\nlevels = 4\n'
                       '[sensitivity.parameters]\n"policy.subsidy_rate" = [0.0, 0.8]\n'
                       '"policy.smes_per_commissioner" = [2, 8]\n'
                       '"policy.talent_zone" = "declared"\n')
    points = experiment.design_points()
    # Morris: trajectories × (parameters + 1) = 3 × 4 sample points.
    assert len(points) == experiment.sensitivity.count_points() == 12
    for _, overrides in points:
        assert isinstance(overrides["policy.smes_per_commissioner"], int)
        assert isinstance(overrides["policy.talent_zone"], bool)
        assert 0.0 <= overrides["policy.subsidy_rate"] <= 0.8
    assert len(experiment.runs()) == 36


def test_sobol_design_size() -> None:
    experiment = parse(HEADER + '[sensitivity]\nmethod = "sobol"\nsamples = 8\n'
                       '[sensitivity.parameters]\n"policy.subsidy_rate" = [0.0, 0.8]\n'
                       '"behaviour.need_rate" = [0.01, 0.1]\n"policy.events_per_year" = [0, 12]\n')
    # Sobol without second order: N × (k + 2) = 8 × 5.
    assert len(experiment.design_points()) == experiment.sensitivity.count_points() == 40


@pytest.mark.parametrize("path", SHIPPED + QUICK,
                         ids=lambda path: path.relative_to(REPO).as_posix())
def test_shipped_experiment_is_valid(path: Path) -> None:
    experiment = load_experiment(path)
    assert experiment.runs()
    assert experiment.replications >= 1


def test_every_experiment_has_quick_variant() -> None:
    assert SHIPPED, "no experiments shipped"
    assert {path.name for path in SHIPPED} == {path.name for path in QUICK}
