"""Cooperation projects and ties: form choice, negotiation, lifecycle, learning, trust.

A project binds one firm and one university in exactly one cooperation form. A tie records
the history of a firm-university pair: strength (raised by projects, decaying when idle),
project count, the last form, and trust, a decaying memory of outcomes with that partner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from iursim.agents.sme import PATHS
from iursim.chain import (
    FORM_TABLE,
    FORMS,
    PATH_FORMS,
    Barrier,
    CooperationForm,
    ServiceScope,
    Stage,
    Tightness,
)
from iursim.columns import Columns

if TYPE_CHECKING:
    from iursim.matching import Search
    from iursim.model import IURModel

__all__ = ["ProjectStatus", "ProjectTable", "TieTable", "choose_forms", "form_arrays"]


class ProjectStatus:
    """Status codes of the ``status`` column."""

    RUNNING = 0
    SUCCEEDED = 1
    FAILED = 2
    CANCELLED = 3

    NAMES = ("running", "succeeded", "failed", "cancelled")


PROJECT_COLUMNS: dict[str, tuple[object, tuple[int, ...]]] = {
    "sme": (np.int64, ()),
    "university": (np.int64, ()),
    "form": (np.int8, ()),
    "path": (np.int8, ()),
    "stage": (np.int8, ()),
    "channel": (np.int8, ()),
    "platform": (np.int16, ()),
    "intermediary": (np.int32, ()),
    "managed": (np.bool_, ()),
    "bypassed": (np.bool_, ()),
    "spinoff": (np.bool_, ()),
    "start": (np.int32, ()),
    "end": (np.int32, ()),
    "cost": (np.float64, ()),
    "subsidy": (np.float64, ()),
    "status": (np.int8, ()),
    "barrier": (np.int8, ()),
}

TIE_COLUMNS: dict[str, tuple[object, tuple[int, ...]]] = {
    "sme": (np.int64, ()),
    "university": (np.int64, ()),
    "strength": (np.float64, ()),
    "trust": (np.float64, ()),
    "count": (np.int32, ()),
    "running": (np.int32, ()),
    "last_form": (np.int8, ()),
    "created": (np.int32, ()),
    "alive": (np.bool_, ()),
}

# Ties weaker than this with no running project dissolve.
TIE_DISSOLVE_STRENGTH = 0.05
# Neutral trust of a pair with no shared history.
TIE_INITIAL_TRUST = 0.5


def form_arrays() -> dict[str, np.ndarray]:
    """Return the columns of ``FORM_TABLE`` as arrays indexed by form position."""
    specs = [FORM_TABLE[form] for form in FORMS]
    return {
        "tightness": np.array([int(spec.tightness) for spec in specs]),
        "cost": np.array([spec.cost for spec in specs]),
        "duration": np.array([spec.duration for spec in specs]),
        "depth": np.array([spec.depth for spec in specs]),
        "commitment": np.array([spec.commitment for spec in specs]),
        "absorption_need": np.array([spec.absorption_need for spec in specs]),
        "equipment_need": np.array([spec.equipment_need for spec in specs]),
    }


FORM = form_arrays()
FORM_INDEX = {form: i for i, form in enumerate(FORMS)}
_PATH_ALLOWED = np.zeros((len(PATHS), len(FORMS)), dtype=bool)
for _path_index, _path in enumerate(PATHS):
    for _form in PATH_FORMS[_path]:
        _PATH_ALLOWED[_path_index, FORM_INDEX[_form]] = True
_JOINT_VENTURE = FORM_INDEX[CooperationForm.JOINT_VENTURE]
_SHARED_INSTRUMENTS = FORM_INDEX[CooperationForm.SHARED_INSTRUMENTS]
# Chance of each tightness level that partners fall out over sharing benefits, relative to
# ``dispute_rate``: the more is shared, the more there is to quarrel about.
DISPUTE_BY_TIGHTNESS = np.array([0.2, 0.6, 1.0])
# Shared labs and pilot bases (Internet+ labs): equipment the firm can use instead of its own.
SHARED_LAB_RELIEF = 0.15
SHARED_LAB_TRIAL_BONUS = 0.12
# Whole-process service manages the project through to acceptance, which catches problems
# early; the size of the effect is an assumption.
WHOLE_PROCESS_SUCCESS_BONUS = 0.05


class TieTable(Columns):
    """Firm-university ties, with a sorted key index for vectorised trust look-ups."""

    def __init__(self, n_universities: int) -> None:
        super().__init__(TIE_COLUMNS)
        self._n_universities = max(n_universities, 1)
        # Keys of the live ties in ascending order, with their rows. ``open`` and ``decay``
        # keep both current with batched inserts and deletes, so look-ups never rebuild them.
        self._sorted_keys = np.zeros(0, dtype=np.int64)
        self._sorted_rows = np.zeros(0, dtype=np.int64)
        self.alive_count = 0

    def key(self, sme: np.ndarray | int, university: np.ndarray | int) -> np.ndarray | int:
        """Pair key: ``sme * n_universities + university``."""
        return sme * self._n_universities + university

    def rows_of(self, smes: np.ndarray, universities: np.ndarray) -> np.ndarray:
        """Tie row of each pair (same shapes), -1 where the pair has no live tie."""
        keys = self.key(smes.astype(np.int64), universities.astype(np.int64))
        if not len(self._sorted_keys):
            return np.full(np.shape(keys), -1, dtype=np.int64)
        position = np.clip(np.searchsorted(self._sorted_keys, keys), 0,
                           len(self._sorted_keys) - 1)
        hit = (self._sorted_keys[position] == keys) & (universities >= 0)
        return np.where(hit, self._sorted_rows[position], -1)

    def trust_of(self, smes: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Trust of each firm (n,) in each candidate (n, k); 0 where no live tie exists."""
        rows = self.rows_of(np.broadcast_to(smes[:, None], candidates.shape), candidates)
        return np.where(rows >= 0, self.trust[np.maximum(rows, 0)] if self.size else 0.0, 0.0)

    def open(self, smes: np.ndarray, universities: np.ndarray, forms: np.ndarray,
             step: int) -> np.ndarray:
        """Start a project on each pair: create missing ties, return the tie rows.

        New ties get rows in the order in which their pairs first appear in the arguments.
        """
        smes = np.asarray(smes, dtype=np.int64)
        universities = np.asarray(universities, dtype=np.int64)
        rows = self.rows_of(smes, universities)
        missing = np.flatnonzero(rows < 0)
        if len(missing):
            keys = self.key(smes[missing], universities[missing])
            new_keys, first = np.unique(keys, return_index=True)
            creation = np.argsort(first)
            pairs = missing[first[creation]]
            created = self.append(len(pairs), sme=smes[pairs], university=universities[pairs],
                                  trust=TIE_INITIAL_TRUST, created=step, alive=True)
            # ``creation`` holds positions in the sorted ``new_keys`` in creation order, so
            # ``new_rows`` gives each sorted key the row created for it.
            new_rows = np.empty(len(new_keys), dtype=np.int64)
            new_rows[creation] = created
            at = np.searchsorted(self._sorted_keys, new_keys)
            self._sorted_keys = np.insert(self._sorted_keys, at, new_keys)
            self._sorted_rows = np.insert(self._sorted_rows, at, new_rows)
            self.alive_count += len(new_keys)
            rows = self.rows_of(smes, universities)
        np.add.at(self.running, rows, 1)
        np.add.at(self.count, rows, 1)
        self.last_form[rows] = forms
        return rows

    def decay(self, rate: float) -> np.ndarray:
        """Weaken idle ties by ``rate``; dissolve the weak ones and return their rows."""
        idle = self.alive & (self.running == 0)
        self.strength[idle] *= 1.0 - rate
        gone = np.flatnonzero(idle & (self.strength < TIE_DISSOLVE_STRENGTH))
        if len(gone):
            self.alive[gone] = False
            at = np.searchsorted(self._sorted_keys, self.key(self.sme[gone], self.university[gone]))
            self._sorted_keys = np.delete(self._sorted_keys, at)
            self._sorted_rows = np.delete(self._sorted_rows, at)
            self.alive_count -= len(gone)
        return gone

    def close_for_firms(self, firms: np.ndarray) -> None:
        """Dissolve every tie of exited firms."""
        rows = np.flatnonzero(self.alive & np.isin(self.sme, firms))
        self.running[rows] = 0
        self.strength[rows] = 0.0
        self.decay(0.0)


