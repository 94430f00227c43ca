"""The dashboard's run of the model: presets, scenario building, stepping and cached outputs.

Nothing here imports Solara, so the logic behind every button is testable without a browser.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

import networkx as nx
import pandas as pd

from iursim.chain import Stage
from iursim.scenario import (
    Scenario,
    apply_overrides,
    iter_parameters,
    read_scenario_file,
    scenario_from_dict,
)

__all__ = [
    "COMPARISON_METRICS",
    "Comparison",
    "Simulation",
    "build_scenario",
    "list_presets",
    "load_preset",
    "parameter_values",
    "run_comparison",
]

logger = logging.getLogger(__name__)

ModelFactory = Callable[[Scenario], Any]

# Outputs the A/B view puts on shared axes; the model's metrics_frame() has a column for each.
COMPARISON_METRICS: tuple[str, ...] = (
    "collaboration_density",
    "active_collaboration_share",
    "ever_collaborated_share",
    "tight_form_share",
    "platforms_alive",
    "mean_sme_capability",
)


def _default_factory(scenario: Scenario) -> Any:
    # Imported on first use so that importing the dashboard does not load Mesa.
    from iursim.model import IURModel

    return IURModel(scenario)


def list_presets(folder: FilePath) -> list[FilePath]:
    """Return the scenario files of ``folder`` sorted by name; empty if it does not exist."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.toml"))


def load_preset(path: FilePath | None) -> tuple[dict[str, Any], Scenario]:
    """Read a preset file and validate it; None stands for the declared defaults.

    Returns:
        The file's data (the base that dashboard overrides apply to) and its scenario.

    Raises:
        ScenarioError: If the file is missing, not TOML, or contains an invalid value.
    """
    if path is None:
        return {}, Scenario()
    data = read_scenario_file(path)
    return data, scenario_from_dict(data, str(path))


def parameter_values(scenario: Scenario) -> dict[str, Any]:
    """Return the value of every scalar parameter of ``scenario`` by dotted key."""
    return {spec.key: spec.default for spec in iter_parameters(scenario)}


def build_scenario(base: Mapping[str, Any], values: Mapping[str, Any],
                   source: str = "dashboard") -> Scenario:
    """Apply the dashboard's parameter values to a preset's data and validate the result.

    Raises:
        ScenarioError: For an unknown key or an invalid value, naming the key.
    """
    merged = apply_overrides(base, values, source)
    return scenario_from_dict(merged, source)


class Simulation:
    """One model run of a browser session, with outputs cached per month.

    A lock serialises stepping and reading, because the Play loop steps from a worker thread
    while button callbacks and renders read from the server's thread.

    Args:
        scenario: The validated scenario to build; kept as :attr:`config`.
        factory: Builds the model; defaults to :class:`iursim.model.IURModel`.
    """

    def __init__(self, scenario: Scenario, factory: ModelFactory | None = None) -> None:
        self.config = scenario
        self.lock = threading.RLock()
        self.model = (factory or _default_factory)(scenario)
        self._cache: dict[str, Any] = {}
        self._cache_month = -1
        self.flows: dict[str, int] = {}

    @property
    def month(self) -> int:
        """Months simulated so far."""
        return int(self.model.steps)

    @property
    def last_month(self) -> int:
        """Month at which Play stops (the scenario's ``run.steps``)."""
        return self.config.run.steps

    @property
    def finished(self) -> bool:
        """True once the run reached its last month."""
        return self.month >= self.last_month

    def step(self, months: int = 1) -> int:
        """Advance up to ``months`` months, never past the last month; return months done."""
        done = 0
        with self.lock:
            while done < months and not self.finished:
                before = self._project_stages()
                self.model.step()
                self.flows = _stage_flows(before, self._project_stages())
                done += 1
        return done

    def _project_stages(self) -> dict[int, int] | None:
        """Return the chain stage of every running project by row, or None if unavailable."""
        try:
            from iursim.projects import project_stage

            rows = self.model.projects.running_rows
            stages = project_stage(self.model, rows) if len(rows) else rows
        except (AttributeError, ImportError):
            # NOTE: a model without the project table of iursim.projects shows no flows.
            return None
        return dict(zip(rows.tolist(), stages.tolist(), strict=True))

    def advance(self, seconds: float, max_months: int,
                cancel: threading.Event | None = None) -> int:
        """Step until ``seconds`` have passed, ``max_months`` are done or ``cancel`` is set.

        At least one month is stepped unless the run is finished or cancelled, so a slow
        model still moves.

        Returns:
            Months done.
        """
        deadline = time.perf_counter() + seconds
        done = 0
        while done < max_months and not self.finished:
            if cancel is not None and cancel.is_set():
                break
            done += self.step(1)
            if time.perf_counter() >= deadline:
                break
        return done

    def _cached(self, name: str, compute: Callable[[], Any]) -> Any:
        with self.lock:
            if self._cache_month != self.month:
                self._cache = {}
                self._cache_month = self.month
            if name not in self._cache:
                self._cache[name] = compute()
            return self._cache[name]

    def metrics(self) -> pd.DataFrame:
        """Return one row per month from month 0, as the model's ``metrics_frame()``."""
        return self._cached("metrics", self.model.metrics_frame)

    def summary(self) -> dict[str, Any]:
        """Return the model's ``summary()`` at the current month."""
        return self._cached("summary", self.model.summary)

    def platforms(self) -> pd.DataFrame:
        """Return the model's ``platform_frame()`` at the current month."""
        return self._cached("platforms", self.model.platform_frame)

    def stage_counts(self) -> dict[str, int]:
        """Return the running projects per innovation-chain stage, keyed by ``Stage.key``."""
        return self._cached("stages", lambda: _stage_keys(self.model.stage_counts()))

    def graph(self) -> nx.Graph:
        """Return the collaboration network; read it while holding :attr:`lock`."""
        return self.model.graph


