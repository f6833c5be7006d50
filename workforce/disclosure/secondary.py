"""Secondary (complementary) suppression: which other cells to hide so primaries stay hidden.

Blanking the small cells alone fails: the blank comes back by subtracting the row's other
cells from its total. A primary cell is protected upward exactly when some other table,
agreeing with everything published, additive and non-negative, has that cell at least W
higher (and downward likewise) — the attacker's maximum is then at least that high. Such a
table differs from the true one by a *deviation* that sums to zero along every constraint
and is zero on every published cell. So to protect a cell, find the cheapest deviation that
moves it by W, and suppress the cells the deviation touches.

`protect` does that one primary cell and direction at a time with a linear program (HiGHS):
minimise the weighted size of the deviation, cells already suppressed costing nothing. In
large tables an inner cell first tries the cheapest hypercube (`_cheapest_hypercube`), a
deviation found by array search rather than by a program. Each
solution is a proof for its cell, and suppressing more never weakens an earlier proof, so the
final pattern protects every primary cell by construction; the audit then checks it
independently. It is a heuristic for the count of suppressed cells (the cost of a deviation
is its size, not the number of cells it touches); `optimal` solves the exact mixed-integer
program (one deviation per primary cell and direction, a binary per cell) for small tables,
to measure how far the heuristic is from the fewest suppressions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from workforce.disclosure.audit import (
    OUTSIDER,
    Attacker,
    floors,
    lowest_possible,
)
from workforce.disclosure.errors import DisclosureError
from workforce.disclosure.table import CellSpace

COSTS = ("cells", "counts")
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
    the primary cell by `need`: a table the attacker cannot tell from the true one.
    """

    attacker: Attacker
    cell: int
    need: float
    deviation: np.ndarray

    def uses(self, cell: int) -> bool:
        return abs(self.deviation[cell]) > SUPPORT


@dataclass
class Pattern:
    suppressed: np.ndarray
    certificates: list[Certificate] = field(default_factory=list)


def protect(
    space: CellSpace,
    primary: np.ndarray,
    protection: float,
    cost: str = "cells",
    attackers: Sequence[Attacker] = (OUTSIDER,),
    hypercubes: bool | None = None,
) -> Pattern:
    """The suppressed cells (primary and secondary) protecting every primary cell, with a
    certificate for each cell, direction and attacker.

    Cells already suppressed cost nothing to a deviation, so a cell that earlier choices
    already protect gets its certificate without any new suppression.
    """
    values = space.value_array()
    weights = cell_costs(values, cost)
    matrix = space.matrix()
    suppressed = primary.copy()
    certificates = []
    cubes = space.size >= HYPERCUBE_FROM_CELLS if hypercubes is None else hypercubes
    for attacker in attackers:
        floor = floors(values, attacker)
        # An insider's own cells are theirs to know: protect only everyone else's.
        primaries = [c for c in np.flatnonzero(primary).tolist() if c not in attacker.known]
        lowest = lowest_possible(space, attacker, primaries, matrix)
        for cell in primaries:
            for need in requirements(values[cell], lowest[cell], protection):
                cube = None if attacker.known or not cubes else _cheapest_hypercube(
                    space, matrix, values, weights, suppressed, floor, int(cell), need)
                if cube is not None:
                    deviation = cube
                else:
                    deviation = _cheapest_deviation(matrix, values, weights, suppressed, floor,
                                                    int(cell), need, attacker.known)
                suppressed |= np.abs(deviation) > SUPPORT
                certificates.append(Certificate(attacker, int(cell), need, deviation))
    return Pattern(suppressed, certificates)


# Hypercubes tried per primary cell at most (sibling combinations); beyond it, the program.
HYPERCUBE_CANDIDATES = 50_000
# From this many cells on, inner primary cells start from their cheapest hypercube instead
# of a program over the whole table: measured on a 4-dimensional table of 1,296 cells, the
# cubes took 23 s where the programs took 37 s, but hid 600 cells where the programs hid
# 479. Below it, the programs' economy is worth their time.
HYPERCUBE_FROM_CELLS = 2_000


def _cheapest_hypercube(space, matrix, values, weights, suppressed, floor, cell, need):
    """The cheapest hypercube around an inner cell that moves it by `need`, or None.

    Choose, in every dimension, one other category under the same parent; the 2^m cells of
    those combinations, changed by +need and −need alternately, leave every margin as it is.
    Each corner that goes down must hold |need| above what the attacker knows it to be.
    Searching all sibling combinations at once is a few array operations, against a linear
    program over the whole table.
    """
    for grid in space.grids.values():
        found = np.argwhere(grid.positions == cell)
        if len(found) == 0:
            continue
        where = found[0]
        if any(where[a] >= grid.leaves[a] for a in range(len(grid.dims))):
            return None  # a margin: its change must reach the cells under it
        varying = [a for a in range(len(grid.dims)) if grid.siblings(a, int(where[a]))]
        if not varying:
            return None
        options = [np.asarray(grid.siblings(a, int(where[a]))) for a in varying]
        combos = np.array(np.meshgrid(*options, indexing="ij")).reshape(len(varying), -1).T
        if len(combos) > HYPERCUBE_CANDIDATES:
            return None
        m = len(varying)
        bits = (np.arange(2**m)[:, None] >> np.arange(m)[None, :]) & 1  # corners × dims
        index = [np.full((len(combos), 2**m), where[a]) for a in range(len(grid.dims))]
        for j, a in enumerate(varying):
            index[a] = np.where(bits[None, :, j] == 1, combos[:, j][:, None], where[a])
        corners = grid.positions[tuple(index)]  # candidates × corners
        sign = np.where(bits.sum(axis=1) % 2 == 0, 1.0, -1.0) * np.sign(need)
        others = corners[:, 1:]
        falling = sign[1:] < 0
        slack = values[others[:, falling]] - floor[others[:, falling]]
        feasible = np.all(slack >= abs(need) - 1e-9, axis=1)
        if not feasible.any():
            return None
        cost = np.where(suppressed[others], 0.0, weights[others]).sum(axis=1)
        cost[~feasible] = np.inf
        best = int(np.argmin(cost))
        deviation = np.zeros(len(values))
        deviation[corners[best]] = sign * abs(need)
        if np.abs(matrix @ deviation).max() > 1e-9:
            return None  # the cell also sits in a linked table's sums: use the program
        return deviation
    return None


