"""Weighting respondents to the frame: raking, post-stratification, trimming, diagnostics.

Raking (iterative proportional fitting) adjusts the weights until the weighted respondents
reproduce the frame's totals on several variables at once: career stage, sector, gender,
society. It follows R's ``survey::rake`` step for step (each sweep post-stratifies on every
margin in the order given; the sweep repeats until no cell of the joint table of the raking
variables moved by more than the tolerance), so a design raked here and in R carries the
same weights. The work happens on the joint table of the raking variables, not on the
respondents: a million respondents in a few hundred cells rake in milliseconds.

What raking leaves behind for the variance is a `RakingCalibration`: the weights after every
step of the last sweep, from which `variance.residualize` computes the residuals R's
``svyrecvar`` computes (ten backfitting sweeps over the margins), cell by cell.

Small categories are never merged here. A category with respondents but no frame total, or
with a frame total but no respondents, is an error that names it; merging is a decision a
person makes (`collapse_categories`) and it is then recorded in the weighting report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sparse

from workforce.stats.categories import category_text
from workforce.stats.design import SurveyDesign
from workforce.stats.errors import StatsError

# R's svyrecvar removes the raking variables' contribution with this many backfitting sweeps.
RESIDUAL_SWEEPS = 10
# Frame totals of different variables may differ by rounding, not more.
MARGIN_AGREEMENT = 1e-6


@dataclass(frozen=True)
class Margin:
    """The frame's total for every category of one variable."""

    variable: str
    totals: Mapping[str, float]

    @property
    def total(self) -> float:
        return float(sum(self.totals.values()))


@dataclass(frozen=True)
class MarginCheck:
    """One category of one margin after weighting: the target and what was achieved."""

    variable: str
    category: str
    target: float
    achieved: float
    respondents: int

    @property
    def difference(self) -> float:
        return self.achieved - self.target


@dataclass(frozen=True)
class WeightingReport:
    """How the weights came about and what they cost in precision."""

    method: str
    converged: bool
    iterations: int
    tolerance: float
    n: int
    kish_design_effect: float
    effective_sample_size: float
    weight_min: float
    weight_max: float
    weight_total: float
    margins: tuple[MarginCheck, ...] = ()
    trimming: Mapping[str, float] | None = None
    collapsed: tuple[str, ...] = ()

    @property
    def largest_margin_difference(self) -> float:
        return max((abs(m.difference) for m in self.margins), default=0.0)

    def as_dict(self) -> dict:
        return {
            "method": self.method,
            "converged": self.converged,
            "iterations": self.iterations,
            "tolerance": self.tolerance,
            "n": self.n,
            "deff": self.kish_design_effect,
            "n_eff": self.effective_sample_size,
            "weight_min": self.weight_min,
            "weight_max": self.weight_max,
            "weight_total": self.weight_total,
            "largest_margin_difference": self.largest_margin_difference,
            "margins": [
                {
                    "variable": m.variable,
                    "category": m.category,
                    "target": m.target,
                    "achieved": m.achieved,
                    "respondents": m.respondents,
                }
                for m in self.margins
            ],
            **({"trimming": dict(self.trimming)} if self.trimming else {}),
            **({"collapsed": list(self.collapsed)} if self.collapsed else {}),
        }


def kish_design_effect(weights: np.ndarray) -> float:
    """Kish's design effect from unequal weights: ``n Σw² / (Σw)²``."""
    w = np.asarray(weights, dtype=float)
    return float(len(w) * np.dot(w, w) / w.sum() ** 2)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size: ``(Σw)² / Σw²``."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.dot(w, w))


# -- calibration steps kept for the variance ---------------------------------------------------


