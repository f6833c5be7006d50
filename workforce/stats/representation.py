"""Who is represented, and where they are lost: ratios of shares with design-based intervals.

A scientific society asks whether its members look like the people who could be members,
whether a group thins out on the way up the career ladder, and whether some groups fare worse
on an outcome (promotion, an award, being free of harassment). Each answer here is a ratio of
weighted shares estimated from the member survey:

- **Representation ratio** — the group's share of members over a benchmark share, for
  example the Black share of members over the Black share of US doctorate holders (NSF NCSES,
  Survey of Doctorate Recipients). 1 means parity, under 1 under-representation. When the
  benchmark is itself estimated, its standard error widens the interval.
- **Pipeline ratios** — the group's share at each career stage, and the ratio of the share at
  each stage to the share at the stage before it. A ratio under 1 is where the group is lost.
- **Glass ceiling index** — the She Figures definition (European Commission, *She Figures
  2021*, Glass Ceiling Index): the group's share across all levels over its share at the top
  level(s). 1 means no ceiling, above 1 a ceiling (the group is scarcer at the top than
  overall), below 1 the group is more present at the top.
- **Four-fifths ratios** — the outcome rate of each group over the rate of the group with the
  highest rate. A ratio under 0.8 is the US Uniform Guidelines on Employee Selection
  Procedures' (29 CFR 1607.4(D)) rule-of-thumb evidence of adverse impact.
- **Index of Disparity** — Pearcy and Keppel (Public Health Reports 117:273–280, 2002),
  as in Keppel et al. (Vital Health Stat 2(141), 2005): the mean absolute deviation of the
  groups' rates from a reference rate, as a percentage of the reference rate.

Uncertainty. A ratio of shares is a smooth function of domain means, so its standard error
comes from the delta method applied to the joint design-based covariance of those means
(`variance.covariance`), exactly as R's ``svycontrast`` does. Shares of different domains of
one design are correlated — they share primary sampling units, and after raking the weights
of every domain were fitted together — so the covariance is used, never assumed zero.
Intervals are computed on the log scale, ``exp(log r ± t · SE(r)/r)``, which keeps them
positive and makes them symmetric for a ratio and its inverse; ``t`` is the quantile on the
design degrees of freedom of the rows the ratio uses (R's ``degf`` of that subset).

A share of zero makes a ratio zero (or undefined, as a denominator) and leaves no log-scale
interval; the result then says so in its reasons rather than carrying a NaN. Each result
carries the NCHS reliability verdict of the shares it rests on (`reliability`), the worst of
them when there are several.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workforce.stats import estimates, intervals, reliability
from workforce.stats.categories import category_text, code_text
from workforce.stats.design import SurveyDesign
from workforce.stats.errors import StatsError
from workforce.stats.estimates import Domains, domain_means, indicator_outcome
from workforce.stats.variance import covariance

_RANK = {reliability.PRESENT: 0, reliability.REVIEW: 1, reliability.SUPPRESS: 2}


@dataclass(frozen=True)
class RepresentationRatio:
    """A group's share over a benchmark share, in one domain (or everyone, `group` None)."""

    group: dict | None
    share: float | None
    share_se: float | None
    benchmark: float
    benchmark_se: float
    ratio: float | None
    ratio_se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    df: int
    reliability: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageShare:
    """The group's share at one stage, and its ratio to the share at the stage before."""

    stage: str
    share: float
    share_se: float
    n: int
    # Ratio to the previous stage; None at the first stage or when that share is zero.
    previous_stage: str | None
    ratio: float | None
    ratio_se: float | None
    ci_low: float | None
    ci_high: float | None
    df: int
    reliability: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class GlassCeilingIndex:
    """She Figures' glass ceiling index: share across all levels over share at the top."""

    share_all: float
    share_all_se: float
    share_top: float
    share_top_se: float
    top_levels: tuple[str, ...]
    index: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n_all: int
    n_top: int
    df: int
    reliability: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImpactRatio:
    """One group's outcome rate and its ratio to the highest-rate group's rate."""

    group: str
    rate: float
    rate_se: float
    n: int
    reference: str
    ratio: float
    ratio_se: float
    ci_low: float | None
    ci_high: float | None
    df: int
    # The point ratio is under the four-fifths threshold.
    adverse_impact: bool
    # The whole interval is under the threshold: the shortfall is not sampling noise.
    ci_below_threshold: bool
    reliability: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupRate:
    group: str
    rate: float
    rate_se: float
    n: int
    reliability: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class DisparityIndex:
    """Pearcy and Keppel's Index of Disparity, in percent of the reference rate."""

    reference: str
    reference_rate: float
    groups: tuple[GroupRate, ...]
    index: float
    se: float
    ci_low: float | None
    ci_high: float | None
    df: int
    reliability: str
    reasons: tuple[str, ...] = ()


