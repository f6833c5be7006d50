"""The attacker's audit: how well can someone pin down each suppressed cell?

Given every published cell, the additivity of the table(s) and that counts are never
negative, the attacker's linear program finds the smallest and the largest value each
suppressed cell can take (scipy's HiGHS). A primary cell is protected when that interval
reaches at least the protection width above its true value and below it as far as counts
allow: ``high ≥ value + W`` and ``low ≤ max(lowest, value − W)``, where `lowest` is the least
the cell could be were every cell hidden. A secondary cell must at least not be recoverable
exactly by an outsider (were it, hiding it would be pointless).

Attackers:
- the outsider knows only what is published;
- a member knows they are in a cell, so any cell with members is at least 1 (all members
  together: every non-empty cell is at least 1 — the cautious reading);
- an insider (a society) also knows every cell of its own, e.g. its row of a consortium
  table, and subtracts it.

The program splits into independent pieces: two suppressed cells interact only through a sum
that contains both, so each connected group of suppressed cells is solved on its own.

In a large table (from `CERTIFIED_FROM_CELLS` cells) two programs per suppressed cell and
attacker would take far longer than protecting the table, so the audit first checks the
certificates the secondary suppression produced: each is a whole table the attacker cannot
tell from the true one (it is checked here to agree with every published cell and every
sum, and to respect every floor and everything the attacker knows). A table that puts a cell
at v + W proves the attacker's maximum is at least v + W, and one at v − W (or at the least
it can be) proves the minimum low enough: the verdict is the same as the programs', and the
interval reported is the part of the attacker's interval those tables prove (`exact` false).
Cells the certificates do not settle are solved exactly as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sparse
from scipy.sparse.csgraph import connected_components

from workforce.disclosure.table import CellSpace

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Attacker:
    """Who tries to recover the suppressed cells, and what they know besides the tables."""

    name: str
    known: frozenset[int] = frozenset()
    member: bool = False


OUTSIDER = Attacker("outsider")
MEMBER = Attacker("member of a cell", member=True)

# From this many cells on, the audit reads certificates before solving programs.
CERTIFIED_FROM_CELLS = 1_000


def serves(given: Attacker, wanted: Attacker) -> bool:
    """Whether a table the `given` attacker cannot rule out is one `wanted` cannot either.

    It is when `wanted` knows no cell `given` does not (those are left as they are) and
    `wanted`'s floors are no higher: a member's floors are at least an outsider's.
    """
    return wanted.known <= given.known and (given.member or not wanted.member)


@dataclass(frozen=True)
class CellInterval:
    cell: int
    value: float
    low: float
    high: float
    primary: bool
    attacker: str
    protected: bool
    reason: str = ""
    # False when [low, high] is the part of the attacker's interval that certificates prove
    # (the true interval is at least as wide), not the interval itself.
    exact: bool = True


@dataclass
class AuditResult:
    passed: bool
    intervals: list[CellInterval] = field(default_factory=list)

    @property
    def failures(self) -> list[CellInterval]:
        return [i for i in self.intervals if not i.protected]


def floors(values: np.ndarray, attacker: Attacker) -> np.ndarray:
    """The least value the attacker knows each cell has."""
    if attacker.member:
        return np.where(values >= 1, 1.0, 0.0)
    return np.zeros_like(values)


def room(values: np.ndarray, attacker: Attacker) -> np.ndarray:
    """How far each cell can fall in a table the attacker cannot rule out: down to its floor."""
    return np.maximum(values - floors(values, attacker), 0.0)


def unknown_primaries(primary: np.ndarray, attacker: Attacker) -> list[int]:
    """The primary cells to protect from `attacker`: an insider's own cells are theirs to
    know."""
    return [c for c in np.flatnonzero(primary).tolist() if c not in attacker.known]


def cell_ranges(
    space: CellSpace,
    suppressed: np.ndarray,
    attacker: Attacker = OUTSIDER,
    cells: Sequence[int] | None = None,
    matrix: sparse.csr_matrix | None = None,
    spread_enough: frozenset[int] = frozenset(),
    upper: bool = True,
) -> dict[int, tuple[float, float]]:
    """(low, high) of each suppressed cell (or of `cells` among them) for `attacker`.

    For cells in `spread_enough` the question is only whether they can vary at all: the
    solutions already found for other cells are read first, and if they show the cell at two
    different values, those observed extremes are returned (the true interval contains
    them) without solving for it. Without `upper` only the least values are solved for (the
    highs are returned as infinite).
    """
    values = space.value_array()
    matrix = space.matrix() if matrix is None else matrix
    hidden = suppressed.copy()
    if attacker.known:
        hidden[list(attacker.known)] = False
    hidden_cells = np.flatnonzero(hidden)
    wanted = set(hidden_cells.tolist() if cells is None else
                 [c for c in cells if hidden[c]])
    out: dict[int, tuple[float, float]] = {
        c: (values[c], values[c]) for c in (cells or []) if not hidden[c]
    }
    if not wanted:
        return out
    a_hidden = matrix[:, hidden_cells].tocsr()
    a_shown = matrix[:, np.flatnonzero(~hidden)]
    rhs = -(a_shown @ values[~hidden])
    rows = np.flatnonzero(np.diff(a_hidden.indptr) > 0)
    a_hidden = a_hidden[rows]
    rhs = rhs[rows]
    # Components: hidden cells linked by a sum they share.
    k = len(hidden_cells)
    incidence = sparse.csr_matrix((np.ones(a_hidden.nnz), a_hidden.indices, a_hidden.indptr),
                                  shape=a_hidden.shape)
    graph = sparse.bmat([[None, incidence.T], [incidence, None]]).tocsr()
    _, labels = connected_components(graph, directed=False)
    cell_label = labels[:k]
    row_label = labels[k:]
    floor = floors(values, attacker)[hidden_cells]
    position = {c: i for i, c in enumerate(hidden_cells)}
    for component in np.unique(cell_label[[position[c] for c in wanted]]):
        members = np.flatnonzero(cell_label == component)
        component_rows = np.flatnonzero(row_label == component)
        a = a_hidden[component_rows][:, members]
        b = rhs[component_rows]
        program = _Program(a, b, floor[members])
        cells_here = [(local, int(hidden_cells[m])) for local, m in enumerate(members)
                      if int(hidden_cells[m]) in wanted]
        # Cells needing their exact interval first; their solutions may settle the rest.
        cells_here.sort(key=lambda item: item[1] in spread_enough)
        for local, cell in cells_here:
            if cell in spread_enough:
                low, high = program.seen_low[local], program.seen_high[local]
                if high - low > TOLERANCE:
                    out[cell] = (float(low), float(high))
                    continue
            out[cell] = program.range(local) if upper else (program.low(local), np.inf)
    return out


_HIGHS_GREETED = False


def quiet_highs() -> highspy.Highs:
    """A HiGHS solver; the first one of a process would print a banner on standard output
    (where `workforce disclose --json` writes its JSON), so that one is made with the
    process's standard output pointed at /dev/null."""
    global _HIGHS_GREETED
    if _HIGHS_GREETED:
        highs = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _HIGHS_GREETED = True
    highs.setOptionValue("output_flag", False)
    return highs


