"""Local governments (地方政府): yearly budget, role and the instruments that go with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa import Agent

from iursim.chain import GovernmentRole, RegionType

if TYPE_CHECKING:
    from iursim.model import IURModel
    from iursim.scenario import RegionConfig

__all__ = ["Government", "SPENDING_CATEGORIES"]

SPENDING_CATEGORIES = ("subsidy", "special_fund", "commissioners", "events", "platform_subsidy",
                       "enclave_park", "research_institute", "open_challenges")

# Monthly running costs of instruments, in 10k CNY. Assumptions documented in docs/ODD.md.
COMMISSIONER_STIPEND = 0.5  # per commissioner per month
EVENT_COST = 5.0  # per matchmaking event
ENCLAVE_PARK_COST = 8.0  # per month
RESEARCH_INSTITUTE_COST = 12.0  # per month
CHALLENGE_COST = 10.0  # per open-competition challenge (prize and organisation)


class Government(Agent):
    """The government of one region; it never spends more than its remaining budget.

    Attributes:
        region: Index of its region.
        name: Region name.
        region_type: Industrial base and innovation resources of the region.
        role: Leader, service provider or guide.
        annual_budget: Budget granted each January, in 10k CNY.
        budget: Budget left this year.
        spent: Spending so far by category.
    """

    def __init__(self, model: IURModel, region: int, config: RegionConfig):
        super().__init__(model)
        self.region = region
        self.name = config.name
        self.region_type: RegionType = config.type
        self.role: GovernmentRole = config.effective_role
        self.annual_budget = config.annual_budget
        self.free_budget = 0.0
        self.earmarks: dict[str, float] = {}
        self.enclave_host: int | None = None
        self.spent = dict.fromkeys(SPENDING_CATEGORIES, 0.0)
        self.spent_this_month = 0.0
        self.budget_granted = 0.0

    def renew_budget(self, commitments: dict[str, float]) -> None:
        """Grant the year's budget and earmark the year's running programmes.

        Unspent money of the past year lapses. ``commitments`` maps a spending category to
        its expected yearly cost; each is earmarked in the order given, as far as the budget
        reaches, and project subsidies draw on what is left. Earmarks keep a running
        programme (a public platform's subsidy, a park) from stopping when subsidies run out.
        """
        self.free_budget = self.annual_budget
        self.earmarks = {}
        for category, amount in commitments.items():
            reserved = min(max(amount, 0.0), self.free_budget)
            self.earmarks[category] = reserved
            self.free_budget -= reserved
        self.budget_granted += self.annual_budget

    @property
    def budget(self) -> float:
        """Budget left this year, earmarks included."""
        return self.free_budget + sum(self.earmarks.values())

    def spend(self, amount: float, category: str) -> float:
        """Pay up to ``amount`` and return what was paid.

        A category's earmark is used first, then the free budget; the government never pays
        more than the budget left.
        """
        wanted = max(amount, 0.0)
        from_earmark = min(wanted, self.earmarks.get(category, 0.0))
        if from_earmark:
            self.earmarks[category] -= from_earmark
        from_free = min(wanted - from_earmark, self.free_budget)
        self.free_budget -= from_free
        paid = from_earmark + from_free
        self.spent[category] += paid
        self.spent_this_month += paid
        return paid

    @property
    def runs_enclave_park(self) -> bool:
        """True for a leader government, which runs an enclave park in a resource-rich city."""
        return self.role is GovernmentRole.LEADER

    @property
    def runs_research_institute(self) -> bool:
        """True for a service provider, which funds an industrial research institute."""
        return self.role is GovernmentRole.SERVICE_PROVIDER

    @property
    def runs_challenges(self) -> bool:
        """True for a guide, which runs a special fund and open-competition challenges."""
        return self.role is GovernmentRole.GUIDE
