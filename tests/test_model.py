"""The model's wiring: population split, paths, phase order, learning, spin-offs, turnover,
outputs and in-process determinism."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from iursim import model as model_module
from iursim.agents.sme import classify_strength
from iursim.barriers import BARRIER_INDEX
from iursim.chain import Barrier, CooperationForm, Path, Stage
from iursim.matching import Search, _empty_search
from iursim.model import IURModel
from iursim.projects import FORM_INDEX, ProjectStatus
from iursim.scenario import load_scenario


def make_model(*overrides: str, smes: int = 30, universities: int = 6,
               seed: int = 8, steps: int = 12) -> IURModel:
    scenario = load_scenario(None, [f"population.smes={smes}",
                                    f"population.universities={universities}",
                                    "population.intermediaries=3", *overrides],
                             seed=seed, steps=steps)
    return IURModel(scenario)


# --------------------------------------------------------------------------------------------
# Population


@pytest.mark.parametrize(("total", "shares", "expected"), [
    # 10 x (0.68, 0.2, 0.12) = 6.8, 2, 1.2: floors 6, 2, 1 leave one agent for the largest
    # remainder, 0.8.
    (10, [0.68, 0.2, 0.12], [7, 2, 1]),
    (3000, [0.68, 0.2, 0.12], [2040, 600, 360]),
    # Equal remainders: the first region wins the tie.
    (10, [1 / 3, 1 / 3, 1 / 3], [4, 3, 3]),
    # 7 x (0.5, 0.25, 0.25) = 3.5, 1.75, 1.75: floors 3, 1, 1, two left for 0.75 and 0.75.
    (7, [0.5, 0.25, 0.25], [3, 2, 2]),
    (1, [0.68, 0.2, 0.12], [1, 0, 0]),
    (0, [0.68, 0.2, 0.12], [0, 0, 0]),
    (5, [0.0, 1.0], [0, 5]),
])
def test_split_largest_remainder(total: int, shares: list[float], expected: list[int]):
    model = make_model(smes=0, universities=0)
    regions = model._split(total, shares)
    assert np.bincount(regions, minlength=len(shares)).tolist() == expected
    assert (np.diff(regions) >= 0).all()


def test_population_split_over_regions():
    model = make_model(smes=100, universities=20)
    assert np.bincount(model.smes.region, minlength=3).tolist() == [68, 20, 12]
    # University shares 0.75, 0.2, 0.05 of 20.
    assert np.bincount(model.universities.region, minlength=3).tolist() == [15, 4, 1]


@pytest.mark.parametrize(("capability", "funds", "path"), [
    # Strong needs capability >= 0.45 and funds >= 120; weak is capability < 0.28 or
    # funds < 45; the rest is middling.
    (0.45, 120.0, Path.FRONT_END),
    (0.90, 500.0, Path.FRONT_END),
    (0.449, 120.0, Path.MID_STREAM),
    (0.45, 119.9, Path.MID_STREAM),
    (0.28, 45.0, Path.MID_STREAM),
    (0.2799, 500.0, Path.BACK_END),
    (0.90, 44.9, Path.BACK_END),
])
def test_classify_strength_thresholds(capability: float, funds: float, path: Path):
    result = classify_strength(np.array([capability]), np.array([funds]))
    assert list(Path)[int(result[0])] is path


# --------------------------------------------------------------------------------------------
# The month


PHASES = ["run_government_programmes", "run_platform_market", "search_and_contract",
          "finish_projects", "decay_ties_and_capabilities", "found_spinoffs", "turn_over_firms",
          "review_paths"]


def test_step_runs_phases_in_order():
    model = make_model()
    calls: list[str] = []
    for name in PHASES:
        setattr(model, name, lambda name=name: calls.append(name))
    model.step()
    assert calls == PHASES
    assert model.steps == 1
    assert len(model.metrics_frame()) == 2


def test_run_reports_progress():
    model = make_model(steps=5)
    seen: list[tuple[int, int]] = []
    model.run(progress=lambda step, total: seen.append((step, total)))
    assert seen == [(month, 5) for month in range(1, 6)]
    assert model.metrics_frame()["step"].tolist() == list(range(6))


def start_project(model: IURModel, form: CooperationForm) -> None:
    index = FORM_INDEX[form]
    one = np.ones(1, dtype=np.int64)
    model._start_projects(0 * one, 1 * one, index * one, 0 * one, -one, -one,
                          np.zeros(1, dtype=bool), np.zeros(1, dtype=bool),
                          np.array([30.0]), np.zeros(1), np.array([int(Stage.APPLIED_RESEARCH)]),
                          spinoff=False)


def test_successful_project_teaches_firm(monkeypatch):
    model = make_model(smes=5, universities=2)
    smes = model.smes
    smes.capability[0] = 0.3
    smes.absorptive[0] = 0.5
    smes.output[0] = 0.0
    maturity = model.universities.maturity[1]
    start_project(model, CooperationForm.JOINT_DEVELOPMENT)
    assert smes.running_projects[0] == 1
    assert model.universities.load[1] == 1
    monkeypatch.setattr(model_module, "outcome_probability",
                        lambda model, rows: np.ones(len(rows)))
    model.steps = 9  # joint development lasts 9 months
    model.finish_projects()
    # gain = learning 0.15 * depth 0.55 * (0.5 + absorptive 0.5) = 0.0825.
    # capability 0.3 + 0.0825 * 0.7 = 0.35775; absorptive 0.5 + 0.5 * 0.0825 * 0.5 = 0.520625.
    # output += depth 0.55 * (0.5 + new capability 0.35775) = 0.4717625.
    assert smes.capability[0] == pytest.approx(0.35775)
    assert smes.absorptive[0] == pytest.approx(0.520625)
    assert smes.output[0] == pytest.approx(0.4717625)
    assert smes.successes[0] == 1
    assert smes.running_projects[0] == 0
    assert model.universities.load[1] == 0
    assert model.universities.maturity[1] == pytest.approx(min(1.0, maturity + 0.0055))
    # Tie: strength + depth 0.55; trust 0.9 * 0.5 + 0.1 * 1 = 0.55.
    assert model.ties.strength[0] == pytest.approx(0.55)
    assert model.ties.trust[0] == pytest.approx(0.55)
    assert model.ties.running[0] == 0
    assert model.projects.status[0] == ProjectStatus.SUCCEEDED
    assert len(model.projects.running_rows) == 0
    assert model.month.succeeded == 1


def test_failed_project_records_barrier(monkeypatch):
    model = make_model(smes=5, universities=2)
    smes = model.smes
    capability = smes.capability[0]
    start_project(model, CooperationForm.JOINT_DEVELOPMENT)
    monkeypatch.setattr(model_module, "outcome_probability",
                        lambda model, rows: np.zeros(len(rows)))
    model.steps = 9
    model.finish_projects()
    # Strength + 0.3 * depth = 0.165; trust 0.9 * 0.5 + 0 = 0.45; no learning.
    assert model.ties.strength[0] == pytest.approx(0.165)
    assert model.ties.trust[0] == pytest.approx(0.45)
    assert smes.capability[0] == capability
    assert model.projects.status[0] == ProjectStatus.FAILED
    assert model.projects.barrier[0] >= 0
    assert smes.barrier_met[0, model.projects.barrier[0]]


def test_project_not_due_keeps_running():
    model = make_model(smes=5, universities=2)
    start_project(model, CooperationForm.JOINT_DEVELOPMENT)
    model.steps = 8
    model.finish_projects()
    assert model.projects.running_rows.tolist() == [0]


def test_spinoffs_start_equity_projects():
    model = make_model("behaviour.spinoff_rate=5.0", "policy.talent_zone=true",
                       smes=10, universities=20)
    model.universities.capacity[:] = 1.0
    model.steps = 1
    model.found_spinoffs()
    # Monthly chance 5 / 12 * 3 (talent zone) * capacity 1 = 1.25, so every university founds.
    smes = model.smes
    rows = np.flatnonzero(smes.spinoff)
    assert len(rows) == 20
    assert (smes.path[rows] == list(Path).index(Path.FRONT_END)).all()
    assert smes.high_tech[rows].all()
    assert (smes.contacts[rows, 0] == np.arange(20)).all()
    assert not smes.platform_member[rows].any()
    frame = model.project_frame()
    assert (frame["form"] == "technology_equity").all()
    assert frame["spinoff"].all()
    assert frame["sme"].tolist() == rows.tolist()
    assert frame["university"].tolist() == list(range(20))
    assert (model.universities.spinoffs == 1).all()


def test_turnover_keeps_population_size():
    model = make_model("population.entry_exit=true", "population.exit_rate=1.0", smes=100)
    for _ in range(6):
        model.step()
    smes = model.smes
    exited = ~smes.alive
    assert exited.any()
    # Every exit is replaced by one entrant; spin-offs only add.
    assert smes.alive.sum() == 100 + int(smes.spinoff.sum())
    assert (smes.exited[exited] >= 1).all()
    assert (smes.exited[~exited] == -1).all()
    assert (smes.running_projects[exited] == 0).all()
    assert not smes.platform_member[exited].any()
    assert (smes.commissioner[exited] == -1).all()


def test_review_paths_in_december():
    model = make_model(smes=20)
    smes = model.smes
    smes.capability[:] = 0.9
    smes.staff[:] = 500
    model.steps = 11
    model.review_paths()
    assert (smes.path != 0).any()
    model.steps = 12
    model.review_paths()
    # Capability 0.9 and 500 staff: monthly R&D 500 * 0.1 * 1.4 * (1 or 1.4) >= 70, twelve
    # months >= 840 >= 120, so every firm is strong.
    assert (smes.path == 0).all()


# --------------------------------------------------------------------------------------------
# Outputs


def test_graph_matches_state():
    model = make_model(smes=150, universities=10, steps=12)
    model.run()
    graph = model.graph
    kinds = [data["kind"] for _, data in graph.nodes(data=True)]
    assert kinds.count("sme") == int(model.smes.alive.sum())
    assert kinds.count("university") == 10
    assert kinds.count("platform") == 4
    ties = [edge for edge in graph.edges(data=True) if edge[2].get("kind") == "tie"]
    assert len(ties) == model.ties.alive_count
    assert model.ties.alive_count > 0


def test_stage_counts_cover_chain():
    model = make_model(smes=150, universities=10, steps=12)
    model.run()
    counts = model.stage_counts()
    assert list(counts) == [stage.key for stage in Stage]
    running = len(model.projects.running_rows)
    assert sum(counts.values()) - counts["innovation_demand"] == running
    assert counts["innovation_demand"] == model.month.needs


def run_outputs(seed: int) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    model = make_model(smes=200, universities=10, seed=seed, steps=12)
    model.run()
    summary = json.dumps(model.summary(), sort_keys=True)
    return model.metrics_frame(), summary, model.project_frame()


def test_same_seed_same_outputs():
    first_metrics, first_summary, first_projects = run_outputs(21)
    second_metrics, second_summary, second_projects = run_outputs(21)
    pd.testing.assert_frame_equal(first_metrics, second_metrics)
    pd.testing.assert_frame_equal(first_projects, second_projects)
    assert first_summary == second_summary


def test_different_seeds_differ():
    first_metrics, first_summary, _ = run_outputs(21)
    second_metrics, second_summary, _ = run_outputs(22)
    assert not first_metrics.equals(second_metrics)
    assert first_summary != second_summary


def test_both_stages_barriers_recorded(monkeypatch):
    # Refusal by a university (negotiation) and no candidate in the need's field (evaluation)
    # are both recorded as activity_need_mismatch; the firms of one stage must not replace
    # those of the other.
    model = make_model(smes=5, universities=2)
    mismatch = Barrier.ACTIVITY_NEED_MISMATCH
    search_stops = {mismatch: np.array([1]), Barrier.LACKS_FUNDS: np.zeros(0, dtype=np.int64)}
    negotiation_stops = {mismatch: np.array([2]), Barrier.LACKS_FUNDS: np.array([3])}
    monkeypatch.setattr(model_module, "search_partners",
                        lambda model: (_empty_search(), dict(search_stops)))
    monkeypatch.setattr(model_module, "negotiate",
                        lambda model, search: (search, np.zeros(0, dtype=np.int64),
                                               np.zeros(0), np.zeros(0),
                                               dict(negotiation_stops)))
    model.steps = 4
    model.search_and_contract()
    column = BARRIER_INDEX[mismatch]
    assert model.smes.barrier_met[:, column].tolist() == [False, True, True, False, False]
    assert model.barrier_counts[column] == 2
    assert model.smes.cooldown_until[[1, 2, 3]].tolist() == [4 + 6] * 3
    assert model.smes.attempts[[1, 2, 3]].tolist() == [1, 1, 1]
    assert model.month.failed_attempts == 3


def make_deals(firms: list[int], platform: int, trust: float) -> Search:
    n = len(firms)
    return Search(firms=np.array(firms), field=np.zeros(n, dtype=np.int64),
                  stage=np.full(n, int(Stage.APPLIED_RESEARCH)),
                  partner=np.zeros(n, dtype=np.int64),
                  channel=np.zeros(n, dtype=np.int64), platform=np.full(n, platform),
                  intermediary=np.full(n, -1), fit=np.ones(n), trust=np.full(n, trust))


def test_sign_pays_subsidies_until_budget_runs_out():
    model = make_model(smes=5, universities=2)
    smes = model.smes
    smes.region[:] = 0
    smes.funds[:] = 200.0
    capital = model.governments[0]
    capital.free_budget = 120.0
    capital.earmarks = {}
    form = np.full(3, FORM_INDEX[CooperationForm.COMMISSIONED_DEVELOPMENT])
    model._sign(make_deals([0, 1, 2], -1, 0.0), form, np.full(3, 100.0),
                np.full(3, 0.5))
    # Each deal asks 100 * 0.5 = 50; the budget of 120 pays 50, 50 and the last 20.
    # Firms pay the rest from their funds: 50, 50 and 80.
    assert model.projects.subsidy.tolist() == [50.0, 50.0, 20.0]
    assert smes.funds[:3].tolist() == [150.0, 150.0, 120.0]
    assert capital.free_budget == 0.0
    assert capital.spent["subsidy"] == 120.0
    assert model.month.subsidy == 120.0
    assert model.month.started == 3


@pytest.mark.parametrize(("overrides", "trust", "bypassed"), [
    # Commission 0: nothing to bypass, so the platform manages every deal.
    (("policy.platform_commission_rate=0.0",), 1.0, False),
    # pull = 0.5 / (0.5 + 0.001) = 0.998 with base 1 and no retention; trust 1 multiplies the
    # chance by 1.5, above 1, so every pair bypasses.
    (("policy.platform_commission_rate=0.5", "platform_economics.bypass_base=1.0",
      "platform_economics.bypass_half_rate=0.001",
      "platform_economics.matchmaker_retention=0.0"), 1.0, True),
])
def test_sign_decides_bypassing(overrides, trust, bypassed):
    model = make_model(*overrides, smes=5, universities=2)
    platform = model.platforms[0]
    platform.managed_projects = 0
    form = np.full(4, FORM_INDEX[CooperationForm.TECHNICAL_SERVICES])
    model._sign(make_deals([0, 1, 2, 3], 0, trust), form, np.full(4, 10.0),
                np.zeros(4))
    assert model.projects.bypassed.tolist() == [bypassed] * 4
    assert model.projects.managed.tolist() == [not bypassed] * 4
    assert platform.deals == 4
    assert platform.deals_bypassed == (4 if bypassed else 0)
    assert platform.managed_projects == (0 if bypassed else 4)
    assert model.month.platform_deals == 4
