"""Controlled rounding: every count of a table rounded to a multiple of a base, still additive.

Suppression hides small cells; rounding publishes every cell, but only to the nearest
multiples of a base (3 or 5 is usual). A group of 1, 2, 3 or 4 people is published as 0 or 5,
so a reader cannot tell a single person from a handful, nor from an empty group, and a count
of 12 is published as 10 or 15. Rounding each cell on its own would break the table: a row of
3 + 3 + 3 = 9 rounds cell by cell to 5 + 5 + 5 = 15 against a rounded total of 10, and a
reader who sees the sums disagree learns that the parts were rounded up, which narrows them
again. *Controlled* rounding rounds every cell, inner cells and margins alike, up or down to
one of its two adjacent multiples, chosen together so that every published margin is still
the sum of its published parts. It is *zero-restricted*: a count that is already a multiple
of the base (0 included) is published exactly as it is.

What it costs the reader: every published count, totals included, may be up to ``base − 1``
away from the true number, and not always to the nearest multiple (a 3 may be published as 0,
a 2 as 5, when the sums need it). Small counts and ratios of small counts become unreliable;
large counts and the shape of the table survive. The rounding is deterministic (the same
table is always rounded the same way), so asking again does not give a second, differently
rounded table to average out. Additivity is what an attacker can exploit here too: a
published row total and its published parts, each known to lie within ``base − 1`` of the
truth, can narrow some true counts further than one cell's window; this module does not
audit that, and for a table where it matters suppression (`gate.protect_tables`, which
audits every attacker interval) is the safer choice.

When it exists: for a two-way table with its margins a zero-restricted controlled rounding
always exists (Cox and Ernst 1982, "Controlled rounding", INFOR 20(4):423–432; Cox 1987, "A
constructive procedure for unbiased controlled rounding", JASA 82(398):520–524). The
constraints of a two-way table form a network, so its linear relaxation already has an
integral optimum. For tables of three or more dimensions, hierarchies and linked tables, a
controlled rounding may not exist (Causey, Cox and Ernst 1985, JASA 80:903–909); then this
module raises `DisclosureError` rather than publish a table whose sums do not hold.

How: a mixed-integer program solved by HiGHS (`scipy.optimize.milp`), as in Fischetti and
Salazar-González 1998 ("Experiments with controlled rounding for statistical disclosure
control in tabular data with linear constraints", J. Official Statistics 14(4):553–565).
Every cell ``i`` of the `CellSpace` whose true count ``v_i`` is not a multiple of the base
``b`` gets a binary ``x_i``; its published count is ``f_i + b·x_i`` with ``f_i = b·⌊v_i/b⌋``
(cells already multiples have ``x_i`` fixed out: published = ``v_i``). The constraints are
the space's additivity equations ``A @ published = 0``, i.e. ``A_free @ x = −(A @ f) / b``.
The objective is the total absolute change ``Σ |published_i − v_i|``, which with the
remainder ``r_i = v_i − f_i`` is ``Σ r_i + Σ (b − 2 r_i)·x_i``: rounding a 4 down to 0 costs
4, rounding it up to 5 costs 1, so cells go to their nearest multiple unless the sums need
otherwise, and the ones sent the far way are those that move least for it. Every solution is
checked again in whole numbers before it is returned.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from workforce.disclosure.errors import DisclosureError
from workforce.disclosure.table import CellSpace, Hierarchy, build

ROUNDED = "rounded"
METHOD = "zero-restricted controlled rounding (mixed-integer program, HiGHS)"

# scipy.optimize.milp status codes.
_OPTIMAL, _LIMIT, _INFEASIBLE = 0, 1, 2


@dataclass(frozen=True)
class RoundedTable:
    """Every cell of a cell space rounded to a multiple of `base`, the sums still holding.

    `values` are the published (rounded) counts, one per cell of `space`, in its order.
    `max_change` (``base − 1``) is what the reader is told a count may be off by;
    `largest_change` and `total_change` are measured against the true counts, for the
    publisher only, and are not in `as_dict`. `optimal` is false when the solver's time limit
    stopped it with an additive rounding that is not proven to change the counts least.
    """

    space: CellSpace
    values: np.ndarray
    base: int
    largest_change: int
    total_change: int
    optimal: bool = True
    time_limit: float | None = None

    @property
    def max_change(self) -> int:
        return self.base - 1

    @property
    def label(self) -> str:
        """The sentence printed under the table for readers."""
        return (
            f"Counts are rounded to multiples of {self.base} so that small groups cannot be "
            "told apart; totals are rounded too and still add up, so each count may be up to "
            f"{self.max_change} away from the true number."
        )

    def cells(self, table: str | None = None) -> list[dict]:
        """Each cell's dimension values, its rounded count and ``"status": "rounded"``."""
        indices = range(self.space.size) if table is None else self.space.tables[table]
        return [
            {**self.space.describe(i), "count": int(self.values[i]), "status": ROUNDED}
            for i in indices
        ]

    def as_dict(self, table: str | None = None) -> dict[str, Any]:
        return {
            "method": METHOD,
            "base": self.base,
            "max_change": self.max_change,
            "label": self.label,
            "optimal": self.optimal,
            "cells": self.cells(table),
        }


