"""How mixed a membership is: the Blau and Shannon diversity indices with design-based SEs.

Both indices summarise the weighted shares ``p_1 … p_K`` of the categories of one column
(race and ethnicity, gender, sector, discipline) in a single number, overall or per domain
(a section, a career stage):

- **Blau index** (Blau, *Inequality and Heterogeneity*, 1977; the Gini–Simpson index of
  ecology): ``1 − Σ p_k²``, the chance that two members drawn at random (with replacement,
  from the weighted population) belong to different categories. 0 when everyone is in one
  category; at most ``1 − 1/K`` when the K categories are equally large.
- **Shannon index** (Shannon, 1948; the entropy used by ecologists and in diversity
  reporting): ``H = −Σ p_k ln p_k`` in nats, 0 for a single category and at most ``ln K``.
  Its **evenness** (Pielou, *J Theor Biol* 13:131–144, 1966) ``J = H / ln K`` is between 0
  and 1 and compares columns or domains whatever their number of categories.

Categories. The categories are the distinct non-blank values observed in the column over the
whole data (so K, and with it the evenness, is the same in every domain; a category absent
from a domain counts as a share of zero, which adds nothing to either index). Blank answers
are left out: the shares are among respondents who answered. A multi-select cell is one
category as written ("asian;white" is its own category, a member who chose both), so the
shares add up to one; to study each code alone, recode the column first.

Uncertainty. Each index is a smooth function of the K shares, whose full design-based
covariance comes from `variance.covariance` (through the raking, as R's ``svyrecvar``); the
delta method gives the standard error (gradient ``−2 p_k`` for Blau and ``−(ln p_k + 1)`` for
Shannon over the categories present), exactly what R's
``svycontrast(svymean(~column, design), quote(1 - p1^2 - ...))`` computes. The interval is
``index ± t · SE`` with t on the domain's design degrees of freedom (R's ``degf``), cut to the
index's range. The reliability verdict follows the NCHS rule for statistics other than
proportions (`reliability.assess_mean`) with the domain's respondents as the sample size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workforce.stats import intervals, reliability
from workforce.stats.categories import category_text
from workforce.stats.design import SurveyDesign
from workforce.stats.errors import StatsError
from workforce.stats.estimates import Domains, domain_means
from workforce.stats.variance import covariance


@dataclass(frozen=True)
class DiversityIndex:
    """One diversity index of a column, overall (`group` None) or in one domain."""

    index: str
    variable: str
    group: dict | None
    categories: tuple[str, ...]
    shares: tuple[float, ...]
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    df: int
    reliability: str
    reasons: tuple[str, ...] = ()
    # Shannon only: H / ln K and its standard error (None when K = 1).
    evenness: float | None = None
    evenness_se: float | None = None


def blau_index(
    design: SurveyDesign, column: str, by: Sequence[str] | None = None, level: float = 0.95
) -> list[DiversityIndex]:
    """Blau's index ``1 − Σ p_k²`` of `column`, overall or per domain of `by`."""
    return _indices(design, column, by, level, "blau")


def shannon_index(
    design: SurveyDesign, column: str, by: Sequence[str] | None = None, level: float = 0.95
) -> list[DiversityIndex]:
    """Shannon's ``H = −Σ p_k ln p_k`` (nats) and evenness ``H / ln K``, per domain."""
    return _indices(design, column, by, level, "shannon")


def _indices(design, column, by, level, kind) -> list[DiversityIndex]:
    if not 0 < level < 1:
        raise StatsError(f"the confidence level must be between 0 and 1, not {level!r}")
    raw = design.column(column)
    text = category_text(raw)
    answered = (text != "").to_numpy()
    if not answered.any():
        raise StatsError(f"{design.source}: column {column!r} has no answers at all")
    categories = tuple(sorted(set(text[answered])))
    k = len(categories)
    domains = Domains.of(design, by)
    per_category = []
    for category in categories:
        y = np.where(answered, (text == category).to_numpy(dtype=float), np.nan)
        per_category.append(domain_means(design, y, domains))
    respondents = per_category[0].respondents
    df = per_category[0].degrees_of_freedom()
    if not respondents.any():
        raise StatsError(
            f"{design.source}: no respondent in any group of {list(by or [])!r} "
            f"answered {column!r}"
        )
    # The upper end of each index's range, where the categories are equally large.
    ceiling = 1 - 1 / k if kind == "blau" else math.log(k)
    out = []
    for g, label in enumerate(domains.labels):
        n = int(respondents[g])
        if n == 0:
            out.append(DiversityIndex(kind, column, label, categories, (), None, None, None,
                                      None, 0, int(df[g]), reliability.SUPPRESS,
                                      (f"no respondent in this group answered {column!r}",)))
            continue
        p = np.array([means.estimates[g] for means in per_category])
        cov = covariance(design, np.column_stack([m.influence([g]) for m in per_category]))
        present = p > 0
        if kind == "blau":
            estimate = float(1 - np.sum(p**2))
            gradient = -2 * p
        else:
            estimate = float(-np.sum(p[present] * np.log(p[present])))
            # A category absent from the domain has share 0 and zero influence there.
            gradient = np.where(present, -(np.log(np.where(present, p, 1.0)) + 1), 0.0)
        se = math.sqrt(max(float(gradient @ cov @ gradient), 0.0))
        if df[g] > 0:
            half = intervals.t_quantile(level, float(df[g])) * se
            low, high = max(estimate - half, 0.0), min(estimate + half, ceiling)
        else:
            low = high = None
        verdict = reliability.assess_mean(estimate, se, float(df[g]), n, float(n))
        reasons = verdict.reasons
        if k == 1:
            reasons = reasons + (f"{column!r} has a single category, so the index is 0",)
        evenness = evenness_se = None
        if kind == "shannon" and k > 1:
            evenness, evenness_se = estimate / math.log(k), se / math.log(k)
        out.append(
            DiversityIndex(kind, column, label, categories, tuple(float(x) for x in p),
                           estimate, se, low, high, n, int(df[g]), verdict.verdict, reasons,
                           evenness, evenness_se)
        )
    return out
