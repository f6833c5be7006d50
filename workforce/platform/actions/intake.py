"""Actions of partner intake: propose a mapping for an upload, save a version, ingest.

Reading the file and mapping it are the pure core's work (``workforce.intake``); these
functions keep what it returns: mapping versions in the database, the standard records and
rejected rows as files beside the upload, and an audit event for every step.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from workforce.intake import (
    ColumnMapping,
    IntakeError,
    SourceTable,
    ingest,
    propose_mapping,
    read_source,
    undecided_values,
)
from workforce.intake import Mapping as IntakeMapping
from workforce.intake.compare import code_counts
from workforce.intake.files import read_for_mapping, write_outputs, year_from_name
from workforce.intake.mapping import (
    VALUE_METHODS,
    column_keys,
    mapping_from_dict,
    with_proposals,
)
from workforce.intake.read import FORMATS, sheet_names
from workforce.platform.accounts.models import User
from workforce.platform.actions.uploads import locked_upload, refuse_if_set_aside
from workforce.platform.audit.models import AuditEvent
from workforce.platform.intake.models import (
    PROBLEMS_FILE,
    PROVENANCE_FILE,
    RECORDS_FILE,
    REJECTS_FILE,
    IngestRun,
    Mapping,
)
from workforce.platform.organizations.models import Organization
from workforce.platform.uploads.models import Upload
from workforce.platform.uploads.storage import sha256_of

# The validation report kept in the database (and shown) lists this many problems; the
# problems file of the run has every one.
REPORT_PROBLEMS = 200


@contextlib.contextmanager
def source_path(upload: Upload) -> Iterator[Path]:
    """The stored file under its original name.

    Uploads are stored under their checksum, without an extension, but the reader tells the
    format from the extension and names the file in its messages, so it reads a link that
    carries the name the society gave the file. A stored file gone missing is an
    `IntakeError`.
    """
    if not upload.path.exists():
        raise IntakeError(f"{upload.original_filename}: the stored file is missing")
    with tempfile.TemporaryDirectory(prefix="workforce-intake-") as folder:
        link = Path(folder) / upload.original_filename
        try:
            link.symlink_to(upload.path)
        except OSError:  # a file system without links: a copy reads the same
            link.write_bytes(upload.path.read_bytes())
        yield link


def read_upload(upload: Upload, sheet: str | None = None) -> SourceTable:
    """The upload as read, from ``sheet`` of a workbook (default: its first sheet)."""
    with source_path(upload) as path:
        return read_source(path, sheet=sheet or None)


def ingest_upload(upload: Upload, mapping: IntakeMapping, sheet: str | None, year: int):
    """The upload ingested with a mapping, read as `workforce.intake.ingest_file` reads a
    file (`read_for_mapping`), inside the link's life: rejected rows are read whole again
    from the file while ingest runs."""
    with source_path(upload) as path:
        table = read_for_mapping(path, mapping, sheet=sheet or None)
        return ingest(table, mapping, year=year)


def upload_sheets(upload: Upload) -> list[str]:
    """The sheets of an uploaded workbook ([] for other files, or one that cannot be read)."""
    if FORMATS.get(Path(upload.original_filename).suffix.lower()) != "xlsx":
        return []  # decided by the name, as the reader decides it, without touching the file
    if not upload.path.exists():
        return []
    with source_path(upload) as path:
        try:
            return sheet_names(path)
        except IntakeError:
            return []


def _proposal_sheet(
    upload: Upload, sheet: str | None, previous: IntakeMapping | None
) -> str | None:
    """The sheet asked for; else the sheet the society's confirmed mapping names, when the
    workbook has it; else None (the first sheet)."""
    if sheet is None and previous is not None:
        named = previous.source.get("sheet")
        if named and named in upload_sheets(upload):
            return named
    return sheet


def _mappable(upload: Upload) -> Upload:
    """The upload, its row locked (so it cannot be set aside meanwhile), if it may be mapped."""
    locked = locked_upload(upload)
    refuse_if_set_aside(locked)
    return locked


def reference_year(upload: Upload) -> int:
    """The year the export describes: written in its name, else the year it arrived."""
    return year_from_name(Path(upload.original_filename)) or upload.uploaded_at.year


def _next_version(organization: Organization) -> int:
    # Locking the organization's row serializes version numbers of one society.
    Organization.objects.select_for_update().get(pk=organization.pk)
    latest = Mapping.objects.filter(organization=organization).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def _value_counts(proposal: IntakeMapping, table: SourceTable, previous: IntakeMapping | None):
    """Per mapped column: each distinct value in this file, its rows, and whether it is new."""
    columns = {}
    for column in proposal.columns:
        if column.method not in VALUE_METHODS or column.column not in table.frame.columns:
            continue
        totals = column_keys(column, table.frame[column.column])[0]
        # A code a value label declares but no row uses still needs a decision when undecided.
        for key, decision in column.values.items():
            if key not in totals and not decision.decided:
                totals[key] = 0
        before = previous.column(column.column) if previous is not None else None
        columns[column.column] = [
            {
                "key": key,
                "rows": rows,
                "new": previous is not None and (before is None or key not in before.values),
            }
            for key, rows in sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        ]
    return columns


@transaction.atomic
def do_propose_mapping(
    upload: Upload, *, acting_user: User | None, sheet: str | None = None
) -> IngestRun:
    """Read ``upload`` and save a proposed mapping version for it, with its values counted.

    The proposal starts from the society's latest confirmed mapping when the file has that
    mapping's columns, so a later export asks only about values not decided before. A
    workbook is read from ``sheet``, else from the sheet that mapping names, else from its
    first sheet. A file that cannot be read gives a failed run that says why; a file set
    aside, a ``ValidationError``.
    """
    upload = _mappable(upload)
    organization = upload.organization
    previous = Mapping.latest_confirmed(organization)
    run = IngestRun(upload=upload, created_by=acting_user, year=reference_year(upload))
    start = previous.parsed() if previous is not None else None
    sheet = _proposal_sheet(upload, sheet, start)
    try:
        table = read_upload(upload, sheet)
    except IntakeError as error:
        run.values = {"sheet": sheet or ""}  # so the page says which sheet could not be read
        return _fail(run, str(error), acting_user, step="propose")
    note = ""
    if start is not None:
        missing = [c.column for c in start.columns if c.column not in table.frame.columns]
        if missing:
            note = (
                f"This file does not have the columns {', '.join(map(repr, missing))} of "
                f"mapping version {previous.version}, so its columns were proposed afresh."
            )
            start = None
    proposal = propose_mapping(table, organization.code, previous=start)
    run.previous = previous if start is not None else None
    return _save_proposal(run, proposal, table, start, note, acting_user)


def _save_proposal(
    run: IngestRun,
    proposal: IntakeMapping,
    table: SourceTable,
    start: IntakeMapping | None,
    note: str,
    acting_user: User | None,
    *,
    revised: bool = False,
) -> IngestRun:
    upload = run.upload
    organization = upload.organization
    version = _next_version(organization)
    source = {**proposal.source, "file": upload.original_filename}
    if table.sheet:  # the sheet read, which a later export is read from too
        source["sheet"] = table.sheet
    proposal = replace(proposal, version=version, source=source)
    mapping = Mapping.objects.create(
        organization=organization,
        version=version,
        yaml=proposal.to_yaml(),
        confirmed=False,
        upload=upload,
        created_by=acting_user,
    )
    run.proposal = mapping
    run.values = {
        "columns": _value_counts(proposal, table, start),
        "file_columns": [str(column) for column in table.frame.columns],
        "note": note,
        "sheet": table.sheet or "",
    }
    run.save()
    undecided = undecided_values(proposal, table.frame)
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.MAPPING_PROPOSED,
        obj=mapping,
        organization=organization,
        details={
            "upload_id": upload.pk,
            "run_id": run.pk,
            "version": version,
            "previous_version": run.previous.version if run.previous else None,
            "undecided": len(undecided),
            "revised_columns": revised,
        },
    )
    return run


@transaction.atomic
def do_revise_columns(
    upload: Upload,
    columns: dict[str, tuple[str, str] | None],
    *,
    acting_user: User | None,
) -> IngestRun:
    """Point the open proposal's columns where the steward says, as a new proposed version.

    ``columns`` gives, per column of the file, its (dimension, method) or None for a column
    not used. Columns left as they were keep their value decisions; a column given a new
    dimension gets fresh proposals for its values.
    """
    upload = _mappable(upload)
    run = (
        # Only the run's row is locked: PostgreSQL cannot lock the nullable side of a join.
        IngestRun.objects.select_for_update(of=("self",))
        .select_related("proposal", "previous")
        .filter(upload=upload, status=IngestRun.Status.NEEDS_MAPPING)
        .first()
    )
    if run is None:
        raise ValidationError("This upload has no open proposal to revise.")
    try:
        table = read_upload(upload, run.values.get("sheet"))
    except IntakeError as error:
        return _fail(run, str(error), acting_user, step="propose")
    current = run.proposal.parsed()
    revised = []
    for name in table.frame.columns:
        choice = columns.get(str(name))
        if choice is None:
            continue
        dimension, method = choice
        kept = current.column(str(name))
        if kept is not None and (kept.dimension, kept.method) == (dimension, method):
            revised.append(kept)
        else:
            revised.append(
                ColumnMapping(str(name), dimension, method, {}, reason="chosen by a person")
            )
    try:
        proposal = mapping_from_dict(
            yaml.safe_load(replace(current, columns=tuple(revised)).to_yaml()),
            f"{upload.organization.code} mapping",
        )
    except IntakeError as error:
        raise ValidationError(str(error)) from None
    proposal = with_proposals(proposal, table.frame, table.value_labels)
    start = run.previous.parsed() if run.previous is not None else None
    return _save_proposal(
        run, proposal, table, start, run.values.get("note", ""), acting_user, revised=True
    )


@transaction.atomic
def do_save_mapping(
    organization: Organization,
    mapping: IntakeMapping | str | dict,
    *,
    acting_user: User | None,
    upload: Upload | None = None,
    confirmed: bool = True,
) -> Mapping:
    """Save ``mapping`` (a mapping, its YAML, or the YAML's data) as the next version.

    A confirmed version must decide every value it lists: it is what the next export of the
    society starts from.
    """
    try:
        if isinstance(mapping, str):
            mapping = yaml.safe_load(mapping)
        if not isinstance(mapping, IntakeMapping):
            mapping = mapping_from_dict(mapping, f"{organization.code} mapping")
    except (IntakeError, yaml.YAMLError) as error:
        raise ValidationError(str(error)) from None
    if mapping.org != organization.code:
        raise ValidationError(
            f"This mapping belongs to {mapping.org!r}, not to {organization.code!r}."
        )
    if confirmed:
        undecided = [
            f"{column.column!r}: {key or '(blank)'!r}"
            for column in mapping.columns
            for key, decision in column.values.items()
            if not decision.decided
        ]
        if undecided:
            raise ValidationError(
                "Every value needs a confirmed code before the mapping is confirmed; "
                f"still open: {', '.join(undecided[:20])}"
            )
    version = _next_version(organization)
    saved = Mapping.objects.create(
        organization=organization,
        version=version,
        yaml=replace(mapping, version=version).to_yaml(),
        confirmed=confirmed,
        upload=upload,
        created_by=acting_user,
    )
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.MAPPING_SAVED,
        obj=saved,
        organization=organization,
        details={
            "version": version,
            "confirmed": confirmed,
            "upload_id": upload.pk if upload else None,
            "values": sum(len(column.values) for column in mapping.columns),
        },
    )
    return saved


def _write_problems(frame, target: Path) -> None:
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    try:
        frame.to_csv(temporary, index=False)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _fail(run: IngestRun, message: str, acting_user: User | None, *, step: str) -> IngestRun:
    run.status = IngestRun.Status.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save()
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.INGEST_FAILED,
        obj=run,
        organization=run.upload.organization,
        details={"upload_id": run.upload_id, "step": step, "error": message[:500]},
    )
    return run


@transaction.atomic
def do_ingest_upload(
    upload: Upload, *, acting_user: User | None, mapping: Mapping | None = None
) -> IngestRun:
    """Apply a confirmed mapping (the society's latest unless given) to ``upload``.

    Completes the upload's open run (the one waiting for a mapping decision) or starts a new
    one. The standard records, their provenance, the rejected rows and every problem are
    written to ``<uploads dir>/<society>/ingests/<run id>/``; if the database write then
    fails, those files stay behind unreferenced, which loses nothing. A file set aside is
    refused with a ``ValidationError``.
    """
    upload = _mappable(upload)
    organization = upload.organization
    mapping = mapping or Mapping.latest_confirmed(organization)
    if mapping is None or not mapping.confirmed or mapping.organization_id != organization.pk:
        raise ValidationError(f"{organization.name} has no confirmed mapping to apply yet.")
    run = (
        IngestRun.objects.select_for_update()
        .filter(upload=upload, status=IngestRun.Status.NEEDS_MAPPING)
        .first()
    ) or IngestRun(upload=upload, created_by=acting_user, year=reference_year(upload))
    run.mapping = mapping
    run.year = run.year or reference_year(upload)
    # The sheet the open proposal was read from; without one, the sheet the mapping names.
    parsed = mapping.parsed()
    sheet = (run.values or {}).get("sheet") or parsed.source.get("sheet")
    try:
        result = ingest_upload(upload, parsed, sheet, run.year)
    except IntakeError as error:
        run.mapping = None  # only an ingested run names the mapping that made it
        return _fail(run, str(error), acting_user, step="ingest")
    run.save()  # for its id, which names the folder
    folder = f"{organization.code}/ingests/{run.pk}"
    directory = Path(settings.WORKFORCE_UPLOADS_DIR) / folder
    directory.mkdir(parents=True, exist_ok=True)
    write_outputs(result, directory / RECORDS_FILE, directory / REJECTS_FILE)
    _write_problems(result.report.problems_frame(), directory / PROBLEMS_FILE)
    summary = result.report.summary()
    summary["problems_total"] = len(summary["problems"])
    summary["problems"] = summary["problems"][:REPORT_PROBLEMS]
    # Each code's count, so that the next export's report can show what moved since this one.
    summary["code_counts"] = code_counts(result.records)
    run.status = IngestRun.Status.INGESTED
    run.error = ""
    run.output_dir = folder
    run.checksums = {
        name: sha256_of(directory / name)
        for name in (RECORDS_FILE, PROVENANCE_FILE, REJECTS_FILE, PROBLEMS_FILE)
    }
    run.rows_read = result.report.rows_read
    run.rows_accepted = result.report.accepted
    run.rows_rejected = result.report.rejected
    run.report = summary
    run.finished_at = timezone.now()
    run.save()
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.UPLOAD_INGESTED,
        obj=run,
        organization=organization,
        details={
            "upload_id": upload.pk,
            "mapping_version": mapping.version,
            "rows_read": run.rows_read,
            "accepted": run.rows_accepted,
            "rejected": run.rows_rejected,
            "records_sha256": run.checksums[RECORDS_FILE],
        },
    )
    return run
