"""Secondary (complementary) suppression: which other cells to hide so primaries stay hidden.

Blanking the small cells alone fails: the blank comes back by subtracting the row's other
cells from its total. A primary cell is protected upward exactly when some other table,
agreeing with everything published, additive and non-negative, has that cell at least W
higher (and downward likewise) — the attacker's maximum is then at least that high. Such a
table differs from the true one by a *deviation* that sums to zero along every constraint
and is zero on every published cell. So to protect a cell, find the cheapest deviation that
moves it by W, and suppress the cells the deviation touches.

`protect` does that one primary cell and direction at a time with a linear program (HiGHS):
minimise the weighted size of the deviation, cells already suppressed costing nothing. Each
solution is a proof for its cell, and suppressing more never weakens an earlier proof, so the
final pattern protects every primary cell by construction; the audit then checks it
independently. It is a heuristic for the count of suppressed cells (the cost of a deviation
is its size, not the number of cells it touches); `optimal` solves the exact mixed-integer
program (one deviation per primary cell and direction, a binary per cell) for small tables,
to measure how far the heuristic is from the fewest suppressions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from workforce.disclosure.audit import (
    OUTSIDER,
    Attacker,
    cell_ranges,
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


def protect(
    space: CellSpace,
    primary: np.ndarray,
    protection: float,
    cost: str = "cells",
    attackers: Sequence[Attacker] = (OUTSIDER,),
) -> np.ndarray:
    """The suppressed cells (primary and secondary) that protect every primary cell."""
    values = space.value_array()
    weights = cell_costs(values, cost)
    matrix = space.matrix()
    suppressed = primary.copy()
    for attacker in attackers:
        floor = floors(values, attacker)
        # An insider's own cells are theirs to know: protect only everyone else's.
        primaries = [c for c in np.flatnonzero(primary).tolist() if c not in attacker.known]
        lowest = lowest_possible(space, attacker, primaries, matrix)
        for cell in primaries:
            for need in requirements(values[cell], lowest[cell], protection):
                low, high = cell_ranges(space, suppressed, attacker, [int(cell)], matrix)[cell]
                if need > 0 and high >= values[cell] + need - 1e-6:
                    continue
                if need < 0 and low <= values[cell] + need + 1e-6:
                    continue
                deviation = _cheapest_deviation(matrix, values, weights, suppressed, floor,
                                                int(cell), need, attacker.known)
                suppressed |= np.abs(deviation) > SUPPORT
    return suppressed


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


def optimal(
    space: CellSpace,
    primary: np.ndarray,
    protection: float,
    cost: str = "cells",
    time_limit: float = 60.0,
) -> np.ndarray:
    """The fewest (or cheapest) suppressions protecting every primary cell from an outsider.

    Exact mixed-integer program: a binary per cell, and per primary cell and direction a
    deviation allowed only on suppressed cells. Sized for small tables (tests, and the
    benchmark's measure of the heuristic).
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
    return result.x[:n] > 0.5
