"""Invariants over random valid parameters (hypothesis), and empty populations.

Every scalar parameter is drawn from its declared bounds (``iter_parameters``), except the
population sizes and the horizon, which are capped so one example runs in well under a
second: at most 100 firms, 15 universities, 5 intermediaries and 26 months (so the budgets
renew twice).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iursim.metrics import is_share
from iursim.model import IURModel
from iursim.projects import ProjectStatus
from iursim.scenario import (
    ParameterSpec,
    Scenario,
    apply_overrides,
    iter_parameters,
    load_scenario,
    scenario_from_dict,
)

# Caps on the drawn sizes; the declared bounds (up to a million firms) would make one example
# take minutes.
SIZE_CAPS = {"population.smes": 100, "population.universities": 15,
             "population.intermediaries": 5, "run.steps": 26, "run.seed": 2**32 - 1}
SHARE_COLUMNS = ("collaboration_density", "active_collaboration_share",
                 "ever_collaborated_share", "tight_form_share", "medium_form_share",
                 "loose_form_share", "repeat_tie_share", "bypass_rate", "commissioner_coverage")
SHARE_MAPPINGS = ("channel_share", "form_share", "barrier_share", "barrier_side_share",
                  "path_share", "project_form_share")
# Some runs must cross a year (renewal at month 13) and run long enough for exits.
PROPERTY_SETTINGS = settings(max_examples=12, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow])


def value_strategy(spec: ParameterSpec) -> st.SearchStrategy[Any]:
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "int":
        high = SIZE_CAPS.get(spec.key, spec.high)
        return st.integers(int(spec.low), int(high))
    return st.floats(spec.low, spec.high, allow_nan=False, allow_infinity=False)


PARAMETERS = {spec.key: value_strategy(spec) for spec in iter_parameters()}
# Region budgets are per-region entries; low budgets test the spending limits.
for _region in range(3):
    PARAMETERS[f"regions.{_region}.annual_budget"] = st.floats(0.0, 3000.0)


def build(values: dict[str, Any]) -> Scenario:
    return scenario_from_dict(apply_overrides(Scenario().model_dump(mode="json"), values))


scenarios = st.fixed_dictionaries(PARAMETERS).map(build)
turnover_scenarios = st.fixed_dictionaries({
    **PARAMETERS,
    "population.entry_exit": st.just(True),
    "population.exit_rate": st.floats(0.5, 1.0),
    "population.smes": st.integers(20, 100),
    "run.steps": st.integers(8, 20),
}).map(build)


def check_money(model: IURModel) -> None:
    for platform in model.platforms:
        assert platform.cash >= 0.0, platform.name
        assert math.isfinite(platform.cash), platform.name
    for government in model.governments:
        assert government.free_budget >= 0.0, government.name
        assert all(value >= 0.0 for value in government.earmarks.values()), government.name
        spent = sum(government.spent.values())
        assert spent <= government.budget_granted * (1 + 1e-12) + 1e-9, government.name
    assert (model.smes.funds >= 0.0).all()
    subsidies = sum(government.spent["subsidy"] for government in model.governments)
    assert model.totals["subsidy"] <= subsidies * (1 + 1e-12) + 1e-9


def check_ties_and_projects(model: IURModel) -> None:
    projects = model.projects
    ties = model.ties
    n_unis = max(len(model.universities), 1)
    status = projects.status
    pair = projects.sme * n_unis + projects.university
    behind = set(pair[status != ProjectStatus.CANCELLED].tolist())
    live = np.flatnonzero(ties.alive)
    live_pairs = ties.sme[live] * n_unis + ties.university[live]
    assert set(live_pairs.tolist()) <= behind
    assert ties.alive_count == len(live)
    # Running counts agree between ties, firms, universities and the project table.
    running = projects.running_rows
    assert (status[running] == ProjectStatus.RUNNING).all()
    assert (np.flatnonzero(status == ProjectStatus.RUNNING) == np.sort(running)).all()
    running_pairs = pair[running]
    counts = dict(zip(*np.unique(running_pairs, return_counts=True), strict=True))
    for row, key in zip(live.tolist(), live_pairs.tolist(), strict=True):
        assert ties.running[row] == counts.get(key, 0)
    assert set(running_pairs.tolist()) <= set(live_pairs.tolist())
    firm_running = np.bincount(projects.sme[running], minlength=len(model.smes))
    np.testing.assert_array_equal(model.smes.running_projects, firm_running)
    if len(model.universities):
        unis = model.universities
        load = np.bincount(projects.university[running], minlength=len(unis))
        np.testing.assert_array_equal(unis.load, load)
        # Firms' projects fit in a university's slots; a spin-off's project with its founder's
        # university comes on top.
        firm_rows = running[~projects.spinoff[running]]
        firm_load = np.bincount(projects.university[firm_rows], minlength=len(unis))
        assert (firm_load <= unis.slots).all()
    managed = running[projects.managed[running]]
    for platform in model.platforms:
        mine = int((projects.platform[managed] == platform.index).sum())
        assert platform.managed_projects == mine, platform.name
    for intermediary in model.intermediaries:
        assert intermediary.served_this_month <= intermediary.capacity
    assert (projects.subsidy <= projects.cost + 1e-9).all()
    assert (projects.subsidy >= 0.0).all()


def check_shares(model: IURModel) -> None:
    frame = model.metrics_frame()
    for column in SHARE_COLUMNS:
        values = frame[column].to_numpy(dtype=float)
        assert all(is_share(value) for value in values), column
    for column in ("projects_started", "projects_completed", "projects_succeeded",
                   "platforms_alive", "smes_alive"):
        assert (frame[column] >= 0).all(), column
    summary = model.summary()
    for key, value in summary.items():
        if key.endswith("_share") and not isinstance(value, dict):
            assert is_share(value), key
    for mapping in SHARE_MAPPINGS:
        for name, value in summary[mapping].items():
            assert is_share(value), (mapping, name)


def check_exited_firms(model: IURModel) -> None:
    smes = model.smes
    exited = np.flatnonzero(~smes.alive)
    assert (smes.exited[exited] >= 0).all()
    projects = model.projects
    for row in exited.tolist():
        mine = projects.sme == row
        # A firm exits at the end of a month; no project of its may start later.
        assert (projects.start_step[mine] <= smes.exited[row]).all(), row
        assert not (projects.status[mine] == ProjectStatus.RUNNING).any(), row
        assert smes.last_need[row] <= smes.exited[row], row
    assert not smes.platform_member[exited].any()
    assert (smes.commissioner[exited] == -1).all()
    assert (smes.running_projects[exited] == 0).all()
    for commissioner in model.commissioners:
        assert smes.alive[commissioner.smes].all()
    ties = model.ties
    assert not (ties.alive & ~smes.alive[ties.sme]).any()


def run_checked(scenario: Scenario) -> IURModel:
    model = IURModel(scenario)
    check_money(model)
    while model.steps < scenario.run.steps:
        model.step()
        check_money(model)
        check_ties_and_projects(model)
    check_shares(model)
    check_exited_firms(model)
    return model


@PROPERTY_SETTINGS
@given(scenarios)
def test_invariants_hold_for_random_parameters(scenario: Scenario):
    run_checked(scenario)


@PROPERTY_SETTINGS
@given(turnover_scenarios)
def test_exited_firms_never_act_again(scenario: Scenario):
    model = run_checked(scenario)
    assert len(model.smes) >= scenario.population.smes


def test_exits_happen_with_high_exit_rate():
    scenario = load_scenario(None, ["population.smes=150", "population.universities=10",
                                    "population.entry_exit=true", "population.exit_rate=1.0",
                                    "behaviour.need_rate=0.5"], seed=13, steps=18)
    model = run_checked(scenario)
    # Monthly hazard 1 / 12 * 2 * (1 - capability) is about 0.1, so over 18 months most of
    # the 150 firms are replaced, some while they had projects running.
    assert (~model.smes.alive).sum() > 50
    assert (model.projects.status == ProjectStatus.CANCELLED).any()


def empty_run(*overrides: str) -> IURModel:
    scenario = load_scenario(None, list(overrides), seed=3, steps=14)
    model = IURModel(scenario)
    model.run()
    return model


def test_zero_smes_runs_to_end():
    model = empty_run("population.smes=0", "population.universities=10")
    frame = model.metrics_frame()
    assert len(frame) == 15
    # No firm: firm shares are undefined (NaN), counts are 0. Spin-offs still add firms
    # when universities found them, so only the first month is guaranteed empty.
    first = frame.iloc[0]
    for column in ("collaboration_density", "active_collaboration_share",
                   "ever_collaborated_share", "commissioner_coverage", "mean_sme_capability"):
        assert math.isnan(first[column]), column
    assert first["projects_started"] == 0
    summary = model.summary()
    assert summary["projects_started"] >= 0
    check_shares(model)


def test_zero_smes_and_no_spinoffs():
    model = empty_run("population.smes=0", "population.universities=10",
                      "behaviour.spinoff_rate=0.0")
    frame = model.metrics_frame()
    assert frame["smes_alive"].eq(0).all()
    assert frame["projects_started"].eq(0).all()
    assert frame["collaboration_density"].isna().all()
    assert frame["ever_collaborated_share"].isna().all()
    assert frame["tight_form_share"].isna().all()
    summary = model.summary()
    assert math.isnan(summary["ever_collaborated_share"])
    assert summary["projects_started"] == 0
    assert all(math.isnan(value) for value in summary["channel_share"].values())


def test_zero_universities_runs_to_end():
    model = empty_run("population.smes=60", "population.universities=0")
    frame = model.metrics_frame()
    assert len(frame) == 15
    # Firms exist but no partner does: density is undefined, nobody ever collaborates.
    assert frame["collaboration_density"].isna().all()
    assert frame["ever_collaborated_share"].eq(0.0).all()
    assert frame["projects_started"].eq(0).all()
    assert frame["commissioners_active"].eq(0).all()
    summary = model.summary()
    assert summary["projects_started"] == 0
    assert summary["commissioner_coverage"] == 0.0
    assert math.isnan(summary["project_success_rate"])
    check_shares(model)


def test_no_agents_at_all():
    model = empty_run("population.smes=0", "population.universities=0",
                      "population.intermediaries=0")
    assert len(model.metrics_frame()) == 15
    assert model.summary()["smes_alive"] == 0
    kinds = [data["kind"] for _, data in model.graph.nodes(data=True)]
    assert kinds.count("platform") == 4
    assert "sme" not in kinds
    assert "university" not in kinds
