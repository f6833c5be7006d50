"""Likert scales: one score per respondent from several items, and how consistent they are.

Climate surveys ask several related questions ("I feel welcome at the society's meetings",
"I have considered leaving the field", …) on a 1–`points` agreement scale and report one
score per respondent: the mean of the items they answered, after reverse-coding the items
worded in the opposite direction (``points + 1 − x``, so that a high score always means the
same thing). A respondent who skipped too many items gets no score rather than a score
resting on one or two answers; by default at least half the items must be answered.

Cronbach's alpha (Cronbach, *Psychometrika* 16:297–334, 1951) says how consistently the items
measure one thing:

    α = k / (k − 1) · (1 − Σ_i s_i² / s_T²)

with k items, ``s_i²`` the variance of item i and ``s_T²`` the variance of the respondents'
totals, over the complete cases (respondents who answered every item). With survey weights
the variances are weighted; the normalising constant cancels in the ratio, so unweighted
results equal the textbook ones. Values from about 0.7 are usually taken as acceptable for
group comparisons.

Its interval is Feldt's (Feldt, *Psychometrika* 30:357–370, 1965; Feldt, Woodruff and Salih,
*Applied Psychological Measurement* 11:93–103, 1987), from ``(1 − α) / (1 − α̂)`` following an
F distribution on ``n − 1`` and ``(n − 1)(k − 1)`` degrees of freedom:

    [1 − (1 − α̂) F_{1−γ/2}(n − 1, (n − 1)(k − 1)),  1 − (1 − α̂) F_{γ/2}(n − 1, (n − 1)(k − 1))]

for a ``1 − γ`` interval, n being the number of complete cases. This is the interval of the
R package ``psych`` (``alpha.ci``). With weights, n is Kish's effective sample size of the
complete cases, ``(Σw)² / Σw²``: Feldt's derivation assumes a simple random sample, and the
weights' variability reduces the information the respondents carry.

Answers must be whole numbers from 1 to `points`; anything else (text, 2.5, 0, 7 on a
5-point scale) is an error naming the column, the row (counted as in the file, the header
being row 1) and the value. Blank answers are skipped items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from workforce.stats.errors import StatsError


@dataclass(frozen=True)
class CronbachAlpha:
    alpha: float
    ci_low: float
    ci_high: float
    level: float
    complete_cases: int
    items: int
    # Kish's effective size of the complete cases (their number when unweighted): the n of
    # Feldt's interval.
    effective_size: float


def scale_scores(
    data: pd.DataFrame,
    items: Sequence[str],
    reverse: Sequence[str] = (),
    minimum_answered: int | None = None,
    points: int = 5,
) -> pd.Series:
    """Each respondent's mean over the answered `items`, `reverse` items coded ``points+1−x``.

    The score is NaN for a respondent who answered fewer than `minimum_answered` items
    (default: at least half of them, rounded up).
    """
    answers = _answers(data, items, reverse, points)
    k = len(items)
    if minimum_answered is None:
        minimum_answered = math.ceil(k / 2)
    if (
        isinstance(minimum_answered, bool)
        or not isinstance(minimum_answered, int | np.integer)
        or not 1 <= minimum_answered <= k
    ):
        raise StatsError(
            f"minimum_answered must be a whole number from 1 to {k} (the number of items), "
            f"not {minimum_answered!r}"
        )
    answered = (~np.isnan(answers)).sum(axis=1)
    means = np.nansum(answers, axis=1) / np.maximum(answered, 1)
    scores = np.where(answered >= minimum_answered, means, np.nan)
    return pd.Series(scores, index=data.index, name="scale_score")


def cronbach_alpha(
    data: pd.DataFrame,
    items: Sequence[str],
    reverse: Sequence[str] = (),
    weights: str | Sequence[float] | np.ndarray | None = None,
    points: int = 5,
    level: float = 0.95,
) -> CronbachAlpha:
    """Cronbach's alpha of `items` over the complete cases, with Feldt's interval."""
    if not 0 < level < 1:
        raise StatsError(f"the confidence level must be between 0 and 1, not {level!r}")
    answers = _answers(data, items, reverse, points)
    k = len(items)
    if k < 2:
        raise StatsError("Cronbach's alpha needs at least two items")
    w = _weights(data, weights)
    complete = ~np.isnan(answers).any(axis=1)
    n = int(complete.sum())
    if n < 2:
        raise StatsError(
            f"Cronbach's alpha needs at least two respondents who answered all of "
            f"{', '.join(items)}; {n} did"
        )
    x, w = answers[complete], w[complete]
    item_variances = _weighted_variance(x, w)
    total_variance = float(_weighted_variance(x.sum(axis=1)[:, None], w)[0])
    if total_variance <= 0:
        raise StatsError(
            "every complete respondent has the same total score, so the items' consistency "
            "cannot be measured (Cronbach's alpha is undefined)"
        )
    alpha = k / (k - 1) * (1 - float(item_variances.sum()) / total_variance)
    size = float(w.sum() ** 2 / np.dot(w, w))
    df1, df2 = size - 1, (size - 1) * (k - 1)
    gamma = 1 - level
    low = 1 - (1 - alpha) * float(stats.f.ppf(1 - gamma / 2, df1, df2))
    high = 1 - (1 - alpha) * float(stats.f.ppf(gamma / 2, df1, df2))
    return CronbachAlpha(alpha, low, high, level, n, k, size)


def _weighted_variance(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    centre = (w[:, None] * x).sum(axis=0) / w.sum()
    return (w[:, None] * (x - centre) ** 2).sum(axis=0) / w.sum()


def _answers(data, items, reverse, points) -> np.ndarray:
    """The items as a float matrix (NaN = skipped), reverse items recoded; checked."""
    if isinstance(items, str):
        items = [items]
    items = list(items)
    if not items:
        raise StatsError("no items given for the scale")
    if len(set(items)) != len(items):
        raise StatsError(f"the item list {items!r} names an item twice")
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 2:
        raise StatsError(f"points must be a whole number of at least 2, not {points!r}")
    if isinstance(reverse, str):
        reverse = [reverse]
    stray = [r for r in reverse if r not in items]
    if stray:
        raise StatsError(f"reverse-coded item {stray[0]!r} is not one of the items {items!r}")
    missing = [c for c in items if c not in data.columns]
    if missing:
        known = ", ".join(map(str, data.columns[:30]))
        raise StatsError(f"no column {missing[0]!r} (columns: {known})")
    out = np.empty((len(data), len(items)))
    for j, column in enumerate(items):
        raw = data[column]
        blank = raw.isna() | (raw.astype(str).str.strip() == "")
        values = pd.to_numeric(raw.where(~blank), errors="coerce")
        bad = (values.isna() & ~blank).to_numpy()
        number = values.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            outside = ~np.isnan(number) & (
                (number != np.round(number)) | (number < 1) | (number > points)
            )
        for problem, rows in (
            ("is not a number", bad),
            (f"is not a whole number from 1 to {points}", outside),
        ):
            if rows.any():
                row = int(np.flatnonzero(rows)[0])
                more = f" ({int(rows.sum())} such rows)" if rows.sum() > 1 else ""
                raise StatsError(
                    f"row {row + 2}, column {column!r}: the answer {_shown(raw.iloc[row])} "
                    f"{problem}{more}"
                )
        if column in reverse:
            number = points + 1 - number
        out[:, j] = number
    return out


def _weights(data: pd.DataFrame, weights) -> np.ndarray:
    if weights is None:
        return np.ones(len(data))
    if isinstance(weights, str):
        if weights not in data.columns:
            raise StatsError(f"no weight column {weights!r}")
        name = weights
        values = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)
    else:
        name = "weights"
        values = np.asarray(weights, dtype=float)
        if values.shape != (len(data),):
            raise StatsError(f"{len(values)} weights given for {len(data)} respondents")
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        shown = data[weights].iloc[row] if isinstance(weights, str) else values[row]
        raise StatsError(
            f"row {row + 2}, column {name!r}: the weight {_shown(shown)} must be a positive "
            "number"
        )
    return values


def _shown(value) -> str:
    # numpy scalars print as np.int64(6); the analyst wrote 6.
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)