FOUR_FIFTHS = 0.8


# -- representation against a benchmark -------------------------------------------------------


def representation_ratio(
    design: SurveyDesign,
    column: str,
    value: str,
    benchmark: float,
    by: Sequence[str] | None = None,
    benchmark_se: float | None = None,
    level: float = 0.95,
) -> list[RepresentationRatio]:
    """The share of respondents whose `column` is `value`, over `benchmark`, per domain.

    `benchmark` is the group's share of the comparison population (a proportion in (0, 1]);
    `benchmark_se` its standard error when it is itself estimated (it is added on the log
    scale, the benchmark being independent of the survey). The interval is
    ``exp(log r ± t_df · SE(log r))`` with ``SE(log r)² = (se(p)/p)² + (se(b)/b)²``.
    """
    _check_level(level)
    b = _check_share_like(benchmark, "benchmark")
    b_se = 0.0 if benchmark_se is None else _check_se(benchmark_se, "benchmark_se")
    _group_indicator(design, column, value)
    shares = estimates.proportion(design, column, value, by=by, level=level)
    out = []
    for share in shares:
        reasons = list(share.reasons)
        if share.estimate is None:
            out.append(
                RepresentationRatio(share.group, None, None, b, b_se, None, None, None, None,
                                    0, share.df, reliability.SUPPRESS, tuple(reasons))
            )
            continue
        p, p_se = share.estimate, share.se
        ratio = p / b
        low = high = None
        if p > 0:
            ratio_se = ratio * math.sqrt((p_se / p) ** 2 + (b_se / b) ** 2)
            low, high = _log_interval(ratio, ratio_se, share.df, level)
            if low is None:
                reasons.append("no interval: the design has no degrees of freedom here")
        else:
            ratio_se = p_se / b
            reasons.append("the group has no respondents here, so there is no log-scale interval")
        out.append(
            RepresentationRatio(share.group, p, p_se, b, b_se, ratio, ratio_se, low, high,
                                share.n, share.df, share.reliability, tuple(reasons))
        )
    return out


# -- the pipeline ---------------------------------------------------------------------------------


