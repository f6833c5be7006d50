"""Totals, means and proportions, for everyone and by domain, with design-based uncertainty.

Each estimate comes with its standard error (linearization through the design's calibration,
see `variance`), a confidence interval, the number of respondents it rests on, its effective
sample size, the design degrees of freedom, and a reliability verdict (`reliability`).

Domains are subgroups given by one or more columns (``by=["race", "gender", "career_stage"]``
gives every observed intersection). A domain is estimated as R's ``svyby`` does: its
respondents keep their weights and everyone else gets zero influence, so the variance still
sees the whole design. Respondents with no answer to the outcome are left out of that
outcome's estimates; respondents with a blank ``by`` value belong to no domain.

Proportions of a multi-select column (codes joined by ``;``, as the standard writes them)
count a respondent for every code they chose: ``race = asian`` is "Asian alone or in
combination".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.stats import intervals, reliability
from workforce.stats.categories import category_text, code_text, contains_code
from workforce.stats.design import SurveyDesign
from workforce.stats.errors import StatsError
from workforce.stats.variance import variances

# Influence values are built and summed a block of domains at a time, so that estimating
# hundreds of domains over a million respondents stays within a few hundred MB.
INFLUENCE_CELLS_PER_BLOCK = 16_000_000


@dataclass(frozen=True)
class Estimate:
    """One published number and everything needed to judge it."""

    statistic: str
    variable: str
    group: dict | None
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_eff: float | None
    df: int
    reliability: str
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "statistic": self.statistic,
            "variable": self.variable,
            "group": self.group,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "n_eff": self.n_eff,
            "df": self.df,
            "reliability": self.reliability,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Domains:
    """Which domain every respondent is in (-1 for none) and what each domain is."""

    codes: np.ndarray
    labels: tuple[dict | None, ...]

    @property
    def count(self) -> int:
        return len(self.labels)

    @classmethod
    def whole(cls, design: SurveyDesign) -> Domains:
        return cls(np.zeros(design.n, dtype=np.int64), (None,))

    @classmethod
    def of(cls, design: SurveyDesign, by: Sequence[str] | None) -> Domains:
        if not by:
            return cls.whole(design)
        columns = []
        for name in by:
            values = design.column(name)
            text = category_text(values)
            columns.append(text.where(text != "", None))
        frame = pd.DataFrame(dict(zip(by, columns, strict=True)))
        grouped = frame.groupby(list(by), sort=True, dropna=True)
        codes = grouped.ngroup().to_numpy()
        codes = np.where(np.isnan(codes.astype(float)), -1, codes).astype(np.int64)
        keys = list(grouped.size().index)
        labels = tuple(
            dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
            for key in keys
        )
        return cls(codes, labels)


@dataclass(frozen=True)
class DomainMeans:
    """Weighted means of one outcome per domain, with what the variance needs.

    `influence(columns)` gives the respondents' influence values for the chosen domains,
    so that any smooth function of several means (a ratio, a diversity index) gets its
    standard error from `variance.covariance` through the same design.
    """

    design: SurveyDesign
    y: np.ndarray
    answered: np.ndarray
    domains: Domains
    estimates: np.ndarray
    weight_sums: np.ndarray
    respondents: np.ndarray
    kind: str = "mean"

    def influence(self, columns: Sequence[int] | None = None) -> np.ndarray:
        columns = list(range(self.domains.count)) if columns is None else list(columns)
        position = np.full(self.domains.count, -1, dtype=np.int64)
        position[columns] = np.arange(len(columns))
        code = self.domains.codes
        rows = np.flatnonzero(self.answered & (code >= 0))
        rows = rows[position[code[rows]] >= 0]
        out = np.zeros((self.design.n, len(columns)))
        g = code[rows]
        w = self.design.weights[rows]
        if self.kind == "total":
            values = w * self.y[rows]
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                values = w * (self.y[rows] - self.estimates[g]) / self.weight_sums[g]
        out[rows, position[g]] = values
        return out

    def variances(self) -> np.ndarray:
        count = self.domains.count
        block = max(1, INFLUENCE_CELLS_PER_BLOCK // max(self.design.n, 1))
        out = np.empty(count)
        for start in range(0, count, block):
            columns = range(start, min(count, start + block))
            out[start : start + len(columns)] = variances(self.design, self.influence(columns))
        return out

    def degrees_of_freedom(self) -> np.ndarray:
        """R's ``degf`` of each domain: PSUs it reaches minus strata it reaches."""
        code = self.domains.codes
        inside = code >= 0
        g = code[inside]
        count = self.domains.count
        if not self.design.has_clusters and self.design.inclusion_probabilities is None:
            # Every respondent is its own PSU: count rows, and strata by counting pairs.
            psus = np.bincount(g, minlength=count)
            strata = self.design.n_strata
            pairs = np.bincount(g * strata + self.design.strata[inside],
                                minlength=count * strata)
            return psus - (pairs.reshape(count, strata) > 0).sum(axis=1)
        if self.design.inclusion_probabilities is not None:
            return np.bincount(g, minlength=count) - 1
        psu = self.design.psu[inside]
        pairs = np.unique(g * self.design.n_psus + psu)
        psus = np.bincount(pairs // self.design.n_psus, minlength=self.domains.count)
        strata = self.design.psu_stratum[pairs % self.design.n_psus]
        stratum_pairs = np.unique((pairs // self.design.n_psus) * self.design.n_strata + strata)
        n_strata = np.bincount(stratum_pairs // self.design.n_strata, minlength=self.domains.count)
        return psus - n_strata


def domain_means(
    design: SurveyDesign, y: np.ndarray, domains: Domains, kind: str = "mean"
) -> DomainMeans:
    """Weighted mean (or total, with ``kind="total"``) of `y` (NaN = no answer) per domain."""
    y = np.asarray(y, dtype=float)
    answered = ~np.isnan(y)
    inside = answered & (domains.codes >= 0)
    g = domains.codes[inside]
    w = design.weights[inside]
    weight_sums = np.bincount(g, weights=w, minlength=domains.count)
    sums = np.bincount(g, weights=w * y[inside], minlength=domains.count)
    respondents = np.bincount(g, minlength=domains.count)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimates = sums if kind == "total" else sums / weight_sums
    return DomainMeans(design, y, answered, domains, estimates, weight_sums, respondents, kind)


# -- the public estimators ---------------------------------------------------------------------


def mean(
    design: SurveyDesign, column: str, by: Sequence[str] | None = None, level: float = 0.95
) -> list[Estimate]:
    """Weighted mean of a numeric column, overall or per domain."""
    y = numeric_outcome(design, column)
    return _means_or_totals(design, column, y, by, level, "mean")


def total(
    design: SurveyDesign, column: str, by: Sequence[str] | None = None, level: float = 0.95
) -> list[Estimate]:
    """Weighted total of a numeric column, overall or per domain."""
    y = numeric_outcome(design, column)
    return _means_or_totals(design, column, y, by, level, "total")


def proportion(
    design: SurveyDesign,
    column: str,
    value: str,
    by: Sequence[str] | None = None,
    method: str = "logit",
    level: float = 0.95,
) -> list[Estimate]:
    """Weighted share of respondents whose `column` is (or, multi-select, includes) `value`."""
    if method not in intervals.METHODS:
        raise StatsError(
            f"unknown interval method {method!r}; use one of {', '.join(intervals.METHODS)}"
        )
    y = indicator_outcome(design, column, value)
    domains = Domains.of(design, by)
    means = domain_means(design, y, domains)
    var = means.variances()
    df = means.degrees_of_freedom()
    out = []
    for g, label in enumerate(domains.labels):
        n = int(means.respondents[g])
        if n == 0:
            out.append(_empty("proportion", f"{column}={value}", label, int(df[g])))
            continue
        p = float(means.estimates[g])
        v = max(float(var[g]), 0.0)
        interval = intervals.proportion_interval(method, p, v, float(df[g]), n, level)
        verdict = reliability.assess_proportion(p, v, float(df[g]), n)
        out.append(
            Estimate(
                "proportion",
                f"{column}={value}",
                label,
                p,
                float(np.sqrt(v)),
                None if interval is None else interval[0],
                None if interval is None else interval[1],
                n,
                reliability.effective_size_for_proportion(p, v, float(df[g]), n),
                int(df[g]),
                verdict.verdict,
                verdict.reasons,
            )
        )
    return out


def _means_or_totals(design, column, y, by, level, kind) -> list[Estimate]:
    domains = Domains.of(design, by)
    means = domain_means(design, y, domains, kind)
    var = means.variances()
    df = means.degrees_of_freedom()
    # Effective sample size of a mean: n over the design effect, the design's variance
    # against the one a simple random sample of the same size would give (S² / n).
    element = _element_variances(design, y, domains, means)
    out = []
    for g, label in enumerate(domains.labels):
        n = int(means.respondents[g])
        if n == 0:
            out.append(_empty(kind, column, label, int(df[g])))
            continue
        v = max(float(var[g]), 0.0)
        se = float(np.sqrt(v))
        estimate = float(means.estimates[g])
        mean_variance = v if kind == "mean" else v / means.weight_sums[g] ** 2
        n_eff = float(n) if mean_variance <= 0 else float(min(n, n * element[g] / mean_variance))
        if df[g] > 0:
            half = intervals.t_quantile(level, float(df[g])) * se
            low, high = estimate - half, estimate + half
        else:
            low = high = None
        verdict = reliability.assess_mean(estimate, se, float(df[g]), n, n_eff)
        out.append(
            Estimate(kind, column, label, estimate, se, low, high, n, n_eff, int(df[g]),
                     verdict.verdict, verdict.reasons)
        )
    return out


def _element_variances(design, y, domains, means) -> np.ndarray:
    inside = means.answered & (domains.codes >= 0)
    g = domains.codes[inside]
    w = design.weights[inside]
    centre = np.bincount(g, weights=w * y[inside], minlength=domains.count)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = centre / means.weight_sums
        squares = np.bincount(
            g, weights=w * (y[inside] - centre[g]) ** 2, minlength=domains.count
        )
        n = means.respondents.astype(float)
        element = squares / means.weight_sums * n / np.maximum(n - 1, 1) / np.maximum(n, 1)
    return element


def _empty(kind, variable, label, df) -> Estimate:
    return Estimate(kind, variable, label, None, None, None, None, 0, None, df,
                    reliability.SUPPRESS, ("no respondent in this group answered",))


# -- outcomes ------------------------------------------------------------------------------------


def numeric_outcome(design: SurveyDesign, column: str) -> np.ndarray:
    """The column as numbers (NaN = no answer); a value that is not a number is an error."""
    raw = design.column(column)
    values = pd.to_numeric(raw, errors="coerce")
    blank = raw.isna() | (raw.astype(str).str.strip() == "")
    bad = values.isna() & ~blank
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise StatsError(
            f"{design.source}: row {row + 2}, column {column!r}: {raw.iloc[row]!r} is not a "
            f"number ({int(bad.sum())} such rows); a mean or total needs numbers"
        )
    y = values.to_numpy(dtype=float)
    if np.isnan(y).all():
        raise StatsError(f"{design.source}: column {column!r} has no answers at all")
    return y


def indicator_outcome(design: SurveyDesign, column: str, value: str) -> np.ndarray:
    """1 where the column is `value` (or a multi-select cell includes it), 0 else, NaN blank."""
    raw = design.column(column)
    text = category_text(raw)
    answered = text != ""
    if not answered.any():
        raise StatsError(f"{design.source}: column {column!r} has no answers at all")
    wanted = code_text(value)
    y = np.where(answered.to_numpy(), contains_code(text, wanted).astype(float), np.nan)
    return y

