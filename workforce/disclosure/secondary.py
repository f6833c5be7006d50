"""Secondary (complementary) suppression: which other cells to hide so primaries stay hidden.

Blanking the small cells alone fails: the blank comes back by subtracting the row's other
cells from its total. A primary cell is protected upward exactly when some other table,
agreeing with everything published, additive and non-negative, has that cell at least W
higher (and downward likewise) — the attacker's maximum is then at least that high. Such a
table differs from the true one by a *deviation* that sums to zero along every constraint
and is zero on every published cell. So to protect a cell, find the cheapest deviation that
moves it by W, and suppress the cells the deviation touches.

`protect` does that one primary cell and direction at a time with a linear program (HiGHS):
minimise the weighted size of the deviation, cells already suppressed costing nothing. In a
large table the program is asked first about a *box* of cells around the primary cell — in
every dimension its own category and the few other categories (siblings, or the categories
under a margin) where cells are already hidden or large; then the same box with the totals
above those categories — a few hundred cells instead of the whole table; only when neither
holds a deviation is the whole table asked. A deviation found for one cell often moves a
later primary cell too; scaled to that cell's need (down, up or reversed, as far as the cells
it lowers have room) it is that cell's certificate, and no program runs. With two cores, the
next cell's program runs on the second while the current one's runs on the first; its answer
is kept unless the current cell hid new cells inside its box (they would have cost it
nothing), in which case it is asked again in turn — so the pattern does not depend on which
thread finishes first.

Each solution is a proof for its cell, and suppressing more never weakens an earlier proof, so
the final pattern protects every primary cell by construction; the audit checks it
independently. It is a heuristic for the count of suppressed cells (the cost of a deviation
is its size, not the number of cells it touches); `optimal` solves the exact mixed-integer
program (one deviation per primary cell and direction, a binary per cell) for small tables,
to measure how far the heuristic is from the fewest suppressions.
"""

from __future__ import annotations

import copy
import os
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from workforce.disclosure.audit import (
    OUTSIDER,
    Attacker,
    by_cell,
    entries,
    lowest_possible,
    quiet_highs,
    room,
    serves,
    unknown_primaries,
)
from workforce.disclosure.errors import DisclosureError
from workforce.disclosure.table import CellSpace

COSTS = ("cells", "counts")
# HiGHS's codes for passing a model as arrays: columnwise matrix, minimize.
COLUMNWISE = int(highspy.MatrixFormat.kColwise)
MINIMIZE = int(highspy.ObjSense.kMinimize)
SUPPORT = 1e-7


def cell_costs(values: np.ndarray, cost: str) -> np.ndarray:
    if cost not in COSTS:
        raise DisclosureError(f"unknown cost {cost!r}; use {' or '.join(COSTS)}")
    if cost == "cells":
        return np.ones_like(values)
    # Information lost: the count hidden (plus one, so empty cells are not free).
    return values + 1.0


def requirements(value: float, lowest: float, protection: float) -> list[float]:
    """The deviations a primary cell needs: up by W, and down by W or as far as it can go.

    `lowest` is the least the cell could be with every cell hidden (`audit.lowest_possible`).
    """
    needs = [protection]
    down = min(protection, value - lowest)
    if down > SUPPORT:
        needs.append(-down)
    return needs


@dataclass
class Certificate:
    """A deviation proving one primary cell protected in one direction against one attacker.

    It sums to zero along every constraint, is zero on every published cell and on what the
    attacker knows, keeps every cell at or above what the attacker knows it to be, and moves
    the primary cell by `need`: a table the attacker cannot tell from the true one. Stored
    sparse — the cells it moves and by how much — since a large table has thousands.
    """

    attacker: Attacker
    cell: int
    need: float
    cells: np.ndarray
    amounts: np.ndarray
    # A scaled copy of an earlier certificate rather than a program's own solution.
    reused: bool = False

    @classmethod
    def of(cls, attacker: Attacker, cell: int, need: float, columns: np.ndarray,
           deviation: np.ndarray) -> Certificate:
        """A certificate from a deviation over `columns` (its non-zero part is kept)."""
        moved = np.abs(deviation) > SUPPORT
        return cls(attacker, cell, need, np.asarray(columns)[moved].astype(np.int64),
                   deviation[moved].astype(float))

    def deviation(self, size: int) -> np.ndarray:
        dense = np.zeros(size)
        dense[self.cells] = self.amounts
        return dense

    def amount(self, cell: int) -> float:
        """How far this deviation moves `cell` (0 when it leaves it alone)."""
        found = np.flatnonzero(self.cells == cell)
        return float(self.amounts[found[0]]) if len(found) else 0.0


