"""The IUR network model: builds the population and runs each month's phases in order.

Month order (one step = one month):

1. Governments: renew budgets (January), assign commissioners, hold events, fund instruments.
2. Platforms: update membership and collect fees, pay costs and receive subsidy, exit when
   insolvent.
3. SMEs: form needs, articulate them, search their channels, evaluate candidates, choose a
   form, negotiate; deals close and subsidies are paid.
4. Projects: finish those due, with success or failure, learning, tie and trust updates and
   platform commission; idle ties and capabilities decay.
5. Population: academic spin-offs (integrated cycle), firm exit and entry when enabled,
   yearly path review.
6. Reporters record the month.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from iursim import metrics, network, policy
from iursim.agents.commissioner import Commissioner
from iursim.agents.government import Government
from iursim.agents.intermediary import Intermediary
from iursim.agents.platform import Platform
from iursim.agents.sme import PATHS, SME, SME_COLUMNS, classify_strength, draw_smes
from iursim.agents.university import University, UniversityTable
from iursim.barriers import record_barrier
from iursim.chain import (
    BARRIERS,
    CHANNELS,
    FORMS,
    Barrier,
    Channel,
    CooperationForm,
    IntermediaryKind,
    Path,
    RegionType,
    ServiceScope,
    Stage,
)
from iursim.columns import Columns
from iursim.matching import CHALLENGE_NEEDS, CHANNEL_INDEX, Search, search_partners
from iursim.platforms import book_commission, settle_platforms, update_membership
from iursim.projects import (
    FORM,
    FORM_INDEX,
    ProjectStatus,
    ProjectTable,
    TieTable,
    failure_barrier,
    negotiate,
    outcome_probability,
    project_stage,
)
from iursim.scenario import Scenario
from iursim.survey import SECTORS, load_survey

__all__ = ["IURModel", "MonthCounters"]

logger = logging.getLogger(__name__)

# Fee of intermediaries as a share of contract value, by scope; digital clustered services
# charge less.
INTERMEDIARY_FEE = {ServiceScope.MATCHMAKER: 0.03, ServiceScope.WHOLE_PROCESS: 0.06}
DIGITAL_FEE_FACTOR = 0.6
# Spin-off output and capability: a founder brings the home university's results.
SPINOFF_CAPABILITY = (0.4, 0.3)
TALENT_ZONE_SPINOFF_FACTOR = 3.0
# Learning from a successful project, as shares of the gap to full capability, per unit of
# form depth (SKIN: knowledge gained from partners).
ABSORPTIVE_LEARNING_SHARE = 0.5
# Monthly exit hazard factor of firms when entry and exit are enabled: low capability exits
# first.
EXIT_CAPABILITY_WEIGHT = 2.0


@dataclass
class MonthCounters:
    """Flows of the current month, reset at its start."""

    needs: int = 0
    searches: int = 0
    started: int = 0
    completed: int = 0
    succeeded: int = 0
    failed_attempts: int = 0
    subsidy: float = 0.0
    platform_deals: int = 0
    platform_bypassed: int = 0
    spinoffs: int = 0
    entries: int = 0
    exits: int = 0
    channel_searches: np.ndarray = field(default_factory=lambda: np.zeros(len(CHANNELS),
                                                                          dtype=np.int64))


def _arrival_rank(choice: np.ndarray) -> np.ndarray:
    """Rank of each entry among the earlier entries with the same value (0 for the first)."""
    order = np.argsort(choice, kind="stable")
    ordered = choice[order]
    group_start = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[group_start, len(choice)])
    rank = np.empty(len(choice), dtype=np.int64)
    rank[order] = np.arange(len(choice)) - np.repeat(group_start, sizes)
    return rank


class IURModel(mesa.Model):
    """Agent-based model of SME collaboration with universities and research institutes.

    Args:
        scenario: Every parameter of the run; ``scenario.run.seed`` seeds the one generator
            (``self.rng``) behind every random draw.

    Attributes:
        smes: Columns of all firms ever created (rows of exited firms stay, ``alive`` False).
        universities: Columns of universities and research institutes.
        projects: Every project of the run.
        ties: Firm-university ties.
        governments: One per region, in scenario order.
        intermediaries: Every intermediary, including government research institutes.
        platforms: Every platform, alive or not.
        commissioners: Commissioners currently assigned.
    """

    def __init__(self, scenario: Scenario | None = None) -> None:
        scenario = scenario or Scenario()
        super().__init__(rng=scenario.run.seed)
        self.config = scenario
        self.n_fields = len(SECTORS)
        self.month = MonthCounters()
        self.totals: dict[str, float] = dict.fromkeys(
            ("started", "completed", "succeeded", "failed", "subsidy", "platform_deals",
             "platform_bypassed", "spinoffs", "searches", "needs", "failed_attempts"), 0.0)
        self.barrier_counts = np.zeros(len(BARRIERS), dtype=np.int64)
        self.channel_totals = np.zeros(len(CHANNELS), dtype=np.int64)
        self.form_counts = np.zeros(len(FORMS), dtype=np.int64)

        self._build_regions()
        self._build_universities()
        self._build_smes()
        self._build_intermediaries()
        self._build_platforms()
        self.projects = ProjectTable()
        self.ties = TieTable(len(self.universities))
        self.commissioners: list[Commissioner] = []
        self._commissioner_home: list[int] = []
        self.datacollector = mesa.DataCollector(model_reporters=metrics.MODEL_REPORTERS)
        self.datacollector.collect(self)

    # ----------------------------------------------------------------------------------
    # Building the population

    def _build_regions(self) -> None:
        regions = self.config.regions
        names = [region.name for region in regions]
        self.region_names = names
        self.region_types = [region.type.value for region in regions]
        self.governments = [Government(self, i, config) for i, config in enumerate(regions)]
        metropolises = [i for i, region in enumerate(regions)
                        if region.type is RegionType.METROPOLIS]
        for government, config in zip(self.governments, regions, strict=True):
            if config.enclave_host is not None:
                government.enclave_host = names.index(config.enclave_host)
            elif government.runs_enclave_park:
                hosts = [i for i in metropolises if i != government.region]
                government.enclave_host = hosts[0] if hosts else None
        # The government that funds public platforms: the first metropolis, else region 0.
        self.provincial_government = self.governments[metropolises[0] if metropolises else 0]
        n_regions = len(regions)
        self.event_history = np.zeros((policy.EVENT_MEMORY, n_regions), dtype=np.int64)
        self.recent_events = np.zeros(n_regions, dtype=np.int64)
        self.takeover_active = np.zeros(n_regions, dtype=bool)
        self.enclave_active = np.zeros(n_regions, dtype=bool)
        self.special_fund_active = np.zeros(n_regions, dtype=bool)
        self.challenges_now = np.zeros(n_regions, dtype=np.int64)
        self.budget_left = np.ones(n_regions, dtype=bool)
        # Reach pools: one per region alone, one per region with its enclave host, and one
        # for every region (nationwide services).
        self._pools: list[tuple[int, ...]] = [(i,) for i in range(n_regions)]
        self._pools += [(i, g.enclave_host) if g.enclave_host is not None else (i,)
                        for i, g in enumerate(self.governments)]
        self._pools.append(())
        self.nationwide_pool = len(self._pools) - 1

    def _split(self, total: int, shares: list[float]) -> np.ndarray:
        """Region of each of ``total`` agents: largest-remainder split by ``shares``."""
        shares_array = np.asarray(shares, dtype=float)
        exact = shares_array * total
        counts = np.floor(exact).astype(int)
        remainder = total - counts.sum()
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:remainder]] += 1
        return np.repeat(np.arange(len(shares)), counts).astype(np.int16)

    def _build_universities(self) -> None:
        regions = self.config.regions
        self.universities = UniversityTable()
        region = self._split(self.config.population.universities,
                             [r.university_share for r in regions])
        self.universities.populate(self, region)
        self.university_agents = [University(self, i) for i in range(len(self.universities))]

    def _build_smes(self) -> None:
        spec = dict(SME_COLUMNS)
        spec["platform_member"] = (np.bool_, (len(self.config.platforms),))
        self.smes = Columns(spec, capacity=max(self.config.population.smes, 16))
        region = self._split(self.config.population.smes, [r.sme_share for r in
                                                             self.config.regions])
        self.sme_agents: list[SME] = []
        self._add_smes(region)
        # Normaliser of the need chance: the weight of a firm with the survey's mean number
        # of motivations.
        self.mean_motivation_weight = 0.4 + 0.2 * sum(load_survey().motivations.values())

    def _add_smes(self, region: np.ndarray) -> np.ndarray:
        values = draw_smes(self, len(region), region, self.region_types)
        rows = self.smes.append(len(region), **values)
        self.sme_agents.extend(SME(self, int(row)) for row in rows)
        return rows

    def _build_intermediaries(self) -> None:
        policy_config = self.config.policy
        region = self._split(self.config.population.intermediaries,
                             [r.intermediary_share for r in self.config.regions])
        kinds = (IntermediaryKind.INDUSTRY_ASSOCIATION, IntermediaryKind.TRANSFER_AGENCY)
        self.intermediaries: list[Intermediary] = []
        for i, intermediary_region in enumerate(region.tolist()):
            kind = kinds[i % 2]
            digital = policy_config.digital_intermediaries
            whole = digital or (kind is IntermediaryKind.TRANSFER_AGENCY and self.rng.random()
                                < 0.3)
            scope = ServiceScope.WHOLE_PROCESS if whole else ServiceScope.MATCHMAKER
            self.intermediaries.append(Intermediary(
                self, intermediary_region, kind, scope, capacity=int(self.rng.integers(10, 30)),
                fee_rate=INTERMEDIARY_FEE[scope] * (DIGITAL_FEE_FACTOR if digital else 1.0),
                digital=digital))
        self.research_institutes: dict[int, list[Intermediary]] = {}
        for government in self.governments:
            if government.runs_research_institute and policy_config.research_institute_capacity:
                institute = Intermediary(
                    self, government.region, IntermediaryKind.INDUSTRIAL_RESEARCH_INSTITUTE,
                    ServiceScope.WHOLE_PROCESS, policy_config.research_institute_capacity,
                    fee_rate=0.0, digital=policy_config.digital_intermediaries)
                self.intermediaries.append(institute)
                self.research_institutes[government.region] = [institute]
        for intermediary in self.intermediaries:
            intermediary.active = True
        self._intermediary_region = np.array([m.region for m in self.intermediaries],
                                             dtype=np.int64)

    def _build_platforms(self) -> None:
        self.platforms = [Platform(self, i, config)
                          for i, config in enumerate(self.config.platforms)]
        self.whole_process_platforms = np.array(
            [p.index for p in self.platforms if p.scope is ServiceScope.WHOLE_PROCESS],
            dtype=np.int64)
        # Each platform opens with a founding share of members on both sides.
        for platform in self.platforms:
            share_u = 0.25 if not platform.is_public else 0.5
            platform.university_member = self.rng.random(len(self.universities)) < share_u
            founding = self.rng.random(len(self.smes)) < 0.03 * (
                0.4 if platform.is_public else 1.0)
            self.smes.platform_member[:, platform.index] = founding

    # ----------------------------------------------------------------------------------
    # Queries used by the phases

    def regional_reach(self, region: np.ndarray) -> tuple[np.ndarray, list[tuple[int, ...]]]:
        """Pool index of each firm's regional reach, and the pool list.

        Firms of a region whose enclave park runs this month reach the host city's
        universities too, with probability ``enclave_reach``.
        """
        n_regions = len(self.governments)
        reach = region.astype(np.int64).copy()
        if self.enclave_active.any() and len(region):
            in_park = self.enclave_active[region] & (
                self.rng.random(len(region)) < self.config.policy.enclave_reach)
            reach[in_park] += n_regions
        return reach, self._pools

    def assign_intermediaries(self, firms: np.ndarray, region: np.ndarray
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Let seekers turn to an intermediary of their region with spare capacity.

        Returns:
            ``(rows, chosen, precision, nationwide)``: seeker positions served, the
            intermediary index of every seeker (-1 if none), and per-seeker precision and
            nationwide reach.
        """
        n = len(firms)
        chosen = np.full(n, -1, dtype=np.int64)
        precision = np.zeros(n)
        nationwide = np.zeros(n, dtype=bool)
        if not self.intermediaries or not n:
            return np.zeros(0, dtype=np.int64), chosen, precision, nationwide
        wants = np.flatnonzero(self.rng.random(n) < self.config.behaviour.intermediary_use)
        # Each seeker picks one intermediary of its region uniformly. An active intermediary
        # serves the seekers that picked it in seeker order until its monthly capacity is used.
        local_count = np.bincount(self._intermediary_region, minlength=len(self.governments))
        local_start = np.cumsum(local_count) - local_count
        by_region = np.argsort(self._intermediary_region, kind="stable")
        seeker_region = region[wants]
        wants = wants[local_count[seeker_region] > 0]
        seeker_region = region[wants]
        picks = self.rng.integers(0, local_count[seeker_region])
        index = by_region[local_start[seeker_region] + picks]
        active = np.array([m.active for m in self.intermediaries], dtype=bool)
        capacity = np.array([m.capacity for m in self.intermediaries], dtype=np.int64)
        usable = active[index]
        wants, index = wants[usable], index[usable]
        served = _arrival_rank(index) < capacity[index]
        wants, index = wants[served], index[served]
        served_count = np.bincount(index, minlength=len(self.intermediaries))
        for intermediary, count in zip(self.intermediaries, served_count.tolist(), strict=True):
            intermediary.served_this_month = count
        chosen[wants] = index
        precision[wants] = np.array([m.precision for m in self.intermediaries])[index]
        nationwide[wants] = np.array([m.nationwide for m in self.intermediaries], dtype=bool)[index]
        return wants, chosen, precision, nationwide

    def intermediary_fee(self, intermediary: np.ndarray) -> np.ndarray:
        """Fee rate each deal owes to the intermediary that proposed the partner (0 if none)."""
        rates = np.array([m.fee_rate for m in self.intermediaries] + [0.0])
        return rates[np.where(intermediary >= 0, intermediary, len(self.intermediaries))]

    def whole_process_service(self, search: Search) -> np.ndarray:
        """Flag each deal supported by a whole-process (店小二) intermediary or platform."""
        scopes = np.array([m.scope is ServiceScope.WHOLE_PROCESS for m in self.intermediaries]
                          + [False])
        by_intermediary = scopes[np.where(search.intermediary >= 0, search.intermediary,
                                          len(self.intermediaries))]
        platform_scopes = np.array([p.scope is ServiceScope.WHOLE_PROCESS for p in self.platforms]
                                   + [False])
        by_platform = platform_scopes[np.where(search.platform >= 0, search.platform,
                                               len(self.platforms))]
        return by_intermediary | by_platform

    def whole_process_managed(self, rows: np.ndarray) -> np.ndarray:
        """Flag each project managed by a whole-process platform or intermediary."""
        projects = self.projects
        platform_scopes = np.array([p.scope is ServiceScope.WHOLE_PROCESS for p in self.platforms]
                                   + [False])
        platform = np.where(projects.managed[rows], projects.platform[rows], len(self.platforms))
        scopes = np.array([m.scope is ServiceScope.WHOLE_PROCESS for m in self.intermediaries]
                          + [False])
        intermediary = projects.intermediary[rows]
        by_intermediary = scopes[np.where(intermediary >= 0, intermediary,
                                          len(self.intermediaries))]
        return platform_scopes[platform] | by_intermediary

    def commissioner_home(self, slots: np.ndarray) -> np.ndarray:
        """Home university of each commissioner slot (-1 for none)."""
        homes = np.array(self._commissioner_home + [-1], dtype=np.int64)
        return homes[np.where(slots >= 0, slots, len(self._commissioner_home))]

    def add_commissioner(self, commissioner: Commissioner) -> None:
        """Register a new commissioner and mark the firms it serves."""
        commissioner.slot = len(self._commissioner_home)
        self._commissioner_home.append(commissioner.home)
        self.smes.commissioner[commissioner.smes] = commissioner.slot
        self.commissioners.append(commissioner)

    def retire_commissioners(self, retiring: list[Commissioner]) -> None:
        """End the terms of ``retiring``; the other commissioners keep their order."""
        for commissioner in retiring:
            commissioner.active = False
            commissioner.remove()
        self.commissioners = [c for c in self.commissioners if c.active]

    def best_platform(self, firms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return each firm's live member platform with the best precision, and that precision."""
        chosen = np.full(len(firms), -1, dtype=np.int64)
        best = np.full(len(firms), -1.0)
        for platform in self.platforms:
            if not platform.alive or not platform.university_members:
                continue
            member = self.smes.platform_member[firms, platform.index]
            precision = platform.precision()
            better = member & (precision > best)
            chosen[better] = platform.index
            best[better] = precision
        return chosen, np.maximum(best, 0.0)

    def platform_university_pool(self, index: int) -> np.ndarray:
        """University members of platform ``index``."""
        return np.flatnonzero(self.platforms[index].university_member)

    def post_challenges(self, firms: np.ndarray, region: np.ndarray) -> np.ndarray:
        """Positions of seekers whose needs this month's open challenges post nationwide.

        Each challenge posts up to ten needs of its region, the most capable seekers first
        (揭榜挂帅 calls state a demanding problem).
        """
        posted: list[np.ndarray] = []
        for government in self.governments:
            count = int(self.challenges_now[government.region])
            if count <= 0:
                continue
            local = np.flatnonzero(region == government.region)
            order = local[np.argsort(-self.smes.capability[firms[local]], kind="stable")]
            posted.append(order[: count * CHALLENGE_NEEDS])
        return np.sort(np.concatenate(posted)) if posted else np.zeros(0, dtype=np.int64)

    # ----------------------------------------------------------------------------------
    # The month

    def step(self) -> None:
        """Advance the model by one month, phase by phase."""
        self.month = MonthCounters()
        for government in self.governments:
            government.spent_this_month = 0.0
        self.run_government_programmes()
        self.run_platform_market()
        self.search_and_contract()
        self.finish_projects()
        self.decay_ties_and_capabilities()
        self.found_spinoffs()
        self.turn_over_firms()
        self.review_paths()
        self._accumulate_totals()
        self.datacollector.collect(self)

    def run(self, progress: Any = None) -> None:
        """Step until ``scenario.run.steps`` months have passed.

        Args:
            progress: Optional callable ``progress(step, total)`` called after each month.
        """
        total = self.config.run.steps
        while self.steps < total:
            self.step()
            if progress is not None:
                progress(self.steps, total)

    def run_government_programmes(self) -> None:
        """Phase 1: budgets, commissioners, events and role instruments."""
        policy.renew_budgets(self)
        policy.assign_commissioners(self)
        policy.run_events(self)
        policy.run_instruments(self)
        smes = self.smes
        smes.funds[:] = np.minimum(smes.funds + smes.monthly_rd,
                                   smes.monthly_rd * self.config.behaviour.rd_funds_months)

    def run_platform_market(self) -> None:
        """Phase 2: membership and fees, then costs, subsidy and exits."""
        update_membership(self)
        settle_platforms(self)

    def search_and_contract(self) -> None:
        """Phase 3: firms with needs search, negotiate and sign deals."""
        smes = self.smes
        search, stopped = search_partners(self)
        deals, form, cost, share, refused = negotiate(self, search)
        # Evaluation and negotiation both record activity_need_mismatch: merge, never replace.
        for barrier, firms in refused.items():
            if barrier in stopped:
                firms = np.concatenate([stopped[barrier], firms])
            stopped[barrier] = firms
        if len(deals.firms):
            short = self._sign(deals, form, cost, share)
            stopped[Barrier.LACKS_FUNDS] = np.concatenate(
                [stopped.get(Barrier.LACKS_FUNDS, np.zeros(0, dtype=np.int64)), short])
        failed: list[np.ndarray] = []
        for barrier, firms in stopped.items():
            record_barrier(smes.barrier_met, self.barrier_counts, firms, barrier)
            failed.append(firms)
        if failed:
            failed_firms = np.concatenate(failed)
            smes.cooldown_until[failed_firms] = (self.steps
                                                 + self.config.behaviour.retry_cooldown)
            smes.attempts[failed_firms] += 1
            self.month.failed_attempts = len(failed_firms)

    def _sign(self, deals: Search, form: np.ndarray, cost: np.ndarray,
              share: np.ndarray) -> np.ndarray:
        """Close deals: pay subsidies and costs, decide platform bypassing, start projects.

        Subsidies are paid deal by deal from each government's free budget. When the budget
        runs short within the month, a deal gets only what is left. A firm that cannot pay
        the larger remainder from its R&D funds drops the deal, and no subsidy is paid for it.

        Returns:
            The firms whose deal fell through for lack of funds.
        """
        smes = self.smes
        subsidy = np.zeros(len(deals.firms))
        signed = np.ones(len(deals.firms), dtype=bool)
        for i, (firm, amount) in enumerate(zip(deals.firms.tolist(), (cost * share).tolist(),
                                               strict=True)):
            government = self.governments[int(smes.region[firm])]
            offered = min(amount, government.free_budget) if amount > 0 else 0.0
            if smes.funds[firm] < cost[i] - offered:
                signed[i] = False
                continue
            if offered > 0:
                subsidy[i] = government.spend(offered, "subsidy")
        short = deals.firms[~signed]
        deals = deals.subset(signed)
        form, cost, subsidy = form[signed], cost[signed], subsidy[signed]
        firms = deals.firms
        smes.funds[firms] -= cost - subsidy
        bypassed = np.zeros(len(firms), dtype=bool)
        managed = np.zeros(len(firms), dtype=bool)
        for platform in self.platforms:
            mine = np.flatnonzero(deals.platform == platform.index)
            if not len(mine):
                continue
            chance = np.clip(platform.bypass_probability() * (1.0 + 0.5 * deals.trust[mine]),
                             0.0, 1.0)
            bypassed[mine] = self.rng.random(len(mine)) < chance
            managed[mine] = ~bypassed[mine] & platform.alive
            platform.deals += len(mine)
            platform.deals_bypassed += int(bypassed[mine].sum())
            platform.managed_projects += int(managed[mine].sum())
        self.month.platform_deals = int((deals.platform >= 0).sum())
        self.month.platform_bypassed = int(bypassed.sum())
        for index in deals.intermediary[deals.intermediary >= 0].tolist():
            self.intermediaries[index].deals += 1
        self._start_projects(firms, deals.partner, form, deals.channel, deals.platform,
                             deals.intermediary, managed, bypassed, cost, subsidy,
                             deals.stage, spinoff=False)
        self.month.subsidy += float(subsidy.sum())
        return short

    def _start_projects(self, firms: np.ndarray, universities: np.ndarray, form: np.ndarray,
                        channel: np.ndarray, platform: np.ndarray, intermediary: np.ndarray,
                        managed: np.ndarray, bypassed: np.ndarray, cost: np.ndarray,
                        subsidy: np.ndarray, stage: np.ndarray, spinoff: bool) -> None:
        smes = self.smes
        duration = FORM["duration"][form]
        self.projects.start(
            len(firms), sme=firms, university=universities, form=form,
            path=smes.path[firms], stage=stage, channel=channel, platform=platform,
            intermediary=intermediary, managed=managed, bypassed=bypassed, spinoff=spinoff,
            start=self.steps, end=self.steps + duration, cost=cost, subsidy=subsidy)
        np.add.at(smes.running_projects, firms, 1)
        np.add.at(self.universities.load, universities, 1)
        self.ties.open(firms, universities, form, self.steps)
        smes.ever_collaborated[firms] = True
        smes.form_used[firms, form] = True
        smes.path_collaborated[firms, smes.path[firms]] = True
        np.add.at(self.form_counts, form, 1)
        self.month.started += len(firms)

    def finish_projects(self) -> None:
        """Phase 4: projects due this month succeed or fail; firms learn; ties update."""
        projects = self.projects
        running = projects.running_rows
        due = running[projects.end[running] <= self.steps]
        if not len(due):
            return
        smes = self.smes
        behaviour = self.config.behaviour
        success = self.rng.random(len(due)) < outcome_probability(self, due)
        status = np.where(success, ProjectStatus.SUCCEEDED, ProjectStatus.FAILED)
        projects.finish(due, status)
        firm = projects.sme[due]
        university = projects.university[due]
        depth = FORM["depth"][projects.form[due]]
        tie = self.ties.rows_of(firm, university)

        # Learning (SKIN): a success closes part of the gap to full capability, scaled by
        # the form's depth and the firm's absorptive capacity.
        won = firm[success]
        gain = behaviour.learning_rate * depth[success] * (0.5 + smes.absorptive[won])
        np.add.at(smes.capability, won, gain * (1.0 - smes.capability[won]))
        np.add.at(smes.absorptive, won, ABSORPTIVE_LEARNING_SHARE * gain
                  * (1.0 - smes.absorptive[won]))
        np.clip(smes.capability, 0.0, 1.0, out=smes.capability)
        np.clip(smes.absorptive, 0.0, 1.0, out=smes.absorptive)
        np.add.at(smes.output, won, depth[success] * (0.5 + smes.capability[won]))
        np.add.at(smes.successes, won, 1)
        np.add.at(smes.projects_done, firm, 1)
        np.add.at(smes.running_projects, firm, -1)
        np.add.at(self.universities.load, university, -1)
        # Results fed back: successful cooperation matures the partner's results a little.
        np.add.at(self.universities.maturity, university[success], 0.01 * depth[success])
        np.clip(self.universities.maturity, 0.0, 1.0, out=self.universities.maturity)

        barrier = failure_barrier(self, due[~success])
        projects.barrier[due[~success]] = barrier
        for index in np.unique(barrier).tolist():
            record_barrier(smes.barrier_met, self.barrier_counts,
                           firm[~success][barrier == index], BARRIERS[index])

        # Ties: strength grows with depth (more on success); trust is a decaying memory of
        # outcomes (Cowan, Jonard and Zimmermann 2007).
        valid = tie >= 0
        ties = self.ties
        np.add.at(ties.strength, tie[valid], np.where(success, depth, 0.3 * depth)[valid])
        np.add.at(ties.running, tie[valid], -1)
        memory = behaviour.trust_memory
        ties.trust[tie[valid]] = (memory * ties.trust[tie[valid]]
                                  + (1.0 - memory) * success[valid].astype(float))
        book_commission(self, due)
        self.month.completed = len(due)
        self.month.succeeded = int(success.sum())

    def decay_ties_and_capabilities(self) -> None:
        """Idle ties weaken and dissolve; idle capability decays (SKIN's expertise decay)."""
        behaviour = self.config.behaviour
        self.ties.decay(behaviour.tie_decay)
        idle = self.smes.alive & (self.smes.running_projects == 0)
        self.smes.capability[idle] *= 1.0 - behaviour.capability_decay

    def found_spinoffs(self) -> None:
        """Phase 5a: scientists found firms to commercialise their results (一体循环).

        Each university founds a firm with chance ``spinoff_rate / 12 * capacity`` a month
        (three times that in a talent special zone). The firm starts on the front-end path
        with a technology-equity project with its home university.
        """
        unis = self.universities
        if not len(unis):
            return
        rate = self.config.behaviour.spinoff_rate / 12.0
        if self.config.policy.talent_zone:
            rate *= TALENT_ZONE_SPINOFF_FACTOR
        founders = np.flatnonzero(self.rng.random(len(unis)) < np.clip(rate * unis.capacity,
                                                                      0, 1))
        if not len(founders):
            return
        rows = self._add_smes(unis.region[founders].astype(np.int16))
        smes = self.smes
        low, span = SPINOFF_CAPABILITY
        smes.capability[rows] = low + span * unis.capacity[founders]
        smes.absorptive[rows] = np.maximum(smes.absorptive[rows], smes.capability[rows])
        smes.sector[rows] = unis.primary_field[founders]
        smes.high_tech[rows] = True
        smes.spinoff[rows] = True
        smes.path[rows] = PATHS.index(Path.FRONT_END)
        smes.contacts[rows, 0] = founders
        unis.spinoffs[founders] += 1
        self.smes.platform_member[rows] = False
        form = np.full(len(rows), FORM_INDEX[CooperationForm.TECHNOLOGY_EQUITY])
        self._start_projects(rows, founders, form,
                             np.full(len(rows), CHANNEL_INDEX[Channel.DIRECT_CONTACT]),
                             np.full(len(rows), -1), np.full(len(rows), -1),
                             np.zeros(len(rows), dtype=bool), np.zeros(len(rows), dtype=bool),
                             FORM["cost"][form], np.zeros(len(rows)),
                             np.full(len(rows), int(Stage.BASIC_RESEARCH)), spinoff=True)
        self.month.spinoffs = len(rows)

    def turn_over_firms(self) -> None:
        """Phase 5b: when enabled, weak firms exit and as many new firms enter.

        Monthly exit hazard: ``exit_rate / 12 * 2 * (1 - capability)``. An exited firm's
        running projects are cancelled, its ties dissolved, its memberships and commissioner
        ended; it never acts again. Entrants are drawn like the initial population.
        """
        population = self.config.population
        if not population.entry_exit or not len(self.smes):
            return
        smes = self.smes
        alive = np.flatnonzero(smes.alive)
        hazard = population.exit_rate / 12.0 * EXIT_CAPABILITY_WEIGHT * (
            1.0 - smes.capability[alive])
        leaving = alive[self.rng.random(len(alive)) < hazard]
        if not len(leaving):
            return
        self._exit_firms(leaving)
        region = self._split(len(leaving), [r.sme_share for r in self.config.regions])
        self._add_smes(region)
        self.month.exits = len(leaving)
        self.month.entries = len(leaving)

    def _exit_firms(self, firms: np.ndarray) -> None:
        smes = self.smes
        projects = self.projects
        running = projects.running_rows
        cancelled = running[np.isin(projects.sme[running], firms)]
        if len(cancelled):
            np.add.at(self.universities.load, projects.university[cancelled], -1)
            for platform in self.platforms:
                mine = cancelled[(projects.platform[cancelled] == platform.index)
                                 & projects.managed[cancelled]]
                platform.managed_projects = max(platform.managed_projects - len(mine), 0)
            projects.finish(cancelled, np.full(len(cancelled), ProjectStatus.CANCELLED))
        smes.running_projects[firms] = 0
        self.ties.close_for_firms(firms)
        smes.alive[firms] = False
        smes.exited[firms] = self.steps
        smes.platform_member[firms] = False
        # Every firm on an active commissioner's list carries that commissioner's slot, so
        # only the commissioners whose slots the leaving firms carry lose a firm.
        served_by = smes.commissioner[firms]
        affected = set(served_by[served_by >= 0].tolist())
        smes.commissioner[firms] = -1
        for commissioner in self.commissioners:
            if commissioner.slot in affected:
                commissioner.smes = commissioner.smes[~np.isin(commissioner.smes, firms)]
        # A commissioner left with no firm ends the term early, so the region can assign a new one.
        self.retire_commissioners([c for c in self.commissioners if not len(c.smes)])
        for row in firms.tolist():
            self.sme_agents[row].remove()

    def review_paths(self) -> None:
        """Phase 5c: each December, firms' R&D budgets and paths follow their capability."""
        if self.steps % 12 != 0:
            return
        smes = self.smes
        alive = np.flatnonzero(smes.alive)
        smes.monthly_rd[alive] = (smes.staff[alive] * 0.1 * (0.5 + smes.capability[alive])
                                  * (1.0 + 0.4 * smes.high_tech[alive]))
        capacity = smes.monthly_rd[alive] * self.config.behaviour.rd_funds_months
        smes.path[alive] = classify_strength(smes.capability[alive], capacity)

    def _accumulate_totals(self) -> None:
        month = self.month
        totals = self.totals
        totals["started"] += month.started
        totals["completed"] += month.completed
        totals["succeeded"] += month.succeeded
        totals["failed"] += month.completed - month.succeeded
        totals["subsidy"] += month.subsidy
        totals["platform_deals"] += month.platform_deals
        totals["platform_bypassed"] += month.platform_bypassed
        totals["spinoffs"] += month.spinoffs
        totals["searches"] += month.searches
        totals["needs"] += month.needs
        totals["failed_attempts"] += month.failed_attempts
        self.channel_totals += month.channel_searches

    # ----------------------------------------------------------------------------------
    # Outputs

    def metrics_frame(self) -> pd.DataFrame:
        """Return one row per month from step 0 with every reporter's value."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "step", np.arange(len(frame), dtype=np.int64))
        return frame

    def summary(self) -> dict[str, Any]:
        """End-of-run figures; see :func:`iursim.metrics.summarize`."""
        return metrics.summarize(self)

    def sme_frame(self) -> pd.DataFrame:
        """Return one row per firm ever created."""
        return metrics.sme_frame(self)

    def platform_frame(self) -> pd.DataFrame:
        """Return one row per platform."""
        return metrics.platform_frame(self)

    def project_frame(self) -> pd.DataFrame:
        """Return one row per project."""
        return metrics.project_frame(self)

    def stage_counts(self) -> dict[str, int]:
        """Running projects at each innovation-chain stage, plus this month's needs."""
        counts = dict.fromkeys((stage.key for stage in Stage), 0)
        running = self.projects.running_rows
        if len(running):
            stages = project_stage(self, running)
            for stage, count in zip(*np.unique(stages, return_counts=True), strict=True):
                counts[Stage(int(stage)).key] = int(count)
        counts[Stage.INNOVATION_DEMAND.key] += self.month.needs
        return counts

    @property
    def graph(self) -> nx.Graph:
        """The collaboration network as a networkx graph, built from the current state."""
        return network.build_graph(self)
