"""The disclosure gate against the classic ways suppressed cells come back."""

from __future__ import annotations

import threading
import time
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.disclosure import audit as audit_module
from workforce.disclosure import gate as gate_module
from workforce.disclosure import secondary as secondary_module
from workforce.disclosure.audit import (
    MEMBER,
    OUTSIDER,
    Attacker,
    audit,
    cell_ranges,
    floors,
    lowest_possible,
)
from workforce.disclosure.errors import DisclosureError
from workforce.disclosure.gate import PUBLISHED, TableSpec, protect_tables, prune
from workforce.disclosure.secondary import Boxes, Certificate, optimal, protect
from workforce.disclosure.table import TOTAL, CellSpace, Hierarchy, build


def grid(rows: list[list[int]], dims=("race", "gender")) -> pd.DataFrame:
    return pd.DataFrame(
        [(f"r{i}", f"c{j}", v) for i, row in enumerate(rows) for j, v in enumerate(row)],
        columns=[*dims, "n"],
    )


def cell(space: CellSpace, **key) -> int:
    return space.index[tuple(key.get(d, TOTAL) for d in space.dimensions)]


def test_a_single_suppressed_cell_is_recovered_from_its_row_total():
    space = build(grid([[3, 10, 12], [8, 9, 20]]), "n", ["race", "gender"])
    primary = np.zeros(space.size, dtype=bool)
    primary[cell(space, race="r0", gender="c0")] = True
    result = audit(space, primary, primary, protection=5, attackers=[OUTSIDER])
    assert not result.passed
    (failure,) = result.failures
    assert (failure.low, failure.high) == (3, 3)


def test_the_gate_hides_complementary_cells_and_passes_its_audit():
    result = protect_tables([TableSpec("t", grid([[3, 10, 12], [8, 9, 20]]), "n",
                                       ("race", "gender"))])
    assert result.publishable
    statuses = {tuple(c[d] for d in ("race", "gender")): c["status"] for c in result.cells()}
    assert statuses[("r0", "c0")] == "primary"
    assert list(statuses.values()).count("secondary") >= 3
    # Suppressed counts are null in what is published.
    assert all(c["count"] is None for c in result.cells() if c["status"] != PUBLISHED)


def test_two_suppressions_in_every_row_and_column_can_still_reveal_a_cell():
    """sdcTable's warning about its simple heuristic: two per line is not protection.

    Two blocks of four suppressed cells, two in every row and column; in the first block the
    empty cells stop the attacker's alternating changes both ways, so the 2 is exact.
    """
    rows = [[2, 0, 9, 11], [7, 0, 13, 8], [14, 6, 1, 0], [10, 12, 0, 3]]
    space = build(grid(rows), "n", ["race", "gender"])
    pattern = np.zeros(space.size, dtype=bool)
    for r, c in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)]:
        pattern[cell(space, race=f"r{r}", gender=f"c{c}")] = True
    primary = pattern & (space.value_array() > 0) & (space.value_array() < 5)
    ranges = cell_ranges(space, pattern, OUTSIDER)
    assert ranges[cell(space, race="r0", gender="c0")] == (2, 2)
    assert not audit(space, pattern, primary, 5, [OUTSIDER]).passed
    assert protect_tables([TableSpec("t", grid(rows), "n", ("race", "gender"))]).publishable


def test_linked_tables_can_reveal_a_cell_only_together():
    """Each table protected on its own passes its own audit; published together they fail."""
    by_gender = pd.DataFrame({"race": ["a", "a", "b", "b"], "gender": ["m", "w", "m", "w"],
                              "n": [15, 4, 2, 0]})
    by_stage = pd.DataFrame({"race": ["a", "a", "b", "b"], "stage": ["x", "y", "x", "y"],
                             "n": [12, 7, 2, 0]})
    alone = [protect_tables([TableSpec(name, table, "n", tuple(table.columns[:2]))])
             for name, table in (("gender", by_gender), ("stage", by_stage))]
    assert all(result.publishable for result in alone)
    together = CellSpace(("race", "gender", "stage"))
    together.add_table("gender", by_gender, "n", ("race", "gender"))
    together.add_table("stage", by_stage, "n", ("race", "stage"))
    published = np.zeros(together.size, dtype=bool)
    for result in alone:
        for i, status in enumerate(result.status):
            if status == PUBLISHED:
                key = dict(zip(result.space.dimensions, result.space.keys[i], strict=True))
                published[cell(together, **{k: v for k, v in key.items() if v != TOTAL})] = True
    values = together.value_array()
    primary = ~published & (values > 0) & (values < 5)
    combined = audit(together, ~published, primary, 5, [OUTSIDER])
    assert not combined.passed
    # Together, a small cell is pinned down exactly.
    assert any(f.primary and f.low == f.high for f in combined.failures)
    # Protected as linked tables, the shared cells have one status and the pair is safe.
    linked = protect_tables([TableSpec("gender", by_gender, "n", ("race", "gender")),
                             TableSpec("stage", by_stage, "n", ("race", "stage"))])
    assert linked.publishable


