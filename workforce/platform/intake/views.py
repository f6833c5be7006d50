"""Pages of partner intake: an upload and its mapping, the validation report, mapping versions.

Views only look things up, check the form and call actions; every page is guarded by
``organization_view`` and finds objects within the organization of the URL, so another
society's upload, run or mapping is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from workforce.intake.compare import THRESHOLD_POINTS, Shift, compare
from workforce.platform.actions.intake import (
    do_ingest_upload,
    do_propose_mapping,
    do_revise_columns,
    do_save_mapping,
    upload_sheets,
)
from workforce.platform.intake.models import (
    PROBLEMS_FILE,
    RECORDS_FILE,
    REJECTS_FILE,
    IngestRun,
    Mapping,
)
from workforce.platform.intake.proposal import (
    ColumnRow,
    ColumnsForm,
    MappingDecisionForm,
    proposal_rows,
)
from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import Action, can, organization_view
from workforce.platform.uploads.forms import SetAsideForm
from workforce.platform.uploads.models import Upload
from workforce.standard import load_standard

log = structlog.get_logger(__name__)

# The files of an ingest run anyone with VIEW_ORG_DATA may download, by URL name.
DOWNLOADS = {
    "records.csv": RECORDS_FILE,
    "rejects.csv": REJECTS_FILE,
    "problems.csv": PROBLEMS_FILE,
}

# How many values needing a decision the top of an upload's page links to.
ATTENTION_LISTED = 25


def _file_columns(run: IngestRun, proposal) -> list[str]:
    return run.values.get("file_columns") or [column.column for column in proposal.columns]


def upload_page(
    request: HttpRequest,
    organization: Organization,
    upload: Upload,
    form: MappingDecisionForm | None = None,
    columns_form: ColumnsForm | None = None,
    set_aside_form: SetAsideForm | None = None,
) -> HttpResponse:
    """An upload's page: its facts, then where it stands (a proposal to decide, the ingest)."""
    runs = list(upload.runs.select_related("proposal", "mapping", "previous", "created_by"))
    current = runs[0] if runs else None
    may_upload = can(request.user, Action.UPLOAD_DATA, organization)
    can_map = may_upload and not upload.is_set_aside
    sheets = upload_sheets(upload) if can_map else []  # only a steward may choose another
    columns = []
    column_rows: list[ColumnRow] = []
    if current is not None and current.status == IngestRun.Status.NEEDS_MAPPING:
        proposal = current.proposal.parsed()
        if form is None:
            columns = proposal_rows(proposal, current.values)
            form = MappingDecisionForm(columns) if can_map else None
        else:
            columns = form.columns
        if can_map:
            columns_form = columns_form or ColumnsForm(proposal, _file_columns(current, proposal))
            column_rows = columns_form.rows
        else:
            column_rows = [
                ColumnRow(name, proposal.column(name)) for name in _file_columns(current, proposal)
            ]
    values = [row for column in columns for row in column.values]
    # On a long page (every distinct value of every column) the values that need a person
    # are listed at the top, each a link to its field.
    attention = [
        (column.mapping, row) for column in columns for row in column.values
        if (row.new or row.blocking) and not upload.is_set_aside
    ]
    context = {
        "organization": organization,
        "upload": upload,
        "run": current,
        "earlier_runs": runs[1:],
        "columns": columns,
        "column_rows": column_rows,
        "columns_form": columns_form,
        "form": form,
        "can_map": can_map,
        "set_aside_form": (set_aside_form or SetAsideForm()) if may_upload else None,
        # A workbook of several sheets: which one the proposal read, and the others to choose.
        "sheets": sheets,
        "sheet_read": ((current.values or {}).get("sheet") if current else "") or (
            sheets[0] if sheets else ""
        ),
        "new_count": sum(row.new for row in values),
        "blocking_count": sum(row.blocking for row in values),
        "check_count": sum(row.needs_check and not row.blocking for row in values),
        "attention": attention[:ATTENTION_LISTED],
        "attention_more": max(len(attention) - ATTENTION_LISTED, 0),
    }
    return render(request, "intake/upload_detail.html", context)


@organization_view(Action.VIEW_ORG_DATA)
@require_safe
def upload_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    upload = get_object_or_404(Upload, pk=pk, organization=organization)
    return upload_page(request, organization, upload)


