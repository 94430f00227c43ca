"""Technology intermediaries (科技中介): associations, transfer agencies, research institutes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa import Agent

from iursim.chain import IntermediaryKind, ServiceScope

if TYPE_CHECKING:
    from iursim.model import IURModel

__all__ = ["Intermediary", "BASE_PRECISION"]

# Share of candidates an intermediary proposes that match the need's field. Industry
# associations know their members' sector, transfer agencies screen results, government-funded
# industrial research institutes take over outside resources with their own engineers.
BASE_PRECISION = {
    IntermediaryKind.INDUSTRY_ASSOCIATION: 0.5,
    IntermediaryKind.TRANSFER_AGENCY: 0.6,
    IntermediaryKind.INDUSTRIAL_RESEARCH_INSTITUTE: 0.75,
}


class Intermediary(Agent):
    """An intermediary of one region with a service scope, capacity and fee.

    Attributes:
        region: Index of its region.
        kind: Industry association, transfer agency or industrial research institute.
        scope: Matchmaking only (红娘) or whole process (店小二).
        capacity: Firms it can serve per month.
        fee_rate: Fee as a share of the contract value, paid by the firm.
        precision: Probability that a proposed candidate works in the need's field.
        nationwide: Whether it proposes universities of every region.
        served_this_month: Firms served in the current month.
    """

    def __init__(self, model: IURModel, region: int, kind: IntermediaryKind,
                 scope: ServiceScope, capacity: int, fee_rate: float, digital: bool):
        super().__init__(model)
        self.region = region
        self.kind = kind
        self.scope = scope
        self.capacity = capacity
        self.fee_rate = fee_rate
        bonus = 0.1 if scope is ServiceScope.WHOLE_PROCESS else 0.0
        # Digital, clustered technology services share data across the cluster.
        self.precision = min(1.0, BASE_PRECISION[kind] + bonus + (0.15 if digital else 0.0))
        self.nationwide = digital or kind is IntermediaryKind.INDUSTRIAL_RESEARCH_INSTITUTE
        self.served_this_month = 0
        self.deals = 0