class ProjectTable(Columns):
    """All projects of the run, with the rows of the running ones kept at hand."""

    def __init__(self) -> None:
        super().__init__(PROJECT_COLUMNS, capacity=1024)
        self.running_rows = np.zeros(0, dtype=np.int64)

    def start(self, count: int, **values: object) -> np.ndarray:
        """Append running projects and return their rows."""
        rows = self.append(count, status=ProjectStatus.RUNNING, barrier=-1, **values)
        self.running_rows = np.concatenate([self.running_rows, rows])
        return rows

    def finish(self, rows: np.ndarray, status: np.ndarray) -> None:
        """Set the final status of ``rows`` and drop them from the running set."""
        self.status[rows] = status
        self.running_rows = np.setdiff1d(self.running_rows, rows, assume_unique=True)

    @property
    def start_step(self) -> np.ndarray:
        """The ``start`` column (month each project began); the :meth:`start` method hides it."""
        return self._data["start"][: self.size]


def allowed_forms(model: IURModel, firms: np.ndarray,
                  partners: np.ndarray | None = None) -> np.ndarray:
    """Return the forms open to each firm, shape (n, 10).

    A firm may use its path's forms. Joint ventures need a research institute or an enclave
    park of its government that takes over results. Shared instruments need a partner with at
    least one shareable instrument, unless shared labs and pilot bases exist (checked only when
    ``partners`` is given).
    """
    smes = model.smes
    allowed = _PATH_ALLOWED[smes.path[firms]].copy()
    takes_over = model.takeover_active[smes.region[firms]]
    allowed[:, _JOINT_VENTURE] &= takes_over
    if partners is not None and not model.config.policy.shared_labs:
        allowed[:, _SHARED_INSTRUMENTS] &= model.universities.instruments[partners] > 0
    return allowed


