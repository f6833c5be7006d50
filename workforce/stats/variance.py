"""Design-based variance by linearization, as R's ``survey::svyrecvar`` computes it.

An estimator is described by its influence values: one row per respondent, one column per
estimate (for a mean, ``w (y - ȳ) / Σw`` inside its domain and zero outside). The variance
is then that of an estimated total of the influence values:

1. the influence values are replaced by their residuals from every calibration step of the
   design (raking, post-stratification), because calibrated weights are not fixed: they were
   fitted to the frame, and that fitting removes the variation the calibration variables
   explain. Treating raked weights as fixed overstates the standard errors.
2. they are summed within each primary sampling unit;
3. the PSU totals are centred within each stratum and their sums of squares scaled by
   ``f_h n_h / (n_h - 1)``, where ``f_h = (N_h - n_h) / N_h`` is the finite population
   correction.

Every step is a vectorized sum; nothing loops over respondents.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from workforce.stats.design import SurveyDesign
from workforce.stats.errors import StatsError


def residualize(design: SurveyDesign, influence: np.ndarray) -> np.ndarray:
    """The influence values' residuals from the design's calibration steps, in order."""
    x = np.asarray(influence, dtype=float)
    for step in design.calibration:
        x = step.residuals(x)
    return x


def covariance(design: SurveyDesign, influence: np.ndarray) -> np.ndarray:
    """Covariance matrix (k × k) of the estimates whose influence values are the k columns."""
    x = _as_matrix(influence)
    scaled = _scaled_centred_psu_totals(design, residualize(design, x))
    return scaled.T @ scaled


def variances(design: SurveyDesign, influence: np.ndarray) -> np.ndarray:
    """Variance of each column's estimate (the covariance matrix's diagonal), cheaply."""
    x = _as_matrix(influence)
    scaled = _scaled_centred_psu_totals(design, residualize(design, x))
    return np.einsum("ij,ij->j", scaled, scaled)


def _as_matrix(influence: np.ndarray) -> np.ndarray:
    x = np.asarray(influence, dtype=float)
    return x[:, None] if x.ndim == 1 else x


def _scaled_centred_psu_totals(design: SurveyDesign, x: np.ndarray) -> np.ndarray:
    if design.inclusion_probabilities is not None:
        # Poisson sampling: independent inclusions, nothing to centre (R's poisson_sampling).
        return x * np.sqrt(1 - design.inclusion_probabilities)[:, None]
    if design.has_clusters:
        indicator = sparse.csr_matrix(
            (np.ones(design.n), (design.psu, np.arange(design.n))),
            shape=(design.n_psus, design.n),
        )
        totals = np.asarray(indicator @ x)
    else:
        totals = x
    scale = _stratum_scale(design)
    if design.n_strata == 1:
        centred = totals - totals.mean(axis=0)
    else:
        counts = design.psus_per_stratum()
        by_stratum = sparse.csr_matrix(
            (np.ones(design.n_psus), (design.psu_stratum, np.arange(design.n_psus))),
            shape=(design.n_strata, design.n_psus),
        )
        sums = np.asarray(by_stratum @ totals)
        centred = totals - (sums / counts[:, None])[design.psu_stratum]
    return centred * np.sqrt(scale)[design.psu_stratum][:, None]


def _stratum_scale(design: SurveyDesign) -> np.ndarray:
    """``f_h n_h / (n_h - 1)`` per stratum; zero for a stratum sampled completely."""
    sampled = design.psus_per_stratum()
    population = design.population_psus
    with np.errstate(divide="ignore", invalid="ignore"):
        fpc = np.where(np.isinf(population), 1.0, (population - sampled) / population)
    lonely = sampled == 1
    if lonely.any() and design.lonely_psu == "fail":
        stratum = design.stratum_labels[int(np.flatnonzero(lonely)[0])]
        raise StatsError(
            f"{design.source}: stratum {stratum!r} has only one primary sampling unit, so its "
            "variance cannot be estimated; merge it with a similar stratum, or treat it as "
            "sampled with certainty (lonely_psu='certainty')"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(lonely, fpc, fpc * sampled / (sampled - 1))
    # A stratum taken completely (f = 0) contributes nothing, as in R.
    scale[fpc < 1e-7] = 0.0
    return scale
