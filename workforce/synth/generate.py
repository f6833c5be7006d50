"""Generate the whole synthetic consortium into a directory and describe it in a manifest.

`generate` draws three societies, writes each one's membership export in its own format,
the ground-truth standard records behind every exported row, the survey frame, the survey
responses and their codebook, a README and `manifest.json`. Same seed and scale, same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.synth import codes
from workforce.synth.codes import filled
from workforce.synth.dirt import ExportRows
from workforce.synth.exports import acmg, ashg, nsgc
from workforce.synth.exports.common import zero_padded
from workforce.synth.files import sha256_of, write_csv, write_sav, write_xlsx
from workforce.synth.population import Population, assign_emails, draw_society
from workforce.synth.profiles import ORGS, load_profiles, society_size
from workforce.synth.survey import build_frame, codebook_rows, draw_responses

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SynthFile:
    """One generated file: where it is (relative to the output directory) and what it is.

    `rows` counts data rows (header excluded) of a table, and is 0 for a document (README).
    """

    path: str
    sha256: str
    rows: int
    description: str


@dataclass(frozen=True)
class SynthManifest:
    """What a run of `generate` wrote, with the inputs that reproduce it byte for byte."""

    seed: int
    scale: float
    year: int
    members: dict[str, int]
    files: tuple[SynthFile, ...]

    def to_json(self) -> str:
        payload = {
            "generator": "workforce.synth",
            "seed": self.seed,
            "scale": self.scale,
            "year": self.year,
            "members": self.members,
            "files": [asdict(f) for f in self.files],
        }
        return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_paths(year: int) -> dict[str, str]:
    return {
        "ashg": f"exports/ashg_members_{year}.xlsx",
        "nsgc": f"exports/nsgc_roster_{year}.csv",
        "acmg": f"exports/acmg_membership_{year}.sav",
    }


EXPORT_DESCRIPTIONS = {
    "ashg": "ASHG-like membership export: XLSX, sheet Members (+ Notes), own column names, "
    "multi-select race/ethnicity joined with '; ', coarse 'Asian or Pacific Islander'",
    "nsgc": "NSGC-like roster: CSV, UTF-8 byte-order mark then cp1252 text, CRLF line ends, "
    "free-text labels, several race/ethnicity answers per cell separated by , or /",
    "acmg": "ACMG-like membership file: SPSS .sav, numeric codes with value labels, 1997-style "
    "separate hispanic and race variables, 8/9 (98/99) declared user-missing",
}


def generate(
    out_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 2025,
    year: int = 2025,
    progress: Progress | None = None,
) -> SynthManifest:
    """Write the synthetic consortium into `out_dir` and return its manifest.

    `scale` multiplies every society's size (1.0: about 16,500 members; 100: about 1.65
    million). `progress(step, done, total)` is called per society, per file and per chunk of
    large files.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda step, done, total: None)
    profiles = load_profiles()
    written: list[SynthFile] = []

    def record(relative: str, rows: int, description: str) -> None:
        written.append(SynthFile(relative, sha256_of(out_dir / relative), rows, description))

    populations: dict[str, Population] = {}
    for done, org in enumerate(ORGS):
        report("Drawing members", done, len(ORGS))
        size = society_size(profiles, org, scale)
        populations[org] = draw_society(profiles, org, size, seed=seed, year=year)
    report("Drawing members", len(ORGS), len(ORGS))
    assign_emails(populations, seed=seed)

    paths = export_paths(year)
    builders = {"ashg": ashg.ashg_rows, "nsgc": nsgc.nsgc_rows, "acmg": acmg.acmg_rows}
    writers = {"ashg": _write_ashg, "nsgc": _write_nsgc, "acmg": _write_acmg}
    exports: dict[str, ExportRows] = {}
    for org in ORGS:
        step = f"Writing {paths[org]}"
        report(step, 0, 1)
        exports[org] = builders[org](populations[org], profiles, seed=seed)
        rows = writers[org](
            out_dir / paths[org], exports[org], year=year, progress=report, step=step
        )
        exports[org].cells = {}  # written; only the truth is needed from here on
        record(paths[org], rows, EXPORT_DESCRIPTIONS[org])
        report(step, rows, rows)

    truth_rows = _write_truth(out_dir, exports, populations, paths, year=year, progress=report)
    record(
        "truth/standard_records.csv",
        truth_rows,
        "Ground truth: the standard record each exported row truthfully encodes "
        "(one row per export row, exports in order ashg, nsgc, acmg)",
    )
    record(
        "truth/provenance.csv",
        truth_rows,
        "Where each truth record comes from: export file, data row, ID as exported, and the "
        "dirt injected into that row (empty if none)",
    )

    frame = build_frame(populations, exports, seed=seed)
    del exports
    report("Writing survey/frame.csv", 0, len(frame))
    frame_rows = write_csv(
        out_dir / "survey/frame.csv",
        frame.columns,
        progress=report,
        step="Writing survey/frame.csv",
    )
    record(
        "survey/frame.csv",
        frame_rows,
        "Survey frame: every member with a usable e-mail, once, with membership-record "
        "attributes in standard codes (for raking)",
    )

    report("Drawing survey responses", 0, 1)
    responses = draw_responses(profiles, populations, frame, seed=seed, year=year)
    report("Drawing survey responses", 1, 1)
    response_rows = write_csv(
        out_dir / "survey/responses.csv",
        responses.columns,
        progress=report,
        step="Writing survey/responses.csv",
    )
    record(
        "survey/responses.csv",
        response_rows,
        "Survey responses: self-reported standard attributes, climate (1-5) and harassment "
        "items, open comments; no link back to the frame",
    )
    with_comment = responses.columns["comment"] != ""
    theme_rows = write_csv(
        out_dir / "truth/comment_themes.csv",
        {
            "response_id": responses.columns["response_id"][with_comment],
            "themes": responses.comment_themes[with_comment],
        },
    )
    record(
        "truth/comment_themes.csv",
        theme_rows,
        "Ground truth for qualitative coding: the themes each synthetic comment was built on",
    )
    respondent_rows = write_csv(
        out_dir / "truth/survey_respondents.csv",
        {"response_id": responses.columns["response_id"], "frame_id": responses.frame_ids},
    )
    record(
        "truth/survey_respondents.csv",
        respondent_rows,
        "Ground truth the responses file leaves out on purpose: the frame row of each "
        "respondent (the demo answers through each one's invitation link)",
    )
    codebook = codebook_rows(profiles)
    codebook_count = write_csv(
        out_dir / "survey/codebook.csv",
        {
            name: np.array([row[i] for row in codebook], dtype=object)
            for i, name in enumerate(("file", "column", "label", "values"))
        },
    )
    record("survey/codebook.csv", codebook_count, "Codebook of frame.csv and responses.csv")

    members = {org: len(populations[org]) for org in ORGS}
    readme = _readme(written, seed=seed, scale=scale, year=year, members=members)
    (out_dir / "README.md").write_bytes(readme.encode("utf-8"))
    record("README.md", 0, "What every generated file is")
    manifest = SynthManifest(seed, scale, year, members, tuple(written))
    (out_dir / "manifest.json").write_bytes(manifest.to_json().encode("utf-8"))
    report("Done", 1, 1)
    return manifest


