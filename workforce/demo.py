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


@dataclass
class DemoContext:
    directory: Path
    scale: float
    seed: int
    progress: Progress
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)

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


STAGES: list[Callable[[DemoContext], StageResult]] = [
    stage_synthesize,
    stage_validate_standard_records,
    stage_load_platform,
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
    stages = [stage(ctx) for stage in STAGES]
    summary = {
        "directory": str(directory),
        "scale": scale,
        "seed": seed,
        "stages": [
            {"name": s.name, "summary": s.summary, "outputs": [str(p) for p in s.outputs]}
            for s in stages
        ],
    }
    (ctx.out_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return DemoResult(directory, stages, ctx.logins)


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

    console.print(f"Everything is under [bold]{result.directory}[/bold]")
    if url:
        console.print(f"Serving the web app at [bold]{url}[/bold]  (Ctrl+C to stop)")


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)