def net_costs(model: IURModel, firms: np.ndarray, fee_rate: np.ndarray) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    """Contract value and expected subsidy share of every form for each firm, (n, 10).

    The subsidy share is ``subsidy_rate`` plus, for medium and tight forms in regions whose
    government runs a special IUR fund, ``special_fund_rate``, capped at 1, and zero where the
    government's budget is spent.
    """
    policy = model.config.policy
    cost = np.broadcast_to(FORM["cost"], (len(firms), len(FORMS))).copy()
    if policy.shared_labs:
        cost[:, _SHARED_INSTRUMENTS] *= 0.5
    region = model.smes.region[firms]
    special = np.where(model.special_fund_active[region], policy.special_fund_rate, 0.0)
    share = policy.subsidy_rate + special[:, None] * (FORM["tightness"] >= Tightness.MEDIUM)
    share = np.clip(share, 0.0, 1.0) * model.budget_left[region][:, None]
    return cost * (1.0 + fee_rate[:, None]), np.clip(share, 0.0, 1.0)


def choose_forms(model: IURModel, firms: np.ndarray, trust: np.ndarray,
                 fee_rate: np.ndarray, partners: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pick one cooperation form per firm by a multinomial logit (Gumbel-max draw).

    Utility of form f for a firm with capability c, R&D funds F, bargaining power b:

        depth_preference * depth_f * (1.3 - c)
        - cost_sensitivity * net_cost_f / F
        - commitment_aversion * commitment_f * (1 - b)
        + 0.5 * trust * tightness_f / 2

    divided by ``choice_temperature``. Depth pays more to a firm with more to learn; cost
    weighs against the firm's funds; binding forms scare firms with little say; trust in a
    past partner makes tighter forms acceptable. The logit lets firms sometimes choose forms
    they cannot carry, which the negotiation then rejects with a firm-side barrier.

    Returns:
        ``(form, gross_cost, subsidy_share)`` per firm.
    """
    smes = model.smes
    behaviour = model.config.behaviour
    allowed = allowed_forms(model, firms, partners)
    cost, share = net_costs(model, firms, fee_rate)
    funds = np.maximum(smes.funds[firms], 1.0)
    capability = smes.capability[firms]
    bargaining = smes.bargaining[firms]
    utility = (behaviour.depth_preference * FORM["depth"][None, :] * (1.3 - capability)[:, None]
               - behaviour.cost_sensitivity * cost * (1.0 - share) / funds[:, None]
               - behaviour.commitment_aversion * FORM["commitment"][None, :]
               * (1.0 - bargaining)[:, None]
               + 0.25 * trust[:, None] * FORM["tightness"][None, :])
    gumbel = -np.log(-np.log(model.rng.random(utility.shape)))
    utility = np.where(allowed, utility / behaviour.choice_temperature + gumbel, -np.inf)
    form = np.argmax(utility, axis=1)
    rows = np.arange(len(firms))
    return form, cost[rows, form], share[rows, form]


def negotiate(model: IURModel, search: Search) -> tuple[Search, np.ndarray, np.ndarray,
                                                        np.ndarray, dict[Barrier, np.ndarray]]:
    """Choose forms and run the negotiation checks in order; return the deals that close.

    Order of checks: funds, talent and equipment, say in the cooperation, the university's
    acceptance, the partner's integrity, benefit sharing, the university's free project slots.
    The first check a pair fails is the barrier recorded for the firm.

    Returns:
        ``(deals, form, cost, subsidy_share, stopped)`` for the closing deals, and the firms
        stopped at each barrier.
    """
    smes = model.smes
    unis = model.universities
    rng = model.rng
    behaviour = model.config.behaviour
    policy = model.config.policy
    firms = search.firms
    n = len(firms)
    fee_rate = model.intermediary_fee(search.intermediary)
    form, cost, share = choose_forms(model, firms, search.trust, fee_rate, search.partner)
    tightness = FORM["tightness"][form]
    net = cost * (1.0 - share)
    absorptive = smes.absorptive[firms] + (SHARED_LAB_RELIEF if policy.shared_labs else 0.0)
    whole_process = model.whole_process_service(search)
    university = search.partner

    open_ = np.ones(n, dtype=bool)
    stopped: dict[Barrier, np.ndarray] = {}

    def check(barrier: Barrier, fails: np.ndarray) -> None:
        nonlocal open_
        hit = open_ & fails
        stopped[barrier] = firms[hit]
        open_ &= ~hit

    check(Barrier.LACKS_FUNDS, smes.funds[firms] < net)
    check(Barrier.LACKS_TALENT_EQUIPMENT,
          FORM["equipment_need"][form] & (absorptive < FORM["absorption_need"][form]))
    check(Barrier.LITTLE_SAY,
          rng.random(n) < 0.6 * FORM["commitment"][form] * (1.0 - smes.bargaining[firms]))
    accept = np.clip(unis.willingness[university] * (0.5 + 0.5 * search.fit)
                     + 0.2 * search.trust, 0.0, 1.0)
    check(Barrier.ACTIVITY_NEED_MISMATCH, rng.random(n) >= accept)
    # Half of the partners without integrity show it before signing, the rest during work.
    check(Barrier.PARTNER_LACKS_INTEGRITY, ~unis.integrity[university] & (rng.random(n) < 0.5))
    dispute = (behaviour.dispute_rate * DISPUTE_BY_TIGHTNESS[tightness]
               * (1.0 - search.trust) * np.where(whole_process, 0.5, 1.0))
    check(Barrier.BENEFIT_SHARING_DISPUTE, rng.random(n) < dispute)
    check(Barrier.PARTNER_CAPACITY_INSUFFICIENT,
          _beyond_free_slots(model, university, search.fit, open_))
    return search.subset(open_), form[open_], cost[open_], share[open_], stopped


def _beyond_free_slots(model: IURModel, university: np.ndarray, fit: np.ndarray,
                       open_: np.ndarray) -> np.ndarray:
    """Mark open pairs beyond their university's free slots, keeping the best fits.

    Several firms may pick the same university in one month; it signs at most
    ``slots - load`` of them, the best-fitting first (ties by search order).
    """
    unis = model.universities
    beyond = np.zeros(len(university), dtype=bool)
    pending = np.flatnonzero(open_)
    if not len(pending):
        return beyond
    order = pending[np.lexsort((-fit[pending], university[pending]))]
    partner = university[order]
    rank = np.arange(len(order)) - np.searchsorted(partner, partner, side="left")
    beyond[order[rank >= unis.slots[partner] - unis.load[partner]]] = True
    return beyond


def outcome_probability(model: IURModel, rows: np.ndarray) -> np.ndarray:
    """Success chance of finishing projects: partner capacity and readiness, firm absorption.

    ``0.2 + 0.35 * capacity + 0.3 * absorptive + 0.15 * maturity``, minus 0.45 for a partner
    without integrity. Shared labs and pilot bases add a bonus at the trial stage, and
    whole-process (店小二) project management by a platform or intermediary adds
    ``WHOLE_PROCESS_SUCCESS_BONUS``. The result is clipped to [0.02, 0.98].
    """
    projects = model.projects
    unis = model.universities
    smes = model.smes
    university = projects.university[rows]
    firm = projects.sme[rows]
    chance = (0.2 + 0.35 * unis.capacity[university] + 0.3 * smes.absorptive[firm]
              + 0.15 * unis.maturity[university])
    chance -= np.where(unis.integrity[university], 0.0, 0.45)
    chance += np.where(model.whole_process_managed(rows), WHOLE_PROCESS_SUCCESS_BONUS, 0.0)
    if model.config.policy.shared_labs:
        chance += np.where(projects.stage[rows] >= Stage.TRIAL_PRODUCTION,
                           SHARED_LAB_TRIAL_BONUS, 0.0)
    return np.clip(chance, 0.02, 0.98)


def failure_barrier(model: IURModel, rows: np.ndarray) -> np.ndarray:
    """Barrier index recorded for each failed project: integrity, absorption or results."""
    from iursim.barriers import BARRIER_INDEX

    projects = model.projects
    firm = projects.sme[rows]
    university = projects.university[rows]
    weak_firm = model.rng.random(len(rows)) < (1.0 - model.smes.absorptive[firm])
    late = projects.stage[rows] >= Stage.DESIGN_DEVELOPMENT
    reason = np.where(
        ~model.universities.integrity[university], BARRIER_INDEX[Barrier.PARTNER_LACKS_INTEGRITY],
        np.where(weak_firm, BARRIER_INDEX[Barrier.WEAK_ABSORPTION],
                 np.where(late, BARRIER_INDEX[Barrier.RESULTS_NOT_INDUSTRIALISABLE],
                          BARRIER_INDEX[Barrier.PARTNER_CAPACITY_INSUFFICIENT])))
    return reason


def project_stage(model: IURModel, rows: np.ndarray) -> np.ndarray:
    """Current chain stage of running projects: from the entry stage forward as work goes on.

    A project moves through two stages after its entry stage over its duration (a front-end
    project from basic research to design and development, a back-end one from trial
    production to industrial diffusion).
    """
    projects = model.projects
    started = projects.start_step[rows]
    span = np.maximum(projects.end[rows] - started, 1)
    progress = np.clip((model.steps - started) / span, 0.0, 0.999)
    stage = projects.stage[rows] + np.floor(progress * 3).astype(np.int64)
    return np.minimum(stage, int(Stage.INDUSTRIAL_DIFFUSION))


def scope_is_whole_process(scope: ServiceScope) -> bool:
    """True for whole-process (店小二) service."""
    return scope is ServiceScope.WHOLE_PROCESS