def controlled_rounding(
    space: CellSpace, base: int = 5, time_limit: float = 30.0
) -> RoundedTable:
    """Round every cell of `space` to a multiple of `base` so that every sum still holds.

    Raises `DisclosureError` when no such rounding exists (possible for tables of three or
    more dimensions, hierarchies and linked tables), or when the solver finds none within
    `time_limit` seconds; the message suggests suppression instead.
    """
    base = _checked_base(base)
    time_limit = _checked_time_limit(time_limit)
    true = _checked_counts(space)
    matrix = space.matrix().tocsr().astype(np.int64)
    if matrix.shape[0] and np.any(matrix @ true):
        raise DisclosureError(
            "the cell space is not additive before rounding (some margin is not the sum of "
            "its parts); build it with table.build or CellSpace.add_table"
        )
    floor = (true // base) * base
    remainder = true - floor
    free = np.flatnonzero(remainder)
    up = np.zeros(space.size, dtype=np.int64)
    optimal = True
    if free.size:
        x, optimal = _solve(matrix, floor, remainder, free, base, time_limit)
        up[free] = x
    rounded = floor + base * up
    change = np.abs(rounded - true)
    # Checked again in whole numbers: nothing leaves here that does not add up.
    if (
        (matrix.shape[0] and np.any(matrix @ rounded))
        or np.any(rounded % base)
        or np.any(change >= base)
        or np.any(rounded[remainder == 0] != true[remainder == 0])
    ):
        raise DisclosureError(
            "the solver returned a rounding that does not hold (a sum, a multiple or a window "
            "is broken); nothing is published — suppress the table instead"
        )
    return RoundedTable(
        space=space,
        values=rounded,
        base=base,
        largest_change=int(change.max(initial=0)),
        total_change=int(change.sum()),
        optimal=optimal,
        time_limit=time_limit,
    )


def round_table(
    inner: pd.DataFrame,
    count: str,
    dims: Sequence[str],
    base: int = 5,
    hierarchies: Mapping[str, Hierarchy] | None = None,
    time_limit: float = 30.0,
    source: str = "table",
) -> RoundedTable:
    """One table (its inner cells; margins are added) with controlled rounding."""
    dims = [dims] if isinstance(dims, str) else list(dims)
    base = _checked_base(base)
    space = build(inner, count, dims, hierarchies, source)
    return controlled_rounding(space, base, time_limit)


def _solve(
    matrix: sparse.csr_matrix,
    floor: np.ndarray,
    remainder: np.ndarray,
    free: np.ndarray,
    base: int,
    time_limit: float,
) -> tuple[np.ndarray, bool]:
    """The up (1) / down (0) choice of every free cell, and whether it is proven optimal."""
    # A_free @ x = −(A @ f) / b; the right side is whole because every f is a multiple of b.
    rhs = -(matrix @ floor) // base
    a_free = matrix[:, free].tocsr()
    # Rows with no free cell hold already (all their cells are unchanged multiples).
    used = np.diff(a_free.indptr) > 0
    a_free, rhs = a_free[used], rhs[used]
    cost = (base - 2 * remainder[free]).astype(float)
    constraints = [LinearConstraint(a_free.astype(float), rhs, rhs)] if a_free.shape[0] else []
    result = milp(
        cost,
        constraints=constraints,
        integrality=np.ones(free.size),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit},
    )
    if result.status == _INFEASIBLE:
        raise DisclosureError(
            f"no controlled rounding to base {base} exists for this table: no choice of "
            "rounding every count up or down keeps every total equal to the sum of its parts. "
            "This can happen for tables of three or more dimensions, with hierarchies, or "
            "linked tables; suppress the small cells instead (gate.protect_tables), or publish "
            "fewer margins"
        )
    if result.x is None:
        reason = (f"the time limit of {time_limit:g} s was reached before any additive "
                  "rounding was found" if result.status == _LIMIT else result.message)
        raise DisclosureError(
            f"controlled rounding to base {base} failed: {reason}; suppress the small cells "
            "instead (gate.protect_tables), or allow more time"
        )
    x = np.rint(result.x).astype(np.int64)
    return x, result.status == _OPTIMAL


def _checked_base(base: Any) -> int:
    if isinstance(base, bool) or not isinstance(base, int | np.integer) or base < 2:
        raise DisclosureError(
            f"rounding base = {base!r}: the base must be a whole number of 2 or more "
            "(3 and 5 are usual)"
        )
    return int(base)


def _checked_time_limit(time_limit: Any) -> float:
    if (isinstance(time_limit, bool) or not isinstance(time_limit, int | float | np.number)
            or not math.isfinite(time_limit) or time_limit <= 0):
        raise DisclosureError(
            f"time_limit = {time_limit!r}: the solver's time limit must be a positive number "
            "of seconds"
        )
    return float(time_limit)


def _checked_counts(space: CellSpace) -> np.ndarray:
    values = space.value_array()
    whole = np.rint(values)
    bad = ~np.isfinite(values) | (values < 0) | (np.abs(values - whole) > 1e-9)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        described = ", ".join(f"{d}={v}" for d, v in space.describe(i).items())
        raise DisclosureError(
            f"the cell {described} is {values[i]!r}, not a count (a whole number, 0 or more); "
            "only counts can be rounded"
        )
    return whole.astype(np.int64)
