"""Platform economics: bypassing, precision, membership, costs, subsidy, exit, commission.

The default scenario has four platforms: 0 and 1 private matchmakers, 2 a private
whole-process platform, 3 a public matchmaker without fee or commission.
"""

from __future__ import annotations

import numpy as np
import pytest

from iursim.model import IURModel
from iursim.platforms import (
    book_commission,
    expected_member_value,
    settle_platforms,
    update_membership,
)
from iursim.scenario import load_scenario


def make_model(*overrides: str, smes: int = 20, universities: int = 12) -> IURModel:
    scenario = load_scenario(None, [f"population.smes={smes}",
                                    f"population.universities={universities}",
                                    "population.intermediaries=2", *overrides], seed=9)
    return IURModel(scenario)


def set_members(model: IURModel, index: int, smes: int, universities: int) -> None:
    model.smes.platform_member[:, index] = False
    model.smes.platform_member[:smes, index] = True
    platform = model.platforms[index]
    platform.university_member[:] = False
    platform.university_member[:universities] = True


def test_bypass_probability_by_scope():
    model = make_model()
    matchmaker, whole_process, public = (model.platforms[0], model.platforms[2],
                                         model.platforms[3])
    # pull = 0.08 / (0.08 + 0.05) = 0.6154; chance = 0.6 * pull * (1 - retention).
    # Matchmaker retention 0.15: 0.6 * 0.6154 * 0.85 = 0.3138.
    # Whole-process retention 0.7: 0.6 * 0.6154 * 0.3 = 0.1108.
    assert matchmaker.bypass_probability() == pytest.approx(0.6 * 0.08 / 0.13 * 0.85)
    assert whole_process.bypass_probability() == pytest.approx(0.6 * 0.08 / 0.13 * 0.3)
    assert public.bypass_probability() == 0.0


def test_bypass_probability_rises_with_commission():
    chances = []
    for rate in (0.01, 0.05, 0.2, 0.5):
        model = make_model(f"policy.platform_commission_rate={rate}")
        chances.append(model.platforms[0].bypass_probability())
    assert chances == sorted(chances)
    # At the half rate 0.05 the pull is one half: 0.6 * 0.5 * 0.85 = 0.255.
    assert chances[1] == pytest.approx(0.255)
    assert chances[-1] < 0.6


def test_precision_formula():
    model = make_model("platform_economics.precision_half_members=10")
    platform = model.platforms[0]
    set_members(model, 0, smes=6, universities=4)
    platform.deals = 50
    # members 10 -> network 10 / (10 + 10) = 0.5; deals 50 -> data 50 / (50 + 50) = 0.5;
    # precision = 0.35 + 0.4 * (0.7 * 0.5 + 0.3 * 0.5) = 0.55.
    assert platform.precision() == pytest.approx(0.55)
    set_members(model, 0, smes=0, universities=0)
    platform.deals = 0
    assert platform.precision() == pytest.approx(0.35)


def test_precision_saturates_at_one():
    model = make_model("platform_economics.precision_base=0.9",
                       "platform_economics.precision_gain=1.0",
                       "platform_economics.precision_half_members=10")
    set_members(model, 0, smes=6, universities=4)
    model.platforms[0].deals = 50
    # 0.9 + 1.0 * 0.5 = 1.4, capped at 1.
    assert model.platforms[0].precision() == 1.0


def test_expected_member_value_formula():
    model = make_model()
    set_members(model, 0, smes=5, universities=10)
    platform = model.platforms[0]
    # 0.25 * precision * 10 / (10 + 10) * 0.7 for a matchmaker.
    assert expected_member_value(platform) == pytest.approx(
        0.25 * platform.precision() * 0.5 * 0.7)
    set_members(model, 0, smes=5, universities=0)
    assert expected_member_value(platform) == 0.0