@dataclass
class Pattern:
    suppressed: np.ndarray
    certificates: list[Certificate] = field(default_factory=list)


# From this many cells on, a primary cell's deviation is sought in boxes around it before the
# whole table (see the module docstring). Below it the whole table is always asked: there it
# costs little, and it hides fewest cells. On a 4-dimensional table of 625 inner cells (1,296
# with margins) boxes hid 460 cells in 2.4 s, the whole table 448 in 6.7 s.
LOCAL_FROM_CELLS = 1_000
# Other categories per dimension in a box: siblings of the cell's own, and categories under
# it when the cell is a margin. Measured on a 4-dimensional table of 10,000 inner cells:
# three hid 7,713 cells in 11.7 s, four 6,578 in 16 s (before rises went first).
BOX_CHOICES = 4
# How much a try other than the first raises each cell's cost at most (a random share of
# it): enough to change which of several equally cheap deviations a program returns.
VARIED_COST = 0.3


def protect(
    space: CellSpace,
    primary: np.ndarray,
    protection: float,
    cost: str = "cells",
    attackers: Sequence[Attacker] = (OUTSIDER,),
    local: bool | None = None,
    variation: np.random.Generator | None = None,
) -> Pattern:
    """The suppressed cells (primary and secondary) protecting every primary cell, with a
    certificate for each cell, direction and attacker.

    Cells already suppressed cost nothing to a deviation, so a cell that earlier choices
    already protect gets its certificate without any new suppression. `local` (default: from
    `LOCAL_FROM_CELLS` cells on) asks boxes around each cell first and reuses deviations.
    With `variation`, the primary cells are taken in a random order and every cell's cost
    is raised by a random share of up to `VARIED_COST`: another try at a pattern, since the
    cells hidden first decide what is cheap for every later cell.
    """
    values = space.value_array()
    weights = cell_costs(values, cost)
    if variation is not None:
        weights = weights * (1.0 + VARIED_COST * variation.random(len(weights)))
    matrix = space.matrix()
    program = DeviationProgram(matrix)
    local = space.size >= LOCAL_FROM_CELLS if local is None else local
    boxes = Boxes(space) if local else None
    suppressed = primary.copy()
    certificates: list[Certificate] = []
    found = _Found()
    everything = np.arange(space.size)
    # A second core solves the next cell's program while this one solves the current one's.
    ahead = ThreadPoolExecutor(1) if local and _cores() > 1 else None
    second = program.twin() if ahead else None

    def keep(certificate: Certificate) -> None:
        if local and certificate.attacker is not found.attacker:
            # An earlier attacker's own proof of this very cell and direction, which serves
            # this one as it stands (a member's serves the outsider): nothing new to keep.
            return
        suppressed[certificate.cells] = True
        if local and not certificate.reused:
            found.add(certificate)
        certificates.append(certificate)

    def solve(attacker: Attacker, slack: np.ndarray, cell: int, need: float) -> Certificate:
        certificate = None
        if local:
            for totals in (False, True):
                if certificate is None:
                    _, certificate = _in_box(program, boxes, weights, suppressed, slack,
                                             attacker, cell, need, totals)
        if certificate is None:
            certificate = program.cheapest(everything, weights, suppressed, slack, attacker,
                                           cell, need)
        if certificate is None:
            raise DisclosureError(
                f"no suppression pattern can protect cell {cell} by {abs(need):g}"
            )
        return certificate

    # Members first: their deviations also serve the outsider, who then rarely needs a program.
    order = sorted(attackers, key=lambda a: not a.member) if local else list(attackers)
    try:
        for attacker in order:
            slack = room(values, attacker)
            primaries = unknown_primaries(primary, attacker)
            # Smallest cells first (equal ones in table order): measured on seeded 4-D
            # tables, they hid fewer cells in all (5% fewer at 3⁴, 0.6% at 10⁴) and at 10⁴
            # needed an eighth fewer programs than table order.
            if variation is None:
                primaries.sort(key=lambda c: values[c])
            else:
                variation.shuffle(primaries)
            lowest = lowest_possible(space, attacker, primaries, matrix)
            if local:
                found.facing(attacker, slack)
            needs = [(cell, need) for cell in primaries
                     for need in requirements(values[cell], lowest[cell], protection)]
            if local:
                # Every rise before any fall: a deviation raising one cell, reversed, often
                # lowers a later one as far as it needs (at 10⁴, a sixth less CPU time).
                needs.sort(key=lambda task: task[1] < 0)
            queue = deque(needs)
            while queue:
                cell, need = queue.popleft()
                certificate = found.serving(cell, need) if local else None
                if certificate is not None:
                    keep(certificate)
                    continue
                guess = None
                if ahead:
                    while queue and (served := found.serving(*queue[0])) is not None:
                        queue.popleft()
                        keep(served)
                    if queue:
                        later, later_need = queue.popleft()
                        before = suppressed.copy()
                        guess = (later, later_need, before, ahead.submit(
                            _in_box, second, boxes, weights, before, slack, attacker, later,
                            later_need))
                keep(solve(attacker, slack, cell, need))
                if guess is not None:
                    later, later_need, before, answer = guess
                    box, certificate = answer.result()
                    served = found.serving(later, later_need)
                    if served is not None:
                        certificate = served
                    # Cells hidden meanwhile inside its box would have cost it nothing: its
                    # program is asked again, as if in turn.
                    elif certificate is not None and (suppressed[box] & ~before[box]).any():
                        certificate = None
                    if certificate is None:
                        queue.appendleft((later, later_need))
                    else:
                        keep(certificate)
    finally:
        if ahead:
            ahead.shutdown()
    return Pattern(suppressed, certificates)


