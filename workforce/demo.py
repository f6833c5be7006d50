"""The one-command demo: generate the synthetic consortium and run every stage on it.

Each stage that exists is run in order and reports what it did; the result lists where every
output is so the demo can print a summary. Later stages append themselves to `STAGES`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

Progress = Callable[[str, int, int], None]


@dataclass
class StageResult:
    name: str
    summary: str
    outputs: list[Path] = field(default_factory=list)


@dataclass
class DemoResult:
    directory: Path
    stages: list[StageResult]
    logins: list[tuple[str, str, str, str]]  # (e-mail, password, role, organization)
    survey_link: str = ""  # an invitation left unanswered, for a person to try


@dataclass
class DemoContext:
    directory: Path
    scale: float
    seed: int
    progress: Progress
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)
    ingests: list = field(default_factory=list)  # workforce.platform.demo.DemoIngest
    survey_link: str = ""

    @property
    def synth_dir(self) -> Path:
        return self.directory / "synth"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def out_dir(self) -> Path:
        return self.directory / "out"


def stage_synthesize(ctx: DemoContext) -> StageResult:
    from workforce.synth import generate

    manifest = generate(ctx.synth_dir, scale=ctx.scale, seed=ctx.seed, progress=ctx.progress)
    members = sum(f.rows for f in manifest.files if str(f.path).startswith("exports/"))
    return StageResult(
        "Synthetic consortium",
        f"{len(manifest.files)} files, {members:,} exported member rows (seed {ctx.seed})",
        [ctx.synth_dir],
    )


def stage_validate_standard_records(ctx: DemoContext) -> StageResult:
    """Check the ground-truth standard records against the standard and derive its views."""
    import pandas as pd

    from workforce.standard import validate_records
    from workforce.standard.views import derive_views

    ctx.progress("Validating standard records", 0, 1)
    records = pd.read_csv(
        ctx.synth_dir / "truth" / "standard_records.csv", dtype=str, keep_default_na=False
    )
    violations = validate_records(records)
    views = derive_views(records)
    report = {
        "file": "synth/truth/standard_records.csv",
        "rows": len(records),
        "violations": len(violations),
        "first_violations": [v.__dict__ for v in violations[:20]],
        "derived_view_columns": [c for c in views.columns if c not in records.columns],
    }
    path = ctx.out_dir / "standard_records_validation.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    ctx.progress("Validating standard records", 1, 1)
    verdict = "valid" if not violations else f"{len(violations):,} violations"
    return StageResult(
        "Standard records",
        f"{len(records):,} records {verdict}; {len(report['derived_view_columns'])} derived views",
        [path],
    )


def stage_load_platform(ctx: DemoContext) -> StageResult:
    from workforce.platform.demo import load_demo

    ctx.progress("Loading the platform", 0, 1)
    summary = load_demo(ctx.synth_dir)
    ctx.logins = [(p.email, p.password, p.role_label, p.organization) for p in summary.people]
    ctx.ingests = list(summary.ingests)
    ctx.progress("Loading the platform", 1, 1)
    missing = (
        f"; no export found for {', '.join(summary.societies_without_exports)}"
        if summary.societies_without_exports
        else ""
    )
    return StageResult(
        "Web platform",
        f"{len(summary.organizations)} organizations, {len(summary.people)} demo people, "
        f"{len(summary.uploads)} membership exports stored with checksums{missing}",
        [ctx.data_dir],
    )


def stage_check_intake_against_truth(ctx: DemoContext) -> StageResult:
    """Compare what intake made of each export with what the generator knows it encodes."""
    import pandas as pd

    truth_dir = ctx.synth_dir / "truth"
    truth = pd.read_csv(truth_dir / "standard_records.csv", dtype=str, keep_default_na=False)
    where = pd.read_csv(truth_dir / "provenance.csv", dtype=str, keep_default_na=False)
    report = []
    for step, ingest in enumerate(ctx.ingests):
        ctx.progress("Checking intake against the truth", step, len(ctx.ingests))
        entry = {
            "organization": ingest.organization,
            "file": ingest.filename,
            "status": ingest.status,
            "rows_read": ingest.rows_read,
            "accepted": ingest.rows_accepted,
            "rejected": ingest.rows_rejected,
        }
        if ingest.records is not None:
            entry["records_matching_truth"] = records_matching_truth(ingest, truth, where)
        else:
            entry["error"] = ingest.error
        report.append(entry)
    ctx.progress("Checking intake against the truth", len(ctx.ingests), len(ctx.ingests))
    path = ctx.out_dir / "intake_against_truth.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    accepted = sum(entry["accepted"] for entry in report)
    matching = sum(entry.get("records_matching_truth", 0) for entry in report)
    failed = [entry["file"] for entry in report if entry["status"] != "ingested"]
    summary = (
        f"{len(report) - len(failed)} exports ingested with saved mappings: "
        f"{accepted:,} records accepted, {matching:,} equal to the truth, "
        f"{sum(entry['rejected'] for entry in report):,} rows rejected"
    )
    if failed:
        summary += f"; failed: {', '.join(failed)}"
    return StageResult("Intake", summary, [path])


def stage_survey(ctx: DemoContext) -> StageResult:
    """A wave per society from the standard modules, answered through the e-mailed links."""
    from workforce.platform.surveys.demo import load_demo_survey

    survey = load_demo_survey(ctx.synth_dir, ctx.out_dir, ctx.progress)
    ctx.survey_link = survey.open_link
    report = {
        "instrument": survey.instrument,
        "waves": [
            {
                "wave": wave.slug,
                "organization": wave.organization,
                "invited": wave.invited,
                "answered": wave.answered,
                "failed": list(wave.failed),
                "records": str(wave.records) if wave.records else None,
            }
            for wave in survey.waves
        ],
        "records_compared_with_truth": survey.records_compared,
        "records_equal_to_truth": survey.records_equal,
        "columns_differing": survey.columns_differing,
    }
    path = ctx.out_dir / "survey_against_truth.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    invited = sum(wave.invited for wave in survey.waves)
    answered = sum(wave.answered for wave in survey.waves)
    failed = sum(len(wave.failed) for wave in survey.waves)
    summary = (
        f"{len(survey.waves)} anonymous waves of {survey.instrument}: {invited:,} invited, "
        f"{answered:,} answered page by page through their links"
    )
    if survey.records_compared:
        summary += (
            f"; {survey.records_equal:,} of {survey.records_compared:,} standard records equal "
            "to the synthetic answers"
        )
    if failed:
        summary += f"; {failed:,} not answered (see the report)"
    outputs = [path, *(wave.records for wave in survey.waves if wave.records)]
    return StageResult("Survey", summary, outputs)


def records_matching_truth(ingest, truth, where) -> int:
    """How many accepted records equal, column by column, the truth of their source row.

    `person_key` is left out (exports carry none) and `record_id` is compared with the
    member ID the export wrote; the truth numbers its rows 1, 2, … per export, and intake
    numbers them as a person sees them in the file, so both are aligned on the first row.
    """
    import pandas as pd

    records = pd.read_csv(ingest.records, dtype=str, keep_default_na=False)
    provenance = pd.read_csv(
        ingest.records.with_name("records.provenance.csv"), dtype=str, keep_default_na=False
    )
    rejects = pd.read_csv(ingest.records.with_name("rejects.csv"), dtype=str)
    rows = provenance["source_row"].astype(int)
    # Nothing is lost, so the first data row is among the accepted or the rejected rows.
    first_row = min([rows.min(), *rejects["source_row"].astype(int)])
    own = where["source"].str.endswith("/" + ingest.filename).to_numpy()
    expected = truth[own].reset_index(drop=True).iloc[rows - first_row].reset_index(drop=True)
    source_ids = where[own]["source_id"].reset_index(drop=True).iloc[rows - first_row]
    columns = [c for c in truth.columns if c not in ("record_id", "person_key")]
    same = records[columns].eq(expected[columns]).all(axis=1)
    same &= records["record_id"].to_numpy() == source_ids.str.removesuffix(".0").to_numpy()
    return int(same.sum())


STAGES: list[Callable[[DemoContext], StageResult]] = [
    stage_synthesize,
    stage_validate_standard_records,
    stage_load_platform,
    stage_check_intake_against_truth,
    stage_survey,
]


def run_demo(
    directory: Path, *, scale: float = 1.0, seed: int = 2025, progress: Progress | None = None
) -> DemoResult:
    directory = Path(directory).resolve()
    ctx = DemoContext(directory, scale, seed, progress or (lambda step, done, total: None))
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    # The platform reads its data directory when Django starts, so set it before any stage
    # imports Django; an explicit WORKFORCE_DATA_DIR or DATABASE_URL from the caller wins.
    os.environ.setdefault("WORKFORCE_DATA_DIR", str(ctx.data_dir))
    # The demo is one process: its mailings and exports run in it rather than wait for a
    # worker.
    os.environ.setdefault("WORKFORCE_TASKS", "immediate")
    stages = [stage(ctx) for stage in STAGES]
    summary = {
        "directory": str(directory),
        "scale": scale,
        "seed": seed,
        "survey_link": ctx.survey_link,
        "stages": [
            {"name": s.name, "summary": s.summary, "outputs": [str(p) for p in s.outputs]}
            for s in stages
        ],
    }
    (ctx.out_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return DemoResult(directory, stages, ctx.logins, ctx.survey_link)


def print_summary(console: Console, result: DemoResult, url: str | None) -> None:
    stages = Table(title="workforce demo", title_justify="left", show_lines=False)
    stages.add_column("stage", style="bold")
    stages.add_column("what it did")
    stages.add_column("where", overflow="fold")
    for stage in result.stages:
        where = ", ".join(_relative(p, result.directory) for p in stage.outputs)
        stages.add_row(stage.name, stage.summary, where)
    console.print(stages)

    if result.logins:
        people = Table(title="Demo sign-ins (new passwords each run)", title_justify="left")
        # A sign-in is useless when truncated: these two columns never wrap or shorten.
        people.add_column("e-mail", no_wrap=True, min_width=26)
        people.add_column("password", no_wrap=True, min_width=16)
        people.add_column("role")
        people.add_column("organization")
        for login in result.logins:
            people.add_row(*login)
        console.print(people)

    if result.survey_link:
        console.print(
            "Answer the survey as a member would (an invitation left open for you):\n"
            f"  [bold]{result.survey_link}[/bold]",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"Everything is under [bold]{result.directory}[/bold]")
    if url:
        console.print(f"Serving the web app at [bold]{url}[/bold]  (Ctrl+C to stop)")


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)