def test_a_percentage_would_give_back_a_suppressed_count():
    """3 of a published total of 15 is 20%: the share is suppressed with the count."""
    result = protect_tables([TableSpec("t", grid([[3, 12], [8, 9]]), "n", ("race", "gender"))])
    shares = result.shares("gender")
    hidden = [s for s in shares if s["status"] != PUBLISHED]
    assert hidden and all(s["share"] is None for s in hidden)
    shown = [s for s in shares if s["status"] == PUBLISHED and s["gender"] != TOTAL]
    assert all(s["share"] is not None for s in shown)


def test_differencing_the_consortium_table_and_one_society_reveals_another_society():
    by_society = pd.DataFrame({
        "society": ["A", "A", "B", "B", "C", "C"],
        "race": ["black", "white", "black", "white", "black", "white"],
        "n": [9, 40, 2, 30, 8, 51],
    })
    # Naive: the consortium table, and each society's own table protected alone: B hides
    # its 2 and its white count (its total stays), which is safe within B's table.
    space = build(by_society, "n", ["society", "race"])
    published = np.ones(space.size, dtype=bool)
    published[cell(space, society="B", race="black")] = False
    published[cell(space, society="B", race="white")] = False
    values = space.value_array()
    primary = (values > 0) & (values < 5)
    naive = audit(space, ~published, primary, 5, [OUTSIDER])
    assert not naive.passed
    # Protected together (societies within the consortium), and against each society
    # knowing its own cells, the table is safe.
    gate = protect_tables([TableSpec("societies", by_society, "n", ("society", "race"))],
                          insiders="society")
    assert gate.publishable
    assert any("society A" in name for name in gate.insiders)


def test_a_member_knows_their_cell_is_at_least_one():
    space = build(grid([[1, 10], [12, 9]]), "n", ["race", "gender"])
    pattern = np.ones(space.size, dtype=bool)
    pattern[cell(space)] = False
    low_outsider, _ = cell_ranges(space, pattern, OUTSIDER)[cell(space, race="r0", gender="c0")]
    low_member, _ = cell_ranges(space, pattern, MEMBER)[cell(space, race="r0", gender="c0")]
    assert low_outsider == 0 and low_member == 1


def test_an_insider_subtracts_their_own_cells():
    space = build(grid([[3, 10], [8, 9]]), "n", ["race", "gender"])
    pattern = np.zeros(space.size, dtype=bool)
    for r, c in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        pattern[cell(space, race=f"r{r}", gender=f"c{c}")] = True
    knows_row_1 = Attacker("row r1", frozenset(i for i, k in enumerate(space.keys)
                                               if k[0] == "r1"))
    low, high = cell_ranges(space, pattern, knows_row_1)[cell(space, race="r0", gender="c0")]
    assert low == high == 3


def test_a_hierarchy_adds_its_groups_as_margins():
    stages = pd.DataFrame({"stage": ["student", "postdoc", "faculty"], "n": [3, 6, 20]})
    hierarchy = Hierarchy("stage", {"student": "trainee", "postdoc": "trainee",
                                    "faculty": "independent"})
    result = protect_tables([TableSpec("t", stages, "n", ("stage",), {"stage": hierarchy})])
    statuses = {c["stage"]: c for c in result.cells()}
    assert statuses["trainee"]["count"] == 9
    assert statuses["student"]["status"] == "primary"
    assert statuses["postdoc"]["status"] == "secondary"
    assert result.publishable


