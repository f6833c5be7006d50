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


def cell_ranges(
    space: CellSpace,
    suppressed: np.ndarray,
    attacker: Attacker = OUTSIDER,
    cells: Sequence[int] | None = None,
    matrix: sparse.csr_matrix | None = None,
    spread_enough: frozenset[int] = frozenset(),
) -> dict[int, tuple[float, float]]:
    """(low, high) of each suppressed cell (or of `cells` among them) for `attacker`.

    For cells in `spread_enough` the question is only whether they can vary at all: the
    solutions already found for other cells are read first, and if they show the cell at two
    different values, those observed extremes are returned (the true interval contains
    them) without solving for it.
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
            out[cell] = program.range(local)
    return out


_HIGHS_GREETED = False


def _quiet_highs() -> highspy.Highs:
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
        self.highs = _quiet_highs()
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
        if self.current is not None:
            self.highs.changeColCost(self.current, 0.0)
        self.highs.changeColCost(column, 1.0)
        self.current = column
        return self._optimum(highspy.ObjSense.kMinimize), self._optimum(
            highspy.ObjSense.kMaximize)

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

    For an outsider that is 0; for a member, a total of two non-empty cells is at least 2.
    A requirement below it could never be met by any pattern, so it does not apply.
    """
    everything = np.ones(space.size, dtype=bool)
    ranges = cell_ranges(space, everything, attacker, cells, matrix)
    return {cell: ranges[cell][0] for cell in cells}


def audit(
    space: CellSpace,
    suppressed: np.ndarray,
    primary: np.ndarray,
    protection: float,
    attackers: Sequence[Attacker] = (OUTSIDER, MEMBER),
) -> AuditResult:
    """Every suppressed cell's interval for every attacker, and whether the table is safe."""
    values = space.value_array()
    matrix = space.matrix()
    intervals: list[CellInterval] = []
    for attacker in attackers:
        # Secondary cells need only be shown not exact: observed spread is enough for them.
        secondary = frozenset(np.flatnonzero(suppressed & ~primary).tolist())
        if attacker is OUTSIDER:
            ranges = cell_ranges(space, suppressed, attacker, matrix=matrix,
                                 spread_enough=secondary)
        else:
            # What a member or an insider can work out of a complementary cell is a sum of
            # larger counts, not a small group: only the primary cells matter to them.
            ranges = cell_ranges(space, suppressed, attacker,
                                 cells=np.flatnonzero(primary).tolist(), matrix=matrix)
            ranges = {c: r for c, r in ranges.items() if c not in attacker.known}
        lowest = lowest_possible(space, attacker, np.flatnonzero(primary).tolist(), matrix)
        # Cells an insider knows are theirs (cell_ranges leaves them out): nothing to audit.
        for cell, (low, high) in sorted(ranges.items()):
            value = values[cell]
            if primary[cell]:
                upper_ok = high >= value + protection - TOLERANCE
                lower_ok = low <= max(lowest[cell], value - protection) + TOLERANCE
                protected = upper_ok and lower_ok
                reason = "" if protected else (
                    f"the {attacker.name} can tell this cell lies in [{low:g}, {high:g}], "
                    f"narrower than ±{protection:g} around it"
                )
            else:
                protected = high - low > TOLERANCE
                reason = "" if protected else (
                    f"the {attacker.name} can recover this cell exactly ({low:g})"
                )
            intervals.append(CellInterval(int(cell), float(value), float(low), float(high),
                                          bool(primary[cell]), attacker.name, bool(protected),
                                          reason))
    return AuditResult(all(i.protected for i in intervals), intervals)