def test_zero_fee_lets_every_live_firm_join():
    model = make_model("platforms.0.membership_fee=0.0", "platform_economics.join_rate=1.0")
    set_members(model, 0, smes=0, universities=6)
    model.smes.alive[:3] = False
    cash = model.platforms[0].cash
    update_membership(model)
    # join = join_rate 1 * visibility 1 * (1 - 0 / value) = 1 for every live non-member.
    members = model.smes.platform_member[:, 0]
    assert members[3:].all()
    assert not members[:3].any()
    assert model.platforms[0].cash == cash


def test_no_university_members_no_joins():
    model = make_model("platforms.0.membership_fee=0.0", "platform_economics.join_rate=1.0")
    set_members(model, 0, smes=0, universities=0)
    update_membership(model)
    # The value of membership is 0 without universities, so no firm joins.
    assert not model.smes.platform_member[:, 0].any()


def test_fee_above_value_empties_platform():
    model = make_model("platforms.0.membership_fee=50.0", "platform_economics.join_rate=1.0",
                       "platform_economics.leave_rate=1.0")
    set_members(model, 0, smes=10, universities=6)
    model.smes.funds[:] = 1000.0
    update_membership(model)
    # value <= 0.25 << fee 50: join = max(0, 1 - 50 / value) = 0, and
    # leave = 0.01 + 1.0 * (1 - value / 50) >= 1.005, so every member leaves.
    assert not model.smes.platform_member[:, 0].any()
    assert model.platforms[0].last_revenue == 0.0


def test_members_pay_fee_or_leave():
    model = make_model("platforms.0.membership_fee=1.0", "platform_economics.join_rate=0.0",
                       "platform_economics.leave_rate=0.0")
    set_members(model, 0, smes=8, universities=6)
    smes = model.smes
    # Founding members of the other platforms would pay those platforms' fees too.
    smes.platform_member[:, 1:] = False
    smes.funds[:] = 10.0
    smes.funds[0] = 0.5
    cash = model.platforms[0].cash
    update_membership(model)
    members = smes.platform_member[:, 0]
    # Firm 0 cannot pay the fee of 1 and leaves; the rest stay unless the 1 % churn hits.
    assert not members[0]
    assert not members[8:].any()
    np.testing.assert_allclose(smes.funds[members], 9.0)
    np.testing.assert_allclose(smes.funds[~members], np.where(np.arange(20)[~members] == 0,
                                                              0.5, 10.0))
    assert model.platforms[0].cash == pytest.approx(cash + members.sum())
    assert model.platforms[0].revenue["fees"] == pytest.approx(members.sum())


def test_firm_that_cannot_pay_does_not_join():
    model = make_model("platforms.2.membership_fee=0.05", "platform_economics.join_rate=1.0",
                       "platform_economics.precision_base=1.0",
                       "platform_economics.leave_rate=0.0", universities=100)
    set_members(model, 2, smes=0, universities=100)
    smes = model.smes
    smes.funds[:] = 0.01
    smes.funds[10:] = 10.0
    update_membership(model)
    # Whole-process value = 0.25 * precision 1 * 100 / 110 * 1.0 = 0.227 > fee 0.05, so
    # join = 1 - 0.05 / 0.227 = 0.78 for a firm that can pay. Firms with funds 0.01 cannot
    # pay the fee and must stay out rather than run into debt.
    members = smes.platform_member[:, 2]
    assert not members[:10].any()
    assert members[10:].any()
    assert (smes.funds >= 0.0).all()


def test_dead_platform_keeps_no_members():
    model = make_model("platform_economics.join_rate=1.0")
    model.platforms[0].alive = False
    set_members(model, 0, smes=0, universities=0)
    update_membership(model)
    assert not model.smes.platform_member[:, 0].any()


def test_settle_costs_whole_process():
    model = make_model()
    platform = model.platforms[2]
    set_members(model, 2, smes=10, universities=5)
    platform.managed_projects = 2
    platform.cash = 100.0
    settle_platforms(model)
    # fixed 6 + per member 0.01 * 15 + per project 0.3 * whole-process factor 2 * 2 = 7.35.
    assert platform.last_costs == pytest.approx(7.35)
    assert platform.cash == pytest.approx(92.65)
    assert platform.costs == pytest.approx(7.35)
    assert platform.alive