def test_bad_tables_are_named():
    with pytest.raises(DisclosureError, match=r"row 3, column 'n': '-1' is not a count"):
        build(pd.DataFrame({"race": ["a", "b"], "n": ["4", "-1"]}), "n", ["race"])
    with pytest.raises(DisclosureError, match="appears twice"):
        build(pd.DataFrame({"race": ["a", "a"], "n": [4, 1]}), "n", ["race"])
    with pytest.raises(DisclosureError, match="'Total' is reserved"):
        build(pd.DataFrame({"race": ["a", "Total"], "n": [4, 1]}), "n", ["race"])
    with pytest.raises(DisclosureError, match="no column 'count'"):
        build(pd.DataFrame({"race": ["a"], "n": [4]}), "count", ["race"])


@st.composite
def random_tables(draw):
    dims = draw(st.integers(2, 4))
    # Four dimensions of two categories, or fewer of up to three: the audit of each example
    # solves a linear program per suppressed cell, and the test must stay quick.
    sizes = [draw(st.integers(2, 2 if dims == 4 else 3)) for _ in range(dims)]
    names = [f"d{k}" for k in range(dims)]
    cells = int(np.prod(sizes))
    counts = draw(st.lists(st.sampled_from([0, 1, 2, 3, 4, 6, 9, 15, 30]), min_size=cells,
                           max_size=cells))
    index = pd.MultiIndex.from_product([[f"v{i}" for i in range(s)] for s in sizes],
                                       names=names)
    return pd.DataFrame({"n": counts}, index=index).reset_index(), tuple(names)


@settings(max_examples=20, deadline=None)
@given(random_tables())
def test_every_protected_random_table_passes_the_audit(table):
    inner, dims = table
    # Such small tables take 32 tries by default, each through the same code; four (the
    # first order and three varied ones) cover it in an eighth of the time.
    result = protect_tables([TableSpec("t", inner, "n", dims)], tries=4)
    assert result.publishable, result.audit.failures[:3]


# The same ten tables on every run: on 1,000 such tables none was more than a tenth above
# the fewest, which is what this asserts, but a rare one could be, and CI must not flake.
@settings(max_examples=10, deadline=None, derandomize=True)
@given(random_tables().filter(lambda t: len(t[1]) <= 3 and len(t[0]) <= 12))
def test_secondary_suppressions_are_within_a_tenth_of_the_fewest_possible(table):
    inner, dims = table
    result = protect_tables([TableSpec("t", inner, "n", dims)])
    space = result.space
    primary = np.asarray(result.status) == "primary"
    # The exact program against the same attackers: the outsider and a member of a cell.
    exact = optimal(space, primary, 5, time_limit=60, attackers=(OUTSIDER, MEMBER))
    assert exact.proven
    fewest = exact.suppressed.sum()
    ours = (np.asarray(result.status) != PUBLISHED).sum()
    assert audit(space, exact.suppressed, primary, 5, [OUTSIDER, MEMBER]).passed
    # On 1,000 such tables the gate's thirty-two tries hid 0.1% more cells than the fewest
    # in all, at worst one more where 19 protect (see `gate.TRIES_BY_SIZE`).
    assert ours <= fewest * 1.1


@pytest.mark.parametrize("seed", [5, 9])
def test_four_way_tables_hide_at_most_a_tenth_more_than_the_fewest(seed):
    """Four dimensions, against the exact program for both attackers: of the benchmark's
    2⁴ tables drawn with seeds 1–12, these are two it proves within seconds (28 and 16)."""
    inner, dims = four_way(seed)
    result = protect_tables([TableSpec("t", inner, "n", dims)])
    primary = np.asarray(result.status) == "primary"
    exact = optimal(result.space, primary, 5, time_limit=60, attackers=(OUTSIDER, MEMBER))
    assert exact.proven
    ours = (np.asarray(result.status) != PUBLISHED).sum()
    assert ours <= exact.suppressed.sum() * 1.1