class _Program:
    """One group's attacker program in HiGHS, kept between cells.

    Only the objective changes from one cell to the next (min, then max, of one variable),
    so the solver starts each time from the last optimal basis instead of from scratch.
    """

    def __init__(self, a: sparse.csr_matrix, b: np.ndarray, lower: np.ndarray) -> None:
        self.size = a.shape[1]
        self.highs = quiet_highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("presolve", "off")
        lp = highspy.HighsLp()
        lp.num_col_ = self.size
        lp.num_row_ = a.shape[0]
        lp.col_cost_ = np.zeros(self.size)
        lp.col_lower_ = np.asarray(lower, dtype=float)
        lp.col_upper_ = np.full(self.size, highspy.kHighsInf)
        lp.row_lower_ = np.asarray(b, dtype=float)
        lp.row_upper_ = np.asarray(b, dtype=float)
        columns = a.tocsc()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = columns.indptr
        lp.a_matrix_.index_ = columns.indices
        lp.a_matrix_.value_ = columns.data.astype(float)
        self.highs.passModel(lp)
        self.current: int | None = None
        # The least and largest value each cell took in any solution found so far.
        self.seen_low = np.full(self.size, np.inf)
        self.seen_high = np.full(self.size, -np.inf)

    def range(self, column: int) -> tuple[float, float]:
        return self.low(column), self._optimum(highspy.ObjSense.kMaximize)

    def low(self, column: int) -> float:
        if self.current != column:
            if self.current is not None:
                self.highs.changeColCost(self.current, 0.0)
            self.highs.changeColCost(column, 1.0)
            self.current = column
        return self._optimum(highspy.ObjSense.kMinimize)

    def _optimum(self, sense) -> float:
        self.highs.changeObjectiveSense(sense)
        for attempt in range(2):
            self.highs.run()
            status = self.highs.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                solution = np.asarray(self.highs.getSolution().col_value)
                np.minimum(self.seen_low, solution, out=self.seen_low)
                np.maximum(self.seen_high, solution, out=self.seen_high)
                return float(self.highs.getInfo().objective_function_value)
            if status in (highspy.HighsModelStatus.kUnbounded,
                          highspy.HighsModelStatus.kUnboundedOrInfeasible):
                # The true table is feasible, so "unbounded or infeasible" is unbounded.
                return np.inf if sense == highspy.ObjSense.kMaximize else -np.inf
            if attempt == 0:
                # A warm start that went nowhere: solve this one from scratch.
                self.highs.clearSolver()
        raise RuntimeError(f"the attacker's linear program failed: {status}")


