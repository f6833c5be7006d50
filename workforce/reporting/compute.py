"""Every indicator of the catalog computed for one wave, through the disclosure gate.

`compute_wave` weights the wave's respondents to its invitation frame, asks for every counts
table the catalog's indicators rest on (`counts.CountTables`), protects each source's tables
together, and only then builds the published tables: a count, share or estimate appears only
when the counts it rests on were published by the gate (and, for an estimate, when the NCHS
reliability standards allow it). Suppressed values are null, and the row's status says why.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.reporting.catalog import Catalog, Comparison, Indicator
from workforce.reporting.counts import CONSORTIUM, ORG, CountTables
from workforce.reporting.inputs import ReportInputs, WaveData
from workforce.reporting.tables import (
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    UNRELIABLE,
    Column,
    PublishedTable,
    status_column,
)
from workforce.standard.benchmarks import get_benchmark
from workforce.standard.loader import load_standard
from workforce.standard.views import derive_views
from workforce.stats import estimates as est
from workforce.stats.frame_weights import pool_small_categories, weight_to_frame
from workforce.stats.intervals import t_quantile
from workforce.stats.representation import glass_ceiling_index
from workforce.stats.scales import scale_scores
from workforce.stats.variance import covariance

MISSING = ("declined", "unknown")
# Raking categories with fewer respondents than this are pooled first (recorded in methods).
MIN_RESPONDENTS_PER_CATEGORY = 5
LEVEL = 0.95


@dataclass
class WaveContext:
    """One wave's weighted design and the gated counts of its three sources."""

    wave: WaveData
    design: est.SurveyDesign
    weighting: dict
    membership: CountTables
    survey: CountTables
    frame: CountTables
    organizations: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def populations(self) -> list[str]:
        return [CONSORTIUM, *self.organizations]


@dataclass
class WaveTables:
    wave: str
    tables: list[PublishedTable]
    context: WaveContext


def prepare_wave(inputs: ReportInputs, wave: WaveData,
                 membership_tables: CountTables | None = None) -> WaveContext:
    """Derived views of records and answers, the weighted design, and empty counts tables.

    The membership records are the same whatever the wave: `membership_tables` already
    protected for another wave of the same report are used as they are.
    """
    standard = load_standard()
    responses = derive_views(_blank_to_unknown(wave.responses, standard), standard)
    variables = tuple(inputs.weighting)
    pooled_responses, pooled_frame, pooled = pool_small_categories(
        responses, wave.frame, variables, minimum=MIN_RESPONDENTS_PER_CATEGORY
    )
    raked = weight_to_frame(pooled_responses, pooled_frame, variables,
                            source=f"wave {wave.wave} responses", notes=pooled)
    # Estimates use the respondents' own answers; pooled categories served only the raking.
    design = dataclasses.replace(raked, data=responses)
    frame = wave.frame.copy()
    frame["completed"] = np.where(frame["frame_id"].isin(wave.completed), "yes", "no")
    return WaveContext(
        wave=wave,
        design=design,
        weighting=raked.weighting.as_dict(),
        membership=membership_tables or CountTables(
            "members", derive_views(_blank_to_unknown(inputs.membership, standard), standard),
            insiders=True),
        survey=CountTables("respondents", responses, insiders=False),
        frame=CountTables("invited", frame, insiders=True),
        organizations=inputs.organizations,
    )