@organization_view(Action.UPLOAD_DATA)
@require_POST
def upload_propose(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    upload = get_object_or_404(Upload, pk=pk, organization=organization)
    sheet = request.POST.get("sheet") or None
    if sheet is not None and sheet not in upload_sheets(upload):
        messages.error(request, f"The workbook has no sheet named {sheet!r}.")
        return redirect("upload_detail", code=organization.code, pk=upload.pk)
    try:
        run = do_propose_mapping(upload, acting_user=request.user, sheet=sheet)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("upload_detail", code=organization.code, pk=upload.pk)
    if run.status == IngestRun.Status.FAILED:
        messages.error(request, "The file could not be read; the reason is below.")
    return redirect("upload_detail", code=organization.code, pk=upload.pk)


def _open_run(request: HttpRequest, upload: Upload) -> IngestRun | None:
    """The upload's run waiting for a decision, if the form was made from its proposal."""
    if upload.is_set_aside:
        messages.error(request, "This file was set aside; take it back first to map it.")
        return None
    run = upload.runs.select_related("proposal").first()
    if (
        run is None
        or run.status != IngestRun.Status.NEEDS_MAPPING
        or request.POST.get("proposal") != str(run.proposal_id)
    ):
        # A second tab, or a colleague, moved on since this form was shown.
        messages.error(request, "This proposal is no longer open; here is where the file is now.")
        return None
    return run


@organization_view(Action.UPLOAD_DATA)
@require_POST
def upload_columns(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Point columns at other dimensions (or at none): a new proposal to decide values on."""
    upload = get_object_or_404(Upload, pk=pk, organization=organization)
    run = _open_run(request, upload)
    if run is None:
        return redirect("upload_detail", code=organization.code, pk=upload.pk)
    proposal = run.proposal.parsed()
    form = ColumnsForm(proposal, _file_columns(run, proposal), request.POST)
    if not form.is_valid():
        return upload_page(request, organization, upload, columns_form=form)
    try:
        run = do_revise_columns(upload, form.chosen(), acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Columns updated in proposal version {run.proposal.version}; check the values below.",
        )
    return redirect("upload_detail", code=organization.code, pk=upload.pk)


@organization_view(Action.UPLOAD_DATA)
@require_POST
def upload_confirm(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Save the steward's decisions as a confirmed mapping version, then ingest the upload."""
    upload = get_object_or_404(Upload, pk=pk, organization=organization)
    run = _open_run(request, upload)
    if run is None:
        return redirect("upload_detail", code=organization.code, pk=upload.pk)
    proposal = run.proposal.parsed()
    form = MappingDecisionForm(proposal_rows(proposal, run.values), request.POST)
    if not form.is_valid():
        return upload_page(request, organization, upload, form)
    try:
        with transaction.atomic():
            mapping = do_save_mapping(
                organization, form.decided(proposal), acting_user=request.user, upload=upload
            )
            run = do_ingest_upload(upload, acting_user=request.user, mapping=mapping)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return upload_page(request, organization, upload, form)
    if run.status == IngestRun.Status.FAILED:
        messages.error(request, f"Mapping version {mapping.version} was saved, but ingest failed.")
    else:
        messages.success(
            request,
            f"Mapping version {mapping.version} confirmed; {run.rows_accepted:,} of "
            f"{run.rows_read:,} rows became standard records.",
        )
    return redirect("ingest_report", code=organization.code, pk=run.pk)


@organization_view(Action.VIEW_ORG_DATA)
@require_safe
def ingest_report(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    run = get_object_or_404(
        IngestRun.objects.select_related("upload", "mapping", "created_by"),
        pk=pk,
        upload__organization=organization,
    )
    report = run.report or {}
    return render(
        request,
        "intake/report.html",
        {
            "organization": organization,
            "run": run,
            "upload": run.upload,
            "comparison": _comparison(run),
            "problem_counts": [
                (kind.replace("_", " "), count)
                for kind, count in sorted((report.get("problem_counts") or {}).items())
            ],
            "problems": run.problems_shown,
            "problems_total": run.problems_total,
            "notes": report.get("notes", []),
        },
    )


@dataclass(frozen=True)
class ShiftRow:
    """One code whose share moved, in words for the report page."""

    shift: Shift
    dimension: str  # the dimension's title
    label: str  # the code's label

    @property
    def code(self) -> str:
        return self.shift.code

    @property
    def before_shown(self) -> str:
        return f"{self.shift.before:.1%}"

    @property
    def now_shown(self) -> str:
        return f"{self.shift.now:.1%}"

    @property
    def change_shown(self) -> str:
        return f"{self.shift.points:+.1f}".replace("-", "−")  # a minus sign, not a hyphen


def _comparison(run: IngestRun) -> dict | None:
    """This ingest beside the society's one before: rows, and the codes whose share moved."""
    counts = (run.report or {}).get("code_counts")
    if run.status != IngestRun.Status.INGESTED or not counts:
        return None
    previous = run.previous_ingest()
    before = (previous.report or {}).get("code_counts") if previous else None
    if not before:
        return None
    compared = compare(counts, before, file=previous.upload.original_filename)
    standard = load_standard()
    rows = []
    for shift in compared.shifts:
        dimension = standard.dimension(shift.dimension)
        label = dimension.label(shift.code) if shift.code in dimension.code_set else shift.code
        rows.append(ShiftRow(shift, dimension.title, label))
    return {
        "previous": previous,
        "records_before": compared.records_before,
        "records_now": compared.records_now,
        "records_moved": compared.records_moved,
        "records_change_shown": compared.records_change_words,
        "shifts": rows,
        "threshold": THRESHOLD_POINTS,
    }


@organization_view(Action.VIEW_ORG_DATA)
@require_safe
def ingest_download(
    request: HttpRequest, organization: Organization, pk: int, filename: str
) -> FileResponse:
    run = get_object_or_404(
        IngestRun, pk=pk, upload__organization=organization, status=IngestRun.Status.INGESTED
    )
    if filename not in DOWNLOADS:
        raise Http404("No such file for this ingest.")
    try:
        handle = run.output_path(DOWNLOADS[filename]).open("rb")
    except FileNotFoundError:
        log.error("ingest.file_missing", run_id=run.pk, filename=filename)
        raise Http404("The file is missing; consortium staff have been told.") from None
    stem = run.upload.original_filename.rsplit(".", 1)[0]
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{stem}-{filename}",
        content_type="text/csv; charset=utf-8",
    )


@organization_view(Action.VIEW_ORG_DATA)
@require_safe
def mapping_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    mappings = organization.mappings.select_related("upload", "created_by")
    return render(
        request, "intake/mappings.html", {"organization": organization, "mappings": mappings}
    )


@organization_view(Action.VIEW_ORG_DATA)
@require_safe
def mapping_download(
    request: HttpRequest, organization: Organization, version: int
) -> HttpResponse:
    mapping = get_object_or_404(Mapping, organization=organization, version=version)
    response = HttpResponse(mapping.yaml, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{mapping.filename}"'
    return response
