"""Universities and research institutes: fields, capacity, result maturity, willingness."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

from iursim.columns import Columns
from iursim.survey import SECTORS

if TYPE_CHECKING:
    from iursim.model import IURModel

__all__ = ["University", "UniversityTable"]

N_FIELDS = len(SECTORS)

UNIVERSITY_COLUMNS: dict[str, tuple[object, tuple[int, ...]]] = {
    "region": (np.int16, ()),
    "institute": (np.bool_, ()),
    "fields": (np.bool_, (N_FIELDS,)),
    "primary_field": (np.int16, ()),
    "capacity": (np.float64, ()),  # research capacity, 0-1
    "maturity": (np.float64, ()),  # technology readiness of its results, 0-1 (TRL / 9)
    "willingness": (np.float64, ()),  # willingness to serve firms, 0-1
    "integrity": (np.bool_, ()),
    "slots": (np.int32, ()),  # concurrent firm projects it can run
    "load": (np.int32, ()),  # firm projects running now
    "instruments": (np.int32, ()),  # shareable instruments
    "spinoffs": (np.int32, ()),
}


class UniversityTable(Columns):
    """Columns of all universities and institutes, with lookup pools by region and field."""

    def __init__(self) -> None:
        super().__init__(UNIVERSITY_COLUMNS)
        self._pools: dict[tuple[tuple[int, ...], int], np.ndarray] = {}

    def populate(self, model: IURModel, region: np.ndarray) -> None:
        """Draw one university or institute per entry of ``region``."""
        rng = model.rng
        count = len(region)
        behaviour = model.config.behaviour
        institute = rng.random(count) < 0.3
        primary = rng.integers(0, N_FIELDS, size=count)
        fields = np.zeros((count, N_FIELDS), dtype=bool)
        fields[np.arange(count), primary] = True
        second = rng.integers(0, N_FIELDS, size=count)
        has_second = rng.random(count) < 0.6
        fields[np.arange(count)[has_second], second[has_second]] = True
        capacity = rng.beta(3.0, 3.0, size=count)
        # Universities lean to basic research (low readiness), institutes to applied results.
        maturity = np.where(institute, rng.beta(5.0, 3.0, size=count),
                            rng.beta(3.0, 4.0, size=count))
        willingness_mean = np.clip(behaviour.university_willingness
                                   + (0.15 if model.config.policy.talent_zone else 0.0), 0, 1)
        willingness = np.clip(rng.beta(4.0, 4.0, size=count) - 0.5 + willingness_mean
                              + 0.1 * institute, 0.02, 1.0)
        integrity = rng.random(count) < behaviour.university_integrity
        slots = np.rint(4 + 16 * capacity).astype(np.int32)
        instruments = rng.poisson(3 + 5 * capacity)
        self.append(count, region=region, institute=institute, fields=fields,
                    primary_field=primary, capacity=capacity, maturity=maturity,
                    willingness=willingness, integrity=integrity, slots=slots,
                    instruments=instruments)
        self._pools.clear()

    def pool(self, regions: tuple[int, ...], field: int = -1) -> np.ndarray:
        """Universities of ``regions`` (all regions if empty), optionally with ``field``."""
        key = (regions, field)
        cached = self._pools.get(key)
        if cached is None:
            mask = np.ones(self.size, dtype=bool) if not regions else np.isin(self.region,
                                                                             regions)
            if field >= 0:
                mask &= self.fields[:, field]
            cached = np.flatnonzero(mask)
            self._pools[key] = cached
        return cached

    def draw_contacts(self, rng: np.random.Generator, region: np.ndarray,
                      counts: np.ndarray) -> np.ndarray:
        """Draw up to three personal university contacts per firm, mostly in its region."""
        contacts = np.full((len(region), 3), -1, dtype=np.int32)
        for slot in range(3):
            wanted = np.flatnonzero(counts > slot)
            if not len(wanted):
                break
            local = rng.random(len(wanted)) < 0.75
            for firm_region in np.unique(region[wanted]):
                same = wanted[(region[wanted] == firm_region) & local]
                pool = self.pool((int(firm_region),))
                if len(same) and len(pool):
                    contacts[same, slot] = pool[rng.integers(0, len(pool), size=len(same))]
            rest = wanted[contacts[wanted, slot] < 0]
            if len(rest) and self.size:
                contacts[rest, slot] = rng.integers(0, self.size, size=len(rest))
        return contacts


class University(Agent):
    """A university or research institute; its state is row ``index`` of ``universities``."""

    def __init__(self, model: IURModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def capacity(self) -> float:
        """Research capacity, 0-1."""
        return float(self.model.universities.capacity[self.index])

    @property
    def fields(self) -> tuple[str, ...]:
        """Technology fields it works in."""
        row = self.model.universities.fields[self.index]
        return tuple(SECTORS[i] for i in np.flatnonzero(row))
