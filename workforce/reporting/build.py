"""The benchmark report, end to end: compute, gate, track goals, write HTML, PDF and data.

`build_report` computes every indicator of the catalog for the report's wave (and, for the
goals, each earlier wave from the goal's baseline), all through the disclosure gate, and
returns a `Report`. `write_report` writes it: `report.html` (self-contained: inline CSS and
SVG charts), `report.pdf` (the same HTML through WeasyPrint's print styles), and `data/`, the
open data package of exactly the tables the report shows. A society's report holds the
society's figures and the consortium's, from the same protected tables as the consortium's
report: no other society's small cells can be worked out from it.

Nothing reads the clock: the report's date is the inputs' `created`, so the same inputs give
byte-identical HTML, CSVs and data package.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

import workforce
from workforce.disclosure.gate import GateResult
from workforce.reporting.catalog import Catalog, load_catalog
from workforce.reporting.compute import WaveTables, compute_wave
from workforce.reporting.counts import CONSORTIUM
from workforce.reporting.focus_groups import FocusGroupSection, build_focus_groups
from workforce.reporting.goals import Goal, GoalProgress, WavePoint, progress
from workforce.reporting.inputs import ReportInputs
from workforce.reporting.tables import PUBLISHED, PublishedTable
from workforce.standard.loader import load_standard

Progress = Callable[[str, int, int], None]


@dataclass
class GateSummary:
    source: str
    tables: int
    cells: int
    primary: int
    secondary: int
    passed: bool
    attackers: tuple[str, ...]


@dataclass
class Report:
    inputs: ReportInputs
    catalog: Catalog
    wave: str
    organization: str  # "consortium" or a society code
    tables: list[PublishedTable]
    goals: list[GoalProgress]
    weighting: dict
    gates: list[GateSummary]
    threshold: int
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    # Focus groups and open-text comments: the consortium's, in every report.
    qualitative: list[FocusGroupSection] = field(default_factory=list)

    @property
    def populations(self) -> list[str]:
        if self.organization == CONSORTIUM:
            return [CONSORTIUM, *self.inputs.organizations]
        return [self.organization, CONSORTIUM]

    @property
    def title(self) -> str:
        if self.organization == CONSORTIUM:
            return f"{self.inputs.title} {self.wave}"
        name = self.inputs.organizations[self.organization]
        return f"{self.inputs.title} {self.wave}: {name}"

    def population_label(self, code: str) -> str:
        return "Consortium" if code == CONSORTIUM else self.inputs.organizations.get(code, code)

    def population_short(self, code: str) -> str:
        """A column heading: the society's code in capitals (names are in the methods)."""
        return "Consortium" if code == CONSORTIUM else code.upper()

    def table(self, name: str) -> PublishedTable:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"the report has no table {name!r}")


def build_report(
    inputs: ReportInputs,
    *,
    wave: str | None = None,
    organization: str | None = None,
    catalog: Catalog | None = None,
    threshold: int = 5,
    progress_report: Progress | None = None,
) -> Report:
    """The consortium's report, or with `organization` a society's (see `for_organization`)."""
    if organization not in (None, CONSORTIUM) and organization not in inputs.organizations:
        raise ValueError(
            f"no organization {organization!r}; the inputs hold "
            f"{', '.join(inputs.organizations)}"
        )
    catalog = catalog or load_catalog()
    wave = inputs.wave(wave).wave
    main = compute_wave(inputs, catalog, wave, threshold=threshold, progress=progress_report)
    goals = list(inputs.goals)
    earlier: dict[str, WaveTables] = {wave: main}
    for goal in goals:
        for data in inputs.waves_through(wave):
            if data.wave < goal.baseline_wave or data.wave in earlier:
                continue
            # Only the goals' indicators, but each on every table of its source as that
            # wave's own report protects them (`compute_wave`): an earlier figure beside a
            # goal is exactly what that report published (two patterns of one wave could be
            # differenced).
            earlier[data.wave] = compute_wave(
                inputs, catalog, data.wave, threshold=threshold, progress=progress_report,
                indicators=sorted({g.indicator for g in goals}),
                membership_tables=main.context.membership,
            )
    tracked = [
        progress(goal, [_point(goal, earlier[w.wave]) for w in inputs.waves_through(wave)
                        if w.wave >= goal.baseline_wave and w.wave in earlier])
        for goal in goals
        if goal.baseline_wave in inputs.waves and goal.baseline_wave <= wave
    ]
    ctx = main.context
    gates = [
        _gate_summary(name, [getattr(ctx, source).result], len(getattr(ctx, source).specs))
        for name, source in (("Membership records", "membership"), ("Survey respondents",
                                                                     "survey"),
                             ("Invitation frame", "frame"))
        if getattr(ctx, source).specs
    ]
    versions = {
        "standard": load_standard().version,
        "indicator catalog": str(catalog.version),
        "workforce": workforce.__version__,
        **({"instrument": inputs.waves[wave].instrument} if inputs.waves[wave].instrument
           else {}),
        **inputs.versions,
    }
    tables = list(main.tables)
    sections = []
    for qualitative in inputs.qualitative:
        if progress_report:
            progress_report(qualitative.kind.title.lower(), 0, 1)
        # People are counted by theme and group through the gate, like every other count.
        section = build_focus_groups(qualitative, threshold=threshold)
        sections.append(section)
        tables += section.tables
        versions[f"codebook ({qualitative.kind.title.lower()})"] = \
            f"version {section.codebook_version}"
        gates.append(_gate_summary(section.kind.people.capitalize(), section.gates,
                                   sum(len(g.space.tables) for g in section.gates)))
    report = Report(inputs, catalog, wave, CONSORTIUM, tables, tracked, ctx.weighting,
                    gates, threshold, list(ctx.notes), versions, sections)
    return report if organization in (None, CONSORTIUM) else for_organization(report,
                                                                              organization)


