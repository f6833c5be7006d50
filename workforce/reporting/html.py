"""The report as one self-contained HTML page (and, through WeasyPrint, the same as PDF).

Everything shown is read off the report's published tables: a value the gate withheld is a
dash with a footnote giving the reason. Charts are inline SVG (`charts`), styles are inline,
nothing is fetched, so the file can be mailed, archived and opened offline.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd

from workforce.reporting import charts
from workforce.reporting.build import Report
from workforce.reporting.catalog import Indicator
from workforce.reporting.counts import CONSORTIUM
from workforce.reporting.tables import PUBLISHED, STATUSES, PublishedTable
from workforce.standard.benchmarks import get_benchmark

TEMPLATES = Path(__file__).parent / "templates"
FOOTNOTE_MARKS = {"primary": "a", "secondary": "b", "unreliable": "c"}
DASH = "—"


@dataclass
class Cell:
    text: str
    mark: str = ""  # footnote letter of a withheld value
    numeric: bool = True


@dataclass
class DisplayTable:
    caption: str
    header: list[str]
    rows: list[tuple[str, list[Cell]]]
    footnotes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Figure:
    indicator: Indicator
    anchor: str
    definition: str
    chart: str  # inline SVG, or ""
    tables: list[DisplayTable]
    notes: list[str] = field(default_factory=list)


@dataclass
class Section:
    anchor: str
    title: str
    summary: str
    figures: list[Figure]


def render_html(report: Report) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("report.html.j2")
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    sections = [_section(report, theme) for theme in report.catalog.themes]
    return template.render(
        report=report,
        css=css,
        headline=_headline(report),
        goals=_goals(report),
        sections=[s for s in sections if s.figures],
        methods=_methods(report),
        qualitative=[_qualitative(section) for section in report.qualitative],
        statuses=[(FOOTNOTE_MARKS[s], text) for s, text in STATUSES.items() if s != PUBLISHED],
        main=report.population_label(report.populations[0]),
    )


# -- sections ------------------------------------------------------------------------------------


def _section(report: Report, theme) -> Section:
    figures = []
    for indicator in report.catalog.in_theme(theme.id):
        tables = [t for t in report.tables if t.indicator == indicator.id]
        if not tables:
            continue
        figures.append(FIGURE_BUILDERS[indicator.kind](report, indicator, tables))
    return Section(theme.id, theme.title, theme.summary, figures)


def _figure_composition(report: Report, indicator: Indicator, tables) -> Figure:
    table = tables[0]
    data = table.data[table.data["category"] != "Total"]
    labels = dict(table.column("category").categories)
    survey = "estimate" in data.columns
    value = "estimate" if survey else "share"
    shown = _chart_populations(report)
    rows = data[data["population"].isin(shown)]
    chart_rows = pd.DataFrame({
        "label": rows["category"].map(labels),
        "estimate": rows[value],
        "ci_low": rows["ci_low"] if survey else math.nan,
        "ci_high": rows["ci_high"] if survey else math.nan,
        "status": rows["status"],
        "population": rows["population"].map(report.population_label),
    })
    chart = charts.composition_chart(
        chart_rows, title=indicator.title, description=_description(indicator),
        series="population" if len(shown) > 1 else None,
        axis_title="Share, with 95% confidence interval" if survey else "Share of members",
    )

    def cell(row) -> Cell:
        if survey:
            return _share_with_interval(row)
        if row["status"] != PUBLISHED:
            return _withheld(row["status"])
        share = "" if pd.isna(row["share"]) else f" ({_percent(row['share'])})"
        return Cell(f"{int(row['count']):,}{share}")

    display = _by_population(report, table, "category", labels, cell,
                             caption=f"{indicator.title}: "
                             + ("weighted share (95% CI)" if survey else "members (share)"))
    return Figure(indicator, indicator.id, _definition(indicator), chart, [display])


def _figure_representation(report: Report, indicator: Indicator, tables) -> Figure:
    table = tables[0]
    main = report.populations[0]
    labels = dict(table.column("category").categories)
    benchmarks = dict(table.column("benchmark").categories)
    rows = table.data[table.data["population"] == main]
    several = rows["benchmark"].nunique() > 1
    chart_rows = pd.DataFrame({
        "label": rows["category"].map(labels),
        "ratio": rows["ratio"],
        "ci_low": rows["ci_low"],
        "ci_high": rows["ci_high"],
        "status": rows["status"],
        "series": rows["benchmark"].map(benchmarks),
    })
    if not several:
        chart_rows = chart_rows.drop(columns="series")
    chart = charts.representation_chart(chart_rows, title=indicator.title,
                                        description=_description(indicator))
    displays = []
    for benchmark_id, title in benchmarks.items():
        part = table.data[table.data["benchmark"] == benchmark_id]
        benchmark = get_benchmark(benchmark_id)

        def cell(row) -> Cell:
            if row["status"] != PUBLISHED or pd.isna(row["ratio"]):
                return _withheld(row["status"])
            if pd.isna(row["ci_low"]):  # nobody in the group here: no log-scale interval
                return Cell(f"{row['ratio']:.2f}")
            return Cell(f"{row['ratio']:.2f} ({row['ci_low']:.2f}–{row['ci_high']:.2f})")

        display = _by_population(
            report, PublishedTable(table.name, table.title, table.description, table.indicator,
                                   table.columns, part.reset_index(drop=True)),
            "category", labels, cell,
            caption=f"Representation ratio (95% CI) against: {title} ({benchmark.year})",
        )
        # The benchmark's own share, beside each category.
        shares = dict(zip(part["category"], part["benchmark_share"], strict=False))
        display.header.insert(1, "Benchmark share")
        display.rows = [
            (label, [Cell(_percent(shares.get(code, math.nan))), *cells])
            for (label, cells), code in zip(display.rows, _codes_in_order(part, labels),
                                            strict=True)
        ]
        displays.append(display)
    notes = [f"{get_benchmark(b).title}: {get_benchmark(b).citation}" for b in benchmarks]
    return Figure(indicator, indicator.id, _definition(indicator), chart, displays, notes)


def _figure_pipeline(report: Report, indicator: Indicator, tables) -> Figure:
    shares = next(t for t in tables if t.name == indicator.id)
    stages = dict(shares.column("stage").categories)
    rows = shares.data[shares.data["population"].isin(_chart_populations(report))]
    chart_rows = pd.DataFrame({
        "stage": rows["stage"].map(stages),
        "group": rows["population"].map(report.population_label),
        "estimate": rows["estimate"],
        "ci_low": rows["ci_low"],
        "ci_high": rows["ci_high"],
        "status": rows["status"],
    })
    chart = charts.pipeline_chart(chart_rows, title=indicator.title,
                                  description=_description(indicator))
    display = _by_population(report, shares, "stage", stages, _share_with_interval,
                             caption=f"{indicator.title}: weighted share (95% CI)")
    displays = [display]
    gci = [t for t in tables if t.name.endswith("_glass_ceiling")]
    if gci:
        table = gci[0]
        rows_out = []
        for population in report.populations:
            row = table.data[table.data["population"] == population]
            if row.empty:
                continue
            row = row.iloc[0]
            if row["status"] != PUBLISHED or pd.isna(row["index"]):
                cell = _withheld(row["status"])
            else:
                cell = Cell(f"{row['index']:.2f} ({row['ci_low']:.2f}–{row['ci_high']:.2f})")
            rows_out.append((report.population_label(population), [cell]))
        displays.append(_with_footnotes(DisplayTable(
            f"{indicator.title}: Glass Ceiling Index (95% CI), the share among all stages "
            "over the share among senior members; above 1, the group is less present at the "
            "top",
            ["Population", "Glass Ceiling Index"], rows_out)))
    return Figure(indicator, indicator.id, _definition(indicator), chart, displays)


def _figure_intersection(report: Report, indicator: Indicator, tables) -> Figure:
    table = tables[0]
    dims = [c.name for c in table.columns[1:3]]
    row_labels = dict(table.column(dims[0]).categories)
    col_labels = dict(table.column(dims[1]).categories)
    main = report.populations[0]
    data = table.data[table.data["population"] == main]
    columns = [c for c in col_labels if c in set(data[dims[1]])]
    rows = []
    for code, label in row_labels.items():
        part = data[data[dims[0]] == code].set_index(dims[1])
        if part.empty:
            continue
        cells = []
        for column in columns:
            row = part.loc[column]
            cells.append(_withheld(row["status"]) if row["status"] != PUBLISHED
                         else Cell(f"{int(row['count']):,}"))
        rows.append((label, cells))
    display = _with_footnotes(DisplayTable(
        f"{indicator.title}: {report.population_label(main)}, members",
        [table.column(dims[0]).title, *[col_labels[c] for c in columns]], rows))
    notes = []
    if report.organization == CONSORTIUM:
        notes.append("Each society's table is in the open data package.")
    return Figure(indicator, indicator.id, _definition(indicator), "", [display], notes)


def _figure_group_estimates(report: Report, indicator: Indicator, tables) -> Figure:
    table = tables[0]
    main = report.populations[0]
    comparisons = dict(table.column("comparison").categories)
    plain = dict(table.column("group").categories)
    named = {c.id: c for c in report.catalog.comparisons}

    def group_label(comparison: str, code: str) -> str:
        """The catalog's own name of a group ("LGBTQ+"), or "Gender: Woman"."""
        found = named.get(comparison)
        if found and code in found.labels:
            return found.labels[code]
        return f"{comparisons[comparison]}: {plain.get(code, code)}"

    data = table.data
    score = indicator.kind == "scale_score"
    mine = data[(data["population"] == main) & (data["comparison"] != "all")]
    references = {c.id: c.reference for c in report.catalog.comparisons}
    chart_rows = []
    for row in mine.to_dict("records"):
        if row["group"] == references.get(row["comparison"]):
            continue
        reference = mine[(mine["comparison"] == row["comparison"])
                         & (mine["group"] == references.get(row["comparison"]))]
        chart_rows.append({
            "label": group_label(row["comparison"], row["group"]),
            "estimate": row["estimate"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
            # A withheld reference draws no hollow point; the group's own figure still shows.
            "reference": reference["estimate"].iloc[0] if len(reference)
            and reference["status"].iloc[0] == PUBLISHED else math.nan,
            "status": row["status"],
        })
    chart = charts.gap_chart(
        pd.DataFrame(chart_rows, columns=["label", "estimate", "ci_low", "ci_high",
                                          "reference", "status"]),
        title=f"{indicator.title}: {report.population_label(main)}",
        description=_description(indicator) + " Hollow points are each comparison's "
        "reference group.",
        reference_label="Reference group",
        scale_domain=(1.0, 5.0) if score else None,
    )
    header = ["Group", *[report.population_short(p) for p in report.populations],
              f"Gap to reference ({report.population_short(main)})"]
    rows = []
    for (comparison, group), part in data.groupby(["comparison", "group"], sort=False):
        label = "Everyone"
        if comparison != "all":
            label = group_label(comparison, group)
            if group == references.get(comparison):
                label += " (reference)"
        cells = []
        for population in report.populations:
            row = part[part["population"] == population]
            cells.append(_withheld("primary") if row.empty else
                         _estimate_cell(row.iloc[0], score))
        own = part[part["population"] == main]
        if own.empty or pd.isna(own.iloc[0]["gap"]):
            cells.append(Cell(DASH if comparison != "all" and group != references.get(
                comparison) else ""))
        else:
            gap = own.iloc[0]
            cells.append(Cell(_signed(gap["gap"], score) + f" ({_signed(gap['gap_low'], score)}"
                              f" to {_signed(gap['gap_high'], score)})"))
        rows.append((label, cells))
    display = _with_footnotes(DisplayTable(
        f"{indicator.title}: " + ("weighted mean score, 1-5 (95% CI)" if score
                                  else "weighted share (95% CI)"), header, rows))
    notes = ["A gap whose interval excludes zero is distinguishable from noise; "
             "a dash means the group or its reference group is withheld."]
    return Figure(indicator, indicator.id, _definition(indicator), chart, [display], notes)


def _figure_item_response(report: Report, indicator: Indicator, tables) -> Figure:
    table = tables[0]
    main = report.populations[0]
    dims = dict(table.column("dimension").categories)
    data = table.data[table.data["population"] == main]
    rows = []
    for dimension, title in dims.items():
        cells = []
        for source in ("membership", "survey"):
            for answer in ("declined", "unknown"):
                row = data[(data["dimension"] == dimension) & (data["source"] == source)
                           & (data["answer"] == answer)]
                if row.empty:
                    cells.append(Cell(DASH))
                    continue
                row = row.iloc[0]
                cells.append(_withheld(row["status"]) if row["status"] != PUBLISHED
                             or pd.isna(row["share"]) else Cell(_percent(row["share"])))
        rows.append((title, cells))
    display = _with_footnotes(DisplayTable(
        f"{indicator.title}: {report.population_label(main)}",
        ["Dimension", "Records: declined", "Records: unknown", "Survey: declined",
         "Survey: unknown"], rows))
    return Figure(indicator, indicator.id, _definition(indicator), "", [display])


def _figure_response_rate(report: Report, indicator: Indicator, tables) -> Figure:
    table = tables[0]
    segments = dict(table.column("segment").categories)
    categories = dict(table.column("category").categories)
    data = table.data
    first = next(iter(segments))
    rows = data[(data["segment"] == first) & data["population"].isin(_chart_populations(report))]
    chart = charts.composition_chart(
        pd.DataFrame({
            "label": rows["category"].map(categories),
            "estimate": rows["rate"], "ci_low": math.nan, "ci_high": math.nan,
            "status": rows["status"],
            "population": rows["population"].map(report.population_label),
        }),
        title=f"Response rate by {segments[first].lower()}",
        description="Completed over invited members, by the membership records' "
        f"{segments[first].lower()}.",
        series="population" if len(_chart_populations(report)) > 1 else None,
        axis_title="Response rate",
    )
    displays = []
    for segment, title in segments.items():
        part = data[data["segment"] == segment].reset_index(drop=True)

        def cell(row) -> Cell:
            if row["status"] != PUBLISHED or pd.isna(row["rate"]):
                return _withheld(row["status"])
            return Cell(f"{_percent(row['rate'])} ({int(row['completed']):,} of "
                        f"{int(row['invited']):,})")

        displays.append(_by_population(
            report, PublishedTable(table.name, table.title, table.description,
                                   table.indicator, table.columns, part),
            "category", categories, cell, caption=f"Response rate by {title.lower()}"))
    return Figure(indicator, indicator.id, _definition(indicator), chart, displays)


FIGURE_BUILDERS = {
    "composition": _figure_composition,
    "representation": _figure_representation,
    "pipeline": _figure_pipeline,
    "intersection": _figure_intersection,
    "agreement": _figure_group_estimates,
    "scale_score": _figure_group_estimates,
    "prevalence": _figure_group_estimates,
    "item_response": _figure_item_response,
    "response_rate": _figure_response_rate,
}


# -- the summary, goals and methods --------------------------------------------------------------


def _headline(report: Report) -> list[tuple[str, str, str]]:
    """(figure, what it says, note) for the catalog's headline, all from published rows."""
    main = report.populations[0]
    out = []
    for item in report.catalog.headline:
        try:
            data = report.table(item.table).data
        except KeyError:
            continue
        mask = data["population"] == main
        for key, value in item.where.items():
            mask &= data[key] == value
        rows = data[mask]
        if rows.empty:
            continue
        row = rows.iloc[0]
        if row["status"] != PUBLISHED or pd.isna(row[item.value]):
            out.append((DASH, item.says, FOOTNOTE_MARKS.get(row["status"], "a")))
            continue
        column = report.table(item.table).column(item.value)
        value = row[item.value]
        if column.type == "integer":
            figure = f"{int(value):,}"
        elif column.unit == "proportion":
            figure = _percent(value)
        else:
            figure = f"{value:.2f}"
        note = ""
        if "ci_low" in row and not pd.isna(row["ci_low"]) and item.value in ("estimate",
                                                                            "index"):
            low, high = ((_percent(row["ci_low"]), _percent(row["ci_high"]))
                         if column.unit == "proportion"
                         else (f"{row['ci_low']:.2f}", f"{row['ci_high']:.2f}"))
            note = f"95% CI {low}–{high}"
        out.append((figure, item.says, note))
    return out


@dataclass
class GoalView:
    title: str
    organization: str
    statement: str
    verdict: str  # "progress", "setback", "noise", "pending"
    chart: str


def _goals(report: Report) -> list[GoalView]:
    views = []
    for tracked in report.goals:
        goal = tracked.goal
        points = pd.DataFrame([
            {"wave": int(p.wave), "estimate": p.estimate, "ci_low": p.ci_low,
             "ci_high": p.ci_high, "status": p.status if p.estimate is not None else "primary"}
            for p in tracked.points
        ])
        chart = charts.trend_chart(
            points, title=goal.title,
            description=f"{goal.title}, each survey wave with its 95% confidence interval, "
            f"and the target of {_value(goal.target)} by {goal.target_year}.",
            target=goal.target, target_year=goal.target_year,
            baseline_year=int(goal.baseline_wave),
        )
        if tracked.distinguishable is None:
            verdict = "pending"
        elif not tracked.distinguishable:
            verdict = "noise"
        else:
            verdict = "progress" if (tracked.share_of_way or 0) > 0 else "setback"
        views.append(GoalView(goal.title, report.population_label(goal.organization),
                              tracked.statement, verdict, chart))
    return views


def _methods(report: Report) -> dict:
    weighting = report.weighting
    inputs = report.inputs
    return {
        "sources": inputs.sources,
        "wave": report.wave,
        "instrument": inputs.waves[report.wave].instrument,
        "raking": list(inputs.weighting),
        "converged": weighting.get("converged"),
        "iterations": weighting.get("iterations"),
        "deff": weighting.get("deff"),
        "changes": weighting.get("collapsed", []),
        "gates": report.gates,
        "threshold": report.threshold,
        "definitions": report.catalog.indicators,
        "versions": report.versions,
        "benchmarks": sorted({b for i in report.catalog.indicators for b in i.benchmarks}),
        "benchmark": get_benchmark,
        "notes": report.notes,
    }


# -- focus groups and open text ---------------------------------------------------------------


@dataclass
class QualitativeView:
    anchor: str
    title: str
    lede: str
    chart: str
    tables: list[DisplayTable]
    quotes: list[tuple[str, list[str]]]  # (theme label, quotes)
    withheld: str
    agreement: DisplayTable | None
    methods: str


def _qualitative(section) -> QualitativeView:
    """A focus-group or open-text section, read off its published tables."""
    kind = section.kind
    open_text = kind.key == "open_text"
    first = section.tables[0] if section.tables else None
    chart = ""
    if first is not None:
        total = first.data[first.data["group"] == "Total"]
        chart = charts.composition_chart(
            pd.DataFrame({"label": total["theme"].map(section.label),
                          "estimate": total["share"], "ci_low": math.nan, "ci_high": math.nan,
                          "status": total["status"]}),
            title=f"{kind.title}: who raised each theme",
            description=f"The share of all {kind.people} with at least one coded passage of "
            "each theme in their own words.",
            axis_title="Share of people")
    displays = []
    for table in section.tables:
        labels = dict(table.column("group").categories)
        order = [g for g in labels if g in set(table.data["group"])]

        def cell(row) -> Cell:
            if row["status"] != PUBLISHED:
                return _withheld(row["status"])
            return Cell(f"{int(row['count']):,} of {int(row['participants']):,} "
                        f"({_percent(row['share'])})")

        rows = []
        for theme in dict.fromkeys(table.data["theme"]):
            part = table.data[table.data["theme"] == theme].set_index("group")
            rows.append((section.label(theme), [cell(part.loc[g]) for g in order]))
        displays.append(_with_footnotes(DisplayTable(
            f"{table.title}: people who raised it, of the group (share)",
            ["Theme", *[labels[g] for g in order]], rows)))
    quotes = [(section.label(code), [q.text for q in chosen])
              for code, chosen in section.quotes.items()]
    withheld = ""
    if section.withheld:
        withheld = "Candidate quotes withheld by the checks: " + "; ".join(
            f"{n} {reason}" for reason, n in section.withheld_reasons) + "."
    coders = ("one coder" if len(section.coders) == 1
              else f"{len(section.coders)} coders")
    if open_text:
        lede = (f"{section.open_text:,} answers to the survey's open question, coded by "
                f"{coders} with the focus groups' codebook (version "
                f"{section.codebook_version}).")
    else:
        lede = (f"The consortium's {section.focus_groups} focus groups with "
                f"{section.participants} participants, coded by {coders} with codebook "
                f"version {section.codebook_version}.")
    lede += (" Counts of people who raised a theme pass the disclosure gate like every other "
             "count; each quote passed checks against every name, e-mail address, telephone "
             "number, institution and place on the identifying list and against the size of "
             "the speaker's group.")
    return QualitativeView(kind.anchor, kind.title, lede, chart, displays, quotes, withheld,
                           _agreement_table(section), _qualitative_methods(section))


def _agreement_table(section) -> DisplayTable | None:
    if not section.agreement:
        return None
    by_code: dict[str, dict[str, object]] = {}
    for figure in section.agreement:
        by_code.setdefault(figure.code, {})[figure.basis] = figure

    def shown(value, percent=False) -> Cell:
        if value is None:
            return Cell(DASH)
        return Cell(f"{value * 100:.1f}%" if percent else f"{value:.2f}")

    rows = []
    for code, bases in by_code.items():
        cells = []
        for basis in ("all_text", "coded"):
            figure = bases.get(basis)
            cells += [shown(getattr(figure, "percent", None), True),
                      shown(getattr(figure, "kappa", None)), shown(getattr(figure, "alpha", None))]
        rows.append((section.label(code), cells))
    return DisplayTable(
        f"Agreement between {', '.join(section.coders)}, per theme",
        ["Theme", "All text: agreement", "kappa", "alpha", "Coded text: agreement", "kappa",
         "alpha"], rows)


def _qualitative_methods(section) -> str:
    open_text = section.kind.key == "open_text"
    units = {f.basis: f for f in section.agreement}
    what = "Answers" if open_text else "Transcripts"
    text = (f"{what} were de-identified before coding: names became role tags such as "
            "[PARTICIPANT 3], and e-mail addresses, telephone numbers and the institutions and "
            "places the researchers listed became [EMAIL], [PHONE], [INSTITUTION] and "
            "[PLACE]; the originals are kept apart for the project's lead. ")
    all_text, coded = units.get("all_text"), units.get("coded")
    if all_text and coded:
        text += ("Agreement is given per theme on two bases: over all text (the unit is "
                 f"{all_text.unit}; {all_text.units:,} units), where text nobody coded counts "
                 "as agreement and inflates the figures, and over coded text (the unit is "
                 f"{coded.unit}; {coded.units:,} units). Cohen's kappa is for two coders, "
                 "Krippendorff's alpha (nominal) for any number. ")
    elif len(section.coders) < 2:
        text += "One coder coded these, so no agreement between coders can be given. "
    if open_text:
        text += "A respondent raised a theme when a passage of their answer was coded with it. "
    else:
        text += ("A participant raised a theme when a coded passage of it lies in their own "
                 "turn; the coders' codings are taken together (a passage either coder marked "
                 "counts). ")
    text += ("Quotes are coded passages of one person's words, 6 to 60 words long, printed "
             "only when they name nobody and nothing on the identifying list and the speaker's "
             f"group has at least {section.threshold} people.")
    return text


# -- cells and tables ----------------------------------------------------------------------------


def _by_population(report: Report, table: PublishedTable, key: str, labels: dict,
                   cell, *, caption: str) -> DisplayTable:
    """Rows of `key` (in the order of its labels), one column per population of the report."""
    data = table.data
    header = [table.column(key).title, *[report.population_short(p) for p in report.populations]]
    rows = []
    for code in _codes_in_order(data, labels, key):
        part = data[data[key] == code]
        cells = []
        for population in report.populations:
            row = part[part["population"] == population]
            cells.append(_withheld("primary") if row.empty else cell(row.iloc[0]))
        rows.append((labels.get(code, code), cells))
    return _with_footnotes(DisplayTable(caption, header, rows))


def _codes_in_order(data: pd.DataFrame, labels: dict, key: str = "category") -> list[str]:
    present = list(dict.fromkeys(data[key]))
    return [c for c in labels if c in present] + [c for c in present if c not in labels]


def _with_footnotes(display: DisplayTable) -> DisplayTable:
    marks = sorted({cell.mark for _, cells in display.rows for cell in cells if cell.mark})
    by_mark = {mark: status for status, mark in FOOTNOTE_MARKS.items()}
    display.footnotes = [(mark, STATUSES[by_mark[mark]]) for mark in marks]
    return display


def _withheld(status: str) -> Cell:
    return Cell(DASH, FOOTNOTE_MARKS.get(status, "a"))


def _share_with_interval(row) -> Cell:
    if row["status"] != PUBLISHED or pd.isna(row["estimate"]):
        return _withheld(row["status"])
    return Cell(f"{_percent(row['estimate'])} ({_percent(row['ci_low'], sign=False)}–"
                f"{_percent(row['ci_high'], sign=False)})")


def _estimate_cell(row, score: bool) -> Cell:
    if row["status"] != PUBLISHED or pd.isna(row["estimate"]):
        return _withheld(row["status"])
    if score:
        return Cell(f"{row['estimate']:.2f} ({row['ci_low']:.2f}–{row['ci_high']:.2f})")
    return _share_with_interval(row)


def _percent(value, sign: bool = True) -> str:
    if value is None or pd.isna(value):
        return DASH
    return f"{value * 100:.1f}%" if sign else f"{value * 100:.1f}"


def _signed(value: float, score: bool) -> str:
    return f"{value:+.2f}" if score else f"{value * 100:+.1f} pts"


def _value(value: float) -> str:
    return f"{value:.0%}" if abs(value) <= 1 else f"{value:.2f}"


def _chart_populations(report: Report) -> list[str]:
    """Charts compare a society with the consortium; the consortium's report shows itself."""
    return [report.organization, CONSORTIUM] if report.organization != CONSORTIUM else [
        CONSORTIUM]


def _definition(indicator: Indicator) -> str:
    text = (f"Numerator: {indicator.numerator}. Denominator: {indicator.denominator}. "
            f"Population: {indicator.population}.")
    if indicator.view:
        text += f" Standard view: {indicator.view}."
    return text


def _description(indicator: Indicator) -> str:
    return html.unescape(f"{indicator.title}. {indicator.numerator}, over "
                         f"{indicator.denominator}.")