def lowest_possible(
    space: CellSpace,
    attacker: Attacker,
    cells: Sequence[int],
    matrix: sparse.csr_matrix | None = None,
) -> dict[int, float]:
    """The least each cell could be if every cell were hidden: how far down protection can go.

    For an outsider that is 0 (the empty table agrees with nothing published); for a member,
    a total of two non-empty cells is at least 2. A requirement below it could never be met
    by any pattern, so it does not apply.
    """
    cells = list(cells)
    if not attacker.known and not attacker.member:
        return {cell: 0.0 for cell in cells}
    if not attacker.known and len(space.grids) == 1:
        # One table: every cell is the sum of the inner cells under it, each at least its
        # floor, and the inner cells at their floors make a table (a non-empty total has a
        # non-empty cell under it). So each cell's least value is the sum of those floors.
        grid = next(iter(space.grids.values()))
        values = space.value_array()
        least = np.zeros(space.size)
        least[grid.positions] = grid.sum_of_inner(floors(values, attacker))
        return {cell: float(least[cell]) for cell in cells}
    everything = np.ones(space.size, dtype=bool)
    ranges = cell_ranges(space, everything, attacker, cells, matrix, upper=False)
    return {cell: ranges[cell][0] for cell in cells}


def audit(
    space: CellSpace,
    suppressed: np.ndarray,
    primary: np.ndarray,
    protection: float,
    attackers: Sequence[Attacker] = (OUTSIDER, MEMBER),
    certificates: Sequence | None = None,
) -> AuditResult:
    """Every suppressed cell's interval for every attacker, and whether the table is safe.

    With `certificates` (the secondary suppression's, see `secondary.Certificate`) and a
    table of `CERTIFIED_FROM_CELLS` cells or more, the cells they settle are judged on them
    and only the rest solved for.
    """
    values = space.value_array()
    matrix = space.matrix()
    certified = certificates is not None and space.size >= CERTIFIED_FROM_CELLS
    proven = _Proven(space, matrix, values, suppressed, certificates) if certified else None
    intervals: list[CellInterval] = []
    for attacker in attackers:
        lowest = lowest_possible(space, attacker, np.flatnonzero(primary).tolist(), matrix)
        # Secondary cells need only be shown not exact: observed spread is enough for them.
        secondary = frozenset(np.flatnonzero(suppressed & ~primary).tolist())
        if attacker is OUTSIDER:
            wanted = np.flatnonzero(suppressed)
        else:
            # What a member or an insider can work out of a complementary cell is a sum of
            # larger counts, not a small group: only the primary cells matter to them.
            wanted = np.array(unknown_primaries(primary, attacker), dtype=np.int64)
        settled: dict[int, tuple[float, float]] = {}
        if proven is not None:
            low, high = proven.extremes(attacker)
            for cell in wanted.tolist():
                interval = (float(low[cell]), float(high[cell]))
                if _protected(cell, interval, values, primary, lowest, protection):
                    settled[cell] = interval
        unsettled = [c for c in wanted.tolist() if c not in settled]
        ranges: dict[int, tuple[float, float]] = {}
        if unsettled:
            ranges = cell_ranges(space, suppressed, attacker, cells=unsettled, matrix=matrix,
                                 spread_enough=secondary if attacker is OUTSIDER else
                                 frozenset())
            ranges = {c: r for c, r in ranges.items() if c not in attacker.known}
        # Cells an insider knows are theirs (cell_ranges leaves them out): nothing to audit.
        for cell, (low, high) in sorted([*settled.items(), *ranges.items()]):
            value = values[cell]
            protected = _protected(cell, (low, high), values, primary, lowest, protection)
            if protected:
                reason = ""
            elif primary[cell]:
                reason = (f"the {attacker.name} can tell this cell lies in [{low:g}, {high:g}], "
                          f"narrower than ±{protection:g} around it")
            else:
                reason = f"the {attacker.name} can recover this cell exactly ({low:g})"
            intervals.append(CellInterval(int(cell), float(value), float(low), float(high),
                                          bool(primary[cell]), attacker.name, bool(protected),
                                          reason, exact=cell not in settled))
    return AuditResult(all(i.protected for i in intervals), intervals)


