"""Run one scenario from start to end and collect everything a run produces.

The CLI, the sweeps, the dashboard and the benchmarks all call :func:`run_scenario`, so a run
means the same thing everywhere: build the model, step it to ``scenario.run.steps``, and take
its metrics, end-of-run summary, agent tables and final network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import networkx as nx
import pandas as pd

from iursim.scenario import Scenario

__all__ = ["Progress", "RunResult", "run_scenario", "utc_now"]

Progress = Callable[[int, int], None]
"""Callback called after each month with (months done, months in total)."""


@dataclass
class RunResult:
    """Everything one run produced.

    Attributes:
        scenario: The scenario as resolved (file, overrides, seed and steps applied).
        metrics: One row per month from month 0, as returned by the model's
            ``metrics_frame()``.
        summary: End-of-run figures; JSON-serialisable apart from NaN floats.
        smes: One row per SME at the end of the run.
        platforms: One row per platform at the end of the run, including exited ones.
        projects: One row per project started during the run.
        graph: The final collaboration network.
        started: Start time, ISO 8601 in UTC.
        finished: End time, ISO 8601 in UTC.
    """

    scenario: Scenario
    metrics: pd.DataFrame
    summary: dict[str, Any]
    smes: pd.DataFrame
    platforms: pd.DataFrame
    projects: pd.DataFrame
    graph: nx.Graph
    started: str
    finished: str


def utc_now() -> str:
    """Return the current time as ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def run_scenario(scenario: Scenario, progress: Progress | None = None) -> RunResult:
    """Build the model of ``scenario``, run it to the end and collect its outputs.

    Args:
        scenario: A validated scenario; ``scenario.run.steps`` sets the number of months.
        progress: Called after each month with (months done, months in total).

    Returns:
        The run's outputs with start and end times.
    """
    # Imported here so that `iursim --help` and input errors do not wait for Mesa to load.
    from iursim.model import IURModel

    started = utc_now()
    model = IURModel(scenario)
    model.run(progress=progress)
    return RunResult(
        scenario=scenario,
        metrics=model.metrics_frame(),
        summary=model.summary(),
        smes=model.sme_frame(),
        platforms=model.platform_frame(),
        projects=model.project_frame(),
        graph=model.graph,
        started=started,
        finished=utc_now(),
    )
