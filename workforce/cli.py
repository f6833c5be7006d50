"""The `workforce` command line: parse, call the library, print for a person.

Every command is a thin layer over a library function; heavy imports (pandas, Django) happen
inside the command that needs them so `workforce --help` stays instant.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from workforce import __version__

app = typer.Typer(
    help="Measure who a scientific workforce is and how it is treated, year after year.",
    no_args_is_help=True,
    add_completion=False,
)
standard_app = typer.Typer(help="The data standard: dimensions, codes, views, benchmarks.")
app.add_typer(standard_app, name="standard")

console = Console()
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"workforce {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """workforce: intake, survey, estimates, disclosure gate and benchmark report."""


@standard_app.command("show")
def standard_show(
    dimension: Annotated[
        str | None, typer.Argument(help="One dimension, e.g. race_ethnicity; all when omitted.")
    ] = None,
) -> None:
    """Print the data standard, or one dimension of it in full."""
    from workforce.standard.show import show_standard

    try:
        show_standard(console, dimension)
    except KeyError as error:
        err_console.print(f"[red]{error.args[0]}[/red]")
        raise typer.Exit(2) from None


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Directory to write the synthetic consortium into.")],
    scale: Annotated[
        float, typer.Option(min=0.001, help="Multiply every size (100 gives ~1.6M members).")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Same seed, byte-identical files.")] = 2025,
) -> None:
    """Generate the synthetic consortium: three societies' exports, a survey frame, responses."""
    from workforce.synth import generate

    with _progress() as progress:
        manifest = generate(out, scale=scale, seed=seed, progress=progress)
    _print_files(out, manifest)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Web worker processes.")] = 2,
) -> None:
    """Serve the web app with gunicorn (migrations are applied first)."""
    with _platform_errors():
        from workforce.platform.server import serve as serve_app

        serve_app(host=host, port=port, workers=workers)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manage(ctx: typer.Context) -> None:
    """Run a Django management command, e.g. `workforce manage createsuperuser`."""
    with _platform_errors():
        from workforce.platform import manage as run_manage

        run_manage(["workforce manage", *ctx.args])


@app.command()
def demo(
    dir: Annotated[Path, typer.Option("--dir", help="Where the demo lives.")] = Path("demo"),
    serve_app: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web app when done.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    scale: Annotated[float, typer.Option(min=0.001, help="Size of the consortium.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic consortium.")] = 2025,
) -> None:
    """Generate the synthetic consortium, run every stage, write outputs, serve the web app."""
    from workforce.demo import print_summary, run_demo

    with _platform_errors():
        with _progress() as progress:
            result = run_demo(dir, scale=scale, seed=seed, progress=progress)
        print_summary(console, result, url=f"http://{host}:{port}/" if serve_app else None)
        if serve_app:
            from workforce.platform.server import serve as serve_app_now

            serve_app_now(host=host, port=port, workers=2)


@app.command(no_args_is_help=True)
def ingest(
    target: Annotated[
        str, typer.Argument(metavar="FILE | propose", help="The export to ingest, or `propose`.")
    ],
    file: Annotated[
        Path | None, typer.Argument(metavar="[FILE]", help="With `propose`: the export.")
    ] = None,
    org: Annotated[str, typer.Option(help="Organization code, e.g. nsgc.")] = "",
    mapping: Annotated[
        Path | None, typer.Option(help="The organization's saved mapping file (YAML).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    out: Annotated[Path | None, typer.Option(help="Standard records CSV to write.")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Rejected rows CSV to write.")] = None,
    year: Annotated[
        int | None, typer.Option(help="Reference year (default: the year in the file name).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the validation summary as JSON.")
    ] = False,
) -> None:
    """Turn a membership export into standard records, or propose a mapping for it.

    `workforce ingest FILE --org ORG --mapping MAP.yaml --out RECORDS.csv` writes the records
    (plus RECORDS.provenance.csv); `workforce ingest propose FILE --org ORG > MAP.yaml`
    prints a proposed mapping to confirm.
    """
    if not org:
        err_console.print("[red]--org is required[/red] (the organization code, e.g. nsgc)")
        raise typer.Exit(2)
    if target == "propose":
        if file is None:
            err_console.print("[red]propose needs the export:[/red] workforce ingest propose FILE")
            raise typer.Exit(2)
        _ingest_propose(file, org, sheet, mapping)
        return
    if file is not None:
        err_console.print(f"[red]unexpected argument {str(file)!r}[/red]")
        raise typer.Exit(2)
    _ingest_run(Path(target), org, mapping, sheet, out, rejects, year, as_json)


