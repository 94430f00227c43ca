"""Government phases: yearly budgets, commissioners, events and role instruments.

The models here have 100 firms split 68 / 20 / 12 over the default regions: capital
(metropolis, guide, funds the public platform), city (industrial city, service provider) and
county (leader, enclave park in the capital).
"""

from __future__ import annotations

import numpy as np
import pytest

from iursim import policy
from iursim.model import IURModel
from iursim.scenario import load_scenario


def make_model(*overrides: str, universities: int = 10) -> IURModel:
    scenario = load_scenario(None, ["population.smes=100",
                                    f"population.universities={universities}",
                                    "population.intermediaries=3", *overrides], seed=2)
    return IURModel(scenario)


def test_renew_budgets_earmarks_in_order():
    model = make_model("regions.0.annual_budget=250")
    model.steps = 1
    policy.renew_budgets(model)
    capital, city, county = model.governments
    # Capital, 68 firms: platform subsidy 12 * 20 * 1 public platform = 240 first, then
    # commissioners 12 * 0.5 * 68 * 4 / 100 = 16.32 (only 10 left), events 5 * 4 = 20 and
    # challenges 10 * 6 = 60 get nothing.
    assert capital.earmarks == pytest.approx({"platform_subsidy": 240.0, "commissioners": 10.0,
                                              "events": 0.0, "open_challenges": 0.0})
    assert list(capital.earmarks) == ["platform_subsidy", "commissioners", "events",
                                      "open_challenges"]
    assert capital.free_budget == 0.0
    # City, 20 firms, budget 800: commissioners 4.8, events 20, research institute 144.
    assert city.earmarks == pytest.approx({"commissioners": 4.8, "events": 20.0,
                                           "research_institute": 144.0})
    assert city.free_budget == pytest.approx(800.0 - 168.8)
    # County, 12 firms, budget 360: commissioners 2.88, events 20, enclave park 12 * 8 = 96.
    assert county.earmarks == pytest.approx({"commissioners": 2.88, "events": 20.0,
                                             "enclave_park": 96.0})
    assert county.free_budget == pytest.approx(360.0 - 118.88)


def test_renew_budgets_only_in_january():
    model = make_model()
    for month, renews in [(1, True), (2, False), (12, False), (13, True), (25, True)]:
        for government in model.governments:
            government.free_budget = -1.0  # a marker the grant overwrites
        model.steps = month
        policy.renew_budgets(model)
        renewed = [government.free_budget >= 0.0 for government in model.governments]
        assert renewed == [renews] * 3, month


def test_dead_public_platform_gets_no_earmark():
    model = make_model()
    model.platforms[3].alive = False
    model.steps = 1
    policy.renew_budgets(model)
    assert model.provincial_government.earmarks["platform_subsidy"] == 0.0


def commissioner_counts(model: IURModel) -> list[int]:
    return [sum(1 for c in model.commissioners if c.government == g.region)
            for g in model.governments]


def test_assign_commissioners_reaches_target():
    model = make_model("policy.commissioners_per_100_smes=10",
                       "policy.smes_per_commissioner=2")
    capability = model.smes.capability.copy()
    policy.assign_commissioners(model)
    # Targets round(10 * firms / 100): capital 6.8 -> 7, city 2, county 1.2 -> 1.
    assert commissioner_counts(model) == [7, 2, 1]
    smes = model.smes
    for commissioner in model.commissioners:
        assert len(commissioner.smes) == 2
        assert len(set(commissioner.smes.tolist())) == 2
        assert (smes.region[commissioner.smes] == commissioner.government).all()
        assert (smes.commissioner[commissioner.smes] == commissioner.slot).all()
        assert commissioner.term_end == model.steps + 24
        assert 0 <= commissioner.home < len(model.universities)
    served = smes.commissioner >= 0
    assert served.sum() == 20
    assert (smes.ever_commissioner == served).all()
    # Training: served firms close 0.3 % of their gap to full capability.
    np.testing.assert_allclose(smes.capability[served],
                               capability[served] + 0.003 * (1 - capability[served]))
    np.testing.assert_array_equal(smes.capability[~served], capability[~served])


def test_assign_commissioners_limited_by_free_firms():
    model = make_model("policy.commissioners_per_100_smes=50",
                       "policy.smes_per_commissioner=20")
    policy.assign_commissioners(model)
    # Targets 34, 10 and 6, but only 68 // 20 = 3, 20 // 20 = 1 and 12 // 20 = 0 full groups.
    assert commissioner_counts(model) == [3, 1, 0]


def test_talent_zone_raises_target():
    model = make_model("policy.commissioners_per_100_smes=10",
                       "policy.smes_per_commissioner=2", "policy.talent_zone=true")
    policy.assign_commissioners(model)
    # round(10 * 1.5 * 68 / 100) = round(10.2) = 10; city round(3.0) = 3; county round(1.8) = 2.
    assert commissioner_counts(model) == [10, 3, 2]


