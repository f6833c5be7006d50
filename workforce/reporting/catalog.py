"""The indicator catalog: what the report measures, as data (`data/indicators.yaml`).

An indicator names its kind (the computation), its source (membership records or a survey
wave), its definition in words (numerator, denominator, population, standard view), its
benchmark and how it is shown. The loader checks the catalog against the standard and the
benchmarks and names the file, indicator and key of every mistake, all at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workforce.standard.benchmarks import load_benchmarks
from workforce.standard.loader import load_standard

CATALOG_PATH = Path(__file__).parent / "data" / "indicators.yaml"

KINDS = {
    "composition": ("dimension",),
    "representation": ("dimension",),
    "pipeline": ("group", "stages"),
    "intersection": ("dimensions",),
    "agreement": ("item", "agree"),
    "scale_score": ("items", "scale"),
    "prevalence": ("items", "experienced"),
    "item_response": ("dimensions",),
    "response_rate": ("segments",),
}
SOURCES = ("membership", "survey", "both")
DISPLAYS = ("bars", "dots", "pipeline", "table", "gaps")
DEFINITION_KEYS = ("numerator", "denominator", "population")


class CatalogError(ValueError):
    """The catalog contradicts itself, the standard or the benchmarks."""


@dataclass(frozen=True)
class Theme:
    id: str
    title: str
    summary: str


@dataclass(frozen=True)
class Comparison:
    """Groups compared in the climate and harassment indicators, and the reference group."""

    id: str
    title: str
    column: str
    groups: tuple[str, ...]
    reference: str
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, code: str, standard_label: str) -> str:
        return self.labels.get(code, standard_label)


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    theme: str
    kind: str
    source: str
    numerator: str
    denominator: str
    population: str
    display: str
    view: str = ""
    settings: dict[str, Any] = field(default_factory=dict)  # the kind's own keys

    @property
    def benchmarks(self) -> tuple[str, ...]:
        if "benchmarks" in self.settings:
            return tuple(self.settings["benchmarks"])
        if "benchmark" in self.settings:
            return (self.settings["benchmark"],)
        return ()

    def definition(self) -> dict[str, str]:
        out = {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "population": self.population,
        }
        if self.view:
            out["view"] = self.view
        return out


@dataclass(frozen=True)
class Headline:
    """One figure at the top of the report: a value of one row of a published table."""

    table: str
    where: dict[str, str]
    value: str  # the column shown: estimate, share, rate, index, invited, count …
    says: str


@dataclass(frozen=True)
class Catalog:
    version: int
    themes: tuple[Theme, ...]
    comparisons: tuple[Comparison, ...]
    indicators: tuple[Indicator, ...]
    text: str  # the YAML as read, shipped in the open data package
    headline: tuple[Headline, ...] = ()

    def indicator(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(f"the catalog has no indicator {indicator_id!r}")

    def in_theme(self, theme: str) -> list[Indicator]:
        return [i for i in self.indicators if i.theme == theme]


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and check the catalog; a `CatalogError` lists every problem by indicator and key."""
    path = Path(path or CATALOG_PATH)
    text = path.read_text(encoding="utf-8")
    raw = yaml.safe_load(text) or {}
    problems: list[str] = []
    standard = load_standard()
    columns = _known_columns(standard)
    benchmarks = {b.id: b for b in load_benchmarks()}

    themes = tuple(
        Theme(str(t["id"]), str(t["title"]), str(t.get("summary", "")))
        for t in raw.get("themes", [])
    )
    theme_ids = {t.id for t in themes}

    comparisons = []
    for entry in raw.get("comparisons", []):
        where = f"comparison {entry.get('id')!r}"
        column = str(entry.get("column", ""))
        groups = tuple(str(g) for g in entry.get("groups", []))
        reference = str(entry.get("reference", ""))
        if column not in columns:
            problems.append(f"{where}: column {column!r} is not a dimension or derived view")
        elif unknown := [g for g in groups if g not in columns[column]]:
            problems.append(f"{where}: groups {unknown} are not codes of {column}")
        if reference not in groups:
            problems.append(f"{where}: the reference {reference!r} is not one of its groups")
        labels = {str(k): str(v) for k, v in (entry.get("labels") or {}).items()}
        comparisons.append(
            Comparison(str(entry.get("id")), str(entry.get("title")), column, groups, reference,
                       labels)
        )

    indicators = []
    seen: set[str] = set()
    for position, entry in enumerate(raw.get("indicators", []), start=1):
        indicator_id = str(entry.get("id", f"#{position}"))
        where = f"indicator {indicator_id!r}"
        if indicator_id in seen:
            problems.append(f"{where}: the id is used twice")
        seen.add(indicator_id)
        kind = entry.get("kind")
        if kind not in KINDS:
            problems.append(f"{where}: kind {kind!r} is not one of {sorted(KINDS)}")
            continue
        missing = [
            key
            for key in ("title", "theme", "source", "display", *DEFINITION_KEYS, *KINDS[kind])
            if key not in entry
        ]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if entry["theme"] not in theme_ids:
            problems.append(f"{where}: theme {entry['theme']!r} is not declared under themes")
        if entry["source"] not in SOURCES:
            problems.append(f"{where}: source {entry['source']!r} is not one of {SOURCES}")
        if entry["display"] not in DISPLAYS:
            problems.append(f"{where}: display {entry['display']!r} is not one of {DISPLAYS}")
        for key in ("dimension",):
            if key in entry and entry[key] not in columns:
                problems.append(f"{where}: {key} {entry[key]!r} is not a dimension or view")
        for name in entry.get("dimensions", []):
            if name not in columns:
                problems.append(f"{where}: dimensions: {name!r} is not a dimension or view")
        for benchmark_id in entry.get("benchmarks", [entry["benchmark"]] if "benchmark" in entry
                                      else []):
            benchmark = benchmarks.get(benchmark_id)
            if benchmark is None:
                problems.append(f"{where}: benchmark {benchmark_id!r} is not in benchmarks.yaml")
            elif benchmark.view != entry.get("view", entry.get("dimension")):
                problems.append(
                    f"{where}: benchmark {benchmark_id!r} tabulates the {benchmark.view!r} view, "
                    f"not {entry.get('view', entry.get('dimension'))!r}"
                )
        settings = {
            key: value
            for key, value in entry.items()
            if key not in ("id", "title", "theme", "kind", "source", "display", "view",
                           *DEFINITION_KEYS)
        }
        indicators.append(
            Indicator(
                indicator_id,
                str(entry["title"]),
                str(entry["theme"]),
                kind,
                str(entry["source"]),
                str(entry["numerator"]),
                str(entry["denominator"]),
                str(entry["population"]),
                str(entry["display"]),
                str(entry.get("view", "")),
                settings,
            )
        )
    headline = []
    # Table names: an indicator's id, or its id with a suffix for a second table.
    tables = {i.id for i in indicators} | {f"{i.id}_glass_ceiling" for i in indicators
                                            if i.kind == "pipeline"}
    for position, entry in enumerate(raw.get("headline", []), start=1):
        where = f"headline {position}"
        missing = [k for k in ("table", "value", "says") if k not in entry]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if entry["table"] not in tables:
            problems.append(f"{where}: table {entry['table']!r} is not a table of the catalog")
        headline.append(Headline(str(entry["table"]), {str(k): str(v) for k, v in
                                                        (entry.get("where") or {}).items()},
                                 str(entry["value"]), str(entry["says"])))
    if problems:
        raise CatalogError(f"{path}:\n  " + "\n  ".join(problems))
    return Catalog(int(raw.get("version", 1)), themes, tuple(comparisons), tuple(indicators), text,
                   tuple(headline))


def _known_columns(standard) -> dict[str, set[str]]:
    """Every dimension and derived-view column, with its codes."""
    out = {name: {c.code for c in dim.codes} for name, dim in standard.dimensions.items()}
    for view in standard.views.values():
        if "{code}" not in view.column:
            out[view.column] = set(view.code_list)
    return out
