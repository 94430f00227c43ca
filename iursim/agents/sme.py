"""Small and medium-sized enterprises (中小企业): attributes, initialisation and path.

Per-firm numbers live in the model's ``smes`` columns so the monthly phases run vectorised;
:class:`SME` is the Mesa agent, a view on one row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent
from scipy.special import ndtri

from iursim.chain import BARRIERS, CHANNELS, FORMS, PATH_BY_STRENGTH, Path, Strength
from iursim.survey import SECTORS, load_survey

if TYPE_CHECKING:
    from iursim.model import IURModel

__all__ = ["SME", "SME_COLUMNS", "PATHS", "draw_smes", "classify_strength"]

PATHS: tuple[Path, ...] = tuple(Path)
MOTIVATIONS: tuple[str, ...] = tuple(load_survey().motivations)

# Column name -> (dtype, trailing shape). Platform membership is widened to the number of
# platforms when the model is built.
SME_COLUMNS: dict[str, tuple[object, tuple[int, ...]]] = {
    "region": (np.int16, ()),
    "sector": (np.int16, ()),
    "high_tech": (np.bool_, ()),
    "in_park": (np.bool_, ()),
    "staff": (np.int32, ()),
    "capability": (np.float64, ()),
    "absorptive": (np.float64, ()),
    "articulation": (np.float64, ()),
    "bargaining": (np.float64, ()),
    "monthly_rd": (np.float64, ()),
    "funds": (np.float64, ()),
    "motivation_count": (np.int8, ()),
    "motivations": (np.bool_, (len(MOTIVATIONS),)),
    "association_member": (np.bool_, ()),
    "contacts": (np.int32, (3,)),
    "path": (np.int8, ()),
    "alive": (np.bool_, ()),
    "spinoff": (np.bool_, ()),
    "born": (np.int32, ()),
    "exited": (np.int32, ()),
    "cooldown_until": (np.int32, ()),
    "running_projects": (np.int16, ()),
    "commissioner": (np.int32, ()),
    "last_need": (np.int32, ()),
    "ever_collaborated": (np.bool_, ()),
    "ever_commissioner": (np.bool_, ()),
    "channel_used": (np.bool_, (len(CHANNELS),)),
    "barrier_met": (np.bool_, (len(BARRIERS),)),
    "form_used": (np.bool_, (len(FORMS),)),
    "path_collaborated": (np.bool_, (len(PATHS),)),
    "attempts": (np.int32, ()),
    "projects_done": (np.int32, ()),
    "successes": (np.int32, ()),
    "output": (np.float64, ()),
    "platform_member": (np.bool_, (0,)),
}

# Staff: log-normal with median 60 and log-sd 1.0, truncated at the survey's 500 staff by
# inverse-CDF sampling so no mass piles up at the bound. The median is an assumption (Chinese
# SMEs in the survey's sectors are mostly small firms), documented in docs/ODD.md.
STAFF_LOG_MEDIAN = float(np.log(60.0))
STAFF_LOG_SD = 1.0
STAFF_MIN = 5

# Strength thresholds (technology capability 0-1, R&D funds in 10k CNY available for a project).
STRONG_CAPABILITY, STRONG_FUNDS = 0.45, 120.0
WEAK_CAPABILITY, WEAK_FUNDS = 0.28, 45.0

# Capability shift by location tier: provincial capital, other city, county.
TIER_CAPABILITY_SHIFT = {"metropolis": 0.04, "industrial_city": 0.0, "county": -0.06}


def _truncated_lognormal(rng: np.random.Generator, count: int, upper: float) -> np.ndarray:
    z_low = (np.log(STAFF_MIN) - STAFF_LOG_MEDIAN) / STAFF_LOG_SD
    z_high = (np.log(upper) - STAFF_LOG_MEDIAN) / STAFF_LOG_SD
    from scipy.special import ndtr

    u = rng.uniform(ndtr(z_low), ndtr(z_high), size=count)
    return np.exp(STAFF_LOG_MEDIAN + STAFF_LOG_SD * ndtri(u))


def classify_strength(capability: np.ndarray, funds_capacity: np.ndarray) -> np.ndarray:
    """Return the path index of each firm from its technology and financial strength.

    Strong firms (capability and funds both high) take the front-end path, weak firms (either
    low) the back-end path, the rest the mid-stream path.
    """
    strong = (capability >= STRONG_CAPABILITY) & (funds_capacity >= STRONG_FUNDS)
    weak = (capability < WEAK_CAPABILITY) | (funds_capacity < WEAK_FUNDS)
    strength = np.where(strong, 0, np.where(weak, 2, 1))
    order = [PATHS.index(PATH_BY_STRENGTH[s]) for s in (Strength.STRONG, Strength.MIDDLING,
                                                        Strength.WEAK)]
    return np.asarray(order, dtype=np.int8)[strength]


def draw_smes(model: IURModel, count: int, region: np.ndarray,
              region_type: list[str]) -> dict[str, np.ndarray]:
    """Draw ``count`` new firms from the survey's composition.

    Args:
        model: The model, whose generator makes every draw.
        count: Number of firms.
        region: Region index of each firm.
        region_type: Region type value (``metropolis`` ...) of each region index.

    Returns:
        Column values for :meth:`Columns.append`.
    """
    rng = model.rng
    survey = load_survey()
    behaviour = model.config.behaviour
    sector_p = np.array([survey.sector_share[name] for name in SECTORS])
    sector = rng.choice(len(SECTORS), size=count, p=sector_p / sector_p.sum())
    high_tech = rng.random(count) < survey.high_tech_share
    in_park = rng.random(count) < survey.industrial_park_share
    staff = np.rint(_truncated_lognormal(rng, count, survey.max_staff)).astype(np.int32)

    shift = np.array([TIER_CAPABILITY_SHIFT[kind] for kind in region_type])[region]
    capability = rng.beta(2.0, 5.0, size=count) + 0.10 * high_tech + 0.04 * in_park + shift
    capability = np.clip(capability, 0.01, 0.99)
    absorptive = np.clip(0.7 * capability + 0.3 * rng.beta(2.0, 2.0, size=count), 0.0, 1.0)
    articulation = np.clip(0.15 + 0.6 * capability + 0.25 * rng.random(count), 0.0, 1.0)
    size_score = np.log(staff) / np.log(survey.max_staff)
    bargaining = np.clip(0.5 * size_score + 0.3 * capability + 0.2 * rng.random(count), 0, 1)
    # R&D spending in 10k CNY per month: about 1.2 per employee a year for an average firm,
    # more for capable and high-tech firms.
    monthly_rd = staff * 0.1 * (0.5 + capability) * (1.0 + 0.4 * high_tech)
    funds = monthly_rd * behaviour.rd_funds_months

    motivation_p = np.array([survey.motivations[name] for name in MOTIVATIONS])
    motivations = rng.random((count, len(MOTIVATIONS))) < motivation_p
    member_p = np.clip(behaviour.association_membership * np.where(in_park, 1.1, 0.85), 0, 1)
    association_member = rng.random(count) < member_p
    contacts = np.full((count, 3), -1, dtype=np.int32)
    n_univ = len(model.universities)
    if n_univ:
        network_p = np.clip(behaviour.direct_network_share * (0.6 + 0.8 * capability), 0, 1)
        has_network = rng.random(count) < network_p
        contact_count = np.where(has_network, rng.integers(1, 4, size=count), 0)
        contacts = model.universities.draw_contacts(rng, region, contact_count)
    path = classify_strength(capability, funds)
    return {
        "region": region, "sector": sector, "high_tech": high_tech, "in_park": in_park,
        "staff": staff, "capability": capability, "absorptive": absorptive,
        "articulation": articulation, "bargaining": bargaining, "monthly_rd": monthly_rd,
        "funds": funds, "motivation_count": motivations.sum(axis=1),
        "motivations": motivations, "association_member": association_member,
        "contacts": contacts, "path": path, "alive": True, "born": model.steps,
        "exited": -1, "cooldown_until": 0, "commissioner": -1, "last_need": -10_000,
    }


class SME(Agent):
    """SME agent whose state is row ``index`` of the model's ``smes`` columns."""

    def __init__(self, model: IURModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def capability(self) -> float:
        """Technology capability, 0-1."""
        return float(self.model.smes.capability[self.index])

    @property
    def path(self) -> Path:
        """Entry path into the IUR network, set by technology and financial strength."""
        return PATHS[int(self.model.smes.path[self.index])]

    @property
    def sector(self) -> str:
        """Sector, which is also the technology field of most of its needs."""
        return SECTORS[int(self.model.smes.sector[self.index])]

    @property
    def alive(self) -> bool:
        """False once the firm has exited."""
        return bool(self.model.smes.alive[self.index])