def _ingest_propose(file: Path, org: str, sheet: str | None, previous: Path | None) -> None:
    from workforce.intake import IntakeError, load_mapping, propose_mapping, read_source

    try:
        table = read_source(file, sheet=sheet)
        base = load_mapping(previous) if previous is not None else None
        proposal = propose_mapping(table, org, previous=base)
    except IntakeError as error:
        err_console.print(f"[red]{error}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    typer.echo(proposal.to_yaml(), nl=False)


def _ingest_run(
    file: Path,
    org: str,
    mapping: Path | None,
    sheet: str | None,
    out: Path | None,
    rejects: Path | None,
    year: int | None,
    as_json: bool,
) -> None:
    import json

    from workforce.intake import (
        IntakeError,
        MappingIncomplete,
        ingest_file,
        propose_mapping,
        read_source,
        undecided_values,
        write_outputs,
    )

    if out is None and mapping is not None:
        err_console.print("[red]--out is required[/red]: where to write the standard records")
        raise typer.Exit(2)
    try:
        if mapping is None:
            table = read_source(file, sheet=sheet)
            proposal = propose_mapping(table, org)
            undecided = undecided_values(proposal, table.frame)
            err_console.print(
                f"{file.name}: no --mapping given, so nothing was written. A proposed mapping "
                f"maps {len(proposal.columns)} column(s); {len(undecided)} value(s) need a "
                "decision. Save it with\n"
                f"  workforce ingest propose {file} --org {org} > {org}.yaml\n"
                "confirm or decide every value, then run again with --mapping.",
                highlight=False,
                soft_wrap=True,
            )
            for item in undecided[:30]:
                err_console.print(
                    f"  column {item.column!r}: {item.value!r} in {item.rows} row(s)",
                    highlight=False,
                    soft_wrap=True,
                )
            raise typer.Exit(1)
        with _progress() as progress:
            result = ingest_file(file, mapping, org=org, sheet=sheet, year=year, progress=progress)
        written = write_outputs(result, out, rejects)
    except MappingIncomplete as error:
        err_console.print(str(error), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    except IntakeError as error:
        err_console.print(str(error), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result.report.summary(), indent=2, ensure_ascii=False))
    else:
        for line in result.report.lines():
            console.print(line, highlight=False, soft_wrap=True, markup=False)
        console.print(
            "Written: " + ", ".join(str(path) for path in written), highlight=False, soft_wrap=True
        )


@contextmanager
def _platform_errors():
    """Print a configuration mistake (a missing secret key, say) as one line, not a traceback."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        yield
    except ImproperlyConfigured as error:
        err_console.print(f"[red]Configuration error:[/red] {error}")
        raise typer.Exit(2) from None


def _progress():
    """A rich progress bar driven by the library's `progress(step, done, total)` callbacks."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    @contextmanager
    def bar():
        columns = (
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err_console, transient=False) as progress:
            tasks: dict[str, int] = {}

            def report(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = progress.add_task(step, total=total)
                progress.update(tasks[step], completed=done, total=total)

            yield report

    return bar()


def _print_files(out: Path, manifest) -> None:
    from rich.table import Table

    table = Table(title=f"Written to {out}", title_justify="left")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("what it is")
    for entry in manifest.files:
        table.add_row(str(entry.path), f"{entry.rows:,}", entry.description)
    console.print(table)


if __name__ == "__main__":
    app()