@pytest.mark.parametrize(("seed", "exact_best"), [(10, 34), (12, 40)])
def test_small_four_way_tables_hide_no_more_than_the_exact_programs_best_pattern(seed,
                                                                                 exact_best):
    """Two 2⁴ tables the exact program does not prove within minutes: its best patterns
    (34 and 40 cells, from `optimal(..., time_limit=15)` against both attackers) are
    where the gate's four tries hid 38 and 47; its default tries for such tables match
    them."""
    inner, dims = four_way(seed)
    result = protect_tables([TableSpec("t", inner, "n", dims)])
    assert result.publishable
    assert (np.asarray(result.status) != PUBLISHED).sum() <= exact_best


def test_the_exact_program_keeps_no_cell_that_nothing_moves():
    """Found by the test above: with HiGHS's presolve, the exact program hid the grand
    total here — fixed by the published row totals — and called 9 cells the fewest."""
    space = build(grid([[3, 2, 3], [3, 30, 2], [6, 30, 30]]), "n", ["race", "gender"])
    values = space.value_array()
    primary = (values > 0) & (values < 5)
    exact = optimal(space, primary, 5)
    assert exact.proven and exact.suppressed.sum() == exact.lower_bound == 8
    assert not exact.suppressed[cell(space)]
    assert audit(space, exact.suppressed, primary, 5, [OUTSIDER]).passed


def seeded_table(seed: int, names: tuple[str, ...], categories: int) -> pd.DataFrame:
    """Counts from a negative binomial with many small values, as the benchmark draws them."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product([[f"v{i}" for i in range(categories)]] * len(names),
                                       names=list(names))
    return pd.DataFrame({"n": rng.negative_binomial(1, 0.08, size=len(index))},
                        index=index).reset_index()


def four_way(seed: int) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The benchmark's 2⁴ table: two categories in each of four dimensions."""
    names = ("race", "gender", "stage", "sector")
    return seeded_table(seed, names, 2), names


def test_further_tries_find_a_pattern_hiding_fewer_cells_and_the_same_one_every_time():
    inner, dims = four_way(2025)
    once = protect_tables([TableSpec("t", inner, "n", dims)], tries=1)
    twice = protect_tables([TableSpec("t", inner, "n", dims)], tries=2)
    again = protect_tables([TableSpec("t", inner, "n", dims)], tries=2)
    hidden = [(np.asarray(r.status) != PUBLISHED).sum() for r in (once, twice)]
    # Smallest cells first hides 42 of the 81 cells; a second order finds 36, the fewest the
    # exact program finds in two minutes.
    assert hidden == [42, 36]
    assert twice.publishable
    assert list(twice.status) == list(again.status)
    with pytest.raises(DisclosureError, match="tries must be at least 1"):
        protect_tables([TableSpec("t", inner, "n", dims)], tries=0)


def three_way(seed: int, categories: int = 4) -> pd.DataFrame:
    return seeded_table(seed, ("a", "b", "c"), categories)


def test_deviations_found_in_boxes_are_valid_certificates():
    """Large tables look for each cell's deviation near it first; forced here on a small one."""
    space = build(three_way(8, categories=6), "n", ["a", "b", "c"])
    values = space.value_array()
    primary = (values > 0) & (values < 5)
    pattern = protect(space, primary, 5.0, attackers=(OUTSIDER, MEMBER), local=True)
    matrix = space.matrix()
    for certificate in pattern.certificates:
        deviation = certificate.deviation(space.size)
        assert np.abs(matrix @ deviation).max() < 1e-9
        assert np.all(np.abs(deviation[~pattern.suppressed]) < 1e-9)
        assert np.all(values + deviation >= floors(values, certificate.attacker) - 1e-9)
        assert certificate.amount(certificate.cell) == pytest.approx(certificate.need)
    # Every box is smaller than the table, yet every primary cell is protected.
    assert len(Boxes(space).around(int(np.flatnonzero(primary)[0]), primary, values)) < \
        space.size
    assert audit(space, pattern.suppressed, primary, 5.0, [OUTSIDER, MEMBER]).passed


