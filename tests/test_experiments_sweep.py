"""Sweeps: identical results across executors, storage, failures, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from test_experiments_fakes import fake_run

from iursim.experiments.design import parse_experiment
from iursim.experiments.storage import SweepFolderError, SweepStore
from iursim.experiments.sweep import run_sweep

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

TINY = """
[experiment]
replications = 2
seed = 20261204

[set]
"population.smes" = 150
"run.steps" = 12

[axes]
"policy.subsidy_rate" = [0.0, 0.6]
"policy.commissioners_per_100_smes" = [0, 8]

[outputs]
every = 6
"""


def tiny(text: str = TINY):
    return parse_experiment(tomllib.loads(text), "tiny.toml", REPO)


def read_runs(folder: Path) -> pd.DataFrame:
    runs = pd.read_parquet(folder / "runs")
    return runs.sort_values(["run_id", "step"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def model_runs(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The tiny experiment with the real model on one local worker."""
    folder = tmp_path_factory.mktemp("sweep") / "one"
    report = run_sweep(tiny(), folder, workers=1, progress=False)
    assert report.failed == 0
    return read_runs(folder)


def test_runs_table_columns(model_runs: pd.DataFrame) -> None:
    for column in ("run_id", "seed", "replication", "step", "policy.subsidy_rate",
                   "policy.commissioners_per_100_smes", "collaboration_density",
                   "platform_survival_share"):
        assert column in model_runs.columns
    # 4 points × 2 replications, months 0, 6 and 12.
    assert model_runs["run_id"].nunique() == 8
    assert sorted(model_runs["step"].unique()) == [0, 6, 12]
    assert len(model_runs) == 24
    seeds = model_runs.groupby("run_id")["seed"].first()
    assert seeds.is_unique


def test_two_workers_match_one(model_runs: pd.DataFrame, tmp_path: Path) -> None:
    # Also the rerun check: a second sweep of the same file reproduces every row.
    report = run_sweep(tiny(), tmp_path / "two", workers=2, progress=False)
    assert report.workers == 2
    pd.testing.assert_frame_equal(read_runs(tmp_path / "two"), model_runs)


def test_dask_cluster_matches_local(model_runs: pd.DataFrame, tmp_path: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", protocol="tcp") as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        report = run_sweep(tiny(), tmp_path / "dask", scheduler=cluster.scheduler_address,
                           progress=False)
    assert report.failed == 0
    pd.testing.assert_frame_equal(read_runs(tmp_path / "dask"), model_runs)


def test_failed_run_recorded_and_sweep_continues(tmp_path: Path) -> None:
    failing = partial(fake_run, fail_subsidy=0.6)
    report = run_sweep(tiny(), tmp_path / "f", workers=2, run_function=failing, progress=False)
    # Subsidy is the slowest axis, so points 2 and 3 (runs 4 to 7) have subsidy 0.6 and fail.
    assert (report.done, report.failed) == (4, 4)
    store = SweepStore(tmp_path / "f")
    statuses = store.statuses()
    failed = sorted(run_id for run_id, record in statuses.items()
                    if record["status"] == "failed")
    assert failed == [4, 5, 6, 7]
    assert "injected failure" in statuses[4]["error"]
    assert sorted(read_runs(tmp_path / "f")["run_id"].unique()) == [0, 1, 2, 3]

    # Resume reruns the failed runs only; the finished files stay as they were.
    before = {run_id: store.run_path(run_id).stat().st_mtime_ns for run_id in (0, 1, 2, 3)}
    report = run_sweep(tiny(), tmp_path / "f", workers=2, run_function=fake_run, resume=True,
                       progress=False)
    assert (report.skipped, report.done, report.failed) == (4, 4, 0)
    assert sorted(read_runs(tmp_path / "f")["run_id"].unique()) == list(range(8))
    after = {run_id: store.run_path(run_id).stat().st_mtime_ns for run_id in (0, 1, 2, 3)}
    assert after == before


def test_existing_folder_needs_resume(tmp_path: Path) -> None:
    run_sweep(tiny(), tmp_path / "s", workers=1, run_function=fake_run, progress=False)
    with pytest.raises(SweepFolderError) as caught:
        run_sweep(tiny(), tmp_path / "s", workers=1, run_function=fake_run, progress=False)
    assert caught.value.kind == "exists"


def test_resume_rejects_changed_experiment(tmp_path: Path) -> None:
    run_sweep(tiny(), tmp_path / "s", workers=1, run_function=fake_run, progress=False)
    changed = tiny(TINY.replace("seed = 20261204", "seed = 5"))
    with pytest.raises(SweepFolderError) as caught:
        run_sweep(changed, tmp_path / "s", workers=1, run_function=fake_run, resume=True,
                  progress=False)
    assert caught.value.kind == "changed"


def test_torn_manifest_line_ignored(tmp_path: Path) -> None:
    run_sweep(tiny(), tmp_path / "s", workers=1, run_function=fake_run, progress=False)
    store = SweepStore(tmp_path / "s")
    with open(store.manifest_path, "a", encoding="utf-8") as handle:
        handle.write('{"run_id": 3, "sta')
    assert len(store.statuses()) == 8


DRIVER = """
import sys
from functools import partial
from iursim.experiments.design import load_experiment
from iursim.experiments.sweep import run_sweep
from test_experiments_fakes import fake_run

if __name__ == "__main__":
    run_sweep(load_experiment(sys.argv[1]), sys.argv[2], workers=2, resume=sys.argv[3] == "1",
              run_function=partial(fake_run, delay=0.25), progress=False)
"""


def test_sigkill_then_resume_runs_each_once(tmp_path: Path) -> None:
    experiment_path = tmp_path / "kill.toml"
    experiment_path.write_text(TINY.replace("replications = 2", "replications = 6"),
                               encoding="utf-8")
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    folder = tmp_path / "sweep"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(REPO)])}
    # A new session, so the kill reaches the driver and its worker processes at once.
    process = subprocess.Popen([sys.executable, str(driver), str(experiment_path), str(folder),
                                "0"], env=env, start_new_session=True)
    store = SweepStore(folder)
    deadline = time.monotonic() + 60
    while len(store.finished_ids()) < 5:
        assert process.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline, "no runs finished within 60 s"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    finished = store.finished_ids()
    assert 5 <= len(finished) < 24, "the kill should land part-way through the sweep"
    stamps = {run_id: store.run_path(run_id).stat().st_mtime_ns for run_id in finished}

    resumed = subprocess.run([sys.executable, str(driver), str(experiment_path), str(folder),
                              "1"], env=env, timeout=120, check=False)
    assert resumed.returncode == 0

    runs = read_runs(folder)
    assert sorted(runs["run_id"].unique()) == list(range(24))
    assert not runs.duplicated(["run_id", "step"]).any()
    assert {run_id: store.run_path(run_id).stat().st_mtime_ns for run_id in finished} == stamps
    # Runs finished before the kill were not run again: no second "done" line after recovery.
    lines = [json.loads(line) for line in store.manifest_path.read_text().splitlines()
             if line.endswith("}")]
    done_counts = pd.Series([line["run_id"] for line in lines if line["status"] == "done"])
    assert done_counts.value_counts().max() == 1
    assert not list(store.tmp_dir.iterdir())