def _write_ashg(path: Path, table: ExportRows, *, year: int, progress: Progress, step: str) -> int:
    birth = table.cells["Year of Birth"]
    birth_cells = np.full(len(birth), None, dtype=object)
    known = ~np.isnan(birth)
    birth_cells[known] = birth[known].astype(np.int64).astype(object)
    columns = []
    for name in ashg.COLUMNS:
        if name == "Member ID":
            columns.append(table.ids.astype(np.int64).tolist())
        elif name == "Year of Birth":
            columns.append(birth_cells.tolist())
        else:
            columns.append(table.cells[name].tolist())
    return write_xlsx(
        path,
        ashg.SHEET,
        ashg.COLUMNS,
        columns,
        notes=ashg.NOTES,
        year=year,
        title=f"Member export {year} (synthetic)",
        progress=progress,
        step=step,
    )


def _write_nsgc(path: Path, table: ExportRows, *, year: int, progress: Progress, step: str) -> int:
    columns = {"ID": table.ids, **{name: table.cells[name] for name in nsgc.COLUMNS[1:]}}
    return write_csv(
        path,
        columns,
        progress=progress,
        step=step,
        encode=lambda text: text.encode(nsgc.ENCODING),
        preamble=nsgc.BOM,
        line_end="\r\n",
    )


def _write_acmg(path: Path, table: ExportRows, *, year: int, progress: Progress, step: str) -> int:
    frame = pd.DataFrame(
        {name: (table.ids if name == "memberid" else table.cells[name]) for name in acmg.VARIABLES}
    )
    for name in ("email", "state", "country"):
        frame[name] = frame[name].astype(object)
    labels = {name: spec[0] for name, spec in acmg.CODED.items()} | acmg.OTHER_LABELS
    return write_sav(
        path,
        frame,
        year=year,
        file_label=acmg.FILE_LABEL,
        column_labels={name: labels[name] for name in acmg.VARIABLES},
        value_labels={
            name: {float(code): label for code, label in spec[1].items()}
            for name, spec in acmg.CODED.items()
        },
        missing_codes={name: [float(c) for c in spec[3]] for name, spec in acmg.CODED.items()},
        formats={"memberid": "F8.0", "birthyr": "F4.0"} | {name: "F2.0" for name in acmg.CODED},
        measures={"birthyr": "scale"} | {name: "nominal" for name in acmg.CODED},
    )