def pipeline_ratios(
    design: SurveyDesign,
    column: str,
    value: str,
    stage_column: str,
    stages: Sequence[str],
    level: float = 0.95,
) -> list[StageShare]:
    """The group's share at each of `stages` (in order) and the ratio to the stage before.

    The ratio's standard error uses the covariance of the two shares:
    ``Var(log r) = V₁/p₁² + V₀/p₀² − 2 C₀₁/(p₀ p₁)``. Every stage must have respondents who
    answered `column`.
    """
    _check_level(level)
    stages = [code_text(s) for s in stages]
    if len(stages) < 2:
        raise StatsError("a pipeline needs at least two stages")
    if len(set(stages)) != len(stages):
        raise StatsError(f"the stage list {stages!r} names a stage twice")
    y = _group_indicator(design, column, value)
    domains = Domains.of(design, [stage_column])
    observed = {label[stage_column]: g for g, label in enumerate(domains.labels)}
    means = domain_means(design, y, domains)
    columns = []
    for stage in stages:
        g = observed.get(stage)
        if g is None or means.respondents[g] == 0:
            known = ", ".join(sorted(observed)) or "none"
            raise StatsError(
                f"{design.source}: no respondent at stage {stage!r} of column "
                f"{stage_column!r} answered {column!r} (stages present: {known})"
            )
        columns.append(g)
    cov = covariance(design, means.influence(columns))
    df_stage = means.degrees_of_freedom()
    p = means.estimates[columns]
    out = []
    for k, stage in enumerate(stages):
        g = columns[k]
        verdict = reliability.assess_proportion(
            float(p[k]), max(float(cov[k, k]), 0.0), float(df_stage[g]), int(means.respondents[g])
        )
        share_se = math.sqrt(max(float(cov[k, k]), 0.0))
        if k == 0:
            out.append(StageShare(stage, float(p[k]), share_se, int(means.respondents[g]), None,
                                  None, None, None, None, int(df_stage[g]), verdict.verdict,
                                  verdict.reasons))
            continue
        rows = np.isin(domains.codes, [columns[k - 1], g]) & means.answered
        df = design.degrees_of_freedom(rows)
        previous = reliability.assess_proportion(
            float(p[k - 1]), max(float(cov[k - 1, k - 1]), 0.0),
            float(df_stage[columns[k - 1]]), int(means.respondents[columns[k - 1]]),
        )
        verdict_name, reasons = _worst([(stage, verdict), (stages[k - 1], previous)])
        ratio = ratio_se = low = high = None
        if p[k - 1] <= 0:
            reasons = reasons + (f"the share at {stages[k - 1]!r} is zero, so there is no ratio",)
        else:
            ratio = float(p[k] / p[k - 1])
            if p[k] > 0:
                gradient = np.array([-1 / p[k - 1], 1 / p[k]])
                block = cov[np.ix_([k - 1, k], [k - 1, k])]
                ratio_se = ratio * _sqrt_quadratic(gradient, block)
                low, high = _log_interval(ratio, ratio_se, df, level)
            else:
                ratio_se = math.sqrt(max(float(cov[k, k]), 0.0)) / float(p[k - 1])
                reasons = reasons + (
                    f"the share at {stage!r} is zero, so there is no log-scale interval",
                )
        out.append(StageShare(stage, float(p[k]), share_se, int(means.respondents[g]),
                              stages[k - 1], ratio, ratio_se, low, high, df, verdict_name,
                              reasons))
    return out


# -- the glass ceiling --------------------------------------------------------------------------


