"""The `workforce` command line: parse, call the library, print for a person.

Every command is a thin layer over a library function; heavy imports (pandas, Django) happen
inside the command that needs them so `workforce --help` stays instant.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from workforce import __version__
from workforce.platform.serving_defaults import (
    KEEPALIVE_BEHIND_PROXY,
    KEEPALIVE_DIRECT,
    THREADS,
    WORKERS,
)

app = typer.Typer(
    help="Measure who a scientific workforce is and how it is treated, year after year.",
    no_args_is_help=True,
    add_completion=False,
)
standard_app = typer.Typer(help="The data standard: dimensions, codes, views, benchmarks.")
app.add_typer(standard_app, name="standard")
survey_app = typer.Typer(
    help="Member surveys: XLSForm instruments, waves, invitations, reminders, exports.",
    no_args_is_help=True,
)
app.add_typer(survey_app, name="survey")
wave_app = typer.Typer(help="Survey waves: create, load the frame, open, close, status.")
survey_app.add_typer(wave_app, name="wave")
stats_app = typer.Typer(
    help="Estimates: weights raked to the frame, design-based standard errors, intervals.",
    no_args_is_help=True,
)
app.add_typer(stats_app, name="stats")
org_app = typer.Typer(
    help="Organizations: the consortium, its societies, and who holds which role.",
    no_args_is_help=True,
)
app.add_typer(org_app, name="org")
qual_app = typer.Typer(
    help="Focus groups and open-text answers: import and de-identify transcripts, agreement "
    "between coders, themes by group through the disclosure gate, REFI-QDA exchange.",
    no_args_is_help=True,
)
app.add_typer(qual_app, name="qual")

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


def _group_shifts(values: list[str] | None, option: str) -> dict[str, float]:
    shifts: dict[str, float] = {}
    for value in values or []:
        group, sep, number = value.partition("=")
        try:
            if not sep:
                raise ValueError
            shifts[group.strip()] = shifts.get(group.strip(), 0.0) + float(number)
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not GROUP=VALUE", param_hint=option) from None
    return shifts


@app.command("synth-wave", no_args_is_help=True)
def synth_wave(
    source: Annotated[
        Path, typer.Option("--from", help="A directory written by `workforce synth`.")
    ],
    year: Annotated[int, typer.Option(help="Year of the wave (after the consortium's year).")],
    climate_shift: Annotated[
        list[str] | None,
        typer.Option(
            "--climate-shift",
            metavar="GROUP=VALUE",
            help="Add VALUE to the latent climate score of GROUP (woman, gender_minority, "
            "lgbtq, urm, disability, student, trainee, senior); repeatable.",
        ),
    ] = None,
    harassment_shift: Annotated[
        list[str] | None,
        typer.Option(
            "--harassment-shift",
            metavar="GROUP=VALUE",
            help="Add VALUE to the latent harassment exposure of GROUP; repeatable.",
        ),
    ] = None,
    response_rate: Annotated[
        float, typer.Option(min=0.01, help="Multiply the expected response rate.")
    ] = 1.0,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the wave's draws (default: the consortium's).")
    ] = None,
) -> None:
    """Draw a later survey wave of the same members: fresh answers, with a known change or none.

    Writes survey/waves/YEAR/ and truth/waves/YEAR/; no shift means no real change.
    """
    from workforce.synth.waves import WaveChange, draw_wave

    try:
        change = WaveChange(
            climate_shifts=_group_shifts(climate_shift, "--climate-shift"),
            harassment_shifts=_group_shifts(harassment_shift, "--harassment-shift"),
            response_rate=response_rate,
        )
        with _progress() as progress:
            wave = draw_wave(source, year, change=change, seed=seed, progress=progress)
    except (ValueError, FileNotFoundError) as error:
        err_console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    console.print(
        f"Wave {wave.year} ({wave.change.describe()}): {wave.responses:,} responses of "
        f"{wave.frame_members:,} invited members, seed {wave.seed}."
    )
    _print_files(source, wave)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Web worker processes.")] = WORKERS,
    threads: Annotated[
        int, typer.Option(min=1, help="Threads per worker that run requests.")
    ] = THREADS,
    task_worker: Annotated[
        bool,
        typer.Option(
            "--task-worker",
            help="Also run the task worker (mailings, planned reminders, exports) beside it.",
        ),
    ] = False,
    keepalive: Annotated[
        int | None,
        typer.Option(
            min=1,
            help=f"Seconds an idle connection is kept open ({KEEPALIVE_BEHIND_PROXY} in "
            f"production, behind the TLS proxy; {KEEPALIVE_DIRECT} otherwise).",
            show_default=False,
        ),
    ] = None,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log",
            help="Also log the server's access line for every request (the request log "
            "already has one).",
        ),
    ] = False,
) -> None:
    """Serve the web app with granian (migrations are applied first)."""
    with _platform_errors():
        from workforce.platform.server import serve as serve_app

        serve_app(
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            task_worker=task_worker,
            keepalive=keepalive,
            access_log=access_log,
        )


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manage(ctx: typer.Context) -> None:
    """Run a Django management command, e.g. `workforce manage createsuperuser`."""
    with _platform_errors():
        from workforce.platform import manage as run_manage

        run_manage(list(ctx.args))


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

    # Links in the demo's e-mails point at the address it serves on.
    os.environ.setdefault("WORKFORCE_BASE_URL", f"http://{host}:{port}")
    # The stages say what they do in the progress bar and the summary; the platform's JSON
    # events (one per batch of e-mails sent) would scatter through them. Once serving, each
    # request is logged as in production.
    chosen = {name: os.environ.get(name) for name in DEMO_DEFAULTS}
    if chosen["WORKFORCE_LOG_LEVEL"] is None:
        os.environ["WORKFORCE_LOG_LEVEL"] = "WARNING"
    with _platform_errors():
        with _progress() as progress:
            result = run_demo(dir, scale=scale, seed=seed, progress=progress)
        print_summary(console, result, url=f"http://{host}:{port}/" if serve_app else None)
    if serve_app:
        argv, env = demo_server_command(host, port, chosen)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, argv, env)


# What the demo sets for its stages and gives back once it serves: the stages log only
# warnings (the progress bar says what they do) and run their mailings at once.
DEMO_DEFAULTS = ("WORKFORCE_LOG_LEVEL", "WORKFORCE_TASKS")


def demo_server_command(
    host: str, port: int, chosen: dict[str, str | None]
) -> tuple[list[str], dict[str, str]]:
    """The `workforce serve` the demo hands over to, and its environment.

    A fresh process rather than a web server forked from the demo's: the stages have started
    the chart renderer (vl-convert's runtime threads, which do not survive a fork: a web
    worker forked from here hangs on its first chart) and set up quiet logging. The server
    logs every request, and a task worker beside it sends what the web app queues, as in
    production, unless the environment chose otherwise (``chosen``: the variables as they
    were before the demo set its own).
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in DEMO_DEFAULTS or chosen.get(name) is not None
    }
    env |= {name: value for name, value in chosen.items() if value is not None}
    argv = [sys.executable, "-m", "workforce.cli", "serve", "--host", host, "--port", str(port)]
    if env.get("WORKFORCE_TASKS", "database") == "database":
        argv.append("--task-worker")
    return argv, env


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
    compare: Annotated[
        Path | None,
        typer.Option(
            help="The standard records of the export before (a CSV --out wrote): list the "
            "codes whose share moved by 10 points or more, and a change of a quarter or more "
            "in the number of records."
        ),
    ] = None,
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
    _ingest_run(Path(target), org, mapping, sheet, out, rejects, year, as_json, compare)


