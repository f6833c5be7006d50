"""Writing a report: `report.html`, `report.pdf` and the open data package in `data/`."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from workforce.reporting.build import Report
from workforce.reporting.counts import CONSORTIUM
from workforce.reporting.datapackage import ExtraFile, write_data_package
from workforce.reporting.html import render_html


@dataclass(frozen=True)
class WrittenReport:
    html: Path
    pdf: Path | None
    package: Path  # datapackage.json
    summary: Path  # report.json: what ran, for tools


def write_report(report: Report, out_dir: Path, *, pdf: bool = True) -> WrittenReport:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = render_html(report)
    html_path = _write_text(out_dir / "report.html", page)
    pdf_path = None
    if pdf:
        pdf_path = write_pdf(page, out_dir / "report.pdf")
    package = write_package(report, out_dir / "data")
    summary = _write_text(out_dir / "report.json", json.dumps(summary_of(report), indent=2,
                                                                sort_keys=True) + "\n")
    return WrittenReport(html_path, pdf_path, package, summary)


def write_pdf(page: str, path: Path) -> Path:
    """The HTML through WeasyPrint's print styles (fonts embedded, charts as vectors)."""
    import weasyprint

    # WeasyPrint warns about CSS it ignores (the screen-only rules); that is expected.
    for name in ("weasyprint", "weasyprint.progress"):
        logging.getLogger(name).setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    partial = path.with_name(path.name + ".partial")
    # A fixed creation date keeps the PDF identical from run to run.
    weasyprint.HTML(string=page).write_pdf(partial, uncompressed_pdf=False,
                                           custom_metadata=False)
    os.replace(partial, path)
    return path


def write_package(report: Report, out_dir: Path) -> Path:
    catalog_file = ExtraFile(
        path="catalog/indicators.yaml",
        content=report.catalog.text.encode("utf-8"),
        title="Indicator catalog",
        description="Every indicator's definition: numerator, denominator, population, "
        "standard view, source, benchmark and display",
        mediatype="application/yaml",
        format="yaml",
    )
    codebook = ExtraFile(
        path="catalog/codebook.csv",
        content=_codebook(report).encode("utf-8"),
        title="Codebook",
        description="Every coded column of the tables: its codes and their labels",
        mediatype="text/csv",
        format="csv",
    )
    inputs = report.inputs
    who = "consortium" if report.organization == CONSORTIUM else report.organization
    return write_data_package(
        report.tables,
        out_dir,
        name=f"workforce-benchmark-{who}-{report.wave}",
        title=report.title,
        description=(
            f"The published tables of the {report.title}, each passed through the disclosure "
            "gate: withheld values are empty, and each row's status says why."
        ),
        version=f"{report.wave}.{report.catalog.version}",
        created=inputs.created or f"{report.wave}-12-31",
        sources=[{"title": s.description, "path": s.path, "x-sha256": s.sha256}
                 for s in inputs.sources],
        extra_files=[catalog_file, codebook],
    )


def summary_of(report: Report) -> dict:
    return {
        "title": report.title,
        "wave": report.wave,
        "organization": report.organization,
        "threshold": report.threshold,
        "tables": [t.name for t in report.tables],
        "withheld": {t.name: int((t.data["status"] != "published").sum()) for t in report.tables},
        "gates": [g.__dict__ | {"attackers": list(g.attackers)} for g in report.gates],
        "goals": [
            {"goal": p.goal.as_dict(), "change": p.change, "change_low": p.change_low,
             "change_high": p.change_high, "distinguishable": p.distinguishable,
             "statement": p.statement}
            for p in report.goals
        ],
        "versions": report.versions,
        "sources": [s.__dict__ for s in report.inputs.sources],
    }


def _codebook(report: Report) -> str:
    import csv
    import io

    seen = set()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "column", "code", "label"])
    for table in report.tables:
        for column in table.columns:
            for code, label in column.categories:
                key = (table.name, column.name, code)
                if key not in seen:
                    seen.add(key)
                    writer.writerow([table.name, column.name, code, label])
    return buffer.getvalue()


def _write_text(path: Path, text: str) -> Path:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8", newline="\n")
    os.replace(partial, path)
    return path