def _write_truth(
    out_dir: Path,
    exports: dict[str, ExportRows],
    populations: dict[str, Population],
    paths: dict[str, str],
    *,
    year: int,
    progress: Progress,
) -> int:
    """The standard records behind every export row, and where each one comes from.

    Written society by society, so only one society's extra columns exist at a time.
    """
    total = sum(len(table) for table in exports.values())

    def record_ids(org: str) -> np.ndarray:
        return zero_padded(np.arange(1, len(exports[org]) + 1), 7, f"{org}-{year}-")

    def records():
        for org in ORGS:
            table = exports[org]
            size = len(table)
            constants = {"source": Path(paths[org]).name, "org": org, "year": str(year)}
            part = {}
            for name in codes.RECORD_COLUMNS:
                if name == "record_id":
                    part[name] = record_ids(org)
                elif name in constants:
                    part[name] = filled(size, constants[name])
                elif name == "person_key":
                    part[name] = populations[org]["person_key"][table.person]
                else:
                    part[name] = table.truth[name]
            yield part

    def provenance():
        for org in ORGS:
            table = exports[org]
            size = len(table)
            ids = table.ids if table.ids.dtype == object else table.ids.astype(np.int64).astype(str)
            yield {
                "record_id": record_ids(org),
                "source": filled(size, paths[org]),
                "source_row": np.arange(1, size + 1),
                "source_id": np.asarray(ids, dtype=object),
                "dirt": table.dirt,
            }

    rows = write_csv(
        out_dir / "truth/standard_records.csv",
        records(),
        total_rows=total,
        progress=progress,
        step="Writing truth/standard_records.csv",
    )
    write_csv(
        out_dir / "truth/provenance.csv",
        provenance(),
        total_rows=total,
        progress=progress,
        step="Writing truth/provenance.csv",
    )
    return rows


def _readme(
    files: list[SynthFile], *, seed: int, scale: float, year: int, members: dict[str, int]
) -> str:
    """The README written next to the files: one paragraph per line, a table of files."""
    total = sum(members.values())
    societies = ", ".join(f"{org} {count:,}" for org, count in members.items())
    lines = [
        "# Synthetic consortium",
        "",
        f"Generated by `workforce.synth.generate` (seed {seed}, scale {scale:g}, reference year "
        f"{year}). Everything here is synthetic: no real person, e-mail address or quote. The "
        "same seed and scale give byte-identical files; `manifest.json` lists each file's "
        "SHA-256.",
        "",
        f"Members: {total:,} in three societies ({societies}). Consortium margins follow the "
        "published 2022 Human Genetics & Genomics Workforce Survey; every assumed figure is in "
        "`workforce/synth/profiles.yaml`.",
        "",
        "## Files",
        "",
        "| file | rows | what it is |",
        "|---|---|---|",
    ]
    for f in files:
        rows = f"{f.rows:,}" if f.rows else ""
        lines.append(f"| `{f.path}` | {rows} | {f.description} |")
    lines += [
        "",
        "## Reading the files",
        "",
        "- Each membership export keeps its society's own column names and labels; mapping "
        "them to standard codes is the intake's job. `truth/standard_records.csv` says what "
        "each export row truthfully encodes: row N of a society's truth is data row N of its "
        "export, and `truth/provenance.csv` gives the file, row and ID as exported.",
        "- Dirt is injected at small rates: blank cells, N/A placeholders, stray spaces, mixed "
        "case, values from no list, impossible birth years, exact duplicate rows and distinct "
        "members sharing an ID. `truth/provenance.csv` names the dirt in every row.",
        "- The NSGC roster starts with a UTF-8 byte-order mark, but its text is cp1252.",
        "- The ACMG file declares 'Prefer not to answer' (8 or 98) and 'Not reported' (9 or 99) "
        "user-missing: read it with user-missing values kept to tell declined from unknown.",
        "- `us_region` is empty for members outside the US; `race_ethnicity_detail` is empty "
        "when no subgroup is known.",
        "- The frame lists the invited members; a response cannot be linked back to it.",
        "",
    ]
    return "\n".join(lines)
