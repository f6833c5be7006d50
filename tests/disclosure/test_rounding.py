"""Controlled rounding: multiples of the base, within a base of the truth, and still additive."""

from __future__ import annotations

import itertools
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.disclosure import rounding
from workforce.disclosure.errors import DisclosureError
from workforce.disclosure.rounding import RoundedTable, controlled_rounding, round_table
from workforce.disclosure.table import TOTAL, CellSpace, Hierarchy, build


def grid(rows: list[list[int]], dims=("race", "gender")) -> pd.DataFrame:
    return pd.DataFrame(
        [(f"r{i}", f"c{j}", v) for i, row in enumerate(rows) for j, v in enumerate(row)],
        columns=[*dims, "n"],
    )


def cube(sizes: list[int], counts) -> tuple[pd.DataFrame, list[str]]:
    names = [f"d{k}" for k in range(len(sizes))]
    index = pd.MultiIndex.from_product([[f"v{i}" for i in range(s)] for s in sizes],
                                       names=names)
    return pd.DataFrame({"n": list(counts)}, index=index).reset_index(), names


def assert_controlled(result: RoundedTable, space: CellSpace, base: int) -> None:
    """The four properties every controlled rounding must have."""
    true = space.value_array().astype(np.int64)
    rounded = result.values
    assert rounded.dtype.kind == "i" and rounded.shape == true.shape
    assert np.all(rounded % base == 0)
    assert np.all(space.matrix() @ rounded == 0)
    assert np.all(np.abs(rounded - true) < base)
    multiples = true % base == 0
    assert np.array_equal(rounded[multiples], true[multiples])
    assert result.largest_change == int(np.abs(rounded - true).max())


@pytest.mark.parametrize("base", [3, 5])
def test_a_two_way_table_is_rounded_to_multiples_that_still_add_up(base):
    rows = [[3, 0, 12, 7], [1, 5, 8, 2], [9, 4, 0, 6]]
    result = round_table(grid(rows), "n", ["race", "gender"], base=base)
    assert_controlled(result, result.space, base)
    assert result.optimal and result.base == base


def test_rounding_each_cell_to_nearest_would_break_the_sums_but_controlled_rounding_does_not():
    # 3 + 3 + 3 = 9: to nearest 5 that is 5 + 5 + 5 = 15 against a total of 10.
    result = round_table(grid([[3, 3, 3]]), "n", ["race", "gender"], base=5)
    cells = {(c["race"], c["gender"]): c["count"] for c in result.cells()}
    parts = [cells[("r0", f"c{j}")] for j in range(3)]
    assert sum(parts) == cells[("r0", TOTAL)] == cells[(TOTAL, TOTAL)] == 10
    assert sorted(parts) == [0, 5, 5]
    # One 3 goes the far way (3), two go to nearest (2 each), and so do their column
    # totals; the row total and grand total move 1 each.
    assert result.total_change == 2 * (3 + 2 + 2) + 1 + 1


def test_multiples_of_the_base_and_zeros_stay_exactly_as_they_are():
    rows = [[0, 5, 10, 3], [15, 0, 4, 20], [0, 0, 0, 0]]
    result = round_table(grid(rows), "n", ["race", "gender"], base=5)
    assert_controlled(result, result.space, 5)
    cells = {(c["race"], c["gender"]): c["count"] for c in result.cells()}
    for (r, c), true in {("r0", "c0"): 0, ("r0", "c1"): 5, ("r0", "c2"): 10,
                         ("r1", "c0"): 15, ("r1", "c3"): 20, ("r2", TOTAL): 0}.items():
        assert cells[(r, c)] == true
    # A table of multiples is published unchanged, without calling the solver at all.
    exact = round_table(grid([[0, 5], [10, 15]]), "n", ["race", "gender"], base=5)
    assert np.array_equal(exact.values, exact.space.value_array())
    assert exact.total_change == 0


def test_a_three_way_table_is_rounded_consistently_in_every_direction():
    rng = np.random.default_rng(7)
    inner, dims = cube([3, 4, 2], rng.integers(0, 31, size=24))
    space = build(inner, "n", dims)
    for base in (3, 5):
        assert_controlled(controlled_rounding(space, base), space, base)


def test_a_hierarchy_is_rounded_with_its_groups():
    stages = pd.DataFrame({"stage": ["student", "postdoc", "faculty", "emeritus"] * 2,
                           "race": ["a"] * 4 + ["b"] * 4, "n": [3, 6, 21, 2, 7, 1, 13, 4]})
    hierarchy = Hierarchy("stage", {"student": "trainee", "postdoc": "trainee",
                                    "faculty": "independent", "emeritus": "independent"})
    result = round_table(stages, "n", ["stage", "race"], hierarchies={"stage": hierarchy})
    assert_controlled(result, result.space, 5)
    cells = {(c["stage"], c["race"]): c["count"] for c in result.cells()}
    assert cells[("trainee", "a")] == cells[("student", "a")] + cells[("postdoc", "a")]


def test_linked_tables_share_their_margin_and_round_it_once():
    by_gender = pd.DataFrame({"race": ["a", "a", "b", "b", "c", "c"],
                              "gender": ["m", "w", "m", "w", "m", "w"],
                              "n": [13, 4, 2, 7, 11, 3]})
    by_stage = pd.DataFrame({"race": ["a", "a", "b", "b", "c", "c"],
                             "stage": ["x", "y", "x", "y", "x", "y"],
                             "n": [9, 8, 6, 3, 1, 13]})
    space = CellSpace(("race", "gender", "stage"))
    space.add_table("gender", by_gender, "n", ("race", "gender"))
    space.add_table("stage", by_stage, "n", ("race", "stage"))
    result = controlled_rounding(space, base=5)
    assert_controlled(result, space, 5)
    margins = {}
    for name in ("gender", "stage"):
        for c in result.cells(name):
            if c["gender"] == TOTAL and c["stage"] == TOTAL:
                margins.setdefault(c["race"], set()).add(c["count"])
    # Each race margin (and the grand total) is one cell with one rounded value in both.
    assert set(margins) == {"a", "b", "c", TOTAL}
    assert all(len(values) == 1 for values in margins.values())
    for name in ("gender", "stage"):
        other = "stage" if name == "gender" else "gender"
        assert all(c[other] == TOTAL for c in result.cells(name))