def glass_ceiling_index(
    design: SurveyDesign,
    column: str,
    value: str,
    level_column: str,
    top_levels: Sequence[str],
    level: float = 0.95,
) -> GlassCeilingIndex:
    """She Figures' glass ceiling index of the group `column == value`.

    "All levels" are the respondents with any answer in `level_column`; "the top" are those
    whose level is one of `top_levels`. The two shares overlap (the top is part of all
    levels); their covariance enters the delta-method standard error.
    """
    _check_level(level)
    top = tuple(code_text(t) for t in top_levels)
    if not top:
        raise StatsError("top_levels names no level")
    y = _group_indicator(design, column, value)
    raw = design.column(level_column)
    text = category_text(raw)
    has_level = (text != "").to_numpy()
    if not has_level.any():
        raise StatsError(f"{design.source}: column {level_column!r} has no answers at all")
    present = set(text[has_level])
    missing = [t for t in top if t not in present]
    if missing:
        raise StatsError(
            f"{design.source}: no respondent has {level_column!r} = {missing[0]!r} "
            f"(levels present: {', '.join(sorted(present))})"
        )
    at_top = text.isin(top).to_numpy()
    whole = domain_means(design, y, _single_domain(has_level))
    upper = domain_means(design, y, _single_domain(at_top))
    if whole.respondents[0] == 0:
        raise StatsError(
            f"{design.source}: no respondent with a {level_column!r} answered {column!r}"
        )
    if upper.respondents[0] == 0:
        raise StatsError(
            f"{design.source}: no respondent at the top levels {list(top)!r} of "
            f"{level_column!r} answered {column!r}"
        )
    cov = covariance(design, np.column_stack([whole.influence(), upper.influence()]))
    p_all, p_top = float(whole.estimates[0]), float(upper.estimates[0])
    df = design.degrees_of_freedom(has_level & ~np.isnan(y))
    df_top = design.degrees_of_freedom(at_top & ~np.isnan(y))
    verdict, reasons = _worst([
        ("all levels", reliability.assess_proportion(
            p_all, max(float(cov[0, 0]), 0.0), float(df), int(whole.respondents[0]))),
        ("top", reliability.assess_proportion(
            p_top, max(float(cov[1, 1]), 0.0), float(df_top), int(upper.respondents[0]))),
    ])
    index = se = low = high = None
    if p_top <= 0:
        reasons = reasons + ("the group has no respondents at the top: the index is infinite",)
    elif p_all <= 0:
        index, se = 0.0, 0.0
        reasons = reasons + ("the group has no respondents at all: no log-scale interval",)
    else:
        index = p_all / p_top
        se = index * _sqrt_quadratic(np.array([1 / p_all, -1 / p_top]), cov)
        low, high = _log_interval(index, se, df, level)
    return GlassCeilingIndex(
        p_all, math.sqrt(max(float(cov[0, 0]), 0.0)), p_top,
        math.sqrt(max(float(cov[1, 1]), 0.0)), top, index, se, low, high,
        int(whole.respondents[0]), int(upper.respondents[0]), df, verdict, reasons,
    )


# -- rates across groups ------------------------------------------------------------------------


def four_fifths(
    design: SurveyDesign,
    outcome_column: str,
    outcome_value: str,
    group_column: str,
    level: float = 0.95,
) -> list[ImpactRatio]:
    """Each group's rate of the outcome over the highest group rate, with the 4/5 flags.

    The reference is the group with the highest point rate; its interval treats that choice
    as fixed, as the Uniform Guidelines do. Name a favourable outcome ("was promoted",
    "experienced no harassment"): the rule compares selection rates. Groups in which nobody
    answered the outcome are left out. `ci_below_threshold` is False when a ratio has no
    interval (a zero rate, or no degrees of freedom).
    """
    _check_level(level)
    rates = _group_rates(design, outcome_column, outcome_value, group_column)
    best = int(np.argmax(rates.p))
    if rates.p[best] <= 0:
        raise StatsError(
            f"{design.source}: no respondent in any group of {group_column!r} has "
            f"{outcome_column!r} = {outcome_value!r}, so no group's rate can be compared"
        )
    reference = rates.labels[best]
    out = []
    for k, label in enumerate(rates.labels):
        rows = np.isin(rates.codes, [rates.columns[k], rates.columns[best]]) & rates.answered
        df = design.degrees_of_freedom(rows)
        verdict, reasons = _worst([(label, rates.verdicts[k]), (reference, rates.verdicts[best])])
        ratio = float(rates.p[k] / rates.p[best])
        if k == best:
            se, low, high = 0.0, 1.0, 1.0
        elif rates.p[k] > 0:
            gradient = np.array([1 / rates.p[k], -1 / rates.p[best]])
            se = ratio * _sqrt_quadratic(gradient, rates.cov[np.ix_([k, best], [k, best])])
            low, high = _log_interval(ratio, se, df, level)
        else:
            se = math.sqrt(max(float(rates.cov[k, k]), 0.0)) / float(rates.p[best])
            low = high = None
            reasons = reasons + ("the group's rate is zero, so there is no log-scale interval",)
        out.append(
            ImpactRatio(label, float(rates.p[k]), rates.se[k], rates.n[k], reference, ratio, se,
                        low, high, df, ratio < FOUR_FIFTHS,
                        high is not None and high < FOUR_FIFTHS, verdict, reasons)
        )
    return out