@dataclass(frozen=True, eq=False)
class RakingCalibration:
    """What the variance needs from a raking: cells, start weights and step factors.

    Every weight during raking is ``start weight × factor of its cell``, the cell being the
    respondent's combination of categories of the raking variables. ``step_factors[m]`` holds
    the cell factors just after margin m was matched in the last sweep (R keeps the same
    weights as ``attr(, "weights")`` of each post-stratification).
    """

    cell: np.ndarray  # cell of every respondent
    start_weights: np.ndarray
    cell_count: np.ndarray  # respondents per cell
    cell_categories: np.ndarray  # (cells × margins) category code of each cell
    categories_per_margin: tuple[int, ...]
    step_factors: tuple[np.ndarray, ...]
    # The recipe, so that replicate designs can re-rake every replicate the same way.
    margins: tuple[Margin, ...] = ()
    tolerance: float = 1e-8
    max_iterations: int = 100

    @cached_property
    def _by_cell(self) -> sparse.csr_matrix:
        n = len(self.cell)
        return sparse.csr_matrix(
            (np.ones(n), (self.cell, np.arange(n))), shape=(len(self.cell_count), n)
        )

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """R's ``x - psw * ave(x / psw, margin)``, ten sweeps over the margins, per cell.

        Within a cell every respondent's ``psw`` is its start weight times the same factor,
        so the sweeps act on the cell sums of ``x / start weight`` only; the respondents'
        residuals follow at the end in one vectorized step.
        """
        sums = np.asarray(self._by_cell @ (x / self.start_weights[:, None]))
        adjustment = np.zeros_like(sums)
        counts = self.cell_count[:, None]
        for _ in range(RESIDUAL_SWEEPS):
            for m, factors in enumerate(self.step_factors):
                codes = self.cell_categories[:, m]
                size = self.categories_per_margin[m]
                category_sums = np.zeros((size, sums.shape[1]))
                np.add.at(category_sums, codes, sums / factors[:, None])
                rows = np.bincount(codes, weights=self.cell_count, minlength=size)
                with np.errstate(invalid="ignore", divide="ignore"):
                    means = np.where(rows[:, None] > 0, category_sums / rows[:, None], 0.0)
                step = factors[:, None] * means[codes]
                sums -= counts * step
                adjustment += step
        return x - self.start_weights[:, None] * adjustment[self.cell]


@dataclass(frozen=True, eq=False)
class PostStratification:
    """What the variance needs from a post-stratification: strata, old and new weights."""

    stratum: np.ndarray
    n_strata: int
    old_weights: np.ndarray
    new_weights: np.ndarray

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """R's ``x - psw * (Σ x·oldw/psw) / Σ oldw`` within each post-stratum."""
        indicator = sparse.csr_matrix(
            (np.ones(len(self.stratum)), (self.stratum, np.arange(len(self.stratum)))),
            shape=(self.n_strata, len(self.stratum)),
        )
        weighted = np.asarray(
            indicator @ (x * (self.old_weights / self.new_weights)[:, None])
        )
        old_total = np.bincount(self.stratum, weights=self.old_weights, minlength=self.n_strata)
        means = weighted / old_total[:, None]
        return x - means[self.stratum] * self.new_weights[:, None]


Calibration = RakingCalibration | PostStratification


# -- raking --------------------------------------------------------------------------------------


