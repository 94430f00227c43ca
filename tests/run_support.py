"""Helpers shared by the run-command tests: paths, required outputs, a synthetic result, the CLI.

Kept out of conftest.py because test modules import these names, and a second conftest.py
(tests/browser/) would shadow the module name ``conftest``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from iursim.chain import Barrier, Channel, CooperationForm
from iursim.chain import Path as EntryPath
from iursim.runner import RunResult
from iursim.scenario import Scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"

# Columns the run command must write to metrics.parquet and metrics.csv.
REQUIRED_METRICS = (
    "step",
    "collaboration_density",
    "active_collaboration_share",
    "ever_collaborated_share",
    "tight_form_share",
    "projects_started",
    "projects_succeeded",
    "platforms_alive",
    "mean_sme_capability",
    "government_spending",
)
# Keys summary.json must contain; the four mappings are keyed by the Enum values of chain.py.
REQUIRED_SUMMARY = (
    "channel_share",
    "form_share",
    "barrier_share",
    "path_share",
    "ever_collaborated_share",
    "commissioner_coverage",
    "platform_survival_share",
)
# The same call as the `iursim` console script. `python -m iursim.cli` would load the module
# twice (as __main__ and as iursim.cli), so subcommands would raise another module's CliError.
CLI_COMMAND = (sys.executable, "-c", "import sys; from iursim.cli import main; sys.exit(main())")
SMALL_RUN_ARGS = ("--set", "population.smes=200", "--steps", "12")
SMALL_RUN_HASH_SEED = "0"


def make_fake_result(steps: int = 12, seed: int = 7) -> RunResult:
    """Build a run result with the model's output shapes from a seeded generator.

    The values are arbitrary but valid (shares in [0, 1]); one figure is NaN so the NaN
    handling of the writers is exercised.
    """
    rng = np.random.default_rng(seed)
    scenario = Scenario.model_validate({"run": {"steps": steps, "seed": seed},
                                        "population": {"smes": 50}})
    months = np.arange(steps + 1)
    metrics = pd.DataFrame({
        "step": months,
        "collaboration_density": np.linspace(0.0, 0.01, steps + 1),
        "active_collaboration_share": np.linspace(0.0, 0.3, steps + 1),
        "ever_collaborated_share": np.linspace(0.0, 0.6, steps + 1),
        "tight_form_share": np.linspace(0.0, 0.1, steps + 1),
        "projects_started": rng.integers(0, 10, steps + 1),
        "projects_succeeded": rng.integers(0, 5, steps + 1),
        "platforms_alive": np.full(steps + 1, 4),
        "mean_sme_capability": np.linspace(0.3, 0.35, steps + 1),
        "government_spending": rng.uniform(0, 100, steps + 1),
    })
    summary = {
        "ever_collaborated_share": 0.6,
        "commissioner_coverage": 0.5,
        "platform_survival_share": 0.75,
        "active_collaboration_share": 0.3,
        "cost_per_successful_project": float("nan"),
        "projects_started": int(metrics["projects_started"].sum()),
        "channel_share": {channel.value: float(rng.uniform()) for channel in Channel},
        "form_share": {form.value: float(rng.uniform(0, 0.5)) for form in CooperationForm},
        "barrier_share": {barrier.value: float(rng.uniform()) for barrier in Barrier},
        "path_share": {path.value: 1 / 3 for path in EntryPath},
    }
    smes = pd.DataFrame({"id": np.arange(50), "capability": rng.uniform(size=50),
                         "path": rng.choice([path.value for path in EntryPath], 50)})
    platforms = pd.DataFrame({
        "platform": ["matchmaker_a", "matchmaker_b", "whole_process", "public"],
        "ownership": ["private", "private", "private", "public"],
        "scope": ["matchmaker", "matchmaker", "whole_process", "matchmaker"],
        "commission_rate": [0.08, 0.08, 0.08, 0.0],
        "alive": [True, False, True, True],
        "exit_step": [-1, 30, -1, -1],
        "cash": [10.5, 0.0, 80.25, 120.0],
    })
    projects = pd.DataFrame({"sme": [1, 2], "university": [0, 3],
                             "form": ["joint_development", "talent_training"],
                             "started": [2, 5], "succeeded": [True, False]})
    graph = nx.Graph()
    graph.add_node("sme-1", kind="sme", capability=0.4)
    graph.add_node("uni-0", kind="university", capability=0.8)
    graph.add_edge("sme-1", "uni-0", strength=0.5, count=1)
    return RunResult(scenario=scenario, metrics=metrics, summary=summary, smes=smes,
                     platforms=platforms, projects=projects, graph=graph,
                     started="2026-01-01T00:00:00+00:00", finished="2026-01-01T00:00:05+00:00")


Completed = subprocess.CompletedProcess[str]
CliRunner = Callable[..., Completed]
SmallRun = tuple[Path, Completed]


def run_cli_process(args: Sequence[str], *, env: dict[str, str] | None = None,
                    cwd: Path | None = None, timeout: float = 120) -> Completed:
    """Run the CLI with ARGS in a fresh process, as the ``iursim`` script does, and capture it."""
    environment = {key: value for key, value in os.environ.items() if key != "IURSIM_LANG"}
    environment.update(env or {})
    return subprocess.run([*CLI_COMMAND, *args], capture_output=True, text=True,
                          env=environment, cwd=cwd or REPO, timeout=timeout, check=False)
