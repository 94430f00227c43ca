"""Sweep summaries (statistics, tables, charts) and sensitivity indices."""

from __future__ import annotations

import math
import tomllib
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from test_experiments_fakes import fake_run

from iursim.experiments.design import parse_experiment
from iursim.experiments.sensitivity import IncompleteSweepError, analyze_folder, point_means
from iursim.experiments.summarize import describe, summarize_folder, summarize_runs
from iursim.experiments.sweep import run_sweep

REPO = Path(__file__).resolve().parents[1]

THREE_AXES = """
[experiment]
replications = 3
seed = 3

[set]
"run.steps" = 12

[axes]
"policy.subsidy_rate" = [0.0, 0.5]
"policy.commissioners_per_100_smes" = [0, 4]
"policy.talent_zone" = [false, true]

[outputs]
every = 6
summary = ["platform_survival_share", "form_share"]
"""

MORRIS = """
[experiment]
replications = 2
seed = 9

[set]
"run.steps" = 12

[sensitivity]
method = "morris"
samples = 6
levels = 4

[sensitivity.parameters]
"policy.subsidy_rate" = [0.0, 1.0]
"policy.commissioners_per_100_smes" = [0, 10]
"behaviour.need_rate" = [0.01, 0.1]
"""


def parse(text: str):
    return parse_experiment(tomllib.loads(text), "test.toml", REPO)


def test_describe_by_hand() -> None:
    stats = describe(pd.Series([1.0, 2.0, 3.0, float("nan")]))
    # NaN is dropped: n = 3, mean 2, sd 1; t(0.975, 2) = 4.302653, so the half-width is
    # 4.302653 / sqrt(3) = 2.484138.
    assert stats["n"] == 3
    assert stats["mean"] == pytest.approx(2.0)
    assert stats["sd"] == pytest.approx(1.0)
    assert stats["ci_low"] == pytest.approx(2.0 - 2.484138, abs=1e-6)
    assert stats["ci_high"] == pytest.approx(2.0 + 2.484138, abs=1e-6)


def test_describe_single_value_has_no_interval() -> None:
    stats = describe(pd.Series([4.0]))
    assert stats["n"] == 1
    assert stats["mean"] == 4.0
    assert math.isnan(stats["ci_low"])


def test_summarize_runs_matches_describe() -> None:
    runs = pd.DataFrame({"point_id": [0, 0, 0, 1, 1], "step": [5] * 5,
                         "y": [1.0, 2.0, 3.0, 10.0, 14.0]})
    table = summarize_runs(runs, ["point_id"], ["y"]).set_index("point_id")
    for point, values in ((0, [1.0, 2.0, 3.0]), (1, [10.0, 14.0])):
        expected = describe(pd.Series(values))
        for column in ("n", "mean", "sd", "ci_low", "ci_high"):
            assert table.loc[point, column] == pytest.approx(expected[column])


@pytest.fixture(scope="module")
def three_axis_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("summary") / "sweep"
    run_sweep(parse(THREE_AXES), folder, workers=2, run_function=fake_run, progress=False)
    return folder


def test_summary_tables_written(three_axis_sweep: Path, tmp_path: Path) -> None:
    files = summarize_folder(three_axis_sweep, tmp_path, lang="en")
    table = pd.read_parquet(files.table)
    csv = pd.read_csv(files.csv)
    assert len(table) == len(csv)
    # 8 points × 3 kept months × 4 outputs (density, projects, survival, two form shares).
    assert set(table["output"]) == {"collaboration_density", "projects_started",
                                    "platform_survival_share", "form_share.joint_development",
                                    "form_share.talent_training"}
    assert len(table) == 8 * 3 * 5
    assert (table["n"] == 3).all()
    assert (table["ci_low"] <= table["mean"]).all()
    assert (table["mean"] <= table["ci_high"]).all()
    effects = pd.read_csv(files.effects)
    # Each axis level pools 4 points × 3 replications.
    assert set(effects["axis"]) == {"policy.subsidy_rate", "policy.commissioners_per_100_smes",
                                    "policy.talent_zone"}
    assert (effects["n"] == 12).all()


def test_summary_charts_in_both_languages(three_axis_sweep: Path, tmp_path: Path) -> None:
    english = summarize_folder(three_axis_sweep, tmp_path / "en", lang="en")
    chinese = summarize_folder(three_axis_sweep, tmp_path / "zh", lang="zh")
    assert {"lines-platform_survival_share", "heatmap-platform_survival_share",
            "effects-platform_survival_share"} <= set(english.figures)
    heatmap = english.figures["heatmap-platform_survival_share"]
    # The third axis facets the heatmap into one panel per level.
    assert len([trace for trace in heatmap.data if trace.type == "heatmap"]) == 2
    assert "final month" in english.figures["lines-platform_survival_share"].layout.title.text
    assert "末月" in chinese.figures["lines-platform_survival_share"].layout.title.text
    page = chinese.charts.read_text(encoding="utf-8")
    assert "plotly" in page.lower()


def test_morris_ranks_the_levers(tmp_path: Path) -> None:
    experiment = parse(MORRIS)
    folder = tmp_path / "morris"
    run_sweep(experiment, folder, workers=2, run_function=fake_run, progress=False)
    files = analyze_folder(experiment, folder, lang="en")
    density = files.indices[files.indices["output"] == "collaboration_density"]
    mu_star = density.set_index("parameter")["mu_star"]
    # The fake's drift is subsidy + 0.01 × commissioners and ignores need_rate.
    assert mu_star["policy.subsidy_rate"] > mu_star["behaviour.need_rate"]
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(files.indices.columns)
    assert files.charts is not None and files.charts.is_file()
    assert len(pd.read_csv(files.csv)) == len(files.indices)


def test_sensitivity_needs_every_point(tmp_path: Path) -> None:
    experiment = parse(MORRIS)
    folder = tmp_path / "gaps"
    failing = partial(fake_run, fail_subsidy=0.0)
    run_sweep(experiment, folder, workers=2, run_function=failing, progress=False)
    runs = pd.read_parquet(folder / "runs")
    with pytest.raises(IncompleteSweepError):
        point_means(runs, ["collaboration_density"], experiment.sensitivity.count_points())


def test_sobol_indices(tmp_path: Path) -> None:
    experiment = parse(MORRIS.replace('method = "morris"', 'method = "sobol"')
                       .replace("samples = 6", "samples = 8").replace("levels = 4\n", ""))
    folder = tmp_path / "sobol"
    run_sweep(experiment, folder, workers=2, run_function=fake_run, progress=False)
    files = analyze_folder(experiment, folder, lang="zh")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(files.indices.columns)
    assert set(files.indices["parameter"]) == {"policy.subsidy_rate",
                                               "policy.commissioners_per_100_smes",
                                               "behaviour.need_rate"}