def test_commissioner_term_ends():
    model = make_model("policy.commissioners_per_100_smes=10",
                       "policy.smes_per_commissioner=2", "policy.commissioner_term=3")
    policy.assign_commissioners(model)
    first = list(model.commissioners)
    model.steps = 2
    policy.assign_commissioners(model)
    assert model.commissioners == first
    model.steps = 3
    policy.assign_commissioners(model)
    # Every term ended at month 3; the firms were released and new commissioners assigned.
    assert all(not commissioner.active for commissioner in first)
    assert not set(map(id, first)) & set(map(id, model.commissioners))
    assert commissioner_counts(model) == [7, 2, 1]
    assert all(c.term_end == 6 for c in model.commissioners)
    assert (model.smes.commissioner >= 0).sum() == 20


def test_commissioner_stipends_come_from_earmark():
    model = make_model("policy.commissioners_per_100_smes=10",
                       "policy.smes_per_commissioner=2")
    model.steps = 1
    policy.renew_budgets(model)
    policy.assign_commissioners(model)
    capital = model.governments[0]
    before = capital.earmarks["commissioners"]
    model.steps = 2
    policy.assign_commissioners(model)
    # Seven commissioners at 0.5 a month.
    assert capital.earmarks["commissioners"] == pytest.approx(before - 3.5)
    assert capital.spent["commissioners"] == pytest.approx(3.5)


def test_no_universities_no_commissioners():
    model = make_model("policy.commissioners_per_100_smes=10", universities=0)
    policy.assign_commissioners(model)
    assert model.commissioners == []
    assert (model.smes.commissioner == -1).all()


def test_events_need_budget():
    model = make_model("policy.events_per_year=52")
    for government in model.governments:
        government.free_budget = 0.0
        government.earmarks = {}
    policy.run_events(model)
    assert (model.recent_events == 0).all()
    model.steps = 1
    policy.renew_budgets(model)
    held = 0
    for month in range(1, 7):
        model.steps = month
        policy.run_events(model)
        held = model.event_history.sum()
    # With 52 a year (4.3 a month) over six months the memory holds about 26 events.
    assert held > 0
    np.testing.assert_array_equal(model.recent_events, model.event_history.sum(axis=0))
    spent = sum(government.spent["events"] for government in model.governments)
    assert spent == pytest.approx(5.0 * held)


def test_enclave_park_needs_its_monthly_cost():
    model = make_model()
    county = model.governments[2]
    county.free_budget = 0.0
    county.earmarks = {"enclave_park": 8.0}
    policy.run_instruments(model)
    assert model.enclave_active.tolist() == [False, False, True]
    assert model.takeover_active[2]
    county.earmarks = {"enclave_park": 7.0}
    policy.run_instruments(model)
    # 7 is less than the park's monthly cost of 8, so the park is closed this month.
    assert not model.enclave_active[2]
    assert not model.takeover_active[2]


def test_research_institute_follows_funding():
    model = make_model()
    city = model.governments[1]
    institute = model.research_institutes[1][0]
    city.free_budget = 0.0
    city.earmarks = {"research_institute": 12.0}
    policy.run_instruments(model)
    assert model.takeover_active[1]
    assert institute.active
    policy.run_instruments(model)
    assert not model.takeover_active[1]
    assert not institute.active


def test_guide_runs_special_fund_and_challenges():
    model = make_model("policy.open_challenges_per_year=100")
    capital = model.governments[0]
    capital.free_budget = 1000.0
    capital.earmarks = {}
    policy.run_instruments(model)
    assert model.special_fund_active[0]
    assert model.budget_left[0]
    # A Poisson number with mean 100 / 12 = 8.3: each paid challenge costs 10.
    assert model.challenges_now[0] > 0
    assert capital.spent["open_challenges"] == pytest.approx(10.0 * model.challenges_now[0])
    capital.free_budget = 0.0
    policy.run_instruments(model)
    assert not model.special_fund_active[0]
    assert not model.budget_left[0]
    assert model.challenges_now[0] == 0


def test_unaffordable_instruments_cost_nothing():
    model = make_model()
    city, county = model.governments[1], model.governments[2]
    county.free_budget = 0.0
    county.earmarks = {"enclave_park": 7.0}
    city.free_budget = 0.0
    city.earmarks = {"research_institute": 11.0}
    policy.run_instruments(model)
    # Neither instrument can run on less than its monthly cost (8 and 12), so no money may
    # leave the budget for it.
    assert not model.enclave_active[2]
    assert not model.takeover_active[1]
    assert county.spent["enclave_park"] == 0.0
    assert county.earmarks["enclave_park"] == 7.0
    assert city.spent["research_institute"] == 0.0
    assert city.earmarks["research_institute"] == 11.0


def test_events_and_challenges_paid_whole():
    model = make_model("policy.events_per_year=52", "policy.open_challenges_per_year=100")
    capital = model.governments[0]
    for month in range(1, 13):
        model.steps = month
        for government in model.governments:
            government.free_budget = 12.0
            government.earmarks = {}
            government.spent = dict.fromkeys(government.spent, 0.0)
        policy.run_events(model)
        held = model.event_history[month % policy.EVENT_MEMORY]
        # A budget of 12 pays two events of 5 at most; a third is not half held.
        assert (held <= 2).all()
        for government in model.governments:
            assert government.spent["events"] == pytest.approx(5.0 * held[government.region])
        capital.free_budget = 25.0
        policy.run_instruments(model)
        # 25 pays two challenges of 10; the remaining 5 stays in the budget.
        assert model.challenges_now[0] <= 2
        assert capital.spent["open_challenges"] == pytest.approx(
            10.0 * model.challenges_now[0])