def reprove(
    matrix: sparse.csr_matrix,
    values: np.ndarray,
    suppressed: np.ndarray,
    certificate: Certificate,
) -> np.ndarray | None:
    """A new deviation for `certificate` using suppressed cells only, or None if none exists."""
    floor = floors(values, certificate.attacker)
    allowed = suppressed.copy()
    if certificate.attacker.known:
        allowed[list(certificate.attacker.known)] = False
    columns = np.flatnonzero(allowed)
    position = {c: i for i, c in enumerate(columns)}
    if certificate.cell not in position:
        return None
    sub = matrix[:, columns].tocsr()
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub = sub[rows]
    k = len(columns)
    a = sparse.hstack([sub, -sub]).tocsr()
    down = np.maximum(values[columns] - floor[columns], 0.0)
    bounds = list(zip(np.zeros(2 * k), np.concatenate([np.full(k, np.inf), down]),
                      strict=True))
    p = position[certificate.cell]
    if certificate.need > 0:
        bounds[p] = (certificate.need, certificate.need)
        bounds[k + p] = (0.0, 0.0)
    else:
        bounds[p] = (0.0, 0.0)
        bounds[k + p] = (-certificate.need, -certificate.need)
    result = linprog(np.ones(2 * k), A_eq=a, b_eq=np.zeros(a.shape[0]), bounds=bounds,
                     method="highs")
    if result.status != 0:
        return None
    deviation = np.zeros(len(values))
    deviation[columns] = result.x[:k] - result.x[k:]
    return deviation


def _cheapest_deviation(matrix, values, weights, suppressed, floor, cell, need, known):
    n = len(values)
    costs = np.where(suppressed, 0.0, weights)
    # y = up − down, both non-negative; cost on both parts.
    objective = np.concatenate([costs, costs])
    a = sparse.hstack([matrix, -matrix]).tocsr()
    up_bound = np.full(n, np.inf)
    down_bound = np.maximum(values - floor, 0.0)
    fixed = np.zeros(n, dtype=bool)
    if known:
        fixed[list(known)] = True
    up_bound[fixed] = 0.0
    down_bound[fixed] = 0.0
    bounds = list(zip(np.zeros(2 * n), np.concatenate([up_bound, down_bound]), strict=True))
    if need > 0:
        bounds[cell] = (need, need)
        bounds[n + cell] = (0.0, 0.0)
    else:
        bounds[cell] = (0.0, 0.0)
        bounds[n + cell] = (-need, -need)
    result = linprog(objective, A_eq=a, b_eq=np.zeros(a.shape[0]), bounds=bounds,
                     method="highs")
    if result.status != 0:
        raise DisclosureError(
            f"no suppression pattern can protect cell {cell} by {abs(need):g} "
            f"({result.message})"
        )
    return result.x[:n] - result.x[n:]


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
) -> ExactPattern:
    """The fewest (or cheapest) suppressions protecting every primary cell from an outsider.

    Exact mixed-integer program: a binary per cell, and per primary cell and direction a
    deviation allowed only on suppressed cells. Sized for small tables (tests, and the
    benchmark's measure of the heuristic); when the time limit stops it, the best pattern
    found is returned with ``proven=False`` and the lower bound reached.
    """
    values = space.value_array()
    weights = cell_costs(values, cost)
    matrix = space.matrix()
    n = len(values)
    floor = np.zeros(n)
    cases = [(int(c), need) for c in np.flatnonzero(primary)
             for need in requirements(values[c], 0.0, protection)]
    big = float(values.max() + protection)
    blocks = len(cases)
    size = n + blocks * n
    objective = np.concatenate([weights, np.zeros(blocks * n)])
    lower = np.concatenate([primary.astype(float), np.zeros(blocks * n)])
    upper = np.concatenate([np.ones(n), np.zeros(blocks * n)])
    integrality = np.concatenate([np.ones(n), np.zeros(blocks * n)])
    constraints = []
    eye = sparse.identity(n, format="csr")
    for b, (cell, need) in enumerate(cases):
        start = n + b * n
        lower[start:start + n] = floor - values
        upper[start:start + n] = big
        lower[start + cell] = upper[start + cell] = need
        pick = sparse.csr_matrix((np.ones(n), (np.arange(n), start + np.arange(n))),
                                 shape=(n, size))
        constraints.append(LinearConstraint(matrix @ pick, 0, 0))
        x_part = sparse.hstack([eye, sparse.csr_matrix((n, size - n))]).tocsr()
        # |y_j| ≤ big · x_j
        constraints.append(LinearConstraint(pick - big * x_part, -np.inf, 0))
        constraints.append(LinearConstraint(-pick - big * x_part, -np.inf, 0))
    result = milp(objective, constraints=constraints, integrality=integrality,
                  bounds=Bounds(lower, upper), options={"time_limit": time_limit})
    if result.x is None:
        raise DisclosureError(f"the exact suppression program found no solution: "
                              f"{result.message}")
    bound = getattr(result, "mip_dual_bound", None)
    return ExactPattern(result.x[:n] > 0.5, result.status == 0,
                        float(result.fun if bound is None else bound))
