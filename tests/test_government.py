"""Government budgets: yearly grant, earmarks in order, spending that never exceeds the budget."""

from __future__ import annotations

import pytest

from iursim.agents.government import Government
from iursim.chain import GovernmentRole, RegionType
from iursim.model import IURModel
from iursim.scenario import load_scenario


def make_model(*overrides: str) -> IURModel:
    scenario = load_scenario(None, ["population.smes=20", "population.universities=5",
                                    "population.intermediaries=2", *overrides], seed=1)
    return IURModel(scenario)


def fresh_government(budget: float = 100.0) -> Government:
    government = make_model().governments[0]
    government.annual_budget = budget
    return government


def test_renew_earmarks_in_given_order():
    government = fresh_government(100.0)
    government.renew_budget({"platform_subsidy": 60.0, "commissioners": 60.0, "events": 10.0})
    # 60 fits; the second programme gets the remaining 40; nothing is left for events.
    assert government.earmarks == {"platform_subsidy": 60.0, "commissioners": 40.0,
                                   "events": 0.0}
    assert government.free_budget == 0.0
    assert government.budget == 100.0
    assert government.budget_granted == 100.0


def test_renew_leaves_rest_free():
    government = fresh_government(100.0)
    government.renew_budget({"events": 30.0, "enclave_park": -5.0})
    # A negative commitment reserves nothing.
    assert government.earmarks == {"events": 30.0, "enclave_park": 0.0}
    assert government.free_budget == 70.0


def test_renew_lapses_unspent_budget():
    government = fresh_government(100.0)
    government.renew_budget({"events": 30.0})
    government.spend(10.0, "subsidy")
    government.renew_budget({})
    # Last year's 60 free and 30 earmarked lapse; the new year starts at 100.
    assert government.free_budget == 100.0
    assert government.earmarks == {}
    assert government.budget_granted == 200.0


def test_spend_uses_earmark_then_free_budget():
    government = fresh_government(100.0)
    government.renew_budget({"events": 30.0})
    paid = government.spend(50.0, "events")
    # 30 from the events earmark, 20 from the free 70.
    assert paid == 50.0
    assert government.earmarks["events"] == 0.0
    assert government.free_budget == 50.0
    assert government.spent["events"] == 50.0


def test_spend_never_exceeds_budget():
    government = fresh_government(100.0)
    government.renew_budget({"events": 30.0})
    assert government.spend(80.0, "subsidy") == 70.0
    assert government.free_budget == 0.0
    # The events earmark is not available to subsidies.
    assert government.spend(10.0, "subsidy") == 0.0
    assert government.earmarks["events"] == 30.0
    assert government.spend(45.0, "events") == 30.0
    assert government.budget == 0.0
    assert government.spend(1.0, "events") == 0.0
    assert sum(government.spent.values()) == 100.0
    assert government.spent_this_month == 100.0


def test_spend_negative_amount_pays_nothing():
    government = fresh_government(100.0)
    government.renew_budget({})
    assert government.spend(-5.0, "subsidy") == 0.0
    assert government.free_budget == 100.0


def test_spend_before_first_grant_pays_nothing():
    government = fresh_government(100.0)
    assert government.spend(5.0, "subsidy") == 0.0


def test_roles_follow_region_types():
    model = make_model()
    capital, city, county = model.governments
    assert capital.region_type is RegionType.METROPOLIS
    assert capital.role is GovernmentRole.GUIDE
    assert capital.runs_challenges
    assert not capital.runs_enclave_park
    assert city.role is GovernmentRole.SERVICE_PROVIDER
    assert city.runs_research_institute
    assert county.role is GovernmentRole.LEADER
    assert county.runs_enclave_park
    assert county.enclave_host == 0
    assert model.provincial_government is capital


def test_configured_role_overrides_recommendation():
    model = make_model("regions.1.role=leader")
    city = model.governments[1]
    assert city.role is GovernmentRole.LEADER
    # A leader without a configured host runs its park in the first metropolis.
    assert city.enclave_host == 0


def test_budget_never_negative_after_many_spends():
    government = fresh_government(37.5)
    government.renew_budget({"events": 12.5, "commissioners": 5.0})
    for amount, category in [(3.3, "events"), (20.0, "subsidy"), (9.9, "events"),
                             (4.0, "commissioners"), (7.7, "subsidy"), (2.0, "commissioners")]:
        government.spend(amount, category)
        assert government.free_budget >= 0.0
        assert all(value >= 0.0 for value in government.earmarks.values())
    assert sum(government.spent.values()) == pytest.approx(37.5)
