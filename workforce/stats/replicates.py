"""Replicate-weight variance: jackknife and bootstrap, re-raked in every replicate.

The alternative to linearization. Each replicate perturbs the sampling weights (drops one
PSU, or resamples PSUs), and — when the design was raked — rakes the perturbed weights to the
same margins again, so the variation the raking removes is removed in every replicate too.
The variance is the spread of the replicate estimates:
``scale × Σ_r rscale_r (θ_r − θ̄)²``, centred at the replicates' mean as R's ``svrVar`` does
by default.

- ``jackknife``: delete-one-PSU. Without strata it is R's JK1 (scale (n-1)/n times the finite
  population correction); with strata it is R's JKn (one replicate per PSU, rscale
  (n_h-1)/n_h times the stratum's correction). With many PSUs — a member survey has one per
  respondent — ``groups=G`` deletes one of G random groups of PSUs instead (Kott's
  delete-a-group jackknife), which keeps the work to G replicates.
- ``bootstrap``: Rao and Wu's rescaling bootstrap (Rao, Wu and Yue 1992): n_h − 1 PSUs drawn
  with replacement in each stratum, weights rescaled so that the finite population correction
  is honoured. It is random: the seed is part of the result.

Replicate weights are built and raked a block of replicates at a time, on the joint table of
the raking variables, so memory stays at a few hundred MB even for large designs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse

from workforce.stats import intervals, reliability
from workforce.stats.design import SurveyDesign
from workforce.stats.errors import StatsError
from workforce.stats.estimates import (
    Domains,
    Estimate,
    indicator_outcome,
    numeric_outcome,
)
from workforce.stats.weighting import RakingCalibration, _margin_codes

WEIGHT_CELLS_PER_BLOCK = 16_000_000


@dataclass(frozen=True)
class ReplicateDesign:
    """A design with replicate weights: a multiplier per PSU and replicate."""

    design: SurveyDesign
    kind: str
    multipliers: np.ndarray  # (PSUs × replicates)
    scale: float
    rscales: np.ndarray
    seed: int | None = None

    @property
    def replicates(self) -> int:
        return self.multipliers.shape[1]

    def weights(self, replicates: Sequence[int] | None = None) -> np.ndarray:
        """Analysis weights (respondents × chosen replicates), re-raked when the design was."""
        columns = range(self.replicates) if replicates is None else replicates
        start = self.design.base_weights[:, None] * self.multipliers[self.design.psu][:, columns]
        raking = _raking_of(self.design)
        if raking is None:
            return start
        return _rerake(self.design, raking, start)

    def blocks(self):
        size = max(1, WEIGHT_CELLS_PER_BLOCK // max(self.design.n, 1))
        for first in range(0, self.replicates, size):
            yield self.weights(range(first, min(self.replicates, first + size)))

    def variance(self, replicate_estimates: np.ndarray) -> np.ndarray:
        """``scale Σ rscale (θ_r − θ̄)²`` for each column of (replicates × k) estimates."""
        thetas = np.asarray(replicate_estimates, dtype=float)
        used = self.rscales > 0
        centre = thetas[used].mean(axis=0)
        return self.scale * np.einsum("r,rk->k", self.rscales, (thetas - centre) ** 2)


def jackknife(design: SurveyDesign, groups: int | None = None, seed: int = 0) -> ReplicateDesign:
    """Delete-one-PSU jackknife (JK1 or JKn as R builds them), or delete-a-group with `groups`."""
    sampled = design.psus_per_stratum()
    fpc = _finite_population_corrections(design)
    if groups is not None:
        if design.n_strata > 1:
            raise StatsError(
                "the delete-a-group jackknife here is for designs without strata; "
                "use the delete-one-PSU jackknife or the bootstrap"
            )
        if not 2 <= groups <= design.n_psus:
            raise StatsError(f"jackknife groups must be between 2 and {design.n_psus}")
        rng = np.random.default_rng(seed)
        group_of = rng.permutation(np.arange(design.n_psus) % groups)
        multipliers = np.full((design.n_psus, groups), groups / (groups - 1))
        multipliers[np.arange(design.n_psus), group_of] = 0.0
        return ReplicateDesign(design, "jackknife (delete-a-group)", multipliers,
                               float(fpc[0] * (groups - 1) / groups), np.ones(groups), seed)
    if np.any(sampled < 2):
        stratum = design.stratum_labels[int(np.flatnonzero(sampled < 2)[0])]
        raise StatsError(f"stratum {stratum!r} has one PSU; the jackknife cannot drop it")
    n_psus = design.n_psus
    own = sampled[design.psu_stratum]
    multipliers = np.ones((n_psus, n_psus))
    same = design.psu_stratum[:, None] == design.psu_stratum[None, :]
    multipliers[same] = np.broadcast_to((own / (own - 1))[:, None], (n_psus, n_psus))[same]
    np.fill_diagonal(multipliers, 0.0)
    if design.n_strata == 1:
        n = sampled[0]
        return ReplicateDesign(design, "jackknife (JK1)", multipliers,
                               float(fpc[0] * (n - 1) / n), np.ones(n_psus))
    rscales = ((own - 1) / own) * fpc[design.psu_stratum]
    return ReplicateDesign(design, "jackknife (JKn)", multipliers, 1.0, rscales)


def bootstrap(design: SurveyDesign, replicates: int = 500, seed: int = 0) -> ReplicateDesign:
    """Rao–Wu rescaling bootstrap with `replicates` replicates from `seed`."""
    if replicates < 2:
        raise StatsError("the bootstrap needs at least 2 replicates")
    sampled = design.psus_per_stratum()
    if np.any(sampled < 2):
        stratum = design.stratum_labels[int(np.flatnonzero(sampled < 2)[0])]
        raise StatsError(f"stratum {stratum!r} has one PSU; the bootstrap cannot resample it")
    fpc = _finite_population_corrections(design)
    rng = np.random.default_rng(seed)
    multipliers = np.empty((design.n_psus, replicates))
    for h in range(design.n_strata):
        members = np.flatnonzero(design.psu_stratum == h)
        n_h = len(members)
        draws = n_h - 1
        rescale = np.sqrt(draws * fpc[h] / (n_h - 1))
        picks = rng.integers(0, n_h, size=(draws, replicates))
        counts = np.zeros((n_h, replicates))
        np.add.at(counts, (picks, np.arange(replicates)[None, :]), 1.0)
        multipliers[members] = 1 - rescale + rescale * (n_h / draws) * counts
    return ReplicateDesign(design, "bootstrap (Rao-Wu rescaling)", multipliers,
                           1.0 / (replicates - 1), np.ones(replicates), seed)


def _finite_population_corrections(design: SurveyDesign) -> np.ndarray:
    """``(N_h - n_h) / N_h`` per stratum; 1 where no population size was given."""
    sampled = design.psus_per_stratum()
    population = design.population_psus
    known = np.isfinite(population)
    fpc = np.ones(design.n_strata)
    fpc[known] = (population[known] - sampled[known]) / population[known]
    return fpc


# -- estimates -------------------------------------------------------------------------------


def mean(rep: ReplicateDesign, column: str, by=None, level: float = 0.95) -> list[Estimate]:
    return _estimate(rep, "mean", column, numeric_outcome(rep.design, column), by, level)


def total(rep: ReplicateDesign, column: str, by=None, level: float = 0.95) -> list[Estimate]:
    return _estimate(rep, "total", column, numeric_outcome(rep.design, column), by, level)


def proportion(
    rep: ReplicateDesign, column: str, value: str, by=None, method="logit", level=0.95
) -> list[Estimate]:
    y = indicator_outcome(rep.design, column, value)
    return _estimate(rep, "proportion", f"{column}={value}", y, by, level, method)


def _estimate(rep, kind, variable, y, by, level, method="logit") -> list[Estimate]:
    design = rep.design
    domains = Domains.of(design, by)
    answered = ~np.isnan(y)
    inside = answered & (domains.codes >= 0)
    rows = np.flatnonzero(inside)
    indicator = sparse.csr_matrix(
        (np.ones(len(rows)), (domains.codes[rows], rows)), shape=(domains.count, design.n)
    )
    y0 = np.where(answered, y, 0.0)

    def estimates(weights: np.ndarray) -> np.ndarray:
        sums = np.asarray(indicator @ (weights * y0[:, None] if weights.ndim == 2
                                       else (weights * y0)[:, None]))
        if kind == "total":
            return sums
        w = weights if weights.ndim == 2 else weights[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums / np.asarray(indicator @ w)

    full = estimates(design.weights)[:, 0]
    thetas = np.vstack([estimates(block).T for block in rep.blocks()])
    var = rep.variance(thetas)
    respondents = np.bincount(domains.codes[rows], minlength=domains.count)
    out = []
    for g, label in enumerate(domains.labels):
        n = int(respondents[g])
        df = design.degrees_of_freedom(domains.codes == g)
        if n == 0:
            out.append(Estimate(kind, variable, label, None, None, None, None, 0, None, df,
                                reliability.SUPPRESS, ("no respondent in this group answered",)))
            continue
        estimate, v = float(full[g]), max(float(var[g]), 0.0)
        se = float(np.sqrt(v))
        if kind == "proportion":
            interval = intervals.proportion_interval(method, estimate, v, df, n, level)
            verdict = reliability.assess_proportion(estimate, v, df, n)
            n_eff = reliability.effective_size_for_proportion(estimate, v, df, n)
        else:
            half = intervals.t_quantile(level, df) * se if df > 0 else None
            interval = None if half is None else (estimate - half, estimate + half)
            n_eff = float(n)
            verdict = reliability.assess_mean(estimate, se, df, n, n_eff)
        out.append(
            Estimate(kind, variable, label, estimate, se,
                     None if interval is None else interval[0],
                     None if interval is None else interval[1],
                     n, n_eff, df, verdict.verdict, verdict.reasons)
        )
    return out


# -- raking every replicate ------------------------------------------------------------------


def _raking_of(design: SurveyDesign) -> RakingCalibration | None:
    rakings = [step for step in design.calibration if isinstance(step, RakingCalibration)]
    if len(rakings) != len(design.calibration):
        raise StatsError(
            "replicate weights re-rake raked designs; a post-stratified design needs the "
            "linearization variance"
        )
    return rakings[-1] if rakings else None


def _rerake(design: SurveyDesign, raking: RakingCalibration, start: np.ndarray) -> np.ndarray:
    """Rake every column of `start` to the design's margins, all replicates at once."""
    targets = [_margin_codes(design, margin)[1] for margin in raking.margins]
    n_cells = len(raking.cell_count)
    by_cell = sparse.csr_matrix(
        (np.ones(design.n), (raking.cell, np.arange(design.n))), shape=(n_cells, design.n)
    )
    cell_start = np.asarray(by_cell @ start)  # cells × replicates
    factors = np.ones_like(cell_start)
    table = cell_start.copy()
    tolerance = raking.tolerance * float(design.base_weights.sum())
    for _ in range(raking.max_iterations):
        for m, target in enumerate(targets):
            codes = raking.cell_categories[:, m]
            current = np.zeros((len(target), cell_start.shape[1]))
            np.add.at(current, codes, cell_start * factors)
            empty = current <= 0
            if empty.any():
                category, replicate = (int(i[0]) for i in np.nonzero(empty))
                raise StatsError(
                    f"replicate {replicate + 1} leaves {raking.margins[m].variable} category "
                    f"{category + 1} without respondents, so it cannot be raked; use more "
                    "jackknife groups, the bootstrap, or the linearization variance"
                )
            factors = factors * (target[:, None] / current)[codes]
        new_table = cell_start * factors
        delta = float(np.max(np.abs(new_table - table)))
        table = new_table
        if delta < tolerance:
            break
    return start * factors[raking.cell]