def test_a_table_whose_cells_lie_in_order_gets_the_same_boxes_as_any_other():
    """A table on its own reads its hidden cells as a view and skips sorting its boxes;
    the boxes must be those the general path (any numbering, as in linked tables) gives."""
    space = build(three_way(5, categories=6), "n", ["a", "b", "c"])
    values = space.value_array()
    hidden = np.random.default_rng(3).random(space.size) < 0.4
    boxes = Boxes(space)
    general = Boxes(space)
    general.grids = [(grid, flat, axes, None) for grid, flat, axes, _start in general.grids]
    assert boxes.grids[0][3] is not None  # the first table lies in order
    for cell in range(space.size):
        for totals in (False, True):
            fast, fast_roomy = boxes.choose(cell, hidden, values, totals, rise=5.0)
            slow, slow_roomy = general.choose(cell, hidden, values, totals, rise=5.0)
            assert np.array_equal(fast, slow) and fast_roomy == slow_roomy


def test_found_deviations_are_indexed_by_cell_in_the_order_found():
    """Deviations are merged into the index in batches; each cell's entries must list the
    deviations moving it in the order they were found, as a full sort would."""
    found = secondary_module._Found()
    found.facing(OUTSIDER, np.full(300, 10.0))
    rng = np.random.default_rng(0)
    for number in range(5 * found.BATCH + 7):
        cells = np.sort(rng.choice(min(40 + number, 300), 6, replace=False))
        found.add(Certificate(OUTSIDER, int(cells[0]), 1.0, cells, rng.random(6) + 0.5))
        if number % found.BATCH == 3:
            for cell in rng.integers(0, 40, 5):
                numbers, amounts = found._moving(int(cell))
                expected = [(i, float(c.amounts[c.cells == cell][0]))
                            for i, c in enumerate(found.found) if cell in c.cells]
                assert list(zip(numbers.tolist(), amounts.tolist(), strict=True)) == expected


def test_a_found_deviation_serves_a_later_cell_stretched_or_reversed_while_cells_have_room():
    space = build(grid([[2, 9, 1], [6, 3, 8]]), "n", ["race", "gender"])
    values = space.value_array()
    a, b, c = (cell(space, race="r0", gender=g) for g in ("c0", "c1", "c2"))
    a2, b2 = (cell(space, race="r1", gender=g) for g in ("c0", "c1"))
    # a and b2 up by 2, b and a2 down by 2: every row and column keeps its total.
    moves = {a: 2.0, b: -2.0, a2: -2.0, b2: 2.0}
    cells = np.array(sorted(moves))
    found = secondary_module._Found()
    found.facing(OUTSIDER, values.copy())
    found.add(Certificate(OUTSIDER, a, 2.0, cells, np.array([moves[i] for i in cells])))
    # Stretched: a up by 5 takes b down by 5 (it has 9) and a2 by 5 (it has 6).
    stretched = found.serving(a, 5.0)
    assert stretched.reused
    assert (stretched.amount(a), stretched.amount(b), stretched.amount(a2)) == (5.0, -5.0, -5.0)
    assert np.abs(space.matrix() @ stretched.deviation(space.size)).max() == 0
    # Too far: b cannot go down by 10.
    assert found.serving(a, 10.0) is None
    # Reversed: a down by 2 (it has exactly 2) takes b2 down by 2 (it has 3) and b up.
    assert found.serving(a, -2.0).amount(b) == pytest.approx(2.0)
    # b up by 3 would take a below zero.
    assert found.serving(b, 3.0) is None
    # A cell the deviation leaves alone is not served by it.
    assert found.serving(c, 5.0) is None


def test_the_pattern_does_not_depend_on_which_thread_finishes_first(monkeypatch):
    space = build(three_way(11, categories=6), "n", ["a", "b", "c"])
    values = space.value_array()
    primary = (values > 0) & (values < 5)
    # Two cores as far as protect can tell, whatever this machine has: threads still
    # interleave on one.
    monkeypatch.setattr(secondary_module, "_cores", lambda: 2)
    on_second_thread = []
    in_box = secondary_module._in_box

    def counted(*args, **kwargs):
        on_second_thread.append(threading.current_thread() is not threading.main_thread())
        return in_box(*args, **kwargs)

    monkeypatch.setattr(secondary_module, "_in_box", counted)
    first = protect(space, primary, 5.0, attackers=(OUTSIDER, MEMBER), local=True)
    assert any(on_second_thread) and not all(on_second_thread)
    # Slow every program down by a different random delay: the threads now finish in
    # another order, and the result must not change.
    cheapest = secondary_module.DeviationProgram.cheapest
    delays = np.random.default_rng(1)

    def slowed(self, *args, **kwargs):
        time.sleep(float(delays.uniform(0, 0.004)))
        return cheapest(self, *args, **kwargs)

    monkeypatch.setattr(secondary_module.DeviationProgram, "cheapest", slowed)
    second = protect(space, primary, 5.0, attackers=(OUTSIDER, MEMBER), local=True)
    assert np.array_equal(first.suppressed, second.suppressed)
    assert [(c.cell, c.need, c.cells.tolist()) for c in first.certificates] == \
        [(c.cell, c.need, c.cells.tolist()) for c in second.certificates]


