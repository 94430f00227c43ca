"""IUR matchmaking platforms (产学研合作智能服务平台): fees, costs, cash, precision."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

from iursim.chain import PlatformOwnership, ServiceScope

if TYPE_CHECKING:
    from iursim.model import IURModel
    from iursim.scenario import PlatformConfig

__all__ = ["Platform"]


class Platform(Agent):
    """A public or private platform with members on both sides.

    SME membership is column ``index`` of the model's ``smes.platform_member``; university
    membership is :attr:`university_member`.

    Attributes:
        index: Position among the model's platforms.
        name: Name from the scenario.
        ownership: Public (government-funded) or private.
        scope: Matchmaker (红娘) or whole process (店小二).
        commission_rate: Share of the contract value due on a deal the platform originated.
        membership_fee: Monthly fee per SME member, in 10k CNY.
        cash: Cash in hand, in 10k CNY; never negative (see :meth:`settle`).
        alive: False from the month it became insolvent.
    """

    def __init__(self, model: IURModel, index: int, config: PlatformConfig):
        super().__init__(model)
        policy = model.config.policy
        economics = model.config.platform_economics
        self.index = index
        self.name = config.name
        self.ownership: PlatformOwnership = config.ownership
        self.scope: ServiceScope = config.scope
        self.commission_rate = (config.commission_rate if config.commission_rate is not None
                                else policy.platform_commission_rate)
        self.membership_fee = (config.membership_fee if config.membership_fee is not None
                               else policy.platform_membership_fee)
        self.cash = economics.initial_cash
        self.alive = True
        self.exit_step: int | None = None
        self.university_member = np.zeros(len(model.universities), dtype=bool)
        self.deals = 0
        self.deals_bypassed = 0
        self.managed_projects = 0
        self.revenue = {"fees": 0.0, "commission": 0.0, "subsidy": 0.0}
        self.costs = 0.0
        self.last_revenue = 0.0
        self.last_costs = 0.0

    @property
    def is_public(self) -> bool:
        """True for a government-funded platform."""
        return self.ownership is PlatformOwnership.PUBLIC

    @property
    def sme_members(self) -> int:
        """Number of SME members."""
        return int(self.model.smes.platform_member[:, self.index].sum())

    @property
    def university_members(self) -> int:
        """Number of university and institute members."""
        return int(self.university_member.sum())

    def precision(self) -> float:
        """Probability that a recommended university works in the need's field.

        Precision rises with members on both sides and with accumulated deal data (network
        effects), saturating at ``precision_base + precision_gain``.
        """
        economics = self.model.config.platform_economics
        members = self.sme_members + self.university_members
        network = members / (members + economics.precision_half_members)
        data = self.deals / (self.deals + 50.0)
        return min(1.0, economics.precision_base
                   + economics.precision_gain * (0.7 * network + 0.3 * data))

    def retention(self) -> float:
        """Value of post-match services that keeps a matched pair on the platform, 0-1."""
        economics = self.model.config.platform_economics
        if self.scope is ServiceScope.WHOLE_PROCESS:
            return economics.whole_process_retention
        return economics.matchmaker_retention

    def bypass_probability(self) -> float:
        """Chance that a pair this platform introduced bypasses its commission.

        The chance rises with the commission rate, saturating at ``bypass_base`` (half of it
        at ``bypass_half_rate``), and falls with the retention value of post-match services.
        Gu and Zhu (2021) find that trust raises both matches and bypassing, so tie trust is
        added by the caller.

        References:
            Gu, G. and Zhu, F. (2021). Trust and disintermediation: evidence from an online
            freelance marketplace. Management Science 67(2), 794-807.
        """
        if self.commission_rate <= 0.0:
            return 0.0
        economics = self.model.config.platform_economics
        pull = self.commission_rate / (self.commission_rate + economics.bypass_half_rate)
        return economics.bypass_base * pull * (1.0 - self.retention())
