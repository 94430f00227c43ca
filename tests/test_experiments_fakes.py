"""A fast stand-in for the model run, used to test the sweep machinery in isolation.

The values depend only on the scenario (its seed and a few levers), so any executor must
reproduce them exactly. Pass it with ``functools.partial`` to add a delay or fail chosen runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from iursim.scenario import Scenario


@dataclass
class FakeResult:
    metrics: pd.DataFrame
    summary: dict[str, Any]


def fake_run(scenario: Scenario, delay: float = 0.0,
             fail_subsidy: float | None = None) -> FakeResult:
    """Return random-walk metrics seeded by ``run.seed``; fail when the subsidy matches."""
    if fail_subsidy is not None and scenario.policy.subsidy_rate == fail_subsidy:
        raise RuntimeError(f"injected failure at subsidy_rate={fail_subsidy}")
    if delay:
        time.sleep(delay)
    rng = np.random.default_rng(scenario.run.seed)
    steps = scenario.run.steps
    drift = scenario.policy.subsidy_rate + 0.01 * scenario.policy.commissioners_per_100_smes
    density = np.cumsum(rng.normal(drift, 0.05, steps + 1)) / (steps + 1)
    metrics = pd.DataFrame({
        "step": np.arange(steps + 1),
        "collaboration_density": density,
        "projects_started": rng.poisson(5, steps + 1),
    })
    summary = {"platform_survival_share": float(rng.uniform()),
               "form_share": {"joint_development": float(rng.uniform()),
                              "talent_training": float(rng.uniform())},
               "name": scenario.name}
    return FakeResult(metrics, summary)