def test_on_one_core_nothing_is_solved_ahead_and_the_pattern_still_protects(monkeypatch):
    monkeypatch.setattr(secondary_module, "_cores", lambda: 1)

    def no_second_core(*args, **kwargs):
        raise AssertionError("a thread was started on one core")

    monkeypatch.setattr(secondary_module, "ThreadPoolExecutor", no_second_core)
    space = build(three_way(12, categories=6), "n", ["a", "b", "c"])
    values = space.value_array()
    primary = (values > 0) & (values < 5)
    pattern = protect(space, primary, 5.0, attackers=(OUTSIDER, MEMBER), local=True)
    assert audit(space, pattern.suppressed, primary, 5.0, [OUTSIDER, MEMBER]).passed


def test_a_box_whose_siblings_cannot_fall_far_enough_is_not_asked():
    """Raising r0·c0 by 5 with the row total fixed takes 5 from its row's other cells: a
    member knows the 1 and the empty cells cannot go lower, so only the box with the totals
    can hold the deviation, and the box without them is not asked at all."""
    space = build(grid([[1, 1, 0], [9, 8, 9], [7, 9, 6]]), "n", ["race", "gender"])
    values = space.value_array()
    primary = np.zeros(space.size, dtype=bool)
    short = cell(space, race="r0", gender="c0")
    primary[short] = True
    slack = values - floors(values, MEMBER)
    boxes = Boxes(space)
    assert not boxes.choose(short, primary, slack, totals=False, rise=5.0)[1]
    # Down the column there is room: the 9 and the 7 can give 5.
    assert boxes.choose(cell(space, race="r1", gender="c0"), primary, slack, totals=False,
                        rise=5.0)[1]
    asked = []

    class Counting(secondary_module.DeviationProgram):
        def cheapest(self, cells, *args, **kwargs):
            asked.append(len(cells))
            return super().cheapest(cells, *args, **kwargs)

    program = Counting(space.matrix())
    weights = np.ones(space.size)
    _, certificate = secondary_module._in_box(program, boxes, weights, primary, slack, MEMBER,
                                              short, 5.0)
    assert certificate is None and asked == []
    _, certificate = secondary_module._in_box(program, boxes, weights, primary, slack, MEMBER,
                                              short, 5.0, totals=True)
    assert certificate is not None and certificate.amount(short) == 5.0
    pattern = protect(space, primary, 5.0, attackers=(OUTSIDER, MEMBER), local=True)
    assert audit(space, pattern.suppressed, primary, 5.0, [OUTSIDER, MEMBER]).passed


def test_a_members_proof_serves_the_outsider_without_a_copy(monkeypatch):
    """A member's floors are at least the outsider's, so the member's proof that a cell can
    rise by 5 already proves it to the outsider: the audit counts it for both."""
    space = build(three_way(8, categories=6), "n", ["a", "b", "c"])
    values = space.value_array()
    primary = (values > 0) & (values < 5)
    pattern = protect(space, primary, 5.0, attackers=(OUTSIDER, MEMBER), local=True)
    members = {(c.cell, c.need) for c in pattern.certificates if c.attacker == MEMBER}
    outsiders = {(c.cell, c.need) for c in pattern.certificates if c.attacker == OUTSIDER}
    rises = {(int(c), 5.0) for c in np.flatnonzero(primary)}
    # Where the first found deviation serving the outsider is the member's own, unscaled,
    # no copy is kept.
    without_copy = rises - outsiders
    assert without_copy and without_copy <= members
    monkeypatch.setattr(audit_module, "CERTIFIED_FROM_CELLS", 0)
    proven = audit(space, pattern.suppressed, primary, 5.0, [OUTSIDER, MEMBER],
                   pattern.certificates)
    assert proven.passed
    settled = {i.cell for i in proven.intervals if i.attacker == OUTSIDER.name and not i.exact}
    assert set(np.flatnonzero(primary).tolist()) <= settled


