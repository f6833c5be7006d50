"""One estimation job from files to a result document: what `workforce stats estimate` runs.

Read the respondents, build the design, rake it to the margins when given, estimate the
statistic overall or by domain, and return a plain dictionary (the command's ``--json``
contract) with every estimate and the weighting diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from workforce.stats import estimates, replicates
from workforce.stats.design import SurveyDesign
from workforce.stats.errors import StatsError
from workforce.stats.files import read_data, read_margins
from workforce.stats.weighting import effective_sample_size, kish_design_effect, rake

STATISTICS = ("mean", "proportion", "total")
VARIANCE_METHODS = ("linearization", "jackknife", "bootstrap")


@dataclass(frozen=True)
class EstimateRequest:
    data: Path
    weight: str
    statistic: str
    column: str
    value: str | None = None
    by: Sequence[str] = ()
    ci: str = "logit"
    level: float = 0.95
    margins: Path | None = None
    strata: str | None = None
    cluster: str | None = None
    fpc: str | float | None = None
    tolerance: float = 1e-8
    max_iterations: int = 100
    variance: str = "linearization"
    replicates: int = 500
    jackknife_groups: int | None = None
    seed: int = 0


def run_estimate(request: EstimateRequest, step: Callable[[str], None] = lambda _: None) -> dict:
    """The result document for `request`; bad input raises `StatsError` naming the problem."""
    if request.statistic not in STATISTICS:
        raise StatsError(f"unknown statistic {request.statistic!r}")
    if request.statistic == "proportion" and not request.value:
        raise StatsError("a proportion needs COLUMN=VALUE, e.g. --proportion gender=woman")
    if request.variance not in VARIANCE_METHODS:
        raise StatsError(
            f"unknown variance method {request.variance!r}; use {', '.join(VARIANCE_METHODS)}"
        )
    if not 0 < request.level < 1:
        raise StatsError(f"--level must be between 0 and 1, not {request.level}")
    step(f"reading {request.data}")
    data = read_data(request.data)
    source = str(request.data)
    for name in (request.column, *request.by):
        if name not in data.columns:
            known = ", ".join(map(str, data.columns[:40]))
            raise StatsError(f"{source}: no column {name!r} (columns: {known})")
    design = SurveyDesign.from_frame(
        data,
        weights=request.weight,
        strata=request.strata,
        clusters=request.cluster,
        fpc=request.fpc,
        source=source,
    )
    if request.margins is not None:
        margins = read_margins(request.margins)
        step(f"raking {design.n:,} respondents to {len(margins)} margins")
        design = rake(
            design,
            margins,
            tolerance=request.tolerance,
            max_iterations=request.max_iterations,
        )
    notes = []
    step("estimating")
    if request.variance == "linearization":
        module, target = estimates, design
    else:
        module = replicates
        target = (
            replicates.jackknife(design, groups=request.jackknife_groups, seed=request.seed)
            if request.variance == "jackknife"
            else replicates.bootstrap(design, replicates=request.replicates, seed=request.seed)
        )
    by = list(request.by) or None
    if request.statistic == "proportion":
        results = module.proportion(
            target, request.column, request.value, by=by, method=request.ci, level=request.level
        )
        # Every share is 0 exactly when nobody (in any group) has the value.
        if all(not result.estimate for result in results):
            notes.append(
                f"no respondent has {request.column} = {request.value!r}; check the spelling "
                "of the value if a share of 0 is unexpected"
            )
    elif request.statistic == "mean":
        results = module.mean(target, request.column, by=by, level=request.level)
    else:
        results = module.total(target, request.column, by=by, level=request.level)
    return {
        "statistic": request.statistic,
        "variable": (
            request.column if request.value is None else f"{request.column}={request.value}"
        ),
        "ci_method": request.ci if request.statistic == "proportion" else "t",
        "level": request.level,
        "variance": request.variance,
        "estimates": [_estimate_dict(result) for result in results],
        "weights": _weights_dict(design),
        "notes": notes,
    }


def _estimate_dict(result: estimates.Estimate) -> dict:
    return {
        "group": result.group,
        "estimate": result.estimate,
        "se": result.se,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "n": result.n,
        "n_eff": result.n_eff,
        "df": result.df,
        "reliability": result.reliability,
        "reasons": list(result.reasons),
    }


def _weights_dict(design: SurveyDesign) -> dict:
    report = design.weighting
    if report is None:
        return {
            "method": "as given",
            "deff": kish_design_effect(design.weights),
            "n_eff": effective_sample_size(design.weights),
            "converged": True,
            "iterations": 0,
            "n": design.n,
            "weight_total": float(design.weights.sum()),
        }
    document = report.as_dict()
    return {
        "method": document.pop("method"),
        "deff": document.pop("deff"),
        "n_eff": document.pop("n_eff"),
        "converged": document.pop("converged"),
        "iterations": document.pop("iterations"),
        **document,
    }
