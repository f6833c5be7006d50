"""A survey design: respondents, their weights, and how they were sampled.

The design holds what design-based variance needs: the analysis weights, the strata, the
primary sampling units (PSUs) and the finite population correction per stratum, plus the
calibration steps (raking, post-stratification) whose residuals the variance must use. It
follows R's ``survey::svydesign`` conventions so results can be compared number for number:

- without clusters every respondent is its own PSU;
- a cluster is identified within its stratum (R's ``nest=TRUE``);
- ``fpc`` is the population size of the stratum (of PSUs, when clustered), or a sampling
  fraction when every value is at most 1, as in R.

A member survey that invites the whole membership and hears back from a third of it is a
design without clusters or strata, weighted to the membership frame, with the frame size as
its finite population correction: the respondents are a large part of the population, and
ignoring that would overstate every standard error.

Domains (subgroups) never drop rows: rows outside a domain get zero influence, which is
exactly what R does for calibrated designs and equivalent to what it does for the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workforce.stats.errors import StatsError

if TYPE_CHECKING:
    from workforce.stats.weighting import Calibration, WeightingReport

LONELY_PSU_RULES = ("fail", "certainty")


@dataclass(frozen=True)
class SurveyDesign:
    """Respondents and their sampling design; build one with `SurveyDesign.from_frame`."""

    data: pd.DataFrame
    weights: np.ndarray
    # Stratum code of every row (0..H-1) and the stratum labels in code order.
    strata: np.ndarray
    stratum_labels: tuple
    # PSU code of every row (0..P-1, unique across strata) and the stratum of every PSU.
    psu: np.ndarray
    psu_stratum: np.ndarray
    # Population size per stratum (PSUs when clustered); infinity when no fpc was given.
    population_psus: np.ndarray
    has_clusters: bool = False
    lonely_psu: str = "fail"
    source: str = "data"
    # Poisson sampling: every respondent in the sample independently with this probability.
    inclusion_probabilities: np.ndarray | None = None
    # Sampling weights before any calibration; the raking tolerance is relative to their sum.
    sampling_weights: np.ndarray | None = None
    calibration: tuple[Calibration, ...] = field(default_factory=tuple)
    weighting: WeightingReport | None = None

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_frame(
        cls,
        data: pd.DataFrame,
        *,
        weights: str | Sequence[float] | np.ndarray | None,
        strata: str | None = None,
        clusters: str | None = None,
        fpc: str | float | None = None,
        lonely_psu: str = "fail",
        source: str = "data",
        poisson: bool = False,
    ) -> SurveyDesign:
        """A design over `data`; `weights` is a column name or the weights themselves.

        Every problem is a `StatsError` naming `source`, the column and the first bad rows:
        missing, negative, zero or infinite weights; a stratum or cluster left blank; an fpc
        that varies within a stratum or is smaller than the sample.

        With ``poisson=True`` each respondent is taken to be in the sample independently, with
        probability one over its weight (R's ``pps = poisson_sampling(p)``): the variance of
        a total is then ``Σ (1 - π_i) x_i²``. That is how a census-invited frame answers when
        members respond independently with different propensities, the weights being the
        inverse propensities (see `frame_weights`). A weight under 1 counts as certain.
        """
        if lonely_psu not in LONELY_PSU_RULES:
            raise StatsError(
                f"lonely_psu must be one of {', '.join(LONELY_PSU_RULES)}, not {lonely_psu!r}"
            )
        data = data.reset_index(drop=True)
        n = len(data)
        if n == 0:
            raise StatsError(f"{source}: there are no respondents (the data has no rows)")
        w = _weights(data, weights, source)
        stratum_codes, stratum_labels = _codes(data, strata, source, "stratum")
        if clusters is None:
            psu = np.arange(n, dtype=np.int64)
        else:
            cluster_codes, _ = _codes(data, clusters, source, "cluster")
            # A cluster is identified within its stratum.
            pairs = stratum_codes.astype(np.int64) * (int(cluster_codes.max()) + 1) + cluster_codes
            _, psu = np.unique(pairs, return_inverse=True)
            psu = psu.astype(np.int64)
        n_psus = int(psu.max()) + 1
        psu_stratum = np.zeros(n_psus, dtype=np.int64)
        psu_stratum[psu] = stratum_codes
        sampled = np.bincount(psu_stratum, minlength=len(stratum_labels)).astype(float)
        population = _population_psus(data, fpc, stratum_codes, sampled, source)
        probabilities = None
        if poisson:
            if strata is not None or clusters is not None or fpc is not None:
                raise StatsError(
                    f"{source}: Poisson sampling has no strata, clusters or fpc; each "
                    "respondent's probability is one over its weight"
                )
            # A weight under 1 would be a probability over 1: such a respondent is certain.
            probabilities = np.minimum(1.0, 1.0 / w)
        return cls(
            data=data,
            weights=w,
            strata=stratum_codes,
            stratum_labels=stratum_labels,
            psu=psu,
            psu_stratum=psu_stratum,
            population_psus=population,
            has_clusters=clusters is not None,
            lonely_psu=lonely_psu,
            source=source,
            sampling_weights=w,
            inclusion_probabilities=probabilities,
        )

    # -- what the design is -------------------------------------------------------------------

    @property
    def n(self) -> int:
        return len(self.weights)

    @property
    def n_strata(self) -> int:
        return len(self.stratum_labels)

    @property
    def n_psus(self) -> int:
        return len(self.psu_stratum)

    @property
    def base_weights(self) -> np.ndarray:
        return self.weights if self.sampling_weights is None else self.sampling_weights

    def psus_per_stratum(self) -> np.ndarray:
        return np.bincount(self.psu_stratum, minlength=self.n_strata).astype(float)

    def degrees_of_freedom(self, rows: np.ndarray | None = None) -> int:
        """PSUs minus strata, counting only those with a row in `rows` (a boolean mask).

        This is R's ``degf()``: for a domain it counts the PSUs and strata the domain
        reaches.
        """
        if rows is None:
            return self.n_psus - self.n_strata
        if self.inclusion_probabilities is not None:
            return int(np.count_nonzero(rows)) - 1
        psus = np.unique(self.psu[rows])
        strata = np.unique(self.psu_stratum[psus])
        return int(len(psus) - len(strata))

    def with_weights(self, weights: np.ndarray, **changes) -> SurveyDesign:
        return replace(self, weights=np.asarray(weights, dtype=float), **changes)

    def column(self, name: str) -> pd.Series:
        if name not in self.data.columns:
            known = ", ".join(map(str, self.data.columns[:30]))
            raise StatsError(f"{self.source}: no column {name!r} (columns: {known})")
        return self.data[name]


def _weights(data: pd.DataFrame, weights, source: str) -> np.ndarray:
    if weights is None:
        return np.ones(len(data))
    if isinstance(weights, str):
        if weights not in data.columns:
            raise StatsError(f"{source}: no weight column {weights!r}")
        column = weights
        raw = pd.to_numeric(data[weights], errors="coerce")
        unreadable = raw.isna() & data[weights].notna() & (data[weights].astype(str) != "")
        if unreadable.any():
            row = int(np.flatnonzero(unreadable.to_numpy())[0])
            raise StatsError(
                f"{source}: row {row + 2}, column {column!r}: weight "
                f"{data[weights].iloc[row]!r} is not a number"
            )
        values = raw.to_numpy(dtype=float)
    else:
        column = "weights"
        values = np.asarray(weights, dtype=float)
        if values.shape != (len(data),):
            raise StatsError(
                f"{source}: {len(values)} weights given for {len(data)} respondents"
            )
    for problem, bad in (
        ("is missing", np.isnan(values)),
        ("is infinite", np.isinf(values)),
        ("is negative", values < 0),
        ("is zero (drop the row instead: a weight of zero contributes nothing)", values == 0),
    ):
        if bad.any():
            rows = np.flatnonzero(bad)
            more = f" (and {len(rows) - 1} more rows)" if len(rows) > 1 else ""
            raise StatsError(
                f"{source}: row {rows[0] + 2}, column {column!r}: the weight "
                f"{_shown(values[rows[0]])} {problem}{more}"
            )
    return values


def _shown(value: float) -> str:
    return "(empty)" if np.isnan(value) else repr(float(value))


def _codes(data: pd.DataFrame, column: str | None, source: str, what: str):
    if column is None:
        return np.zeros(len(data), dtype=np.int64), ("(all)",)
    if column not in data.columns:
        raise StatsError(f"{source}: no {what} column {column!r}")
    values = data[column]
    blank = values.isna() | (values.astype(str).str.strip() == "")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0])
        raise StatsError(
            f"{source}: row {row + 2}, column {column!r}: the {what} is blank "
            f"({int(blank.sum())} rows in all); every respondent needs one"
        )
    codes, labels = pd.factorize(values, sort=True)
    return codes.astype(np.int64), tuple(labels.tolist())


def _population_psus(data, fpc, stratum_codes, sampled, source) -> np.ndarray:
    n_strata = len(sampled)
    if fpc is None:
        return np.full(n_strata, np.inf)
    if isinstance(fpc, str):
        if fpc not in data.columns:
            raise StatsError(f"{source}: no fpc column {fpc!r}")
        values = pd.to_numeric(data[fpc], errors="coerce").to_numpy(dtype=float)
        name = fpc
    else:
        values = np.full(len(data), float(fpc))
        name = "fpc"
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise StatsError(
            f"{source}: row {row + 2}, column {name!r}: the finite population correction "
            f"{data[fpc].iloc[row] if isinstance(fpc, str) else fpc!r} must be a positive number"
        )
    low = np.full(n_strata, np.inf)
    high = np.full(n_strata, -np.inf)
    np.minimum.at(low, stratum_codes, values)
    np.maximum.at(high, stratum_codes, values)
    if np.any(high - low > 1e-9 * np.maximum(1.0, high)):
        stratum = int(np.flatnonzero(high - low > 1e-9 * np.maximum(1.0, high))[0])
        raise StatsError(
            f"{source}: column {name!r} varies within stratum {stratum + 1}; "
            "the finite population correction is one number per stratum"
        )
    # As in R: values all at most 1 are sampling fractions, otherwise population sizes.
    population = sampled / low if np.all(low <= 1) else low
    if np.any(population < sampled - 1e-9):
        stratum = int(np.flatnonzero(population < sampled - 1e-9)[0])
        raise StatsError(
            f"{source}: column {name!r}: the population size {population[stratum]:g} is "
            f"smaller than the {int(sampled[stratum])} sampled units of its stratum"
        )
    return population
