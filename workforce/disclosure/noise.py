"""The differential-privacy mode for tables of counts: discrete Laplace noise through OpenDP.

Suppression hides small cells; noise instead changes every cell a little, so that no
published count, and no combination of published counts, reveals whether any one person is
in the data. The guarantee is epsilon-differential privacy, and it rests on one assumption
the caller must make true: **each person is counted in exactly one inner cell** (one
race and ethnicity, one gender, one career stage). Then adding or removing one person changes
one inner count by 1, the sensitivity is 1, and integer Laplace noise of scale ``1 / ε``
gives ε-differential privacy. A table where a person can be counted in several cells (a
multi-select race counted once per race chosen) has a larger sensitivity and is not covered.

The noise is added once, to the inner cells only. Everything after that is
post-processing, which costs no privacy: negative noisy counts are clamped to 0 (a count
cannot be negative, and clamping only moves a count towards the true one, which is never
negative), and margins are the sums of the clamped noisy inner cells, so the published table
stays additive and a reader cannot average several noisy versions of one total. Margins
carry the noise of all the cells they sum, so their error is larger than one cell's.

Every release spends its ε: two noisy tables of the same people spend the sum of their ε.

OpenDP draws its noise from the operating system's secure randomness and cannot be seeded.
This is deliberate: noise an attacker can replay (a seed in a published script) protects
nobody. Noisy outputs are therefore not reproducible; keep the published table, not the seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import opendp.prelude as dp
import pandas as pd

from workforce.disclosure.errors import DisclosureError

# OpenDP keeps its constructors that are not yet formally vetted behind the "contrib"
# feature, and make_laplace is one of them (its proof is published but not yet reviewed
# by OpenDP's vetting process). Enabling it is a deliberate choice made here, in the one
# module that adds noise, rather than somewhere global.
dp.enable_features("contrib")

MECHANISM = "discrete Laplace (OpenDP make_laplace over integer counts)"
CONFIDENCE = 0.95
# One person adds or removes 1 in one inner cell: the L1 distance between neighbouring
# tables of counts.
SENSITIVITY = 1
_COUNTS_SPACE = (dp.vector_domain(dp.atom_domain(T=dp.i64)), dp.l1_distance(T=dp.i64))


@dataclass(frozen=True)
class NoisyTable:
    """Noisy inner cells of a table of counts and the privacy budget they were made with.

    `cells` holds the dimensions and the noisy count of every inner cell (never the true
    counts); `margin` and `total` are sums of those cells.
    """

    cells: pd.DataFrame
    count: str
    dims: tuple[str, ...]
    epsilon: float
    mechanism: str
    scale: float
    noise_bound_95: int
    noise_sd: float

    @property
    def label(self) -> str:
        """The sentence printed under the table for readers."""
        return (
            f"Counts have random noise added (differential privacy, ε = {self.epsilon}): "
            f"each count is within ±{self.noise_bound_95} of the true count 95% of the time. "
            "Totals are sums of the noisy counts, so their noise is larger."
        )

    def margin(self, by: Sequence[str]) -> pd.DataFrame:
        """The noisy counts summed over every dimension not in `by`."""
        by = list(by)
        unknown = [column for column in by if column not in self.dims]
        if unknown:
            raise DisclosureError(
                f"margin over {unknown[0]!r}: not a dimension of this table "
                f"({', '.join(self.dims)})"
            )
        if not by:
            return pd.DataFrame({self.count: [self.total]})
        return (
            self.cells.groupby(by, dropna=False, sort=True)[self.count]
            .sum()
            .reset_index()
        )

    @property
    def total(self) -> int:
        return int(self.cells[self.count].sum())

    def as_dict(self) -> dict[str, Any]:
        """The privacy statement that travels with the table."""
        return {
            "epsilon": self.epsilon,
            "mechanism": self.mechanism,
            "sensitivity": SENSITIVITY,
            "scale": self.scale,
            "noise_bound_95": self.noise_bound_95,
            "noise_sd": self.noise_sd,
            "label": self.label,
            "post_processing": [
                "negative noisy counts clamped to 0",
                "margins are sums of the noisy inner cells",
            ],
        }


def noisy_counts(
    table: pd.DataFrame, count: str, dims: list[str], epsilon: float
) -> NoisyTable:
    """The inner cells of `table` with discrete Laplace noise for ε-differential privacy.

    `table` has one row per inner cell: the `dims` columns and the `count` column of whole,
    non-negative numbers of people, each person counted in exactly one row (see the module
    docstring). The noise scale is the smallest OpenDP accepts for `epsilon` at
    sensitivity 1 (about ``1 / epsilon``). Not reproducible by design: see the module
    docstring on seeds.
    """
    dims = [dims] if isinstance(dims, str) else list(dims)
    for column in [*dims, count]:
        if column not in table.columns:
            known = ", ".join(repr(str(name)) for name in table.columns)
            raise DisclosureError(
                f"column {column!r} is not in the table of counts; its columns are {known}"
            )
    if count in dims:
        raise DisclosureError(f"column {count!r} is both the count and a dimension")
    epsilon = _checked_epsilon(epsilon)
    true_counts = _checked_counts(table[count], count)
    _check_one_row_per_cell(table, dims)

    scale = privacy_scale(epsilon)
    measurement = dp.m.make_laplace(*_COUNTS_SPACE, scale=scale)
    noisy = np.asarray(measurement(true_counts.tolist()), dtype=np.int64)
    cells = table[dims].reset_index(drop=True).copy()
    # Post-processing: a count below zero is impossible, and clamping costs no privacy.
    cells[count] = np.maximum(noisy, 0)
    return NoisyTable(
        cells=cells,
        count=count,
        dims=tuple(dims),
        # The budget as asked; privacy_scale made the measurement's loss no larger.
        epsilon=epsilon,
        mechanism=MECHANISM,
        scale=scale,
        noise_bound_95=noise_bound(scale, CONFIDENCE),
        noise_sd=noise_sd(scale),
    )


def privacy_scale(epsilon: float) -> float:
    """The smallest discrete Laplace scale whose privacy loss at sensitivity 1 is ≤ `epsilon`.

    OpenDP's own search, because ``1 / epsilon`` in floating point can land a hair under the
    scale OpenDP's privacy map needs (ε = 3 gives a loss of 3.0000000000000004).
    """
    epsilon = _checked_epsilon(epsilon)
    return float(
        dp.binary_search_param(
            lambda scale: dp.m.make_laplace(*_COUNTS_SPACE, scale=scale),
            d_in=SENSITIVITY,
            d_out=epsilon,
        )
    )


def noise_bound(scale: float, confidence: float = CONFIDENCE) -> int:
    """The whole number N such that a noisy count is within ±N of the true one with at
    least `confidence` probability (OpenDP's accuracy for the discrete Laplace, floored:
    the noise is an integer, so the floor keeps the coverage)."""
    accuracy = dp.discrete_laplacian_scale_to_accuracy(
        scale=float(scale), alpha=1.0 - confidence, T=float
    )
    return int(math.floor(accuracy))


def noise_sd(scale: float) -> float:
    """The standard deviation of discrete Laplace noise of `scale`.

    With p = exp(-1 / scale) the variance is 2p / (1 - p)², a little under the continuous
    Laplace's 2 · scale².
    """
    p = math.exp(-1.0 / scale)
    return math.sqrt(2.0 * p) / (1.0 - p)


def _checked_epsilon(epsilon: Any) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float | np.number):
        raise DisclosureError(f"epsilon = {epsilon!r} is not a number")
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise DisclosureError(
            f"epsilon = {epsilon!r}: the privacy budget must be a finite number above 0 "
            "(smaller is more private and noisier; 1.0 is a common choice)"
        )
    return float(epsilon)


def _checked_counts(values: pd.Series, column: str) -> np.ndarray:
    """The counts as int64; the first bad cell is named by spreadsheet row and value."""
    numbers = pd.to_numeric(values, errors="coerce")
    problems = (
        ("is not a number", numbers.isna().to_numpy() & values.notna().to_numpy()),
        ("is missing", values.isna().to_numpy()),
        ("is negative", (numbers < 0).to_numpy()),
        ("is not a whole number", (np.mod(numbers.fillna(0), 1) != 0).to_numpy()),
    )
    for problem, bad in problems:
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            raise DisclosureError(
                f"row {position + 2}, column {column!r}: the count "
                f"{values.iloc[position]!r} {problem}; counts are whole numbers of people "
                f"({int(bad.sum())} such rows)"
            )
    return numbers.to_numpy().astype(np.int64)


def _check_one_row_per_cell(table: pd.DataFrame, dims: list[str]) -> None:
    if not dims:
        if len(table) > 1:
            raise DisclosureError(
                f"no dimensions were given but the table has {len(table)} rows; name the "
                "columns that tell its cells apart"
            )
        return
    repeated = table.duplicated(subset=dims, keep="first").to_numpy()
    if repeated.any():
        position = int(np.flatnonzero(repeated)[0])
        cell = ", ".join(f"{d} = {table[d].iloc[position]!r}" for d in dims)
        raise DisclosureError(
            f"row {position + 2}: the cell {cell} appears more than once; each inner cell "
            "must be one row, so that each person is counted once"
        )