def compute_wave(
    inputs: ReportInputs,
    catalog: Catalog,
    wave: str | None = None,
    *,
    threshold: int = 5,
    indicators: list[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    membership_tables: CountTables | None = None,
) -> WaveTables:
    """The published tables of every indicator (or of `indicators`) for one wave."""
    report = progress or (lambda step, done, total: None)
    data = inputs.wave(wave)
    report(f"Weighting wave {data.wave}", 0, 1)
    ctx = prepare_wave(inputs, data, membership_tables)
    chosen = [i for i in catalog.indicators if indicators is None or i.id in indicators]
    # Every table of each source the chosen indicators draw on, as the whole catalog asks
    # for them: the gate then chooses the same pattern as this wave's own report, so a
    # figure computed here (say, beside a goal) is the one that report published.
    sources = {source for i in chosen for source, _ in _counts_needed(i, catalog)}
    for indicator in catalog.indicators:
        for source, dims in _counts_needed(indicator, catalog):
            if source in sources:
                getattr(ctx, source).request(*dims)
    for step, source in enumerate(("membership", "survey", "frame")):
        report(f"Protecting the {source} tables (wave {data.wave})", step, 3)
        tables = getattr(ctx, source)
        if tables.specs and tables.result is None:
            tables.protect(threshold)
    tables: list[PublishedTable] = []
    for step, indicator in enumerate(chosen):
        report(f"Computing indicators (wave {data.wave})", step, len(chosen))
        tables.extend(BUILDERS[indicator.kind](indicator, ctx, catalog))
    report(f"Computing indicators (wave {data.wave})", len(chosen), len(chosen))
    return WaveTables(data.wave, tables, ctx)


# -- which counts each kind rests on --------------------------------------------------------------


def _counts_needed(indicator: Indicator, catalog: Catalog) -> list[tuple[str, tuple[str, ...]]]:
    s = indicator.settings
    kind = indicator.kind
    if kind == "composition":
        source = "membership" if indicator.source == "membership" else "survey"
        return [(source, (s["dimension"],))]
    if kind == "representation":
        return [("survey", (s["dimension"],))]
    if kind == "pipeline":
        return [("survey", ("career_stage", s["group"]["column"]))]
    if kind == "intersection":
        return [("membership", tuple(s["dimensions"]))]
    if kind in ("agreement", "scale_score", "prevalence"):
        return [("survey", (c.column,)) for c in catalog.comparisons]
    if kind == "item_response":
        dims = [_counted_column(d) for d in s["dimensions"]]
        return [(src, (d,)) for d in dims for src in ("membership", "survey")]
    if kind == "response_rate":
        return [("frame", (segment, "completed")) for segment in s["segments"]]
    raise ValueError(f"no counts known for kind {kind!r}")


def _counted_column(dimension: str) -> str:
    # A multi-select answer is counted by its SPD-15 "alone" view, where declined and unknown
    # are categories of their own.
    return "race_alone" if dimension == "race_ethnicity" else dimension


# -- builders, one per kind -----------------------------------------------------------------------


def build_composition(indicator: Indicator, ctx: WaveContext, catalog: Catalog):
    dim = indicator.settings["dimension"]
    population = _population_column(ctx)
    category = _code_column("category", "Category", dim)
    if indicator.source == "membership":
        # Each population's total is a published margin of the same protected table.
        category = _code_column("category", "Category", dim, total=True)
        name = ctx.membership.request(dim)
        cells = ctx.membership.cells(name).rename(columns={dim: "category"})
        data = _ordered(cells[["population", "category", "count", "share", "status"]],
                        category)
        columns = (population, category, _count_column("Members"), _share_column(),
                   status_column())
        return [_table(indicator, columns, data, ctx, gated=name)]
    name = ctx.survey.request(dim)
    counts = ctx.survey.status_of(name)
    codes = [c for c, _ in category.categories if any(k[1] == c for k in counts)]
    rows = []
    for code in codes:
        for (pop,), estimate in _by_population(
            ctx, lambda by, code=code: est.proportion(ctx.design, dim, code, by=by), []
        ).items():
            status = _estimate_status(counts.get((pop, code)), estimate)
            rows.append(_estimate_row({"population": pop, "category": code}, estimate, status))
    data = _ordered(pd.DataFrame(rows, columns=["population", "category", *ESTIMATE_FIELDS,
                                                "status"]), category)
    columns = (population, category, *_estimate_columns("proportion"), status_column())
    return [_table(indicator, columns, data, ctx, gated=name)]


def build_representation(indicator: Indicator, ctx: WaveContext, catalog: Catalog):
    from workforce.stats.representation import representation_ratio

    dim = indicator.settings["dimension"]
    name = ctx.survey.request(dim)
    counts = ctx.survey.status_of(name)
    known = _design_without_missing(ctx.design, dim)
    rows = []
    for benchmark_id in indicator.benchmarks:
        benchmark = get_benchmark(benchmark_id)
        for code, share in benchmark.shares.items():
            if not (known.data[dim] == code).any():
                # Nobody in the category at all: a zero, which may be shown.
                rows.extend({"population": pop, "benchmark": benchmark_id, "category": code,
                             "share": 0.0, "benchmark_share": share, "ratio": 0.0,
                             "ci_low": None, "ci_high": None, "status": PUBLISHED}
                            for pop in ctx.populations())
                continue
            for population, ratio in _by_population(
                ctx,
                lambda by, code=code, share=share: representation_ratio(
                    known, dim, code, share, by=by),
                [],
            ).items():
                status = _estimate_status(counts.get((population[0], code)), ratio)
                shown = status == PUBLISHED and ratio.ratio is not None
                rows.append({
                    "population": population[0],
                    "benchmark": benchmark_id,
                    "category": code,
                    "share": ratio.share if shown else None,
                    "benchmark_share": share,
                    "ratio": ratio.ratio if shown else None,
                    "ci_low": ratio.ci_low if shown else None,
                    "ci_high": ratio.ci_high if shown else None,
                    "status": status,
                })
    category = _code_column("category", "Category", dim)
    benchmark_column = Column(
        "benchmark", "Benchmark", description="Reference population (see the sources)",
        categories=tuple((b, get_benchmark(b).title) for b in indicator.benchmarks))
    data = pd.DataFrame(rows, columns=["population", "benchmark", "category", "share",
                                       "benchmark_share", "ratio", "ci_low", "ci_high",
                                       "status"])
    columns = (
        _population_column(ctx), benchmark_column, category,
        Column("share", "Share of respondents", "number", unit="proportion",
               description="Weighted share among respondents whose answer is known"),
        Column("benchmark_share", "Share in the benchmark", "number", unit="proportion"),
        Column("ratio", "Representation ratio", "number", unit="ratio",
               description="Share over benchmark share: 1 is parity"),
        Column("ci_low", "95% CI, low", "number", unit="ratio"),
        Column("ci_high", "95% CI, high", "number", unit="ratio"),
        status_column(),
    )
    return [_table(indicator, columns, data, ctx, gated=name)]


def build_pipeline(indicator: Indicator, ctx: WaveContext, catalog: Catalog):
    group = indicator.settings["group"]
    column, value = group["column"], str(group["value"])
    stages = [str(s) for s in indicator.settings["stages"]]
    name = ctx.survey.request("career_stage", column)
    counts = ctx.survey.status_of(name)
    known = _design_without_missing(ctx.design, column)
    rows = []
    for population, estimate in _by_population(
        ctx, lambda by: est.proportion(known, column, value, by=by), ["career_stage"]
    ).items():
        pop, stage = population
        if stage not in stages:
            continue
        # The share rests on the group's count at the stage and on the stage's total.
        status = _worst(counts.get((pop, stage, value)), counts.get((pop, stage, "Total")))
        rows.append(_estimate_row({"population": pop, "stage": stage},
                                  estimate, _estimate_status(status, estimate)))
    stage_column = _code_column("stage", "Career stage", "career_stage", keep=stages)
    data = _ordered(pd.DataFrame(rows, columns=["population", "stage", *ESTIMATE_FIELDS,
                                                "status"]), stage_column, key="stage")
    columns = (_population_column(ctx), stage_column, *_estimate_columns("proportion"),
               status_column())
    shares = _table(indicator, columns, data, ctx, gated=name,
                    title=f"{indicator.title}: share at each stage")

    gci_rows = []
    for pop in ctx.populations():
        design = known if pop == CONSORTIUM else _only_population(known, pop, column)
        status = _worst(counts.get((pop, "senior", value)), counts.get((pop, "Total", value)),
                        counts.get((pop, "senior", "Total")))
        try:
            gci = glass_ceiling_index(design, column, value, "career_stage", ["senior"])
        except Exception as error:  # no senior respondents in a small society
            gci_rows.append({"population": pop, "index": None, "ci_low": None,
                             "ci_high": None, "status": UNRELIABLE})
            ctx.notes.append(f"{indicator.id}: no Glass Ceiling Index for {pop}: {error}")
            continue
        status = _estimate_status(status, gci)
        shown = status == PUBLISHED and gci.index is not None
        gci_rows.append({"population": pop,
                         "index": gci.index if shown else None,
                         "ci_low": gci.ci_low if shown else None,
                         "ci_high": gci.ci_high if shown else None,
                         "status": status})
    gci_columns = (
        _population_column(ctx),
        Column("index", "Glass Ceiling Index", "number", unit="ratio",
               description="Share of the group among all with a known career stage over its "
               "share among senior members: 1 is parity, above 1 fewer reach the top"),
        Column("ci_low", "95% CI, low", "number", unit="ratio"),
        Column("ci_high", "95% CI, high", "number", unit="ratio"),
        status_column(),
    )
    gci = _table(indicator, gci_columns, pd.DataFrame(gci_rows, columns=[c.name for c in
                                                                         gci_columns]),
                 ctx, gated=name, name=f"{indicator.id}_glass_ceiling",
                 title=f"{indicator.title}: Glass Ceiling Index")
    return [shares, gci]


def build_intersection(indicator: Indicator, ctx: WaveContext, catalog: Catalog):
    dims = list(indicator.settings["dimensions"])
    name = ctx.membership.request(*dims)
    cells = ctx.membership.cells(name)
    columns = [_population_column(ctx)]
    for dim in dims:
        column = _code_column(dim, _coded(dim).title, dim, total=True)
        columns.append(column)
    data = cells[["population", *dims, "count", "status"]]
    for column in reversed(columns[1:]):
        data = _ordered(data, column, key=column.name)
    columns += [_count_column("Members"), status_column()]
    return [_table(indicator, tuple(columns), data.reset_index(drop=True), ctx, gated=name)]


def build_group_estimates(indicator: Indicator, ctx: WaveContext, catalog: Catalog):
    """Agreement, scale scores and prevalence: everyone, then each comparison's groups."""
    s = indicator.settings
    if indicator.kind == "scale_score":
        column = f"_{indicator.id}"
        # Declining a statement is no answer to it, as skipping it is.
        answers = ctx.design.data[list(s["items"])].replace("declined", "")
        scores = scale_scores(answers, s["items"], points=int(s["scale"][1]))
        design = _with_column(ctx.design, column, scores.to_numpy())
        statistic = "mean"

        def estimator(by, design=design):
            return est.mean(design, column, by=by)

        def outcome(design=design):
            return design.data[column].to_numpy(dtype=float)
    else:
        column = f"_{indicator.id}"
        if indicator.kind == "agreement":
            yes_values, items = tuple(str(v) for v in s["agree"]), [s["item"]]
        else:
            yes_values, items = tuple(str(v) for v in s["experienced"]), list(s["items"])
        indicator_values = _any_of(ctx.design.data, items, yes_values)
        design = _with_column(ctx.design, column, indicator_values)
        statistic = "proportion"

        def estimator(by, design=design):
            return est.proportion(design, column, "yes", by=by)

        def outcome(design=design):
            return est.indicator_outcome(design, column, "yes")

    rows = []
    everyone = _by_population(ctx, estimator, [])
    for (pop,), estimate in everyone.items():
        rows.append(_estimate_row(
            {"population": pop, "comparison": "all", "group": "all"},
            estimate, _estimate_status(PUBLISHED, estimate)) | _no_gap())
    for comparison in catalog.comparisons:
        name = ctx.survey.request(comparison.column)
        counts = ctx.survey.status_of(name)
        found = _by_population(ctx, estimator, [comparison.column])
        gaps = _gaps(design, outcome(), comparison, ctx)
        for (pop, code), estimate in found.items():
            if code not in comparison.groups:
                continue
            status = _estimate_status(counts.get((pop, code)), estimate)
            row = _estimate_row({"population": pop, "comparison": comparison.id,
                                 "group": code}, estimate, status)
            gap = gaps.get((pop, code))
            reference_status = _estimate_status(
                counts.get((pop, comparison.reference)),
                found.get((pop, comparison.reference)))
            if (gap is None or code == comparison.reference or status != PUBLISHED
                    or reference_status != PUBLISHED):
                row |= _no_gap()
            else:
                row |= gap
            rows.append(row)
    # One code can mean different groups in different comparisons ("yes" is underrepresented
    # in one, LGBTQ+ in another), so the column lists the codes with the standard's plain
    # labels, and the catalog's comparisons give each group's own name.
    group_categories = [("all", "Everyone")]
    for comparison in catalog.comparisons:
        for code in comparison.groups:
            if code not in dict(group_categories):
                group_categories.append((code, _coded(comparison.column).label(code)))
    fields = ["population", "comparison", "group", *ESTIMATE_FIELDS, "gap", "gap_low",
              "gap_high", "status"]
    data = pd.DataFrame(rows, columns=fields)
    unit = "score (1-5)" if statistic == "mean" else "proportion"
    columns = (
        _population_column(ctx),
        Column("comparison", "Comparison", categories=(("all", "Everyone"), *(
            (c.id, c.title) for c in catalog.comparisons))),
        Column("group", "Group", categories=tuple(group_categories),
               description="A group of the comparison, as a code of the comparison's column "
               "(see the catalog's comparisons for each group's name)"),
        *_estimate_columns(statistic),
        Column("gap", "Gap to the reference group", "number", unit=unit,
               description="The group's figure minus the comparison's reference group's"),
        Column("gap_low", "Gap, 95% CI low", "number", unit=unit),
        Column("gap_high", "Gap, 95% CI high", "number", unit=unit),
        status_column(),
    )
    return [_table(indicator, columns, data, ctx,
                   gated=", ".join(ctx.survey.request(c.column) for c in catalog.comparisons))]


def build_item_response(indicator: Indicator, ctx: WaveContext, catalog: Catalog):
    rows = []
    for dimension in indicator.settings["dimensions"]:
        counted = _counted_column(dimension)
        for source_name, tables in (("membership", ctx.membership), ("survey", ctx.survey)):
            cells = tables.cells(tables.request(counted))
            for answer in MISSING:
                chosen = cells[cells[counted] == answer]
                for row in chosen.itertuples(index=False):
                    rows.append({"population": row.population, "source": source_name,
                                 "dimension": dimension, "answer": answer,
                                 "count": row.count, "share": row.share,
                                 "status": row.status})
                if chosen.empty:  # nobody declined: a published zero
                    for pop in ctx.populations():
                        rows.append({"population": pop, "source": source_name,
                                     "dimension": dimension, "answer": answer, "count": 0,
                                     "share": 0.0, "status": PUBLISHED})
    columns = (
        _population_column(ctx),
        Column("source", "Source", categories=(("membership", "Membership records"),
                                               ("survey", "Survey respondents (unweighted)"))),
        Column("dimension", "Dimension", categories=tuple(
            (d, _coded(d).title) for d in indicator.settings["dimensions"])),
        Column("answer", "Answer", categories=(("declined", "Declined to answer"),
                                               ("unknown", "Unknown"))),
        _count_column("People"),
        _share_column(),
        status_column(),
    )
    data = pd.DataFrame(rows, columns=[c.name for c in columns])
    data = data.sort_values(["dimension", "source", "answer", "population"],
                            key=_population_sort_key(ctx), kind="stable")
    return [_table(indicator, columns, data.reset_index(drop=True), ctx, gated="(several)")]


def build_response_rate(indicator: Indicator, ctx: WaveContext, catalog: Catalog):
    rows = []
    for segment in indicator.settings["segments"]:
        name = ctx.frame.request(segment, "completed")
        cells = ctx.frame.cells(name)
        index = {(r.population, getattr(r, segment), r.completed): r
                 for r in cells.itertuples(index=False)}
        codes = [c for c in _coded(segment).code_list
                 if (CONSORTIUM, c, "Total") in index] + ["Total"]
        for pop in ctx.populations():
            for code in codes:
                invited = index.get((pop, code, "Total"))
                done = index.get((pop, code, "yes"))
                if invited is None or done is None:
                    continue
                # One status per row: a row shows all its figures or none of them.
                status = _worst(invited.status, done.status)
                shown = status == PUBLISHED and invited.count
                rows.append({
                    "population": pop, "segment": segment, "category": code,
                    "invited": invited.count if status == PUBLISHED else None,
                    "completed": done.count if status == PUBLISHED else None,
                    "rate": round(done.count / invited.count, 12) if shown else None,
                    "status": status,
                })
    categories = [("Total", "Everyone")]
    for segment in indicator.settings["segments"]:
        for code, label in _code_labels(segment):
            if code not in dict(categories):
                categories.append((code, label))
    columns = (
        _population_column(ctx),
        Column("segment", "Segment", categories=tuple(
            (s, _coded(s).title) for s in indicator.settings["segments"])),
        Column("category", "Category", categories=tuple(categories),
               description="From the membership records of the invitation frame"),
        Column("invited", "Invited", "integer", unit="people"),
        Column("completed", "Completed", "integer", unit="people"),
        Column("rate", "Response rate", "number", unit="proportion"),
        status_column(),
    )
    data = pd.DataFrame(rows, columns=[c.name for c in columns])
    return [_table(indicator, columns, data, ctx,
                   gated=", ".join(ctx.frame.request(s, "completed")
                                   for s in indicator.settings["segments"]))]


BUILDERS = {
    "composition": build_composition,
    "representation": build_representation,
    "pipeline": build_pipeline,
    "intersection": build_intersection,
    "agreement": build_group_estimates,
    "scale_score": build_group_estimates,
    "prevalence": build_group_estimates,
    "item_response": build_item_response,
    "response_rate": build_response_rate,
}


# -- estimates by population ----------------------------------------------------------------------


ESTIMATE_FIELDS = ["estimate", "se", "ci_low", "ci_high", "reliability"]


def _by_population(ctx: WaveContext, estimator, extra: list[str]) -> dict[tuple, object]:
    """The consortium's estimates (by `extra`) and each society's (by org and `extra`)."""
    out: dict[tuple, object] = {}
    for estimate in estimator(extra or None):
        key = (CONSORTIUM, *[(estimate.group or {})[c] for c in extra])
        out[key] = estimate
    for estimate in estimator([ORG, *extra]):
        key = (estimate.group[ORG], *[estimate.group[c] for c in extra])
        out[key] = estimate
    return out


def _estimate_status(count_status: str | None, estimate) -> str:
    if count_status is None:
        return PRIMARY  # no such cell: nobody is in it
    if count_status != PUBLISHED:
        return count_status
    # An Estimate, a RepresentationRatio or a GlassCeilingIndex: whichever figure it carries.
    value = next((getattr(estimate, name) for name in ("estimate", "ratio", "index")
                  if hasattr(estimate, name)), None)
    if estimate is None or value is None or estimate.reliability == "suppress":
        return UNRELIABLE
    return PUBLISHED


def _estimate_row(keys: dict, estimate, status: str) -> dict:
    shown = status == PUBLISHED
    return keys | {
        "estimate": estimate.estimate if shown else None,
        "se": estimate.se if shown else None,
        "ci_low": estimate.ci_low if shown else None,
        "ci_high": estimate.ci_high if shown else None,
        "reliability": estimate.reliability if shown else None,
        "status": status,
    }


def _estimate_columns(statistic: str) -> tuple[Column, ...]:
    unit = "proportion" if statistic == "proportion" else "score (1-5)"
    title = "Weighted share" if statistic == "proportion" else "Weighted mean score"
    return (
        Column("estimate", title, "number", unit=unit,
               description="Weighted to the invitation frame (raked), design-based"),
        Column("se", "Standard error", "number", unit=unit,
               description="Linearization through the raking (as R's survey package)"),
        Column("ci_low", "95% CI, low", "number", unit=unit,
               description="Logit interval for shares, t interval for means"),
        Column("ci_high", "95% CI, high", "number", unit=unit),
        Column("reliability", "Reliability", categories=(
            ("present", "Meets the NCHS standards"),
            ("review", "Meets them with a caution (few degrees of freedom or a wide interval)"),
        )),
    )


def _gaps(design, y: np.ndarray, comparison: Comparison, ctx: WaveContext) -> dict:
    """Each group's difference from the reference group, per population, with its 95% CI.

    The two means come from the same respondents' design, so the difference's variance is
    V(a) + V(b) − 2 Cov(a, b), all from one covariance matrix of the domain means.
    """
    out = {}
    for by in ([comparison.column], [ORG, comparison.column]):
        domains = est.Domains.of(design, by)
        means = est.domain_means(design, y, domains)
        if not len(domains.labels):
            continue
        cov = covariance(design, means.influence())
        df = means.degrees_of_freedom()
        position = {}
        for g, label in enumerate(domains.labels):
            pop = label.get(ORG, CONSORTIUM)
            position[(pop, label[comparison.column])] = g
        for (pop, code), g in position.items():
            r = position.get((pop, comparison.reference))
            if r is None or means.respondents[g] == 0 or means.respondents[r] == 0:
                continue
            gap = float(means.estimates[g] - means.estimates[r])
            variance = max(float(cov[g, g] + cov[r, r] - 2 * cov[g, r]), 0.0)
            dof = float(min(df[g], df[r]))
            half = t_quantile(LEVEL, dof if dof > 0 else math.inf) * math.sqrt(variance)
            out[(pop, code)] = {"gap": gap, "gap_low": gap - half, "gap_high": gap + half}
    return out


def _no_gap() -> dict:
    return {"gap": None, "gap_low": None, "gap_high": None}


def _any_of(data: pd.DataFrame, items: list[str], yes_values: tuple[str, ...]) -> np.ndarray:
    """yes when any item has one of `yes_values`, no when every answered item has not,
    blank when no item was answered (declined or skipped)."""
    answered = np.zeros(len(data), dtype=bool)
    hit = np.zeros(len(data), dtype=bool)
    for item in items:
        values = data[item].astype(str)
        given = ~values.isin(("", "declined")).to_numpy()
        answered |= given
        hit |= values.isin(yes_values).to_numpy()
    return np.where(hit, "yes", np.where(answered, "no", ""))


def _with_column(design, name: str, values) -> est.SurveyDesign:
    return dataclasses.replace(design, data=design.data.assign(**{name: values}))


def _design_without_missing(design, column: str) -> est.SurveyDesign:
    """The same design with declined and unknown answers of `column` made no answer."""
    values = design.data[column].astype(str)
    return _with_column(design, column, values.where(~values.isin(MISSING), ""))


def _only_population(design, org: str, column: str) -> est.SurveyDesign:
    """The design with `column` and career stage blank outside one society: a domain."""
    inside = design.data[ORG].to_numpy() == org
    data = design.data.copy()
    for name in (column, "career_stage"):
        data[name] = np.where(inside, data[name].astype(str), "")
    return dataclasses.replace(design, data=data)


def _worst(*statuses: str | None) -> str:
    order = {PUBLISHED: 0, UNRELIABLE: 1, SECONDARY: 2, PRIMARY: 3}
    present = [s if s is not None else PRIMARY for s in statuses]
    return max(present, key=lambda s: order[s])


# -- columns and labels ---------------------------------------------------------------------------


def _population_column(ctx: WaveContext) -> Column:
    return Column(
        "population", "Population",
        description="The consortium (all societies together) or one society",
        categories=((CONSORTIUM, "Consortium"), *ctx.organizations.items()),
    )


def _count_column(title: str) -> Column:
    return Column("count", title, "integer", unit="people",
                  description="Null where the disclosure gate withheld it")


def _share_column() -> Column:
    return Column("share", "Share", "number", unit="proportion",
                  description="Of the population's total; null where the count or the total "
                  "is withheld")


def _coded(column: str):
    """The standard's dimension, or the derived view, whose codes fill `column`."""
    standard = load_standard()
    if column in standard.dimensions:
        return standard.dimensions[column]
    for view in standard.views.values():
        if view.column == column:
            return view
    raise KeyError(f"{column!r} is not a dimension or view of the standard")


def _code_labels(column: str) -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in _coded(column).codes]


