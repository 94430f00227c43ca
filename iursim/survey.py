"""The SME survey behind the baseline: initial distributions and calibration targets.

The figures live in ``data/survey.toml`` beside this package, with the citation. Chen Jianan and
Li Yanping (Wuhan University), "Study on the paths and countermeasures of small and
medium-sized enterprises embedded into the integration of industry, university and research
institute" (中小企业开展产学研深度融合的路径与对策研究), survey of 527 SMEs, about 2022.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Survey", "load_survey", "SECTORS"]


@dataclass(frozen=True)
class Survey:
    """The survey's figures, each a share of the 527 respondents.

    Attributes:
        source: Citation fields (authors, institution, titles, respondents, year).
        max_staff: Upper bound on staff of every surveyed firm.
        high_tech_share: Share certified as high-tech enterprises (高新技术企业).
        industrial_park_share: Share located in a local industrial park.
        sector_share: Share per sector; the sectors double as the model's technology fields.
        location_tier_share: Share per location tier (provincial capital, other city, county).
        targets: Calibration targets (ever collaborated, continuing or planning, commissioner).
        motivations: Share naming each motivation (several answers allowed).
        channels: Share using each channel to find partners (several answers allowed).
        commissioner_roles: Share naming each commissioner role (several answers allowed).
    """

    source: dict[str, Any]
    max_staff: int
    high_tech_share: float
    industrial_park_share: float
    sector_share: dict[str, float]
    location_tier_share: dict[str, float]
    targets: dict[str, float]
    motivations: dict[str, float]
    channels: dict[str, float]
    commissioner_roles: dict[str, float]


@cache
def load_survey() -> Survey:
    """Read the survey data file shipped with the package."""
    text = resources.files("iursim").joinpath("data/survey.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    composition = data["composition"]
    return Survey(
        source=data["source"],
        max_staff=int(composition["max_staff"]),
        high_tech_share=float(composition["high_tech_share"]),
        industrial_park_share=float(composition["industrial_park_share"]),
        sector_share=dict(composition["sector_share"]),
        location_tier_share=dict(composition["location_tier_share"]),
        targets=dict(data["targets"]),
        motivations=dict(data["motivations"]),
        channels=dict(data["channels"]),
        commissioner_roles=dict(data["commissioner_roles"]),
    )


SECTORS: tuple[str, ...] = tuple(load_survey().sector_share)