def test_a_secondary_cell_no_proof_needs_any_longer_is_published_again(monkeypatch):
    """Pruning tries the costliest cell first. Here its proof is not found again at first
    (as when a box around the primary cell holds no other proof), so it stays hidden; later
    proofs found again without other cells no longer move it. Left hidden, it would protect
    nothing, and with its neighbours published the outsider would work it out exactly."""
    space = build(three_way(5), "n", ["a", "b", "c"])
    values = space.value_array()
    primary = (values > 0) & (values < 5)
    pattern = protect(space, primary, 5.0, attackers=(OUTSIDER, MEMBER))
    real = gate_module.reprove
    calls = []

    def first_proof_not_found(*args, **kwargs):
        calls.append(args)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(gate_module, "reprove", first_proof_not_found)
    pruned = prune(space, pattern, primary, "counts")
    moved = np.zeros(space.size, dtype=bool)
    moved[audit_module.entries(pruned.certificates)[0]] = True
    assert not (pruned.suppressed & ~primary & ~moved).any()
    assert audit(space, pruned.suppressed, primary, 5.0, [OUTSIDER, MEMBER]).passed


def test_certificates_give_the_same_verdict_as_the_attackers_programs(monkeypatch):
    space = build(three_way(3), "n", ["a", "b", "c"])
    values = space.value_array()
    primary = (values > 0) & (values < 5)
    pattern = prune(space, protect(space, primary, 5.0, attackers=(OUTSIDER, MEMBER)),
                    primary, "cells")
    exact = audit(space, pattern.suppressed, primary, 5.0, [OUTSIDER, MEMBER])
    monkeypatch.setattr(audit_module, "CERTIFIED_FROM_CELLS", 0)
    proven = audit(space, pattern.suppressed, primary, 5.0, [OUTSIDER, MEMBER],
                   pattern.certificates)
    assert exact.passed and proven.passed
    assert any(not interval.exact for interval in proven.intervals)
    solved = {(i.cell, i.attacker): i for i in exact.intervals}
    assert set(solved) == {(i.cell, i.attacker) for i in proven.intervals}
    for interval in proven.intervals:
        # What certificates prove lies inside what the attacker's program finds.
        truth = solved[(interval.cell, interval.attacker)]
        assert truth.low - 1e-6 <= interval.low and interval.high <= truth.high + 1e-6


@settings(max_examples=10, deadline=None)
@given(random_tables())
def test_large_table_methods_pass_the_attackers_programs_on_random_tables(table):
    """Boxes, reused deviations and the certificate audit, forced on small tables, agree
    with the exact audit."""
    inner, dims = table
    with (
        patch.object(secondary_module, "LOCAL_FROM_CELLS", 0),
        patch.object(gate_module, "LOCAL_FROM_CELLS", 0),
        patch.object(audit_module, "CERTIFIED_FROM_CELLS", 0),
    ):
        result = protect_tables([TableSpec("t", inner, "n", dims)], tries=4)
    assert result.publishable, result.audit.failures[:3]
    suppressed = np.asarray(result.status) != PUBLISHED
    primary = np.asarray(result.status) == "primary"
    exact = audit(result.space, suppressed, primary, 5.0, [OUTSIDER, MEMBER])
    assert exact.passed, exact.failures[:3]