def _code_column(name: str, title: str, column: str, *, keep: list[str] | None = None,
                 total: bool = False) -> Column:
    labels = _code_labels(column)
    if keep is not None:
        labels = [(c, label) for c, label in labels if c in keep]
    if total:
        labels = [*labels, ("Total", "Everyone")]
    return Column(name, title, categories=tuple(labels),
                  description=f"Codes of {column} in the data standard")


def _ordered(data: pd.DataFrame, column: Column, key: str = "category") -> pd.DataFrame:
    """Rows in population order, then in the order of the column's categories."""
    order = {code: i for i, (code, _) in enumerate(column.categories)}
    populations = {CONSORTIUM: -1}
    rank_population = data["population"].map(lambda p: populations.get(p, 0))
    data = data.assign(_p=rank_population, _c=data[key].map(lambda c: order.get(c, len(order))))
    data = data.sort_values(["_p", "population", "_c"], kind="stable")
    return data.drop(columns=["_p", "_c"]).reset_index(drop=True)


def _population_sort_key(ctx: WaveContext):
    order = {p: i for i, p in enumerate(ctx.populations())}

    def key(series: pd.Series) -> pd.Series:
        return series.map(order) if series.name == "population" else series

    return key


def _table(indicator: Indicator, columns, data: pd.DataFrame, ctx: WaveContext, *, gated: str,
           name: str | None = None, title: str | None = None) -> PublishedTable:
    data = data.reset_index(drop=True)
    for column in columns:
        if column.type == "integer":
            data[column.name] = data[column.name].astype("Int64")
        elif column.type == "number":
            data[column.name] = pd.to_numeric(data[column.name], errors="coerce").astype(float)
    source = ("Membership records" if indicator.source == "membership"
              else f"Survey wave {ctx.wave.wave}")
    return PublishedTable(
        name=name or indicator.id,
        title=title or indicator.title,
        description=f"{indicator.numerator}, over {indicator.denominator}. Population: "
        f"{indicator.population}.",
        indicator=indicator.id,
        columns=tuple(columns),
        data=data[[c.name for c in columns]],
        sources=(source,),
        gated=gated,
    )


def _blank_to_unknown(records: pd.DataFrame, standard) -> pd.DataFrame:
    """Blank codes of single-valued dimensions read as unknown (not collected)."""
    records = records.copy()
    for name in standard.dimensions:
        if name in records.columns and name not in ("race_ethnicity_detail", "us_region"):
            records[name] = records[name].replace("", "unknown")
    return records
