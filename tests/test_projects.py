"""Ties, the project table, form choice, negotiation and project outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from iursim.barriers import BARRIER_INDEX
from iursim.chain import Barrier, CooperationForm, Stage
from iursim.matching import Search
from iursim.model import IURModel
from iursim.projects import (
    FORM_INDEX,
    TIE_INITIAL_TRUST,
    ProjectStatus,
    ProjectTable,
    TieTable,
    choose_forms,
    failure_barrier,
    negotiate,
    net_costs,
    outcome_probability,
    project_stage,
)
from iursim.scenario import load_scenario


def make_model(*overrides: str, smes: int = 10, universities: int = 4) -> IURModel:
    scenario = load_scenario(None, [f"population.smes={smes}",
                                    f"population.universities={universities}",
                                    "population.intermediaries=2", *overrides], seed=3)
    return IURModel(scenario)


def form_index(form: CooperationForm) -> int:
    return FORM_INDEX[form]


# --------------------------------------------------------------------------------------------
# Ties


def test_tie_open_creates_then_reuses():
    ties = TieTable(n_universities=5)
    rows = ties.open(np.array([1, 2]), np.array([3, 3]), np.array([4, 0]), step=7)
    assert rows.tolist() == [0, 1]
    assert ties.alive_count == 2
    assert ties.trust.tolist() == [TIE_INITIAL_TRUST, TIE_INITIAL_TRUST]
    assert ties.count.tolist() == [1, 1]
    assert ties.running.tolist() == [1, 1]
    assert ties.created.tolist() == [7, 7]
    again = ties.open(np.array([1]), np.array([3]), np.array([6]), step=9)
    assert again.tolist() == [0]
    assert ties.count[0] == 2
    assert ties.running[0] == 2
    assert ties.last_form[0] == 6
    assert ties.created[0] == 7
    assert ties.alive_count == 2


def test_tie_open_repeated_pair_batch():
    ties = TieTable(n_universities=5)
    rows = ties.open(np.array([1, 1]), np.array([2, 2]), np.array([0, 0]), step=0)
    assert rows.tolist() == [0, 0]
    assert ties.running[0] == 2
    assert len(ties) == 1


def test_tie_lookup_and_trust():
    ties = TieTable(n_universities=5)
    ties.open(np.array([1, 2]), np.array([3, 4]), np.array([0, 0]), step=0)
    ties.trust[1] = 0.8
    rows = ties.rows_of(np.array([1, 2, 1, 0]), np.array([3, 4, 4, -1]))
    assert rows.tolist() == [0, 1, -1, -1]
    trust = ties.trust_of(np.array([1, 2]), np.array([[3, 4, -1], [4, 3, 0]]))
    np.testing.assert_allclose(trust, [[0.5, 0.0, 0.0], [0.8, 0.0, 0.0]])


def test_tie_lookup_on_empty_table():
    ties = TieTable(n_universities=3)
    assert ties.rows_of(np.array([0]), np.array([1])).tolist() == [-1]
    assert ties.trust_of(np.array([0]), np.array([[1, 2]])).tolist() == [[0.0, 0.0]]


def test_tie_decay_spares_running_ties():
    ties = TieTable(n_universities=5)
    ties.open(np.array([0, 1]), np.array([0, 0]), np.array([0, 0]), step=0)
    ties.strength[:] = 0.2
    ties.running[1] = 0
    gone = ties.decay(0.5)
    # Tie 0 has a running project and keeps 0.2; tie 1 halves to 0.1, above 0.05.
    assert gone.tolist() == []
    np.testing.assert_allclose(ties.strength, [0.2, 0.1])
    gone = ties.decay(0.6)
    # 0.1 * (1 - 0.6) = 0.04 < 0.05: tie 1 dissolves.
    assert gone.tolist() == [1]
    assert ties.alive.tolist() == [True, False]
    assert ties.alive_count == 1
    assert ties.rows_of(np.array([1]), np.array([0])).tolist() == [-1]


def test_dissolved_tie_reopens_as_new_row():
    ties = TieTable(n_universities=5)
    ties.open(np.array([1]), np.array([2]), np.array([0]), step=0)
    ties.running[0] = 0
    ties.decay(1.0)
    assert ties.alive_count == 0
    rows = ties.open(np.array([1]), np.array([2]), np.array([3]), step=5)
    assert rows.tolist() == [1]
    assert ties.count[1] == 1
    assert ties.trust[1] == TIE_INITIAL_TRUST
    assert ties.rows_of(np.array([1]), np.array([2])).tolist() == [1]


def test_close_for_firms_dissolves_running_ties():
    ties = TieTable(n_universities=5)
    ties.open(np.array([1, 1, 2]), np.array([0, 3, 0]), np.array([0, 0, 0]), step=0)
    ties.strength[:] = 1.0
    ties.close_for_firms(np.array([1]))
    assert ties.alive.tolist() == [False, False, True]
    assert ties.running.tolist() == [0, 0, 1]
    assert ties.alive_count == 1


# --------------------------------------------------------------------------------------------
# Project table


def test_project_start_and_finish():
    projects = ProjectTable()
    first = projects.start(3, sme=np.array([0, 1, 2]), start=4, end=10)
    assert first.tolist() == [0, 1, 2]
    assert projects.running_rows.tolist() == [0, 1, 2]
    assert (projects.status == ProjectStatus.RUNNING).all()
    assert (projects.barrier == -1).all()
    projects.finish(np.array([1]), np.array([ProjectStatus.SUCCEEDED]))
    assert projects.running_rows.tolist() == [0, 2]
    second = projects.start(2, sme=np.array([5, 6]), start=6, end=8)
    assert second.tolist() == [3, 4]
    assert projects.running_rows.tolist() == [0, 2, 3, 4]
    projects.finish(np.array([0, 4]), np.array([ProjectStatus.FAILED,
                                                ProjectStatus.CANCELLED]))
    assert projects.running_rows.tolist() == [2, 3]
    assert projects.status.tolist() == [ProjectStatus.FAILED, ProjectStatus.SUCCEEDED,
                                        ProjectStatus.RUNNING, ProjectStatus.RUNNING,
                                        ProjectStatus.CANCELLED]
    assert projects.start_step.tolist() == [4, 4, 4, 6, 6]


def test_project_stage_moves_along_chain():
    model = make_model()
    model.projects.start(2, sme=np.array([0, 1]), university=np.array([0, 1]),
                         stage=np.array([Stage.TRIAL_PRODUCTION, Stage.BASIC_RESEARCH]),
                         start=0, end=9)
    rows = np.array([0, 1])
    # Progress p = (now - start) / 9; stage = entry + floor(3 p), p capped at 0.999 and the
    # stage at industrial diffusion.
    expected = {0: [4, 1], 3: [5, 2], 6: [6, 3], 8: [6, 3], 9: [6, 3]}
    for month, stages in expected.items():
        model.steps = month
        assert project_stage(model, rows).tolist() == stages, month


def test_stage_counts_include_running_projects():
    model = make_model()
    model.projects.start(1, sme=np.array([0]), university=np.array([0]),
                         stage=np.array([Stage.APPLIED_RESEARCH]), start=0, end=9)
    counts = model.stage_counts()
    assert counts["applied_research"] == 1
    assert sum(counts.values()) == 1


# --------------------------------------------------------------------------------------------
# Form choice


def set_firms(model: IURModel, *, capability: float, funds: float, bargaining: float,
              path: int, region: int = 0) -> None:
    smes = model.smes
    smes.capability[:] = capability
    smes.funds[:] = funds
    smes.bargaining[:] = bargaining
    smes.path[:] = path
    smes.region[:] = region


def test_choose_forms_hand_utility():
    model = make_model("policy.subsidy_rate=0.0", "behaviour.choice_temperature=0.01")
    # Back-end firms (path 2) without a research institute: talent training, technical
    # services, shared instruments, technology transfer, joint development are open.
    # U = 2.5 depth (1.3 - c) - 1.2 cost / F - 2.0 commitment (1 - b), c=0.3, b=0.5.
    # F = 100: TT 0.5-0.096-0.05=0.354, TS 0.625-0.12-0.05=0.455, SI 0.375-0.072-0.05=0.253,
    # TechT 0.875-0.3-0.1=0.475, JD 1.375-0.36-0.3=0.715. JD leads by 0.24, i.e. 24 after
    # dividing by the temperature 0.01, far beyond the spread of the Gumbel noise.
    set_firms(model, capability=0.3, funds=100.0, bargaining=0.5, path=2)
    firms = np.arange(10)
    form, cost, share = choose_forms(model, firms, np.zeros(10), np.zeros(10))
    assert (form == form_index(CooperationForm.JOINT_DEVELOPMENT)).all()
    np.testing.assert_allclose(cost, 30.0)
    np.testing.assert_allclose(share, 0.0)
    # F = 5: TT 0.5-1.92-0.05=-1.47, TS 0.625-2.4-0.05=-1.825, SI 0.375-1.44-0.05=-1.115,
    # TechT 0.875-6-0.1=-5.225, JD 1.375-7.2-0.3=-6.125. Shared instruments lead by 0.355.
    model.smes.funds[:] = 5.0
    form, cost, _ = choose_forms(model, firms, np.zeros(10), np.zeros(10))
    assert (form == form_index(CooperationForm.SHARED_INSTRUMENTS)).all()
    np.testing.assert_allclose(cost, 6.0)


@pytest.mark.parametrize(("path", "takeover", "expected"), [
    (0, False, CooperationForm.CO_BUILT_INSTITUTION),
    (1, False, CooperationForm.CO_BUILT_INSTITUTION),
    (2, False, CooperationForm.JOINT_DEVELOPMENT),
    (2, True, CooperationForm.JOINT_VENTURE),
])
def test_choose_forms_deepest_allowed(path: int, takeover: bool, expected: CooperationForm):
    # With cost and commitment weights 0, utility is 20 depth (1.3 - c): the deepest form
    # open on the path wins. Joint ventures are open only where a government research
    # institute or enclave park takes results over.
    model = make_model("behaviour.choice_temperature=0.01", "behaviour.cost_sensitivity=0.0",
                       "behaviour.commitment_aversion=0.0", "behaviour.depth_preference=20.0")
    set_firms(model, capability=0.3, funds=100.0, bargaining=0.5, path=path)
    model.takeover_active[0] = takeover
    form, _, _ = choose_forms(model, np.arange(10), np.zeros(10), np.zeros(10))
    assert (form == form_index(expected)).all()


def test_shared_instruments_need_partner_instruments():
    # With cost the only weight, the cheapest open form wins: shared instruments (cost 6)
    # before talent training (cost 8). U = -20 * 0.7 cost / 10 gives -8.4 against -11.2.
    model = make_model("behaviour.choice_temperature=0.01", "behaviour.cost_sensitivity=20.0",
                       "behaviour.commitment_aversion=0.0", "behaviour.depth_preference=0.0")
    set_firms(model, capability=0.3, funds=10.0, bargaining=0.5, path=2)
    model.universities.instruments[:] = [0, 3, 0, 0]
    partners = np.array([0, 1] * 5)
    form, _, _ = choose_forms(model, np.arange(10), np.zeros(10), np.zeros(10), partners)
    # A partner without shareable instruments cannot offer them: talent training instead.
    expected = np.where(partners == 1, form_index(CooperationForm.SHARED_INSTRUMENTS),
                        form_index(CooperationForm.TALENT_TRAINING))
    np.testing.assert_array_equal(form, expected)


def test_shared_labs_replace_partner_instruments():
    model = make_model("behaviour.choice_temperature=0.01", "behaviour.cost_sensitivity=20.0",
                       "behaviour.commitment_aversion=0.0", "behaviour.depth_preference=0.0",
                       "policy.shared_labs=true")
    set_firms(model, capability=0.3, funds=10.0, bargaining=0.5, path=2)
    model.universities.instruments[:] = 0
    form, _, _ = choose_forms(model, np.arange(10), np.zeros(10), np.zeros(10),
                              np.zeros(10, dtype=np.int64))
    assert (form == form_index(CooperationForm.SHARED_INSTRUMENTS)).all()


def test_net_costs_subsidy_shares():
    model = make_model("policy.subsidy_rate=0.3", "policy.special_fund_rate=0.2")
    set_firms(model, capability=0.3, funds=100.0, bargaining=0.5, path=2, region=0)
    model.smes.region[5:] = 1
    model.special_fund_active[:] = [True, False, False]
    model.budget_left[:] = True
    cost, share = net_costs(model, np.array([0, 5]), np.array([0.1, 0.0]))
    tight = form_index(CooperationForm.JOINT_VENTURE)
    medium = form_index(CooperationForm.JOINT_DEVELOPMENT)
    loose = form_index(CooperationForm.TALENT_TRAINING)
    # A 10 % intermediary fee raises the gross cost: 80 * 1.1 = 88, 8 * 1.1 = 8.8.
    assert cost[0, tight] == pytest.approx(88.0)
    assert cost[0, loose] == pytest.approx(8.8)
    assert cost[1, tight] == pytest.approx(80.0)
    # The special fund adds 0.2 to medium and tight forms in region 0 only.
    assert share[0, loose] == pytest.approx(0.3)
    assert share[0, medium] == pytest.approx(0.5)
    assert share[0, tight] == pytest.approx(0.5)
    assert share[1, tight] == pytest.approx(0.3)
    model.budget_left[:] = False
    _, share = net_costs(model, np.array([0, 5]), np.zeros(2))
    assert (share == 0.0).all()


def test_net_costs_shared_labs_halve_instruments():
    model = make_model("policy.shared_labs=true")
    cost, _ = net_costs(model, np.array([0]), np.zeros(1))
    assert cost[0, form_index(CooperationForm.SHARED_INSTRUMENTS)] == pytest.approx(3.0)


# --------------------------------------------------------------------------------------------
# Negotiation


def make_search(firms, partner, fit, trust) -> Search:
    n = len(firms)
    return Search(firms=np.asarray(firms, dtype=np.int64), field=np.zeros(n, dtype=np.int64),
                  stage=np.full(n, int(Stage.TRIAL_PRODUCTION)),
                  partner=np.asarray(partner, dtype=np.int64),
                  channel=np.zeros(n, dtype=np.int64), platform=np.full(n, -1),
                  intermediary=np.full(n, -1), fit=np.asarray(fit, dtype=float),
                  trust=np.asarray(trust, dtype=float))


def negotiation_model(*overrides: str) -> IURModel:
    """Back-end firms that all choose a joint venture (cost 80, equipment, absorption 0.3).

    Depth alone drives the choice (cost and commitment weights 0) and the research institute
    is active, so the deepest open form, the joint venture, wins for every firm.
    University 0 is willing with integrity, university 1 unwilling, university 2 without
    integrity. Every university has room for 100,000 projects, so free slots never bind
    unless a test lowers them.
    """
    model = make_model("policy.subsidy_rate=0.0", "behaviour.choice_temperature=0.01",
                       "behaviour.cost_sensitivity=0.0", "behaviour.commitment_aversion=0.0",
                       "behaviour.depth_preference=20.0", *overrides)
    set_firms(model, capability=0.3, funds=100.0, bargaining=1.0, path=2)
    model.smes.absorptive[:] = 0.9
    model.takeover_active[0] = True
    unis = model.universities
    unis.willingness[:] = [1.0, 0.0, 1.0, 1.0]
    unis.integrity[:] = [True, True, False, True]
    unis.slots[:] = 100_000
    unis.load[:] = 0
    return model


def test_negotiation_barrier_order():
    model = negotiation_model("behaviour.dispute_rate=1.0")
    smes = model.smes
    smes.funds[0] = 50.0  # below 80: fails funds, and equipment too
    smes.absorptive[0:2] = 0.1  # below the joint venture's absorption need of 0.3
    search = make_search(firms=[0, 1, 2, 3, 4], partner=[0, 0, 1, 0, 0],
                         fit=[1.0] * 5, trust=[0.0, 0.0, 0.0, 0.0, 1.0])
    deals, form, cost, share, stopped = negotiate(model, search)
    # Firm 0 fails funds first; firm 1 has the money but not the equipment. Bargaining 1
    # means no fear of losing say. Firm 2's partner accepts with willingness 0 * ... + 0.2 *
    # trust 0 = 0, so it refuses. Firm 3 meets a dispute with chance 1 * 1.0 * (1 - trust 0)
    # = 1. Firm 4 trusts its partner fully, so acceptance is 1 and the dispute chance 0.
    assert stopped[Barrier.LACKS_FUNDS].tolist() == [0]
    assert stopped[Barrier.LACKS_TALENT_EQUIPMENT].tolist() == [1]
    assert stopped[Barrier.LITTLE_SAY].tolist() == []
    assert stopped[Barrier.ACTIVITY_NEED_MISMATCH].tolist() == [2]
    assert stopped[Barrier.PARTNER_LACKS_INTEGRITY].tolist() == []
    assert stopped[Barrier.BENEFIT_SHARING_DISPUTE].tolist() == [3]
    assert deals.firms.tolist() == [4]
    assert form.tolist() == [form_index(CooperationForm.JOINT_VENTURE)]
    assert cost.tolist() == [80.0]
    assert share.tolist() == [0.0]


def test_negotiation_respects_free_slots():
    model = negotiation_model("behaviour.dispute_rate=0.0")
    unis = model.universities
    unis.slots[0] = 3
    unis.load[0] = 1
    search = make_search(firms=[0, 1, 2, 3, 4], partner=[0, 0, 0, 0, 3],
                         fit=[0.5, 0.9, 0.7, 0.6, 0.4], trust=[1.0] * 5)
    deals, _, _, _, stopped = negotiate(model, search)
    # University 0 has 3 - 1 = 2 free slots and four pairs that pass every other check: it
    # signs the two best fits (firms 1 and 2). University 3 has room for firm 4.
    assert deals.firms.tolist() == [1, 2, 4]
    assert sorted(stopped[Barrier.PARTNER_CAPACITY_INSUFFICIENT].tolist()) == [0, 3]


def test_full_university_signs_nothing():
    model = negotiation_model("behaviour.dispute_rate=0.0")
    model.universities.load[0] = model.universities.slots[0] + 2
    search = make_search(firms=[0, 1], partner=[0, 0], fit=[1.0, 1.0], trust=[1.0, 1.0])
    deals, _, _, _, stopped = negotiate(model, search)
    assert len(deals.firms) == 0
    assert stopped[Barrier.PARTNER_CAPACITY_INSUFFICIENT].tolist() == [0, 1]


def test_negotiation_little_say_rate():
    model = negotiation_model("behaviour.dispute_rate=0.0")
    model.smes.bargaining[:] = 0.0
    n = 4000
    search = make_search(firms=np.zeros(n), partner=np.zeros(n), fit=np.ones(n),
                         trust=np.zeros(n))
    deals, _, _, _, stopped = negotiate(model, search)
    # Chance 0.6 * commitment 0.6 * (1 - bargaining 0) = 0.36; binomial standard error
    # sqrt(0.36 * 0.64 / 4000) = 0.0076, tolerance 4.5 of them.
    share = len(stopped[Barrier.LITTLE_SAY]) / n
    assert share == pytest.approx(0.36, abs=0.035)
    assert len(deals.firms) + len(stopped[Barrier.LITTLE_SAY]) == n


def test_negotiation_integrity_rate():
    model = negotiation_model("behaviour.dispute_rate=0.0")
    n = 4000
    search = make_search(firms=np.zeros(n), partner=np.full(n, 2), fit=np.ones(n),
                         trust=np.zeros(n))
    _, _, _, _, stopped = negotiate(model, search)
    # Half of the partners without integrity show it before signing.
    share = len(stopped[Barrier.PARTNER_LACKS_INTEGRITY]) / n
    assert share == pytest.approx(0.5, abs=0.036)


# --------------------------------------------------------------------------------------------
# Outcomes


def outcome_model(*overrides: str) -> IURModel:
    """Four projects with crafted partners and firms, all at the trial stage except one.

    u0: capacity 0.6, maturity 0.4, integrity; u1: the same without integrity;
    u2: capacity 1, maturity 1; u3: capacity 0, maturity 0, no integrity.
    Firm 0 absorptive 0.5, firm 1 absorptive 1, firm 2 absorptive 0.
    """
    model = make_model(*overrides)
    unis = model.universities
    unis.capacity[:] = [0.6, 0.6, 1.0, 0.0]
    unis.maturity[:] = [0.4, 0.4, 1.0, 0.0]
    unis.integrity[:] = [True, False, True, False]
    model.smes.absorptive[:3] = [0.5, 1.0, 0.0]
    model.projects.start(5, sme=np.array([0, 0, 1, 2, 0]), university=np.array([0, 1, 2, 3, 0]),
                         stage=np.array([4, 4, 4, 4, 2]), platform=-1, intermediary=-1,
                         start=0, end=5)
    return model


def test_outcome_probability_hand_values():
    model = outcome_model()
    chance = outcome_probability(model, np.arange(5))
    # 0.2 + 0.35 capacity + 0.3 absorptive + 0.15 maturity, minus 0.45 without integrity:
    # p0 = 0.2 + 0.21 + 0.15 + 0.06 = 0.62; p1 = 0.62 - 0.45 = 0.17;
    # p2 = 0.2 + 0.35 + 0.3 + 0.15 = 1.0, clipped to 0.98; p3 = 0.2 - 0.45, clipped to 0.02.
    np.testing.assert_allclose(chance, [0.62, 0.17, 0.98, 0.02, 0.62])


def test_outcome_probability_shared_labs_trial_bonus():
    model = outcome_model("policy.shared_labs=true")
    chance = outcome_probability(model, np.array([0, 4]))
    # Project 0 is at the trial stage and gains 0.12; project 4 (applied research) does not.
    np.testing.assert_allclose(chance, [0.74, 0.62])


def test_outcome_probability_whole_process_bonus():
    model = outcome_model()
    projects = model.projects
    whole_process = next(p.index for p in model.platforms if p.scope.value == "whole_process")
    matchmaker = next(p.index for p in model.platforms if p.scope.value == "matchmaker")
    rows = projects.start(3, sme=np.zeros(3, dtype=np.int64), university=np.zeros(3),
                          stage=2, platform=np.array([whole_process, whole_process, matchmaker]),
                          managed=np.array([True, False, True]), intermediary=-1,
                          start=0, end=5)
    chance = outcome_probability(model, rows)
    # Only a project the whole-process platform still manages gains 0.05 over 0.62; a
    # bypassed one (not managed) and a matchmaker's do not.
    np.testing.assert_allclose(chance, [0.67, 0.62, 0.62])


def test_failure_barrier_reasons():
    model = outcome_model()
    reasons = failure_barrier(model, np.array([1, 3, 2]))
    # Partner without integrity first; then a firm with absorptive capacity 1 is never the
    # weak side, so a late-stage failure falls on the results.
    assert reasons.tolist() == [BARRIER_INDEX[Barrier.PARTNER_LACKS_INTEGRITY],
                                BARRIER_INDEX[Barrier.PARTNER_LACKS_INTEGRITY],
                                BARRIER_INDEX[Barrier.RESULTS_NOT_INDUSTRIALISABLE]]
    model.universities.integrity[:] = True
    model.smes.absorptive[1] = 0.0
    early = outcome_model()
    early.universities.integrity[:] = True
    early.smes.absorptive[0] = 1.0
    assert failure_barrier(model, np.array([2])).tolist() == [
        BARRIER_INDEX[Barrier.WEAK_ABSORPTION]]
    assert failure_barrier(early, np.array([4])).tolist() == [
        BARRIER_INDEX[Barrier.PARTNER_CAPACITY_INSUFFICIENT]]