def _in_box(program: DeviationProgram, boxes: Boxes, weights: np.ndarray,
            suppressed: np.ndarray, slack: np.ndarray, attacker: Attacker, cell: int,
            need: float, totals: bool = False) -> tuple[np.ndarray, Certificate | None]:
    """The box around `cell` and its program's answer. The second core runs it for a later
    cell with `suppressed` as it was when asked, not as it grows meanwhile."""
    box, roomy = boxes.choose(cell, suppressed, slack, totals, rise=need)
    if not roomy:
        return box, None
    return box, program.cheapest(box, weights, suppressed, slack, attacker, cell, need)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Found:
    """The deviations programs found, by the cells they move, to serve later needs.

    A deviation times any factor still sums to zero along every constraint and leaves the
    same cells alone; it stays a table the attacker cannot rule out as long as every cell it
    lowers keeps at least the attacker's floor. So a deviation that moves a later cell serves
    it — scaled down, scaled up or reversed — when its cells have room for that move: how far
    each found deviation can be stretched either way is computed once per attacker. Scaled
    copies are not kept, since their original serves wherever they would.
    """

    # Found deviations are indexed by cell in batches of this many: the index is sorted
    # again from scratch (by radix, a few milliseconds), and the few found since are
    # searched side by side. At 10⁴ inner cells this took the bookkeeping from about a
    # second to a third of one.
    BATCH = 64

    def __init__(self) -> None:
        self.found: list[Certificate] = []
        self.attacker: Attacker | None = None
        self.slack = np.zeros(0)
        # Per found deviation: the largest factor it takes forwards and backwards, and
        # whether it leaves alone every cell the attacker knows.
        self.reach = np.zeros((0, 2))
        self.usable = np.zeros(0, dtype=bool)
        # The index: for cell c, entries starts[c]:starts[c + 1] of numbers (which found
        # deviation) and amounts (how far it moves c), in the order found; then the
        # deviations found since, their entries side by side.
        self.indexed = 0
        self.starts = np.zeros(1, dtype=np.int64)
        self.numbers = np.zeros(0, dtype=np.int64)
        self.amounts = np.zeros(0)
        self._recent_start()

    def facing(self, attacker: Attacker, slack: np.ndarray) -> None:
        """From now on serve `attacker`, whose cells have `slack` above their floors."""
        self.attacker, self.slack = attacker, slack
        self.reach = np.zeros((max(len(self.found), 64), 2))
        self.usable = np.zeros(len(self.reach), dtype=bool)
        for number, certificate in enumerate(self.found):
            self._measure(number, certificate)

    def add(self, certificate: Certificate) -> None:
        number = len(self.found)
        self.found.append(certificate)
        if number == len(self.reach):
            self.reach = np.concatenate([self.reach, np.zeros_like(self.reach)])
            self.usable = np.concatenate([self.usable, np.zeros_like(self.usable)])
        self._measure(number, certificate)
        if len(self.found) - self.indexed >= self.BATCH:
            self._index()
        else:
            self.recent_cells = np.concatenate([self.recent_cells, certificate.cells])
            self.recent_amounts = np.concatenate([self.recent_amounts, certificate.amounts])
            self.recent_numbers = np.concatenate(
                [self.recent_numbers, np.full(len(certificate.cells), number)])

    def _recent_start(self) -> None:
        self.recent_cells = np.zeros(0, dtype=np.int64)
        self.recent_amounts = np.zeros(0)
        self.recent_numbers = np.zeros(0, dtype=np.int64)

    def _index(self) -> None:
        """Merge the deviations found since into the index: each cell's new entries go after
        its earlier ones, so only the new batch is sorted (the whole index, sorted again each
        time, grew to take a third of a second at 10⁴)."""
        cells, amounts, numbers = entries(self.found[self.indexed:])
        numbers += self.indexed
        size = max(len(self.starts) - 1, int(cells.max()) + 1 if len(cells) else 0)
        order, new_starts = by_cell(cells, size)
        old_starts = np.pad(self.starts, (0, size + 1 - len(self.starts)), mode="edge")
        old_counts, new_counts = np.diff(old_starts), np.diff(new_starts)
        # Cell c's earlier entries move up by the new ones of the cells before it; its new
        # ones follow its earlier ones.
        old_places = np.repeat(new_starts[:-1], old_counts) + np.arange(len(self.numbers))
        new_places = np.repeat(old_starts[1:], new_counts) + np.arange(len(cells))
        total = len(self.numbers) + len(cells)
        merged_numbers = np.empty(total, dtype=np.int64)
        merged_amounts = np.empty(total)
        merged_numbers[old_places], merged_amounts[old_places] = self.numbers, self.amounts
        merged_numbers[new_places], merged_amounts[new_places] = numbers[order], amounts[order]
        self.numbers, self.amounts = merged_numbers, merged_amounts
        self.starts = old_starts + new_starts
        self.indexed = len(self.found)
        self._recent_start()

    def _moving(self, cell: int) -> tuple[np.ndarray, np.ndarray]:
        """The found deviations moving `cell` and by how much, in the order found."""
        if cell + 1 < len(self.starts):
            lo, hi = self.starts[cell], self.starts[cell + 1]
            numbers, amounts = self.numbers[lo:hi], self.amounts[lo:hi]
        else:
            numbers, amounts = self.numbers[:0], self.amounts[:0]
        hit = self.recent_cells == cell
        if hit.any():
            numbers = np.concatenate([numbers, self.recent_numbers[hit]])
            amounts = np.concatenate([amounts, self.recent_amounts[hit]])
        return numbers, amounts

    def _measure(self, number: int, certificate: Certificate) -> None:
        amounts, room = certificate.amounts, self.slack[certificate.cells]
        falling, rising = amounts < -SUPPORT, amounts > SUPPORT
        self.reach[number] = (np.min(room[falling] / -amounts[falling], initial=np.inf),
                              np.min(room[rising] / amounts[rising], initial=np.inf))
        self.usable[number] = self.attacker.known <= certificate.attacker.known

    def serving(self, cell: int, need: float) -> Certificate | None:
        """A found deviation moving `cell` by exactly `need`, or None."""
        numbers, amounts = self._moving(cell)
        if not len(numbers):
            return None
        factors = need / amounts
        reach = self.reach[numbers, (factors < 0).astype(np.int64)]
        fits = self.usable[numbers] & (np.abs(factors) <= reach * (1 + 1e-9))
        for choice in np.flatnonzero(fits):
            earlier = self.found[numbers[choice]]
            if (factors[choice] == 1.0 and earlier.cell == cell
                    and serves(earlier.attacker, self.attacker)):
                return earlier
            moved = earlier.amounts * factors[choice]
            if np.all(moved >= -self.slack[earlier.cells] - SUPPORT):
                return Certificate(self.attacker, cell, need, earlier.cells.copy(), moved,
                                   reused=True)
        return None


