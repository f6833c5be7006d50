"""Whether an estimate may be shown: ``present``, ``review`` or ``suppress``, with reasons.

Proportions follow the NCHS Data Presentation Standards for Proportions (Parker et al.,
Vital Health Stat 2(175), 2017), which rest on the Korn–Graubard 95% interval:

1. suppress when the sample size or the effective sample size is under 30 (the effective
   size is ``p(1-p)/var`` adjusted for the design's degrees of freedom, and never more than
   the sample size);
2. suppress when the interval is 0.30 wide or wider;
3. when the interval is wider than 0.05, suppress if it is more than 130% of the proportion
   (relative width);
4. flag for review when the design has fewer than 8 degrees of freedom, when the proportion
   is 0 or 1, or when the complement ``1 - p`` has a relative width over 130%.

Means and totals have no NCHS standard; they follow the same spirit with the long-standing
NCHS rule for other statistics: suppress under an effective sample size of 30, review when
the relative standard error is over 30% or the degrees of freedom under 8.

A suppressed estimate is still computed — the disclosure gate and the report decide what is
published — but it carries its verdict and the reasons in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from workforce.stats.intervals import korn_graubard, korn_graubard_effective_size

PRESENT, REVIEW, SUPPRESS = "present", "review", "suppress"
MINIMUM_EFFECTIVE_SIZE = 30
MAXIMUM_WIDTH = 0.30
NARROW_WIDTH = 0.05
MAXIMUM_RELATIVE_WIDTH = 1.30
MINIMUM_DEGREES_OF_FREEDOM = 8
MAXIMUM_RELATIVE_STANDARD_ERROR = 0.30


@dataclass(frozen=True)
class Reliability:
    verdict: str
    reasons: tuple[str, ...] = ()


def effective_size_for_proportion(p: float, variance: float, df: float, n: float) -> float:
    """NCHS effective sample size: Korn–Graubard's, capped at the sample size."""
    if df <= 0:
        return float(min(n, n if variance <= 0 else p * (1 - p) / variance))
    return float(min(n, korn_graubard_effective_size(p, variance, df, n, 0.95)))


def assess_proportion(p: float | None, variance: float, df: float, n: int) -> Reliability:
    if p is None or n == 0:
        return Reliability(SUPPRESS, ("no respondent answered",))
    suppress: list[str] = []
    review: list[str] = []
    size = effective_size_for_proportion(p, variance, df, n)
    if n < MINIMUM_EFFECTIVE_SIZE:
        suppress.append(f"sample size {n} is under {MINIMUM_EFFECTIVE_SIZE}")
    elif size < MINIMUM_EFFECTIVE_SIZE:
        suppress.append(f"effective sample size {size:.1f} is under {MINIMUM_EFFECTIVE_SIZE}")
    if df <= 0:
        suppress.append("the design has no degrees of freedom for this group")
    else:
        low, high = korn_graubard(p, variance, df, n, 0.95)
        width = high - low
        if width >= MAXIMUM_WIDTH:
            suppress.append(f"the 95% interval is {width:.3f} wide (at least {MAXIMUM_WIDTH})")
        elif width > NARROW_WIDTH:
            if p <= 0 or width / p > MAXIMUM_RELATIVE_WIDTH:
                suppress.append(
                    "the 95% interval is wider than 130% of the estimate"
                    + (f" ({100 * width / p:.0f}%)" if p > 0 else "")
                )
            if p >= 1 or width / (1 - p) > MAXIMUM_RELATIVE_WIDTH:
                review.append("the complement's interval is wider than 130% of it")
        if df < MINIMUM_DEGREES_OF_FREEDOM:
            review.append(f"only {df:g} degrees of freedom (under {MINIMUM_DEGREES_OF_FREEDOM})")
    if p <= 0 or p >= 1:
        review.append(f"the estimate is {p:.0%}")
    if suppress:
        return Reliability(SUPPRESS, tuple(suppress + review))
    if review:
        return Reliability(REVIEW, tuple(review))
    return Reliability(PRESENT)


def assess_mean(estimate: float | None, se: float, df: float, n: int, n_eff: float):
    if estimate is None or n == 0:
        return Reliability(SUPPRESS, ("no respondent answered",))
    suppress: list[str] = []
    review: list[str] = []
    if n < MINIMUM_EFFECTIVE_SIZE:
        suppress.append(f"sample size {n} is under {MINIMUM_EFFECTIVE_SIZE}")
    elif n_eff < MINIMUM_EFFECTIVE_SIZE:
        suppress.append(f"effective sample size {n_eff:.1f} is under {MINIMUM_EFFECTIVE_SIZE}")
    if df <= 0:
        suppress.append("the design has no degrees of freedom for this group")
    elif df < MINIMUM_DEGREES_OF_FREEDOM:
        review.append(f"only {df:g} degrees of freedom (under {MINIMUM_DEGREES_OF_FREEDOM})")
    if estimate != 0 and se / abs(estimate) > MAXIMUM_RELATIVE_STANDARD_ERROR:
        review.append(f"relative standard error {se / abs(estimate):.0%} is over 30%")
    if suppress:
        return Reliability(SUPPRESS, tuple(suppress + review))
    if review:
        return Reliability(REVIEW, tuple(review))
    return Reliability(PRESENT)