def test_settle_public_subsidy_from_province():
    model = make_model()
    public = model.platforms[3]
    set_members(model, 3, smes=0, universities=0)
    public.cash = 100.0
    province = model.provincial_government
    province.free_budget = 0.0
    province.earmarks = {"platform_subsidy": 20.0}
    settle_platforms(model)
    # Subsidy 20 in, fixed cost 6 out: 100 + 20 - 6 = 114.
    assert public.cash == pytest.approx(114.0)
    assert public.revenue["subsidy"] == pytest.approx(20.0)
    assert province.budget == 0.0
    assert province.spent["platform_subsidy"] == pytest.approx(20.0)


def test_settle_public_without_budget_gets_nothing():
    model = make_model()
    public = model.platforms[3]
    set_members(model, 3, smes=0, universities=0)
    public.cash = 100.0
    for government in model.governments:
        government.free_budget = 0.0
        government.earmarks = {}
    settle_platforms(model)
    assert public.cash == pytest.approx(94.0)
    assert public.revenue["subsidy"] == 0.0


def test_settle_exact_cash_survives():
    model = make_model()
    platform = model.platforms[0]
    set_members(model, 0, smes=0, universities=0)
    platform.managed_projects = 0
    platform.cash = 6.0
    settle_platforms(model)
    # Cash 6 minus fixed cost 6 is 0: not below zero, so the platform stays.
    assert platform.alive
    assert platform.cash == 0.0


def test_insolvent_platform_exits():
    model = make_model()
    model.steps = 17
    platform = model.platforms[0]
    set_members(model, 0, smes=10, universities=5)
    platform.cash = 5.0
    platform.managed_projects = 1
    model.projects.start(2, sme=np.array([0, 1]), university=np.array([0, 1]),
                         platform=np.array([0, 1]), managed=True, start=10, end=30)
    settle_platforms(model)
    # Costs 6 + 0.15 + 0.3 = 6.45 exceed cash 5: the deficit is written off.
    assert not platform.alive
    assert platform.exit_step == 17
    assert platform.cash == 0.0
    assert not model.smes.platform_member[:, 0].any()
    assert not platform.university_member.any()
    assert platform.managed_projects == 0
    assert model.projects.managed.tolist() == [False, True]
    # A dead platform pays no more costs.
    costs = platform.costs
    settle_platforms(model)
    assert platform.costs == costs
    assert platform.cash == 0.0


def test_book_commission():
    model = make_model()
    first, second = model.platforms[0], model.platforms[1]
    first.cash = second.cash = 10.0
    first.managed_projects = 1
    second.managed_projects = 1
    second.alive = False
    rows = model.projects.start(
        4, sme=np.arange(4), university=np.arange(4), platform=np.array([0, 0, 1, -1]),
        managed=np.array([True, False, True, False]),
        bypassed=np.array([False, True, False, False]), cost=100.0, start=0, end=5)
    book_commission(model, rows)
    # Project 0: 0.08 * 100 = 8 to platform 0. Project 1 bypassed it. Project 2's platform
    # is dead: no commission, but its managed count drops. Project 3 had no platform.
    assert first.cash == pytest.approx(18.0)
    assert first.revenue["commission"] == pytest.approx(8.0)
    assert first.managed_projects == 0
    assert second.cash == 10.0
    assert second.managed_projects == 0


def test_platform_exit_follows_costs():
    cheap = make_model("platform_economics.fixed_cost=0.0",
                       "platform_economics.cost_per_member=0.0",
                       "platform_economics.cost_per_project=0.0", smes=200)
    dear = make_model("platform_economics.fixed_cost=10000.0", smes=200)
    for _ in range(3):
        cheap.step()
        dear.step()
    # Without costs no platform can become insolvent; a monthly cost of 10,000 exceeds the
    # initial cash of 120 plus any month's income, so all four exit in month 1.
    assert all(platform.alive for platform in cheap.platforms)
    assert [platform.exit_step for platform in dear.platforms] == [1, 1, 1, 1]
