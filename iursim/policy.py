"""Government phases: budgets, commissioners, events and the role-specific instruments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from iursim.agents.commissioner import Commissioner
from iursim.agents.government import (
    CHALLENGE_COST,
    COMMISSIONER_STIPEND,
    ENCLAVE_PARK_COST,
    EVENT_COST,
    RESEARCH_INSTITUTE_COST,
    Government,
)

if TYPE_CHECKING:
    from iursim.model import IURModel

__all__ = ["assign_commissioners", "renew_budgets", "run_events", "run_instruments"]

# Commissioner training: monthly capability gain, as a share of the gap to full capability.
COMMISSIONER_TRAINING = 0.003
# Months over which government events stay in firms' memory as a channel.
EVENT_MEMORY = 6
# A talent special zone raises researcher mobility: more commissioners per 100 SMEs.
TALENT_ZONE_COMMISSIONER_FACTOR = 1.5


def renew_budgets(model: IURModel) -> None:
    """Grant every government its yearly budget in the first month of each year.

    Running programmes are earmarked first, in this order: the public platforms' subsidy
    (provincial government only), commissioners' stipends at the target count, events, the
    role's instrument. Project subsidies draw on the rest.
    """
    # Mesa counts steps from 1 inside a step, so months 1, 13, 25, ... open a year.
    if (model.steps - 1) % 12 != 0:
        return
    policy = model.config.policy
    factor = TALENT_ZONE_COMMISSIONER_FACTOR if policy.talent_zone else 1.0
    public = sum(1 for platform in model.platforms if platform.is_public and platform.alive)
    for government in model.governments:
        firms = int((model.smes.alive & (model.smes.region == government.region)).sum())
        commitments: dict[str, float] = {}
        if government is model.provincial_government:
            commitments["platform_subsidy"] = 12 * policy.public_platform_subsidy * public
        commitments["commissioners"] = (12 * COMMISSIONER_STIPEND * factor * firms
                                        * policy.commissioners_per_100_smes / 100.0)
        commitments["events"] = EVENT_COST * policy.events_per_year
        if government.runs_enclave_park and government.enclave_host is not None:
            commitments["enclave_park"] = 12 * ENCLAVE_PARK_COST
        if government.runs_research_institute:
            commitments["research_institute"] = 12 * RESEARCH_INSTITUTE_COST
        if government.runs_challenges:
            commitments["open_challenges"] = CHALLENGE_COST * policy.open_challenges_per_year
        government.renew_budget(commitments)


def assign_commissioners(model: IURModel) -> None:
    """End finished terms, pay stipends, and assign new commissioners up to the target.

    The target of a region is ``commissioners_per_100_smes`` per 100 live firms (times 1.5 in
    a talent special zone). Each new commissioner serves ``smes_per_commissioner`` firms of
    the region without one, drawn at random, for ``commissioner_term`` months; the home
    university is drawn from those the region's firms can reach, preferring the first firm's
    field. Stipends come from the commissioners' earmark; unpaid commissioners still serve.
    """
    smes = model.smes
    policy = model.config.policy
    rng = model.rng
    retiring = [c for c in model.commissioners
                if c.term_end <= model.steps or not len(model.universities)]
    if retiring:
        firms = np.concatenate([c.smes for c in retiring])
        slots = np.repeat([c.slot for c in retiring], [len(c.smes) for c in retiring])
        served = firms[smes.commissioner[firms] == slots]
        smes.commissioner[served] = -1
        model.retire_commissioners(retiring)
    active_by_region = np.bincount(
        np.array([c.government for c in model.commissioners], dtype=np.int64),
        minlength=len(model.governments))
    for government in model.governments:
        active = int(active_by_region[government.region])
        if active:
            government.spend(COMMISSIONER_STIPEND * active, "commissioners")
    if not len(model.universities):
        return
    factor = TALENT_ZONE_COMMISSIONER_FACTOR if policy.talent_zone else 1.0
    for government in model.governments:
        region = government.region
        firms = np.flatnonzero(smes.alive & (smes.region == region))
        target = int(round(policy.commissioners_per_100_smes * factor * len(firms) / 100.0))
        active = int(active_by_region[region])
        free = firms[smes.commissioner[firms] < 0]
        wanted = min(target - active, len(free) // policy.smes_per_commissioner)
        if wanted <= 0:
            continue
        chosen = rng.permutation(free)[: wanted * policy.smes_per_commissioner]
        groups = chosen.reshape(wanted, policy.smes_per_commissioner)
        reach, pools = model.regional_reach(np.full(wanted, region))
        for group, pool_index in zip(groups, reach.tolist(), strict=True):
            regions = pools[pool_index]
            field = int(smes.sector[group[0]])
            pool = model.universities.pool(regions, field)
            if not len(pool):
                pool = model.universities.pool(regions)
            if not len(pool):
                pool = model.universities.pool(())
            home = int(pool[rng.integers(0, len(pool))])
            model.add_commissioner(Commissioner(model, region, home, group,
                                                model.steps + policy.commissioner_term))
    served = smes.commissioner >= 0
    smes.ever_commissioner |= served
    smes.capability[served] += COMMISSIONER_TRAINING * (1.0 - smes.capability[served])


def _whole_units(government: Government, unit_cost: float, requested: int,
                 category: str) -> int:
    """Return how many of ``requested`` units at ``unit_cost`` the budget pays in full."""
    if unit_cost <= 0:
        return requested
    available = government.earmarks.get(category, 0.0) + government.free_budget
    return min(requested, int(available // unit_cost))


def run_events(model: IURModel) -> None:
    """Hold this month's government IUR matchmaking events (a Poisson number per region).

    A government holds only the events its budget pays in full, so nothing is spent on an
    event it cannot afford.
    """
    policy = model.config.policy
    held = model.rng.poisson(policy.events_per_year / 12.0, size=len(model.governments))
    for government, count in zip(model.governments, held.tolist(), strict=True):
        affordable = _whole_units(government, EVENT_COST, count, "events")
        government.spend(EVENT_COST * affordable, "events")
        held[government.region] = affordable
    model.event_history[model.steps % EVENT_MEMORY] = held
    model.recent_events[:] = model.event_history.sum(axis=0)


def run_instruments(model: IURModel) -> None:
    """Fund each government's role instruments for the month, if its budget allows.

    Leaders pay for the enclave park, service providers for the industrial research
    institute, guides for open-competition challenges (a Poisson number). An instrument the
    budget cannot pay in full is inactive this month and costs nothing. Subsidies are paid
    when deals close.
    """
    policy = model.config.policy
    model.takeover_active[:] = False
    model.enclave_active[:] = False
    model.special_fund_active[:] = False
    model.challenges_now[:] = 0
    for government in model.governments:
        region = government.region
        if government.runs_enclave_park and government.enclave_host is not None:
            if _whole_units(government, ENCLAVE_PARK_COST, 1, "enclave_park"):
                government.spend(ENCLAVE_PARK_COST, "enclave_park")
                model.enclave_active[region] = True
                model.takeover_active[region] = True
        if government.runs_research_institute:
            funded = _whole_units(government, RESEARCH_INSTITUTE_COST, 1, "research_institute")
            if funded:
                government.spend(RESEARCH_INSTITUTE_COST, "research_institute")
            model.takeover_active[region] = bool(funded)
            for intermediary in model.research_institutes.get(region, []):
                intermediary.active = bool(model.takeover_active[region])
        if government.runs_challenges:
            model.special_fund_active[region] = government.free_budget > 0
            count = int(model.rng.poisson(policy.open_challenges_per_year / 12.0))
            count = _whole_units(government, CHALLENGE_COST, count, "open_challenges")
            government.spend(CHALLENGE_COST * count, "open_challenges")
            model.challenges_now[region] = count
    budgets = np.array([g.free_budget for g in model.governments])
    model.budget_left[:] = budgets > 0
