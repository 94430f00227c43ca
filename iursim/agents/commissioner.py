"""Technology commissioners (科技特派员): researchers a government assigns to a few SMEs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

if TYPE_CHECKING:
    from iursim.model import IURModel

__all__ = ["Commissioner"]


class Commissioner(Agent):
    """A researcher of ``home`` university serving ``smes`` until ``term_end``.

    While assigned, the commissioner helps each firm articulate its needs (articulation
    boost), opens a direct channel to the home university, trains staff (a small monthly
    capability gain) and points direction. The survey reports these roles for 49-66 % of
    firms served.
    """

    def __init__(self, model: IURModel, government: int, home: int, smes: np.ndarray,
                 term_end: int):
        super().__init__(model)
        self.government = government
        self.home = home
        self.smes = smes
        self.term_end = term_end
        self.active = True
        # Value written into the firms' ``commissioner`` column; set when registered.
        self.slot = -1