class DeviationProgram:
    """The cheapest-deviation linear program over a chosen set of cells, solved by HiGHS.

    Cells outside the set keep their values (a zero deviation), so every solution over a
    subset is a valid deviation of the whole table. A costed cell's deviation is up − down,
    both non-negative and paying its cost; a cell that costs nothing is one column, bounded
    below by its room. Dual simplex without presolve: on these small programs HiGHS's
    presolve took three times as long as the solve.
    """

    def __init__(self, matrix: sparse.csr_matrix) -> None:
        columns = matrix.tocsc()
        columns.sort_indices()
        self.rows = columns.shape[0]
        self.starts = columns.indptr.astype(np.int64)
        self.row_of = columns.indices.astype(np.int32)
        self.coefficient = columns.data.astype(float)
        self.highs = self._solver()

    def twin(self) -> DeviationProgram:
        """The same program with a solver of its own, for another thread."""
        other = copy.copy(self)
        other.highs = self._solver()
        return other

    @staticmethod
    def _solver() -> highspy.Highs:
        highs = quiet_highs()
        # Dual simplex, as scipy's linprog asks of HiGHS.
        highs.setOptionValue("simplex_strategy", 1)
        highs.setOptionValue("presolve", "off")
        return highs

    def cheapest(
        self,
        cells: np.ndarray,
        weights: np.ndarray,
        suppressed: np.ndarray,
        slack: np.ndarray,
        attacker: Attacker,
        cell: int,
        need: float,
        free: bool = False,
    ) -> Certificate | None:
        """The cheapest deviation over `cells` moving `cell` by `need`, or None if none.

        Suppressed cells cost nothing; with `free`, every cell costs one (a proof using
        suppressed cells only, as pruning asks for).
        """
        cells = np.asarray(cells)
        place = np.searchsorted(cells, cell)
        if place >= len(cells) or cells[place] != cell:
            return None
        k = len(cells)
        costs = np.ones(k) if free else np.where(suppressed[cells], 0.0, weights[cells])
        room = slack[cells].astype(float)
        rise = np.full(k, highspy.kHighsInf)
        if attacker.known:
            known = np.isin(cells, np.fromiter(attacker.known, dtype=np.int64))
            rise[known] = 0.0
            room[known] = 0.0
        # A cell that costs nothing to move is one free column y ≥ −room; a costed cell is
        # two, up and down, each paying its cost. (Two columns for a free cell would hold the
        # simplex to vertices that move few cells; one free column lets it move many hidden
        # cells at once, and such deviations serve later cells too — see `_Found`.)
        split = costs > 0
        split[place] = True
        downs = np.flatnonzero(split)
        lower = np.where(split, 0.0, -room)
        upper = rise
        down_lower = np.zeros(len(downs))
        down_upper = room[downs]
        own_down = np.searchsorted(downs, place)
        if need > 0:
            lower[place] = upper[place] = need
            down_upper[own_down] = 0.0
        else:
            upper[place] = 0.0
            down_lower[own_down] = down_upper[own_down] = -need
        starts, rows, coefficients = self._columns(np.concatenate([cells, cells[downs]]))
        coefficients[starts[k]:] *= -1.0
        # The constraints these cells take part in, numbered from 0.
        involved = np.zeros(self.rows + 1, dtype=np.int32)
        involved[rows + 1] = 1
        np.cumsum(involved, out=involved)
        # The model passed as arrays: setting a HighsLp's fields converts them element by
        # element, which took a tenth of each program's time.
        num_col = k + len(downs)
        num_row = int(involved[-1])
        self.highs.passModel(
            num_col, num_row, len(coefficients), COLUMNWISE, MINIMIZE, 0.0,
            np.concatenate([costs, costs[downs]]),
            np.concatenate([lower, down_lower]),
            np.concatenate([upper, down_upper]),
            np.zeros(num_row), np.zeros(num_row),
            starts, involved[rows], coefficients,
            np.zeros(num_col, dtype=np.int32),  # every column continuous
        )
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = np.asarray(self.highs.getSolution().col_value)
        deviation = solution[:k].copy()
        deviation[downs] -= solution[k:]
        return Certificate.of(attacker, cell, need, cells, deviation)

    def _columns(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Columns `cells` of the constraint matrix: their starts, rows and coefficients."""
        begins = self.starts[cells]
        lengths = self.starts[cells + 1] - begins
        starts = np.zeros(len(cells) + 1, dtype=np.int32)
        np.cumsum(lengths, out=starts[1:])
        taken = np.repeat(begins - starts[:-1], lengths) + np.arange(starts[-1])
        return starts, self.row_of[taken], self.coefficient[taken]


class Boxes:
    """Boxes of cells around a cell of a table: the cells a local deviation may move.

    In every dimension of the cell's table: its own category, up to `BOX_CHOICES` of its
    siblings and of the categories under it (when the cell is a margin) — those with the
    most hidden cells in the lines through their neighbouring cell, then the largest
    neighbouring cell: where a deviation costs least — and, with `totals`, the categories
    above it up to the total. A box without the totals keeps the margins as they are; its
    program is half the size and, measured, hides fewer cells, but finds no deviation more
    often, so `protect` asks it first and the box with totals next.
    """

    def __init__(self, space: CellSpace, choices: int | None = None) -> None:
        self.choices = BOX_CHOICES if choices is None else choices
        self.grids = []
        for grid in space.grids.values():
            flat = np.full(space.size, -1, dtype=np.int64)
            flat[grid.positions.reshape(-1)] = np.arange(grid.positions.size)
            axes = []
            for axis, dim in enumerate(grid.dims):
                codes = grid.codes[axis]
                index = {code: i for i, code in enumerate(codes)}
                parent = {index[kid]: index[p] for p, kids in grid.children[dim].items()
                          for kid in kids}
                kids = {index[p]: [index[k] for k in ks]
                        for p, ks in grid.children[dim].items()}
                # Each category's siblings: the other categories under its parent.
                others = {code: [c for c in kids.get(parent.get(code, -1), []) if c != code]
                          for code in range(len(codes))}
                axes.append((parent, kids, others))
            # A table on its own holds consecutive cells in grid order (the first table of a
            # space always does): its hidden cells are then a view, not a gather, and a box
            # of categories taken in order per dimension comes out sorted.
            cells = grid.positions.reshape(-1)
            start = int(cells[0]) if cells.size else 0
            consecutive = bool(np.array_equal(cells, np.arange(start, start + cells.size)))
            self.grids.append((grid, flat, axes, start if consecutive else None))

    def around(self, cell: int, suppressed: np.ndarray, slack: np.ndarray,
               totals: bool = True) -> np.ndarray:
        """The sorted cell indices of the box around `cell` (the cell alone if in no grid)."""
        return self.choose(cell, suppressed, slack, totals)[0]

    def choose(self, cell: int, suppressed: np.ndarray, slack: np.ndarray,
               totals: bool = True, rise: float = 0.0) -> tuple[np.ndarray, bool]:
        """The box around `cell`, and whether it can hold a deviation raising `cell` by `rise`.

        Without the totals, the parent of the cell's category is fixed, so the cell's
        siblings in the box must fall by `rise` between them: when their room falls short,
        the box holds no such deviation and its program need not be asked (at 10⁴, 96 of
        2,100 programs, each found infeasible).
        """
        for grid, flat, axes, start in self.grids:
            if flat[cell] < 0:
                continue
            shape = grid.positions.shape
            where = np.unravel_index(flat[cell], shape)
            if start is None:
                hidden = suppressed[grid.positions]
            else:
                hidden = suppressed[start:start + grid.positions.size].reshape(shape)
            around = self._hidden_around(hidden, where)
            chosen = []
            roomy = True
            for axis, (parent, kids, others) in enumerate(axes):
                own = int(where[axis])
                codes = [own]
                above = parent.get(own)
                while totals and above is not None:
                    codes.append(above)
                    above = parent.get(above)
                siblings = self._best(grid, where, axis, others[own], around[axis], slack)
                codes.extend(siblings)
                codes.extend(self._best(grid, where, axis, kids.get(own, []), around[axis],
                                        slack))
                chosen.append(codes)
                if rise > 0 and not totals and own in parent and roomy:
                    line = list(where)
                    line[axis] = siblings
                    roomy = slack[grid.positions[tuple(line)]].sum() >= rise - SUPPORT
            # Distinct codes per dimension make distinct cells: sorting is enough.
            if start is None:
                return np.sort(grid.positions[np.ix_(*chosen)].reshape(-1)), roomy
            return grid.positions[np.ix_(*(sorted(codes) for codes in chosen))].reshape(-1), roomy
        return np.array([cell]), True

    @staticmethod
    def _hidden_around(hidden: np.ndarray, where: tuple) -> list[np.ndarray]:
        """Per dimension and category: the hidden cells in the lines through the cell's
        neighbour in that category, along every other dimension — those a small deviation
        through that category could use. Each plane through the cell (two dimensions free)
        gives two dimensions' lines, so the grid is read once per pair of dimensions."""
        dims = len(where)
        around = [np.zeros(hidden.shape[axis], dtype=np.int64) for axis in range(dims)]
        for axis in range(dims):
            for other in range(axis + 1, dims):
                plane = list(where)
                plane[axis] = plane[other] = slice(None)
                counts = hidden[tuple(plane)]
                around[axis] += np.count_nonzero(counts, axis=1)
                around[other] += np.count_nonzero(counts, axis=0)
        return around

    def _best(self, grid, where, axis, options, around, slack) -> list[int]:
        if len(options) <= self.choices:
            return list(options)
        options = np.asarray(options)
        index = list(where)
        index[axis] = options
        neighbours = grid.positions[tuple(index)]
        # Most hidden cells around first, then the most room to move down.
        order = np.lexsort((-slack[neighbours], -around[options]))
        return [int(options[i]) for i in order[:self.choices]]


def reprove(
    program: DeviationProgram,
    values: np.ndarray,
    suppressed: np.ndarray,
    certificate: Certificate,
    cells: np.ndarray | None = None,
) -> Certificate | None:
    """A new deviation for `certificate` over suppressed cells only (of `cells`, if given)."""
    allowed = suppressed.copy()
    if cells is not None:
        inside = np.zeros_like(allowed)
        inside[cells] = True
        allowed &= inside
    slack = room(values, certificate.attacker)
    return program.cheapest(np.flatnonzero(allowed), np.ones_like(values), suppressed, slack,
                            certificate.attacker, certificate.cell, certificate.need,
                            free=True)


@dataclass(frozen=True)
class ExactPattern:
    """The exact program's answer: the pattern, whether it is proven the cheapest, and the
    proven lower bound on the cost of any protecting pattern."""

    suppressed: np.ndarray
    proven: bool
    lower_bound: float


def optimal(
    space: CellSpace,
    primary: np.ndarray,
    protection: float,
    cost: str = "cells",
    time_limit: float = 60.0,
    attackers: Sequence[Attacker] = (OUTSIDER,),
) -> ExactPattern:
    """The fewest (or cheapest) suppressions protecting every primary cell from `attackers`.

    Exact mixed-integer program: a binary per cell, and per attacker, primary cell and
    direction a deviation allowed only on suppressed cells, above the attacker's floors and
    zero on what the attacker knows. Sized for small tables (tests, and the benchmark's
    measure of the heuristic); when the time limit stops it, the best pattern found is
    returned with ``proven=False`` and the lower bound reached.
    """
    values = space.value_array()
    weights = cell_costs(values, cost)
    matrix = space.matrix()
    n = len(values)
    big = float(values.max() + protection)
    # Per attacker, primary cell and direction: how far each cell may fall and rise (not at
    # all where the attacker knows it), the cell, and how far it must move.
    cases = []
    for attacker in attackers:
        falls, rises = room(values, attacker), np.full(n, big)
        known = np.fromiter(attacker.known, dtype=np.int64, count=len(attacker.known))
        falls[known] = rises[known] = 0.0
        primaries = unknown_primaries(primary, attacker)
        lowest = lowest_possible(space, attacker, primaries, matrix)
        cases += [(falls, rises, cell, need) for cell in primaries
                  for need in requirements(values[cell], lowest[cell], protection)]
    blocks = len(cases)
    size = n + blocks * n
    objective = np.concatenate([weights, np.zeros(blocks * n)])
    lower = np.concatenate([primary.astype(float), np.zeros(blocks * n)])
    upper = np.concatenate([np.ones(n), np.zeros(blocks * n)])
    integrality = np.concatenate([np.ones(n), np.zeros(blocks * n)])
    constraints = []
    eye = sparse.identity(n, format="csr")
    x_part = sparse.hstack([eye, sparse.csr_matrix((n, size - n))]).tocsr()
    for b, (falls, rises, cell, need) in enumerate(cases):
        start = n + b * n
        lower[start:start + n] = -falls
        upper[start:start + n] = rises
        lower[start + cell] = upper[start + cell] = need
        pick = sparse.csr_matrix((np.ones(n), (np.arange(n), start + np.arange(n))),
                                 shape=(n, size))
        constraints.append(LinearConstraint(matrix @ pick, 0, 0))
        # y_j ≤ big · x_j, and −y_j ≤ (value_j − floor_j) · x_j: a cell falls at most to
        # its floor. The second is far tighter than `big` for the small cells that matter:
        # at 3⁴ it took the bound reached in a minute from under 20 to 52.
        constraints.append(LinearConstraint(pick - big * x_part, -np.inf, 0))
        constraints.append(LinearConstraint(-pick - sparse.diags(falls) @ x_part, -np.inf, 0))
    # Without HiGHS's presolve: with it, a 3×3 table came back with a cell no deviation moves
    # and 9 cells "proven" fewest, where 8 protect (found without presolve, and proven). On
    # the 2⁴ benchmark table the same pattern comes out within 20 s either way.
    result = milp(objective, constraints=constraints, integrality=integrality,
                  bounds=Bounds(lower, upper),
                  options={"time_limit": time_limit, "presolve": False})
    if result.x is None:
        raise DisclosureError(f"the exact suppression program found no solution: "
                              f"{result.message}")
    bound = getattr(result, "mip_dual_bound", None)
    bound = float(result.fun if bound is None else bound)
    suppressed = result.x[:n] > 0.5
    # A cell no deviation moves protects nothing: published, as pruning does. Should that
    # make the pattern cheaper than the solver's answer, its proof did not hold.
    moved = np.abs(result.x[n:].reshape(blocks, n)).max(axis=0, initial=0.0) > SUPPORT
    kept = suppressed & (moved | primary)
    cost = float(weights[kept].sum())
    holds = cost >= float(weights[suppressed].sum()) - SUPPORT
    return ExactPattern(kept, result.status == 0 and holds, min(bound, cost))
