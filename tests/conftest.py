"""Shared fixtures: a synthetic run result, a CLI runner and one small real run per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from run_support import (
    BASELINE,
    SMALL_RUN_ARGS,
    SMALL_RUN_HASH_SEED,
    CliRunner,
    Completed,
    SmallRun,
    make_fake_result,
    run_cli_process,
)

from iursim.runner import RunResult
from iursim.scenario import Scenario, load_scenario


@pytest.fixture
def fake_result() -> RunResult:
    """A synthetic 12-month run result that needs no model."""
    return make_fake_result()


@pytest.fixture
def run_cli() -> CliRunner:
    """Run the CLI in a subprocess: ``run_cli(*args, env=..., cwd=...)``."""

    def runner(*args: str, env: dict[str, str] | None = None,
               cwd: Path | None = None) -> Completed:
        return run_cli_process(args, env=env, cwd=cwd)

    return runner


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> SmallRun:
    """Run the baseline with 200 SMEs for 12 months once per session; return (out dir, process).

    The run uses English and hash seed 0; the determinism tests compare it with a run in
    Chinese under another hash seed.
    """
    out = tmp_path_factory.mktemp("small-run") / "out"
    process = run_cli_process(["run", str(BASELINE), *SMALL_RUN_ARGS, "--out", str(out),
                               "--lang", "en"], env={"PYTHONHASHSEED": SMALL_RUN_HASH_SEED})
    return out, process


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    """The scenario of :func:`small_run`."""
    return load_scenario(BASELINE, ["population.smes=200"], steps=12)
