"""Needs, channels, candidate proposals and vectorised fit scoring.

One search per firm with a need per month. Every open channel proposes a few universities:
with probability equal to the channel's precision a candidate is drawn from the universities of
the need's field, otherwise from the channel's whole reach. All candidates of all seekers are
scored at once as an (seekers x candidates) matrix, so the cost grows with the number of
seekers, never with seekers x universities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from iursim.agents.sme import PATHS
from iursim.chain import CHANNELS, PATH_ENTRY_STAGE, Barrier, Channel, Path, Stage

if TYPE_CHECKING:
    from iursim.model import IURModel

__all__ = ["Search", "STAGE_REQUIREMENT", "fit_components", "search_partners"]

CHANNEL_INDEX = {channel: i for i, channel in enumerate(CHANNELS)}

# Maturity (technology readiness, 0-1) a need at each stage requires of a partner's results,
# and the research capacity (0-1) it takes. Basic research requires capacity and little
# maturity, while trial production requires mature, industrialisable results.
STAGE_REQUIREMENT: dict[Stage, tuple[float, float]] = {
    Stage.BASIC_RESEARCH: (0.25, 0.55),
    Stage.APPLIED_RESEARCH: (0.4, 0.45),
    Stage.DESIGN_DEVELOPMENT: (0.55, 0.4),
    Stage.TRIAL_PRODUCTION: (0.65, 0.3),
}
_MATURITY_NEED = np.zeros(len(Stage))
_CAPACITY_NEED = np.zeros(len(Stage))
for _stage, (_maturity, _capacity) in STAGE_REQUIREMENT.items():
    _MATURITY_NEED[_stage] = _maturity
    _CAPACITY_NEED[_stage] = _capacity

# Field fit of a university outside the need's field: adjacent knowledge helps a little.
OFF_FIELD_FIT = 0.15
# Precision of channels without an agent of their own.
ASSOCIATION_PRECISION = 0.45
EVENT_PRECISION = 0.55
CHALLENGE_PRECISION = 0.85
CHALLENGE_NEEDS = 10  # needs one open-competition challenge can post
# Selection weight of relational credit (trust from past projects with the same partner),
# after Cowan, Jonard and Zimmermann (2007).
TRUST_WEIGHT = 0.3


@dataclass
class Search:
    """This month's seekers and what their search found.

    Attributes:
        firms: Row of each seeking firm.
        field: Technology field of each need.
        stage: Innovation-chain stage of each need (``Stage`` value).
        partner: Chosen university, or -1.
        channel: Channel index through which the partner was found, or -1.
        platform: Platform that proposed the partner, or -1.
        intermediary: Intermediary that proposed the partner (index in the model's list), or -1.
        fit: Fit of the chosen partner, 0-1.
        trust: Relational credit of the firm with the chosen partner, 0-1.
    """

    firms: np.ndarray
    field: np.ndarray
    stage: np.ndarray
    partner: np.ndarray
    channel: np.ndarray
    platform: np.ndarray
    intermediary: np.ndarray
    fit: np.ndarray
    trust: np.ndarray

    def subset(self, keep: np.ndarray) -> Search:
        """Return the searches selected by a boolean mask or index array."""
        return Search(*(getattr(self, name)[keep] for name in self.__dataclass_fields__))


def fit_components(model: IURModel, field: np.ndarray, stage: np.ndarray,
                   candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score candidate universities for needs, vectorised.

    Args:
        model: The model.
        field: Field of each need, shape (n,).
        stage: Stage of each need, shape (n,).
        candidates: University rows, shape (n, k), -1 for an empty slot.

    Returns:
        ``(field_fit, maturity_fit, capacity_fit)``, each (n, k) in [0, 1]; empty slots 0.
        The fit of a candidate is their product. Capacity fit is 0 for a university with no
        free project slot.
    """
    unis = model.universities
    valid = candidates >= 0
    safe = np.where(valid, candidates, 0)
    has_field = unis.fields[safe, field[:, None]] if len(unis) else np.zeros_like(valid)
    field_fit = np.where(has_field, 1.0, OFF_FIELD_FIT)
    if len(unis):
        # Fits depend only on the university and the stage, so they are computed once per
        # university for each stage that occurs and then gathered for every candidate.
        stages, stage_index = np.unique(stage, return_inverse=True)
        gap = unis.maturity[:, None] - _MATURITY_NEED[stages][None, :]
        # A unit of immaturity costs four times the fit of a unit of over-maturity
        # (slopes 2 and 0.5).
        maturity_table = np.clip(np.where(gap >= 0, 1.0 - 0.5 * gap, 1.0 + 2.0 * gap), 0.0, 1.0)
        capacity_table = np.minimum(1.0, unis.capacity[:, None] / _CAPACITY_NEED[stages][None, :])
        capacity_table = np.where((unis.load < unis.slots)[:, None], capacity_table, 0.0)
        maturity_fit = maturity_table[safe, stage_index[:, None]]
        capacity_fit = capacity_table[safe, stage_index[:, None]]
    else:
        maturity_fit = capacity_fit = np.zeros(valid.shape)
    zero = np.zeros(valid.shape)
    return (np.where(valid, field_fit, zero), np.where(valid, maturity_fit, zero),
            np.where(valid, capacity_fit, zero))


def draw_needs(model: IURModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return firms that form a technology need this month, with its field and stage.

    An idle firm (alive, no running project, past its cooldown) forms a need with probability
    ``need_rate`` scaled by its number of motivations relative to the survey mean.
    """
    smes = model.smes
    rng = model.rng
    behaviour = model.config.behaviour
    idle = np.flatnonzero(smes.alive & (smes.running_projects == 0)
                          & (smes.cooldown_until <= model.steps))
    if not len(idle):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    motivation = (0.4 + 0.2 * smes.motivation_count[idle]) / model.mean_motivation_weight
    chance = np.clip(behaviour.need_rate * motivation, 0.0, 1.0)
    firms = idle[rng.random(len(idle)) < chance]
    sector = smes.sector[firms].astype(np.int64)
    other = rng.integers(0, model.n_fields, size=len(firms))
    # A commissioner helps set the firm's technological direction, so a served firm's needs
    # stay in its own sector.
    in_sector = (rng.random(len(firms)) < 0.85) | (smes.commissioner[firms] >= 0)
    field = np.where(in_sector, sector, other)
    entry = np.array([PATH_ENTRY_STAGE[path] for path in PATHS])[smes.path[firms]]
    # Mid-stream needs sit at applied research or design and development, evenly.
    mid = smes.path[firms] == PATHS.index(Path.MID_STREAM)
    stage = np.where(mid & (rng.random(len(firms)) < 0.5), int(Stage.DESIGN_DEVELOPMENT), entry)
    smes.last_need[firms] = model.steps
    return firms, field, stage.astype(np.int64)


def _sample(rng: np.random.Generator, whole: np.ndarray, in_field: np.ndarray,
            precision: np.ndarray, k: int) -> np.ndarray:
    """Draw k candidates per row: from ``in_field`` with the row's precision, else ``whole``."""
    group = np.zeros(len(precision), dtype=np.int64)
    return _sample_groups(rng, group, [whole], [in_field], precision, k)


def _sample_groups(rng: np.random.Generator, group: np.ndarray, whole: list[np.ndarray],
                   in_field: list[np.ndarray], precision: np.ndarray, k: int) -> np.ndarray:
    """Draw k candidates per row from the pools of the row's group, all groups at once.

    With probability ``precision[i]`` a candidate of row i comes from ``in_field[group[i]]``
    (unless that pool is empty), otherwise from ``whole[group[i]]``, uniformly in both cases.
    Rows whose ``whole`` pool is empty get -1 in every slot.
    """
    n = len(group)
    out = np.full((n, k), -1, dtype=np.int64)
    whole_size = np.array([len(pool) for pool in whole], dtype=np.int64)
    field_size = np.array([len(pool) for pool in in_field], dtype=np.int64)
    if not n or not whole_size.any():
        return out
    # One flat array of every pool: the whole pools first, then the in-field pools.
    sizes = np.concatenate([whole_size, field_size])
    start = np.cumsum(sizes) - sizes
    flat = np.concatenate([*whole, *in_field]).astype(np.int64)
    row_whole, row_field = whole_size[group][:, None], field_size[group][:, None]
    targeted = (rng.random((n, k)) < precision[:, None]) & (row_field > 0)
    size = np.where(targeted, row_field, row_whole)
    picks = rng.integers(0, np.maximum(size, 1))
    first = np.where(targeted, start[len(whole) + group][:, None], start[group][:, None])
    filled = row_whole[:, 0] > 0
    out[filled] = flat[(first + picks)[filled]]
    return out


def _grouped_sample(model: IURModel, rows: np.ndarray, reach: np.ndarray, field: np.ndarray,
                    precision: np.ndarray, k: int, pools: list[tuple[int, ...]],
                    out: np.ndarray, column: int) -> None:
    """Fill ``out[rows, column:column+k]`` with candidates from each row's reach and field.

    ``reach[i]`` indexes ``pools``, a list of region tuples (empty tuple: every region).
    """
    if not len(rows):
        return
    n_fields = model.n_fields
    keys, group = np.unique(reach[rows] * n_fields + field[rows], return_inverse=True)
    whole, in_field = [], []
    for key in keys.tolist():
        regions = pools[key // n_fields]
        whole.append(model.universities.pool(regions))
        in_field.append(model.universities.pool(regions, key % n_fields))
    out[rows, column:column + k] = _sample_groups(model.rng, group, whole, in_field,
                                                  precision[rows], k)


def search_partners(model: IURModel) -> tuple[Search, dict[Barrier, np.ndarray]]:
    """Run this month's searches: needs, articulation, channels, candidates, choice.

    Returns:
        The searches that found a partner with fit at or above ``fit_threshold``, and the
        firms stopped at each barrier on the way (articulation, channels, evaluation).
    """
    smes = model.smes
    rng = model.rng
    behaviour = model.config.behaviour
    stopped: dict[Barrier, np.ndarray] = {}
    firms, field, stage = draw_needs(model)
    model.month.needs = len(firms)

    # Articulation: turning a market need into a technology need (凝练需求). Commissioners
    # help fully, whole-process services (intermediaries, platforms) help half as much.
    boost = np.where(smes.commissioner[firms] >= 0, behaviour.articulation_boost, 0.0)
    if model.whole_process_platforms.size and smes.platform_member.shape[1]:
        helped = smes.platform_member[firms][:, model.whole_process_platforms].any(axis=1)
        boost = np.maximum(boost, 0.5 * behaviour.articulation_boost * helped)
    articulated = rng.random(len(firms)) < np.clip(smes.articulation[firms] + boost, 0, 1)
    stopped[Barrier.CANNOT_ARTICULATE_NEED] = firms[~articulated]
    firms, field, stage = firms[articulated], field[articulated], stage[articulated]
    n = len(firms)
    model.month.searches = n

    k = behaviour.candidates_per_channel
    width = 3 * k + 3 + 1 + 2 * k
    candidates = np.full((n, width), -1, dtype=np.int64)
    slot_channel = np.full(width, -1, dtype=np.int64)
    slot_platform = np.full((n, width), -1, dtype=np.int64)
    slot_intermediary = np.full((n, width), -1, dtype=np.int64)
    opened = np.zeros((n, len(CHANNELS)), dtype=bool)
    if n == 0 or len(model.universities) == 0:
        stopped[Barrier.FEW_INFORMATION_CHANNELS] = firms if len(model.universities) == 0 \
            else np.zeros(0, dtype=np.int64)
        return _empty_search(), stopped

    region = smes.region[firms].astype(np.int64)
    reach, pools = model.regional_reach(region)
    column = 0

    # Industry association: members hear of partners with probability association_reach.
    rows = np.flatnonzero(smes.association_member[firms]
                          & (rng.random(n) < behaviour.association_reach))
    _grouped_sample(model, rows, reach, field, np.full(n, ASSOCIATION_PRECISION), k, pools,
                    candidates, column)
    slot_channel[column:column + k] = CHANNEL_INDEX[Channel.INDUSTRY_ASSOCIATION]
    opened[rows, CHANNEL_INDEX[Channel.INDUSTRY_ASSOCIATION]] = True
    column += k

    # Government matchmaking events of the past six months.
    events = model.recent_events[region]
    attend = 1.0 - (1.0 - behaviour.event_attendance) ** events
    rows = np.flatnonzero(rng.random(n) < attend)
    _grouped_sample(model, rows, reach, field, np.full(n, EVENT_PRECISION), k, pools,
                    candidates, column)
    slot_channel[column:column + k] = CHANNEL_INDEX[Channel.GOVERNMENT_EVENT]
    opened[rows, CHANNEL_INDEX[Channel.GOVERNMENT_EVENT]] = True
    column += k

    # Intermediaries of the firm's region with spare capacity this month.
    rows, chosen, precision, nationwide = model.assign_intermediaries(firms, region)
    intermediary_reach = np.where(nationwide, model.nationwide_pool, reach)
    _grouped_sample(model, rows, intermediary_reach, field, precision, k, pools, candidates,
                    column)
    slot_channel[column:column + k] = CHANNEL_INDEX[Channel.INTERMEDIARY]
    slot_intermediary[rows, column:column + k] = chosen[rows, None]
    opened[rows, CHANNEL_INDEX[Channel.INTERMEDIARY]] = True
    column += k

    # Direct contact: universities with which the firm has personal contacts.
    contacts = smes.contacts[firms]
    candidates[:, column:column + 3] = contacts
    slot_channel[column:column + 3] = CHANNEL_INDEX[Channel.DIRECT_CONTACT]
    opened[:, CHANNEL_INDEX[Channel.DIRECT_CONTACT]] = (contacts >= 0).any(axis=1)
    column += 3

    # Commissioner: a direct line to the commissioner's home university.
    home = model.commissioner_home(smes.commissioner[firms])
    candidates[:, column] = home
    slot_channel[column] = CHANNEL_INDEX[Channel.COMMISSIONER]
    opened[:, CHANNEL_INDEX[Channel.COMMISSIONER]] = home >= 0
    column += 1

    # Platforms: the member platform with the best precision proposes its university members.
    platform, platform_precision = model.best_platform(firms)
    rows = np.flatnonzero(platform >= 0)
    if len(rows):
        keys, group = np.unique(platform[rows] * model.n_fields + field[rows],
                                return_inverse=True)
        whole, in_field = [], []
        for key in keys.tolist():
            members = model.platform_university_pool(key // model.n_fields)
            whole.append(members)
            in_field.append(members[model.universities.fields[members, key % model.n_fields]])
        candidates[rows, column:column + k] = _sample_groups(rng, group, whole, in_field,
                                                             platform_precision[rows], k)
        slot_platform[rows, column:column + k] = platform[rows, None]
        opened[rows, CHANNEL_INDEX[Channel.PLATFORM]] = True
    slot_channel[column:column + k] = CHANNEL_INDEX[Channel.PLATFORM]
    column += k

    # Open-competition challenges (揭榜挂帅) post needs nationwide.
    rows = model.post_challenges(firms, region)
    _grouped_sample(model, rows, np.full(n, model.nationwide_pool), field,
                    np.full(n, CHALLENGE_PRECISION), k, pools, candidates, column)
    slot_channel[column:column + k] = CHANNEL_INDEX[Channel.OPEN_CHALLENGE]
    opened[rows, CHANNEL_INDEX[Channel.OPEN_CHALLENGE]] = True
    column += k

    smes.channel_used[firms] |= opened
    model.month.channel_searches += opened.sum(axis=0)
    no_channel = ~(candidates >= 0).any(axis=1)
    stopped[Barrier.FEW_INFORMATION_CHANNELS] = firms[no_channel]

    # Evaluation: fit of every candidate, plus relational credit with past partners.
    field_fit, maturity_fit, capacity_fit = fit_components(model, field, stage, candidates)
    fit = field_fit * maturity_fit * capacity_fit
    trust = model.ties.trust_of(firms, candidates)
    score = np.where(candidates >= 0, fit + TRUST_WEIGHT * trust
                     + 0.01 * rng.random(candidates.shape), -np.inf)
    best = np.argmax(score, axis=1)
    pick = np.arange(n), best
    best_fit = fit[pick]
    found = ~no_channel & (best_fit >= behaviour.fit_threshold)

    # A failed evaluation is put down to what limited the best in-field candidate.
    failed = ~no_channel & ~found
    in_field = field_fit >= 1.0
    no_field = failed & ~in_field.any(axis=1)
    limited = np.where(in_field, maturity_fit * capacity_fit, -1.0)
    best_in_field = np.argmax(limited, axis=1)
    immature = maturity_fit[np.arange(n), best_in_field] < capacity_fit[np.arange(n),
                                                                        best_in_field]
    stopped[Barrier.ACTIVITY_NEED_MISMATCH] = firms[no_field]
    stopped[Barrier.RESULTS_NOT_INDUSTRIALISABLE] = firms[failed & ~no_field & immature]
    stopped[Barrier.PARTNER_CAPACITY_INSUFFICIENT] = firms[failed & ~no_field & ~immature]

    search = Search(firms=firms, field=field, stage=stage, partner=candidates[pick],
                    channel=slot_channel[best], platform=slot_platform[pick],
                    intermediary=slot_intermediary[pick], fit=best_fit, trust=trust[pick])
    return search.subset(found), stopped


def _empty_search() -> Search:
    empty_int = np.zeros(0, dtype=np.int64)
    empty = np.zeros(0)
    return Search(empty_int, empty_int, empty_int, empty_int, empty_int, empty_int, empty_int,
                  empty, empty)