def _ingest_propose(file: Path, org: str, sheet: str | None, previous: Path | None) -> None:
    from workforce.intake import IntakeError, load_mapping, propose_mapping, read_source

    try:
        base = load_mapping(previous) if previous is not None else None
        # Like ingest: a workbook is read from the sheet the saved mapping names, unless told.
        if sheet is None and base is not None:
            sheet = base.source.get("sheet")
        table = read_source(file, sheet=sheet)
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
    compare_with: Path | None = None,
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
    from workforce.intake.compare import code_counts, compare, counts_from_records_file

    if out is None and mapping is not None:
        err_console.print("[red]--out is required[/red]: where to write the standard records")
        raise typer.Exit(2)
    try:
        # Read first: a file that cannot be compared stops the run before anything is written.
        before = counts_from_records_file(compare_with) if compare_with is not None else None
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
    summary = result.report.summary()
    comparison = []
    if before is not None:
        compared = compare(code_counts(result.records), before, file=str(compare_with))
        summary["compared_with"] = compared.summary()
        comparison = compared.lines()
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        for line in [*result.report.lines(), *comparison]:
            console.print(line, highlight=False, soft_wrap=True, markup=False)
        console.print(
            "Written: " + ", ".join(str(path) for path in written), highlight=False, soft_wrap=True
        )


# --- survey -----------------------------------------------------------------------------------


@contextmanager
def _operation_errors():
    """Configuration mistakes and fixable problems as plain lines, exit code 1 or 2."""
    import os

    # The command line is a process that can wait: its background work (mailings, exports)
    # runs in it, unless the environment chose the database queue explicitly.
    os.environ.setdefault("WORKFORCE_TASKS", "immediate")
    # What happened is printed for the person at the terminal (and kept as audit events);
    # the platform's own events (a task started, a batch sent) only on asking for them.
    os.environ.setdefault("WORKFORCE_LOG_LEVEL", "WARNING")
    from workforce.platform.operations import OperationError

    with _platform_errors():
        try:
            yield
        except OperationError as error:
            for message in error.messages:
                err_console.print(f"[red]error:[/red] {message}", highlight=False)
            raise typer.Exit(1) from None


# --- org --------------------------------------------------------------------------------------


@org_app.command("list")
def org_list() -> None:
    """The consortium and its societies, with how many people hold each role there."""
    from workforce.platform.organizations.operations import list_organizations

    with _operation_errors():
        lines = list_organizations()
    if not lines:
        console.print(
            "No organization yet: add the consortium with `workforce org add CODE --name NAME "
            "--consortium`.",
            highlight=False,
        )
        return
    # A line each (a society indented under its consortium): readable at any width, and
    # each line stands alone when searched or piped.
    for line in lines:
        people = ", ".join(f"{count} {label.lower()}" for label, count in line.people.items())
        what = f"society of {line.parent}" if line.parent else line.kind.lower()
        console.print(
            f"{'  ' if line.parent else ''}{line.code}: {line.name} ({what}); "
            f"people: {people or 'none yet'}",
            highlight=False,
            soft_wrap=True,
        )


@org_app.command("add", no_args_is_help=True)
def org_add(
    code: Annotated[str, typer.Argument(help="Short snake_case name used in links, e.g. nsgc.")],
    name: Annotated[
        str, typer.Option(help="Full name, e.g. National Society of Genetic Counselors.")
    ],
    consortium: Annotated[
        bool, typer.Option("--consortium", help="This is the consortium, not a society.")
    ] = False,
    parent: Annotated[
        str | None,
        typer.Option(help="The consortium a society belongs to (when there are several)."),
    ] = None,
) -> None:
    """Add the consortium, or a society that belongs to it."""
    from workforce.platform.organizations.operations import add_organization

    with _operation_errors():
        added = add_organization(code, name, consortium=consortium, parent=parent)
    where = f", a society of {added.parent.code}" if added.parent else ", the consortium"
    console.print(f"Added {added.code} ({added.name}){where}.", highlight=False)


@org_app.command("grant", no_args_is_help=True)
def org_grant(
    email: Annotated[str, typer.Argument(help="The person's e-mail address (their sign-in).")],
    org: Annotated[str, typer.Argument(help="Organization code.")],
    role: Annotated[
        str,
        typer.Argument(help="consortium_staff, data_steward, analyst or viewer."),
    ],
    full_name: Annotated[str, typer.Option("--name", help="Their name, for a new account.")] = "",
    password: Annotated[
        bool,
        typer.Option(
            "--password/--no-password",
            help="Ask for a new account's password (without one it cannot sign in yet).",
        ),
    ] = True,
) -> None:
    """Give a person a role in an organization (replacing any role they held there)."""
    from workforce.platform.organizations.operations import grant_role, needs_password

    with _operation_errors():
        secret = None
        if needs_password(email, org, role) and password:
            secret = typer.prompt(
                f"Password for the new account {email}", hide_input=True, confirmation_prompt=True
            )
        granted = grant_role(email, org, role, full_name=full_name, password=secret)
    if granted.account_created:
        console.print(f"Created the account {granted.email}.", highlight=False)
    was = f" (was {granted.previous_role.lower()})" if granted.previous_role else ""
    console.print(
        f"{granted.email} is now {granted.role.lower()} in {granted.organization}{was}.",
        highlight=False,
    )
    if not granted.can_sign_in:
        console.print(
            "The account has no password yet, so it cannot sign in: set one with "
            f"`workforce org password {granted.email}`.",
            highlight=False,
        )


@org_app.command("password", no_args_is_help=True)
def org_password(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
) -> None:
    """Set a new password for an account (asked twice, never shown or stored as typed)."""
    from workforce.platform.organizations.operations import require_account, set_password

    with _operation_errors():
        require_account(email)  # before anything is typed
        secret = typer.prompt(
            f"New password for {email}", hide_input=True, confirmation_prompt=True
        )
        changed = set_password(email, secret)
    console.print(f"The password of {changed} is set; it can sign in.", highlight=False)


@org_app.command("revoke", no_args_is_help=True)
def org_revoke(
    email: Annotated[str, typer.Argument(help="The person's e-mail address.")],
    org: Annotated[str, typer.Argument(help="Organization code.")],
) -> None:
    """Take away the role a person holds in an organization (their account stays)."""
    from workforce.platform.organizations.operations import revoke_role

    with _operation_errors():
        revoked = revoke_role(email, org)
    if revoked is None:
        console.print(f"{email} held no role in {org}; nothing changed.", highlight=False)
    else:
        console.print(f"{email} is no longer {revoked.lower()} in {org}.", highlight=False)


@survey_app.command("import", no_args_is_help=True)
def survey_import(
    form: Annotated[Path, typer.Argument(help="The XLSForm workbook (.xlsx).")],
) -> None:
    """Import an XLSForm as an instrument version; every problem is listed with its row."""
    from workforce.platform.surveys.operations import import_form

    with _operation_errors():
        imported = import_form(form)
    console.print(
        f"Imported [bold]{imported.form_id}[/bold] version {imported.version} "
        f"({imported.title}): {imported.pages} pages, {imported.questions} questions, "
        f"languages {', '.join(imported.languages)}.",
        highlight=False,
    )
    for note in imported.notes:
        console.print(f"  note: {note}", highlight=False)