def disparity_index(
    design: SurveyDesign,
    outcome_column: str,
    outcome_value: str,
    group_column: str,
    reference: str | None = None,
    level: float = 0.95,
    better: str = "lower",
) -> DisparityIndex:
    """Pearcy and Keppel's Index of Disparity of an outcome across the groups of a column.

    ``ID = 100 · (1/(J−1)) Σ_{j ≠ ref} |r_j − r_ref| / r_ref`` over the J groups: the mean
    absolute deviation of the other groups' rates from the reference rate, in percent of the
    reference rate. The divisor counts the groups compared with the reference, not the
    reference group itself, whose deviation is zero by construction.

    The reference is the group named by `reference`, or, when None, the group with the best
    rate: the lowest when ``better="lower"`` (the outcome is adverse, as in Pearcy and
    Keppel: "experienced harassment", "left the field"), the highest with ``better="higher"``.
    Choosing the best group from the data is treated as fixed in the standard error.

    The standard error is the delta method's with the joint covariance of all the rates. The
    absolute value is not differentiable where a group's rate equals the reference rate:
    there the derivative of that term is taken as zero, and the standard error (and the
    log-scale interval) understates the uncertainty of an index driven by groups close to
    the reference.
    """
    _check_level(level)
    if better not in ("lower", "higher"):
        raise StatsError(f"better must be 'lower' or 'higher', not {better!r}")
    rates = _group_rates(design, outcome_column, outcome_value, group_column)
    if len(rates.labels) < 2:
        raise StatsError(
            f"{design.source}: column {group_column!r} has only one group "
            f"({rates.labels[0]!r}); a disparity needs two or more"
        )
    if reference is None:
        ref = int(np.argmin(rates.p) if better == "lower" else np.argmax(rates.p))
    else:
        wanted = code_text(reference)
        if wanted not in rates.labels:
            raise StatsError(
                f"{design.source}: the reference group {wanted!r} is not among the groups of "
                f"{group_column!r} with respondents ({', '.join(rates.labels)})"
            )
        ref = rates.labels.index(wanted)
    r_ref = float(rates.p[ref])
    if r_ref <= 0:
        raise StatsError(
            f"{design.source}: the reference group {rates.labels[ref]!r} has a rate of zero "
            f"for {outcome_column!r} = {outcome_value!r}; the index is a percentage of it. "
            "Name another reference group"
        )
    others = [k for k in range(len(rates.labels)) if k != ref]
    deviations = rates.p[others] - r_ref
    index = float(100 * np.abs(deviations).sum() / len(others) / r_ref)
    gradient = np.zeros(len(rates.labels))
    signs = np.sign(deviations)
    gradient[others] = 100 * signs / len(others) / r_ref
    gradient[ref] = -100 / len(others) * (signs.sum() / r_ref + np.abs(deviations).sum() / r_ref**2)
    se = _sqrt_quadratic(gradient, rates.cov)
    df = design.degrees_of_freedom(rates.answered & (rates.codes >= 0))
    verdict, reasons = _worst(list(zip(rates.labels, rates.verdicts, strict=True)))
    if index > 0:
        low, high = _log_interval(index, se, df, level)
    else:
        low = high = None
        reasons = reasons + ("every group has the reference rate: no log-scale interval",)
    if np.any(signs == 0):
        reasons = reasons + (
            "a group's rate equals the reference rate, where the index is not smooth; "
            "its standard error is understated",
        )
    groups = tuple(
        GroupRate(label, float(rates.p[k]), rates.se[k], rates.n[k], rates.verdicts[k].verdict,
                  rates.verdicts[k].reasons)
        for k, label in enumerate(rates.labels)
    )
    return DisparityIndex(rates.labels[ref], r_ref, groups, index, se, low, high, df, verdict,
                          reasons)