def test_large_table_methods_hold_for_linked_tables_hierarchies_and_insiders(monkeypatch):
    """Societies within the consortium, career stages grouped, two tables sharing margins,
    each society knowing its own cells: forced through boxes and certificates, the pattern
    passes the attackers' programs."""
    rng = np.random.default_rng(11)
    societies, races, stages = ["A", "B", "C"], ["r0", "r1", "r2"], ["s0", "s1", "s2", "s3"]
    by_stage = pd.DataFrame(
        [(o, s, int(n)) for o in societies for s in stages
         for n in rng.negative_binomial(1, 0.12, size=1)],
        columns=["society", "stage", "n"],
    )
    by_race = pd.DataFrame(
        [(o, r, 0) for o in societies for r in races], columns=["society", "race", "n"]
    )
    for society in societies:  # the same society totals, split another way
        total = by_stage.loc[by_stage["society"] == society, "n"].sum()
        split = rng.multinomial(total, [0.6, 0.3, 0.1])
        by_race.loc[by_race["society"] == society, "n"] = split
    grouped = Hierarchy("stage", {"s0": "early", "s1": "early", "s2": "late", "s3": "late"})
    specs = [TableSpec("stage", by_stage, "n", ("society", "stage"), {"stage": grouped}),
             TableSpec("race", by_race, "n", ("society", "race"))]
    for module, name in ((secondary_module, "LOCAL_FROM_CELLS"),
                         (gate_module, "LOCAL_FROM_CELLS"),
                         (audit_module, "CERTIFIED_FROM_CELLS")):
        monkeypatch.setattr(module, name, 0)
    result = protect_tables(specs, insiders="society")
    assert result.publishable, result.audit.failures[:3]
    assert any(not interval.exact for interval in result.audit.intervals)
    monkeypatch.setattr(audit_module, "CERTIFIED_FROM_CELLS", 10**9)
    suppressed = np.asarray(result.status) != PUBLISHED
    primary = np.asarray(result.status) == "primary"
    insiders = [Attacker(name, frozenset(i for i, key in enumerate(result.space.keys)
                                         if key[0] == name[-1]))
                for name in ("society A", "society B", "society C")]
    exact = audit(result.space, suppressed, primary, 5.0, [OUTSIDER, MEMBER, *insiders])
    assert exact.passed, exact.failures[:3]


def test_a_certificate_that_does_not_hold_is_not_believed(monkeypatch):
    """A forged table that moves a published cell proves nothing: the cell is solved for."""
    space = build(grid([[3, 10, 12], [8, 9, 20]]), "n", ["race", "gender"])
    values = space.value_array()
    primary = (values > 0) & (values < 5)
    only_primary = primary.copy()  # no complementary cell: recoverable from its row
    small = cell(space, race="r0", gender="c0")
    forged = [Certificate(OUTSIDER, small, need, np.array([small, cell(space, race="r0",
                                                                       gender="c1")]),
                          np.array([need, -need])) for need in (5.0, -3.0)]
    monkeypatch.setattr(audit_module, "CERTIFIED_FROM_CELLS", 0)
    result = audit(space, only_primary, primary, 5.0, [OUTSIDER], forged)
    assert not result.passed
    failure = result.failures[0]
    assert (failure.low, failure.high, failure.exact) == (3, 3, True)


def test_a_member_cannot_rule_out_fewer_than_the_non_empty_cells_under_a_total():
    space = build(grid([[3, 0, 12], [8, 1, 20]]), "n", ["race", "gender"])
    everything = np.arange(space.size).tolist()
    lowest = lowest_possible(space, MEMBER, everything)
    assert lowest[cell(space, race="r0")] == 2
    assert lowest[cell(space, gender="c1")] == 1
    assert lowest[cell(space)] == 5
    assert lowest[cell(space, race="r0", gender="c1")] == 0
    # The attacker's program, asked the same on linked tables, agrees on a single one.
    solved = cell_ranges(space, np.ones(space.size, dtype=bool), MEMBER, everything)
    assert all(solved[c][0] == pytest.approx(lowest[c]) for c in everything)
    assert set(lowest_possible(space, OUTSIDER, everything).values()) == {0.0}


def test_shares_and_means_on_small_bases_and_unreliable_estimates_are_primary():
    from workforce.disclosure import primary

    assert primary.small_bases([0, 1, 4, 5, 30]).tolist() == [False, True, True, False, False]
    assert primary.unreliable(["present", "suppress", "review"]).tolist() == [False, True, False]
    with pytest.raises(DisclosureError, match="at least 1"):
        primary.small_counts([1, 2], threshold=0)