def test_the_published_shape_matches_the_gate_and_carries_its_label():
    result = round_table(grid([[3, 12], [8, 9]]), "n", ["race", "gender"], base=5)
    published = json.loads(json.dumps(result.as_dict()))
    assert published["base"] == 5 and published["max_change"] == 4
    assert published["label"] == (
        "Counts are rounded to multiples of 5 so that small groups cannot be told apart; "
        "totals are rounded too and still add up, so each count may be up to 4 away from "
        "the true number."
    )
    assert all(set(c) == {"race", "gender", "count", "status"} for c in published["cells"])
    assert all(c["status"] == "rounded" for c in published["cells"])
    assert len(published["cells"]) == 9
    # True counts, and how far the rounding moved them, stay with the publisher.
    assert "largest_change" not in published and "total_change" not in published
    assert round_table(grid([[1, 2]]), "n", ["race", "gender"], base=3).label.endswith(
        "may be up to 2 away from the true number.")


@pytest.mark.parametrize("base", [1, 0, -5, 2.5, "5", True])
def test_a_bad_base_is_refused(base):
    with pytest.raises(DisclosureError, match="base"):
        round_table(grid([[3, 4]]), "n", ["race", "gender"], base=base)


def test_bad_settings_and_counts_are_refused():
    space = build(grid([[3, 4]]), "n", ["race", "gender"])
    with pytest.raises(DisclosureError, match="time limit"):
        controlled_rounding(space, 5, time_limit=0)
    broken = build(grid([[3, 4]]), "n", ["race", "gender"])
    broken.values[0] = 2.5
    with pytest.raises(DisclosureError, match="not a count"):
        controlled_rounding(broken, 5)
    broken.values[0] = 4
    with pytest.raises(DisclosureError, match="not additive"):
        controlled_rounding(broken, 5)


def test_a_three_way_table_without_a_controlled_rounding_is_refused_not_published():
    """Controlled rounding need not exist beyond two dimensions (Causey, Cox and Ernst 1985).

    Base 2, a 2 × 2 × 2 table of ones and zeros: the zeros must stay 0 and every one becomes
    0 or 2, and no choice makes all twelve lines and their margins add up.
    """
    counts = np.array([1, 1, 0, 1, 1, 0, 0, 1])
    # Checked without the solver: every way of rounding the inner ones breaks some margin.
    ones = np.flatnonzero(counts)
    for choice in itertools.product([0, 2], repeat=ones.size):
        rounded = counts.copy()
        rounded[ones] = choice
        cells, true = rounded.reshape(2, 2, 2), counts.reshape(2, 2, 2)
        margins = [(cells.sum(axis=a), true.sum(axis=a)) for a in
                   (0, 1, 2, (0, 1), (0, 2), (1, 2), (0, 1, 2))]
        assert not all(np.all((r % 2 == 0) & (np.abs(r - t) < 2)) for r, t in margins)
    inner, dims = cube([2, 2, 2], counts)
    with pytest.raises(DisclosureError, match="no controlled rounding to base 2.*suppress"):
        round_table(inner, "n", dims, base=2)
    inner, dims = cube([3, 3, 2], [1, 0, 2, 1, 0, 2, 2, 1, 0, 1, 2, 1, 0, 1, 2, 0, 1, 0])
    with pytest.raises(DisclosureError, match="no controlled rounding to base 3"):
        round_table(inner, "n", dims, base=3)


def test_the_time_limit_is_reported(monkeypatch):
    real = rounding.milp
    space = build(grid([[3, 12, 4], [8, 9, 1]]), "n", ["race", "gender"])

    def stopped_with_a_solution(*args, **kwargs):
        assert kwargs["options"]["time_limit"] == 2.0
        found = real(*args, **kwargs)
        return SimpleNamespace(status=1, x=found.x, message="Time limit reached.")

    monkeypatch.setattr(rounding, "milp", stopped_with_a_solution)
    result = controlled_rounding(space, 5, time_limit=2.0)
    assert not result.optimal and result.as_dict()["optimal"] is False
    assert_controlled(result, space, 5)

    monkeypatch.setattr(rounding, "milp", lambda *a, **k: SimpleNamespace(
        status=1, x=None, message="Time limit reached."))
    with pytest.raises(DisclosureError, match="time limit of 2 s was reached"):
        controlled_rounding(space, 5, time_limit=2.0)


@st.composite
def two_way_tables(draw):
    rows, columns = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    counts = draw(st.lists(st.lists(st.integers(0, 30), min_size=columns, max_size=columns),
                           min_size=rows, max_size=rows))
    return counts, draw(st.sampled_from([3, 5]))


@settings(max_examples=60, deadline=None)
@given(two_way_tables())
def test_every_two_way_table_has_a_controlled_rounding(table):
    """Cox and Ernst 1982; Cox 1987: a two-way table with its margins always has a
    zero-restricted controlled rounding, so the solver must always find one."""
    rows, base = table
    space = build(grid(rows), "n", ["race", "gender"])
    result = controlled_rounding(space, base)
    assert_controlled(result, space, base)
    assert result.optimal