# -- shared pieces --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rates:
    labels: list[str]
    columns: list[int]
    codes: np.ndarray
    answered: np.ndarray
    p: np.ndarray
    se: list[float]
    n: list[int]
    cov: np.ndarray
    verdicts: list[reliability.Reliability]


def _group_rates(design, outcome_column, outcome_value, group_column) -> _Rates:
    """Rates of the outcome in every group that has respondents, with their covariance."""
    y = _group_indicator(design, outcome_column, outcome_value)
    domains = Domains.of(design, [group_column])
    means = domain_means(design, y, domains)
    columns = [g for g in range(domains.count) if means.respondents[g] > 0]
    if not columns:
        raise StatsError(
            f"{design.source}: no respondent with a {group_column!r} answered {outcome_column!r}"
        )
    cov = covariance(design, means.influence(columns))
    df = means.degrees_of_freedom()
    p = means.estimates[columns].astype(float)
    variances = np.maximum(np.diag(cov), 0.0)
    verdicts = [
        reliability.assess_proportion(float(p[k]), float(variances[k]), float(df[g]),
                                      int(means.respondents[g]))
        for k, g in enumerate(columns)
    ]
    return _Rates(
        [domains.labels[g][group_column] for g in columns], columns, domains.codes,
        means.answered, p, [float(np.sqrt(v)) for v in variances],
        [int(means.respondents[g]) for g in columns], cov, verdicts,
    )


def _group_indicator(design: SurveyDesign, column: str, value: str) -> np.ndarray:
    """The 0/1 indicator of `column == value`; a value nobody has is taken for a typo."""
    y = indicator_outcome(design, column, value)
    if np.nansum(y) == 0:
        raw = design.column(column)
        seen = sorted({code.strip() for cell in category_text(raw)
                       for code in cell.split(";") if code.strip()})
        shown = ", ".join(seen[:20]) + (" ..." if len(seen) > 20 else "")
        raise StatsError(
            f"{design.source}: no respondent has {column!r} = {code_text(value)!r} "
            f"(values present: {shown})"
        )
    return y


def _single_domain(mask: np.ndarray) -> Domains:
    return Domains(np.where(mask, 0, -1).astype(np.int64), (None,))


def _sqrt_quadratic(gradient: np.ndarray, cov: np.ndarray) -> float:
    # Rounding can leave a tiny negative variance where the true one is zero.
    return math.sqrt(max(float(gradient @ cov @ gradient), 0.0))


def _log_interval(ratio: float, se: float, df: float, level: float):
    if df <= 0 or ratio <= 0:
        return None, None
    half = intervals.t_quantile(level, float(df)) * se / ratio
    return math.exp(math.log(ratio) - half), math.exp(math.log(ratio) + half)


def _worst(named: list[tuple[str, reliability.Reliability]]) -> tuple[str, tuple[str, ...]]:
    """The worst verdict of several shares, with each share's reasons prefixed by its name."""
    verdict = max((v.verdict for _, v in named), key=_RANK.__getitem__)
    reasons = tuple(f"{name}: {reason}" for name, v in named for reason in v.reasons)
    return verdict, reasons


def _check_level(level: float) -> None:
    if not isinstance(level, int | float) or not 0 < level < 1:
        raise StatsError(f"the confidence level must be between 0 and 1, not {level!r}")


def _check_share_like(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StatsError(f"the {name} must be a share between 0 and 1, not {value!r}") from None
    if not math.isfinite(number) or number <= 0 or number > 1:
        raise StatsError(
            f"the {name} must be a share greater than 0 and at most 1, not {value!r}"
            + (" (a percentage? divide it by 100)" if math.isfinite(number) and number > 1
               else "")
        )
    return number


def _check_se(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StatsError(f"the {name} must be a non-negative number, not {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise StatsError(f"the {name} must be a non-negative number, not {value!r}")
    return number