@survey_app.command("modules")
def survey_modules(
    import_them: Annotated[
        bool,
        typer.Option("--import", help="Import the modules, asked in order, as one instrument."),
    ] = False,
) -> None:
    """The consortium's standard modules shipped as XLSForms, ready to import."""
    from workforce.survey.modules import MODULES, module_path

    if not import_them:
        for name in MODULES:
            console.print(f"{name:<14} {module_path(name)}", highlight=False)
        return
    from workforce.platform.surveys.operations import import_standard_modules

    with _operation_errors():
        imported = import_standard_modules()
    console.print(
        f"Imported [bold]{imported.form_id}[/bold] version {imported.version} "
        f"({imported.title}): {imported.pages} pages, {imported.questions} questions.",
        highlight=False,
    )


def _date(text: str, option: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        err_console.print(f"[red]error:[/red] {option} {text!r} is not a date like 2026-03-03")
        raise typer.Exit(1) from None


@wave_app.command("create", no_args_is_help=True)
def wave_create(
    slug: Annotated[str, typer.Argument(help="Short name used in links, e.g. climate-2026.")],
    org: Annotated[str, typer.Option(help="Organization code (e.g. consortium, ashg).")],
    form: Annotated[str, typer.Option(help="Form id of an imported instrument.")],
    opens: Annotated[str, typer.Option(help="First day open, YYYY-MM-DD.")],
    closes: Annotated[str, typer.Option(help="Last day open, YYYY-MM-DD.")],
    consent: Annotated[
        Path, typer.Option(help="Text file with the consent text members read before starting.")
    ],
    name: Annotated[str, typer.Option(help="Name shown to members.")] = "",
    version: Annotated[str | None, typer.Option(help="Instrument version (newest).")] = None,
    mode: Annotated[str, typer.Option(help="anonymous or confidential.")] = "anonymous",
    contact: Annotated[str, typer.Option(help="Address members can write to.")] = "",
    frame: Annotated[
        Path | None, typer.Option(help="CSV of members to invite (member_id, email, ...).")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Reference year of the records.")] = None,
) -> None:
    """Create a draft wave (and load its frame); open it with `workforce survey wave open`."""
    from workforce.platform.surveys.operations import create_wave, load_frame

    opens_on, closes_on = _date(opens, "--opens"), _date(closes, "--closes")
    consent_text = _read_consent(consent)
    with _operation_errors():
        wave = create_wave(
            org=org,
            slug=slug,
            name=name or slug,
            form_id=form,
            version=version,
            mode=mode,
            opens_on=opens_on,
            closes_on=closes_on,
            consent_text=consent_text,
            contact_email=contact,
            year=year,
        )
        console.print(
            f"Created wave [bold]{wave.slug}[/bold] ({wave.mode}) of {wave.organization.code}, "
            f"open {wave.opens_on} to {wave.closes_on}, status {wave.status}.",
            highlight=False,
        )
        if frame is not None:
            _print_frame_load(load_frame(slug, frame), frame)


def _read_text(path: Path) -> str:
    """The UTF-8 text in ``path``; a file that cannot be read stops here, named."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        err_console.print(f"[red]error:[/red] {path}: cannot be read ({error})")
        raise typer.Exit(1) from None


def _read_consent(path: Path) -> str:
    """The consent text in ``path``; a file that cannot be read, or holds nothing, stops here."""
    text = _read_text(path)
    if not text.strip():
        err_console.print(
            f"[red]error:[/red] {path}: the file is empty; it holds the text members "
            "read before they start"
        )
        raise typer.Exit(1)
    return text


@wave_app.command("change", no_args_is_help=True)
def wave_change(
    slug: Annotated[str, typer.Argument(help="The wave.")],
    name: Annotated[str | None, typer.Option(help="Name shown to members.")] = None,
    closes: Annotated[str | None, typer.Option(help="Last day open, YYYY-MM-DD.")] = None,
    contact: Annotated[str | None, typer.Option(help="Address members can write to.")] = None,
    year: Annotated[int | None, typer.Option(help="Reference year of the records.")] = None,
    opens: Annotated[
        str | None, typer.Option(help="First day open, YYYY-MM-DD (a draft only).")
    ] = None,
    consent: Annotated[
        Path | None, typer.Option(help="Text file with the consent text (a draft only).")
    ] = None,
    mode: Annotated[
        str | None, typer.Option(help="anonymous or confidential (a draft only).")
    ] = None,
    form: Annotated[
        str | None, typer.Option(help="Form id of another instrument (a draft only).")
    ] = None,
    version: Annotated[str | None, typer.Option(help="Its version (newest).")] = None,
    invitation_note: Annotated[
        Path | None,
        typer.Option(help="Text file: the society's note opening the invitation (empty: none)."),
    ] = None,
    reminder_note: Annotated[
        Path | None,
        typer.Option(help="Text file: the society's note opening the reminders (empty: none)."),
    ] = None,
) -> None:
    """Change a wave's settings: any while it is a draft; once open, its name, contact,
    e-mail notes and closing date (what members have seen and agreed to stays)."""
    from workforce.platform.surveys.operations import change_wave

    changes = {
        "name": name,
        "closes_on": _date(closes, "--closes") if closes else None,
        "contact_email": contact,
        "year": year,
        "opens_on": _date(opens, "--opens") if opens else None,
        "consent_text": _read_consent(consent) if consent else None,
        "mode": mode,
        "invitation_note": _read_text(invitation_note) if invitation_note else None,
        "reminder_note": _read_text(reminder_note) if reminder_note else None,
    }
    changes = {setting: value for setting, value in changes.items() if value is not None}
    if not changes and form is None:
        err_console.print("[red]error:[/red] nothing to change; give at least one option")
        raise typer.Exit(2)
    with _operation_errors():
        wave, changed = change_wave(slug, form_id=form, version=version, **changes)
    if changed:
        console.print(
            f"{wave.slug}: changed the {changed}; open {wave.opens_on} to "
            f"{wave.closes_on}, status {wave.status}.",
            highlight=False,
        )
    else:
        console.print(f"{wave.slug}: nothing changed; those are its settings already.")


def _count(number: int, noun: str, plural: str = "s") -> str:
    """``1 member``, ``3 members``, ``1,200 invitations``, ``2 addresses`` (plural "es")."""
    return f"{number:,} {noun}{'' if number == 1 else plural}"


def _print_frame_load(loaded, path: Path) -> None:
    console.print(
        f"{path.name}: {_count(loaded.added, 'member')} added to the frame.", highlight=False
    )
    for problem in loaded.problems:
        err_console.print(f"  {problem}", highlight=False)
    if loaded.problems:
        err_console.print(f"{len(loaded.problems):,} row(s) not added; fix them and load again.")


@wave_app.command("frame", no_args_is_help=True)
def wave_frame(
    slug: Annotated[str, typer.Argument(help="The wave.")],
    frame: Annotated[Path, typer.Argument(help="CSV of members (member_id, email, ...).")],
) -> None:
    """Add members to a wave's frame; bad rows are listed by row, column and value."""
    from workforce.platform.surveys.operations import load_frame

    with _operation_errors():
        loaded = load_frame(slug, frame)
    _print_frame_load(loaded, frame)
    if loaded.problems:
        raise typer.Exit(1)


@wave_app.command("open", no_args_is_help=True)
def wave_open(slug: Annotated[str, typer.Argument(help="The wave.")]) -> None:
    """Open a wave: its instrument version and mode are frozen from now on."""
    from workforce.platform.surveys.operations import change_status

    with _operation_errors():
        wave = change_status(slug, open_it=True)
    console.print(f"{wave.slug} is {wave.status}.", highlight=False)


@wave_app.command("close", no_args_is_help=True)
def wave_close(slug: Annotated[str, typer.Argument(help="The wave.")]) -> None:
    """Close a wave: its links stop working and say so politely."""
    from workforce.platform.surveys.operations import change_status

    with _operation_errors():
        wave = change_status(slug, open_it=False)
    console.print(f"{wave.slug} is {wave.status}.", highlight=False)


@wave_app.command("status", no_args_is_help=True)
def wave_status(
    slug: Annotated[str, typer.Argument(help="The wave.")],
    by_day: Annotated[
        bool,
        typer.Option(
            "--by-day", help="Also the completed responses day by day, with the e-mail days."
        ),
    ] = False,
) -> None:
    """Response rates overall and by each frame attribute (counts under 5 hidden)."""
    from rich.table import Table

    from workforce.platform.surveys.operations import wave_summary

    with _operation_errors():
        summary = wave_summary(slug)
    wave = summary["wave"]
    console.print(
        f"[bold]{wave.name}[/bold] ({wave.slug}, {wave.mode}, {wave.status}, "
        f"{wave.opens_on} to {wave.closes_on})",
        highlight=False,
    )
    tables = [("overall", summary["overall"]), *summary["by"].items()]
    for title, rows in tables:
        table = Table(
            title=f"by {title.replace('_', ' ')}" if title != "overall" else "overall",
            title_justify="left",
        )
        for column in ("group", "invited", "started", "completed", "partial", "rate"):
            table.add_column(column, justify="left" if column == "group" else "right")
        for row in rows:
            # The standard's label of a code, a society's name: as the web page reads.
            table.add_row(
                row.label or row.group, row.invited, row.started, row.completed, row.partial,
                row.rate,
            )
        console.print(table)
    if summary["planned"]:
        planned = ", ".join(
            f"{mailing.send_after:%-d %B %Y %H:%M} UTC" for mailing in summary["planned"]
        )
        console.print(f"Reminders planned: {planned}.", highlight=False)
    for mailing in summary["planned"] + summary["queued"]:
        if mailing.waiting_for_worker:
            err_console.print(
                f"[yellow]warning:[/yellow] {mailing.get_kind_display().lower()} of "
                f"{mailing.went_out:%-d %B %Y %H:%M} UTC not sent yet; is the task worker "
                "(`workforce manage db_worker`) running?",
                highlight=False,
            )
    timeline = summary["timeline"]
    if by_day:
        # As the web page's table under the chart: the days the count moved or e-mails went out.
        table = Table(title="completed responses by the end of each day", title_justify="left")
        for column in ("day", "completed", "e-mails sent"):
            table.add_column(column, justify="right" if column == "completed" else "left")
        for day in timeline.changes():
            table.add_row(day.day.isoformat(), day.shown, day.mailed.lower())
        console.print(table)
    elif timeline.days:
        console.print(timeline.description(), highlight=False)


def _mailing(slug: str, *, reminders: bool) -> None:
    from workforce.platform.surveys.operations import send

    what = "reminder" if reminders else "invitation"
    with _operation_errors(), _progress() as progress:
        # Sent here, batch by batch: a real mail server takes minutes for thousands.
        mailing = send(
            slug,
            reminders=reminders,
            progress=lambda done, total: progress(f"Sending {what}s", done, total),
        )
    if mailing.status == "done":
        console.print(
            f"{slug}: {_count(mailing.sent, what)} sent, {mailing.failed:,} refused by the mail "
            "server.",
            highlight=False,
        )
    else:
        console.print(
            f"{slug}: {_count(mailing.total, what)} queued ({mailing.status}); "
            "`workforce manage db_worker` sends them.",
            highlight=False,
        )


@survey_app.command("preview", no_args_is_help=True)
def survey_preview(
    slug: Annotated[str, typer.Argument(help="The wave.")],
    reminder: Annotated[
        bool, typer.Option("--reminder", help="The reminder, not the invitation.")
    ] = False,
    send_to: Annotated[
        str | None,
        typer.Option(help="Also send it, as a test marked [Test], to this address alone."),
    ] = None,
) -> None:
    """Show the e-mail members get (each member's own link stands as a placeholder)."""
    from workforce.platform.surveys.operations import preview_message

    with _operation_errors():
        content, sent = preview_message(slug, reminder=reminder, send_to=send_to)
    console.print(f"Subject: {content.subject}", highlight=False, markup=False)
    console.print(f"From: {content.from_email}", highlight=False, markup=False)
    console.print(f"Reply-To: {content.reply_to}", highlight=False, markup=False)
    console.print("", highlight=False)
    console.print(content.text.strip(), highlight=False, markup=False, soft_wrap=True)
    if sent:
        err_console.print(f"A test was sent to {sent}.", highlight=False)


@survey_app.command("invite", no_args_is_help=True)
def survey_invite(slug: Annotated[str, typer.Argument(help="The wave.")]) -> None:
    """E-mail each member of the frame not yet invited a personal, single-use link."""
    _mailing(slug, reminders=False)


@survey_app.command("remind", no_args_is_help=True)
def survey_remind(
    slug: Annotated[str, typer.Argument(help="The wave.")],
    on: Annotated[
        str | None,
        typer.Option(
            help="Plan them for this day, YYYY-MM-DD (09:00); the task worker sends them."
        ),
    ] = None,
    cancel: Annotated[
        str | None, typer.Option(help="Cancel the reminders planned for this day.")
    ] = None,
) -> None:
    """Remind the members who have not finished (never those done, opted out or bounced):
    now, or on a later day to those not finished by then."""
    if on is None and cancel is None:
        _mailing(slug, reminders=True)
        return
    from workforce.platform.surveys.operations import cancel_reminders, schedule_reminders

    # A plan for a later day waits in the database queue, for `workforce manage db_worker`.
    os.environ.setdefault("WORKFORCE_TASKS", "database")
    with _operation_errors():
        if cancel is not None:
            mailing = cancel_reminders(slug, on=_date(cancel, "--cancel"))
            console.print(
                f"{slug}: the reminders of {mailing.send_after:%-d %B %Y} are cancelled.",
                highlight=False,
            )
        if on is not None:
            mailing = schedule_reminders(slug, on=_date(on, "--on"))
            console.print(
                f"{slug}: reminders planned for {mailing.send_after:%-d %B %Y, %H:%M} UTC, to "
                "the members who have not finished by then; `workforce manage db_worker` "
                "sends them.",
                highlight=False,
            )


@survey_app.command("bounces", no_args_is_help=True)
def survey_bounces(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="A mail service's bounce list (CSV with an email column, or one address a "
            "line), or the undeliverable reports themselves (mbox or .eml)."
        ),
    ],
) -> None:
    """Record bounces reported after sending: no more reminders to those addresses."""
    from workforce.platform.surveys.operations import record_bounces

    with _operation_errors():
        recorded = record_bounces(files)
    for bounces, result in recorded:
        console.print(
            f"{bounces.file}: {_count(len(bounces.addresses), 'bounced address', 'es')}; "
            f"{_count(result.invitations, 'invitation')} marked bounced",
            highlight=False,
        )
        if result.unmatched:
            console.print(
                f"  {len(result.unmatched)} matched no unfinished invitation of a running wave "
                f"(already answered, or not invited): {', '.join(result.unmatched[:10])}"
                + (" ..." if len(result.unmatched) > 10 else ""),
                highlight=False,
            )
        for skipped in bounces.skipped:
            console.print(
                f"  {bounces.file}, {skipped.where}: {skipped.value!r} not taken: {skipped.reason}",
                highlight=False,
            )


