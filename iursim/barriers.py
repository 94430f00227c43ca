"""The barriers that stop an SME's attempt, and where each one is recorded.

| barrier | checked in | side |
| --- | --- | --- |
| cannot_articulate_need | articulation, before any search | firm |
| few_information_channels | search, when no channel is open this month | supply |
| activity_need_mismatch | evaluation, no candidate in the need's field, or refusal | supply |
| results_not_industrialisable | evaluation (results too immature) and project outcome | supply |
| partner_capacity_insufficient | evaluation (low capacity), negotiation (no free slot) | supply |
| lacks_talent_equipment | negotiation, form needs more absorptive capacity | firm |
| lacks_funds | negotiation, net cost above the firm's R&D funds | firm |
| little_say | negotiation, the firm fears losing control of a binding form | firm |
| benefit_sharing_dispute | negotiation, partners fail to agree on shares | supply |
| partner_lacks_integrity | negotiation or outcome, partner without integrity | supply |
| weak_absorption | project outcome, the firm cannot take the result over | firm |
"""

from __future__ import annotations

import numpy as np

from iursim.chain import BARRIERS, Barrier

__all__ = ["BARRIER_INDEX", "record_barrier"]

BARRIER_INDEX: dict[Barrier, int] = {barrier: i for i, barrier in enumerate(BARRIERS)}


def record_barrier(barrier_met: np.ndarray, counts: np.ndarray, firms: np.ndarray,
                   barrier: Barrier) -> None:
    """Mark ``barrier`` as met by ``firms`` and add them to this run's attempt counts."""
    if len(firms):
        column = BARRIER_INDEX[barrier]
        barrier_met[firms, column] = True
        counts[column] += len(firms)
