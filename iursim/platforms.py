"""Platform economics: membership, fees, commissions, costs, subsidy, bypassing and exit.

Revenue is membership fees plus commission on deals a platform originated; a matched pair may
bypass the commission (disintermediation). Costs are a fixed monthly amount plus amounts per
member and per managed project. A platform whose cash would fall below zero after a month's
settlement is insolvent and exits. Its remaining deficit is written off, so recorded cash never
goes negative. Public platforms receive a monthly subsidy from the provincial government.

References:
    Heinrich, T. and Graebner, C. Agent-based two-sided markets with per-side subscription and
    per-transaction fees and per-period, per-customer and per-transaction costs
    (graebnerc/Beyond_Equilibrium). Membership responds to expected value net of fees, with
    network effects from the other side's size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from iursim.chain import ServiceScope

if TYPE_CHECKING:
    from iursim.agents.platform import Platform
    from iursim.model import IURModel

__all__ = ["expected_member_value", "settle_platforms", "update_membership"]

# Value of one month's membership to an SME, in 10k CNY, at full precision and a large
# university side: the worth of a well-targeted introduction spread over a firm's months of
# membership. Whole-process service is worth more to firms (the survey's 店小二 wish).
MEMBER_VALUE_SCALE = 0.25
SCOPE_VALUE = {ServiceScope.MATCHMAKER: 0.7, ServiceScope.WHOLE_PROCESS: 1.0}
# Visibility of government-run platforms relative to private ones (the survey finds them
# little known and little used).
PUBLIC_VISIBILITY = 0.4
# Monthly churn of members who still see value.
BASE_CHURN = 0.01
# University side: half the universities join a platform when it has this many SME members.
UNIVERSITY_HALF_SMES = 150.0


def expected_member_value(platform: Platform) -> float:
    """Expected monthly value of membership to an SME, before fees (10k CNY)."""
    universities = platform.university_members
    side = universities / (universities + 10.0)
    return MEMBER_VALUE_SCALE * platform.precision() * side * SCOPE_VALUE[platform.scope]


def update_membership(model: IURModel) -> None:
    """Let firms and universities join or leave each live platform.

    A non-member that can pay the fee joins with chance
    ``join_rate * max(0, 1 - fee / value)``; a member leaves with chance
    ``leave_rate * max(0, 1 - value / fee)`` plus a base churn, or at once when it cannot pay
    the fee. Universities pay ``university_fee_share`` of the fee and join as the SME side
    grows.
    """
    smes = model.smes
    rng = model.rng
    economics = model.config.platform_economics
    alive_firms = smes.alive
    for platform in model.platforms:
        if not platform.alive:
            continue
        column = platform.index
        fee = platform.membership_fee
        value = expected_member_value(platform)
        visibility = PUBLIC_VISIBILITY if platform.is_public else 1.0
        join = economics.join_rate * visibility * max(0.0, 1.0 - fee / value) if value > 0 else 0
        leave = BASE_CHURN + (economics.leave_rate * max(0.0, 1.0 - value / fee) if fee > 0
                              else 0.0)
        # A contiguous copy of the membership column: the column itself is strided.
        members = smes.platform_member[:, column].copy()
        funds = smes.funds
        cannot_pay = funds < fee
        draw = rng.random(len(members))
        joins = alive_firms & ~members & (draw < join) & (funds >= fee)
        leaves = members & ((draw < leave) | cannot_pay)
        members = (members | joins) & ~leaves & alive_firms
        smes.platform_member[:, column] = members
        sme_members = int(np.count_nonzero(members))
        fees = fee * float(sme_members)
        funds[members] -= fee

        university_value = sme_members / (sme_members + UNIVERSITY_HALF_SMES)
        university_fee = fee * economics.university_fee_share
        u_members = platform.university_member
        u_draw = rng.random(len(u_members))
        u_join = economics.join_rate * visibility * university_value * (
            1.0 if university_fee <= 0 else max(0.0, 1.0 - university_fee / MEMBER_VALUE_SCALE))
        u_joins = ~u_members & (u_draw < u_join)
        u_leaves = u_members & (u_draw < BASE_CHURN * 0.5)
        platform.university_member = (u_members | u_joins) & ~u_leaves
        fees += university_fee * platform.university_members
        platform.cash += fees
        platform.revenue["fees"] += fees
        platform.last_revenue = fees


def settle_platforms(model: IURModel) -> None:
    """Pay each live platform's costs and subsidy; exit the insolvent ones.

    Runs after :func:`update_membership`, which books this month's fees. Commission on deals
    is booked when projects finish (see the model's ``finish_projects``).
    """
    economics = model.config.platform_economics
    policy = model.config.policy
    for platform in model.platforms:
        if not platform.alive:
            continue
        members = platform.sme_members + platform.university_members
        per_project = economics.cost_per_project * (
            economics.whole_process_cost_factor if platform.scope is ServiceScope.WHOLE_PROCESS
            else 1.0)
        costs = (economics.fixed_cost + economics.cost_per_member * members
                 + per_project * platform.managed_projects)
        if platform.is_public and policy.public_platform_subsidy > 0:
            paid = model.provincial_government.spend(policy.public_platform_subsidy,
                                                     "platform_subsidy")
            platform.cash += paid
            platform.revenue["subsidy"] += paid
        platform.costs += costs
        platform.last_costs = costs
        platform.cash -= costs
        if platform.cash < 0.0:
            exit_platform(model, platform)


def exit_platform(model: IURModel, platform: Platform) -> None:
    """Close an insolvent platform: write off its deficit and release its members."""
    platform.alive = False
    platform.exit_step = model.steps
    platform.cash = 0.0
    model.smes.platform_member[:, platform.index] = False
    platform.university_member[:] = False
    platform.managed_projects = 0
    running = model.projects.running_rows
    managed = running[model.projects.platform[running] == platform.index]
    model.projects.managed[managed] = False


def book_commission(model: IURModel, rows: np.ndarray) -> None:
    """Pay commission on finished projects a live platform originated and still manages."""
    projects = model.projects
    due = rows[(projects.platform[rows] >= 0) & ~projects.bypassed[rows]]
    platform_of = projects.platform[due]
    for index in np.unique(platform_of).tolist():
        mine = due[platform_of == index]
        platform = model.platforms[index]
        managed = int(projects.managed[mine].sum())
        platform.managed_projects = max(platform.managed_projects - managed, 0)
        if not platform.alive:
            continue
        amounts = platform.commission_rate * projects.cost[mine]
        # add.accumulate adds left to right, one deal after another, so the totals equal
        # those of a loop over the deals to the last bit.
        platform.cash = float(np.add.accumulate(np.r_[platform.cash, amounts])[-1])
        platform.revenue["commission"] = float(
            np.add.accumulate(np.r_[platform.revenue["commission"], amounts])[-1])