@survey_app.command("export", no_args_is_help=True)
def survey_export(
    slug: Annotated[str, typer.Argument(help="The wave.")],
    format: Annotated[str, typer.Option(help="csv, xlsx, sav, dta or records.")] = "csv",
    out: Annotated[Path | None, typer.Option(help="File to write.")] = None,
) -> None:
    """Write the wave's responses (with labels and a codebook) or its standard records."""
    from workforce.platform.surveys.operations import export

    suffix = "csv" if format == "records" else format
    target = out or Path(f"{slug}{'-records' if format == 'records' else ''}.{suffix}")
    with _operation_errors():
        path, rows = export(slug, format=format, out=target)
    console.print(f"Wrote {_count(rows, 'row')} to {path}", highlight=False)


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


# --- stats ------------------------------------------------------------------------------------


@stats_app.command("estimate", no_args_is_help=True)
def stats_estimate(
    data: Annotated[Path, typer.Argument(metavar="DATA.csv", help="One row per respondent.")],
    weight: Annotated[str, typer.Option(help="Column of base (sampling) weights.")],
    rake_margins: Annotated[
        Path | None,
        typer.Option(
            "--rake",
            metavar="MARGINS.csv",
            help="Frame totals to rake to: columns variable,category,total.",
        ),
    ] = None,
    mean: Annotated[str | None, typer.Option(metavar="COL", help="Estimate a mean.")] = None,
    proportion: Annotated[
        str | None, typer.Option(metavar="COL=VALUE", help="Estimate the share with COL = VALUE.")
    ] = None,
    total: Annotated[str | None, typer.Option(metavar="COL", help="Estimate a total.")] = None,
    by: Annotated[
        str | None, typer.Option(metavar="COL[,COL]", help="Estimate per domain (intersection).")
    ] = None,
    ci: Annotated[
        str,
        typer.Option(
            help="Interval for proportions: logit|beta|likelihood|wilson|clopper-pearson."
        ),
    ] = "logit",
    level: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    strata: Annotated[str | None, typer.Option(metavar="COL", help="Stratum column.")] = None,
    cluster: Annotated[
        str | None, typer.Option(metavar="COL", help="Primary sampling unit column.")
    ] = None,
    fpc: Annotated[
        str | None,
        typer.Option(
            metavar="COL|N",
            help="Finite population correction: a column, or the population size.",
        ),
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Raking tolerance, relative to the total weight.")
    ] = 1e-8,
    max_iterations: Annotated[int, typer.Option(help="Raking sweeps at most.")] = 100,
    variance: Annotated[
        str, typer.Option(help="linearization | jackknife | bootstrap (re-raked replicates).")
    ] = "linearization",
    replicates: Annotated[int, typer.Option(help="Bootstrap replicates.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap or jackknife groups.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Weighted estimates with design-based standard errors, intervals and reliability.

    Exactly one of --mean, --proportion, --total. With --rake the weights are first raked to
    the frame's margins; the standard errors then account for the raking.
    """
    import json

    from workforce.stats import StatsError
    from workforce.stats.intervals import METHODS
    from workforce.stats.run import EstimateRequest, run_estimate

    chosen = [(k, v) for k, v in (("mean", mean), ("proportion", proportion), ("total", total))
              if v is not None]
    if len(chosen) != 1:
        err_console.print("[red]give exactly one of --mean, --proportion, --total[/red]")
        raise typer.Exit(2)
    statistic, target = chosen[0]
    value = None
    if statistic == "proportion":
        column, sep, value = target.partition("=")
        if not sep or not column or not value:
            err_console.print(
                f"[red]--proportion takes COLUMN=VALUE, e.g. gender=woman; got {target!r}[/red]"
            )
            raise typer.Exit(2)
    else:
        column = target
    if ci not in METHODS:
        err_console.print(f"[red]--ci must be one of {', '.join(METHODS)}; got {ci!r}[/red]")
        raise typer.Exit(2)
    fpc_value: str | float | None = fpc
    if fpc is not None:
        try:
            fpc_value = float(fpc)
        except ValueError:
            fpc_value = fpc
    request = EstimateRequest(
        data=data,
        weight=weight,
        statistic=statistic,
        column=column.strip(),
        value=None if value is None else value.strip(),
        by=[name.strip() for name in by.split(",") if name.strip()] if by else [],
        ci=ci,
        level=level,
        margins=rake_margins,
        strata=strata,
        cluster=cluster,
        fpc=fpc_value,
        tolerance=tolerance,
        max_iterations=max_iterations,
        variance=variance,
        replicates=replicates,
        seed=seed,
    )
    try:
        if as_json:
            result = run_estimate(request)
        else:
            with err_console.status("estimating") as status:
                result = run_estimate(request, step=lambda text: status.update(text))
    except StatsError as error:
        err_console.print(str(error), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print_estimates(result)


def _print_estimates(result: dict) -> None:
    from rich.table import Table

    share = result["statistic"] == "proportion"
    level = result["level"]

    def shown(value):
        if value is None:
            return "—"
        return f"{100 * value:.1f}%" if share else f"{value:,.4g}"

    groups = [e["group"] for e in result["estimates"]]
    names = list(groups[0]) if groups and groups[0] else []
    table = Table(
        title=f"{result['statistic']} of {result['variable']}",
        title_justify="left",
    )
    for name in names:
        table.add_column(name)
    for heading in ("estimate", "SE", f"{level:.0%} CI", "n", "n eff", "reliability"):
        table.add_column(heading, justify="left" if heading == "reliability" else "right")
    for e in result["estimates"]:
        interval = (
            "—" if e["ci_low"] is None else f"{shown(e['ci_low'])} – {shown(e['ci_high'])}"
        )
        se = "—" if e["se"] is None else (f"{100 * e['se']:.2f}" if share else f"{e['se']:,.4g}")
        verdict = e["reliability"]
        n_eff = "—" if e["n_eff"] is None else f"{e['n_eff']:,.1f}"
        table.add_row(*[str(e["group"][n]) for n in names], shown(e["estimate"]), se, interval,
                      f"{e['n']:,}", n_eff, verdict)
    console.print(table)
    w = result["weights"]
    how = (
        f"raked to {len({m['variable'] for m in w.get('margins', [])})} margins in "
        f"{w['iterations']} sweeps ({'converged' if w['converged'] else 'NOT converged'})"
        if w["method"] != "as given"
        else "as given"
    )
    console.print(
        f"Weights {how}; Kish design effect {w['deff']:.3f}, effective sample size "
        f"{w['n_eff']:,.1f}; variance by {result['variance']}.",
        highlight=False,
    )
    for e in result["estimates"]:
        if e["reasons"]:
            who = ", ".join(f"{k} {v}" for k, v in e["group"].items()) if e["group"] else "All"
            console.print(
                f"{who}: {e['reliability']} — {'; '.join(e['reasons'])}.",
                highlight=False,
                soft_wrap=True,
            )
    for note in result["notes"]:
        console.print(f"Note: {note}", highlight=False)


# --- disclose ---------------------------------------------------------------------------------


@app.command(no_args_is_help=True)
def disclose(
    table: Annotated[
        Path, typer.Argument(metavar="TABLE.csv", help="The inner cells, one row each.")
    ],
    count: Annotated[str, typer.Option(metavar="COL", help="The column of counts.")],
    dims: Annotated[str, typer.Option(metavar="A,B[,C...]", help="The dimensions (1 to 5).")],
    threshold: Annotated[int, typer.Option(help="Counts from 1 to this − 1 are hidden.")] = 5,
    protection: Annotated[
        float | None,
        typer.Option(help="How far an attacker's interval must reach (default: threshold)."),
    ] = None,
    cost: Annotated[str, typer.Option(help="What hiding a cell costs: cells | counts.")] = "cells",
    insiders: Annotated[
        str | None,
        typer.Option(metavar="DIM", help="A dimension whose groups each know their own cells."),
    ] = None,
    hierarchy: Annotated[
        list[str] | None,
        typer.Option(
            metavar="DIM=FILE.csv",
            help="Groups within a dimension: a CSV with columns code,parent (repeatable).",
        ),
    ] = None,
    tries: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Protect the table this many times, primary cells in different orders, and "
            "keep the pattern hiding least; each try takes about as long as the first "
            "(default: 32 under 100 cells with the margins, 4 under 300, else 1).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Protect a table of counts: primary and secondary suppression, then the attacker's audit.

    The margins (`Total`) are added; suppressed counts are null. Exit code 0 when the audit
    passes, 1 when the table must not be published (the reasons are printed), 2 on bad input.
    """
    import json

    from workforce.disclosure.errors import DisclosureError
    from workforce.disclosure.gate import TableSpec, protect_tables
    from workforce.disclosure.secondary import COSTS

    names = tuple(d.strip() for d in dims.split(",") if d.strip())
    if cost not in COSTS:
        err_console.print(f"[red]--cost must be one of {', '.join(COSTS)}; got {cost!r}[/red]")
        raise typer.Exit(2)
    try:
        import pandas as pd

        try:
            inner = pd.read_csv(table, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except FileNotFoundError:
            raise DisclosureError(f"{table}: no such file") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise DisclosureError(f"{table}: not a readable CSV file ({error})") from None
        spec = TableSpec(str(table), inner, count, names, _hierarchies(hierarchy or []))
        result = protect_tables([spec], threshold=threshold, protection=protection, cost=cost,
                                insiders=insiders, tries=tries)
    except DisclosureError as error:
        err_console.print(str(error), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        _print_disclosure(result, names)
    if not result.publishable:
        for failure in result.audit.failures[:20]:
            where = ", ".join(f"{k}={v}" for k, v in result.space.describe(failure.cell).items())
            err_console.print(f"not publishable: {where}: {failure.reason}", highlight=False,
                              soft_wrap=True, markup=False)
        raise typer.Exit(1)


def _hierarchies(options: list[str]) -> dict:
    """`DIM=FILE.csv` options as hierarchies; the file has columns code,parent."""
    import pandas as pd

    from workforce.disclosure.errors import DisclosureError
    from workforce.disclosure.table import Hierarchy

    out = {}
    for option in options:
        dim, sep, path = option.partition("=")
        if not sep or not dim or not path:
            raise DisclosureError(f"--hierarchy takes DIM=FILE.csv, not {option!r}")
        try:
            rows = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except FileNotFoundError:
            raise DisclosureError(f"{path}: no such file") from None
        missing = [c for c in ("code", "parent") if c not in rows.columns]
        if missing:
            raise DisclosureError(f"{path}: missing column(s) {', '.join(missing)}; the "
                                  "hierarchy file needs code,parent")
        blank = (rows["code"].str.strip() == "") | (rows["parent"].str.strip() == "")
        if blank.any():
            line = int(blank.to_numpy().nonzero()[0][0]) + 2
            raise DisclosureError(f"{path}: line {line}: code and parent must both be given")
        parent = dict(zip(rows["code"].str.strip(), rows["parent"].str.strip(), strict=True))
        out[dim.strip()] = Hierarchy(dim.strip(), parent)
    return out


def _print_disclosure(result, names) -> None:
    from rich.table import Table

    shown = Table(title="published table", title_justify="left")
    for name in names:
        shown.add_column(name)
    shown.add_column("count", justify="right")
    shown.add_column("status")
    for cell in result.cells():
        count = "—" if cell["count"] is None else f"{cell['count']:,}"
        shown.add_row(*[cell[n] for n in names], count, cell["status"])
    console.print(shown)
    statuses = [cell["status"] for cell in result.cells()]
    primaries, secondaries = statuses.count("primary"), statuses.count("secondary")
    console.print(
        f"{primaries} cell{'s' * (primaries != 1)} under {result.threshold} hidden, "
        f"{secondaries} more hidden to protect {'them' if primaries != 1 else 'it'}; audit "
        f"{'passed' if result.publishable else 'FAILED'} against "
        f"{', '.join(sorted({i.attacker for i in result.audit.intervals})) or 'every attacker'}.",
        highlight=False,
    )


# --- report -----------------------------------------------------------------------------------


@app.command()
def report(
    out: Annotated[Path, typer.Option(metavar="DIR", help="Where to write the report.")],
    inputs: Annotated[
        Path,
        typer.Option(metavar="REPORT.yaml",
                     help="The report's inputs: membership records, waves, goals."),
    ] = Path("report.yaml"),
    wave: Annotated[
        str | None, typer.Option(metavar="W", help="The survey wave (default: the latest).")
    ] = None,
    org: Annotated[
        str | None,
        typer.Option(metavar="ORG", help="A society's report (default: the consortium's)."),
    ] = None,
    threshold: Annotated[int, typer.Option(help="Counts from 1 to this − 1 are withheld.")] = 5,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Write the benchmark report: report.html, report.pdf and the open data package (data/).

    Every figure passes the disclosure gate. Exit code 0 when written, 1 when a source's
    tables failed the audit (they are withheld from the report), 2 on bad input.
    """
    import json

    from workforce.reporting.build import build_report
    from workforce.reporting.catalog import CatalogError
    from workforce.reporting.datapackage import validate_data_package
    from workforce.reporting.goals import GoalError
    from workforce.reporting.inputs import InputError, load_inputs
    from workforce.reporting.write import summary_of, write_report
    from workforce.stats.errors import StatsError

    try:
        with _progress() as progress:
            loaded = load_inputs(inputs)
            built = build_report(loaded, wave=wave, organization=org, threshold=threshold,
                                 progress_report=progress)
            progress("Writing HTML, PDF and data", 0, 1)
            written = write_report(built, out, pdf=pdf)
            progress("Writing HTML, PDF and data", 1, 1)
    except (InputError, GoalError, CatalogError, StatsError, ValueError) as error:
        err_console.print(str(error), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(2) from None
    validation = validate_data_package(written.package)
    summary = summary_of(built) | {
        "files": {"html": str(written.html), "pdf": str(written.pdf) if written.pdf else None,
                  "datapackage": str(written.package)},
        "datapackage_valid": validation.valid,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        console.print(f"[bold]{built.title}[/bold]")
        for path in (written.html, written.pdf, written.package):
            if path:
                console.print(f"  {path}", highlight=False)
        withheld = sum(summary["withheld"].values())
        console.print(f"{len(built.tables)} tables, {withheld:,} values withheld by the gate; "
                      f"data package {'valid' if validation.valid else 'INVALID'}")
        for gate in built.gates:
            verdict = "audit passed" if gate.passed else "AUDIT FAILED: withheld"
            console.print(f"  {gate.source}: {gate.tables} tables, {gate.cells:,} cells, "
                          f"{gate.primary} primary, {gate.secondary} secondary, {verdict}")
        for goal in built.goals:
            console.print(f"Goal: {goal.statement}", highlight=False)
    for error in validation.errors[:20]:
        err_console.print(f"data package: {error}", highlight=False, markup=False)
    if not validation.valid or not all(g.passed for g in built.gates):
        raise typer.Exit(1)


# --- qual -------------------------------------------------------------------------------------


def _qual_failed(error: Exception) -> NoReturn:
    err_console.print(str(error), highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(2) from None


ProjectDir = Annotated[
    Path,
    typer.Option("--project", metavar="DIR",
                 help="The project directory (project.json, and originals/ kept apart)."),
]


@qual_app.command("import", no_args_is_help=True)
def qual_import(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[TRANSCRIPTS... | PROJECT.qdpx]",
                       help="Transcripts (.txt with 'Speaker:' lines, .docx, .vtt, .srt) or "
                       "directories of them; or one REFI-QDA .qdpx project."),
    ] = None,
    project_dir: ProjectDir = Path("focus-groups"),
    participants: Annotated[
        Path | None, typer.Option(metavar="CSV", help="id, group, name, aliases, speaker, "
                                  "response and standard attribute columns.")
    ] = None,
    identifying: Annotated[
        Path | None, typer.Option(metavar="YAML", help="Institutions, places and other terms "
                                  "to replace (names come from the participants).")
    ] = None,
    codebook: Annotated[
        Path | None, typer.Option(metavar="YAML|QDC", help="The codebook: YAML or a REFI-QDA "
                                  ".qdc; a changed codebook is saved as a new version.")
    ] = None,
    codings: Annotated[
        Path | None, typer.Option(metavar="CSV", help="source, coder, code, start, end "
                                  "(offsets in the transcripts as given).")
    ] = None,
    responses: Annotated[
        Path | None, typer.Option(metavar="CSV", help="Survey responses whose open-text "
                                  "answers become sources (one per answer); with --column.")
    ] = None,
    column: Annotated[
        str | None, typer.Option(help="The open-text column of --responses.")
    ] = None,
    id_column: Annotated[
        str, typer.Option(help="The response id column of --responses.")
    ] = "response_id",
    attributes: Annotated[
        str, typer.Option(metavar="A,B", help="Standard columns of --responses the "
                          "respondents carry (e.g. career_stage,sector).")
    ] = "",
    link_responses: Annotated[
        Path | None, typer.Option(metavar="CSV", help="Survey responses: a participant whose "
                                  "'response' names one takes its standard attributes where "
                                  "the participants file left them blank.")
    ] = None,
    name: Annotated[str, typer.Option(help="The project's name, for a new project.")] = "",
    lead: Annotated[str, typer.Option(help="Who may see the originals.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print what was done as JSON.")] = False,
) -> None:
    """Add transcripts, open-text answers, participants, a codebook or codings to a project.

    Every new source is de-identified before it joins the project: participants' names,
    e-mail addresses, telephone numbers and the listed institutions and places become tags
    such as [PARTICIPANT 3] and [INSTITUTION]. The original text is kept apart in
    DIR/originals/, readable by its owner only. Exit code 2 on bad input, naming the file.
    """
    import json

    from workforce.qual.codings import QualError
    from workforce.qual.workspace import (
        OpenTextAnswers,
        import_into,
        open_project,
        save_workspace,
        transcript_paths,
    )

    files = list(files or [])
    open_text = None
    if responses is not None or column is not None:
        if responses is None or not column:
            _qual_failed(ValueError("open-text answers need both --responses CSV and --column"))
        open_text = OpenTextAnswers(responses, column, id_column, tuple(
            a.strip() for a in attributes.split(",") if a.strip()), responses.stem)
    qdpx = [f for f in files if f.suffix.lower() == ".qdpx"]
    try:
        if len(qdpx) > 1 or (qdpx and len(files) > 1):
            raise QualError("give one .qdpx project on its own, or transcripts")
        current = open_project(project_dir)
        project, originals, summary = import_into(
            current, name=name or project_dir.name, transcripts=transcript_paths(
                [f for f in files if f not in qdpx]),
            participants=participants, identifying=identifying, codebook=codebook,
            codings=codings, qdpx=qdpx[0] if qdpx else None, open_text=open_text,
            linked_responses=link_responses, lead=lead)
        save_workspace(project, originals, project_dir)
    except QualError as error:
        _qual_failed(error)
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
        return
    replaced = ", ".join(f"{n} {kind}" for kind, n in summary.replacements.items()) or "nothing"
    console.print(f"{project_dir}: {len(summary.sources)} source(s) added "
                  f"({summary.turns} turns), {summary.participants} participant(s), "
                  f"{summary.codings} coding(s); replaced {replaced}.", highlight=False)
    if summary.codebook_version:
        console.print(f"Codebook saved as version {summary.codebook_version}.", highlight=False)
    for source, labels in summary.unlinked_speakers.items():
        console.print(f"{source}: speaker(s) not linked to a participant: {', '.join(labels)}",
                      highlight=False)
    for item in summary.skipped:
        console.print(f"skipped: {item}", highlight=False)
    console.print(f"Project: {len(project.sources)} sources, {len(project.participants)} "
                  f"participants, {len(project.codes)} codes, {len(project.codings)} codings, "
                  f"coders {', '.join(project.coders) or 'none yet'}.", highlight=False)


@qual_app.command("export", no_args_is_help=True)
def qual_export(
    project_dir: ProjectDir,
    qdpx: Annotated[
        Path | None, typer.Option("--qdpx", metavar="OUT.qdpx",
                                  help="The whole project as REFI-QDA (NVivo, ATLAS.ti, "
                                  "MAXQDA, QualCoder).")
    ] = None,
    qdc: Annotated[
        Path | None, typer.Option("--qdc", metavar="OUT.qdc", help="The codebook alone.")
    ] = None,
    codings_csv: Annotated[
        Path | None, typer.Option("--codings", metavar="OUT.csv",
                                  help="The codings as CSV (source, coder, code, start, end), "
                                  "as `qual agreement` and `qual import` read them.")
    ] = None,
) -> None:
    """Write the project (de-identified: originals never leave) as REFI-QDA files or CSV."""
    from workforce.qual.codings import QualError
    from workforce.qual.files import write_codings
    from workforce.qual.project import load_project
    from workforce.qual.refi import write_qdc, write_qdpx

    if qdpx is None and qdc is None and codings_csv is None:
        _qual_failed(ValueError("say what to write: --qdpx OUT.qdpx, --qdc OUT.qdc and/or "
                                "--codings OUT.csv"))
    try:
        project = load_project(project_dir)
        if qdpx is not None:
            write_qdpx(project, qdpx)
            console.print(f"Wrote {qdpx}: {len(project.sources)} sources, "
                          f"{len(project.participants)} cases, {len(project.codes)} codes, "
                          f"{len(project.codings)} codings, {len(project.memos)} memos "
                          "(validated against the REFI-QDA schema).", highlight=False)
        if qdc is not None:
            write_qdc(project.codes, qdc)
            console.print(f"Wrote {qdc}: {len(project.codes)} codes.", highlight=False)
        if codings_csv is not None:
            write_codings(project.codings, codings_csv)
            console.print(f"Wrote {codings_csv}: {len(project.codings)} codings.",
                          highlight=False)
    except QualError as error:
        _qual_failed(error)


@qual_app.command("quotes", no_args_is_help=True)
def qual_quotes(
    project_dir: ProjectDir,
    participants: Annotated[
        Path | None, typer.Option(metavar="CSV", help="The participants file: their names are "
                                  "checked in every quote.")
    ] = None,
    identifying: Annotated[
        Path | None, typer.Option(metavar="YAML", help="Institutions, places and other terms "
                                  "checked in every quote.")
    ] = None,
    per_code: Annotated[int, typer.Option(help="Quotes per code.")] = 2,
    threshold: Annotated[int, typer.Option(help="The smallest group a quote may come "
                                           "from.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
) -> None:
    """Quotes that may be published, per code, and how many were withheld and why.

    Each is a coded passage of one participant's words, 6 to 60 words, naming nothing on the
    identifying list, from a group of at least THRESHOLD. A passage withheld for naming an
    identifier is counted, never printed.
    """
    import json

    from workforce.qual.analysis import IDENTIFIER, exemplary_quotes
    from workforce.qual.codings import QualError
    from workforce.qual.deidentify import IdentifyingList, read_identifying_list
    from workforce.qual.project import load_project
    from workforce.qual.sources import read_participants

    try:
        project = load_project(project_dir)
        terms = read_identifying_list(identifying) if identifying else IdentifyingList()
        if participants:
            terms = terms.with_names(read_participants(participants).names)
        chosen = exemplary_quotes(project, terms, per_code=per_code, threshold=threshold)
    except QualError as error:
        _qual_failed(error)
    if not terms.names and not (terms.institutions or terms.places or terms.other):
        err_console.print("No identifying list given (--participants, --identifying): quotes "
                          "were checked for group size, speakers and length only.",
                          highlight=False)
    out = {
        code: {
            "accepted": [{"text": q.text, "source": q.source, "start": q.start, "end": q.end,
                          "group": q.group, "agreed": q.agreed} for q in choice.accepted],
            # A refused passage's words are not printed when it names someone.
            "withheld": [{"source": r.quote.source, "start": r.quote.start, "end": r.quote.end,
                          "reasons": list(r.reasons),
                          **({} if IDENTIFIER in r.kinds else {"text": r.quote.text})}
                         for r in choice.refused],
        }
        for code, choice in chosen.items()
    }
    if as_json:
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    for code, found in out.items():
        console.print(f"[bold]{code}[/bold]")
        for quote in found["accepted"]:
            console.print(f"  “{quote['text']}” ({quote['source']} {quote['start']}-"
                          f"{quote['end']}{', agreed' if quote['agreed'] else ''})",
                          highlight=False, markup=False)
        if not found["accepted"]:
            console.print("  no passage passed the checks", highlight=False)
        for refusal in found["withheld"]:
            console.print(f"  withheld {refusal['source']} {refusal['start']}-{refusal['end']}"
                          f": {'; '.join(refusal['reasons'])}", highlight=False, markup=False)


@qual_app.command("agreement")
def qual_agreement(
    codings: Annotated[
        Path | None,
        typer.Argument(metavar="[CODINGS.csv]",
                       help="Columns source, coder, code, start, end (character offsets); "
                       "or use --project."),
    ] = None,
    texts: Annotated[
        Path | None, typer.Option(metavar="DIR", help="With CODINGS.csv: the sources, one "
                                  "<source>.txt each (UTF-8).")
    ] = None,
    project_dir: Annotated[
        Path | None, typer.Option("--project", metavar="DIR",
                                  help="A project directory: its sources and codings.")
    ] = None,
    coders: Annotated[
        str | None, typer.Option(metavar="A,B[,...]", help="Only these coders.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Agreement per code: percent, Cohen's kappa (two coders), Krippendorff's alpha.

    Each figure is given on two bases, named with it: every character of all text, and only
    the characters at least one coder coded (uncoded text inflates the first). Exit code 2
    on bad input, naming the file, line and column.
    """
    import json

    from workforce.qual.agreement import agreement
    from workforce.qual.codings import QualError
    from workforce.qual.files import read_codings, read_texts
    from workforce.qual.project import load_project

    try:
        if project_dir is not None:
            if codings is not None or texts is not None:
                raise QualError("give --project, or CODINGS.csv with --texts, not both")
            project = load_project(project_dir)
            found, lengths = project.codings, project.lengths()
        elif codings is not None and texts is not None:
            found = read_codings(codings)
            lengths = {k: len(v) for k, v in read_texts(texts).items()}
        else:
            raise QualError("give --project DIR, or CODINGS.csv with --texts DIR")
        chosen = [c.strip() for c in coders.split(",")] if coders else None
        results = agreement(found, lengths, coders=chosen)
    except QualError as error:
        _qual_failed(error)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    def shown(value: float | None, percent: bool = False) -> str:
        if value is None:
            return "—"
        return f"{value:.1%}" if percent else f"{value:.3f}"

    coder_names = ", ".join(results[0].coders) if results else ""
    table = Table(title=f"Agreement between {coder_names}", title_justify="left")
    for column in ("code", "basis", "units", "percent", "Cohen's kappa", "Krippendorff's alpha"):
        table.add_column(column, justify="left" if column in ("code", "basis") else "right")
    for r in results:
        table.add_row(r.code, r.basis.replace("_", " "), f"{r.units:,}",
                      shown(r.percent, percent=True), shown(r.kappa), shown(r.alpha))
    console.print(table)
    console.print("Units: all text = each character of all sources; coded = each character "
                  "at least one coder coded, with any code.", highlight=False)


@qual_app.command("themes", no_args_is_help=True)
def qual_themes(
    project_dir: ProjectDir,
    by: Annotated[
        str, typer.Option(help="'group' (the focus group) or a participant attribute, e.g. "
                          "career_stage.")
    ] = "group",
    coder: Annotated[
        str | None, typer.Option(help="One coder's codings (default: the union of all).")
    ] = None,
    threshold: Annotated[int, typer.Option(help="The disclosure threshold.")] = 5,
    protection: Annotated[
        float | None, typer.Option(help="Protection width (default: the threshold).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the cells as JSON.")] = False,
) -> None:
    """How many participants of each group raised each code, through the disclosure gate.

    A withheld count prints as a dash; exit code 1 when the gate's audit fails (nothing is
    shown then), 2 on bad input.
    """
    import json

    from workforce.qual.analysis import PARTICIPANTS, theme_by_group
    from workforce.qual.codings import QualError
    from workforce.qual.project import load_project

    try:
        matrix = theme_by_group(load_project(project_dir), by=by, coder=coder,
                                threshold=threshold, protection=protection)
    except QualError as error:
        _qual_failed(error)
    if as_json:
        typer.echo(json.dumps(matrix.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        from rich.table import Table

        table = Table(title=f"Participants who raised each code, by {by}", title_justify="left")
        table.add_column("code")
        for group in matrix.counts.columns:
            table.add_column(str(group), justify="right")
        for code in matrix.counts.index:
            label = "participants" if code == PARTICIPANTS else code
            table.add_row(label, *("—" if matrix.counts.at[code, g] is None
                                   else f"{matrix.counts.at[code, g]}"
                                   for g in matrix.counts.columns))
        console.print(table)
        console.print(f"Minimum count {matrix.threshold}; a dash is withheld by the disclosure "
                      f"gate. Audit {'passed' if matrix.publishable else 'FAILED'}.",
                      highlight=False)
    if not matrix.publishable:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
