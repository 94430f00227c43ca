"""Columns: growth, write-through views, augmented assignment and the frame copy."""

from __future__ import annotations

import numpy as np
import pytest

from iursim.columns import Columns

SPEC = {
    "cash": (np.float64, ()),
    "flag": (np.bool_, ()),
    "pair": (np.int32, (2,)),
}


def make_table(capacity: int = 2) -> Columns:
    return Columns(SPEC, capacity=capacity)


def test_append_returns_new_row_indices():
    table = make_table()
    first = table.append(2, cash=1.5)
    second = table.append(3, cash=np.array([2.0, 3.0, 4.0]))
    assert first.tolist() == [0, 1]
    assert second.tolist() == [2, 3, 4]
    assert len(table) == 5
    assert table.cash.tolist() == [1.5, 1.5, 2.0, 3.0, 4.0]


def test_growth_keeps_existing_rows():
    # Capacity 2, then 5 rows: the first growth must copy rows 0-1 into the larger buffer.
    table = make_table(capacity=2)
    table.append(2, cash=np.array([7.0, 8.0]), pair=np.array([[1, 2], [3, 4]]))
    table.append(3, cash=9.0)
    assert table.cash.tolist() == [7.0, 8.0, 9.0, 9.0, 9.0]
    assert table.pair[:2].tolist() == [[1, 2], [3, 4]]
    assert table.pair[2:].tolist() == [[0, 0]] * 3


def test_unnamed_columns_start_at_zero():
    table = make_table()
    table.append(3, cash=1.0)
    assert not table.flag.any()
    assert (table.pair == 0).all()


def test_view_covers_filled_rows_only():
    table = make_table(capacity=64)
    table.append(3)
    assert table.cash.shape == (3,)
    assert table.pair.shape == (3, 2)


def test_indexed_assignment_writes_through():
    table = make_table()
    table.append(4)
    table.cash[[1, 3]] += 2.5
    assert table.cash.tolist() == [0.0, 2.5, 0.0, 2.5]


def test_augmented_assignment_writes_through():
    # ``table.flag |= mask`` calls __setattr__ with the result; it must land in the column,
    # not shadow it with a plain attribute that stops growing.
    table = make_table()
    table.append(3)
    table.flag |= np.array([True, False, True])
    table.cash += 1.0
    assert table.flag.tolist() == [True, False, True]
    assert table.cash.tolist() == [1.0, 1.0, 1.0]
    assert "flag" not in table.__dict__
    table.append(2)
    assert table.flag.tolist() == [True, False, True, False, False]


def test_plain_attribute_is_not_a_column():
    table = make_table()
    table.label = "firms"
    assert table.label == "firms"
    assert "label" not in table.names()


def test_unknown_column_raises():
    table = make_table()
    with pytest.raises(KeyError, match="staff"):
        table.append(1, staff=3)
    with pytest.raises(AttributeError):
        _ = table.staff


def test_frame_dict_copies_plain_columns():
    table = make_table()
    table.append(2, cash=np.array([1.0, 2.0]))
    frame = table.frame_dict()
    assert set(frame) == {"cash", "flag"}
    frame["cash"][0] = 99.0
    assert table.cash[0] == 1.0


def test_resize_trailing_pads_with_zeros():
    table = make_table()
    table.append(2, pair=np.array([[1, 2], [3, 4]]))
    table.resize_trailing("pair", 4)
    assert table.pair.tolist() == [[1, 2, 0, 0], [3, 4, 0, 0]]
    table.append(1, pair=np.array([[5, 6, 7, 8]]))
    assert table.pair[2].tolist() == [5, 6, 7, 8]


def test_resize_trailing_rejects_shrinking():
    table = make_table()
    with pytest.raises(ValueError, match="pair"):
        table.resize_trailing("pair", 1)
    with pytest.raises(ValueError, match="cash"):
        table.resize_trailing("cash", 3)
