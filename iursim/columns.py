"""Growable struct-of-arrays storage for agent and project state.

The model keeps per-agent numbers in numpy columns, so each monthly phase runs as a handful of
vectorised operations. The Mesa agents are thin views on one row each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["Columns"]


class Columns:
    """Named numpy columns of equal length, appended to in batches.

    Capacity doubles when full, so appending ``k`` rows costs amortised O(k). Attribute access
    returns a view of the filled rows, so ``table.cash[rows] += x`` writes through.

    Args:
        spec: Column name to ``(dtype, trailing shape)``; ``()`` for a plain column.
        capacity: Initial number of rows allocated.
    """

    def __init__(self, spec: Mapping[str, tuple[Any, tuple[int, ...]]], capacity: int = 64):
        self._spec = dict(spec)
        self._capacity = max(int(capacity), 1)
        self._data = {name: np.zeros((self._capacity, *shape), dtype=dtype)
                      for name, (dtype, shape) in self._spec.items()}
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __getattr__(self, name: str) -> np.ndarray:
        data = self.__dict__.get("_data")
        if data is None or name not in data:
            raise AttributeError(name)
        return data[name][: self.__dict__["size"]]

    def __setattr__(self, name: str, value: object) -> None:
        # Augmented assignment (``table.flag |= mask``) rebinds the attribute; write the
        # values into the column instead of shadowing it with a fixed-size array.
        data = self.__dict__.get("_data")
        if data is not None and name in data:
            data[name][: self.__dict__["size"]] = value
        else:
            object.__setattr__(self, name, value)

    def names(self) -> tuple[str, ...]:
        """Names of all columns, in declaration order."""
        return tuple(self._spec)

    def append(self, count: int, **values: Any) -> np.ndarray:
        """Append ``count`` rows and return their indices.

        Columns not named in ``values`` get zeros; each value is a scalar or an array of
        ``count`` rows.
        """
        unknown = set(values) - set(self._spec)
        if unknown:
            raise KeyError(f"unknown column {sorted(unknown)[0]!r}")
        needed = self.size + count
        if needed > self._capacity:
            capacity = max(needed, 2 * self._capacity)
            for name, (dtype, shape) in self._spec.items():
                grown = np.zeros((capacity, *shape), dtype=dtype)
                grown[: self.size] = self._data[name][: self.size]
                self._data[name] = grown
            self._capacity = capacity
        rows = np.arange(self.size, needed)
        for name, (_dtype, _shape) in self._spec.items():
            target = self._data[name]
            target[self.size:needed] = values.get(name, 0)
        self.size = needed
        return rows

    def resize_trailing(self, name: str, width: int) -> None:
        """Widen a 2-D column to ``width`` trailing entries, padding with zeros."""
        dtype, shape = self._spec[name]
        if len(shape) != 1 or width < shape[0]:
            raise ValueError(f"column {name!r} cannot shrink or change rank")
        grown = np.zeros((self._capacity, width), dtype=dtype)
        grown[:, : shape[0]] = self._data[name]
        self._data[name] = grown
        self._spec[name] = (dtype, (width,))

    def frame_dict(self) -> dict[str, np.ndarray]:
        """Copy of every 1-D column, for building a DataFrame."""
        return {name: self._data[name][: self.size].copy()
                for name, (_dtype, shape) in self._spec.items() if not shape}