def for_organization(report: Report, organization: str) -> Report:
    """A society's report: its rows and the consortium's, of the same protected tables.

    Nothing is computed again: the consortium's report already holds every society's rows,
    protected together, so the society's report shows a subset of what the gate published.
    """
    if organization not in report.inputs.organizations:
        raise ValueError(f"no organization {organization!r}")
    keep = {CONSORTIUM, organization}
    return replace(
        report,
        organization=organization,
        tables=[_only(table, keep) for table in report.tables],
        goals=[g for g in report.goals if g.goal.organization in keep],
    )


def _only(table: PublishedTable, populations: set[str]) -> PublishedTable:
    """The table's rows for the report's populations (a society's report: it and the whole)."""
    if "population" not in table.data.columns:
        return table
    data = table.data[table.data["population"].isin(populations)].reset_index(drop=True)
    column = table.column("population")
    categories = tuple((c, label) for c, label in column.categories if c in populations)
    columns = tuple(
        c if c.name != "population" else type(c)(c.name, c.title, c.type, c.description,
                                                   categories, c.unit)
        for c in table.columns
    )
    return PublishedTable(table.name, table.title, table.description, table.indicator, columns,
                          data, table.sources, table.gated, table.notes)


def _point(goal: Goal, computed: WaveTables) -> WavePoint:
    """The goal's figure in one wave's tables (None where the gate withheld it)."""
    table = next(t for t in computed.tables if t.name == goal.indicator)
    rows = table.data[table.data["population"] == goal.organization]
    if goal.category:
        rows = rows[rows["category"] == goal.category]
    if goal.comparison:
        rows = rows[(rows["comparison"] == goal.comparison) & (rows["group"] == goal.group)]
    if rows.empty:
        return WavePoint(computed.wave, None, None, None, None, math.inf, "primary")
    row = rows.iloc[0]
    value = row.get("estimate", row.get("share"))
    if row["status"] != PUBLISHED or pd.isna(value):
        return WavePoint(computed.wave, None, None, None, None, math.inf, str(row["status"]))
    return WavePoint(
        computed.wave,
        float(value),
        _float(row.get("se")),
        _float(row.get("ci_low")),
        _float(row.get("ci_high")),
        math.inf,
        PUBLISHED,
    )


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _gate_summary(name: str, results: Sequence[GateResult], tables: int) -> GateSummary:
    """What the methods say of one source's protection: its tables, cells, withheld cells,
    the audit's verdict and the attackers it considered (over every result given)."""
    return GateSummary(
        source=name,
        tables=tables,
        cells=sum(int(r.space.size) for r in results),
        primary=sum(int((r.status == "primary").sum()) for r in results),
        secondary=sum(int((r.status == "secondary").sum()) for r in results),
        passed=all(bool(r.publishable) for r in results),
        attackers=tuple(dict.fromkeys(i for r in results for i in r.insiders)),
    )