def _protected(cell: int, interval: tuple[float, float], values: np.ndarray,
               primary: np.ndarray, lowest: dict[int, float], protection: float) -> bool:
    low, high = interval
    value = values[cell]
    if primary[cell]:
        return bool(high >= value + protection - TOLERANCE
                    and low <= max(lowest[cell], value - protection) + TOLERANCE)
    return bool(high - low > TOLERANCE)


def entries(certificates: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every cell each certificate moves, side by side: the cells, the amounts, and the
    number of the certificate each entry belongs to."""
    if not certificates:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
    lengths = np.array([len(c.cells) for c in certificates], dtype=np.int64)
    return (np.concatenate([c.cells for c in certificates]).astype(np.int64, copy=False),
            np.concatenate([c.amounts for c in certificates]).astype(float, copy=False),
            np.repeat(np.arange(len(certificates)), lengths))


def by_cell(cells: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Entries (as `entries` lays them out) grouped by cell: the order that sorts them by
    cell, keeping each cell's in certificate order, and where each cell's begin (cell c's are
    order[starts[c]:starts[c + 1]]). On 16-bit cell numbers numpy sorts by radix."""
    keys = cells.astype(np.uint16) if size <= 1 << 16 else cells
    order = np.argsort(keys, kind="stable")
    starts = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells, minlength=size), out=starts[1:])
    return order, starts


class _Proven:
    """What the certificates prove: the tables they describe, checked here one by one.

    A certificate counts only when its deviation sums to zero along every constraint, moves
    suppressed cells only and none its attacker knows, keeps every cell at or above the
    attacker's floor, and moves its own cell by what it claims; anything else is ignored (and
    its cells solved for).
    """

    def __init__(self, space: CellSpace, matrix: sparse.csr_matrix, values: np.ndarray,
                 suppressed: np.ndarray, certificates: Sequence) -> None:
        self.size = space.size
        self.values = values
        self.certificates = list(certificates)
        count = len(self.certificates)
        cells, amounts, owner = entries(self.certificates)
        lengths = np.bincount(owner, minlength=count)
        # Entries come certificate by certificate: they are the columns as they stand.
        starts = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        self.deviations = sparse.csc_matrix((amounts, cells, starts), shape=(self.size, count))
        self.cells, self.amounts, self.owner = cells, amounts, owner
        scale = np.maximum(1.0, np.abs(amounts).max() if len(amounts) else 1.0)
        sums = np.abs(matrix @ self.deviations)
        balanced = (sums.max(axis=0).toarray().reshape(-1) if count else np.zeros(0)) \
            <= TOLERANCE * scale
        # Every check on every moved cell at once, then gathered per certificate.
        numbers: dict[Attacker, int] = {}
        attacker_of = np.array([numbers.setdefault(c.attacker, len(numbers))
                                for c in self.certificates], dtype=np.int64)
        attackers = list(numbers)
        entry_attacker = np.repeat(attacker_of, lengths)
        member = np.array([a.member for a in attackers], dtype=bool)[entry_attacker]
        base = values[cells]
        floor = np.where(member, floors(base, MEMBER), 0.0)
        fine = suppressed[cells] & (base + amounts >= floor - TOLERANCE)
        for number, attacker in enumerate(attackers):
            if attacker.known:
                mine = entry_attacker == number
                fine[mine] &= ~np.isin(cells[mine], list(attacker.known))
        valid = balanced.copy()
        np.logical_and.at(valid, owner, fine)
        # Each moves its own cell exactly once, by what it claims.
        own = cells == np.repeat([c.cell for c in self.certificates], lengths)
        moved_own = np.bincount(owner[own], minlength=count)
        amount_own = np.zeros(count)
        amount_own[owner[own]] = amounts[own]
        needs = np.array([c.need for c in self.certificates], dtype=float)
        valid &= (moved_own == 1) & (np.abs(amount_own - needs) <= TOLERANCE)
        self.valid = valid
        self.attackers, self.attacker_of = attackers, attacker_of

    def extremes(self, attacker: Attacker) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the least and largest value the valid tables serving `attacker` give."""
        serving = np.array([serves(given, attacker) for given in self.attackers], dtype=bool)
        usable = self.valid & serving[self.attacker_of] if len(self.attackers) else self.valid
        used = usable[self.owner]
        lows, highs = np.zeros(self.size), np.zeros(self.size)
        np.minimum.at(lows, self.cells[used], self.amounts[used])
        np.maximum.at(highs, self.cells[used], self.amounts[used])
        return self.values + lows, self.values + highs
