"""The sweep, summarize and sensitivity commands, run on the fast variants of the experiments."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from test_experiments_fakes import fake_run

import iursim.cli
import iursim.experiments.sweep
from iursim.experiments.design import load_experiment

REPO = Path(__file__).resolve().parents[1]
QUICK = REPO / "experiments" / "quick"
MODULE = "iursim.experiments.commands"


@pytest.fixture(autouse=True)
def experiment_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the experiment commands even where the CLI does not list them yet."""
    if MODULE not in iursim.cli.COMMAND_MODULES:
        monkeypatch.setattr(iursim.cli, "COMMAND_MODULES", (*iursim.cli.COMMAND_MODULES, MODULE))


def cli(*args: str) -> int:
    return iursim.cli.main(list(args))


@pytest.mark.parametrize("name", ["headline", "platforms", "regions", "packages"])
def test_quick_sweep_and_summary(name: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    experiment = load_experiment(QUICK / f"{name}.toml")
    folder = tmp_path / name
    assert cli("sweep", str(QUICK / f"{name}.toml"), "--out", str(folder), "--workers", "2",
               "--lang", "en") == 0
    runs = pd.read_parquet(folder / "runs")
    assert runs["run_id"].nunique() == len(experiment.runs())
    for key in experiment.design_keys():
        assert key in runs.columns
    assert "runs finished, 0 failed" in capsys.readouterr().out

    assert cli("summarize", str(folder), "--lang", "zh") == 0
    summary = pd.read_csv(folder / "summary" / "summary.csv")
    assert set(summary["point_id"]) == set(range(len(experiment.design_points())))
    assert (folder / "summary" / "charts.zh.html").is_file()


def test_quick_morris_sensitivity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    experiment = load_experiment(QUICK / "morris.toml")
    folder = tmp_path / "morris"
    assert cli("sensitivity", str(QUICK / "morris.toml"), "--out", str(folder), "--workers", "2",
               "--lang", "en") == 0
    out = capsys.readouterr().out
    runs = len(experiment.runs())
    # The run count is printed before the sweep starts.
    assert out.index(f"= {runs} runs") < out.index("runs finished")
    indices = pd.read_csv(folder / "sensitivity" / "indices.csv")
    assert set(indices["parameter"]) <= set(experiment.sensitivity.parameters)
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(indices.columns)


def test_bad_experiment_exits_before_runs(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[experiment]\nreplications = 2\nseed = 1\n'
                   '[axes]\n"policy.subsidy_rate" = [0.1, 1.7]\n', encoding="utf-8")
    assert cli("sweep", str(bad), "--out", str(tmp_path / "out")) == 2
    error = capsys.readouterr().err
    # Chinese is the default language; the key, value and range are named.
    assert "超出范围" in error
    assert "axes.policy.subsidy_rate" in error
    assert "1.7" in error
    assert "0 <= value <= 1" in error
    assert not (tmp_path / "out").exists()


def test_failed_runs_exit_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    experiment = tmp_path / "fails.toml"
    experiment.write_text('[experiment]\nreplications = 2\nseed = 4\n[set]\n"run.steps" = 6\n'
                          '[axes]\n"policy.subsidy_rate" = [0.0, 0.6]\n', encoding="utf-8")
    failing = partial(iursim.experiments.sweep.run_sweep,
                      run_function=partial(fake_run, fail_subsidy=0.6))
    monkeypatch.setattr(iursim.experiments.sweep, "run_sweep", failing)
    folder = tmp_path / "failing"
    assert cli("sweep", str(experiment), "--out", str(folder), "--workers", "2",
               "--lang", "en") == 1
    out = capsys.readouterr().out
    assert "2 runs finished, 2 failed" in out
    assert "--resume" in out


def test_existing_folder_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "twice"
    folder.mkdir()
    (folder / "sweep.json").write_text("{}", encoding="utf-8")
    assert cli("sweep", str(QUICK / "packages.toml"), "--out", str(folder), "--lang", "en") == 2
    assert "already contains a sweep" in capsys.readouterr().err