def rake(
    design: SurveyDesign,
    margins: Sequence[Margin],
    *,
    tolerance: float = 1e-8,
    max_iterations: int = 100,
    start_weights: np.ndarray | None = None,
) -> SurveyDesign:
    """The design with its weights raked to `margins`, and a `WeightingReport`.

    `tolerance` is relative to the total of the weights before raking: raking stops once a
    sweep moves no cell of the joint table of the raking variables by more than
    ``tolerance × Σw``. (R's ``rake(control=list(epsilon=e))`` means the same for e < 1; its
    default e = 1 is an absolute change of one weighted respondent.) Not converging within
    `max_iterations` sweeps is reported, not raised: the report says ``converged: false``.
    """
    if not margins:
        raise StatsError(f"{design.source}: raking needs at least one margin")
    if tolerance <= 0:
        raise StatsError(f"the raking tolerance must be positive, not {tolerance!r}")
    if max_iterations < 1:
        raise StatsError(f"max_iterations must be at least 1, not {max_iterations!r}")
    _check_margins_agree(margins, design.source)
    start = design.weights if start_weights is None else np.asarray(start_weights, float)
    codes, targets, labels = zip(
        *(_margin_codes(design, margin) for margin in margins), strict=True
    )
    key = np.zeros(design.n, dtype=np.int64)
    for code, target in zip(codes, targets, strict=True):
        key = key * len(target) + code
    key_space = int(np.prod([len(t) for t in targets], dtype=float))
    if key_space <= 10_000_000:
        # Counting over every possible combination is far cheaper than sorting the keys.
        present = np.flatnonzero(np.bincount(key, minlength=key_space))
        lookup = np.full(key_space, -1, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        cell_keys, cell = present, lookup[key]
    else:
        cell_keys, cell = np.unique(key, return_inverse=True)
        cell = cell.astype(np.int64)
    n_cells = len(cell_keys)
    cell_categories = np.empty((n_cells, len(margins)), dtype=np.int64)
    remaining = cell_keys.copy()
    for m in range(len(margins) - 1, -1, -1):
        cell_categories[:, m] = remaining % len(targets[m])
        remaining //= len(targets[m])
    cell_start = np.bincount(cell, weights=start, minlength=n_cells)
    cell_count = np.bincount(cell, minlength=n_cells).astype(float)

    reference_total = float(design.base_weights.sum())
    absolute_tolerance = tolerance * reference_total
    factors = np.ones(n_cells)
    table = cell_start.copy()
    converged = False
    iterations = 0
    step_factors: list[np.ndarray] = []
    while iterations < max_iterations:
        iterations += 1
        step_factors = []
        for m, target in enumerate(targets):
            current = np.bincount(
                cell_categories[:, m], weights=cell_start * factors, minlength=len(target)
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(current > 0, target / current, 1.0)
            factors = factors * ratio[cell_categories[:, m]]
            step_factors.append(factors.copy())
        new_table = cell_start * factors
        delta = float(np.max(np.abs(new_table - table)))
        table = new_table
        if delta < absolute_tolerance:
            converged = True
            break

    weights = start * factors[cell]
    calibration = RakingCalibration(
        cell=cell,
        start_weights=start,
        cell_count=cell_count,
        cell_categories=cell_categories,
        categories_per_margin=tuple(len(t) for t in targets),
        step_factors=tuple(step_factors),
        margins=tuple(margins),
        tolerance=tolerance,
        max_iterations=max_iterations,
    )
    checks = []
    for margin, code, target, label in zip(margins, codes, targets, labels, strict=True):
        achieved = np.bincount(code, weights=weights, minlength=len(target))
        counts = np.bincount(code, minlength=len(target))
        checks.extend(
            MarginCheck(margin.variable, label[c], float(target[c]), float(achieved[c]),
                        int(counts[c]))
            for c in range(len(target))
        )
    report = _report("raking", weights, converged, iterations, tolerance, checks)
    return design.with_weights(
        weights,
        calibration=(*design.calibration, calibration),
        weighting=report,
    )


def poststratify(
    design: SurveyDesign, variables: str | Sequence[str], totals: Mapping[str, float]
) -> SurveyDesign:
    """Weights scaled within each post-stratum to the frame's total, as R's ``postStratify``.

    `variables` names one column or several (crossed: their categories joined by ``.``, as
    ``"early.academic"``), and `totals` gives the frame's count for each post-stratum.
    """
    names = [variables] if isinstance(variables, str) else list(variables)
    cells = category_text(design.column(names[0]))
    for name in names[1:]:
        cells = cells + "." + category_text(design.column(name))
    label = ".".join(names)
    margin = Margin(label, dict(totals))
    frame = pd.DataFrame({label: cells})
    code, target, labels = _margin_codes(
        SurveyDesign.from_frame(frame, weights=design.weights, source=design.source), margin
    )
    current = np.bincount(code, weights=design.weights, minlength=len(target))
    ratio = target / current
    weights = design.weights * ratio[code]
    step = PostStratification(code, len(target), design.weights, weights)
    counts = np.bincount(code, minlength=len(target))
    achieved = np.bincount(code, weights=weights, minlength=len(target))
    checks = [
        MarginCheck(label, labels[c], float(target[c]), float(achieved[c]), int(counts[c]))
        for c in range(len(target))
    ]
    report = _report("post-stratification", weights, True, 1, 0.0, checks)
    return design.with_weights(
        weights, calibration=(*design.calibration, step), weighting=report
    )


def trim(
    design: SurveyDesign,
    margins: Sequence[Margin],
    *,
    upper: float,
    lower: float | None = None,
    tolerance: float = 1e-8,
    max_iterations: int = 1000,
) -> SurveyDesign:
    """Raking with every weight kept within [lower, upper] (capped raking).

    Each raking step scales a category's weights to its frame total as usual, except that a
    weight reaching a bound stays there and the rest of the category makes up the difference
    (the step solves ``Σ clip(w·r, lower, upper) = total`` for r). Capping after raking and
    raking again instead would go round in circles. The result is raked once more from the
    capped weights, so that the variance sees a raking to the margins whose weights are the
    final ones. A bound no weighting can respect (a category needing a larger average weight
    than `upper`) is an error that names the category.
    """
    floor = 0.0 if lower is None else float(lower)
    if floor >= upper:
        raise StatsError(f"the lower weight bound {floor} must be below the upper {upper}")
    _check_margins_agree(margins, design.source)
    coded = [_margin_codes(design, margin) for margin in margins]
    for margin, (code, target, labels) in zip(margins, coded, strict=True):
        counts = np.bincount(code, minlength=len(target))
        needed = target / counts
        for bad, side, bound in ((needed > upper, "at most", upper), (needed < floor, "at least",
                                                                     floor)):
            if bad.any():
                worst = int(np.flatnonzero(bad)[0])
                raise StatsError(
                    f"no weights of {side} {bound:g} can reach the frame total of "
                    f"{margin.variable} = {labels[worst]!r} ({target[worst]:g} members, "
                    f"{counts[worst]} respondents need an average weight of "
                    f"{needed[worst]:.4g}); the upper bound must be at least that and the "
                    "lower at most that"
                )
    w = np.clip(design.weights, floor, upper)
    absolute = tolerance * float(design.base_weights.sum())
    converged = False
    sweeps = 0
    while sweeps < max_iterations:
        sweeps += 1
        before = w.copy()
        for code, target, _ in coded:
            w = _capped_step(w, code, target, floor, upper)
        if float(np.max(np.abs(w - before))) * 1.0 < absolute / max(design.n, 1) or (
            all(
                np.max(np.abs(np.bincount(code, weights=w, minlength=len(t)) - t)) < absolute
                for code, t, _ in coded
            )
        ):
            converged = True
            break
    raked = rake(design, margins, tolerance=tolerance, start_weights=w)
    within = bool(np.all(raked.weights <= upper * (1 + 1e-6)) and np.all(
        raked.weights >= floor * (1 - 1e-6)))
    report = raked.weighting
    trimming = {
        "upper": float(upper),
        "lower": None if lower is None else float(lower),
        "sweeps": sweeps,
        "weights_at_upper_bound": int(np.sum(raked.weights >= upper * (1 - 1e-9))),
        "weights_at_lower_bound": int(np.sum(raked.weights <= floor * (1 + 1e-9)))
        if lower is not None
        else 0,
        "within_bounds": within,
    }
    report = _report(
        "raking with capped weights",
        raked.weights,
        converged and report.converged and within,
        sweeps,
        tolerance,
        list(report.margins),
        trimming=trimming,
    )
    return raked.with_weights(raked.weights, weighting=report)


def _capped_step(w, code, target, floor, upper) -> np.ndarray:
    """Scale each category to its total, weights held at a bound making way for the rest."""
    size = len(target)
    # Start from the plain raking ratio; holding weights at a bound only raises (or, at the
    # lower bound, lowers) the ratio the others need, so the iteration is monotone.
    ratio = target / np.bincount(code, weights=w, minlength=size)
    for _ in range(50):
        scaled = w * ratio[code]
        at_upper = scaled >= upper
        at_floor = scaled <= floor
        free = ~(at_upper | at_floor)
        fixed = np.bincount(code, weights=np.where(at_upper, upper, 0.0)
                            + np.where(at_floor, floor, 0.0), minlength=size)
        free_sum = np.bincount(code, weights=np.where(free, w, 0.0), minlength=size)
        with np.errstate(divide="ignore", invalid="ignore"):
            new_ratio = np.where(free_sum > 0, (target - fixed) / free_sum, ratio)
        if np.allclose(new_ratio, ratio, rtol=1e-15, atol=0):
            break
        ratio = new_ratio
    return np.clip(w * ratio[code], floor, upper)


def collapse_categories(
    data: pd.DataFrame,
    margins: Sequence[Margin],
    variable: str,
    into: str,
    categories: Iterable[str],
) -> tuple[pd.DataFrame, list[Margin], str]:
    """Merge `categories` of `variable` into one category `into`, in the data and margins.

    Returns the new data, the new margins and a sentence for the weighting report. Nothing
    calls this by itself: merging small groups hides them, so a person asks for it.
    """
    merged = [str(c) for c in categories]
    data = data.copy()
    values = category_text(data[variable])
    data[variable] = values.where(~values.isin(merged), into)
    new_margins = []
    for margin in margins:
        if margin.variable != variable:
            new_margins.append(margin)
            continue
        totals: dict[str, float] = {}
        for category, total in margin.totals.items():
            key = into if str(category) in merged else str(category)
            totals[key] = totals.get(key, 0.0) + float(total)
        new_margins.append(Margin(variable, totals))
    note = f"{variable}: {', '.join(merged)} merged into {into!r}"
    return data, new_margins, note


# -- helpers -------------------------------------------------------------------------------------


def _report(method, weights, converged, iterations, tolerance, checks, trimming=None):
    return WeightingReport(
        method=method,
        converged=bool(converged),
        iterations=int(iterations),
        tolerance=float(tolerance),
        n=len(weights),
        kish_design_effect=kish_design_effect(weights),
        effective_sample_size=effective_sample_size(weights),
        weight_min=float(weights.min()),
        weight_max=float(weights.max()),
        weight_total=float(weights.sum()),
        margins=tuple(checks),
        trimming=trimming,
    )


def _margin_codes(design: SurveyDesign, margin: Margin):
    """Each respondent's category code in `margin`, the targets, and the category labels."""
    source = design.source
    values = category_text(design.column(margin.variable))
    blank = values == ""
    if blank.any():
        rows = np.flatnonzero(blank.to_numpy())
        raise StatsError(
            f"{source}: row {rows[0] + 2}, column {margin.variable!r}: the value is blank "
            f"({len(rows)} respondents in all); raking needs every respondent's category — "
            "give the blanks a category (e.g. 'unknown') with its frame total"
        )
    totals = {str(k).strip(): v for k, v in margin.totals.items()}
    for category, total in totals.items():
        if not np.isfinite(total) or total < 0:
            raise StatsError(
                f"margins: {margin.variable} = {category!r}: the total {total!r} must be a "
                "non-negative number"
            )
    if sum(totals.values()) <= 0:
        raise StatsError(f"margins: the totals of {margin.variable!r} add up to zero")
    seen = values.value_counts()
    unknown = [c for c in seen.index if c not in totals]
    if unknown:
        first = unknown[0]
        row = int(np.flatnonzero((values == first).to_numpy())[0])
        raise StatsError(
            f"{source}: row {row + 2}, column {margin.variable!r}: {int(seen[first])} "
            f"respondents have {margin.variable} = {first!r}, which the margins do not list"
            + (f" (nor {', '.join(map(repr, unknown[1:6]))})" if len(unknown) > 1 else "")
            + f"; the margins know {', '.join(map(repr, sorted(totals)))}"
        )
    zero = [c for c in seen.index if totals[c] == 0]
    if zero:
        raise StatsError(
            f"margins: {margin.variable} = {zero[0]!r} has a frame total of zero, but "
            f"{int(seen[zero[0]])} respondents are in it; a frame total of zero cannot hold "
            "respondents — correct the margins or the data"
        )
    unreached = [c for c, t in totals.items() if t > 0 and c not in seen.index]
    if unreached:
        raise StatsError(
            f"margins: {margin.variable} = {unreached[0]!r} has a frame total of "
            f"{totals[unreached[0]]:g} but no respondent is in it, so no weighting can reach "
            "it; merge it with a neighbouring category on purpose (collapse_categories) — "
            "small groups are never merged silently"
        )
    labels = sorted(c for c, t in totals.items() if t > 0)
    index = {c: i for i, c in enumerate(labels)}
    # Look up each distinct value once, not every respondent's.
    value_codes, distinct = pd.factorize(values)
    code = np.array([index[v] for v in distinct], dtype=np.int64)[value_codes]
    target = np.array([float(totals[c]) for c in labels])
    return code, target, labels


def _check_margins_agree(margins: Sequence[Margin], source: str) -> None:
    totals = [(m.variable, m.total) for m in margins]
    reference = totals[0][1]
    for _, total in totals[1:]:
        if abs(total - reference) > MARGIN_AGREEMENT * max(abs(reference), 1.0):
            listed = ", ".join(f"{v} = {t:g}" for v, t in totals)
            raise StatsError(
                "margins: the frame totals of the raking variables disagree "
                f"({listed}); every variable must count the same frame — add a category "
                "such as 'unknown' for members whose value is not known"
            )
    names = [m.variable for m in margins]
    if len(set(names)) != len(names):
        raise StatsError(f"margins: a variable is listed twice ({', '.join(names)})")