def _stage_flows(before: dict[int, int] | None,
                 after: dict[int, int] | None) -> dict[str, int]:
    """Count the projects that left each stage for a later one between two months.

    Returns:
        Number of projects by the ``Stage.key`` of the stage they left; projects that started
        or ended in between are not flows.
    """
    if before is None or after is None:
        return {}
    flows: dict[str, int] = {}
    for row, stage in before.items():
        later = after.get(row)
        if later is not None and later > stage:
            key = Stage(stage).key
            flows[key] = flows.get(key, 0) + 1
    return flows


def _stage_keys(counts: Mapping[Any, int]) -> dict[str, int]:
    """Key stage counts by ``Stage.key`` whether the model used enum members or names."""
    result: dict[str, int] = {}
    for stage, count in counts.items():
        key = stage.key if hasattr(stage, "key") else str(stage)
        result[key] = int(count)
    return result


@dataclass
class Comparison:
    """Metrics of two runs on the same seed.

    Attributes:
        a: Metrics frame of run A.
        b: Metrics frame of run B.
        months: Months both runs were simulated.
    """

    a: pd.DataFrame
    b: pd.DataFrame
    months: int

    def final_table(self) -> pd.DataFrame:
        """Last month's value of each compared metric in A and B, and B minus A."""
        rows = []
        for metric in COMPARISON_METRICS:
            if metric not in self.a or metric not in self.b:
                continue
            value_a = float(self.a[metric].iloc[-1])
            value_b = float(self.b[metric].iloc[-1])
            rows.append({"metric": metric, "a": value_a, "b": value_b,
                         "difference": value_b - value_a})
        return pd.DataFrame(rows, columns=["metric", "a", "b", "difference"])


def run_comparison(scenario_a: Scenario, scenario_b: Scenario, months: int,
                   progress: Callable[[int], None] | None = None,
                   cancel: threading.Event | None = None,
                   factory: ModelFactory | None = None) -> Comparison | None:
    """Run A and B month by month in lockstep for ``months`` months.

    Both scenarios should share a seed; the caller copies A's seed into B.

    Returns:
        The two metrics frames, or None if ``cancel`` was set before the end.
    """
    build = factory or _default_factory
    model_a = build(scenario_a)
    model_b = build(scenario_b)
    for month in range(1, months + 1):
        if cancel is not None and cancel.is_set():
            return None
        model_a.step()
        model_b.step()
        if progress is not None:
            progress(month)
    return Comparison(model_a.metrics_frame(), model_b.metrics_frame(), months)
